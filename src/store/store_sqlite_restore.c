/*
 * store_sqlite_restore.c - putting a backup (tame backup FILE) back as
 * the store of a data directory, with tamed stopped. See store.h.
 *
 * Copying the file over tame.db by hand is not enough: the WAL beside it
 * (tame.db-wal, left by the old store when tamed was killed) would be
 * read into the copy at the next start and corrupt it. Here the backup
 * is checked first (it opens, its pages are sound, it is a Tame store
 * this build can open), copied page by page into a new file beside
 * tame.db with SQLite's backup API, and only then the old WAL and its
 * index are removed and the copy renamed over tame.db. Should the rename
 * fail after that, tame.db is the old store as of its last checkpoint:
 * older, never broken. The caller holds tamed.lock (store_lock_dir), so
 * no tamed starts in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sqlite3.h>
#include "migrations.h"
#include "store.h"
#include "store_sqlite.h"

/* The integer the one-row, one-column query sql answers; -1 when it
 * fails. */
static long long
one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Whether the backup at db is a sound Tame store this build opens. */
static enum tame_err
check_backup(sqlite3 *db, const char *file, char *err, size_t n)
{
	sqlite3_stmt *st;
	long long v;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) ==
	    SQLITE_OK) {
		ok = sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
		sqlite3_finalize(st);
	}
	if (!ok) {
		snprintf(err, n, "%s is not a sound SQLite database (%s)", file,
		    sqlite3_errmsg(db));
		return TAME_EPARSE;
	}
	v = one_int(db, "PRAGMA user_version");
	if (v < 1 || one_int(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('tickets', 'messages', 'agents')")
	    != 3) {
		snprintf(err, n, "%s is not a Tame store", file);
		return TAME_EPARSE;
	}
	if (v > migrations_latest()) {
		snprintf(err, n, "%s was made by a newer Tame (schema %lld, "
		    "this one knows %d)", file, v, migrations_latest());
		return TAME_EPARSE;
	}
	return TAME_OK;
}

/* Copies every page of src into a new database at path. */
static enum tame_err
copy_pages(sqlite3 *src, const char *path, char *err, size_t n)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		if ((b = sqlite3_backup_init(dst, "main", src, "main"))) {
			rc = sqlite3_backup_step(b, -1);
			sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		} else
			rc = sqlite3_extended_errcode(dst);
	}
	if (rc != SQLITE_OK)
		snprintf(err, n, "cannot write %s: %s", path, dst ?
		    sqlite3_errmsg(dst) : sqlite3_errstr(rc));
	if (sqlite3_close(dst) != SQLITE_OK && rc == SQLITE_OK) {
		snprintf(err, n, "cannot finish %s", path);
		rc = SQLITE_IOERR;
	}
	return rc == SQLITE_OK ? TAME_OK : TAME_EIO;
}

/* See store.h. */
enum tame_err
store_restore(const char *datadir, const char *file, char *err, size_t n)
{
	char db[4096], tmp[4200], side[4200];
	char uri[3 * 4000 + 32];	/* each byte may become "%XX" */
	sqlite3 *src = NULL;
	enum tame_err rc;
	const char *p;
	char *o;
	int fd, lock;

	err[0] = '\0';
	if ((rc = store_file(datadir, db, sizeof(db))) ||
	    strlen(file) > 4000) {
		snprintf(err, n, "path too long");
		return TAME_EINVAL;
	}
	/* read as it is: no lock, no WAL of its own, nothing written */
	o = uri + snprintf(uri, sizeof(uri), "file:");
	for (p = file; *p; p++)
		o += (*p == '?' || *p == '#' || *p == '%') ?
		    sprintf(o, "%%%02X", (unsigned char)*p) :
		    sprintf(o, "%c", *p);
	snprintf(o, sizeof(uri) - (size_t)(o - uri), "?immutable=1");
	if (access(file, R_OK) != 0) {
		snprintf(err, n, "cannot read %s: %s", file, strerror(errno));
		return TAME_ENOTFOUND;
	}
	/* the store's own file, read without its WAL, would lose what the
	 * WAL holds (after a crash, every mail since the last checkpoint) */
	if (store_is_its_file(datadir, file)) {
		snprintf(err, n, "%s is the store itself; restore takes a "
		    "backup (tame backup FILE); tamed or any tame command "
		    "recovers the store after a crash on its own", file);
		return TAME_EINVAL;
	}
	/* no tame command (deliver from the MTA, an import, a backup) may
	 * have the old file open while it is replaced: each holds
	 * store.lock shared (store_open) */
	if ((rc = store_lock_file(datadir, "store.lock", LOCK_EX, &lock))) {
		snprintf(err, n, rc == TAME_EBUSY ? "the store is in use (a tame "
		    "command such as deliver or import); try again when it is "
		    "done" : "cannot lock %s/store.lock: %s", datadir,
		    strerror(errno));
		return rc;
	}
	if (sqlite3_open_v2(uri, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
	    NULL) != SQLITE_OK) {
		snprintf(err, n, "cannot open %s: %s", file, src ?
		    sqlite3_errmsg(src) : "out of memory");
		rc = TAME_EPARSE;
		goto out;
	}
	/* a check that reads the search index (SQLite 3.44 checks FTS5
	 * tables too) needs its tokenizer */
	(void)store_sqlite_fts_register(src);
	if ((rc = check_backup(src, file, err, n)))
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.restore-XXXXXX", db);
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, n, "cannot create a file beside %s: %s", db,
		    strerror(errno));
		rc = TAME_EIO;
		goto out;
	}
	/* 0600, as the store's files are, and the directory owner's */
	(void)store_give_to_owner(datadir, fd);
	close(fd);
	if ((rc = copy_pages(src, tmp, err, n))) {
		unlink(tmp);
		goto out;
	}
	/* the old store's WAL and its index belong to it, not the copy */
	snprintf(side, sizeof(side), "%s-wal", db);
	if (unlink(side) != 0 && errno != ENOENT) {
		snprintf(err, n, "cannot remove %s: %s", side, strerror(errno));
		rc = TAME_EIO;
	}
	snprintf(side, sizeof(side), "%s-shm", db);
	if (!rc && unlink(side) != 0 && errno != ENOENT) {
		snprintf(err, n, "cannot remove %s: %s", side, strerror(errno));
		rc = TAME_EIO;
	}
	if (!rc && rename(tmp, db) != 0) {
		snprintf(err, n, "cannot rename to %s: %s", db,
		    strerror(errno));
		rc = TAME_EIO;
	}
	if (rc)
		unlink(tmp);
	else if ((fd = open(datadir, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);	/* the rename, on disk */
		close(fd);
	}
out:
	sqlite3_close(src);
	close(lock);
	return rc;
}
