/*
 * mime.c - building the MIME tree of a message (contract in mime.h).
 *
 * The tree is built depth first, in document order, without recursion: an
 * explicit stack holds one frame per multipart being split (at most
 * MW_MIME_DEPTH_MAX of them). A frame finds its parts one at a time with
 * memmem() on "--boundary", so each byte is looked at once per multipart
 * enclosing it and never once per part; a part's header section is read
 * only within its own span. Bodies stay slices of the input, except the
 * body of a base64 or quoted-printable message/rfc822, which is decoded
 * into the arena so that the enclosed message can be parsed.
 */
#include <string.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "lib/str.h"
#include "mail/mime.h"
#include "mail/mime_param.h"

/* One multipart being split into its parts. */
typedef struct mime_frame {
	mw_mime_part *mp;   /* the multipart */
	mw_mime_part *last; /* its last child so far */
	const char *base;   /* its body */
	size_t pos;	    /* offset in base where the next part starts */
	size_t end;
	bool done;
	size_t dlen;
	char delim[2 + MW_MIME_BOUNDARY_MAX]; /* "--" boundary */
} mime_frame;

typedef struct mime_ctx {
	mw_arena *a;
	size_t nparts;
	bool truncated; /* a bound was hit */
	bool stop;	/* no more parts: the count bound or the arena */
	size_t top;
	mime_frame stack[MW_MIME_DEPTH_MAX];
} mime_ctx;

/* Where a delimiter line was found. */
typedef struct delim_match {
	size_t body_end; /* end of the part before it, its line break out */
	size_t next;	 /* start of the line after it */
	bool closing;	 /* "--boundary--" */
} delim_match;

/* Does a delimiter line go on from `at` (just past "--boundary") with
 * only an optional "--" and white space to its end? */
static bool delim_line_rest(const char *b, size_t at, size_t end,
			    delim_match *m)
{
	m->closing = false;
	if (end - at >= 2 && b[at] == '-' && b[at + 1] == '-') {
		m->closing = true;
		at += 2;
	}
	while (at < end && mw_is_wsp((unsigned char)b[at]))
		at++;
	if (at < end) {
		if (b[at] == '\r' && end - at >= 2 && b[at + 1] == '\n')
			at += 2;
		else if (b[at] == '\r' || b[at] == '\n')
			at++;
		else
			return false;
	}
	m->next = at;
	return true;
}

/* The next delimiter line in b[from..end), from being a line start. The
 * line break before a delimiter belongs to it, not to the part. */
static bool find_delim(const char *b, size_t from, size_t end, const char *d,
		       size_t dlen, delim_match *m)
{
	size_t pos = from;

	while (end - pos >= dlen) {
		const char *h = memmem(b + pos, end - pos, d, dlen);
		if (!h)
			return false;
		size_t at = (size_t)(h - b);
		bool line_start =
		    at == from || b[at - 1] == '\n' || b[at - 1] == '\r';
		if (line_start && delim_line_rest(b, at + dlen, end, m)) {
			size_t e = at;
			if (e > from && b[e - 1] == '\n')
				e--;
			if (e > from && b[e - 1] == '\r')
				e--;
			m->body_end = e;
			return true;
		}
		pos = at + 1;
	}
	return false;
}

static void set_type(mw_mime_part *p, const char *type, const char *subtype)
{
	p->type = type;
	p->subtype = subtype;
}

/* The first Content-Type and Content-Transfer-Encoding fields, found in
 * one pass rather than one lookup each (this runs for every part). */
static void find_mime_fields(const mw_headers *h, const mw_header_field **ct,
			     const mw_header_field **cte)
{
	static const char ct_name[] = "content-type";
	static const char cte_name[] = "content-transfer-encoding";

	for (size_t i = 0; i < h->count && !(*ct && *cte); i++) {
		const char *n = h->fields[i].name;
		if (mw_lower((unsigned char)n[0]) != 'c')
			continue;
		size_t len = strlen(n);
		mw_str s = mw_str_make(n, len);
		if (!*ct && len == sizeof ct_name - 1 &&
		    mw_str_ieq_cstr(s, ct_name))
			*ct = &h->fields[i];
		else if (!*cte && len == sizeof cte_name - 1 &&
			 mw_str_ieq_cstr(s, cte_name))
			*cte = &h->fields[i];
	}
}

/* Content-Type and Content-Transfer-Encoding of a part just read. */
static mw_status classify(mime_ctx *c, mw_mime_part *p, bool in_digest)
{
	const mw_header_field *f = NULL, *cte = NULL;
	mw_mime_ctype ct = {0};

	find_mime_fields(&p->headers, &f, &cte);

	if (f) {
		mw_status st =
		    mw_mime_ctype_parse(c->a, f->value, f->value_len, &ct);
		if (st == MW_ENOMEM)
			return st;
		if (st == MW_ETRUNCATED)
			c->truncated = true;
	}
	p->params = ct.params;
	p->nparams = ct.nparams;
	if (ct.type)
		set_type(p, ct.type, ct.subtype);
	else if (in_digest)
		set_type(p, "message", "rfc822");
	else
		set_type(p, "text", "plain");
	p->cte =
	    cte ? mw_mime_cte_parse(cte->value, cte->value_len) : MW_CTE_7BIT;
	return MW_OK;
}

/* A new part read from s[0..n), not yet linked into the tree; NULL when a
 * bound or the arena stops the parse. */
