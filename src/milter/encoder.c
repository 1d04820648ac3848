/*
 * encoder.c - reply frames into a capped buffer, whole or not at all.
 *
 * Each reply is sized first (its length goes in front), checked against
 * the frame limit and the buffer's cap, then written with a small frame
 * writer that rolls the buffer back if an append still fails. Validation
 * comes before any byte is written, so a refused reply leaves no trace.
 */
#include "milter/encoder.h"

#include <string.h>

#include "lib/limits.h"
#include "lib/log.h"
#include "mail/charset.h"

/* -- the frame writer ------------------------------------------------- */

typedef struct frame {
	mw_buf *b;
	size_t start;	/* b->len before the frame */
	size_t payload; /* payload bytes announced */
	mw_status st;
} frame;

static void put_be32(char out[4], uint32_t v)
{
	out[0] = (char)(v >> 24);
	out[1] = (char)(v >> 16);
	out[2] = (char)(v >> 8);
	out[3] = (char)v;
}

static void fw_bytes(frame *f, const void *p, size_t n)
{
	if (f->st == MW_OK && n > 0)
		f->st = mw_buf_append(f->b, p, n);
}

static void fw_u32(frame *f, uint32_t v)
{
	char be[4];
	put_be32(be, v);
	fw_bytes(f, be, sizeof be);
}

/* A string and its NUL. */
static void fw_str(frame *f, mw_str s)
{
	fw_bytes(f, s.p, s.n);
	fw_bytes(f, "", 1);
}

/* Text with every '%' written twice. */
static void fw_percent_doubled(frame *f, mw_str s)
{
	size_t run = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] != '%')
			continue;
		fw_bytes(f, s.p + run, i + 1 - run);
		fw_bytes(f, "%", 1);
		run = i + 1;
	}
	fw_bytes(f, s.p + run, s.n - run);
}

/* Open a frame of `payload` bytes after the reply byte. */
static void fw_begin(frame *f, mw_buf *b, unsigned char code, size_t payload)
{
	f->b = b;
	f->start = b->len;
	f->payload = payload;
	f->st = MW_OK;
	if (payload >= MW_MILTER_FRAME_MAX) {
		f->st = MW_EINVAL;
		return;
	}
	if (MW_MILTER_LEN_BYTES + 1 + payload > b->max - b->len) {
		f->st = MW_ETOOBIG;
		return;
	}
	fw_u32(f, (uint32_t)(payload + 1));
	fw_bytes(f, &code, 1);
}

static mw_status fw_end(frame *f)
{
	if (f->st != MW_OK) {
		f->b->len = f->start;
		if (f->b->data)
			f->b->data[f->start] = '\0';
		return f->st;
	}
	MW_ASSERT(f->b->len - f->start == MW_MILTER_LEN_BYTES + 1 + f->payload);
	return MW_OK;
}

/* -- what a frame may carry ------------------------------------------ */

static bool agreed_action(const mw_milter_opts *agreed, uint32_t action)
{
	return (agreed->actions & action) == action;
}

/* No NUL, CR, LF or other control: a text that stays one line. */
static bool is_line_text(mw_str s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Printable ASCII: what an SMTP reply line may hold (RFC 5321 4.2). */
static bool is_reply_text(mw_str s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return true;
}

static bool is_address(mw_str s)
{
	return s.n > 0 && is_line_text(s);
}

/* RFC 5322 field name: printable ASCII except ':'. */
static bool is_header_name(mw_str s)
{
	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x21 || c > 0x7e || c == ':')
			return false;
	}
	return true;
}

/* TAB allowed, and "\n" when a space or TAB follows (folding). */
static bool is_header_value(mw_str s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '\t')
			continue;
		if (c == '\n') {
			if (i + 1 < s.n && mw_is_wsp((unsigned char)s.p[i + 1]))
				continue;
			return false;
		}
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool is_reply_code(const char *code)
{
	return (code[0] == '4' || code[0] == '5') &&
	       mw_is_digit((unsigned char)code[1]) &&
	       mw_is_digit((unsigned char)code[2]) && code[3] == '\0';
}

/* One to three digits at *p; moves *p past them. */
static bool skip_digits(const char **p)
{
	size_t k = 0;
	while (k < 3 && mw_is_digit((unsigned char)(*p)[k]))
		k++;
	*p += k;
	return k > 0;
}

