/*
 * test_guard_fixture.h - what the account guard's tests share: a real
 * SQLite store in a fresh directory with the time injected, a guard on
 * it with a table-driven geo (the map of tests/data/geoip/README.md) and
 * a transport that keeps the notices instead of mailing them, and short
 * ways to log in and to submit a message.
 */
#ifndef MW_TEST_GUARD_FIXTURE_H
#define MW_TEST_GUARD_FIXTURE_H

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "guard/guard.h"
#include "guard/guard_int.h"
#include "guard/notice.h"
#include "lib/net.h"
#include "policy/verdict.h"
#include "store/store.h"

#define HOUR 3600
#define DAY 86400
/* 2023-11-14 22:13:20 UTC. */
#define T0 ((time_t)1700000000)

#define DOMAIN "mailwarden-test.jp"
#define TARO "taro@" DOMAIN
#define HANAKO "hanako@" DOMAIN
#define ADMIN "admin@" DOMAIN

#define HOME_IP "192.0.2.10"
#define HOME_IP2 "192.0.2.20"
#define US_IP "198.51.100.10"
#define DE_IP "198.51.100.200"
#define CN_IP "203.0.113.10"
#define RU_IP "203.0.113.70"
#define BR_IP "203.0.113.130"
#define KR_IP "203.0.113.200"

static _Atomic time_t g_now = T0;
static mw_config_errors g_errs;

static inline time_t gfx_clock(void *arg)
{
	(void)arg;
	return g_now;
}

#define GFX_NOTICES_MAX 64

typedef struct gfx_notice {
	mw_notice_kind kind;
	char to[256];
	char account[256];
	int admin_copy;
	char what_new[32];
	char unlocked_by[64];
	size_t nlogins;
	size_t len;
} gfx_notice;

typedef struct gfx {
	char dir[64];
	mw_store *st;
	mw_config *cfg;
	mw_guard *g;
	pthread_mutex_t mu;
	gfx_notice notices[GFX_NOTICES_MAX];
	size_t nnotices;
	mw_status transport_answer;
} gfx;

/* The documentation ranges, as tests/data/geoip maps them. */
static inline void gfx_geo(void *arg, const mw_ip *ip, mw_guard_place *out)
{
	(void)arg;
	memset(out, 0, sizeof *out);
	if (ip->family != 4)
		return;
	const uint8_t *a = ip->addr;
	const char *cc = "";
	uint32_t asn = 0;
	if (a[0] == 127 || (a[0] == 192 && a[1] == 0 && a[2] == 2)) {
		cc = "JP";
		asn = 64500;
	} else if (a[0] == 198 && a[1] == 51 && a[2] == 100) {
		cc = a[3] < 128 ? "US" : "DE";
		asn = a[3] < 128 ? 64501 : 64502;
	} else if (a[0] == 203 && a[1] == 0 && a[2] == 113) {
		static const char *const q[] = {"CN", "RU", "BR", "KR"};
		cc = q[a[3] / 64];
		asn = 64503 + a[3] / 64;
	}
	snprintf(out->country, sizeof out->country, "%s", cc);
	out->asn = asn;
	if (asn)
		snprintf(out->asn_org, sizeof out->asn_org, "Example AS%u",
			 (unsigned)asn);
}

