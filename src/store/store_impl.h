/*
 * store_impl.h - what the store's front (store.c), its write queue
 * (store_queue.c) and its backends share. Not for callers: they use
 * store.h.
 *
 * Contract: a write becomes an mw_store_op, one malloc holding its
 * strings, numbered by a sequence number that grows by one per accepted
 * write. The queue keeps ops in FIFO order for the writer and, at the same
 * time, in a hash index by key for readers. An op leaves both only after
 * the transaction that applied it has committed.
 *
 * Read-your-writes. Every transaction the writer commits also records the
 * sequence number of its last op (per writer, in the backend). A read
 * first copies the pending ops of its key out of the index, then asks the
 * backend for its answer together with the sequence number that answer's
 * snapshot includes, and adds the copied ops numbered above it. An op
 * that was committed and removed before the copy is in the snapshot,
 * because the snapshot is taken after the copy; an op still in the index
 * is added exactly when the snapshot does not hold it. No lock is held
 * while the backend works.
 *
 * A backend implements mw_store_backend_ops. Its apply() runs on the
 * writer thread only; its reads may run on any thread at the same time.
 */
#ifndef MW_STORE_STORE_IMPL_H
#define MW_STORE_STORE_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"

/* -- windows ---------------------------------------------------------- */

/* The two bucket widths of every counter, and the longest window each
 * serves. An add goes into one bucket of each. */
#define MW_STORE_FINE_WIDTH 60
#define MW_STORE_FINE_SPAN (2 * 3600)
#define MW_STORE_COARSE_WIDTH 3600
#define MW_STORE_COARSE_SPAN MW_STORE_WINDOW_MAX

/* The bucket width a read over `window` seconds uses. */
time_t mw_store_window_width(time_t window);
/* Start of the bucket of width `width` holding t (t >= 0). */
time_t mw_store_bucket_start(time_t t, time_t width);
/* The first bucket start a read over window at now adds. */
time_t mw_store_window_from(time_t window, time_t now, time_t *width);
/* When a bucket of this width starting at `start` may be deleted. */
time_t mw_store_bucket_expires(time_t start, time_t width);
/* When a distinct member last seen at t may be deleted. */
time_t mw_store_member_expires(time_t t);

/* -- ops -------------------------------------------------------------- */

typedef enum mw_store_op_kind {
	MW_OP_COUNTER_ADD,  /* key, n, t */
	MW_OP_DISTINCT_ADD, /* key, a = member, t */
	MW_OP_EVENT_APPEND, /* key, b = payload (blen), t, keep_* */
	MW_OP_SETTING_SET,  /* key, a = name, b = value, t */
	MW_OP_SETTING_DEL,  /* key, a = name, t */
	MW_OP_SENT_RECORD,  /* key = message id, a = sender, t, expires */
	MW_OP_EXPIRE,	    /* key = "", t = now */
} mw_store_op_kind;

typedef struct mw_store_op mw_store_op;
struct mw_store_op {
	mw_store_op *next;	    /* FIFO order */
	mw_store_op *hnext, *hprev; /* hash chain of the key */
	uint64_t seq;		    /* 1, 2, ... per store */
	uint64_t enq_ms;	    /* monotonic, when queued */
	size_t bytes;		    /* this op's memory */
	mw_store_op_kind kind;
	uint32_t hash;	     /* of key */
	time_t t;	     /* time of the write */
	int64_t n;	     /* counter delta */
	unsigned keep_count; /* events */
	time_t expires;	     /* events, sent log */
	const char *key;     /* all point into data[] */
	const char *a;	     /* member, name or sender */
	const char *b;	     /* value or payload */
	size_t blen;
	char data[];
};

/* The checks of store.h's contract, shared by writes and reads. */
bool mw_store_valid_key(const char *key);
bool mw_store_valid_member(const char *s);
bool mw_store_valid_time(time_t t);
bool mw_store_valid_window(time_t window);

/* Lossy writes may be dropped when the queue is full; the others wait. */
bool mw_store_op_is_lossy(mw_store_op_kind kind);

/* -- backends --------------------------------------------------------- */

typedef struct mw_store_backend mw_store_backend;

/* A copy of one pending op, as a read needs it. Strings point into the
 * pending set's own memory; a counter add's are NULL (its read needs only
 * the numbers). */
typedef struct mw_store_pending_op {
	uint64_t seq;
	mw_store_op_kind kind;
	time_t t;
	int64_t n;
	const char *a;
	const char *b;
	size_t blen;
	time_t expires;
	const char *key; /* for prefix reads, the op's key */
} mw_store_pending_op;

typedef struct mw_store_pending {
	mw_store_pending_op *ops;
	size_t n;
	mw_arena arena; /* the copies and the ops array */
} mw_store_pending;

