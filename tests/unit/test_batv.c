/*
 * test_batv.c - BATV "prvs=" tags: known answers, expiry and its wrap,
 * forgeries, malformed tags, the key file and key rotation.
 *
 * The known answers were computed outside our code, with
 *     printf '%s' 'K DDD ADDRESS without blanks' \
 *         | openssl dgst -sha1 -hmac 'SECRET'
 * and cross-checked against Exim 4.96 at the same instant with
 *     TZ=UTC faketime 'DATE' exim -be '${prvs{ADDRESS}{SECRET}{K}}'
 * (the commands are given with each vector).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batv/batv.h"

#define DAY 86400
/* 2023-11-14 22:13:20 UTC: day 19675, counter 675, tags expire on 682. */
#define T0 ((time_t)1700000000)
/* 2024-09-29 00:00:00 UTC: day 19995, counter 995, tags expire on 002. */
#define T_WRAP ((time_t)1727568000)

#define SECRET_A "correct horse battery staple"
#define SECRET_B "0123456789abcdef"
#define SECRET_C "zyxwvutsrqponmlkjihgfedcba"
#define SECRET_OLD "old key for rotation test"

static mw_str S(const char *s)
{
	return mw_str_from_cstr(s);
}

static void ring_with(mw_batv_ring *r, unsigned k, const char *secret)
{
	mw_batv_error e;
	mw_batv_ring_init(r);
	assert_int_equal(mw_batv_ring_add(r, k, S(secret), &e), MW_OK);
}

static void sign_ok(const mw_batv_ring *r, unsigned k, const char *addr,
		    time_t now, char *out, size_t outsz)
{
	assert_int_equal(mw_batv_sign(r, k, S(addr), now, out, outsz),
			 MW_BATV_SIGNED);
}

static mw_batv_result verify(const mw_batv_ring *r, const char *addr,
			     time_t now)
{
	return mw_batv_verify(r, S(addr), now, NULL);
}

/* -- known answers ---------------------------------------------------- */

static void test_known_answer_matches_openssl_and_exim(void **state)
{
	(void)state;
	/* printf '%s' '3682user@example.jp' \
	 *   | openssl dgst -sha1 -hmac 'correct horse battery staple'
	 *   -> f46a10...
	 * TZ=UTC faketime '2023-11-14 22:13:20' exim -be \
	 *   '${prvs{user@example.jp}{correct horse battery staple}{3}}'
	 *   -> prvs=3682f46a10=user@example.jp */
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 3, SECRET_A);
	sign_ok(&r, 3, "user@example.jp", T0, out, sizeof out);
	assert_string_equal(out, "prvs=3682f46a10=user@example.jp");
	assert_int_equal(verify(&r, out, T0), MW_BATV_VALID);
}

static void test_address_is_hashed_with_its_case_preserved(void **state)
{
	(void)state;
	/* printf '%s' '0682Taro.Yamada@Example.JP' \
	 *   | openssl dgst -sha1 -hmac '0123456789abcdef'   -> 0b512a...
	 * printf '%s' '0682taro.yamada@example.jp' \
	 *   | openssl dgst -sha1 -hmac '0123456789abcdef'   -> e69829...
	 * TZ=UTC faketime '2023-11-14 22:13:20' exim -be \
	 *   '${prvs{Taro.Yamada@Example.JP}{0123456789abcdef}{0}}'
	 *   -> prvs=06820b512a=Taro.Yamada@Example.JP */
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 0, SECRET_B);
	sign_ok(&r, 0, "Taro.Yamada@Example.JP", T0, out, sizeof out);
	assert_string_equal(out, "prvs=06820b512a=Taro.Yamada@Example.JP");
	sign_ok(&r, 0, "taro.yamada@example.jp", T0, out, sizeof out);
	assert_string_equal(out, "prvs=0682e69829=taro.yamada@example.jp");
	/* A relay that lower-cases the address breaks the tag, as in Exim. */
	assert_int_equal(
	    verify(&r, "prvs=06820b512a=taro.yamada@example.jp", T0),
	    MW_BATV_BAD_HASH);
}

