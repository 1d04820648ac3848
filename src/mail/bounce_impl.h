/*
 * bounce_impl.h - private to the bounce analyser's own files (bounce.c,
 * bounce_rcpt.c, bounce_fields.c, bounce_original.c, bounce_marks.c,
 * bounce_html.c); nothing outside them includes it.
 *
 * Contract: the analyser builds its answer in three steps that share the
 * helpers declared here.
 *   - A recipient set (mwb_rcpts) that every source of recipients feeds:
 *     the RFC 3464 fields, the ARF fields, the free-text scanner, the
 *     X-Failed-Recipients header. Adding an address normalises it (domain
 *     lower-cased, type prefixes and <> dropped) and merges it with an
 *     entry already held for the same address, so that the set never holds
 *     one address twice and never grows past MW_BOUNCE_RECIPIENTS_MAX.
 *   - Field blocks (bounce_fields.c): the "Name: value" groups of a
 *     message/delivery-status or message/feedback-report part, or the same
 *     fields written into a text part by MTAs that do not use MIME.
 *   - The original message (bounce_original.c): its header section, from a
 *     part or quoted in text, turned into mw_bounce_original.
 */
#ifndef MW_MAIL_BOUNCE_IMPL_H
#define MW_MAIL_BOUNCE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "mail/bounce.h"
#include "mail/header.h"

/* -- recipients (bounce_rcpt.c) -------------------------------------- */

typedef struct mwb_rcpts {
	mw_bounce_rcpt *v;
	size_t n;
	size_t cap;
	bool full;  /* an address was refused: MW_BOUNCE_RECIPIENTS_MAX */
	bool nomem; /* the arena refused */
} mwb_rcpts;

/* The address in s[0..n) ("rfc822; <u@Example.COM>", "u@x (comment)"),
 * as "local@domain" with the domain lower-cased, or NULL when s holds no
 * address with a domain. */
const char *mwb_addr_norm(mw_arena *a, const char *s, size_t n);

/* The entry for an address already normalised, or NULL. */
mw_bounce_rcpt *mwb_rcpt_find(const mwb_rcpts *set, const char *addr);

/* The entry for the address in s[0..n): the one held, else a new empty
 * one. NULL when s holds no address, or the set is full (set->full) or
 * the arena refused (set->nomem). */
mw_bounce_rcpt *mwb_rcpt_add(mw_arena *a, mwb_rcpts *set, const char *s,
			     size_t n);

/* The same for an address mwb_addr_norm() gave. */
mw_bounce_rcpt *mwb_rcpt_add_addr(mw_arena *a, mwb_rcpts *set,
				  const char *addr);

/* Fill what dst lacks from src (same address). A status that only names
 * its class ("5.0.0") gives way to a more precise one of the same class. */
void mwb_rcpt_merge(mw_bounce_rcpt *dst, const mw_bounce_rcpt *src);

/* Derive a missing status or reply code from the diagnostic text. */
void mwb_rcpt_codes_from_diagnostic(mw_arena *a, mw_bounce_rcpt *r);

/* The first enhanced status code in s[0..n) ("5.1.1"), or NULL. */
const char *mwb_status_find(mw_arena *a, const char *s, size_t n);
/* The first SMTP reply code in s[0..n) ("550"), or NULL. */
const char *mwb_reply_code_find(mw_arena *a, const char *s, size_t n);

/* A value without its leading type: "smtp; 550 ..." gives "550 ...",
 * "dns; mx.example.net" gives "mx.example.net". */
mw_str mwb_strip_type(mw_str s);

/* s[0..n) as UTF-8 (encoded words and raw 8-bit decoded, fallback charset
 * for the latter), white space runs folded to one space, trimmed, cut at
 * max bytes on a character boundary. NULL for an empty result. */
const char *mwb_text_fold(mw_arena *a, const char *s, size_t n, size_t max,
			  const char *fallback_charset);

/* -- field blocks (bounce_fields.c) ---------------------------------- */

typedef struct mwb_fields_result {
	const char *reporting_mta; /* without its "dns;" type */
	size_t groups;		   /* recipient groups read */
	bool limited;		   /* the recipient set filled up */
} mwb_fields_result;

/* Read RFC 3464 per-message and per-recipient fields from text[0..n) and
 * add each recipient group to set. in_text: the fields stand in a text
 * written for people (indented, between other lines), so a group counts
 * only with a recipient and an Action, Status or Diagnostic-Code. */
void mwb_dsn_read(mw_arena *a, const char *text, size_t n, bool in_text,
		  mwb_rcpts *set, mwb_fields_result *res);

typedef struct mwb_arf {
	const char *feedback_type; /* "abuse", "opt-out", ... */
	const char *reporting_mta;
	const char *source_ip;
} mwb_arf;

/* Read an ARF message/feedback-report body: its Original-Rcpt-To and
 * Removal-Recipient fields go to set. */
void mwb_arf_read(mw_arena *a, const char *text, size_t n, mwb_rcpts *set,
		  mwb_arf *out);

/* -- the original message (bounce_original.c) ------------------------ */

/* Fill what o lacks from a parsed header section of the original. */
void mwb_original_from_headers(mw_arena *a, const mw_headers *h,
			       const char *fallback_charset,
			       mw_bounce_original *o);

/* Read the original's header section quoted in text from `from` on: a
 * common indentation or "> " quoting removed, header sections that belong
 * to a bounce (a forwarded bounce quotes its own first) passed over.
 * need_msgid: take only a section with a Message-ID, anywhere in the
 * text; otherwise the first section with a Message-ID, From, To or
 * Subject in the few kilobytes after `from`. charset: for raw 8-bit.
 * True when a section was taken. */
bool mwb_original_from_text(mw_arena *a, const char *text, size_t n,
			    size_t from, bool need_msgid, const char *charset,
			    mw_bounce_original *o);

/* Offset of the first line after a marker that announces a quoted copy of
 * the original message ("----- Original message -----", "Below this line
 * is a copy of the message." ...), or -1. */
long mwb_original_marker(const char *text, size_t n);

/* The fields of a summary of the original ("Your message\n  To: ...\n
 * Subject: ...") in text; true when one with To, From or Subject was read. */
bool mwb_original_from_summary(mw_arena *a, const char *text, size_t n,
			       mw_bounce_original *o);

/* Is this the header section of a bounce (a mailer daemon's From, or a
 * multipart/report)? */
bool mwb_headers_of_bounce(const mw_headers *h);

/* Is the original identified at all? */
bool mwb_original_found(const mw_bounce_original *o);

/* -- marks and HTML (bounce_marks.c, bounce_html.c) ------------------ */

/* From names a mailer daemon, postmaster or mail delivery system. */
bool mwb_from_mailer_daemon(const mw_headers *h);
/* Subject says undelivered, returned, failure ... in some language. */
bool mwb_subject_of_bounce(const mw_headers *h);
/* RFC 3834 and vendor marks of an auto-reply, or its usual subjects. */
bool mwb_marks_of_autoreply(const mw_headers *h);

/* Append the text of an HTML document to out (see bounce_html.c). */
void mwb_html_to_text(const char *s, size_t n, mw_buf *out);

#endif
