/*
 * notice_clean.c - outside values made fit for a notice: cleaned, cut,
 * quoted; times in UTC and JST; country names in both languages.
 *
 * A notice is read by someone who may have just lost their password, so
 * nothing in it may look like something we did not write: a device id or
 * an ASN's name could carry line breaks ("\r\n\r\nPlease reply with your
 * password"), right-to-left overrides that turn text around, or
 * zero-width characters. They all become a visible '?'.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "guard/notice_int.h"

/* The length of the UTF-8 character at p (1..4) and its code point, or 0
 * when p does not start a valid, shortest-form character. Stops at a NUL,
 * which is never a continuation byte. */
static size_t utf8_char(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* no overlong forms */
		if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F; /* nothing past U+10FFFF */
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		unsigned char d = p[i];
		if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xBF))
			return 0;
		v = (v << 6) | (d & 0x3F);
	}
	*cp = v;
	return n;
}

/* Characters that show nothing or reorder what follows: C0 and C1
 * controls, DEL, zero-width spaces and joiners, bidi marks, embeddings,
 * overrides and isolates, word joiners, the BOM. */
static bool invisible(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
	       (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x2028 && cp <= 0x202E) ||
	       (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
}

void mw_notice_clean(const char *in, const char *dflt, char *out, size_t outsz)
{
	static const char cut_mark[] = "…";
	if (outsz < sizeof cut_mark) {
		if (outsz)
			out[0] = '\0';
		return;
	}
	if (!in || !in[0]) {
		snprintf(out, outsz, "%s", dflt ? dflt : "");
		return;
	}
	/* What may be written before the mark and the NUL. */
	size_t room = outsz > sizeof cut_mark ? outsz - sizeof cut_mark : 0;
	if (room > MW_NOTICE_FIELD_MAX)
		room = MW_NOTICE_FIELD_MAX;
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	while (*p) {
		uint32_t cp = 0;
		size_t k = utf8_char(p, &cp);
		const char *rep = NULL;
		size_t rn = k;
		if (!k) {
			rep = "?";
			rn = 1;
			k = 1;
		} else if (cp == '\t') {
			rep = " ";
			rn = 1;
		} else if (invisible(cp)) {
			rep = "?";
			rn = 1;
		}
		if (o + rn > room) {
			memcpy(out + o, cut_mark, sizeof cut_mark);
			return;
		}
		memcpy(out + o, rep ? rep : (const char *)p, rn);
		o += rn;
		p += k;
	}
	out[o] = '\0';
}

bool mw_notice_visible(const char *s, size_t max)
{
	if (!s || !s[0])
		return false;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	while (*p) {
		uint32_t cp = 0;
		size_t k = utf8_char(p, &cp);
		if (!k || cp == ' ' || invisible(cp))
			return false;
		n += k;
		if (n > max)
			return false;
		p += k;
	}
	return true;
}

void mw_notice_time(time_t t, bool jst, char *out, size_t outsz)
{
	/* 9999-12-31 23:59:59 UTC: past it a time is a bug or an attack,
	 * and shifting it could overflow */
	const time_t last = (time_t)253402300799;
	struct tm tm;
	if (t <= 0 || t > last) {
		snprintf(out, outsz, "-");
		return;
	}
	time_t shifted = t + (jst ? MW_NOTICE_JST_OFFSET : 0);
	if (!gmtime_r(&shifted, &tm)) {
		snprintf(out, outsz, "-");
		return;
	}
	snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 jst ? "JST" : "UTC");
}

/* -- countries -------------------------------------------------------- */

typedef struct country {
	char code[3];
	const char *ja;
	const char *en;
} country;

/* Where our users are, and where attacks on mail accounts come from
 * most: enough for most alerts; the rest show their ISO 3166 code. */
static const country countries[] = {
    {"JP", "日本", "Japan"},
    {"US", "アメリカ合衆国", "United States"},
    {"CN", "中国", "China"},
    {"RU", "ロシア", "Russia"},
    {"BR", "ブラジル", "Brazil"},
    {"KR", "韓国", "South Korea"},
    {"KP", "北朝鮮", "North Korea"},
    {"TW", "台湾", "Taiwan"},
    {"HK", "香港", "Hong Kong"},
    {"DE", "ドイツ", "Germany"},
    {"FR", "フランス", "France"},
    {"GB", "イギリス", "United Kingdom"},
    {"NL", "オランダ", "Netherlands"},
    {"IT", "イタリア", "Italy"},
    {"ES", "スペイン", "Spain"},
    {"PL", "ポーランド", "Poland"},
    {"RO", "ルーマニア", "Romania"},
    {"UA", "ウクライナ", "Ukraine"},
    {"SE", "スウェーデン", "Sweden"},
    {"TR", "トルコ", "Turkey"},
    {"IR", "イラン", "Iran"},
    {"IN", "インド", "India"},
    {"PK", "パキスタン", "Pakistan"},
    {"BD", "バングラデシュ", "Bangladesh"},
    {"VN", "ベトナム", "Vietnam"},
    {"TH", "タイ", "Thailand"},
    {"PH", "フィリピン", "Philippines"},
    {"ID", "インドネシア", "Indonesia"},
    {"MY", "マレーシア", "Malaysia"},
    {"SG", "シンガポール", "Singapore"},
    {"AU", "オーストラリア", "Australia"},
    {"CA", "カナダ", "Canada"},
    {"MX", "メキシコ", "Mexico"},
    {"AR", "アルゼンチン", "Argentina"},
    {"CO", "コロンビア", "Colombia"},
    {"NG", "ナイジェリア", "Nigeria"},
    {"ZA", "南アフリカ", "South Africa"},
    {"EG", "エジプト", "Egypt"},
};

static bool ascii_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

void mw_notice_country(const char *code, bool ja, char *out, size_t outsz)
{
	if (!code || !code[0]) {
		snprintf(out, outsz, "%s", ja ? "国は不明" : "country unknown");
		return;
	}
	if (!ascii_alpha(code[0]) || !ascii_alpha(code[1]) || code[2]) {
		/* not an ISO code: shown as given, cleaned */
		mw_notice_clean(code, "", out, outsz);
		return;
	}
	char cc[3] = {ascii_upper(code[0]), ascii_upper(code[1]), '\0'};
	for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++) {
		if (!memcmp(countries[i].code, cc, 2)) {
			snprintf(out, outsz, "%s (%s)",
				 ja ? countries[i].ja : countries[i].en, cc);
			return;
		}
	}
	snprintf(out, outsz, "%s", cc);
}

/* -- the admin's command line ----------------------------------------- */

static bool shell_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '@' || c == '.' || c == '_' ||
	       c == '+' || c == '=' || c == '-';
}

mw_status mw_notice_shell_quote(const char *s, char *out, size_t outsz)
{
	bool plain = s[0] != '\0';
	size_t n = 0;
	for (; s[n]; n++)
		if (!shell_plain((unsigned char)s[n]))
			plain = false;
	if (plain) {
		if (n >= outsz)
			return MW_ETOOBIG;
		memcpy(out, s, n + 1);
		return MW_OK;
	}
	/* '...' with each ' written as '\'' */
	size_t o = 0;
	if (outsz < 3)
		return MW_ETOOBIG;
	out[o++] = '\'';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'') {
			if (o + 4 >= outsz)
				return MW_ETOOBIG;
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			if (o + 1 >= outsz)
				return MW_ETOOBIG;
			out[o++] = s[i];
		}
	}
	if (o + 2 > outsz)
		return MW_ETOOBIG;
	out[o++] = '\'';
	out[o] = '\0';
	return MW_OK;
}
