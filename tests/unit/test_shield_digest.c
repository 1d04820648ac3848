/*
 * test_shield_digest.c - the daily digest and the SMTP client that sends
 * it: the composed message (Japanese and English, headers, the encoded
 * Subject), its delivery by the shield's tick to a tiny SMTP server on
 * 127.0.0.1 run by a thread of this test (which records the dialogue),
 * once a day and no more, and the client's behaviour with servers that
 * refuse, stall, babble or are not there.
 *
 * The store is a real SQLite store in a fresh directory; time is
 * injected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "batv/batv.h"
#include "daemon/config.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/header.h"
#include "shield/addr_state.h"
#include "shield/digest.h"
#include "shield/shield.h"
#include "shield/shield_int.h"
#include "shield/smtp_client.h"
#include "store/store.h"

#define HOUR 3600
#define DAY 86400
#define T0 ((time_t)1700000000) /* 2023-11-14 22:13:20 UTC */

#define DOMAIN "mailwarden-test.jp"
#define TARO "taro@" DOMAIN

/* Read by the store's writer thread too. */
static _Atomic time_t g_now = T0;
static mw_config_errors g_errs;

static time_t test_clock(void *arg)
{
	(void)arg;
	return g_now;
}

/* -- a tiny SMTP server ----------------------------------------------- */

typedef enum srv_mode {
	SRV_NORMAL = 0,
	SRV_SILENT,    /* accepts, never greets */
	SRV_BABBLE,    /* a greeting longer than any reply may be */
	SRV_MALFORMED, /* a greeting that is not a reply */
} srv_mode;

typedef struct srv {
	int lfd;
	unsigned port;
	pthread_t th;
	atomic_bool stop;
	srv_mode mode;
	const char *ehlo_reply; /* NULL: 250-..8BITMIME..250 SIZE */
	const char *mail_reply; /* NULL: 250 */
	const char *rcpt_reply; /* NULL: 250 */
	pthread_mutex_t mu;
	int connections;
	mw_buf log;  /* the client's command lines, one a line */
	mw_buf data; /* the last DATA, as received, without the final dot */
} srv;

static void srv_send(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* One line (with its CRLF) from fd into line; false at the end. */
static bool srv_line(int fd, char *buf, size_t *have, char *line, size_t linesz)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *have);
		if (nl) {
			size_t n = (size_t)(nl - buf) + 1;
			size_t k = n < linesz - 1 ? n : linesz - 1;
			memcpy(line, buf, k);
			line[k] = '\0';
			memmove(buf, buf + n, *have - n);
			*have -= n;
			return true;
		}
		if (*have >= 8192)
			return false;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			return false;
		ssize_t got = recv(fd, buf + *have, 8192 - *have, 0);
		if (got <= 0)
			return false;
		*have += (size_t)got;
	}
}

static void srv_record(srv *s, mw_buf *b, const char *text)
{
	pthread_mutex_lock(&s->mu);
	(void)mw_buf_puts(b, text);
	pthread_mutex_unlock(&s->mu);
}

static void srv_data(srv *s, int fd, char *buf, size_t *have)
{
	char line[4096];
	pthread_mutex_lock(&s->mu);
	mw_buf_reset(&s->data);
	pthread_mutex_unlock(&s->mu);
	srv_send(fd, "354 go ahead\r\n");
	while (srv_line(fd, buf, have, line, sizeof line)) {
		if (strcmp(line, ".\r\n") == 0) {
			srv_send(fd, "250 2.0.0 queued as 4ABC\r\n");
			return;
		}
		srv_record(s, &s->data, line);
	}
}

