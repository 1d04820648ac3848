/*
 * store_queue.c - the bounded write queue, its index for readers, and the
 * writer thread that commits it.
 *
 * One mutex guards everything in mw_store_queue. Callers hold it only to
 * link or copy ops; the writer holds it only to pick a batch and to
 * unlink a committed one, never while the backend works. The batch stays
 * in the FIFO and in the index while it is being applied, so readers keep
 * seeing it until its commit is visible to them (store_impl.h).
 */
#include "store/store_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* Queue length that wakes the writer before its interval is up: a
 * quarter of a batch, so a burst is committed in a few full batches. */
#define URGENT_COUNT (MW_STORE_BATCH_MAX / 4)
/* How often the writer deletes expired rows by itself: each call deletes
 * up to 100,000 rows per table, so this keeps up with 10,000 new counter
 * buckets a second. */
#define HOUSEKEEP_MS 10000u
/* Pause before retrying a failed commit: long enough not to spin on a
 * full disk, short enough that a passing lock conflict costs little. */
#define RETRY_MS 500u
/* Past this age of its oldest write (beyond the interval) the queue
 * counts as stuck in mw_store_health(). */
#define STUCK_MS 2000u
/* Ops a lossy write looks at for one to merge with. */
#define MERGE_LOOKS 8

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wait on cv until the monotonic time at_ms (the condvars use
 * CLOCK_MONOTONIC, so a change of the wall clock does not matter). */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t at_ms)
{
	struct timespec ts = {.tv_sec = (time_t)(at_ms / 1000u),
			      .tv_nsec = (long)(at_ms % 1000u) * 1000000L};
	pthread_cond_timedwait(cv, mu, &ts);
}

