/*
 * guard_int.h - what the guard's files share. Not for callers: they use
 * guard.h.
 *
 * Contract: the guard is one struct, read-only after mw_guard_new() but
 * for the seams set before use; everything that changes lives in the
 * store, so the stages and the login decision may run on several threads
 * at once. g->lock serialises the few read-then-write steps (a login
 * alert's interval, a suspension, a limit's crossing) so that two
 * threads crossing at once record one event, not two.
 *
 * The store keys (docs/guard.md lists them for admins):
 *   acct:<a>                settings: suspended, suspended_at,
 *                           suspended_by, suspended_score,
 *                           suspended_pwhash, blocked_until, fence,
 *                           limit.*, limit_hit.*, notify_address, pwhash,
 *                           first_login, login_alert_at, score_reset_at,
 *                           unlock_notice; events: own_bounces (shield)
 *   acct:<a>/seen           settings seen.country.CC, seen.asn.N,
 *                           seen.device.ID, seen.ip.IP = first seen
 *   acct:<a>/history        events: logins and submissions (JSON)
 *   acct:<a>/alerts         events: alerts, suspensions, notices
 *   acct:<a>/msgs, /rcpts, /auth_ok, /auth_fail        counters
 *   acct:<a>/ip, /country, /asn, /new_country          distinct
 *   acct:<a>/fail_pw        distinct wrong passwords
 *   ip:<ip>/fail_pw         distinct login|password tried from ip
 *   ip:<ip>/auth_fail       counter
 *   acctip:<a>|<ip>/fail_pw distinct wrong passwords from one place
 *   global:                 events alerts (suspensions, unlocks)
 */
#ifndef MW_GUARD_GUARD_INT_H
#define MW_GUARD_GUARD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "daemon/config.h"
#include "guard/guard.h"
#include "guard/guard_score.h"
#include "lib/limits.h"
#include "store/store.h"

#define MWG_HOUR 3600
#define MWG_DAY 86400

/* Setting names under acct:<a>. */
#define MWG_S_SUSPENDED "suspended"
#define MWG_S_SUSPENDED_AT "suspended_at"
#define MWG_S_SUSPENDED_BY "suspended_by"
#define MWG_S_SUSPENDED_SCORE "suspended_score"
#define MWG_S_SUSPENDED_PWHASH "suspended_pwhash"
#define MWG_S_BLOCKED_UNTIL "blocked_until"
#define MWG_S_FENCE "fence"
#define MWG_S_NOTIFY "notify_address"
#define MWG_S_PWHASH "pwhash"
#define MWG_S_FIRST_LOGIN "first_login"
#define MWG_S_ALERT_AT "login_alert_at"
#define MWG_S_RESET_AT "score_reset_at"
/* Bytes of a device's name in the history and the seen set: an IMAP
 * client's name ("thunderbird", "k-9_mail") fits many times over. */
#define MWG_DEVICE_MAX 64
#define MWG_S_UNLOCK_NOTICE "unlock_notice"
#define MWG_S_SCORE_LOGIN "score_login"
#define MWG_S_OWN_BOUNCE_AT "own_bounce_alert" /* the shield's */

/* Who suspends. */
#define MWG_BY_GUARD "mailwarden"

typedef char mwg_key[MW_STORE_KEY_MAX + 1];

typedef struct mwg_notifier mwg_notifier;
typedef struct mwg_cache mwg_cache;

struct mw_guard {
	const mw_config *cfg;
	mw_store *st;
	const mw_geo *geo;
	mw_guard_geo_fn geo_fn;
	void *geo_arg;
	mw_guard_transport_fn transport;
	void *transport_arg;
	char host[256];
	pthread_mutex_t lock;
	atomic_uint_fast64_t seq; /* unique members when no pwhash */
	mwg_notifier *nt;
	mwg_cache *cache;
};

/* The send limits, by index. */
typedef enum mwg_limit {
	MWG_LIMIT_MSGS_HOUR = 0,
	MWG_LIMIT_RCPTS_HOUR,
	MWG_LIMIT_RCPTS_DAY,
	MWG_LIMITS
} mwg_limit;

/* One account's settings, from one store read. */
typedef struct mwg_state {
	bool suspended;
	bool suspended_takeover; /* by the score, not by a limit */
	char suspended_reason[256];
	time_t suspended_at;
	char suspended_pwhash[MW_LOGIN_FIELD_MAX + 1];
	time_t blocked_until;
	char fence[128]; /* "JP US"; "" none */
	int64_t limit[MWG_LIMITS];
	bool limit_override[MWG_LIMITS];
	char pwhash[MW_LOGIN_FIELD_MAX + 1];
	bool known;	 /* a first login was recorded */
	time_t alert_at; /* last login alert, 0 none */
	time_t reset_at; /* score inputs before this do not count */
	/* the login side of the score, as the last successful login
	 * computed it (setting score_login) */
	time_t login_scored_at; /* 0: none */
	mw_guard_score_input login_in;
	time_t own_bounce_at; /* the shield's own_bounce_alert */
} mwg_state;

/* -- guard.c ---------------------------------------------------------- */

bool mwg_key_of(mwg_key out, const char *ns, const char *id,
		const char *metric);
/* acctip:<acct>|<ip>[/metric] */
bool mwg_acctip_key(mwg_key out, const char *acct, const char *ip,
		    const char *metric);
