/*
 * store.c - the store's front: configuration, open and close, the checks
 * every write passes before it is queued, windows' arithmetic, and keys.
 * The reads, which merge the queue into the backend's answers, are in
 * store_read.c.
 */
#include "store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/str.h"

static time_t default_clock(void *arg)
{
	(void)arg;
	return time(NULL);
}

time_t mw_store_clock_now(const mw_store *st)
{
	return st->cfg.clock(st->cfg.clock_arg);
}

void mw_store_config_init(mw_store_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = "sqlite";
	cfg->sent_log_days = MW_STORE_SENT_LOG_DAYS_DEFAULT;
	cfg->event_keep_count = MW_STORE_EVENT_KEEP_COUNT_DEFAULT;
	cfg->event_keep_days = MW_STORE_EVENT_KEEP_DAYS_DEFAULT;
	cfg->commit_interval_ms = MW_STORE_COMMIT_INTERVAL_MS_DEFAULT;
	cfg->enqueue_wait_ms = MW_STORE_ENQUEUE_WAIT_MS_DEFAULT;
	cfg->queue_max = MW_STORE_QUEUE_MAX;
	cfg->clock = default_clock;
}

/* -- windows ---------------------------------------------------------- */

time_t mw_store_window_width(time_t window)
{
	return window <= MW_STORE_FINE_SPAN ? MW_STORE_FINE_WIDTH
					    : MW_STORE_COARSE_WIDTH;
}

time_t mw_store_bucket_start(time_t t, time_t width)
{
	return t - t % width;
}

time_t mw_store_window_from(time_t window, time_t now, time_t *width)
{
	*width = mw_store_window_width(window);
	time_t edge = now > window ? now - window : 0;
	return mw_store_bucket_start(edge, *width);
}

time_t mw_store_bucket_expires(time_t start, time_t width)
{
	time_t span = width == MW_STORE_FINE_WIDTH ? MW_STORE_FINE_SPAN
						   : MW_STORE_COARSE_SPAN;
	/* The oldest read that adds this bucket starts in it. */
	return start + width + span;
}

time_t mw_store_member_expires(time_t t)
{
	return t + MW_STORE_WINDOW_MAX + 1;
}

/* -- checks ----------------------------------------------------------- */

/* Bytes no key, member, name or Message-ID may hold: control characters
 * (they would break logs and the CLI's output), and 0xFE/0xFF, which are
 * never in UTF-8 and serve as the top of prefix ranges. Keys and
 * Message-IDs also refuse spaces. */
static bool bad_byte(unsigned char c, bool space_ok)
{
	if (c == ' ')
		return !space_ok;
	return c < 0x20 || c == 0x7f || c >= 0xfe;
}

static bool valid_text(const char *s, size_t min, size_t max, bool space_ok)
{
	if (!s)
		return false;
	size_t n = strnlen(s, max + 1);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (bad_byte((unsigned char)s[i], space_ok))
			return false;
	return true;
}

bool mw_store_valid_key(const char *key)
{
	return valid_text(key, 1, MW_STORE_KEY_MAX, false);
}

bool mw_store_valid_member(const char *s)
{
	return valid_text(s, 1, MW_STORE_KEY_MAX, true);
}

bool mw_store_valid_time(time_t t)
{
	return t >= 0 && t <= MW_STORE_TIME_MAX;
}

bool mw_store_valid_window(time_t window)
{
	return window >= 1 && window <= MW_STORE_WINDOW_MAX;
}

/* -- open and close --------------------------------------------------- */

static mw_status check_config(const mw_store_config *c, mw_store_error *err)
{
	const char *what = NULL;
	if (!c->state_dir || !c->state_dir[0])
		what = "state_dir is not set";
	else if (c->sent_log_days < 1 ||
		 c->sent_log_days > MW_STORE_SENT_LOG_DAYS_MAX)
		what = "sent_log_days is out of range";
	else if (c->event_keep_count < 1 ||
		 c->event_keep_count > MW_STORE_EVENTS_KEEP_MAX)
		what = "the event count to keep is out of range";
	else if (c->event_keep_days < 1 ||
		 (time_t)c->event_keep_days * 86400 > MW_STORE_EVENT_AGE_MAX)
		what = "the event age to keep is out of range";
	else if (c->commit_interval_ms < 1 || c->commit_interval_ms > 1000)
		what = "the commit interval must be 1 to 1000 ms";
	else if (c->enqueue_wait_ms > 10000)
		what = "the enqueue wait must be at most 10000 ms";
	else if (c->queue_max < 1 || c->queue_max > MW_STORE_QUEUE_MAX)
		what = "the queue size is out of range";
	if (!what)
		return MW_OK;
	snprintf(err->msg, sizeof(err->msg), "store: %s", what);
	return MW_EINVAL;
}

