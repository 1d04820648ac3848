/* test_str.c - slices, case-insensitive search, the three line endings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/str.h"

static void collect_lines(const char *text, size_t n, char out[][16],
			  size_t *count)
{
	mw_str t = mw_str_make(text, n), line;
	size_t pos = 0;
	*count = 0;
	while (mw_line_next(t, &pos, &line)) {
		memcpy(out[*count], line.p, line.n);
		out[*count][line.n] = '\0';
		(*count)++;
	}
}

static void test_lf_crlf_and_bare_cr_split_alike(void **state)
{
	(void)state;
	const char *forms[] = {"a\nbb\n\nc", "a\r\nbb\r\n\r\nc", "a\rbb\r\rc"};
	for (int f = 0; f < 3; f++) {
		char lines[8][16];
		size_t n;
		collect_lines(forms[f], strlen(forms[f]), lines, &n);
		assert_int_equal(n, 4);
		assert_string_equal(lines[0], "a");
		assert_string_equal(lines[1], "bb");
		assert_string_equal(lines[2], "");
		assert_string_equal(lines[3], "c");
	}
}

static void test_final_terminator_gives_no_extra_line(void **state)
{
	(void)state;
	char lines[8][16];
	size_t n;
	collect_lines("x\r\n", 3, lines, &n);
	assert_int_equal(n, 1);
	collect_lines("", 0, lines, &n);
	assert_int_equal(n, 0);
}

static void test_cr_at_end_of_slice_does_not_read_past(void **state)
{
	(void)state;
	const char text[] = "ab\r\nZZ";
	mw_str t = mw_str_make(text, 3), line; /* cut between CR and LF */
	size_t pos = 0;
	assert_true(mw_line_next(t, &pos, &line));
	assert_int_equal(line.n, 2);
	assert_int_equal(pos, 3);
	assert_false(mw_line_next(t, &pos, &line));
}

static void test_ifind_is_case_insensitive_and_bounded(void **state)
{
	(void)state;
	mw_str hay = MW_STR_LIT("Hi. This is the QMAIL-send program");
	assert_int_equal(mw_str_ifind(hay, "qmail-SEND"), 16);
	assert_int_equal(mw_str_ifind(hay, "program!"), -1);
	assert_int_equal(mw_str_ifind(mw_str_make(hay.p, 20), "qmail-send"),
			 -1);
	assert_int_equal(mw_str_ifind(hay, ""), 0);
	assert_int_equal(mw_str_ifind(MW_STR_LIT("aaab"), "AAB"), 1);
}

/* One case of the first letter everywhere, the other nowhere: must stay
 * linear (this took minutes when each step rescanned the rest). */
static void test_ifind_is_linear_on_one_sided_text(void **state)
{
	(void)state;
	size_t n = 4 * 1024 * 1024;
	char *text = malloc(n);
	assert_non_null(text);
	memset(text, 'a', n);
	memcpy(text + n - 2, "Ab", 2);
	assert_int_equal(mw_str_ifind(mw_str_make(text, n), "ab"),
			 (long)(n - 2));
	memset(text, 'A', n);
	assert_int_equal(mw_str_ifind(mw_str_make(text, n), "ax"), -1);
	free(text);
}

static void test_bare_cr_lines_are_linear(void **state)
{
	(void)state;
	size_t lines = 1000000, n = lines * 4;
	char *text = malloc(n);
	assert_non_null(text);
	for (size_t i = 0; i < lines; i++)
		memcpy(text + 4 * i, "a:b\r", 4);
	mw_str t = mw_str_make(text, n), line;
	size_t pos = 0, count = 0;
	while (mw_line_next(t, &pos, &line))
		count++;
	assert_int_equal(count, lines);
	free(text);
}

static void test_trim_and_compare(void **state)
{
	(void)state;
	mw_str s = mw_str_trim(MW_STR_LIT(" \t value \r\n"));
	assert_true(mw_str_eq(s, MW_STR_LIT("value")));
	assert_true(mw_str_ieq_cstr(s, "VALUE"));
	assert_true(mw_str_istarts(MW_STR_LIT("Content-Type: x"), "content-"));
	assert_false(mw_str_istarts(MW_STR_LIT("Con"), "content"));
	assert_int_equal(mw_str_trim(MW_STR_LIT("   ")).n, 0);
}

static void test_hexval(void **state)
{
	(void)state;
	assert_int_equal(mw_hexval('0'), 0);
	assert_int_equal(mw_hexval('f'), 15);
	assert_int_equal(mw_hexval('A'), 10);
	assert_int_equal(mw_hexval('g'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lf_crlf_and_bare_cr_split_alike),
		cmocka_unit_test(test_final_terminator_gives_no_extra_line),
		cmocka_unit_test(test_cr_at_end_of_slice_does_not_read_past),
		cmocka_unit_test(test_ifind_is_case_insensitive_and_bounded),
		cmocka_unit_test(test_ifind_is_linear_on_one_sided_text),
		cmocka_unit_test(test_bare_cr_lines_are_linear),
		cmocka_unit_test(test_trim_and_compare),
		cmocka_unit_test(test_hexval),
	};
	return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
