/*
 * test_guard_score.c - the takeover score as a pure function: the
 * calibration of seed 001's attacker and of a traveller, and each
 * signal's points, allowance and cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "guard/guard_score.h"

#define THRESHOLD 100

static int score_of(const mw_guard_score_input *in)
{
	mw_guard_score sc;
	mw_guard_score_compute(in, &sc);
	return sc.total;
}

static void test_nothing_scores_zero(void **state)
{
	(void)state;
	mw_guard_score_input in = {0};
	mw_guard_score sc;
	mw_guard_score_compute(&in, &sc);
	assert_int_equal(sc.total, 0);
	assert_int_equal(sc.nsignals, 0);
}

static void test_owner_at_home_scores_zero(void **state)
{
	(void)state;
	mw_guard_score_input in = {.ips = 2,
				   .countries = 1,
				   .asns = 2,
				   .msgs = 20,
				   .rcpts = 40,
				   .failed_passwords = 2};
	assert_int_equal(score_of(&in), 0);
}

/* Seed 001: home JP, then five foreign countries on five networks, and
 * sending. Over the threshold even before the first message. */
static void test_attacker_of_seed_001_is_over_threshold(void **state)
{
	(void)state;
	mw_guard_score_input in = {
	    .ips = 6, .countries = 6, .asns = 6, .new_countries = 5};
	mw_guard_score sc;
	mw_guard_score_compute(&in, &sc);
	assert_int_equal(sc.total, 75 + 20 + 20 + 40);
	assert_true(sc.total >= THRESHOLD);
	in.msgs = 1;
	in.rcpts = 1;
	assert_int_equal(score_of(&in), 155 + 15);
}

/* The same attack seen after four logins: already over. */
static void test_attacker_crosses_at_fourth_foreign_login(void **state)
{
	(void)state;
	mw_guard_score_input three = {
	    .ips = 4, .countries = 4, .asns = 4, .new_countries = 3};
	mw_guard_score_input four = {
	    .ips = 5, .countries = 5, .asns = 5, .new_countries = 4};
	assert_int_equal(score_of(&three), 45 + 10 + 10 + 30);
	assert_true(score_of(&three) < THRESHOLD);
	assert_int_equal(score_of(&four), 60 + 15 + 15 + 40);
	assert_true(score_of(&four) >= THRESHOLD);
}

/* A traveller: home and one new country, three addresses and networks,
 * ten messages. A login alert, far from a suspension. */
static void test_traveller_stays_under_half_the_threshold(void **state)
{
	(void)state;
	mw_guard_score_input in = {.ips = 3,
				   .countries = 2,
				   .asns = 3,
				   .new_countries = 1,
				   .msgs = 10,
				   .rcpts = 10};
	mw_guard_score sc;
	mw_guard_score_compute(&in, &sc);
	assert_int_equal(sc.total, 15 + 5 + 5 + 10 + 15);
	assert_true(sc.total <= THRESHOLD / 2);
}

static void test_countries_allow_one_and_cap_at_75(void **state)
{
	(void)state;
	mw_guard_score_input in = {.countries = 1};
	assert_int_equal(score_of(&in), 0);
	in.countries = 2;
	assert_int_equal(score_of(&in), 15);
	in.countries = 50;
	assert_int_equal(score_of(&in), 75);
}

static void test_addresses_allow_two_and_cap_at_40(void **state)
{
	(void)state;
	mw_guard_score_input in = {.ips = 2};
	assert_int_equal(score_of(&in), 0);
	in.ips = 3;
	assert_int_equal(score_of(&in), 5);
	in.ips = 1000;
	assert_int_equal(score_of(&in), 40);
}

static void test_networks_allow_two_and_cap_at_30(void **state)
{
	(void)state;
	mw_guard_score_input in = {.asns = 4};
	assert_int_equal(score_of(&in), 10);
	in.asns = 100;
	assert_int_equal(score_of(&in), 30);
}