static void test_expiry_day_wraps_from_999_to_000(void **state)
{
	(void)state;
	/* printf '%s' '9002user@example.jp' \
	 *   | openssl dgst -sha1 -hmac 'zyxwvutsrqponmlkjihgfedcba'
	 *   -> 105d61...
	 * TZ=UTC faketime '2024-09-29 00:00:01' exim -be \
	 *   '${prvs{user@example.jp}{zyxwvutsrqponmlkjihgfedcba}{9}}'
	 *   -> prvs=9002105d61=user@example.jp */
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 9, SECRET_C);
	assert_int_equal(mw_batv_day(T_WRAP), 995);
	sign_ok(&r, 9, "user@example.jp", T_WRAP, out, sizeof out);
	assert_string_equal(out, "prvs=9002105d61=user@example.jp");
	/* Valid on 995..999 and 000..002, across the wrap. */
	for (int d = 0; d <= 7; d++)
		assert_int_equal(verify(&r, out, T_WRAP + d * DAY),
				 MW_BATV_VALID);
	assert_int_equal(verify(&r, out, T_WRAP + 8 * DAY), MW_BATV_EXPIRED);
}

/* -- round trips and expiry ------------------------------------------- */

static void test_sign_then_verify_returns_the_untagged_address(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[128];
	mw_str inner;
	ring_with(&r, 5, SECRET_A);
	sign_ok(&r, 5, "Hanako+list@mail.example.co.jp", T0, out, sizeof out);
	assert_int_equal(mw_batv_verify(&r, S(out), T0 + 3 * DAY, &inner),
			 MW_BATV_VALID);
	assert_int_equal(inner.n, strlen("Hanako+list@mail.example.co.jp"));
	assert_memory_equal(inner.p, "Hanako+list@mail.example.co.jp", inner.n);
	assert_ptr_equal(inner.p, out + MW_BATV_TAG_LEN);
}

static void test_valid_on_day_seven_expired_on_day_eight(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 1, SECRET_B);
	sign_ok(&r, 1, "user@example.jp", T0, out, sizeof out);
	/* Any second of the signing day, and the last second of day 7. */
	time_t day0 = T0 - T0 % DAY;
	assert_int_equal(verify(&r, out, day0), MW_BATV_VALID);
	assert_int_equal(verify(&r, out, day0 + 8 * DAY - 1), MW_BATV_VALID);
	assert_int_equal(verify(&r, out, day0 + 8 * DAY), MW_BATV_EXPIRED);
	assert_int_equal(verify(&r, out, day0 + 30 * DAY), MW_BATV_EXPIRED);
}

static void test_expiry_day_in_the_past_or_far_future_is_expired(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 1, SECRET_B);
	sign_ok(&r, 1, "user@example.jp", T0, out, sizeof out); /* day 682 */
	/* Checked at day 683: one day late. */
	assert_int_equal(verify(&r, out, T0 + 8 * DAY), MW_BATV_EXPIRED);
	/* Checked at day 674: the tag claims 8 days to go, more than we
	 * ever issue, so it is not honoured (Exim would accept it). */
	assert_int_equal(verify(&r, out, T0 - DAY), MW_BATV_EXPIRED);
	/* Checked 1000 days on, the counter is the same again: the period
	 * of the counter, a limit of the format itself. */
	assert_int_equal(verify(&r, out, T0 + 1000 * DAY), MW_BATV_VALID);
}

static void test_validity_days_sets_expiry_and_window(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 2, SECRET_B);
	assert_int_equal(mw_batv_ring_set_validity(&r, 0), MW_EINVAL);
	assert_int_equal(
	    mw_batv_ring_set_validity(&r, MW_BATV_VALIDITY_DAYS_MAX + 1),
	    MW_EINVAL);
	assert_int_equal(r.validity_days, 7);
	assert_int_equal(mw_batv_ring_set_validity(&r, 3), MW_OK);
	sign_ok(&r, 2, "user@example.jp", T0, out, sizeof out);
	assert_memory_equal(out, "prvs=2678", 9);
	assert_int_equal(verify(&r, out, T0 + 3 * DAY), MW_BATV_VALID);
	assert_int_equal(verify(&r, out, T0 + 4 * DAY), MW_BATV_EXPIRED);
}

