/*
 * test_guard_login.c - the auth-policy decisions and what a REPORT
 * records: brute force (delay, then reject; one wrong password repeated
 * counts once; the owner from a known address still gets in), the
 * country fence, login alerts (none at the first login, one per
 * interval), unlock by a password change, history.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_guard_fixture.h"

static int setup(void **state)
{
	*state = gfx_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	gfx_free(*state);
	return 0;
}

static void fail_n(gfx *f, const char *login, const char *ip, int n, time_t t)
{
	for (int i = 0; i < n; i++) {
		char pw[32];
		snprintf(pw, sizeof pw, "bad%04d", i);
		gfx_report(f, login, ip, false, pw, NULL, t);
	}
}

/* Defaults: an address is delayed after 5 distinct wrong passwords in
 * 15 minutes, by 1 s more per failure up to 5 s, refused after 30. */
static void test_address_is_delayed_then_refused(void **state)
{
	gfx *f = *state;
	assert_int_equal(gfx_allow(f, TARO, CN_IP, T0, NULL), 0);
	fail_n(f, TARO, CN_IP, 4, T0);
	assert_int_equal(gfx_allow(f, TARO, CN_IP, T0, NULL), 0);
	fail_n(f, HANAKO, CN_IP, 1, T0); /* other accounts count too */
	assert_int_equal(gfx_allow(f, TARO, CN_IP, T0, NULL), 1);
	fail_n(f, "jiro@" DOMAIN, CN_IP, 2, T0);
	assert_int_equal(gfx_allow(f, TARO, CN_IP, T0, NULL), 3);
	fail_n(f, "saburo@" DOMAIN, CN_IP, 10, T0);
	assert_int_equal(gfx_allow(f, TARO, CN_IP, T0, NULL), 5);
	fail_n(f, "shiro@" DOMAIN, CN_IP, 13, T0); /* 30 in all */
	mw_login_answer ans;
	assert_int_equal(gfx_allow(f, TARO, CN_IP, T0, &ans), -1);
	assert_string_equal(ans.msg, "Too many failed logins; try again later");
	/* the window passes */
	assert_int_equal(gfx_allow(f, TARO, CN_IP, T0 + 16 * 60, NULL), 0);
}

static void test_same_wrong_password_counts_once(void **state)
{
	gfx *f = *state;
	for (int i = 0; i < 200; i++)
		gfx_report(f, TARO, HOME_IP2, false, "stale0001", NULL, T0 + i);
	assert_int_equal(gfx_allow(f, TARO, HOME_IP2, T0 + 200, NULL), 0);
}

static void
test_owner_at_known_address_gets_in_during_account_attack(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, HOME_IP, true, "good0001", NULL, T0 - DAY);
	/* 200 guesses on the account from many addresses */
	for (int i = 0; i < 200; i++) {
		char ip[32], pw[32];
		snprintf(ip, sizeof ip, "203.0.113.%d", i % 250);
		snprintf(pw, sizeof pw, "guess%04d", i);
		gfx_report(f, TARO, ip, false, pw, NULL, T0);
	}
	mw_login_answer ans;
	assert_int_equal(gfx_allow(f, TARO, HOME_IP, T0 + 1, &ans), 0);
	/* an unknown place is refused on the account's count */
	assert_int_equal(gfx_allow(f, TARO, "198.51.100.50", T0 + 1, &ans), -1);
	assert_non_null(strstr(ans.reason, "brute force"));
}

/* 200 wrong passwords from one address: delayed then refused, while
 * the owner logs in from home. */
