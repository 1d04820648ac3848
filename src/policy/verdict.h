/*
 * verdict.h - what the milter session tells a policy module about one
 * transaction, and what the module answers.
 *
 * Contract: the session (src/milter/session.h) gathers the facts of an
 * SMTP transaction into an mw_msg_facts and asks each policy module (the
 * backscatter shield, the account guard) at MAIL, at each RCPT and at end
 * of message; each answers with an mw_verdict. A module never talks the
 * milter protocol itself, and everything a verdict points to lives in its
 * own arena, which the caller frees after sending the replies. The first
 * module to answer anything but CONTINUE decides the stage.
 */
#ifndef MW_POLICY_VERDICT_H
#define MW_POLICY_VERDICT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/net.h"
#include "lib/status.h"

/* What the session knows of one transaction. Strings are NUL-terminated
 * and owned by the session; absent ones are NULL. Addresses are bare
 * (no <>); the null sender is "". */
typedef struct mw_msg_facts {
	/* the connection */
	bool has_client_ip;
	mw_ip client_ip;
	const char *client_name; /* as Postfix resolved it */
	const char *helo;
	const char *daemon_name; /* {daemon_name} */
	const char *auth_authen; /* {auth_authen}: the SASL login */
	const char *queue_id;	 /* {i}, once Postfix has one */
	bool outbound;		 /* DESIGN.md §2, decided by the session */
	/* the envelope */
	const char *sender;
	const char *const *rcpts; /* accepted so far, in order */
	size_t nrcpts;
	/* the content, at end of message */
	const char *message_id; /* Message-ID: without <> */
	const char *msg;	/* header + body as buffered, or NULL when
				   mw_shield_wants_content() said no */
	size_t msg_len;
	bool msg_truncated; /* the buffer's cap (bounce_body_max) hit */
	time_t now;
} mw_msg_facts;

typedef enum mw_verdict_kind {
	MW_VERDICT_CONTINUE = 0, /* no objection at this stage */
	MW_VERDICT_ACCEPT,	 /* accept, with the modifications below */
	MW_VERDICT_REJECT,	 /* code/xcode/text: 5xx */
	MW_VERDICT_TEMPFAIL,	 /* code/xcode/text: 4xx */
	MW_VERDICT_QUARANTINE,	 /* hold, with text as the reason */
} mw_verdict_kind;

typedef struct mw_header_add {
	const char *name;
	const char *value;
} mw_header_add;

typedef struct mw_verdict {
	mw_verdict_kind kind;
	char code[4];	  /* "550" */
	char xcode[10];	  /* "5.7.1" */
	const char *text; /* printable ASCII, for the SMTP reply */
	/* the same words in the user's language (UTF-8), sent as a second
	 * reply line; NULL for none */
	const char *text_local;
	const char *reason; /* short, for the log line: "backscatter",
			       "tagged bounce", "retired address" ... */
	/* modifications, end of message only */
	const char *new_sender;	      /* CHGFROM, bare address */
	const char *const *del_rcpts; /* DELRCPT, as the client sent them */
	size_t ndel_rcpts;
	const char *const *add_rcpts; /* ADDRCPT, bare addresses */
	size_t nadd_rcpts;
	const mw_header_add *add_headers;
	size_t nadd_headers;
	mw_arena arena; /* owns what the verdict points to */
} mw_verdict;

void mw_verdict_init(mw_verdict *v);
void mw_verdict_free(mw_verdict *v);

/* Set v to kind with code, xcode and a text formatted from fmt: cut to
 * what one reply line holds after the encoder doubles each '%'
 * (MW_VERDICT_REPLY_ROOM), anything outside printable ASCII as '?'.
 * reason is kept as given (a static string). MW_ENOMEM when the arena is
 * full. */
mw_status mw_verdict_vreply(mw_verdict *v, mw_verdict_kind kind,
			    const char *code, const char *xcode,
			    const char *reason, const char *fmt, va_list ap);
/* The same words in the user's language (UTF-8) as text_local, cut on a
 * character boundary to the same room; a control character drops the
 * line (v keeps its English text alone). */
mw_status mw_verdict_reply_local(mw_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
