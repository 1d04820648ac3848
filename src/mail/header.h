/*
 * header.h - RFC 5322 header sections: split, unfold, look up, decode.
 *
 * Contract: mw_headers_parse() reads the header section at the start of
 * msg[0..len), whatever its line endings (CRLF, LF, bare CR), up to the
 * first empty line, and returns its fields in order. Field values are
 * unfolded (the line breaks of folding removed, the white space kept),
 * trimmed at both ends, NUL-terminated and held in the arena; names are
 * kept as written. A line that is neither a field nor a continuation (no
 * colon) ends nothing: it is skipped, as Postfix does, unless it looks like
 * the start of a body (then the section ends there): a line starting with
 * "--" (the MIME boundary of a message that lost its empty line), or text
 * before any field (a MIME part with no headers and no empty line); then
 * has_body stays false and body_offset is that line's offset. A first
 * line "From " (mbox) and a leading UTF-8 BOM are skipped. Bounds: at most
 * MW_HEADER_FIELDS_MAX fields, MW_HEADER_VALUE_MAX bytes of a value and
 * MW_HEADER_SECTION_MAX bytes in all; past any of them `truncated` is set
 * and the fields read so far are kept. NUL bytes in values become spaces.
 *
 * Decoding: mw_header_decode() turns a raw value with RFC 2047 encoded
 * words (B and Q, any charset, adjacent words joined without the white
 * space between them) and raw 8-bit text (taken as UTF-8, else as the
 * fallback charset given) into UTF-8. It never fails: broken words are
 * kept as written, and undecodable bytes become U+FFFD. Adjacent words in
 * one charset are decoded as one byte run, so a character split between
 * them comes out whole. Raw ISO-2022-JP (ESC sequences) is recognised
 * without any declaration. CR, LF and NUL in the result become spaces.
 */
#ifndef MW_MAIL_HEADER_H
#define MW_MAIL_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/status.h"

typedef struct mw_header_field {
	const char *name; /* as written, NUL-terminated (arena) */
	const char *value; /* unfolded, trimmed, NUL-terminated (arena) */
	size_t value_len;
} mw_header_field;

typedef struct mw_headers {
	mw_header_field *fields;
	size_t count;
	size_t body_offset; /* offset in msg of the byte after the empty line
			       (== len when there is no body) */
	bool has_body;      /* an empty line ended the section */
	bool truncated;     /* a bound was hit */
} mw_headers;

/* MW_OK, MW_ETRUNCATED (a bound was hit; out still valid) or MW_ENOMEM. */
mw_status mw_headers_parse(mw_arena *a, const char *msg, size_t len,
			   mw_headers *out);

/* The first field named `name` (case-insensitive), or NULL. */
const mw_header_field *mw_headers_find(const mw_headers *h, const char *name);
/* The value of the first field named `name`, or NULL. */
const char *mw_headers_get(const mw_headers *h, const char *name);
/* The next field named `name` after index *i (start with *i = 0), advancing
 * *i past it; NULL when there are no more. */
const mw_header_field *mw_headers_next(const mw_headers *h, const char *name,
				       size_t *i);

/* Decode RFC 2047 words and 8-bit text of value[0..n) to UTF-8 (arena).
 * fallback_charset (may be NULL) is used for raw 8-bit bytes that are not
 * valid UTF-8: bounces from Japanese carriers often carry raw ISO-2022-JP
 * or Shift_JIS. Returns NULL only when the arena refuses. */
char *mw_header_decode(mw_arena *a, const char *value, size_t n,
		       const char *fallback_charset);

/* The msg-id inside a Message-ID-like value, without <> and white space:
 * "<abc@example.com> (comment)" gives "abc@example.com". Without brackets,
 * the first token holding an '@', or the only token if there is one.
 * NULL if none. */
char *mw_header_msgid(mw_arena *a, const char *value, size_t n);

#endif