typedef struct mw_store_backend_ops {
	const char *name;
	void (*close)(mw_store_backend *b);

	/* Writer thread only. Apply the ops first..last (following next) in
	 * one transaction that also records last_seq; all or nothing. */
	mw_status (*apply)(mw_store_backend *b, mw_store_op *first,
			   const mw_store_op *last, uint64_t last_seq,
			   char *why, size_t whysz);
	/* Writer thread only: delete what expired at now. */
	mw_status (*housekeep)(mw_store_backend *b, time_t now, char *why,
			       size_t whysz);

	/* Any thread. Each read returns in *seq the last sequence number of
	 * ours its answer includes. */
	mw_status (*ping)(mw_store_backend *b, char *why, size_t whysz);
	mw_status (*counter_sum)(mw_store_backend *b, const char *key,
				 time_t width, time_t from, uint64_t *seq,
				 int64_t *sum);
	/* Members seen since `since`; present[i] says whether members[i] is
	 * among them. */
	mw_status (*distinct_count)(mw_store_backend *b, const char *key,
				    time_t since, const char *const *members,
				    size_t nmembers, bool *present,
				    uint64_t *seq, uint64_t *count);
	/* The newest `limit` events not expired at now, newest first, with
	 * t, value and len set, allocated in out->arena. */
	mw_status (*event_read)(mw_store_backend *b, const char *key,
				time_t now, size_t limit, uint64_t *seq,
				mw_store_list *out);
	mw_status (*setting_get)(mw_store_backend *b, const char *key,
				 const char *name, mw_buf *out, bool *found,
				 uint64_t *seq);
	mw_status (*setting_list)(mw_store_backend *b, const char *key,
				  const char *name_prefix, size_t limit,
				  uint64_t *seq, mw_store_list *out);
	mw_status (*setting_keys_with)(mw_store_backend *b,
				       const char *key_prefix, const char *name,
				       size_t limit, uint64_t *seq,
				       mw_store_list *out);
	mw_status (*sent_lookup)(mw_store_backend *b, const char *message_id,
				 time_t now, mw_store_sent *out, bool *found,
				 uint64_t *seq);
} mw_store_backend_ops;

/* The SQLite backend (store_sqlite.c). */
mw_status mw_store_sqlite_open(const mw_store_config *cfg, time_t now,
			       const mw_store_backend_ops **ops,
			       mw_store_backend **out, mw_store_error *err);

/* -- the queue (store_queue.c) ---------------------------------------- */

/* Buckets of the pending index; a power of two. Sized for a full queue's
 * distinct keys to share chains of a few ops. */
#define MW_STORE_INDEX_BUCKETS 16384

typedef struct mw_store_queue {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* to the writer: work, flush, stop */
	pthread_cond_t room; /* to waiting kept writes */
	pthread_cond_t done; /* to flush(): a commit happened */
	mw_store_op *head, *tail;
	mw_store_op *index[MW_STORE_INDEX_BUCKETS];
	size_t count, bytes;	     /* queued, including the batch */
	size_t max_count, max_bytes; /* for kept writes */
	size_t lossy_count, lossy_bytes;
	uint64_t next_seq;
	uint64_t committed_seq;
	uint64_t taken_seq; /* the last op of the writer's current batch */
	uint64_t flush_seq; /* a flush waits for this; wakes the writer */
	bool stopping;
	bool failing; /* the last commit failed */
	bool waiting_room;
	char last_error[256];
	time_t failing_since;
	unsigned interval_ms, wait_ms;
	mw_store_stats stats;
	pthread_t thread;
	bool started;
	void (*commit_hook)(void *arg);
	void *commit_hook_arg;
	void (*notify)(void *arg); /* mw_store_set_commit_notify() */
	void *notify_arg;
} mw_store_queue;

struct mw_store {
	mw_store_config cfg;
	const mw_store_backend_ops *ops;
	mw_store_backend *backend;
	mw_store_queue q;
};

time_t mw_store_clock_now(const mw_store *st);

/* Set up the queue and start the writer thread. */
mw_status mw_store_queue_start(mw_store *st, mw_store_error *err);
/* Commit what can be committed within wait_ms, stop the writer, free. */
void mw_store_queue_stop(mw_store *st, unsigned wait_ms);
/* Take an op made by mw_store_op_new(): queue it or free it. */
mw_status mw_store_queue_push(mw_store *st, mw_store_op *op);
mw_status mw_store_queue_flush(mw_store *st, unsigned timeout_ms);
/* Copy the pending ops of `kind` under exactly this key (prefix false) or
 * under keys starting with it (prefix true: a scan of the whole queue,
 * for the rare list reads) into p. Two kinds may be asked at once. */
mw_status mw_store_queue_pending(mw_store *st, const char *key, bool prefix,
				 mw_store_op_kind kind1, mw_store_op_kind kind2,
				 mw_store_pending *p);
/* For tests: fn runs on the writer thread after each commit, before the
 * committed ops leave the queue, the moment when a read could count a
 * write twice. Set it before the first write. */
void mw_store_set_commit_hook(mw_store *st, void (*fn)(void *arg), void *arg);
void mw_store_queue_health(mw_store *st, bool *ok, char *why, size_t whysz);
void mw_store_queue_stats(mw_store *st, mw_store_stats *out);

/* A new op with room for its strings, or NULL. */
mw_store_op *mw_store_op_new(mw_store_op_kind kind, const char *key,
			     const char *a, const void *b, size_t blen);
uint32_t mw_store_hash(const char *key);

void mw_store_pending_init(mw_store_pending *p);
void mw_store_pending_free(mw_store_pending *p);

#endif
