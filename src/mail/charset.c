/*
 * charset.c - any declared charset to UTF-8, through glibc iconv.
 *
 * Names go through an alias table first, because mail declares charsets by
 * the names its senders' platforms use ("x-sjis", "ks_c_5601-1987") and
 * because the honest name is often a lie: Shift_JIS mail is CP932, GB2312
 * mail is GBK, ISO-8859-1 mail is windows-1252. ISO-2022-JP is re-encoded
 * here into EUC-JP and converted as eucJP-ms, which gives what Windows'
 * CP50221 gives (glibc has no CP50221, and its ISO-2022-JP refuses the NEC
 * row 13 and half-width kana that phones send).
 *
 * iconv_open() costs a module lookup, so descriptors are kept in a small
 * mutex-guarded pool: a caller takes one out, uses it alone, and puts it
 * back; names iconv refused are remembered so that a flood of encoded
 * words in a bogus charset costs a table scan each, not a lookup.
 */
#include "mail/charset.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/limits.h"
#include "lib/str.h"
#include "mail/charset_jis.h"

/* Descriptors kept open. Mail in one deployment uses a handful of
 * charsets; the pool is a cache, not a bound on input (a miss only costs
 * an iconv_open). */
#define CHARSET_POOL_SLOTS 24

/* Output and re-encoding are staged in stack chunks of this size. */
#define CHARSET_CHUNK 4096

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* -- UTF-8 ----------------------------------------------------------- */

size_t mw_utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (p[k] < 0x80 || p[k] > 0xBF)
			return 0;
	return len;
}

bool mw_utf8_valid(const char *in, size_t n)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t len = mw_utf8_seq_len(p + i, n - i);
		if (len == 0)
			return false;
		i += len;
	}
	return true;
}

/* One U+FFFD stands for a whole run of invalid bytes, as for every other
 * charset here, so that binary junk does not triple in size. */
mw_status mw_utf8_sanitize(const char *in, size_t n, mw_buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, good = 0;
	mw_status st;

	if (n == 0) /* in may then be NULL, as an empty mw_buf's data is */
		return MW_OK;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t len = mw_utf8_seq_len(p + i, n - i);
		if (len > 0) {
			i += len;
			continue;
		}
		st = mw_buf_append_some(out, in + good, i - good);
		if (st != MW_OK)
			return st;
		st = mw_buf_append_some(out, replacement, 3);
		if (st != MW_OK)
			return st;
		while (i < n && p[i] >= 0x80 &&
		       mw_utf8_seq_len(p + i, n - i) == 0)
			i++;
		good = i;
	}
	return mw_buf_append_some(out, in + good, n - good);
}

/* -- names ----------------------------------------------------------- */

typedef enum charset_kind {
	CS_UTF8,     /* valid UTF-8 kept, the rest U+FFFD */
	CS_ICONV,    /* iconv from `iconv_name` */
	CS_ISO2022JP /* re-encoded to EUC-JP, then iconv from eucJP-ms */
} charset_kind;

typedef struct charset_alias {
	const char *name; /* lower case, as declared */
	charset_kind kind;
	const char *iconv_name; /* for CS_ICONV */
} charset_alias;

