/*
 * store.h - mailwarden's state: windows of counters, distinct counts, event
 * lists, settings and the sent log, behind one interface.
 *
 * Contract: an mw_store is an opaque handle on a backend (SQLite today,
 * Redis later) that callers never see. Every function here may be called
 * from any thread at the same time, except mw_store_close().
 *
 * Writes do not touch the database on the caller's thread. Each write is
 * checked, copied into a bounded in-memory queue and returns at once; a
 * writer thread commits what is queued in one transaction at least every
 * commit_interval_ms (250 ms by default), so a write is durable within a
 * second of the call, and at once when a caller asks with
 * mw_store_commit_soon(), which never waits: mw_store_is_committed() and
 * a callback on each commit tell the caller when its writes are durable.
 * Reads always see the caller's own writes, committed
 * or still queued: the milter decides on counts that include the message
 * it has just counted. A counter add to a bucket (or a distinct add of a
 * member) that is already queued and not yet taken by the writer is
 * folded into the queued one, so a flood to one address holds one queued
 * write per minute, not one per message. When the queue is full:
 *   - counter and distinct adds ("lossy" writes) are dropped and counted
 *     (MW_ETOOBIG, stats.dropped): windows may then count low, and nothing
 *     waits. They may fill only MW_STORE_QUEUE_LOSSY_PERCENT of the queue.
 *   - events, settings and the sent log ("kept" writes) wait up to
 *     enqueue_wait_ms for room, then fail with MW_EIO (stats.refused) so
 *     that the caller can tempfail: a sent-log entry is never dropped in
 *     silence.
 *
 * Windows. A counter is kept in buckets of two resolutions: 60-second
 * buckets for windows up to 2 hours and 3600-second buckets for longer
 * ones, up to MW_STORE_WINDOW_MAX. A read over W seconds at `now` with
 * bucket width g adds every bucket that starts at or after the start of
 * the bucket holding now - W: a count added at t is in the sum from t
 * until at least t + W and at most t + W + g. Windows therefore never
 * count low (limits err on the safe side) and lift at most one bucket
 * late. Distinct counts are exact over [now - W, now] in SQLite; the Redis
 * backend will use HyperLogLog in hourly buckets: about 1% error and the
 * same one-bucket lateness.
 *
 * Events are appended under a key with a time and a payload (JSON or any
 * bytes up to MW_STORE_PAYLOAD_MAX), read newest first, and trimmed to the
 * newest keep_count and to keep_seconds of age (defaults: 1,000 entries,
 * 731 days). An expired event is never returned, whether or not the
 * housekeeping has deleted it yet.
 *
 * Keys are namespaced strings, "NS:ID" or "NS:ID/METRIC" (see
 * mw_store_key() and docs/store.md for the namespaces): 1 to
 * MW_STORE_KEY_MAX bytes, no spaces or control characters. The store does
 * not parse them. Members, setting names and values, and payloads have
 * their own bounds below; anything out of bounds is MW_EINVAL, and no
 * write is queued.
 *
 * Time is always a parameter (time_t now, or the time of the thing
 * recorded), so that tests are repeatable; only the writer's own
 * housekeeping asks the configured clock. Times are seconds since 1970,
 * from 0 to MW_STORE_TIME_MAX.
 */
#ifndef MW_STORE_STORE_H
#define MW_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"

/* 9999-12-31 23:59:59 UTC: no date mailwarden meets is later, and sums of
 * a time and a retention cannot overflow. */
#define MW_STORE_TIME_MAX ((time_t)253402300799)

/* Defaults of the configuration below, with the reasons in docs/store.md. */
#define MW_STORE_COMMIT_INTERVAL_MS_DEFAULT 250
#define MW_STORE_ENQUEUE_WAIT_MS_DEFAULT 250
#define MW_STORE_SENT_LOG_DAYS_DEFAULT 14
#define MW_STORE_EVENT_KEEP_COUNT_DEFAULT 1000
#define MW_STORE_EVENT_KEEP_DAYS_DEFAULT 731
/* How long mw_store_close() waits for the queue to be committed. */
#define MW_STORE_CLOSE_WAIT_MS 5000

/* The file the SQLite backend keeps in state_dir (with its -wal and -shm). */
#define MW_STORE_SQLITE_FILE "mailwarden.db"

typedef struct mw_store mw_store;

typedef time_t (*mw_store_clock_fn)(void *arg);

typedef struct mw_store_config {
	/* "sqlite" (also when NULL or "") or "redis://HOST:PORT". */
	const char *backend;
	/* Directory of the SQLite database; must exist and be writable. */
	const char *state_dir;
	unsigned sent_log_days;	     /* 1..MW_STORE_SENT_LOG_DAYS_MAX */
	unsigned event_keep_count;   /* 1..MW_STORE_EVENTS_KEEP_MAX */
	unsigned event_keep_days;    /* days, up to MW_STORE_EVENT_AGE_MAX */
	unsigned commit_interval_ms; /* 1..1000 */
	unsigned enqueue_wait_ms;    /* 0..10000 */
	size_t queue_max;	     /* writes queued at most, <= the limit */
	/* The writer's housekeeping clock; NULL means time(). */
	mw_store_clock_fn clock;
	void *clock_arg;
} mw_store_config;

