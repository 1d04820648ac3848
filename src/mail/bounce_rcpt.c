/*
 * bounce_rcpt.c - the set of failed recipients and the codes they carry.
 *
 * Every source of recipients (RFC 3464 fields, ARF fields, the free-text
 * scanner, X-Failed-Recipients) goes through mwb_rcpt_add(), so that an
 * address is normalised once and held once, and the set stays within
 * MW_BOUNCE_RECIPIENTS_MAX whatever the bounce claims.
 */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/str.h"
#include "mail/address.h"
#include "mail/bounce_impl.h"
#include "mail/header.h"

/* "rfc822;", "RFC822 ;", "x-unix;": a type in front of an address. */
static mw_str strip_address_type(mw_str s)
{
	s = mw_str_trim(s);
	for (size_t i = 0; i < s.n && i < 32; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == ';') {
			if (i == 0)
				break;
			return mw_str_trim(
			    mw_str_make(s.p + i + 1, s.n - i - 1));
		}
		if (!mw_is_alnum(c) && c != '-' && c != '_' && c != '.' &&
		    !mw_is_wsp(c))
			break;
	}
	return s;
}

/* "smtp; 550 ..." without its "smtp;" type. */
mw_str mwb_strip_type(mw_str s)
{
	s = mw_str_trim(s);
	size_t i = 0;
	if (s.n == 0 || !mw_is_alpha((unsigned char)s.p[0]))
		return s;
	while (i < s.n && i < 32 &&
	       (mw_is_alnum((unsigned char)s.p[i]) || s.p[i] == '-' ||
		s.p[i] == '_'))
		i++;
	size_t j = i;
	while (j < s.n && mw_is_wsp((unsigned char)s.p[j]))
		j++;
	if (j < s.n && s.p[j] == ';')
		return mw_str_trim(mw_str_make(s.p + j + 1, s.n - j - 1));
	return s;
}

const char *mwb_addr_norm(mw_arena *a, const char *s, size_t n)
{
	mw_str v = strip_address_type(mw_str_make(s, n));
	if (v.n == 0 || !memchr(v.p, '@', v.n))
		return NULL;
	const mw_address *ad = mw_address_parse_one(a, v.p, v.n);
	if (ad && ad->addr && ad->domain && ad->domain[0] && ad->local &&
	    ad->local[0])
		return ad->addr;
	return mw_address_find(a, v.p, v.n, NULL);
}

mw_bounce_rcpt *mwb_rcpt_find(const mwb_rcpts *set, const char *addr)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcasecmp(set->v[i].address, addr) == 0)
			return &set->v[i];
	return NULL;
}

static bool rcpts_reserve(mw_arena *a, mwb_rcpts *set)
{
	if (set->n < set->cap)
		return true;
	size_t cap = set->cap ? set->cap * 2 : 4;
	if (cap > MW_BOUNCE_RECIPIENTS_MAX)
		cap = MW_BOUNCE_RECIPIENTS_MAX;
	mw_bounce_rcpt *v = mw_arena_grow(a, set->v, set->n, cap, sizeof(*v));
	if (!v) {
		set->nomem = true;
		return false;
	}
	set->v = v;
	set->cap = cap;
	return true;
}

mw_bounce_rcpt *mwb_rcpt_add_addr(mw_arena *a, mwb_rcpts *set, const char *addr)
{
	mw_bounce_rcpt *r = mwb_rcpt_find(set, addr);
	if (r)
		return r;
	if (set->n >= MW_BOUNCE_RECIPIENTS_MAX) {
		set->full = true;
		return NULL;
	}
	if (!rcpts_reserve(a, set))
		return NULL;
	r = &set->v[set->n++];
	memset(r, 0, sizeof(*r));
	r->address = addr;
	return r;
}

mw_bounce_rcpt *mwb_rcpt_add(mw_arena *a, mwb_rcpts *set, const char *s,
			     size_t n)
{
	const char *addr = mwb_addr_norm(a, s, n);
	return addr ? mwb_rcpt_add_addr(a, set, addr) : NULL;
}

/* "5.0.0", "4.0.0": the class alone, which a diagnostic often refines. */
static bool status_is_class_only(const char *st)
{
	return st && strlen(st) == 5 && strcmp(st + 1, ".0.0") == 0;
}

static const char *better_status(const char *have, const char *other)
{
	if (!have)
		return other;
	if (other && status_is_class_only(have) && have[0] == other[0] &&
	    !status_is_class_only(other))
		return other;
	return have;
}

void mwb_rcpt_merge(mw_bounce_rcpt *dst, const mw_bounce_rcpt *src)
{
	dst->status = better_status(dst->status, src->status);
	if (!dst->reply_code)
		dst->reply_code = src->reply_code;
	if (!dst->action)
		dst->action = src->action;
	if (!dst->diagnostic)
		dst->diagnostic = src->diagnostic;
}

