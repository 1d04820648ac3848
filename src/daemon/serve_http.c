/*
 * serve_http.c - the daemon's HTTP side: Dovecot's auth-policy endpoint,
 * served on libmicrohttpd's threads, answered by the account guard of the
 * generation in force.
 *
 * The HTTP threads never touch a generation's reference count (that is
 * the loop's); they read st->gen under http_lock, and a reload swaps the
 * generation under the same lock taken for writing. A request therefore
 * runs wholly under one generation: its secret and its guard. The old
 * generation may then be freed by the loop, since no HTTP thread can
 * still hold it.
 */
#include <string.h>

#include "daemon/serve_int.h"
#include "http/auth_policy.h"
#include "lib/log.h"

/* The route's handler: the generation's auth-policy under the read lock. */
static void handle_auth_policy(void *arg, const mw_http_request *req,
			       mw_http_response *resp)
{
	serve_state *st = arg;
	pthread_rwlock_rdlock(&st->http_lock);
	serve_gen *g = st->gen;
	if (g && g->guard)
		mw_auth_policy_handle(&g->auth_policy, req, resp);
	else
		mw_http_response_error(resp, 503, "no policy in force");
	pthread_rwlock_unlock(&st->http_lock);
}

void serve_gen_http_setup(serve_gen *g)
{
	memset(&g->auth_policy, 0, sizeof g->auth_policy);
	g->auth_policy.decide = mw_guard_login_decide;
	g->auth_policy.decide_arg = g->guard;
	g->auth_policy.secret = g->cfg->auth_policy_secret;
}

bool serve_http_start(serve_state *st, const mw_config *cfg)
{
	if (cfg->http_listen.kind == MW_CFG_ENDPOINT_NONE) {
		mw_info("http_listen is empty: no auth-policy endpoint");
		return true;
	}
	if (cfg->http_listen.kind != MW_CFG_ENDPOINT_INET) {
		mw_warn("http_listen: only HOST:PORT is served");
		return false;
	}
	/* The route's path and body cap, with our own handler around it. */
	mw_http_route route = mw_auth_policy_route(NULL);
	route.handler = handle_auth_policy;
	route.arg = st;
	st->http_routes[0] = route;
	mw_http_config hc;
	memset(&hc, 0, sizeof hc);
	hc.host = cfg->http_listen.host;
	hc.port = cfg->http_listen.port;
	hc.routes = st->http_routes;
	hc.n_routes = 1;
	if (mw_http_server_start(&hc, &st->http) != MW_OK) {
		mw_warn("http_listen %s:%u: the HTTP server did not start",
			cfg->http_listen.host, cfg->http_listen.port);
		st->http = NULL;
		return false;
	}
	mw_info("auth-policy endpoint on http://%s%s%s:%u%s%s",
		strchr(hc.host, ':') ? "[" : "", hc.host,
		strchr(hc.host, ':') ? "]" : "", mw_http_server_port(st->http),
		route.path,
		cfg->auth_policy_secret ? " (X-API-Key asked)"
					: " (no secret asked)");
	return true;
}

void serve_http_stop(serve_state *st)
{
	if (!st->http)
		return;
	mw_http_server_stop(st->http);
	st->http = NULL;
	mw_info("HTTP server stopped");
}

void serve_swap_gen(serve_state *st, serve_gen *next)
{
	pthread_rwlock_wrlock(&st->http_lock);
	serve_gen *old = st->gen;
	st->gen = next;
	pthread_rwlock_unlock(&st->http_lock);
	serve_gen_release(old);
}
