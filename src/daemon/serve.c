/*
 * serve.c - `mailwarden serve`: start-up in the order serve.h gives,
 * the loop with its signals and timers, and the orderly stop.
 */
#include "daemon/serve.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/serve_int.h"
#include "lib/log.h"

/* How often the loop asks the store whether it is healthy, and how many
 * of those periods make the minute of mw_shield_tick(). */
#define SERVE_HEALTH_MS 5000
#define SERVE_TICKS_PER_MINUTE 12

/* -- start-up ------------------------------------------------------- */

/* The configuration, or exit status 2 with its errors on stderr as
 * check-config prints them. */
static mw_config *load_config(const char *path)
{
	mw_config_errors *errs = malloc(sizeof *errs);
	if (!errs) {
		fprintf(stderr, "mailwarden serve: out of memory\n");
		return NULL;
	}
	mw_config *cfg = NULL;
	mw_status s = mw_config_load(path, &cfg, errs);
	if (s == MW_OK && mw_config_check_files(cfg, errs) > 0) {
		mw_config_free(cfg);
		cfg = NULL;
	}
	if (errs->n > 0 || errs->errors > 0)
		mw_config_errors_print(errs, stderr);
	if (!cfg)
		fprintf(stderr,
			"mailwarden serve: %s: not started (see mailwarden "
			"check-config -c %s)\n",
			path, path);
	free(errs);
	return cfg;
}

static mw_status open_store(serve_state *st, const mw_config *cfg)
{
	mw_store_config sc;
	mw_store_config_init(&sc);
	char redis[320];
	if (cfg->store.kind == MW_CFG_STORE_REDIS) {
		snprintf(redis, sizeof redis, "redis://%s:%u", cfg->store.host,
			 cfg->store.port);
		sc.backend = redis;
	} else {
		sc.backend = "sqlite";
	}
	sc.state_dir = cfg->state_dir;
	sc.sent_log_days = (unsigned)cfg->sent_log_days;
	mw_store_error err;
	memset(&err, 0, sizeof err);
	mw_status s = mw_store_open(&sc, &st->store, &err);
	if (s != MW_OK)
		mw_warn("cannot open the store: %s", err.msg);
	return s;
}

/* -- signals and timers --------------------------------------------- */

static void close_handles(serve_state *st)
{
	if (!st->handles_open)
		return;
	st->handles_open = false;
	uv_close((uv_handle_t *)&st->sig_hup, NULL);
	uv_close((uv_handle_t *)&st->sig_term, NULL);
	uv_close((uv_handle_t *)&st->sig_int, NULL);
	uv_close((uv_handle_t *)&st->timer, NULL);
}

static void on_stopped(void *arg)
{
	close_handles(arg);
}

static void serve_stop(serve_state *st, const char *why)
{
	if (st->stopping)
		return;
	st->stopping = true;
	const mw_config *cfg = st->gen->cfg;
	uint64_t grace = MW_SERVE_STOP_GRACE;
	if ((uint64_t)cfg->milter_timeout < grace)
		grace = (uint64_t)cfg->milter_timeout;
	mw_info("%s: stopping", why);
	mw_listener_stop(st->listener, grace, on_stopped, st);
}

