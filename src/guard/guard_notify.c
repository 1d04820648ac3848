/*
 * guard_notify.c - the notice queue and its sender thread.
 *
 * Notices are decided on the message path and at logins, and sent here,
 * off both: the SMTP server they go through is the local Postfix, which
 * asks this very milter about each notice, so a send on the event loop
 * would wait for itself. The queue is bounded (MW_GUARD_NOTICE_QUEUE_MAX);
 * the sender wakes at once for a new notice, retries a deferred one
 * (MW_EIO) a few times with growing pauses, and records each outcome
 * under acct:<a>/alerts.
 *
 * Stopping. The sender touches the guard (its store, its configuration)
 * only while holding nt->io, never during the SMTP dialogue itself, which
 * works on copies. mw_guard_free() asks it to stop and waits about a
 * second; a sender still talking SMTP then is abandoned: under nt->io it
 * is marked so, it never touches the guard again, and it frees the
 * notifier (shared, counted) when its dialogue ends.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/guard_int.h"
#include "lib/log.h"
#include "shield/digest.h"
#include "shield/smtp_client.h"

/* Attempts per notice, and the pause before the n-th retry. */
#define SEND_ATTEMPTS 4
#define RETRY_PAUSE_S 30
/* How long mw_guard_free() waits for the sender. */
#define STOP_WAIT_MS 1000
/* The SMTP dialogue's bound per step: a loopback Postfix answers in
 * milliseconds; a slow one is retried. */
#define SMTP_TIMEOUT_MS 10000

struct mwg_notifier {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	mwg_notice *head, *tail;
	size_t n;
	bool stopping;
	bool busy;
	int refs; /* the guard's and the thread's */
	pthread_mutex_t io;
	bool abandoned; /* under io: the guard is gone */
	mw_guard *g;
	pthread_t th;
	bool started;
};

static void notifier_unref(mwg_notifier *nt)
{
	pthread_mutex_lock(&nt->mu);
	int left = --nt->refs;
	pthread_mutex_unlock(&nt->mu);
	if (left > 0)
		return;
	for (mwg_notice *n = nt->head, *next; n; n = next) {
		next = n->next;
		mw_warn("guard: notice to %s for %s dropped at shutdown",
			n->to[0] ? n->to : "the user", n->account);
		free(n);
	}
	pthread_mutex_destroy(&nt->mu);
	pthread_cond_destroy(&nt->cv);
	pthread_mutex_destroy(&nt->io);
	free(nt);
}

/* -- composing (under io) --------------------------------------------- */

typedef struct evidence {
	mw_notice_login v[MW_NOTICE_LOGINS_MAX];
	size_t n;
	mw_arena arena;
} evidence;

static const char *dup_field(mw_arena *a, json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));
	char *d = s ? mw_arena_strdup(a, s) : NULL;
	return d ? d : "";
}

static void read_evidence(mw_guard *g, const char *acct, time_t now,
			  evidence *ev)
{
	mwg_key k;
	ev->n = 0;
	mw_arena_init(&ev->arena, 256 * 1024);
	if (!mwg_key_of(k, "acct", acct, "history"))
		return;
	mw_store_list l;
	mw_store_list_init(&l);
	if (mw_store_event_read(g->st, k, now, 0, MW_NOTICE_LOGINS_MAX, &l) ==
	    MW_OK) {
		for (size_t i = 0; i < l.n && ev->n < MW_NOTICE_LOGINS_MAX;
		     i++) {
			json_t *o = json_loadb(l.items[i].value, l.items[i].len,
					       0, NULL);
			if (!json_is_object(o)) {
				json_decref(o);
				continue;
			}
			mw_notice_login *x = &ev->v[ev->n++];
			x->t = l.items[i].t;
			x->ip = dup_field(&ev->arena, o, "ip");
			x->country = dup_field(&ev->arena, o, "country");
			x->asn = (uint32_t)json_integer_value(
			    json_object_get(o, "asn"));
			x->asn_org = dup_field(&ev->arena, o, "org");
			x->protocol = dup_field(&ev->arena, o, "proto");
			x->result = dup_field(&ev->arena, o, "result");
			json_decref(o);
		}
	}
	mw_store_list_free(&l);
}

static void resolve_to(mw_guard *g, mwg_notice *n)
{
	if (n->to[0])
		return;
	snprintf(n->to, sizeof n->to, "%s", n->account);
	mwg_key k;
	if (!mwg_key_of(k, "acct", n->account, NULL))
		return;
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	bool found = false;
	if (mw_store_setting_get(g->st, k, MWG_S_NOTIFY, &b, &found) == MW_OK &&
	    found && b.len && b.len < sizeof n->to)
		snprintf(n->to, sizeof n->to, "%s", mw_buf_cstr(&b));
	mw_buf_free(&b);
}