static void srv_session(srv *s, int fd)
{
	if (s->mode == SRV_SILENT) {
		char c;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		while (!atomic_load(&s->stop) && poll(&p, 1, 100) >= 0 &&
		       !(p.revents && recv(fd, &c, 1, 0) <= 0))
			;
		return;
	}
	if (s->mode == SRV_BABBLE) {
		char big[MW_SMTP_REPLY_MAX + 512];
		memset(big, 'x', sizeof big - 1);
		memcpy(big, "220-", 4);
		big[sizeof big - 1] = '\0';
		srv_send(fd, big);
		usleep(300000);
		return;
	}
	if (s->mode == SRV_MALFORMED) {
		srv_send(fd, "hello there\r\n");
		usleep(300000);
		return;
	}
	srv_send(fd, "220 test.example ESMTP\r\n");
	char buf[8192], line[4096];
	size_t have = 0;
	while (srv_line(fd, buf, &have, line, sizeof line)) {
		srv_record(s, &s->log, line);
		if (strncasecmp(line, "EHLO", 4) == 0)
			srv_send(fd, s->ehlo_reply ? s->ehlo_reply
						   : "250-test.example\r\n"
						     "250-8BITMIME\r\n"
						     "250 SIZE 10240000\r\n");
		else if (strncasecmp(line, "HELO", 4) == 0)
			srv_send(fd, "250 test.example\r\n");
		else if (strncasecmp(line, "MAIL", 4) == 0)
			srv_send(fd, s->mail_reply ? s->mail_reply
						   : "250 2.1.0 Ok\r\n");
		else if (strncasecmp(line, "RCPT", 4) == 0)
			srv_send(fd, s->rcpt_reply ? s->rcpt_reply
						   : "250 2.1.5 Ok\r\n");
		else if (strncasecmp(line, "DATA", 4) == 0)
			srv_data(s, fd, buf, &have);
		else if (strncasecmp(line, "QUIT", 4) == 0) {
			srv_send(fd, "221 2.0.0 Bye\r\n");
			return;
		} else
			srv_send(fd, "502 5.5.2 what?\r\n");
	}
}

static void *srv_main(void *arg)
{
	srv *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = {.fd = s->lfd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->mu);
		s->connections++;
		pthread_mutex_unlock(&s->mu);
		srv_session(s, fd);
		close(fd);
	}
	return NULL;
}

static srv *srv_start(srv_mode mode)
{
	srv *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->mode = mode;
	pthread_mutex_init(&s->mu, NULL);
	mw_buf_init(&s->log, 1 << 20);
	mw_buf_init(&s->data, 1 << 20);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	return s;
}

static void srv_stop(srv *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->th, NULL);
	close(s->lfd);
	mw_buf_free(&s->log);
	mw_buf_free(&s->data);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static int srv_connections(srv *s)
{
	pthread_mutex_lock(&s->mu);
	int n = s->connections;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* A copy of what the server recorded (free it). */
static char *srv_copy(srv *s, const mw_buf *b)
{
	pthread_mutex_lock(&s->mu);
	char *c = strdup(mw_buf_cstr(b));
	pthread_mutex_unlock(&s->mu);
	assert_non_null(c);
	return c;
}

/* -- the fixture: store, configuration, shield, server ---------------- */

typedef struct fx {
	char dir[64];
	mw_store *st;
	mw_config *cfg;
	mw_batv_ring ring;
	mw_shield *sh;
	srv *smtp;
	mw_verdict v;
} fx;

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void configure(fx *f, unsigned port, const char *extra)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "state_dir = %s\n"
		 "local_domains = " DOMAIN "\n"
		 "our_hostnames = mx1." DOMAIN "\n"
		 "batv_mode = enforce\n"
		 "flood_threshold = 3\n"
		 "flood_window = 1h\n"
		 "digest_smtp = 127.0.0.1:%u\n"
		 "admin_notify = helpdesk@" DOMAIN "\n"
		 "%s",
		 f->dir, port, extra ? extra : "");
	mw_shield_free(f->sh);
	mw_config_free(f->cfg);
	f->cfg = NULL;
	mw_status rc = mw_config_parse(
	    "digest-test.conf", mw_str_from_cstr(text), &f->cfg, &g_errs);
	if (rc != MW_OK)
		mw_config_errors_print(&g_errs, stderr);
	assert_int_equal(rc, MW_OK);
	assert_int_equal(mw_shield_new(f->cfg, f->st, &f->ring, &f->sh), MW_OK);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	g_now = T0;
	snprintf(f->dir, sizeof f->dir, "/tmp/mw-digest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	mw_store_config sc;
	mw_store_config_init(&sc);
	sc.state_dir = f->dir;
	sc.clock = test_clock;
	mw_store_error err;
	if (mw_store_open(&sc, &f->st, &err) != MW_OK)
		fail_msg("store: %s", err.msg);
	mw_batv_ring_init(&f->ring);
	mw_batv_error be;
	assert_int_equal(mw_batv_ring_add(&f->ring, 1,
					  mw_str_from_cstr("correct horse "
							   "battery staple"),
					  &be),
			 MW_OK);
	f->smtp = srv_start(SRV_NORMAL);
	configure(f, f->smtp->port, NULL);
	mw_verdict_init(&f->v);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	mw_verdict_free(&f->v);
	mw_shield_free(f->sh);
	mw_config_free(f->cfg);
	srv_stop(f->smtp);
	mw_store_close(f->st);
	mw_batv_ring_clear(&f->ring);
	remove_dir(f->dir);
	free(f);
	return 0;
}

