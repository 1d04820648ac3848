/*
 * charset_jis.c - ISO-2022-JP (and the CP5022x variants) to EUC-JP bytes.
 *
 * The re-encoding is mechanical: a JIS X 0208 pair gets the high bit set on
 * both bytes, a JIS X 0212 pair is prefixed by SS3 (0x8F), a half-width
 * kana by SS2 (0x8E). Doing this ourselves rather than through glibc's
 * ISO-2022-JP is what lets NEC and IBM extensions through (see charset.c).
 */
#include "mail/charset_jis.h"

#define JIS_ESC 0x1B
#define JIS_SO 0x0E
#define JIS_SI 0x0F
#define EUC_SS2 0x8E
#define EUC_SS3 0x8F
#define EUC_INVALID 0xFF

void mw_jis_init(mw_jis_state *js)
{
	js->set = MW_JIS_ASCII;
}

static int jis_graphic(unsigned char c)
{
	return c >= 0x21 && c <= 0x7E;
}

/* The designation at p[0..n) (p[0] is ESC): its length, with *set updated,
 * or 0 if it is not one we know. */
static size_t jis_escape(const unsigned char *p, size_t n, mw_jis_set *set)
{
	if (n >= 3 && p[1] == '(') {
		switch (p[2]) {
		case 'B': /* ASCII */
		case 'J': /* JIS X 0201 Roman: read as ASCII, as everyone does
			   */
		case 'H':
			*set = MW_JIS_ASCII;
			return 3;
		case 'I':
			*set = MW_JIS_KANA;
			return 3;
		}
		return 0;
	}
	if (n >= 3 && p[1] == '$' && (p[2] == 'B' || p[2] == '@')) {
		*set = MW_JIS_X0208;
		return 3;
	}
	if (n >= 4 && p[1] == '$' && p[2] == '(') {
		switch (p[3]) {
		case 'B':
		case '@':
		case 'O': /* JIS X 0213 plane 1: a superset of X 0208 */
		case 'Q':
			*set = MW_JIS_X0208;
			return 4;
		case 'D':
			*set = MW_JIS_X0212;
			return 4;
		}
		return 0;
	}
	if (n >= 3 && p[1] == '&' && p[2] == '@')
		return 3; /* JIS X 0208-1990 announcer: nothing changes */
	return 0;
}

size_t mw_jis_to_euc(mw_jis_state *js, const char *in, size_t n, size_t *pos,
		     char *out, size_t outsize)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *o = (unsigned char *)out;
	size_t i = *pos, k = 0;

	while (i < n && outsize - k >= 3) {
		unsigned char c = p[i];

		if (c == JIS_ESC) {
			size_t len = jis_escape(p + i, n - i, &js->set);
			if (len > 0) {
				i += len;
				continue;
			}
			o[k++] = EUC_INVALID;
			i++;
		} else if (c == JIS_SO || c == JIS_SI) {
			js->set = (c == JIS_SO) ? MW_JIS_KANA : MW_JIS_ASCII;
			i++;
		} else if (c == '\r' || c == '\n') {
			js->set = MW_JIS_ASCII;
			o[k++] = c;
			i++;
		} else if (c >= 0xA1 && c <= 0xDF) {
			/* CP50222's 8-bit half-width kana. */
			o[k++] = EUC_SS2;
			o[k++] = c;
			i++;
		} else if (c >= 0x80) {
			o[k++] = EUC_INVALID;
			i++;
		} else if (!jis_graphic(c) || js->set == MW_JIS_ASCII) {
			o[k++] = c; /* controls and space in any set */
			i++;
		} else if (js->set == MW_JIS_KANA) {
			if (c <= 0x5F) {
				o[k++] = EUC_SS2;
				o[k++] = (unsigned char)(c | 0x80);
			} else {
				o[k++] = EUC_INVALID;
			}
			i++;
		} else if (i + 1 < n && jis_graphic(p[i + 1])) {
			if (js->set == MW_JIS_X0212)
				o[k++] = EUC_SS3;
			o[k++] = (unsigned char)(c | 0x80);
			o[k++] = (unsigned char)(p[i + 1] | 0x80);
			i += 2;
		} else {
			o[k++] = EUC_INVALID; /* half a double-byte character */
			i++;
		}
	}
	*pos = i;
	return k;
}
