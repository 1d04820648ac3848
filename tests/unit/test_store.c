/*
 * test_store.c - the store's contract, on the SQLite backend: windows,
 * distinct counts, event lists, settings, the sent log, reads that see
 * queued writes, the schema and its migrations, and clear errors for a
 * bad state_dir or database file.
 *
 * Time is injected: every call takes its `now`, and the writer's own
 * housekeeping clock reads g_now. Each case works in a fresh directory
 * under /tmp. Durability under load and under kill -9 is in
 * test_store_durability.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_impl.h" /* the commit hook */

#define MIN 60
#define HOUR 3600
#define DAY 86400
/* 2023-11-14 22:13:20 UTC: 20 s into its minute, 800 s into its hour. */
#define T0 ((time_t)1700000000)

static time_t g_now = T0;

static time_t test_clock(void *arg)
{
	(void)arg;
	return g_now;
}

typedef struct fixture {
	char dir[64];
	char db[128];
	mw_store *st;
} fixture;

static void make_dir(fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/mw-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/%s", f->dir, MW_STORE_SQLITE_FILE);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void config(mw_store_config *cfg, const char *dir)
{
	mw_store_config_init(cfg);
	cfg->state_dir = dir;
	cfg->clock = test_clock;
}

static mw_store *open_ok(const char *dir)
{
	mw_store_config cfg;
	mw_store_error err;
	mw_store *st = NULL;
	config(&cfg, dir);
	mw_status rc = mw_store_open(&cfg, &st, &err);
	if (rc != MW_OK)
		fail_msg("open: %s", err.msg);
	return st;
}

/* A store whose writer waits a whole second: writes stay queued long
 * enough for a read to see them only through the queue. */
static mw_store *open_slow(const char *dir)
{
	mw_store_config cfg;
	mw_store_error err;
	mw_store *st = NULL;
	config(&cfg, dir);
	cfg.commit_interval_ms = 1000;
	assert_int_equal(mw_store_open(&cfg, &st, &err), MW_OK);
	return st;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	g_now = T0;
	make_dir(f);
	f->st = open_slow(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	mw_store_close(f->st);
	remove_dir(f->dir);
	free(f);
	return 0;
}

static void flush(mw_store *st)
{
	assert_int_equal(mw_store_flush(st, 5000), MW_OK);
}

/* One integer from the database file, read past the store. */
static long long sql_int(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static int64_t sum(mw_store *st, const char *key, time_t window, time_t now)
{
	int64_t v = -1;
	assert_int_equal(mw_store_counter_sum(st, key, window, now, &v), MW_OK);
	return v;
}

static uint64_t distinct(mw_store *st, const char *key, time_t window,
			 time_t now)
{
	uint64_t v = 999;
	assert_int_equal(mw_store_distinct_count(st, key, window, now, &v),
			 MW_OK);
	return v;
}

/* -- windows ---------------------------------------------------------- */

static void append(mw_store *st, const char *key, time_t t, const char *s,
		   const mw_store_keep *keep)
{
	assert_int_equal(mw_store_event_append(st, key, t, s, strlen(s), keep),
			 MW_OK);
}

static void check_hour_window(mw_store *st)
{
	assert_int_equal(sum(st, "acct:a@example.jp/msgs", HOUR, T0), 3);
	assert_int_equal(sum(st, "acct:a@example.jp/msgs", HOUR, T0 + 59 * MIN),
			 3);
	assert_int_equal(sum(st, "acct:a@example.jp/msgs", HOUR, T0 + 61 * MIN),
			 0);
}

static void test_hour_window_counts_at_59_minutes_not_at_61(void **state)
{
	fixture *f = *state;
	assert_int_equal(
	    mw_store_counter_add(f->st, "acct:a@example.jp/msgs", 3, T0),
	    MW_OK);
	check_hour_window(f->st); /* still queued */
	flush(f->st);
	check_hour_window(f->st); /* committed, counted once */
}

static void test_window_adds_several_writes_and_negative_ones(void **state)
{
	fixture *f = *state;
	const char *k = "ip:192.0.2.1/auth_fail";
	for (int i = 0; i < 10; i++)
		mw_store_counter_add(f->st, k, 1, T0 + i * MIN);
	mw_store_counter_add(f->st, k, -2, T0 + 10 * MIN);
	assert_int_equal(sum(f->st, k, HOUR, T0 + 10 * MIN), 8);
	flush(f->st);
	assert_int_equal(sum(f->st, k, HOUR, T0 + 10 * MIN), 8);
	/* Ten minutes later the first three minutes' adds are out. */
	assert_int_equal(sum(f->st, k, HOUR, T0 + 63 * MIN), 5);
	assert_int_equal(sum(f->st, "ip:192.0.2.2/auth_fail", HOUR, T0), 0);
}

/* A day window uses hour buckets: T0 lies 800 s into its hour, so its add
 * stays in the sum until the read's edge (now - 1 day) leaves that hour,
 * 2,800 s after T0 + 1 day. */
static void test_day_window_is_precise_to_one_hour_bucket(void **state)
{
	fixture *f = *state;
	const char *k = "acct:a@example.jp/rcpts";
	mw_store_counter_add(f->st, k, 7, T0);
	flush(f->st);
	assert_int_equal(sum(f->st, k, DAY, T0 + DAY - 1), 7);
	assert_int_equal(sum(f->st, k, DAY, T0 + DAY + 2799), 7);
	assert_int_equal(sum(f->st, k, DAY, T0 + DAY + 2800), 0);
	/* Minute buckets for a 2-hour window: edge leaves T0's minute 40 s
	 * after T0 + 2 h. */
	assert_int_equal(sum(f->st, k, 2 * HOUR, T0 + 2 * HOUR + 39), 7);
	assert_int_equal(sum(f->st, k, 2 * HOUR, T0 + 2 * HOUR + 40), 0);
}

static void test_expired_buckets_are_deleted(void **state)
{
	fixture *f = *state;
	mw_store_counter_add(f->st, "acct:a@example.jp/msgs", 1, T0);
	flush(f->st);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM counter"), 2);
	mw_store_expire(f->st, T0 + 3 * HOUR);
	flush(f->st);
	/* The minute bucket is gone, the hour bucket serves day windows. */
	assert_int_equal(sql_int(f->db, "SELECT res FROM counter"), 3600);
	mw_store_expire(f->st, T0 + 9 * DAY);
	flush(f->st);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM counter"), 0);
}

/* What reads see on the writer thread right after a commit, while the
 * committed writes are still in the queue: each must be counted once. */
typedef struct window_reads {
	mw_store *st;
	int calls;
	int64_t sum;
	uint64_t members;
	size_t events;
	char setting[16];
	bool sent;
} window_reads;

static void read_in_commit_window(void *arg)
{
	window_reads *w = arg;
	mw_store_list l;
	mw_buf b;
	mw_store_sent s;
	bool found = false;
	w->calls++;
	mw_store_counter_sum(w->st, "acct:h/msgs", HOUR, T0, &w->sum);
	mw_store_distinct_count(w->st, "acct:h/ip", HOUR, T0, &w->members);
	mw_store_list_init(&l);
	mw_store_event_read(w->st, "acct:h/history", T0, 0, 10, &l);
	w->events = l.n;
	mw_store_list_free(&l);
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	if (mw_store_setting_get(w->st, "acct:h", "fence", &b, &found) ==
		MW_OK &&
	    found)
		snprintf(w->setting, sizeof(w->setting), "%s", mw_buf_cstr(&b));
	mw_buf_free(&b);
	mw_store_sent_lookup(w->st, "h@example.jp", T0, &s, &w->sent);
}

static void test_reads_between_commit_and_dequeue_count_once(void **state)
{
	fixture *f = *state;
	window_reads w = {.st = f->st};
	mw_store_set_commit_hook(f->st, read_in_commit_window, &w);
	mw_store_distinct_add(f->st, "acct:h/ip", "192.0.2.1", T0);
	mw_store_distinct_add(f->st, "acct:h/ip", "192.0.2.2", T0);
	append(f->st, "acct:h/history", T0, "one", NULL);
	append(f->st, "acct:h/history", T0, "two", NULL);
	mw_store_setting_set(f->st, "acct:h", "fence", "JP", T0);
	mw_store_sent_record(f->st, "h@example.jp", "h@example.jp", T0);
	/* Last, so the snapshot's sequence number is exactly this op's. */
	mw_store_counter_add(f->st, "acct:h/msgs", 5, T0);
	flush(f->st);
	mw_store_set_commit_hook(f->st, NULL, NULL);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.sum, 5);
	assert_int_equal(w.members, 2);
	assert_int_equal(w.events, 2);
	assert_string_equal(w.setting, "JP");
	assert_true(w.sent);
}

/* -- distinct counts -------------------------------------------------- */

static void test_distinct_counts_each_member_once_in_window(void **state)
{
	fixture *f = *state;
	const char *k = "acct:a@example.jp/ip";
	mw_store_distinct_add(f->st, k, "192.0.2.1", T0);
	mw_store_distinct_add(f->st, k, "192.0.2.2", T0);
	mw_store_distinct_add(f->st, k, "192.0.2.1", T0 + 60);
	mw_store_distinct_add(f->st, k, "2001:db8::1", T0 + 2 * HOUR);
	assert_int_equal(distinct(f->st, k, DAY, T0 + 2 * HOUR), 3);
	flush(f->st);
	assert_int_equal(distinct(f->st, k, DAY, T0 + 2 * HOUR), 3);
	/* 192.0.2.1 was last seen at T0 + 60, 192.0.2.2 at T0. */
	assert_int_equal(distinct(f->st, k, DAY, T0 + DAY + 30), 2);
	assert_int_equal(distinct(f->st, k, DAY, T0 + DAY + 61), 1);
	assert_int_equal(distinct(f->st, "acct:b@example.jp/ip", DAY, T0), 0);
}

static void test_distinct_queued_member_already_stored_counts_once(void **state)
{
	fixture *f = *state;
	const char *k = "acct:a@example.jp/country";
	mw_store_distinct_add(f->st, k, "JP", T0);
	flush(f->st);
	mw_store_distinct_add(f->st, k, "JP", T0 + 10);
	mw_store_distinct_add(f->st, k, "US", T0 + 10);
	mw_store_distinct_add(f->st, k, "US", T0 + 11);
	assert_int_equal(distinct(f->st, k, HOUR, T0 + 20), 2);
	flush(f->st);
	assert_int_equal(distinct(f->st, k, HOUR, T0 + 20), 2);
}

/* -- event lists ------------------------------------------------------ */

static void expect_events(mw_store *st, const char *key, time_t now,
			  size_t offset, size_t limit, const char *want)
{
	mw_store_list l;
	char got[512] = "";
	mw_store_list_init(&l);
	assert_int_equal(mw_store_event_read(st, key, now, offset, limit, &l),
			 MW_OK);
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			strcat(got, ",");
		strncat(got, l.items[i].value, 32);
	}
	mw_store_list_free(&l);
	assert_string_equal(got, want);
}

static void test_events_read_newest_first_with_limit_and_offset(void **state)
{
	fixture *f = *state;
	const char *k = "acct:a@example.jp/history";
	append(f->st, k, T0 + 1, "e1", NULL);
	append(f->st, k, T0 + 2, "e2", NULL);
	append(f->st, k, T0 + 3, "e3", NULL);
	flush(f->st);
	append(f->st, k, T0 + 4, "e4", NULL); /* queued */
	append(f->st, k, T0 + 5, "e5", NULL);
	expect_events(f->st, k, T0 + 10, 0, 3, "e5,e4,e3");
	expect_events(f->st, k, T0 + 10, 3, 3, "e2,e1");
	expect_events(f->st, k, T0 + 10, 1, 2, "e4,e3");
	flush(f->st);
	expect_events(f->st, k, T0 + 10, 0, 10, "e5,e4,e3,e2,e1");
	expect_events(f->st, k, T0 + 10, 0, 0, "");
	expect_events(f->st, "acct:b@example.jp/history", T0, 0, 5, "");
}

static void test_events_at_one_time_keep_append_order(void **state)
{
	fixture *f = *state;
	const char *k = "rcpt:a@example.jp/floods";
	append(f->st, k, T0, "first", NULL);
	append(f->st, k, T0, "second", NULL);
	flush(f->st);
	append(f->st, k, T0, "third", NULL);
	/* A late event with an older time sorts by its time. */
	append(f->st, k, T0 - 5, "older", NULL);
	expect_events(f->st, k, T0, 0, 10, "third,second,first,older");
	flush(f->st);
	expect_events(f->st, k, T0, 0, 10, "third,second,first,older");
}

static void test_events_are_trimmed_to_keep_count(void **state)
{
	fixture *f = *state;
	const char *k = "acct:a@example.jp/alerts";
	mw_store_keep keep = {.count = 3};
	char s[16];
	for (int i = 1; i <= 5; i++) {
		snprintf(s, sizeof(s), "a%d", i);
		append(f->st, k, T0 + i, s, &keep);
	}
	flush(f->st);
	expect_events(f->st, k, T0 + 10, 0, 10, "a5,a4,a3");
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM event"), 3);
	assert_int_equal(sql_int(f->db, "SELECT n FROM event_count"), 3);
}

static void test_events_expire_by_age(void **state)
{
	fixture *f = *state;
	const char *k = "acct:a@example.jp/history";
	mw_store_keep hour = {.seconds = HOUR};
	append(f->st, k, T0, "short", &hour);
	append(f->st, k, T0, "default", NULL);
	expect_events(f->st, k, T0 + HOUR - 1, 0, 10, "default,short");
	expect_events(f->st, k, T0 + HOUR, 0, 10, "default");
	flush(f->st);
	expect_events(f->st, k, T0 + HOUR, 0, 10, "default");
	/* The default: two years and a day. */
	expect_events(f->st, k, T0 + 730 * DAY, 0, 10, "default");
	expect_events(f->st, k, T0 + 731 * DAY, 0, 10, "");
	mw_store_expire(f->st, T0 + HOUR);
	flush(f->st);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM event"), 1);
	mw_store_expire(f->st, T0 + 731 * DAY);
	flush(f->st);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM event"), 0);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM event_count"), 0);
}

