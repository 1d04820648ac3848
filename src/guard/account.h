/*
 * account.h - what an admin does to one account of the guard: look at it
 * (status, limits, fence, recent places, history), list accounts, lift a
 * suspension, set or lift a country fence, override a send limit, choose
 * where notices go.
 *
 * Contract: every function works on the store alone (store.h), so the
 * CLI can run beside the daemon and the daemon sees a change at its next
 * read: no reload. Accounts are SASL logins, compared case-insensitively
 * (the store lower-cases its keys). Changes are "kept" writes; the caller
 * flushes the store before it exits. Admin actions are recorded with who
 * did them under acct:<a>/alerts and in the global:/admin events.
 * Printing functions write to out and return the store's status.
 */
#ifndef MW_GUARD_ACCOUNT_H
#define MW_GUARD_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "lib/status.h"

struct mw_store;
struct mw_config;

/* Countries one fence may name. */
#define MW_ACCOUNT_FENCE_MAX 32

/* Lift a suspension and a block_until_tomorrow block, recording who
 * ("admin root", "password change"). Score inputs seen before now stop
 * counting (score_reset_at), so the account is not suspended again at
 * once for the same evidence. With notify, the running daemon sends the
 * UNLOCKED notice at its next tick (setting unlock_notice). *was says
 * whether it was suspended or blocked (may be NULL). */
mw_status mw_account_unlock(struct mw_store *st, const char *acct,
			    const char *who, bool notify, time_t now,
			    bool *was);

/* Set the fence to countries (ISO 3166 alpha-2, any case; MW_EINVAL for
 * anything else or none); unfence removes it. */
mw_status mw_account_fence(struct mw_store *st, const char *acct,
			   const char *const *countries, size_t n,
			   const char *who, time_t now);
mw_status mw_account_unfence(struct mw_store *st, const char *acct,
			     const char *who, time_t now);

/* Override a send limit: name is msgs_per_hour, rcpts_per_hour or
 * rcpts_per_day; value > 0, or -1 to go back to the default. */
mw_status mw_account_limit(struct mw_store *st, const char *acct,
			   const char *name, int64_t value, const char *who,
			   time_t now);

/* Where the account's notices go; NULL or "" means the login itself. */
mw_status mw_account_notify(struct mw_store *st, const char *acct,
			    const char *address, const char *who, time_t now);

/* Status, limits in force and current counts, fence, recent countries,
 * notify address: a readable page, or one JSON object. */
mw_status mw_account_show(const struct mw_config *cfg, struct mw_store *st,
			  const char *acct, time_t now, bool json, FILE *out);

/* The history, newest first, at most limit entries: a table (time,
 * protocol, IP, country, ASN, device, result) or JSON Lines. */
mw_status mw_account_history(struct mw_store *st, const char *acct, time_t now,
			     size_t limit, bool json, FILE *out);

/* Accounts the guard knows (or only the suspended ones), one a line or
 * JSON Lines. */
mw_status mw_account_list(struct mw_store *st, bool suspended_only, bool json,
			  FILE *out);

#endif