uint32_t mw_store_hash(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

bool mw_store_op_is_lossy(mw_store_op_kind kind)
{
	return kind == MW_OP_COUNTER_ADD || kind == MW_OP_DISTINCT_ADD;
}

mw_store_op *mw_store_op_new(mw_store_op_kind kind, const char *key,
			     const char *a, const void *b, size_t blen)
{
	size_t klen = strlen(key), alen = a ? strlen(a) : 0;
	size_t size = sizeof(mw_store_op) + klen + 1 + alen + 1 + blen + 1;
	mw_store_op *op = malloc(size);
	if (!op)
		return NULL;
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->bytes = size;
	op->hash = mw_store_hash(key);
	char *p = op->data;
	memcpy(p, key, klen + 1);
	op->key = p;
	p += klen + 1;
	if (alen)
		memcpy(p, a, alen);
	p[alen] = '\0';
	op->a = p;
	p += alen + 1;
	if (blen)
		memcpy(p, b, blen);
	p[blen] = '\0';
	op->b = p;
	op->blen = blen;
	return op;
}

/* -- the index -------------------------------------------------------- */

static mw_store_op **index_slot(mw_store_queue *q, uint32_t hash)
{
	return &q->index[hash & (MW_STORE_INDEX_BUCKETS - 1)];
}

static void index_insert(mw_store_queue *q, mw_store_op *op)
{
	mw_store_op **slot = index_slot(q, op->hash);
	op->hprev = NULL;
	op->hnext = *slot;
	if (*slot)
		(*slot)->hprev = op;
	*slot = op;
}

static void index_remove(mw_store_queue *q, mw_store_op *op)
{
	if (op->hprev)
		op->hprev->hnext = op->hnext;
	else
		*index_slot(q, op->hash) = op->hnext;
	if (op->hnext)
		op->hnext->hprev = op->hprev;
}

/* -- callers' side ---------------------------------------------------- */

static bool has_room(const mw_store_queue *q, const mw_store_op *op,
		     size_t max_count, size_t max_bytes)
{
	return q->count < max_count && op->bytes <= max_bytes - q->bytes;
}

/* Wait, for at most wait_ms, until a kept write fits. */
static bool wait_for_room(mw_store_queue *q, const mw_store_op *op)
{
	uint64_t until = mono_ms() + q->wait_ms;
	while (!q->stopping && !has_room(q, op, q->max_count, q->max_bytes)) {
		if (mono_ms() >= until)
			return false;
		q->waiting_room = true;
		pthread_cond_signal(&q->wake);
		wait_until(&q->room, &q->mu, until);
	}
	return !q->stopping;
}

static void link_op(mw_store_queue *q, mw_store_op *op)
{
	op->seq = ++q->next_seq;
	op->enq_ms = mono_ms();
	op->next = NULL;
	if (q->tail)
		q->tail->next = op;
	else
		q->head = op;
	q->tail = op;
	index_insert(q, op);
	q->count++;
	q->bytes += op->bytes;
	q->stats.enqueued++;
	/* The writer sleeps without a deadline on an empty queue. */
	if (q->count == 1 || q->count >= URGENT_COUNT)
		pthread_cond_signal(&q->wake);
}

/* Fold a lossy write into a queued one of the same counter bucket or
 * distinct member, if the writer has not taken that one yet: a flood to
 * one address then holds one op per minute in the queue, not one per
 * bounce. Chains are newest first, so the search stops at the first op
 * the writer has taken, and after MERGE_LOOKS ops of other keys. */
static bool merge_lossy(mw_store_queue *q, const mw_store_op *op)
{
	time_t bucket = mw_store_bucket_start(op->t, MW_STORE_FINE_WIDTH);
	mw_store_op *o = *index_slot(q, op->hash);
	for (int i = 0; o && i < MERGE_LOOKS; o = o->hnext, i++) {
		if (o->seq <= q->taken_seq)
			return false;
		if (o->kind != op->kind || o->hash != op->hash ||
		    strcmp(o->key, op->key) != 0)
			continue;
		if (op->kind == MW_OP_COUNTER_ADD &&
		    mw_store_bucket_start(o->t, MW_STORE_FINE_WIDTH) ==
			bucket) {
			o->n += op->n;
			return true;
		}
		if (op->kind == MW_OP_DISTINCT_ADD &&
		    strcmp(o->a, op->a) == 0) {
			if (op->t > o->t)
				o->t = op->t;
			return true;
		}
	}
	return false;
}

mw_status mw_store_queue_push(mw_store *st, mw_store_op *op)
{
	mw_store_queue *q = &st->q;
	mw_status rc = MW_OK;
	bool merged = false;
	pthread_mutex_lock(&q->mu);
	if (q->stopping) {
		rc = MW_EIO;
	} else if (mw_store_op_is_lossy(op->kind) && merge_lossy(q, op)) {
		merged = true;
		q->stats.enqueued++;
		q->stats.merged++;
	} else if (mw_store_op_is_lossy(op->kind)) {
		if (!has_room(q, op, q->lossy_count, q->lossy_bytes)) {
			q->stats.dropped++;
			rc = MW_ETOOBIG;
		}
	} else if (!wait_for_room(q, op)) {
		q->stats.refused++;
		rc = MW_EIO;
	}
	if (rc == MW_OK && !merged)
		link_op(q, op);
	uint64_t dropped = q->stats.dropped, refused = q->stats.refused;
	pthread_mutex_unlock(&q->mu);
	if (rc == MW_OK && !merged)
		return MW_OK;
	free(op);
	if (rc == MW_OK)
		return MW_OK;
	/* Say so once per power of two, not once per write of a flood. */
	if (rc == MW_ETOOBIG && (dropped & (dropped - 1)) == 0)
		mw_warn("store: write queue full, %llu counter writes dropped",
			(unsigned long long)dropped);
	if (rc == MW_EIO && refused && (refused & (refused - 1)) == 0)
		mw_warn("store: write queue full or stopping, %llu writes "
			"refused",
			(unsigned long long)refused);
	return rc;
}

mw_status mw_store_queue_flush(mw_store *st, unsigned timeout_ms)
{
	mw_store_queue *q = &st->q;
	uint64_t until = mono_ms() + timeout_ms;
	pthread_mutex_lock(&q->mu);
	uint64_t target = q->next_seq;
	if (q->flush_seq < target)
		q->flush_seq = target;
	pthread_cond_signal(&q->wake);
	while (q->committed_seq < target && mono_ms() < until)
		wait_until(&q->done, &q->mu, until);
	bool ok = q->committed_seq >= target;
	pthread_mutex_unlock(&q->mu);
	return ok ? MW_OK : MW_EIO;
}

mw_store_mark mw_store_commit_soon(mw_store *st)
{
	mw_store_queue *q = &st->q;
	pthread_mutex_lock(&q->mu);
	mw_store_mark mark = q->next_seq;
	if (mark <= q->committed_seq) {
		mark = 0;
	} else if (q->flush_seq < mark) {
		/* Woken only when the writer would not commit this anyway:
		 * a burst of callers costs one signal each at most. */
		q->flush_seq = mark;
		pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->mu);
	return mark;
}

bool mw_store_is_committed(mw_store *st, mw_store_mark mark)
{
	if (mark == 0)
		return true;
	mw_store_queue *q = &st->q;
	pthread_mutex_lock(&q->mu);
	bool done = q->committed_seq >= mark;
	pthread_mutex_unlock(&q->mu);
	return done;
}

void mw_store_set_commit_notify(mw_store *st, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&st->q.mu);
	st->q.notify = fn;
	st->q.notify_arg = arg;
	pthread_mutex_unlock(&st->q.mu);
}