static void test_day_counter_steps_daily_before_1970_too(void **state)
{
	(void)state;
	assert_int_equal(mw_batv_day(0), 0);
	assert_int_equal(mw_batv_day(DAY - 1), 0);
	assert_int_equal(mw_batv_day(DAY), 1);
	assert_int_equal(mw_batv_day(-1), 999);
	assert_int_equal(mw_batv_day(-DAY), 999);
	assert_int_equal(mw_batv_day(-DAY - 1), 998);
	assert_int_equal(mw_batv_day(T0), 675);
}

/* -- forgeries and wrong keys ----------------------------------------- */

static void test_one_hex_digit_changed_is_bad_hash(void **state)
{
	(void)state;
	mw_batv_ring r;
	ring_with(&r, 3, SECRET_A);
	assert_int_equal(verify(&r, "prvs=3682f46a10=user@example.jp", T0),
			 MW_BATV_VALID);
	assert_int_equal(verify(&r, "prvs=3682f46a11=user@example.jp", T0),
			 MW_BATV_BAD_HASH);
	assert_int_equal(verify(&r, "prvs=3682046a10=user@example.jp", T0),
			 MW_BATV_BAD_HASH);
	/* The day is signed too: moving it forward breaks the hash. */
	assert_int_equal(verify(&r, "prvs=3683f46a10=user@example.jp", T0),
			 MW_BATV_BAD_HASH);
	/* So is the address. */
	assert_int_equal(verify(&r, "prvs=3682f46a10=other@example.jp", T0),
			 MW_BATV_BAD_HASH);
}

static void test_wrong_key_number_is_bad_hash(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_batv_error e;
	ring_with(&r, 3, SECRET_A);
	assert_int_equal(mw_batv_ring_add(&r, 4, S(SECRET_A), &e), MW_OK);
	/* Same secret under number 4: the digit is part of what is hashed. */
	assert_int_equal(verify(&r, "prvs=4682f46a10=user@example.jp", T0),
			 MW_BATV_BAD_HASH);
}

static void test_key_not_in_ring_is_unknown_key(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_str inner;
	ring_with(&r, 3, SECRET_A);
	assert_int_equal(mw_batv_verify(&r,
					S("prvs=7682f46a10=user@example.jp"),
					T0, &inner),
			 MW_BATV_UNKNOWN_KEY);
	assert_int_equal(inner.n, strlen("user@example.jp"));
}

static void test_expired_is_judged_only_after_the_hash(void **state)
{
	(void)state;
	mw_batv_ring r;
	ring_with(&r, 3, SECRET_A);
	/* Forged and late: a forgery, not a late bounce. */
	assert_int_equal(
	    verify(&r, "prvs=3682f46a11=user@example.jp", T0 + 20 * DAY),
	    MW_BATV_BAD_HASH);
}

static void test_uppercase_prefix_and_hex_are_accepted(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_str inner;
	ring_with(&r, 3, SECRET_A);
	assert_int_equal(verify(&r, "PRVS=3682F46A10=user@example.jp", T0),
			 MW_BATV_VALID);
	assert_int_equal(mw_batv_verify(&r,
					S("Prvs=3682f46A10=user@example.jp"),
					T0, &inner),
			 MW_BATV_VALID);
	assert_memory_equal(inner.p, "user@example.jp", inner.n);
}

/* -- sign refuses ----------------------------------------------------- */

static void test_already_tagged_address_is_not_tagged_again(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 3, SECRET_A);
	const char *tagged[] = {
	    "prvs=3682f46a10=user@example.jp",
	    "PRVS=3682F46A10=user@example.jp",
	    "prvs=junk@example.jp", /* malformed, still not re-tagged */
	};
	for (size_t i = 0; i < sizeof tagged / sizeof *tagged; i++) {
		assert_int_equal(
		    mw_batv_sign(&r, 3, S(tagged[i]), T0, out, sizeof out),
		    MW_BATV_SIGN_ALREADY_TAGGED);
		assert_string_equal(out, "");
	}
}

static void test_sign_refuses_what_is_not_an_address(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 3, SECRET_A);
	const char *bad[] = {
	    "",		  "user",	 "@example.jp",	 "user@",
	    "us er@x.jp", "user@x.jp\r", "\"a b\"@x.jp", "user@x\0jp",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t n = i == 7 ? 9 : strlen(bad[i]);
		assert_int_equal(mw_batv_sign(&r, 3, mw_str_make(bad[i], n), T0,
					      out, sizeof out),
				 MW_BATV_SIGN_BAD_ADDRESS);
	}
	/* An '@' in the local part: split at the last one, as Exim does. */
	sign_ok(&r, 3, "a@b@example.jp", T0, out, sizeof out);
	assert_int_equal(verify(&r, out, T0), MW_BATV_VALID);
}

