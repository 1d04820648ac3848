/*
 * store_sqlite.h - what the SQLite backend's files share: the handle, the
 * prepared statements, and the functions behind its mw_store_backend_ops.
 *
 * Contract: one writer connection, used by the writer thread only (and by
 * open and close, before and after it runs), and MW_STORE_READERS reader
 * connections, each behind its own mutex, for reads from any thread. All
 * statements are prepared once at open and reused. The connections are
 * opened without SQLite's own mutexes (SQLITE_OPEN_NOMUTEX): ours make
 * sure that no two threads use one connection at a time.
 */
#ifndef MW_STORE_STORE_SQLITE_H
#define MW_STORE_STORE_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store/store_impl.h"

/* How long a connection waits for another process's lock (the CLI writing
 * a setting, a checkpoint) before a statement fails with SQLITE_BUSY. */
#define MW_SQ_BUSY_TIMEOUT_MS 5000

/* Longest state_dir accepted: leaves room for the file name and for the
 * path in an error message. */
#define MW_SQ_STATE_DIR_MAX 300

enum mw_sq_wstmt {
	MW_SQW_BEGIN,
	MW_SQW_COMMIT,
	MW_SQW_ROLLBACK,
	MW_SQW_COUNTER,
	MW_SQW_MEMBER,
	MW_SQW_EVENT,
	MW_SQW_EVENT_COUNT,
	MW_SQW_EVENT_TRIM,
	MW_SQW_SET,
	MW_SQW_DEL,
	MW_SQW_SENT,
	MW_SQW_WRITER_SEQ,
	MW_SQW_EXP_COUNTER,
	MW_SQW_EXP_MEMBER,
	MW_SQW_EXP_EVENT,
	MW_SQW_EXP_SENT,
	MW_SQW_EXP_WRITER,
	MW_SQW_COUNT
};

enum mw_sq_rstmt {
	MW_SQR_BEGIN,
	MW_SQR_COMMIT,
	MW_SQR_SEQ,
	MW_SQR_PING,
	MW_SQR_COUNTER_SUM,
	MW_SQR_MEMBER_COUNT,
	MW_SQR_MEMBER_HAS,
	MW_SQR_EVENTS,
	MW_SQR_SETTING_GET,
	MW_SQR_SETTING_LIST,
	MW_SQR_KEYS_WITH,
	MW_SQR_SENT,
	MW_SQR_COUNT
};

typedef struct mw_sq_reader {
	pthread_mutex_t mu;
	bool mu_ready;
	sqlite3 *db;
	sqlite3_stmt *st[MW_SQR_COUNT];
} mw_sq_reader;

/* The writer's fold of one batch's counter and distinct adds: an open-
 * addressing table twice the largest batch, so it is never full. */
#define MW_SQ_FOLD_SLOTS (2 * MW_STORE_BATCH_MAX)

typedef struct mw_sq_fold {
	const mw_store_op *op; /* the first add of this bucket or member */
	time_t at;	       /* counter: bucket start; member: last seen */
	int64_t n;	       /* counter: the sum */
	uint32_t gen;	       /* in use when equal to fold_gen */
} mw_sq_fold;

struct mw_store_backend {
	char path[320];	   /* state_dir is at most MW_SQ_STATE_DIR_MAX */
	int64_t writer_id; /* this process's row in the writer table */
	mw_store_clock_fn clock;
	void *clock_arg;
	sqlite3 *wdb;
	sqlite3_stmt *ws[MW_SQW_COUNT];
	mw_sq_fold *fold;     /* MW_SQ_FOLD_SLOTS, the writer's only */
	uint32_t *fold_order; /* slots in use, in order of first use */
	size_t fold_n;
	uint32_t fold_gen;
	mw_sq_reader readers[MW_STORE_READERS];
	atomic_uint next_reader;
};

/* The schema version this program writes. */
int mw_sq_schema_version(void);
/* Create or bring up to date the schema of db, in one transaction. */
mw_status mw_sq_migrate(sqlite3 *db, const char *path, time_t now,
			mw_store_error *err);

/* "what: SQLite's message (code)" into why. */
void mw_sq_why(char *why, size_t whysz, sqlite3 *db, const char *what);
/* Prepare n statements from sql[] into st[]. */
mw_status mw_sq_prepare_all(sqlite3 *db, const char *const *sql, size_t n,
			    sqlite3_stmt **st, char *why, size_t whysz);

mw_status mw_sq_prepare_writer(mw_store_backend *b, char *why, size_t whysz);
mw_status mw_sq_prepare_reader(mw_sq_reader *r, char *why, size_t whysz);

/* The writer's side (store_sqlite_write.c). */
mw_status mw_sq_apply(mw_store_backend *b, mw_store_op *first,
		      const mw_store_op *last, uint64_t last_seq, char *why,
		      size_t whysz);
mw_status mw_sq_housekeep(mw_store_backend *b, time_t now, char *why,
			  size_t whysz);

/* The readers' side (store_sqlite_read.c). */
mw_status mw_sq_ping(mw_store_backend *b, char *why, size_t whysz);
mw_status mw_sq_counter_sum(mw_store_backend *b, const char *key, time_t width,
			    time_t from, uint64_t *seq, int64_t *sum);
mw_status mw_sq_distinct_count(mw_store_backend *b, const char *key,
			       time_t since, const char *const *members,
			       size_t nmembers, bool *present, uint64_t *seq,
			       uint64_t *count);
mw_status mw_sq_event_read(mw_store_backend *b, const char *key, time_t now,
			   size_t limit, uint64_t *seq, mw_store_list *out);
mw_status mw_sq_setting_get(mw_store_backend *b, const char *key,
			    const char *name, mw_buf *out, bool *found,
			    uint64_t *seq);
mw_status mw_sq_setting_list(mw_store_backend *b, const char *key,
			     const char *name_prefix, size_t limit,
			     uint64_t *seq, mw_store_list *out);
mw_status mw_sq_setting_keys_with(mw_store_backend *b, const char *key_prefix,
				  const char *name, size_t limit, uint64_t *seq,
				  mw_store_list *out);
mw_status mw_sq_sent_lookup(mw_store_backend *b, const char *message_id,
			    time_t now, mw_store_sent *out, bool *found,
			    uint64_t *seq);

#endif
