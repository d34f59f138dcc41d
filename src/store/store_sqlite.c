/*
 * store_sqlite.c - the SQLite backend of the store: connection set-up,
 * the statement cache and helpers the other store_sqlite_*.c files use,
 * transactions, backup, and the simple tables (agents, tokens, sessions,
 * mailboxes, customers, raw messages, outbox). Tickets and messages live
 * in store_sqlite_tickets.c, JSON views in store_sqlite_views.c.
 *
 * Model: one connection per thread, SQLite in WAL mode (many readers, one
 * writer), synchronous=FULL so a COMMIT is on disk when it returns (SMTP
 * answers 250 only after that), a 10 s busy timeout so writers queue
 * instead of failing, foreign keys on. Every statement is prepared once
 * per connection and reused: at thousands of messages a second, parsing
 * SQL again would cost more than running it.
 */
#include <errno.h>
#include <libstemmer.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../tame_limits.h"
#include "../core/util.h"
#include "migrations.h"
#include "store_sqlite.h"
#include "store_tags.h"

/* ---- statement cache and helpers (see store_sqlite.h) ---- */

static enum tame_err
map_err(int src)
{
	switch (src) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return TAME_EEXIST;
	}
	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return TAME_EBUSY;
	case SQLITE_NOMEM:
		return TAME_ENOMEM;
	case SQLITE_TOOBIG:
		return TAME_ETOOBIG;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
		/* the disk, not the data (full, failing, remounted
		 * read-only): worth trying again later */
		return TAME_EDISK;
	}
	return TAME_ESTORE;
}

/* Records and maps an SQLite error. See store_sqlite.h. A file that
 * could not be opened for want of a descriptor says so: SQLite's own
 * words ("unable to open database file", "disk I/O error") made a low
 * ulimit -n look like a broken store. */
enum tame_err
sq_err(struct sq *q, int src, const char *what)
{
	int sys = 0;

	if (q->db && ((src & 0xff) == SQLITE_CANTOPEN ||
	    (src & 0xff) == SQLITE_IOERR))
		sys = sqlite3_system_errno(q->db);
	store_set_errmsg(&q->base, "%s: %s (%d)%s%s", what ? what : "sqlite",
	    q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(src), src,
	    sys == EMFILE || sys == ENFILE ? ": " : "",
	    sys == EMFILE || sys == ENFILE ? strerror(sys) : "");
	return sys == EMFILE || sys == ENFILE ? TAME_EFILES : map_err(src);
}

static sqlite3_stmt *
prepare(struct sq *q, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int src;

	src = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL);
	if (src != SQLITE_OK) {
		q->prep_rc = sq_err(q, src, "prepare");
		return NULL;
	}
	return st;
}

/* Cached statement for a static SQL literal. See store_sqlite.h. */
sqlite3_stmt *
sq_stmt(struct sq *q, const char *sql)
{
	size_t h, i, n;

	h = (size_t)(((uintptr_t)sql >> 3) * 2654435761u);
	for (n = 0; n < SQ_CACHE_SLOTS; n++) {
		i = (h + n) % SQ_CACHE_SLOTS;
		if (q->cache[i].key == sql)
			return q->cache[i].st;
		if (q->cache[i].key == NULL) {
			if (!(q->cache[i].st = prepare(q, sql)))
				return NULL;
			q->cache[i].key = sql;
			return q->cache[i].st;
		}
	}
	/* More distinct statements than slots: a bug, not a load issue. */
	store_set_errmsg(&q->base, "statement cache full");
	q->prep_rc = TAME_ESTORE;
	return NULL;
}

/* Cached statement for SQL built at run time. See store_sqlite.h. */
sqlite3_stmt *
sq_stmt_dyn(struct sq *q, const char *sql)
{
	struct sq_slot *sl;
	size_t i;

	for (i = 0; i < SQ_DYN_SLOTS; i++) {
		sl = &q->dyn[i];
		if (sl->text && strcmp(sl->text, sql) == 0)
			return sl->st;
	}
	for (i = 0; i < SQ_DYN_SLOTS; i++)
		if (!q->dyn[i].text)
			break;
	if (i == SQ_DYN_SLOTS) {
		i = q->dyn_next++ % SQ_DYN_SLOTS;
		sqlite3_finalize(q->dyn[i].st);
		free(q->dyn[i].text);
		q->dyn[i].st = NULL;
		q->dyn[i].text = NULL;
	}
	sl = &q->dyn[i];
	if (!(sl->text = strdup(sql))) {
		store_set_errmsg(&q->base, "out of memory");
		q->prep_rc = TAME_ENOMEM;
		return NULL;
	}
	if (!(sl->st = prepare(q, sql))) {
		free(sl->text);
		sl->text = NULL;
		return NULL;
	}
	return sl->st;
}

/* Resets st for its next use. */
void
sq_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

static void
bind_result(struct sq *q, int src)
{
	if (src != SQLITE_OK && q->bind_err == SQLITE_OK)
		q->bind_err = src;
}

/* Binds an integer. */
void
sq_bind_int(struct sq *q, sqlite3_stmt *st, int i, int64_t v)
{
	if (st)
		bind_result(q, sqlite3_bind_int64(st, i, v));
}

/* Binds an id, NULL when v <= 0. */
void
sq_bind_id(struct sq *q, sqlite3_stmt *st, int i, int64_t v)
{
	if (!st)
		return;
	if (v > 0)
		bind_result(q, sqlite3_bind_int64(st, i, v));
	else
		bind_result(q, sqlite3_bind_null(st, i));
}

/* Binds borrowed text, NULL for NULL. */
void
sq_bind_text(struct sq *q, sqlite3_stmt *st, int i, const char *s)
{
	if (!st)
		return;
	if (s)
		bind_result(q, sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC));
	else
		bind_result(q, sqlite3_bind_null(st, i));
}