static void test_sign_refuses_unknown_key(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[128];
	ring_with(&r, 3, SECRET_A);
	assert_int_equal(
	    mw_batv_sign(&r, 4, S("user@example.jp"), T0, out, sizeof out),
	    MW_BATV_SIGN_NO_KEY);
	assert_int_equal(
	    mw_batv_sign(&r, 10, S("user@example.jp"), T0, out, sizeof out),
	    MW_BATV_SIGN_NO_KEY);
}

static void test_sign_refuses_local_part_too_long_for_a_tag(void **state)
{
	(void)state;
	mw_batv_ring r;
	char addr[128], out[256];
	ring_with(&r, 3, SECRET_A);
	/* 48 + 16 = 64 octets of local part: allowed. */
	memset(addr, 'a', 48);
	strcpy(addr + 48, "@example.jp");
	sign_ok(&r, 3, addr, T0, out, sizeof out);
	assert_int_equal(strlen(out), strlen(addr) + MW_BATV_TAG_LEN);
	/* 49: the tagged local part would pass RFC 5321's 64. */
	memset(addr, 'a', 49);
	strcpy(addr + 49, "@example.jp");
	assert_int_equal(mw_batv_sign(&r, 3, S(addr), T0, out, sizeof out),
			 MW_BATV_SIGN_TOO_LONG);
}

static void test_sign_refuses_too_small_output(void **state)
{
	(void)state;
	mw_batv_ring r;
	char out[64];
	const char *a = "user@example.jp"; /* 15 + 16 + NUL = 32 */
	ring_with(&r, 3, SECRET_A);
	assert_int_equal(mw_batv_sign(&r, 3, S(a), T0, out, 31),
			 MW_BATV_SIGN_TOO_LONG);
	assert_string_equal(out, "");
	assert_int_equal(mw_batv_sign(&r, 3, S(a), T0, out, 32),
			 MW_BATV_SIGNED);
	assert_string_equal(out, "prvs=3682f46a10=user@example.jp");
}

/* -- parsing and malformed tags --------------------------------------- */

static void test_parse_splits_a_tag_into_its_fields(void **state)
{
	(void)state;
	mw_batv_tag t;
	const char *a = "prvs=3682F46a10=a@b@Example.JP";
	assert_int_equal(mw_batv_parse(S(a), &t), MW_BATV_TAGGED);
	assert_int_equal(t.key_no, 3);
	assert_int_equal(t.day, 682);
	assert_int_equal(t.hash[0], 0xf4);
	assert_int_equal(t.hash[1], 0x6a);
	assert_int_equal(t.hash[2], 0x10);
	assert_memory_equal(t.hash_hex.p, "F46a10", 6);
	assert_int_equal(t.inner.n, strlen("a@b@Example.JP"));
	assert_memory_equal(t.local.p, "a@b", t.local.n);
	assert_int_equal(t.local.n, 3);
	assert_memory_equal(t.domain.p, "Example.JP", t.domain.n);
	assert_int_equal(t.domain.n, 10);
}

static void test_untagged_address_is_no_tag_and_itself(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_str inner;
	mw_batv_tag t;
	ring_with(&r, 3, SECRET_A);
	const char *a = "user@example.jp";
	assert_int_equal(mw_batv_parse(S(a), &t), MW_BATV_UNTAGGED);
	assert_int_equal(mw_batv_verify(&r, S(a), T0, &inner), MW_BATV_NO_TAG);
	assert_ptr_equal(inner.p, a);
	assert_int_equal(inner.n, strlen(a));
	/* "prvs" not followed by '=' is an ordinary local part. */
	assert_int_equal(verify(&r, "prvsuser@example.jp", T0), MW_BATV_NO_TAG);
	assert_int_equal(verify(&r, "", T0), MW_BATV_NO_TAG);
}

