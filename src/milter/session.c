/*
 * session.c - the per-connection state machine of the milter: macros,
 * CONNECT, the envelope, the content and the transaction's lifetime.
 * What a verdict becomes on the wire, and the log lines, are in
 * session_reply.c.
 */
#include "milter/session.h"

#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "guard/guard.h"
#include "lib/log.h"
#include "lib/str.h"
#include "milter/encoder.h"
#include "milter/session_int.h"
#include "shield/shield.h"

/* What we ask the MTA for at each stage when it lets us choose
 * (SETSYMLIST): the connection's facts at CONNECT, the login with the
 * sender, and the queue id wherever Postfix may have one (it opens the
 * queue file at the first accepted RCPT). Our own lists keep Postfix
 * from sending the dozen macros of its defaults that we never read. */
const char *const mw_session_macro_lists[MW_SMFIM_COUNT] = {
    [MW_SMFIM_CONNECT] = "{daemon_name} {client_addr} {client_name}",
    [MW_SMFIM_HELO] = NULL,
    [MW_SMFIM_ENVFROM] = "{auth_authen} i",
    [MW_SMFIM_ENVRCPT] = "i",
    [MW_SMFIM_DATA] = "i",
    [MW_SMFIM_EOM] = "i",
    [MW_SMFIM_EOH] = "i",
};

/* The transaction's arena: every recipient at its longest, with its
 * pointer twice over (the array doubles inside the arena), the sender,
 * a Message-ID, and the arena's own chunk overhead. Derived from the
 * limits, so it is not a limit of its own. */
#define SESSION_TXN_MEMORY                                                     \
	((size_t)MW_SESSION_RCPTS_MAX *                                        \
	     (MW_ADDRESS_MAX + 1 + 2 * sizeof(char *)) +                       \
	 MW_ADDRESS_MAX + MW_STORE_KEY_MAX + 64 * 1024)

/* Content cap when there is no configuration (tests of the session). */
#define SESSION_CONTENT_DEFAULT ((size_t)1024 * 1024)

/* -- small helpers -------------------------------------------------- */

static time_t session_now(const mw_session *s)
{
	if (s->env && s->env->now)
		return s->env->now(s->env->arg);
	return time(NULL);
}

/* Copy v into dst[cap] as a C string, cut at cap - 1 bytes. */
static void copy_value(char *dst, size_t cap, mw_str v)
{
	size_t n = v.n < cap - 1 ? v.n : cap - 1;
	memcpy(dst, v.p, n);
	dst[n] = '\0';
}

/* "{daemon_name}" and "daemon_name" name the same macro. */
static mw_str macro_bare_name(mw_str name)
{
	if (name.n >= 2 && name.p[0] == '{' && name.p[name.n - 1] == '}')
		return mw_str_make(name.p + 1, name.n - 2);
	return name;
}

/* "<a@b>" -> "a@b", "<>" -> "", "<@r1,@r2:a@b>" -> "a@b" (an RFC 5321
 * source route is dropped, as every MTA does); outer blanks removed. */
static mw_str bare_address(mw_str a)
{
	a = mw_str_trim(a);
	if (a.n && a.p[0] == '<') {
		a.p++;
		a.n--;
		if (a.n && a.p[a.n - 1] == '>')
			a.n--;
	}
	if (a.n && a.p[0] == '@') {
		const char *colon = memchr(a.p, ':', a.n);
		if (colon) {
			a.n -= (size_t)(colon + 1 - a.p);
			a.p = colon + 1;
		}
	}
	return a;
}

/* An address as the client's MTA sent it, or the "IPv6:" form Sendmail
 * uses in {client_addr}. */
static bool parse_client_ip(mw_str text, mw_ip *out)
{
	text = mw_str_trim(text);
	if (mw_str_istarts(text, "IPv6:")) {
		text.p += 5;
		text.n -= 5;
	}
	return text.n > 0 && mw_ip_parse(text.p, text.n, out);
}

static mw_status continue_if_expected(const mw_session *s, unsigned char cmd,
				      mw_buf *out)
{
	if (!mw_milter_expects_reply(&s->agreed, cmd))
		return MW_OK;
	return mw_milter_put_continue(out);
}

