/*
 * charset.h - conversion of text in any declared charset to UTF-8.
 *
 * Contract: conversion never fails. Bytes that are invalid in the declared
 * charset, and text in a charset iconv does not know, come out as U+FFFD
 * (one per undecodable run), and conversion goes on after them. Charset
 * names are matched case-insensitively with their common aliases
 * ("x-sjis", "cp932", "ks_c_5601-1987", "utf8", "unicode-1-1-utf-7" ...).
 * ISO-2022-JP is decoded as its superset CP50221 so that the half-width
 * kana and NEC extensions that Japanese phones send survive. Text labelled
 * ISO-2022-JP that has 8-bit bytes and no escape sequence is mislabelled
 * (the charset is 7-bit): it is read as whatever the bytes are, UTF-8,
 * Shift_JIS or EUC-JP (mw_charset_guess_japanese).
 * Output is appended to a capped mw_buf; MW_ETOOBIG when it filled.
 */
#ifndef MW_MAIL_CHARSET_H
#define MW_MAIL_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* Append the UTF-8 form of in[0..n), read as `charset` (NULL or "" means
 * US-ASCII, read leniently as UTF-8 when it holds 8-bit bytes). */
mw_status mw_charset_to_utf8(const char *charset, const char *in, size_t n,
			     mw_buf *out);

/* Append in[0..n) with every invalid UTF-8 sequence replaced by U+FFFD. */
mw_status mw_utf8_sanitize(const char *in, size_t n, mw_buf *out);

/* Is in[0..n) valid UTF-8? */
bool mw_utf8_valid(const char *in, size_t n);
/* Length of the valid UTF-8 sequence at p[0..n) (Unicode table 3-7: no
 * overlongs, no surrogates, nothing past U+10FFFF), or 0 if invalid; n
 * must be at least 1. */
size_t mw_utf8_seq_len(const unsigned char *p, size_t n);

/* Which Japanese encoding raw bytes are in: "ISO-2022-JP" when they hold
 * escape sequences, NULL when they are ASCII or valid UTF-8, else
 * "EUC-JP" or "Shift_JIS" by the byte ranges used. For text that comes
 * with no label, or with a label it contradicts. */
const char *mw_charset_guess_japanese(const char *p, size_t n);

/* Release the cached iconv descriptors (at exit; optional). */
void mw_charset_cleanup(void);

#endif
