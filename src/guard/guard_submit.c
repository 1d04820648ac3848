/*
 * guard_submit.c - the milter's stages for an authenticated outbound
 * session: refuse what a suspension, a fence, a block or a send limit
 * forbids; at end of message count it, record it and score the account.
 *
 * Store reads per message: MAIL the account's settings and its messages
 * in the hour; the first RCPT its recipients in the hour and the day;
 * later RCPTs and end of message none (guard_cache.c keeps them for the
 * transaction), unless the shield has seen bounces of the account's own
 * mail. End of message queues its writes (counters, distinct members,
 * the history event) and returns.
 *
 * Refusals are two reply lines: English in printable ASCII first, which
 * every client can show, then the same words in Japanese (UTF-8), which
 * Postfix passes to the client as it is (tests/e2e/guard.sh sees both).
 * A client that shows only the last line of a reply shows the Japanese
 * one; one that cannot show UTF-8 still has the English.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guard/guard_int.h"
#include "lib/log.h"

mw_status mwg_reply(mw_verdict *v, mw_verdict_kind kind, const char *code,
		    const char *xcode, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mw_status rc = mw_verdict_vreply(v, kind, code, xcode, reason, fmt, ap);
	va_end(ap);
	return rc;
}

static bool applies(const mw_msg_facts *f)
{
	return f->outbound && f->auth_authen && f->auth_authen[0];
}

static mw_status store_failed(mw_verdict *v, const char *acct, const char *what)
{
	mw_warn("guard: %s: store unreadable at %s: continuing", acct, what);
	v->kind = MW_VERDICT_CONTINUE;
	return MW_OK;
}

static mw_status suspended_reply(mw_verdict *v, const mwg_state *s)
{
	mw_status rc;
	if (!s->suspended_takeover) {
		rc =
		    mwg_reply(v, MW_VERDICT_REJECT, "550", "5.7.1", "suspended",
			      "Sending from this account is suspended "
			      "(%.120s). Contact your administrator.",
			      s->suspended_reason);
		return rc ? rc
			  : mw_verdict_reply_local(
				v, "このアカウントからの送信は停止"
				   "されています。管理者に連絡して"
				   "ください。");
	}
	rc = mwg_reply(v, MW_VERDICT_REJECT, "550", "5.7.1", "suspended",
		       "Sending from this account is suspended: its password "
		       "is suspected stolen. Change the password on every "
		       "device, then ask your administrator to unlock it.");
	return rc ? rc
		  : mw_verdict_reply_local(
			v, "パスワード盗用の疑いがあるため、このアカ"
			   "ウントからの送信を停止しました。すべての"
			   "端末でパスワードを変更し、管理者に解除を"
			   "依頼してください。");
}

static bool fenced_off(mw_guard *g, const mwg_state *s, const mw_msg_facts *f,
		       mw_guard_place *p)
{
	memset(p, 0, sizeof *p);
	if (!s->fence[0] || !f->has_client_ip ||
	    mw_ip_is_internal(&f->client_ip))
		return false;
	mwg_place(g, &f->client_ip, p);
	return !mwg_fence_allows(s->fence, p->country);
}

/* The sum of a limit's counter, from this transaction's earlier stage
 * when it read it (fresh: reread it). */
static bool limit_sum(mw_guard *g, const char *acct, mwg_limit l, time_t now,
		      bool fresh, mwg_key k, int64_t *sum)
{
	mwg_count c = (mwg_count)l; /* the same order */
	if (!mwg_key_of(k, "acct", acct, mwg_limits[l].metric))
		return false;
	if (!fresh && mwg_count_get(g, acct, now, c, sum))
		return true;
	if (mw_store_counter_sum(g->st, k, mwg_limits[l].window, now, sum) !=
	    MW_OK)
		return false;
	mwg_count_put(g, acct, now, c, *sum);
	return true;
}

/* Over limit l? extra is what this transaction adds (the message, or
 * the recipients so far and this one). fresh: the first look in this
 * transaction, which reads the store. */
