/*
 * test_milter_listener.c - the milter socket as Postfix sees it: a real
 * listener on a unix socket, its libuv loop on a thread of its own, the
 * real session, shield and store, and a client writing milter frames.
 *
 * What is pinned here is the durability of an accepted message's answer:
 * the end-of-message reply must not reach the MTA before the store has
 * committed the message's sent-log entry (a kill -9 in between would
 * forget that the message was sent). The store's writer is stopped inside
 * its commit by the test hook, and the reply must wait for it; and when
 * the store never commits, the answer follows milter_failure_action after
 * MW_SESSION_HOLD_MS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "batv/batv.h"
#include "daemon/config.h"
#include "daemon/listener.h"
#include "lib/limits.h"
#include "milter/protocol.h"
#include "milter/session.h"
#include "shield/shield.h"
#include "store/store.h"
#include "store/store_impl.h"

static const char test_secret[] = "0123456789abcdef0123456789abcdef";

/* -- the daemon's side: loop thread, listener, store, shield ----------- */

typedef struct fixture {
	char dir[64];
	char sock[96];
	mw_config *cfg;
	mw_store *store;
	mw_batv_ring ring;
	mw_session_policy policy;
	mw_session_env env;
	uv_loop_t loop;
	uv_async_t stop;
	mw_listener *listener;
	pthread_t thread;

	/* the writer's commit hook: blocks while `blocking` */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool blocking;
	atomic_int in_hook; /* commits stopped in the hook now */
} fixture;

static const mw_session_policy *f_acquire(void *arg)
{
	fixture *f = arg;
	return &f->policy;
}

/* On the writer thread, after the transaction committed and before the
 * queue learns it: the moment the reply must still be held. */
static void f_hook(void *arg)
{
	fixture *f = arg;
	pthread_mutex_lock(&f->mu);
	if (f->blocking) {
		atomic_fetch_add(&f->in_hook, 1);
		while (f->blocking)
			pthread_cond_wait(&f->cv, &f->mu);
		atomic_fetch_sub(&f->in_hook, 1);
	}
	pthread_mutex_unlock(&f->mu);
}

static void f_block(fixture *f, bool on)
{
	pthread_mutex_lock(&f->mu);
	f->blocking = on;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void on_stopped(void *arg)
{
	fixture *f = arg;
	uv_close((uv_handle_t *)&f->stop, NULL);
}

static void on_stop(uv_async_t *h)
{
	fixture *f = h->data;
	mw_listener_stop(f->listener, 0, on_stopped, f);
}

static void *loop_main(void *arg)
{
	fixture *f = arg;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	return NULL;
}

static fixture *f_start(const char *extra)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/mw-test-listener.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof f->sock, "%s/milter.sock", f->dir);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);

	char text[1024];
	snprintf(text, sizeof text,
		 "state_dir = %s\n"
		 "local_domains = example.jp\n"
		 "our_hostnames = mx.example.jp\n"
		 "outbound_daemon_names = ORIGINATING\n"
		 "batv_mode = enforce\n"
		 "digest = no\n"
		 "%s",
		 f->dir, extra);
	static mw_config_errors errs;
	mw_status st = mw_config_parse("test.conf", mw_str_from_cstr(text),
				       &f->cfg, &errs);
	if (st != MW_OK)
		mw_config_errors_print(&errs, stderr);
	assert_int_equal(st, MW_OK);

	mw_store_config sc;
	mw_store_config_init(&sc);
	sc.state_dir = f->dir;
	mw_store_error err;
	assert_int_equal(mw_store_open(&sc, &f->store, &err), MW_OK);
	mw_store_set_commit_hook(f->store, f_hook, f);
	mw_batv_ring_init(&f->ring);
	mw_batv_error be;
	assert_int_equal(
	    mw_batv_ring_add(&f->ring, 1, mw_str_from_cstr(test_secret), &be),
	    MW_OK);
	f->policy.cfg = f->cfg;
	assert_int_equal(
	    mw_shield_new(f->cfg, f->store, &f->ring, &f->policy.shield),
	    MW_OK);
	f->env.acquire = f_acquire;
	f->env.arg = f;

	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(uv_async_init(&f->loop, &f->stop, on_stop), 0);
	f->stop.data = f;
	mw_cfg_endpoint ep = {.kind = MW_CFG_ENDPOINT_UNIX, .path = f->sock};
	char msg[512];
	assert_int_equal(mw_listener_open(&f->loop, &ep, &f->env, &f->listener,
					  msg, sizeof msg),
			 MW_OK);
	mw_listener_set_store(f->listener, f->store);
	assert_int_equal(pthread_create(&f->thread, NULL, loop_main, f), 0);
	return f;
}

