/*
 * serve_policy.c - policy generations: a configuration, its BATV keys and
 * the shield made from them, swapped as a whole by SIGHUP.
 *
 * A reload parses everything first and swaps only when all of it is
 * good, so the daemon is never left with half a configuration. Old
 * generations live until the last transaction that started under them
 * ends.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/serve_int.h"
#include "lib/log.h"

/* Keys read once at start: the socket is bound, the store open, the
 * user dropped to and the log target opened by then. */
static const char *const restart_keys[] = {
    "milter_socket", "state_dir",	"store",       "user",
    "log",	     "syslog_facility", "http_listen",
};

/* Generations alive, for finding one from its policy without a cast. */
typedef struct gen_node {
	serve_gen gen;
	struct gen_node *next;
	uv_work_t work; /* its destruction, off the loop */
} gen_node;

static gen_node *live_gens;

static bool load_keys(serve_gen *g, const char *prefix)
{
	const mw_config *cfg = g->cfg;
	if (cfg->batv_mode == MW_CFG_BATV_OFF)
		return true;
	if (!cfg->batv_key_file) {
		mw_warn("%sbatv_mode is not off but batv_key_file is empty: "
			"nothing is signed or verified",
			prefix);
		return true;
	}
	g->keys = malloc(sizeof *g->keys);
	if (!g->keys) {
		mw_warn("%sout of memory for the BATV keys", prefix);
		return false;
	}
	mw_batv_ring_init(g->keys);
	mw_batv_error e;
	memset(&e, 0, sizeof e);
	if (mw_batv_ring_load(g->keys, cfg->batv_key_file, &e) != MW_OK) {
		if (e.line)
			mw_warn("%s%s:%u: %s", prefix, cfg->batv_key_file,
				e.line, e.msg);
		else
			mw_warn("%s%s: %s", prefix, cfg->batv_key_file, e.msg);
		return false;
	}
	if (mw_batv_ring_set_validity(
		g->keys, (unsigned)cfg->batv_validity_days) != MW_OK) {
		mw_warn("%sbatv_validity_days %lld out of range", prefix,
			(long long)cfg->batv_validity_days);
		return false;
	}
	return true;
}

/* Take g's node out of the live list (the loop's thread only). */
static gen_node *gen_unlink(serve_gen *g)
{
	for (gen_node **p = &live_gens; *p; p = &(*p)->next) {
		if (&(*p)->gen == g) {
			gen_node *n = *p;
			*p = n->next;
			return n;
		}
	}
	mw_panic("serve_gen %lu is not among the live generations", g->number);
}

/* What a generation holds. Freeing its shield or guard may wait for a
 * notice being sent (a digest's SMTP dialogue, bounded by its timeouts),
 * so a generation that ends while the daemon runs is freed on libuv's
 * thread pool, not on the loop: a reload during a digest round must not
 * stop the milter. */
static void gen_free_parts(serve_gen *g)
{
	if (g->guard)
		mw_guard_free(g->guard);
	mw_geo_close(g->geo);
	if (g->shield)
		mw_shield_free(g->shield);
	if (g->keys) {
		mw_batv_ring_clear(g->keys);
		free(g->keys);
	}
	mw_config_free(g->cfg);
}

static void gen_destroy(serve_gen *g)
{
	gen_node *n = gen_unlink(g);
	gen_free_parts(&n->gen);
	free(n);
}

static void destroy_off_loop(uv_work_t *w)
{
	gen_node *n = w->data;
	gen_free_parts(&n->gen);
}

static void destroyed(uv_work_t *w, int status)
{
	gen_node *n = w->data;
	if (status != 0)
		mw_warn("generation %lu: freed late (%s)", n->gen.number,
			uv_strerror(status));
	free(n);
}

/* The GeoIP databases and the account guard over them. A database that
 * cannot be opened fails the generation: check-config has said so, and
 * running without it would silently make every country unknown. */
static bool open_guard(serve_state *st, serve_gen *g, const char *prefix)
{
	const mw_config *cfg = g->cfg;
	char err[512] = "";
	if (mw_geo_open(cfg->geoip_country_db, cfg->geoip_asn_db, &g->geo, err,
			sizeof err) != MW_OK) {
		mw_warn("%s%s", prefix, err);
		return false;
	}
	if (!cfg->geoip_country_db)
		mw_info("%sgeoip_country_db is empty: countries are unknown, "
			"and country fences refuse nothing but unknown places",
			prefix);
	mw_status s = mw_guard_new(cfg, st->store, g->geo, &g->guard);
	if (s != MW_OK) {
		mw_warn("%scannot set up the account guard: %s", prefix,
			mw_status_str(s));
		g->guard = NULL;
		return false;
	}
	return true;
}