static bool over_limit(mw_guard *g, const char *acct, const mwg_state *s,
		       mwg_limit l, int64_t extra, time_t now, bool fresh,
		       mw_verdict *v, bool *failed)
{
	mwg_key k;
	int64_t sum = 0;
	if (!limit_sum(g, acct, l, now, fresh, k, &sum)) {
		*failed = true;
		return false;
	}
	if (sum + extra <= s->limit[l])
		return false;
	/* The count shown is what the account has sent, with what this
	 * transaction already holds; it lifts when one more would fit. */
	int64_t count = sum + extra - 1;
	int64_t below = s->limit[l] - extra + 1;
	time_t lifts = mwg_limit_lifts(g, k, mwg_limits[l].window, now, below);
	mwg_limit_reply(v, l, s->limit[l], count, lifts);
	mwg_limit_crossed(g, acct, s, l, count, lifts, now);
	return true;
}

mw_status mw_guard_mail(mw_guard *g, const mw_msg_facts *f, mw_verdict *v)
{
	if (!applies(f))
		return MW_OK;
	const char *acct = f->auth_authen;
	mwg_state s;
	if (mwg_state_cached(g, acct, f->now, &s) != MW_OK)
		return store_failed(v, acct, "MAIL");
	if (s.suspended)
		return suspended_reply(v, &s);
	char when[32];
	if (s.blocked_until > f->now) {
		mwg_utc(s.blocked_until, when);
		mw_status rc = mwg_reply(
		    v, MW_VERDICT_TEMPFAIL, "451", "4.7.1", "blocked",
		    "Sending from this account is blocked after a send limit "
		    "was reached; it lifts at %s",
		    when);
		return rc ? rc
			  : mw_verdict_reply_local(
				v,
				"送信上限に達したため、このアカウン"
				"トからの送信を止めています。%s に"
				"解除されます。",
				when);
	}
	mw_guard_place p;
	if (fenced_off(g, &s, f, &p)) {
		mw_status rc = mwg_reply(
		    v, MW_VERDICT_REJECT, "550", "5.7.1", "fence",
		    "Sending from %s is refused for this "
		    "account: its country fence allows only %s",
		    p.country[0] ? p.country : "an unknown country", s.fence);
		return rc ? rc
			  : mw_verdict_reply_local(
				v,
				"このアカウントは国の制限により %s "
				"からの送信だけが許されています（%s "
				"からの送信は拒否しました）。",
				s.fence, p.country[0] ? p.country : "不明な国");
	}
	bool failed = false;
	if (over_limit(g, acct, &s, MWG_LIMIT_MSGS_HOUR, 1, f->now, true, v,
		       &failed))
		return MW_OK;
	return failed ? store_failed(v, acct, "MAIL") : MW_OK;
}

mw_status mw_guard_rcpt(mw_guard *g, const mw_msg_facts *f, const char *rcpt,
			mw_verdict *v)
{
	(void)rcpt;
	if (!applies(f))
		return MW_OK;
	const char *acct = f->auth_authen;
	mwg_state s;
	if (mwg_state_cached(g, acct, f->now, &s) != MW_OK)
		return store_failed(v, acct, "RCPT");
	int64_t extra = (int64_t)f->nrcpts + 1;
	bool fresh = f->nrcpts == 0, failed = false;
	if (over_limit(g, acct, &s, MWG_LIMIT_RCPTS_HOUR, extra, f->now, fresh,
		       v, &failed) ||
	    over_limit(g, acct, &s, MWG_LIMIT_RCPTS_DAY, extra, f->now, fresh,
		       v, &failed))
		return MW_OK;
	return failed ? store_failed(v, acct, "RCPT") : MW_OK;
}

