/*
 * test_guard_limits.c - send limits: the windows, the 451 text with its
 * count and the UTC time it lifts, per-account overrides, and each
 * send_limit_action applied once per crossing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard/account.h"
#include "test_guard_fixture.h"

static int setup(void **state)
{
	*state = gfx_new("send_limit_messages_hour = 5\n"
			 "send_limit_recipients_hour = 10\n"
			 "send_limit_recipients_day = 15\n");
	return 0;
}

static int teardown(void **state)
{
	gfx_free(*state);
	return 0;
}

static void send_n(gfx *f, int n, time_t t, time_t step)
{
	for (int i = 0; i < n; i++) {
		gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, t + i * step);
		assert_string_equal(r.stage, "");
	}
}

/* T0 is 22:13:20; its minute bucket starts at 22:13:00 and leaves the
 * one-hour window at 23:14:00. */
static void test_message_over_hourly_limit_gets_451_with_lift_time(void **state)
{
	gfx *f = *state;
	send_n(f, 5, T0, 60);
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 300);
	assert_string_equal(r.stage, "mail");
	assert_string_equal(r.code, "451");
	assert_string_equal(r.xcode, "4.7.1");
	assert_string_equal(r.text,
			    "Send limit reached: 5 messages per hour (this "
			    "account has sent 5); it lifts at 2023-11-14 "
			    "23:14 UTC");
}

static void test_limit_lifts_exactly_when_the_reply_says(void **state)
{
	gfx *f = *state;
	send_n(f, 5, T0, 60);
	time_t lift = 1700003640; /* 23:14:00 */
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, lift - 1);
	assert_string_equal(r.code, "451");
	r = gfx_submit(f, TARO, HOME_IP, 1, lift);
	assert_string_equal(r.stage, "");
}

static void test_recipient_over_hourly_limit_is_refused_at_rcpt(void **state)
{
	gfx *f = *state;
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 12, T0);
	assert_string_equal(r.stage, "rcpt");
	assert_int_equal(r.rcpts_taken, 10);
	assert_string_equal(r.code, "451");
	assert_non_null(strstr(r.text, "10 recipients per hour (this account "
				       "has sent 10)"));
	/* the next message's first recipient is refused too */
	r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 60);
	assert_string_equal(r.stage, "rcpt");
	assert_int_equal(r.rcpts_taken, 0);
}

static void test_daily_recipient_limit_lifts_by_the_hour(void **state)
{
	gfx *f = *state;
	/* 10 recipients at T0, 5 two hours later: 15 in the day */
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 10, T0);
	assert_int_equal(r.rcpts_taken, 10);
	r = gfx_submit(f, TARO, HOME_IP, 5, T0 + 2 * HOUR);
	assert_int_equal(r.rcpts_taken, 5);
	r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 3 * HOUR);
	assert_string_equal(r.stage, "rcpt");
	/* T0's hour bucket (22:00) leaves the day at 23:00 the next day */
	assert_non_null(strstr(r.text, "15 recipients per day (this account "
				       "has sent 15); it lifts at 2023-11-15 "
				       "23:00 UTC"));
}

static void test_override_lowers_the_limit_and_default_restores_it(void **state)
{
	gfx *f = *state;
	assert_int_equal(
	    mw_account_limit(f->st, TARO, "msgs_per_hour", 2, "admin test", T0),
	    MW_OK);
	send_n(f, 2, T0, 1);
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 10);
	assert_string_equal(r.code, "451");
	assert_non_null(strstr(r.text, "2 messages per hour"));
	assert_int_equal(mw_account_limit(f->st, TARO, "msgs_per_hour", -1,
					  "admin test", T0),
			 MW_OK);
	r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 20);
	assert_string_equal(r.stage, "");
	/* other accounts keep the default */
	send_n(f, 1, T0, 1);
}

static void test_alert_action_notifies_once_per_crossing(void **state)
{
	gfx *f = *state;
	send_n(f, 5, T0, 1);
	for (int i = 0; i < 3; i++) {
		gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 10 + i);
		assert_string_equal(r.code, "451");
	}
	assert_int_equal(gfx_count(f, MW_NOTICE_LIMIT, 0), 1);
	assert_int_equal(gfx_count(f, MW_NOTICE_LIMIT, 1), 1);
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, "alerts"),
			 MW_OK);
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(mw_store_event_read(f->st, k, T0 + 20, 0, 20, &l),
			 MW_OK);
	size_t limits = 0;
	for (size_t i = 0; i < l.n; i++)
		if (strstr(l.items[i].value, "\"type\":\"limit\""))
			limits++;
	assert_int_equal(limits, 1);
	mw_store_list_free(&l);
	/* a later crossing, after the limit lifted, notifies again */
	send_n(f, 5, T0 + 2 * HOUR, 1);
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 2 * HOUR + 10);
	assert_string_equal(r.code, "451");
	assert_int_equal(gfx_count(f, MW_NOTICE_LIMIT, 0), 2);
}