static mw_status open_backend(mw_store *st, mw_store_error *err)
{
	const char *b = st->cfg.backend;
	if (!b || !b[0] || strcmp(b, "sqlite") == 0)
		return mw_store_sqlite_open(&st->cfg, mw_store_clock_now(st),
					    &st->ops, &st->backend, err);
	if (strncmp(b, "redis://", 8) == 0) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: %.200s: the Redis backend is not built yet; "
			 "use store = sqlite",
			 b);
		return MW_EINVAL;
	}
	snprintf(err->msg, sizeof(err->msg),
		 "store: unknown backend \"%.200s\" (sqlite or "
		 "redis://HOST:PORT)",
		 b);
	return MW_EINVAL;
}

mw_status mw_store_open(const mw_store_config *cfg, mw_store **out,
			mw_store_error *err)
{
	*out = NULL;
	err->msg[0] = '\0';
	mw_status rc = check_config(cfg, err);
	if (rc != MW_OK)
		return rc;
	mw_store *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err->msg, sizeof(err->msg), "store: out of memory");
		return MW_ENOMEM;
	}
	st->cfg = *cfg;
	if (!st->cfg.clock)
		st->cfg.clock = default_clock;
	rc = open_backend(st, err);
	if (rc == MW_OK) {
		rc = mw_store_queue_start(st, err);
		if (rc != MW_OK)
			st->ops->close(st->backend);
	}
	if (rc != MW_OK) {
		free(st);
		return rc;
	}
	*out = st;
	return MW_OK;
}

void mw_store_close(mw_store *st)
{
	if (!st)
		return;
	mw_store_queue_stop(st, MW_STORE_CLOSE_WAIT_MS);
	st->ops->close(st->backend);
	free(st);
}

mw_status mw_store_flush(mw_store *st, unsigned timeout_ms)
{
	return mw_store_queue_flush(st, timeout_ms);
}

mw_status mw_store_health(mw_store *st, char *why, size_t whysz)
{
	char tmp[256];
	if (!why || !whysz) {
		why = tmp;
		whysz = sizeof(tmp);
	}
	why[0] = '\0';
	bool ok;
	mw_store_queue_health(st, &ok, why, whysz);
	if (!ok)
		return MW_EIO;
	return st->ops->ping(st->backend, why, whysz);
}

void mw_store_stats_get(mw_store *st, mw_store_stats *out)
{
	mw_store_queue_stats(st, out);
}

/* -- writes ----------------------------------------------------------- */

/* Make an op and queue it; MW_ENOMEM if it could not be made. */
static mw_status push(mw_store *st, mw_store_op_kind kind, const char *key,
		      const char *a, const void *b, size_t blen,
		      const mw_store_op *fields)
{
	mw_store_op *op = mw_store_op_new(kind, key, a, b, blen);
	if (!op)
		return MW_ENOMEM;
	op->t = fields->t;
	op->n = fields->n;
	op->keep_count = fields->keep_count;
	op->expires = fields->expires;
	return mw_store_queue_push(st, op);
}

mw_status mw_store_expire(mw_store *st, time_t now)
{
	if (!mw_store_valid_time(now))
		return MW_EINVAL;
	mw_store_op f = {.t = now};
	return push(st, MW_OP_EXPIRE, "", NULL, NULL, 0, &f);
}

mw_status mw_store_counter_add(mw_store *st, const char *key, int64_t n,
			       time_t now)
{
	if (!mw_store_valid_key(key) || !mw_store_valid_time(now) ||
	    n > MW_STORE_COUNTER_STEP_MAX || n < -MW_STORE_COUNTER_STEP_MAX)
		return MW_EINVAL;
	if (n == 0)
		return MW_OK;
	mw_store_op f = {.t = now, .n = n};
	return push(st, MW_OP_COUNTER_ADD, key, NULL, NULL, 0, &f);
}

mw_status mw_store_distinct_add(mw_store *st, const char *key,
				const char *member, time_t now)
{
	if (!mw_store_valid_key(key) || !mw_store_valid_member(member) ||
	    !mw_store_valid_time(now))
		return MW_EINVAL;
	mw_store_op f = {.t = now};
	return push(st, MW_OP_DISTINCT_ADD, key, member, NULL, 0, &f);
}