void mwg_place(const mw_guard *g, const mw_ip *ip, mw_guard_place *out);
/* Read acct's settings; MW_OK with defaults when it has none. */
mw_status mwg_state_read(mw_guard *g, const char *acct, mwg_state *s);
/* Is country (may be "") allowed by fence ("JP US")? */
bool mwg_fence_allows(const char *fence, const char *country);
void mwg_setting_time(mw_guard *g, const char *key, const char *name, time_t t,
		      time_t now);
/* "2026-11-22 14:05 UTC" */
void mwg_utc(time_t t, char out[32]);
/* A compact JSON event appended under acct:<a>/<metric>. obj is
 * consumed. */
void mwg_append_json(mw_guard *g, const char *acct, const char *metric,
		     time_t t, void *obj);
/* Everything about one send limit, in one place (guard.c). */
typedef struct mwg_limit_info {
	const char *id;	     /* "msgs_per_hour": `account limit`'s NAME */
	const char *setting; /* "limit.msgs_per_hour": its override */
	const char *name;    /* "messages per hour": replies, notices */
	const char *name_ja; /* the same in Japanese */
	const char *metric;  /* the counter under acct:<a>/ */
	time_t window;	     /* the counter's window */
} mwg_limit_info;
extern const mwg_limit_info mwg_limits[MWG_LIMITS];
/* The configured default of limit l. */
int64_t mwg_limit_default(const struct mw_config *cfg, mwg_limit l);

/* -- guard_cache.c ---------------------------------------------------- */

/* Counts a transaction reads once and reuses at its later stages. */
typedef enum mwg_count {
	MWG_COUNT_MSGS_HOUR = 0,
	MWG_COUNT_RCPTS_HOUR,
	MWG_COUNT_RCPTS_DAY,
	MWG_COUNTS
} mwg_count;

mw_status mwg_cache_new(mw_guard *g);
void mwg_cache_free(mw_guard *g);
/* acct's settings: from the cache when read at the same `now` second
 * less than a second ago and no guard write came since, else from the
 * store (one read), then cached. */
mw_status mwg_state_cached(mw_guard *g, const char *acct, time_t now,
			   mwg_state *s);
/* A count cached with the state of acct at now; false when none. */
bool mwg_count_get(mw_guard *g, const char *acct, time_t now, mwg_count c,
		   int64_t *v);
void mwg_count_put(mw_guard *g, const char *acct, time_t now, mwg_count c,
		   int64_t v);
/* The guard changed some account's settings: drop what is cached. */
void mwg_cache_invalidate(mw_guard *g);

/* -- guard_takeover.c ------------------------------------------------- */

/* Read all the score's counts for acct at now (at a login); false when
 * the store failed. */
bool mwg_score_read(mw_guard *g, const char *acct, const mwg_state *s,
		    time_t now, mw_guard_score_input *in);
/* Keep the login side of in as setting score_login. */
void mwg_score_keep_login(mw_guard *g, const char *acct,
			  const mw_guard_score_input *in, time_t now);
/* The score's counts at end of message: the login side from the state,
 * msgs and rcpts given, own bounces read only when the shield saw
 * some. */
void mwg_score_at_eom(mw_guard *g, const char *acct, const mwg_state *s,
		      time_t now, int64_t msgs, int64_t rcpts,
		      mw_guard_score_input *in);
/* Score in and suspend acct at or over the threshold; true when it is
 * suspended now (by this call or before). */
bool mwg_score_and_act(mw_guard *g, const char *acct, const mwg_state *s,
		       const mw_guard_score_input *in, time_t now);
/* Suspend with reason; notices to the user and admins. */
void mwg_suspend(mw_guard *g, const char *acct, const mwg_state *s,
		 const char *reason, const mw_guard_score *sc, time_t now);

/* -- guard_limits.c --------------------------------------------------- */

/* When does key's sum over window (bucket width from the store's rule)
 * fall to below `below`? now + window + width at worst. */
time_t mwg_limit_lifts(mw_guard *g, const char *key, time_t window, time_t now,
		       int64_t below);
/* The limit was reached: apply send_limit_action once per crossing. */
void mwg_limit_crossed(mw_guard *g, const char *acct, const mwg_state *s,
		       mwg_limit l, int64_t count, time_t lifts, time_t now);
/* Fill v with the 451 for limit l. */
mw_status mwg_limit_reply(mw_verdict *v, mwg_limit l, int64_t limit,
			  int64_t count, time_t lifts);

/* -- guard_submit.c: replies ------------------------------------------ */

mw_status mwg_reply(mw_verdict *v, mw_verdict_kind kind, const char *code,
		    const char *xcode, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* -- guard_notify.c --------------------------------------------------- */

/* A notice to queue. to "" means the user (notify_address, or the
 * login); the sender resolves it. */
typedef struct mwg_notice {
	mw_notice_kind kind;
	time_t now;
	char account[MW_ADDRESS_MAX + 1];
	char to[MW_ADDRESS_MAX + 1];
	int admin_copy;
	int score;
	int threshold;
	char signals[MW_GUARD_SIGNALS_MAX][MW_GUARD_SIGNAL_LEN];
	size_t nsignals;
	char what_new[32];
	char limit_name[48];
	int64_t limit_value;
	int64_t limit_count;
	time_t limit_lifts;
	char limit_action[32];
	char unlocked_by[128];
	/* the sender's bookkeeping */
	unsigned attempts;
	time_t not_before;
	struct mwg_notice *next;
} mwg_notice;

mw_status mwg_notifier_start(mw_guard *g);
void mwg_notifier_stop(mw_guard *g);
/* Queue n for the user and, when admins is set, a copy for each
 * admin_notify address. Never blocks; a full queue drops and logs. */
void mwg_notify(mw_guard *g, const mwg_notice *n, bool admins);

#endif
