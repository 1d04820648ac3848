/* str.c - slices, ASCII helpers and line iteration. */
#include "lib/str.h"

#include <string.h>

mw_str mw_str_from_cstr(const char *s)
{
	return (mw_str){s, s ? strlen(s) : 0};
}

int mw_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = mw_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

mw_str mw_str_trim(mw_str s)
{
	while (s.n && mw_is_space((unsigned char)s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && mw_is_space((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

bool mw_str_eq(mw_str a, mw_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool mw_str_ieq(mw_str a, mw_str b)
{
	if (a.n != b.n)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (mw_lower((unsigned char)a.p[i]) !=
		    mw_lower((unsigned char)b.p[i]))
			return false;
	return true;
}

bool mw_str_ieq_cstr(mw_str a, const char *b)
{
	return mw_str_ieq(a, mw_str_from_cstr(b));
}

bool mw_str_istarts(mw_str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.n >= n &&
	       mw_str_ieq(mw_str_make(s.p, n), mw_str_make(prefix, n));
}

/*
 * Case-insensitive search: memchr for each case of the needle's first byte,
 * then compare. Each case's next hit is remembered and only searched again
 * once passed, so the scans together cross the haystack once per case:
 * linear in the haystack for the short needles (markers, keywords) the
 * parsers look for, even when one case is frequent and the other absent.
 */
static const char *next_hit(const char *from, const char *end, unsigned char c,
			    const char *cached)
{
	if (cached == end || (cached && cached >= from))
		return cached;
	const char *hit = memchr(from, c, (size_t)(end - from));
	return hit ? hit : end;
}

long mw_str_ifind(mw_str hay, const char *needle)
{
	size_t m = strlen(needle);
	if (m == 0)
		return 0;
	if (m > hay.n)
		return -1;
	unsigned char lo = mw_lower((unsigned char)needle[0]);
	unsigned char up =
	    (lo >= 'a' && lo <= 'z') ? (unsigned char)(lo - 32) : lo;
	mw_str rest = mw_str_make(needle + 1, m - 1);
	const char *from = hay.p;
	const char *end = hay.p + (hay.n - m) + 1; /* last start + 1 */
	const char *hit_lo = NULL, *hit_up = NULL;
	while (from < end) {
		hit_lo = next_hit(from, end, lo, hit_lo);
		hit_up = lo == up ? end : next_hit(from, end, up, hit_up);
		const char *hit = hit_lo < hit_up ? hit_lo : hit_up;
		if (hit == end)
			return -1;
		if (mw_str_ieq(mw_str_make(hit + 1, m - 1), rest))
			return (long)(hit - hay.p);
		from = hit + 1;
	}
	return -1;
}

long mw_str_find(mw_str hay, mw_str needle)
{
	if (needle.n == 0)
		return 0;
	if (hay.n < needle.n) /* also keeps a NULL empty slice from memmem */
		return -1;
	const char *hit = memmem(hay.p, hay.n, needle.p, needle.n);
	return hit ? (long)(hit - hay.p) : -1;
}

const char *mw_cstr_ifind(const char *hay, const char *needle)
{
	long off = mw_str_ifind(mw_str_from_cstr(hay), needle);
	return off < 0 ? NULL : hay + off;
}

void mw_ascii_lower(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)mw_lower((unsigned char)s[i]);
}

/*
 * The line ends at the first CR or LF. Searching for LF over the whole rest
 * of the text before looking for CR would rescan a bare-CR text on every
 * line (quadratic), so both are searched chunk by chunk: each byte is looked
 * at by at most two memchr() calls, and memchr() keeps its speed on the
 * short lines of mail.
 */
#define LINE_SCAN_CHUNK 256

bool mw_line_next(mw_str text, size_t *pos, mw_str *line)
{
	size_t at = *pos;
	if (at >= text.n)
		return false;
	const char *p = text.p + at, *end = text.p + text.n, *eol = end;
	while (p < end) {
		size_t chunk = (size_t)(end - p) < LINE_SCAN_CHUNK
				       ? (size_t)(end - p)
				       : LINE_SCAN_CHUNK;
		const char *lf = memchr(p, '\n', chunk);
		const char *cr = memchr(p, '\r', lf ? (size_t)(lf - p) : chunk);
		if (cr || lf) {
			eol = cr ? cr : lf;
			break;
		}
		p += chunk;
	}
	line->p = text.p + at;
	line->n = (size_t)(eol - line->p);
	size_t i = at + line->n;
	if (i < text.n && text.p[i] == '\r')
		i++;
	if (i < text.n && text.p[i] == '\n' &&
	    (i == at + line->n || text.p[i - 1] == '\r'))
		i++;
	*pos = i;
	return true;
}
