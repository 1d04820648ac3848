/*
 * shield_tick.c - the tick's round, on a thread of its own: quiet
 * floods are closed and the daily digests sent, off the message path.
 *
 * A flood marks its user's digest as due (digest_due). Each tick sends
 * the due ones whose user has had no digest for 24 hours (digest_sent)
 * and still had refused backscatter in the last 24 hours; a retired
 * address gets none (its mail is refused anyway). The count is the
 * refusals of the last 24 hours when the digest leaves.
 *
 * The digest is a null-sender message to a local user, which is exactly
 * what the shield refuses from strangers. It comes back through
 * digest_smtp, by default the local Postfix on 127.0.0.1, which
 * trusted_networks makes an outbound client, so the shield does not
 * judge it at all. Should the path be inbound (digest_smtp pointing at
 * the MX of another host, loopback removed from trusted_networks), its
 * Message-ID, logged in the sent log with the null sender before it
 * leaves, proves it ours at end of message (shield_eom.c). A
 * receive-only address refuses bounces at RCPT, before any Message-ID is
 * seen: for it, the digest needs the trusted path (docs/shield.md).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "shield/addr_state.h"
#include "shield/digest.h"
#include "shield/shield_int.h"
#include "shield/smtp_client.h"

typedef enum sent_outcome {
	DIGEST_SENT,
	DIGEST_SKIPPED, /* nothing to say, or not now */
	DIGEST_REFUSED, /* the server refused it for good */
	DIGEST_RETRY,	/* try again at the next tick */
} sent_outcome;

static time_t setting_time(mw_shield *sh, const char *key, const char *name,
			   bool *found)
{
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	*found = false;
	time_t t = 0;
	if (mw_store_setting_get(sh->store, key, name, &b, found) == MW_OK &&
	    *found)
		t = (time_t)strtoll(mw_buf_cstr(&b), NULL, 10);
	mw_buf_free(&b);
	return t;
}

static void setting_time_set(mw_shield *sh, const char *key, const char *name,
			     time_t t)
{
	char v[32];
	snprintf(v, sizeof v, "%lld", (long long)t);
	mw_status rc = mw_store_setting_set(sh->store, key, name, v, t);
	if (rc)
		mw_warn("shield: %s %s: %s", key, name, mw_status_str(rc));
}

static void not_due(mw_shield *sh, const char *key, time_t now)
{
	(void)mw_store_setting_del(sh->store, key, MWS_S_DIGEST_DUE, now);
}

/* The From: of a digest: digest_from, or postmaster@ the user's domain. */
static const char *digest_from(const mw_shield *sh, const char *rcpt, char *buf,
			       size_t bufsz)
{
	if (sh->cfg->digest_from && sh->cfg->digest_from[0])
		return sh->cfg->digest_from;
	const char *at = strrchr(rcpt, '@');
	snprintf(buf, bufsz, "postmaster@%s", at ? at + 1 : sh->host);
	return buf;
}

static time_t latest_refusal(mw_shield *sh, const char *rcpt, time_t now)
{
	mws_key k;
	if (!mws_key_of(k, MWS_NS_RCPT, rcpt, MWS_M_SAMPLE))
		return 0;
	mw_store_list l;
	mw_store_list_init(&l);
	time_t t = 0;
	if (mw_store_event_read(sh->store, k, now, 0, 1, &l) == MW_OK && l.n)
		t = l.items[0].t;
	mw_store_list_free(&l);
	return t;
}

/* What the digest of rcpt says, or false when there is nothing to say. */
static bool digest_facts(mw_shield *sh, const char *rcpt, const char *key,
			 time_t now, mw_digest *d)
{
	mws_key count, reporters;
	if (!mws_key_of(count, MWS_NS_RCPT, rcpt, MWS_M_BACKSCATTER) ||
	    !mws_key_of(reporters, MWS_NS_RCPT, rcpt, MWS_M_REPORTERS))
		return false;
	int64_t refused = 0;
	if (mw_store_counter_sum(sh->store, count, MWS_DAY, now, &refused) ||
	    refused <= 0)
		return false;
	uint64_t servers = 0;
	(void)mw_store_distinct_count(sh->store, reporters, MWS_DAY, now,
				      &servers);
	bool found;
	time_t since = setting_time(sh, key, MWS_S_FLOOD_SINCE, &found);
	d->rcpt = rcpt;
	d->refused = refused;
	d->servers = servers;
	d->first = found ? since : 0;
	d->last = latest_refusal(sh, rcpt, now);
	d->now = now;
	d->admin = sh->cfg->admin_notify.n ? sh->cfg->admin_notify.v[0] : NULL;
	return true;
}

