/* test_codec.c - base64 and quoted-printable decode anything, exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/codec.h"

static char *b64(const char *in, mw_status *st)
{
	mw_buf b;
	static char res[4096];

	mw_buf_init(&b, 1 << 20);
	*st = mw_base64_decode(in, strlen(in), &b);
	snprintf(res, sizeof(res), "%s", mw_buf_cstr(&b));
	mw_buf_free(&b);
	return res;
}

static char *qp(const char *in, bool q)
{
	static char res[4096];
	mw_buf b;

	mw_buf_init(&b, 1 << 20);
	assert_int_equal(mw_qp_decode(in, strlen(in), q, &b), MW_OK);
	snprintf(res, sizeof(res), "%s", mw_buf_cstr(&b));
	mw_buf_free(&b);
	return res;
}

static void test_base64_decodes_padded_quanta(void **state)
{
	(void)state;
	mw_status st;
	assert_string_equal(b64("aGVsbG8gd29ybGQ=", &st), "hello world");
	assert_int_equal(st, MW_OK);
	assert_string_equal(b64("YQ==", &st), "a");
	assert_string_equal(b64("YWI=", &st), "ab");
	assert_string_equal(b64("YWJj", &st), "abc");
	assert_string_equal(b64("", &st), "");
	assert_int_equal(st, MW_OK);
}

static void test_base64_skips_line_breaks_spaces_and_junk(void **state)
{
	(void)state;
	mw_status st;
	assert_string_equal(b64("aGVs\r\nbG8g\nd29y bGQ=\r\n", &st),
			    "hello world");
	assert_string_equal(b64("aG*Vs!bG\x80\x01"
				"8=",
				&st),
			    "hello");
	assert_int_equal(st, MW_OK);
}

static void test_base64_stops_at_first_pad(void **state)
{
	(void)state;
	mw_status st;
	/* The pad ends the data; what follows is not decoded. */
	assert_string_equal(b64("YQ==YWJj", &st), "a");
	assert_string_equal(b64("YWI=YWJj", &st), "ab");
}

static void test_base64_stray_pad_at_quantum_start_is_skipped(void **state)
{
	(void)state;
	mw_status st;
	assert_string_equal(b64("=YWJj", &st), "abc");
	assert_string_equal(b64("YWJj=YQ==", &st), "abca");
	assert_string_equal(b64("Y=WJj", &st), "abc");
}

static void test_base64_partial_final_quantum_gives_whole_bytes(void **state)
{
	(void)state;
	mw_status st;
	assert_string_equal(b64("YWJjZA", &st), "abcd");
	assert_string_equal(b64("YWJjZGU", &st), "abcde");
	/* One sextet carries no whole byte. */
	assert_string_equal(b64("YWJjZ", &st), "abc");
	assert_int_equal(st, MW_OK);
}

static void test_base64_decodes_binary_bytes(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 64);
	assert_int_equal(mw_base64_decode("AP+AAQ==", 8, &b), MW_OK);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\x00\xff\x80\x01", 4);
	mw_buf_free(&b);
}

static void test_base64_output_over_cap_keeps_what_fitted(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 5);
	assert_int_equal(mw_base64_decode("aGVsbG8gd29ybGQ=", 16, &b),
			 MW_ETOOBIG);
	assert_string_equal(mw_buf_cstr(&b), "hello");
	mw_buf_free(&b);
}

static void test_base64_large_input_decodes_fast(void **state)
{
	(void)state;
	size_t n = 8u << 20; /* 8 MiB of "QUJD" = "ABC" repeated */
	char *in = malloc(n);
	mw_buf b;
	clock_t t0 = clock();

	assert_non_null(in);
	for (size_t i = 0; i < n; i += 4)
		memcpy(in + i, "QUJD", 4);
	mw_buf_init(&b, n);
	assert_int_equal(mw_base64_decode(in, n, &b), MW_OK);
	assert_int_equal(b.len, n / 4 * 3);
	assert_memory_equal(b.data + b.len - 3, "ABC", 3);
	/* Generous even under sanitizers; a per-byte realloc would not be. */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	mw_buf_free(&b);
	free(in);
}