static void from_of(const mw_guard *g, const mwg_notice *n, char *out,
		    size_t outsz)
{
	if (g->cfg->digest_from && g->cfg->digest_from[0]) {
		snprintf(out, outsz, "%s", g->cfg->digest_from);
		return;
	}
	const char *at = strrchr(n->account, '@');
	snprintf(out, outsz, "postmaster@%s", at && at[1] ? at + 1 : g->host);
}

/* What the sender needs once it lets go of the guard. */
typedef struct outgoing {
	char from[MW_ADDRESS_MAX + 16];
	char host[256];
	unsigned port;
	char helo[256];
	char message_id[512];
	mw_guard_transport_fn transport;
	void *transport_arg;
	mw_notice_facts facts;
	mw_buf msg;
	evidence ev;
	const char *signals[MW_GUARD_SIGNALS_MAX];
} outgoing;

/* The notice's Message-ID, in the sent log with the null sender: the
 * notice goes through the local Postfix, whose milter is mailwarden, and
 * the shield lets a null-sender message to a local address in only with
 * a proof; this entry is the proof that it is our own (as for digests). */
static mw_status own_message_id(mw_guard *g, const mwg_notice *n, outgoing *o)
{
	mw_status rc =
	    mw_digest_message_id(g->host, o->message_id, sizeof o->message_id);
	if (rc == MW_OK)
		rc = mw_store_sent_record(g->st, o->message_id, "", n->now);
	if (rc != MW_OK)
		mw_warn(
		    "guard: notice to %s: its Message-ID cannot be "
		    "recorded (%s), so our own MX would refuse it: not sent",
		    n->to, mw_status_str(rc));
	return rc;
}

static mw_status compose(mw_guard *g, mwg_notice *n, outgoing *o)
{
	resolve_to(g, n);
	from_of(g, n, o->from, sizeof o->from);
	const mw_cfg_endpoint *ep = &g->cfg->digest_smtp;
	snprintf(o->host, sizeof o->host, "%s",
		 ep->kind == MW_CFG_ENDPOINT_INET && ep->host ? ep->host : "");
	o->port = ep->port;
	snprintf(o->helo, sizeof o->helo, "%s", g->host);
	o->transport = g->transport;
	o->transport_arg = g->transport_arg;
	read_evidence(g, n->account, n->now, &o->ev);
	for (size_t i = 0; i < n->nsignals; i++)
		o->signals[i] = n->signals[i];
	mw_notice_facts *f = &o->facts;
	memset(f, 0, sizeof *f);
	f->kind = n->kind;
	f->now = n->now;
	f->host = o->helo;
	f->from = o->from;
	f->to = n->to;
	f->account = n->account;
	f->admin_copy = n->admin_copy;
	f->score = n->score;
	f->threshold = n->threshold;
	f->signals = o->signals;
	f->nsignals = n->nsignals;
	f->logins = o->ev.v;
	f->nlogins = o->ev.n;
	f->what_new = n->what_new[0] ? n->what_new : NULL;
	f->limit_name = n->limit_name[0] ? n->limit_name : NULL;
	f->limit_value = n->limit_value;
	f->limit_count = n->limit_count;
	f->limit_lifts = n->limit_lifts;
	f->limit_action = n->limit_action[0] ? n->limit_action : NULL;
	f->unlocked_by = n->unlocked_by[0] ? n->unlocked_by : NULL;
	mw_status rc = own_message_id(g, n, o);
	if (rc != MW_OK)
		return rc;
	f->message_id = o->message_id;
	return mw_notice_compose(f, &o->msg);
}

/* -- sending (no lock held) ------------------------------------------- */

static mw_status deliver(outgoing *o, const char *to, char *why, size_t whysz)
{
	if (o->transport)
		return o->transport(o->transport_arg, o->from, to, &o->facts,
				    o->msg.data, o->msg.len);
	if (!o->host[0]) {
		snprintf(why, whysz, "digest_smtp is not HOST:PORT");
		return MW_EIO;
	}
	mw_smtp_request rq = {.host = o->host,
			      .port = o->port,
			      .helo = o->helo,
			      .mail_from = "",
			      .rcpt = to,
			      .msg = o->msg.data,
			      .len = o->msg.len,
			      .timeout_ms = SMTP_TIMEOUT_MS};
	mw_smtp_result res;
	mw_status rc = mw_smtp_send(&rq, &res);
	snprintf(why, whysz, "%s", res.text);
	return rc;
}

static const char *kind_name(mw_notice_kind k)
{
	switch (k) {
	case MW_NOTICE_SUSPENDED:
		return "suspended";
	case MW_NOTICE_LOGIN_ALERT:
		return "login_alert";
	case MW_NOTICE_LIMIT:
		return "limit";
	default:
		return "unlocked";
	}
}

