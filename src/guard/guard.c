/*
 * guard.c - the guard's life cycle and the helpers its files share: keys,
 * places, an account's settings in one read, fences, times, events.
 */
#include "guard/guard.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard/geo.h"
#include "guard/guard_int.h"
#include "lib/log.h"

/* Settings one account holds under acct:<a>: ours and the shield's. */
#define STATE_SETTINGS_MAX 64

/* -- life cycle ------------------------------------------------------- */

static void geo_default(void *arg, const mw_ip *ip, mw_guard_place *out)
{
	mw_geo_info gi;
	mw_geo_lookup(arg, ip, &gi);
	snprintf(out->country, sizeof out->country, "%s", gi.country);
	out->asn = gi.asn;
	snprintf(out->asn_org, sizeof out->asn_org, "%s", gi.asn_org);
}

static void our_host_name(const mw_config *cfg, char *out, size_t outsz)
{
	if (cfg->our_hostnames.n && cfg->our_hostnames.v[0][0]) {
		snprintf(out, outsz, "%s", cfg->our_hostnames.v[0]);
		return;
	}
	if (gethostname(out, outsz) != 0 || !out[0])
		snprintf(out, outsz, "localhost");
	out[outsz - 1] = '\0';
}

mw_status mw_guard_new(const struct mw_config *cfg, struct mw_store *st,
		       const mw_geo *geo, mw_guard **out)
{
	*out = NULL;
	if (!cfg || !st)
		return MW_EINVAL;
	mw_guard *g = calloc(1, sizeof *g);
	if (!g)
		return MW_ENOMEM;
	g->cfg = cfg;
	g->st = st;
	g->geo = geo;
	if (geo) {
		g->geo_fn = geo_default;
		g->geo_arg = (void *)(uintptr_t)geo;
	}
	atomic_init(&g->seq, 0);
	pthread_mutex_init(&g->lock, NULL);
	our_host_name(cfg, g->host, sizeof g->host);
	mw_status rc = mwg_cache_new(g);
	if (rc == MW_OK)
		rc = mwg_notifier_start(g);
	if (rc != MW_OK) {
		mwg_cache_free(g);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return rc;
	}
	*out = g;
	return MW_OK;
}

void mw_guard_free(mw_guard *g)
{
	if (!g)
		return;
	mwg_notifier_stop(g);
	mwg_cache_free(g);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void mw_guard_set_geo(mw_guard *g, mw_guard_geo_fn fn, void *arg)
{
	g->geo_fn = fn;
	g->geo_arg = arg;
}

void mw_guard_set_transport(mw_guard *g, mw_guard_transport_fn fn, void *arg)
{
	g->transport = fn;
	g->transport_arg = arg;
}

/* -- keys and places -------------------------------------------------- */

bool mwg_key_of(mwg_key out, const char *ns, const char *id, const char *metric)
{
	if (mw_store_key(out, sizeof(mwg_key), ns, id, metric) == MW_OK)
		return true;
	mw_debug("guard: no store key for \"%.80s\"", id ? id : "");
	return false;
}

bool mwg_acctip_key(mwg_key out, const char *acct, const char *ip,
		    const char *metric)
{
	char id[MW_ADDRESS_MAX + MW_IP_TEXT_MAX + 2];
	int n = snprintf(id, sizeof id, "%s|%s", acct, ip);
	if (n < 0 || (size_t)n >= sizeof id)
		return false;
	return mwg_key_of(out, "acctip", id, metric);
}

void mwg_place(const mw_guard *g, const mw_ip *ip, mw_guard_place *out)
{
	memset(out, 0, sizeof *out);
	if (g->geo_fn) {
		g->geo_fn(g->geo_arg, ip, out);
		out->country[2] = '\0';
		out->asn_org[sizeof out->asn_org - 1] = '\0';
	}
}

/* -- an account's settings -------------------------------------------- */

static time_t num(const char *s)
{
	return (time_t)strtoll(s, NULL, 10);
}

static void copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src);
}

const mwg_limit_info mwg_limits[MWG_LIMITS] = {
    [MWG_LIMIT_MSGS_HOUR] = {"msgs_per_hour", "limit.msgs_per_hour",
			     "messages per hour", "1時間あたりのメッセージ数",
			     "msgs", MWG_HOUR},
    [MWG_LIMIT_RCPTS_HOUR] = {"rcpts_per_hour", "limit.rcpts_per_hour",
			      "recipients per hour", "1時間あたりの宛先数",
			      "rcpts", MWG_HOUR},
    [MWG_LIMIT_RCPTS_DAY] = {"rcpts_per_day", "limit.rcpts_per_day",
			     "recipients per day", "1日あたりの宛先数", "rcpts",
			     MWG_DAY},
};

int64_t mwg_limit_default(const mw_config *cfg, mwg_limit l)
{
	switch (l) {
	case MWG_LIMIT_MSGS_HOUR:
		return cfg->send_limit_messages_hour;
	case MWG_LIMIT_RCPTS_HOUR:
		return cfg->send_limit_recipients_hour;
	default:
		return cfg->send_limit_recipients_day;
	}
}

