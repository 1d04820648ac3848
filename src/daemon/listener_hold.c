/*
 * listener_hold.c - end-of-message replies that wait for the store.
 *
 * An accepted message's sent-log entry must be committed before Postfix
 * hears ACCEPT, or a kill -9 in the next quarter second forgets that the
 * message was ever sent (and its bounces become "backscatter"). The loop
 * must not block on the commit, so a connection whose session returned
 * MW_SESSION_HOLD takes a mark in the store's queue, asks the writer to
 * commit now, and stops reading; the writer's commit callback wakes the
 * loop (uv_async_send, the only thing done on the writer's thread), which
 * releases every connection whose mark is committed.
 *
 * Holds are taken in order on the loop's thread and the store's marks
 * only grow, so the list is in mark order and in deadline order at once:
 * a wake-up releases from the head until the first mark not committed,
 * and one timer serves the oldest deadline.
 */
#include "daemon/listener_int.h"

#include "lib/limits.h"
#include "lib/log.h"

/* The store's writer thread, with the store's lock held. */
static void on_store_commit(void *arg)
{
	mw_listener *l = arg;
	uv_async_send(&l->committed);
}

static void held_unlink(listener_conn *c)
{
	mw_listener *l = c->l;
	if (c->hprev)
		c->hprev->hnext = c->hnext;
	else
		l->held = c->hnext;
	if (c->hnext)
		c->hnext->hprev = c->hprev;
	else
		l->held_tail = c->hprev;
	c->hprev = c->hnext = NULL;
	c->held = false;
}

static void release(listener_conn *c)
{
	held_unlink(c);
	listener_conn_resume(c);
}

static void on_hold_timer(uv_timer_t *t);

/* The timer follows the oldest hold's deadline. */
static void arm_timer(mw_listener *l)
{
	if (!l->held) {
		uv_timer_stop(&l->hold_timer);
		return;
	}
	uint64_t now = uv_now(l->loop), until = l->held->hold_until_ms;
	uv_timer_start(&l->hold_timer, on_hold_timer,
		       until > now ? until - now : 0, 0);
}

static void on_committed(uv_async_t *h)
{
	mw_listener *l = h->data;
	while (l->held && mw_store_is_committed(l->store, l->held->hold_mark))
		release(l->held);
	arm_timer(l);
}

/* The store is failing or stalled: answer as milter_failure_action says
 * rather than keep Postfix waiting. */
static void on_hold_timer(uv_timer_t *t)
{
	mw_listener *l = t->data;
	uint64_t now = uv_now(l->loop);
	while (l->held && l->held->hold_until_ms <= now) {
		listener_conn *c = l->held;
		if (!mw_store_is_committed(l->store, c->hold_mark))
			mw_session_hold_expired(&c->sess, &c->out);
		release(c);
	}
	arm_timer(l);
}

mw_status listener_hold_init(mw_listener *l)
{
	int rc = uv_async_init(l->loop, &l->committed, on_committed);
	if (rc != 0)
		return MW_EIO;
	rc = uv_timer_init(l->loop, &l->hold_timer);
	if (rc != 0) {
		uv_close((uv_handle_t *)&l->committed, NULL);
		return MW_EIO;
	}
	l->committed.data = l;
	l->hold_timer.data = l;
	l->hold_handles = true;
	return MW_OK;
}

bool listener_hold_start(listener_conn *c)
{
	mw_listener *l = c->l;
	if (!l->store || !l->hold_handles)
		return false;
	mw_store_mark mark = mw_store_commit_soon(l->store);
	if (mark == 0)
		return false; /* nothing of ours waits for a commit */
	c->held = true;
	c->hold_mark = mark;
	c->hold_until_ms = uv_now(l->loop) + MW_SESSION_HOLD_MS;
	c->hnext = NULL;
	c->hprev = l->held_tail;
	if (l->held_tail)
		l->held_tail->hnext = c;
	else
		l->held = c;
	l->held_tail = c;
	if (c->hprev == NULL)
		arm_timer(l);
	return true;
}

void listener_hold_drop(listener_conn *c)
{
	if (!c->held)
		return;
	bool was_first = c->l->held == c;
	held_unlink(c);
	if (was_first)
		arm_timer(c->l);
}

void listener_hold_close(mw_listener *l)
{
	if (l->store)
		mw_store_set_commit_notify(l->store, NULL, NULL);
	l->store = NULL;
	if (!l->hold_handles)
		return;
	l->hold_handles = false;
	uv_close((uv_handle_t *)&l->committed, NULL);
	uv_close((uv_handle_t *)&l->hold_timer, NULL);
}

void mw_listener_set_store(mw_listener *l, mw_store *st)
{
	if (l->store)
		mw_store_set_commit_notify(l->store, NULL, NULL);
	l->store = l->hold_handles ? st : NULL;
	if (l->store)
		mw_store_set_commit_notify(l->store, on_store_commit, l);
}
