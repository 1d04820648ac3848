/*
 * codec.h - the transfer encodings: base64 and quoted-printable.
 *
 * Contract: decoding never fails on input. Base64 skips characters outside
 * its alphabet (line breaks, spaces, junk), stops at the first '=' pad of a
 * quantum and decodes a final partial quantum as far as it carries whole
 * bytes. Quoted-printable decodes "=XX" (either case), drops soft line
 * breaks ("=" at line end, with trailing white space), keeps a malformed
 * "=" literally, and turns any line ending into CRLF-free "\n". With
 * header_q set it is RFC 2047's Q encoding instead: '_' is a space and
 * there are no line breaks. Output goes to a capped mw_buf: MW_ETOOBIG when
 * it filled (what fitted is kept).
 */
#ifndef MW_MAIL_CODEC_H
#define MW_MAIL_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

mw_status mw_base64_decode(const char *in, size_t n, mw_buf *out);
mw_status mw_qp_decode(const char *in, size_t n, bool header_q, mw_buf *out);

#endif