/* n forged bounces to addr, refused. */
static void flood(fx *f, const char *addr, int n)
{
	const char *msg = "From: MAILER-DAEMON@mx.remote.example\n"
			  "Subject: failure notice\n\n"
			  "Hi. This is the qmail-send program at "
			  "mx.remote.example.\n"
			  "I'm afraid I wasn't able to deliver your message "
			  "to the following addresses.\n"
			  "This is a permanent error; I've given up. Sorry "
			  "it didn't work out.\n\n"
			  "<nobody@remote.example>:\nSorry, no mailbox here "
			  "by that name.\n";
	const char *to[] = {addr};
	for (int i = 0; i < n; i++) {
		mw_msg_facts m;
		memset(&m, 0, sizeof m);
		m.sender = "";
		m.rcpts = to;
		m.nrcpts = 1;
		m.client_name =
		    i % 2 ? "mx.remote.example" : "mx2.remote.example";
		m.msg = msg;
		m.msg_len = strlen(msg);
		m.now = g_now;
		mw_verdict_free(&f->v);
		assert_int_equal(mw_shield_eom(f->sh, &m, &f->v), MW_OK);
		assert_int_equal(f->v.kind, MW_VERDICT_REJECT);
		g_now += 5;
	}
}

/* One tick, and its round (which runs on a thread of the shield) done. */
static void tick(fx *f, time_t now)
{
	mw_shield_tick(f->sh, now);
	mws_tick_wait(f->sh);
}

/* -- the composed digest ---------------------------------------------- */

static void compose_sample(mw_buf *out)
{
	mw_digest d = {.rcpt = TARO,
		       .from = "postmaster@" DOMAIN,
		       .admin = "helpdesk@" DOMAIN,
		       .refused = 49817,
		       .servers = 312,
		       .first = T0 - 15 * HOUR,
		       .last = T0,
		       .now = T0 + 60,
		       .message_id = "mailwarden.digest.0123@mx1." DOMAIN};
	assert_int_equal(mw_digest_compose(&d, out), MW_OK);
}

/* The value of header `name` in msg's header section (arena). */
static const char *header_of(mw_arena *a, const char *msg, const char *name)
{
	mw_headers h;
	assert_int_equal(mw_headers_parse(a, msg, strlen(msg), &h), MW_OK);
	return mw_headers_get(&h, name);
}

