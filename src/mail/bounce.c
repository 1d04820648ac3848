/*
 * bounce.c - mw_bounce_analyse(): what kind of bounce a message is, who
 * failed, and which message it was.
 *
 * One pass over the MIME tree sorts the parts: report parts (delivery
 * status, feedback report) are read as fields; the first enclosed message
 * or header part is kept as the original; text parts outside enclosed
 * messages are decoded to UTF-8 into one text for the free-text scanner
 * (bounce_text.c) and for the searches that find a quoted original. The
 * kind follows from what was found, strongest evidence first: an ARF
 * report, RFC 3464 fields, a free-text layout the scanner knows or the
 * marks of a mailer daemon, then the marks of an auto-reply.
 */
#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/str.h"
#include "mail/address.h"
#include "mail/bounce.h"
#include "mail/bounce_impl.h"
#include "mail/bounce_text.h"
#include "mail/header.h"
#include "mail/mime.h"

typedef struct analysis {
	mw_arena *a;
	const char *msg;
	size_t len;
	mw_mime_part *root;
	const mw_headers *h;
	mwb_rcpts rcpts;
	mw_buf text;		    /* the human text, UTF-8 */
	const char *text_charset;   /* charset of the first text part */
	mw_mime_part *original;	    /* first message/rfc822 or message/global */
	mw_mime_part *headers;	    /* first text/rfc822-headers */
	mw_mime_part *headers_like; /* a part whose own header section is
				       the original's (no MIME headers) */
	mw_mime_part *forwarded[MW_BOUNCE_FORWARDED_MAX]; /* enclosed reports
						   read as the bounce itself */
	size_t nforwarded;
	mw_mime_part *html[MW_BOUNCE_HTML_PARTS_MAX];
	size_t nhtml;
	bool dsn_part;
	bool feedback_part;
	mwb_fields_result dsn;
	mwb_arf arf;
	mw_ndr ndr;
	bool truncated;
} analysis;

const char *mw_bounce_kind_name(mw_bounce_kind k)
{
	switch (k) {
	case MW_BOUNCE_DSN:
		return "dsn";
	case MW_BOUNCE_NDR:
		return "ndr";
	case MW_BOUNCE_AUTOREPLY:
		return "autoreply";
	case MW_BOUNCE_FEEDBACK:
		return "feedback";
	case MW_BOUNCE_NONE:
		break;
	}
	return "none";
}

/* -- the parts ------------------------------------------------------- */

static bool is_enclosed_message(const mw_mime_part *p)
{
	return mw_mime_is(p, "message", "rfc822") ||
	       mw_mime_is(p, "message", "global") ||
	       mw_mime_is(p, "message", "partial");
}

static bool is_forwarded(const analysis *an, const mw_mime_part *p)
{
	for (size_t i = 0; i < an->nforwarded; i++)
		if (an->forwarded[i] == p)
			return true;
	return false;
}

/* Parts inside an enclosed message belong to the original, not to the
 * bounce, unless that message is a forwarded bounce read through. The
 * depth is bounded by MW_MIME_DEPTH_MAX. */
static bool inside_enclosed(const analysis *an, const mw_mime_part *p)
{
	for (const mw_mime_part *q = p->parent; q; q = q->parent)
		if (is_enclosed_message(q) && !is_forwarded(an, q))
			return true;
	return false;
}

/* A bounce forwarded as an attachment: an enclosed report met before any
 * report of our own is the bounce to read. */
static bool read_through(analysis *an, mw_mime_part *p)
{
	const mw_mime_part *m = p->child;
	if (!m || an->dsn_part || an->feedback_part ||
	    an->nforwarded >= MW_BOUNCE_FORWARDED_MAX)
		return false;
	const char *rt = mw_mime_param(m, "report-type");
	if (!mw_mime_is(m, "multipart", "report") || !rt ||
	    (!mw_cstr_ifind(rt, "delivery-status") &&
	     !mw_cstr_ifind(rt, "feedback-report")))
		return false;
	an->forwarded[an->nforwarded++] = p;
	return true;
}

/* A part with no MIME header of its own whose header section is the
 * original's: some MTAs paste the original's header right after the
 * boundary line. */