static void on_signal(uv_signal_t *h, int signum)
{
	serve_state *st = h->data;
	if (signum == SIGHUP) {
		if (!st->stopping)
			serve_reload(st);
		return;
	}
	serve_stop(st, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void check_store_health(serve_state *st)
{
	char why[256] = "";
	bool healthy = mw_store_health(st->store, why, sizeof why) == MW_OK;
	if (healthy == st->store_healthy)
		return;
	st->store_healthy = healthy;
	if (healthy) {
		mw_info("the store is healthy again");
		return;
	}
	bool tempfail =
	    st->gen->cfg->milter_failure_action == MW_CFG_FAIL_TEMPFAIL;
	mw_warn("the store is unhealthy: %s; until it recovers mail is %s "
		"(milter_failure_action = %s)",
		why[0] ? why : "no reason given",
		tempfail ? "tempfailed (451 4.3.0)" : "accepted unchecked",
		tempfail ? "tempfail" : "accept");
}

static void on_timer(uv_timer_t *t)
{
	serve_state *st = t->data;
	check_store_health(st);
	if (++st->ticks % SERVE_TICKS_PER_MINUTE == 0) {
		time_t now = time(NULL);
		mw_shield_tick(st->gen->shield, now);
		mw_guard_tick(st->gen->guard, now);
	}
}

static bool start_handles(serve_state *st)
{
	int rc = uv_signal_init(&st->loop, &st->sig_hup);
	rc = rc ? rc : uv_signal_init(&st->loop, &st->sig_term);
	rc = rc ? rc : uv_signal_init(&st->loop, &st->sig_int);
	rc = rc ? rc : uv_timer_init(&st->loop, &st->timer);
	if (rc != 0) {
		mw_warn("event loop: %s", uv_strerror(rc));
		return false;
	}
	st->handles_open = true;
	st->sig_hup.data = st->sig_term.data = st->sig_int.data = st;
	st->timer.data = st;
	rc = uv_signal_start(&st->sig_hup, on_signal, SIGHUP);
	rc = rc ? rc : uv_signal_start(&st->sig_term, on_signal, SIGTERM);
	rc = rc ? rc : uv_signal_start(&st->sig_int, on_signal, SIGINT);
	rc = rc ? rc
		: uv_timer_start(&st->timer, on_timer, SERVE_HEALTH_MS,
				 SERVE_HEALTH_MS);
	if (rc != 0) {
		mw_warn("event loop: %s", uv_strerror(rc));
		return false;
	}
	return true;
}

/* -- the whole life ------------------------------------------------- */

/* Close what start-up opened, whatever stage it reached. */
static void teardown(serve_state *st)
{
	close_handles(st);
	if (st->listener) {
		if (!st->stopping) {
			st->stopping = true;
			mw_listener_stop(st->listener, 0, NULL, NULL);
		}
		uv_run(&st->loop, UV_RUN_DEFAULT);
		mw_listener_free(st->listener);
		st->listener = NULL;
	}
	/* Before the generation goes: its guard answers the HTTP threads. */
	serve_http_stop(st);
	if (st->gen)
		serve_gen_release(st->gen);
	st->gen = NULL;
	/* Let the generations' ends queued on the thread pool finish. */
	uv_run(&st->loop, UV_RUN_DEFAULT);
	if (st->store) {
		mw_store_close(st->store);
		mw_info("store closed");
	}
	st->store = NULL;
	if (uv_loop_close(&st->loop) != 0)
		mw_warn("event loop: handles left open at exit");
	free(st->config_path);
}

static int start(serve_state *st, mw_config *cfg)
{
	char err[1024] = "";
	serve_raise_nofile();
	if (mw_listener_open(&st->loop, &cfg->milter_socket, &st->env,
			     &st->listener, err, sizeof err) != MW_OK) {
		mw_warn("%s", err);
		mw_config_free(cfg);
		return 2;
	}
	mw_listener_set_limits(st->listener,
			       (size_t)cfg->milter_max_connections,
			       (uint64_t)cfg->milter_timeout);
	if (!serve_drop_privileges(cfg, st->listener, err, sizeof err) ||
	    !serve_check_state_dir(cfg, err, sizeof err)) {
		mw_warn("%s", err);
		mw_config_free(cfg);
		return 2;
	}
	if (open_store(st, cfg) != MW_OK) {
		mw_config_free(cfg);
		return 2;
	}
	st->store_healthy = true;
	/* Accepted messages are answered once their writes are durable. */
	mw_listener_set_store(st->listener, st->store);
	st->gen = serve_gen_new(st, cfg, "");
	if (!st->gen)
		return 2;
	if (!serve_http_start(st, st->gen->cfg))
		return 2;
	if (!start_handles(st))
		return 1;
	return 0;
}

int mw_serve(const mw_serve_options *opt)
{
	serve_state st;
	memset(&st, 0, sizeof st);
	const char *path =
	    opt && opt->config_path ? opt->config_path : MW_CONFIG_DEFAULT_PATH;
	/* The absolute path, so that SIGHUP finds the file after chdir. */
	char abs[PATH_MAX];
	st.config_path = strdup(realpath(path, abs) ? abs : path);
	if (!st.config_path)
		return 2;

	mw_config *cfg = load_config(st.config_path);
	if (!cfg) {
		free(st.config_path);
		return 2;
	}
	serve_log_setup(cfg);
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") != 0)
		mw_warn("chdir /: failed; going on");

	pthread_rwlock_init(&st.http_lock, NULL);
	int rc = uv_loop_init(&st.loop);
	if (rc != 0) {
		mw_warn("event loop: %s", uv_strerror(rc));
		mw_config_free(cfg);
		free(st.config_path);
		return 2;
	}
	st.env.acquire = serve_policy_acquire;
	st.env.release = serve_policy_release;
	st.env.now = NULL;
	st.env.arg = &st;

	int code = start(&st, cfg);
	if (code != 0) {
		teardown(&st);
		return code;
	}
	mw_info("serving on %s (pid %ld, batv_mode %s, %s)",
		mw_listener_label(st.listener), (long)getpid(),
		st.gen->cfg->batv_mode == MW_CFG_BATV_OFF   ? "off"
		: st.gen->cfg->batv_mode == MW_CFG_BATV_TAG ? "tag"
							    : "enforce",
		st.gen->keys ? "keys loaded" : "no keys");
	rc = uv_run(&st.loop, UV_RUN_DEFAULT);
	mw_listener_stats stats;
	mw_listener_stats_get(st.listener, &stats);
	mw_info("stopped: %llu connections served, %llu messages, %llu "
		"refused over the cap, %llu timed out, %llu broken",
		(unsigned long long)stats.accepted,
		(unsigned long long)stats.messages,
		(unsigned long long)stats.refused,
		(unsigned long long)stats.timed_out,
		(unsigned long long)stats.broken);
	teardown(&st);
	pthread_rwlock_destroy(&st.http_lock);
	return 0;
}