static const char *command_name(unsigned char code)
{
	const char *name = mw_milter_command_name(code);
	return name ? name : "unknown";
}

/* -- the transaction ------------------------------------------------ */

static void end_transaction(mw_session *s)
{
	if (s->policy && s->env && s->env->release)
		s->env->release(s->env->arg, s->policy);
	s->policy = NULL;
	mw_arena_free(&s->txn);
	mw_arena_init(&s->txn, SESSION_TXN_MEMORY);
	mw_buf_free(&s->content);
	mw_buf_init(&s->content, 0);
	s->in_txn = false;
	s->outbound = false;
	s->sender = NULL;
	s->rcpts = NULL;
	s->nrcpts = 0;
	s->rcpts_cap = 0;
	s->message_id = NULL;
	s->content_asked = false;
	s->want_content = false;
	s->in_body = false;
	s->content_truncated = false;
	s->queue_id[0] = '\0';
}

static void start_transaction(mw_session *s)
{
	end_transaction(s);
	s->policy = s->env->acquire(s->env->arg);
	MW_ASSERT(s->policy != NULL);
	size_t cap = SESSION_CONTENT_DEFAULT;
	if (s->policy->cfg)
		cap = (size_t)s->policy->cfg->bounce_body_max;
	mw_buf_free(&s->content);
	mw_buf_init(&s->content, cap);
	s->in_txn = true;
}

/* Forget who the client is: a new SMTP connection follows (QUIT_NC). */
static void forget_connection(mw_session *s)
{
	end_transaction(s);
	s->has_client_ip = false;
	memset(&s->client_ip, 0, sizeof s->client_ip);
	s->client_name[0] = '\0';
	s->daemon_name[0] = '\0';
	s->auth_authen[0] = '\0';
	s->has_daemon_name = false;
	s->has_auth_authen = false;
}

/* DESIGN.md section 2: a login, a submission service, or a trusted
 * network makes a session outbound. */
static bool decide_outbound(const mw_session *s)
{
	if (s->has_auth_authen)
		return true;
	const mw_config *cfg = s->policy ? s->policy->cfg : NULL;
	if (!cfg)
		return false;
	if (s->has_daemon_name &&
	    mw_config_is_outbound_daemon(cfg, mw_str_from_cstr(s->daemon_name)))
		return true;
	return s->has_client_ip && mw_config_is_trusted(cfg, &s->client_ip);
}

void session_facts(const mw_session *s, mw_msg_facts *f, time_t now)
{
	memset(f, 0, sizeof *f);
	f->has_client_ip = s->has_client_ip;
	f->client_ip = s->client_ip;
	f->client_name = s->client_name[0] ? s->client_name : NULL;
	f->helo = NULL; /* HELO is a step we skip */
	f->daemon_name = s->has_daemon_name ? s->daemon_name : NULL;
	f->auth_authen = s->has_auth_authen ? s->auth_authen : NULL;
	f->queue_id = s->queue_id[0] ? s->queue_id : NULL;
	f->outbound = s->outbound;
	f->sender = s->sender;
	f->rcpts = s->rcpts;
	f->nrcpts = s->nrcpts;
	f->message_id = s->message_id;
	if (s->want_content) {
		f->msg = mw_buf_cstr(&s->content);
		f->msg_len = s->content.len;
		f->msg_truncated = s->content_truncated;
	}
	f->now = now;
}

/* The shield could not answer: milter_failure_action decides, as it does
 * when the store is down. */
static void failure_verdict(const mw_session *s, mw_verdict *v)
{
	const mw_config *cfg = s->policy ? s->policy->cfg : NULL;
	if (cfg && cfg->milter_failure_action == MW_CFG_FAIL_TEMPFAIL) {
		v->kind = MW_VERDICT_TEMPFAIL;
		memcpy(v->code, "451", 4);
		memcpy(v->xcode, "4.3.0", 6);
		v->text = "mailwarden: temporary failure, try again later";
		v->reason = "policy error, tempfail";
	} else {
		v->kind = MW_VERDICT_CONTINUE;
		v->reason = "policy error, accepted";
	}
}