/* Why an open failed, in a sentence that names the path. */
typedef struct mw_store_error {
	char msg[512];
} mw_store_error;

typedef struct mw_store_stats {
	uint64_t enqueued;	  /* writes accepted into the queue */
	uint64_t merged;	  /* of those, folded into a queued one */
	uint64_t committed;	  /* queued ops committed (not merged) */
	uint64_t dropped;	  /* lossy writes dropped, queue full */
	uint64_t refused;	  /* kept writes refused after waiting */
	uint64_t batches;	  /* transactions committed */
	uint64_t commit_failures; /* transactions that failed (retried) */
	uint64_t last_batch_us;	  /* time of the last transaction */
	uint64_t max_batch_us;	  /* longest transaction so far */
	size_t queued;		  /* writes waiting now */
	size_t queued_bytes;	  /* their memory */
} mw_store_stats;

/* One event or setting returned by a list read. Strings and payloads are
 * NUL-terminated (the NUL is not counted in len) and live in the list's
 * arena until mw_store_list_free(). */
typedef struct mw_store_item {
	time_t t;	   /* event time, or when the setting last changed */
	const char *key;   /* settings: the key */
	const char *name;  /* settings: the name */
	const char *value; /* event payload or setting value */
	size_t len;	   /* bytes of value */
} mw_store_item;

typedef struct mw_store_list {
	mw_store_item *items;
	size_t n;
	mw_arena arena;
} mw_store_list;

/* How long an appended event is kept: the newest `count` under its key,
 * none older than `seconds`. Zero fields take the store's defaults. */
typedef struct mw_store_keep {
	unsigned count;
	time_t seconds;
} mw_store_keep;

/* One sent-log entry. */
typedef struct mw_store_sent {
	char sender[MW_ADDRESS_MAX + 1];
	time_t t;
} mw_store_sent;

/* -- opening and closing ---------------------------------------------- */

/* The defaults: SQLite, sent log 14 days, events 1,000 / 731 days, commit
 * every 250 ms, kept writes wait 250 ms, the queue's limit, time(). */
void mw_store_config_init(mw_store_config *cfg);

/* Open the store, creating the database and bringing its schema up to
 * date, and start its writer. On failure *out is NULL, err->msg says what
 * and where (state_dir missing or not writable, a file that is not an
 * SQLite database or is damaged, a schema newer than this program), and
 * the status is MW_EINVAL for a bad configuration, MW_EIO otherwise. */
mw_status mw_store_open(const mw_store_config *cfg, mw_store **out,
			mw_store_error *err);

/* Commit what is queued (waiting up to MW_STORE_CLOSE_WAIT_MS; writes
 * still failing then are lost and logged), stop the writer and free. */
void mw_store_close(mw_store *st);

/* Wait until every write queued before the call is committed. MW_EIO if
 * that did not happen within timeout_ms (the writer is failing: see
 * mw_store_health()). */
mw_status mw_store_flush(mw_store *st, unsigned timeout_ms);

/* -- knowing when writes are durable ----------------------------------
 *
 * For a caller that must not answer before its writes are committed (the
 * milter holds its end-of-message reply until the message's sent-log
 * entry is durable) and cannot block (an event loop): take a mark, ask
 * for a commit, and be woken by the writer.
 *
 * A mark stands for every write queued before the call that returned it
 * (a write folded into a queued one is covered by that one's mark). Marks
 * grow; 0 means "nothing to wait for". */
typedef uint64_t mw_store_mark;

/* The mark of every write queued so far, and the writer is asked to
 * commit up to it at once instead of at the end of its interval (writes
 * that arrive meanwhile join the same transaction). Never waits. Returns
 * 0 when everything queued is already committed. */
mw_store_mark mw_store_commit_soon(mw_store *st);

/* Is everything up to mark committed (durable: see docs/store.md)? A
 * mark of 0 always is. */
bool mw_store_is_committed(mw_store *st, mw_store_mark mark);

/* fn(arg) is called on the writer thread after each transaction it
 * commits, with the store's lock held: it must be quick and must not call
 * the store (uv_async_send() is the intended use). NULL stops the calls;
 * once this returns, fn is not running and will not run again. */
void mw_store_set_commit_notify(mw_store *st, void (*fn)(void *arg), void *arg);

/* MW_OK while the store answers: its database reads, its last commit
 * succeeded, and its queue is not stuck. Otherwise MW_EIO and a reason in
 * why (may be NULL), so that the milter can fail open or tempfail. */
mw_status mw_store_health(mw_store *st, char *why, size_t whysz);