static void test_malformed_tags_are_malformed(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_str inner;
	ring_with(&r, 3, SECRET_A);
	const char *bad[] = {
	    "prvs=",			       /* nothing after the prefix */
	    "prvs=3682f46a1=user@example.jp",  /* hash one digit short */
	    "prvs=3682f46a100=user@x.jp",      /* one digit long */
	    "prvs=3682f46g10=user@example.jp", /* non-hex */
	    "prvs=x682f46a10=user@example.jp", /* key not a digit */
	    "prvs=36a2f46a10=user@example.jp", /* day not digits */
	    "prvs=3682f46a10user@example.jp",  /* no second '=' */
	    "prvs=3682f46a10=userexample.jp",  /* no '@' */
	    "prvs=3682f46a10=@example.jp",     /* empty local part */
	    "prvs=3682f46a10=user@",	       /* empty domain */
	    "prvs=3682f46a10=",		       /* no address */
	    "prvs=3682f46a10",		       /* too short */
	    "prvs=user=3682f46a10@example.jp", /* old swapped order */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(mw_batv_verify(&r, S(bad[i]), T0, &inner),
				 MW_BATV_MALFORMED);
		assert_ptr_equal(inner.p, bad[i]);
	}
}

static void test_huge_address_is_judged_fast_without_overrun(void **state)
{
	(void)state;
	mw_batv_ring r;
	size_t n = (size_t)10 * 1024 * 1024;
	char *a = malloc(n);
	assert_non_null(a);
	ring_with(&r, 3, SECRET_A);
	memcpy(a, "prvs=3682f46a10=", 16);
	memset(a + 16, 'a', n - 16);
	a[n - 3] = '@';
	assert_int_equal(mw_batv_verify(&r, mw_str_make(a, n), T0, NULL),
			 MW_BATV_MALFORMED);
	char out[64];
	assert_int_equal(mw_batv_sign(&r, 3, mw_str_make(a + 16, n - 16), T0,
				      out, sizeof out),
			 MW_BATV_SIGN_TOO_LONG);
	free(a);
}

/* -- the key file ----------------------------------------------------- */

static mw_status parse_keys(mw_batv_ring *r, const char *text, mw_batv_error *e)
{
	mw_batv_ring_init(r);
	memset(e, 0, sizeof *e);
	return mw_batv_ring_parse(r, S(text), e);
}

static void test_key_file_with_comments_blanks_and_crlf(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_batv_error e;
	const char *text = "# mailwarden BATV keys\r\n"
			   "\r\n"
			   "   # indented comment\r\n"
			   "1 " SECRET_OLD "\r\n"
			   "\t2\t " SECRET_B "  \r\n"
			   "\r\n";
	assert_int_equal(parse_keys(&r, text, &e), MW_OK);
	assert_true(mw_batv_ring_has(&r, 1));
	assert_true(mw_batv_ring_has(&r, 2));
	assert_false(mw_batv_ring_has(&r, 0));
	assert_int_equal(mw_batv_ring_sign_key(&r), 2);
	assert_int_equal(r.keys[2].len, strlen(SECRET_B));
	assert_memory_equal(r.keys[2].secret, SECRET_B, strlen(SECRET_B));
	assert_int_equal(r.keys[1].len, strlen(SECRET_OLD));
	/* Inner blanks belong to the secret. */
	assert_memory_equal(r.keys[1].secret, SECRET_OLD, strlen(SECRET_OLD));
}

static void expect_key_error(const char *text, unsigned line, const char *words)
{
	mw_batv_ring r;
	mw_batv_error e;
	assert_int_equal(parse_keys(&r, text, &e), MW_EINVAL);
	assert_int_equal(e.line, line);
	if (!strstr(e.msg, words))
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, words);
	/* A refused file leaves no key behind. */
	assert_int_equal(mw_batv_ring_sign_key(&r), -1);
	for (unsigned k = 0; k < MW_BATV_KEYS_MAX; k++)
		assert_false(mw_batv_ring_has(&r, k));
}

