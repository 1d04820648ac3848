/*
 * store_sqlite.c - the SQLite backend: opening the database, its pragmas,
 * and clear errors for the ways a state_dir can be wrong.
 *
 * Durability. The database runs in WAL mode with synchronous=FULL: every
 * commit of the writer thread ends with an fsync of the WAL. The writer
 * commits a whole batch at a time (every 250 ms, or sooner under load, or
 * at once for an accepted message's answer waiting on it: then about one
 * commit per message, concurrent messages sharing one), paid on the
 * writer thread, and it makes a committed batch survive a power cut, not
 * only a kill -9 (for which NORMAL would be enough: the WAL's pages are in
 * the kernel's cache the moment the commit returns). NORMAL was measured
 * behind Postfix (bench/postfix/run.sh, issue 3) and gained nothing
 * consistent: 24.9/23.0/23.1 s against FULL's 22.7/22.2/22.1 s in one
 * run, better by 0.7-2 s in another on a busier machine. Readers never
 * wait for the fsync: in WAL mode they read the last committed snapshot
 * while the writer works.
 */
#include "store/store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

/* The WAL is truncated back to this size after checkpoints, so a burst
 * does not leave a large file behind for ever. */
#define JOURNAL_SIZE_LIMIT (64 * 1024 * 1024)
/* Rows of writers that have not committed for this long are removed at
 * open: processes that were killed before they could remove their own. */
#define WRITER_STALE_SECONDS (7 * 86400)

void mw_sq_why(char *why, size_t whysz, sqlite3 *db, const char *what)
{
	int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
	const char *msg = db ? sqlite3_errmsg(db) : "no connection";
	const char *hint = "";
	switch (code & 0xff) {
	case SQLITE_NOTADB:
		hint = " (not an SQLite database: move the file away or "
		       "choose another state_dir)";
		break;
	case SQLITE_CORRUPT:
		hint = " (the database is damaged: restore it from a backup "
		       "or move it away)";
		break;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		hint = " (check that state_dir and the database files are "
		       "writable by mailwarden's user)";
		break;
	case SQLITE_FULL:
		hint = " (the disk is full)";
		break;
	default:
		break;
	}
	snprintf(why, whysz, "%s: %s (%d)%s", what, msg, code, hint);
}

mw_status mw_sq_prepare_all(sqlite3 *db, const char *const *sql, size_t n,
			    sqlite3_stmt **st, char *why, size_t whysz)
{
	for (size_t i = 0; i < n; i++) {
		if (sqlite3_prepare_v3(db, sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &st[i],
				       NULL) != SQLITE_OK) {
			mw_sq_why(why, whysz, db, "preparing a statement");
			return MW_EIO;
		}
	}
	return MW_OK;
}

static void finalize_all(sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
}

/* -- checks before SQLite sees the path ------------------------------- */

static mw_status check_state_dir(const char *dir, mw_store_error *err)
{
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		snprintf(err->msg, sizeof(err->msg), "store: state_dir %s: %s",
			 dir, strerror(errno));
		return MW_EIO;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: state_dir %s is not a directory", dir);
		return MW_EIO;
	}
	/* SQLite creates the -wal and -shm files next to the database. */
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: state_dir %s is not writable (%s): mailwarden "
			 "keeps its database and the database's -wal and -shm "
			 "files there",
			 dir, strerror(errno));
		return MW_EIO;
	}
	return MW_OK;
}

static mw_status check_db_file(const char *path, mw_store_error *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return MW_OK; /* created by the open */
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: %.300s is not a regular file", path);
		return MW_EIO;
	}
	if (access(path, R_OK | W_OK) != 0) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: %.300s is not readable and writable (%s)",
			 path, strerror(errno));
		return MW_EIO;
	}
	return MW_OK;
}

/* -- connections ------------------------------------------------------ */

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static mw_status open_conn(const char *path, sqlite3 **db, char *why,
			   size_t whysz)
{
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
		mw_sq_why(why, whysz, *db, "opening");
		return MW_EIO;
	}
	sqlite3_extended_result_codes(*db, 1);
	sqlite3_busy_timeout(*db, MW_SQ_BUSY_TIMEOUT_MS);
	return MW_OK;
}

/* WAL mode is a property of the file; asking for it is also the first
 * read of the file, where a file that is not a database shows. */
static mw_status set_wal(sqlite3 *db, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	mw_status rc = MW_EIO;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		if (mode && strcmp(mode, "wal") == 0)
			rc = MW_OK;
		else
			snprintf(why, whysz,
				 "the database refuses WAL mode (journal "
				 "mode %s)",
				 mode ? mode : "unknown");
	} else {
		mw_sq_why(why, whysz, db, "reading the database");
	}
	sqlite3_finalize(st);
	return rc;
}

static mw_status writer_pragmas(sqlite3 *db, char *why, size_t whysz)
{
	if (set_wal(db, why, whysz) != MW_OK)
		return MW_EIO;
	char sql[128];
	snprintf(sql, sizeof(sql),
		 "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = %d",
		 JOURNAL_SIZE_LIMIT);
	if (exec(db, sql) != SQLITE_OK) {
		mw_sq_why(why, whysz, db, "setting the pragmas");
		return MW_EIO;
	}
	return MW_OK;
}

/* This process's writer row: a random id, so that processes sharing the
 * file (the daemon and the CLI) keep separate sequence numbers. */
