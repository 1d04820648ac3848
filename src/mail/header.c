/*
 * header.c - split a header section into fields and look them up.
 *
 * One pass over the lines. A field's raw extent (after its colon to the end
 * of its last continuation line) is recorded while reading and its value is
 * built once, when the next line shows the field has ended: unfolding is
 * then a copy that drops the CR and LF bytes, since inside a header section
 * every CR and LF belongs to a line ending. Line ends are found with memchr
 * and the next LF and CR positions are remembered, so a section of bare-CR
 * lines costs no more than one of CRLF lines.
 *
 * Past MW_HEADER_SECTION_MAX or MW_HEADER_FIELDS_MAX nothing more is kept,
 * but the lines are still scanned for the empty line, so that body_offset
 * stays exact (a cheap memchr walk, no storage).
 */
#include "mail/header.h"

#include <string.h>

#include "lib/limits.h"
#include "lib/str.h"

/* -- lines ----------------------------------------------------------- */

typedef struct line_scan {
	const char *p;
	size_t n;
	size_t next_lf; /* offset of the next LF at or after the last look, */
	size_t next_cr; /* or n if none: memchr runs once per terminator */
} line_scan;

static size_t find_byte(const line_scan *ls, size_t from, char c)
{
	const char *hit = memchr(ls->p + from, c, ls->n - from);
	return hit ? (size_t)(hit - ls->p) : ls->n;
}

/* The next line from *pos: its start and length without terminator, with
 * *pos moved past the terminator (CRLF, LF or CR). False at the end. */
static bool line_next(line_scan *ls, size_t *pos, size_t *start, size_t *len)
{
	size_t at = *pos, end, next;

	if (at >= ls->n)
		return false;
	if (ls->next_lf < at)
		ls->next_lf = find_byte(ls, at, '\n');
	if (ls->next_cr < at)
		ls->next_cr = find_byte(ls, at, '\r');
	end = ls->next_lf < ls->next_cr ? ls->next_lf : ls->next_cr;
	next = end;
	if (end < ls->n) {
		next = end + 1;
		if (ls->p[end] == '\r' && next < ls->n && ls->p[next] == '\n')
			next++;
	}
	*start = at;
	*len = end - at;
	*pos = next;
	return true;
}

/* -- building fields ------------------------------------------------- */

typedef struct parse {
	mw_arena *a;
	const char *msg;
	size_t section_end; /* bytes past this are not kept */
	mw_headers *out;
	size_t cap; /* fields allocated */
	bool in_field;
	size_t name_at, name_len;
	size_t raw_at, raw_end; /* the value before unfolding */
	bool nomem;
} parse;

/* Length of the field name at the start of line[0..n) if the line is a
 * field ("Name:" or the obsolete "Name :"), with *colon at the colon;
 * else 0. */
static size_t field_name_len(const char *line, size_t n, size_t *colon)
{
	size_t i = 0, name;

	while (i < n && (unsigned char)line[i] > 32 &&
	       (unsigned char)line[i] < 127 && line[i] != ':')
		i++;
	name = i;
	while (i < n && mw_is_wsp((unsigned char)line[i]))
		i++;
	if (name == 0 || i >= n || line[i] != ':')
		return 0;
	*colon = i;
	return name;
}

/* The unfolded, trimmed value of raw[0..n) in the arena. */
static char *build_value(parse *ps, const char *raw, size_t n, size_t *vlen)
{
	size_t i = 0, k = 0;
	size_t room = n < MW_HEADER_VALUE_MAX ? n : MW_HEADER_VALUE_MAX;
	char *v;

	while (i < n && (mw_is_wsp((unsigned char)raw[i]) || raw[i] == '\r' ||
			 raw[i] == '\n'))
		i++;
	v = mw_arena_alloc(ps->a, room + 1);
	if (v == NULL)
		return NULL;
	for (; i < n && k < room; i++) {
		char c = raw[i];

		if (c == '\r' || c == '\n')
			continue;
		v[k++] = (c == '\0') ? ' ' : c;
	}
	while (i < n && (raw[i] == '\r' || raw[i] == '\n'))
		i++;
	if (i < n)
		ps->out->truncated = true;
	while (k > 0 && (mw_is_wsp((unsigned char)v[k - 1])))
		k--;
	v[k] = '\0';
	*vlen = k;
	return v;
}