void mw_store_stats_get(mw_store *st, mw_store_stats *out);

/* Queue the deletion of everything expired at `now`. The writer also does
 * this by itself every ten seconds, asking the configured clock for the
 * time; reads never return expired data either way. */
mw_status mw_store_expire(mw_store *st, time_t now);

/* -- windows of counters ---------------------------------------------- */

/* Add n (negative for a correction; |n| <= MW_STORE_COUNTER_STEP_MAX) to
 * key's counter at time now. Lossy. */
mw_status mw_store_counter_add(mw_store *st, const char *key, int64_t n,
			       time_t now);

/* The sum over the last `window` seconds (1..MW_STORE_WINDOW_MAX), with
 * the precision given above. */
mw_status mw_store_counter_sum(mw_store *st, const char *key, time_t window,
			       time_t now, int64_t *sum);

/* -- distinct counts -------------------------------------------------- */

/* Note that member (1..MW_STORE_KEY_MAX bytes, no control characters) was
 * seen under key at time now. Lossy. */
mw_status mw_store_distinct_add(mw_store *st, const char *key,
				const char *member, time_t now);

/* Members seen under key in [now - window, now]. */
mw_status mw_store_distinct_count(mw_store *st, const char *key, time_t window,
				  time_t now, uint64_t *count);

/* -- event lists ------------------------------------------------------ */

/* Append an event at time t with a payload of len bytes (at most
 * MW_STORE_PAYLOAD_MAX); keep may be NULL for the defaults. Kept. */
mw_status mw_store_event_append(mw_store *st, const char *key, time_t t,
				const void *payload, size_t len,
				const mw_store_keep *keep);

/* Events under key not expired at now, newest first (by time, then by
 * order of appending), skipping `offset` and returning at most `limit`;
 * offset + limit <= MW_STORE_READ_MAX. out (initialised once with
 * mw_store_list_init()) is reset first, and is empty on failure. Trimming
 * to the keep count happens when the writer commits: until then a read
 * may return a few more than the count. */
mw_status mw_store_event_read(mw_store *st, const char *key, time_t now,
			      size_t offset, size_t limit, mw_store_list *out);

/* -- settings --------------------------------------------------------- */

/* Set name (a key-like string) to value (text, no NUL, at most
 * MW_STORE_VALUE_MAX bytes) under key; now is when it changed. Kept. */
mw_status mw_store_setting_set(mw_store *st, const char *key, const char *name,
			       const char *value, time_t now);

/* The value into out (reset first; its cap must take MW_STORE_VALUE_MAX)
 * and *found; out is left empty when not found. */
mw_status mw_store_setting_get(mw_store *st, const char *key, const char *name,
			       mw_buf *out, bool *found);

/* Delete name under key (nothing happens if it is not set). Kept. */
mw_status mw_store_setting_del(mw_store *st, const char *key, const char *name,
			       time_t now);

/* The settings of key whose name starts with name_prefix ("" for all), in
 * name order, at most limit (<= MW_STORE_READ_MAX). */
mw_status mw_store_setting_list(mw_store *st, const char *key,
				const char *name_prefix, size_t limit,
				mw_store_list *out);

/* The keys starting with key_prefix ("acct:") that have setting `name`
 * ("suspended"), in key order, at most limit, each with its value. */
mw_status mw_store_setting_keys_with(mw_store *st, const char *key_prefix,
				     const char *name, size_t limit,
				     mw_store_list *out);

/* -- the sent log ----------------------------------------------------- */

/* Record that a message with this Message-ID (without <>, as the caller
 * normalises it; 1 to MW_STORE_KEY_MAX bytes, spaces allowed, no control
 * characters) left from sender (up to MW_ADDRESS_MAX bytes, "" for the
 * null sender) at time t; kept sent_log_days. Kept. A second record of
 * one Message-ID replaces the first. */
mw_status mw_store_sent_record(mw_store *st, const char *message_id,
			       const char *sender, time_t t);

/* Look a Message-ID up; entries older than sent_log_days at now are not
 * found. */
mw_status mw_store_sent_lookup(mw_store *st, const char *message_id, time_t now,
			       mw_store_sent *out, bool *found);

/* -- keys and lists --------------------------------------------------- */

/* Build "ns:id" or, with a metric, "ns:id/metric" into out. ns is one of
 * the namespaces of docs/store.md (lower-case letters); id is lower-cased
 * in ASCII, since addresses and host names compare case-insensitively in
 * practice and one account must not get two counters. MW_ETOOBIG if it
 * does not fit in outsz or MW_STORE_KEY_MAX, MW_EINVAL if a part holds
 * spaces or control characters. */
mw_status mw_store_key(char *out, size_t outsz, const char *ns, const char *id,
		       const char *metric);

void mw_store_list_init(mw_store_list *l);
void mw_store_list_free(mw_store_list *l);

#endif
