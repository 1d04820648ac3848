/*
 * rfc2047.c - header values to UTF-8: encoded words and raw 8-bit text.
 *
 * Adjacent encoded words (separated by nothing or only white space) in the
 * same charset are decoded into one byte run before conversion, because
 * encoders split words by length, not by character: an ISO-2022-JP or
 * UTF-8 character is often cut between two words, and a B word may even
 * stop in the middle of a base64 quantum, whose leftover characters are
 * carried into the next word.
 *
 * What counts as an encoded word is lenient in the ways real clients are:
 * words need no white space around them ("Re:=?...?="), a '?' may occur in
 * Q text, the charset may carry an RFC 2231 language ("UTF-8*ja"), and
 * words inside quoted strings and comments are decoded too. A word that
 * is broken (base64 text with characters outside the alphabet, an unknown
 * encoding letter, no "?=" before white space) is kept as written.
 */
#include "mail/header.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/str.h"
#include "mail/charset.h"
#include "mail/codec.h"

/* The longest "charset*lang" taken between "=?" and "?"; past it the
 * "=?" is text. The charset alone is bounded by MW_CHARSET_NAME_MAX. */
#define EW_CHARSET_SCAN_MAX (2 * MW_CHARSET_NAME_MAX)

typedef struct ew {
	size_t end;	/* offset after "?=" */
	const char *cs; /* charset (with any "*lang") */
	size_t cs_len;
	char enc; /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
} ew;

typedef struct decoder {
	mw_buf out;  /* the UTF-8 result */
	mw_buf pend; /* decoded bytes of adjacent words, not yet converted */
	char pend_cs[MW_CHARSET_NAME_MAX + 1];
	bool pend_active;
	char carry[4]; /* base64 characters past the last whole quantum */
	size_t carry_n;
	const char *fallback;
	mw_status st; /* first failure of out (the cap): stop */
	/* A text starting in [no_term_from, no_term_to] meets white space or
	 * the end before any "?=": a failed search is not run again for the
	 * later candidates, which keeps "=?x?B?=?x?B?..." linear. */
	bool no_term;
	size_t no_term_from, no_term_to;
} decoder;

/* -- finding encoded words ------------------------------------------- */

static bool ew_charset_char(unsigned char c)
{
	return c > 32 && c < 127 && c != '?';
}

/* The offset of the "?=" ending text that starts at t, or n if the text
 * meets white space or the end first. */
static size_t ew_find_term(decoder *d, const char *v, size_t n, size_t t)
{
	size_t i = t;
	size_t stop = n;

	if (d->no_term) {
		if (t >= d->no_term_from && t <= d->no_term_to)
			return n;
		/* Reaching no_term_from means failing as that search did. */
		if (t < d->no_term_from)
			stop = d->no_term_from;
	}
	for (; i + 1 < n && i < stop; i++) {
		unsigned char c = (unsigned char)v[i];

		if (mw_is_space(c))
			break;
		if (c == '?' && v[i + 1] == '=')
			return i;
	}
	if (stop == n) {
		/* Nothing from t up to the white space (or end) at i. */
		d->no_term = true;
		d->no_term_from = t;
		d->no_term_to = i;
	}
	return n;
}

static bool b64_text_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!mw_is_alnum(c) && c != '+' && c != '/' && c != '=')
			return false;
	}
	return true;
}

/* Parse an encoded word at v[p] (which holds "=?"); false if it is not
 * one or is broken (base64 text with characters outside the alphabet). */
static bool ew_parse(decoder *d, const char *v, size_t n, size_t p, ew *w)
{
	size_t i = p + 2, term;

	while (i < n && i - (p + 2) <= EW_CHARSET_SCAN_MAX &&
	       ew_charset_char((unsigned char)v[i]))
		i++;
	if (i == p + 2 || i + 2 >= n || v[i] != '?' || v[i + 2] != '?')
		return false;
	w->cs = v + p + 2;
	w->cs_len = i - (p + 2);
	w->enc = (char)(mw_lower((unsigned char)v[i + 1]) == 'b'   ? 'B'
			: mw_lower((unsigned char)v[i + 1]) == 'q' ? 'Q'
								   : 0);
	if (w->enc == 0)
		return false;
	w->text = v + i + 3;
	term = ew_find_term(d, v, n, i + 3);
	if (term >= n)
		return false;
	w->text_len = term - (i + 3);
	w->end = term + 2;
	return w->enc == 'Q' || b64_text_ok(w->text, w->text_len);
}

/* -- output ---------------------------------------------------------- */

static void out_append(decoder *d, const char *p, size_t n)
{
	if (d->st == MW_OK)
		d->st = mw_buf_append_some(&d->out, p, n);
}

static bool has_iso2022_escape(const char *p, size_t n)
{
	const char *e = memchr(p, 0x1B, n);

	while (e != NULL) {
		size_t at = (size_t)(e - p);
		if (at + 1 < n && (p[at + 1] == '$' || p[at + 1] == '('))
			return true;
		e = memchr(e + 1, 0x1B, n - at - 1);
	}
	return false;
}

static bool is_ascii(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return false;
	return true;
}

/* Text outside encoded words: UTF-8 if it is, raw ISO-2022-JP (7-bit,
 * from Japanese phones) if it has its escapes, else the fallback. */
static void emit_text(decoder *d, const char *p, size_t n)
{
	if (n == 0 || d->st != MW_OK)
		return;
	if (has_iso2022_escape(p, n))
		d->st = mw_charset_to_utf8("iso-2022-jp", p, n, &d->out);
	else if (is_ascii(p, n) || mw_utf8_valid(p, n))
		out_append(d, p, n);
	else if (d->fallback != NULL && d->fallback[0] != '\0')
		d->st = mw_charset_to_utf8(d->fallback, p, n, &d->out);
	else
		d->st = mw_utf8_sanitize(p, n, &d->out);
}

