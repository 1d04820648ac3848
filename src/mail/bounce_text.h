/*
 * bounce_text.h - private to the bounce analyser: reading bounces written
 * for people rather than machines.
 *
 * Contract: mw_ndr_scan() is given the bounce's own header section and the
 * human-readable text of the bounce (its first text parts, transfer- and
 * charset-decoded to UTF-8, line endings as they were), and recognises the
 * free-text layouts of the world's MTAs by their markers and structure:
 * qmail "failure notice" ("Hi. This is the qmail-send program ..."),
 * Sendmail transcripts ("----- The following addresses had permanent fatal
 * errors -----", "----- Transcript of session follows -----"), Postfix's
 * human part, Exim ("This message was created automatically by mail
 * delivery software"), Exchange and Office 365 NDRs, Gmail, Yahoo, AOL,
 * Courier, Domino/Notes, OpenSMTPD, Japanese carriers (au/EZweb, docomo,
 * KDDI, Biglobe) and the other engines of the Sisimai corpus. From them it
 * takes the failed recipients with whatever status, reply code, action and
 * diagnostic the text gives, the reporting MTA if named, and the offset in
 * text at which a quoted copy of the original message (its header section)
 * begins, after markers such as "--- Below this line is a copy of the
 * message." or "----- Original message follows -----".
 * It does not read MIME structure and does no I/O; everything it returns
 * lives in the arena. It is bounded by n, which the caller caps at
 * MW_BOUNCE_TEXT_MAX, and by MW_BOUNCE_RECIPIENTS_MAX.
 */
#ifndef MW_MAIL_BOUNCE_TEXT_H
#define MW_MAIL_BOUNCE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "mail/bounce.h"
#include "mail/header.h"

typedef struct mw_ndr {
	bool recognised;         /* a known layout matched */
	const char *engine;      /* "qmail", "sendmail", "exchange", ... */
	mw_bounce_rcpt *recipients;
	size_t nrecipients;
	const char *reporting_mta;
	long original_offset;    /* offset in text of the quoted original's
				    header section, or -1 */
} mw_ndr;

void mw_ndr_scan(mw_arena *a, const mw_headers *bounce_headers,
		 const char *text, size_t n, mw_ndr *out);

#endif