static const charset_alias aliases[] = {
    /* Undeclared or meaningless: take the bytes as UTF-8 if they are. */
    {"us-ascii", CS_UTF8, NULL},
    {"ascii", CS_UTF8, NULL},
    {"ansi_x3.4-1968", CS_UTF8, NULL},
    {"iso646-us", CS_UTF8, NULL},
    {"unknown-8bit", CS_UTF8, NULL},
    {"x-unknown", CS_UTF8, NULL},
    {"unknown", CS_UTF8, NULL},
    {"default", CS_UTF8, NULL},
    {"8bit", CS_UTF8, NULL},
    {"utf-8", CS_UTF8, NULL},
    {"utf8", CS_UTF8, NULL},
    {"unicode-1-1-utf-8", CS_UTF8, NULL},
    {"x-unicode20utf8", CS_UTF8, NULL},
    /* Japanese. */
    {"iso-2022-jp", CS_ISO2022JP, NULL},
    {"csiso2022jp", CS_ISO2022JP, NULL},
    {"iso-2022-jp-1", CS_ISO2022JP, NULL},
    {"iso-2022-jp-ms", CS_ISO2022JP, NULL},
    {"cp50220", CS_ISO2022JP, NULL},
    {"cp50221", CS_ISO2022JP, NULL},
    {"cp50222", CS_ISO2022JP, NULL},
    {"jis", CS_ISO2022JP, NULL},
    {"shift_jis", CS_ICONV, "CP932"},
    {"shift-jis", CS_ICONV, "CP932"},
    {"x-sjis", CS_ICONV, "CP932"},
    {"sjis", CS_ICONV, "CP932"},
    {"x-shift_jis", CS_ICONV, "CP932"},
    {"ms_kanji", CS_ICONV, "CP932"},
    {"csshiftjis", CS_ICONV, "CP932"},
    {"windows-31j", CS_ICONV, "CP932"},
    {"cp932", CS_ICONV, "CP932"},
    {"ms932", CS_ICONV, "CP932"},
    {"x-ms-cp932", CS_ICONV, "CP932"},
    {"euc-jp", CS_ICONV, "EUCJP-MS"},
    {"eucjp", CS_ICONV, "EUCJP-MS"},
    {"x-euc-jp", CS_ICONV, "EUCJP-MS"},
    {"euc-jp-ms", CS_ICONV, "EUCJP-MS"},
    {"eucjp-ms", CS_ICONV, "EUCJP-MS"},
    {"cp51932", CS_ICONV, "EUCJP-MS"},
    {"cseucpkdfmtjapanese", CS_ICONV, "EUCJP-MS"},
    /* Korean and Chinese: the declared names are subsets in practice. */
    {"ks_c_5601-1987", CS_ICONV, "CP949"},
    {"ks_c_5601", CS_ICONV, "CP949"},
    {"ksc5601", CS_ICONV, "CP949"},
    {"ksc_5601", CS_ICONV, "CP949"},
    {"euc-kr", CS_ICONV, "CP949"},
    {"euckr", CS_ICONV, "CP949"},
    {"cseuckr", CS_ICONV, "CP949"},
    {"korean", CS_ICONV, "CP949"},
    {"windows-949", CS_ICONV, "CP949"},
    {"uhc", CS_ICONV, "CP949"},
    {"gb2312", CS_ICONV, "GB18030"},
    {"csgb2312", CS_ICONV, "GB18030"},
    {"euc-cn", CS_ICONV, "GB18030"},
    {"gbk", CS_ICONV, "GB18030"},
    {"x-gbk", CS_ICONV, "GB18030"},
    {"cp936", CS_ICONV, "GB18030"},
    {"windows-936", CS_ICONV, "GB18030"},
    {"chinese", CS_ICONV, "GB18030"},
    {"big5", CS_ICONV, "BIG5-HKSCS"},
    {"x-x-big5", CS_ICONV, "BIG5-HKSCS"},
    {"cn-big5", CS_ICONV, "BIG5-HKSCS"},
    /* Western: ISO-8859-1 labels are windows-1252 text (WHATWG). */
    {"iso-8859-1", CS_ICONV, "CP1252"},
    {"iso8859-1", CS_ICONV, "CP1252"},
    {"latin1", CS_ICONV, "CP1252"},
    {"l1", CS_ICONV, "CP1252"},
    {"iso_8859-1", CS_ICONV, "CP1252"},
    {"cp819", CS_ICONV, "CP1252"},
    {"windows-1252", CS_ICONV, "CP1252"},
    {"x-cp1252", CS_ICONV, "CP1252"},
    {"utf-7", CS_ICONV, "UTF-7"},
    {"unicode-1-1-utf-7", CS_ICONV, "UTF-7"},
    {"x-unicode-2-0-utf-7", CS_ICONV, "UTF-7"},
    {"csunicode11utf7", CS_ICONV, "UTF-7"},
};

/* Characters a charset name may hold. Anything else ("/" would reach
 * glibc's "//TRANSLIT" suffix parsing) makes the name unknown. */
static bool charset_name_char(unsigned char c)
{
	return mw_is_alnum(c) || c == '-' || c == '_' || c == '.' || c == ':' ||
	       c == '+' || c == '(' || c == ')';
}

/* The lower-cased, trimmed name into buf; false if it is not a usable
 * name. A quoted name and an RFC 2231 "*lang" suffix are tolerated. */
static bool charset_normalize(const char *name, char *buf, size_t bufsize)
{
	mw_str s = mw_str_trim(mw_str_from_cstr(name));
	size_t k = 0;

	if (s.n >= 2 && s.p[0] == '"' && s.p[s.n - 1] == '"')
		s = mw_str_trim(mw_str_make(s.p + 1, s.n - 2));
	for (size_t i = 0; i < s.n && s.p[i] != '*'; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!charset_name_char(c) || k + 1 >= bufsize)
			return false;
		buf[k++] = (char)mw_lower(c);
	}
	buf[k] = '\0';
	return k > 0;
}

static const charset_alias *charset_lookup(const char *lname)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].name, lname) == 0)
			return &aliases[i];
	return NULL;
}

/* -- the descriptor pool --------------------------------------------- */

typedef struct pool_slot {
	char name[MW_CHARSET_NAME_MAX + 1]; /* iconv name; "" = free */
	iconv_t cd;			    /* (iconv_t)-1: iconv refused */
} pool_slot;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pool_slot pool[CHARSET_POOL_SLOTS];
static size_t pool_victim; /* round-robin eviction */