static void test_event_payload_keeps_every_byte(void **state)
{
	fixture *f = *state;
	const char bin[] = {'{', 0, '\xff', '\n', '}'};
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(mw_store_event_append(f->st, "global:/alerts", T0, bin,
					       sizeof(bin), NULL),
			 MW_OK);
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(
		    mw_store_event_read(f->st, "global:/alerts", T0, 0, 1, &l),
		    MW_OK);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.items[0].len, sizeof(bin));
		assert_memory_equal(l.items[0].value, bin, sizeof(bin));
		assert_int_equal(l.items[0].t, T0);
		flush(f->st);
	}
	mw_store_list_free(&l);
}

/* -- settings --------------------------------------------------------- */

static void expect_setting(mw_store *st, const char *key, const char *name,
			   const char *want)
{
	mw_buf b;
	bool found = true;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	assert_int_equal(mw_store_setting_get(st, key, name, &b, &found),
			 MW_OK);
	if (want) {
		assert_true(found);
		assert_string_equal(mw_buf_cstr(&b), want);
	} else {
		assert_false(found);
		assert_int_equal(b.len, 0);
	}
	mw_buf_free(&b);
}

static void test_settings_set_get_overwrite_delete(void **state)
{
	fixture *f = *state;
	const char *k = "addr:old@example.jp";
	expect_setting(f->st, k, "state", NULL);
	mw_store_setting_set(f->st, k, "state", "retired", T0);
	expect_setting(f->st, k, "state", "retired");
	flush(f->st);
	expect_setting(f->st, k, "state", "retired");
	mw_store_setting_set(f->st, k, "state", "receive-only", T0 + 1);
	expect_setting(f->st, k, "state", "receive-only");
	mw_store_setting_del(f->st, k, "state", T0 + 2);
	expect_setting(f->st, k, "state", NULL);
	flush(f->st);
	expect_setting(f->st, k, "state", NULL);
	mw_store_setting_set(f->st, k, "note", "", T0 + 3);
	expect_setting(f->st, k, "note", "");
}

