/*
 * test_password.c - the password check: zxcvbn's score and its
 * thresholds, length in code points, the user's names, the breached list
 * searched in place (first, last, missing, CRLF and LF, empty, garbage,
 * unsorted, a 10 MB file), the size cap, and the reasons' texts.
 *
 * tests/data/password/breached.txt is made by make-breached.sh next to
 * it (SHA-1 of 1234qwer, password, ... with made-up counts). The tests
 * run from the repository's root, as make test runs them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard/password.h"

#define BREACHED_FILE "tests/data/password/breached.txt"
/* SHA-1 of "1234qwer" and its made-up count there */
#define QWER_SHA1 "19485E369C691FA8ECE1FABC8A6CEABFB5666B79"
#define QWER_COUNT 38201
/* the first and last lines of breached.txt */
#define FIRST_SHA1 QWER_SHA1
#define LAST_SHA1 "EE8D8728F435FD550F83852AABAB5234CE1DA528"
#define LAST_COUNT 1645112 /* iloveyou */

static char tmp_paths[8][64];
static size_t ntmp;

/* A temporary file holding n bytes of text; removed at the end. */
static const char *tmp_file(const char *text, size_t n)
{
	assert_true(ntmp < 8);
	char *path = tmp_paths[ntmp++];
	snprintf(path, 64, "/tmp/test_password.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

static const char *tmp_text(const char *text)
{
	return tmp_file(text, strlen(text));
}

static int remove_tmp_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntmp; i++)
		unlink(tmp_paths[i]);
	ntmp = 0;
	return 0;
}

