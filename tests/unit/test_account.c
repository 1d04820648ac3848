/*
 * test_account.c - the admin's operations on an account: unlock (who,
 * the notice at the daemon's next tick, the evidence reset), fence and
 * unfence, limit overrides, the notify address, and what show, history
 * and list print.
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
	*state = gfx_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	gfx_free(*state);
	return 0;
}

/* What a printing function wrote, NUL-terminated (static). */
static const char *captured(FILE *fp)
{
	static char text[16384];
	fflush(fp);
	rewind(fp);
	size_t n = fread(text, 1, sizeof text - 1, fp);
	text[n] = '\0';
	fclose(fp);
	return text;
}

static void suspend(gfx *f)
{
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, NULL), MW_OK);
	assert_int_equal(mw_store_setting_set(f->st, k, "suspended",
					      "suspected stolen password", T0),
			 MW_OK);
	assert_int_equal(
	    mw_store_setting_set(f->st, k, "suspended_at", "1700000000", T0),
	    MW_OK);
	assert_int_equal(
	    mw_store_setting_set(f->st, k, "suspended_by", "mailwarden", T0),
	    MW_OK);
	assert_int_equal(
	    mw_store_setting_set(f->st, k, "suspended_score", "150", T0),
	    MW_OK);
}

static bool event_has(gfx *f, const char *key, const char *needle)
{
	mw_store_list l;
	mw_store_list_init(&l);
	bool found = false;
	assert_int_equal(mw_store_event_read(f->st, key, T0 + DAY, 0, 50, &l),
			 MW_OK);
	for (size_t i = 0; i < l.n; i++)
		found |= strstr(l.items[i].value, needle) != NULL;
	mw_store_list_free(&l);
	return found;
}

static void test_unlock_lifts_and_records_who(void **state)
{
	gfx *f = *state;
	suspend(f);
	bool was = false;
	assert_int_equal(
	    mw_account_unlock(f->st, TARO, "admin root", true, T0 + 60, &was),
	    MW_OK);
	assert_true(was);
	char v[256];
	assert_string_equal(gfx_setting(f, TARO, "suspended", v, sizeof v), "");
	assert_string_equal(
	    gfx_setting(f, TARO, "suspended_score", v, sizeof v), "");
	assert_string_equal(gfx_setting(f, TARO, "score_reset_at", v, sizeof v),
			    "1700000060");
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, "alerts"),
			 MW_OK);
	assert_true(event_has(f, k, "\"by\":\"admin root\""));
	assert_true(event_has(f, "global:admin", "\"type\":\"unlock\""));
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0 + 120);
	assert_string_equal(r.stage, "");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(
	    mw_account_show(f->cfg, f->st, TARO, T0 + 180, true, out), MW_OK);
	fclose(out);
	assert_non_null(
	    strstr(text, "\"last_unlock\":{\"at\":\"2023-11-14T22:14:20Z\","
			 "\"by\":\"admin root\"}"));
	free(text);
}

static void test_unlock_notice_is_sent_at_the_next_tick(void **state)
{
	gfx *f = *state;
	suspend(f);
	assert_int_equal(
	    mw_account_unlock(f->st, TARO, "admin root", true, T0 + 60, NULL),
	    MW_OK);
	mw_guard_tick(f->g, T0 + 61);
	assert_int_equal(gfx_count(f, MW_NOTICE_UNLOCKED, 0), 1);
	assert_int_equal(gfx_count(f, MW_NOTICE_UNLOCKED, 1), 1);
	assert_string_equal(f->notices[0].unlocked_by, "admin root");
	mw_guard_tick(f->g, T0 + 120);
	assert_int_equal(gfx_count(f, MW_NOTICE_UNLOCKED, 0), 1);
}

static void test_unlock_of_active_account_says_so(void **state)
{
	gfx *f = *state;
	bool was = true;
	assert_int_equal(
	    mw_account_unlock(f->st, TARO, "admin root", true, T0, &was),
	    MW_OK);
	assert_false(was);
	char v[64];
	assert_string_equal(gfx_setting(f, TARO, "unlock_notice", v, sizeof v),
			    "");
}

static void test_fence_takes_country_codes_only(void **state)
{
	gfx *f = *state;
	const char *ok[] = {"jp", "US"};
	assert_int_equal(mw_account_fence(f->st, TARO, ok, 2, "admin", T0),
			 MW_OK);
	char v[64];
	assert_string_equal(gfx_setting(f, TARO, "fence", v, sizeof v),
			    "JP US");
	const char *bad[] = {"JP", "Japan"};
	assert_int_equal(mw_account_fence(f->st, TARO, bad, 2, "admin", T0),
			 MW_EINVAL);
	assert_int_equal(mw_account_fence(f->st, TARO, ok, 0, "admin", T0),
			 MW_EINVAL);
	assert_int_equal(mw_account_unfence(f->st, TARO, "admin", T0), MW_OK);
	assert_string_equal(gfx_setting(f, TARO, "fence", v, sizeof v), "");
}