static void list_names(mw_store *st, const char *key, const char *prefix,
		       size_t limit, char *got, size_t gotsz)
{
	mw_store_list l;
	mw_store_list_init(&l);
	got[0] = '\0';
	assert_int_equal(mw_store_setting_list(st, key, prefix, limit, &l),
			 MW_OK);
	for (size_t i = 0; i < l.n; i++) {
		assert_string_equal(l.items[i].key, key);
		snprintf(got + strlen(got), gotsz - strlen(got), "%s%s=%s",
			 i ? "," : "", l.items[i].name, l.items[i].value);
	}
	mw_store_list_free(&l);
}

static void test_settings_list_by_name_prefix(void **state)
{
	fixture *f = *state;
	const char *k = "acct:a@example.jp";
	char got[256];
	mw_store_setting_set(f->st, k, "limit.rcpts_per_day", "500", T0);
	mw_store_setting_set(f->st, k, "fence", "JP", T0);
	mw_store_setting_set(f->st, k, "limit.msgs_per_hour", "50", T0);
	mw_store_setting_set(f->st, "acct:ab@example.jp", "limit.x", "1", T0);
	flush(f->st);
	list_names(f->st, k, "limit.", 10, got, sizeof(got));
	assert_string_equal(got,
			    "limit.msgs_per_hour=50,limit.rcpts_per_day=500");
	/* Queued changes: a delete hides, a set adds, an update replaces. */
	mw_store_setting_del(f->st, k, "limit.msgs_per_hour", T0 + 1);
	mw_store_setting_set(f->st, k, "limit.recipients", "9", T0 + 1);
	mw_store_setting_set(f->st, k, "limit.rcpts_per_day", "600", T0 + 1);
	list_names(f->st, k, "limit.", 10, got, sizeof(got));
	assert_string_equal(got, "limit.rcpts_per_day=600,limit.recipients=9");
	list_names(f->st, k, "", 2, got, sizeof(got));
	assert_string_equal(got, "fence=JP,limit.rcpts_per_day=600");
	flush(f->st);
	list_names(f->st, k, "", 10, got, sizeof(got));
	assert_string_equal(
	    got, "fence=JP,limit.rcpts_per_day=600,limit.recipients=9");
}

