/*
 * shield_proof.c - does a bounce prove that its original left through us?
 *
 * Three proofs, the cheap ones first (they need no store):
 *   - the original's Return-Path carries our valid BATV tag: only we can
 *     make one, so the original was ours and was sent within the tag's
 *     validity;
 *   - one of the original's Received: hops names one of our_hostnames as
 *     the receiving or the sending host: it passed our relay;
 *   - the original's Message-ID is in the sent log (servers that bounce
 *     to the header From, ignoring the envelope, are covered by this).
 * A spammer forging our user's address sends from elsewhere, with no tag
 * and a Message-ID we never logged, so none of these holds for the
 * bounces of his mail.
 *
 * Null-sender mail that is not a delivery report (read receipts, RFC
 * 8098) names its original in an Original-Message-ID: field of its report
 * part, and auto-replies in In-Reply-To:; both are looked up in the sent
 * log too when the analyser found no original.
 */
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "mail/bounce.h"
#include "mail/header.h"
#include "shield/shield_int.h"

const char *mws_proof_name(mws_proof p)
{
	switch (p) {
	case MWS_PROOF_SENT_LOG:
		return "sent-log";
	case MWS_PROOF_RETURN_PATH:
		return "batv-return-path";
	case MWS_PROOF_RECEIVED:
		return "received-chain";
	default:
		return "none";
	}
}

static bool return_path_is_ours(const mw_shield *sh, const char *rp, time_t now)
{
	if (!rp || !rp[0] || !sh->keys)
		return false;
	return mw_batv_verify(sh->keys, mw_str_from_cstr(rp), now, NULL) ==
	       MW_BATV_VALID;
}

static bool our_host(const mw_shield *sh, const char *host)
{
	return host && host[0] &&
	       mw_config_is_our_hostname(sh->cfg, mw_str_from_cstr(host));
}

static bool passed_our_host(const mw_shield *sh, const mw_bounce_original *o)
{
	for (size_t i = 0; i < o->nreceived; i++) {
		const mw_received *h = &o->received[i];
		if (our_host(sh, h->by_host) || our_host(sh, h->from_host))
			return true;
	}
	return false;
}

/* The value of the first "Original-Message-ID:" line in the first
 * MW_BOUNCE_TEXT_MAX bytes of the message, as a msg-id. */
static const char *mdn_original_id(mw_arena *a, const char *msg, size_t len)
{
	static const char field[] = "original-message-id:";
	mw_str hay = mw_str_make(
	    msg, len < MW_BOUNCE_TEXT_MAX ? len : MW_BOUNCE_TEXT_MAX);
	size_t from = 0;
	while (from < hay.n) {
		long at = mw_str_ifind(mw_str_make(hay.p + from, hay.n - from),
				       field);
		if (at < 0)
			return NULL;
		size_t start = from + (size_t)at;
		from = start + sizeof field - 1;
		if (start > 0 && hay.p[start - 1] != '\n' &&
		    hay.p[start - 1] != '\r')
			continue; /* not at the start of a line */
		size_t end = from;
		while (end < hay.n && hay.p[end] != '\n' && hay.p[end] != '\r')
			end++;
		return mw_header_msgid(a, hay.p + from, end - from);
	}
	return NULL;
}

static const char *in_reply_to(mw_arena *a, const char *msg, size_t len)
{
	mw_headers h;
	if (mw_headers_parse(a, msg, len, &h) == MW_ENOMEM)
		return NULL;
	const mw_header_field *irt = mw_headers_find(&h, "In-Reply-To");
	return irt ? mw_header_msgid(a, irt->value, irt->value_len) : NULL;
}

static mw_status in_sent_log(mw_shield *sh, const char *mid, time_t now,
			     bool *found)
{
	*found = false;
	if (!mid || !mid[0])
		return MW_OK;
	mw_store_sent sent;
	mw_status rc = mw_store_sent_lookup(sh->store, mid, now, &sent, found);
	if (rc == MW_EINVAL) { /* spaces or too long: never logged */
		*found = false;
		return MW_OK;
	}
	return rc;
}

static mw_status prove_analysed(mw_shield *sh, const mw_msg_facts *f,
				mw_arena *a, const mw_bounce *b,
				mws_proof *proof)
{
	const mw_bounce_original *o = &b->original;
	if (return_path_is_ours(sh, o->return_path, f->now)) {
		*proof = MWS_PROOF_RETURN_PATH;
		return MW_OK;
	}
	if (passed_our_host(sh, o)) {
		*proof = MWS_PROOF_RECEIVED;
		return MW_OK;
	}
	const char *mid = o->message_id;
	if (!mid)
		mid = mdn_original_id(a, f->msg, f->msg_len);
	if (!mid)
		mid = in_reply_to(a, f->msg, f->msg_len);
	bool found = false;
	mw_status rc = in_sent_log(sh, mid, f->now, &found);
	if (found)
		*proof = MWS_PROOF_SENT_LOG;
	return rc;
}

mw_status mws_prove(mw_shield *sh, const mw_msg_facts *f, mws_proof *proof)
{
	*proof = MWS_PROOF_NONE;
	if (!f->msg || !f->msg_len)
		return MW_OK;
	mw_arena a;
	mw_arena_init(&a, MW_PARSE_MEMORY_MAX);
	mw_bounce b;
	mw_status rc = mw_bounce_analyse(&a, f->msg, f->msg_len, &b);
	if (rc == MW_ENOMEM) {
		mw_arena_free(&a);
		return rc;
	}
	rc = prove_analysed(sh, f, &a, &b, proof);
	mw_arena_free(&a);
	return rc;
}
