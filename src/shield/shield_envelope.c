/*
 * shield_envelope.c - the decisions that the envelope alone allows, at
 * MAIL and at RCPT: address states, BATV tags on recipients, and one
 * recipient per null-sender message.
 *
 * Everything refused here is refused before DATA, so a flood costs the
 * sending server one round trip per bounce and us one store read.
 */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "shield/addr_state.h"
#include "shield/shield_int.h"

/* The state of a local address; MW_OK and active for one that cannot be
 * a store key (it cannot have a state). */
static mw_status state_of(mw_shield *sh, const char *address, mw_addr_state *st)
{
	mw_status rc = mw_addr_state_get(sh->store, address, st);
	if (rc == MW_EINVAL) {
		*st = MW_ADDR_ACTIVE;
		return MW_OK;
	}
	return rc;
}

static const char *reason_of(mw_verdict *v, const char *fmt, const char *arg)
{
	char buf[128];
	snprintf(buf, sizeof buf, fmt, arg);
	const char *r = mw_arena_strdup(&v->arena, buf);
	return r ? r : "refused";
}

mw_status mw_shield_mail(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v)
{
	if (!f->outbound || !f->sender || !f->sender[0])
		return MW_OK;
	const char *from = mws_untagged(&v->arena, f->sender);
	if (!from)
		return MW_ENOMEM;
	if (!mws_is_local(sh, from))
		return MW_OK;
	mw_addr_state st;
	mw_status rc = state_of(sh, from, &st);
	if (rc)
		return mws_fail_action(sh, v, rc, "MAIL (address state)",
				       false);
	if (st == MW_ADDR_RECEIVE_ONLY)
		return mws_reply(v, MW_VERDICT_REJECT, "550", "5.7.1",
				 "receive-only sender",
				 "%s is a receive-only address: it does not "
				 "send mail",
				 mws_reply_addr(v, from));
	if (st == MW_ADDR_RETIRED)
		return mws_reply(v, MW_VERDICT_REJECT, "550", "5.7.1",
				 "retired sender",
				 "%s is a retired address: it does not send "
				 "mail",
				 mws_reply_addr(v, from));
	return MW_OK;
}

/* What a failed verification says in a reply. */
static const char *tag_problem(mw_batv_result r)
{
	switch (r) {
	case MW_BATV_BAD_HASH:
		return "is forged (its signature does not match)";
	case MW_BATV_EXPIRED:
		return "has expired";
	case MW_BATV_UNKNOWN_KEY:
		return "was signed with a key not in use here";
	case MW_BATV_MALFORMED:
		return "is malformed";
	default:
		return "is not valid";
	}
}

static mw_batv_result verify_tag(const mw_shield *sh, const char *rcpt,
				 time_t now)
{
	if (!sh->keys) {
		mw_batv_tag tag;
		return mw_batv_parse(mw_str_from_cstr(rcpt), &tag) ==
			       MW_BATV_TAGGED
			   ? MW_BATV_UNKNOWN_KEY
			   : MW_BATV_MALFORMED;
	}
	return mw_batv_verify(sh->keys, mw_str_from_cstr(rcpt), now, NULL);
}

/* A recipient that starts with "prvs=". Valid: nothing to say now (end
 * of message swaps it for the bare address). Otherwise, in enforce mode,
 * 550 5.7.1; in tag mode it passes and end of message labels it. */
static mw_status rcpt_tagged(mw_shield *sh, const mw_msg_facts *f,
			     const char *rcpt, const char *bare, bool bounce,
			     mw_verdict *v)
{
	mw_batv_result r = verify_tag(sh, rcpt, f->now);
	if (r == MW_BATV_VALID) {
		v->reason = "valid BATV tag";
		return MW_OK;
	}
	if (sh->cfg->batv_mode != MW_CFG_BATV_ENFORCE)
		return MW_OK;
	if (bounce && bare != rcpt)
		mws_count_backscatter(sh, f, bare);
	const char *reason =
	    reason_of(v, "bad BATV tag (%s)", mw_batv_result_str(r));
	const char *shown = mws_reply_addr(v, rcpt);
	if (bounce)
		return mws_reply(v, MW_VERDICT_REJECT, "550", "5.7.1", reason,
				 "Backscatter: the BATV tag of %s %s, so this "
				 "bounce is not for mail sent from here",
				 shown, tag_problem(r));
	return mws_reply(v, MW_VERDICT_REJECT, "550", "5.7.1", reason,
			 "The BATV tag of %s %s", shown, tag_problem(r));
}

mw_status mw_shield_rcpt(mw_shield *sh, const mw_msg_facts *f, const char *rcpt,
			 mw_verdict *v)
{
	if (!rcpt || !rcpt[0])
		return MW_OK;
	mw_batv_tag tag;
	mw_batv_form form = mw_batv_parse(mw_str_from_cstr(rcpt), &tag);
	const char *bare = rcpt;
	if (form == MW_BATV_TAGGED) {
		bare = mw_arena_strndup(&v->arena, tag.inner.p, tag.inner.n);
		if (!bare)
			return MW_ENOMEM;
	}
	if (!mws_is_local(sh, bare))
		return MW_OK;

	mw_addr_state st;
	mw_status rc = state_of(sh, bare, &st);
	if (rc)
		return mws_fail_action(sh, v, rc, "RCPT (address state)",
				       false);
	bool bounce = !f->outbound && mws_is_bounce_sender(f->sender);
	if (st == MW_ADDR_RETIRED) {
		if (bounce)
			mws_count_backscatter(sh, f, bare);
		return mws_reply(v, MW_VERDICT_REJECT, "550", "5.1.1",
				 "retired address",
				 "%s: this address is retired and receives no "
				 "mail",
				 mws_reply_addr(v, bare));
	}
	if (f->outbound || sh->cfg->batv_mode == MW_CFG_BATV_OFF)
		return MW_OK;

	bool null_sender = !f->sender || !f->sender[0];
	if (null_sender && f->nrcpts >= 1)
		return mws_reply(v, MW_VERDICT_TEMPFAIL, "452", "4.5.3",
				 "one recipient per bounce",
				 "One recipient per bounce: send the bounce "
				 "for this recipient separately");
	if (form != MW_BATV_UNTAGGED)
		return rcpt_tagged(sh, f, rcpt, bare, bounce, v);
	if (bounce && st == MW_ADDR_RECEIVE_ONLY &&
	    sh->cfg->batv_mode == MW_CFG_BATV_ENFORCE) {
		mws_count_backscatter(sh, f, bare);
		return mws_reply(v, MW_VERDICT_REJECT, "550", "5.7.1",
				 "bounce to receive-only address",
				 "Backscatter: %s is receive-only and never "
				 "sends mail, so this bounce is not for mail "
				 "sent from here",
				 mws_reply_addr(v, bare));
	}
	return MW_OK;
}
