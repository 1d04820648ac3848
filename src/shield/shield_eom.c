/*
 * shield_eom.c - end of message: tag and log what goes out, judge the
 * bounces that come in.
 *
 * Inbound, the shield keeps nothing between calls: what RCPT decided is
 * decided again here from the recipients the session accepted, which is
 * cheap (an HMAC per tagged recipient) and cannot drift from it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "shield/addr_state.h"
#include "shield/shield_int.h"

/* Our own notices (digests) carry Message-IDs with this prefix; only
 * those are looked up as our own null-sender mail. */
#define OWN_NOTICE_PREFIX "mailwarden."

/* -- outbound --------------------------------------------------------- */

static mw_status tag_sender(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v)
{
	size_t n = strlen(f->sender);
	size_t outsz = n + MW_BATV_TAG_LEN + 1;
	char *out = mw_arena_alloc(&v->arena, outsz);
	if (!out)
		return MW_ENOMEM;
	mw_batv_sign_result r =
	    mw_batv_sign(sh->keys, (unsigned)mw_batv_ring_sign_key(sh->keys),
			 mw_str_make(f->sender, n), f->now, out, outsz);
	if (r != MW_BATV_SIGNED) {
		mw_debug("shield: sender %.200s not tagged: %s", f->sender,
			 mw_batv_sign_result_str(r));
		return MW_OK;
	}
	v->kind = MW_VERDICT_ACCEPT;
	v->reason = "sender tagged";
	v->new_sender = out;
	return MW_OK;
}

static mw_status log_sent(mw_shield *sh, const mw_msg_facts *f,
			  const char *sender, mw_verdict *v)
{
	if (!f->message_id || !f->message_id[0])
		return MW_OK;
	mw_status rc =
	    mw_store_sent_record(sh->store, f->message_id, sender, f->now);
	if (rc == MW_EINVAL && sender[0])
		/* A sender the store cannot take (a quoted local part with
		 * spaces): the Message-ID is what proves a bounce. */
		rc = mw_store_sent_record(sh->store, f->message_id, "", f->now);
	if (rc == MW_EINVAL) {
		mw_debug("shield: Message-ID %.200s not logged: not storable",
			 f->message_id);
		return MW_OK;
	}
	if (rc)
		return mws_fail_action(sh, v, rc, "end of message (sent log)",
				       true);
	return MW_OK;
}

mw_status mws_eom_outbound(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v)
{
	if (!f->sender || !f->sender[0])
		return MW_OK;
	mw_batv_tag tag;
	mw_batv_form form = mw_batv_parse(mw_str_from_cstr(f->sender), &tag);
	const char *bare = f->sender;
	if (form == MW_BATV_TAGGED) {
		bare = mw_arena_strndup(&v->arena, tag.inner.p, tag.inner.n);
		if (!bare)
			return MW_ENOMEM;
	}
	if (form == MW_BATV_UNTAGGED && sh->cfg->batv_mode != MW_CFG_BATV_OFF &&
	    sh->keys && mws_is_local(sh, f->sender)) {
		mw_status rc = tag_sender(sh, f, v);
		if (rc)
			return rc;
	}
	return log_sent(sh, f, bare, v);
}

/* -- inbound ---------------------------------------------------------- */

/* What the recipients say, before any content is read. */
typedef struct plan {
	const char **del, **add; /* tagged recipients to swap */
	size_t nswap;
	const char **owners; /* bare addresses of valid tags */
	size_t nowners;
	const char **open; /* untagged local recipients of a bounce */
	size_t nopen;
	const char *suspect;	/* tag mode: why to label (a bad tag) */
	mw_batv_result refused; /* enforce: a bad tag reached EOM */
	const char *refused_rcpt;
} plan;

static mw_status plan_alloc(mw_verdict *v, size_t n, plan *p)
{
	memset(p, 0, sizeof *p);
	p->refused = MW_BATV_VALID;
	if (!n)
		return MW_OK;
	p->del = mw_arena_calloc(&v->arena, n, sizeof *p->del);
	p->add = mw_arena_calloc(&v->arena, n, sizeof *p->add);
	p->owners = mw_arena_calloc(&v->arena, n, sizeof *p->owners);
	p->open = mw_arena_calloc(&v->arena, n, sizeof *p->open);
	return p->del && p->add && p->owners && p->open ? MW_OK : MW_ENOMEM;
}

