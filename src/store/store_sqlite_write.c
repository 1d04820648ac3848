/*
 * store_sqlite_write.c - the writer thread's side of the SQLite backend:
 * one IMMEDIATE transaction per batch, and the deletion of expired rows.
 *
 * A batch is all or nothing: any failed statement rolls the whole batch
 * back and the queue keeps it for the next try, so a write is never half
 * applied nor applied twice. The same transaction stores the batch's last
 * sequence number in this writer's row, which is what lets readers tell
 * committed writes from queued ones.
 */
#include "store/store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const wsql[MW_SQW_COUNT] = {
    [MW_SQW_BEGIN] = "BEGIN IMMEDIATE",
    [MW_SQW_COMMIT] = "COMMIT",
    [MW_SQW_ROLLBACK] = "ROLLBACK",
    [MW_SQW_COUNTER] =
	"INSERT INTO counter (key, res, bucket, n, expires)"
	" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key, res, bucket)"
	" DO UPDATE SET n = n + excluded.n,"
	" expires = max(expires, excluded.expires)",
    [MW_SQW_MEMBER] =
	"INSERT INTO member (key, member, last_seen, expires)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key, member)"
	" DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),"
	" expires = max(expires, excluded.expires)",
    [MW_SQW_EVENT] = "INSERT INTO event (key, t, payload, expires)"
		     " VALUES (?1, ?2, ?3, ?4)",
    [MW_SQW_EVENT_COUNT] = "SELECT n FROM event_count WHERE key = ?1",
    /* The oldest first: an ascending walk of the key's index that stops
     * after the rows it deletes. */
    [MW_SQW_EVENT_TRIM] = "DELETE FROM event WHERE id IN (SELECT id FROM"
			  " event WHERE key = ?1 ORDER BY t, id LIMIT ?2)",
    [MW_SQW_SET] = "INSERT INTO setting (key, name, value, updated)"
		   " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key, name)"
		   " DO UPDATE SET value = excluded.value,"
		   " updated = excluded.updated",
    [MW_SQW_DEL] = "DELETE FROM setting WHERE key = ?1 AND name = ?2",
    [MW_SQW_SENT] = "INSERT INTO sent (message_id, sender, t, expires)"
		    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (message_id)"
		    " DO UPDATE SET sender = excluded.sender, t = excluded.t,"
		    " expires = excluded.expires",
    [MW_SQW_WRITER_SEQ] = "INSERT OR REPLACE INTO writer (id, seq, updated)"
			  " VALUES (?1, ?2, ?3)",
    [MW_SQW_EXP_COUNTER] =
	"DELETE FROM counter WHERE (key, res, bucket) IN (SELECT key,"
	" res, bucket FROM counter WHERE expires <= ?1 LIMIT ?2)",
    [MW_SQW_EXP_MEMBER] =
	"DELETE FROM member WHERE (key, member) IN (SELECT key, member"
	" FROM member WHERE expires <= ?1 LIMIT ?2)",
    [MW_SQW_EXP_EVENT] = "DELETE FROM event WHERE id IN (SELECT id FROM"
			 " event WHERE expires <= ?1 LIMIT ?2)",
    [MW_SQW_EXP_SENT] =
	"DELETE FROM sent WHERE message_id IN (SELECT message_id FROM"
	" sent WHERE expires <= ?1 LIMIT ?2)",
    [MW_SQW_EXP_WRITER] = "DELETE FROM writer WHERE updated < ?1 - ?2"
			  " AND id <> ?3",
};

/* A writer row not updated for a week belongs to a dead process. */
#define WRITER_STALE_SECONDS (7 * 86400)
/* Chunks one housekeeping call deletes per table, each in its own
 * transaction; the rest waits for the next call. */
#define EXPIRE_ROUNDS 20

mw_status mw_sq_prepare_writer(mw_store_backend *b, char *why, size_t whysz)
{
	b->fold = calloc(MW_SQ_FOLD_SLOTS, sizeof(*b->fold));
	b->fold_order = calloc(MW_STORE_BATCH_MAX, sizeof(*b->fold_order));
	if (!b->fold || !b->fold_order) {
		snprintf(why, whysz, "out of memory");
		return MW_ENOMEM;
	}
	return mw_sq_prepare_all(b->wdb, wsql, MW_SQW_COUNT, b->ws, why, whysz);
}

