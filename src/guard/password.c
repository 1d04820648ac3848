/*
 * password.c - the password check: zxcvbn's score, the length, the
 * user's own names, the breached list; and the reasons in two languages.
 *
 * Seeds 001 and 004: an account taken over had the password `1234qwer`,
 * or one reused from a breached site. Each rule here names one of those
 * mistakes in words the user can act on.
 */
#include "guard/password.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zxcvbn.h>

#include "lib/str.h"

/* The words of the user's address, lower-cased and NUL-terminated, packed
 * one after another in text. */
typedef struct user_words {
	char text[2 * (MW_ADDRESS_MAX + 1) + MW_PASSWORD_USER_WORDS_MAX];
	size_t used;
	size_t n;
	const char *word[MW_PASSWORD_USER_WORDS_MAX + 1]; /* NULL-ended */
	bool is_domain[MW_PASSWORD_USER_WORDS_MAX];
} user_words;

/* Under 3 bytes a word is in too many passwords to mean anything. */
#define USER_WORD_MIN 3

void mw_password_query_init(mw_password_query *q)
{
	memset(q, 0, sizeof *q);
	q->min_score = MW_PASSWORD_MIN_SCORE_DEFAULT;
	q->min_length = MW_PASSWORD_MIN_LENGTH_DEFAULT;
}

int mw_password_score(double entropy_bits)
{
	/* log10(2^bits), compared with zxcvbn's guesses_to_score bounds */
	double lg = entropy_bits * log10(2.0);
	if (!(lg >= 3)) /* also NaN */
		return 0;
	if (lg < 6)
		return 1;
	if (lg < 8)
		return 2;
	if (lg < 10)
		return 3;
	return 4;
}

/* Bytes of the UTF-8 sequence at s[0..n), or 0 when it is not one
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len = c < 0x80		      ? 1
		     : c >= 0xC2 && c <= 0xDF ? 2
		     : c >= 0xE0 && c <= 0xEF ? 3
		     : c >= 0xF0 && c <= 0xF4 ? 4
					      : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
		return 0;
	return len;
}

size_t mw_password_length(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t count = 0;
	for (size_t i = 0; i < n; count++) {
		size_t len = utf8_seq_len(u + i, n - i);
		i += len ? len : 1;
	}
	return count;
}

static void add_word(user_words *w, const char *p, size_t len, bool domain)
{
	if (len < USER_WORD_MIN || w->n >= MW_PASSWORD_USER_WORDS_MAX ||
	    w->used + len + 1 > sizeof w->text)
		return;
	char *dst = w->text + w->used;
	memcpy(dst, p, len);
	dst[len] = '\0';
	mw_ascii_lower(dst, len);
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->word[i], dst) == 0)
			return; /* "taro" of taro@taro.jp once is enough */
	w->used += len + 1;
	w->is_domain[w->n] = domain;
	w->word[w->n++] = dst;
	w->word[w->n] = NULL;
}

static bool is_local_separator(char c)
{
	return c == '.' || c == '_' || c == '-' || c == '+';
}

/* The local part, then its pieces between separators. */
static void add_local_words(user_words *w, const char *p, size_t n)
{
	add_word(w, p, n, false);
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && !is_local_separator(p[i]))
			continue;
		add_word(w, p + start, i - start, false);
		start = i + 1;
	}
}

/* Every label but the last: the top-level domain is nobody's name. */
static void add_domain_words(user_words *w, const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '.')
		n--;
	const char *last = memrchr(p, '.', n);
	if (!last)
		return;
	size_t start = 0;
	for (size_t i = 0; i <= (size_t)(last - p); i++) {
		if (p[i] != '.')
			continue;
		add_word(w, p + start, i - start, true);
		start = i + 1;
	}
}

static void split_user(const char *user, user_words *w)
{
	memset(w, 0, sizeof *w);
	if (!user)
		return;
	size_t n = strlen(user);
	const char *at = memrchr(user, '@', n);
	if (!at) {
		add_local_words(w, user, n);
		return;
	}
	add_local_words(w, user, (size_t)(at - user));
	add_domain_words(w, at + 1, n - (size_t)(at - user) - 1);
}

static void add_reason(mw_password_verdict *v, mw_password_reason r)
{
	for (size_t i = 0; i < v->nreasons; i++)
		if (v->reasons[i] == r)
			return;
	v->reasons[v->nreasons++] = r;
}

