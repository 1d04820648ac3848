/*
 * test_store_durability.c - the store's write queue under load, when full,
 * and under kill -9.
 *
 *  - 100,000 writes from 4 threads: every one is either committed or
 *    counted as dropped, a reader running alongside never sees a counter
 *    go down (a write counted twice or lost between queue and database
 *    would show), and no kept write is lost.
 *  - A queue held up by another process's lock: counter writes are
 *    dropped and counted, sent-log writes wait and then are refused, the
 *    store reports itself unhealthy, and everything accepted is committed
 *    once the lock goes.
 *  - kill -9 of a child that is writing: everything it queued more than a
 *    second before the kill is in the database, which passes
 *    PRAGMA integrity_check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define HOUR 3600
#define T0 ((time_t)1700000000)

static time_t test_clock(void *arg)
{
	(void)arg;
	return T0;
}

static void make_dir(char *dir, size_t dirsz, char *db, size_t dbsz)
{
	snprintf(dir, dirsz, "/tmp/mw-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, dbsz, "%s/%s", dir, MW_STORE_SQLITE_FILE);
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

static mw_store *open_with(const char *dir, size_t queue_max, unsigned wait_ms)
{
	mw_store_config cfg;
	mw_store_error err;
	mw_store *st = NULL;
	mw_store_config_init(&cfg);
	cfg.state_dir = dir;
	cfg.clock = test_clock;
	if (queue_max)
		cfg.queue_max = queue_max;
	cfg.enqueue_wait_ms = wait_ms;
	if (mw_store_open(&cfg, &st, &err) != MW_OK)
		fail_msg("open: %s", err.msg);
	return st;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t sum(mw_store *st, const char *key, time_t now)
{
	int64_t v = -1;
	assert_int_equal(mw_store_counter_sum(st, key, HOUR, now, &v), MW_OK);
	return v;
}

static bool sent_found(mw_store *st, const char *id)
{
	mw_store_sent s;
	bool found = false;
	assert_int_equal(mw_store_sent_lookup(st, id, T0, &s, &found), MW_OK);
	return found;
}

/* -- load ------------------------------------------------------------ */

#define THREADS 4
#define WRITES_PER_THREAD 25000
#define COLD_KEYS 1000
#define MEMBERS 500

/* Each thread's mix, by i % 100: 0 a sent-log record, 50 an event, 3, 13,
 * ... 93 a distinct member; of the rest, i % 4 == 1 the hot counter that
 * every thread adds to, the others one of COLD_KEYS counters. */
typedef struct loader {
	mw_store *st;
	int id;
	int sent, events, hot, cold, members; /* accepted */
	int hot_dropped, cold_dropped, members_dropped;
} loader;

static void cold_key(char *k, size_t ksz, int i)
{
	snprintf(k, ksz, "acct:load-%d/rcpts", i % COLD_KEYS);
}

static void count_lossy(mw_status rc, int *ok, int *dropped)
{
	if (rc == MW_OK)
		(*ok)++;
	else if (rc == MW_ETOOBIG)
		(*dropped)++;
	else
		fail_msg("lossy write failed: %d", rc);
}

static void load_one(loader *l, int i)
{
	char k[64], v[64];
	if (i % 100 == 0) {
		snprintf(k, sizeof(k), "load-%d-%d@example.jp", l->id, i);
		assert_int_equal(
		    mw_store_sent_record(l->st, k, "user@example.jp", T0),
		    MW_OK);
		l->sent++;
	} else if (i % 100 == 50) {
		snprintf(k, sizeof(k), "acct:load-%d/history", l->id);
		snprintf(v, sizeof(v), "{\"i\":%d}", i);
		assert_int_equal(
		    mw_store_event_append(l->st, k, T0 + i, v, strlen(v), NULL),
		    MW_OK);
		l->events++;
	} else if (i % 10 == 3) {
		snprintf(v, sizeof(v), "198.51.100.%d", (i / 10) % MEMBERS);
		count_lossy(mw_store_distinct_add(l->st, "acct:load/ip", v, T0),
			    &l->members, &l->members_dropped);
	} else if (i % 4 == 1) {
		count_lossy(
		    mw_store_counter_add(l->st, "acct:load/msgs", 1, T0),
		    &l->hot, &l->hot_dropped);
	} else {
		cold_key(k, sizeof(k), i);
		count_lossy(mw_store_counter_add(l->st, k, 1, T0), &l->cold,
			    &l->cold_dropped);
	}
}