#define CD_NONE ((iconv_t)-1)

static void pool_store_locked(const char *name, iconv_t cd)
{
	size_t i;

	for (i = 0; i < CHARSET_POOL_SLOTS; i++)
		if (pool[i].name[0] == '\0')
			break;
	if (i == CHARSET_POOL_SLOTS) {
		i = pool_victim;
		pool_victim = (pool_victim + 1) % CHARSET_POOL_SLOTS;
		if (pool[i].cd != CD_NONE)
			iconv_close(pool[i].cd);
	}
	snprintf(pool[i].name, sizeof(pool[i].name), "%s", name);
	pool[i].cd = cd;
}

/* A descriptor converting `name` to UTF-8, reset, for this caller alone;
 * CD_NONE if iconv does not know the name. */
static iconv_t pool_take(const char *name)
{
	iconv_t cd = CD_NONE;
	bool known_bad = false;

	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < CHARSET_POOL_SLOTS; i++) {
		if (strcmp(pool[i].name, name) != 0)
			continue;
		if (pool[i].cd == CD_NONE) {
			known_bad = true;
		} else {
			cd = pool[i].cd;
			pool[i].name[0] = '\0';
		}
		break;
	}
	pthread_mutex_unlock(&pool_lock);
	if (known_bad)
		return CD_NONE;
	if (cd != CD_NONE) {
		iconv(cd, NULL, NULL, NULL, NULL);
		return cd;
	}
	cd = iconv_open("UTF-8", name);
	if (cd == CD_NONE) {
		pthread_mutex_lock(&pool_lock);
		pool_store_locked(name, CD_NONE);
		pthread_mutex_unlock(&pool_lock);
	}
	return cd;
}

static void pool_give_back(const char *name, iconv_t cd)
{
	pthread_mutex_lock(&pool_lock);
	pool_store_locked(name, cd);
	pthread_mutex_unlock(&pool_lock);
}

void mw_charset_cleanup(void)
{
	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < CHARSET_POOL_SLOTS; i++) {
		if (pool[i].name[0] != '\0' && pool[i].cd != CD_NONE)
			iconv_close(pool[i].cd);
		pool[i].name[0] = '\0';
		pool[i].cd = CD_NONE;
	}
	pthread_mutex_unlock(&pool_lock);
}

/* -- conversion ------------------------------------------------------ */

typedef struct conv {
	iconv_t cd;
	mw_buf *out;
	size_t n;
	bool in_bad_run; /* a U+FFFD stands for the bytes skipped so far */
	char data[CHARSET_CHUNK];
} conv;

static mw_status conv_flush(conv *c)
{
	mw_status st = MW_OK;

	if (c->n > 0)
		st = mw_buf_append_some(c->out, c->data, c->n);
	c->n = 0;
	return st;
}

static mw_status conv_bad_byte(conv *c)
{
	mw_status st = MW_OK;

	if (c->in_bad_run)
		return MW_OK;
	c->in_bad_run = true;
	if (CHARSET_CHUNK - c->n < 3)
		st = conv_flush(c);
	if (st == MW_OK) {
		memcpy(c->data + c->n, replacement, 3);
		c->n += 3;
	}
	return st;
}

/* Feed in[0..n) through the descriptor. Every pass either consumes input,
 * or skips one byte as invalid, or empties a full chunk, so the loop ends
 * after at most a few passes per input byte. */
static mw_status conv_feed(conv *c, const char *in, size_t n)
{
	char *ip = (char *)(uintptr_t)in; /* iconv's prototype lacks const */
	size_t il = n;
	mw_status st = MW_OK;

	while (il > 0 && st == MW_OK) {
		char *op = c->data + c->n;
		size_t ol = CHARSET_CHUNK - c->n;
		char *ip_before = ip;
		size_t r = iconv(c->cd, &ip, &il, &op, &ol);
		int err = errno;

		c->n = (size_t)(op - c->data);
		if (ip != ip_before)
			c->in_bad_run = false;
		if (r != (size_t)-1)
			break;
		if (err == E2BIG && c->n > 0) {
			st = conv_flush(c);
		} else {
			/* EILSEQ, or EINVAL for a sequence cut by the end; an
			 * E2BIG with an empty chunk cannot happen, and would
			 * otherwise loop. */
			st = conv_bad_byte(c);
			ip++;
			il--;
		}
	}
	return st;
}

/* Let a stateful decoder emit what it holds back at the end. */
static mw_status conv_finish(conv *c)
{
	mw_status st = MW_OK;

	for (int tries = 0; tries < 2; tries++) {
		char *op = c->data + c->n;
		size_t ol = CHARSET_CHUNK - c->n;
		size_t r = iconv(c->cd, NULL, NULL, &op, &ol);

		c->n = (size_t)(op - c->data);
		if (r != (size_t)-1 || errno != E2BIG)
			break;
		if ((st = conv_flush(c)) != MW_OK)
			return st;
	}
	return conv_flush(c);
}