/* "T IPS COUNTRIES ASNS NEW FAILED", as mwg_score_keep_login() writes. */
static void score_login_take(mwg_state *s, const char *v)
{
	long long t;
	unsigned long long ips, cc, asns, nc, fp;
	if (sscanf(v, "%lld %llu %llu %llu %llu %llu", &t, &ips, &cc, &asns,
		   &nc, &fp) != 6 ||
	    t <= 0)
		return;
	s->login_scored_at = (time_t)t;
	s->login_in.ips = ips;
	s->login_in.countries = cc;
	s->login_in.asns = asns;
	s->login_in.new_countries = nc;
	s->login_in.failed_passwords = fp;
}

static void state_take(mwg_state *s, const char *name, const char *value,
		       time_t t)
{
	if (strcmp(name, MWG_S_SUSPENDED) == 0) {
		s->suspended = true;
		copy(s->suspended_reason, sizeof s->suspended_reason, value);
		if (!s->suspended_at)
			s->suspended_at = t;
	} else if (strcmp(name, MWG_S_SUSPENDED_AT) == 0) {
		s->suspended_at = num(value);
	} else if (strcmp(name, MWG_S_SUSPENDED_SCORE) == 0) {
		s->suspended_takeover = true;
	} else if (strcmp(name, MWG_S_SUSPENDED_PWHASH) == 0) {
		copy(s->suspended_pwhash, sizeof s->suspended_pwhash, value);
	} else if (strcmp(name, MWG_S_BLOCKED_UNTIL) == 0) {
		s->blocked_until = num(value);
	} else if (strcmp(name, MWG_S_FENCE) == 0) {
		copy(s->fence, sizeof s->fence, value);
	} else if (strcmp(name, MWG_S_PWHASH) == 0) {
		copy(s->pwhash, sizeof s->pwhash, value);
	} else if (strcmp(name, MWG_S_FIRST_LOGIN) == 0) {
		s->known = true;
	} else if (strcmp(name, MWG_S_ALERT_AT) == 0) {
		s->alert_at = num(value);
	} else if (strcmp(name, MWG_S_RESET_AT) == 0) {
		s->reset_at = num(value);
	} else if (strcmp(name, MWG_S_OWN_BOUNCE_AT) == 0) {
		s->own_bounce_at = num(value);
	} else if (strcmp(name, MWG_S_SCORE_LOGIN) == 0) {
		score_login_take(s, value);
	} else {
		for (int l = 0; l < MWG_LIMITS; l++) {
			if (strcmp(name, mwg_limits[l].setting) != 0)
				continue;
			long long v = strtoll(value, NULL, 10);
			if (v > 0) {
				s->limit[l] = v;
				s->limit_override[l] = true;
			}
		}
	}
}

mw_status mwg_state_read(mw_guard *g, const char *acct, mwg_state *s)
{
	memset(s, 0, sizeof *s);
	for (int l = 0; l < MWG_LIMITS; l++)
		s->limit[l] = mwg_limit_default(g->cfg, (mwg_limit)l);
	mwg_key k;
	if (!mwg_key_of(k, "acct", acct, NULL))
		return MW_EINVAL;
	mw_store_list l;
	mw_store_list_init(&l);
	mw_status rc =
	    mw_store_setting_list(g->st, k, "", STATE_SETTINGS_MAX, &l);
	if (rc == MW_OK)
		for (size_t i = 0; i < l.n; i++)
			state_take(s, l.items[i].name, l.items[i].value,
				   l.items[i].t);
	mw_store_list_free(&l);
	return rc;
}

/* -- small helpers ---------------------------------------------------- */

bool mwg_fence_allows(const char *fence, const char *country)
{
	if (!fence || !fence[0])
		return true;
	if (!country || strlen(country) != 2)
		return false;
	for (const char *p = fence; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ' ' && *e != ',')
			e++;
		if (e - p == 2 && (p[0] & ~0x20) == (country[0] & ~0x20) &&
		    (p[1] & ~0x20) == (country[1] & ~0x20))
			return true;
		p = e;
	}
	return false;
}

void mwg_setting_time(mw_guard *g, const char *key, const char *name, time_t t,
		      time_t now)
{
	char v[32];
	snprintf(v, sizeof v, "%lld", (long long)t);
	mw_status rc = mw_store_setting_set(g->st, key, name, v, now);
	mwg_cache_invalidate(g);
	if (rc)
		mw_warn("guard: %s %s: %s", key, name, mw_status_str(rc));
}

void mwg_utc(time_t t, char out[32])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, 32, "(unknown time)");
		return;
	}
	strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

void mwg_append_json(mw_guard *g, const char *acct, const char *metric,
		     time_t t, void *obj)
{
	json_t *o = obj;
	mwg_key k;
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text || !mwg_key_of(k, "acct", acct, metric)) {
		free(text);
		return;
	}
	size_t len = strlen(text);
	mw_store_keep keep = {0, 0};
	if (strcmp(metric, "history") == 0) {
		keep.count = (unsigned)g->cfg->history_keep_count;
		keep.seconds = (time_t)g->cfg->history_keep_days * MWG_DAY;
	}
	mw_status rc =
	    len <= MW_STORE_PAYLOAD_MAX
		? mw_store_event_append(g->st, k, t, text, len, &keep)
		: MW_ETOOBIG;
	if (rc)
		mw_warn("guard: %s: event not kept: %s", k, mw_status_str(rc));
	free(text);
}
