/*
 * shield.h - the backscatter shield: what to do with one message, stage by
 * stage, given what the milter session has seen.
 *
 * Contract: the session (src/milter/session.h) gathers the facts of an
 * SMTP transaction into an mw_msg_facts and asks the shield at MAIL, at
 * each RCPT and at end of message; the shield answers with an mw_verdict
 * and never talks the milter protocol itself. It reads and writes state
 * only through the store (src/store/store.h) and reads the configuration
 * it was given; it does no network I/O on the message path (the daily
 * digest is sent from mw_shield_tick(), off that path).
 *
 *   MAIL  outbound mail from a receive-only address is refused.
 *   RCPT  a retired address is refused (550 5.1.1); a BATV-tagged
 *         recipient is verified: valid, it is remembered so that end of
 *         message swaps it for the untagged address; invalid or expired,
 *         550 5.7.1 with a text that says which. A null-sender message
 *         gets only its first recipient (later ones 452 4.5.3, so the
 *         sender retries them one by one).
 *   EOM   outbound: the envelope sender of a local domain gets its BATV
 *         tag (CHGFROM) and the Message-ID goes into the sent log.
 *         inbound bounce (null sender, MAILER-DAEMON@ or postmaster@) to
 *         a local address: a tagged one was decided at RCPT; an untagged
 *         one is judged from its content (mw_bounce_analyse on the
 *         buffered message): accepted when the original's Message-ID is
 *         in the sent log, or its Return-Path carries our valid tag, or
 *         its Received: chain names one of our_hostnames; otherwise, by
 *         batv_mode: enforce 550 5.7.1 naming backscatter, tag an
 *         X-Mailwarden-Backscatter: header, off nothing. Refusals are
 *         counted per recipient for flood detection; accepted bounces of
 *         the user's own mail are counted for the account guard.
 *
 * Everything the shield returns lives in the verdict's arena, which the
 * caller frees after sending the replies. The shield never blocks on the
 * store: when the store is unhealthy it answers per
 * milter_failure_action (accept and log, or 451 4.3.0).
 */
#ifndef MW_SHIELD_SHIELD_H
#define MW_SHIELD_SHIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/net.h"
#include "lib/status.h"
#include "policy/verdict.h"

typedef struct mw_shield mw_shield;
struct mw_config;
struct mw_store;
struct mw_batv_ring;


/* The shield for one configuration; keys may be NULL (BATV off or no key
 * file). cfg, store and keys must outlive it. */
mw_status mw_shield_new(const struct mw_config *cfg, struct mw_store *store,
			const struct mw_batv_ring *keys, mw_shield **out);
void mw_shield_free(mw_shield *sh);

mw_status mw_shield_mail(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v);
/* rcpt: the recipient being added (bare), not yet in f->rcpts. */
mw_status mw_shield_rcpt(mw_shield *sh, const mw_msg_facts *f,
			 const char *rcpt, mw_verdict *v);
/* Should the session buffer header and body (up to bounce_body_max) for
 * mw_shield_eom()? Asked once the envelope is complete (at DATA/EOH). */
bool mw_shield_wants_content(mw_shield *sh, const mw_msg_facts *f);
mw_status mw_shield_eom(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v);

/* Work off the message path, called about once a minute by the daemon:
 * flood events, and the daily digests sent through digest_smtp. */
void mw_shield_tick(mw_shield *sh, time_t now);

#endif
