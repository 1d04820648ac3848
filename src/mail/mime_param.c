/*
 * mime_param.c - Content-Type values and their parameters, as real mail
 * writes them (see mime_param.h for what is accepted).
 *
 * A value is read in one pass into at most MW_MIME_PARAMS_MAX segments
 * (one per "name=value", RFC 2231 continuations counted separately) held
 * on the stack; the segments are then grouped by name and each group
 * becomes one decoded parameter. Only the strings handed out go to the
 * arena, and common names are not copied at all.
 */
#include <stdio.h>
#include <string.h>

#include "lib/limits.h"
#include "lib/str.h"
#include "mail/charset.h"
#include "mail/header.h"
#include "mail/mime.h"
#include "mail/mime_param.h"

/* RFC 2231 section numbers above this are junk; keeping them small keeps
 * the arithmetic safe. */
#define SECTION_MAX 9999

typedef struct seg {
	const char *name; /* base name, without the '*' suffixes */
	size_t name_len;
	long section;  /* -1: no section number */
	bool extended; /* charset'lang'%XX (RFC 2231 '*') */
	bool quoted;
	const char *val; /* raw: inside the quotes, escapes still in */
	size_t val_len;
	bool used;
} seg;

typedef struct seg_list {
	seg s[MW_MIME_PARAMS_MAX];
	size_t n;
	bool truncated;
} seg_list;

typedef struct known {
	const char *s;
	size_t n;
} known;

#define K(x)                                                                   \
	{                                                                      \
		x, sizeof(x) - 1                                               \
	}
static const known known_types[] = {
    K("text"),	K("multipart"), K("message"), K("application"),
    K("image"), K("audio"),	K("video"),
};
static const known known_subtypes[] = {
    K("plain"),
    K("html"),
    K("mixed"),
    K("alternative"),
    K("related"),
    K("report"),
    K("rfc822"),
    K("global"),
    K("delivery-status"),
    K("rfc822-headers"),
    K("octet-stream"),
    K("digest"),
    K("signed"),
    K("pdf"),
    K("jpeg"),
    K("png"),
    K("gif"),
    K("feedback-report"),
    K("disposition-notification"),
};
static const known known_names[] = {
    K("charset"),    K("boundary"), K("name"),	   K("format"),
    K("delsp"),	     K("type"),	    K("filename"), K("report-type"),
    K("reply-type"), K("protocol"), K("micalg"),   K("size"),
};
static const known known_tokens[] = {
    K("attachment"),
    K("inline"),
};
#undef K

