/* test_arena.c - the region allocator refuses past its cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/arena.h"

static void test_allocations_are_zeroed_and_aligned(void **state)
{
	(void)state;
	mw_arena a;
	mw_arena_init(&a, 1 << 20);
	for (int i = 1; i < 100; i++) {
		unsigned char *p = mw_arena_alloc(&a, (size_t)i);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (int j = 0; j < i; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xff, (size_t)i);
	}
	mw_arena_free(&a);
}

static void test_refuses_past_cap_and_says_so(void **state)
{
	(void)state;
	mw_arena a;
	mw_arena_init(&a, 64 * 1024);
	assert_false(a.refused);
	assert_null(mw_arena_alloc(&a, 1 << 20));
	assert_true(a.refused);
	assert_true(a.used <= a.max);
	mw_arena_free(&a);
}

static void test_many_small_allocations_stay_under_cap(void **state)
{
	(void)state;
	mw_arena a;
	mw_arena_init(&a, 256 * 1024);
	size_t got = 0;
	while (mw_arena_alloc(&a, 100))
		got++;
	assert_true(got > 1000);
	assert_true(a.used <= a.max);
	mw_arena_free(&a);
}

static void test_big_request_does_not_waste_current_chunk(void **state)
{
	(void)state;
	mw_arena a;
	mw_arena_init(&a, 16 << 20);
	char *small1 = mw_arena_alloc(&a, 16);
	assert_non_null(mw_arena_alloc(&a, 4 << 20));
	char *small2 = mw_arena_alloc(&a, 16);
	/* The small ones come from the same first chunk. */
	assert_int_equal(small2 - small1, 16);
	mw_arena_free(&a);
}

static void test_calloc_overflow_is_refused(void **state)
{
	(void)state;
	mw_arena a;
	mw_arena_init(&a, 1 << 20);
	assert_null(mw_arena_calloc(&a, SIZE_MAX / 2, 4));
	assert_true(a.refused);
	mw_arena_free(&a);
}

static void test_strndup_lower_and_grow(void **state)
{
	(void)state;
	mw_arena a;
	mw_arena_init(&a, 1 << 20);
	assert_string_equal(mw_arena_strndup(&a, "Hello", 3), "Hel");
	assert_string_equal(mw_arena_strndup_lower(&a, "EXAMPLE.JP", 10),
			    "example.jp");
	int *v = mw_arena_calloc(&a, 2, sizeof *v);
	v[0] = 7, v[1] = 9;
	int *w = mw_arena_grow(&a, v, 2, 4, sizeof *v);
	assert_int_equal(w[0], 7);
	assert_int_equal(w[1], 9);
	assert_int_equal(w[3], 0);
	mw_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocations_are_zeroed_and_aligned),
		cmocka_unit_test(test_refuses_past_cap_and_says_so),
		cmocka_unit_test(test_many_small_allocations_stay_under_cap),
		cmocka_unit_test(test_big_request_does_not_waste_current_chunk),
		cmocka_unit_test(test_calloc_overflow_is_refused),
		cmocka_unit_test(test_strndup_lower_and_grow),
	};
	return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