static sent_outcome deliver(mw_shield *sh, const mw_digest *d,
			    const mw_buf *msg)
{
	const mw_cfg_endpoint *ep = &sh->cfg->digest_smtp;
	if (ep->kind != MW_CFG_ENDPOINT_INET || !ep->host) {
		mw_warn("shield: digest_smtp is not HOST:PORT; no digest sent");
		return DIGEST_RETRY;
	}
	/* Logged first, so that the digest is known as ours should it come
	 * back in through a port the shield judges. */
	mw_status rc =
	    mw_store_sent_record(sh->store, d->message_id, "", d->now);
	if (rc)
		mw_warn("shield: digest Message-ID not logged: %s",
			mw_status_str(rc));
	mw_smtp_request rq = {.host = ep->host,
			      .port = ep->port,
			      .helo = sh->host,
			      .mail_from = "",
			      .rcpt = d->rcpt,
			      .msg = msg->data,
			      .len = msg->len,
			      .timeout_ms = sh->smtp_timeout_ms};
	mw_smtp_result res;
	rc = mw_smtp_send(&rq, &res);
	if (rc == MW_OK) {
		mw_info("shield: digest to %s: %" PRId64
			" forged bounces refused in 24 h",
			d->rcpt, d->refused);
		return DIGEST_SENT;
	}
	mw_warn("shield: digest to %s not sent: %s", d->rcpt, res.text);
	return rc == MW_EINVAL ? DIGEST_REFUSED : DIGEST_RETRY;
}

static sent_outcome send_one(mw_shield *sh, const char *key, time_t now)
{
	const char *rcpt = key + sizeof MWS_NS_RCPT; /* after "rcpt:" */
	bool sent_before;
	time_t last = setting_time(sh, key, MWS_S_DIGEST_SENT, &sent_before);
	if (sent_before && now - last < MWS_DAY)
		return DIGEST_SKIPPED; /* stays due until a day has passed */
	mw_addr_state st = MW_ADDR_ACTIVE;
	mw_digest d = {0};
	if (mw_addr_state_get(sh->store, rcpt, &st) == MW_OK &&
	    st == MW_ADDR_RETIRED) {
		not_due(sh, key, now);
		return DIGEST_SKIPPED;
	}
	if (!digest_facts(sh, rcpt, key, now, &d)) {
		not_due(sh, key, now);
		return DIGEST_SKIPPED;
	}
	char from[MW_ADDRESS_MAX + 16], mid[512];
	d.from = digest_from(sh, rcpt, from, sizeof from);
	if (mw_digest_message_id(sh->host, mid, sizeof mid) != MW_OK)
		return DIGEST_RETRY;
	d.message_id = mid;
	mw_buf msg;
	mw_buf_init(&msg, MW_DIGEST_MAX);
	sent_outcome out;
	if (mw_digest_compose(&d, &msg) != MW_OK) {
		mw_warn("shield: no digest can be written for %s", rcpt);
		out = DIGEST_REFUSED;
	} else {
		out = deliver(sh, &d, &msg);
	}
	mw_buf_free(&msg);
	if (out == DIGEST_SENT || out == DIGEST_REFUSED) {
		/* A refused digest is not retried every minute: tomorrow. */
		setting_time_set(sh, key, MWS_S_DIGEST_SENT, now);
		not_due(sh, key, now);
	}
	return out;
}

void mws_send_due_digests(mw_shield *sh, time_t now)
{
	mw_store_list l;
	mw_store_list_init(&l);
	if (mw_store_setting_keys_with(sh->store, MWS_NS_RCPT ":",
				       MWS_S_DIGEST_DUE, MW_SHIELD_TICK_KEYS,
				       &l) == MW_OK) {
		for (size_t i = 0; i < l.n && !atomic_load(&sh->stopping); i++)
			if (send_one(sh, l.items[i].key, now) == DIGEST_RETRY)
				break; /* the server is away: next tick */
	}
	mw_store_list_free(&l);
}

/* -- the round, on its own thread ------------------------------------- */

static void tick_round(mw_shield *sh, time_t now)
{
	mws_close_quiet_floods(sh, now);
	if (sh->cfg->digest && !atomic_load(&sh->stopping))
		mws_send_due_digests(sh, now);
}

static void *tick_main(void *arg)
{
	mw_shield *sh = arg;
	tick_round(sh, sh->tick_now);
	atomic_store(&sh->tick_busy, false);
	return NULL;
}

void mws_tick_wait(mw_shield *sh)
{
	if (!sh->tick_started)
		return;
	pthread_join(sh->tick_thread, NULL);
	sh->tick_started = false;
}

void mw_shield_tick(mw_shield *sh, time_t now)
{
	if (atomic_load(&sh->tick_busy))
		return; /* the last round is still at work */
	mws_tick_wait(sh);
	sh->tick_now = now;
	atomic_store(&sh->tick_busy, true);
	/* Signals stay with the daemon's loop, not with this thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&sh->tick_thread, NULL, tick_main, sh);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0) {
		sh->tick_started = true;
		return;
	}
	mw_warn("shield: no thread for the tick (%s); done in line",
		strerror(rc));
	tick_round(sh, now);
	atomic_store(&sh->tick_busy, false);
}
