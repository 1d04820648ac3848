/*
 * notice.h - the mails the account guard sends to a user and to the
 * admins: what was seen, what was done, what to do now.
 *
 * Contract: mw_notice_compose() turns the facts of one notice into a
 * complete RFC 5322 message (headers and body, CRLF line ends), pure and
 * bounded: no I/O, no clock (the facts carry the time), output at most
 * MW_NOTICE_MAX bytes or MW_ETOOBIG. The body is UTF-8 text/plain, in
 * Japanese first and then English, base64- or quoted-printable-encoded so
 * that it passes any relay; the Subject is an RFC 2047 encoded word in
 * both languages. Every value from outside (the account, addresses,
 * device ids, organisation names) is checked or sanitised before it goes
 * into a header, so a hostile device id cannot add a header line.
 *
 * The texts say what a mailbox owner needs: what happened, in plain
 * words; the evidence (times in UTC and JST, addresses, countries,
 * networks, counts); what mailwarden did; what to do now (change the
 * password at once, on every device; do not reuse it; contact the admin);
 * and, to the admin copy, the command that lifts a suspension.
 */
#ifndef MW_GUARD_NOTICE_H
#define MW_GUARD_NOTICE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/status.h"

typedef enum mw_notice_kind {
	/* sending suspended for a suspected stolen password */
	MW_NOTICE_SUSPENDED = 0,
	/* a login from a new country, network (ASN) or device */
	MW_NOTICE_LOGIN_ALERT,
	/* a send limit was reached (and what send_limit_action did) */
	MW_NOTICE_LIMIT,
	/* a suspension was lifted (by an admin, or by a password change) */
	MW_NOTICE_UNLOCKED,
} mw_notice_kind;

/* One login or submission shown as evidence. */
typedef struct mw_notice_login {
	time_t t;
	const char *ip;	      /* canonical text */
	const char *country;  /* "JP", "" unknown */
	uint32_t asn;	      /* 0 unknown */
	const char *asn_org;  /* "" unknown */
	const char *protocol; /* "imap", "smtp", "submission" ... */
	const char *result;   /* "success", "failure", "policy_reject",
				 "sent" for a submission */
} mw_notice_login;

typedef struct mw_notice_facts {
	mw_notice_kind kind;
	time_t now;		/* the Date: and "when" of the notice */
	const char *host;	/* our host name, for Message-ID */
	/* the Message-ID without <>, when the caller must know it (to put
	 * it in the sent log, so that the shield knows our own notice when
	 * it comes back in through Postfix); NULL: one is made here */
	const char *message_id;
	const char *from;	/* From: (digest_from, or postmaster@dom) */
	const char *to;		/* the recipient of this copy */
	const char *account;	/* the account concerned */
	int admin_copy;		/* nonzero: the copy for admin_notify */
	/* SUSPENDED: the score and what made it, one short English phrase
	 * per signal ("5 countries in 24 h", "new country CN, then 12
	 * messages"); LIMIT: the limit's name. */
	int score;
	int threshold;
	const char *const *signals;
	size_t nsignals;
	/* the evidence, newest first */
	const mw_notice_login *logins;
	size_t nlogins;
	/* LOGIN_ALERT: what was new ("country", "asn", "device") */
	const char *what_new;
	/* LIMIT: the limit, the count reached, when it lifts, and the
	 * action taken ("alert", "block_until_tomorrow", "block_until_admin") */
	const char *limit_name;
	int64_t limit_value;
	int64_t limit_count;
	time_t limit_lifts;
	const char *limit_action;
	/* UNLOCKED: who lifted it ("admin root", "password change") */
	const char *unlocked_by;
} mw_notice_facts;

/* Compose the message into out (reset first). MW_EINVAL when a needed
 * field is missing or an address is unusable; MW_ETOOBIG past the cap. */
mw_status mw_notice_compose(const mw_notice_facts *f, mw_buf *out);

#endif
