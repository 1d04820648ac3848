/* test_buf.c - the capped buffer never grows past its cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/buf.h"

static void test_empty_buffer_reads_as_empty_string(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 16);
	assert_string_equal(mw_buf_cstr(&b), "");
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

static void test_appends_and_stays_nul_terminated(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_buf_puts(&b, "hello"), MW_OK);
	assert_int_equal(mw_buf_putc(&b, ' '), MW_OK);
	assert_int_equal(mw_buf_printf(&b, "%s %d", "world", 42), MW_OK);
	assert_string_equal(mw_buf_cstr(&b), "hello world 42");
	assert_int_equal(b.len, 14);
	mw_buf_free(&b);
}

static void test_append_over_cap_is_refused_whole(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 8);
	assert_int_equal(mw_buf_puts(&b, "12345"), MW_OK);
	assert_int_equal(mw_buf_puts(&b, "6789"), MW_ETOOBIG);
	assert_string_equal(mw_buf_cstr(&b), "12345");
	assert_int_equal(mw_buf_puts(&b, "678"), MW_OK);
	assert_string_equal(mw_buf_cstr(&b), "12345678");
	assert_int_equal(mw_buf_putc(&b, 'x'), MW_ETOOBIG);
	assert_true(b.alloc <= 9);
	mw_buf_free(&b);
}

static void test_append_some_keeps_what_fits(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 4);
	assert_int_equal(mw_buf_append_some(&b, "abcdef", 6), MW_ETOOBIG);
	assert_string_equal(mw_buf_cstr(&b), "abcd");
	mw_buf_free(&b);
}

static void test_printf_over_cap_is_refused(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 10);
	assert_int_equal(mw_buf_printf(&b, "%s", "0123456789abc"), MW_ETOOBIG);
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

static void test_reset_keeps_memory_and_empties(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 100);
	mw_buf_puts(&b, "something");
	size_t alloc = b.alloc;
	mw_buf_reset(&b);
	assert_string_equal(mw_buf_cstr(&b), "");
	assert_int_equal(b.alloc, alloc);
	mw_buf_free(&b);
}

static void test_holds_binary_bytes(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 100);
	assert_int_equal(mw_buf_append(&b, "a\0b", 3), MW_OK);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	mw_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_buffer_reads_as_empty_string),
		cmocka_unit_test(test_appends_and_stays_nul_terminated),
		cmocka_unit_test(test_append_over_cap_is_refused_whole),
		cmocka_unit_test(test_append_some_keeps_what_fits),
		cmocka_unit_test(test_printf_over_cap_is_refused),
		cmocka_unit_test(test_reset_keeps_memory_and_empties),
		cmocka_unit_test(test_holds_binary_bytes),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
