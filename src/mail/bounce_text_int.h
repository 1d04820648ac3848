/*
 * bounce_text_int.h - shared by the bounce_text*.c files only.
 *
 * The free-text reader works in one forward pass over the report (the text
 * before the quoted original), classifying each line: an address line that
 * opens a recipient block ("<a@b>:", "  a@b", "a@b on <date>"), a Sendmail
 * transcript line ("550 <a@b>... User unknown"), an RFC 3464 field written
 * into the text ("Final-Recipient: rfc822; a@b"), a section line ("-----
 * Transcript of session follows -----") or prose. Recipients found more
 * than once are merged by address, the better-ranked reading winning. A
 * second, cheaper reading (any address mentioned in the prose) is used only
 * when the first found nothing. Every loop is bounded by the text length,
 * and every line is examined a constant number of times.
 */
#ifndef MW_MAIL_BOUNCE_TEXT_INT_H
#define MW_MAIL_BOUNCE_TEXT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/limits.h"
#include "lib/str.h"
#include "mail/bounce_text.h"

/* Bytes of one line examined for markers, addresses and labels: real
 * report lines are under 1,000; a 10 MB line must not cost 10 MB per
 * question asked of it. Diagnostics still take whole lines (capped). */
#define NDR_LINE_LOOK 2048

/* Addresses that are never failed recipients: the bounce's own From, To,
 * Sender and the quoted original's From, Sender and Return-Path. */
#define NDR_EXCLUDE_MAX 8

/* Hash slots finding a recipient by address: a text that repeats one
 * address 100,000 times must not compare it with every other each time.
 * A power of two, at least twice MW_BOUNCE_RECIPIENTS_MAX. */
#define NDR_SLOTS 1024

/* How a recipient was read; a better reading replaces a worse one. */
enum ndr_rank {
	NDR_RANK_MENTION = 1, /* an address somewhere in the prose */
	NDR_RANK_LINE,	      /* an address line or a transcript line */
	NDR_RANK_FIELDS,      /* RFC 3464 fields written into the text */
};

/* A diagnostic being assembled, white space folded, capped. */
typedef struct ndr_diag {
	char buf[MW_BOUNCE_DIAGNOSTIC_MAX + 1];
	size_t n;
} ndr_diag;

typedef struct ndr_scan {
	mw_arena *a;
	mw_str text;	   /* the whole text (capped at MW_BOUNCE_TEXT_MAX) */
	size_t report_end; /* the report is text[0 .. report_end) */
	const char *exclude[NDR_EXCLUDE_MAX];
	size_t nexclude;
	mw_bounce_rcpt *rcpt; /* MW_BOUNCE_RECIPIENTS_MAX slots */
	unsigned char *rank;
	unsigned short *slot; /* NDR_SLOTS: index + 1 of rcpt by address */
	size_t nrcpt;
	bool full;    /* the table is full or the arena refused */
	bool delayed; /* the text says delivery is only delayed */
	const char *reporting_mta;
} ndr_scan;

/* -- bounce_text_rcpt.c: the recipient table, diagnostics, codes ------ */

void ndr_diag_init(ndr_diag *d);
void ndr_diag_add(ndr_diag *d, mw_str s);
bool ndr_diag_has_code(const ndr_diag *d);

/* Add or merge a recipient; addr is copied (domain lower-cased). action
 * may be NULL (decided at the end), status may be NULL (read from the
 * diagnostic). Ignored when the address is excluded or the table full. */
void ndr_add(ndr_scan *s, mw_str addr, const ndr_diag *d, const char *status,
	     const char *action, enum ndr_rank rank);
bool ndr_is_excluded(const ndr_scan *s, mw_str addr);
void ndr_exclude(ndr_scan *s, const char *addr, size_t n);
/* Fill in status, reply code and action from the diagnostics. */
void ndr_finish_codes(ndr_scan *s);

/* The first SMTP reply code ("550") and enhanced status ("5.1.1") in
 * p[0..n); empty strings when absent. */
void ndr_find_codes(const char *p, size_t n, char reply[4], char status[16]);

/* -- bounce_text_lines.c: what a line is -------------------------------- */

/* The line without surrounding white space and one level of "> " quoting,
 * looked at no further than NDR_LINE_LOOK bytes. */
mw_str ndr_look(mw_str line);
bool ndr_is_blank(mw_str look);
/* "----- Transcript of session follows -----", "=====", "*****" ... */
bool ndr_is_section(mw_str look);
/* Does s start with lc (a lower-case ASCII constant), ignoring case? */
bool ndr_istarts(mw_str s, const char *lc);
/* Does look start with prefix (lower case) after leading punctuation,
 * ignoring case? ("--- Below this line ..." starts with "below this"). */
bool ndr_starts_phrase(mw_str look, const char *prefix);
/* look without its leading punctuation and spaces, for ndr_istarts(). */
mw_str ndr_phrase(mw_str look);
/* look lower-cased into buf (NDR_LINE_LOOK bytes), for ndr_has(). */
mw_str ndr_lower(mw_str look, char *buf);
/* Does a lower-cased line contain needle (lower case)? */
bool ndr_has(mw_str lowered, const char *needle);
/* The same for a line not yet lower-cased. */
bool ndr_contains(mw_str look, const char *needle);

/* The addr-spec starting exactly at p (without brackets), its length or 0. */
size_t ndr_addr_at(const char *p, size_t n);
/* The next address anywhere in look from *at; false when none. */
bool ndr_next_addr(mw_str look, size_t *at, mw_str *addr);

/* An address line: the line opens with the recipient's address. rest is
 * what follows it on the line that belongs to the diagnostic. */
bool ndr_address_line(mw_str look, mw_str *addr, mw_str *rest);
/* A Sendmail transcript line "550 5.1.1 <a@b>... reason". */
bool ndr_transcript_line(mw_str look, mw_str *addr, mw_str *reason);
/* An RFC 3464 per-message or per-recipient field name at line start. */
bool ndr_dsn_field_line(mw_str look);
/* A label line whose address is not a recipient ("From: a@b"). */
bool ndr_label_line(mw_str look);

/* -- bounce_text_read.c: the readings --------------------------------- */

void ndr_read_lines(ndr_scan *s);
void ndr_read_mentions(ndr_scan *s);

/* -- bounce_text_json.c: Amazon SES notifications --------------------- */

bool ndr_read_ses_json(ndr_scan *s);

#endif
