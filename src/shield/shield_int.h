/*
 * shield_int.h - what the shield's files share. Not for callers: they use
 * shield.h.
 *
 * Contract: the shield is one read-only struct after mw_shield_new(),
 * but for the tick's bookkeeping; everything else that changes lives in
 * the store, so the stage functions may run on several threads at once.
 * mw_shield_tick() does its round (closing quiet floods, sending due
 * digests) on a thread of its own and returns at once: the daemon calls
 * it on the event loop, and a digest goes through the local Postfix,
 * which asks this very milter about it, so a round run on the loop would
 * wait for itself. mw_shield_tick() and mw_shield_free() are called from
 * one thread (the daemon's loop); a tick while a round still runs does
 * nothing, and mw_shield_free() waits for the round.
 *
 * The store keys the shield uses (docs/shield.md lists them for admins):
 *   addr:<a>                 setting "state" (addr_state.h)
 *   rcpt:<a>/backscatter     counter: refused backscatter to <a>
 *   rcpt:<a>/reporters       distinct: servers that sent it
 *   rcpt:<a>/bs_sample       events: the latest refusals' servers
 *   rcpt:<a>/own_bounce      counter: bounces of <a>'s own mail
 *   rcpt:<a>                 events: flood and flood_end; settings
 *                            flood_since, flood_open, digest_due,
 *                            digest_sent
 *   acct:<a>                 events: own_bounces; setting own_bounce_alert
 */
#ifndef MW_SHIELD_SHIELD_INT_H
#define MW_SHIELD_SHIELD_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "batv/batv.h"
#include "daemon/config.h"
#include "lib/limits.h"
#include "shield/shield.h"
#include "store/store.h"

/* Names used as store metrics and settings. */
#define MWS_NS_RCPT "rcpt"
#define MWS_NS_ACCT "acct"
#define MWS_M_BACKSCATTER "backscatter"
#define MWS_M_REPORTERS "reporters"
#define MWS_M_SAMPLE "bs_sample"
#define MWS_M_OWN_BOUNCE "own_bounce"
#define MWS_S_FLOOD_SINCE "flood_since"
#define MWS_S_FLOOD_OPEN "flood_open"
#define MWS_S_DIGEST_DUE "digest_due"
#define MWS_S_DIGEST_SENT "digest_sent"
#define MWS_S_OWN_ALERT "own_bounce_alert"

/* The window of the own-bounce count, and of the digest's count. */
#define MWS_HOUR 3600
#define MWS_DAY 86400

/* The header that labels a suspected bounce in tag mode. */
#define MWS_HEADER_BACKSCATTER "X-Mailwarden-Backscatter"
/* The header our digests carry, for users' Sieve rules. */
#define MWS_HEADER_DIGEST "X-Mailwarden-Digest"

struct mw_shield {
	const mw_config *cfg;
	mw_store *store;
	const mw_batv_ring *keys; /* NULL: no key file */
	char host[256];		  /* our name: EHLO and Message-IDs */
	unsigned smtp_timeout_ms;
	/* the tick's round */
	pthread_t tick_thread;
	bool tick_started;     /* tick_thread is to be joined */
	atomic_bool tick_busy; /* the round has not finished */
	atomic_bool stopping;  /* mw_shield_free() is waiting */
	time_t tick_now;
	/* Serialises the read-then-write of flood_open and
	 * own_bounce_alert, so that two threads crossing a threshold at
	 * the same moment record one event, not two. */
	pthread_mutex_t lock;
};

typedef char mws_key[MW_STORE_KEY_MAX + 1];

/* -- shield.c: small helpers ------------------------------------------ */

/* "", MAILER-DAEMON or postmaster (any case, any domain or none). */
bool mws_is_bounce_sender(const char *sender);
bool mws_is_local(const mw_shield *sh, const char *address);
/* The key "ns:id[/metric]"; false (after a debug line) when id cannot
 * be a key. */
bool mws_key_of(mws_key out, const char *ns, const char *id,
		const char *metric);
/* The recipient without its BATV tag, in the arena; itself when it has
 * none (or a malformed one); NULL when the arena refuses. */
const char *mws_untagged(mw_arena *a, const char *address);

/* Fill v with a reply. text is printf-like; the result is cut to what
 * an SMTP reply line takes and any byte outside printable ASCII becomes
 * '?'. Returns MW_ENOMEM when the arena refuses. */
mw_status mws_reply(mw_verdict *v, mw_verdict_kind kind, const char *code,
		    const char *xcode, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* An address as it may be shown in a reply: at most
 * MW_SHIELD_REPLY_ADDR_MAX bytes, "..." when cut (arena). */
const char *mws_reply_addr(mw_verdict *v, const char *address);
/* The store (or memory) failed at `what`: answer per
 * milter_failure_action. At MAIL and RCPT "accept" is CONTINUE, at end of
 * message ACCEPT (keeping the modifications already made). */
mw_status mws_fail_action(const mw_shield *sh, mw_verdict *v, mw_status rc,
			  const char *what, bool eom);
/* Append a header to the verdict (arena). */
mw_status mws_add_header(mw_verdict *v, const char *name, const char *value);
/* The reporting server of a refused bounce: the client's name, or its
 * address when Postfix had none ("unknown"), or "unknown". */
const char *mws_reporter(const mw_msg_facts *f, char buf[MW_IP_TEXT_MAX]);

/* -- shield_eom.c ----------------------------------------------------- */

mw_status mws_eom_outbound(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v);
mw_status mws_eom_inbound(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v);

/* -- shield_proof.c --------------------------------------------------- */

typedef enum mws_proof {
	MWS_PROOF_NONE = 0,
	MWS_PROOF_SENT_LOG,    /* the original's Message-ID was sent here */
	MWS_PROOF_RETURN_PATH, /* the original's Return-Path is our tag */
	MWS_PROOF_RECEIVED,    /* the original passed one of our hosts */
} mws_proof;

/* "none", "sent-log", "batv-return-path", "received-chain". */
const char *mws_proof_name(mws_proof p);

/* Does the buffered message prove that the original left through us?
 * *proof says how; MWS_PROOF_NONE for no content or no original. The
 * status is the store's when the sent log could not be read (and no
 * other proof was found); MW_ENOMEM when analysis ran out of memory. */
mw_status mws_prove(mw_shield *sh, const mw_msg_facts *f, mws_proof *proof);

/* -- shield_flood.c --------------------------------------------------- */

/* One refused backscatter bounce to rcpt (bare, untagged): count it,
 * remember its server, and open a flood when the window reaches
 * flood_threshold. Store trouble is logged, never returned: the
 * refusal stands either way. */
void mws_count_backscatter(mw_shield *sh, const mw_msg_facts *f,
			   const char *rcpt);
/* One accepted bounce of rcpt's own mail: count it and, over
 * own_bounce_threshold in an hour, record an own_bounces event (at most
 * one an hour). */
void mws_count_own_bounce(mw_shield *sh, const char *rcpt, time_t now);
/* Close the floods whose window has gone quiet (flood_end events). */
void mws_close_quiet_floods(mw_shield *sh, time_t now);

/* -- shield_tick.c ---------------------------------------------------- */

/* Wait until the round that the last mw_shield_tick() started is over
 * (for mw_shield_free() and for tests). */
void mws_tick_wait(mw_shield *sh);

/* Send the digests that are due; stops at the first SMTP connection
 * failure (the next tick retries) and when sh->stopping is set. */
void mws_send_due_digests(mw_shield *sh, time_t now);

#endif