static void record_outcome(mw_guard *g, const mwg_notice *n, const char *res,
			   const char *why)
{
	mwg_append_json(g, n->account, "alerts", n->now,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "type",
				  "notice", "notice", kind_name(n->kind), "to",
				  n->to, "result", res, "why", why, "attempts",
				  (int)n->attempts));
}

/* -- the queue -------------------------------------------------------- */

static void push(mwg_notifier *nt, mwg_notice *n)
{
	n->next = NULL;
	if (nt->tail)
		nt->tail->next = n;
	else
		nt->head = n;
	nt->tail = n;
	nt->n++;
}

/* The first notice that is due, unlinked; NULL when none. *wake is the
 * earliest time one becomes due (0: none waiting). Under mu. */
static mwg_notice *pop_due(mwg_notifier *nt, time_t now, time_t *wake)
{
	*wake = 0;
	mwg_notice *prev = NULL;
	for (mwg_notice *n = nt->head; n; prev = n, n = n->next) {
		if (n->not_before > now) {
			if (!*wake || n->not_before < *wake)
				*wake = n->not_before;
			continue;
		}
		if (prev)
			prev->next = n->next;
		else
			nt->head = n->next;
		if (nt->tail == n)
			nt->tail = prev;
		nt->n--;
		return n;
	}
	return NULL;
}

static mwg_notice *wait_next(mwg_notifier *nt)
{
	pthread_mutex_lock(&nt->mu);
	mwg_notice *n = NULL;
	while (!nt->stopping) {
		time_t wake;
		n = pop_due(nt, time(NULL), &wake);
		if (n)
			break;
		if (wake) {
			struct timespec ts = {wake, 0};
			pthread_cond_timedwait(&nt->cv, &nt->mu, &ts);
		} else {
			pthread_cond_wait(&nt->cv, &nt->mu);
		}
	}
	if (n)
		nt->busy = true;
	pthread_mutex_unlock(&nt->mu);
	return n;
}

static void idle(mwg_notifier *nt)
{
	pthread_mutex_lock(&nt->mu);
	nt->busy = false;
	pthread_cond_broadcast(&nt->cv);
	pthread_mutex_unlock(&nt->mu);
}

/* One notice, start to end. false when the guard is gone. */
static bool send_one(mwg_notifier *nt, mwg_notice *n)
{
	outgoing *o = calloc(1, sizeof *o);
	if (!o) {
		free(n);
		return true;
	}
	mw_buf_init(&o->msg, MW_NOTICE_MAX);
	pthread_mutex_lock(&nt->io);
	if (nt->abandoned) {
		pthread_mutex_unlock(&nt->io);
		free(n);
		free(o);
		return false;
	}
	mw_guard *g = nt->g;
	mw_status rc = compose(g, n, o);
	if (rc != MW_OK) {
		mw_warn("guard: notice to %s for %s cannot be written: %s",
			n->to, n->account, mw_status_str(rc));
		record_outcome(g, n, "failed", "cannot be composed");
	}
	pthread_mutex_unlock(&nt->io);
	char why[256] = "";
	if (rc == MW_OK) {
		n->attempts++;
		rc = deliver(o, n->to, why, sizeof why);
		pthread_mutex_lock(&nt->io);
		if (nt->abandoned) {
			pthread_mutex_unlock(&nt->io);
			mw_warn("guard: notice to %s abandoned at shutdown",
				n->to);
			mw_buf_free(&o->msg);
			mw_arena_free(&o->ev.arena);
			free(o);
			free(n);
			return false;
		}
		if (rc == MW_OK) {
			mw_info("guard: %s notice for %s sent to %s",
				kind_name(n->kind), n->account, n->to);
			record_outcome(g, n, "sent", "");
		} else if (rc == MW_EIO && n->attempts < SEND_ATTEMPTS) {
			mw_warn("guard: notice to %s deferred: %s", n->to, why);
			n->not_before =
			    time(NULL) + RETRY_PAUSE_S * (time_t)n->attempts;
		} else {
			mw_warn("guard: notice to %s failed: %s", n->to, why);
			record_outcome(g, n, "failed", why);
		}
		pthread_mutex_unlock(&nt->io);
	}
	mw_buf_free(&o->msg);
	mw_arena_free(&o->ev.arena);
	free(o);
	if (n->not_before > time(NULL) && rc == MW_EIO) {
		pthread_mutex_lock(&nt->mu);
		push(nt, n);
		pthread_mutex_unlock(&nt->mu);
	} else {
		free(n);
	}
	return true;
}