static void test_settings_keys_with_a_setting(void **state)
{
	fixture *f = *state;
	mw_store_list l;
	mw_store_list_init(&l);
	mw_store_setting_set(f->st, "acct:b@example.jp", "suspended", "1", T0);
	mw_store_setting_set(f->st, "acct:a@example.jp", "suspended", "2", T0);
	mw_store_setting_set(f->st, "addr:c@example.jp", "suspended", "3", T0);
	mw_store_setting_set(f->st, "acct:d@example.jp", "fence", "JP", T0);
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(mw_store_setting_keys_with(
				     f->st, "acct:", "suspended", 10, &l),
				 MW_OK);
		assert_int_equal(l.n, 2);
		assert_string_equal(l.items[0].key, "acct:a@example.jp");
		assert_string_equal(l.items[0].name, "suspended");
		assert_string_equal(l.items[0].value, "2");
		assert_string_equal(l.items[1].key, "acct:b@example.jp");
		flush(f->st);
	}
	mw_store_setting_del(f->st, "acct:a@example.jp", "suspended", T0 + 1);
	assert_int_equal(
	    mw_store_setting_keys_with(f->st, "", "suspended", 10, &l), MW_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].key, "acct:b@example.jp");
	assert_string_equal(l.items[1].key, "addr:c@example.jp");
	mw_store_list_free(&l);
}