static bool ieq_n(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mw_lower((unsigned char)a[i]) !=
		    mw_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* A lower-cased NUL-terminated copy, or the static string when the word is
 * a common one (most are, and they then cost no arena memory). */
static const char *intern(mw_arena *a, const char *p, size_t n,
			  const known *tab, size_t ntab)
{
	for (size_t i = 0; i < ntab; i++)
		if (tab[i].n == n && ieq_n(tab[i].s, p, n))
			return tab[i].s;
	return mw_arena_strndup_lower(a, p, n);
}

/* RFC 2045 token characters (ASCII, no controls, no tspecials). */
static bool is_token_char(unsigned char c)
{
	if (c <= ' ' || c >= 127)
		return false;
	switch (c) {
	case '(':
	case ')':
	case '<':
	case '>':
	case '@':
	case ',':
	case ';':
	case ':':
	case '\\':
	case '"':
	case '/':
	case '[':
	case ']':
	case '?':
	case '=':
		return false;
	default:
		return true;
	}
}

/* Parameter names are read more loosely: up to what cannot be in one. */
static bool is_name_char(unsigned char c)
{
	return !mw_is_space(c) && c != '=' && c != ';' && c != '(' &&
	       c != '"' && c != ')';
}

static size_t skip_comment(const char *s, size_t i, size_t n)
{
	size_t depth = 0;

	for (; i < n; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return n;
}

static size_t skip_cfws(const char *s, size_t i, size_t n)
{
	while (i < n) {
		if (mw_is_space((unsigned char)s[i]))
			i++;
		else if (s[i] == '(')
			i = skip_comment(s, i, n);
		else
			break;
	}
	return i;
}

/* Does a "name =" start at s[i]? (a parameter after a missing ';') */
static bool starts_param(const char *s, size_t i, size_t n)
{
	size_t j = i;

	while (j < n && is_name_char((unsigned char)s[j]))
		j++;
	if (j == i)
		return false;
	while (j < n && mw_is_wsp((unsigned char)s[j]))
		j++;
	return j < n && s[j] == '=';
}

/* End of an unquoted value: it should be a token, but filenames with
 * spaces and boundaries with '=' arrive unquoted, so it runs to the ';',
 * stopping early only at a comment or at what starts another parameter. */
static size_t unquoted_end(const char *s, size_t i, size_t n)
{
	size_t j = i;

	while (j < n && s[j] != ';') {
		if (!mw_is_space((unsigned char)s[j])) {
			j++;
			continue;
		}
		size_t k = j;
		while (k < n && mw_is_space((unsigned char)s[k]))
			k++;
		if (k >= n || s[k] == ';' || s[k] == '(' ||
		    starts_param(s, k, n))
			break;
		j = k;
	}
	return j;
}

/* Split a parameter name into base, RFC 2231 section and '*' flag. */
static void split_name(seg *g, const char *p, size_t n)
{
	const char *star = memchr(p, '*', n);

	g->name = p;
	g->name_len = n;
	g->section = -1;
	g->extended = false;
	if (!star || star == p)
		return;
	size_t k = (size_t)(star - p) + 1;
	long sec = -1;
	if (k < n && mw_is_digit((unsigned char)p[k])) {
		sec = 0;
		while (k < n && mw_is_digit((unsigned char)p[k])) {
			if (sec <= SECTION_MAX)
				sec = sec * 10 + (p[k] - '0');
			k++;
		}
		if (sec > SECTION_MAX)
			sec = SECTION_MAX;
	}
	bool ext = sec < 0; /* "name*" */
	if (sec >= 0 && k < n && p[k] == '*') {
		ext = true; /* "name*1*" */
		k++;
	}
	if (k != n)
		return; /* "name*x": not RFC 2231, keep the name as written */
	g->name_len = (size_t)(star - p);
	g->section = sec;
	g->extended = ext;
}

/* Read "; name=value" pairs from s[i..n) into l. */
static void read_segments(const char *s, size_t i, size_t n, seg_list *l)
{
	for (;;) {
		i = skip_cfws(s, i, n);
		while (i < n && s[i] == ';')
			i = skip_cfws(s, i + 1, n);
		if (i >= n)
			return;
		size_t k0 = i;
		while (i < n && is_name_char((unsigned char)s[i]))
			i++;
		size_t k1 = i;
		i = skip_cfws(s, i, n);
		if (k1 == k0 || i >= n || s[i] != '=') {
			/* not a parameter: skip to the next ';' */
			const char *semi =
			    i < n ? memchr(s + i, ';', n - i) : NULL;
			if (!semi)
				return;
			i = (size_t)(semi - s);
			continue;
		}
		i = skip_cfws(s, i + 1, n);
		seg g = {0};
		if (i < n && s[i] == '"') {
			size_t j = i + 1;
			while (j < n && s[j] != '"')
				j += (s[j] == '\\' && j + 1 < n) ? 2 : 1;
			g.quoted = true;
			g.val = s + i + 1;
			g.val_len = j - i - 1;
			i = j < n ? j + 1 : n;
		} else {
			size_t j = unquoted_end(s, i, n);
			g.val = s + i;
			g.val_len = j - i;
			/* name=foo.pdf" : a stray closing quote */
			if (g.val_len && g.val[g.val_len - 1] == '"')
				g.val_len--;
			i = j;
		}
		if (l->n == MW_MIME_PARAMS_MAX) {
			l->truncated = true;
			return;
		}
		split_name(&g, s + k0, k1 - k0);
		l->s[l->n++] = g;
	}
}

static bool is_ascii(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return false;
	return true;
}

/* Copy a quoted string's content without its backslash escapes; returns
 * the length written (dst has room for n bytes). */
static size_t unescape(char *dst, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (src[i] == '\\' && i + 1 < n)
			i++;
		dst[o++] = src[i];
	}
	return o;
}

/* An arena copy of p[0..n), valid UTF-8 even when a converter let an
 * invalid sequence through (glibc's iconv passes code points beyond
 * U+10FFFF from its own UTF-8 decoder). */
static char *utf8_copy(mw_arena *a, const char *p, size_t n)
{
	if (mw_utf8_valid(p, n))
		return mw_arena_strndup(a, p, n);
	mw_buf b;
	mw_buf_init(&b, n * 3 + 16);
	(void)mw_utf8_sanitize(p, n, &b);
	char *r = mw_arena_strndup(a, mw_buf_cstr(&b), b.len);
	mw_buf_free(&b);
	return r;
}

/* p[0..n) in `charset` (NULL: lenient UTF-8) as an arena UTF-8 string. */
static const char *to_utf8(mw_arena *a, const char *charset, const char *p,
			   size_t n)
{
	bool plain = !charset || !*charset ||
		     mw_str_ieq_cstr(mw_str_from_cstr(charset), "utf-8") ||
		     mw_str_ieq_cstr(mw_str_from_cstr(charset), "us-ascii");
	if (plain && is_ascii(p, n))
		return mw_arena_strndup(a, p, n);
	if (plain)
		charset = NULL; /* mislabelled 8-bit text: read as UTF-8 */
	mw_buf b;
	/* Room for every byte to become U+FFFD (3 bytes) and then some. */
	mw_buf_init(&b, n * 4 + 64);
	(void)mw_charset_to_utf8(charset, p, n, &b);
	char *r = utf8_copy(a, mw_buf_cstr(&b), b.len);
	mw_buf_free(&b);
	return r;
}

static bool has_encoded_word(const char *p, size_t n)
{
	const char *q = n >= 2 ? memchr(p, '=', n - 1) : NULL;

	while (q) {
		if (q[1] == '?')
			return true;
		size_t off = (size_t)(q - p) + 1;
		q = off < n - 1 ? memchr(p + off, '=', n - 1 - off) : NULL;
	}
	return false;
}

/* A plain (not RFC 2231) value: unescaped, then RFC 2047 words and raw
 * 8-bit text decoded, except for the boundary, which stays as bytes. */
static const char *plain_value(mw_arena *a, const seg *g, bool raw)
{
	const char *v = g->val;
	size_t n = g->val_len;

	if (g->quoted && memchr(v, '\\', n)) {
		char *u = mw_arena_alloc(a, n + 1);
		if (!u)
			return NULL;
		n = unescape(u, v, n);
		v = u;
	}
	if (!raw && (!is_ascii(v, n) || has_encoded_word(v, n))) {
		return mw_header_decode(a, v, n, NULL);
	}
	if (raw && !mw_utf8_valid(v, n))
		return to_utf8(a, NULL, v, n); /* values are UTF-8, always */
	return v == g->val ? mw_arena_strndup(a, v, n) : v;
}

/* Append s[0..n) %XX-decoded; a '%' not followed by two hex digits is
 * kept as it is. */
static size_t pct_decode(char *dst, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n &&
		    (hi = mw_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = mw_hexval((unsigned char)s[i + 2])) >= 0) {
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			dst[o++] = s[i];
		}
	}
	return o;
}