static void test_qp_decodes_hex_in_either_case(void **state)
{
	(void)state;
	assert_string_equal(qp("caf=C3=A9 caf=c3=a9", false),
			    "caf\xC3\xA9 caf\xC3\xA9");
	assert_string_equal(qp("a=3Db", false), "a=b");
}

static void test_qp_drops_soft_line_breaks(void **state)
{
	(void)state;
	assert_string_equal(qp("long=\r\nline", false), "longline");
	assert_string_equal(qp("long=\nline", false), "longline");
	assert_string_equal(qp("long=\rline", false), "longline");
	assert_string_equal(qp("long= \t\r\nline", false), "longline");
	assert_string_equal(qp("end=", false), "end");
	/* White space before a soft break is content. */
	assert_string_equal(qp("two =\r\nwords", false), "two words");
}

static void test_qp_keeps_malformed_equals_literally(void **state)
{
	(void)state;
	assert_string_equal(qp("a=ZZb", false), "a=ZZb");
	assert_string_equal(qp("a=4", false), "a=4");
	assert_string_equal(qp("100=% sure", false), "100=% sure");
	assert_string_equal(qp("x=\x80y", false), "x=\x80y");
}

static void test_qp_turns_every_line_ending_into_lf(void **state)
{
	(void)state;
	assert_string_equal(qp("a\r\nb\rc\nd", false), "a\nb\nc\nd");
	assert_string_equal(qp("a\r\n\r\nb", false), "a\n\nb");
	assert_string_equal(qp("=0D=0A", false), "\r\n");
}

static void test_qp_drops_trailing_white_space_of_lines(void **state)
{
	(void)state;
	assert_string_equal(qp("a  \r\nb\t\nc ", false), "a\nb\nc");
	assert_string_equal(qp("a b\tc", false), "a b\tc");
}

static void test_q_encoding_reads_underscore_as_space(void **state)
{
	(void)state;
	assert_string_equal(qp("hello_world=5F=3F", true), "hello world_?");
	assert_string_equal(qp("_", false), "_");
}

static void test_q_encoding_has_no_soft_breaks(void **state)
{
	(void)state;
	assert_string_equal(qp("a=\r\nb", true), "a=\r\nb");
	assert_string_equal(qp("a=", true), "a=");
}

static void test_qp_output_over_cap_keeps_what_fitted(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 4);
	assert_int_equal(mw_qp_decode("ab=41cdef", 9, false, &b), MW_ETOOBIG);
	assert_string_equal(mw_buf_cstr(&b), "abAc");
	mw_buf_free(&b);
}

static void test_qp_long_white_space_runs_are_linear(void **state)
{
	(void)state;
	size_t n = 4u << 20;
	char *in = malloc(n);
	mw_buf b;
	clock_t t0 = clock();

	assert_non_null(in);
	memset(in, ' ', n);
	in[n - 1] = 'x';
	mw_buf_init(&b, n);
	assert_int_equal(mw_qp_decode(in, n, false, &b), MW_OK);
	assert_int_equal(b.len, n);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	mw_buf_free(&b);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64_decodes_padded_quanta),
	    cmocka_unit_test(test_base64_skips_line_breaks_spaces_and_junk),
	    cmocka_unit_test(test_base64_stops_at_first_pad),
	    cmocka_unit_test(test_base64_stray_pad_at_quantum_start_is_skipped),
	    cmocka_unit_test(
		test_base64_partial_final_quantum_gives_whole_bytes),
	    cmocka_unit_test(test_base64_decodes_binary_bytes),
	    cmocka_unit_test(test_base64_output_over_cap_keeps_what_fitted),
	    cmocka_unit_test(test_base64_large_input_decodes_fast),
	    cmocka_unit_test(test_qp_decodes_hex_in_either_case),
	    cmocka_unit_test(test_qp_drops_soft_line_breaks),
	    cmocka_unit_test(test_qp_keeps_malformed_equals_literally),
	    cmocka_unit_test(test_qp_turns_every_line_ending_into_lf),
	    cmocka_unit_test(test_qp_drops_trailing_white_space_of_lines),
	    cmocka_unit_test(test_q_encoding_reads_underscore_as_space),
	    cmocka_unit_test(test_q_encoding_has_no_soft_breaks),
	    cmocka_unit_test(test_qp_output_over_cap_keeps_what_fitted),
	    cmocka_unit_test(test_qp_long_white_space_runs_are_linear),
	};
	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
