/*
 * account.c - an admin's operations on one account (account.h).
 */
#include "guard/account.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "guard/guard_int.h"
#include "lib/date.h"
#include "lib/log.h"
#include "store/store.h"

typedef char acct_key[MW_STORE_KEY_MAX + 1];

/* Settings of a suspension or a block, deleted by an unlock. */
static const char *const SUSPENSION[] = {
    "suspended",       "suspended_at",	   "suspended_by",
    "suspended_score", "suspended_pwhash", "blocked_until",
};

static mw_status key_of(acct_key k, const char *acct, const char *metric)
{
	if (!acct || !acct[0])
		return MW_EINVAL;
	return mw_store_key(k, sizeof(acct_key), "acct", acct, metric);
}

static mw_status get(mw_store *st, const char *k, const char *name, mw_buf *b,
		     bool *found)
{
	return mw_store_setting_get(st, k, name, b, found);
}

/* An admin action, under acct:<a>/alerts and global:/admin. */
static mw_status record_admin(mw_store *st, const char *acct, const char *type,
			      const char *who, const char *detail, time_t now)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", type, "account", acct,
			      "by", who ? who : "admin");
	if (o && detail)
		json_object_set_new(o, "detail", json_string(detail));
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return MW_ENOMEM;
	acct_key k;
	mw_status rc = key_of(k, acct, "alerts");
	if (rc == MW_OK)
		rc =
		    mw_store_event_append(st, k, now, text, strlen(text), NULL);
	if (rc == MW_OK)
		rc = mw_store_event_append(st, "global:admin", now, text,
					   strlen(text), NULL);
	free(text);
	return rc;
}

mw_status mw_account_unlock(mw_store *st, const char *acct, const char *who,
			    bool notify, time_t now, bool *was)
{
	acct_key k;
	mw_status rc = key_of(k, acct, NULL);
	if (rc)
		return rc;
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	bool suspended = false, blocked = false;
	rc = get(st, k, "suspended", &b, &suspended);
	if (rc == MW_OK)
		rc = get(st, k, "blocked_until", &b, &blocked);
	mw_buf_free(&b);
	if (was)
		*was = suspended || blocked;
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof SUSPENSION / sizeof SUSPENSION[0]; i++)
		if ((rc = mw_store_setting_del(st, k, SUSPENSION[i], now)))
			return rc;
	char v[32];
	snprintf(v, sizeof v, "%lld", (long long)now);
	if ((rc = mw_store_setting_set(st, k, "score_reset_at", v, now)))
		return rc;
	if (notify && (suspended || blocked) &&
	    (rc = mw_store_setting_set(st, k, "unlock_notice",
				       who ? who : "admin", now)))
		return rc;
	return record_admin(
	    st, acct, "unlock", who,
	    suspended || blocked ? "was suspended" : "was not suspended", now);
}

static bool country_code(const char *c)
{
	return c && strlen(c) == 2 &&
	       ((c[0] | 0x20) >= 'a' && (c[0] | 0x20) <= 'z') &&
	       ((c[1] | 0x20) >= 'a' && (c[1] | 0x20) <= 'z');
}

mw_status mw_account_fence(mw_store *st, const char *acct,
			   const char *const *countries, size_t n,
			   const char *who, time_t now)
{
	if (n == 0 || n > MW_ACCOUNT_FENCE_MAX)
		return MW_EINVAL;
	char fence[3 * MW_ACCOUNT_FENCE_MAX + 1];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!country_code(countries[i]))
			return MW_EINVAL;
		if (len)
			fence[len++] = ' ';
		fence[len++] = (char)(countries[i][0] & ~0x20);
		fence[len++] = (char)(countries[i][1] & ~0x20);
	}
	fence[len] = '\0';
	acct_key k;
	mw_status rc = key_of(k, acct, NULL);
	if (rc == MW_OK)
		rc = mw_store_setting_set(st, k, "fence", fence, now);
	return rc ? rc : record_admin(st, acct, "fence", who, fence, now);
}

mw_status mw_account_unfence(mw_store *st, const char *acct, const char *who,
			     time_t now)
{
	acct_key k;
	mw_status rc = key_of(k, acct, NULL);
	if (rc == MW_OK)
		rc = mw_store_setting_del(st, k, "fence", now);
	return rc ? rc : record_admin(st, acct, "unfence", who, NULL, now);
}

mw_status mw_account_limit(mw_store *st, const char *acct, const char *name,
			   int64_t value, const char *who, time_t now)
{
	const char *setting = NULL;
	for (int l = 0; l < MWG_LIMITS; l++)
		if (strcmp(name, mwg_limits[l].id) == 0)
			setting = mwg_limits[l].setting;
	if (!setting || value == 0 || value < -1 || value > 10000000)
		return MW_EINVAL;
	char v[32];
	snprintf(v, sizeof v, "%" PRId64, value);
	acct_key k;
	mw_status rc = key_of(k, acct, NULL);
	if (rc == MW_OK)
		rc = value < 0 ? mw_store_setting_del(st, k, setting, now)
			       : mw_store_setting_set(st, k, setting, v, now);
	char detail[96];
	snprintf(detail, sizeof detail, "%s = %s", name,
		 value < 0 ? "default" : v);
	return rc ? rc : record_admin(st, acct, "limit", who, detail, now);
}

mw_status mw_account_notify(mw_store *st, const char *acct, const char *address,
			    const char *who, time_t now)
{
	acct_key k;
	mw_status rc = key_of(k, acct, NULL);
	if (rc)
		return rc;
	if (address && address[0]) {
		const char *at = strchr(address, '@');
		if (!at || at == address || !at[1] ||
		    strpbrk(address, " <>\"\r\n\t,;"))
			return MW_EINVAL;
		rc =
		    mw_store_setting_set(st, k, "notify_address", address, now);
	} else {
		rc = mw_store_setting_del(st, k, "notify_address", now);
	}
	return rc ? rc
		  : record_admin(st, acct, "notify", who,
				 address && address[0] ? address : "none", now);
}
