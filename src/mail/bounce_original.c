/*
 * bounce_original.c - the identity of the message that bounced.
 *
 * A bounce carries its original as a message/rfc822 part, as a
 * text/rfc822-headers part, or quoted in its text after a marker line,
 * often indented or "> "-quoted. Wherever it comes from, the original's
 * header section is parsed with the ordinary header parser and its fields
 * are decoded the same way, so that the identity does not depend on the
 * shape of the bounce.
 */
#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/str.h"
#include "mail/address.h"
#include "mail/bounce_impl.h"
#include "mail/header.h"
#include "mail/received.h"

bool mwb_original_found(const mw_bounce_original *o)
{
	return o->message_id || o->from || o->subject || o->to;
}

static const char *decoded(mw_arena *a, const mw_headers *h, const char *name,
			   const char *charset)
{
	const mw_header_field *f = mw_headers_find(h, name);
	if (!f || f->value_len == 0)
		return NULL;
	char *s = mw_header_decode(a, f->value, f->value_len, charset);
	return (s && s[0]) ? s : NULL;
}

static const char *return_path(mw_arena *a, const mw_headers *h)
{
	const mw_header_field *f = mw_headers_find(h, "Return-Path");
	if (!f || !memchr(f->value, '@', f->value_len))
		return NULL;
	const mw_address *ad = mw_address_parse_one(a, f->value, f->value_len);
	if (ad && ad->addr && ad->addr[0])
		return ad->addr;
	return mw_address_find(a, f->value, f->value_len, NULL);
}

void mwb_original_from_headers(mw_arena *a, const mw_headers *h,
			       const char *fallback_charset,
			       mw_bounce_original *o)
{
	if (!h || h->count == 0)
		return;
	if (!o->message_id) {
		const mw_header_field *f = mw_headers_find(h, "Message-ID");
		if (f)
			o->message_id =
			    mw_header_msgid(a, f->value, f->value_len);
	}
	if (!o->from)
		o->from = decoded(a, h, "From", fallback_charset);
	if (!o->to)
		o->to = decoded(a, h, "To", fallback_charset);
	if (!o->subject)
		o->subject = decoded(a, h, "Subject", fallback_charset);
	if (!o->date)
		o->date = decoded(a, h, "Date", fallback_charset);
	if (!o->return_path)
		o->return_path = return_path(a, h);
	if (o->nreceived == 0 && mw_headers_find(h, "Received")) {
		mw_trace tr;
		memset(&tr, 0, sizeof(tr));
		if (mw_trace_build(a, h, &tr) != MW_ENOMEM && tr.nhops) {
			o->received = tr.hops;
			o->nreceived = tr.nhops;
		}
	}
}

/* -- quoted header sections ------------------------------------------- */

/* The quoting in front of a line: white space and '>' marks. */
static size_t quote_prefix_len(mw_str line)
{
	size_t i = 0;
	while (i < line.n && i < 16 &&
	       (mw_is_wsp((unsigned char)line.p[i]) || line.p[i] == '>'))
		i++;
	return i;
}

/* "Name:" with an RFC 5322 field name right at s. */
static bool field_at(mw_str s)
{
	size_t i = 0;
	while (i < s.n && i < 77) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == ':')
			return i >= 2 && mw_is_alpha((unsigned char)s.p[0]);
		if (!mw_is_alnum(c) && c != '-' && c != '_')
			return false;
		i++;
	}
	return false;
}

static bool is_blank(mw_str s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!mw_is_space((unsigned char)s.p[i]))
			return false;
	return true;
}

/* A quoted line without its quoting: the '>' marks of the first line and
 * at most as much indentation as it had, so that continuation lines keep
 * their leading white space. */
static mw_str unquote(mw_str line, size_t quotes, size_t indent)
{
	size_t i = 0, q = 0, w = 0;
	while (i < line.n) {
		unsigned char c = (unsigned char)line.p[i];
		if (c == '>' && q < quotes) {
			q++;
			w = 0;
			i++;
			/* "> " is one mark with its space */
			if (i < line.n && line.p[i] == ' ' && q == quotes) {
				i++;
				break;
			}
			continue;
		}
		if (mw_is_wsp(c) && q < quotes) {
			i++;
			continue;
		}
		if (mw_is_wsp(c) && q == quotes && w < indent) {
			w++;
			i++;
			continue;
		}
		break;
	}
	return mw_str_make(line.p + i, line.n - i);
}

