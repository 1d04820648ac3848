/*
 * digest.h - the daily notice to a user whose address is being forged:
 * "N forged bounces to your address were refused", in Japanese and then
 * in English.
 *
 * Contract: mw_digest_compose() writes one complete RFC 5322 message with
 * CRLF line ends: From, To, Subject (RFC 2047 B-encoded UTF-8, folded so
 * that no line passes 78 characters), Date (UTC), Message-ID,
 * MIME-Version, Content-Type text/plain; charset=UTF-8,
 * Content-Transfer-Encoding 8bit, Auto-Submitted: auto-generated (RFC
 * 3834: nobody answers it automatically) and X-Mailwarden-Digest (for
 * the user's own filters; the shield does not trust it). The text says
 * how many forged bounces were refused and from how many servers, that
 * the user's account was not used to send the mail they answer (the
 * address was forged), and what to do if the user also sees sent mail
 * they did not write: change the password, tell the admin. It is pure:
 * no I/O, no clock, no randomness (the caller gives the time and the
 * Message-ID), so that tests can pin its output.
 */
#ifndef MW_SHIELD_DIGEST_H
#define MW_SHIELD_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/status.h"

typedef struct mw_digest {
	const char *rcpt;	/* the user, bare */
	const char *from;	/* the From: address, bare */
	const char *admin;	/* whom to contact; NULL: the From: address */
	int64_t refused;	/* forged bounces refused in the last 24 h */
	uint64_t servers;	/* distinct servers that sent them; 0 unknown */
	time_t first;		/* start of this run of refusals; 0 unknown */
	time_t last;		/* the latest refusal; 0 unknown */
	time_t now;		/* the Date: */
	const char *message_id; /* without <> */
} mw_digest;

/* The message into out (appended). MW_EINVAL when an address or the
 * Message-ID holds a byte that could break a header (control bytes,
 * spaces, <, >) or is empty; MW_ETOOBIG when out's cap is passed. */
mw_status mw_digest_compose(const mw_digest *d, mw_buf *out);

/* A fresh Message-ID for a notice, without <>:
 * "mailwarden.digest.<24 hex digits>@host", from the system's random
 * source. MW_EIO when it gave no random bytes, MW_ETOOBIG when outsz is
 * too small. */
mw_status mw_digest_message_id(const char *host, char *out, size_t outsz);

/* Append "Subject: " and utf8 as RFC 2047 B-encoded words of at most 75
 * characters, each holding whole UTF-8 characters, folded with CRLF SP;
 * ends with CRLF. */
mw_status mw_digest_put_subject(mw_buf *out, const char *utf8);
/* Append "Date: " and now in RFC 5322 form, UTC, and CRLF; MW_EINVAL
 * for a time past the year 9999. */
mw_status mw_digest_put_date(mw_buf *out, time_t now);

#endif
