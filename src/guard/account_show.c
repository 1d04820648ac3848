/*
 * account_show.c - what `mailwarden account show|history|list` print:
 * an account's status, limits, fence and places, its history, and the
 * accounts the guard knows.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "guard/guard_int.h"
#include "guard/account.h"
#include "lib/date.h"
#include "store/store.h"

/* Countries shown as recent: the seen set, newest first. */
#define RECENT_COUNTRIES_MAX 50

typedef char acct_key[MW_STORE_KEY_MAX + 1];

static const char *setting(const mw_store_list *l, const char *name, time_t *t)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0) {
			if (t)
				*t = l->items[i].t;
			return l->items[i].value;
		}
	return NULL;
}

static json_t *iso(time_t t)
{
	char s[21];
	mw_date_format_iso(t, s);
	return json_string(s);
}

static int64_t sum(mw_store *st, const char *acct, const char *metric,
		   time_t window, time_t now)
{
	acct_key k;
	int64_t n = 0;
	if (mw_store_key(k, sizeof k, "acct", acct, metric) == MW_OK)
		(void)mw_store_counter_sum(st, k, window, now, &n);
	return n;
}

static int64_t limit_of(const mw_store_list *l, const char *name, int64_t dflt)
{
	const char *v = setting(l, name, NULL);
	long long n = v ? strtoll(v, NULL, 10) : 0;
	return n > 0 ? n : dflt;
}

/* Status and limits into a JSON object. */
static json_t *status_object(const mw_config *cfg, mw_store *st,
			     const char *acct, const mw_store_list *l,
			     time_t now)
{
	json_t *o = json_object();
	json_object_set_new(o, "account", json_string(acct));
	time_t since = 0;
	const char *why = setting(l, "suspended", &since);
	const char *blocked = setting(l, "blocked_until", NULL);
	time_t until = blocked ? (time_t)strtoll(blocked, NULL, 10) : 0;
	if (why) {
		const char *at = setting(l, "suspended_at", NULL);
		const char *by = setting(l, "suspended_by", NULL);
		json_object_set_new(o, "status", json_string("suspended"));
		json_object_set_new(o, "reason", json_string(why));
		json_object_set_new(
		    o, "since",
		    iso(at ? (time_t)strtoll(at, NULL, 10) : since));
		json_object_set_new(o, "by", json_string(by ? by : ""));
	} else if (until > now) {
		json_object_set_new(o, "status", json_string("blocked"));
		json_object_set_new(o, "until", iso(until));
	} else {
		json_object_set_new(o, "status", json_string("active"));
	}
	json_t *lim = json_object();
	for (int i = 0; i < MWG_LIMITS; i++) {
		const mwg_limit_info *li = &mwg_limits[i];
		json_object_set_new(
		    lim, li->id,
		    json_pack("{s:I, s:I}", "limit",
			      (json_int_t)limit_of(
				  l, li->setting,
				  mwg_limit_default(cfg, (mwg_limit)i)),
			      "count",
			      (json_int_t)sum(st, acct, li->metric, li->window,
					      now)));
	}
	json_object_set_new(o, "limits", lim);
	const char *fence = setting(l, "fence", NULL);
	json_object_set_new(o, "fence",
			    fence ? json_string(fence) : json_null());
	const char *notify = setting(l, "notify_address", NULL);
	json_object_set_new(o, "notify_address",
			    json_string(notify ? notify : acct));
	return o;
}

static json_t *countries(mw_store *st, const char *acct)
{
	json_t *a = json_array();
	acct_key k;
	if (mw_store_key(k, sizeof k, "acct", acct, "seen") != MW_OK)
		return a;
	mw_store_list l;
	mw_store_list_init(&l);
	if (mw_store_setting_list(st, k, "seen.country.", RECENT_COUNTRIES_MAX,
				  &l) == MW_OK)
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(
			    a,
			    json_pack("{s:s, s:o}", "country",
				      l.items[i].name + strlen("seen.country."),
				      "first_seen",
				      iso((time_t)strtoll(l.items[i].value,
							  NULL, 10))));
	mw_store_list_free(&l);
	return a;
}

/* The newest unlock of the account (by an admin or by a password
 * change), from its alerts: {"at", "by"}, or null when there was none
 * among the newest MW_ACCOUNT_SHOW_ALERTS. */
static json_t *last_unlock(mw_store *st, const char *acct, time_t now)
{
	acct_key k;
	json_t *found = json_null();
	if (mw_store_key(k, sizeof k, "acct", acct, "alerts") != MW_OK)
		return found;
	mw_store_list l;
	mw_store_list_init(&l);
	if (mw_store_event_read(st, k, now, 0, MW_ACCOUNT_SHOW_ALERTS, &l) ==
	    MW_OK) {
		for (size_t i = 0; i < l.n; i++) {
			json_t *e = json_loadb(l.items[i].value, l.items[i].len,
					       0, NULL);
			const char *type =
			    json_string_value(json_object_get(e, "type"));
			if (type && strcmp(type, "unlock") == 0) {
				const char *by =
				    json_string_value(json_object_get(e, "by"));
				json_decref(found);
				found = json_pack("{s:o, s:s}", "at",
						  iso(l.items[i].t), "by",
						  by ? by : "");
				json_decref(e);
				break;
			}
			json_decref(e);
		}
	}
	mw_store_list_free(&l);
	return found ? found : json_null();
}

