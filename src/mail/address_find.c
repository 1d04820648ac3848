/*
 * address_find.c - addresses in free text, and the plausibility check.
 *
 * Diagnostics and bounce bodies mention addresses in prose, in <>, in
 * quotes, against Japanese brackets. The finder looks for an '@' and grows
 * the address outwards from it by character class, so it is one pass over
 * the text whatever the text holds.
 */
#include "mail/address.h"

#include <string.h>

#include "lib/limits.h"
#include "lib/str.h"
#include "mail/address_int.h"

/* -- free text ---------------------------------------------------------- */

/* Free text is ASCII around the address: a Japanese bracket or word
 * written against it must not become part of it, so 8-bit bytes end the
 * local part and (outside <>) the domain. */
static bool is_find_local_char(unsigned char c)
{
	return c < 0x80 && mw_address_atext(c) && c != '\'' && c != '`';
}

static bool is_find_domain_char(unsigned char c)
{
	return mw_is_alnum(c) || c == '-' || c == '.' || c == '_';
}

/* Start of the local part that ends at the '@' at k, or k when none. */
static size_t find_local_start(const char *t, size_t k)
{
	size_t b = k;

	if (k > 0 && t[k - 1] == '"') {
		/* "\"john smith\"@example.com", on one line */
		for (size_t j = k - 1; j > 0 && k - j <= MW_ADDRESS_LOCAL_MAX;
		     j--) {
			/* One line, and no control bytes: a NUL inside
			 * would cut the returned string short. */
			unsigned char c = (unsigned char)t[j - 1];
			if (c < 0x20 && c != '\t')
				break;
			if (t[j - 1] == '"')
				return j - 1 + 1 < k - 1 ? j - 1 : k;
		}
		return k;
	}
	while (b > 0 && k - b < MW_ADDRESS_LOCAL_MAX &&
	       (is_find_local_char((unsigned char)t[b - 1]) || t[b - 1] == '.'))
		b--;
	if (b > 0 && k - b >= MW_ADDRESS_LOCAL_MAX &&
	    is_find_local_char((unsigned char)t[b - 1]))
		return k; /* longer than any local part */
	while (b < k && t[b] == '.')
		b++;
	return b;
}

/* End of the domain that starts after the '@' at k. */
static size_t find_domain_end(const char *t, size_t n, size_t k, bool angled)
{
	size_t e = k + 1;

	if (e < n && t[e] == '[') {
		for (size_t j = e + 1; j < n && j - e < 64; j++)
			if (t[j] == ']')
				return j + 1;
		return e;
	}
	while (e < n && e - k - 1 < MW_ADDRESS_DOMAIN_MAX &&
	       (is_find_domain_char((unsigned char)t[e]) ||
		(angled && (unsigned char)t[e] >= 0x80)))
		e++;
	while (e > k + 1 && (t[e - 1] == '.' || t[e - 1] == '-'))
		e--;
	return e;
}

static bool domain_is_dotted(const char *d, size_t n)
{
	const char *dot = memchr(d, '.', n);
	return (n > 2 && d[0] == '[') || (dot && dot > d && dot < d + n - 1);
}

char *mw_address_find(mw_arena *a, const char *text, size_t n, size_t *end)
{
	size_t p = 0;

	if (!text)
		return NULL;
	while (p < n) {
		const char *atp = memchr(text + p, '@', n - p);
		if (!atp)
			break;
		size_t k = (size_t)(atp - text);
		size_t b = find_local_start(text, k);
		bool angled = b > 0 && text[b - 1] == '<';
		size_t e = find_domain_end(text, n, k, angled);
		bool closed = angled && e < n && text[e] == '>';
		size_t dn = e - k - 1;
		p = k + 1;
		if (b == k || dn == 0)
			continue;
		if (!domain_is_dotted(text + k + 1, dn) && !closed)
			continue;
		if (angled && !closed) {
			/* 8-bit bytes were taken only to reach a '>' */
			e = find_domain_end(text, n, k, false);
			dn = e - k - 1;
			if (dn == 0 || !domain_is_dotted(text + k + 1, dn))
				continue;
		}
		char *r = mw_arena_alloc(a, e - b + 1);
		if (!r)
			return NULL;
		memcpy(r, text + b, k - b + 1);
		for (size_t j = k + 1; j < e; j++)
			r[j - b] = (char)mw_lower((unsigned char)text[j]);
		r[e - b] = '\0';
		if (!strncmp(r + (k - b) + 1, "[ipv6:", 6))
			memcpy(r + (k - b) + 2, "IPv6", 4);
		if (end)
			*end = e;
		return r;
	}
	return NULL;
}

/* -- validity ------------------------------------------------------------ */

static bool valid_quoted_local(const char *s, size_t n)
{
	if (n < 3 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (size_t k = 1; k + 1 < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c == '\\') {
			if (++k + 1 >= n)
				return false;
		} else if (c == '"' || c < 0x20 || c == 0x7f) {
			return false;
		}
	}
	return true;
}

static bool valid_unquoted_local(const char *s, size_t n)
{
	/* Consecutive and trailing dots are kept: Japanese mobile carriers
	 * issued such addresses ("taro..@docomo.ne.jp") and they work. */
	if (n == 0 || s[0] == '.')
		return false;
	for (size_t k = 0; k < n; k++)
		if (s[k] != '.' && !mw_address_atext((unsigned char)s[k]))
			return false;
	return true;
}

static bool valid_dotted_domain(const char *d, size_t n)
{
	size_t label = 0;
	bool dot = false;

	if (n == 0 || n > MW_ADDRESS_DOMAIN_MAX)
		return false;
	if (d[0] == '[')
		return n > 2 && d[n - 1] == ']' && !memchr(d + 1, '[', n - 2) &&
		       !memchr(d + 1, ']', n - 2) && !memchr(d, ' ', n);
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)d[k];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			dot = true;
		} else if (mw_is_alnum(c) || c == '-' || c == '_' ||
			   c >= 0x80) {
			label++;
		} else {
			return false;
		}
	}
	return dot && label > 0;
}

bool mw_address_is_valid(const char *s, size_t n)
{
	if (!s || n == 0 || n > MW_ADDRESS_MAX)
		return false;
	size_t at = mw_address_split_at(s, n);
	if (at == n || at == 0 || at > MW_ADDRESS_LOCAL_MAX)
		return false;
	if (s[0] == '"' ? !valid_quoted_local(s, at)
			: !valid_unquoted_local(s, at))
		return false;
	return valid_dotted_domain(s + at + 1, n - at - 1);
}