static void test_200_guesses_from_one_address_leave_home_open(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, HOME_IP, true, "good0001", NULL, T0 - DAY);
	int first_delay = -1, first_reject = -1;
	for (int i = 0; i < 200; i++) {
		int s = gfx_allow(f, TARO, CN_IP, T0 + i, NULL);
		if (s > 0 && first_delay < 0)
			first_delay = i;
		if (s < 0 && first_reject < 0)
			first_reject = i;
		char pw[32];
		snprintf(pw, sizeof pw, "guess%04d", i);
		gfx_report(f, TARO, CN_IP, false, pw, NULL, T0 + i);
	}
	assert_int_equal(first_delay, 5);
	assert_int_equal(first_reject, 30); /* the address's threshold */
	assert_int_equal(gfx_allow(f, TARO, HOME_IP, T0 + 201, NULL), 0);
}

static void test_fence_refuses_login_from_outside(void **state)
{
	gfx *f = *state;
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, NULL), MW_OK);
	assert_int_equal(mw_store_setting_set(f->st, k, "fence", "JP", T0),
			 MW_OK);
	mw_login_answer ans;
	assert_int_equal(gfx_allow(f, TARO, US_IP, T0, &ans), -1);
	assert_string_equal(ans.msg, "Logins from US are not allowed for this "
				     "account (country fence: JP)");
	assert_int_equal(gfx_allow(f, TARO, "8.8.8.8", T0, &ans), -1);
	assert_int_equal(gfx_allow(f, TARO, HOME_IP, T0, NULL), 0);
	assert_int_equal(gfx_allow(f, TARO, "127.0.0.1", T0, NULL), 0);
	assert_int_equal(gfx_allow(f, HANAKO, US_IP, T0, NULL), 0);
}

static void test_first_login_raises_no_alert(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, DE_IP, true, "good0001", "phone", T0);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 0);
	char v[64];
	assert_string_not_equal(
	    gfx_setting(f, TARO, "first_login", v, sizeof v), "");
}

static void test_new_device_alerts_once_per_interval(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, HOME_IP, true, "good0001", "phone", T0);
	gfx_report(f, TARO, HOME_IP, true, "good0001", "laptop", T0 + 60);
	gfx_report(f, TARO, HOME_IP, true, "good0001", "tablet", T0 + 120);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 1);
	assert_string_equal(f->notices[0].what_new, "device");
	/* known device, known place: nothing */
	gfx_report(f, TARO, HOME_IP, true, "good0001", "laptop", T0 + 2 * HOUR);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 1);
	/* a new country after the interval (1 h) */
	gfx_report(f, TARO, US_IP, true, "good0001", "laptop", T0 + 3 * HOUR);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 2);
	assert_string_equal(f->notices[1].what_new, "country");
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 1), 0);
}

/* Dovecot's client id is the IMAP ID list: the client's name is the
 * device, its version is not (an update is not a new device). */
static void test_imap_id_name_is_the_device_not_its_version(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, HOME_IP, true, "good0001",
		   "\"name\" \"Thunderbird\" \"version\" \"115.3\"", T0);
	gfx_report(f, TARO, HOME_IP, true, "good0001",
		   "\"name\" \"Thunderbird\" \"version\" \"115.4\"",
		   T0 + 2 * HOUR);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 0);
	gfx_report(f, TARO, HOME_IP, true, "good0001",
		   "\"NAME\" \"K-9 Mail\" \"os\" \"Android\"", T0 + 4 * HOUR);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 1);
	assert_string_equal(f->notices[0].what_new, "device");
	char v[256];
	assert_string_not_equal(gfx_setting_in(f, TARO, "seen",
					       "seen.device.k-9_mail", v,
					       sizeof v),
				"");
}

static void test_login_alerts_off_sends_none(void **state)
{
	gfx *f = *state;
	gfx_guard(f, "login_alerts = no\n");
	gfx_report(f, TARO, HOME_IP, true, "good0001", NULL, T0);
	gfx_report(f, TARO, US_IP, true, "good0001", NULL, T0 + 60);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 0);
}

