/*
 * notice.c - composing a guard notice: the facts checked, the headers,
 * the body in base64.
 *
 * The body is base64, not 8bit as the backscatter digest is: a notice
 * quotes outside values (an ASN's name, a signal) and may pass a relay
 * that does not take 8-bit mail, and base64 keeps every line of it at 76
 * characters whatever the text holds. The headers carry no outside value
 * that is not checked first: the addresses are refused when they could
 * break a header, the host likewise, and the Subject is encoded words
 * made from our own text and a cleaned account name.
 */
#include <stdio.h>
#include <string.h>

#include "guard/notice_int.h"
#include "shield/digest.h"

/* -- checks ----------------------------------------------------------- */

/* Bytes that would end or change an address in a header field. */
static bool address_special(char c)
{
	return strchr("<>\"(),;:[]\\", c) != NULL;
}

static bool no_specials(const char *s)
{
	for (; *s; s++)
		if (address_special(*s))
			return false;
	return true;
}

/* local@domain, both non-empty, nothing that could break "<%s>". */
static bool address_ok(const char *s)
{
	if (!mw_notice_visible(s, MW_ADDRESS_MAX) || !no_specials(s))
		return false;
	const char *at = strchr(s, '@');
	return at && at != s && at[1] && !strchr(at + 1, '@');
}

/* An account is a login name: an address, or a bare user name. */
static bool account_ok(const char *s)
{
	return mw_notice_visible(s, MW_ADDRESS_MAX) && no_specials(s);
}

/* Our host name, for the Message-ID: letters, digits, . - _ only. */
static bool host_ok(const char *h)
{
	if (!h || !h[0])
		return true; /* mw_digest_message_id says "localhost" */
	size_t n = 0;
	for (; h[n]; n++) {
		char c = h[n];
		if (n >= 255 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

static bool facts_ok(const mw_notice_facts *f)
{
	if (f->kind < MW_NOTICE_SUSPENDED || f->kind > MW_NOTICE_UNLOCKED)
		return false;
	if (!address_ok(f->from) || !address_ok(f->to) ||
	    !account_ok(f->account) || !host_ok(f->host) || f->now <= 0)
		return false;
	if ((f->nlogins && !f->logins) || (f->nsignals && !f->signals))
		return false;
	if (f->kind == MW_NOTICE_LIMIT && (!f->limit_name || !f->limit_name[0]))
		return false;
	return true;
}

/* -- headers ---------------------------------------------------------- */

/* A Message-ID given by the caller goes into a header as it is: no
 * blanks, no brackets, no control characters, one '@', of a sane size. */
static bool msgid_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 3 || n > 255)
		return false;
	int ats = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (c <= ' ' || c >= 0x7f || c == '<' || c == '>')
			return false;
		ats += c == '@';
	}
	return ats == 1;
}

static mw_status put_headers(mw_buf *o, const mw_notice_facts *f)
{
	char subject[1024];
	char msgid[512];
	mw_status rc = MW_OK;
	if (f->message_id && msgid_ok(f->message_id))
		snprintf(msgid, sizeof msgid, "%s", f->message_id);
	else if (f->message_id)
		return MW_EINVAL;
	else
		rc = mw_digest_message_id(f->host, msgid, sizeof msgid);
	if (rc != MW_OK)
		return rc;
	mw_notice_subject(f, subject, sizeof subject);
	rc = mw_buf_printf(o,
			   "From: mailwarden <%s>\r\n"
			   "To: <%s>\r\n",
			   f->from, f->to);
	if (rc == MW_OK)
		rc = mw_digest_put_subject(o, subject);
	if (rc == MW_OK)
		rc = mw_digest_put_date(o, f->now);
	if (rc == MW_OK)
		rc = mw_buf_printf(o,
				   "Message-ID: <%s>\r\n"
				   "MIME-Version: 1.0\r\n"
				   "Content-Type: text/plain; charset=UTF-8\r\n"
				   "Content-Transfer-Encoding: base64\r\n"
				   "Auto-Submitted: auto-generated\r\n"
				   "X-Auto-Response-Suppress: All\r\n"
				   "X-Mailwarden-Notice: %s\r\n"
				   "\r\n",
				   msgid, mw_notice_kind_word(f->kind));
	return rc;
}

/* -- body ------------------------------------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 57 bytes make one line of 76 base64 characters (RFC 2045 6.8). */
#define B64_LINE_BYTES 57

static mw_status put_base64_line(mw_buf *o, const unsigned char *p, size_t n)
{
	char line[80];
	size_t k = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		line[k++] = b64[(v >> 18) & 63];
		line[k++] = b64[(v >> 12) & 63];
		line[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		line[k++] = i + 2 < n ? b64[v & 63] : '=';
	}
	line[k++] = '\r';
	line[k++] = '\n';
	return mw_buf_append(o, line, k);
}

static mw_status put_base64(mw_buf *o, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	mw_status rc = MW_OK;
	for (size_t i = 0; i < n && rc == MW_OK; i += B64_LINE_BYTES)
		rc = put_base64_line(
		    o, p + i, n - i < B64_LINE_BYTES ? n - i : B64_LINE_BYTES);
	return rc;
}

/* -- the whole ---------------------------------------------------------- */

mw_status mw_notice_compose(const mw_notice_facts *f, mw_buf *out)
{
	if (!out)
		return MW_EINVAL;
	mw_buf_reset(out);
	if (!f || !facts_ok(f))
		return MW_EINVAL;
	mw_buf text;
	/* base64 grows the text by a third: a text past 3/4 of the cap
	 * could never fit */
	mw_buf_init(&text, MW_NOTICE_MAX / 4 * 3);
	mw_status rc = mw_notice_put_text(&text, f);
	if (rc == MW_OK)
		rc = put_headers(out, f);
	if (rc == MW_OK)
		rc = put_base64(out, text.data ? text.data : "", text.len);
	if (rc == MW_OK && out->len > MW_NOTICE_MAX)
		rc = MW_ETOOBIG;
	mw_buf_free(&text);
	if (rc != MW_OK)
		mw_buf_reset(out); /* nothing half-written */
	return rc;
}