static bool headers_of_a_message(const mw_mime_part *p)
{
	return mw_headers_find(&p->headers, "Message-ID") ||
	       (mw_headers_find(&p->headers, "Received") &&
		mw_headers_find(&p->headers, "From"));
}

static void note_text_limit(analysis *an, mw_status st)
{
	if (st == MW_ETOOBIG || st == MW_ETRUNCATED)
		an->truncated = true;
}

static void append_text(analysis *an, const char *p, size_t n)
{
	if (an->text.len && mw_buf_putc(&an->text, '\n')) {
		an->truncated = true;
		return;
	}
	note_text_limit(an, mw_buf_append_some(&an->text, p, n));
}

static void add_text_part(analysis *an, const mw_mime_part *p)
{
	if (an->text.len >= MW_BOUNCE_TEXT_MAX) {
		an->truncated = true;
		return;
	}
	mw_buf tmp;
	mw_buf_init(&tmp, MW_BOUNCE_TEXT_MAX);
	note_text_limit(an, mw_mime_text_utf8(p, &tmp));
	if (tmp.len)
		append_text(an, tmp.data, tmp.len);
	mw_buf_free(&tmp);
	if (!an->text_charset)
		an->text_charset = mw_mime_param(p, "charset");
}

/* The body of a report part, transfer-decoded, in a buffer of its own. */
static bool report_body(analysis *an, const mw_mime_part *p, mw_buf *out)
{
	mw_buf_init(out, MW_BOUNCE_TEXT_MAX);
	note_text_limit(an, mw_mime_decode_body(p, out));
	return out->len > 0;
}

static void read_dsn_part(analysis *an, const mw_mime_part *p)
{
	an->dsn_part = true;
	mw_buf b;
	if (report_body(an, p, &b))
		mwb_dsn_read(an->a, b.data, b.len, false, &an->rcpts, &an->dsn);
	mw_buf_free(&b);
}

static void read_feedback_part(analysis *an, const mw_mime_part *p)
{
	an->feedback_part = true;
	mw_buf b;
	if (report_body(an, p, &b))
		mwb_arf_read(an->a, b.data, b.len, &an->rcpts, &an->arf);
	mw_buf_free(&b);
}

static bool is_text_leaf(const mw_mime_part *p)
{
	if (p->child)
		return false;
	/* A multipart whose boundary never shows is text to us. */
	if (mw_mime_is(p, "multipart", NULL))
		return true;
	if (!mw_mime_is(p, "text", NULL))
		return false;
	return !mw_mime_is(p, "text", "html") &&
	       !mw_mime_is(p, "text", "rfc822-headers") &&
	       !mw_mime_is(p, "text", "rfc822-header") &&
	       !mw_mime_is(p, "text", "calendar");
}

static void sort_part(analysis *an, mw_mime_part *p)
{
	if (mw_mime_is(p, "message", "delivery-status") ||
	    mw_mime_is(p, "message", "global-delivery-status")) {
		read_dsn_part(an, p);
	} else if (mw_mime_is(p, "message", "feedback-report")) {
		read_feedback_part(an, p);
	} else if (is_enclosed_message(p)) {
		if (p != an->root && !read_through(an, p) && !an->original)
			an->original = p;
	} else if (mw_mime_is(p, "text", "rfc822-headers") ||
		   mw_mime_is(p, "text", "rfc822-header") ||
		   mw_mime_is(p, "message", "global-headers") ||
		   mw_mime_is(p, "message", "rfc822-headers")) {
		if (!an->headers)
			an->headers = p;
	} else if (is_text_leaf(p)) {
		if (p != an->root && !an->headers_like &&
		    headers_of_a_message(p))
			an->headers_like = p;
		add_text_part(an, p);
	} else if (mw_mime_is(p, "text", "html") && !p->child &&
		   an->nhtml < MW_BOUNCE_HTML_PARTS_MAX) {
		an->html[an->nhtml++] = p;
	}
}

static void sort_parts(analysis *an)
{
	for (mw_mime_part *p = an->root; p; p = mw_mime_walk(an->root, p)) {
		if (inside_enclosed(an, p))
			continue;
		sort_part(an, p);
		if (an->rcpts.nomem)
			break;
	}
}