static bool fields_reserve(parse *ps)
{
	mw_headers *h = ps->out;
	size_t want;
	void *grown;

	if (h->count < ps->cap)
		return true;
	want = ps->cap ? ps->cap * 2 : 32;
	if (want > MW_HEADER_FIELDS_MAX)
		want = MW_HEADER_FIELDS_MAX;
	grown = mw_arena_grow(ps->a, h->fields, ps->cap, want,
			      sizeof(mw_header_field));
	if (grown == NULL)
		return false;
	h->fields = grown;
	ps->cap = want;
	return true;
}

static void field_finish(parse *ps)
{
	mw_header_field *f;
	size_t raw_end = ps->raw_end;

	if (!ps->in_field)
		return;
	ps->in_field = false;
	if (raw_end > ps->section_end) {
		raw_end = ps->section_end;
		ps->out->truncated = true;
	}
	if (!fields_reserve(ps)) {
		ps->nomem = true;
		return;
	}
	f = &ps->out->fields[ps->out->count];
	f->name = mw_arena_strndup(ps->a, ps->msg + ps->name_at, ps->name_len);
	f->value = build_value(ps, ps->msg + ps->raw_at, raw_end - ps->raw_at,
			       &f->value_len);
	if (f->name == NULL || f->value == NULL) {
		ps->nomem = true;
		return;
	}
	ps->out->count++;
}

/* Begin the field on the line at msg[at..at+n), if it is one and there is
 * room for it. False if the line is not a field. */
static bool field_start(parse *ps, size_t at, size_t n)
{
	size_t colon;
	size_t name = field_name_len(ps->msg + at, n, &colon);

	if (name == 0)
		return false;
	if (ps->out->count >= MW_HEADER_FIELDS_MAX || at >= ps->section_end ||
	    ps->nomem) {
		ps->out->truncated = true;
		return true;
	}
	ps->in_field = true;
	ps->name_at = at;
	ps->name_len = name;
	ps->raw_at = at + colon + 1;
	ps->raw_end = at + n;
	return true;
}

/* A line that cannot be in a header section and is not merely junk: a
 * MIME boundary of a message that lost its empty line, or text where the
 * first field should be (a MIME part with no headers and no empty line
 * before its body; junk is only skipped between fields). */
static bool looks_like_body(const char *line, size_t n, bool seen_field)
{
	size_t colon;

	if (n >= 2 && line[0] == '-' && line[1] == '-')
		return true;
	return !seen_field && field_name_len(line, n, &colon) == 0;
}

static bool is_mbox_from(const char *line, size_t n)
{
	return n >= 5 && memcmp(line, "From ", 5) == 0;
}

