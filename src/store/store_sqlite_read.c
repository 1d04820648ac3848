/*
 * store_sqlite_read.c - the readers' side of the SQLite backend.
 *
 * Every query here is a lookup or a range scan of an index, bounded by a
 * LIMIT or by the size of one key's window, so that it is safe to run on
 * the event loop's thread. A read takes one of the reader connections
 * (the first one free, else waits for one); when the caller needs the
 * snapshot's sequence number, the writer row and the data are read in one
 * read transaction, so both come from the same snapshot.
 */
#include "store/store_sqlite.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"

static const char *const rsql[MW_SQR_COUNT] = {
    [MW_SQR_BEGIN] = "BEGIN",
    [MW_SQR_COMMIT] = "COMMIT",
    [MW_SQR_SEQ] = "SELECT seq FROM writer WHERE id = ?1",
    [MW_SQR_PING] = "SELECT count(*) FROM schema_version",
    [MW_SQR_COUNTER_SUM] = "SELECT coalesce(sum(n), 0) FROM counter"
			   " WHERE key = ?1 AND res = ?2 AND bucket >= ?3",
    [MW_SQR_MEMBER_COUNT] = "SELECT count(*) FROM member"
			    " WHERE key = ?1 AND last_seen >= ?2",
    [MW_SQR_MEMBER_HAS] = "SELECT 1 FROM member WHERE key = ?1"
			  " AND member = ?2 AND last_seen >= ?3",
    [MW_SQR_EVENTS] = "SELECT t, payload FROM event"
		      " WHERE key = ?1 AND expires > ?2"
		      " ORDER BY t DESC, id DESC LIMIT ?3",
    [MW_SQR_SETTING_GET] = "SELECT value FROM setting"
			   " WHERE key = ?1 AND name = ?2",
    [MW_SQR_SETTING_LIST] =
	"SELECT name, value, updated FROM setting WHERE key = ?1"
	" AND name >= ?2 AND name < ?3 ORDER BY name LIMIT ?4",
    [MW_SQR_KEYS_WITH] =
	"SELECT key, value, updated FROM setting WHERE name = ?1"
	" AND key >= ?2 AND key < ?3 ORDER BY key LIMIT ?4",
    [MW_SQR_SENT] = "SELECT sender, t FROM sent"
		    " WHERE message_id = ?1 AND expires > ?2",
};

mw_status mw_sq_prepare_reader(mw_sq_reader *r, char *why, size_t whysz)
{
	return mw_sq_prepare_all(r->db, rsql, MW_SQR_COUNT, r->st, why, whysz);
}

/* -- connections and snapshots ---------------------------------------- */