static void count_message(mw_guard *g, const char *acct, const mw_msg_facts *f,
			  const mw_guard_place *p, const char *ip)
{
	mwg_key k;
	time_t now = f->now;
	if (mwg_key_of(k, "acct", acct, "msgs"))
		(void)mw_store_counter_add(g->st, k, 1, now);
	if (mwg_key_of(k, "acct", acct, "rcpts"))
		(void)mw_store_counter_add(g->st, k, (int64_t)f->nrcpts, now);
	if (ip[0] && mwg_key_of(k, "acct", acct, "ip"))
		(void)mw_store_distinct_add(g->st, k, ip, now);
	if (p->country[0] && mwg_key_of(k, "acct", acct, "country"))
		(void)mw_store_distinct_add(g->st, k, p->country, now);
	char asn[16];
	snprintf(asn, sizeof asn, "%" PRIu32, p->asn);
	if (p->asn && mwg_key_of(k, "acct", acct, "asn"))
		(void)mw_store_distinct_add(g->st, k, asn, now);
}

static void record_submission(mw_guard *g, const char *acct,
			      const mw_msg_facts *f, const mw_guard_place *p,
			      const char *ip, const char *result)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "kind",
			      "submission", "proto", "smtp", "ip", ip,
			      "country", p->country, "asn", (json_int_t)p->asn,
			      "result", result, "rcpts", (json_int_t)f->nrcpts);
	if (o && f->message_id && f->message_id[0] &&
	    strlen(f->message_id) < 512)
		json_object_set_new(o, "msgid", json_string(f->message_id));
	if (o && p->asn_org[0])
		json_object_set_new(o, "org", json_string(p->asn_org));
	mwg_append_json(g, acct, "history", f->now, o);
}

/* The hour's messages and recipients with this message, for the score:
 * from the counts MAIL and RCPT read when they are still cached, else
 * read again (they then hold this message: it was just counted). */
static void sent_counts(mw_guard *g, const char *acct, const mw_msg_facts *f,
			int64_t *msgs, int64_t *rcpts)
{
	int64_t m = 0, r = 0;
	mwg_key k;
	if (mwg_count_get(g, acct, f->now, MWG_COUNT_MSGS_HOUR, &m))
		m += 1;
	else if (!mwg_key_of(k, "acct", acct, "msgs") ||
		 mw_store_counter_sum(g->st, k, MWG_HOUR, f->now, &m) != MW_OK)
		m = 1;
	if (mwg_count_get(g, acct, f->now, MWG_COUNT_RCPTS_HOUR, &r))
		r += (int64_t)f->nrcpts;
	else if (!mwg_key_of(k, "acct", acct, "rcpts") ||
		 mw_store_counter_sum(g->st, k, MWG_HOUR, f->now, &r) != MW_OK)
		r = (int64_t)f->nrcpts;
	*msgs = m;
	*rcpts = r;
}

mw_status mw_guard_eom(mw_guard *g, const mw_msg_facts *f, mw_verdict *v)
{
	if (!applies(f))
		return MW_OK;
	const char *acct = f->auth_authen;
	mwg_state s;
	if (mwg_state_cached(g, acct, f->now, &s) != MW_OK)
		return store_failed(v, acct, "end of message");
	mw_guard_place p;
	memset(&p, 0, sizeof p);
	char ip[MW_IP_TEXT_MAX] = "";
	if (f->has_client_ip) {
		mwg_place(g, &f->client_ip, &p);
		mw_ip_format(&f->client_ip, ip);
	}
	if (s.suspended) {
		record_submission(g, acct, f, &p, ip, "refused");
		return suspended_reply(v, &s);
	}
	int64_t msgs, rcpts;
	sent_counts(g, acct, f, &msgs, &rcpts);
	count_message(g, acct, f, &p, ip);
	mw_guard_score_input in;
	mwg_score_at_eom(g, acct, &s, f->now, msgs, rcpts, &in);
	if (mwg_score_and_act(g, acct, &s, &in, f->now)) {
		record_submission(g, acct, f, &p, ip, "refused");
		s.suspended_takeover = true;
		return suspended_reply(v, &s);
	}
	record_submission(g, acct, f, &p, ip, "sent");
	return MW_OK;
}