/* -- the sent log ----------------------------------------------------- */

static void expect_sent(mw_store *st, const char *id, time_t now,
			const char *sender)
{
	mw_store_sent s;
	bool found = !sender;
	assert_int_equal(mw_store_sent_lookup(st, id, now, &s, &found), MW_OK);
	if (sender) {
		assert_true(found);
		assert_string_equal(s.sender, sender);
		assert_int_equal(s.t, T0);
	} else {
		assert_false(found);
	}
}

static void test_sent_log_records_finds_and_expires(void **state)
{
	fixture *f = *state;
	const char *id = "20231114221320.ABC123@mail.example.jp";
	assert_int_equal(mw_store_sent_record(f->st, id, "user@example.jp", T0),
			 MW_OK);
	expect_sent(f->st, id, T0 + 1, "user@example.jp");
	flush(f->st);
	expect_sent(f->st, id, T0 + 1, "user@example.jp");
	expect_sent(f->st, id, T0 + 14 * DAY - 1, "user@example.jp");
	expect_sent(f->st, id, T0 + 14 * DAY, NULL);
	expect_sent(f->st, "unknown@example.jp", T0, NULL);
	mw_store_expire(f->st, T0 + 14 * DAY);
	flush(f->st);
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sent"), 0);
}

/* -- knowing when writes are durable ---------------------------------- */

static atomic_int g_notified;

static void count_commit(void *arg)
{
	(void)arg;
	atomic_fetch_add(&g_notified, 1);
}