static void print_status(FILE *out, json_t *o)
{
	const char *st = json_string_value(json_object_get(o, "status"));
	fprintf(out, "account:   %s\n",
		json_string_value(json_object_get(o, "account")));
	if (strcmp(st, "suspended") == 0)
		fprintf(out, "status:    suspended since %s by %s: %s\n",
			json_string_value(json_object_get(o, "since")),
			json_string_value(json_object_get(o, "by")),
			json_string_value(json_object_get(o, "reason")));
	else if (strcmp(st, "blocked") == 0)
		fprintf(out, "status:    blocked until %s\n",
			json_string_value(json_object_get(o, "until")));
	else
		fprintf(out, "status:    active\n");
	for (int i = 0; i < MWG_LIMITS; i++) {
		json_t *x = json_object_get(json_object_get(o, "limits"),
					    mwg_limits[i].id);
		fprintf(out,
			"limit:     %-15s %" JSON_INTEGER_FORMAT
			" (now %" JSON_INTEGER_FORMAT ")\n",
			mwg_limits[i].id,
			json_integer_value(json_object_get(x, "limit")),
			json_integer_value(json_object_get(x, "count")));
	}
	json_t *f = json_object_get(o, "fence");
	fprintf(out, "fence:     %s\n",
		json_is_string(f) ? json_string_value(f) : "none");
	fprintf(out, "notify:    %s\n",
		json_string_value(json_object_get(o, "notify_address")));
	json_t *u = json_object_get(o, "last_unlock");
	if (json_is_object(u))
		fprintf(out, "unlocked:  %s by %s\n",
			json_string_value(json_object_get(u, "at")),
			json_string_value(json_object_get(u, "by")));
	fprintf(out, "countries:");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(o, "countries"), i, c)
	    fprintf(out, " %s (since %s)",
		    json_string_value(json_object_get(c, "country")),
		    json_string_value(json_object_get(c, "first_seen")));
	fprintf(out, "%s\n", i ? "" : " none seen");
}

mw_status mw_account_show(const mw_config *cfg, mw_store *st, const char *acct,
			  time_t now, bool json, FILE *out)
{
	acct_key k;
	mw_status rc = mw_store_key(k, sizeof k, "acct", acct, NULL);
	if (rc)
		return rc;
	mw_store_list l;
	mw_store_list_init(&l);
	rc = mw_store_setting_list(st, k, "", 64, &l);
	if (rc == MW_OK) {
		json_t *o = status_object(cfg, st, acct, &l, now);
		json_object_set_new(o, "countries", countries(st, acct));
		json_object_set_new(o, "last_unlock",
				    last_unlock(st, acct, now));
		if (json) {
			char *s = json_dumps(o, JSON_COMPACT);
			if (s)
				fprintf(out, "%s\n", s);
			free(s);
		} else {
			print_status(out, o);
		}
		json_decref(o);
	}
	mw_store_list_free(&l);
	return rc;
}

static const char *field(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));
	return s && s[0] ? s : "-";
}

static void print_event(FILE *out, time_t t, json_t *o)
{
	char when[21];
	mw_date_format_iso(t, when);
	json_int_t asn = json_integer_value(json_object_get(o, "asn"));
	char asntext[24] = "-";
	if (asn > 0)
		snprintf(asntext, sizeof asntext, "AS%" JSON_INTEGER_FORMAT,
			 asn);
	fprintf(out, "%-20s  %-10s  %-39s  %-2s  %-10s  %-16.16s  %s\n", when,
		field(o, "proto"), field(o, "ip"), field(o, "country"), asntext,
		field(o, "device"), field(o, "result"));
}

mw_status mw_account_history(mw_store *st, const char *acct, time_t now,
			     size_t limit, bool json, FILE *out)
{
	acct_key k;
	mw_status rc = mw_store_key(k, sizeof k, "acct", acct, "history");
	if (rc)
		return rc;
	if (limit == 0 || limit > MW_STORE_READ_MAX)
		limit = MW_STORE_READ_MAX;
	mw_store_list l;
	mw_store_list_init(&l);
	rc = mw_store_event_read(st, k, now, 0, limit, &l);
	if (rc == MW_OK && !json && l.n)
		fprintf(out, "%-20s  %-10s  %-39s  %-2s  %-10s  %-16s  %s\n",
			"time", "protocol", "ip", "cc", "asn", "device",
			"result");
	for (size_t i = 0; rc == MW_OK && i < l.n; i++) {
		json_t *o =
		    json_loadb(l.items[i].value, l.items[i].len, 0, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		if (json) {
			json_object_set_new(o, "time", iso(l.items[i].t));
			char *s = json_dumps(o, JSON_COMPACT);
			if (s)
				fprintf(out, "%s\n", s);
			free(s);
		} else {
			print_event(out, l.items[i].t, o);
		}
		json_decref(o);
	}
	mw_store_list_free(&l);
	return rc;
}

mw_status mw_account_list(mw_store *st, bool suspended_only, bool json,
			  FILE *out)
{
	mw_store_list l;
	mw_store_list_init(&l);
	mw_status rc = mw_store_setting_keys_with(
	    st, "acct:", suspended_only ? "suspended" : "first_login",
	    MW_STORE_READ_MAX, &l);
	for (size_t i = 0; rc == MW_OK && i < l.n; i++) {
		const char *acct = l.items[i].key + strlen("acct:");
		if (strchr(acct, '/'))
			continue;
		if (json) {
			json_t *o = json_pack("{s:s}", "account", acct);
			if (suspended_only) {
				json_object_set_new(o, "suspended",
						    json_true());
				json_object_set_new(
				    o, "reason", json_string(l.items[i].value));
			}
			char *s = json_dumps(o, JSON_COMPACT);
			json_decref(o);
			if (s)
				fprintf(out, "%s\n", s);
			free(s);
		} else if (suspended_only) {
			fprintf(out, "%-40s  %s\n", acct, l.items[i].value);
		} else {
			fprintf(out, "%s\n", acct);
		}
	}
	mw_store_list_free(&l);
	return rc;
}