/* RFC 3463 class.subject.detail, class as the reply code's. */
static bool is_enhanced_code(const char *xcode, char class)
{
	const char *p = xcode;
	if (p[0] != class || p[1] != '.')
		return false;
	p += 2;
	if (!skip_digits(&p) || *p++ != '.')
		return false;
	if (!skip_digits(&p))
		return false;
	return *p == '\0';
}

static size_t count_percent(mw_str s)
{
	size_t k = 0;
	for (size_t i = 0; i < s.n; i++)
		k += s.p[i] == '%';
	return k;
}

/* -- the replies ------------------------------------------------------ */

mw_status mw_milter_put_optneg(mw_buf *b, const mw_milter_opts *agreed,
			       const char *const *macros)
{
	size_t payload = MW_MILTER_OPTNEG_LEN;
	bool lists = false;
	for (int i = 0; macros && i < MW_SMFIM_COUNT; i++) {
		if (!macros[i])
			continue;
		mw_str l = mw_str_from_cstr(macros[i]);
		if (!is_line_text(l) || l.n >= MW_MILTER_FRAME_MAX)
			return MW_EINVAL;
		payload += 4 + l.n + 1;
		lists = true;
	}
	if (lists && !agreed_action(agreed, MW_SMFIF_SETSYMLIST))
		return MW_EINVAL;

	frame f;
	fw_begin(&f, b, MW_SMFIC_OPTNEG, payload);
	fw_u32(&f, agreed->version);
	fw_u32(&f, agreed->actions);
	fw_u32(&f, agreed->protocol);
	for (int i = 0; lists && i < MW_SMFIM_COUNT; i++) {
		if (!macros[i])
			continue;
		fw_u32(&f, (uint32_t)i);
		fw_str(&f, mw_str_from_cstr(macros[i]));
	}
	return fw_end(&f);
}

mw_status mw_milter_put_simple(mw_buf *b, unsigned char reply)
{
	switch (reply) {
	case MW_SMFIR_CONTINUE:
	case MW_SMFIR_ACCEPT:
	case MW_SMFIR_REJECT:
	case MW_SMFIR_TEMPFAIL:
	case MW_SMFIR_DISCARD:
	case MW_SMFIR_PROGRESS:
		break;
	default:
		return MW_EINVAL;
	}
	frame f;
	fw_begin(&f, b, reply, 0);
	return fw_end(&f);
}

mw_status mw_milter_put_skip(mw_buf *b, const mw_milter_opts *agreed)
{
	if ((agreed->protocol & MW_SMFIP_SKIP) == 0)
		return MW_EINVAL;
	frame f;
	fw_begin(&f, b, MW_SMFIR_SKIP, 0);
	return fw_end(&f);
}

mw_status mw_milter_put_replycode(mw_buf *b, const char *code,
				  const char *xcode, mw_str text)
{
	if (!code || !xcode || !is_reply_code(code) ||
	    !is_enhanced_code(xcode, code[0]) || !is_reply_text(text))
		return MW_EINVAL;
	size_t xlen = strlen(xcode);
	/* "550" " " "5.7.1" [" " text] */
	size_t line = 3 + 1 + xlen + (text.n ? 1 + text.n : 0);
	if (line > MW_MILTER_REPLY_LINE_MAX)
		return MW_EINVAL;

	frame f;
	fw_begin(&f, b, MW_SMFIR_REPLYCODE, line + count_percent(text) + 1);
	fw_bytes(&f, code, 3);
	fw_bytes(&f, " ", 1);
	fw_bytes(&f, xcode, xlen);
	if (text.n)
		fw_bytes(&f, " ", 1);
	fw_percent_doubled(&f, text);
	fw_bytes(&f, "", 1);
	return fw_end(&f);
}

/* A line in the user's language: UTF-8, no control character. */
static bool is_local_reply_text(mw_str s)
{
	return s.n > 0 && is_line_text(s) && mw_utf8_valid(s.p, s.n);
}