/* -- reads' view of the queue ----------------------------------------- */

void mw_store_pending_init(mw_store_pending *p)
{
	p->ops = NULL;
	p->n = 0;
	/* Bounded by the queue itself: at most all of it is copied. */
	mw_arena_init(&p->arena, 2 * MW_STORE_QUEUE_BYTES_MAX);
}

void mw_store_pending_free(mw_store_pending *p)
{
	mw_arena_free(&p->arena);
	p->ops = NULL;
	p->n = 0;
}

static mw_status copy_pending(mw_store_pending *p, size_t *cap,
			      const mw_store_op *op)
{
	if (p->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		mw_store_pending_op *grown = mw_arena_grow(
		    &p->arena, p->ops, *cap, ncap, sizeof(*p->ops));
		if (!grown)
			return MW_ENOMEM;
		p->ops = grown;
		*cap = ncap;
	}
	mw_store_pending_op *c = &p->ops[p->n];
	c->seq = op->seq;
	c->kind = op->kind;
	c->t = op->t;
	c->n = op->n;
	c->expires = op->expires;
	c->blen = op->blen;
	c->key = c->a = c->b = NULL;
	p->n++;
	/* A counter read needs only numbers; a hot key may have thousands of
	 * its adds queued, and this runs under the queue's lock. */
	if (op->kind == MW_OP_COUNTER_ADD)
		return MW_OK;
	c->key = mw_arena_strdup(&p->arena, op->key);
	c->a = mw_arena_strdup(&p->arena, op->a);
	c->b = mw_arena_strndup(&p->arena, op->b, op->blen);
	if (!c->key || !c->a || !c->b)
		return MW_ENOMEM;
	return MW_OK;
}

static bool op_matches(const mw_store_op *op, const char *key, size_t klen,
		       bool prefix, mw_store_op_kind k1, mw_store_op_kind k2)
{
	if (op->kind != k1 && op->kind != k2)
		return false;
	return prefix ? strncmp(op->key, key, klen) == 0
		      : strcmp(op->key, key) == 0;
}

