/*
 * str.h - byte slices, ASCII helpers and line iteration.
 *
 * Contract: an mw_str is a view (pointer and length) into memory owned by
 * someone else; it is not NUL-terminated. Every helper here is bounded by
 * the lengths it is given and never reads past them. Character classes are
 * ASCII only and locale-independent: mail syntax is ASCII, and a locale
 * must not change how a header parses.
 *
 * Lines: mail arrives with CRLF, LF or (rarely) bare CR line endings, and
 * every parser uses mw_line_next() so that all three are treated alike.
 */
#ifndef MW_LIB_STR_H
#define MW_LIB_STR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mw_str {
	const char *p;
	size_t n;
} mw_str;

#define MW_STR_LIT(s) ((mw_str){(s), sizeof(s) - 1})

static inline mw_str mw_str_make(const char *p, size_t n)
{
	return (mw_str){p, n};
}
mw_str mw_str_from_cstr(const char *s);

static inline bool mw_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}
static inline bool mw_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}
static inline bool mw_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}
static inline bool mw_is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
static inline bool mw_is_alnum(unsigned char c)
{
	return mw_is_alpha(c) || mw_is_digit(c);
}
static inline bool mw_is_xdigit(unsigned char c)
{
	return mw_is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
static inline unsigned char mw_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}
/* Value of a hex digit, or -1. */
int mw_hexval(unsigned char c);

mw_str mw_str_trim(mw_str s);
bool mw_str_eq(mw_str a, mw_str b);
bool mw_str_ieq(mw_str a, mw_str b);
bool mw_str_ieq_cstr(mw_str a, const char *b);
bool mw_str_istarts(mw_str s, const char *prefix);
/* Offset of the first case-insensitive occurrence of needle, or -1. */
long mw_str_ifind(mw_str hay, const char *needle);
/* Offset of the first occurrence of needle (exact bytes), or -1. */
long mw_str_find(mw_str hay, mw_str needle);
/* Case-insensitive search in a NUL-terminated haystack (bounded by strlen). */
const char *mw_cstr_ifind(const char *hay, const char *needle);
/* Lower-case ASCII letters in place. */
void mw_ascii_lower(char *s, size_t n);

/* Iterate over lines. *pos is the offset of the next line; on return line
 * holds the line without its terminator and *pos moves past it. Returns
 * false at the end. A final line with no terminator is still returned. */
bool mw_line_next(mw_str text, size_t *pos, mw_str *line);

#endif