static void add_html_parts(analysis *an)
{
	for (size_t i = 0; i < an->nhtml; i++) {
		mw_buf tmp, txt;
		mw_buf_init(&tmp, MW_BOUNCE_TEXT_MAX);
		mw_buf_init(&txt, MW_BOUNCE_TEXT_MAX);
		note_text_limit(an, mw_mime_text_utf8(an->html[i], &tmp));
		mwb_html_to_text(tmp.data ? tmp.data : "", tmp.len, &txt);
		if (txt.len)
			append_text(an, txt.data, txt.len);
		mw_buf_free(&tmp);
		mw_buf_free(&txt);
		if (!an->text_charset)
			an->text_charset =
			    mw_mime_param(an->html[i], "charset");
	}
}

/* Amazon SES posts complaints as JSON, "notificationType":"Complaint",
 * the quotes escaped when the notice is wrapped in an SNS message. */
static bool complaint_notice(const analysis *an)
{
	if (!an->text.len)
		return false;
	mw_str t = mw_str_make(an->text.data, an->text.len);
	long at = mw_str_find(t, MW_STR_LIT("notificationType"));
	if (at < 0)
		return false;
	size_t i = (size_t)at + strlen("notificationType"), k = 0;
	while (i < t.n && k++ < 12 &&
	       (t.p[i] == '"' || t.p[i] == '\\' || t.p[i] == ':' ||
		mw_is_wsp((unsigned char)t.p[i])))
		i++;
	return mw_str_istarts(mw_str_make(t.p + i, t.n - i), "complaint");
}

/* Microsoft's JMRP reports and Apple Mail's unsubscribe requests are
 * feedback without the ARF part. */
static bool marks_of_feedback(const analysis *an)
{
	const char *rt = mw_mime_param(an->root, "report-type");
	if (mw_mime_is(an->root, "multipart", "report") && rt &&
	    mw_cstr_ifind(rt, "feedback-report"))
		return true;
	if (an->original && an->original->child &&
	    mw_headers_find(&an->original->child->headers,
			    "X-HmXmrOriginalRecipient"))
		return true;
	const char *v = mw_headers_get(an->h, "X-Apple-Unsubscribe");
	if (v && mw_cstr_ifind(v, "true"))
		return true;
	return complaint_notice(an);
}

/* -- recipients from the other sources ---------------------------------- */

static void merge_ndr_rcpts(analysis *an)
{
	bool take_all = an->rcpts.n == 0;
	for (size_t i = 0; i < an->ndr.nrecipients; i++) {
		const mw_bounce_rcpt *s = &an->ndr.recipients[i];
		if (!s->address)
			continue;
		mw_bounce_rcpt *r = NULL;
		const char *addr =
		    mwb_addr_norm(an->a, s->address, strlen(s->address));
		if (addr)
			r = mwb_rcpt_find(&an->rcpts, addr);
		if (!r && take_all)
			r = mwb_rcpt_add(an->a, &an->rcpts, s->address,
					 strlen(s->address));
		if (r)
			mwb_rcpt_merge(r, s);
	}
}

static void add_list(analysis *an, const char *v, size_t n)
{
	mw_address *list = NULL;
	size_t count = 0;
	if (mw_address_parse_list(an->a, v, n, &list, &count) == MW_ENOMEM)
		return;
	for (size_t k = 0; k < count && !an->rcpts.full; k++)
		if (list[k].addr && list[k].domain)
			(void)mwb_rcpt_add(an->a, &an->rcpts, list[k].addr,
					   strlen(list[k].addr));
}

static void add_header_addresses(analysis *an, const mw_headers *h,
				 const char *name)
{
	size_t i = 0;
	const mw_header_field *f;
	while ((f = mw_headers_next(h, name, &i)) && !an->rcpts.full)
		add_list(an, f->value, f->value_len);
}

/* The complaint is about a message the reporter received: the original's
 * recipients, when the report does not name them. */
static void feedback_rcpts(analysis *an, const mw_bounce *out)
{
	if (an->rcpts.n)
		return;
	merge_ndr_rcpts(an);
	if (!an->rcpts.n && mw_headers_get(an->h, "X-Apple-Unsubscribe"))
		add_header_addresses(an, an->h, "From");
	if (!an->rcpts.n && an->original && an->original->child) {
		const mw_headers *oh = &an->original->child->headers;
		add_header_addresses(an, oh, "X-HmXmrOriginalRecipient");
		if (!an->rcpts.n)
			add_header_addresses(an, oh, "To");
	}
	if (!an->rcpts.n && out->original.to)
		add_list(an, out->original.to, strlen(out->original.to));
}