static mw_status register_writer(mw_store_backend *b, time_t now, char *why,
				 size_t whysz)
{
	uint64_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = ((uint64_t)getpid() << 32) ^ (uint64_t)now;
	b->writer_id = (int64_t)(id >> 1);
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "DELETE FROM writer WHERE updated < %lld;"
		 "INSERT OR REPLACE INTO writer VALUES (%lld, 0, %lld)",
		 (long long)(now - WRITER_STALE_SECONDS),
		 (long long)b->writer_id, (long long)now);
	if (exec(b->wdb, sql) != SQLITE_OK) {
		mw_sq_why(why, whysz, b->wdb, "registering the writer");
		return MW_EIO;
	}
	return MW_OK;
}

static mw_status open_reader(mw_store_backend *b, mw_sq_reader *r, char *why,
			     size_t whysz)
{
	if (pthread_mutex_init(&r->mu, NULL)) {
		snprintf(why, whysz, "cannot create a lock");
		return MW_ENOMEM;
	}
	r->mu_ready = true;
	if (open_conn(b->path, &r->db, why, whysz) != MW_OK)
		return MW_EIO;
	if (exec(r->db, "PRAGMA query_only = 1") != SQLITE_OK) {
		mw_sq_why(why, whysz, r->db, "setting the pragmas");
		return MW_EIO;
	}
	return mw_sq_prepare_reader(r, why, whysz);
}

static void close_backend(mw_store_backend *b)
{
	for (size_t i = 0; i < MW_STORE_READERS; i++) {
		mw_sq_reader *r = &b->readers[i];
		finalize_all(r->st, MW_SQR_COUNT);
		sqlite3_close(r->db);
		if (r->mu_ready)
			pthread_mutex_destroy(&r->mu);
	}
	if (b->wdb && b->writer_id) {
		char sql[80];
		snprintf(sql, sizeof(sql), "DELETE FROM writer WHERE id = %lld",
			 (long long)b->writer_id);
		exec(b->wdb, sql);
	}
	finalize_all(b->ws, MW_SQW_COUNT);
	free(b->fold);
	free(b->fold_order);
	/* The last connection to close checkpoints and removes the WAL. */
	if (b->wdb && sqlite3_close(b->wdb) != SQLITE_OK)
		mw_warn("store: %s: closing: %s", b->path,
			sqlite3_errmsg(b->wdb));
	free(b);
}

static const mw_store_backend_ops sqlite_ops = {
    .name = "sqlite",
    .close = close_backend,
    .apply = mw_sq_apply,
    .housekeep = mw_sq_housekeep,
    .ping = mw_sq_ping,
    .counter_sum = mw_sq_counter_sum,
    .distinct_count = mw_sq_distinct_count,
    .event_read = mw_sq_event_read,
    .setting_get = mw_sq_setting_get,
    .setting_list = mw_sq_setting_list,
    .setting_keys_with = mw_sq_setting_keys_with,
    .sent_lookup = mw_sq_sent_lookup,
};

static mw_status open_all(mw_store_backend *b, time_t now, char *why,
			  size_t whysz, mw_store_error *err)
{
	if (open_conn(b->path, &b->wdb, why, whysz) != MW_OK ||
	    writer_pragmas(b->wdb, why, whysz) != MW_OK)
		return MW_EIO;
	if (mw_sq_migrate(b->wdb, b->path, now, err) != MW_OK)
		return MW_EIO;
	if (register_writer(b, now, why, whysz) != MW_OK ||
	    mw_sq_prepare_writer(b, why, whysz) != MW_OK)
		return MW_EIO;
	for (size_t i = 0; i < MW_STORE_READERS; i++)
		if (open_reader(b, &b->readers[i], why, whysz) != MW_OK)
			return MW_EIO;
	return MW_OK;
}

mw_status mw_store_sqlite_open(const mw_store_config *cfg, time_t now,
			       const mw_store_backend_ops **ops,
			       mw_store_backend **out, mw_store_error *err)
{
	*out = NULL;
	if (strlen(cfg->state_dir) > MW_SQ_STATE_DIR_MAX) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: state_dir is longer than %d bytes",
			 MW_SQ_STATE_DIR_MAX);
		return MW_EINVAL;
	}
	if (check_state_dir(cfg->state_dir, err) != MW_OK)
		return MW_EIO;
	mw_store_backend *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err->msg, sizeof(err->msg), "store: out of memory");
		return MW_ENOMEM;
	}
	b->clock = cfg->clock;
	b->clock_arg = cfg->clock_arg;
	int n = snprintf(b->path, sizeof(b->path), "%s/%s", cfg->state_dir,
			 MW_STORE_SQLITE_FILE);
	if (n < 0 || (size_t)n >= sizeof(b->path)) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: state_dir path is too long");
		free(b);
		return MW_EINVAL;
	}
	if (check_db_file(b->path, err) != MW_OK) {
		free(b);
		return MW_EIO;
	}
	char why[384] = "";
	err->msg[0] = '\0';
	if (open_all(b, now, why, sizeof(why), err) != MW_OK) {
		if (!err->msg[0])
			snprintf(err->msg, sizeof(err->msg),
				 "store: %.300s: %.190s", b->path, why);
		close_backend(b);
		return MW_EIO;
	}
	*ops = &sqlite_ops;
	*out = b;
	return MW_OK;
}
