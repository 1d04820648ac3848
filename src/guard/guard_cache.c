/*
 * guard_cache.c - an account's settings and send counts, kept between
 * the stages of one transaction.
 *
 * A message is MAIL, one RCPT per recipient and end of message, all
 * within a second or so; reading the account's settings and counts
 * again at each stage would cost a store read per recipient. An entry is
 * used only at the same `now` second it was read at, less than a real
 * second after, and only while no write of the guard to any account's
 * settings came since (a generation number); a change made from outside
 * (the CLI) is therefore seen within a second. A slot is chosen by a
 * hash of the account: a collision only costs a read.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard/guard_int.h"

typedef struct slot {
	char acct[MW_ADDRESS_MAX + 1];
	time_t now;
	uint64_t gen;
	struct timespec at;
	mwg_state s;
	int64_t count[MWG_COUNTS];
	bool have[MWG_COUNTS];
	bool used;
} slot;

struct mwg_cache {
	pthread_mutex_t mu;
	atomic_uint_fast64_t gen;
	slot slots[MW_GUARD_CACHE_SLOTS];
};

/* A real second: the bound on how stale an outside change can be. */
#define CACHE_LIFE_NS 1000000000LL

mw_status mwg_cache_new(mw_guard *g)
{
	g->cache = calloc(1, sizeof *g->cache);
	if (!g->cache)
		return MW_ENOMEM;
	pthread_mutex_init(&g->cache->mu, NULL);
	atomic_init(&g->cache->gen, 1);
	return MW_OK;
}

void mwg_cache_free(mw_guard *g)
{
	if (!g->cache)
		return;
	pthread_mutex_destroy(&g->cache->mu);
	free(g->cache);
	g->cache = NULL;
}

void mwg_cache_invalidate(mw_guard *g)
{
	if (g->cache)
		atomic_fetch_add(&g->cache->gen, 1);
}

static size_t slot_of(const char *acct)
{
	uint32_t h = 2166136261u; /* FNV-1a, ASCII case folded */
	for (const unsigned char *p = (const unsigned char *)acct; *p; p++) {
		unsigned char c = *p >= 'A' && *p <= 'Z' ? *p + 32 : *p;
		h = (h ^ c) * 16777619u;
	}
	return h % MW_GUARD_CACHE_SLOTS;
}

static bool fresh(const mwg_cache *c, const slot *e, const char *acct,
		  time_t now)
{
	if (!e->used || e->now != now || e->gen != atomic_load(&c->gen) ||
	    strcasecmp(e->acct, acct) != 0)
		return false;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	long long ns = (long long)(t.tv_sec - e->at.tv_sec) * 1000000000LL +
		       (t.tv_nsec - e->at.tv_nsec);
	return ns >= 0 && ns < CACHE_LIFE_NS;
}

mw_status mwg_state_cached(mw_guard *g, const char *acct, time_t now,
			   mwg_state *s)
{
	mwg_cache *c = g->cache;
	slot *e = &c->slots[slot_of(acct)];
	pthread_mutex_lock(&c->mu);
	if (fresh(c, e, acct, now)) {
		*s = e->s;
		pthread_mutex_unlock(&c->mu);
		return MW_OK;
	}
	pthread_mutex_unlock(&c->mu);
	uint64_t gen = atomic_load(&c->gen);
	mw_status rc = mwg_state_read(g, acct, s);
	if (rc != MW_OK || strlen(acct) > MW_ADDRESS_MAX)
		return rc;
	pthread_mutex_lock(&c->mu);
	memset(e, 0, sizeof *e);
	strcpy(e->acct, acct);
	e->now = now;
	e->gen = gen;
	clock_gettime(CLOCK_MONOTONIC, &e->at);
	e->s = *s;
	e->used = true;
	pthread_mutex_unlock(&c->mu);
	return MW_OK;
}

bool mwg_count_get(mw_guard *g, const char *acct, time_t now, mwg_count k,
		   int64_t *v)
{
	mwg_cache *c = g->cache;
	slot *e = &c->slots[slot_of(acct)];
	pthread_mutex_lock(&c->mu);
	bool ok = fresh(c, e, acct, now) && e->have[k];
	if (ok)
		*v = e->count[k];
	pthread_mutex_unlock(&c->mu);
	return ok;
}

void mwg_count_put(mw_guard *g, const char *acct, time_t now, mwg_count k,
		   int64_t v)
{
	mwg_cache *c = g->cache;
	slot *e = &c->slots[slot_of(acct)];
	pthread_mutex_lock(&c->mu);
	if (fresh(c, e, acct, now)) {
		e->count[k] = v;
		e->have[k] = true;
	}
	pthread_mutex_unlock(&c->mu);
}