static void test_key_file_errors_name_the_line(void **state)
{
	(void)state;
	expect_key_error("# keys\n1 " SECRET_A "\nsecret-without-number\n", 3,
			 "expected \"K secret\"");
	expect_key_error("\n\n12 " SECRET_A "\n", 3, "one digit");
	expect_key_error("1" SECRET_A "\n", 1, "expected \"K secret\"");
	expect_key_error("4\n", 1, "expected \"K secret\"");
	expect_key_error("1 " SECRET_A "\n# x\n1 " SECRET_B "\n", 3,
			 "key 1 is defined twice (first on line 1)");
	expect_key_error("1 short\n", 1, "at least 16");
	expect_key_error("1 0123456789abcdef0123456789abcdef"
			 "0123456789abcdef0123456789abcdef0\n",
			 1, "at most 64");
	expect_key_error("1 0123456789abcdef\x01\n", 1, "control");
	expect_key_error("1 0123456789abcdef\xc3\xa9\n", 1, "non-ASCII");
	/* CR-only line ends count lines too. */
	expect_key_error("# a\r# b\r7 tiny\r", 3, "at least 16");
}

static void test_key_file_without_keys_is_an_error(void **state)
{
	(void)state;
	expect_key_error("", 0, "no key");
	expect_key_error("# only comments\n\n", 0, "no key");
}

static void test_oversized_key_file_is_refused(void **state)
{
	(void)state;
	size_t n = MW_BATV_KEY_FILE_MAX + 1;
	char *text = malloc(n + 1);
	assert_non_null(text);
	memset(text, '#', n);
	text[n] = '\0';
	mw_batv_ring r;
	mw_batv_error e;
	assert_int_equal(parse_keys(&r, text, &e), MW_EINVAL);
	assert_int_equal(e.line, 0);
	free(text);
}

static void test_ring_add_refuses_bad_keys(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_batv_error e;
	ring_with(&r, 3, SECRET_A);
	assert_int_equal(mw_batv_ring_add(&r, 10, S(SECRET_B), &e), MW_EINVAL);
	assert_int_equal(mw_batv_ring_add(&r, 3, S(SECRET_B), &e), MW_EINVAL);
	assert_int_equal(mw_batv_ring_add(&r, 4, S("short"), &e), MW_EINVAL);
	assert_int_equal(mw_batv_ring_sign_key(&r), 3);
}

static void test_load_reads_a_file_and_reports_a_missing_one(void **state)
{
	(void)state;
	char path[] = "/tmp/test_batv_keysXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# k\n0 " SECRET_B "\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	mw_batv_ring r;
	mw_batv_error e;
	mw_batv_ring_init(&r);
	assert_int_equal(mw_batv_ring_load(&r, path, &e), MW_OK);
	assert_int_equal(mw_batv_ring_sign_key(&r), 0);
	unlink(path);
	mw_batv_ring_clear(&r);
	assert_int_equal(mw_batv_ring_load(&r, path, &e), MW_EIO);
	assert_int_equal(e.line, 0);
	assert_non_null(strstr(e.msg, "No such file"));
}

static void test_clear_wipes_every_secret(void **state)
{
	(void)state;
	mw_batv_ring r;
	ring_with(&r, 3, SECRET_A);
	mw_batv_ring_clear(&r);
	assert_int_equal(mw_batv_ring_sign_key(&r), -1);
	for (size_t i = 0; i < sizeof r.keys[3].secret; i++)
		assert_int_equal(r.keys[3].secret[i], 0);
	char out[64];
	assert_int_equal(
	    mw_batv_sign(&r, 3, S("user@example.jp"), T0, out, sizeof out),
	    MW_BATV_SIGN_NO_KEY);
}

/* -- rotation --------------------------------------------------------- */

