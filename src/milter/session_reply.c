/*
 * session_reply.c - what a shield verdict becomes on the wire, and the
 * log line of each message.
 *
 * A verdict is the shield's; whether it can be said is the protocol's:
 * modifications go out only when their action was agreed in OPTNEG, and a
 * text the encoder will not carry (a control character, too long a line)
 * falls back to the MTA's own reply of the same class, so that a refusal
 * is never lost because of its wording.
 */
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"
#include "milter/encoder.h"
#include "milter/session_int.h"

/* Longest log line we build; log.c cuts at 2 KiB. */
#define LOG_LINE_MAX 1800
/* Bytes of one address or reason shown in a log line. */
#define LOG_FIELD_MAX 256

/* -- replies -------------------------------------------------------- */

static unsigned char plain_reply(mw_verdict_kind kind)
{
	return kind == MW_VERDICT_TEMPFAIL ? MW_SMFIR_TEMPFAIL
					   : MW_SMFIR_REJECT;
}

mw_status session_put_refusal(mw_buf *out, const char *code, const char *xcode,
			      const char *text)
{
	return mw_milter_put_replycode(out, code, xcode,
				       mw_str_from_cstr(text));
}

/* REPLYCODE with the verdict's words, or the MTA's own 5xx/4xx when the
 * verdict gives none or words the encoder refuses. */
static mw_status put_refusal_of(const mw_session *s, const mw_verdict *v,
				mw_buf *out)
{
	if (v->code[0] && v->xcode[0] && v->text && v->text_local) {
		mw_status st = mw_milter_put_replycode2(
		    out, v->code, v->xcode, mw_str_from_cstr(v->text),
		    mw_str_from_cstr(v->text_local));
		if (st != MW_EINVAL)
			return st;
		mw_warn("conn %lu: two-line reply \"%s %s\" refused by the "
			"encoder: sending its first line alone",
			s->id, v->code, v->xcode);
	}
	if (v->code[0] && v->xcode[0] && v->text) {
		mw_status st =
		    session_put_refusal(out, v->code, v->xcode, v->text);
		if (st != MW_EINVAL)
			return st;
		mw_warn("conn %lu: reply \"%s %s\" refused by the encoder "
			"(bad code or text): sending the MTA's own %s",
			s->id, v->code, v->xcode,
			v->kind == MW_VERDICT_TEMPFAIL ? "4xx" : "5xx");
	}
	return mw_milter_put_simple(out, plain_reply(v->kind));
}

bool session_put_envelope_verdict(mw_session *s, session_stage stage,
				  const mw_verdict *v, mw_buf *out,
				  mw_status *st)
{
	unsigned char cmd =
	    stage == SESSION_STAGE_MAIL ? MW_SMFIC_MAIL : MW_SMFIC_RCPT;
	bool refuse =
	    v->kind == MW_VERDICT_REJECT || v->kind == MW_VERDICT_TEMPFAIL;
	*st = MW_OK;
	if (!mw_milter_expects_reply(&s->agreed, cmd))
		return refuse;
	/* ACCEPT before end of message would end filtering for the whole
	 * message (libmilter's SMFIS_ACCEPT): the shield's "no objection"
	 * is CONTINUE here, and so is a QUARANTINE, which only end of
	 * message can carry. */
	*st = refuse ? put_refusal_of(s, v, out) : mw_milter_put_continue(out);
	return refuse;
}

/* "<a@b>" for an address given bare; one given with <> is kept. */
static bool wire_address(const char *addr, char *buf, size_t cap)
{
	if (!addr || !*addr)
		return false;
	int n = addr[0] == '<' ? snprintf(buf, cap, "%s", addr)
			       : snprintf(buf, cap, "<%s>", addr);
	return n > 0 && (size_t)n < cap;
}

static void log_skipped(const mw_session *s, const char *what,
			const char *value, const char *why)
{
	mw_warn("conn %lu: %s: %s %s skipped: %s", s->id,
		s->queue_id[0] ? s->queue_id : "NOQUEUE", what,
		value ? value : "", why);
}

/* One modification: skipped with a log line when its action was not
 * agreed or the encoder refuses it (MW_EINVAL); other errors (no room in
 * out) are returned, and the caller takes the whole answer back. */
static mw_status mod_result(const mw_session *s, mw_status st, const char *what,
			    const char *value)
{
	if (st == MW_EINVAL) {
		log_skipped(s, what, value, "refused by the encoder");
		return MW_OK;
	}
	return st;
}

