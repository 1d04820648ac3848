/*
 * bounce.h - what a bounce says: who failed, why, and which message it was.
 *
 * Contract: mw_bounce_analyse() reads a whole message and decides whether it
 * is a bounce and of which kind:
 *   dsn        an RFC 3464 delivery status notification (multipart/report
 *              with message/delivery-status), or a non-standard notice
 *              that carries the same facts in a machine-made layout
 *   ndr        a non-delivery report in free text: qmail "failure notice",
 *              Sendmail transcripts, Exchange/Office 365, Gmail, Yahoo,
 *              Japanese carriers (au/EZweb, docomo, KDDI, Biglobe) ...
 *   autoreply  an RFC 3834 auto-reply or vacation message
 *   feedback   an ARF (RFC 5965) abuse or opt-out report
 *   none       anything else
 * It finds the failed recipients, each with the enhanced status code, the
 * SMTP reply code, the action and the diagnostic text where the bounce
 * gives them; the reporting MTA; and the identity of the original message
 * (Message-ID without <>, From, To, Subject and Date decoded to UTF-8,
 * Return-Path, and its Received: hops) whether it comes as a message/rfc822
 * or text/rfc822-headers part or quoted in the text after a marker.
 * Formats are recognised by structure and markers, never by file name.
 * Fields the bounce does not give are NULL. Bounded by the MIME and header
 * limits and by MW_BOUNCE_TEXT_MAX; a truncated input gives what was read
 * with truncated set. Everything returned lives in the arena.
 */
#ifndef MW_MAIL_BOUNCE_H
#define MW_MAIL_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/status.h"
#include "mail/received.h"

typedef enum mw_bounce_kind {
	MW_BOUNCE_NONE = 0,
	MW_BOUNCE_DSN,
	MW_BOUNCE_NDR,
	MW_BOUNCE_AUTOREPLY,
	MW_BOUNCE_FEEDBACK,
} mw_bounce_kind;

typedef struct mw_bounce_rcpt {
	const char *address;    /* lower-cased domain; never NULL */
	const char *status;     /* "5.1.1" */
	const char *reply_code; /* "550" */
	const char *action;     /* "failed", "delayed", "delivered", ... */
	const char *diagnostic; /* UTF-8, white space folded */
} mw_bounce_rcpt;

typedef struct mw_bounce_original {
	const char *message_id; /* without <> */
	const char *from;
	const char *to;
	const char *subject;
	const char *date;
	const char *return_path; /* address without <> */
	mw_received *received;   /* the original's Received: hops, origin first */
	size_t nreceived;
} mw_bounce_original;

typedef struct mw_bounce {
	bool is_bounce;
	mw_bounce_kind kind;
	mw_bounce_rcpt *recipients;
	size_t nrecipients;
	mw_bounce_original original;
	const char *reporting_mta;
	bool truncated;
} mw_bounce;

/* MW_OK, MW_ETRUNCATED (a limit was hit; out is still filled in) or
 * MW_ENOMEM. */
mw_status mw_bounce_analyse(mw_arena *a, const char *msg, size_t len,
			    mw_bounce *out);

/* "dsn", "ndr", "autoreply", "feedback", "none". */
const char *mw_bounce_kind_name(mw_bounce_kind k);

#endif