/* Binds a prefix of borrowed text. */
void
sq_bind_textn(struct sq *q, sqlite3_stmt *st, int i, const char *s, size_t n)
{
	if (st)
		bind_result(q, sqlite3_bind_text64(st, i, s, (sqlite3_uint64)n,
		    SQLITE_STATIC, SQLITE_UTF8));
}

/* Binds a lower-cased copy of s, which SQLite frees. */
void
sq_bind_lower(struct sq *q, sqlite3_stmt *st, int i, const char *s)
{
	char *c;

	if (!st)
		return;
	if (!s) {
		bind_result(q, sqlite3_bind_null(st, i));
		return;
	}
	if (!(c = strdup(s))) {
		bind_result(q, SQLITE_NOMEM);
		return;
	}
	tame_ascii_lower(c);
	bind_result(q, sqlite3_bind_text(st, i, c, -1, free));
}

/* Binds borrowed bytes. */
void
sq_bind_blob(struct sq *q, sqlite3_stmt *st, int i, const void *p,
    size_t len)
{
	if (st)
		bind_result(q, sqlite3_bind_blob64(st, i, len ? p : "",
		    (sqlite3_uint64)len, SQLITE_STATIC));
}

static enum tame_err
step(struct sq *q, sqlite3_stmt *st, int *row)
{
	int src;

	if (!st)
		return q->prep_rc ? q->prep_rc : TAME_ESTORE;
	if (q->bind_err) {
		src = q->bind_err;
		q->bind_err = SQLITE_OK;
		store_set_errmsg(&q->base, "bind: %s", sqlite3_errstr(src));
		return map_err(src);
	}
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*row = 1;
		return TAME_OK;
	}
	*row = 0;
	if (src == SQLITE_DONE)
		return TAME_OK;
	return sq_err(q, src, "step");
}

/* Runs a statement without result rows. See store_sqlite.h. */
enum tame_err
sq_run(struct sq *q, sqlite3_stmt *st)
{
	enum tame_err rc;
	int row = 0;

	while ((rc = step(q, st, &row)) == TAME_OK && row)
		;
	sq_done(st);
	return rc;
}

/* See store_sqlite.h. */
enum tame_err
sq_prune(struct sq *q, const char *sql, int64_t before, int64_t now,
    int64_t *last)
{
	sqlite3_stmt *st;
	enum tame_err rc;

	if (*last && now - *last < 3600 * 1000LL && now >= *last)
		return TAME_OK;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, before);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*last = now;
	return rc;
}

/* Steps once. See store_sqlite.h. */
enum tame_err
sq_row(struct sq *q, sqlite3_stmt *st)
{
	enum tame_err rc;
	int row = 0;

	if ((rc = step(q, st, &row)))
		return rc;
	return row ? TAME_OK : TAME_ENOTFOUND;
}

/* See store_sqlite.h. */
enum tame_err
sq_one_int(struct sq *q, const char *sql, int64_t *n)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	if ((rc = sq_row(q, st)) == TAME_OK)
		*n = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

/* See store_sqlite.h. */
enum tame_err
sq_two_ints(struct sq *q, const char *sql, int64_t *a, int64_t *b)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	if ((rc = sq_row(q, st)) == TAME_OK) {
		*a = sqlite3_column_int64(st, 0);
		*b = sqlite3_column_int64(st, 1);
	}
	sq_done(st);
	return rc;
}

/* Copies a text column. See store_sqlite.h. */
enum tame_err
sq_col_dup(sqlite3_stmt *st, int i, char **out)
{
	const unsigned char *t;

	*out = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return TAME_OK;
	if (!(t = sqlite3_column_text(st, i)))
		return TAME_ENOMEM;
	if (!(*out = strndup((const char *)t,
	    (size_t)sqlite3_column_bytes(st, i))))
		return TAME_ENOMEM;
	return TAME_OK;
}

static enum tame_err
exec_static(struct sq *q, const char *sql)
{
	return sq_run(q, sq_stmt(q, sql));
}

/* Opens a transaction or a save point. See store_sqlite.h. */
enum tame_err
sq_tx_begin(struct sq *q, int *own)
{
	*own = sqlite3_get_autocommit(q->db);
	if (*own)
		return exec_static(q, "BEGIN IMMEDIATE");
	return exec_static(q, "SAVEPOINT store_op");
}

/* Ends what sq_tx_begin opened. See store_sqlite.h. */
enum tame_err
sq_tx_end(struct sq *q, int own, enum tame_err rc)
{
	char keep[STORE_ERRMSG_MAX];

	if (rc == TAME_OK) {
		rc = exec_static(q, own ? "COMMIT" : "RELEASE store_op");
		if (rc == TAME_OK)
			return TAME_OK;
	}
	/* Keep the message of the first failure, not of the clean-up. */
	memcpy(keep, q->base.errmsg, sizeof(keep));
	if (own) {
		if (!sqlite3_get_autocommit(q->db))
			exec_static(q, "ROLLBACK");
	} else {
		exec_static(q, "ROLLBACK TO store_op");
		exec_static(q, "RELEASE store_op");
	}
	memcpy(q->base.errmsg, keep, sizeof(keep));
	return rc;
}

/* ---- connection ---- */

static void
sqlite_close(struct store *s)
{
	struct sq *q = SQ(s);
	size_t i;

	for (i = 0; i < SQ_CACHE_SLOTS; i++)
		sqlite3_finalize(q->cache[i].st);
	for (i = 0; i < SQ_DYN_SLOTS; i++) {
		sqlite3_finalize(q->dyn[i].st);
		free(q->dyn[i].text);
	}
	if (q->db && !sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	sq_ckpt_detach(q);
	sqlite3_close(q->db);
	if (q->stemmer)
		sb_stemmer_delete(q->stemmer);
	free(q);
}

/* Once per process, before the first connection: no global count of
 * SQLite's memory (Debian builds SQLite with it on and without
 * lookaside, so every allocation of every connection took one mutex
 * shared by all threads), and the VFS that writes a commit's WAL frames
 * in one system call. Without it, SQLite's own VFS still works. */
static void
sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sq_vfs_register() != SQLITE_OK)
		tame_log(TAME_LOG_WARN, "store: cannot register the WAL "
		    "write shim; using SQLite's own VFS");
}

