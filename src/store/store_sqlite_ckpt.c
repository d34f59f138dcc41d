/*
 * store_sqlite_ckpt.c - WAL checkpoints on a thread of their own. See
 * store_sqlite.h.
 *
 * Model: in WAL mode every commit appends pages to the -wal file, and a
 * checkpoint copies them back into the database. SQLite's automatic
 * checkpoint runs inside the COMMIT that crosses the threshold, on the
 * committing thread: for the ingest writer that is a pause of several
 * milliseconds every few hundred messages, with the batch's SMTP
 * answers waiting, and about a sixth of the importer's time on its one
 * busy core. Here each connection replaces the automatic checkpoint
 * with a WAL hook that only wakes a checkpointer thread, one per
 * database file in the process, which runs PASSIVE checkpoints on its
 * own connection (they never block readers or the writer). The thread
 * starts on the first wake-up, so short-lived `tame` commands never
 * start one, and stops when the last connection to its file closes.
 * Should it fail to start, the committing connection checkpoints
 * itself, as SQLite would have (at CKPT_PAGES, not SQLite's 1000).
 *
 * The same per-file object syncs the WAL for a connection whose commits
 * do not wait for the disk (store_lazy_sync: the ingest writer, with
 * synchronous=NORMAL). Its COMMIT returns once the frames are written;
 * sq_ckpt_sync(), run on another thread, then fdatasync()s the WAL on a
 * descriptor of its own, so every commit that returned before the call
 * is durable when it returns. A commit's frames are either still in the
 * WAL or, after a checkpoint that synced them first, in the database.
 * The descriptor is checked against the file's name before each sync:
 * a WAL deleted and created anew (all connections closed meanwhile) is
 * opened again, and its directory synced, as SQLite does for a new WAL.
 *
 * A sync that fails is final for the process: Linux reports a failed
 * write-back once and marks the pages clean, so the next fdatasync()
 * succeeds without having written them, and every WAL frame after a lost
 * one is thrown away by recovery as well (the frames' checksums chain).
 * So every later sq_ckpt_sync() fails too, until tamed is restarted
 * (PostgreSQL stops on a failed fsync for the same reason).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../core/util.h"
#include "store_sqlite.h"

/* WAL frames (4 kB pages) from which every commit wants a checkpoint:
 * 64 MB. The hook is given all the frames in the WAL, so past this the
 * checkpointer runs back to back until it has caught up and the WAL
 * starts over, and then not again until the new WAL has this many
 * frames. The first checkpoint of each round copies each page once,
 * however often the WAL holds it, and the pages of the ticket indexes
 * are in nearly every commit. 100,000 mails by SMTP, 16 connections,
 * alternating runs: the checkpointer used 5.1-5.5 s of CPU with
 * SQLite's default of 1000, 2.7-2.8 s with 16000; 3,514-4,071 msg/s
 * against 3,824-4,259. Under a steady stream of mail the WAL seldom
 * starts over either way and grows with the burst (after 100,000
 * mails 163-224 MB here, 171-186 MB with 1000; after 300,000, 271 MB
 * and 195 MB) until the checkpoint catches up and the WAL starts over,
 * cut back to 64 MB (journal_size_limit, store_sqlite.c); meanwhile a
 * reader may look a page up in more WAL hash blocks. Should the
 * checkpointer not start, the committing connection checkpoints
 * inline, at this size too. */
#define CKPT_PAGES 16000

struct sq_ckpt {
	struct sq_ckpt *next;
	char *path;
	int refs;               /* connections open on path */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int started;            /* thread running */
	int failed;             /* could not start: checkpoint inline */
	int wanted, stopping;
	pthread_mutex_t sync_mu; /* the WAL descriptor below */
	int walfd;              /* for sq_ckpt_sync(); -1 until needed */
	int dbfd;               /* the database file opened, to tell that
	                           it is still the one at path; or -1 */
	int moved;              /* it is not: said once in the log */
	int sync_failed;        /* a sync failed: said once in the log,
	                           and none is trusted after it */
};