static void hex_to_sha1(const char *hex, unsigned char out[20])
{
	for (size_t i = 0; i < 20; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static mw_breached *open_list(const char *path)
{
	mw_breached *b = NULL;
	assert_int_equal(mw_breached_open(path, &b), MW_OK);
	assert_non_null(b);
	return b;
}

/* The lookup's status; *count its count. */
static mw_status lookup_hex(const char *path, const char *hex, uint64_t *count)
{
	unsigned char sha[20];
	hex_to_sha1(hex, sha);
	mw_breached *b = open_list(path);
	mw_status rc = mw_breached_lookup_sha1(b, sha, count, NULL);
	mw_breached_close(b);
	return rc;
}

static mw_status check(const char *pw, const char *user,
		       const mw_breached *list, mw_password_verdict *v)
{
	mw_password_query q;
	mw_password_query_init(&q);
	q.password = pw;
	q.len = strlen(pw);
	q.user = user;
	q.breached = list;
	return mw_password_check(&q, v);
}

static void assert_reasons(const mw_password_verdict *v, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	assert_int_equal(v->nreasons, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v->reasons[i], va_arg(ap, int));
	va_end(ap);
	assert_int_equal(v->acceptable, n == 0);
}

/* -- score and length ------------------------------------------------- */

static void test_score_follows_zxcvbn_guess_thresholds(void **state)
{
	(void)state;
	/* 10^3 guesses = 9.966 bits, 10^6 = 19.93, 10^8 = 26.58,
	 * 10^10 = 33.22 */
	assert_int_equal(mw_password_score(0), 0);
	assert_int_equal(mw_password_score(9.9), 0);
	assert_int_equal(mw_password_score(10.0), 1);
	assert_int_equal(mw_password_score(19.9), 1);
	assert_int_equal(mw_password_score(20.0), 2);
	assert_int_equal(mw_password_score(26.5), 2);
	assert_int_equal(mw_password_score(26.6), 3);
	assert_int_equal(mw_password_score(33.2), 3);
	assert_int_equal(mw_password_score(33.3), 4);
	assert_int_equal(mw_password_score(500), 4);
	assert_int_equal(mw_password_score(NAN), 0);
}

static void test_length_counts_code_points_not_bytes(void **state)
{
	(void)state;
	assert_int_equal(mw_password_length("abc", 3), 3);
	/* 5 characters, 15 bytes */
	assert_int_equal(mw_password_length("パスワード", 15), 5);
	/* U+1F511 KEY: one character of 4 bytes */
	assert_int_equal(mw_password_length("\xF0\x9F\x94\x91", 4), 1);
	/* invalid bytes count one each: a stray continuation, a cut
	 * sequence, an overlong '/' */
	assert_int_equal(mw_password_length("\x80", 1), 1);
	assert_int_equal(mw_password_length("\xE3\x83", 2), 2);
	assert_int_equal(mw_password_length("\xC0\xAF", 2), 2);
	assert_int_equal(mw_password_length("", 0), 0);
}

/* -- whole checks ----------------------------------------------------- */

static void test_1234qwer_is_refused_for_score_length_and_breach(void **state)
{
	(void)state;
	mw_breached *b = open_list(BREACHED_FILE);
	mw_password_verdict v;
	assert_int_equal(check("1234qwer", NULL, b, &v), MW_OK);
	assert_reasons(&v, 3, MW_PW_WEAK, MW_PW_TOO_SHORT, MW_PW_BREACHED);
	assert_int_equal(v.score, 0);
	assert_int_equal(v.length, 8);
	assert_true(v.breached_checked);
	assert_int_equal(v.breached_count, QWER_COUNT);
	mw_breached_close(b);
}

static void test_strong_passphrase_is_acceptable(void **state)
{
	(void)state;
	mw_breached *b = open_list(BREACHED_FILE);
	mw_password_verdict v;
	assert_int_equal(
	    check("Kujira-no-sora-7-hikari!", "tanaka@example.jp", b, &v),
	    MW_OK);
	assert_reasons(&v, 0);
	assert_int_equal(v.score, 4);
	assert_int_equal(v.length, 24);
	assert_true(v.breached_checked);
	assert_int_equal(v.breached_count, 0);
	mw_breached_close(b);
}

static void test_long_repeated_word_is_refused_as_weak_only(void **state)
{
	(void)state;
	mw_password_verdict v;
	assert_int_equal(check("passwordpassword", NULL, NULL, &v), MW_OK);
	assert_reasons(&v, 1, MW_PW_WEAK);
	assert_int_equal(v.length, 16);
	assert_false(v.breached_checked);
}

static void test_japanese_password_is_judged_by_characters(void **state)
{
	(void)state;
	mw_password_verdict v;
	/* strong to zxcvbn (it scores bytes), but five characters */
	assert_int_equal(check("パスワード", NULL, NULL, &v), MW_OK);
	assert_reasons(&v, 1, MW_PW_TOO_SHORT);
	assert_int_equal(v.length, 5);
	/* 13 characters: long enough */
	assert_int_equal(check("わたしのひみつのあいことば", NULL, NULL, &v),
			 MW_OK);
	assert_reasons(&v, 0);
	assert_int_equal(v.length, 13);
}

static void test_local_part_is_refused_in_any_case(void **state)
{
	(void)state;
	mw_password_verdict v;
	assert_int_equal(
	    check("TANAKA-zq9#Lm2$vX7", "Tanaka@example.jp", NULL, &v), MW_OK);
	assert_reasons(&v, 1, MW_PW_CONTAINS_USER);
	assert_string_equal(v.user_word, "tanaka");
	assert_string_equal(v.domain_word, "");
}

static void test_local_part_pieces_are_names_too(void **state)
{
	(void)state;
	mw_password_verdict v;
	assert_int_equal(
	    check("zq9#Yamada!Lm2$vX7", "taro.yamada@example.jp", NULL, &v),
	    MW_OK);
	assert_reasons(&v, 1, MW_PW_CONTAINS_USER);
	assert_string_equal(v.user_word, "yamada");
}

static void test_domain_label_is_refused(void **state)
{
	(void)state;
	mw_password_verdict v;
	assert_int_equal(
	    check("zq9#Example!Lm2$vX7", "tanaka@mail.example.co.jp", NULL, &v),
	    MW_OK);
	assert_reasons(&v, 1, MW_PW_CONTAINS_DOMAIN);
	assert_string_equal(v.domain_word, "example");
}

static void test_short_parts_and_top_level_domain_are_not_names(void **state)
{
	(void)state;
	mw_password_verdict v;
	/* "jo" is under 3 bytes and "com" is the top-level domain */
	assert_int_equal(check("welcome-jo-Lm2$vX7#zq9", "jo@x.com", NULL, &v),
			 MW_OK);
	assert_reasons(&v, 0);
}

static void test_bare_login_name_is_a_local_part(void **state)
{
	(void)state;
	mw_password_verdict v;
	assert_int_equal(check("zq9#suzuki#Lm2$vX7", "suzuki", NULL, &v),
			 MW_OK);
	assert_reasons(&v, 1, MW_PW_CONTAINS_USER);
	assert_string_equal(v.user_word, "suzuki");
}

static void test_user_words_lower_zxcvbn_entropy(void **state)
{
	(void)state;
	mw_password_verdict alone, with_user;
	assert_int_equal(check("tanaka2024", NULL, NULL, &alone), MW_OK);
	assert_int_equal(
	    check("tanaka2024", "tanaka@example.jp", NULL, &with_user), MW_OK);
	assert_true(with_user.entropy < alone.entropy);
	assert_int_equal(with_user.score, 0);
}

static void test_password_of_1025_bytes_is_refused_whole(void **state)
{
	(void)state;
	char pw[MW_PASSWORD_MAX + 2];
	for (size_t i = 0; i < sizeof pw - 1; i++)
		pw[i] = (char)('a' + (i * 7) % 26);
	pw[MW_PASSWORD_MAX + 1] = '\0';
	mw_password_verdict v;
	assert_int_equal(check(pw, NULL, NULL, &v), MW_ETOOBIG);
	assert_false(v.acceptable);
	assert_int_equal(v.nreasons, 0);
	pw[MW_PASSWORD_MAX] = '\0'; /* 1,024 bytes: judged */
	assert_int_equal(check(pw, NULL, NULL, &v), MW_OK);
	assert_int_equal(v.length, MW_PASSWORD_MAX);
}

static void test_nul_byte_in_password_is_invalid(void **state)
{
	(void)state;
	mw_password_query q;
	mw_password_query_init(&q);
	q.password = "abcdefgh\0ijklmnop";
	q.len = 17;
	mw_password_verdict v;
	assert_int_equal(mw_password_check(&q, &v), MW_EINVAL);
	assert_false(v.acceptable);
}

static void test_empty_password_is_refused_not_an_error(void **state)
{
	(void)state;
	mw_password_verdict v;
	assert_int_equal(check("", "a@b.jp", NULL, &v), MW_OK);
	assert_reasons(&v, 2, MW_PW_WEAK, MW_PW_TOO_SHORT);
	assert_int_equal(v.length, 0);
}

static void test_unusable_list_keeps_other_reasons_and_says_so(void **state)
{
	(void)state;
	mw_breached *b = open_list(tmp_text("this is not a list\n"));
	mw_password_verdict v;
	assert_int_equal(check("1234qwer", NULL, b, &v), MW_EINVAL);
	assert_int_equal(v.breached_status, MW_EINVAL);
	assert_false(v.breached_checked);
	assert_reasons(&v, 2, MW_PW_WEAK, MW_PW_TOO_SHORT);
	mw_breached_close(b);
}

/* -- texts ------------------------------------------------------------ */

static void assert_text(const mw_password_verdict *v, mw_password_reason r,
			mw_password_lang lang, const char *want)
{
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_password_reason_text(v, r, lang, &b), MW_OK);
	assert_string_equal(mw_buf_cstr(&b), want);
	mw_buf_free(&b);
}

static void test_reasons_read_in_english_and_japanese(void **state)
{
	(void)state;
	mw_breached *b = open_list(BREACHED_FILE);
	mw_password_verdict v;
	assert_int_equal(check("1234qwer", NULL, b, &v), MW_OK);
	assert_text(&v, MW_PW_WEAK, MW_PW_LANG_EN,
		    "too easy to guess: strength 0 of 4, at least 3");
	assert_text(&v, MW_PW_WEAK, MW_PW_LANG_JA,
		    "推測されやすいパスワードです: 強度 0/4 (3以上必要)");
	assert_text(&v, MW_PW_TOO_SHORT, MW_PW_LANG_EN,
		    "too short: 8 characters, at least 12");
	assert_text(&v, MW_PW_TOO_SHORT, MW_PW_LANG_JA,
		    "短すぎます: 8文字 (12文字以上必要)");
	assert_text(&v, MW_PW_BREACHED, MW_PW_LANG_EN,
		    "found in breached-password lists (seen 38,201 times): "
		    "attackers try it first");
	assert_text(&v, MW_PW_BREACHED, MW_PW_LANG_JA,
		    "流出したパスワードの一覧にあります (38,201回): "
		    "攻撃で真っ先に試されます");
	assert_int_equal(
	    check("tanaka-Example-zq9#Lm2$vX7", "tanaka@example.jp", NULL, &v),
	    MW_OK);
	assert_text(&v, MW_PW_CONTAINS_USER, MW_PW_LANG_EN,
		    "contains your user name \"tanaka\"");
	assert_text(&v, MW_PW_CONTAINS_DOMAIN, MW_PW_LANG_JA,
		    "ドメイン名「example」が含まれています");
	mw_breached_close(b);
}

static void test_reason_codes_are_stable(void **state)
{
	(void)state;
	assert_string_equal(mw_password_reason_code(MW_PW_WEAK), "weak");
	assert_string_equal(mw_password_reason_code(MW_PW_TOO_SHORT),
			    "too_short");
	assert_string_equal(mw_password_reason_code(MW_PW_CONTAINS_USER),
			    "contains_user");
	assert_string_equal(mw_password_reason_code(MW_PW_CONTAINS_DOMAIN),
			    "contains_domain");
	assert_string_equal(mw_password_reason_code(MW_PW_BREACHED),
			    "breached");
}

/* -- the breached list ------------------------------------------------ */

static void test_breached_finds_first_and_last_lines(void **state)
{
	(void)state;
	uint64_t n = 0;
	assert_int_equal(lookup_hex(BREACHED_FILE, FIRST_SHA1, &n), MW_OK);
	assert_int_equal(n, QWER_COUNT);
	assert_int_equal(lookup_hex(BREACHED_FILE, LAST_SHA1, &n), MW_OK);
	assert_int_equal(n, LAST_COUNT);
	/* "password", in the middle */
	assert_int_equal(lookup_hex(BREACHED_FILE,
				    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8",
				    &n),
			 MW_OK);
	assert_int_equal(n, 9545824);
}

static void test_breached_misses_below_between_and_above(void **state)
{
	(void)state;
	uint64_t n = 99;
	assert_int_equal(lookup_hex(BREACHED_FILE,
				    "0000000000000000000000000000000000000000",
				    &n),
			 MW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(lookup_hex(BREACHED_FILE,
				    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD9",
				    &n),
			 MW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(lookup_hex(BREACHED_FILE,
				    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
				    &n),
			 MW_OK);
	assert_int_equal(n, 0);
}

static void test_breached_reads_lf_lowercase_and_bare_hashes(void **state)
{
	(void)state;
	const char *path =
	    tmp_text("0000000000000000000000000000000000000001:5\n"
		     "19485e369c691fa8ece1fabc8a6ceabfb5666b79\n"
		     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:7");
	uint64_t n = 0;
	assert_int_equal(lookup_hex(path, QWER_SHA1, &n), MW_OK);
	assert_int_equal(n, 1); /* a bare hash is seen once */
	/* the last line, without its line end */
	assert_int_equal(
	    lookup_hex(path, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", &n),
	    MW_OK);
	assert_int_equal(n, 7);
	assert_int_equal(
	    lookup_hex(path, "0000000000000000000000000000000000000001", &n),
	    MW_OK);
	assert_int_equal(n, 5);
}

static void test_breached_trailing_blank_lines_sort_last(void **state)
{
	(void)state;
	const char *path =
	    tmp_text("19485E369C691FA8ECE1FABC8A6CEABFB5666B79:3\r\n\r\n\r\n");
	uint64_t n = 0;
	assert_int_equal(lookup_hex(path, QWER_SHA1, &n), MW_OK);
	assert_int_equal(n, 3);
	assert_int_equal(
	    lookup_hex(path, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", &n),
	    MW_OK);
	assert_int_equal(n, 0);
}

static void test_breached_empty_file_lists_nothing(void **state)
{
	(void)state;
	mw_breached_cost cost;
	unsigned char sha[20];
	hex_to_sha1(QWER_SHA1, sha);
	mw_breached *b = open_list(tmp_file("", 0));
	uint64_t n = 99;
	assert_int_equal(mw_breached_lookup_sha1(b, sha, &n, &cost), MW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cost.probes, 0);
	mw_breached_close(b);
}

static void test_breached_garbage_is_invalid_not_a_guess(void **state)
{
	(void)state;
	uint64_t n = 99;
	/* not hex */
	assert_int_equal(lookup_hex(tmp_text("hello world, this is a mailbox "
					     "and not a list of hashes\n"),
				    QWER_SHA1, &n),
			 MW_EINVAL);
	assert_int_equal(n, 0);
	/* binary without a line end for more than a line */
	char bin[4096];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (char)(i * 31 % 251 + 1) == '\n'
			     ? 'x'
			     : (char)(i * 31 % 251 + 1);
	assert_int_equal(lookup_hex(tmp_file(bin, sizeof bin), QWER_SHA1, &n),
			 MW_EINVAL);
	/* a count that is not a number */
	assert_int_equal(lookup_hex(tmp_text("19485E369C691FA8ECE1FABC8A6CEAB"
					     "FB5666B79:many\n"),
				    QWER_SHA1, &n),
			 MW_EINVAL);
}

static void test_breached_unsorted_file_answers_in_bounded_steps(void **state)
{
	(void)state;
	/* descending order: defined, bounded, maybe wrong */
	char text[64 * 50];
	size_t len = 0;
	for (int i = 49; i >= 0; i--)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"%02X%038d:%d\n", i * 5, 0, i + 1);
	mw_breached *b = open_list(tmp_file(text, len));
	for (int i = 0; i < 50; i++) {
		char hex[41];
		snprintf(hex, sizeof hex, "%02X%038d", i * 5, 0);
		unsigned char sha[20];
		hex_to_sha1(hex, sha);
		uint64_t n = 99;
		mw_breached_cost cost;
		assert_int_equal(mw_breached_lookup_sha1(b, sha, &n, &cost),
				 MW_OK);
		assert_true(n == 0 || n == (uint64_t)i + 1);
		assert_true(cost.probes <= 2 * 12 + 2);
	}
	mw_breached_close(b);
}

/* 200,000 lines, about 10 MB: the hash of line i is i * step in its first
 * eight bytes, so the file is sorted and every line is known. */
#define BIG_LINES 200000
#define BIG_STEP (UINT64_MAX / BIG_LINES)

static void big_hex(uint64_t v, char out[41])
{
	snprintf(out, 41, "%016" PRIX64 "%024d", v, 0);
}

static void test_breached_big_file_is_searched_in_place(void **state)
{
	(void)state;
	char path[] = "/tmp/test_password_big.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	char hex[41];
	for (uint64_t i = 0; i < BIG_LINES; i++) {
		big_hex(i * BIG_STEP, hex);
		fprintf(f, "%s:%" PRIu64 "\r\n", hex, i + 1);
	}
	assert_int_equal(fclose(f), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	mw_breached *b = open_list(path);
	/* 2 x log2(10 MB) probes at most, each under two line caps */
	const unsigned max_probes = 2 * 24;
	const uint64_t want[] = {0, 1, BIG_LINES / 2, 123457, BIG_LINES - 1};
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		unsigned char sha[20];
		uint64_t n = 0;
		mw_breached_cost cost;
		big_hex(want[k] * BIG_STEP, hex);
		hex_to_sha1(hex, sha);
		assert_int_equal(mw_breached_lookup_sha1(b, sha, &n, &cost),
				 MW_OK);
		assert_int_equal(n, want[k] + 1);
		assert_true(cost.probes <= max_probes);
		assert_true(cost.bytes_read <=
			    (uint64_t)cost.probes * 2 * MW_BREACHED_LINE_MAX);
		assert_true(cost.bytes_read < (uint64_t)st.st_size / 500);
		/* one past it is not listed */
		big_hex(want[k] * BIG_STEP + 1, hex);
		hex_to_sha1(hex, sha);
		assert_int_equal(mw_breached_lookup_sha1(b, sha, &n, &cost),
				 MW_OK);
		assert_int_equal(n, 0);
		assert_true(cost.probes <= max_probes);
	}
	mw_breached_close(b);
	unlink(path);
}

static void test_breached_missing_file_or_directory_is_eio(void **state)
{
	(void)state;
	mw_breached *b = (mw_breached *)&b; /* must be reset */
	assert_int_equal(mw_breached_open("/nonexistent/breached.txt", &b),
			 MW_EIO);
	assert_null(b);
	assert_int_equal(mw_breached_open("/tmp", &b), MW_EIO);
	assert_int_equal(errno, EISDIR);
	assert_null(b);
}

static void test_breached_lookup_hashes_the_password(void **state)
{
	(void)state;
	mw_breached *b = open_list(BREACHED_FILE);
	uint64_t n = 0;
	assert_int_equal(mw_breached_lookup(b, "1234qwer", 8, &n, NULL), MW_OK);
	assert_int_equal(n, QWER_COUNT);
	assert_int_equal(mw_breached_lookup(b, "1234qwe", 7, &n, NULL), MW_OK);
	assert_int_equal(n, 0);
	mw_breached_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_score_follows_zxcvbn_guess_thresholds),
	    cmocka_unit_test(test_length_counts_code_points_not_bytes),
	    cmocka_unit_test(
		test_1234qwer_is_refused_for_score_length_and_breach),
	    cmocka_unit_test(test_strong_passphrase_is_acceptable),
	    cmocka_unit_test(test_long_repeated_word_is_refused_as_weak_only),
	    cmocka_unit_test(test_japanese_password_is_judged_by_characters),
	    cmocka_unit_test(test_local_part_is_refused_in_any_case),
	    cmocka_unit_test(test_local_part_pieces_are_names_too),
	    cmocka_unit_test(test_domain_label_is_refused),
	    cmocka_unit_test(
		test_short_parts_and_top_level_domain_are_not_names),
	    cmocka_unit_test(test_bare_login_name_is_a_local_part),
	    cmocka_unit_test(test_user_words_lower_zxcvbn_entropy),
	    cmocka_unit_test(test_password_of_1025_bytes_is_refused_whole),
	    cmocka_unit_test(test_nul_byte_in_password_is_invalid),
	    cmocka_unit_test(test_empty_password_is_refused_not_an_error),
	    cmocka_unit_test_teardown(
		test_unusable_list_keeps_other_reasons_and_says_so,
		remove_tmp_files),
	    cmocka_unit_test(test_reasons_read_in_english_and_japanese),
	    cmocka_unit_test(test_reason_codes_are_stable),
	    cmocka_unit_test(test_breached_finds_first_and_last_lines),
	    cmocka_unit_test(test_breached_misses_below_between_and_above),
	    cmocka_unit_test_teardown(
		test_breached_reads_lf_lowercase_and_bare_hashes,
		remove_tmp_files),
	    cmocka_unit_test_teardown(
		test_breached_trailing_blank_lines_sort_last, remove_tmp_files),
	    cmocka_unit_test_teardown(test_breached_empty_file_lists_nothing,
				      remove_tmp_files),
	    cmocka_unit_test_teardown(
		test_breached_garbage_is_invalid_not_a_guess, remove_tmp_files),
	    cmocka_unit_test_teardown(
		test_breached_unsorted_file_answers_in_bounded_steps,
		remove_tmp_files),
	    cmocka_unit_test(test_breached_big_file_is_searched_in_place),
	    cmocka_unit_test(test_breached_missing_file_or_directory_is_eio),
	    cmocka_unit_test(test_breached_lookup_hashes_the_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
