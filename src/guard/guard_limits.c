/*
 * guard_limits.c - send limits: when a window lifts, the 451 that says
 * so, and what send_limit_action does once per crossing.
 *
 * The store's windows count an add for W to W + g seconds (g: 60-second
 * buckets for windows up to two hours, hourly ones beyond): a read at t
 * sums the buckets that start at or after the start of the bucket that
 * holds t - W. The bucket starting at b thus leaves the sum at
 * b + g + W. The lift time is the first such moment at which the sum
 * falls below what the limit lets through, found by a binary search
 * over the window's buckets (at most eight reads, only when a limit is
 * hit).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guard_int.h"
#include "lib/log.h"

/* The store's rule (store.h): minute buckets up to two hours. */
static time_t bucket_width(time_t window)
{
	return window <= 2 * MWG_HOUR ? 60 : MWG_HOUR;
}

time_t mwg_limit_lifts(mw_guard *g, const char *key, time_t window, time_t now,
		       int64_t below)
{
	time_t w = bucket_width(window);
	time_t lo = (now - window) / w * w; /* the oldest bucket read */
	time_t hi = now / w * w;	    /* the newest */
	if (below <= 0)
		return hi + w + window;
	/* Find the first bucket b in [lo, hi] after whose leaving the sum
	 * is under `below`; when even the newest leaving is needed, hi. */
	while (lo < hi) {
		time_t mid = lo + (hi - lo) / w / 2 * w;
		int64_t sum = 0;
		if (mw_store_counter_sum(g->st, key, window, mid + w + window,
					 &sum) != MW_OK)
			return hi + w + window;
		if (sum < below)
			hi = mid;
		else
			lo = mid + w;
	}
	return lo + w + window;
}

mw_status mwg_limit_reply(mw_verdict *v, mwg_limit l, int64_t limit,
			  int64_t count, time_t lifts)
{
	char when[32];
	mwg_utc(lifts, when);
	mw_status rc = mwg_reply(
	    v, MW_VERDICT_TEMPFAIL, "451", "4.7.1", "send limit",
	    "Send limit reached: %" PRId64 " %s (this account has sent "
	    "%" PRId64 "); it lifts at %s",
	    limit, mwg_limits[l].name, count, when);
	return rc ? rc
		  : mw_verdict_reply_local(
			v,
			"送信上限に達しました: %s %" PRId64
			" 件（送信済み %" PRId64 " 件）。%s に解除"
			"されます。",
			mwg_limits[l].name_ja, limit, count, when);
}

static const char *action_name(mw_cfg_limit_action a)
{
	switch (a) {
	case MW_CFG_LIMIT_BLOCK_UNTIL_TOMORROW:
		return "block_until_tomorrow";
	case MW_CFG_LIMIT_BLOCK_UNTIL_ADMIN:
		return "block_until_admin";
	default:
		return "alert";
	}
}

/* Was this crossing already acted on? limit_hit.<name> holds the lift
 * time of the last one acted on. Marks it when not. Under g->lock. */
static bool first_of_crossing(mw_guard *g, const char *acct, mwg_limit l,
			      time_t lifts, time_t now)
{
	mwg_key k;
	char name[64];
	if (!mwg_key_of(k, "acct", acct, NULL))
		return false;
	snprintf(name, sizeof name, "limit_hit.%s", mwg_limits[l].id);
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	bool found = false;
	mw_status rc = mw_store_setting_get(g->st, k, name, &b, &found);
	time_t last = found ? (time_t)strtoll(mw_buf_cstr(&b), NULL, 10) : 0;
	mw_buf_free(&b);
	if (rc != MW_OK || (found && now < last))
		return false;
	mwg_setting_time(g, k, name, lifts, now);
	return true;
}

static time_t next_utc_midnight(time_t now)
{
	return (now / MWG_DAY + 1) * MWG_DAY;
}

void mwg_limit_crossed(mw_guard *g, const char *acct, const mwg_state *s,
		       mwg_limit l, int64_t count, time_t lifts, time_t now)
{
	mw_cfg_limit_action act = g->cfg->send_limit_action;
	pthread_mutex_lock(&g->lock);
	if (!first_of_crossing(g, acct, l, lifts, now)) {
		pthread_mutex_unlock(&g->lock);
		return;
	}
	mwg_key k;
	if (act == MW_CFG_LIMIT_BLOCK_UNTIL_TOMORROW &&
	    mwg_key_of(k, "acct", acct, NULL)) {
		lifts = next_utc_midnight(now);
		mwg_setting_time(g, k, MWG_S_BLOCKED_UNTIL, lifts, now);
	}
	mwg_append_json(g, acct, "alerts", now,
			json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "type",
				  "limit", "limit", mwg_limits[l].name, "value",
				  (json_int_t)s->limit[l], "count",
				  (json_int_t)count, "lifts", (json_int_t)lifts,
				  "action", action_name(act)));
	mw_info("guard: %s: send limit %" PRId64 " %s reached (%s)", acct,
		s->limit[l], mwg_limits[l].name, action_name(act));
	pthread_mutex_unlock(&g->lock);
	if (act == MW_CFG_LIMIT_BLOCK_UNTIL_ADMIN) {
		char reason[160];
		snprintf(reason, sizeof reason,
			 "send limit: %" PRId64 " %s reached", s->limit[l],
			 mwg_limits[l].name);
		mwg_suspend(g, acct, s, reason, NULL, now);
	}
	mwg_notice n;
	memset(&n, 0, sizeof n);
	n.kind = MW_NOTICE_LIMIT;
	n.now = now;
	snprintf(n.account, sizeof n.account, "%s", acct);
	snprintf(n.limit_name, sizeof n.limit_name, "%s", mwg_limits[l].name);
	n.limit_value = s->limit[l];
	n.limit_count = count;
	n.limit_lifts = act == MW_CFG_LIMIT_BLOCK_UNTIL_ADMIN ? 0 : lifts;
	snprintf(n.limit_action, sizeof n.limit_action, "%s", action_name(act));
	mwg_notify(g, &n, true);
}