static void test_digest_has_both_languages_and_the_facts(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, MW_DIGEST_MAX);
	compose_sample(&b);
	const char *m = mw_buf_cstr(&b);
	const char *body = strstr(m, "\r\n\r\n");
	assert_non_null(body);
	/* Japanese first, then English */
	const char *ja = strstr(body, "あなたのアカウントは使われていません");
	const char *en = strstr(body, "Your account was NOT used");
	assert_non_null(ja);
	assert_non_null(en);
	assert_true(ja < en);
	assert_non_null(strstr(body, "49817 通を、偽物と判断して受け取りを"
				     "拒否しました"));
	assert_non_null(strstr(body, "we refused 49817 forged bounces"));
	assert_non_null(strstr(body, "送ってきたサーバーの数: 312"));
	assert_non_null(strstr(body, "Servers that sent them: 312"));
	/* what to do when sent mail was not theirs */
	assert_non_null(strstr(body, "すぐにパスワードを変更してください"));
	assert_non_null(strstr(body, "Change your password now"));
	assert_non_null(strstr(body, "helpdesk@" DOMAIN));
	/* times: JST for the Japanese text, UTC for the English one */
	assert_non_null(strstr(body, "2023-11-15 07:13 JST"));
	assert_non_null(strstr(body, "2023-11-14 22:13 UTC"));
	mw_buf_free(&b);
}

static void test_digest_headers_are_valid_and_subject_decodes(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, MW_DIGEST_MAX);
	compose_sample(&b);
	const char *m = mw_buf_cstr(&b);
	mw_arena a;
	mw_arena_init(&a, 1 << 20);
	assert_string_equal(header_of(&a, m, "Content-Type"),
			    "text/plain; charset=UTF-8");
	assert_string_equal(header_of(&a, m, "Auto-Submitted"),
			    "auto-generated");
	assert_string_equal(header_of(&a, m, "MIME-Version"), "1.0");
	assert_string_equal(header_of(&a, m, "Content-Transfer-Encoding"),
			    "8bit");
	assert_string_equal(header_of(&a, m, "From"),
			    "mailwarden <postmaster@" DOMAIN ">");
	assert_string_equal(header_of(&a, m, "To"), "<" TARO ">");
	assert_string_equal(header_of(&a, m, "Message-ID"),
			    "<mailwarden.digest.0123@mx1." DOMAIN ">");
	assert_string_equal(header_of(&a, m, "Date"),
			    "Tue, 14 Nov 2023 22:14:20 +0000");
	const char *raw = header_of(&a, m, "Subject");
	assert_non_null(raw);
	assert_non_null(strstr(raw, "=?UTF-8?B?"));
	const char *subject = mw_header_decode(&a, raw, strlen(raw), NULL);
	assert_string_equal(subject,
			    "偽の配信不能通知 49817 通を拒否しました / 49817 "
			    "forged bounces to your address were refused");
	/* every line ends in CRLF; header lines fit in 78 characters */
	bool in_header = true;
	for (const char *p = m; *p;) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(nl > m && nl[-1] == '\r');
		size_t len = (size_t)(nl - p) - 1;
		if (len == 0)
			in_header = false;
		if (in_header)
			assert_true(len <= 78);
		assert_true(len <= 998);
		p = nl + 1;
	}
	mw_arena_free(&a);
	mw_buf_free(&b);
}

static void test_digest_refuses_addresses_that_break_headers(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, MW_DIGEST_MAX);
	mw_digest d = {.rcpt = "taro@" DOMAIN "\r\nBcc: all@example.com",
		       .from = "postmaster@" DOMAIN,
		       .refused = 3,
		       .now = T0,
		       .message_id = "x@y"};
	assert_int_equal(mw_digest_compose(&d, &b), MW_EINVAL);
	d.rcpt = TARO;
	d.message_id = "a>b@y";
	assert_int_equal(mw_digest_compose(&d, &b), MW_EINVAL);
	assert_int_equal(b.len, 0);
	/* a cap too small: nothing half-written */
	mw_buf small;
	mw_buf_init(&small, 300);
	d.message_id = "x@y";
	assert_int_equal(mw_digest_compose(&d, &small), MW_ETOOBIG);
	assert_int_equal(small.len, 0);
	mw_buf_free(&small);
	mw_buf_free(&b);
}