static void f_stop(fixture *f)
{
	f_block(f, false);
	uv_async_send(&f->stop);
	pthread_join(f->thread, NULL);
	mw_listener_free(f->listener);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	mw_shield_free(f->policy.shield);
	mw_store_close(f->store);
	mw_config_free(f->cfg);
	mw_batv_ring_clear(&f->ring);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* -- the MTA's side ---------------------------------------------------- */

static int mta_connect(const fixture *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", f->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	return fd;
}

static void mta_send(int fd, unsigned char code, const void *payload, size_t n)
{
	unsigned char head[5];
	uint32_t len = (uint32_t)n + 1;
	head[0] = (unsigned char)(len >> 24);
	head[1] = (unsigned char)(len >> 16);
	head[2] = (unsigned char)(len >> 8);
	head[3] = (unsigned char)len;
	head[4] = code;
	assert_int_equal(write(fd, head, 5), 5);
	if (n)
		assert_int_equal(write(fd, payload, n), (ssize_t)n);
}

#define MTA_SEND(fd, code, lit) mta_send((fd), (code), (lit), sizeof(lit) - 1)

/* Is there something to read within ms? */
static bool mta_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, ms) == 1;
}

static void read_exactly(int fd, void *p, size_t n)
{
	unsigned char *u = p;
	while (n > 0) {
		assert_true(mta_readable(fd, 10000));
		ssize_t got = read(fd, u, n);
		assert_true(got > 0);
		u += got;
		n -= (size_t)got;
	}
}

/* One reply frame: its code, its payload into buf (cut to bufsz). */
static unsigned char mta_reply(int fd, char *buf, size_t bufsz)
{
	unsigned char head[5];
	read_exactly(fd, head, 5);
	uint32_t len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
		       (uint32_t)head[2] << 8 | (uint32_t)head[3];
	assert_true(len >= 1 && len < 65536);
	char payload[65536];
	read_exactly(fd, payload, len - 1);
	if (bufsz) {
		size_t n = len - 1 < bufsz - 1 ? len - 1 : bufsz - 1;
		memcpy(buf, payload, n);
		buf[n] = '\0';
	}
	return head[4];
}

/* Postfix's offer, then an outbound message up to its headers. */
static void mta_outbound_until_eom(int fd, const char *message_id)
{
	unsigned char opt[12] = {0,    0,    0, 6,    0,    0,
				 0x01, 0xff, 0, 0x1f, 0xff, 0xff};
	mta_send(fd, MW_SMFIC_OPTNEG, opt, sizeof opt);
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIC_OPTNEG);
	MTA_SEND(fd, MW_SMFIC_MACRO, "C{daemon_name}\0ORIGINATING\0");
	MTA_SEND(fd, MW_SMFIC_CONNECT,
		 "client.example\0004"
		 "\x61"
		 "\xa8"
		 "203.0.113.9\0");
	MTA_SEND(fd, MW_SMFIC_MAIL, "<alice@example.jp>\0");
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_CONTINUE);
	MTA_SEND(fd, MW_SMFIC_RCPT, "<carol@example.net>\0");
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_CONTINUE);
	char h[256];
	int n = snprintf(h, sizeof h, "Message-ID%c<%s>", 0, message_id);
	mta_send(fd, MW_SMFIC_HEADER, h, (size_t)n + 1);
}

/* The sent log as the database file has it, through a connection of our
 * own: what a restart after kill -9 would find. */
static bool sent_in_database(const fixture *f, const char *message_id)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", f->dir, MW_STORE_SQLITE_FILE);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT 1 FROM sent WHERE "
					    "message_id = ?",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, message_id, -1, SQLITE_STATIC);
	bool found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	sqlite3_close(db);
	return found;
}