static bool mod_agreed(const mw_session *s, unsigned char reply,
		       const char *what, const char *value)
{
	if (mw_milter_reply_allowed(&s->agreed, MW_SMFIC_BODYEOB, reply))
		return true;
	log_skipped(s, what, value, "action not agreed with the MTA");
	return false;
}

static mw_status put_sender_change(mw_session *s, const mw_verdict *v,
				   mw_buf *out)
{
	char addr[MW_ADDRESS_MAX + 3];
	if (!v->new_sender ||
	    !mod_agreed(s, MW_SMFIR_CHGFROM, "CHGFROM", v->new_sender))
		return MW_OK;
	if (!wire_address(v->new_sender, addr, sizeof addr)) {
		log_skipped(s, "CHGFROM", v->new_sender, "bad address");
		return MW_OK;
	}
	return mod_result(s,
			  mw_milter_put_chgfrom(out, &s->agreed,
						mw_str_from_cstr(addr),
						mw_str_make("", 0)),
			  "CHGFROM", v->new_sender);
}

static mw_status put_rcpt_changes(mw_session *s, const mw_verdict *v,
				  mw_buf *out)
{
	char addr[MW_ADDRESS_MAX + 3];
	mw_status st = MW_OK;
	size_t ndel = v->ndel_rcpts, nadd = v->nadd_rcpts;
	if (ndel > MW_SESSION_RCPTS_MAX)
		ndel = MW_SESSION_RCPTS_MAX; /* we never kept more */
	if (nadd > MW_SESSION_RCPTS_MAX)
		nadd = MW_SESSION_RCPTS_MAX;
	for (size_t i = 0; i < ndel && st == MW_OK; i++) {
		const char *r = v->del_rcpts[i];
		if (!mod_agreed(s, MW_SMFIR_DELRCPT, "DELRCPT", r))
			continue;
		if (!wire_address(r, addr, sizeof addr)) {
			log_skipped(s, "DELRCPT", r, "bad address");
			continue;
		}
		st = mod_result(s,
				mw_milter_put_delrcpt(out, &s->agreed,
						      mw_str_from_cstr(addr)),
				"DELRCPT", r);
	}
	for (size_t i = 0; i < nadd && st == MW_OK; i++) {
		const char *r = v->add_rcpts[i];
		if (!mod_agreed(s, MW_SMFIR_ADDRCPT, "ADDRCPT", r))
			continue;
		if (!wire_address(r, addr, sizeof addr)) {
			log_skipped(s, "ADDRCPT", r, "bad address");
			continue;
		}
		st = mod_result(s,
				mw_milter_put_addrcpt(out, &s->agreed,
						      mw_str_from_cstr(addr),
						      mw_str_make("", 0)),
				"ADDRCPT", r);
	}
	return st;
}

static mw_status put_header_adds(mw_session *s, const mw_verdict *v,
				 mw_buf *out)
{
	mw_status st = MW_OK;
	for (size_t i = 0; i < v->nadd_headers && st == MW_OK; i++) {
		const mw_header_add *h = &v->add_headers[i];
		if (!h->name || !h->value)
			continue;
		if (!mod_agreed(s, MW_SMFIR_ADDHEADER, "ADDHEADER", h->name))
			continue;
		st = mod_result(s,
				mw_milter_put_addheader(
				    out, &s->agreed, mw_str_from_cstr(h->name),
				    mw_str_from_cstr(h->value)),
				"ADDHEADER", h->name);
	}
	return st;
}

static mw_status put_quarantine(mw_session *s, const mw_verdict *v, mw_buf *out)
{
	const char *why = v->text && *v->text	    ? v->text
			  : v->reason && *v->reason ? v->reason
						    : "mailwarden";
	if (!mod_agreed(s, MW_SMFIR_QUARANTINE, "QUARANTINE", why))
		return MW_OK;
	return mod_result(
	    s, mw_milter_put_quarantine(out, &s->agreed, mw_str_from_cstr(why)),
	    "QUARANTINE", why);
}

mw_status session_put_eom_verdict(mw_session *s, const mw_verdict *v,
				  mw_buf *out)
{
	if (v->kind == MW_VERDICT_REJECT || v->kind == MW_VERDICT_TEMPFAIL)
		return put_refusal_of(s, v, out);
	mw_status st = put_sender_change(s, v, out);
	if (st == MW_OK)
		st = put_rcpt_changes(s, v, out);
	if (st == MW_OK)
		st = put_header_adds(s, v, out);
	if (st == MW_OK && v->kind == MW_VERDICT_QUARANTINE)
		st = put_quarantine(s, v, out);
	if (st != MW_OK)
		return st;
	return v->kind == MW_VERDICT_ACCEPT ? mw_milter_put_accept(out)
					    : mw_milter_put_continue(out);
}