static inline mw_status gfx_transport(void *arg, const char *from,
				      const char *rcpt,
				      const mw_notice_facts *facts,
				      const char *msg, size_t len)
{
	gfx *f = arg;
	(void)from;
	(void)msg;
	pthread_mutex_lock(&f->mu);
	if (f->transport_answer == MW_OK && f->nnotices < GFX_NOTICES_MAX) {
		gfx_notice *n = &f->notices[f->nnotices++];
		memset(n, 0, sizeof *n);
		n->kind = facts->kind;
		snprintf(n->to, sizeof n->to, "%s", rcpt);
		snprintf(n->account, sizeof n->account, "%s", facts->account);
		n->admin_copy = facts->admin_copy;
		snprintf(n->what_new, sizeof n->what_new, "%s",
			 facts->what_new ? facts->what_new : "");
		snprintf(n->unlocked_by, sizeof n->unlocked_by, "%s",
			 facts->unlocked_by ? facts->unlocked_by : "");
		n->nlogins = facts->nlogins;
		n->len = len;
	}
	mw_status rc = f->transport_answer;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static inline void gfx_remove_dir(const char *dir)
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

static inline mw_config *gfx_config(const char *dir, const char *extra)
{
	char text[4096];
	snprintf(text, sizeof text,
		 "state_dir = %s\n"
		 "local_domains = " DOMAIN "\n"
		 "our_hostnames = mx1." DOMAIN "\n"
		 "admin_notify = " ADMIN "\n"
		 "digest = no\n"
		 "%s",
		 dir, extra ? extra : "");
	mw_config *cfg = NULL;
	mw_status rc = mw_config_parse("guard-test.conf",
				       mw_str_from_cstr(text), &cfg, &g_errs);
	if (rc != MW_OK)
		mw_config_errors_print(&g_errs, stderr);
	return cfg;
}

static inline void gfx_guard(gfx *f, const char *extra)
{
	mw_guard_free(f->g);
	f->g = NULL;
	mw_config_free(f->cfg);
	f->cfg = gfx_config(f->dir, extra);
	if (!f->cfg || mw_guard_new(f->cfg, f->st, NULL, &f->g) != MW_OK)
		abort();
	mw_guard_set_geo(f->g, gfx_geo, NULL);
	mw_guard_set_transport(f->g, gfx_transport, f);
}

static inline gfx *gfx_new(const char *extra)
{
	gfx *f = calloc(1, sizeof *f);
	if (!f)
		abort();
	g_now = T0;
	pthread_mutex_init(&f->mu, NULL);
	snprintf(f->dir, sizeof f->dir, "/tmp/mw-guard-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	mw_store_config sc;
	mw_store_config_init(&sc);
	sc.state_dir = f->dir;
	sc.clock = gfx_clock;
	mw_store_error err;
	if (mw_store_open(&sc, &f->st, &err) != MW_OK) {
		fprintf(stderr, "store: %s\n", err.msg);
		abort();
	}
	gfx_guard(f, extra);
	return f;
}

static inline void gfx_free(gfx *f)
{
	mw_guard_free(f->g);
	mw_config_free(f->cfg);
	mw_store_close(f->st);
	gfx_remove_dir(f->dir);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static inline size_t gfx_count(gfx *f, mw_notice_kind kind, int admin_copy)
{
	mw_guard_notices_drain(f->g, 5000);
	pthread_mutex_lock(&f->mu);
	size_t n = 0;
	for (size_t i = 0; i < f->nnotices; i++)
		if (f->notices[i].kind == kind &&
		    f->notices[i].admin_copy == admin_copy)
			n++;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static inline mw_ip gfx_ip(const char *s)
{
	mw_ip ip;
	if (!mw_ip_parse(s, strlen(s), &ip))
		abort();
	return ip;
}

static inline void gfx_event(mw_login_event *ev, mw_login_command cmd,
			     mw_login_result res, const char *login,
			     const char *ip, const char *pwhash, time_t now)
{
	memset(ev, 0, sizeof *ev);
	ev->command = cmd;
	ev->result = res;
	ev->now = now;
	snprintf(ev->login, sizeof ev->login, "%s", login);
	ev->remote = gfx_ip(ip);
	snprintf(ev->pwhash, sizeof ev->pwhash, "%s", pwhash ? pwhash : "");
	snprintf(ev->protocol, sizeof ev->protocol, "imap");
}

/* ALLOW before authentication: the answer's status. */
static inline int gfx_allow(gfx *f, const char *login, const char *ip,
			    time_t now, mw_login_answer *out)
{
	mw_login_event ev;
	gfx_event(&ev, MW_LOGIN_ALLOW, MW_LOGIN_RESULT_UNKNOWN, login, ip, NULL,
		  now);
	mw_login_answer ans;
	memset(&ans, 0, sizeof ans);
	mw_guard_login_decide(f->g, &ev, &ans);
	if (out)
		*out = ans;
	return ans.status;
}

static inline void gfx_report(gfx *f, const char *login, const char *ip,
			      bool success, const char *pwhash,
			      const char *device, time_t now)
{
	mw_login_event ev;
	gfx_event(&ev, MW_LOGIN_REPORT,
		  success ? MW_LOGIN_RESULT_SUCCESS : MW_LOGIN_RESULT_FAILURE,
		  login, ip, pwhash, now);
	snprintf(ev.device_id, sizeof ev.device_id, "%s", device ? device : "");
	mw_login_answer ans;
	memset(&ans, 0, sizeof ans);
	mw_guard_login_decide(f->g, &ev, &ans);
}

/* The outcome of one submission through the three stages. */
typedef struct gfx_result {
	mw_verdict_kind kind; /* of the first stage that objected */
	char stage[8];	      /* "mail", "rcpt", "eom", "" none */
	char code[4];
	char xcode[10];
	char text[512];
	char text_local[1024]; /* the Japanese line, "" none */
	size_t rcpts_taken;
} gfx_result;

static inline void gfx_take(gfx_result *r, const char *stage,
			    const mw_verdict *v)
{
	r->kind = v->kind;
	snprintf(r->stage, sizeof r->stage, "%s", stage);
	snprintf(r->code, sizeof r->code, "%s", v->code);
	snprintf(r->xcode, sizeof r->xcode, "%s", v->xcode);
	snprintf(r->text, sizeof r->text, "%s", v->text ? v->text : "");
	snprintf(r->text_local, sizeof r->text_local, "%s",
		 v->text_local ? v->text_local : "");
}

/* MAIL, nrcpts RCPTs (each refused one is left out, as the session
 * does), EOM when a recipient was taken. */
static inline gfx_result gfx_submit(gfx *f, const char *acct, const char *ip,
				    size_t nrcpts, time_t now)
{
	gfx_result r;
	memset(&r, 0, sizeof r);
	static char names[MW_SESSION_RCPTS_MAX][64];
	static const char *taken[MW_SESSION_RCPTS_MAX];
	mw_msg_facts fa;
	memset(&fa, 0, sizeof fa);
	fa.has_client_ip = true;
	fa.client_ip = gfx_ip(ip);
	fa.auth_authen = acct;
	fa.outbound = true;
	fa.sender = acct;
	fa.rcpts = taken;
	fa.message_id = "test.1@mailwarden-test.jp";
	fa.now = now;
	mw_verdict v;
	mw_verdict_init(&v);
	if (mw_guard_mail(f->g, &fa, &v) != MW_OK)
		abort();
	if (v.kind != MW_VERDICT_CONTINUE) {
		gfx_take(&r, "mail", &v);
		mw_verdict_free(&v);
		return r;
	}
	mw_verdict_free(&v);
	for (size_t i = 0; i < nrcpts && i < MW_SESSION_RCPTS_MAX; i++) {
		snprintf(names[i], sizeof names[i], "r%zu@example.com", i);
		mw_verdict_init(&v);
		if (mw_guard_rcpt(f->g, &fa, names[i], &v) != MW_OK)
			abort();
		if (v.kind == MW_VERDICT_CONTINUE) {
			taken[fa.nrcpts++] = names[i];
		} else if (!r.stage[0]) {
			gfx_take(&r, "rcpt", &v);
		}
		mw_verdict_free(&v);
	}
	r.rcpts_taken = fa.nrcpts;
	if (fa.nrcpts == 0)
		return r;
	mw_verdict_init(&v);
	if (mw_guard_eom(f->g, &fa, &v) != MW_OK)
		abort();
	if (v.kind != MW_VERDICT_CONTINUE)
		gfx_take(&r, "eom", &v);
	mw_verdict_free(&v);
	return r;
}

/* A setting of acct:<login>, "" when absent. */
/* A setting of the account's key, or of its "acct:<a>/METRIC" key. */
static inline const char *gfx_setting_in(gfx *f, const char *login,
					 const char *metric, const char *name,
					 char *out, size_t outsz)
{
	char k[MW_STORE_KEY_MAX + 1];
	out[0] = '\0';
	if (mw_store_key(k, sizeof k, "acct", login, metric) != MW_OK)
		return out;
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	bool found = false;
	if (mw_store_setting_get(f->st, k, name, &b, &found) == MW_OK && found)
		snprintf(out, outsz, "%s", mw_buf_cstr(&b));
	mw_buf_free(&b);
	return out;
}

static inline const char *gfx_setting(gfx *f, const char *login,
				      const char *name, char *out, size_t outsz)
{
	return gfx_setting_in(f, login, NULL, name, out, outsz);
}

#endif