/* Run a statement that returns no row, then reset it for its next use. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int add_counter(mw_store_backend *b, const char *key, time_t t,
		       int64_t n)
{
	static const time_t widths[] = {MW_STORE_FINE_WIDTH,
					MW_STORE_COARSE_WIDTH};
	sqlite3_stmt *st = b->ws[MW_SQW_COUNTER];
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		time_t start = mw_store_bucket_start(t, widths[i]);
		bind_text(st, 1, key);
		sqlite3_bind_int64(st, 2, widths[i]);
		sqlite3_bind_int64(st, 3, start);
		sqlite3_bind_int64(st, 4, n);
		sqlite3_bind_int64(st, 5,
				   mw_store_bucket_expires(start, widths[i]));
		int rc = run(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static int add_member(mw_store_backend *b, const char *key, const char *member,
		      time_t t)
{
	sqlite3_stmt *st = b->ws[MW_SQW_MEMBER];
	bind_text(st, 1, key);
	bind_text(st, 2, member);
	sqlite3_bind_int64(st, 3, t);
	sqlite3_bind_int64(st, 4, mw_store_member_expires(t));
	return run(st);
}

/* -- folding ---------------------------------------------------------- */

/* Counter and distinct adds commute, so a batch's adds to one bucket, or
 * of one member, become one statement: during a flood thousands of adds
 * to one recipient's counter cost two upserts a batch, not thousands. */