typedef struct quote_style {
	size_t quotes; /* '>' marks */
	size_t indent; /* white space after them */
} quote_style;

static quote_style style_of(mw_str line)
{
	quote_style st = {0, 0};
	size_t p = quote_prefix_len(line);
	for (size_t i = 0; i < p; i++) {
		if (line.p[i] == '>') {
			st.quotes++;
			st.indent = 0;
		} else {
			st.indent++;
		}
	}
	/* "> Name:" : the space belongs to the mark, as unquote() has it. */
	if (st.quotes && st.indent)
		st.indent--;
	return st;
}

/* Copy the header block that starts at text[start] into buf, unquoted,
 * up to its first empty line. Returns the offset after the block and
 * tells whether the block holds a Message-ID field. */
static size_t copy_block(mw_str t, size_t start, mw_buf *buf, bool *msgid)
{
	size_t pos = start;
	mw_str line;
	bool first = true;
	quote_style st = {0, 0};
	*msgid = false;
	while (mw_line_next(t, &pos, &line)) {
		if (first) {
			st = style_of(line);
			first = false;
		}
		mw_str u = unquote(line, st.quotes, st.indent);
		if (is_blank(u))
			break;
		if (!*msgid && mw_str_istarts(u, "message-id") && u.n > 10 &&
		    (u.p[10] == ':' || mw_is_wsp((unsigned char)u.p[10])))
			*msgid = true;
		if (mw_buf_append(buf, u.p, u.n) || mw_buf_putc(buf, '\n'))
			break;
	}
	return pos;
}

static bool headers_identify(const mw_headers *h)
{
	return mw_headers_find(h, "Message-ID") || mw_headers_find(h, "From") ||
	       mw_headers_find(h, "Subject") || mw_headers_find(h, "To");
}

bool mwb_headers_of_bounce(const mw_headers *h)
{
	/* Not "postmaster": people send from it, and their mail bounces. */
	static const char *const daemons[] = {"mailer-daemon", "mail delivery"};
	const char *from = mw_headers_get(h, "From");
	for (size_t i = 0; from && i < sizeof(daemons) / sizeof(*daemons); i++)
		if (mw_cstr_ifind(from, daemons[i]))
			return true;
	const char *rp = mw_headers_get(h, "Return-Path");
	if (rp && strcmp(rp, "<>") == 0)
		return true;
	const char *ct = mw_headers_get(h, "Content-Type");
	return ct && mw_cstr_ifind(ct, "multipart/report");
}

bool mwb_original_from_text(mw_arena *a, const char *text, size_t n,
			    size_t from, bool need_msgid, const char *charset,
			    mw_bounce_original *o)
{
	if (from >= n)
		return false;
	mw_str t = mw_str_make(text, n);
	/* Right after a marker the copy is near; a search for a Message-ID
	 * goes through the whole text, each block read once. */
	size_t limit = need_msgid ? n : from + MW_BOUNCE_QUOTE_SEARCH;
	size_t pos = from;
	mw_str line;
	mw_buf buf;
	mw_buf_init(&buf, MW_HEADER_SECTION_MAX);
	bool found = false;
	unsigned blocks = 0;
	while (pos < limit &&
	       (need_msgid || blocks < MW_BOUNCE_QUOTE_BLOCKS_MAX)) {
		size_t at = pos;
		if (!mw_line_next(t, &pos, &line))
			break;
		size_t q = quote_prefix_len(line);
		if (!field_at(mw_str_make(line.p + q, line.n - q)))
			continue;
		blocks++;
		mw_buf_reset(&buf);
		bool has_msgid;
		pos = copy_block(t, at, &buf, &has_msgid);
		if (need_msgid && !has_msgid)
			continue;
		mw_headers h;
		if (mw_headers_parse(a, buf.data ? buf.data : "", buf.len,
				     &h) == MW_ENOMEM)
			break;
		/* A forwarded bounce quotes its own header first. */
		if (!headers_identify(&h) || mwb_headers_of_bounce(&h))
			continue;
		mwb_original_from_headers(a, &h, charset, o);
		found = true;
		break;
	}
	mw_buf_free(&buf);
	return found;
}

/* -- markers ---------------------------------------------------------- */