mw_status mw_store_queue_pending(mw_store *st, const char *key, bool prefix,
				 mw_store_op_kind k1, mw_store_op_kind k2,
				 mw_store_pending *p)
{
	mw_store_queue *q = &st->q;
	size_t cap = 0, klen = strlen(key);
	mw_status rc = MW_OK;
	pthread_mutex_lock(&q->mu);
	const mw_store_op *op =
	    prefix ? q->head : *index_slot(q, mw_store_hash(key));
	for (; op && rc == MW_OK; op = prefix ? op->next : op->hnext)
		if (op_matches(op, key, klen, prefix, k1, k2))
			rc = copy_pending(p, &cap, op);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* -- the writer ------------------------------------------------------- */

static bool writer_urgent(const mw_store_queue *q)
{
	return q->stopping || q->count >= URGENT_COUNT ||
	       q->flush_seq > q->committed_seq || q->waiting_room;
}

/* Wait until there is a batch to commit or housekeeping to do; false
 * when the writer should exit. Called and returns with the lock held. */
static bool writer_wait(mw_store_queue *q, uint64_t housekeep_at,
			uint64_t retry_at)
{
	for (;;) {
		uint64_t now = mono_ms();
		if (!q->head && q->stopping)
			return false;
		if (q->failing && q->stopping)
			return true; /* one last try */
		uint64_t until = housekeep_at;
		if (q->head) {
			uint64_t due = q->head->enq_ms + q->interval_ms;
			if (writer_urgent(q) && due > now)
				due = now;
			if (q->failing && due < retry_at)
				due = retry_at;
			if (due <= now)
				return true;
			if (due < until)
				until = due;
		}
		if (now >= housekeep_at)
			return true;
		wait_until(&q->wake, &q->mu, until);
	}
}

/* The batch: the oldest ops, up to MW_STORE_BATCH_MAX. */
static size_t pick_batch(const mw_store_queue *q, mw_store_op **last)
{
	size_t n = 0;
	mw_store_op *op = q->head;
	*last = NULL;
	while (op && n < MW_STORE_BATCH_MAX) {
		*last = op;
		n++;
		if (op == q->tail)
			break;
		op = op->next;
	}
	return n;
}

/* Unlink a committed batch; the ops are freed by the caller, unlocked. */
static void unlink_batch(mw_store_queue *q, mw_store_op *first,
			 mw_store_op *last, size_t n)
{
	mw_store_op *op = first;
	for (size_t i = 0; i < n; i++, op = op->next) {
		index_remove(q, op);
		q->bytes -= op->bytes;
	}
	q->head = last->next;
	if (!q->head)
		q->tail = NULL;
	q->count -= n;
	q->committed_seq = last->seq;
	q->stats.committed += n;
	q->stats.batches++;
	q->waiting_room = false;
	pthread_cond_broadcast(&q->done);
	pthread_cond_broadcast(&q->room);
	/* Under the lock, so that mw_store_set_commit_notify(NULL) can
	 * promise that no call is still running once it returns. */
	if (q->notify)
		q->notify(q->notify_arg);
}

static void free_ops(mw_store_op *op, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mw_store_op *next = op->next;
		free(op);
		op = next;
	}
}

static void note_failure(mw_store_queue *q, const char *why)
{
	if (!q->failing) {
		q->failing_since = time(NULL);
		mw_warn("store: commit failed, will retry: %s", why);
	}
	q->failing = true;
	q->stats.commit_failures++;
	snprintf(q->last_error, sizeof(q->last_error), "%s", why);
}

static void note_batch_time(mw_store_queue *q, uint64_t us)
{
	q->stats.last_batch_us = us;
	if (us > q->stats.max_batch_us)
		q->stats.max_batch_us = us;
}

/* Apply one batch and, when due, the housekeeping; lock held on entry and
 * on return, released while the backend works. */
static void writer_round(mw_store *st, uint64_t *housekeep_at,
			 uint64_t *retry_at)
{
	mw_store_queue *q = &st->q;
	char why[256] = "";
	mw_store_op *first = q->head, *last = NULL;
	size_t n = pick_batch(q, &last);
	if (n)
		q->taken_seq = last->seq; /* no more merging into these */
	void (*hook)(void *) = q->commit_hook;
	void *hook_arg = q->commit_hook_arg;
	bool housekeep = mono_ms() >= *housekeep_at;
	pthread_mutex_unlock(&q->mu);

	mw_status rc = MW_OK;
	uint64_t t0 = mono_us();
	if (n)
		rc = st->ops->apply(st->backend, first, last, last->seq, why,
				    sizeof(why));
	uint64_t spent = mono_us() - t0;
	if (n && rc == MW_OK && hook)
		hook(hook_arg);
	if (housekeep && rc == MW_OK) {
		char hwhy[256] = "";
		if (st->ops->housekeep(st->backend, mw_store_clock_now(st),
				       hwhy, sizeof(hwhy)) != MW_OK)
			mw_warn("store: housekeeping failed: %s", hwhy);
	}

	pthread_mutex_lock(&q->mu);
	if (housekeep)
		*housekeep_at = mono_ms() + HOUSEKEEP_MS;
	if (!n)
		return;
	if (rc != MW_OK) {
		note_failure(q, why);
		*retry_at = mono_ms() + RETRY_MS;
		pthread_cond_broadcast(&q->done);
		return;
	}
	if (q->failing)
		mw_info("store: commits succeed again");
	q->failing = false;
	note_batch_time(q, spent);
	unlink_batch(q, first, last, n);
	pthread_mutex_unlock(&q->mu);
	free_ops(first, n);
	pthread_mutex_lock(&q->mu);
}