static void test_limit_refuses_unknown_names_and_values(void **state)
{
	gfx *f = *state;
	assert_int_equal(
	    mw_account_limit(f->st, TARO, "msgs_per_minute", 5, "a", T0),
	    MW_EINVAL);
	assert_int_equal(
	    mw_account_limit(f->st, TARO, "rcpts_per_day", 0, "a", T0),
	    MW_EINVAL);
	assert_int_equal(
	    mw_account_limit(f->st, TARO, "rcpts_per_day", 5000, "a", T0),
	    MW_OK);
	char v[64];
	assert_string_equal(
	    gfx_setting(f, TARO, "limit.rcpts_per_day", v, sizeof v), "5000");
}

static void test_notify_address_receives_the_users_notices(void **state)
{
	gfx *f = *state;
	assert_int_equal(mw_account_notify(f->st, TARO, "taro.home@example.net",
					   "admin", T0),
			 MW_OK);
	assert_int_equal(
	    mw_account_notify(f->st, TARO, "not an address", "admin", T0),
	    MW_EINVAL);
	gfx_report(f, TARO, HOME_IP, true, "pw000001", NULL, T0);
	gfx_report(f, TARO, US_IP, true, "pw000001", NULL, T0 + 60);
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 1);
	assert_string_equal(f->notices[0].to, "taro.home@example.net");
	assert_int_equal(mw_account_notify(f->st, TARO, NULL, "admin", T0),
			 MW_OK);
	char v[64];
	assert_string_equal(gfx_setting(f, TARO, "notify_address", v, sizeof v),
			    "");
}

static void test_show_prints_status_limits_fence_and_countries(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, HOME_IP, true, "pw000001", NULL, T0);
	gfx_submit(f, TARO, HOME_IP, 3, T0 + 10);
	suspend(f);
	const char *cc[] = {"JP"};
	assert_int_equal(mw_account_fence(f->st, TARO, cc, 1, "admin", T0),
			 MW_OK);
	FILE *fp = tmpfile();
	assert_int_equal(
	    mw_account_show(f->cfg, f->st, TARO, T0 + 20, true, fp), MW_OK);
	const char *s = captured(fp);
	assert_non_null(strstr(s, "\"status\":\"suspended\""));
	assert_non_null(strstr(s, "\"reason\":\"suspected stolen password\""));
	assert_non_null(strstr(s, "\"since\":\"2023-11-14T22:13:20Z\""));
	assert_non_null(strstr(s, "\"by\":\"mailwarden\""));
	assert_non_null(
	    strstr(s, "\"rcpts_per_hour\":{\"limit\":500,\"count\":3}"));
	assert_non_null(strstr(s, "\"fence\":\"JP\""));
	assert_non_null(strstr(s, "\"country\":\"JP\""));
	fp = tmpfile();
	assert_int_equal(
	    mw_account_show(f->cfg, f->st, TARO, T0 + 20, false, fp), MW_OK);
	s = captured(fp);
	assert_non_null(strstr(s, "status:    suspended since"));
	assert_non_null(strstr(s, "fence:     JP"));
}

static void test_history_lists_newest_first(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, HOME_IP, true, "pw000001", "phone", T0);
	gfx_report(f, TARO, US_IP, false, "pw000002", NULL, T0 + 60);
	FILE *fp = tmpfile();
	assert_int_equal(
	    mw_account_history(f->st, TARO, T0 + 100, 10, true, fp), MW_OK);
	const char *s = captured(fp);
	const char *us = strstr(s, "198.51.100.10");
	const char *home = strstr(s, "192.0.2.10");
	assert_non_null(us);
	assert_non_null(home);
	assert_true(us < home);
	assert_non_null(strstr(s, "\"time\":\"2023-11-14T22:14:20Z\""));
	fp = tmpfile();
	assert_int_equal(
	    mw_account_history(f->st, TARO, T0 + 100, 10, false, fp), MW_OK);
	s = captured(fp);
	assert_non_null(strstr(s, "time"));
	assert_non_null(strstr(s, "2023-11-14T22:13:20Z  imap        "
				  "192.0.2.10"));
	assert_non_null(strstr(s, "AS64500"));
	assert_non_null(strstr(s, "failure"));
}

static void test_list_names_accounts_and_suspended_ones(void **state)
{
	gfx *f = *state;
	gfx_report(f, TARO, HOME_IP, true, "pw000001", NULL, T0);
	gfx_report(f, HANAKO, HOME_IP, true, "pw000002", NULL, T0);
	suspend(f);
	FILE *fp = tmpfile();
	assert_int_equal(mw_account_list(f->st, false, false, fp), MW_OK);
	assert_string_equal(captured(fp), HANAKO "\n" TARO "\n");
	fp = tmpfile();
	assert_int_equal(mw_account_list(f->st, true, true, fp), MW_OK);
	assert_string_equal(captured(fp),
			    "{\"account\":\"" TARO "\",\"suspended\":true,"
			    "\"reason\":\"suspected stolen password\"}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unlock_lifts_and_records_who,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unlock_notice_is_sent_at_the_next_tick, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unlock_of_active_account_says_so, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fence_takes_country_codes_only,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_limit_refuses_unknown_names_and_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_notify_address_receives_the_users_notices, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_show_prints_status_limits_fence_and_countries, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_history_lists_newest_first,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_list_names_accounts_and_suspended_ones, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