/* Take "charset'lang'" off the front of an extended value. */
static size_t take_charset(const char *v, size_t n, char *cs, size_t cs_size)
{
	const char *q1 = memchr(v, '\'', n);
	if (!q1)
		return 0;
	size_t rest = n - (size_t)(q1 - v) - 1;
	const char *q2 = memchr(q1 + 1, '\'', rest);
	if (!q2)
		return 0;
	size_t cn = (size_t)(q1 - v);
	if (cn < cs_size) {
		memcpy(cs, v, cn);
		cs[cn] = '\0';
	} else {
		/* too long to be a charset: unknown, hence U+FFFD */
		snprintf(cs, cs_size, "x-unknown");
	}
	return (size_t)(q2 - v) + 1;
}

static void sort_by_section(seg **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		seg *x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1]->section > x->section) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* The RFC 2231 value of a group: its sections in order (the first of a
 * duplicated section wins), %XX decoded, in the charset of the first. */
static const char *rfc2231_value(mw_arena *a, seg **grp, size_t ng)
{
	seg *v[MW_MIME_PARAMS_MAX];
	size_t nv = 0, total = 0;
	bool sectioned = false;

	for (size_t i = 0; i < ng; i++)
		if (grp[i]->section >= 0)
			sectioned = true;
	for (size_t i = 0; i < ng; i++) {
		if (sectioned ? grp[i]->section < 0 : !grp[i]->extended)
			continue;
		v[nv++] = grp[i];
		if (!sectioned)
			break; /* "name*=" given twice: the first */
	}
	sort_by_section(v, nv);
	for (size_t i = 0; i < nv; i++)
		total += v[i]->val_len;
	char *buf = mw_arena_alloc(a, total + 1);
	if (!buf)
		return NULL;
	char cs[MW_CHARSET_NAME_MAX + 1] = "";
	size_t o = 0;
	long prev = -2;
	for (size_t i = 0; i < nv; i++) {
		if (v[i]->section == prev)
			continue;
		prev = v[i]->section;
		const char *s = v[i]->val;
		size_t n = v[i]->val_len;
		if (v[i]->quoted && memchr(s, '\\', n)) {
			/* unescape in place at the end of buf, then move on */
			size_t un = unescape(buf + o, s, n);
			if (!v[i]->extended) {
				o += un;
				continue;
			}
			s = buf + o;
			n = un;
		}
		if (!v[i]->extended) {
			memmove(buf + o, s, n);
			o += n;
			continue;
		}
		if (i == 0) {
			size_t skip = take_charset(s, n, cs, sizeof cs);
			s += skip;
			n -= skip;
		}
		/* decoding never lengthens, so in-place works too */
		o += pct_decode(buf + o, s, n);
	}
	return to_utf8(a, cs, buf, o);
}

