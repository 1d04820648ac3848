/*
 * store_sqlite_schema.c - the database's schema and its migrations.
 *
 * The schema_version table has one row per migration applied, with when.
 * At open, every migration above the highest version is applied in order,
 * all in one IMMEDIATE transaction: two processes opening at once cannot
 * both migrate, and a crash halfway leaves the old schema whole. A
 * database newer than this program is refused rather than guessed at.
 * Migrations are append-only: a released one is never edited; a change is
 * a new entry at the end.
 */
#include "store/store_sqlite.h"

#include <stdio.h>
#include <string.h>

/* Version 1: windows, distinct sets, events, settings, sent log, and the
 * writers' last committed sequence numbers. */
static const char schema_v1[] =
    /* Counter buckets: res is the bucket width in seconds, bucket the
     * start of the bucket; expires says when no window reads it. */
    "CREATE TABLE counter ("
    " key TEXT NOT NULL, res INTEGER NOT NULL, bucket INTEGER NOT NULL,"
    " n INTEGER NOT NULL, expires INTEGER NOT NULL,"
    " PRIMARY KEY (key, res, bucket)) WITHOUT ROWID;"
    "CREATE INDEX counter_expires ON counter (expires);"
    /* Distinct sets: each member with the last time it was seen. */
    "CREATE TABLE member ("
    " key TEXT NOT NULL, member TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL, expires INTEGER NOT NULL,"
    " PRIMARY KEY (key, member)) WITHOUT ROWID;"
    "CREATE INDEX member_seen ON member (key, last_seen);"
    "CREATE INDEX member_expires ON member (expires);"
    /* Event lists, newest first by (t, id); event_count keeps each
     * key's length so that trimming by count costs a lookup, not a
     * scan. */
    "CREATE TABLE event ("
    " id INTEGER PRIMARY KEY, key TEXT NOT NULL, t INTEGER NOT NULL,"
    " payload BLOB NOT NULL, expires INTEGER NOT NULL);"
    "CREATE INDEX event_key_t ON event (key, t, id);"
    "CREATE INDEX event_expires ON event (expires);"
    "CREATE TABLE event_count ("
    " key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER event_counted AFTER INSERT ON event BEGIN"
    " INSERT INTO event_count (key, n) VALUES (new.key, 1)"
    "  ON CONFLICT (key) DO UPDATE SET n = n + 1;"
    " END;"
    "CREATE TRIGGER event_uncounted AFTER DELETE ON event BEGIN"
    " UPDATE event_count SET n = n - 1 WHERE key = old.key;"
    " DELETE FROM event_count WHERE key = old.key AND n <= 0;"
    " END;"
    /* Settings; the second index serves "which keys have setting X". */
    "CREATE TABLE setting ("
    " key TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
    " updated INTEGER NOT NULL,"
    " PRIMARY KEY (key, name)) WITHOUT ROWID;"
    "CREATE INDEX setting_name ON setting (name, key);"
    /* The sent log. */
    "CREATE TABLE sent ("
    " message_id TEXT PRIMARY KEY, sender TEXT NOT NULL,"
    " t INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sent_expires ON sent (expires);"
    /* One row per open store: the last sequence number it committed,
     * read with the data so that reads see queued writes exactly once
     * (store_impl.h). */
    "CREATE TABLE writer ("
    " id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);";

static const char *const migrations[] = {
    schema_v1,
};

#define MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int mw_sq_schema_version(void)
{
	return MIGRATIONS;
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* One integer from a query, or -1. */
static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void fail(mw_store_error *err, sqlite3 *db, const char *path,
		 const char *what)
{
	char why[256];
	mw_sq_why(why, sizeof(why), db, what);
	snprintf(err->msg, sizeof(err->msg), "store: %s: %s", path, why);
}

/* A database with tables but no schema_version is somebody else's. */
static bool foreign_database(sqlite3 *db)
{
	long long tables = query_int(
	    db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
	long long ours = query_int(db, "SELECT count(*) FROM sqlite_schema "
				       "WHERE name = 'schema_version'");
	return tables > 0 && ours == 0;
}

static mw_status apply_from(sqlite3 *db, const char *path, long long cur,
			    time_t now, mw_store_error *err)
{
	for (int v = (int)cur + 1; v <= MIGRATIONS; v++) {
		char sql[128];
		if (exec(db, migrations[v - 1]) != SQLITE_OK) {
			fail(err, db, path, "applying a schema migration");
			return MW_EIO;
		}
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_version VALUES (%d, %lld)", v,
			 (long long)now);
		if (exec(db, sql) != SQLITE_OK) {
			fail(err, db, path, "recording a schema migration");
			return MW_EIO;
		}
	}
	return MW_OK;
}

mw_status mw_sq_migrate(sqlite3 *db, const char *path, time_t now,
			mw_store_error *err)
{
	if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
		fail(err, db, path, "starting the schema check");
		return MW_EIO;
	}
	mw_status rc = MW_OK;
	long long cur = -1;
	if (foreign_database(db)) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: %s is an SQLite database but not "
			 "mailwarden's (no schema_version table); move it "
			 "away or choose another state_dir",
			 path);
		rc = MW_EIO;
	} else if (exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
			    " version INTEGER PRIMARY KEY,"
			    " applied_at INTEGER NOT NULL)") != SQLITE_OK) {
		fail(err, db, path, "reading the schema");
		rc = MW_EIO;
	} else if ((cur = query_int(db, "SELECT coalesce(max(version), 0) "
					"FROM schema_version")) < 0) {
		fail(err, db, path, "reading the schema version");
		rc = MW_EIO;
	} else if (cur > MIGRATIONS) {
		snprintf(err->msg, sizeof(err->msg),
			 "store: %s has schema version %lld, newer than this "
			 "mailwarden's %d; run the newer mailwarden",
			 path, cur, MIGRATIONS);
		rc = MW_EIO;
	} else {
		rc = apply_from(db, path, cur, now, err);
	}
	if (rc == MW_OK && exec(db, "COMMIT") != SQLITE_OK) {
		fail(err, db, path, "committing the schema");
		rc = MW_EIO;
	}
	if (rc != MW_OK)
		exec(db, "ROLLBACK");
	return rc;
}