static uint32_t mix(uint32_t h, uint64_t v)
{
	h ^= (uint32_t)v ^ (uint32_t)(v >> 32);
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

static bool same_fold(const mw_sq_fold *e, const mw_store_op *op, time_t bucket)
{
	if (e->op->kind != op->kind || strcmp(e->op->key, op->key) != 0)
		return false;
	return op->kind == MW_OP_COUNTER_ADD ? e->at == bucket
					     : strcmp(e->op->a, op->a) == 0;
}

static void fold_op(mw_store_backend *b, const mw_store_op *op)
{
	bool counter = op->kind == MW_OP_COUNTER_ADD;
	time_t bucket =
	    counter ? mw_store_bucket_start(op->t, MW_STORE_FINE_WIDTH) : 0;
	uint32_t h = counter ? mix(op->hash, (uint64_t)bucket)
			     : mix(op->hash, mw_store_hash(op->a));
	for (uint32_t i = h;; i++) {
		mw_sq_fold *e = &b->fold[i & (MW_SQ_FOLD_SLOTS - 1)];
		if (e->gen != b->fold_gen) {
			*e = (mw_sq_fold){.op = op,
					  .gen = b->fold_gen,
					  .at = counter ? bucket : op->t,
					  .n = op->n};
			b->fold_order[b->fold_n++] = i & (MW_SQ_FOLD_SLOTS - 1);
			return;
		}
		if (same_fold(e, op, bucket)) {
			if (counter)
				e->n += op->n;
			else if (op->t > e->at)
				e->at = op->t;
			return;
		}
	}
}

/* Start a new fold: entries of older generations count as empty. */
static void fold_reset(mw_store_backend *b)
{
	b->fold_n = 0;
	if (++b->fold_gen == 0) {
		memset(b->fold, 0, MW_SQ_FOLD_SLOTS * sizeof(*b->fold));
		b->fold_gen = 1;
	}
}

static int write_folded(mw_store_backend *b)
{
	for (size_t i = 0; i < b->fold_n; i++) {
		const mw_sq_fold *e = &b->fold[b->fold_order[i]];
		int rc = e->op->kind == MW_OP_COUNTER_ADD
			     ? add_counter(b, e->op->key, e->at, e->n)
			     : add_member(b, e->op->key, e->op->a, e->at);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Delete the oldest events beyond the key's keep count. The count comes
 * from event_count, kept exact by triggers, so this is a lookup per
 * append and a delete only of what goes. */
static int trim_events(mw_store_backend *b, const mw_store_op *op)
{
	sqlite3_stmt *st = b->ws[MW_SQW_EVENT_COUNT];
	bind_text(st, 1, op->key);
	int rc = sqlite3_step(st);
	sqlite3_int64 n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (n <= (sqlite3_int64)op->keep_count)
		return SQLITE_OK;
	st = b->ws[MW_SQW_EVENT_TRIM];
	bind_text(st, 1, op->key);
	sqlite3_bind_int64(st, 2, n - (sqlite3_int64)op->keep_count);
	return run(st);
}

static int append_event(mw_store_backend *b, const mw_store_op *op)
{
	sqlite3_stmt *st = b->ws[MW_SQW_EVENT];
	bind_text(st, 1, op->key);
	sqlite3_bind_int64(st, 2, op->t);
	sqlite3_bind_blob(st, 3, op->b, (int)op->blen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, op->expires);
	int rc = run(st);
	return rc == SQLITE_OK ? trim_events(b, op) : rc;
}

static int set_setting(mw_store_backend *b, const mw_store_op *op)
{
	sqlite3_stmt *st = b->ws[MW_SQW_SET];
	bind_text(st, 1, op->key);
	bind_text(st, 2, op->a);
	sqlite3_bind_text(st, 3, op->b, (int)op->blen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, op->t);
	return run(st);
}

static int del_setting(mw_store_backend *b, const mw_store_op *op)
{
	sqlite3_stmt *st = b->ws[MW_SQW_DEL];
	bind_text(st, 1, op->key);
	bind_text(st, 2, op->a);
	return run(st);
}

static int record_sent(mw_store_backend *b, const mw_store_op *op)
{
	sqlite3_stmt *st = b->ws[MW_SQW_SENT];
	bind_text(st, 1, op->key);
	bind_text(st, 2, op->a);
	sqlite3_bind_int64(st, 3, op->t);
	sqlite3_bind_int64(st, 4, op->expires);
	return run(st);
}

/* Delete, in chunks, what expired by now; *more is set when a table had
 * more than `rounds` chunks to delete. */
static int expire_tables(mw_store_backend *b, time_t now, int rounds,
			 bool *more)
{
	static const enum mw_sq_wstmt tables[] = {
	    MW_SQW_EXP_COUNTER, MW_SQW_EXP_MEMBER, MW_SQW_EXP_EVENT,
	    MW_SQW_EXP_SENT};
	*more = false;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		sqlite3_stmt *st = b->ws[tables[i]];
		int r = 0;
		for (; r < rounds; r++) {
			sqlite3_bind_int64(st, 1, now);
			sqlite3_bind_int64(st, 2, MW_STORE_EXPIRE_CHUNK);
			int rc = run(st);
			if (rc != SQLITE_OK)
				return rc;
			if (sqlite3_changes(b->wdb) < MW_STORE_EXPIRE_CHUNK)
				break;
		}
		if (r == rounds)
			*more = true;
	}
	sqlite3_stmt *st = b->ws[MW_SQW_EXP_WRITER];
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, WRITER_STALE_SECONDS);
	sqlite3_bind_int64(st, 3, b->writer_id);
	return run(st);
}

static int apply_op(mw_store_backend *b, const mw_store_op *op)
{
	bool more;
	switch (op->kind) {
	case MW_OP_COUNTER_ADD:
	case MW_OP_DISTINCT_ADD:
		fold_op(b, op);
		return SQLITE_OK;
	case MW_OP_EVENT_APPEND:
		return append_event(b, op);
	case MW_OP_SETTING_SET:
		return set_setting(b, op);
	case MW_OP_SETTING_DEL:
		return del_setting(b, op);
	case MW_OP_SENT_RECORD:
		return record_sent(b, op);
	case MW_OP_EXPIRE:
		/* Asked for explicitly: everything, in this transaction. */
		do {
			int rc = expire_tables(b, op->t, EXPIRE_ROUNDS, &more);
			if (rc != SQLITE_OK)
				return rc;
		} while (more);
		return SQLITE_OK;
	}
	return SQLITE_MISUSE;
}

static int record_seq(mw_store_backend *b, uint64_t seq)
{
	sqlite3_stmt *st = b->ws[MW_SQW_WRITER_SEQ];
	sqlite3_bind_int64(st, 1, b->writer_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 3, b->clock(b->clock_arg));
	return run(st);
}

static mw_status rollback(mw_store_backend *b, char *why, size_t whysz,
			  const char *what)
{
	mw_sq_why(why, whysz, b->wdb, what);
	if (!sqlite3_get_autocommit(b->wdb))
		run(b->ws[MW_SQW_ROLLBACK]);
	return MW_EIO;
}

mw_status mw_sq_apply(mw_store_backend *b, mw_store_op *first,
		      const mw_store_op *last, uint64_t last_seq, char *why,
		      size_t whysz)
{
	if (run(b->ws[MW_SQW_BEGIN]) != SQLITE_OK)
		return rollback(b, why, whysz, "starting a transaction");
	fold_reset(b);
	for (const mw_store_op *op = first;; op = op->next) {
		if (apply_op(b, op) != SQLITE_OK)
			return rollback(b, why, whysz, "writing");
		if (op == last)
			break;
	}
	if (write_folded(b) != SQLITE_OK)
		return rollback(b, why, whysz, "writing counters");
	if (record_seq(b, last_seq) != SQLITE_OK)
		return rollback(b, why, whysz, "recording the batch");
	if (run(b->ws[MW_SQW_COMMIT]) != SQLITE_OK)
		return rollback(b, why, whysz, "committing");
	return MW_OK;
}

mw_status mw_sq_housekeep(mw_store_backend *b, time_t now, char *why,
			  size_t whysz)
{
	/* One chunk per table per transaction keeps each hold of the write
	 * lock short; what is left after EXPIRE_ROUNDS waits for the next
	 * call. */
	bool more = true;
	for (int round = 0; more && round < EXPIRE_ROUNDS; round++) {
		if (run(b->ws[MW_SQW_BEGIN]) != SQLITE_OK)
			return rollback(b, why, whysz, "starting housekeeping");
		if (expire_tables(b, now, 1, &more) != SQLITE_OK)
			return rollback(b, why, whysz, "deleting expired rows");
		if (run(b->ws[MW_SQW_COMMIT]) != SQLITE_OK)
			return rollback(b, why, whysz,
					"committing housekeeping");
	}
	return MW_OK;
}
