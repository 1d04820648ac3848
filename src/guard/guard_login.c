/*
 * guard_login.c - Dovecot's auth-policy requests: brute force and fence
 * at ALLOW; history, seen sets, login alerts, unlock on a password
 * change and the score at REPORT.
 *
 * Guessing is counted in distinct wrong passwords (Dovecot's pwhash),
 * so a phone that retries one stale password all night counts once,
 * while a dictionary counts every word. Three windows: per client
 * address (members login|pwhash: one address spraying many accounts),
 * per account (an attack from many addresses), and per account and
 * address. The account's thresholds do not apply to an address the
 * account has logged in from before (seen.ip): there only the
 * account-and-address window counts, so the owner still gets in from
 * home while his account is attacked from elsewhere.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/account.h"
#include "guard/guard_int.h"
#include "lib/log.h"

static const char *const REPLY_BRUTE =
    "Too many failed logins; try again later";

static const char *proto_of(const mw_login_event *ev)
{
	return ev->protocol[0] ? ev->protocol : "unknown";
}

/* The member that stands for one wrong password. Without a pwhash
 * (auth_policy_hash_nonce unset) every failure is distinct. */
static void password_member(mw_guard *g, const mw_login_event *ev, char *out,
			    size_t outsz)
{
	if (ev->pwhash[0])
		snprintf(out, outsz, "%s", ev->pwhash);
	else
		snprintf(out, outsz, "n%" PRIuFAST64,
			 atomic_fetch_add(&g->seq, 1));
}

static bool setting_exists(mw_guard *g, const char *key, const char *name,
			   bool *exists)
{
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	*exists = false;
	mw_status rc = mw_store_setting_get(g->st, key, name, &b, exists);
	mw_buf_free(&b);
	return rc == MW_OK;
}

/* -- ALLOW ------------------------------------------------------------ */

typedef struct brute {
	int delay;
	bool reject;
} brute;

static void judge(const mw_guard *g, uint64_t n, int64_t delay_after,
		  int64_t reject_after, brute *b)
{
	if ((int64_t)n >= reject_after) {
		b->reject = true;
	} else if ((int64_t)n >= delay_after) {
		int64_t d = 1 + ((int64_t)n - delay_after);
		if (d > g->cfg->bruteforce_delay_max)
			d = g->cfg->bruteforce_delay_max;
		if (d > b->delay)
			b->delay = (int)d;
	}
}

static bool failures(mw_guard *g, const char *key, time_t now, uint64_t *n)
{
	*n = 0;
	return mw_store_distinct_count(g->st, key, g->cfg->bruteforce_window,
				       now, n) == MW_OK;
}

static bool brute_force(mw_guard *g, const mw_login_event *ev, const char *ip,
			brute *b)
{
	mwg_key k, seen;
	uint64_t n;
	const mw_config *c = g->cfg;
	if (mwg_key_of(k, "ip", ip, "fail_pw")) {
		if (!failures(g, k, ev->now, &n))
			return false;
		judge(g, n, c->bruteforce_ip_delay_after,
		      c->bruteforce_ip_reject_after, b);
	}
	char name[MW_IP_TEXT_MAX + 16];
	snprintf(name, sizeof name, "seen.ip.%s", ip);
	bool known = false;
	if (!mwg_key_of(seen, "acct", ev->login, "seen") ||
	    !setting_exists(g, seen, name, &known))
		return false;
	bool ok = known ? mwg_acctip_key(k, ev->login, ip, "fail_pw")
			: mwg_key_of(k, "acct", ev->login, "fail_pw");
	if (ok) {
		if (!failures(g, k, ev->now, &n))
			return false;
		judge(g, n, c->bruteforce_account_delay_after,
		      c->bruteforce_account_reject_after, b);
	}
	return true;
}

