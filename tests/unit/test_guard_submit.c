/*
 * test_guard_submit.c - the guard's milter stages on a real store: seed
 * 001's attack suspended within 20 messages with one notice to the user
 * and one to the admin, a traveller left alone with one login alert,
 * the country fence at MAIL, history of submissions, sessions the guard
 * does not judge, and a store that fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>

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

/* The owner's usual life: logins from home. */
static void owner_at_home(gfx *f, time_t t)
{
	gfx_report(f, TARO, HOME_IP, true, "aaaa1111", "thunderbird", t);
	gfx_report(f, TARO, HOME_IP, true, "aaaa1111", "thunderbird", t + HOUR);
}

static void
test_attack_of_seed_001_is_suspended_within_20_messages(void **state)
{
	gfx *f = *state;
	time_t t = T0;
	owner_at_home(f, t - 2 * DAY);
	owner_at_home(f, t - 10);
	const char *attackers[] = {CN_IP, RU_IP, BR_IP, KR_IP, US_IP};
	for (size_t i = 0; i < 5; i++)
		gfx_report(f, TARO, attackers[i], true, "aaaa1111", "",
			   t + (time_t)i);
	size_t accepted = 0;
	gfx_result r = {0};
	for (size_t i = 0; i < 60; i++) {
		r = gfx_submit(f, TARO, attackers[i % 5], 1,
			       t + 10 + (time_t)i);
		if (r.stage[0])
			break;
		accepted++;
	}
	assert_true(accepted <= 20);
	assert_string_equal(r.code, "550");
	assert_string_equal(r.xcode, "5.7.1");
	assert_non_null(strstr(r.text, "suspended"));
	assert_non_null(strstr(r.text, "suspected stolen"));
	char v[256];
	assert_string_equal(gfx_setting(f, TARO, "suspended_by", v, sizeof v),
			    "mailwarden");
	assert_non_null(strstr(gfx_setting(f, TARO, "suspended", v, sizeof v),
			       "takeover score"));
	assert_string_equal(
	    gfx_setting(f, TARO, "suspended_pwhash", v, sizeof v), "aaaa1111");
	assert_int_equal(gfx_count(f, MW_NOTICE_SUSPENDED, 0), 1);
	assert_int_equal(gfx_count(f, MW_NOTICE_SUSPENDED, 1), 1);
	/* the user's copy goes to the account; the admin's to admin_notify */
	for (size_t i = 0; i < f->nnotices; i++)
		if (f->notices[i].kind == MW_NOTICE_SUSPENDED) {
			assert_string_equal(f->notices[i].to,
					    f->notices[i].admin_copy ? ADMIN
								     : TARO);
			assert_true(f->notices[i].nlogins > 0);
			assert_true(f->notices[i].len > 0);
		}
	/* later messages are refused at MAIL; the attacker goes on */
	r = gfx_submit(f, TARO, CN_IP, 1, t + 200);
	assert_string_equal(r.stage, "mail");
	assert_string_equal(r.code, "550");
	assert_int_equal(gfx_count(f, MW_NOTICE_SUSPENDED, 0), 1);
}

/* Three foreign logins stay under the threshold; the sending that
 * follows crosses it, and the message that crosses is refused. */
static void
test_new_countries_then_sending_is_refused_at_end_of_message(void **state)
{
	gfx *f = *state;
	time_t t = T0;
	owner_at_home(f, t - DAY);
	owner_at_home(f, t - 10);
	const char *attackers[] = {CN_IP, RU_IP, BR_IP};
	for (size_t i = 0; i < 3; i++)
		gfx_report(f, TARO, attackers[i], true, "aaaa1111", "",
			   t + (time_t)i);
	char v[256];
	assert_string_equal(gfx_setting(f, TARO, "suspended", v, sizeof v), "");
	gfx_result r = gfx_submit(f, TARO, CN_IP, 1, t + 10);
	assert_string_equal(r.stage, "eom");
	assert_string_equal(r.code, "550");
	assert_string_equal(r.xcode, "5.7.1");
	assert_non_null(strstr(gfx_setting(f, TARO, "suspended", v, sizeof v),
			       "takeover score 110 >= 100"));
	assert_int_equal(gfx_count(f, MW_NOTICE_SUSPENDED, 0), 1);
	assert_int_equal(gfx_count(f, MW_NOTICE_SUSPENDED, 1), 1);
}

/* An admin who unlocks within the second of the attack (a script, or a
 * test) forgives that second's evidence too: the next login and message
 * are judged on what comes after the unlock alone. */