/* The first paragraph of the human text, as a reason for reports and
 * auto-replies that give no other. */
static const char *text_summary(analysis *an)
{
	mw_str t = mw_str_make(an->text.data, an->text.len);
	size_t pos = 0, start = 0, end = 0;
	bool in_para = false;
	mw_str line;
	while (mw_line_next(t, &pos, &line)) {
		bool blank = mw_str_trim(line).n == 0;
		if (!in_para && !blank) {
			in_para = true;
			start = (size_t)(line.p - t.p);
		}
		if (in_para && blank)
			break;
		if (in_para)
			end = (size_t)(line.p - t.p) + line.n;
	}
	if (!in_para)
		return NULL;
	return mwb_text_fold(an->a, t.p + start, end - start,
			     MW_BOUNCE_DIAGNOSTIC_MAX, NULL);
}

static void describe_all(analysis *an, const char *diag)
{
	for (size_t i = 0; i < an->rcpts.n; i++)
		if (!an->rcpts.v[i].diagnostic)
			an->rcpts.v[i].diagnostic = diag;
}

/* Diagnostics from any source end up UTF-8, folded and capped; codes
 * missing from the fields are taken from the diagnostic. */
static void finish_rcpts(analysis *an)
{
	for (size_t i = 0; i < an->rcpts.n; i++) {
		mw_bounce_rcpt *r = &an->rcpts.v[i];
		if (r->diagnostic) {
			mw_str d =
			    mwb_strip_type(mw_str_from_cstr(r->diagnostic));
			r->diagnostic = mwb_text_fold(
			    an->a, d.p, d.n, MW_BOUNCE_DIAGNOSTIC_MAX, NULL);
		}
		mwb_rcpt_codes_from_diagnostic(an->a, r);
	}
}

/* -- the original ----------------------------------------------------- */

static const char *part_charset(const mw_mime_part *p)
{
	for (; p; p = p->child) {
		const char *cs = mw_mime_param(p, "charset");
		if (cs)
			return cs;
		if (!p->child || !mw_mime_is(p, "multipart", NULL))
			break;
	}
	return NULL;
}

static void original_from_headers_part(analysis *an, mw_bounce_original *o)
{
	mw_buf b;
	mw_buf_init(&b, MW_HEADER_SECTION_MAX);
	note_text_limit(an, mw_mime_decode_body(an->headers, &b));
	mw_headers h;
	if (b.len && mw_headers_parse(an->a, b.data, b.len, &h) != MW_ENOMEM) {
		const char *cs = mw_mime_param(an->headers, "charset");
		mwb_original_from_headers(an->a, &h, cs ? cs : an->text_charset,
					  o);
	}
	mw_buf_free(&b);
}

/* The last msg-id of In-Reply-To or References: a bounce answers the
 * message it returns. */
static const char *replied_msgid(analysis *an)
{
	const mw_header_field *f = mw_headers_find(an->h, "In-Reply-To");
	if (f) {
		char *id = mw_header_msgid(an->a, f->value, f->value_len);
		if (id)
			return id;
	}
	f = mw_headers_find(an->h, "References");
	if (!f)
		return NULL;
	const char *last = memrchr(f->value, '<', f->value_len);
	if (!last)
		return NULL;
	size_t off = (size_t)(last - f->value);
	return mw_header_msgid(an->a, last, f->value_len - off);
}

/* The enclosed message's header, or, when the part's body starts with
 * stray blank lines that hid it from the MIME parser, the header after
 * them. */
static void original_from_enclosed(analysis *an, mw_bounce_original *o)
{
	const mw_mime_part *m = an->original->child;
	const char *cs = m ? part_charset(m) : NULL;
	if (!cs)
		cs = an->text_charset;
	if (m && m->headers.count) {
		mwb_original_from_headers(an->a, &m->headers, cs, o);
		if (o->message_id)
			return;
	}
	mw_buf b;
	mw_buf_init(&b, MW_BOUNCE_TEXT_MAX);
	note_text_limit(an, mw_mime_decode_body(an->original, &b));
	if (b.len)
		mwb_original_from_text(an->a, b.data, b.len, 0, false, cs, o);
	mw_buf_free(&b);
}