static void decide_allow(mw_guard *g, const mw_login_event *ev, const char *ip,
			 mw_login_answer *ans)
{
	mwg_state s;
	if (mwg_state_read(g, ev->login, &s) != MW_OK) {
		mw_warn("guard: %s: store unreadable: login allowed",
			ev->login);
		return;
	}
	if (s.fence[0] && !mw_ip_is_internal(&ev->remote)) {
		mw_guard_place p;
		mwg_place(g, &ev->remote, &p);
		if (!mwg_fence_allows(s.fence, p.country)) {
			ans->status = -1;
			snprintf(ans->msg, sizeof ans->msg,
				 "Logins from %s are not allowed for this "
				 "account (country fence: %.60s)",
				 p.country[0] ? p.country : "unknown countries",
				 s.fence);
			snprintf(ans->reason, sizeof ans->reason,
				 "fence: %s from %s",
				 p.country[0] ? p.country : "??", ip);
			return;
		}
	}
	brute b = {0, false};
	if (!brute_force(g, ev, ip, &b)) {
		mw_warn("guard: %s: store unreadable: login allowed",
			ev->login);
		return;
	}
	if (b.reject) {
		ans->status = -1;
		snprintf(ans->msg, sizeof ans->msg, "%s", REPLY_BRUTE);
		snprintf(ans->reason, sizeof ans->reason,
			 "brute force: %.100s from %s", ev->login, ip);
	} else if (b.delay > 0) {
		ans->status = b.delay;
		snprintf(ans->reason, sizeof ans->reason,
			 "brute force: delay %ds", b.delay);
	}
}

/* -- REPORT ----------------------------------------------------------- */

static const char *result_name(mw_login_result r)
{
	switch (r) {
	case MW_LOGIN_RESULT_SUCCESS:
		return "success";
	case MW_LOGIN_RESULT_FAILURE:
		return "failure";
	case MW_LOGIN_RESULT_POLICY_REJECT:
		return "policy_reject";
	default:
		return "unknown";
	}
}

/* The device a login came from, as a short stable name. Dovecot sends the
 * IMAP ID list as the client id ("name" "Thunderbird" "version" "115.3"
 * "os" ...): the version changes with every update, so only the "name"
 * counts (a new version is not a new device). Any other client id is
 * taken as it is. The result is a setting-name-safe word: letters,
 * digits, '.', '_' and '-', others as '_', lower-cased, at most
 * MWG_DEVICE_MAX bytes; "" for none. */
static void device_name(const char *client_id, char *out, size_t outsz)
{
	const char *v = client_id;
	size_t n = strlen(client_id);
	const char *key = strcasestr(client_id, "\"name\"");
	if (key) {
		const char *q = strchr(key + 6, '"');
		const char *end = q ? strchr(q + 1, '"') : NULL;
		if (q && end) {
			v = q + 1;
			n = (size_t)(end - v);
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outsz && o < MWG_DEVICE_MAX; i++) {
		unsigned char c = (unsigned char)v[i];
		bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
		out[o++] =
		    word ? (char)(c >= 'A' && c <= 'Z' ? c + 32 : c) : '_';
	}
	out[o] = '\0';
}

static void record_login(mw_guard *g, const mw_login_event *ev, const char *ip,
			 const mw_guard_place *p, const char *why)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "kind", "login",
			      "proto", proto_of(ev), "ip", ip, "country",
			      p->country, "asn", (json_int_t)p->asn, "result",
			      result_name(ev->result));
	char device[MWG_DEVICE_MAX + 1];
	device_name(ev->device_id, device, sizeof device);
	if (o && device[0])
		json_object_set_new(o, "device", json_string(device));
	if (o && p->asn_org[0])
		json_object_set_new(o, "org", json_string(p->asn_org));
	if (o && why)
		json_object_set_new(o, "why", json_string(why));
	mwg_append_json(g, ev->login, "history", ev->now, o);
}

static void count_failure(mw_guard *g, const mw_login_event *ev, const char *ip)
{
	char pw[MW_LOGIN_FIELD_MAX + 24];
	password_member(g, ev, pw, sizeof pw);
	char both[MW_ADDRESS_MAX + sizeof pw + 2];
	snprintf(both, sizeof both, "%s|%s", ev->login, pw);
	mwg_key k;
	if (mwg_key_of(k, "acct", ev->login, "fail_pw"))
		(void)mw_store_distinct_add(g->st, k, pw, ev->now);
	if (mwg_key_of(k, "ip", ip, "fail_pw"))
		(void)mw_store_distinct_add(g->st, k, both, ev->now);
	if (mwg_acctip_key(k, ev->login, ip, "fail_pw"))
		(void)mw_store_distinct_add(g->st, k, pw, ev->now);
	if (mwg_key_of(k, "acct", ev->login, "auth_fail"))
		(void)mw_store_counter_add(g->st, k, 1, ev->now);
	if (mwg_key_of(k, "ip", ip, "auth_fail"))
		(void)mw_store_counter_add(g->st, k, 1, ev->now);
}

