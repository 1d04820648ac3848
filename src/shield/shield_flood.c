/*
 * shield_flood.c - floods of refused backscatter, and bounces of a
 * user's own mail.
 *
 * A flood is a run of refusals to one address: it starts with the first
 * refusal after a quiet flood_window (flood_since), is opened with one
 * "flood" event when the window's count reaches flood_threshold
 * (flood_open keeps it from being opened twice), and ends with one
 * "flood_end" event once a whole window passes without a refusal (seen
 * by the tick, or by the next refusal, whichever comes first). Opening
 * also marks the user's digest as due. The 50,000 bounces of seed 000
 * thus make two events and one digest a day, not 50,000 mails.
 *
 * Counts and distinct servers are the store's exact windows; the "top
 * reporting servers" are ranked from a sample: the first
 * MW_SHIELD_FLOOD_SAMPLE refusals of each window.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/date.h"
#include "lib/log.h"
#include "shield/shield_int.h"

/* -- settings holding a time ------------------------------------------ */

static mw_status time_get(mw_shield *sh, const char *key, const char *name,
			  time_t *t, bool *found)
{
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	*found = false;
	*t = 0;
	mw_status rc = mw_store_setting_get(sh->store, key, name, &b, found);
	if (rc == MW_OK && *found) {
		char *end = NULL;
		long long v = strtoll(mw_buf_cstr(&b), &end, 10);
		*t = end && *end == '\0' && v >= 0 ? (time_t)v : 0;
	}
	mw_buf_free(&b);
	return rc;
}

static mw_status time_set(mw_shield *sh, const char *key, const char *name,
			  time_t t)
{
	char v[32];
	snprintf(v, sizeof v, "%lld", (long long)t);
	return mw_store_setting_set(sh->store, key, name, v, t);
}

static void warn_store(const char *what, const char *key, mw_status rc)
{
	if (rc && rc != MW_ETOOBIG)
		mw_warn("shield: %s %s: %s", what, key, mw_status_str(rc));
}

/* -- the summary of a flood ------------------------------------------- */

typedef struct tally {
	const char *server;
	unsigned n;
} tally;

/* The servers of the sample, most frequent first, at most
 * MW_SHIELD_FLOOD_TOP; *newest is the time of the latest refusal. */
static json_t *top_servers(mw_shield *sh, const char *sample_key, time_t now,
			   time_t *newest)
{
	json_t *arr = json_array();
	mw_store_list l;
	mw_store_list_init(&l);
	*newest = 0;
	if (mw_store_event_read(sh->store, sample_key, now, 0,
				MW_SHIELD_FLOOD_SAMPLE, &l) != MW_OK) {
		mw_store_list_free(&l);
		return arr;
	}
	tally t[MW_SHIELD_FLOOD_SAMPLE];
	size_t nt = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (l.items[i].t > *newest)
			*newest = l.items[i].t;
		size_t j = 0;
		while (j < nt && strcmp(t[j].server, l.items[i].value) != 0)
			j++;
		if (j == nt && nt < MW_SHIELD_FLOOD_SAMPLE)
			t[nt++] = (tally){l.items[i].value, 0};
		if (j < nt)
			t[j].n++;
	}
	for (size_t k = 0; k < MW_SHIELD_FLOOD_TOP && k < nt; k++) {
		size_t best = k;
		for (size_t j = k + 1; j < nt; j++)
			if (t[j].n > t[best].n)
				best = j;
		tally tmp = t[k];
		t[k] = t[best];
		t[best] = tmp;
		json_array_append_new(arr, json_pack("{s:s, s:i}", "server",
						     t[k].server, "count",
						     (json_int_t)t[k].n));
	}
	mw_store_list_free(&l);
	return arr;
}

static json_t *iso_time(time_t t)
{
	char s[21];
	mw_date_format_iso(t, s);
	return json_string(s);
}

typedef struct flood_facts {
	const char *type; /* "flood" or "flood_end" */
	const char *rcpt;
	time_t first, last, now;
	int64_t count;
} flood_facts;

