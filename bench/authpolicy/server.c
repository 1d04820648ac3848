/*
 * server.c - the auth-policy benchmark's server: the real HTTP server and
 * /auth-policy route with a trivial decision (reject logins that start
 * with "brute", allow the rest), so that wrk measures the endpoint's own
 * cost: HTTP, the secret check, the JSON parse and the answer.
 *
 *   authpolicy_server PORT [THREADS [SECRET]]
 *
 * PORT 0 takes an ephemeral port. Prints "port N" on stdout once
 * listening; stops on SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/auth_policy.h"
#include "http/server.h"
#include "lib/log.h"

static void decide(void *arg, const mw_login_event *ev, mw_login_answer *ans)
{
	(void)arg;
	if (strncmp(ev->login, "brute", 5) == 0) {
		ans->status = -1;
		snprintf(ans->msg, sizeof ans->msg, "Too many failures");
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT [THREADS [SECRET]]\n", argv[0]);
		return 2;
	}
	mw_log_set_level(MW_LOG_WARNING);
	mw_auth_policy ap = {decide, NULL, argc > 3 ? argv[3] : NULL};
	mw_http_route route = mw_auth_policy_route(&ap);
	mw_http_config cfg = {
	    .host = "127.0.0.1",
	    .port = (unsigned)strtoul(argv[1], NULL, 10),
	    .threads = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 0,
	    .routes = &route,
	    .n_routes = 1,
	};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* blocked before the pool's threads start, so they inherit it */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	mw_http_server *srv;
	if (mw_http_server_start(&cfg, &srv) != MW_OK)
		return 1;
	printf("port %u\n", mw_http_server_port(srv));
	fflush(stdout);
	int sig;
	sigwait(&set, &sig);
	mw_http_server_stop(srv);
	return 0;
}