static mw_status plan_tagged(mw_shield *sh, const mw_msg_facts *f,
			     const char *r, const mw_batv_tag *tag,
			     mw_verdict *v, plan *p)
{
	const char *bare =
	    mw_arena_strndup(&v->arena, tag->inner.p, tag->inner.n);
	if (!bare)
		return MW_ENOMEM;
	if (!mws_is_local(sh, bare))
		return MW_OK;
	mw_batv_result res =
	    sh->keys
		? mw_batv_verify(sh->keys, mw_str_from_cstr(r), f->now, NULL)
		: MW_BATV_UNKNOWN_KEY;
	if (res != MW_BATV_VALID && sh->cfg->batv_mode == MW_CFG_BATV_ENFORCE) {
		p->refused = res;
		p->refused_rcpt = r;
		return MW_OK;
	}
	if (res == MW_BATV_VALID)
		p->owners[p->nowners++] = bare;
	else if (!p->suspect)
		p->suspect = mw_batv_result_str(res);
	p->del[p->nswap] = r;
	p->add[p->nswap++] = bare;
	return MW_OK;
}

static mw_status plan_rcpts(mw_shield *sh, const mw_msg_facts *f, bool bounce,
			    mw_verdict *v, plan *p)
{
	mw_status rc = plan_alloc(v, f->nrcpts, p);
	for (size_t i = 0; rc == MW_OK && i < f->nrcpts; i++) {
		const char *r = f->rcpts[i];
		if (!r || !r[0])
			continue;
		mw_batv_tag tag;
		switch (mw_batv_parse(mw_str_from_cstr(r), &tag)) {
		case MW_BATV_TAGGED:
			rc = plan_tagged(sh, f, r, &tag, v, p);
			break;
		case MW_BATV_FORM_MALFORMED:
			if (!mws_is_local(sh, r))
				break;
			if (sh->cfg->batv_mode == MW_CFG_BATV_ENFORCE) {
				p->refused = MW_BATV_MALFORMED;
				p->refused_rcpt = r;
			} else if (!p->suspect) {
				p->suspect = "malformed";
			}
			break;
		case MW_BATV_UNTAGGED:
			if (bounce && mws_is_local(sh, r))
				p->open[p->nopen++] = r;
			break;
		}
	}
	return rc;
}

static void apply_swaps(const plan *p, mw_verdict *v)
{
	if (!p->nswap)
		return;
	v->del_rcpts = p->del;
	v->ndel_rcpts = p->nswap;
	v->add_rcpts = p->add;
	v->nadd_rcpts = p->nswap;
	v->kind = MW_VERDICT_ACCEPT;
}

/* Tag mode: deliver, with the header that says why it is suspected. */
static mw_status label(mw_verdict *v, const char *why, const char *reason)
{
	char value[160];
	snprintf(value, sizeof value, "suspected; reason=%s", why);
	v->kind = MW_VERDICT_ACCEPT;
	v->reason = reason;
	return mws_add_header(v, MWS_HEADER_BACKSCATTER, value);
}

static mw_status refuse_bad_tag(const plan *p, bool bounce, mw_verdict *v)
{
	char reason[64];
	snprintf(reason, sizeof reason, "bad BATV tag (%s)",
		 mw_batv_result_str(p->refused));
	const char *r = mw_arena_strdup(&v->arena, reason);
	return mws_reply(
	    v, MW_VERDICT_REJECT, "550", "5.7.1", r ? r : "bad BATV tag",
	    "%sThe BATV tag of %s is not valid (%s)",
	    bounce ? "Backscatter: " : "", mws_reply_addr(v, p->refused_rcpt),
	    mw_batv_result_str(p->refused));
}

/* A null-sender message whose own Message-ID we logged with the null
 * sender is one of our notices (a digest) coming back in through a
 * port where the shield sees it as inbound. */
static mw_status is_own_notice(mw_shield *sh, const mw_msg_facts *f, bool *own)
{
	*own = false;
	if ((f->sender && f->sender[0]) || !f->message_id ||
	    strncmp(f->message_id, OWN_NOTICE_PREFIX,
		    sizeof OWN_NOTICE_PREFIX - 1) != 0)
		return MW_OK;
	mw_store_sent sent;
	bool found = false;
	mw_status rc = mw_store_sent_lookup(sh->store, f->message_id, f->now,
					    &sent, &found);
	if (rc == MW_EINVAL)
		return MW_OK;
	*own = rc == MW_OK && found && sent.sender[0] == '\0';
	return rc;
}

/* Is one of the open recipients receive-only (so never the sender of the
 * original)? */