static void find_original_in_parts(analysis *an, mw_bounce_original *o)
{
	if (an->original)
		original_from_enclosed(an, o);
	if (!o->message_id && an->headers)
		original_from_headers_part(an, o);
	if (!o->message_id && an->headers_like)
		mwb_original_from_headers(an->a, &an->headers_like->headers,
					  an->text_charset, o);
}

static void find_original_in_text(analysis *an, mw_bounce_original *o)
{
	const char *t = an->text.data;
	size_t n = an->text.len;
	if (!o->message_id && n && an->ndr.original_offset >= 0)
		mwb_original_from_text(an->a, t, n,
				       (size_t)an->ndr.original_offset, false,
				       NULL, o);
	if (!o->message_id && n) {
		long at = mwb_original_marker(t, n);
		if (at >= 0)
			mwb_original_from_text(an->a, t, n, (size_t)at, false,
					       NULL, o);
	}
	if (!o->message_id && n)
		mwb_original_from_text(an->a, t, n, 0, true, NULL, o);
	/* Last, the raw body: a boundary misspelt by the bounce's MTA hides
	 * the original's part inside the report part before it. Not when
	 * the original came as a part: its body may quote other mail. */
	size_t body = an->h->body_offset;
	bool part_found = an->original || an->headers || an->headers_like;
	if (!o->message_id && !part_found && body < an->len)
		mwb_original_from_text(an->a, an->msg + body,
				       an->len - body < MW_BOUNCE_TEXT_MAX
					   ? an->len - body
					   : MW_BOUNCE_TEXT_MAX,
				       0, true, an->text_charset, o);
	if (!mwb_original_found(o) && n)
		mwb_original_from_summary(an->a, t, n, o);
	if (!o->message_id)
		o->message_id = replied_msgid(an);
}

/* -- the verdict ------------------------------------------------------- */

static mw_bounce_kind classify(analysis *an, const mw_bounce *out)
{
	if (an->feedback_part || marks_of_feedback(an))
		return MW_BOUNCE_FEEDBACK;
	if (an->dsn_part || an->dsn.groups)
		return MW_BOUNCE_DSN;
	bool daemon = mwb_from_mailer_daemon(an->h);
	bool subject = mwb_subject_of_bounce(an->h);
	bool failed_hdr = mw_headers_find(an->h, "X-Failed-Recipients");
	/* Mailer daemons mark their bounces auto-replied too (Exim, Gmail):
	 * an auto-reply is one that has no mark of a bounce. */
	if (!daemon && !subject && !failed_hdr && mwb_marks_of_autoreply(an->h))
		return MW_BOUNCE_AUTOREPLY;
	if (an->ndr.recognised || failed_hdr)
		return MW_BOUNCE_NDR;
	/* Without a layout the scanner knows, the marks need support: a
	 * daemon's word with a bounce subject or something found, a
	 * subject alone with both a recipient and the original. */
	bool rcpts = an->rcpts.n || an->ndr.nrecipients;
	bool original = mwb_original_found(&out->original);
	if (daemon && (subject || rcpts || original))
		return MW_BOUNCE_NDR;
	if (subject && rcpts && original)
		return MW_BOUNCE_NDR;
	return MW_BOUNCE_NONE;
}

/* Whether classify() can say anything but "none": the searches of the
 * text for a quoted original are spared for ordinary mail. */
static bool has_any_mark(analysis *an)
{
	return an->feedback_part || an->dsn_part || an->dsn.groups ||
	       an->ndr.recognised || marks_of_feedback(an) ||
	       mwb_from_mailer_daemon(an->h) || mwb_subject_of_bounce(an->h) ||
	       mw_headers_find(an->h, "X-Failed-Recipients") ||
	       mwb_marks_of_autoreply(an->h);
}

/* A bounce that names nobody ("Delivery report unavailable") failed for
 * the original's recipient, when the original had a single one. */