/* What this login shows that the account never showed. */
typedef struct novelty {
	bool country, asn, device, ip;
	bool country_known; /* the country was seen before this login */
} novelty;

static void learn(mw_guard *g, const char *seen, const char *name, bool *is_new,
		  time_t now)
{
	bool exists = true;
	if (!setting_exists(g, seen, name, &exists) || exists) {
		*is_new = false;
		return;
	}
	*is_new = true;
	mwg_setting_time(g, seen, name, now, now);
}

static void learn_place(mw_guard *g, const mw_login_event *ev, const char *ip,
			const mw_guard_place *p, novelty *nv)
{
	mwg_key seen;
	char name[MW_LOGIN_FIELD_MAX + 32];
	memset(nv, 0, sizeof *nv);
	if (!mwg_key_of(seen, "acct", ev->login, "seen"))
		return;
	if (p->country[0]) {
		snprintf(name, sizeof name, "seen.country.%s", p->country);
		learn(g, seen, name, &nv->country, ev->now);
		nv->country_known = !nv->country;
	}
	if (p->asn) {
		snprintf(name, sizeof name, "seen.asn.AS%" PRIu32, p->asn);
		learn(g, seen, name, &nv->asn, ev->now);
	}
	char device[MWG_DEVICE_MAX + 1];
	device_name(ev->device_id, device, sizeof device);
	if (device[0]) {
		snprintf(name, sizeof name, "seen.device.%s", device);
		learn(g, seen, name, &nv->device, ev->now);
	}
	snprintf(name, sizeof name, "seen.ip.%s", ip);
	learn(g, seen, name, &nv->ip, ev->now);
}

static void count_success(mw_guard *g, const mw_login_event *ev, const char *ip,
			  const mw_guard_place *p, const novelty *nv,
			  bool first)
{
	mwg_key k;
	time_t now = ev->now;
	char asn[16];
	snprintf(asn, sizeof asn, "%" PRIu32, p->asn);
	if (mwg_key_of(k, "acct", ev->login, "auth_ok"))
		(void)mw_store_counter_add(g->st, k, 1, now);
	if (mwg_key_of(k, "acct", ev->login, "ip"))
		(void)mw_store_distinct_add(g->st, k, ip, now);
	if (p->country[0] && mwg_key_of(k, "acct", ev->login, "country"))
		(void)mw_store_distinct_add(g->st, k, p->country, now);
	if (p->asn && mwg_key_of(k, "acct", ev->login, "asn"))
		(void)mw_store_distinct_add(g->st, k, asn, now);
	if (nv->country && !first &&
	    mwg_key_of(k, "acct", ev->login, "new_country"))
		(void)mw_store_distinct_add(g->st, k, p->country, now);
}

static void maybe_alert(mw_guard *g, const mw_login_event *ev,
			const mwg_state *s, const novelty *nv)
{
	const char *what = nv->country	? "country"
			   : nv->asn	? "asn"
			   : nv->device ? "device"
					: NULL;
	if (!what || !g->cfg->login_alerts)
		return;
	mwg_key k;
	if (!mwg_key_of(k, "acct", ev->login, NULL))
		return;
	pthread_mutex_lock(&g->lock);
	/* Re-read under the lock: another thread may have just sent one. */
	mwg_state now_s;
	time_t last = mwg_state_read(g, ev->login, &now_s) == MW_OK
			  ? now_s.alert_at
			  : s->alert_at;
	bool due = !last || ev->now - last >= g->cfg->login_alert_interval;
	if (due)
		mwg_setting_time(g, k, MWG_S_ALERT_AT, ev->now, ev->now);
	pthread_mutex_unlock(&g->lock);
	if (!due)
		return;
	mwg_append_json(
	    g, ev->login, "alerts", ev->now,
	    json_pack("{s:s, s:s}", "type", "login_alert", "new", what));
	mwg_notice n;
	memset(&n, 0, sizeof n);
	n.kind = MW_NOTICE_LOGIN_ALERT;
	n.now = ev->now;
	snprintf(n.account, sizeof n.account, "%s", ev->login);
	snprintf(n.what_new, sizeof n.what_new, "%s", what);
	mwg_notify(g, &n, false);
}