static void *sender_main(void *arg)
{
	mwg_notifier *nt = arg;
	mwg_notice *n;
	while ((n = wait_next(nt)) != NULL) {
		bool alive = send_one(nt, n);
		idle(nt);
		if (!alive)
			break;
	}
	notifier_unref(nt);
	return NULL;
}

/* -- the guard's side ------------------------------------------------- */

mw_status mwg_notifier_start(mw_guard *g)
{
	mwg_notifier *nt = calloc(1, sizeof *nt);
	if (!nt)
		return MW_ENOMEM;
	pthread_mutex_init(&nt->mu, NULL);
	pthread_mutex_init(&nt->io, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_cond_init(&nt->cv, &ca); /* CLOCK_REALTIME: time(NULL) */
	pthread_condattr_destroy(&ca);
	nt->g = g;
	nt->refs = 2;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&nt->th, NULL, sender_main, nt);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		mw_warn("guard: no notice sender thread: %s", strerror(rc));
		nt->refs = 1;
		notifier_unref(nt);
		return MW_ENOMEM;
	}
	nt->started = true;
	g->nt = nt;
	return MW_OK;
}

void mwg_notifier_stop(mw_guard *g)
{
	mwg_notifier *nt = g->nt;
	if (!nt)
		return;
	pthread_mutex_lock(&nt->mu);
	nt->stopping = true;
	pthread_cond_broadcast(&nt->cv);
	pthread_mutex_unlock(&nt->mu);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += STOP_WAIT_MS / 1000;
	ts.tv_nsec += (long)(STOP_WAIT_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_timedjoin_np(nt->th, NULL, &ts) != 0) {
		pthread_mutex_lock(&nt->io);
		nt->abandoned = true;
		pthread_mutex_unlock(&nt->io);
		pthread_detach(nt->th);
		mw_warn("guard: the notice sender is still sending; "
			"abandoned");
	}
	g->nt = NULL;
	notifier_unref(nt);
}

static void enqueue(mw_guard *g, const mwg_notice *proto, const char *to,
		    int admin_copy)
{
	mwg_notifier *nt = g->nt;
	if (!nt)
		return;
	pthread_mutex_lock(&nt->mu);
	bool full = nt->n >= MW_GUARD_NOTICE_QUEUE_MAX || nt->stopping;
	mwg_notice *n = full ? NULL : malloc(sizeof *n);
	if (n) {
		*n = *proto;
		snprintf(n->to, sizeof n->to, "%s", to);
		n->admin_copy = admin_copy;
		n->attempts = 0;
		n->not_before = 0;
		push(nt, n);
		pthread_cond_broadcast(&nt->cv);
	}
	pthread_mutex_unlock(&nt->mu);
	if (!n)
		mw_warn("guard: notice queue full: %s notice for %s dropped",
			kind_name(proto->kind), proto->account);
}

void mwg_notify(mw_guard *g, const mwg_notice *n, bool admins)
{
	enqueue(g, n, n->to, 0);
	if (!admins)
		return;
	for (size_t i = 0; i < g->cfg->admin_notify.n; i++)
		enqueue(g, n, g->cfg->admin_notify.v[i], 1);
}

bool mw_guard_notices_drain(mw_guard *g, unsigned timeout_ms)
{
	mwg_notifier *nt = g->nt;
	if (!nt)
		return true;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&nt->mu);
	int rc = 0;
	while ((nt->n > 0 || nt->busy) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&nt->cv, &nt->mu, &ts);
	bool empty = nt->n == 0 && !nt->busy;
	pthread_mutex_unlock(&nt->mu);
	return empty;
}

void mw_guard_tick(mw_guard *g, time_t now)
{
	mwg_key k;
	mw_store_list l;
	mw_store_list_init(&l);
	if (mw_store_setting_keys_with(g->st, "acct:", MWG_S_UNLOCK_NOTICE,
				       MW_GUARD_TICK_KEYS, &l) == MW_OK) {
		for (size_t i = 0; i < l.n; i++) {
			const char *acct = l.items[i].key + strlen("acct:");
			if (strchr(acct, '/') ||
			    !mwg_key_of(k, "acct", acct, NULL))
				continue;
			mwg_notice n;
			memset(&n, 0, sizeof n);
			n.kind = MW_NOTICE_UNLOCKED;
			n.now = now;
			snprintf(n.account, sizeof n.account, "%s", acct);
			snprintf(n.unlocked_by, sizeof n.unlocked_by, "%s",
				 l.items[i].value);
			(void)mw_store_setting_del(g->st, k,
						   MWG_S_UNLOCK_NOTICE, now);
			mwg_notify(g, &n, true);
		}
	}
	mw_store_list_free(&l);
	if (g->nt) {
		pthread_mutex_lock(&g->nt->mu);
		pthread_cond_broadcast(&g->nt->cv);
		pthread_mutex_unlock(&g->nt->mu);
	}
}