/* -- the commands --------------------------------------------------- */

static mw_status on_optneg(mw_session *s, const mw_milter_cmd *cmd, mw_buf *out,
			   mw_session_result *res)
{
	const mw_milter_opts wanted = {
	    MW_MILTER_VERSION, MW_MILTER_OUR_ACTIONS | MW_SMFIF_SETSYMLIST,
	    MW_MILTER_OUR_STEPS};
	mw_milter_opts agreed;
	mw_status st = mw_milter_negotiate(&cmd->u.optneg, &wanted, &agreed);
	if (st == MW_EINVAL) {
		mw_warn("conn %lu: the MTA speaks milter version %u, below "
			"%u: closing",
			s->id, (unsigned)cmd->u.optneg.version,
			MW_MILTER_VERSION_MIN);
		*res = MW_SESSION_CLOSE;
		return MW_OK;
	}
	if (st == MW_ETRUNCATED &&
	    (agreed.actions & MW_MILTER_OUR_ACTIONS) != MW_MILTER_OUR_ACTIONS)
		mw_warn("conn %lu: the MTA does not allow every action we use "
			"(offered 0x%x, wanted 0x%x): those modifications "
			"will be logged and skipped",
			s->id, (unsigned)cmd->u.optneg.actions,
			(unsigned)MW_MILTER_OUR_ACTIONS);
	s->agreed = agreed;
	s->negotiated = true;
	bool symlist = (agreed.actions & MW_SMFIF_SETSYMLIST) != 0;
	return mw_milter_put_optneg(out, &s->agreed,
				    symlist ? mw_session_macro_lists : NULL);
}

static void on_macro(mw_session *s, const mw_milter_cmd *cmd)
{
	size_t pos = 0;
	mw_str name, value;
	while (mw_milter_macro_next(cmd, &pos, &name, &value)) {
		name = macro_bare_name(name);
		if (mw_str_eq(name, MW_STR_LIT("daemon_name"))) {
			copy_value(s->daemon_name, sizeof s->daemon_name,
				   value);
			s->has_daemon_name = value.n > 0;
		} else if (mw_str_eq(name, MW_STR_LIT("auth_authen"))) {
			copy_value(s->auth_authen, sizeof s->auth_authen,
				   value);
			s->has_auth_authen = value.n > 0;
		} else if (mw_str_eq(name, MW_STR_LIT("client_name"))) {
			copy_value(s->client_name, sizeof s->client_name,
				   value);
		} else if (mw_str_eq(name, MW_STR_LIT("client_addr"))) {
			mw_ip ip;
			if (parse_client_ip(value, &ip)) {
				s->client_ip = ip;
				s->has_client_ip = true;
			}
		} else if (mw_str_eq(name, MW_STR_LIT("i"))) {
			copy_value(s->queue_id, sizeof s->queue_id, value);
		}
	}
}

static void on_connect(mw_session *s, const mw_milter_cmd *cmd)
{
	if (cmd->u.connect.hostname.n)
		copy_value(s->client_name, sizeof s->client_name,
			   cmd->u.connect.hostname);
	unsigned char fam = cmd->u.connect.family;
	mw_ip ip;
	if ((fam == MW_SMFIA_INET || fam == MW_SMFIA_INET6) &&
	    parse_client_ip(cmd->u.connect.address, &ip)) {
		s->client_ip = ip;
		s->has_client_ip = true;
	}
}

/* Refuse at MAIL or RCPT with a reply of our own, and log it. */
static mw_status refuse_envelope(mw_session *s, session_stage stage,
				 const char *rcpt, const char *code,
				 const char *xcode, const char *text,
				 const char *reason, mw_buf *out)
{
	mw_verdict v;
	memset(&v, 0, sizeof v);
	v.kind = code[0] == '4' ? MW_VERDICT_TEMPFAIL : MW_VERDICT_REJECT;
	snprintf(v.code, sizeof v.code, "%s", code);
	snprintf(v.xcode, sizeof v.xcode, "%s", xcode);
	v.text = text;
	v.reason = reason;
	session_log_refusal(s, stage, rcpt, &v);
	unsigned char cmd =
	    stage == SESSION_STAGE_MAIL ? MW_SMFIC_MAIL : MW_SMFIC_RCPT;
	if (!mw_milter_expects_reply(&s->agreed, cmd))
		return MW_OK;
	return session_put_refusal(out, code, xcode, text);
}