static void test_rotation_new_key_signs_old_key_still_verifies(void **state)
{
	(void)state;
	mw_batv_ring r;
	mw_batv_error e;
	char old_tag[128], new_tag[128];
	/* Before: only key 1. */
	assert_int_equal(parse_keys(&r, "1 " SECRET_OLD "\n", &e), MW_OK);
	sign_ok(&r, (unsigned)mw_batv_ring_sign_key(&r), "user@example.jp", T0,
		old_tag, sizeof old_tag);
	/* printf '%s' '1682user@example.jp' \
	 *   | openssl dgst -sha1 -hmac 'old key for rotation test' */
	assert_string_equal(old_tag, "prvs=1682f1b4c6=user@example.jp");

	/* Rotation day: key 2 appended; it signs, key 1 still verifies. */
	assert_int_equal(parse_keys(&r,
				    "1 " SECRET_OLD "\n"
				    "2 " SECRET_B "\n",
				    &e),
			 MW_OK);
	assert_int_equal(mw_batv_ring_sign_key(&r), 2);
	sign_ok(&r, 2, "user@example.jp", T0 + DAY, new_tag, sizeof new_tag);
	assert_memory_equal(new_tag, "prvs=2683", 9);
	assert_int_equal(verify(&r, old_tag, T0 + DAY), MW_BATV_VALID);
	assert_int_equal(verify(&r, new_tag, T0 + DAY), MW_BATV_VALID);

	/* A week later key 1 is removed: its tags are no longer ours. */
	assert_int_equal(parse_keys(&r, "2 " SECRET_B "\n", &e), MW_OK);
	assert_int_equal(verify(&r, old_tag, T0 + 8 * DAY),
			 MW_BATV_UNKNOWN_KEY);
	assert_int_equal(verify(&r, new_tag, T0 + 8 * DAY), MW_BATV_VALID);
}

static void test_result_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(mw_batv_result_str(MW_BATV_VALID), "valid");
	assert_string_equal(mw_batv_result_str(MW_BATV_NO_TAG), "no-tag");
	assert_string_equal(mw_batv_result_str(MW_BATV_BAD_HASH), "bad-hash");
	assert_string_equal(mw_batv_result_str(MW_BATV_EXPIRED), "expired");
	assert_string_equal(mw_batv_result_str(MW_BATV_UNKNOWN_KEY),
			    "unknown-key");
	assert_string_equal(mw_batv_result_str(MW_BATV_MALFORMED), "malformed");
	assert_string_equal(
	    mw_batv_sign_result_str(MW_BATV_SIGN_ALREADY_TAGGED),
	    "already tagged");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answer_matches_openssl_and_exim),
	    cmocka_unit_test(test_address_is_hashed_with_its_case_preserved),
	    cmocka_unit_test(test_expiry_day_wraps_from_999_to_000),
	    cmocka_unit_test(
		test_sign_then_verify_returns_the_untagged_address),
	    cmocka_unit_test(test_valid_on_day_seven_expired_on_day_eight),
	    cmocka_unit_test(
		test_expiry_day_in_the_past_or_far_future_is_expired),
	    cmocka_unit_test(test_validity_days_sets_expiry_and_window),
	    cmocka_unit_test(test_day_counter_steps_daily_before_1970_too),
	    cmocka_unit_test(test_one_hex_digit_changed_is_bad_hash),
	    cmocka_unit_test(test_wrong_key_number_is_bad_hash),
	    cmocka_unit_test(test_key_not_in_ring_is_unknown_key),
	    cmocka_unit_test(test_expired_is_judged_only_after_the_hash),
	    cmocka_unit_test(test_uppercase_prefix_and_hex_are_accepted),
	    cmocka_unit_test(test_already_tagged_address_is_not_tagged_again),
	    cmocka_unit_test(test_sign_refuses_what_is_not_an_address),
	    cmocka_unit_test(test_sign_refuses_unknown_key),
	    cmocka_unit_test(test_sign_refuses_local_part_too_long_for_a_tag),
	    cmocka_unit_test(test_sign_refuses_too_small_output),
	    cmocka_unit_test(test_parse_splits_a_tag_into_its_fields),
	    cmocka_unit_test(test_untagged_address_is_no_tag_and_itself),
	    cmocka_unit_test(test_malformed_tags_are_malformed),
	    cmocka_unit_test(test_huge_address_is_judged_fast_without_overrun),
	    cmocka_unit_test(test_key_file_with_comments_blanks_and_crlf),
	    cmocka_unit_test(test_key_file_errors_name_the_line),
	    cmocka_unit_test(test_key_file_without_keys_is_an_error),
	    cmocka_unit_test(test_oversized_key_file_is_refused),
	    cmocka_unit_test(test_ring_add_refuses_bad_keys),
	    cmocka_unit_test(test_load_reads_a_file_and_reports_a_missing_one),
	    cmocka_unit_test(test_clear_wipes_every_secret),
	    cmocka_unit_test(
		test_rotation_new_key_signs_old_key_still_verifies),
	    cmocka_unit_test(test_result_names_are_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