/* Memory: tamed holds a connection per thread (HTTP pool, ingest
 * writer, parsers' queue, SMTP, outbox and the others), so what one
 * connection may keep is multiplied by ten. No mmap: every page a
 * connection touched through a mapping of a multi-gigabyte file stays
 * in its resident set, per connection, while read() copies pass through
 * the kernel's page cache, which is shared and not ours. An 8 MB page
 * cache (2,000 pages) holds the hot part of the indexes and of the
 * newest tickets, which is what lists and ingest touch. The WAL file
 * is cut back to 64 MB whenever it starts over (journal_size_limit):
 * a long burst of mail grows it past that (store_sqlite_ckpt.c), and
 * without the limit it kept its largest size until tamed stopped.
 * 100,000 mails by SMTP, alternating runs: 4,026-4,519 msg/s with the
 * limit, 3,860-4,703 without; the WAL 64 MB after, against
 * 142-290 MB. */
static enum tame_err
sqlite_open(const char *datadir, int migrate, struct store **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static const char pragmas[] =
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA temp_store = MEMORY;"
	    "PRAGMA cache_size = -8192;"
	    "PRAGMA mmap_size = 0;"
	    "PRAGMA journal_size_limit = 67108864;";
	char path[PATH_MAX], err[256];
	struct sq *q;
	sqlite3_stmt *st = NULL;
	enum tame_err rc;
	int src, created;

	if ((rc = store_file(datadir, path, sizeof(path))))
		return rc;
	pthread_once(&once, sqlite_setup);
	if (!(q = calloc(1, sizeof(*q))))
		return TAME_ENOMEM;
	q->base.be = &store_backend_sqlite;
	q->base.lock_fd = -1;
	/* only an open that sets up the schema makes the file: one of
	 * tamed's many others finding none (removed while tamed runs) must
	 * not put an empty store in its place */
	created = migrate > 0 && access(path, F_OK) != 0 && errno == ENOENT;
	src = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE |
	    (migrate > 0 ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (src != SQLITE_OK) {
		rc = sq_err(q, src, path);
		goto out;
	}
	/* SQLite opens a file it may not write read-only rather than
	 * fail: a connection made while the file system was read-only
	 * would refuse every write for good, after it is writable again.
	 * Failing the open lets the next one try again. */
	if (sqlite3_db_readonly(q->db, "main") == 1) {
		store_set_errmsg(&q->base, "%s: cannot be written to (a "
		    "read-only file system?)", path);
		rc = TAME_EDISK;
		goto out;
	}
	/* customers' mail and the agents' password hashes: for the
	 * store's user alone, as its backups are (SQLite gives the WAL
	 * and its index the database file's mode) */
	if (created && chmod(path, 0600) != 0)
		tame_log(TAME_LOG_WARN, "store: chmod %s: %s", path,
		    strerror(errno));
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, 10 * 1000);
	if ((src = store_sqlite_fts_register(q->db)) != SQLITE_OK) {
		rc = sq_err(q, src, "search tokenizer");
		goto out;
	}
	/* WAL is a property of the file; check that it took. */
	if ((src = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1,
	    &st, NULL)) != SQLITE_OK || (src = sqlite3_step(st)) != SQLITE_ROW) {
		rc = sq_err(q, src, "journal_mode");
		goto out;
	}
	if (sqlite3_strnicmp((const char *)sqlite3_column_text(st, 0), "wal",
	    4) != 0) {
		store_set_errmsg(&q->base, "cannot use WAL mode in %s", path);
		rc = TAME_ESTORE;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((src = sqlite3_exec(q->db, pragmas, NULL, NULL, NULL))) {
		rc = sq_err(q, src, "pragma");
		goto out;
	}
	if ((rc = migrations_run(q->db, migrate, err, sizeof(err)))) {
		store_set_errmsg(&q->base, "%s", err);
		goto out;
	}
	if ((rc = sq_ckpt_attach(q, path)))
		goto out;
out:
	sqlite3_finalize(st);
	if (rc) {
		tame_log(TAME_LOG_ERR, "store: %s", q->base.errmsg);
		sqlite_close(&q->base);
		return rc;
	}
	*out = &q->base;
	return TAME_OK;
}

/* See store.h. */
static enum tame_err
sqlite_schema(struct store *s, int *have, int *want)
{
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, "PRAGMA user_version");
	enum tame_err rc;

	*want = migrations_latest();
	if ((rc = sq_row(q, st)) == TAME_OK)
		*have = sqlite3_column_int(st, 0);
	sq_done(st);
	return rc;
}

/* A writer inserts all over the indexes (Message-IDs, customers), so a
 * larger cache saves it reads: about a tenth of an import's time. */
static enum tame_err
sqlite_bulk_writer(struct store *s)
{
	return exec_static(SQ(s), "PRAGMA cache_size = -32768");
}

/* The ingest writer's commits write the WAL and return; the queue's
 * syncer makes them durable (sq_ckpt_sync) before any 250 is given. */
static enum tame_err
sqlite_lazy_sync(struct store *s)
{
	return exec_static(SQ(s), "PRAGMA synchronous = NORMAL");
}

/* Rolls back the open transaction of a request that went wrong. The
 * search's temp tables (pending_hits() in store_sqlite_list.c) may
 * then be as they were before it: made again if need be, emptied
 * before their next use. */
static void
rollback_request(struct sq *q)
{
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	q->pend_made = 0;
	q->pend_hits = 1;
}

/* See store_settle() in store.h. */
static int
sqlite_settle(struct store *s)
{
	sqlite3 *db = SQ(s)->db;
	sqlite3_stmt *st = NULL;
	int n = 0;

	while ((st = sqlite3_next_stmt(db, st)))
		if (sqlite3_stmt_busy(st)) {
			tame_log(TAME_LOG_ERR, "store: statement left running "
			    "after a request: %.200s", sqlite3_sql(st));
			sqlite3_reset(st);
			n++;
		}
	if (!sqlite3_get_autocommit(db)) {
		tame_log(TAME_LOG_ERR, "store: transaction left open after "
		    "a request; rolled back");
		rollback_request(SQ(s));
		n++;
	}
	return n;
}