/* -- log lines ------------------------------------------------------ */

/* A bounded line: appends stop at the end, which is marked "...". */
typedef struct log_line {
	char text[LOG_LINE_MAX];
	size_t len;
	bool cut;
} log_line;

static void line_raw(log_line *l, const char *p, size_t n)
{
	size_t room = sizeof l->text - 1 - l->len;
	if (n > room) {
		n = room;
		l->cut = true;
	}
	memcpy(l->text + l->len, p, n);
	l->len += n;
	l->text[l->len] = '\0';
}

static void line_str(log_line *l, const char *s)
{
	line_raw(l, s, strlen(s));
}

/* Text from the MTA or the client, made safe for a log line: bytes
 * outside printable ASCII become '?', and at most LOG_FIELD_MAX are
 * shown. */
static void line_clean(log_line *l, const char *s)
{
	char buf[LOG_FIELD_MAX + 4];
	size_t n = 0;
	for (; s && s[n] && n < LOG_FIELD_MAX; n++) {
		unsigned char c = (unsigned char)s[n];
		buf[n] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
	}
	if (s && s[n]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	line_raw(l, buf, n);
}

static const char *verdict_name(mw_verdict_kind kind)
{
	switch (kind) {
	case MW_VERDICT_REJECT:
		return "reject";
	case MW_VERDICT_TEMPFAIL:
		return "tempfail";
	case MW_VERDICT_QUARANTINE:
		return "quarantine";
	case MW_VERDICT_ACCEPT:
	case MW_VERDICT_CONTINUE:
	default:
		return "accept";
	}
}

static void line_head(log_line *l, const mw_session *s)
{
	char ip[MW_IP_TEXT_MAX] = "unknown";
	char head[64];
	snprintf(head, sizeof head, "conn %lu: ", s->id);
	line_str(l, head);
	line_clean(l, s->queue_id[0] ? s->queue_id : "NOQUEUE");
	line_str(l, s->outbound ? ": outbound" : ": inbound");
	if (s->has_client_ip)
		mw_ip_format(&s->client_ip, ip);
	line_str(l, " client=");
	line_str(l, ip);
	if (s->has_auth_authen) {
		line_str(l, " login=");
		line_clean(l, s->auth_authen);
	}
	line_str(l, " from=<");
	line_clean(l, s->sender);
	line_str(l, ">");
}

static void line_verdict(log_line *l, const mw_verdict *v)
{
	line_str(l, " verdict=");
	line_str(l, verdict_name(v->kind));
	if ((v->kind == MW_VERDICT_REJECT || v->kind == MW_VERDICT_TEMPFAIL) &&
	    v->code[0]) {
		line_str(l, " ");
		line_clean(l, v->code);
		if (v->xcode[0]) {
			line_str(l, " ");
			line_clean(l, v->xcode);
		}
	}
	if (v->new_sender) {
		line_str(l, " new_from=<");
		line_clean(l, v->new_sender);
		line_str(l, ">");
	}
	line_str(l, " reason=\"");
	line_clean(l, v->reason && *v->reason ? v->reason : "-");
	line_str(l, "\"");
}

void session_log_message(const mw_session *s, const mw_verdict *v)
{
	log_line l = {.len = 0};
	line_head(&l, s);
	line_str(&l, " to=");
	/* Recipients until the line is three quarters full, then a count:
	 * the verdict must fit whatever the envelope. */
	size_t shown = 0;
	for (; shown < s->nrcpts && l.len < LOG_LINE_MAX * 3 / 4; shown++) {
		line_str(&l, shown ? ",<" : "<");
		line_clean(&l, s->rcpts[shown]);
		line_str(&l, ">");
	}
	if (s->nrcpts == 0)
		line_str(&l, "none");
	if (shown < s->nrcpts) {
		char more[48];
		snprintf(more, sizeof more, ",(%zu more)", s->nrcpts - shown);
		line_str(&l, more);
	}
	line_verdict(&l, v);
	mw_info("%s%s", l.text, l.cut ? "..." : "");
}

void session_log_refusal(const mw_session *s, session_stage stage,
			 const char *rcpt, const mw_verdict *v)
{
	log_line l = {.len = 0};
	line_head(&l, s);
	if (stage == SESSION_STAGE_RCPT) {
		line_str(&l, " to=<");
		line_clean(&l, rcpt);
		line_str(&l, ">");
	}
	line_str(&l,
		 stage == SESSION_STAGE_MAIL ? " stage=mail" : " stage=rcpt");
	line_verdict(&l, v);
	mw_info("%s%s", l.text, l.cut ? "..." : "");
}