mw_status mw_headers_parse(mw_arena *a, const char *msg, size_t len,
			   mw_headers *out)
{
	line_scan ls = {msg, len, 0, 0};
	parse ps = {0};
	size_t pos = 0, at, n, colon;
	bool first = true, seen_field = false;

	memset(out, 0, sizeof(*out));
	out->body_offset = len;
	ps.a = a;
	ps.msg = msg;
	ps.out = out;
	ps.section_end =
	    len < MW_HEADER_SECTION_MAX ? len : MW_HEADER_SECTION_MAX;
	if (len > 0) {
		ls.next_lf = find_byte(&ls, 0, '\n');
		ls.next_cr = find_byte(&ls, 0, '\r');
	}
	/* Files saved by editors sometimes start with a UTF-8 BOM, which
	 * would otherwise make the first field's name unreadable. */
	if (len >= 3 && memcmp(msg, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (line_next(&ls, &pos, &at, &n)) {
		const char *line = msg + at;
		bool was_first = first;

		first = false;
		if (n == 0) {
			out->has_body = true;
			out->body_offset = pos;
			break;
		}
		if (mw_is_wsp((unsigned char)line[0])) {
			if (ps.in_field)
				ps.raw_end = at + n;
			continue;
		}
		field_finish(&ps);
		/* The mbox "From " separator ("From :" is still a field). */
		if (was_first && is_mbox_from(line, n) &&
		    field_name_len(line, n, &colon) == 0)
			continue;
		if (looks_like_body(line, n, seen_field)) {
			out->body_offset = at;
			break;
		}
		/* A line with no colon is skipped, as Postfix does. */
		if (field_start(&ps, at, n))
			seen_field = true;
	}
	field_finish(&ps);
	if (ps.nomem) {
		out->truncated = true;
		return MW_ENOMEM;
	}
	return out->truncated ? MW_ETRUNCATED : MW_OK;
}

/* -- lookup ---------------------------------------------------------- */

static bool name_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (mw_lower((unsigned char)*a) != mw_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

const mw_header_field *mw_headers_next(const mw_headers *h, const char *name,
				       size_t *i)
{
	for (size_t k = *i; k < h->count; k++) {
		if (name_ieq(h->fields[k].name, name)) {
			*i = k + 1;
			return &h->fields[k];
		}
	}
	*i = h->count;
	return NULL;
}

const mw_header_field *mw_headers_find(const mw_headers *h, const char *name)
{
	size_t i = 0;
	return mw_headers_next(h, name, &i);
}

const char *mw_headers_get(const mw_headers *h, const char *name)
{
	const mw_header_field *f = mw_headers_find(h, name);
	return f ? f->value : NULL;
}

/* -- Message-ID ------------------------------------------------------ */

/* Comments can nest; past this depth they are still skipped, only the
 * count stops growing, so a hostile "((((" costs nothing extra. */
#define MSGID_COMMENT_DEPTH_MAX 64

/* The offset of the first '<' outside comments and quoted strings at or
 * after `from`, or n. */
static size_t msgid_find_open(const char *v, size_t n, size_t from)
{
	int depth = 0;
	bool quoted = false;

	for (size_t i = from; i < n; i++) {
		char c = v[i];

		if (c == '\\' && (quoted || depth > 0)) {
			i++;
		} else if (quoted) {
			quoted = (c != '"');
		} else if (c == '(') {
			if (depth < MSGID_COMMENT_DEPTH_MAX)
				depth++;
		} else if (depth > 0) {
			if (c == ')')
				depth--;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '<') {
			return i;
		}
	}
	return n;
}

/* v[from..to) without white space, in the arena; NULL if that is empty. */
static char *msgid_copy(mw_arena *a, const char *v, size_t from, size_t to)
{
	char *id;
	size_t k = 0;

	id = mw_arena_alloc(a, to - from + 1);
	if (id == NULL)
		return NULL;
	/* RFC 5322's msg-id holds neither white space nor angle brackets:
	 * stray ones ("<<id>", "< id >") are the writer's mistake. */
	for (size_t i = from; i < to; i++)
		if (!mw_is_space((unsigned char)v[i]) && v[i] != '\0' &&
		    v[i] != '<' && v[i] != '>')
			id[k++] = v[i];
	id[k] = '\0';
	return k > 0 ? id : NULL;
}

/* No angle brackets: the first white-space-separated token outside
 * comments that holds an '@', or else the only token if there is just one
 * ("Message-ID: 000000-FFFFFF-22-ARF" is real). */
static char *msgid_bare_token(mw_arena *a, const char *v, size_t n)
{
	size_t i = 0, tokens = 0, first_at = 0, first_end = 0;

	while (i < n) {
		if (mw_is_space((unsigned char)v[i])) {
			i++;
			continue;
		}
		if (v[i] == '(') {
			int depth = 0;
			for (; i < n; i++) {
				if (v[i] == '\\')
					i++;
				else if (v[i] == '(')
					depth++;
				else if (v[i] == ')' && --depth == 0)
					break;
			}
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && !mw_is_space((unsigned char)v[i]) &&
		       v[i] != '(')
			i++;
		if (memchr(v + start, '@', i - start) != NULL)
			return msgid_copy(a, v, start, i);
		if (tokens++ == 0) {
			first_at = start;
			first_end = i;
		}
	}
	if (tokens != 1 || memchr(v + first_at, '<', first_end - first_at))
		return NULL;
	return msgid_copy(a, v, first_at, first_end);
}

/* The end of the token that starts after any white space at `from`. */
static size_t token_end(const char *v, size_t n, size_t from)
{
	size_t i = from;

	while (i < n && mw_is_space((unsigned char)v[i]))
		i++;
	while (i < n && !mw_is_space((unsigned char)v[i]) && v[i] != '(')
		i++;
	return i;
}

char *mw_header_msgid(mw_arena *a, const char *value, size_t n)
{
	size_t open = msgid_find_open(value, n, 0);

	while (open < n) {
		const char *close = memchr(value + open + 1, '>', n - open - 1);
		size_t end = close ? (size_t)(close - value) : n;

		if (close == NULL) /* unclosed: the id is the next token */
			end = token_end(value, n, open + 1);
		char *id = msgid_copy(a, value, open + 1, end);

		if (id != NULL || end >= n)
			return id;
		open = msgid_find_open(value, n, end + 1);
	}
	return msgid_bare_token(a, value, n);
}