static void test_new_country_then_sending_adds_15(void **state)
{
	(void)state;
	mw_guard_score_input in = {.new_countries = 1};
	assert_int_equal(score_of(&in), 10);
	in.msgs = 1;
	assert_int_equal(score_of(&in), 25);
	in.new_countries = 0;
	assert_int_equal(score_of(&in), 0);
}

static void test_guessing_counts_distinct_passwords_over_five(void **state)
{
	(void)state;
	mw_guard_score_input in = {.failed_passwords = 5};
	assert_int_equal(score_of(&in), 0);
	in.failed_passwords = 10;
	assert_int_equal(score_of(&in), 10);
	in.failed_passwords = 200;
	assert_int_equal(score_of(&in), 40);
}

static void test_recipient_burst_scores_a_point_per_five_over_100(void **state)
{
	(void)state;
	mw_guard_score_input in = {.rcpts = 100};
	assert_int_equal(score_of(&in), 0);
	in.rcpts = 150;
	assert_int_equal(score_of(&in), 10);
	in.rcpts = 100000;
	assert_int_equal(score_of(&in), 30);
}

static void test_message_burst_scores_over_30_an_hour(void **state)
{
	(void)state;
	mw_guard_score_input in = {.msgs = 30};
	assert_int_equal(score_of(&in), 0);
	in.msgs = 45;
	assert_int_equal(score_of(&in), 15);
	in.msgs = 3600;
	assert_int_equal(score_of(&in), 30);
}

static void test_own_bounce_events_score_25_each_up_to_50(void **state)
{
	(void)state;
	mw_guard_score_input in = {.own_bounce_events = 1};
	assert_int_equal(score_of(&in), 25);
	in.own_bounce_events = 9;
	assert_int_equal(score_of(&in), 50);
}

/* Seed 004: the account's own mail bouncing by the thousand while it
 * sends from a few places: over the threshold. */
static void test_bounce_surge_with_burst_is_over_threshold(void **state)
{
	(void)state;
	mw_guard_score_input in = {.ips = 3,
				   .asns = 3,
				   .countries = 2,
				   .own_bounce_events = 3,
				   .msgs = 200,
				   .rcpts = 1000};
	assert_true(score_of(&in) >= THRESHOLD);
}

static void test_signals_name_their_counts_and_points(void **state)
{
	(void)state;
	mw_guard_score_input in = {.countries = 6, .ips = 1};
	mw_guard_score sc;
	mw_guard_score_compute(&in, &sc);
	assert_int_equal(sc.nsignals, 1);
	assert_string_equal(sc.signals[0], "6 countries in 24 h (+75)");
}

static void test_negative_counts_are_taken_as_zero(void **state)
{
	(void)state;
	mw_guard_score_input in = {.msgs = -5, .rcpts = -1000};
	assert_int_equal(score_of(&in), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_scores_zero),
	    cmocka_unit_test(test_owner_at_home_scores_zero),
	    cmocka_unit_test(test_attacker_of_seed_001_is_over_threshold),
	    cmocka_unit_test(test_attacker_crosses_at_fourth_foreign_login),
	    cmocka_unit_test(test_traveller_stays_under_half_the_threshold),
	    cmocka_unit_test(test_countries_allow_one_and_cap_at_75),
	    cmocka_unit_test(test_addresses_allow_two_and_cap_at_40),
	    cmocka_unit_test(test_networks_allow_two_and_cap_at_30),
	    cmocka_unit_test(test_new_country_then_sending_adds_15),
	    cmocka_unit_test(test_guessing_counts_distinct_passwords_over_five),
	    cmocka_unit_test(
		test_recipient_burst_scores_a_point_per_five_over_100),
	    cmocka_unit_test(test_message_burst_scores_over_30_an_hour),
	    cmocka_unit_test(test_own_bounce_events_score_25_each_up_to_50),
	    cmocka_unit_test(test_bounce_surge_with_burst_is_over_threshold),
	    cmocka_unit_test(test_signals_name_their_counts_and_points),
	    cmocka_unit_test(test_negative_counts_are_taken_as_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
