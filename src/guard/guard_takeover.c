/*
 * guard_takeover.c - read the score's counts, score, and suspend.
 *
 * The counts cover the last 24 hours, cut short at score_reset_at: after
 * an unlock (by an admin or by a password change) the evidence that led
 * to the suspension stops counting, so the owner is not suspended again
 * by his attacker's past. A login reads them all (seven or eight index
 * ranges) and keeps the login side (addresses, countries, networks, new
 * countries, wrong passwords) as the setting score_login; end of message
 * takes that from the account's settings and adds its own counts, so a
 * message costs no score reads but when the shield has seen bounces.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/account.h"
#include "guard/guard_int.h"
#include "lib/log.h"

/* own_bounces events looked at: the shield writes at most one an hour. */
#define OWN_BOUNCE_EVENTS_READ 24

static uint64_t distinct(mw_guard *g, const char *acct, const char *metric,
			 time_t window, time_t now, bool *ok)
{
	mwg_key k;
	uint64_t n = 0;
	if (!mwg_key_of(k, "acct", acct, metric) ||
	    mw_store_distinct_count(g->st, k, window, now, &n) != MW_OK)
		*ok = false;
	return n;
}

static int64_t counter(mw_guard *g, const char *acct, const char *metric,
		       time_t window, time_t now, bool *ok)
{
	mwg_key k;
	int64_t n = 0;
	if (!mwg_key_of(k, "acct", acct, metric) ||
	    mw_store_counter_sum(g->st, k, window, now, &n) != MW_OK)
		*ok = false;
	return n;
}

static uint64_t own_bounce_events(mw_guard *g, const char *acct, time_t since,
				  time_t now, bool *ok)
{
	mwg_key k;
	if (!mwg_key_of(k, "acct", acct, NULL)) {
		*ok = false;
		return 0;
	}
	mw_store_list l;
	mw_store_list_init(&l);
	uint64_t n = 0;
	if (mw_store_event_read(g->st, k, now, 0, OWN_BOUNCE_EVENTS_READ, &l) !=
	    MW_OK)
		*ok = false;
	for (size_t i = 0; i < l.n && l.items[i].t >= since; i++)
		if (strstr(l.items[i].value, "\"own_bounces\""))
			n++;
	mw_store_list_free(&l);
	return n;
}

/* The window of the score's counts: 24 hours, cut short after an unlock.
 * The store's windows are whole seconds and include their first second,
 * so the cut starts at the second after the unlock: what happened in the
 * unlock's own second belongs to the evidence it forgave. 0 when nothing
 * after the unlock can count yet. */
static time_t score_window(const mwg_state *s, time_t now)
{
	time_t w = MWG_DAY;
	if (s->reset_at > 0 && now - s->reset_at <= w)
		w = now - s->reset_at - 1 > 0 ? now - s->reset_at - 1 : 0;
	return w;
}

bool mwg_score_read(mw_guard *g, const char *acct, const mwg_state *s,
		    time_t now, mw_guard_score_input *in)
{
	memset(in, 0, sizeof *in);
	time_t w = score_window(s, now);
	if (w == 0)
		return true; /* just unlocked: nothing counts yet */
	time_t w1 = w < MWG_HOUR ? w : MWG_HOUR;
	bool ok = true;
	in->ips = distinct(g, acct, "ip", w, now, &ok);
	in->countries = distinct(g, acct, "country", w, now, &ok);
	in->asns = distinct(g, acct, "asn", w, now, &ok);
	in->new_countries = distinct(g, acct, "new_country", w, now, &ok);
	in->failed_passwords = distinct(g, acct, "fail_pw", w, now, &ok);
	in->msgs = counter(g, acct, "msgs", w1, now, &ok);
	in->rcpts = counter(g, acct, "rcpts", w1, now, &ok);
	if (s->own_bounce_at && s->own_bounce_at >= now - w)
		in->own_bounce_events =
		    own_bounce_events(g, acct, now - w, now, &ok);
	return ok;
}

void mwg_score_keep_login(mw_guard *g, const char *acct,
			  const mw_guard_score_input *in, time_t now)
{
	mwg_key k;
	if (!mwg_key_of(k, "acct", acct, NULL))
		return;
	char v[128];
	snprintf(v, sizeof v,
		 "%lld %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		 " %" PRIu64,
		 (long long)now, in->ips, in->countries, in->asns,
		 in->new_countries, in->failed_passwords);
	(void)mw_store_setting_set(g->st, k, MWG_S_SCORE_LOGIN, v, now);
	mwg_cache_invalidate(g);
}

/* The login side counts while the login that computed it is within the
 * score's window: the counts were over the 24 hours before it, so using
 * them later errs on the side of counting a little long, never short. */