static enum tame_err
sqlite_sync(struct store *s)
{
	return sq_ckpt_sync(SQ(s));
}

/* ---- transactions ---- */

static enum tame_err
sqlite_begin(struct store *s)
{
	struct sq *q = SQ(s);
	enum tame_err rc;

	q->fts_from = 0;
	if ((rc = exec_static(q, "BEGIN IMMEDIATE")) == TAME_OK)
		q->in_begin = 1;
	return rc;
}

/* The search index of the transaction's messages goes in first (see
 * store_sqlite_message_add), so both commit together. */
static enum tame_err
sqlite_commit(struct store *s)
{
	struct sq *q = SQ(s);
	enum tame_err rc;

	if ((rc = store_sqlite_fts_flush(q)) == TAME_OK)
		rc = exec_static(q, "COMMIT");
	if (sqlite3_get_autocommit(q->db))
		q->in_begin = 0;
	return rc;
}

/* A deferred BEGIN takes no lock: the first read takes the read lock
 * (a WAL read mark) and keeps it until COMMIT. */
static enum tame_err
sqlite_read_begin(struct store *s)
{
	return exec_static(SQ(s), "BEGIN");
}

/* Ends the read transaction. One that wrote to the database (a bug of
 * the route: store_read_begin() promises none) is rolled back and
 * logged, as store_settle() would have, not committed. */
static enum tame_err
sqlite_read_end(struct store *s)
{
	struct sq *q = SQ(s);
	enum tame_err rc;

	if (sqlite3_get_autocommit(q->db))
		return TAME_OK;
	if (sqlite3_txn_state(q->db, "main") == SQLITE_TXN_WRITE) {
		tame_log(TAME_LOG_ERR, "store: a read transaction wrote; "
		    "rolled back");
		rollback_request(q);
		return TAME_ESTORE;
	}
	if ((rc = exec_static(q, "COMMIT")))
		rollback_request(q);
	return rc;
}

/* A rollback follows an error, whose message is the one to tell: on a
 * full disk (SQLITE_FULL), an I/O error or out of memory SQLite has
 * already rolled the transaction back itself, and the ROLLBACK after
 * it failed with "cannot rollback - no transaction is active", which
 * the log showed instead of the full disk. So nothing is run when no
 * transaction is left, and the first message is kept either way. */
static enum tame_err
sqlite_rollback(struct store *s)
{
	struct sq *q = SQ(s);
	char keep[STORE_ERRMSG_MAX];
	enum tame_err rc;

	q->in_begin = 0;
	q->fts_from = 0;
	if (sqlite3_get_autocommit(q->db))
		return TAME_OK;
	memcpy(keep, q->base.errmsg, sizeof(keep));
	rc = exec_static(q, "ROLLBACK");
	memcpy(q->base.errmsg, keep, sizeof(keep));
	return rc;
}

/* name was checked by store.c to be a plain identifier. */
static enum tame_err
savepoint_cmd(struct store *s, const char *verb, const char *name)
{
	char sql[96];
	int n;

	n = snprintf(sql, sizeof(sql), "%s %s", verb, name);
	if (n < 0 || (size_t)n >= sizeof(sql))
		return TAME_EINVAL;
	return sq_run(SQ(s), sq_stmt_dyn(SQ(s), sql));
}

static enum tame_err
sqlite_savepoint(struct store *s, const char *name)
{
	return savepoint_cmd(s, "SAVEPOINT", name);
}

static enum tame_err
sqlite_release(struct store *s, const char *name)
{
	return savepoint_cmd(s, "RELEASE", name);
}

/* As sqlite_rollback(), the error that led here keeps its message (the
 * save point is gone with a transaction SQLite rolled back itself). */
static enum tame_err
sqlite_rollback_to(struct store *s, const char *name)
{
	char keep[STORE_ERRMSG_MAX];
	enum tame_err rc;

	memcpy(keep, s->errmsg, sizeof(keep));
	rc = savepoint_cmd(s, "ROLLBACK TO", name);
	memcpy(s->errmsg, keep, sizeof(keep));
	return rc;
}

/* Online backup: copies pages in steps so writers are not held off for
 * the whole copy; a busy source is waited for. */
