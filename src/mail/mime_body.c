/*
 * mime_body.c - reading a parsed MIME tree: walking it, looking up types
 * and parameters, and decoding bodies on request (contract in mime.h).
 */
#include <string.h>

#include "lib/str.h"
#include "mail/charset.h"
#include "mail/codec.h"
#include "mail/mime.h"

static bool cstr_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (mw_lower((unsigned char)*a) != mw_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

bool mw_mime_is(const mw_mime_part *p, const char *type, const char *subtype)
{
	if (!p || !p->type || !cstr_ieq(p->type, type))
		return false;
	return !subtype || (p->subtype && cstr_ieq(p->subtype, subtype));
}

const char *mw_mime_params_find(const mw_mime_parameter *params, size_t n,
				const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (cstr_ieq(params[i].name, name))
			return params[i].value;
	return NULL;
}

const char *mw_mime_param(const mw_mime_part *p, const char *name)
{
	return mw_mime_params_find(p->params, p->nparams, name);
}

mw_mime_part *mw_mime_walk(mw_mime_part *root, mw_mime_part *p)
{
	if (!p)
		return NULL;
	if (p->child)
		return p->child;
	/* Climb to the nearest ancestor below root with a next sibling. */
	while (p && p != root) {
		if (p->next)
			return p->next;
		p = p->parent;
	}
	return NULL;
}

const char *mw_mime_filename(mw_arena *a, const mw_mime_part *p)
{
	const mw_header_field *f =
	    mw_headers_find(&p->headers, "Content-Disposition");

	if (f) {
		const char *token;
		mw_mime_parameter *ps;
		size_t n;
		if (mw_mime_field_params(a, f->value, f->value_len, &token, &ps,
					 &n) != MW_ENOMEM) {
			const char *v = mw_mime_params_find(ps, n, "filename");
			if (v)
				return v;
		}
	}
	return mw_mime_param(p, "name");
}

mw_status mw_mime_decode_body(const mw_mime_part *p, mw_buf *out)
{
	switch (p->cte) {
	case MW_CTE_BASE64:
		return mw_base64_decode(p->body, p->body_len, out);
	case MW_CTE_QP:
		return mw_qp_decode(p->body, p->body_len, false, out);
	default:
		return mw_buf_append_some(out, p->body, p->body_len);
	}
}

/* Turn CRLF and bare CR into LF in out->data[from..len), in place. */
static void unify_line_ends(mw_buf *out, size_t from)
{
	if (!out->data || from >= out->len)
		return;
	char *s = out->data;
	const char *cr = memchr(s + from, '\r', out->len - from);
	if (!cr)
		return;
	size_t o = (size_t)(cr - s);
	for (size_t i = o; i < out->len; i++) {
		if (s[i] != '\r') {
			s[o++] = s[i];
			continue;
		}
		s[o++] = '\n';
		if (i + 1 < out->len && s[i + 1] == '\n')
			i++;
	}
	out->len = o;
	s[o] = '\0';
}

mw_status mw_mime_text_utf8(const mw_mime_part *p, mw_buf *out)
{
	const char *cs = mw_mime_param(p, "charset");
	size_t start = out->len;
	mw_status st, dst = MW_OK;

	/* Text labelled us-ascii with 8-bit bytes is common and is nearly
	 * always UTF-8 or Latin-1; the lenient reading keeps UTF-8. */
	if (cs && cstr_ieq(cs, "us-ascii"))
		cs = NULL;
	if (p->cte == MW_CTE_7BIT) {
		st = mw_charset_to_utf8(cs, p->body, p->body_len, out);
	} else {
		mw_buf tmp;
		mw_buf_init(&tmp, p->body_len);
		dst = mw_mime_decode_body(p, &tmp);
		st = mw_charset_to_utf8(cs, mw_buf_cstr(&tmp), tmp.len, out);
		mw_buf_free(&tmp);
	}
	unify_line_ends(out, start);
	if (st == MW_OK && dst == MW_ETOOBIG)
		st = dst;
	return st;
}