static void maybe_unlock(mw_guard *g, const mw_login_event *ev,
			 const mwg_state *s, const novelty *nv)
{
	if (!s->suspended || !s->suspended_takeover ||
	    !g->cfg->unlock_on_password_change || !ev->pwhash[0] ||
	    !s->suspended_pwhash[0] || !nv->country_known ||
	    strcmp(ev->pwhash, s->suspended_pwhash) == 0)
		return;
	bool was = false;
	if (mw_account_unlock(g->st, ev->login, "password change", false,
			      ev->now, &was) != MW_OK ||
	    !was)
		return;
	mwg_cache_invalidate(g);
	mw_info("guard: %s: suspension lifted by a password change", ev->login);
	mwg_notice n;
	memset(&n, 0, sizeof n);
	n.kind = MW_NOTICE_UNLOCKED;
	n.now = ev->now;
	snprintf(n.account, sizeof n.account, "%s", ev->login);
	snprintf(n.unlocked_by, sizeof n.unlocked_by, "password change");
	mwg_notify(g, &n, true);
}

static void report_success(mw_guard *g, const mw_login_event *ev,
			   const char *ip, const mw_guard_place *p)
{
	mwg_state s;
	if (mwg_state_read(g, ev->login, &s) != MW_OK) {
		mw_warn("guard: %s: store unreadable: login not scored",
			ev->login);
		return;
	}
	mwg_key k;
	if (!mwg_key_of(k, "acct", ev->login, NULL))
		return;
	bool first = !s.known;
	novelty nv;
	learn_place(g, ev, ip, p, &nv);
	if (first)
		mwg_setting_time(g, k, MWG_S_FIRST_LOGIN, ev->now, ev->now);
	count_success(g, ev, ip, p, &nv, first);
	if (ev->pwhash[0] && strcmp(ev->pwhash, s.pwhash) != 0)
		(void)mw_store_setting_set(g->st, k, MWG_S_PWHASH, ev->pwhash,
					   ev->now);
	if (!first)
		maybe_alert(g, ev, &s, &nv);
	maybe_unlock(g, ev, &s, &nv);
	mwg_cache_invalidate(g);
	if (mwg_state_read(g, ev->login, &s) != MW_OK)
		return;
	mw_guard_score_input in;
	if (!mwg_score_read(g, ev->login, &s, ev->now, &in))
		mw_warn("guard: %s: some score inputs unreadable", ev->login);
	mwg_score_keep_login(g, ev->login, &in, ev->now);
	(void)mwg_score_and_act(g, ev->login, &s, &in, ev->now);
}

void mw_guard_login_decide(void *guard, const mw_login_event *ev,
			   mw_login_answer *ans)
{
	mw_guard *g = guard;
	if (!g || !ev->login[0])
		return;
	char ip[MW_IP_TEXT_MAX];
	mw_ip_format(&ev->remote, ip);
	if (ev->command == MW_LOGIN_ALLOW) {
		decide_allow(g, ev, ip, ans);
		return;
	}
	mw_guard_place p;
	mwg_place(g, &ev->remote, &p);
	switch (ev->result) {
	case MW_LOGIN_RESULT_SUCCESS:
		record_login(g, ev, ip, &p, NULL);
		report_success(g, ev, ip, &p);
		break;
	case MW_LOGIN_RESULT_FAILURE:
		record_login(g, ev, ip, &p, "wrong password or user");
		count_failure(g, ev, ip);
		break;
	case MW_LOGIN_RESULT_POLICY_REJECT:
		record_login(g, ev, ip, &p, "refused by policy");
		break;
	default:
		break;
	}
}
