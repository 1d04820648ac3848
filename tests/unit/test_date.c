/* test_date.c - RFC 5322 dates and the deviations mail really has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/date.h"

static time_t parse(const char *s)
{
	time_t t = -1;
	assert_true(mw_date_parse(s, strlen(s), &t));
	return t;
}

static void test_standard_form_with_numeric_zone(void **state)
{
	(void)state;
	assert_int_equal(parse("Thu, 29 Apr 2009 00:00:00 -0000"), 1240963200);
	assert_int_equal(parse("Thu, 29 Apr 2009 09:00:00 +0900"), 1240963200);
	assert_int_equal(parse("Wed, 29 Apr 2009 00:00:00 -0500"),
			 1240963200 + 5 * 3600);
}

static void test_zone_names_and_comments(void **state)
{
	(void)state;
	assert_int_equal(parse("29 Apr 2009 09:00:00 JST"), 1240963200);
	assert_int_equal(parse("Thu, 29 Apr 2009 09:00:00 +0900 (JST)"),
			 1240963200);
	assert_int_equal(parse("Thu, 29 Apr 2009 00:00:00 GMT"), 1240963200);
	assert_int_equal(parse("Thu, 29 Apr 2013 23:45:00 PST"),
			 parse("Tue, 30 Apr 2013 07:45:00 +0000"));
}

static void test_two_digit_year_and_no_seconds(void **state)
{
	(void)state;
	assert_int_equal(parse("29 Apr 09 00:00 +0000"), 1240963200);
	assert_int_equal(parse("1 Jan 99 00:00:00 +0000"), 915148800);
	assert_int_equal(parse("Thu, 029 Apr 2009 00:00:00 +0000"), 1240963200);
}

static void test_asctime_form(void **state)
{
	(void)state;
	assert_int_equal(parse("Thu Apr 29 00:00:00 2009"), 1240963200);
}

static void test_garbage_is_refused(void **state)
{
	(void)state;
	time_t t;
	assert_false(mw_date_parse("", 0, &t));
	assert_false(mw_date_parse("yesterday", 9, &t));
	assert_false(mw_date_parse("32 Apr 2009 00:00:00", 20, &t));
	assert_false(mw_date_parse("((((((", 6, &t));
}

static void test_iso_format(void **state)
{
	(void)state;
	char out[21];
	mw_date_format_iso(1240963200, out);
	assert_string_equal(out, "2009-04-29T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard_form_with_numeric_zone),
		cmocka_unit_test(test_zone_names_and_comments),
		cmocka_unit_test(test_two_digit_year_and_no_seconds),
		cmocka_unit_test(test_asctime_form),
		cmocka_unit_test(test_garbage_is_refused),
		cmocka_unit_test(test_iso_format),
	};
	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
