/*
 * received.h - Received: fields and the delivery path they describe.
 *
 * Contract: mw_received_parse() reads one unfolded Received: value as the
 * MTAs of the world write it (Postfix, Sendmail, Exim, qmail, Exchange,
 * Gmail, Microsoft 365, Courier, Domino ...): the from-clause with the host
 * the client claimed (HELO) and the host and IP the server saw, in any of
 * the forms "from helo (rdns [ip])", "from rdns (HELO helo) (ip)",
 * "from helo ([ip])", "from [ip] (helo=x)", "IPv6:" prefixes; the by-host,
 * the protocol ("with ESMTPSA"), the id, the for-address, TLS (a protocol
 * ending in S, "using TLS", "version=TLS1_3", "(TLS...)" comments) and the
 * authenticated identity where the server records it: Postfix's
 * "(Authenticated sender: x)", Exim's "authenticated_id" / "(auth=x)",
 * Sendmail's "(authenticated as x)" / "authenticated bits", Exchange's
 * "with Microsoft SMTP Server (...) id ... via ... " and Gmail's
 * "with ESMTPSA id ... for ... (version=...)" where a user is named;
 * and the date after the last ';'. Unknown clauses are skipped. Every field
 * it cannot find is NULL (date: has_date false). Never fails on input.
 *
 * mw_trace_build() takes a message's Received: fields (newest first, as
 * they stand) and returns the hops origin first, with the origin: the
 * earliest hop whose client IP is outside internal ranges (falling back to
 * the earliest hop with any IP), and the identity that authenticated there
 * or at the nearest later hop that records one.
 */
#ifndef MW_MAIL_RECEIVED_H
#define MW_MAIL_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/status.h"
#include "mail/header.h"

typedef struct mw_received {
	const char
	    *from_host; /* name the receiving server resolved, else HELO */
	const char *from_helo; /* name the client gave in HELO/EHLO */
	const char *from_ip;   /* canonical text form, no brackets or IPv6: */
	const char *by_host;
	const char *protocol; /* "ESMTPSA", "LMTP", "HTTP", upper-cased */
	const char *id;
	const char *for_addr; /* without <> */
	const char *date;     /* as written, trimmed */
	time_t date_unix;
	bool has_date;
	bool tls;
	/* The server records SMTP AUTH: an RFC 3848 protocol (ESMTPA,
	 * ESMTPSA, LMTPA ...), "(authenticated bits=0)", or an identity. */
	bool authenticated;
	const char *authenticated_as; /* NULL when no identity is named */
} mw_received;

void mw_received_parse(mw_arena *a, const char *value, size_t n,
		       mw_received *out);

typedef struct mw_trace {
	mw_received *hops; /* origin first */
	size_t nhops;
	long origin; /* index into hops, or -1 when no hop has an IP */
	const char *origin_ip;		     /* NULL when unknown */
	const char *origin_authenticated_as; /* NULL when none recorded */
	bool origin_authenticated; /* as authenticated_as, with or without
				      a named identity */
	bool truncated; /* more than MW_RECEIVED_MAX Received: fields */
} mw_trace;

/* MW_OK, MW_ETRUNCATED or MW_ENOMEM. */
mw_status mw_trace_build(mw_arena *a, const mw_headers *h, mw_trace *out);

#endif