static mw_status any_receive_only(mw_shield *sh, const plan *p, bool *yes)
{
	*yes = false;
	for (size_t i = 0; i < p->nopen && !*yes; i++) {
		mw_addr_state st;
		mw_status rc = mw_addr_state_get(sh->store, p->open[i], &st);
		if (rc == MW_EINVAL)
			continue;
		if (rc)
			return rc;
		*yes = st == MW_ADDR_RECEIVE_ONLY;
	}
	return MW_OK;
}

static void count_own(mw_shield *sh, const mw_msg_facts *f, const plan *p,
		      bool with_open)
{
	for (size_t i = 0; i < p->nowners; i++)
		mws_count_own_bounce(sh, p->owners[i], f->now);
	for (size_t i = 0; with_open && i < p->nopen; i++)
		mws_count_own_bounce(sh, p->open[i], f->now);
}

static mw_status accept_proven(mw_shield *sh, const mw_msg_facts *f,
			       const plan *p, const char *reason, mw_verdict *v)
{
	apply_swaps(p, v);
	v->kind = MW_VERDICT_ACCEPT;
	v->reason = reason;
	count_own(sh, f, p, true);
	return MW_OK;
}

static mw_status refuse_unproven(mw_shield *sh, const mw_msg_facts *f,
				 const plan *p, bool receive_only,
				 mw_verdict *v)
{
	const char *why = receive_only ? "receive-only" : "no-proof";
	if (sh->cfg->batv_mode != MW_CFG_BATV_ENFORCE) {
		apply_swaps(p, v);
		count_own(sh, f, p, false);
		return label(v, why,
			     receive_only ? "suspected backscatter "
					    "(receive-only address)"
					  : "suspected backscatter (no proof)");
	}
	for (size_t i = 0; i < p->nopen; i++)
		mws_count_backscatter(sh, f, p->open[i]);
	if (receive_only)
		return mws_reply(v, MW_VERDICT_REJECT, "550", "5.7.1",
				 "backscatter (receive-only address)",
				 "Backscatter: the recipient is receive-only "
				 "and never sends mail, so this bounce is not "
				 "for mail sent from here");
	return mws_reply(v, MW_VERDICT_REJECT, "550", "5.7.1",
			 "backscatter (no proof)",
			 "Backscatter: this bounce is for a message that was "
			 "not sent from here (no valid BATV tag, unknown "
			 "Message-ID)");
}

static mw_status judge_open(mw_shield *sh, const mw_msg_facts *f, const plan *p,
			    mw_verdict *v)
{
	bool own = false;
	mw_status rc = is_own_notice(sh, f, &own);
	if (rc && rc != MW_EINVAL)
		return mws_fail_action(sh, v, rc, "end of message (sent log)",
				       true);
	if (own) { /* not a bounce of the user's mail: nothing to count */
		apply_swaps(p, v);
		v->kind = MW_VERDICT_ACCEPT;
		v->reason = "own notice";
		return MW_OK;
	}

	bool receive_only = false;
	rc = any_receive_only(sh, p, &receive_only);
	if (rc)
		return mws_fail_action(sh, v, rc,
				       "end of message (address state)", true);
	if (receive_only)
		return refuse_unproven(sh, f, p, true, v);

	mws_proof proof = MWS_PROOF_NONE;
	rc = mws_prove(sh, f, &proof);
	if (rc == MW_ENOMEM)
		return mws_fail_action(
		    sh, v, rc, "end of message (bounce analysis)", true);
	if (proof != MWS_PROOF_NONE) {
		char reason[64];
		snprintf(reason, sizeof reason, "bounce proven (%s)",
			 mws_proof_name(proof));
		const char *r = mw_arena_strdup(&v->arena, reason);
		return accept_proven(sh, f, p, r ? r : "bounce proven", v);
	}
	if (rc)
		return mws_fail_action(sh, v, rc, "end of message (sent log)",
				       true);
	return refuse_unproven(sh, f, p, false, v);
}

mw_status mws_eom_inbound(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v)
{
	if (sh->cfg->batv_mode == MW_CFG_BATV_OFF)
		return MW_OK;
	bool bounce = mws_is_bounce_sender(f->sender);
	plan p;
	mw_status rc = plan_rcpts(sh, f, bounce, v, &p);
	if (rc)
		return rc;
	if (p.refused != MW_BATV_VALID)
		return refuse_bad_tag(&p, bounce, v);
	if (p.nopen)
		return judge_open(sh, f, &p, v);

	apply_swaps(&p, v);
	if (bounce)
		count_own(sh, f, &p, false);
	if (p.suspect)
		return label(v, p.suspect, "suspected backscatter (bad tag)");
	if (p.nswap)
		v->reason = bounce ? "tagged bounce" : "tagged recipient";
	return MW_OK;
}