static uint64_t mono_ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_commit_soon_commits_before_the_interval(void **state)
{
	fixture *f = *state; /* a writer that waits 1,000 ms by itself */
	atomic_store(&g_notified, 0);
	mw_store_set_commit_notify(f->st, count_commit, NULL);
	assert_int_equal(mw_store_commit_soon(f->st), 0); /* nothing queued */
	assert_int_equal(mw_store_sent_record(f->st, "soon.1@example.jp",
					      "user@example.jp", T0),
			 MW_OK);
	uint64_t t0 = mono_ms_now();
	mw_store_mark mark = mw_store_commit_soon(f->st);
	assert_true(mark > 0);
	while (!mw_store_is_committed(f->st, mark) && mono_ms_now() - t0 < 900)
		usleep(1000);
	assert_true(mw_store_is_committed(f->st, mark));
	assert_true(mono_ms_now() - t0 < 900);
	/* Committed means in the file, not merely in the queue. */
	assert_int_equal(sql_int(f->db, "SELECT count(*) FROM sent WHERE "
					"message_id = 'soon.1@example.jp'"),
			 1);
	assert_true(atomic_load(&g_notified) >= 1);
	assert_int_equal(mw_store_commit_soon(f->st), 0);
	assert_true(mw_store_is_committed(f->st, 0));
	mw_store_set_commit_notify(f->st, NULL, NULL);
}

static void test_mark_covers_writes_before_it_only(void **state)
{
	fixture *f = *state;
	assert_int_equal(mw_store_sent_record(f->st, "m.1@example.jp", "", T0),
			 MW_OK);
	mw_store_mark first = mw_store_commit_soon(f->st);
	flush(f->st);
	assert_true(mw_store_is_committed(f->st, first));
	assert_int_equal(mw_store_sent_record(f->st, "m.2@example.jp", "", T0),
			 MW_OK);
	/* Not asked to hurry: the writer waits its second. */
	mw_store_stats stats;
	mw_store_stats_get(f->st, &stats);
	assert_int_equal(stats.queued, 1);
	assert_false(mw_store_is_committed(f->st, first + 1));
	assert_true(mw_store_is_committed(f->st, first));
	flush(f->st);
	assert_true(mw_store_is_committed(f->st, first + 1));
}

static void test_no_commit_notice_once_unset(void **state)
{
	fixture *f = *state;
	atomic_store(&g_notified, 0);
	mw_store_set_commit_notify(f->st, count_commit, NULL);
	assert_int_equal(mw_store_sent_record(f->st, "n.1@example.jp", "", T0),
			 MW_OK);
	flush(f->st);
	int seen = atomic_load(&g_notified);
	assert_true(seen >= 1);
	mw_store_set_commit_notify(f->st, NULL, NULL);
	assert_int_equal(mw_store_sent_record(f->st, "n.2@example.jp", "", T0),
			 MW_OK);
	flush(f->st);
	assert_int_equal(atomic_load(&g_notified), seen);
}

/* -- checks on input -------------------------------------------------- */

static void test_bad_keys_times_and_sizes_are_refused(void **state)
{
	fixture *f = *state;
	mw_store *st = f->st;
	char big[MW_STORE_KEY_MAX + 2];
	int64_t v;
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mw_store_counter_add(st, "", 1, T0), MW_EINVAL);
	assert_int_equal(mw_store_counter_add(st, "a b", 1, T0), MW_EINVAL);
	assert_int_equal(mw_store_counter_add(st, "a\nb", 1, T0), MW_EINVAL);
	assert_int_equal(mw_store_counter_add(st, "a\xff", 1, T0), MW_EINVAL);
	assert_int_equal(mw_store_counter_add(st, big, 1, T0), MW_EINVAL);
	assert_int_equal(mw_store_counter_add(st, "k", 1, -1), MW_EINVAL);
	assert_int_equal(mw_store_counter_add(st, "k", INT64_MIN, T0),
			 MW_EINVAL);
	assert_int_equal(mw_store_counter_add(st, "k", 0, T0), MW_OK);
	assert_int_equal(mw_store_counter_sum(st, "k", 0, T0, &v), MW_EINVAL);
	assert_int_equal(
	    mw_store_counter_sum(st, "k", MW_STORE_WINDOW_MAX + 1, T0, &v),
	    MW_EINVAL);
	assert_int_equal(mw_store_distinct_add(st, "k", "", T0), MW_EINVAL);
	char *payload = calloc(1, MW_STORE_PAYLOAD_MAX + 1);
	assert_int_equal(mw_store_event_append(st, "k", T0, payload,
					       MW_STORE_PAYLOAD_MAX + 1, NULL),
			 MW_EINVAL);
	free(payload);
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(
	    mw_store_event_read(st, "k", T0, MW_STORE_READ_MAX, 1, &l),
	    MW_EINVAL);
	mw_store_list_free(&l);
	assert_int_equal(mw_store_sent_record(st, "id\r\n@x", "", T0),
			 MW_EINVAL);
	assert_int_equal(mw_store_sent_record(st, "", "a@x", T0), MW_EINVAL);
	/* A quoted local part with a space is a sender like any other. */
	assert_int_equal(
	    mw_store_sent_record(st, "q@x", "\"a b\"@example.jp", T0), MW_OK);
	/* A Japanese address is fine in a key. */
	assert_int_equal(
	    mw_store_counter_add(st, "acct:ユーザー@example.jp/msgs", 1, T0),
	    MW_OK);
	mw_store_stats stats;
	mw_store_stats_get(st, &stats);
	assert_int_equal(stats.enqueued, 2);
}