serve_gen *serve_gen_new(serve_state *st, mw_config *cfg, const char *prefix)
{
	gen_node *n = calloc(1, sizeof *n);
	if (!n) {
		mw_warn("%sout of memory", prefix);
		mw_config_free(cfg);
		return NULL;
	}
	n->next = live_gens;
	live_gens = n;
	serve_gen *g = &n->gen;
	g->cfg = cfg;
	g->loop = &st->loop;
	g->refs = 1;
	g->number = ++st->generations;
	if (!load_keys(g, prefix)) {
		gen_destroy(g);
		return NULL;
	}
	mw_status s = mw_shield_new(cfg, st->store, g->keys, &g->shield);
	if (s != MW_OK) {
		mw_warn("%scannot set up the shield: %s", prefix,
			mw_status_str(s));
		g->shield = NULL;
		gen_destroy(g);
		return NULL;
	}
	if (!open_guard(st, g, prefix)) {
		gen_destroy(g);
		return NULL;
	}
	g->policy.cfg = cfg;
	g->policy.shield = g->shield;
	g->policy.guard = g->guard;
	serve_gen_http_setup(g);
	return g;
}

void serve_gen_release(serve_gen *g)
{
	if (!g || --g->refs != 0)
		return;
	gen_node *n = gen_unlink(g);
	n->work.data = n;
	if (!g->loop || uv_queue_work(g->loop, &n->work, destroy_off_loop,
				      destroyed) != 0) {
		gen_free_parts(&n->gen);
		free(n);
	}
}

const mw_session_policy *serve_policy_acquire(void *arg)
{
	serve_state *st = arg;
	st->gen->refs++;
	return &st->gen->policy;
}

void serve_policy_release(void *arg, const mw_session_policy *policy)
{
	(void)arg;
	for (gen_node *n = live_gens; n; n = n->next) {
		if (&n->gen.policy == policy) {
			serve_gen_release(&n->gen);
			return;
		}
	}
	mw_panic("a session gave back a policy that is not live");
}

/* -- SIGHUP --------------------------------------------------------- */

static void log_diags(const mw_config_errors *errs, size_t from)
{
	mw_buf line;
	mw_buf_init(&line, MW_CONFIG_LABEL_MAX + 1024);
	for (size_t i = from; i < errs->n; i++) {
		mw_config_diag_format(errs, i, &line);
		mw_warn("reload: %s", mw_buf_cstr(&line));
	}
	mw_buf_free(&line);
}

static void warn_restart_keys(const mw_config *old, const mw_config *cfg)
{
	mw_buf a, b;
	mw_buf_init(&a, 64 * 1024);
	mw_buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < sizeof restart_keys / sizeof *restart_keys;
	     i++) {
		long k = mw_config_key_find(restart_keys[i]);
		if (k < 0)
			continue;
		if (mw_config_value_text(old, (size_t)k, &a) != MW_OK ||
		    mw_config_value_text(cfg, (size_t)k, &b) != MW_OK)
			continue;
		if (strcmp(mw_buf_cstr(&a), mw_buf_cstr(&b)) != 0)
			mw_warn("reload: key '%s' changed; the new value "
				"takes effect at the next start, '%s' stays "
				"until then",
				restart_keys[i], mw_buf_cstr(&a));
	}
	mw_buf_free(&a);
	mw_buf_free(&b);
}

void serve_reload(serve_state *st)
{
	mw_info("SIGHUP: reading %s again", st->config_path);
	mw_config_errors *errs = malloc(sizeof *errs);
	if (!errs) {
		mw_warn("reload: out of memory; nothing changed");
		return;
	}
	mw_config *cfg = NULL;
	mw_status s = mw_config_load(st->config_path, &cfg, errs);
	log_diags(errs, 0);
	if (s == MW_OK) {
		size_t from = errs->n;
		if (mw_config_check_files(cfg, errs) > 0) {
			log_diags(errs, from);
			mw_config_free(cfg);
			cfg = NULL;
		}
	}
	free(errs);
	if (!cfg) {
		mw_warn("reload: %s has errors: the configuration in force "
			"stays",
			st->config_path);
		return;
	}
	warn_restart_keys(st->gen->cfg, cfg);
	serve_gen *g = serve_gen_new(st, cfg, "reload: ");
	if (!g) {
		mw_warn("reload: the configuration in force stays");
		return;
	}
	serve_swap_gen(st, g);
	mw_listener_set_limits(st->listener,
			       (size_t)cfg->milter_max_connections,
			       (uint64_t)cfg->milter_timeout);
	serve_log_level(cfg);
	mw_info("reloaded %s: generation %lu in force for new transactions",
		st->config_path, g->number);
}