void mwg_score_at_eom(mw_guard *g, const char *acct, const mwg_state *s,
		      time_t now, int64_t msgs, int64_t rcpts,
		      mw_guard_score_input *in)
{
	memset(in, 0, sizeof *in);
	time_t w = score_window(s, now);
	if (s->login_scored_at && s->login_scored_at >= now - w &&
	    s->login_scored_at > s->reset_at)
		*in = s->login_in;
	in->msgs = msgs;
	in->rcpts = rcpts;
	in->own_bounce_events = 0;
	bool ok = true;
	if (w > 0 && s->own_bounce_at && s->own_bounce_at >= now - w)
		in->own_bounce_events =
		    own_bounce_events(g, acct, now - w, now, &ok);
	if (!ok)
		mw_warn("guard: %s: own bounces unreadable", acct);
}

bool mwg_score_and_act(mw_guard *g, const char *acct, const mwg_state *s,
		       const mw_guard_score_input *in, time_t now)
{
	if (s->suspended)
		return true;
	mw_guard_score sc;
	mw_guard_score_compute(in, &sc);
	if (sc.total < g->cfg->takeover_threshold) {
		if (sc.total > 0)
			mw_debug("guard: %s: score %d", acct, sc.total);
		return false;
	}
	char reason[200];
	snprintf(reason, sizeof reason,
		 "suspected stolen password: takeover score %d >= %" PRId64,
		 sc.total, g->cfg->takeover_threshold);
	mwg_suspend(g, acct, s, reason, &sc, now);
	return true;
}

/* Is acct suspended in the store right now? (Under g->lock, so that two
 * threads suspend once.) */
static bool already_suspended(mw_guard *g, const char *key)
{
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	bool found = false;
	mw_status rc =
	    mw_store_setting_get(g->st, key, MWG_S_SUSPENDED, &b, &found);
	mw_buf_free(&b);
	return rc != MW_OK || found;
}

static void record_suspension(mw_guard *g, const char *acct, const char *key,
			      const mwg_state *s, const char *reason,
			      const mw_guard_score *sc, time_t now)
{
	mw_status rc =
	    mw_store_setting_set(g->st, key, MWG_S_SUSPENDED, reason, now);
	if (rc)
		mw_warn("guard: %s: suspension not recorded: %s", acct,
			mw_status_str(rc));
	mwg_setting_time(g, key, MWG_S_SUSPENDED_AT, now, now);
	(void)mw_store_setting_set(g->st, key, MWG_S_SUSPENDED_BY, MWG_BY_GUARD,
				   now);
	if (sc) {
		mwg_setting_time(g, key, MWG_S_SUSPENDED_SCORE, sc->total, now);
		if (s->pwhash[0])
			(void)mw_store_setting_set(
			    g->st, key, MWG_S_SUSPENDED_PWHASH, s->pwhash, now);
	}
	json_t *sig = json_array();
	for (size_t i = 0; sc && i < sc->nsignals; i++)
		json_array_append_new(sig, json_string(sc->signals[i]));
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:o}", "type", "suspended",
			      "reason", reason, "by", MWG_BY_GUARD, "score",
			      sc ? sc->total : 0, "signals", sig);
	if (o)
		json_object_set_new(o, "account", json_string(acct));
	mwg_append_json(g, acct, "alerts", now, json_incref(o));
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text && strlen(text) <= MW_STORE_PAYLOAD_MAX)
		(void)mw_store_event_append(g->st, "global:", now, text,
					    strlen(text), NULL);
	free(text);
}

void mwg_suspend(mw_guard *g, const char *acct, const mwg_state *s,
		 const char *reason, const mw_guard_score *sc, time_t now)
{
	mwg_key key;
	if (!mwg_key_of(key, "acct", acct, NULL))
		return;
	pthread_mutex_lock(&g->lock);
	if (already_suspended(g, key)) {
		pthread_mutex_unlock(&g->lock);
		return;
	}
	record_suspension(g, acct, key, s, reason, sc, now);
	mwg_cache_invalidate(g);
	pthread_mutex_unlock(&g->lock);
	mw_warn("guard: %s: sending suspended: %s", acct, reason);
	if (!sc)
		return; /* a limit's suspension: its LIMIT notice says it */
	mwg_notice n;
	memset(&n, 0, sizeof n);
	n.kind = MW_NOTICE_SUSPENDED;
	n.now = now;
	snprintf(n.account, sizeof n.account, "%s", acct);
	n.score = sc->total;
	n.threshold = (int)g->cfg->takeover_threshold;
	n.nsignals = sc->nsignals;
	memcpy(n.signals, sc->signals, sizeof n.signals);
	mwg_notify(g, &n, true);
}