void mwb_rcpt_codes_from_diagnostic(mw_arena *a, mw_bounce_rcpt *r)
{
	if (!r->diagnostic)
		return;
	size_t n = strlen(r->diagnostic);
	if (!r->reply_code)
		r->reply_code = mwb_reply_code_find(a, r->diagnostic, n);
	if (!r->status || status_is_class_only(r->status))
		r->status = better_status(r->status,
					  mwb_status_find(a, r->diagnostic, n));
}

/* A digit run of 1..max digits at s[i]; its length or 0. */
static size_t digits_at(const char *s, size_t n, size_t i, size_t max)
{
	size_t k = 0;
	while (i + k < n && mw_is_digit((unsigned char)s[i + k]))
		k++;
	return (k >= 1 && k <= max) ? k : 0;
}

/* No digit or dot-and-digit glued to a code's ends: "192.5.1.1" and
 * "5.1.1.1" are addresses, not codes. */
static bool code_left_ok(const char *s, size_t i)
{
	if (i == 0)
		return true;
	unsigned char c = (unsigned char)s[i - 1];
	return !mw_is_alnum(c) && c != '.' && c != '-' && c != '_';
}

static bool code_right_ok(const char *s, size_t n, size_t j)
{
	if (j >= n)
		return true;
	unsigned char c = (unsigned char)s[j];
	if (mw_is_alnum(c) || c == '_')
		return false;
	if (c == '.' && j + 1 < n && mw_is_digit((unsigned char)s[j + 1]))
		return false;
	return true;
}

const char *mwb_status_find(mw_arena *a, const char *s, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		char c = s[i];
		if ((c != '2' && c != '4' && c != '5') || s[i + 1] != '.' ||
		    !code_left_ok(s, i))
			continue;
		size_t k1 = digits_at(s, n, i + 2, 3);
		if (!k1 || i + 2 + k1 >= n || s[i + 2 + k1] != '.')
			continue;
		size_t k2 = digits_at(s, n, i + 3 + k1, 3);
		if (!k2)
			continue;
		size_t end = i + 3 + k1 + k2;
		if (!code_right_ok(s, n, end))
			continue;
		return mw_arena_strndup(a, s + i, end - i);
	}
	return NULL;
}

const char *mwb_reply_code_find(mw_arena *a, const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		char c = s[i];
		if (c != '2' && c != '4' && c != '5')
			continue;
		if (s[i + 1] < '0' || s[i + 1] > '5' ||
		    !mw_is_digit((unsigned char)s[i + 2]))
			continue;
		if (!code_left_ok(s, i) || !code_right_ok(s, n, i + 3))
			continue;
		/* "5.1.1" never starts here (s[i+1] is a digit); a code is
		 * followed by a space, '-' (continued reply) or the end. */
		if (i + 3 < n && !mw_is_space((unsigned char)s[i + 3]) &&
		    s[i + 3] != '-' && s[i + 3] != ')' && s[i + 3] != ']' &&
		    s[i + 3] != ',' && s[i + 3] != ':' && s[i + 3] != ';' &&
		    s[i + 3] != '"' && s[i + 3] != '\'')
			continue;
		return mw_arena_strndup(a, s + i, 3);
	}
	return NULL;
}

/* Fold white space and control characters to single spaces, trimmed. */
static size_t fold_into(char *dst, const char *s, size_t n)
{
	size_t o = 0;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = o > 0;
			continue;
		}
		if (space) {
			dst[o++] = ' ';
			space = false;
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return o;
}

static bool needs_decoding(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || c == 0x1b)
			return true;
		if (c == '=' && i + 1 < n && s[i + 1] == '?')
			return true;
	}
	return false;
}

const char *mwb_text_fold(mw_arena *a, const char *s, size_t n, size_t max,
			  const char *fallback_charset)
{
	if (!s || n == 0)
		return NULL;
	/* Folding only shrinks, and decoding at most triples: four times
	 * the cap of input is all that can reach the output. */
	if (n > max * 4)
		n = max * 4;
	char *buf = mw_arena_alloc(a, n + 1);
	if (!buf)
		return NULL;
	/* ISO-2022-JP needs its ESC bytes: decode before folding then. */
	size_t len;
	char *out = buf;
	if (needs_decoding(s, n)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\0' || buf[i] == '\r' ||
			    buf[i] == '\n' || buf[i] == '\t')
				buf[i] = ' ';
		char *dec = mw_header_decode(a, buf, n, fallback_charset);
		if (!dec)
			return NULL;
		size_t dn = strlen(dec);
		len = fold_into(dec, dec, dn);
		out = dec;
	} else {
		len = fold_into(buf, s, n);
	}
	if (len == 0)
		return NULL;
	if (len > max) {
		size_t cut = max;
		while (cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80)
			cut--;
		out[cut] = '\0';
		while (cut > 0 && out[cut - 1] == ' ')
			out[--cut] = '\0';
		if (cut == 0)
			return NULL;
	}
	return out;
}