static mw_mime_part *new_part(mime_ctx *c, mw_mime_part *parent, const char *s,
			      size_t n)
{
	if (c->nparts >= MW_MIME_PARTS_MAX) {
		c->truncated = true;
		c->stop = true;
		return NULL;
	}
	mw_mime_part *p = mw_arena_alloc(c->a, sizeof *p);
	if (!p) {
		c->stop = true;
		return NULL;
	}
	c->nparts++;
	p->parent = parent;
	p->depth = parent ? parent->depth + 1 : 0;
	mw_status st = mw_headers_parse(c->a, s, n, &p->headers);
	if (st == MW_ENOMEM) {
		c->stop = true;
		return NULL;
	}
	if (st == MW_ETRUNCATED || p->headers.truncated)
		c->truncated = true;
	size_t off = p->headers.body_offset < n ? p->headers.body_offset : n;
	p->body = s + off;
	p->body_len = n - off;
	bool digest = parent && mw_mime_is(parent, "multipart", "digest");
	if (classify(c, p, digest) != MW_OK) {
		c->stop = true;
		return NULL;
	}
	return p;
}

static bool room_for_children(mime_ctx *c, const mw_mime_part *p)
{
	if (p->depth + 1 < MW_MIME_DEPTH_MAX)
		return true;
	c->truncated = true;
	return false;
}

/* Start splitting a multipart: push its frame, or make it a leaf when its
 * boundary is missing or never appears. */
static void open_multipart(mime_ctx *c, mw_mime_part *p)
{
	const char *bd = mw_mime_param(p, "boundary");
	size_t blen = bd ? strlen(bd) : 0;

	if (blen == 0 || blen > MW_MIME_BOUNDARY_MAX) {
		set_type(p, "text", "plain");
		return;
	}
	if (!room_for_children(c, p))
		return;
	/* frames on the stack have strictly increasing depths below the
	 * bound, so there is always room for one more */
	MW_ASSERT(c->top < MW_MIME_DEPTH_MAX);
	mime_frame *f = &c->stack[c->top];
	f->delim[0] = '-';
	f->delim[1] = '-';
	memcpy(f->delim + 2, bd, blen);
	f->dlen = blen + 2;
	delim_match m;
	if (!find_delim(p->body, 0, p->body_len, f->delim, f->dlen, &m)) {
		set_type(p, "text", "plain");
		return;
	}
	if (m.closing)
		return; /* "--b--" first: a multipart with no parts */
	f->mp = p;
	f->last = NULL;
	f->base = p->body;
	f->pos = m.next;
	f->end = p->body_len;
	f->done = false;
	c->top++;
}

/* The bytes of an enclosed message: the body, or its decoded form. */
static bool enclosed_message(mime_ctx *c, const mw_mime_part *p, const char **s,
			     size_t *n)
{
	if (p->cte == MW_CTE_7BIT) {
		*s = p->body;
		*n = p->body_len;
		return true;
	}
	mw_buf b;
	/* Neither decoding makes its input longer. */
	mw_buf_init(&b, p->body_len);
	(void)mw_mime_decode_body(p, &b);
	size_t len = b.len;
	char *copy = mw_arena_alloc(c->a, len + 1);
	if (copy && len)
		memcpy(copy, b.data, len);
	mw_buf_free(&b);
	if (!copy) {
		c->stop = true;
		return false;
	}
	*s = copy;
	*n = len;
	return true;
}

static bool is_message_container(const mw_mime_part *p)
{
	return mw_mime_is(p, "message", "rfc822") ||
	       mw_mime_is(p, "message", "global");
}

/* Give a new part its children: an enclosed message is parsed at once
 * (and so on down a chain of them); a multipart gets a frame. */
static void expand(mime_ctx *c, mw_mime_part *p)
{
	while (!c->stop) {
		if (strcmp(p->type, "multipart") == 0) {
			open_multipart(c, p);
			return;
		}
		if (!is_message_container(p) || !room_for_children(c, p))
			return;
		const char *s;
		size_t n;
		if (!enclosed_message(c, p, &s, &n))
			return;
		mw_mime_part *child = new_part(c, p, s, n);
		if (!child)
			return;
		p->child = child;
		p = child;
	}
}

/* Cut the next part off the multipart on top of the stack. */
static void split_next(mime_ctx *c)
{
	mime_frame *f = &c->stack[c->top - 1];
	size_t start = f->pos, stop;
	delim_match m;

	if (find_delim(f->base, f->pos, f->end, f->delim, f->dlen, &m)) {
		stop = m.body_end;
		f->pos = m.next;
		f->done = m.closing;
	} else {
		/* never closed: the last part runs to the end */
		stop = f->end;
		f->done = true;
		if (start == stop)
			return;
	}
	mw_mime_part *child = new_part(c, f->mp, f->base + start, stop - start);
	if (!child)
		return;
	if (f->last)
		f->last->next = child;
	else
		f->mp->child = child;
	f->last = child;
	expand(c, child); /* may push a frame above f */
}

mw_status mw_mime_parse(mw_arena *a, const char *msg, size_t len,
			mw_mime_part **root)
{
	mime_ctx ctx, *c = &ctx;

	/* the frames are written before they are read: no need to zero them */
	c->a = a;
	c->nparts = 0;
	c->truncated = false;
	c->stop = false;
	c->top = 0;
	*root = NULL;
	mw_mime_part *r = new_part(c, NULL, msg, len);
	if (!r)
		return MW_ENOMEM;
	expand(c, r);
	while (c->top > 0 && !c->stop) {
		if (c->stack[c->top - 1].done)
			c->top--;
		else
			split_next(c);
	}
	if (c->stop && !c->truncated)
		c->truncated = true; /* the arena refused: a partial tree */
	r->truncated = c->truncated;
	*root = r;
	return r->truncated ? MW_ETRUNCATED : MW_OK;
}