static void test_message_ids_are_fresh_and_ours(void **state)
{
	(void)state;
	char a[128], b[128];
	assert_int_equal(mw_digest_message_id("mx1." DOMAIN, a, sizeof a),
			 MW_OK);
	assert_int_equal(mw_digest_message_id("mx1." DOMAIN, b, sizeof b),
			 MW_OK);
	assert_true(strncmp(a, "mailwarden.digest.", 18) == 0);
	assert_non_null(strstr(a, "@mx1." DOMAIN));
	assert_string_not_equal(a, b);
	assert_int_equal(mw_digest_message_id("mx1." DOMAIN, a, 20),
			 MW_ETOOBIG);
}

/* -- digests sent by the tick ----------------------------------------- */

static void test_flooded_user_gets_exactly_one_digest_a_day(void **state)
{
	fx *f = *state;
	flood(f, TARO, 2);
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 0); /* no flood yet */
	flood(f, TARO, 10);
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 1);

	char *log = srv_copy(f->smtp, &f->smtp->log);
	assert_non_null(strstr(log, "EHLO mx1." DOMAIN "\r\n"));
	assert_non_null(strstr(log, "MAIL FROM:<> BODY=8BITMIME\r\n"));
	assert_non_null(strstr(log, "RCPT TO:<" TARO ">\r\n"));
	assert_non_null(strstr(log, "DATA\r\n"));
	assert_non_null(strstr(log, "QUIT\r\n"));
	free(log);
	char *data = srv_copy(f->smtp, &f->smtp->data);
	assert_non_null(strstr(data, "Auto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(data, "To: <" TARO ">\r\n"));
	assert_non_null(
	    strstr(data, "From: mailwarden <postmaster@" DOMAIN ">\r\n"));
	assert_non_null(strstr(data, "we refused 12 forged bounces"));
	assert_non_null(strstr(data, "Servers that sent them: 2"));
	assert_non_null(strstr(data, "管理者 (helpdesk@" DOMAIN ")"));
	free(data);

	/* the flood goes on, a new one starts hours later: no second
	 * digest the same day */
	flood(f, TARO, 10);
	tick(f, g_now);
	g_now += 5 * HOUR;
	tick(f, g_now);
	flood(f, TARO, 10);
	tick(f, g_now);
	g_now += 10 * HOUR;
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 1);

	/* a day after the first: the next one */
	g_now = T0 + DAY + 120;
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 2);
	tick(f, g_now + 60);
	assert_int_equal(srv_connections(f->smtp), 2);
}

static void test_no_digest_when_disabled_retired_or_quiet(void **state)
{
	fx *f = *state;
	configure(f, f->smtp->port, "digest = no\n");
	flood(f, TARO, 5);
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 0);

	/* enabled again, but the address has been retired meanwhile */
	configure(f, f->smtp->port, NULL);
	assert_int_equal(mw_addr_state_set(f->st, TARO, MW_ADDR_RETIRED, g_now),
			 MW_OK);
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 0);

	/* a flood more than a day old has nothing left to report */
	assert_int_equal(mw_addr_state_set(f->st, TARO, MW_ADDR_ACTIVE, g_now),
			 MW_OK);
	flood(f, "jiro@" DOMAIN, 5);
	g_now += DAY + 2 * HOUR;
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 0);
}

static void test_digest_waits_for_a_server_that_is_down(void **state)
{
	fx *f = *state;
	/* a port where nobody listens */
	srv *gone = srv_start(SRV_NORMAL);
	unsigned dead_port = gone->port;
	srv_stop(gone);
	configure(f, dead_port, NULL);
	flood(f, TARO, 5);
	tick(f, g_now);
	/* back again: the due digest goes out */
	configure(f, f->smtp->port, NULL);
	g_now += 60;
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 1);
}

static void test_refused_digest_is_not_retried_every_minute(void **state)
{
	fx *f = *state;
	f->smtp->rcpt_reply = "550 5.1.1 no such user\r\n";
	flood(f, TARO, 5);
	tick(f, g_now);
	tick(f, g_now + 60);
	tick(f, g_now + 120);
	assert_int_equal(srv_connections(f->smtp), 1);
}