static void test_block_until_tomorrow_refuses_until_midnight_utc(void **state)
{
	gfx *f = *state;
	gfx_guard(f, "send_limit_messages_hour = 5\n"
		     "send_limit_action = block_until_tomorrow\n");
	send_n(f, 5, T0, 1);
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 10);
	assert_string_equal(r.code, "451");
	char v[64];
	assert_string_equal(gfx_setting(f, TARO, "blocked_until", v, sizeof v),
			    "1700006400"); /* 2023-11-15 00:00 UTC */
	/* after the hour, still blocked until midnight */
	r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 2 * HOUR - 1000);
	assert_string_equal(r.stage, "mail");
	assert_string_equal(r.text, "Sending from this account is blocked "
				    "after a send limit was reached; it lifts "
				    "at 2023-11-15 00:00 UTC");
	r = gfx_submit(f, TARO, HOME_IP, 1, 1700006400);
	assert_string_equal(r.stage, "");
}

static void test_block_until_admin_suspends_until_unlock(void **state)
{
	gfx *f = *state;
	gfx_guard(f, "send_limit_messages_hour = 5\n"
		     "send_limit_action = block_until_admin\n");
	send_n(f, 5, T0, 1);
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 10);
	assert_string_equal(r.code, "451");
	char v[256];
	assert_string_equal(gfx_setting(f, TARO, "suspended", v, sizeof v),
			    "send limit: 5 messages per hour reached");
	r = gfx_submit(f, TARO, HOME_IP, 1, T0 + DAY);
	assert_string_equal(r.code, "550");
	assert_non_null(strstr(r.text, "send limit"));
	assert_int_equal(gfx_count(f, MW_NOTICE_LIMIT, 0), 1);
	assert_int_equal(gfx_count(f, MW_NOTICE_SUSPENDED, 0), 0);
	bool was = false;
	assert_int_equal(
	    mw_account_unlock(f->st, TARO, "admin root", true, T0 + DAY, &was),
	    MW_OK);
	assert_true(was);
	r = gfx_submit(f, TARO, HOME_IP, 1, T0 + DAY + 1);
	assert_string_equal(r.stage, "");
}

static void test_lift_time_search_agrees_with_the_window(void **state)
{
	gfx *f = *state;
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", "x@y.jp", "msgs"),
			 MW_OK);
	/* 3 at 22:13:20, 2 at 22:40:00 */
	assert_int_equal(mw_store_counter_add(f->st, k, 3, T0), MW_OK);
	assert_int_equal(mw_store_counter_add(f->st, k, 2, T0 + 1600), MW_OK);
	time_t now = T0 + 1800;
	/* under 5: the first bucket must leave (23:14) */
	assert_int_equal(mwg_limit_lifts(f->g, k, HOUR, now, 5), 1700003640);
	/* under 3: the first leaving is enough */
	assert_int_equal(mwg_limit_lifts(f->g, k, HOUR, now, 3), 1700003640);
	/* under 2: the second must leave too (22:40 + 61 min) */
	assert_int_equal(mwg_limit_lifts(f->g, k, HOUR, now, 2),
			 (T0 + 1600) / 60 * 60 + 60 + HOUR);
	/* under 6: already */
	time_t w = mwg_limit_lifts(f->g, k, HOUR, now, 6);
	assert_true(w <= now + 60 - 1800 + HOUR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_message_over_hourly_limit_gets_451_with_lift_time, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_limit_lifts_exactly_when_the_reply_says, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_recipient_over_hourly_limit_is_refused_at_rcpt, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_daily_recipient_limit_lifts_by_the_hour, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_override_lowers_the_limit_and_default_restores_it, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_alert_action_notifies_once_per_crossing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_block_until_tomorrow_refuses_until_midnight_utc, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_block_until_admin_suspends_until_unlock, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_lift_time_search_agrees_with_the_window, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
