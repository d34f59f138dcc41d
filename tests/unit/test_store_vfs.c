/*
 * test_store_vfs.c - unit tests of the WAL write shim
 * (src/store/store_sqlite_vfs.c): a store's commits, small and larger
 * than the shim's buffer, are in the file the moment they return, as
 * seen by a connection that does not go through the shim, also when a
 * transaction spills pages and writes them again; a write that
 * fails makes the commit fail, leaves the store whole, and the next
 * commit works once the disk takes writes again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "store/store.h"
#include "core/util.h"
#include "tmpdir.h"

struct fx {
	char dir[64];
	char path[96];
	struct store *s;
	sqlite3 *plain;       /* SQLite's own unix VFS, read-only */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpdir_make(f->dir, sizeof(f->dir), "vfs");
	snprintf(f->path, sizeof(f->path), "%s/tame.db", f->dir);
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	assert_int_equal(sqlite3_open_v2(f->path, &f->plain,
	    SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->plain);
	store_close(f->s);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static int64_t
plain_count(struct fx *f, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(f->plain, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Bytes that do not compress, so each row takes its size in pages. */
static void
noise(char *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (char)(seed >> 16);
	}
}

/* One transaction of rows raw messages of size bytes each. */
static enum tame_err
commit_rows(struct fx *f, int rows, size_t size, uint32_t seed)
{
	char *data = malloc(size);
	enum tame_err rc;
	int64_t id;
	int i;

	assert_non_null(data);
	if ((rc = store_begin(f->s)))
		goto out;
	for (i = 0; i < rows && rc == TAME_OK; i++) {
		noise(data, size, seed + (uint32_t)i);
		rc = store_raw_add(f->s, data, size, "a@x", "b@y", 1, &id);
	}
	if (rc == TAME_OK)
		rc = store_commit(f->s);
	if (rc)
		store_rollback(f->s);
out:
	free(data);
	return rc;
}

static void
test_commits_seen(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	char *name = NULL;
	int64_t want = 0;
	int i, rows;

	/* the store's connections go through the shim */
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_file_control(db, "main",
	    SQLITE_FCNTL_VFSNAME, &name), SQLITE_OK);
	assert_non_null(name);
	assert_non_null(strstr(name, "tame"));
	sqlite3_free(name);
	sqlite3_close(db);

	/* 1 to 64 rows of 3 kB: from one page to about 50 frames (200 kB),
	 * past the shim's 120 kB buffer */
	for (i = 0; i < 40; i++) {
		rows = 1 + (i * 7) % 64;
		assert_int_equal(commit_rows(f, rows, 3000, (uint32_t)i * 97u),
		    TAME_OK);
		want += rows;
		assert_int_equal(plain_count(f, "SELECT count(*) FROM "
		    "raw_messages"), want);
	}
	assert_int_equal(plain_count(f, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
}

static void
test_write_error(void **state)
{
	struct fx *f = *state;
	struct rlimit old, lim;
	struct stat sb;
	char wal[128];
	int64_t before;

	assert_int_equal(commit_rows(f, 5, 3000, 1), TAME_OK);
	before = plain_count(f, "SELECT count(*) FROM raw_messages");
	assert_int_equal(before, 5);
	/* the WAL may not grow by more than 64 kB: a commit of 1 MB fails
	 * (EFBIG; the signal that comes with it is ignored) */
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size + 64 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_not_equal(commit_rows(f, 300, 3000, 2), TAME_OK);
	assert_int_not_equal(commit_rows(f, 300, 3000, 3), TAME_OK);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	/* nothing of the failed commits, all of the one before */
	assert_int_equal(plain_count(f, "SELECT count(*) FROM raw_messages"),
	    before);
	/* and the store takes the next commit */
	assert_int_equal(commit_rows(f, 300, 3000, 4), TAME_OK);
	assert_int_equal(plain_count(f, "SELECT count(*) FROM raw_messages"),
	    before + 300);
	assert_int_equal(plain_count(f, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
}

/* A transaction larger than its cache writes pages to the WAL before
 * it commits, then writes some of them again (in place, and SQLite then
 * rewrites the frames' checksums): what it committed is all there, for
 * a reader on SQLite's own VFS and after the file is opened anew. */
static void
test_spill_and_rewrite(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA cache_size = 20;"
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);"
	    "BEGIN;"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
	    " WHERE i < 2000) INSERT INTO t SELECT i, randomblob(500) FROM n;"
	    "UPDATE t SET v = zeroblob(400) WHERE id % 3 = 0;"
	    "UPDATE t SET v = zeroblob(300) WHERE id % 7 = 0;"
	    "COMMIT;", NULL, NULL, &err), SQLITE_OK);
	sqlite3_free(err);
	assert_int_equal(plain_count(f, "SELECT count(*) FROM t"), 2000);
	assert_int_equal(plain_count(f, "SELECT sum(length(v)) FROM t"),
	    (2000 - 666 - 285 + 95) * 500 + (666 - 95) * 400 + 285 * 300);
	assert_int_equal(plain_count(f, "SELECT count(*) FROM "
	    "pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
	sqlite3_close(db);
	sqlite3_close(f->plain);
	assert_int_equal(sqlite3_open_v2(f->path, &f->plain,
	    SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
	assert_int_equal(plain_count(f, "SELECT count(*) FROM t WHERE"
	    " id % 21 = 0 AND length(v) = 300"), 95);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commits_seen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spill_and_rewrite, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