static void wait_in_hook(fixture *f)
{
	for (int i = 0; i < 500 && atomic_load(&f->in_hook) == 0; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&f->in_hook), 1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* -- the cases ---------------------------------------------------------- */

static void test_accept_waits_until_the_sent_log_is_committed(void **state)
{
	(void)state;
	fixture *f = f_start("");
	int fd = mta_connect(f);
	mta_outbound_until_eom(fd, "held.1@example.jp");
	f_block(f, true);
	MTA_SEND(fd, MW_SMFIC_BODYEOB, "");
	/* The writer was asked to commit at once (the interval is 250 ms,
	 * and it is there long before) and stands inside its commit. */
	wait_in_hook(f);
	assert_false(mta_readable(fd, 300));
	f_block(f, false);
	char from[512];
	assert_true(mta_readable(fd, 2000));
	/* Everything in the database before the first byte of the answer. */
	assert_true(sent_in_database(f, "held.1@example.jp"));
	assert_int_equal(mta_reply(fd, from, sizeof from), MW_SMFIR_CHGFROM);
	assert_non_null(strstr(from, "=alice@example.jp>"));
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_ACCEPT);
	/* And the connection goes on: the next command is read. */
	MTA_SEND(fd, MW_SMFIC_MAIL, "<alice@example.jp>\0");
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_CONTINUE);
	close(fd);
	f_stop(f);
}

static void test_hold_is_one_commit_not_the_commit_interval(void **state)
{
	(void)state;
	fixture *f = f_start("");
	int fd = mta_connect(f);
	mta_outbound_until_eom(fd, "quick.1@example.jp");
	uint64_t t0 = now_ms();
	MTA_SEND(fd, MW_SMFIC_BODYEOB, "");
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_CHGFROM);
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_ACCEPT);
	uint64_t waited = now_ms() - t0;
	assert_true(sent_in_database(f, "quick.1@example.jp"));
	/* One commit on a temporary directory takes milliseconds; the
	 * interval the writer would otherwise wait for is 250 ms. */
	assert_true(waited < 200);
	close(fd);
	f_stop(f);
}

static void test_refusal_is_not_held(void **state)
{
	(void)state;
	fixture *f = f_start("");
	int fd = mta_connect(f);
	unsigned char opt[12] = {0,    0,    0, 6,    0,    0,
				 0x01, 0xff, 0, 0x1f, 0xff, 0xff};
	mta_send(fd, MW_SMFIC_OPTNEG, opt, sizeof opt);
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIC_OPTNEG);
	MTA_SEND(fd, MW_SMFIC_CONNECT,
		 "mx.remote.example\0004"
		 "\x61"
		 "\xa8"
		 "198.51.100.7\0");
	MTA_SEND(fd, MW_SMFIC_MAIL, "<>\0");
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_CONTINUE);
	MTA_SEND(fd, MW_SMFIC_RCPT, "<alice@example.jp>\0");
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_CONTINUE);
	MTA_SEND(fd, MW_SMFIC_HEADER, "From\0MAILER-DAEMON@remote.example\0");
	MTA_SEND(fd, MW_SMFIC_HEADER,
		 "Subject\0Undelivered Mail Returned to Sender\0");
	MTA_SEND(fd, MW_SMFIC_BODY, "This is the mail system.\r\n");
	f_block(f, true);
	MTA_SEND(fd, MW_SMFIC_BODYEOB, "");
	/* A forged bounce: refused at once, whatever the writer does. */
	char text[512];
	assert_int_equal(mta_reply(fd, text, sizeof text), MW_SMFIR_REPLYCODE);
	assert_memory_equal(text, "550 5.7.1", 9);
	close(fd);
	f_stop(f);
}

static void test_store_that_never_commits_gets_tempfail_in_time(void **state)
{
	(void)state;
	fixture *f = f_start("milter_failure_action = tempfail\n");
	int fd = mta_connect(f);
	mta_outbound_until_eom(fd, "stuck.1@example.jp");
	f_block(f, true);
	uint64_t t0 = now_ms();
	MTA_SEND(fd, MW_SMFIC_BODYEOB, "");
	wait_in_hook(f);
	assert_true(mta_readable(fd, MW_SESSION_HOLD_MS + 2000));
	uint64_t waited = now_ms() - t0;
	assert_int_equal(mta_reply(fd, NULL, 0), MW_SMFIR_TEMPFAIL);
	assert_false(mta_readable(fd, 50)); /* TEMPFAIL alone */
	assert_true(waited >= MW_SESSION_HOLD_MS - 50);
	close(fd);
	f_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_waits_until_the_sent_log_is_committed),
	    cmocka_unit_test(test_hold_is_one_commit_not_the_commit_interval),
	    cmocka_unit_test(test_refusal_is_not_held),
	    cmocka_unit_test(
		test_store_that_never_commits_gets_tempfail_in_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
