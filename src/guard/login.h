/*
 * login.h - one login attempt as Dovecot's auth-policy protocol reports it,
 * and the answer the guard gives.
 *
 * Contract: the HTTP side (src/http/auth_policy.h) parses a request into an
 * mw_login_event, with every string bounded, NUL-terminated and valid
 * UTF-8 (or refused with HTTP 400 before the guard sees it), and asks a
 * mw_login_decide_fn; the guard (src/guard/guard.h) implements it. The
 * decision may be called from several HTTP threads at once and must
 * answer within Dovecot's timeout (auth_policy_server_timeout_msecs, 2 s
 * by default) whatever the store does: it never waits on the store's
 * writer, and a store that does not answer means "allow" (status 0) with
 * a log line, since refusing every login of a mail server because its
 * policy store is down would be an outage, not a defence.
 *
 * Dovecot asks up to three times per login, as configured:
 *   ALLOW before authentication (auth_policy_check_before_auth) and
 *   ALLOW after it (auth_policy_check_after_auth): only the request's
 *     attributes; Dovecot 2.3 sends no result with either, so the two
 *     cannot be told apart and both arrive as MW_LOGIN_RESULT_UNKNOWN;
 *   REPORT at the end (auth_policy_report_after_auth): `success` and
 *     `policy_reject`; Dovecot ignores the answer. The result of a login
 *     is known from the report only.
 */
#ifndef MW_GUARD_LOGIN_H
#define MW_GUARD_LOGIN_H

#include <stdbool.h>
#include <time.h>

#include "lib/limits.h"
#include "lib/net.h"

typedef enum mw_login_command {
	MW_LOGIN_ALLOW = 0, /* ?command=allow */
	MW_LOGIN_REPORT,    /* ?command=report */
} mw_login_command;

/* What a login's result was, when the request says. */
typedef enum mw_login_result {
	MW_LOGIN_RESULT_UNKNOWN = 0, /* no "success" field: before auth */
	MW_LOGIN_RESULT_SUCCESS,
	MW_LOGIN_RESULT_FAILURE,
	MW_LOGIN_RESULT_POLICY_REJECT, /* refused by us, reported back */
} mw_login_result;

typedef struct mw_login_event {
	mw_login_command command;
	mw_login_result result;
	time_t now;
	/* the fields Dovecot sends (auth_policy_request_attributes); absent
	 * optional ones are "" */
	char login[MW_ADDRESS_MAX + 1];	/* requested user name */
	mw_ip remote;			/* the client's address (rip) */
	char pwhash[MW_LOGIN_FIELD_MAX + 1]; /* truncated salted hash */
	char protocol[MW_LOGIN_FIELD_MAX + 1];  /* imap, pop3, smtp, ... */
	char device_id[MW_LOGIN_FIELD_MAX + 1]; /* client id, if any */
	char session_id[MW_LOGIN_FIELD_MAX + 1];
	bool tls; /* "tls": the connection was encrypted, if sent */
} mw_login_event;

/* The answer: Dovecot's {"status": S, "msg": M}. */
typedef struct mw_login_answer {
	int status; /* -1 reject, 0 allow, n > 0 delay n seconds */
	/* shown to the client on reject (Dovecot passes it on), printable
	 * ASCII; "" for none */
	char msg[MW_LOGIN_MSG_MAX + 1];
	/* for the log line only: "brute force from IP", "fence", ... */
	char reason[MW_LOGIN_MSG_MAX + 1];
} mw_login_answer;

/* The decision: fill ans (pre-set to status 0, empty texts) for ev. */
typedef void (*mw_login_decide_fn)(void *arg, const mw_login_event *ev,
				   mw_login_answer *ans);

#endif