static void suspend_by_attack(gfx *f)
{
	gfx_report(f, TARO, HOME_IP, true, "oldpw001", NULL, T0 - DAY);
	const char *attackers[] = {CN_IP, RU_IP, BR_IP, KR_IP, US_IP};
	for (size_t i = 0; i < 5; i++)
		gfx_report(f, TARO, attackers[i], true, "oldpw001", NULL,
			   T0 + (time_t)i);
	char v[256];
	assert_string_not_equal(gfx_setting(f, TARO, "suspended", v, sizeof v),
				"");
}

static void test_new_password_from_known_country_unlocks(void **state)
{
	gfx *f = *state;
	suspend_by_attack(f);
	/* the old password again, from home: still suspended */
	gfx_report(f, TARO, HOME_IP, true, "oldpw001", NULL, T0 + 60);
	char v[256];
	assert_string_not_equal(gfx_setting(f, TARO, "suspended", v, sizeof v),
				"");
	/* a new password from an unknown country: still suspended */
	gfx_report(f, TARO, "8.8.8.8", true, "newpw002", NULL, T0 + 90);
	assert_string_not_equal(gfx_setting(f, TARO, "suspended", v, sizeof v),
				"");
	/* the new password from home lifts it */
	gfx_report(f, TARO, HOME_IP, true, "newpw003", NULL, T0 + 120);
	assert_string_equal(gfx_setting(f, TARO, "suspended", v, sizeof v), "");
	assert_string_equal(gfx_setting(f, TARO, "score_reset_at", v, sizeof v),
			    "1700000120");
	assert_int_equal(gfx_count(f, MW_NOTICE_UNLOCKED, 0), 1);
	assert_int_equal(gfx_count(f, MW_NOTICE_UNLOCKED, 1), 1);
	for (size_t i = 0; i < f->nnotices; i++)
		if (f->notices[i].kind == MW_NOTICE_UNLOCKED)
			assert_string_equal(f->notices[i].unlocked_by,
					    "password change");
	/* the attacker's evidence no longer counts: the owner sends */
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 180);
	assert_string_equal(r.stage, "");
}

static void test_no_unlock_when_password_change_option_is_off(void **state)
{
	gfx *f = *state;
	gfx_guard(f, "unlock_on_password_change = no\n");
	suspend_by_attack(f);
	gfx_report(f, TARO, HOME_IP, true, "newpw003", NULL, T0 + 120);
	char v[256];
	assert_string_not_equal(gfx_setting(f, TARO, "suspended", v, sizeof v),
				"");
}

static void test_report_records_history_with_place(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, US_IP, false, "bad00001", "mua-1", T0);
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, "history"),
			 MW_OK);
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(mw_store_event_read(f->st, k, T0, 0, 10, &l), MW_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(
	    l.items[0].value,
	    "{\"kind\":\"login\",\"proto\":\"imap\",\"ip\":\"198.51.100.10\","
	    "\"country\":\"US\",\"asn\":64501,\"result\":\"failure\","
	    "\"device\":\"mua-1\",\"org\":\"Example AS64501\",\"why\":"
	    "\"wrong password or user\"}");
	mw_store_list_free(&l);
}

static void test_empty_login_is_allowed_without_a_read(void **state)
{
	gfx *f = *state;
	mw_login_event ev;
	gfx_event(&ev, MW_LOGIN_ALLOW, MW_LOGIN_RESULT_UNKNOWN, "", CN_IP, NULL,
		  T0);
	mw_login_answer ans;
	memset(&ans, 0, sizeof ans);
	mw_guard_login_decide(f->g, &ev, &ans);
	assert_int_equal(ans.status, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_address_is_delayed_then_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_same_wrong_password_counts_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_owner_at_known_address_gets_in_during_account_attack,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_200_guesses_from_one_address_leave_home_open, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fence_refuses_login_from_outside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_login_raises_no_alert,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_new_device_alerts_once_per_interval, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_imap_id_name_is_the_device_not_its_version, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_login_alerts_off_sends_none,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_new_password_from_known_country_unlocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_no_unlock_when_password_change_option_is_off, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_report_records_history_with_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_empty_login_is_allowed_without_a_read, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
