/*
 * charset_jis.h - ISO-2022-JP re-encoded as EUC-JP (internal to charset.c).
 *
 * Contract: the escape sequences of ISO-2022-JP and its Windows and phone
 * variants (CP50220-CP50222: JIS X 0208 and 0212, half-width kana by
 * "ESC ( I", by SO/SI, or as raw 8-bit bytes) are turned into the EUC-JP
 * byte form of the same characters, which glibc's eucJP-ms converter then
 * maps as CP50221 would. Bytes that fit no set come out as 0xFF, which is
 * invalid in EUC-JP and so becomes U+FFFD downstream. Line ends reset the
 * state to ASCII, as RFC 1468 requires of the sender.
 */
#ifndef MW_MAIL_CHARSET_JIS_H
#define MW_MAIL_CHARSET_JIS_H

#include <stddef.h>

typedef enum mw_jis_set {
	MW_JIS_ASCII,
	MW_JIS_X0208,
	MW_JIS_KANA,
	MW_JIS_X0212
} mw_jis_set;

typedef struct mw_jis_state {
	mw_jis_set set;
} mw_jis_state;

void mw_jis_init(mw_jis_state *js);

/* Re-encode from in[*pos..n) into out[0..outsize) (outsize >= 4), whole
 * characters only; advances *pos and returns the bytes written. Stops when
 * out is nearly full or the input ends. */
size_t mw_jis_to_euc(mw_jis_state *js, const char *in, size_t n, size_t *pos,
		     char *out, size_t outsize);

#endif