static void test_key_builder_lowercases_id_and_checks_size(void **state)
{
	(void)state;
	char k[64];
	assert_int_equal(
	    mw_store_key(k, sizeof(k), "acct", "User@Example.JP", "msgs"),
	    MW_OK);
	assert_string_equal(k, "acct:user@example.jp/msgs");
	assert_int_equal(mw_store_key(k, sizeof(k), "ip", "2001:DB8::1", NULL),
			 MW_OK);
	assert_string_equal(k, "ip:2001:db8::1");
	assert_int_equal(mw_store_key(k, 10, "acct", "user@example.jp", NULL),
			 MW_ETOOBIG);
	assert_string_equal(k, "");
	assert_int_equal(mw_store_key(k, sizeof(k), "Acct", "x", NULL),
			 MW_EINVAL);
	assert_int_equal(mw_store_key(k, sizeof(k), "acct", "a b", NULL),
			 MW_EINVAL);
}

/* -- schema, reopening, and bad files --------------------------------- */

static void test_empty_file_gets_schema_and_wal(void **state)
{
	(void)state;
	fixture f;
	make_dir(&f);
	int fd = open(f.db, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	mw_store *st = open_ok(f.dir);
	assert_int_equal(sql_int(f.db, "SELECT max(version) FROM "
				       "schema_version"),
			 1);
	assert_int_equal(sql_int(f.db, "SELECT count(*) FROM "
				       "pragma_journal_mode WHERE "
				       "journal_mode = 'wal'"),
			 1);
	assert_int_equal(mw_store_health(st, NULL, 0), MW_OK);
	mw_store_close(st);
	remove_dir(f.dir);
}

static void test_reopen_keeps_everything(void **state)
{
	(void)state;
	fixture f;
	make_dir(&f);
	mw_store *st = open_ok(f.dir);
	mw_store_counter_add(st, "acct:a@example.jp/msgs", 4, T0);
	mw_store_distinct_add(st, "acct:a@example.jp/ip", "192.0.2.9", T0);
	append(st, "acct:a@example.jp/history", T0, "login", NULL);
	mw_store_setting_set(st, "acct:a@example.jp", "fence", "JP", T0);
	mw_store_sent_record(st, "x@example.jp", "a@example.jp", T0);
	mw_store_close(st); /* commits what is queued */

	st = open_ok(f.dir);
	assert_int_equal(sum(st, "acct:a@example.jp/msgs", HOUR, T0), 4);
	assert_int_equal(distinct(st, "acct:a@example.jp/ip", DAY, T0), 1);
	expect_events(st, "acct:a@example.jp/history", T0, 0, 5, "login");
	expect_setting(st, "acct:a@example.jp", "fence", "JP");
	expect_sent(st, "x@example.jp", T0, "a@example.jp");
	mw_store_close(st);
	assert_int_equal(sql_int(f.db, "SELECT count(*) FROM schema_version"),
			 1);
	/* Both writers removed their rows when they closed. */
	assert_int_equal(sql_int(f.db, "SELECT count(*) FROM writer"), 0);
	remove_dir(f.dir);
}

static void expect_open_error(const char *dir, mw_status want,
			      const char *needle1, const char *needle2)
{
	mw_store_config cfg;
	mw_store_error err;
	mw_store *st = (mw_store *)&cfg; /* must be reset to NULL */
	config(&cfg, dir);
	assert_int_equal(mw_store_open(&cfg, &st, &err), want);
	assert_null(st);
	if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err.msg, needle1,
			 needle2 ? needle2 : "");
}

static void write_file(const char *path, const void *p, size_t n, off_t at)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, at), (ssize_t)n);
	close(fd);
}

static void test_file_that_is_not_sqlite_is_refused_clearly(void **state)
{
	(void)state;
	fixture f;
	char text[8192];
	make_dir(&f);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "mailwarden state\n"[i % 17];
	write_file(f.db, text, sizeof(text), 0);
	expect_open_error(f.dir, MW_EIO, f.db, "not an SQLite database");
	remove_dir(f.dir);
}

