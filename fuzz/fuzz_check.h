/*
 * fuzz_check.h - what every fuzz target shares: the arena it parses into
 * and the contract checks it applies to results.
 *
 * Contract: a fuzz target crashes (abort) not only on a memory error but
 * when a parser breaks a promise its header makes: a string that is not
 * NUL-terminated, text "decoded to UTF-8" that is not valid UTF-8, a count
 * past its limit. The checks here are written independently of the
 * library (no call into src/mail/charset.c) so that a bug there cannot
 * hide itself.
 */
#ifndef MW_FUZZ_CHECK_H
#define MW_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each input gets a fresh arena with this cap: big enough for anything
 * libFuzzer generates, small enough that a blow-up shows as a refusal. */
#define FUZZ_ARENA_MAX ((size_t)64 * 1024 * 1024)

/* Cap of the buffers that decoded bodies go into. */
#define FUZZ_BUF_MAX ((size_t)4 * 1024 * 1024)

#define FUZZ_REQUIRE(cond)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: contract broken: %s\n",        \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/* Is s[0..n) well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
static inline bool fuzz_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t len;
		unsigned min;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* A string the library returned: reading it to its NUL must be safe (ASan
 * says so if not) and it must be valid UTF-8 where the contract says so. */
static inline size_t fuzz_touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static inline void fuzz_require_utf8(const char *s)
{
	if (s)
		FUZZ_REQUIRE(fuzz_utf8_valid(s, strlen(s)));
}

/* No ASCII upper-case letter in s (for values the contract lower-cases). */
static inline bool fuzz_no_upper(const char *s)
{
	for (; s && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return false;
	return true;
}

#endif