static void test_unlock_in_the_attack_second_forgives_it(void **state)
{
	gfx *f = *state;
	time_t t = T0;
	owner_at_home(f, t - 2 * DAY);
	const char *attackers[] = {CN_IP, RU_IP, BR_IP, KR_IP, US_IP};
	for (size_t i = 0; i < 5; i++)
		gfx_report(f, TARO, attackers[i], true, "aaaa1111", "", t);
	char v[256];
	assert_non_null(strstr(gfx_setting(f, TARO, "suspended", v, sizeof v),
			       "takeover score"));
	assert_int_equal(
	    mw_account_unlock(f->st, TARO, "admin root", true, t, NULL), MW_OK);
	gfx_report(f, TARO, HOME_IP, true, "aaaa1111", "thunderbird", t + 1);
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, t + 1);
	assert_string_equal(r.stage, "");
	assert_string_equal(gfx_setting(f, TARO, "suspended", v, sizeof v), "");
}

static void test_suspended_account_still_logs_in_over_imap(void **state)
{
	gfx *f = *state;
	time_t t = T0;
	owner_at_home(f, t - DAY);
	const char *attackers[] = {CN_IP, RU_IP, BR_IP, KR_IP, US_IP};
	for (size_t i = 0; i < 5; i++)
		gfx_report(f, TARO, attackers[i], true, "aaaa1111", "",
			   t + (time_t)i);
	char v[256];
	assert_string_not_equal(gfx_setting(f, TARO, "suspended", v, sizeof v),
				"");
	assert_int_equal(gfx_allow(f, TARO, HOME_IP, t + 60, NULL), 0);
}

static void test_traveller_gets_one_login_alert_and_no_suspension(void **state)
{
	gfx *f = *state;
	time_t t = T0;
	owner_at_home(f, t - 3 * DAY);
	owner_at_home(f, t - 2 * HOUR);
	gfx_report(f, TARO, DE_IP, true, "aaaa1111", "thunderbird", t);
	for (size_t i = 0; i < 10; i++) {
		gfx_result r =
		    gfx_submit(f, TARO, DE_IP, 2, t + 60 * (time_t)i);
		assert_string_equal(r.stage, "");
		assert_int_equal(r.rcpts_taken, 2);
	}
	char v[256];
	assert_string_equal(gfx_setting(f, TARO, "suspended", v, sizeof v), "");
	assert_int_equal(gfx_count(f, MW_NOTICE_LOGIN_ALERT, 0), 1);
	assert_int_equal(gfx_count(f, MW_NOTICE_SUSPENDED, 0), 0);
	assert_string_equal(f->notices[0].what_new, "country");
}

static void test_fence_refuses_mail_from_another_country(void **state)
{
	gfx *f = *state;
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, NULL), MW_OK);
	assert_int_equal(mw_store_setting_set(f->st, k, "fence", "JP", T0),
			 MW_OK);
	gfx_result r = gfx_submit(f, TARO, US_IP, 1, T0);
	assert_string_equal(r.stage, "mail");
	assert_string_equal(r.code, "550");
	assert_string_equal(r.xcode, "5.7.1");
	assert_string_equal(r.text,
			    "Sending from US is refused for this "
			    "account: its country fence allows only JP");
	r = gfx_submit(f, TARO, HOME_IP, 1, T0);
	assert_string_equal(r.stage, "");
	/* the local network is inside every fence */
	r = gfx_submit(f, TARO, "10.1.2.3", 1, T0);
	assert_string_equal(r.stage, "");
}

static void test_fence_refuses_unknown_country(void **state)
{
	gfx *f = *state;
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, NULL), MW_OK);
	assert_int_equal(mw_store_setting_set(f->st, k, "fence", "JP US", T0),
			 MW_OK);
	gfx_result r = gfx_submit(f, TARO, "8.8.8.8", 1, T0);
	assert_string_equal(r.code, "550");
	assert_non_null(strstr(r.text, "an unknown country"));
	r = gfx_submit(f, TARO, US_IP, 1, T0);
	assert_string_equal(r.stage, "");
}

static void test_submission_is_recorded_in_history(void **state)
{
	gfx *f = *state;
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 3, T0);
	assert_string_equal(r.stage, "");
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, "history"),
			 MW_OK);
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(mw_store_event_read(f->st, k, T0, 0, 10, &l), MW_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].t, T0);
	assert_string_equal(
	    l.items[0].value,
	    "{\"kind\":\"submission\",\"proto\":\"smtp\",\"ip\":\"192.0.2."
	    "10\",\"country\":\"JP\",\"asn\":64500,\"result\":\"sent\","
	    "\"rcpts\":3,\"msgid\":\"test.1@mailwarden-test.jp\",\"org\":"
	    "\"Example AS64500\"}");
	mw_store_list_free(&l);
}