static void append_flood_event(mw_shield *sh, const char *base,
			       const char *sample_key,
			       const char *reporters_key, flood_facts *ff)
{
	time_t newest = 0;
	json_t *top = top_servers(sh, sample_key, ff->now, &newest);
	if (!ff->last)
		ff->last = newest ? newest : ff->now;
	uint64_t servers = 0;
	time_t span = ff->last - ff->first + sh->cfg->flood_window;
	if (span < 60)
		span = 60;
	if (span > MW_STORE_WINDOW_MAX)
		span = MW_STORE_WINDOW_MAX;
	(void)mw_store_distinct_count(sh->store, reporters_key, span, ff->now,
				      &servers);
	json_t *o = json_pack(
	    "{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "type",
	    ff->type, "address", ff->rcpt, "first", iso_time(ff->first), "last",
	    iso_time(ff->last), "first_unix", (json_int_t)ff->first,
	    "last_unix", (json_int_t)ff->last, "count", (json_int_t)ff->count,
	    "window", (json_int_t)sh->cfg->flood_window, "threshold",
	    (json_int_t)sh->cfg->flood_threshold, "servers",
	    (json_int_t)servers, "top", top);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text) {
		mw_warn("shield: no memory for the %s event of %s", ff->type,
			base);
		return;
	}
	size_t n = strlen(text);
	if (n <= MW_STORE_PAYLOAD_MAX)
		warn_store("flood event", base,
			   mw_store_event_append(sh->store, base, ff->now, text,
						 n, NULL));
	free(text);
}

/* -- opening and closing ---------------------------------------------- */

typedef struct flood_keys {
	mws_key base, count, reporters, sample;
} flood_keys;

static bool flood_keys_of(flood_keys *k, const char *rcpt)
{
	return mws_key_of(k->base, MWS_NS_RCPT, rcpt, NULL) &&
	       mws_key_of(k->count, MWS_NS_RCPT, rcpt, MWS_M_BACKSCATTER) &&
	       mws_key_of(k->reporters, MWS_NS_RCPT, rcpt, MWS_M_REPORTERS) &&
	       mws_key_of(k->sample, MWS_NS_RCPT, rcpt, MWS_M_SAMPLE);
}

/* The refusals since first, counted when the flood closes. */
static int64_t count_since(mw_shield *sh, const char *key, time_t first,
			   time_t now)
{
	time_t span = now - first + 1;
	if (span < 1)
		span = 1;
	if (span > MW_STORE_WINDOW_MAX)
		span = MW_STORE_WINDOW_MAX;
	int64_t n = 0;
	(void)mw_store_counter_sum(sh->store, key, span, now, &n);
	return n;
}

/* Close the open flood of rcpt, if any. Called with sh->lock held. */
static void close_flood(mw_shield *sh, const char *rcpt, const flood_keys *k,
			time_t now)
{
	time_t opened, first;
	bool open = false, has_first = false;
	if (time_get(sh, k->base, MWS_S_FLOOD_OPEN, &opened, &open) || !open)
		return;
	(void)time_get(sh, k->base, MWS_S_FLOOD_SINCE, &first, &has_first);
	if (!has_first)
		first = opened;
	flood_facts ff = {.type = "flood_end",
			  .rcpt = rcpt,
			  .first = first,
			  .now = now,
			  .count = count_since(sh, k->count, first, now)};
	append_flood_event(sh, k->base, k->sample, k->reporters, &ff);
	warn_store(
	    "flood_open delete", k->base,
	    mw_store_setting_del(sh->store, k->base, MWS_S_FLOOD_OPEN, now));
	mw_info("shield: flood of backscatter to %s ended: %" PRId64 " refused",
		rcpt, ff.count);
}

/* Open a flood unless one is open. Called with sh->lock held. */
static void open_flood(mw_shield *sh, const char *rcpt, const flood_keys *k,
		       int64_t count, time_t now)
{
	time_t t, first;
	bool open = false, has_first = false;
	if (time_get(sh, k->base, MWS_S_FLOOD_OPEN, &t, &open) || open)
		return;
	(void)time_get(sh, k->base, MWS_S_FLOOD_SINCE, &first, &has_first);
	flood_facts ff = {.type = "flood",
			  .rcpt = rcpt,
			  .first = has_first ? first : now,
			  .last = now,
			  .now = now,
			  .count = count};
	append_flood_event(sh, k->base, k->sample, k->reporters, &ff);
	warn_store("flood_open", k->base,
		   time_set(sh, k->base, MWS_S_FLOOD_OPEN, now));
	warn_store("digest_due", k->base,
		   time_set(sh, k->base, MWS_S_DIGEST_DUE, now));
	mw_info("shield: flood of backscatter to %s: %" PRId64
		" refused in %" PRId64 " s",
		rcpt, count, sh->cfg->flood_window);
}

/* Remember the server of one refusal. Only the first
 * MW_SHIELD_FLOOD_SAMPLE refusals of a window are kept: an event is a
 * write the store must not drop, and a flood must not fill its queue. */