static void *writer_main(void *arg)
{
	mw_store *st = arg;
	mw_store_queue *q = &st->q;
	sigset_t all;
	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	uint64_t housekeep_at = mono_ms() + HOUSEKEEP_MS, retry_at = 0;
	pthread_mutex_lock(&q->mu);
	while (writer_wait(q, housekeep_at, retry_at)) {
		bool last_try = q->failing && q->stopping;
		writer_round(st, &housekeep_at, &retry_at);
		if (last_try && q->failing)
			break;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* -- start, stop, health ---------------------------------------------- */

static mw_status init_sync(mw_store_queue *q)
{
	pthread_condattr_t ca;
	if (pthread_mutex_init(&q->mu, NULL))
		return MW_ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int e = pthread_cond_init(&q->wake, &ca);
	e = e ? e : pthread_cond_init(&q->room, &ca);
	e = e ? e : pthread_cond_init(&q->done, &ca);
	pthread_condattr_destroy(&ca);
	return e ? MW_ENOMEM : MW_OK;
}

mw_status mw_store_queue_start(mw_store *st, mw_store_error *err)
{
	mw_store_queue *q = &st->q;
	memset(q, 0, sizeof(*q));
	if (init_sync(q) != MW_OK) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: cannot set up the write queue's locks");
		return MW_ENOMEM;
	}
	q->max_count = st->cfg.queue_max;
	q->max_bytes = MW_STORE_QUEUE_BYTES_MAX;
	q->lossy_count = q->max_count * MW_STORE_QUEUE_LOSSY_PERCENT / 100;
	q->lossy_bytes = q->max_bytes / 100 * MW_STORE_QUEUE_LOSSY_PERCENT;
	q->interval_ms = st->cfg.commit_interval_ms;
	q->wait_ms = st->cfg.enqueue_wait_ms;
	int e = pthread_create(&q->thread, NULL, writer_main, st);
	if (e) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: cannot start the writer thread: %s",
			 strerror(e));
		return MW_EIO;
	}
	q->started = true;
	return MW_OK;
}

void mw_store_queue_stop(mw_store *st, unsigned wait_ms)
{
	mw_store_queue *q = &st->q;
	if (!q->started)
		return;
	if (mw_store_queue_flush(st, wait_ms) != MW_OK)
		mw_warn("store: closing with writes not committed: %s",
			q->last_error[0] ? q->last_error : "writer too slow");
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->wake);
	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	q->started = false;
	if (q->count)
		mw_warn("store: %zu writes lost at close: %s", q->count,
			q->last_error[0] ? q->last_error : "not committed");
	free_ops(q->head, q->count);
	q->head = q->tail = NULL;
	q->count = q->bytes = 0;
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->done);
	pthread_mutex_destroy(&q->mu);
}

void mw_store_set_commit_hook(mw_store *st, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&st->q.mu);
	st->q.commit_hook = fn;
	st->q.commit_hook_arg = arg;
	pthread_mutex_unlock(&st->q.mu);
}

void mw_store_queue_health(mw_store *st, bool *ok, char *why, size_t whysz)
{
	mw_store_queue *q = &st->q;
	pthread_mutex_lock(&q->mu);
	uint64_t age = q->head ? mono_ms() - q->head->enq_ms : 0;
	*ok = true;
	if (q->failing) {
		*ok = false;
		snprintf(why, whysz, "store: commits failing for %llds: %s",
			 (long long)(time(NULL) - q->failing_since),
			 q->last_error);
	} else if (age > q->interval_ms + STUCK_MS) {
		*ok = false;
		snprintf(why, whysz,
			 "store: writer %llu ms behind (%zu writes queued)",
			 (unsigned long long)age, q->count);
	}
	pthread_mutex_unlock(&q->mu);
}

void mw_store_queue_stats(mw_store *st, mw_store_stats *out)
{
	mw_store_queue *q = &st->q;
	pthread_mutex_lock(&q->mu);
	*out = q->stats;
	out->queued = q->count;
	out->queued_bytes = q->bytes;
	pthread_mutex_unlock(&q->mu);
}