/* -- the policy modules, in turn ------------------------------------- */

/* The account guard judges a user's own sending: outbound sessions with
 * a SASL login. It is asked before the shield, so that a suspended or
 * fenced account is refused before the shield tags or logs anything. A
 * guard that fails answers CONTINUE itself (guard.h); a status here is a
 * bug of ours, logged, and the shield still decides. */
static bool guard_applies(const mw_session *s, const mw_msg_facts *f)
{
	return s->policy->guard && f->outbound && f->auth_authen &&
	       f->auth_authen[0];
}

static void guard_failed(const mw_session *s, const char *stage, mw_verdict *v)
{
	mw_warn("conn %lu: the account guard failed at %s; the shield "
		"decides alone",
		s->id, stage);
	mw_verdict_free(v);
	mw_verdict_init(v);
}

static void ask_mail(mw_session *s, const mw_msg_facts *f, mw_verdict *v)
{
	if (guard_applies(s, f) &&
	    mw_guard_mail(s->policy->guard, f, v) != MW_OK)
		guard_failed(s, "MAIL", v);
	if (v->kind != MW_VERDICT_CONTINUE || !s->policy->shield)
		return;
	if (mw_shield_mail(s->policy->shield, f, v) != MW_OK)
		failure_verdict(s, v);
}

static void ask_rcpt(mw_session *s, const mw_msg_facts *f, const char *rcpt,
		     mw_verdict *v)
{
	if (guard_applies(s, f) &&
	    mw_guard_rcpt(s->policy->guard, f, rcpt, v) != MW_OK)
		guard_failed(s, "RCPT", v);
	if (v->kind != MW_VERDICT_CONTINUE || !s->policy->shield)
		return;
	if (mw_shield_rcpt(s->policy->shield, f, rcpt, v) != MW_OK)
		failure_verdict(s, v);
}

/* At end of message a refusal by the guard wins, and the shield is not
 * asked: a message we refuse must not enter the sent log. */
static void ask_eom(mw_session *s, const mw_msg_facts *f, mw_verdict *v)
{
	if (guard_applies(s, f) &&
	    mw_guard_eom(s->policy->guard, f, v) != MW_OK)
		guard_failed(s, "end of message", v);
	if (v->kind == MW_VERDICT_REJECT || v->kind == MW_VERDICT_TEMPFAIL)
		return;
	mw_verdict_free(v);
	mw_verdict_init(v);
	if (!s->policy->shield) {
		v->reason = "no policy";
		return;
	}
	if (mw_shield_eom(s->policy->shield, f, v) != MW_OK) {
		mw_verdict_free(v);
		mw_verdict_init(v);
		failure_verdict(s, v);
	}
}

static mw_status on_mail(mw_session *s, const mw_milter_cmd *cmd, mw_buf *out)
{
	start_transaction(s);
	mw_str a = bare_address(cmd->u.envelope.addr);
	if (a.n > MW_ADDRESS_MAX) {
		mw_status st = refuse_envelope(
		    s, SESSION_STAGE_MAIL, NULL, "501", "5.1.7",
		    "sender address too long", "address too long", out);
		end_transaction(s);
		return st;
	}
	s->sender = mw_arena_strndup(&s->txn, a.p, a.n);
	MW_ASSERT(s->sender != NULL); /* the arena has room for it */
	s->outbound = decide_outbound(s);
	if (!s->policy->shield && !s->policy->guard)
		return continue_if_expected(s, MW_SMFIC_MAIL, out);

	mw_msg_facts f;
	session_facts(s, &f, session_now(s));
	mw_verdict v;
	mw_verdict_init(&v);
	ask_mail(s, &f, &v);
	mw_status st = MW_OK;
	bool refused =
	    session_put_envelope_verdict(s, SESSION_STAGE_MAIL, &v, out, &st);
	if (refused) {
		session_log_refusal(s, SESSION_STAGE_MAIL, NULL, &v);
		end_transaction(s);
	}
	mw_verdict_free(&v);
	return st;
}