static void add_sample(mw_shield *sh, const char *key, const char *server,
		       time_t window, time_t now)
{
	time_t keep_for = 2 * window + MWS_HOUR;
	mw_store_keep keep = {.count = MW_SHIELD_FLOOD_SAMPLE,
			      .seconds = keep_for < MW_STORE_WINDOW_MAX
					     ? keep_for
					     : MW_STORE_WINDOW_MAX};
	warn_store("sample", key,
		   mw_store_event_append(sh->store, key, now, server,
					 strlen(server), &keep));
}

void mws_count_backscatter(mw_shield *sh, const mw_msg_facts *f,
			   const char *rcpt)
{
	flood_keys k;
	if (!flood_keys_of(&k, rcpt))
		return;
	time_t now = f->now, window = sh->cfg->flood_window;
	int64_t before = 0;
	mw_status rc =
	    mw_store_counter_sum(sh->store, k.count, window, now, &before);
	warn_store("backscatter count", k.count,
		   mw_store_counter_add(sh->store, k.count, 1, now));

	char ip[MW_IP_TEXT_MAX];
	const char *server = mws_reporter(f, ip);
	warn_store("reporters", k.reporters,
		   mw_store_distinct_add(sh->store, k.reporters, server, now));
	if (rc == MW_OK && before < MW_SHIELD_FLOOD_SAMPLE)
		add_sample(sh, k.sample, server, window, now);
	if (rc) {
		warn_store("backscatter sum", k.count, rc);
		return;
	}
	pthread_mutex_lock(&sh->lock);
	if (before == 0) {
		/* A quiet window ended: what was open is over, and a new
		 * run of refusals starts now. */
		close_flood(sh, rcpt, &k, now);
		warn_store("flood_since", k.base,
			   time_set(sh, k.base, MWS_S_FLOOD_SINCE, now));
	}
	if (before + 1 >= sh->cfg->flood_threshold)
		open_flood(sh, rcpt, &k, before + 1, now);
	pthread_mutex_unlock(&sh->lock);
}

void mws_close_quiet_floods(mw_shield *sh, time_t now)
{
	mw_store_list l;
	mw_store_list_init(&l);
	if (mw_store_setting_keys_with(sh->store, MWS_NS_RCPT ":",
				       MWS_S_FLOOD_OPEN, MW_SHIELD_TICK_KEYS,
				       &l) != MW_OK) {
		mw_store_list_free(&l);
		return;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *rcpt = l.items[i].key + sizeof MWS_NS_RCPT;
		flood_keys k;
		int64_t n = 0;
		if (!flood_keys_of(&k, rcpt) ||
		    mw_store_counter_sum(sh->store, k.count,
					 sh->cfg->flood_window, now,
					 &n) != MW_OK ||
		    n > 0)
			continue;
		pthread_mutex_lock(&sh->lock);
		close_flood(sh, rcpt, &k, now);
		pthread_mutex_unlock(&sh->lock);
	}
	mw_store_list_free(&l);
}

/* -- bounces of the user's own mail ----------------------------------- */

void mws_count_own_bounce(mw_shield *sh, const char *rcpt, time_t now)
{
	mws_key count, acct;
	if (!mws_key_of(count, MWS_NS_RCPT, rcpt, MWS_M_OWN_BOUNCE) ||
	    !mws_key_of(acct, MWS_NS_ACCT, rcpt, NULL))
		return;
	warn_store("own bounce count", count,
		   mw_store_counter_add(sh->store, count, 1, now));
	int64_t n = 0;
	if (mw_store_counter_sum(sh->store, count, MWS_HOUR, now, &n) ||
	    n <= sh->cfg->own_bounce_threshold)
		return;
	pthread_mutex_lock(&sh->lock);
	time_t last;
	bool alerted = false;
	if (time_get(sh, acct, MWS_S_OWN_ALERT, &last, &alerted) == MW_OK &&
	    (!alerted || now - last >= MWS_HOUR)) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "type",
				      "own_bounces", "address", rcpt, "count",
				      (json_int_t)n, "window",
				      (json_int_t)MWS_HOUR, "threshold",
				      (json_int_t)sh->cfg->own_bounce_threshold,
				      "at", iso_time(now));
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (text && strlen(text) <= MW_STORE_PAYLOAD_MAX) {
			warn_store("own_bounces event", acct,
				   mw_store_event_append(sh->store, acct, now,
							 text, strlen(text),
							 NULL));
			warn_store("own_bounce_alert", acct,
				   time_set(sh, acct, MWS_S_OWN_ALERT, now));
			mw_info("shield: %s: %" PRId64
				" bounces of own mail in an hour",
				rcpt, n);
		}
		free(text);
	}
	pthread_mutex_unlock(&sh->lock);
}