static pthread_mutex_t ckpt_list_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sq_ckpt *ckpt_list;

static void *
ckpt_main(void *arg)
{
	struct sq_ckpt *c = arg;
	sqlite3 *db = NULL;
	int src;

	pthread_setname_np(pthread_self(), "checkpoint");
	src = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	/* A connection opens the WAL only once it has read the file; a
	 * checkpoint on one that has not would do nothing. Its checkpoints
	 * sync the WAL before copying it and the database after: commits
	 * of a lazy-sync writer not yet synced may be among the frames. */
	if (src == SQLITE_OK) {
		sqlite3_busy_timeout(db, 1000);
		src = sqlite3_exec(db, "PRAGMA journal_mode;"
		    "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	}
	if (src != SQLITE_OK)
		tame_log(TAME_LOG_WARN, "store: checkpointer: %s",
		    sqlite3_errstr(src));
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->wanted && !c->stopping)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stopping)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->mu);
		if (src == SQLITE_OK && (src = sqlite3_wal_checkpoint_v2(db,
		    NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL)) != SQLITE_OK) {
			if ((src & 0xff) != SQLITE_BUSY &&
			    (src & 0xff) != SQLITE_LOCKED)
				tame_log(TAME_LOG_WARN, "store: checkpoint: %s",
				    sqlite3_errmsg(db));
			src = SQLITE_OK;
		}
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	sqlite3_close(db);
	return NULL;
}

/* Runs after every commit of a connection, on its thread. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *schema, int pages)
{
	struct sq_ckpt *c = arg;
	int inline_ckpt = 0;

	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&c->mu);
	if (!c->started && !c->failed && !c->stopping) {
		if (pthread_create(&c->thread, NULL, ckpt_main, c) == 0)
			c->started = 1;
		else
			c->failed = 1;
	}
	if (c->started) {
		c->wanted = 1;
		pthread_cond_signal(&c->cv);
	} else {
		inline_ckpt = 1;
	}
	pthread_mutex_unlock(&c->mu);
	if (inline_ckpt)
		sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	return SQLITE_OK;
}

/* Hands q's checkpoints to the checkpointer of path. See
 * store_sqlite.h. */
enum tame_err
sq_ckpt_attach(struct sq *q, const char *path)
{
	struct sq_ckpt *c;
	enum tame_err rc = TAME_OK;

	pthread_mutex_lock(&ckpt_list_mu);
	for (c = ckpt_list; c; c = c->next)
		if (strcmp(c->path, path) == 0)
			break;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))) ||
		    !(c->path = strdup(path))) {
			free(c);
			rc = TAME_ENOMEM;
			goto out;
		}
		pthread_mutex_init(&c->mu, NULL);
		pthread_cond_init(&c->cv, NULL);
		pthread_mutex_init(&c->sync_mu, NULL);
		c->walfd = -1;
		c->dbfd = open(path, O_RDONLY | O_CLOEXEC);
		c->next = ckpt_list;
		ckpt_list = c;
	}
	c->refs++;
	q->ckpt = c;
	sqlite3_wal_hook(q->db, ckpt_hook, c);
out:
	pthread_mutex_unlock(&ckpt_list_mu);
	return rc;
}

/* Lets go of q's checkpointer; the last connection stops it. See
 * store_sqlite.h. */
void
sq_ckpt_detach(struct sq *q)
{
	struct sq_ckpt *c = q->ckpt, **pp;

	if (!c)
		return;
	sqlite3_wal_hook(q->db, NULL, NULL);
	q->ckpt = NULL;
	pthread_mutex_lock(&ckpt_list_mu);
	if (--c->refs > 0) {
		pthread_mutex_unlock(&ckpt_list_mu);
		return;
	}
	for (pp = &ckpt_list; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&ckpt_list_mu);
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->started)
		pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	if (c->walfd >= 0)
		close(c->walfd);
	if (c->dbfd >= 0)
		close(c->dbfd);
	pthread_mutex_destroy(&c->sync_mu);
	free(c->path);
	free(c);
}