static void *load_writes(void *arg)
{
	loader *l = arg;
	for (int i = 0; i < WRITES_PER_THREAD; i++)
		load_one(l, i);
	return NULL;
}

typedef struct watcher {
	mw_store *st;
	atomic_bool stop;
	int reads;
	int64_t went_down; /* the largest fall seen, 0 if none */
} watcher;

static void *watch_counter(void *arg)
{
	watcher *w = arg;
	int64_t last = 0;
	while (!atomic_load(&w->stop)) {
		int64_t v = 0;
		if (mw_store_counter_sum(w->st, "acct:load/msgs", HOUR, T0,
					 &v) != MW_OK)
			fail_msg("counter_sum failed under load");
		if (v < last && last - v > w->went_down)
			w->went_down = last - v;
		last = v;
		w->reads++;
	}
	return NULL;
}

static void check_loaded(mw_store *st, const loader *l)
{
	loader t = {0};
	char k[64];
	for (int i = 0; i < THREADS; i++) {
		t.sent += l[i].sent;
		t.events += l[i].events;
		t.hot += l[i].hot;
		t.cold += l[i].cold;
		t.members += l[i].members;
		t.members_dropped += l[i].members_dropped;
	}
	assert_int_equal(t.sent, THREADS * WRITES_PER_THREAD / 100);
	assert_int_equal(t.events, THREADS * WRITES_PER_THREAD / 100);
	assert_int_equal(sum(st, "acct:load/msgs", T0), t.hot);
	int64_t cold = 0;
	for (int i = 0; i < COLD_KEYS; i++) {
		cold_key(k, sizeof(k), i);
		cold += sum(st, k, T0);
	}
	assert_int_equal(cold, t.cold);
	uint64_t members = 0;
	assert_int_equal(
	    mw_store_distinct_count(st, "acct:load/ip", HOUR, T0, &members),
	    MW_OK);
	if (t.members_dropped == 0)
		assert_int_equal(members, MEMBERS);
	assert_true(members <= MEMBERS);
	for (int th = 0; th < THREADS; th++) {
		for (int i = 0; i < WRITES_PER_THREAD; i += 100) {
			snprintf(k, sizeof(k), "load-%d-%d@example.jp", th, i);
			assert_true(sent_found(st, k));
		}
		snprintf(k, sizeof(k), "acct:load-%d/history", th);
		mw_store_list ev;
		mw_store_list_init(&ev);
		assert_int_equal(mw_store_event_read(st, k, T0, 0, 1000, &ev),
				 MW_OK);
		assert_int_equal(ev.n, WRITES_PER_THREAD / 100);
		mw_store_list_free(&ev);
	}
}

