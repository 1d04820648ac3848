/*
 * smtp_client.h - hand one message to an SMTP server, for mailwarden's own
 * notices (digests, and later alerts).
 *
 * Contract: mw_smtp_send() connects to host:port (an address literal, or a
 * name resolved with getaddrinfo), speaks plain RFC 5321 without TLS or
 * AUTH, since it is meant for the local Postfix (digest_smtp, loopback by
 * default), delivers one message to one recipient and says QUIT. Every
 * wait (connect, each reply, each write) is bounded by timeout_ms; a
 * reply, all its lines, is read up to MW_SMTP_REPLY_MAX bytes, and one
 * that is longer, or not of the form "DDD[- ]text", ends the session as a
 * protocol error. The message is sent with CRLF line ends and
 * dot-stuffing, whatever line ends it has; BODY=8BITMIME is asked when the
 * server offers it and the message has 8-bit bytes. EHLO falls back to
 * HELO. The call blocks: never make it on the milter's event loop.
 */
#ifndef MW_SHIELD_SMTP_CLIENT_H
#define MW_SHIELD_SMTP_CLIENT_H

#include <stddef.h>

#include "lib/status.h"

typedef struct mw_smtp_request {
	const char *host;      /* "127.0.0.1", "::1", "localhost" */
	unsigned port;	       /* 1..65535 */
	const char *helo;      /* our host name for EHLO */
	const char *mail_from; /* bare; "" is the null sender */
	const char *rcpt;      /* bare */
	const char *msg;       /* header and body, any line ends */
	size_t len;
	unsigned timeout_ms; /* 0: MW_SMTP_TIMEOUT_MS */
} mw_smtp_request;

typedef struct mw_smtp_result {
	int code;	/* the last reply's code; 0 when none was read */
	char text[256]; /* what failed, for the log: "RCPT TO: 550 5.1.1
			   unknown user", "connect 127.0.0.1:25: Connection
			   refused"; "" on success */
} mw_smtp_result;

/* MW_OK: the server took the message (2xx after the data).
 * MW_EINVAL: it refused it for good (a 5xx), or the request is unusable
 *   (an address with <, >, CR, LF or a space; no host).
 * MW_EIO: anything to retry later: a 4xx, no connection, a timeout, a
 *   broken reply, the server closing the connection. */
mw_status mw_smtp_send(const mw_smtp_request *rq, mw_smtp_result *res);

#endif
