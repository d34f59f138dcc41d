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
 * itself, as SQLite would have.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "../core/util.h"
#include "store_sqlite.h"

/* WAL pages (4 kB) after which a checkpoint is wanted: SQLite's default
 * of 1000. */
#define CKPT_PAGES 1000

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
	 * checkpoint on one that has not would do nothing. */
	if (src == SQLITE_OK) {
		sqlite3_busy_timeout(db, 1000);
		src = sqlite3_exec(db, "PRAGMA journal_mode", NULL, NULL, NULL);
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
	free(c->path);
	free(c);
}