static void test_our_digest_coming_back_inbound_is_accepted(void **state)
{
	fx *f = *state;
	flood(f, TARO, 5);
	tick(f, g_now);
	assert_int_equal(srv_connections(f->smtp), 1);
	char *data = srv_copy(f->smtp, &f->smtp->data);
	mw_arena a;
	mw_arena_init(&a, 1 << 20);
	const char *mid_raw = header_of(&a, data, "Message-ID");
	assert_non_null(mid_raw);
	const char *mid = mw_header_msgid(&a, mid_raw, strlen(mid_raw));
	assert_non_null(mid);

	/* as the MX would see it without the trusted path */
	static const char *const to[] = {TARO};
	mw_msg_facts m;
	memset(&m, 0, sizeof m);
	m.sender = "";
	m.rcpts = to;
	m.nrcpts = 1;
	m.message_id = mid;
	m.msg = data;
	m.msg_len = strlen(data);
	m.now = g_now + 1;
	mw_verdict_free(&f->v);
	assert_int_equal(mw_shield_eom(f->sh, &m, &f->v), MW_OK);
	assert_int_equal(f->v.kind, MW_VERDICT_ACCEPT);
	assert_string_equal(f->v.reason, "own notice");
	int64_t own = -1;
	assert_int_equal(mw_store_counter_sum(f->st, "rcpt:" TARO "/own_bounce",
					      HOUR, g_now + 1, &own),
			 MW_OK);
	assert_int_equal(own, 0);
	/* someone copying its header cannot pass for us */
	m.message_id = "mailwarden.digest.forged@mx1." DOMAIN;
	mw_verdict_free(&f->v);
	assert_int_equal(mw_shield_eom(f->sh, &m, &f->v), MW_OK);
	assert_int_equal(f->v.kind, MW_VERDICT_REJECT);
	mw_arena_free(&a);
	free(data);
}

static void
test_tick_returns_at_once_while_the_digest_is_on_its_way(void **state)
{
	fx *f = *state;
	/* The local Postfix asks this very milter about the digest: a
	 * round run on the caller's thread would wait for itself. Here the
	 * server takes the connection and says nothing. */
	srv *mute = srv_start(SRV_SILENT);
	configure(f, mute->port, NULL);
	f->sh->smtp_timeout_ms = 500;
	flood(f, TARO, 5);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mw_shield_tick(f->sh, g_now);
	mw_shield_tick(f->sh, g_now); /* busy: does nothing */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 200.0);
	/* meanwhile, mail is judged as usual */
	flood(f, TARO, 1);
	mws_tick_wait(f->sh);
	assert_int_equal(srv_connections(mute), 1);
	assert_int_equal(srv_connections(f->smtp), 0);
	/* it stays due, and goes out once a server answers */
	configure(f, f->smtp->port, NULL);
	tick(f, g_now + 60);
	assert_int_equal(srv_connections(f->smtp), 1);
	srv_stop(mute);
}

/* -- the SMTP client on its own --------------------------------------- */

static mw_smtp_request request(const srv *s, const char *msg)
{
	mw_smtp_request rq = {.host = "127.0.0.1",
			      .port = s->port,
			      .helo = "client.test",
			      .mail_from = "",
			      .rcpt = TARO,
			      .msg = msg,
			      .len = strlen(msg),
			      .timeout_ms = 2000};
	return rq;
}

static void test_client_sends_crlf_and_dot_stuffs(void **state)
{
	fx *f = *state;
	mw_smtp_request rq = request(f->smtp, "Subject: x\n\n.hidden\n..two\n"
					      "bare\rcr\r\nlast line");
	mw_smtp_result res;
	assert_int_equal(mw_smtp_send(&rq, &res), MW_OK);
	assert_string_equal(res.text, "");
	char *data = srv_copy(f->smtp, &f->smtp->data);
	assert_string_equal(data, "Subject: x\r\n\r\n..hidden\r\n...two\r\n"
				  "bare\r\ncr\r\nlast line\r\n");
	free(data);
	char *log = srv_copy(f->smtp, &f->smtp->log);
	/* 7-bit message: no BODY= */
	assert_non_null(strstr(log, "MAIL FROM:<>\r\n"));
	free(log);
}