/* Keep an accepted recipient; false when the arena is full. */
static bool keep_rcpt(mw_session *s, const char *rcpt)
{
	if (s->nrcpts == s->rcpts_cap) {
		size_t cap = s->rcpts_cap ? s->rcpts_cap * 2 : 8;
		if (cap > MW_SESSION_RCPTS_MAX)
			cap = MW_SESSION_RCPTS_MAX;
		const char **v = mw_arena_grow(&s->txn, s->rcpts, s->rcpts_cap,
					       cap, sizeof *v);
		if (!v)
			return false;
		s->rcpts = v;
		s->rcpts_cap = cap;
	}
	char *copy = mw_arena_strdup(&s->txn, rcpt);
	if (!copy)
		return false;
	s->rcpts[s->nrcpts++] = copy;
	return true;
}

static mw_status on_rcpt(mw_session *s, const mw_milter_cmd *cmd, mw_buf *out)
{
	if (!s->in_txn) {
		mw_debug("conn %lu: RCPT without MAIL, passed", s->id);
		return continue_if_expected(s, MW_SMFIC_RCPT, out);
	}
	mw_str a = bare_address(cmd->u.envelope.addr);
	char rcpt[MW_ADDRESS_MAX + 1];
	if (a.n > MW_ADDRESS_MAX)
		return refuse_envelope(
		    s, SESSION_STAGE_RCPT, "(too long)", "501", "5.1.3",
		    "recipient address too long", "address too long", out);
	copy_value(rcpt, sizeof rcpt, a);
	if (s->nrcpts >= MW_SESSION_RCPTS_MAX)
		return refuse_envelope(s, SESSION_STAGE_RCPT, rcpt, "452",
				       "4.5.3", "too many recipients",
				       "too many recipients", out);

	if (s->policy->shield || s->policy->guard) {
		mw_msg_facts f;
		session_facts(s, &f, session_now(s));
		mw_verdict v;
		mw_verdict_init(&v);
		ask_rcpt(s, &f, rcpt, &v);
		mw_status st = MW_OK;
		bool refused = session_put_envelope_verdict(
		    s, SESSION_STAGE_RCPT, &v, out, &st);
		if (refused)
			session_log_refusal(s, SESSION_STAGE_RCPT, rcpt, &v);
		mw_verdict_free(&v);
		if (refused || st != MW_OK)
			return st;
		if (!keep_rcpt(s, rcpt)) {
			/* The CONTINUE just written must become a refusal. */
			return MW_ENOMEM;
		}
		return MW_OK;
	}
	if (!keep_rcpt(s, rcpt))
		return refuse_envelope(s, SESSION_STAGE_RCPT, rcpt, "452",
				       "4.5.3", "too many recipients",
				       "too many recipients", out);
	return continue_if_expected(s, MW_SMFIC_RCPT, out);
}

/* Ask the shield once, when the envelope is complete, whether it wants
 * the message's content. */
static void ask_content(mw_session *s)
{
	if (s->content_asked)
		return;
	s->content_asked = true;
	if (!s->policy->shield)
		return;
	mw_msg_facts f;
	session_facts(s, &f, session_now(s));
	s->want_content = mw_shield_wants_content(s->policy->shield, &f);
}

static void content_add(mw_session *s, const void *p, size_t n)
{
	if (!s->want_content || s->content_truncated || n == 0)
		return;
	if (mw_buf_append_some(&s->content, p, n) != MW_OK)
		s->content_truncated = true;
}

/* The Message-ID without its <> and blanks; other forms kept as sent. */
static void capture_message_id(mw_session *s, mw_str value)
{
	mw_str v = mw_str_trim(value);
	const char *lt = memchr(v.p, '<', v.n);
	if (lt) {
		const char *gt = memchr(lt, '>', v.n - (size_t)(lt - v.p));
		if (gt) {
			v.p = lt + 1;
			v.n = (size_t)(gt - lt - 1);
		}
	}
	v = mw_str_trim(v);
	if (v.n == 0 || v.n > MW_STORE_KEY_MAX)
		return;
	s->message_id = mw_arena_strndup(&s->txn, v.p, v.n);
}