static void test_100000_writes_from_4_threads_all_accounted(void **state)
{
	(void)state;
	char dir[64], db[128];
	make_dir(dir, sizeof(dir), db, sizeof(db));
	mw_store *st = open_with(dir, 0, 2000);
	loader l[THREADS];
	pthread_t t[THREADS], wt;
	watcher w = {.st = st};
	uint64_t t0 = mono_ms();
	assert_int_equal(pthread_create(&wt, NULL, watch_counter, &w), 0);
	for (int i = 0; i < THREADS; i++) {
		l[i] = (loader){.st = st, .id = i};
		assert_int_equal(
		    pthread_create(&t[i], NULL, load_writes, &l[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	uint64_t queued_ms = mono_ms() - t0;
	assert_int_equal(mw_store_flush(st, 10000), MW_OK);
	atomic_store(&w.stop, true);
	pthread_join(wt, NULL);

	mw_store_stats s;
	mw_store_stats_get(st, &s);
	print_message(
	    "    load: 100000 writes queued in %llu ms; %llu "
	    "merged, %llu committed in %llu batches, %llu dropped; "
	    "longest batch %llu us; %d reads alongside\n",
	    (unsigned long long)queued_ms, (unsigned long long)s.merged,
	    (unsigned long long)s.committed, (unsigned long long)s.batches,
	    (unsigned long long)s.dropped, (unsigned long long)s.max_batch_us,
	    w.reads);
	assert_int_equal(s.refused, 0);
	assert_int_equal(s.enqueued + s.dropped, THREADS * WRITES_PER_THREAD);
	assert_int_equal(s.committed + s.merged, s.enqueued);
	assert_int_equal(s.queued, 0);
	assert_int_equal(w.went_down, 0);
	assert_true(w.reads > 0);
	check_loaded(st, l);
	mw_store_close(st);
	remove_dir(dir);
}

/* -- a full queue ----------------------------------------------------- */

static void
test_full_queue_drops_counters_keeps_or_refuses_sent_log(void **state)
{
	(void)state;
	char dir[64], db[128], why[256];
	make_dir(dir, sizeof(dir), db, sizeof(db));
	/* 100 writes at most: 75 for counters, the rest for kept writes. */
	mw_store *st = open_with(dir, 100, 50);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(db, &other), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	uint64_t held_at = mono_ms();

	int added = 0, dropped = 0, sent = 0, refused = 0;
	char key[64];
	for (int i = 0; i < 200; i++) {
		/* Distinct keys: adds to one key would merge in the queue. */
		snprintf(key, sizeof(key), "acct:full-%d/msgs", i);
		mw_status rc = mw_store_counter_add(st, key, 1, T0);
		assert_true(rc == MW_OK || rc == MW_ETOOBIG);
		rc == MW_OK ? added++ : dropped++;
	}
	char msgid[64];
	for (int i = 0; i < 40; i++) {
		snprintf(msgid, sizeof(msgid), "full-%d@example.jp", i);
		mw_status rc =
		    mw_store_sent_record(st, msgid, "u@example.jp", T0);
		assert_true(rc == MW_OK || rc == MW_EIO);
		rc == MW_OK ? sent++ : refused++;
	}
	assert_int_equal(added, 75);
	assert_int_equal(dropped, 125);
	assert_int_equal(sent, 25);
	assert_int_equal(refused, 15);
	/* Reads still answer, from the queue. */
	assert_int_equal(sum(st, "acct:full-0/msgs", T0), 1);
	assert_int_equal(sum(st, "acct:full-74/msgs", T0), 1);
	assert_int_equal(sum(st, "acct:full-75/msgs", T0), 0);
	assert_true(sent_found(st, "full-0@example.jp"));

	/* Held past the interval and the stuck margin: unhealthy. */
	while (mono_ms() - held_at < 2600)
		usleep(50 * 1000);
	assert_int_equal(mw_store_health(st, why, sizeof(why)), MW_EIO);
	assert_non_null(strstr(why, "store:"));

	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(mw_store_flush(st, 10000), MW_OK);
	assert_int_equal(mw_store_health(st, why, sizeof(why)), MW_OK);
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "acct:full-%d/msgs", i);
		assert_int_equal(sum(st, key, T0), i < 75);
	}
	for (int i = 0; i < 40; i++) {
		snprintf(msgid, sizeof(msgid), "full-%d@example.jp", i);
		assert_int_equal(sent_found(st, msgid), i < 25);
	}
	mw_store_stats s;
	mw_store_stats_get(st, &s);
	assert_int_equal(s.dropped, 125);
	assert_int_equal(s.refused, 15);
	mw_store_close(st);
	remove_dir(dir);
}

/* -- kill -9 ---------------------------------------------------------- */

#define PHASE1 2000
#define KEEP_ALL ((mw_store_keep){.count = 100000})

/* The child: PHASE1 writes of each kind, flush, "F"; then writes for
 * ever, telling the parent after each 20 the index of the last. */
static _Noreturn void writing_child(const char *dir, int fd)
{
	mw_store *st = open_with(dir, 0, 1000);
	char id[64];
	mw_store_keep keep = KEEP_ALL;
	for (int i = 0; i < PHASE1; i++) {
		snprintf(id, sizeof(id), "p1-%d@example.jp", i);
		if (mw_store_sent_record(st, id, "u@example.jp", T0) ||
		    mw_store_counter_add(st, "acct:k/p1", 1, T0) ||
		    mw_store_event_append(st, "acct:k/p1", T0, id, strlen(id),
					  &keep))
			_exit(2);
	}
	if (mw_store_flush(st, 10000) != MW_OK || write(fd, "F\n", 2) != 2)
		_exit(3);
	for (int i = 0;; i++) {
		snprintf(id, sizeof(id), "p2-%d@example.jp", i);
		if (mw_store_sent_record(st, id, "u@example.jp", T0) ||
		    mw_store_counter_add(st, "acct:k/p2", 1, T0) ||
		    mw_store_event_append(st, "acct:k/p2", T0, id, strlen(id),
					  &keep))
			_exit(4);
		if (i % 20 == 19) {
			char line[32];
			int n = snprintf(line, sizeof(line), "%d\n", i);
			if (write(fd, line, (size_t)n) != n)
				_exit(5);
		}
		usleep(500);
	}
}

/* Read the child's lines; for each index, the time it arrived. Returns
 * the highest index that arrived before `before`, or -1. */
typedef struct progress {
	int last_index[4096];
	uint64_t at[4096];
	size_t n;
} progress;

static void read_progress(int fd, progress *p, uint64_t until, bool *phase1)
{
	char buf[4096];
	size_t have = 0;
	while (mono_ms() < until) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		char *start = buf, *nl;
		while (
		    (nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = '\0';
			if (strcmp(start, "F") == 0) {
				*phase1 = true;
				until = mono_ms() + 1600;
			} else if (p->n < 4096) {
				p->last_index[p->n] = atoi(start);
				p->at[p->n++] = mono_ms();
			}
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
	}
}

static void check_integrity(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	sqlite3_close(h);
}

static long long sql_count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static size_t events_of(mw_store *st, const char *key)
{
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(
	    mw_store_event_read(st, key, T0, 0, MW_STORE_READ_MAX, &l), MW_OK);
	size_t n = l.n;
	mw_store_list_free(&l);
	return n;
}

static void test_kill_9_keeps_writes_older_than_one_second(void **state)
{
	(void)state;
	char dir[64], db[128], id[64];
	int fds[2];
	make_dir(dir, sizeof(dir), db, sizeof(db));
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		writing_child(dir, fds[1]);
	}
	close(fds[1]);
	static progress p;
	bool phase1 = false;
	read_progress(fds[0], &p, mono_ms() + 30000, &phase1);
	uint64_t killed_at = mono_ms();
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	assert_true(phase1);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	int durable = -1; /* the last index queued over a second before */
	for (size_t i = 0; i < p.n; i++)
		if (p.at[i] + 1000 <= killed_at)
			durable = p.last_index[i];
	print_message("    kill -9: %zu progress lines, index %d was queued "
		      "over 1 s before the kill\n",
		      p.n, durable);
	assert_true(durable >= 0);

	check_integrity(db);
	mw_store *st = open_with(dir, 0, 250);
	assert_int_equal(sum(st, "acct:k/p1", T0), PHASE1);
	assert_int_equal(events_of(st, "acct:k/p1"), PHASE1);
	for (int i = 0; i < PHASE1; i++) {
		snprintf(id, sizeof(id), "p1-%d@example.jp", i);
		assert_true(sent_found(st, id));
	}
	assert_true(sum(st, "acct:k/p2", T0) >= durable + 1);
	assert_true(sql_count(db, "SELECT count(*) FROM event WHERE key = "
				  "'acct:k/p2'") >= durable + 1);
	for (int i = 0; i <= durable; i++) {
		snprintf(id, sizeof(id), "p2-%d@example.jp", i);
		if (!sent_found(st, id))
			fail_msg("%s was queued over 1 s before kill -9 and "
				 "is lost",
				 id);
	}
	mw_store_close(st);
	check_integrity(db);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_100000_writes_from_4_threads_all_accounted),
	    cmocka_unit_test(
		test_full_queue_drops_counters_keeps_or_refuses_sent_log),
	    cmocka_unit_test(test_kill_9_keeps_writes_older_than_one_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