static void test_client_reports_refusals_and_temporary_errors(void **state)
{
	fx *f = *state;
	mw_smtp_request rq = request(f->smtp, "Subject: x\n\nhi\n");
	mw_smtp_result res;
	f->smtp->rcpt_reply = "550-5.1.1 no such\r\n550 5.1.1 user here\r\n";
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EINVAL);
	assert_int_equal(res.code, 550);
	assert_string_equal(res.text,
			    "RCPT TO: 550-5.1.1 no such\n550 5.1.1 user here");
	f->smtp->rcpt_reply = NULL;
	f->smtp->mail_reply = "451 4.3.0 try later\r\n";
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EIO);
	assert_int_equal(res.code, 451);
	assert_non_null(strstr(res.text, "MAIL FROM: 451"));
}

static void test_client_falls_back_to_helo(void **state)
{
	fx *f = *state;
	f->smtp->ehlo_reply = "502 5.5.1 no EHLO here\r\n";
	mw_smtp_request rq = request(f->smtp, "Subject: \xe6\x97\xa5\n\nx\n");
	mw_smtp_result res;
	assert_int_equal(mw_smtp_send(&rq, &res), MW_OK);
	char *log = srv_copy(f->smtp, &f->smtp->log);
	assert_non_null(strstr(log, "HELO client.test\r\n"));
	/* no extensions known: 8-bit or not, no BODY= */
	assert_non_null(strstr(log, "MAIL FROM:<>\r\n"));
	free(log);
}

static void
test_client_gives_up_on_silent_babbling_or_absent_servers(void **state)
{
	(void)state;
	mw_smtp_result res;
	srv *s = srv_start(SRV_SILENT);
	mw_smtp_request rq = request(s, "x\n");
	rq.timeout_ms = 300;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EIO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 3.0);
	assert_non_null(strstr(res.text, "timed out"));
	srv_stop(s);

	s = srv_start(SRV_BABBLE);
	rq = request(s, "x\n");
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EIO);
	assert_non_null(strstr(res.text, "longer than"));
	srv_stop(s);

	s = srv_start(SRV_MALFORMED);
	rq = request(s, "x\n");
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EIO);
	assert_non_null(strstr(res.text, "malformed reply"));
	unsigned port = s->port;
	srv_stop(s);

	rq.port = port;
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EIO);
	assert_non_null(strstr(res.text, "connect 127.0.0.1"));
}

static void test_client_refuses_requests_that_could_inject(void **state)
{
	fx *f = *state;
	mw_smtp_request rq = request(f->smtp, "x\n");
	mw_smtp_result res;
	rq.rcpt = "a@b>\r\nRCPT TO:<victim@example.com";
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EINVAL);
	rq.rcpt = TARO;
	rq.mail_from = "a b@c";
	assert_int_equal(mw_smtp_send(&rq, &res), MW_EINVAL);
	assert_int_equal(srv_connections(f->smtp), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_digest_has_both_languages_and_the_facts),
	    T(test_digest_headers_are_valid_and_subject_decodes),
	    T(test_digest_refuses_addresses_that_break_headers),
	    T(test_message_ids_are_fresh_and_ours),
	    T(test_flooded_user_gets_exactly_one_digest_a_day),
	    T(test_no_digest_when_disabled_retired_or_quiet),
	    T(test_digest_waits_for_a_server_that_is_down),
	    T(test_refused_digest_is_not_retried_every_minute),
	    T(test_our_digest_coming_back_inbound_is_accepted),
	    T(test_tick_returns_at_once_while_the_digest_is_on_its_way),
	    T(test_client_sends_crlf_and_dot_stuffs),
	    T(test_client_reports_refusals_and_temporary_errors),
	    T(test_client_falls_back_to_helo),
	    T(test_client_gives_up_on_silent_babbling_or_absent_servers),
	    T(test_client_refuses_requests_that_could_inject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