static void on_header(mw_session *s, const mw_milter_cmd *cmd)
{
	if (!s->in_txn)
		return;
	ask_content(s);
	mw_str name = cmd->u.header.name, value = cmd->u.header.value;
	if (!s->message_id && mw_str_ieq_cstr(name, "Message-ID"))
		capture_message_id(s, value);
	if (s->in_body)
		return; /* a header after the body is no header */
	content_add(s, name.p, name.n);
	content_add(s, ": ", 2);
	content_add(s, value.p, value.n);
	content_add(s, "\n", 1);
}

static void on_body(mw_session *s, const unsigned char *p, size_t n)
{
	if (!s->in_txn)
		return;
	ask_content(s);
	if (!s->in_body) {
		content_add(s, "\n", 1);
		s->in_body = true;
	}
	content_add(s, p, n);
}

/* What mw_session_hold_expired() needs once the transaction is gone. */
static void note_hold(mw_session *s)
{
	const mw_config *cfg = s->policy->cfg;
	s->held_tempfail =
	    cfg && cfg->milter_failure_action == MW_CFG_FAIL_TEMPFAIL;
}

/* An accepted outbound message is answered only once what the shield
 * wrote for it (its sent-log entry above all) is durable: *hold asks the
 * daemon to wait for the store's commit, so that a bounce of a message
 * the MTA took is always provable. Nothing else is held: a refusal needs
 * nothing from the store, and what an inbound message leaves (counters,
 * events) is durable within the writer's second like all other state, so
 * the MX path does not wait for a disk. */
static mw_status on_eom(mw_session *s, const mw_milter_cmd *cmd, mw_buf *out,
			bool *hold)
{
	if (!s->in_txn) {
		mw_debug("conn %lu: end of message without MAIL, passed",
			 s->id);
		return mw_milter_put_continue(out);
	}
	on_body(s, cmd->u.body.p, cmd->u.body.n);

	mw_verdict v;
	mw_verdict_init(&v);
	mw_msg_facts f;
	session_facts(s, &f, session_now(s));
	ask_eom(s, &f, &v);
	mw_status st = session_put_eom_verdict(s, &v, out);
	session_log_message(s, &v);
	*hold = s->policy->shield && s->outbound &&
		v.kind != MW_VERDICT_REJECT && v.kind != MW_VERDICT_TEMPFAIL;
	if (*hold)
		note_hold(s);
	mw_verdict_free(&v);
	s->nmessages++;
	end_transaction(s);
	return st;
}

static void log_bad_frame(mw_session *s, const char *what,
			  const mw_milter_cmd *cmd, mw_milter_error why)
{
	s->bad_frames++;
	if (s->bad_frames > MW_SESSION_BAD_FRAMES_LOGGED)
		return;
	mw_warn("conn %lu: %s frame '%c' (0x%02x, %s, %zu bytes): %s, "
		"skipped%s",
		s->id, what,
		cmd->code >= 0x20 && cmd->code < 0x7f ? cmd->code : '?',
		cmd->code, command_name(cmd->code), cmd->u.raw.n,
		mw_milter_error_str(why),
		s->bad_frames == MW_SESSION_BAD_FRAMES_LOGGED
		    ? " (further bad frames on this connection are not logged)"
		    : "");
}

static mw_status dispatch(mw_session *s, const mw_milter_cmd *cmd, mw_buf *out,
			  mw_session_result *res, bool *hold)
{
	switch (cmd->code) {
	case MW_SMFIC_OPTNEG:
		return on_optneg(s, cmd, out, res);
	case MW_SMFIC_MACRO:
		on_macro(s, cmd);
		return MW_OK;
	case MW_SMFIC_CONNECT:
		on_connect(s, cmd);
		break;
	case MW_SMFIC_MAIL:
		return on_mail(s, cmd, out);
	case MW_SMFIC_RCPT:
		return on_rcpt(s, cmd, out);
	case MW_SMFIC_HEADER:
		on_header(s, cmd);
		break;
	case MW_SMFIC_BODY:
		on_body(s, cmd->u.body.p, cmd->u.body.n);
		break;
	case MW_SMFIC_BODYEOB:
		return on_eom(s, cmd, out, hold);
	case MW_SMFIC_ABORT:
		end_transaction(s);
		return MW_OK;
	case MW_SMFIC_QUIT:
		end_transaction(s);
		*res = MW_SESSION_CLOSE;
		return MW_OK;
	case MW_SMFIC_QUIT_NC:
		forget_connection(s);
		return MW_OK;
	default: /* HELO, DATA, EOH, UNKNOWN: nothing is decided there */
		break;
	}
	return continue_if_expected(s, cmd->code, out);
}

