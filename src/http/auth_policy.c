/*
 * auth_policy.c - the /auth-policy route: check, parse, ask the guard,
 * answer Dovecot.
 */
#include "http/auth_policy.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

/* Equal or not, in a time that depends only on the secret's length: the
 * caller's guess must not learn how many of its first bytes were right. */
static bool secret_matches(const char *given, const char *secret)
{
	size_t gl = given ? strlen(given) : 0;
	size_t sl = strlen(secret);
	unsigned diff = gl != sl;
	for (size_t i = 0; i < sl; i++) {
		unsigned char g = i < gl ? (unsigned char)given[i] : 0;
		diff |= (unsigned)(g ^ (unsigned char)secret[i]);
	}
	return given && diff == 0;
}

static void refuse(const mw_http_request *req, mw_http_response *resp,
		   int status, const char *reason)
{
	char peer[MW_IP_TEXT_MAX];
	mw_http_request_peer_text(req, peer);
	mw_http_log_refusal("auth-policy", peer, status, reason);
	mw_http_response_error(resp, status, reason);
}

static void log_answer(const mw_login_event *ev, const mw_login_answer *ans)
{
	char remote[MW_IP_TEXT_MAX];
	mw_ip_format(&ev->remote, remote);
	const char *cmd = ev->command == MW_LOGIN_REPORT ? "report" : "allow";
	if (ans->status != 0 && ev->command == MW_LOGIN_ALLOW)
		mw_info("auth-policy: %s login=%s remote=%s protocol=%s "
			"status=%d reason=%s",
			ans->status < 0 ? "reject" : "delay", ev->login, remote,
			ev->protocol, ans->status,
			ans->reason[0] ? ans->reason : "-");
	else
		mw_debug("auth-policy: %s login=%s remote=%s protocol=%s "
			 "result=%d status=%d",
			 cmd, ev->login, remote, ev->protocol, (int)ev->result,
			 ans->status);
}

/* {"status":S,"msg":"M"}; msg escaped whatever the guard put in it. */
static void write_answer(mw_http_response *resp, const mw_login_answer *ans)
{
	char head[48];
	int n =
	    snprintf(head, sizeof head, "{\"status\":%d,\"msg\":", ans->status);
	mw_status st = mw_buf_append(&resp->body, head, (size_t)n);
	if (!st)
		st = mw_http_json_string(&resp->body, ans->msg);
	if (!st)
		st = mw_buf_puts(&resp->body, "}");
	if (st)
		resp->failed = true;
}

static void answer_of(mw_auth_policy *ap, const mw_login_event *ev,
		      mw_login_answer *ans)
{
	memset(ans, 0, sizeof *ans);
	ap->decide(ap->decide_arg, ev, ans);
	/* the guard's texts are bounded by their arrays, whatever it did */
	ans->msg[sizeof ans->msg - 1] = '\0';
	ans->reason[sizeof ans->reason - 1] = '\0';
	if (ans->status < -1)
		ans->status = -1;
}

void mw_auth_policy_handle(void *arg, const mw_http_request *req,
			   mw_http_response *resp)
{
	mw_auth_policy *ap = arg;
	if (ap->secret && *ap->secret &&
	    !secret_matches(mw_http_request_header(req, "X-API-Key"),
			    ap->secret)) {
		refuse(req, resp, 401, "missing or wrong X-API-Key");
		return;
	}
	mw_login_event ev;
	memset(&ev, 0, sizeof ev);
	if (!mw_auth_policy_command(mw_http_request_query(req, "command"),
				    &ev.command)) {
		refuse(req, resp, 400, "command must be allow or report");
		return;
	}
	const char *reason;
	if (mw_auth_policy_parse(req->body, req->body_len, &ev, &reason)) {
		refuse(req, resp, 400, reason);
		return;
	}
	ev.now = time(NULL);
	mw_login_answer ans;
	answer_of(ap, &ev, &ans);
	log_answer(&ev, &ans);
	write_answer(resp, &ans);
}

mw_http_route mw_auth_policy_route(mw_auth_policy *ap)
{
	return (mw_http_route){
	    .method = "POST",
	    .path = MW_AUTH_POLICY_PATH,
	    .handler = mw_auth_policy_handle,
	    .arg = ap,
	    .body_max = MW_HTTP_AUTH_POLICY_BODY_MAX,
	    .too_large_status = 400,
	};
}