mw_status mw_store_event_append(mw_store *st, const char *key, time_t t,
				const void *payload, size_t len,
				const mw_store_keep *keep)
{
	unsigned count =
	    keep && keep->count ? keep->count : st->cfg.event_keep_count;
	time_t secs = keep && keep->seconds
			  ? keep->seconds
			  : (time_t)st->cfg.event_keep_days * 86400;
	if (!mw_store_valid_key(key) || !mw_store_valid_time(t) ||
	    (len && !payload) || len > MW_STORE_PAYLOAD_MAX ||
	    count > MW_STORE_EVENTS_KEEP_MAX || secs < 0 ||
	    secs > MW_STORE_EVENT_AGE_MAX)
		return MW_EINVAL;
	mw_store_op f = {.t = t, .keep_count = count, .expires = t + secs};
	return push(st, MW_OP_EVENT_APPEND, key, NULL, payload, len, &f);
}

mw_status mw_store_setting_set(mw_store *st, const char *key, const char *name,
			       const char *value, time_t now)
{
	if (!mw_store_valid_key(key) || !mw_store_valid_member(name) ||
	    !value ||
	    strnlen(value, MW_STORE_VALUE_MAX + 1) > MW_STORE_VALUE_MAX ||
	    !mw_store_valid_time(now))
		return MW_EINVAL;
	mw_store_op f = {.t = now};
	return push(st, MW_OP_SETTING_SET, key, name, value, strlen(value), &f);
}

mw_status mw_store_setting_del(mw_store *st, const char *key, const char *name,
			       time_t now)
{
	if (!mw_store_valid_key(key) || !mw_store_valid_member(name) ||
	    !mw_store_valid_time(now))
		return MW_EINVAL;
	mw_store_op f = {.t = now};
	return push(st, MW_OP_SETTING_DEL, key, name, NULL, 0, &f);
}

mw_status mw_store_sent_record(mw_store *st, const char *message_id,
			       const char *sender, time_t t)
{
	/* Spaces are allowed: a quoted local part may hold them, and a
	 * sender we cannot record would cost a genuine bounce later. */
	if (!mw_store_valid_member(message_id) || !sender ||
	    (sender[0] && !valid_text(sender, 1, MW_ADDRESS_MAX, true)) ||
	    !mw_store_valid_time(t))
		return MW_EINVAL;
	mw_store_op f = {.t = t,
			 .expires = t + (time_t)st->cfg.sent_log_days * 86400};
	return push(st, MW_OP_SENT_RECORD, message_id, sender, NULL, 0, &f);
}

/* -- keys ------------------------------------------------------------- */

static bool valid_namespace(const char *ns)
{
	size_t n = strnlen(ns, 33);
	if (n < 1 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ns[i] < 'a' || ns[i] > 'z')
			return false;
	return true;
}

mw_status mw_store_key(char *out, size_t outsz, const char *ns, const char *id,
		       const char *metric)
{
	if (!outsz)
		return MW_ETOOBIG;
	out[0] = '\0';
	if (!ns || !valid_namespace(ns) || !id ||
	    !valid_text(id, 1, MW_STORE_KEY_MAX, false) ||
	    (metric && !valid_text(metric, 1, MW_STORE_KEY_MAX, false)))
		return MW_EINVAL;
	int n = metric ? snprintf(out, outsz, "%s:%s/%s", ns, id, metric)
		       : snprintf(out, outsz, "%s:%s", ns, id);
	if (n < 0 || (size_t)n >= outsz || (size_t)n > MW_STORE_KEY_MAX) {
		out[0] = '\0';
		return MW_ETOOBIG;
	}
	char *idp = out + strlen(ns) + 1;
	mw_ascii_lower(idp, strlen(id));
	return MW_OK;
}

/* -- lists ------------------------------------------------------------ */

/* Room for a full read: MW_STORE_READ_MAX largest items and the arrays a
 * merge builds, twice over. */
#define LIST_ARENA_MAX                                                         \
	(2 * (size_t)MW_STORE_READ_MAX *                                       \
	 (MW_STORE_PAYLOAD_MAX + 2 * MW_STORE_KEY_MAX + 256))

void mw_store_list_init(mw_store_list *l)
{
	l->items = NULL;
	l->n = 0;
	mw_arena_init(&l->arena, LIST_ARENA_MAX);
}

void mw_store_list_free(mw_store_list *l)
{
	mw_arena_free(&l->arena);
	l->items = NULL;
	l->n = 0;
}