static void original_to_rcpt(analysis *an, const mw_bounce *out)
{
	if (an->rcpts.n || !out->original.to)
		return;
	mw_address *list = NULL;
	size_t count = 0;
	const char *to = out->original.to;
	if (mw_address_parse_list(an->a, to, strlen(to), &list, &count) ==
		MW_OK &&
	    count == 1 && list[0].domain)
		(void)mwb_rcpt_add(an->a, &an->rcpts, list[0].addr,
				   strlen(list[0].addr));
}

/* The one who is away is the one who replied. */
static void autoreply_rcpts(analysis *an)
{
	an->rcpts.n = 0;
	add_header_addresses(an, an->h, "From");
}

/* The free-text scanner can add nothing to a report whose every
 * recipient has all its facts and whose original came as a part; the
 * report's own fields win over the text's anyway. */
static bool text_can_add(const analysis *an, const mw_bounce_original *o)
{
	if (!an->dsn_part || !an->rcpts.n || !o->message_id ||
	    !an->dsn.reporting_mta)
		return true;
	for (size_t i = 0; i < an->rcpts.n; i++) {
		const mw_bounce_rcpt *r = &an->rcpts.v[i];
		if (!r->status || !r->reply_code || !r->action ||
		    !r->diagnostic)
			return true;
	}
	return false;
}

static void scan_text(analysis *an, const mw_bounce_original *o)
{
	memset(&an->ndr, 0, sizeof(an->ndr));
	an->ndr.original_offset = -1;
	if (!an->dsn_part && !an->feedback_part && an->text.len)
		mwb_dsn_read(an->a, an->text.data, an->text.len, true,
			     &an->rcpts, &an->dsn);
	if (!text_can_add(an, o))
		return;
	mw_ndr_scan(an->a, an->h, an->text.data ? an->text.data : "",
		    an->text.len, &an->ndr);
	if (an->ndr.original_offset >= (long)an->text.len)
		an->ndr.original_offset = -1;
}

mw_status mw_bounce_analyse(mw_arena *a, const char *msg, size_t len,
			    mw_bounce *out)
{
	memset(out, 0, sizeof(*out));
	analysis an;
	memset(&an, 0, sizeof(an));
	an.a = a;
	an.msg = msg;
	an.len = len;
	mw_status st = mw_mime_parse(a, msg, len, &an.root);
	if (st == MW_ENOMEM || !an.root)
		return MW_ENOMEM;
	an.truncated = st == MW_ETRUNCATED || an.root->truncated;
	an.h = &an.root->headers;
	mw_buf_init(&an.text, MW_BOUNCE_TEXT_MAX);

	sort_parts(&an);
	if (an.text.len == 0)
		add_html_parts(&an);
	find_original_in_parts(&an, &out->original);
	scan_text(&an, &out->original);
	if (has_any_mark(&an))
		find_original_in_text(&an, &out->original);

	out->kind = classify(&an, out);
	switch (out->kind) {
	case MW_BOUNCE_FEEDBACK:
		feedback_rcpts(&an, out);
		describe_all(&an, text_summary(&an));
		break;
	case MW_BOUNCE_AUTOREPLY:
		autoreply_rcpts(&an);
		describe_all(&an, text_summary(&an));
		break;
	case MW_BOUNCE_NONE:
		an.rcpts.n = 0;
		memset(&out->original, 0, sizeof(out->original));
		break;
	default:
		merge_ndr_rcpts(&an);
		add_header_addresses(&an, an.h, "X-Failed-Recipients");
		original_to_rcpt(&an, out);
		break;
	}
	finish_rcpts(&an);

	out->is_bounce = out->kind != MW_BOUNCE_NONE;
	out->recipients = an.rcpts.v;
	out->nrecipients = an.rcpts.n;
	if (out->kind != MW_BOUNCE_NONE)
		out->reporting_mta = an.dsn.reporting_mta ? an.dsn.reporting_mta
				     : an.arf.reporting_mta
					 ? an.arf.reporting_mta
					 : an.ndr.reporting_mta;
	out->truncated = an.truncated || an.rcpts.full || an.dsn.limited ||
			 an.rcpts.nomem || a->refused ||
			 an.root->headers.truncated;
	mw_buf_free(&an.text);
	if (out->truncated)
		return MW_ETRUNCATED;
	return MW_OK;
}