static void copy_word(char *dst, const char *src)
{
	size_t n = strnlen(src, MW_ADDRESS_MAX);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* lower: the password lower-cased, NUL-terminated. */
static void check_user_words(const user_words *w, const char *lower,
			     mw_password_verdict *v)
{
	for (size_t i = 0; i < w->n; i++) {
		if (!strstr(lower, w->word[i]))
			continue;
		if (w->is_domain[i] && !v->domain_word[0]) {
			copy_word(v->domain_word, w->word[i]);
			add_reason(v, MW_PW_CONTAINS_DOMAIN);
		} else if (!w->is_domain[i] && !v->user_word[0]) {
			copy_word(v->user_word, w->word[i]);
			add_reason(v, MW_PW_CONTAINS_USER);
		}
	}
}

/* Put the reasons in the enum's order, whatever order they were found. */
static void sort_reasons(mw_password_verdict *v)
{
	size_t n = 0;
	for (int r = 0; r < MW_PW_REASONS; r++)
		for (size_t i = 0; i < v->nreasons; i++)
			if (v->reasons[i] == (mw_password_reason)r) {
				v->reasons[n++] = (mw_password_reason)r;
				break;
			}
	v->nreasons = n;
}

static bool query_is_valid(const mw_password_query *q)
{
	return (q->password || q->len == 0) && q->min_score >= 0 &&
	       q->min_score <= 4 &&
	       (!q->user ||
		strnlen(q->user, MW_ADDRESS_MAX + 1) <= MW_ADDRESS_MAX);
}

/* The rules that need the password's text: score, user words. */
static void judge_text(const mw_password_query *q, mw_password_verdict *v)
{
	char plain[MW_PASSWORD_MAX + 1];
	char lower[MW_PASSWORD_MAX + 1];
	user_words w;
	split_user(q->user, &w);
	if (q->len)
		memcpy(plain, q->password, q->len);
	plain[q->len] = '\0';
	memcpy(lower, plain, q->len + 1);
	mw_ascii_lower(lower, q->len);

	v->entropy = ZxcvbnMatch(plain, w.word, NULL); /* NULL-ended */
	v->score = mw_password_score(v->entropy);
	check_user_words(&w, lower, v);

	explicit_bzero(plain, sizeof plain);
	explicit_bzero(lower, sizeof lower);
}

static void check_breached(const mw_password_query *q, mw_password_verdict *v)
{
	uint64_t count = 0;
	v->breached_status =
	    mw_breached_lookup(q->breached, q->password, q->len, &count, NULL);
	if (v->breached_status != MW_OK)
		return;
	v->breached_checked = true;
	v->breached_count = count;
	if (count)
		add_reason(v, MW_PW_BREACHED);
}

mw_status mw_password_check(const mw_password_query *q, mw_password_verdict *v)
{
	memset(v, 0, sizeof *v);
	if (q->len > MW_PASSWORD_MAX)
		return MW_ETOOBIG;
	if (!query_is_valid(q) || (q->len && memchr(q->password, 0, q->len)))
		return MW_EINVAL;
	v->min_score = q->min_score;
	v->min_length = q->min_length;
	v->length = mw_password_length(q->password, q->len);

	judge_text(q, v);
	if (v->score < q->min_score)
		add_reason(v, MW_PW_WEAK);
	if (v->length < q->min_length)
		add_reason(v, MW_PW_TOO_SHORT);
	if (q->breached)
		check_breached(q, v);
	sort_reasons(v);
	v->acceptable = v->nreasons == 0;
	return v->breached_status;
}

const char *mw_password_reason_code(mw_password_reason r)
{
	switch (r) {
	case MW_PW_WEAK:
		return "weak";
	case MW_PW_TOO_SHORT:
		return "too_short";
	case MW_PW_CONTAINS_USER:
		return "contains_user";
	case MW_PW_CONTAINS_DOMAIN:
		return "contains_domain";
	case MW_PW_BREACHED:
		return "breached";
	case MW_PW_REASONS:
		break;
	}
	return "unknown";
}

/* 2417484 -> "2,417,484": counts in the millions are read at a glance. */
static void format_count(uint64_t n, char out[32])
{
	char digits[24];
	int nd = snprintf(digits, sizeof digits, "%" PRIu64, n);
	size_t o = 0;
	for (int i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static mw_status text_en(const mw_password_verdict *v, mw_password_reason r,
			 const char *count, mw_buf *out)
{
	switch (r) {
	case MW_PW_WEAK:
		return mw_buf_printf(out,
				     "too easy to guess: strength %d of 4, "
				     "at least %d",
				     v->score, v->min_score);
	case MW_PW_TOO_SHORT:
		return mw_buf_printf(out,
				     "too short: %zu character%s, at least "
				     "%zu",
				     v->length, v->length == 1 ? "" : "s",
				     v->min_length);
	case MW_PW_CONTAINS_USER:
		return mw_buf_printf(out, "contains your user name \"%s\"",
				     v->user_word);
	case MW_PW_CONTAINS_DOMAIN:
		return mw_buf_printf(out, "contains your domain name \"%s\"",
				     v->domain_word);
	case MW_PW_BREACHED:
		return mw_buf_printf(out,
				     "found in breached-password lists "
				     "(seen %s time%s): attackers try it "
				     "first",
				     count, v->breached_count == 1 ? "" : "s");
	case MW_PW_REASONS:
		break;
	}
	return MW_EINVAL;
}

static mw_status text_ja(const mw_password_verdict *v, mw_password_reason r,
			 const char *count, mw_buf *out)
{
	switch (r) {
	case MW_PW_WEAK:
		return mw_buf_printf(out,
				     "推測されやすいパスワードです: 強度 "
				     "%d/4 (%d以上必要)",
				     v->score, v->min_score);
	case MW_PW_TOO_SHORT:
		return mw_buf_printf(out,
				     "短すぎます: %zu文字 (%zu文字以上必要)",
				     v->length, v->min_length);
	case MW_PW_CONTAINS_USER:
		return mw_buf_printf(out, "ユーザー名「%s」が含まれています",
				     v->user_word);
	case MW_PW_CONTAINS_DOMAIN:
		return mw_buf_printf(out, "ドメイン名「%s」が含まれています",
				     v->domain_word);
	case MW_PW_BREACHED:
		return mw_buf_printf(out,
				     "流出したパスワードの一覧にあります "
				     "(%s回): 攻撃で真っ先に試されます",
				     count);
	case MW_PW_REASONS:
		break;
	}
	return MW_EINVAL;
}

mw_status mw_password_reason_text(const mw_password_verdict *v,
				  mw_password_reason r, mw_password_lang lang,
				  mw_buf *out)
{
	char count[32];
	format_count(v->breached_count, count);
	return lang == MW_PW_LANG_JA ? text_ja(v, r, count, out)
				     : text_en(v, r, count, out);
}