static void pend_b64(decoder *d, const char *p, size_t n)
{
	mw_status st = mw_base64_decode(p, n, &d->pend);
	if (st != MW_OK && d->st == MW_OK)
		d->st = st;
}

/* Convert the pending run of words and forget it. */
static void pend_flush(decoder *d)
{
	if (!d->pend_active)
		return;
	if (d->carry_n > 0)
		pend_b64(d, d->carry, d->carry_n);
	d->carry_n = 0;
	if (d->st == MW_OK && d->pend.len > 0)
		d->st = mw_charset_to_utf8(d->pend_cs, d->pend.data,
					   d->pend.len, &d->out);
	mw_buf_reset(&d->pend);
	d->pend_active = false;
}

/* The charset of a word lower-cased without its language; names too long
 * to be real become "unknown-8bit", which is read as UTF-8. */
static void ew_charset_key(const ew *w, char *key, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < w->cs_len && w->cs[i] != '*'; i++) {
		if (k + 1 >= size) {
			snprintf(key, size, "%s", "unknown-8bit");
			return;
		}
		key[k++] = (char)mw_lower((unsigned char)w->cs[i]);
	}
	key[k] = '\0';
}

/* Base64 text of a word, continuing a quantum the last word left open.
 * Text with a pad ends its run of quanta; text without one may stop
 * mid-quantum, and its tail waits for the next word or the flush. */
static void ew_add_b64(decoder *d, const char *p, size_t n)
{
	bool padded = memchr(p, '=', n) != NULL;

	while (d->carry_n > 0 && d->carry_n < 4 && n > 0) {
		d->carry[d->carry_n++] = *p++;
		n--;
	}
	if (d->carry_n == 4) {
		pend_b64(d, d->carry, 4);
		d->carry_n = 0;
	}
	if (padded) {
		pend_b64(d, p, n);
		return;
	}
	size_t whole = n - n % 4;
	pend_b64(d, p, whole);
	memcpy(d->carry, p + whole, n - whole);
	d->carry_n = n - whole;
}

/* Add a word to the pending run, starting a new run for a new charset. */
static void ew_add(decoder *d, const ew *w)
{
	char key[MW_CHARSET_NAME_MAX + 1];

	ew_charset_key(w, key, sizeof(key));
	if (d->pend_active && strcmp(key, d->pend_cs) != 0)
		pend_flush(d);
	if (!d->pend_active) {
		snprintf(d->pend_cs, sizeof(d->pend_cs), "%s", key);
		d->pend_active = true;
	}
	if (w->enc == 'B') {
		ew_add_b64(d, w->text, w->text_len);
	} else {
		/* A Q word ends any base64 quantum left open before it. */
		if (d->carry_n > 0)
			pend_b64(d, d->carry, d->carry_n);
		d->carry_n = 0;
		mw_status st =
		    mw_qp_decode(w->text, w->text_len, true, &d->pend);
		if (st != MW_OK && d->st == MW_OK)
			d->st = st;
	}
}

static bool all_wsp(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!mw_is_space((unsigned char)p[i]))
			return false;
	return true;
}

/* Nothing to decode and nothing to sanitize: the value can be copied. */
static bool plain_value(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 0x80 || c == 0x1B || c == 0 || c == '\r' || c == '\n')
			return false;
		if (c == '=' && i + 1 < n && v[i + 1] == '?')
			return false;
	}
	return true;
}

/* A header value holds no line breaks or NULs once decoded: an encoded
 * "=0D=0A" must not forge a line in a log or a report. */
static void blank_controls(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n')
			p[i] = ' ';
}

static void decode_into(decoder *d, const char *v, size_t n)
{
	size_t text_at = 0, i = 0, words = 0;
	bool after_word = false;

	while (i + 1 < n && d->st == MW_OK && words < MW_ENCODED_WORDS_MAX) {
		const char *q = memchr(v + i, '=', n - i - 1);
		ew w;

		if (q == NULL)
			break;
		i = (size_t)(q - v);
		if (v[i + 1] != '?' || !ew_parse(d, v, n, i, &w)) {
			i++;
			continue;
		}
		const char *gap = v + text_at;
		size_t gap_n = i - text_at;
		bool joins = after_word && all_wsp(gap, gap_n);

		if (!joins) {
			pend_flush(d);
			emit_text(d, gap, gap_n);
		}
		ew_add(d, &w);
		after_word = true;
		words++;
		text_at = i = w.end;
	}
	pend_flush(d);
	emit_text(d, v + text_at, n - text_at);
}

char *mw_header_decode(mw_arena *a, const char *value, size_t n,
		       const char *fallback_charset)
{
	decoder d;
	char *res;
	/* Decoding at most triples a byte (one byte, one U+FFFD). */
	size_t cap = n < MW_HEADER_VALUE_MAX ? n : MW_HEADER_VALUE_MAX;

	if (n == 0) /* value may then be NULL */
		return mw_arena_strndup(a, "", 0);
	if (plain_value(value, n))
		return mw_arena_strndup(a, value, n);
	memset(&d, 0, sizeof(d));
	mw_buf_init(&d.out, 3 * cap + 16);
	mw_buf_init(&d.pend, cap + 16);
	d.fallback = fallback_charset;
	decode_into(&d, value, n);
	blank_controls(d.out.data, d.out.len);
	res = mw_arena_strndup(a, mw_buf_cstr(&d.out), d.out.len);
	mw_buf_free(&d.out);
	mw_buf_free(&d.pend);
	return res;
}
