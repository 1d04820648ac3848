/*
 * serve_int.h - what the files of `serve` share: the daemon's state, the
 * policy generations that SIGHUP swaps, and the process set-up. Not for
 * use outside src/daemon/serve*.c.
 */
#ifndef MW_DAEMON_SERVE_INT_H
#define MW_DAEMON_SERVE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "batv/batv.h"
#include "daemon/config.h"
#include "daemon/listener.h"
#include "daemon/serve.h"
#include "guard/geo.h"
#include "guard/guard.h"
#include "http/auth_policy.h"
#include "http/server.h"
#include "milter/session.h"
#include "shield/shield.h"
#include "store/store.h"

/* One configuration with its keys and its shield. The current generation
 * holds one reference; each transaction that started under it holds one
 * more (session.h), so a reload never pulls a policy from under a
 * message. Counted on the loop's thread only. */
typedef struct serve_gen {
	mw_session_policy policy; /* first: sessions hold &gen->policy */
	mw_config *cfg;
	mw_batv_ring *keys; /* NULL when batv_mode is off */
	mw_shield *shield;
	mw_geo *geo; /* NULL fields inside when no database is set */
	mw_guard *guard;
	mw_auth_policy auth_policy; /* the endpoint's secret and guard */
	unsigned refs;
	unsigned long number; /* 1 at start, +1 per reload */
	uv_loop_t *loop;      /* where its end is queued (serve_gen_release) */
} serve_gen;

typedef struct serve_state {
	char *config_path;
	uv_loop_t loop;
	mw_listener *listener;
	mw_store *store;
	serve_gen *gen; /* in force for new transactions; HTTP threads
			   read it under http_lock */
	pthread_rwlock_t http_lock;
	mw_http_server *http; /* NULL when http_listen is empty */
	mw_http_route http_routes[1];
	unsigned long generations;
	mw_session_env env;
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t timer;
	unsigned ticks;
	bool handles_open; /* the signals and the timer */
	bool store_healthy;
	bool stopping;
	int exit_code;
} serve_state;

/* -- generations (serve_policy.c) -- */

/* A generation for cfg (its reference is taken over): keys read when
 * BATV is on, a shield made. On failure returns NULL, cfg is released and
 * each reason has been logged with mw_warn (prefix says where). */
serve_gen *serve_gen_new(serve_state *st, mw_config *cfg, const char *prefix);
void serve_gen_release(serve_gen *g);
/* The session's side (mw_session_env). */
const mw_session_policy *serve_policy_acquire(void *arg);
void serve_policy_release(void *arg, const mw_session_policy *policy);
/* SIGHUP. */
void serve_reload(serve_state *st);
/* Put next in force (under http_lock) and release the old generation. */
void serve_swap_gen(serve_state *st, serve_gen *next);

/* -- HTTP (serve_http.c) -- */

/* Fill g->auth_policy from its configuration and guard. */
void serve_gen_http_setup(serve_gen *g);
/* Start the HTTP server on http_listen (nothing when it is empty); false
 * with a logged reason when it cannot. */
bool serve_http_start(serve_state *st, const mw_config *cfg);
/* Stop it, waiting for requests in flight. */
void serve_http_stop(serve_state *st);

/* -- the process (serve_env.c) -- */

/* Log to stderr or syslog as cfg says, at its level. */
/* Apply log_level (at start-up and on reload). */
void serve_log_level(const mw_config *cfg);
void serve_log_setup(const mw_config *cfg);
/* Raise the soft limit on open files to the hard one: each milter
 * connection is a descriptor. */
void serve_raise_nofile(void);
/* Started as root: give the unix socket to cfg->user, drop to it, and
 * check root cannot come back. Otherwise nothing (a note if user differs).
 * false with the reason in err. */
bool serve_drop_privileges(const mw_config *cfg, mw_listener *l, char *err,
			   size_t errsz);
/* Is state_dir a directory this process can write? false with the reason
 * (naming the user) in err. */
bool serve_check_state_dir(const mw_config *cfg, char *err, size_t errsz);

#endif