/* Phrases that announce the copy wherever they stand in a line. */
static const char *const strong_markers[] = {
    "below this line is a copy of the message",
    "copy of the original message",
    "copy of the message",
    "original message follows",
    "original message headers",
    "original message header",
    "headers of the original message",
    "header of the original message",
    "headers of your message",
    "message headers follow",
    "undelivered message headers",
    "returned message follows",
    "returned message header",
    "text of the original message",
    "unsent message below",
    "included is the original",
    "original header",
    "message header follows",
    "first part of the message",
    "this is the original message",
    "元のメッセージ",
    "送信したメッセージ",
    "元メッセージ",
};

/* Words that make a decorated line ("----- ... -----") a marker. */
static const char *const decorated_words[] = {
    "original", "message", "header", "returned", "attached",
};

static bool decorated(mw_str line)
{
	size_t run = 0;
	for (size_t i = 0; i < line.n; i++) {
		char c = line.p[i];
		if (c == '-' || c == '=' || c == '*' || c == '_' || c == '+')
			run++;
		else
			run = 0;
		if (run >= 3)
			return true;
	}
	return false;
}

/* Every marker holds one of these: a cheap test before the phrases. */
static const char *const marker_stems[] = {
    "messag", "origin", "header", "return", "attach", "メッセージ",
};

static bool marker_line(mw_str line)
{
	if (line.n < 8 || line.n > 160)
		return false;
	size_t k = 0;
	for (; k < sizeof(marker_stems) / sizeof(*marker_stems); k++)
		if (mw_str_ifind(line, marker_stems[k]) >= 0)
			break;
	if (k == sizeof(marker_stems) / sizeof(*marker_stems))
		return false;
	for (size_t i = 0; i < sizeof(strong_markers) / sizeof(*strong_markers);
	     i++)
		if (mw_str_ifind(line, strong_markers[i]) >= 0)
			return true;
	if (!decorated(line))
		return false;
	for (size_t i = 0;
	     i < sizeof(decorated_words) / sizeof(*decorated_words); i++)
		if (mw_str_ifind(line, decorated_words[i]) >= 0)
			return mw_str_ifind(line, "transcript") < 0 &&
			       mw_str_ifind(line, "end of") < 0;
	return false;
}

long mwb_original_marker(const char *text, size_t n)
{
	mw_str t = mw_str_make(text, n);
	size_t pos = 0;
	mw_str line;
	while (mw_line_next(t, &pos, &line))
		if (marker_line(line))
			return pos >= n ? -1 : (long)pos;
	return -1;
}

/* -- summaries ---------------------------------------------------------- */

/* Exchange, Domino and others describe the original instead of quoting
 * it: "Your message\n\n  To: x\n  Subject: y\n  Sent: z\n\nwas not
 * delivered to:", the fields indented and at times blank-line separated. */
static bool summary_marker(mw_str line)
{
	static const char *const heads[] = {"your message", "message details",
					    "original message details"};
	mw_str s = mw_str_trim(line);
	if (s.n && s.p[s.n - 1] == ':')
		s.n--;
	for (size_t i = 0; i < sizeof(heads) / sizeof(*heads); i++)
		if (mw_str_ieq_cstr(s, heads[i]))
			return true;
	return false;
}

/* The summary's fields, one a line, without their indentation. */
static void copy_summary(mw_str t, size_t pos, mw_buf *buf)
{
	mw_str line;
	unsigned fields = 0;
	while (fields < MW_BOUNCE_SUMMARY_FIELDS_MAX &&
	       mw_line_next(t, &pos, &line)) {
		mw_str s = mw_str_trim(line);
		if (s.n == 0)
			continue;
		if (!field_at(s))
			break;
		fields++;
		if (mw_buf_append(buf, s.p, s.n) || mw_buf_putc(buf, '\n'))
			break;
	}
}

bool mwb_original_from_summary(mw_arena *a, const char *text, size_t n,
			       mw_bounce_original *o)
{
	mw_str t = mw_str_make(text, n);
	size_t pos = 0;
	mw_str line;
	while (mw_line_next(t, &pos, &line)) {
		if (!summary_marker(line))
			continue;
		mw_buf buf;
		mw_buf_init(&buf, MW_HEADER_VALUE_MAX);
		copy_summary(t, pos, &buf);
		mw_headers h;
		bool found = false;
		if (buf.len &&
		    mw_headers_parse(a, buf.data, buf.len, &h) != MW_ENOMEM &&
		    headers_identify(&h)) {
			mwb_original_from_headers(a, &h, NULL, o);
			found = true;
		}
		mw_buf_free(&buf);
		return found;
	}
	return false;
}