static void test_damaged_database_is_refused_clearly(void **state)
{
	(void)state;
	fixture f;
	char junk[4000];
	make_dir(&f);
	mw_store_close(open_ok(f.dir));
	/* Keep the 100-byte header, wreck the rest of page 1: the schema. */
	memset(junk, 0x5a, sizeof(junk));
	write_file(f.db, junk, sizeof(junk), 100);
	expect_open_error(f.dir, MW_EIO, f.db, "damaged");
	remove_dir(f.dir);
}

static void test_other_programs_database_is_refused(void **state)
{
	(void)state;
	fixture f;
	sqlite3 *h;
	make_dir(&f);
	assert_int_equal(sqlite3_open(f.db, &h), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(h, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	expect_open_error(f.dir, MW_EIO, "not mailwarden's", f.db);
	remove_dir(f.dir);
}

static void test_newer_schema_is_refused(void **state)
{
	(void)state;
	fixture f;
	sqlite3 *h;
	make_dir(&f);
	mw_store_close(open_ok(f.dir));
	assert_int_equal(sqlite3_open(f.db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
				      "INSERT INTO schema_version "
				      "VALUES (99, 0)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	expect_open_error(f.dir, MW_EIO, "schema version 99", "newer");
	remove_dir(f.dir);
}

static void test_missing_state_dir_is_refused(void **state)
{
	(void)state;
	expect_open_error("/nonexistent/mailwarden", MW_EIO,
			  "state_dir /nonexistent/mailwarden", "No such file");
}

/* As root, permissions do not stop us: the check runs in a child that
 * has become nobody. */
static void test_read_only_state_dir_is_refused(void **state)
{
	(void)state;
	fixture f;
	make_dir(&f);
	assert_int_equal(chmod(f.dir, 0555), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(3);
		mw_store_config cfg;
		mw_store_error err;
		mw_store *st = NULL;
		config(&cfg, f.dir);
		mw_status rc = mw_store_open(&cfg, &st, &err);
		bool clear = strstr(err.msg, "is not writable") &&
			     strstr(err.msg, f.dir);
		_exit(rc == MW_EIO && !st && clear ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	chmod(f.dir, 0700);
	remove_dir(f.dir);
}

static void test_redis_backend_is_not_built_yet(void **state)
{
	(void)state;
	mw_store_config cfg;
	mw_store_error err;
	mw_store *st = NULL;
	config(&cfg, "/tmp");
	cfg.backend = "redis://127.0.0.1:6379";
	assert_int_equal(mw_store_open(&cfg, &st, &err), MW_EINVAL);
	assert_non_null(strstr(err.msg, "Redis backend is not built"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_commit_soon_commits_before_the_interval, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_mark_covers_writes_before_it_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_commit_notice_once_unset,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_hour_window_counts_at_59_minutes_not_at_61, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_window_adds_several_writes_and_negative_ones, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_day_window_is_precise_to_one_hour_bucket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired_buckets_are_deleted,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_reads_between_commit_and_dequeue_count_once, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_distinct_counts_each_member_once_in_window, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_distinct_queued_member_already_stored_counts_once, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_events_read_newest_first_with_limit_and_offset, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_events_at_one_time_keep_append_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_events_are_trimmed_to_keep_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_events_expire_by_age, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_event_payload_keeps_every_byte,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_settings_set_get_overwrite_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settings_list_by_name_prefix,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settings_keys_with_a_setting,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sent_log_records_finds_and_expires, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_bad_keys_times_and_sizes_are_refused, setup, teardown),
	    cmocka_unit_test(test_key_builder_lowercases_id_and_checks_size),
	    cmocka_unit_test(test_empty_file_gets_schema_and_wal),
	    cmocka_unit_test(test_reopen_keeps_everything),
	    cmocka_unit_test(test_file_that_is_not_sqlite_is_refused_clearly),
	    cmocka_unit_test(test_damaged_database_is_refused_clearly),
	    cmocka_unit_test(test_other_programs_database_is_refused),
	    cmocka_unit_test(test_newer_schema_is_refused),
	    cmocka_unit_test(test_missing_state_dir_is_refused),
	    cmocka_unit_test(test_read_only_state_dir_is_refused),
	    cmocka_unit_test(test_redis_backend_is_not_built_yet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
