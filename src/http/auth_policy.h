/*
 * auth_policy.h - Dovecot's auth-policy endpoint (POST /auth-policy).
 *
 * Contract: one route row for the HTTP server (server.h) that speaks the
 * server side of Dovecot's auth-policy protocol (src/auth/auth-policy.c
 * in Dovecot 2.3; docs/auth-policy.md says it for admins):
 *
 *   POST <auth_policy_server_url>?command=allow|report
 *   Content-Type: application/json
 *   X-API-Key: <secret>           (auth_policy_server_api_header)
 *   {"login":"u@example.jp","pwhash":"a3f","remote":"192.0.2.1",
 *    "device_id":"","protocol":"imap","session_id":"...",
 *    ["success":true,"policy_reject":false,]   (report only)
 *    "tls":true}
 *
 * and answers 200 {"status":S,"msg":"M"}: S -1 reject, 0 allow, n > 0
 * delay n seconds; Dovecot ignores the answer to a report.
 *
 * The request is checked before the guard sees it, in this order:
 *   401 when a secret is configured and X-API-Key is not exactly it
 *       (compared in constant time);
 *   400 when command is neither allow nor report;
 *   400 (by the server, the route asks it in place of 413) for a body
 *       over MW_HTTP_AUTH_POLICY_BODY_MAX, as for every other refusal;
 *   400 when the body is not a JSON object, "login" is not a string of 1
 *       to MW_ADDRESS_MAX bytes, "remote" is not an IP address
 *       (IPv4-mapped IPv6 is taken as IPv4; no zone: Dovecot formats with
 *       inet_ntop, which writes none), or any of the other fields is over
 *       MW_LOGIN_FIELD_MAX or not a string. Every string must be valid
 *       UTF-8 (jansson checks) without control characters or NUL.
 * Booleans (success, policy_reject, tls) are JSON true/false, or strings
 * "1"/"0"/"true"/"false"/"yes"/"no" ("" counts as absent) for admins who
 * add them as attributes; null counts as absent. Unknown fields,
 * including nested objects from "a/b=" attributes, are ignored. A 400 or
 * 401 answer is JSON {"error":"reason"} and is logged with mw_warn (the
 * peer and the reason; never the pwhash).
 *
 * Dovecot treats any non-2xx answer, a malformed body or a timeout as a
 * failure: the login proceeds unless auth_policy_reject_on_fail = yes.
 */
#ifndef MW_HTTP_AUTH_POLICY_H
#define MW_HTTP_AUTH_POLICY_H

#include <stddef.h>

#include "guard/login.h"
#include "http/server.h"

#define MW_AUTH_POLICY_PATH "/auth-policy"

typedef struct mw_auth_policy {
	mw_login_decide_fn decide;
	void *decide_arg;
	const char *secret; /* NULL or "": no X-API-Key asked */
} mw_auth_policy;

/* The route row: POST MW_AUTH_POLICY_PATH, body capped at
 * MW_HTTP_AUTH_POLICY_BODY_MAX. ap must outlive the server. */
mw_http_route mw_auth_policy_route(mw_auth_policy *ap);

/* The route's handler (arg is the mw_auth_policy). */
void mw_auth_policy_handle(void *arg, const mw_http_request *req,
			   mw_http_response *resp);

/* Parse a request body into ev's fields (login, remote, pwhash, protocol,
 * device_id, session_id, tls, result); command and now are the caller's.
 * MW_EINVAL with *reason (a static text) for a body refused as above.
 * Drives the same code as the endpoint, for tests and fuzzing. */
mw_status mw_auth_policy_parse(const char *body, size_t len, mw_login_event *ev,
			       const char **reason);

/* "allow" or "report" into *cmd; false for anything else or NULL. */
bool mw_auth_policy_command(const char *text, mw_login_command *cmd);

#endif
