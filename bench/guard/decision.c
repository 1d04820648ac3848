/*
 * decision.c - the account guard's per-submission decision time: MAIL,
 * RCPT for each recipient and end of message, on a real SQLite store in
 * a temporary directory, for N submissions spread over a set of
 * accounts that have logged in from home before. The store's writer
 * commits in the background as in the daemon; no flush is waited for.
 * Prints p50, p90, p99 and the maximum in microseconds.
 *
 *   decision [SUBMISSIONS [ACCOUNTS [RCPTS]]]   (20000 200 2)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "guard/guard.h"
#include "lib/log.h"
#include "policy/verdict.h"
#include "store/store.h"

#define T0 ((time_t)1700000000)

static void geo(void *arg, const mw_ip *ip, mw_guard_place *out)
{
	(void)arg;
	memset(out, 0, sizeof *out);
	if (ip->family == 4 && ip->addr[0] == 192) {
		memcpy(out->country, "JP", 3);
		out->asn = 64500;
	}
}

static mw_status quiet(void *arg, const char *from, const char *rcpt,
		       const mw_notice_facts *facts, const char *msg,
		       size_t len)
{
	(void)arg, (void)from, (void)rcpt, (void)facts, (void)msg, (void)len;
	return MW_OK;
}

static double usec(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
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
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void login(mw_guard *g, const char *acct, time_t now)
{
	mw_login_event ev;
	memset(&ev, 0, sizeof ev);
	ev.command = MW_LOGIN_REPORT;
	ev.result = MW_LOGIN_RESULT_SUCCESS;
	ev.now = now;
	snprintf(ev.login, sizeof ev.login, "%s", acct);
	mw_ip_parse("192.0.2.10", 10, &ev.remote);
	snprintf(ev.pwhash, sizeof ev.pwhash, "0123abcd");
	snprintf(ev.protocol, sizeof ev.protocol, "imap");
	mw_login_answer ans;
	memset(&ans, 0, sizeof ans);
	mw_guard_login_decide(g, &ev, &ans);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	long naccts = argc > 2 ? atol(argv[2]) : 200;
	long nrcpts = argc > 3 ? atol(argv[3]) : 2;
	if (n < 1 || naccts < 1 || nrcpts < 1 || nrcpts > 100)
		return 2;
	mw_log_init("decision");
	mw_log_set_level(MW_LOG_WARNING);
	char dir[] = "/tmp/mw-bench-guard-XXXXXX";
	if (!mkdtemp(dir))
		return 2;
	char text[512];
	snprintf(text, sizeof text,
		 "state_dir = %s\nlocal_domains = example.jp\n"
		 "send_limit_messages_hour = 1000000\n"
		 "send_limit_recipients_hour = 1000000\n"
		 "send_limit_recipients_day = 10000000\n",
		 dir);
	static mw_config_errors errs;
	mw_config *cfg = NULL;
	if (mw_config_parse("bench.conf", mw_str_from_cstr(text), &cfg,
			    &errs) != MW_OK)
		return 2;
	mw_store_config sc;
	mw_store_config_init(&sc);
	sc.state_dir = dir;
	mw_store *st = NULL;
	mw_store_error err;
	if (mw_store_open(&sc, &st, &err) != MW_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	mw_guard *g = NULL;
	if (mw_guard_new(cfg, st, NULL, &g) != MW_OK)
		return 2;
	mw_guard_set_geo(g, geo, NULL);
	mw_guard_set_transport(g, quiet, NULL);

	char(*accts)[64] = calloc((size_t)naccts, 64);
	for (long a = 0; a < naccts; a++) {
		snprintf(accts[a], 64, "user%ld@example.jp", a);
		login(g, accts[a], T0 - 3600);
	}
	mw_store_flush(st, 10000);

	double *t = calloc((size_t)n, sizeof *t);
	const char *rcpts[100];
	char names[100][32];
	mw_msg_facts f;
	memset(&f, 0, sizeof f);
	f.has_client_ip = true;
	mw_ip_parse("192.0.2.10", 10, &f.client_ip);
	f.outbound = true;
	f.rcpts = rcpts;
	f.message_id = "bench.1@example.jp";
	long refused = 0;
	for (long i = 0; i < n; i++) {
		f.auth_authen = accts[i % naccts];
		f.sender = f.auth_authen;
		f.now = T0 + i / 50; /* 50 submissions a second */
		f.nrcpts = 0;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		mw_verdict v;
		mw_verdict_init(&v);
		mw_guard_mail(g, &f, &v);
		bool ok = v.kind == MW_VERDICT_CONTINUE;
		mw_verdict_free(&v);
		for (long r = 0; ok && r < nrcpts; r++) {
			snprintf(names[r], sizeof names[r], "r%ld@example.com",
				 r);
			mw_verdict_init(&v);
			mw_guard_rcpt(g, &f, names[r], &v);
			if (v.kind == MW_VERDICT_CONTINUE)
				rcpts[f.nrcpts++] = names[r];
			mw_verdict_free(&v);
		}
		if (ok) {
			mw_verdict_init(&v);
			mw_guard_eom(g, &f, &v);
			ok = v.kind == MW_VERDICT_CONTINUE;
			mw_verdict_free(&v);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		refused += !ok;
		t[i] = usec(&a, &b);
	}
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("guard decision: %ld submissions (%ld accounts, %ld "
	       "recipients each, %ld refused)\n",
	       n, naccts, nrcpts, refused);
	printf("p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us\n", t[n / 2],
	       t[n * 9 / 10], t[n * 99 / 100], t[n - 1]);
	mw_guard_free(g);
	mw_store_close(st);
	mw_config_free(cfg);
	remove_dir(dir);
	free(t);
	free(accts);
	return 0;
}