/* -- the interface -------------------------------------------------- */

void mw_session_init(mw_session *s, const mw_session_env *env, unsigned long id)
{
	memset(s, 0, sizeof *s);
	s->env = env;
	s->id = id;
	mw_arena_init(&s->txn, SESSION_TXN_MEMORY);
	mw_buf_init(&s->content, 0);
}

void mw_session_free(mw_session *s)
{
	end_transaction(s);
	mw_arena_free(&s->txn);
	mw_buf_free(&s->content);
}

bool mw_session_in_transaction(const mw_session *s)
{
	return s->in_txn;
}

mw_session_result mw_session_handle(mw_session *s, mw_milter_result r,
				    const mw_milter_cmd *cmd,
				    mw_milter_error why, mw_buf *out)
{
	mw_session_result res = MW_SESSION_OK;
	size_t mark = out->len;
	mw_status st = MW_OK;
	bool hold = false;

	switch (r) {
	case MW_MILTER_CMD:
		st = dispatch(s, cmd, out, &res, &hold);
		break;
	case MW_MILTER_MALFORMED:
		log_bad_frame(s, "malformed", cmd, why);
		if (cmd->code == MW_SMFIC_OPTNEG) {
			res = MW_SESSION_CLOSE; /* nothing can be agreed */
			break;
		}
		st = continue_if_expected(s, cmd->code, out);
		break;
	case MW_MILTER_UNRECOGNISED:
		log_bad_frame(s, "unknown", cmd, why);
		break;
	default:
		mw_panic("mw_session_handle: decoder result %d is no command",
			 (int)r);
	}

	if (st != MW_OK) {
		/* The replies did not fit, or could not be encoded: take
		 * back what this command wrote and ask for a retry. */
		mw_warn("conn %lu: replies to %s failed (%s): answering "
			"TEMPFAIL",
			s->id, command_name(cmd->code), mw_status_str(st));
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
		if (cmd->code == MW_SMFIC_OPTNEG)
			res = MW_SESSION_CLOSE;
		else if (mw_milter_expects_reply(&s->agreed, cmd->code) &&
			 mw_milter_put_tempfail(out) != MW_OK)
			res = MW_SESSION_CLOSE;
		hold = false; /* a TEMPFAIL needs nothing durable */
	}
	if (hold && res == MW_SESSION_OK) {
		s->held_from = mark;
		res = MW_SESSION_HOLD;
	}
	return res;
}

void mw_session_hold_expired(mw_session *s, mw_buf *out)
{
	/* The message's own log line, just before, names its queue id. */
	if (!s->held_tempfail || s->held_from > out->len) {
		mw_warn("conn %lu: the store has not committed the last "
			"message's writes after %u ms: answering anyway "
			"(milter_failure_action = accept); its sent-log entry "
			"is lost if mailwarden dies before the store recovers",
			s->id, (unsigned)MW_SESSION_HOLD_MS);
		return;
	}
	mw_warn("conn %lu: the store has not committed the last message's "
		"writes after %u ms: answering TEMPFAIL instead "
		"(milter_failure_action = tempfail)",
		s->id, (unsigned)MW_SESSION_HOLD_MS);
	out->len = s->held_from;
	if (out->data)
		out->data[out->len] = '\0';
	if (mw_milter_put_tempfail(out) != MW_OK)
		mw_panic("conn %lu: no room for TEMPFAIL where the held "
			 "replies were",
			 s->id);
}