static enum tame_err
sqlite_backup(struct store *s, const char *path)
{
	struct sq *q = SQ(s);
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	enum tame_err rc = TAME_OK;
	int src;

	src = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (src != SQLITE_OK) {
		store_set_errmsg(s, "backup %s: %s", path,
		    dst ? sqlite3_errmsg(dst) : sqlite3_errstr(src));
		rc = map_err(src);
		goto out;
	}
	if (!(b = sqlite3_backup_init(dst, "main", q->db, "main"))) {
		store_set_errmsg(s, "backup %s: %s", path, sqlite3_errmsg(dst));
		rc = map_err(sqlite3_extended_errcode(dst));
		goto out;
	}
	/* every page in one step, under one read transaction: in WAL mode
	 * tamed writes on meanwhile, and the copy is of one moment. In
	 * steps, any write between two of them (tamed taking mail) starts
	 * the copy again from the first page, so on a busy desk it never
	 * ends */
	do {
		src = sqlite3_backup_step(b, -1);
		if (src == SQLITE_BUSY || src == SQLITE_LOCKED)
			sqlite3_sleep(10);
	} while (src == SQLITE_OK || src == SQLITE_BUSY ||
	    src == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (src != SQLITE_DONE) {
		store_set_errmsg(s, "backup %s: %s", path, sqlite3_errstr(src));
		rc = map_err(src);
	}
out:
	sqlite3_close(dst);
	return rc;
}

/* ---- agents, tokens, sessions ---- */

static enum tame_err
sqlite_agent_create(struct store *s, const char *email, const char *name,
    enum agent_role role, const char *pw_hash, int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO agents(email, name, role, "
	    "pw_hash, created_at) VALUES (?1, coalesce(?2, ''), ?3, ?4, ?5)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	if (role != ROLE_AGENT && role != ROLE_ADMIN)
		return TAME_EINVAL;
	sq_bind_lower(q, st, 1, email);
	sq_bind_text(q, st, 2, name);
	sq_bind_int(q, st, 3, role);
	sq_bind_text(q, st, 4, pw_hash);
	sq_bind_int(q, st, 5, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

#define AGENT_COLS "id, email, name, role, pw_hash, disabled, created_at"

static enum tame_err
agent_fill(struct sq *q, sqlite3_stmt *st, struct agent *out)
{
	enum tame_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sq_row(q, st)))
		goto out;
	out->id = sqlite3_column_int64(st, 0);
	out->role = sqlite3_column_int(st, 3) == ROLE_ADMIN ? ROLE_ADMIN :
	    ROLE_AGENT;
	out->disabled = sqlite3_column_int(st, 5);
	out->created_at = sqlite3_column_int64(st, 6);
	if ((rc = sq_col_dup(st, 1, &out->email)) ||
	    (rc = sq_col_dup(st, 2, &out->name)) ||
	    (rc = sq_col_dup(st, 4, &out->pw_hash)))
		agent_clear(out);
out:
	sq_done(st);
	return rc;
}

static enum tame_err
sqlite_agent_get(struct store *s, int64_t id, struct agent *out)
{
	static const char sql[] = "SELECT " AGENT_COLS
	    " FROM agents WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, id);
	return agent_fill(q, st, out);
}

static enum tame_err
sqlite_agent_by_email(struct store *s, const char *email, struct agent *out)
{
	static const char sql[] = "SELECT " AGENT_COLS
	    " FROM agents WHERE email = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_lower(q, st, 1, email);
	return agent_fill(q, st, out);
}

static enum tame_err
sqlite_agent_update(struct store *s, int64_t id, const char *name, int role,
    const char *pw_hash, int disabled)
{
	static const char sql[] = "UPDATE agents SET"
	    " name = coalesce(?1, name),"
	    " role = CASE WHEN ?2 < 0 THEN role ELSE ?2 END,"
	    " pw_hash = coalesce(?3, pw_hash),"
	    " disabled = CASE WHEN ?4 < 0 THEN disabled ELSE ?4 END"
	    " WHERE id = ?5";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if (role != -1 && role != ROLE_AGENT && role != ROLE_ADMIN)
		return TAME_EINVAL;
	st = sq_stmt(q, sql);
	sq_bind_text(q, st, 1, name);
	sq_bind_int(q, st, 2, role);
	sq_bind_text(q, st, 3, pw_hash);
	sq_bind_int(q, st, 4, disabled < 0 ? -1 : disabled != 0);
	sq_bind_int(q, st, 5, id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

static enum tame_err
sqlite_agent_set_email(struct store *s, int64_t id, const char *email)
{
	static const char sql[] = "UPDATE agents SET email = ?1 WHERE id = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_lower(q, st, 1, email);
	sq_bind_int(q, st, 2, id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

static enum tame_err
sqlite_token_add(struct store *s, int64_t agent_id, const char *token_hash,
    int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO api_tokens(agent_id, "
	    "token_hash, created_at) VALUES (?1, ?2, ?3)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, token_hash);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static enum tame_err
sqlite_tokens_revoke(struct store *s, int64_t agent_id, int64_t *n)
{
	static const char sql[] = "DELETE FROM api_tokens WHERE agent_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*n = sqlite3_changes(q->db);
	return rc;
}

static enum tame_err
sqlite_token_lookup(struct store *s, const char *token_hash,
    int64_t *agent_id)
{
	static const char sql[] = "SELECT agent_id FROM api_tokens"
	    " WHERE token_hash = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, token_hash);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*agent_id = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

static enum tame_err
sqlite_session_add(struct store *s, const char *id_hash, int64_t agent_id,
    const char *csrf, int64_t now, int64_t expires_at)
{
	static const char sql[] = "INSERT INTO sessions(id_hash, agent_id, "
	    "csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";
	/* a session never signed out stays until it expires, then goes
	 * with the next sign-in */
	static const char gone[] = "DELETE FROM sessions"
	    " WHERE expires_at <= ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, gone);
	enum tame_err rc;

	sq_bind_int(q, st, 1, now);
	if ((rc = sq_run(q, st)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_text(q, st, 1, id_hash);
	sq_bind_int(q, st, 2, agent_id);
	sq_bind_text(q, st, 3, csrf);
	sq_bind_int(q, st, 4, now);
	sq_bind_int(q, st, 5, expires_at);
	return sq_run(q, st);
}

static enum tame_err
sqlite_session_lookup(struct store *s, const char *id_hash, int64_t now,
    int64_t *agent_id, char **csrf)
{
	static const char sql[] = "SELECT agent_id, csrf FROM sessions"
	    " WHERE id_hash = ?1 AND expires_at > ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*csrf = NULL;
	sq_bind_text(q, st, 1, id_hash);
	sq_bind_int(q, st, 2, now);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		*agent_id = sqlite3_column_int64(st, 0);
		rc = sq_col_dup(st, 1, csrf);
	}
	sq_done(st);
	return rc;
}

static enum tame_err
sqlite_session_delete(struct store *s, const char *id_hash)
{
	static const char sql[] = "DELETE FROM sessions WHERE id_hash = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_text(q, st, 1, id_hash);
	return sq_run(q, st);
}

/* ---- mailboxes ---- */

static enum tame_err
sqlite_mailbox_create(struct store *s, const char *address, const char *name,
    int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO mailboxes(address, name, "
	    "created_at) VALUES (?1, coalesce(?2, ''), ?3)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_lower(q, st, 1, address);
	sq_bind_text(q, st, 2, name);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

#define MAILBOX_COLS "id, address, name, ack_enabled, ack_template, created_at"

static enum tame_err
mailbox_fill(struct sq *q, sqlite3_stmt *st, struct mailbox *out)
{
	enum tame_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sq_row(q, st)))
		goto out;
	out->id = sqlite3_column_int64(st, 0);
	out->ack_enabled = sqlite3_column_int(st, 3);
	out->created_at = sqlite3_column_int64(st, 5);
	if ((rc = sq_col_dup(st, 1, &out->address)) ||
	    (rc = sq_col_dup(st, 2, &out->name)) ||
	    (rc = sq_col_dup(st, 4, &out->ack_template)))
		mailbox_clear(out);
out:
	sq_done(st);
	return rc;
}

static enum tame_err
sqlite_mailbox_by_address(struct store *s, const char *address,
    struct mailbox *out)
{
	static const char sql[] = "SELECT " MAILBOX_COLS
	    " FROM mailboxes WHERE address = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_lower(q, st, 1, address);
	return mailbox_fill(q, st, out);
}

static enum tame_err
sqlite_mailbox_get(struct store *s, int64_t id, struct mailbox *out)
{
	static const char sql[] = "SELECT " MAILBOX_COLS
	    " FROM mailboxes WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, id);
	return mailbox_fill(q, st, out);
}

static enum tame_err
sqlite_mailbox_first(struct store *s, struct mailbox *out)
{
	static const char sql[] = "SELECT " MAILBOX_COLS
	    " FROM mailboxes ORDER BY id LIMIT 1";
	struct sq *q = SQ(s);

	return mailbox_fill(q, sq_stmt(q, sql), out);
}

static enum tame_err
sqlite_mailbox_update(struct store *s, int64_t id, const char *name,
    int ack_enabled, const char *ack_template)
{
	static const char sql[] = "UPDATE mailboxes SET"
	    " name = coalesce(?1, name),"
	    " ack_enabled = CASE WHEN ?2 < 0 THEN ack_enabled ELSE ?2 END,"
	    " ack_template = coalesce(?3, ack_template)"
	    " WHERE id = ?4";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, name);
	sq_bind_int(q, st, 2, ack_enabled < 0 ? -1 : ack_enabled != 0);
	sq_bind_text(q, st, 3, ack_template);
	sq_bind_int(q, st, 4, id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

static enum tame_err
sqlite_mailbox_count(struct store *s, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM mailboxes";

	return sq_one_int(SQ(s), sql, n);
}

/* ---- customers ---- */

/* Ingest calls this for every message and nearly always finds the
 * customer, so look first and write only when something changes. */
static enum tame_err
sqlite_customer_by_email(struct store *s, const char *email, int64_t *id)
{
	static const char sql[] = "SELECT id FROM customers WHERE email = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_lower(q, st, 1, email);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*id = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

/* A customer is known from their first mail: one from before it (an
 * import of older mail) moves "since" back to it. */
static enum tame_err
sqlite_customer_upsert(struct store *s, const char *email, const char *name,
    int64_t now, int64_t *id)
{
	static const char find[] = "SELECT id, coalesce(name, '') = '',"
	    " created_at > ?2 FROM customers WHERE email = ?1";
	static const char fill[] = "UPDATE customers SET name = ?1"
	    " WHERE id = ?2";
	static const char since[] = "UPDATE customers SET created_at = ?1"
	    " WHERE id = ?2";
	static const char add[] = "INSERT INTO customers(email, name, "
	    "created_at) VALUES (?1, ?2, ?3)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, find);
	enum tame_err rc;
	int noname = 0, older = 0;

	if (name && !*name)
		name = NULL;
	sq_bind_lower(q, st, 1, email);
	sq_bind_int(q, st, 2, now);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		*id = sqlite3_column_int64(st, 0);
		noname = sqlite3_column_int(st, 1);
		older = sqlite3_column_int(st, 2);
	}
	sq_done(st);
	if (rc == TAME_OK) {
		if (noname && name) {
			st = sq_stmt(q, fill);
			sq_bind_text(q, st, 1, name);
			sq_bind_int(q, st, 2, *id);
			if ((rc = sq_run(q, st)))
				return rc;
		}
		if (older) {
			st = sq_stmt(q, since);
			sq_bind_int(q, st, 1, now);
			sq_bind_int(q, st, 2, *id);
			rc = sq_run(q, st);
		}
		return rc;
	}
	if (rc != TAME_ENOTFOUND)
		return rc;
	st = sq_stmt(q, add);
	sq_bind_lower(q, st, 1, email);
	sq_bind_text(q, st, 2, name);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static enum tame_err
sqlite_customer_create(struct store *s, const char *email, const char *name,
    const char *organization, int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO customers(email, name, "
	    "organization, created_at) VALUES (?1, ?2, ?3, ?4)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_lower(q, st, 1, email);
	sq_bind_text(q, st, 2, name);
	sq_bind_text(q, st, 3, organization);
	sq_bind_int(q, st, 4, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static enum tame_err
sqlite_customer_update(struct store *s, int64_t id, const char *name,
    const char *organization)
{
	static const char sql[] = "UPDATE customers SET"
	    " name = coalesce(?1, name),"
	    " organization = coalesce(?2, organization)"
	    " WHERE id = ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, name);
	sq_bind_text(q, st, 2, organization);
	sq_bind_int(q, st, 3, id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

/* ---- raw messages ---- */

/* The bytes as packed (store_raw.c), with their codec (migration 12). */
static enum tame_err
sqlite_raw_add(struct store *s, const struct raw_packed *p,
    const char *mail_from, const char *rcpts, int64_t now, int64_t *raw_id)
{
	static const char sql[] = "INSERT INTO raw_messages(data, mail_from, "
	    "rcpts, received_at, codec) VALUES (?1, ?2, ?3, ?4, ?5)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_blob(q, st, 1, p->data, p->len);
	sq_bind_text(q, st, 2, mail_from);
	sq_bind_text(q, st, 3, rcpts);
	sq_bind_int(q, st, 4, now);
	sq_bind_int(q, st, 5, p->codec);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*raw_id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static enum tame_err
sqlite_raw_get(struct store *s, int64_t raw_id, struct buf *out)
{
	static const char sql[] = "SELECT data, codec FROM raw_messages"
	    " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	const void *p;
	enum tame_err rc;

	sq_bind_int(q, st, 1, raw_id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		p = sqlite3_column_blob(st, 0);
		rc = store_raw_unpack(p ? p : "",
		    (size_t)sqlite3_column_bytes(st, 0),
		    sqlite3_column_int(st, 1), out);
	}
	sq_done(st);
	return rc;
}

static enum tame_err
sqlite_raw_count(struct store *s, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM raw_messages";

	return sq_one_int(SQ(s), sql, n);
}

/* ---- outbox ---- */

static enum tame_err
sqlite_outbox_add(struct store *s, int64_t message_id, int64_t ticket_id,
    const char *mail_from, const char *rcpts, const char *mail_id,
    const char *raw, size_t len, int mass, int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO outbox(message_id, ticket_id, "
	    "mail_from, rcpts, raw, next_attempt_at, created_at, mail_id,"
	    " mass) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_id(q, st, 1, message_id);
	sq_bind_id(q, st, 2, ticket_id);
	sq_bind_text(q, st, 3, mail_from);
	sq_bind_text(q, st, 4, rcpts);
	sq_bind_blob(q, st, 5, raw, len);
	sq_bind_int(q, st, 6, now);
	sq_bind_text(q, st, 7, mail_id);
	sq_bind_int(q, st, 8, mass ? 1 : 0);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static enum tame_err
sqlite_outbox_ack_ticket(struct store *s, const char *mail_id,
    int64_t *ticket_id)
{
	static const char sql[] = "SELECT ticket_id FROM outbox"
	    " WHERE mail_id = ?1 AND message_id IS NULL"
	    " AND ticket_id IS NOT NULL ORDER BY id DESC LIMIT 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, mail_id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*ticket_id = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

static enum tame_err
sqlite_outbox_waiting(struct store *s, int64_t *queued, int64_t *oldest_at)
{
	static const char sql[] = "SELECT count(*), coalesce(min(created_at),"
	    " 0) FROM outbox WHERE state = 'queued'";

	return sq_two_ints(SQ(s), sql, queued, oldest_at);
}

static enum tame_err
sqlite_outbox_next(struct store *s, int64_t now, struct outbox_item *it,
    int64_t *next_due)
{
	static const char due[] = "SELECT min(next_attempt_at) FROM outbox"
	    " WHERE state = 'queued'";
	/* a mass reply's mails after the others (outbox_mass) */
	static const char sql[] = "SELECT id, message_id, ticket_id, "
	    "mail_from, rcpts, raw, attempts, created_at FROM outbox"
	    " INDEXED BY outbox_mass"
	    " WHERE state = 'queued' AND next_attempt_at <= ?1"
	    " ORDER BY mass, next_attempt_at, id LIMIT 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	const void *p;
	size_t len;
	enum tame_err rc;

	store_outbox_item_clear(it);
	if (next_due) {
		st = sq_stmt(q, due);
		if ((rc = sq_row(q, st)) == TAME_OK)
			*next_due = sqlite3_column_int64(st, 0);
		sq_done(st);
		if (rc)
			return rc;
	}
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, now);
	if ((rc = sq_row(q, st)))
		goto out;
	it->id = sqlite3_column_int64(st, 0);
	it->message_id = sqlite3_column_int64(st, 1);
	it->ticket_id = sqlite3_column_int64(st, 2);
	it->attempts = sqlite3_column_int(st, 6);
	it->created_at = sqlite3_column_int64(st, 7);
	if ((rc = sq_col_dup(st, 3, &it->mail_from)) ||
	    (rc = sq_col_dup(st, 4, &it->rcpts)))
		goto out;
	p = sqlite3_column_blob(st, 5);
	len = (size_t)sqlite3_column_bytes(st, 5);
	buf_init(&it->raw, len);
	rc = buf_add(&it->raw, p ? p : "", len);
out:
	sq_done(st);
	if (rc)
		store_outbox_item_clear(it);
	return rc;
}

/* Ends an item and sets its message's delivery in one step. */
static enum tame_err
outbox_finish(struct sq *q, int64_t id, const char *state,
    enum delivery_state ds, const char *error, int64_t now)
{
	static const char upd[] = "UPDATE outbox SET state = ?1,"
	    " last_error = ?2, sent_at = ?3,"
	    " attempts = attempts + (?1 = 'failed') WHERE id = ?4";
	static const char msg[] = "UPDATE messages SET delivery = ?1,"
	    " delivery_error = ?2"
	    " WHERE id = (SELECT message_id FROM outbox WHERE id = ?3)";
	sqlite3_stmt *st;
	enum tame_err rc;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, upd);
	sq_bind_text(q, st, 1, state);
	sq_bind_text(q, st, 2, error);
	if (now > 0)
		sq_bind_int(q, st, 3, now);
	else
		sq_bind_id(q, st, 3, 0);
	sq_bind_int(q, st, 4, id);
	if ((rc = sq_run(q, st)))
		goto out;
	if (sqlite3_changes(q->db) == 0) {
		rc = TAME_ENOTFOUND;
		goto out;
	}
	st = sq_stmt(q, msg);
	sq_bind_int(q, st, 1, ds);
	sq_bind_text(q, st, 2, error);
	sq_bind_int(q, st, 3, id);
	rc = sq_run(q, st);
out:
	return sq_tx_end(q, own, rc);
}

static enum tame_err
sqlite_outbox_sent(struct store *s, int64_t id, int64_t now)
{
	return outbox_finish(SQ(s), id, "sent", DELIVERY_SENT, NULL, now);
}

static enum tame_err
sqlite_outbox_failed(struct store *s, int64_t id, const char *error)
{
	return outbox_finish(SQ(s), id, "failed", DELIVERY_FAILED, error, 0);
}

static enum tame_err
sqlite_outbox_unwait(struct store *s, const char *prefix, int64_t now)
{
	static const char sql[] = "UPDATE outbox SET next_attempt_at = ?1"
	    " WHERE state = 'queued' AND next_attempt_at > ?1"
	    " AND substr(last_error, 1, length(?2)) = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, now);
	sq_bind_text(q, st, 2, prefix);
	return sq_run(q, st);
}

static enum tame_err
sqlite_outbox_retry(struct store *s, int64_t id, int64_t next_at,
    const char *error, int tried)
{
	static const char sql[] = "UPDATE outbox SET attempts = attempts + ?4,"
	    " next_attempt_at = ?1, last_error = ?2"
	    " WHERE id = ?3 AND state = 'queued'";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, next_at);
	sq_bind_text(q, st, 2, error);
	sq_bind_int(q, st, 3, id);
	sq_bind_int(q, st, 4, tried != 0);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

/* ---- the table ---- */

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.read_begin = sqlite_read_begin,
	.read_end = sqlite_read_end,
	.rollback = sqlite_rollback,
	.savepoint = sqlite_savepoint,
	.release = sqlite_release,
	.rollback_to = sqlite_rollback_to,
	.backup = sqlite_backup,
	.export_json = store_sqlite_export_json,

	.agent_create = sqlite_agent_create,
	.agent_get = sqlite_agent_get,
	.agent_by_email = sqlite_agent_by_email,
	.agent_update = sqlite_agent_update,
	.agent_set_email = sqlite_agent_set_email,
	.agents_view = store_sqlite_agents_view,
	.agent_view = store_sqlite_agent_view,
	.token_add = sqlite_token_add,
	.token_lookup = sqlite_token_lookup,
	.tokens_revoke = sqlite_tokens_revoke,
	.session_add = sqlite_session_add,
	.session_lookup = sqlite_session_lookup,
	.session_delete = sqlite_session_delete,

	.mailbox_create = sqlite_mailbox_create,
	.mailbox_by_address = sqlite_mailbox_by_address,
	.mailbox_get = sqlite_mailbox_get,
	.mailbox_first = sqlite_mailbox_first,
	.mailbox_update = sqlite_mailbox_update,
	.mailboxes_view = store_sqlite_mailboxes_view,
	.mailbox_view = store_sqlite_mailbox_view,
	.mailbox_count = sqlite_mailbox_count,

	.customer_upsert = sqlite_customer_upsert,
	.customer_by_email = sqlite_customer_by_email,
	.customer_create = sqlite_customer_create,
	.customer_update = sqlite_customer_update,
	.customers_view = store_sqlite_customers_view,
	.customer_view = store_sqlite_customer_view,

	.raw_add = sqlite_raw_add,
	.raw_get = sqlite_raw_get,
	.raw_count = sqlite_raw_count,
	.message_original = store_sqlite_message_original,
	.message_html = store_sqlite_message_html,

	.message_find = store_sqlite_message_find,
	.message_to = store_sqlite_message_to,
	.ticket_by_message_ids = store_sqlite_ticket_by_message_ids,
	.ticket_ref = store_sqlite_ticket_ref,
	.participant_add = store_sqlite_participant_add,
	.participant_has = store_sqlite_participant_has,
	.ticket_create = store_sqlite_ticket_create,
	.ticket_link = store_sqlite_ticket_link,
	.ticket_answers = store_sqlite_ticket_answers,
	.ticket_began = store_sqlite_ticket_began,
	.message_add = store_sqlite_message_add,
	.index_defer = store_sqlite_index_defer,
	.bulk_writer = sqlite_bulk_writer,
	.schema = sqlite_schema,
	.lazy_sync = sqlite_lazy_sync,
	.sync = sqlite_sync,
	.settle = sqlite_settle,
	.index_pending = store_sqlite_index_pending,
	.attachment_add = store_sqlite_attachment_add,
	.ticket_set_status = store_sqlite_ticket_set_status,
	.ticket_leave_disabled = store_sqlite_ticket_leave_disabled,
	.message_set_delivery = store_sqlite_message_set_delivery,
	.event_add = store_sqlite_event_add,
	.ack_allow = store_sqlite_ack_allow,

	.tickets_view = store_sqlite_tickets_view,
	.tickets_view_text = store_sqlite_tickets_view_text,
	.ticket_view = store_sqlite_ticket_view,
	.reply_ctx = store_sqlite_reply_ctx,
	.ticket_update = store_sqlite_ticket_update,
	.attachment_get = store_sqlite_attachment_get,
	.ticket_count = store_sqlite_ticket_count,
	.changes_after = store_sqlite_changes_after,

	.outbox_add = sqlite_outbox_add,
	.outbox_ack_ticket = sqlite_outbox_ack_ticket,
	.outbox_waiting = sqlite_outbox_waiting,
	.outbox_next = sqlite_outbox_next,
	.outbox_sent = sqlite_outbox_sent,
	.outbox_retry = sqlite_outbox_retry,
	.outbox_unwait = sqlite_outbox_unwait,
	.outbox_failed = sqlite_outbox_failed,

	.imap_set = store_sqlite_imap_set,
	.imap_delete = store_sqlite_imap_delete,
	.imap_get = store_sqlite_imap_get,
	.imap_list = store_sqlite_imap_list,
	.imap_state_get = store_sqlite_imap_state_get,
	.imap_state_set = store_sqlite_imap_state_set,
	.imap_status = store_sqlite_imap_status,
	.imap_watch = store_sqlite_imap_watch,
	.imap_view = store_sqlite_imap_view,

	.relay_set = store_sqlite_relay_set,
	.relay_delete = store_sqlite_relay_delete,
	.relay_get = store_sqlite_relay_get,
	.signature_get = store_sqlite_signature_get,
	.signature_set = store_sqlite_signature_set,

	.intel = &store_sqlite_intel_ops,
	.desk = &store_sqlite_desk_ops,
	.tags = &store_sqlite_tags_ops,
};