/* ISO-2022-JP re-encoded a chunk at a time into EUC-JP, then converted. */
static mw_status conv_iso2022jp(conv *c, const char *in, size_t n)
{
	mw_jis_state js;
	char euc[CHARSET_CHUNK];
	size_t pos = 0;
	mw_status st = MW_OK;

	mw_jis_init(&js);
	while (pos < n && st == MW_OK) {
		size_t len = mw_jis_to_euc(&js, in, n, &pos, euc, sizeof(euc));

		st = conv_feed(c, euc, len);
	}
	return st;
}

/* Make out->data[from..len) valid UTF-8. iconv's output should be, but
 * glibc's own "UTF-8" decoder (reached through names it folds to UTF-8,
 * such as "ut)f-8") passes sequences beyond U+10FFFF through, and the
 * contract promises UTF-8 whatever the input. */
static mw_status ensure_utf8(mw_buf *out, size_t from)
{
	if (!out->data || from >= out->len ||
	    mw_utf8_valid(out->data + from, out->len - from))
		return MW_OK;
	mw_buf tmp;
	mw_buf_init(&tmp, out->len - from);
	mw_status st = mw_buf_append(&tmp, out->data + from, out->len - from);
	if (st == MW_OK) {
		out->len = from;
		out->data[from] = '\0';
		st = mw_utf8_sanitize(tmp.data, tmp.len, out);
	}
	mw_buf_free(&tmp);
	return st;
}

static mw_status convert_with(const char *iconv_name, charset_kind kind,
			      const char *in, size_t n, mw_buf *out)
{
	static conv zero;
	conv c;
	mw_status st;
	size_t from = out->len;

	c = zero;
	c.cd = pool_take(iconv_name);
	if (c.cd == CD_NONE)
		return mw_utf8_sanitize(in, n, out);
	c.out = out;
	if (kind == CS_ISO2022JP)
		st = conv_iso2022jp(&c, in, n);
	else
		st = conv_feed(&c, in, n);
	if (st == MW_OK)
		st = conv_finish(&c);
	pool_give_back(iconv_name, c.cd);
	mw_status vst = ensure_utf8(out, from);
	return st == MW_OK ? vst : st;
}

const char *mw_charset_guess_japanese(const char *p, size_t n)
{
	bool euc = true, high = false;

	if (memchr(p, 0x1b, n))
		return "ISO-2022-JP";
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)p[k];
		if (c < 0x80)
			continue;
		high = true;
		/* EUC-JP uses only 0xA1-0xFE, plus SS2/SS3 (0x8E, 0x8F);
		 * Shift_JIS lead bytes are 0x81-0x9F and 0xE0-0xFC. */
		if (c < 0xa1 && c != 0x8e && c != 0x8f)
			euc = false;
	}
	if (!high || mw_utf8_valid(p, n))
		return NULL;
	return euc ? "EUC-JP" : "Shift_JIS";
}

static bool all_ascii(const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)in[i] >= 0x80)
			return false;
	return true;
}

mw_status mw_charset_to_utf8(const char *charset, const char *in, size_t n,
			     mw_buf *out)
{
	char lname[MW_CHARSET_NAME_MAX + 1];
	const charset_alias *al;

	if (n == 0)
		return MW_OK;

	if (charset == NULL || charset[0] == '\0')
		return mw_utf8_sanitize(in, n, out);
	if (!charset_normalize(charset, lname, sizeof(lname)))
		return mw_utf8_sanitize(in, n, out);
	al = charset_lookup(lname);
	if (al != NULL && al->kind == CS_UTF8)
		return mw_utf8_sanitize(in, n, out);
	if (al != NULL && al->kind == CS_ISO2022JP) {
		const char *really = all_ascii(in, n)
					 ? "ISO-2022-JP"
					 : mw_charset_guess_japanese(in, n);
		if (really == NULL)
			return mw_utf8_sanitize(in, n, out);
		if (strcmp(really, "ISO-2022-JP") != 0)
			return mw_charset_to_utf8(really, in, n, out);
		return convert_with("EUCJP-MS", CS_ISO2022JP, in, n, out);
	}
	/* ASCII-compatible charsets need no iconv for ASCII text; the
	 * 7-bit stateful ones (UTF-7, ISO-2022-*) and UTF-16/32 do. */
	if (al != NULL && all_ascii(in, n) && strcmp(al->iconv_name, "UTF-7"))
		return mw_buf_append_some(out, in, n);
	return convert_with(al ? al->iconv_name : lname, CS_ICONV, in, n, out);
}