static mw_sq_reader *acquire(mw_store_backend *b)
{
	unsigned start = atomic_fetch_add(&b->next_reader, 1u);
	for (unsigned i = 0; i < MW_STORE_READERS; i++) {
		mw_sq_reader *r = &b->readers[(start + i) % MW_STORE_READERS];
		if (pthread_mutex_trylock(&r->mu) == 0)
			return r;
	}
	mw_sq_reader *r = &b->readers[start % MW_STORE_READERS];
	pthread_mutex_lock(&r->mu);
	return r;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static mw_status failed(mw_sq_reader *r, const char *what)
{
	char why[320];
	mw_sq_why(why, sizeof(why), r->db, what);
	mw_warn("store: %s", why);
	return MW_EIO;
}

/* Start a read transaction and read our sequence number in it, when the
 * caller needs it (seq not NULL). */
static mw_status snapshot_begin(mw_store_backend *b, mw_sq_reader *r,
				uint64_t *seq)
{
	if (!seq)
		return MW_OK;
	*seq = 0;
	sqlite3_stmt *st = r->st[MW_SQR_BEGIN];
	int rc = sqlite3_step(st);
	done(st);
	if (rc != SQLITE_DONE)
		return failed(r, "starting a read");
	st = r->st[MW_SQR_SEQ];
	sqlite3_bind_int64(st, 1, b->writer_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		   ? MW_OK
		   : failed(r, "reading the writer's progress");
}

/* End the read transaction and give the connection back. */
static mw_status release(mw_sq_reader *r, const uint64_t *seq, mw_status rc)
{
	if (seq && !sqlite3_get_autocommit(r->db)) {
		sqlite3_stmt *st = r->st[MW_SQR_COMMIT];
		if (sqlite3_step(st) != SQLITE_DONE && rc == MW_OK)
			rc = failed(r, "ending a read");
		done(st);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* The top of a prefix's range: the prefix and a 0xFF byte, which no
 * valid key holds (store.c refuses it), so every key that starts with the
 * prefix sorts below it. */
static void bind_prefix_range(sqlite3_stmt *st, int i, const char *prefix,
			      char *top, size_t topsz)
{
	size_t n = strlen(prefix);
	if (n + 2 > topsz)
		n = topsz - 2;
	memcpy(top, prefix, n);
	top[n] = (char)0xff;
	top[n + 1] = '\0';
	sqlite3_bind_text(st, i, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i + 1, top, (int)(n + 1), SQLITE_STATIC);
}

/* -- reads ------------------------------------------------------------ */

mw_status mw_sq_ping(mw_store_backend *b, char *why, size_t whysz)
{
	mw_sq_reader *r = acquire(b);
	sqlite3_stmt *st = r->st[MW_SQR_PING];
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		mw_sq_why(why, whysz, r->db, "store: reading the database");
	done(st);
	pthread_mutex_unlock(&r->mu);
	return rc == SQLITE_ROW ? MW_OK : MW_EIO;
}

mw_status mw_sq_counter_sum(mw_store_backend *b, const char *key, time_t width,
			    time_t from, uint64_t *seq, int64_t *sum)
{
	mw_sq_reader *r = acquire(b);
	mw_status rc = snapshot_begin(b, r, seq);
	sqlite3_stmt *st = r->st[MW_SQR_COUNTER_SUM];
	if (rc == MW_OK) {
		bind_text(st, 1, key);
		sqlite3_bind_int64(st, 2, width);
		sqlite3_bind_int64(st, 3, from);
		if (sqlite3_step(st) == SQLITE_ROW)
			*sum = sqlite3_column_int64(st, 0);
		else
			rc = failed(r, "reading a counter");
		done(st);
	}
	return release(r, seq, rc);
}

static mw_status member_present(mw_sq_reader *r, const char *key,
				const char *member, time_t since, bool *present)
{
	sqlite3_stmt *st = r->st[MW_SQR_MEMBER_HAS];
	bind_text(st, 1, key);
	bind_text(st, 2, member);
	sqlite3_bind_int64(st, 3, since);
	int rc = sqlite3_step(st);
	*present = rc == SQLITE_ROW;
	done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		   ? MW_OK
		   : failed(r, "reading a distinct set");
}

mw_status mw_sq_distinct_count(mw_store_backend *b, const char *key,
			       time_t since, const char *const *members,
			       size_t nmembers, bool *present, uint64_t *seq,
			       uint64_t *count)
{
	mw_sq_reader *r = acquire(b);
	mw_status rc = snapshot_begin(b, r, seq);
	sqlite3_stmt *st = r->st[MW_SQR_MEMBER_COUNT];
	if (rc == MW_OK) {
		bind_text(st, 1, key);
		sqlite3_bind_int64(st, 2, since);
		if (sqlite3_step(st) == SQLITE_ROW)
			*count = (uint64_t)sqlite3_column_int64(st, 0);
		else
			rc = failed(r, "counting a distinct set");
		done(st);
	}
	for (size_t i = 0; rc == MW_OK && i < nmembers; i++)
		rc = member_present(r, key, members[i], since, &present[i]);
	return release(r, seq, rc);
}

static mw_status add_event(mw_store_list *out, size_t cap, sqlite3_stmt *st)
{
	const void *p = sqlite3_column_blob(st, 1);
	size_t len = (size_t)sqlite3_column_bytes(st, 1);
	if (out->n == cap)
		return MW_OK; /* LIMIT makes this impossible */
	mw_store_item *it = &out->items[out->n];
	it->t = (time_t)sqlite3_column_int64(st, 0);
	it->value = mw_arena_strndup(&out->arena, p ? p : "", len);
	it->len = len;
	if (!it->value)
		return MW_ENOMEM;
	out->n++;
	return MW_OK;
}

mw_status mw_sq_event_read(mw_store_backend *b, const char *key, time_t now,
			   size_t limit, uint64_t *seq, mw_store_list *out)
{
	out->n = 0;
	out->items =
	    limit ? mw_arena_calloc(&out->arena, limit, sizeof(*out->items))
		  : NULL;
	if (limit && !out->items)
		return MW_ENOMEM;
	mw_sq_reader *r = acquire(b);
	mw_status rc = snapshot_begin(b, r, seq);
	sqlite3_stmt *st = r->st[MW_SQR_EVENTS];
	if (rc == MW_OK && limit) {
		bind_text(st, 1, key);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
		int s;
		while (rc == MW_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
			rc = add_event(out, limit, st);
		if (rc == MW_OK && s != SQLITE_DONE)
			rc = failed(r, "reading events");
		done(st);
	}
	return release(r, seq, rc);
}

mw_status mw_sq_setting_get(mw_store_backend *b, const char *key,
			    const char *name, mw_buf *out, bool *found,
			    uint64_t *seq)
{
	mw_sq_reader *r = acquire(b);
	mw_status rc = snapshot_begin(b, r, seq);
	sqlite3_stmt *st = r->st[MW_SQR_SETTING_GET];
	if (rc == MW_OK) {
		bind_text(st, 1, key);
		bind_text(st, 2, name);
		int s = sqlite3_step(st);
		*found = s == SQLITE_ROW;
		if (*found)
			rc = mw_buf_append(out, sqlite3_column_text(st, 0),
					   (size_t)sqlite3_column_bytes(st, 0));
		else if (s != SQLITE_DONE)
			rc = failed(r, "reading a setting");
		done(st);
	}
	return release(r, seq, rc);
}

/* One row of a settings list: column 0 is the name (or the key, for
 * keys_with), 1 the value, 2 when it changed. */
static mw_status add_setting(mw_store_list *out, size_t cap, sqlite3_stmt *st,
			     const char *fixed, bool fixed_is_key)
{
	if (out->n == cap)
		return MW_OK;
	mw_store_item *it = &out->items[out->n];
	const char *col0 = (const char *)sqlite3_column_text(st, 0);
	const char *val = (const char *)sqlite3_column_text(st, 1);
	it->len = (size_t)sqlite3_column_bytes(st, 1);
	it->value = mw_arena_strndup(&out->arena, val ? val : "", it->len);
	it->t = (time_t)sqlite3_column_int64(st, 2);
	char *c0 = mw_arena_strdup(&out->arena, col0 ? col0 : "");
	char *fx = mw_arena_strdup(&out->arena, fixed);
	it->key = fixed_is_key ? fx : c0;
	it->name = fixed_is_key ? c0 : fx;
	if (!it->value || !c0 || !fx)
		return MW_ENOMEM;
	out->n++;
	return MW_OK;
}

/* The shared body of the two list reads: st has ?1 the fixed column, ?2
 * and ?3 the prefix range and ?4 the limit. */
static mw_status list_rows(mw_store_backend *b, enum mw_sq_rstmt which,
			   const char *fixed, bool fixed_is_key,
			   const char *prefix, size_t limit, uint64_t *seq,
			   mw_store_list *out)
{
	char top[MW_STORE_KEY_MAX + 2];
	out->n = 0;
	out->items =
	    limit ? mw_arena_calloc(&out->arena, limit, sizeof(*out->items))
		  : NULL;
	if (limit && !out->items)
		return MW_ENOMEM;
	mw_sq_reader *r = acquire(b);
	mw_status rc = snapshot_begin(b, r, seq);
	sqlite3_stmt *st = r->st[which];
	if (rc == MW_OK && limit) {
		bind_text(st, 1, fixed);
		bind_prefix_range(st, 2, prefix, top, sizeof(top));
		sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
		int s;
		while (rc == MW_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
			rc = add_setting(out, limit, st, fixed, fixed_is_key);
		if (rc == MW_OK && s != SQLITE_DONE)
			rc = failed(r, "listing settings");
		done(st);
	}
	return release(r, seq, rc);
}

mw_status mw_sq_setting_list(mw_store_backend *b, const char *key,
			     const char *name_prefix, size_t limit,
			     uint64_t *seq, mw_store_list *out)
{
	return list_rows(b, MW_SQR_SETTING_LIST, key, true, name_prefix, limit,
			 seq, out);
}

mw_status mw_sq_setting_keys_with(mw_store_backend *b, const char *key_prefix,
				  const char *name, size_t limit, uint64_t *seq,
				  mw_store_list *out)
{
	return list_rows(b, MW_SQR_KEYS_WITH, name, false, key_prefix, limit,
			 seq, out);
}

mw_status mw_sq_sent_lookup(mw_store_backend *b, const char *message_id,
			    time_t now, mw_store_sent *out, bool *found,
			    uint64_t *seq)
{
	mw_sq_reader *r = acquire(b);
	mw_status rc = snapshot_begin(b, r, seq);
	sqlite3_stmt *st = r->st[MW_SQR_SENT];
	if (rc == MW_OK) {
		bind_text(st, 1, message_id);
		sqlite3_bind_int64(st, 2, now);
		int s = sqlite3_step(st);
		*found = s == SQLITE_ROW;
		if (*found) {
			const char *sender =
			    (const char *)sqlite3_column_text(st, 0);
			snprintf(out->sender, sizeof(out->sender), "%s",
				 sender ? sender : "");
			out->t = (time_t)sqlite3_column_int64(st, 1);
		} else if (s != SQLITE_DONE) {
			rc = failed(r, "looking up the sent log");
		}
		done(st);
	}
	return release(r, seq, rc);
}