static void test_unauthenticated_or_inbound_session_is_not_judged(void **state)
{
	gfx *f = *state;
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, NULL), MW_OK);
	assert_int_equal(mw_store_setting_set(f->st, k, "suspended", "x", T0),
			 MW_OK);
	mw_msg_facts fa;
	memset(&fa, 0, sizeof fa);
	fa.outbound = false;
	fa.auth_authen = TARO;
	fa.now = T0;
	mw_verdict v;
	mw_verdict_init(&v);
	assert_int_equal(mw_guard_mail(f->g, &fa, &v), MW_OK);
	assert_int_equal(v.kind, MW_VERDICT_CONTINUE);
	fa.outbound = true;
	fa.auth_authen = NULL;
	assert_int_equal(mw_guard_mail(f->g, &fa, &v), MW_OK);
	assert_int_equal(mw_guard_rcpt(f->g, &fa, "x@example.com", &v), MW_OK);
	assert_int_equal(mw_guard_eom(f->g, &fa, &v), MW_OK);
	assert_int_equal(v.kind, MW_VERDICT_CONTINUE);
	mw_verdict_free(&v);
}

static void test_unusable_store_answers_continue(void **state)
{
	gfx *f = *state;
	/* a login the store cannot key: every read fails */
	gfx_result r = gfx_submit(f, "taro smith", HOME_IP, 2, T0);
	assert_string_equal(r.stage, "");
	assert_int_equal(r.rcpts_taken, 2);
	/* a damaged database file under the running store */
	char p[128];
	snprintf(p, sizeof p, "%s/" MW_STORE_SQLITE_FILE, f->dir);
	int fd = open(p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage garbage garbage", 23), 23);
	close(fd);
	r = gfx_submit(f, HANAKO, HOME_IP, 1, T0);
	assert_string_equal(r.stage, "");
}

static void test_suspension_reply_is_english_then_japanese(void **state)
{
	gfx *f = *state;
	char k[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(k, sizeof k, "acct", TARO, NULL), MW_OK);
	assert_int_equal(mw_store_setting_set(f->st, k, "suspended",
					      "suspected stolen password", T0),
			 MW_OK);
	assert_int_equal(
	    mw_store_setting_set(f->st, k, "suspended_score", "120", T0),
	    MW_OK);
	gfx_result r = gfx_submit(f, TARO, HOME_IP, 1, T0);
	assert_string_equal(r.code, "550");
	/* The first line is for every client: printable ASCII. */
	for (const char *p = r.text; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_non_null(strstr(r.text, "suspected stolen"));
	/* The second says the same in Japanese. */
	assert_non_null(strstr(r.text_local, "パスワード盗用の疑い"));
	assert_non_null(strstr(r.text_local, "管理者に解除を依頼"));
}

static mw_status slow_transport(void *arg, const char *from, const char *rcpt,
				const mw_notice_facts *facts, const char *msg,
				size_t len)
{
	(void)arg, (void)from, (void)rcpt, (void)facts, (void)msg, (void)len;
	sleep(3);
	return MW_OK;
}

static mw_status deferring_transport(void *arg, const char *from,
				     const char *rcpt,
				     const mw_notice_facts *facts,
				     const char *msg, size_t len)
{
	(void)from, (void)rcpt, (void)facts, (void)msg, (void)len;
	(*(int *)arg)++;
	return MW_EIO;
}

static void test_free_abandons_a_send_that_takes_long(void **state)
{
	gfx *f = *state;
	mw_guard_set_transport(f->g, slow_transport, NULL);
	gfx_report(f, TARO, HOME_IP, true, "pw000001", NULL, T0);
	gfx_report(f, TARO, US_IP, true, "pw000001", NULL, T0 + 60);
	usleep(200 * 1000); /* the sender is in its dialogue */
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	mw_guard_free(f->g);
	f->g = NULL;
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) +
		   (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(s < 1.5);
	gfx_guard(f, NULL);
	sleep(3); /* let the abandoned sender finish before teardown */
}

static void test_deferred_notice_is_retried_not_lost(void **state)
{
	gfx *f = *state;
	int calls = 0;
	mw_guard_set_transport(f->g, deferring_transport, &calls);
	gfx_report(f, TARO, HOME_IP, true, "pw000001", NULL, T0);
	gfx_report(f, TARO, US_IP, true, "pw000001", NULL, T0 + 60);
	assert_false(mw_guard_notices_drain(f->g, 500));
	assert_int_equal(calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_attack_of_seed_001_is_suspended_within_20_messages, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_new_countries_then_sending_is_refused_at_end_of_message,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unlock_in_the_attack_second_forgives_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_suspended_account_still_logs_in_over_imap, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_traveller_gets_one_login_alert_and_no_suspension, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_fence_refuses_mail_from_another_country, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fence_refuses_unknown_country,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_submission_is_recorded_in_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unauthenticated_or_inbound_session_is_not_judged, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_unusable_store_answers_continue, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_suspension_reply_is_english_then_japanese, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_free_abandons_a_send_that_takes_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_deferred_notice_is_retried_not_lost, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