mw_status mw_milter_put_replycode2(mw_buf *b, const char *code,
				   const char *xcode, mw_str text, mw_str local)
{
	if (!code || !xcode || !is_reply_code(code) ||
	    !is_enhanced_code(xcode, code[0]) || !text.n ||
	    !is_reply_text(text) || !is_local_reply_text(local))
		return MW_EINVAL;
	size_t xlen = strlen(xcode);
	/* "550-5.7.1 text" CRLF "550 5.7.1 local" */
	size_t first = 3 + 1 + xlen + 1 + text.n;
	size_t second = 3 + 1 + xlen + 1 + local.n;
	if (first > MW_MILTER_REPLY_LINE_MAX ||
	    second > MW_MILTER_REPLY_LINE_MAX)
		return MW_EINVAL;
	frame f;
	fw_begin(&f, b, MW_SMFIR_REPLYCODE,
		 first + 2 + second + count_percent(text) +
		     count_percent(local) + 1);
	fw_bytes(&f, code, 3);
	fw_bytes(&f, "-", 1);
	fw_bytes(&f, xcode, xlen);
	fw_bytes(&f, " ", 1);
	fw_percent_doubled(&f, text);
	fw_bytes(&f, "\r\n", 2);
	fw_bytes(&f, code, 3);
	fw_bytes(&f, " ", 1);
	fw_bytes(&f, xcode, xlen);
	fw_bytes(&f, " ", 1);
	fw_percent_doubled(&f, local);
	fw_bytes(&f, "", 1);
	return fw_end(&f);
}

mw_status mw_milter_put_quarantine(mw_buf *b, const mw_milter_opts *agreed,
				   mw_str reason)
{
	if (!agreed_action(agreed, MW_SMFIF_QUARANTINE) || reason.n == 0 ||
	    !is_line_text(reason))
		return MW_EINVAL;
	frame f;
	fw_begin(&f, b, MW_SMFIR_QUARANTINE, reason.n + 1);
	fw_str(&f, reason);
	return fw_end(&f);
}

/* An address and optional ESMTP args: "addr\0" or "addr\0args\0". */
static mw_status put_address(mw_buf *b, unsigned char reply, mw_str addr,
			     mw_str args)
{
	if (!is_address(addr) || !is_line_text(args))
		return MW_EINVAL;
	frame f;
	fw_begin(&f, b, reply, addr.n + 1 + (args.n ? args.n + 1 : 0));
	fw_str(&f, addr);
	if (args.n)
		fw_str(&f, args);
	return fw_end(&f);
}

mw_status mw_milter_put_chgfrom(mw_buf *b, const mw_milter_opts *agreed,
				mw_str sender, mw_str args)
{
	if (!agreed_action(agreed, MW_SMFIF_CHGFROM))
		return MW_EINVAL;
	return put_address(b, MW_SMFIR_CHGFROM, sender, args);
}

mw_status mw_milter_put_addrcpt(mw_buf *b, const mw_milter_opts *agreed,
				mw_str rcpt, mw_str args)
{
	unsigned char reply = args.n ? MW_SMFIR_ADDRCPT_PAR : MW_SMFIR_ADDRCPT;
	if (!agreed_action(agreed, mw_milter_reply_action(reply)))
		return MW_EINVAL;
	return put_address(b, reply, rcpt, args);
}

mw_status mw_milter_put_delrcpt(mw_buf *b, const mw_milter_opts *agreed,
				mw_str rcpt)
{
	if (!agreed_action(agreed, MW_SMFIF_DELRCPT))
		return MW_EINVAL;
	return put_address(b, MW_SMFIR_DELRCPT, rcpt, mw_str_make("", 0));
}

/* ADDHEADER (no index), CHGHEADER and INSHEADER (with one). */
static mw_status put_header(mw_buf *b, const mw_milter_opts *agreed,
			    unsigned char reply, const uint32_t *index,
			    mw_str name, mw_str value)
{
	if (!agreed_action(agreed, mw_milter_reply_action(reply)) ||
	    !is_header_name(name) || !is_header_value(value))
		return MW_EINVAL;
	frame f;
	fw_begin(&f, b, reply, (index ? 4 : 0) + name.n + 1 + value.n + 1);
	if (index)
		fw_u32(&f, *index);
	fw_str(&f, name);
	fw_str(&f, value);
	return fw_end(&f);
}

mw_status mw_milter_put_addheader(mw_buf *b, const mw_milter_opts *agreed,
				  mw_str name, mw_str value)
{
	return put_header(b, agreed, MW_SMFIR_ADDHEADER, NULL, name, value);
}

mw_status mw_milter_put_chgheader(mw_buf *b, const mw_milter_opts *agreed,
				  uint32_t index, mw_str name, mw_str value)
{
	return put_header(b, agreed, MW_SMFIR_CHGHEADER, &index, name, value);
}

mw_status mw_milter_put_insheader(mw_buf *b, const mw_milter_opts *agreed,
				  uint32_t index, mw_str name, mw_str value)
{
	return put_header(b, agreed, MW_SMFIR_INSHEADER, &index, name, value);
}
