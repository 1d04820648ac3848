/*
 * guard.h - the account guard: who logs in from where, how much an
 * account sends, and whether its password has been stolen.
 *
 * Contract: the guard is asked about two kinds of event and answers each
 * from the store (src/store/store.h), never from the network:
 *
 *   logins   Dovecot's auth-policy requests (guard/login.h), through
 *            mw_guard_login_decide(), from any number of HTTP threads at
 *            once. ALLOW is answered with a delay or a refusal for brute
 *            force (distinct wrong passwords per address, per account and
 *            per account and address, in bruteforce_window) and for a
 *            country fence; REPORT is recorded in the account's history,
 *            teaches the account's "seen" sets (countries, networks,
 *            devices, addresses), may queue a login alert, may lift a
 *            suspension after a password change, and scores the account.
 *   sending  the milter's stages for an outbound session with a SASL
 *            login (f->auth_authen), on the event loop's thread. MAIL
 *            refuses a suspended account (550 5.7.1), a fenced-off
 *            country (550 5.7.1), a blocked account and an account over
 *            its messages per hour (451 4.7.1); RCPT refuses a recipient
 *            over the recipients per hour or per day (451 4.7.1, the text
 *            names the limit, the count and when it lifts, in UTC); EOM
 *            counts the message, records it in the history and scores the
 *            account, refusing the message that crosses the takeover
 *            threshold (550 5.7.1).
 *
 * The score (guard_score.h, docs/guard.md) is a pure function of counts
 * read from the store. At or over takeover_threshold the account's
 * sending is suspended (settings suspended, suspended_at, suspended_by,
 * suspended_score, suspended_pwhash), its IMAP and POP logins stay
 * allowed, and one SUSPENDED notice goes to the user (notify_address, or
 * the login) and one to each admin_notify address.
 *
 * Notices are queued in memory (bounded: MW_GUARD_NOTICE_QUEUE_MAX) and
 * sent by the guard's own sender thread through digest_smtp, never on
 * the message path; each sent or failed notice is recorded under
 * acct:<a>/alerts. mw_guard_free() stops that thread and waits at most
 * about a second for a send in progress, then abandons it (logged).
 *
 * The store never blocks a decision: a read that fails makes the milter
 * stages answer CONTINUE and the login decision answer allow (status 0),
 * each with a log line. Lossy writes that are dropped only make windows
 * count low.
 */
#ifndef MW_GUARD_GUARD_H
#define MW_GUARD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "guard/login.h"
#include "guard/notice.h"
#include "lib/net.h"
#include "lib/status.h"
#include "policy/verdict.h"

typedef struct mw_guard mw_guard;
typedef struct mw_geo mw_geo; /* guard/geo.h */
struct mw_config;
struct mw_store;

/* Where an address is, as the guard uses it. */
typedef struct mw_guard_place {
	char country[3];   /* "JP"; "" unknown */
	uint32_t asn;	   /* 0 unknown */
	char asn_org[128]; /* "" unknown */
} mw_guard_place;

/* cfg, st and geo (may be NULL: every country and network unknown) must
 * outlive the guard. Starts the notice sender thread. */
mw_status mw_guard_new(const struct mw_config *cfg, struct mw_store *st,
		       const mw_geo *geo, mw_guard **out);
/* Stop the sender (abandoning a send that takes more than a second) and
 * free. Notices still queued are logged and dropped. NULL is ignored. */
void mw_guard_free(mw_guard *g);

/* An mw_login_decide_fn: arg is the mw_guard. Thread-safe. */
void mw_guard_login_decide(void *guard, const mw_login_event *ev,
			   mw_login_answer *ans);

/* The milter stages, for outbound sessions with f->auth_authen set;
 * other sessions get CONTINUE without a store read. rcpt is the
 * recipient being added (bare), not yet in f->rcpts. */
mw_status mw_guard_mail(mw_guard *g, const mw_msg_facts *f, mw_verdict *v);
mw_status mw_guard_rcpt(mw_guard *g, const mw_msg_facts *f, const char *rcpt,
			mw_verdict *v);
mw_status mw_guard_eom(mw_guard *g, const mw_msg_facts *f, mw_verdict *v);

/* About once a minute, off the loop: queues the notices asked for from
 * outside the daemon (an unlock by `mailwarden account unlock`) and
 * wakes the sender to retry deferred ones. Never blocks on SMTP. */
void mw_guard_tick(mw_guard *g, time_t now);

/* -- seams for tests and benchmarks ------------------------------------ */

/* Where an address is. The default asks the geo handle given to
 * mw_guard_new(). */
typedef void (*mw_guard_geo_fn)(void *arg, const mw_ip *ip,
				mw_guard_place *out);
void mw_guard_set_geo(mw_guard *g, mw_guard_geo_fn fn, void *arg);

/* How a composed notice leaves. The default is mw_smtp_send() to
 * digest_smtp. Called on the sender thread; MW_EIO means "retry later",
 * MW_EINVAL "refused for good". facts is the notice as composed. */
typedef mw_status (*mw_guard_transport_fn)(void *arg, const char *from,
					   const char *rcpt,
					   const mw_notice_facts *facts,
					   const char *msg, size_t len);
void mw_guard_set_transport(mw_guard *g, mw_guard_transport_fn fn, void *arg);

/* Wait until the notice queue is empty and the sender idle, up to
 * timeout_ms; false on timeout. For tests and for a clean shutdown. */
bool mw_guard_notices_drain(mw_guard *g, unsigned timeout_ms);

#endif