/* fsync()s the file or directory at path. */
/* fsync of path: 0, -1 when it cannot be opened (too many open files:
 * a passing trouble), -2 when the sync itself failed; errno says why. */
static int
sync_path(const char *path, int dir)
{
	int fd, r, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC |
	    (dir ? O_DIRECTORY : 0))) < 0)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r ? -2 : 0;
}

/* Whether fd is still the file named wal (or the database). */
static int
same_file(int fd, const char *wal)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && a.st_nlink > 0 && stat(wal, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* See store_sqlite.h. */
enum tame_err
sq_ckpt_sync(struct sq *q)
{
	struct sq_ckpt *c = q->ckpt;
	char wal[PATH_MAX], dir[PATH_MAX], *slash;
	enum tame_err rc = TAME_OK;
	int n, r, err = 0;

	if (!c)
		return TAME_EINVAL;
	n = snprintf(wal, sizeof(wal), "%s-wal", c->path);
	if (n < 0 || (size_t)n >= sizeof(wal))
		return TAME_EINVAL;
	pthread_mutex_lock(&c->sync_mu);
	/* the database file removed (or another put in its place) while
	 * in use: what is written goes into a file no one will open
	 * again, so nothing is durable any more */
	if (c->dbfd >= 0 && !same_file(c->dbfd, c->path)) {
		if (!c->moved)
			tame_log(TAME_LOG_ERR, "store: %s was removed or "
			    "replaced while in use; nothing is stored until "
			    "tamed is restarted on the store", c->path);
		c->moved = 1;
		pthread_mutex_unlock(&c->sync_mu);
		return TAME_EIO;
	}
	if (c->sync_failed) {
		pthread_mutex_unlock(&c->sync_mu);
		return TAME_EIO;
	}
	if (c->walfd >= 0 && !same_file(c->walfd, wal)) {
		close(c->walfd);
		c->walfd = -1;
	}
	if (c->walfd < 0) {
		if ((c->walfd = open(wal, O_RDONLY | O_CLOEXEC)) < 0) {
			/* No WAL: the last connection checkpointed it into
			 * the database and removed it; sync that. */
			r = errno == ENOENT ? sync_path(c->path, 0) : -1;
			err = errno;
			if (r)
				rc = r == -2 ? TAME_EIO : TAME_EBUSY;
			goto out;
		}
		/* a WAL new to us: its name must survive a crash too */
		snprintf(dir, sizeof(dir), "%s", c->path);
		if ((slash = strrchr(dir, '/')))
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		if ((r = sync_path(dir, 1)) != 0) {
			err = errno;
			rc = r == -2 ? TAME_EIO : TAME_EBUSY;
			/* not opened: the directory is synced next time */
			close(c->walfd);
			c->walfd = -1;
			goto out;
		}
	}
	if (fdatasync(c->walfd) != 0) {
		err = errno;
		rc = TAME_EIO;
	}
out:
	/* a sync that failed is never trusted again; a file that could
	 * not be opened (out of descriptors) only fails this batch */
	if (rc == TAME_EIO)
		c->sync_failed = 1;
	pthread_mutex_unlock(&c->sync_mu);
	/* logged, not set on q: q's own thread may be using its message */
	if (rc == TAME_EIO)
		tame_log(TAME_LOG_ERR, "store: sync %s: %s: what was written "
		    "since the last sync may not be on disk, and no later sync "
		    "can be trusted: nothing more is made durable until tamed "
		    "is restarted (check the disk first)", wal, strerror(err));
	else if (rc)
		tame_log(TAME_LOG_WARN, "store: sync %s: cannot open it (%s); "
		    "what waits for it is answered \"try again later\"", wal,
		    strerror(err));
	return rc;
}