/* Group the segments by name into params (first appearance order). */
static mw_status build_params(mw_arena *a, seg_list *l, mw_mime_parameter **out,
			      size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (l->n == 0)
		return MW_OK;
	mw_mime_parameter *ps = mw_arena_calloc(a, l->n, sizeof *ps);
	if (!ps)
		return MW_ENOMEM;
	size_t np = 0;
	for (size_t i = 0; i < l->n; i++) {
		seg *g = &l->s[i];
		if (g->used)
			continue;
		seg *grp[MW_MIME_PARAMS_MAX];
		size_t ng = 0;
		bool is2231 = false;
		for (size_t j = i; j < l->n; j++) {
			seg *h = &l->s[j];
			if (h->used || h->name_len != g->name_len ||
			    !ieq_n(h->name, g->name, g->name_len))
				continue;
			h->used = true;
			grp[ng++] = h;
			if (h->section >= 0 || h->extended)
				is2231 = true;
		}
		const char *name =
		    intern(a, g->name, g->name_len, known_names,
			   sizeof known_names / sizeof known_names[0]);
		if (!name)
			return MW_ENOMEM;
		const char *value;
		if (is2231) {
			value = rfc2231_value(a, grp, ng);
		} else {
			bool raw = strcmp(name, "boundary") == 0;
			value = plain_value(a, grp[0], raw);
		}
		if (!value)
			return MW_ENOMEM;
		ps[np].name = name;
		ps[np].value = value;
		np++;
	}
	*out = ps;
	*nout = np;
	return MW_OK;
}

static size_t read_token(const char *s, size_t i, size_t n)
{
	while (i < n && is_token_char((unsigned char)s[i]))
		i++;
	return i;
}

mw_status mw_mime_ctype_parse(mw_arena *a, const char *v, size_t n,
			      mw_mime_ctype *out)
{
	memset(out, 0, sizeof *out);
	size_t i = skip_cfws(v, 0, n);
	size_t t0 = i, t1 = read_token(v, i, n);
	i = skip_cfws(v, t1, n);
	if (t1 > t0 && i < n && v[i] == '/') {
		size_t s0 = skip_cfws(v, i + 1, n);
		size_t s1 = read_token(v, s0, n);
		if (s1 > s0) {
			out->type =
			    intern(a, v + t0, t1 - t0, known_types,
				   sizeof known_types / sizeof known_types[0]);
			out->subtype = intern(
			    a, v + s0, s1 - s0, known_subtypes,
			    sizeof known_subtypes / sizeof known_subtypes[0]);
			if (!out->type || !out->subtype)
				return MW_ENOMEM;
			i = s1;
		}
	}
	if (!out->type) {
		/* unparsable type: its parameters may still be good */
		const char *semi = memchr(v, ';', n);
		i = semi ? (size_t)(semi - v) : n;
	}
	seg_list l;
	l.n = 0;
	l.truncated = false;
	read_segments(v, i, n, &l);
	out->truncated = l.truncated;
	if (build_params(a, &l, &out->params, &out->nparams))
		return MW_ENOMEM;
	return l.truncated ? MW_ETRUNCATED : MW_OK;
}

mw_status mw_mime_field_params(mw_arena *a, const char *value, size_t n,
			       const char **token, mw_mime_parameter **params,
			       size_t *nparams)
{
	*token = NULL;
	size_t i = skip_cfws(value, 0, n);
	size_t t1 = i;
	while (t1 < n && value[t1] != ';' &&
	       !mw_is_space((unsigned char)value[t1]) && value[t1] != '(')
		t1++;
	if (t1 > i && !starts_param(value, i, n)) {
		*token = intern(a, value + i, t1 - i, known_tokens,
				sizeof known_tokens / sizeof known_tokens[0]);
		if (!*token)
			return MW_ENOMEM;
		i = t1;
	}
	seg_list l;
	l.n = 0;
	l.truncated = false;
	read_segments(value, i, n, &l);
	if (build_params(a, &l, params, nparams))
		return MW_ENOMEM;
	return l.truncated ? MW_ETRUNCATED : MW_OK;
}

mw_cte mw_mime_cte_parse(const char *v, size_t n)
{
	size_t i = skip_cfws(v, 0, n);
	size_t j = read_token(v, i, n);
	mw_str t = mw_str_make(v + i, j - i);

	if (mw_str_ieq_cstr(t, "base64"))
		return MW_CTE_BASE64;
	if (mw_str_ieq_cstr(t, "quoted-printable"))
		return MW_CTE_QP;
	return MW_CTE_7BIT;
}
