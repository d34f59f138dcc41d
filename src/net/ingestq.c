/*
 * ingestq.c - group commit for incoming mail. See ingestq.h.
 *
 * Three stages, each a singly linked list under the one mutex. A message
 * is parsed (ingest_prepare: GMime and everything else that needs no
 * store) before it reaches the writer: a small one right away on the
 * submitting thread (the SMTP loop; that costs it tens of microseconds
 * and saves two thread hand-offs), a large one by a parser thread
 * (INGESTQ_PARSERS), so that a 25 MB message does not hold up every
 * other SMTP session while it is parsed. The writer thread sleeps on a condition
 * variable, takes every parsed job waiting (at most
 * TAME_GROUP_COMMIT_MAX), and runs one transaction for the lot, so the
 * single writer of the store only writes while the next batch is being
 * parsed on the other cores. Each message gets its own save point
 * (ingest_prepared), so a message that fails is rolled back alone and
 * answered 451 while the others commit.
 *
 * Durability is pipelined: the writer's COMMIT writes the WAL and
 * returns (store_lazy_sync), and a syncer thread makes the committed
 * batches durable (store_sync, one fdatasync for every batch committed
 * meanwhile) before it answers them. While the syncer syncs, the writer
 * keeps storing the mail that arrives into its next transaction, and
 * commits it when the syncer is free. So the writer stores the next
 * batch while the disk syncs the last, a batch is as large as the disk
 * is slow (a commit costs the writer about as much as storing a few
 * messages), and a 250 still comes only after the message is on disk.
 * Before, sixteen senders waited for one disk sync per batch, which
 * took milliseconds, longer than storing the batch.
 *
 * A failed sync stops the queue for good (until tamed is restarted):
 * what the failed batch wrote may never reach the disk, and neither
 * may anything after it (store_sync), so from then on every message is
 * answered 451 and nothing more is written. Without that, the sender's
 * retry of the failed batch's message was found in the store as a
 * duplicate and answered 250, and so was every later message.
 *
 * The writer's connection defers the search index (store_index_defer):
 * FTS5 costs about twice as much per message in a commit of a dozen as
 * in one of hundreds, and a 250 need not wait for the index. Messages
 * queue for the index in their own transaction; the writer indexes the
 * queue INGESTQ_INDEX_BATCH at a time when the queue has grown that
 * long or no mail came for INGESTQ_INDEX_IDLE_MS. Searches see queued
 * messages as well.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../core/util.h"
#include "../mail/ingest.h"
#include "../store/store.h"
#include "../tame_limits.h"
#include "ingestq.h"

/* Messages up to this size are parsed by the submitting thread. */
#define INGESTQ_INLINE_MAX (128 * 1024)
/* Parser threads for the larger ones. */
#define INGESTQ_PARSERS 1
/* Messages indexed for search in one pass: large enough to be cheap per
 * message (FTS5 costs 35 us for a 4 kB mail in a pass of 128, 31 us in
 * one of 1024, 49 us in one of 10), small enough that a pass holds the
 * next batch only a few milliseconds. */
#define INGESTQ_INDEX_BATCH 256
/* Quiet time after which the writer indexes a shorter queue. */
#define INGESTQ_INDEX_IDLE_MS 20

struct job {
	struct job *next;
	char *raw;
	size_t len;
	char *mail_from;
	char *rcpts;
	struct ingest_prep *ip;   /* set by a parser; NULL if it ran out
	                             of memory (the writer then parses) */
	ingestq_done_fn done;
	void *arg;
	enum tame_err rc;
};

/* A FIFO of jobs. */
struct jobq {
	struct job *head, **tail;
};

/* The writer's open transaction and the jobs stored in it. */
struct txn {
	int open;
	int n, stored;
	struct jobq jobs;
};

struct ingestq {
	pthread_t thread;
	pthread_t parsers[INGESTQ_PARSERS];
	int nparsers;
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* the writer: parsed work or stopping */
	pthread_cond_t parse_cv;   /* the parsers: submitted work or stopping */
	pthread_cond_t sync_cv;    /* the syncer: committed work or stopping */
	pthread_t syncer;
	struct jobq submitted, parsed, committed;
	int stopping;              /* no more submissions; parsers drain */
	int parsers_done;          /* every parser has exited */
	int writer_done;           /* the writer has exited */
	int syncing;               /* the syncer is syncing and answering */
	int64_t lock_wait_ms;      /* how long the writer waits for another
	                              process's write lock (the store's
	                              busy timeout rounds it up) */
	int lock_said;             /* that wait is in the log */
	int sync_failed;           /* a sync failed: everything is refused
	                              (451) until tamed is restarted */
	struct store *store;
	int64_t unindexed;         /* queued for the index (writer only);
	                              -1: not known yet */
	void (*after_commit)(void *);
	void *after_arg;
};

static void
jobq_push(struct jobq *jq, struct job *j)
{
	j->next = NULL;
	*jq->tail = j;
	jq->tail = &j->next;
}

static struct job *
jobq_pop(struct jobq *jq)
{
	struct job *j = jq->head;

	if (j && !(jq->head = j->next))
		jq->tail = &jq->head;
	return j;
}

static void
job_free(struct job *j)
{
	ingest_prep_free(j->ip);
	free(j->raw);
	free(j->mail_from);
	free(j->rcpts);
	free(j);
}

/* Whether tamed is stopping: a wait for another process's lock ends. */
static int
stopping(struct ingestq *q)
{
	int s;

	pthread_mutex_lock(&q->mu);
	s = q->stopping;
	pthread_mutex_unlock(&q->mu);
	return s;
}

int
ingestq_failing(struct ingestq *q)
{
	int f;

	pthread_mutex_lock(&q->mu);
	f = q->sync_failed;
	pthread_mutex_unlock(&q->mu);
	return f;
}

/* Stores jobs in the open transaction (opening it first when tx is not
 * set), each in a save point; they join the transaction's list. */
static void
ingestq_run(struct ingestq *q, struct txn *tx, struct job *batch)
{
	struct job *j, *next;
	enum tame_err rc = TAME_OK;
	int64_t now = tame_now_ms(), t0 = tame_mono_ms();

	/* after a failed sync nothing more is written (ingestq_syncer) */
	if (!tx->open && ingestq_failing(q))
		rc = TAME_EIO;
	/* another process holding the store's write lock (a tame command
	 * stopped with Ctrl-Z, a sqlite3 shell in a transaction) is waited
	 * for a while; then the senders hear 451 and try again later,
	 * rather than wait without an answer for as long as it lasts */
	if (!tx->open && !rc) {
		while ((rc = store_begin(q->store)) == TAME_EBUSY &&
		    tame_mono_ms() - t0 < q->lock_wait_ms && !stopping(q)) {
			if (!q->lock_said)
				tame_log(TAME_LOG_WARN, "ingest: the store is "
				    "locked by another process; waiting");
			q->lock_said = 1;
			usleep(20000);
		}
		if (rc)
			tame_log(TAME_LOG_ERR, "ingest: cannot begin: %s%s",
			    store_errmsg(q->store), rc == TAME_EBUSY ?
			    " (locked by another process for too long; the "
			    "senders are told to try again later)" : "");
		else
			tx->open = 1;
		if (!rc && q->lock_said) {
			tame_log(TAME_LOG_INFO, "ingest: the store is "
			    "writable again");
			q->lock_said = 0;
		}
	}
	for (j = batch; j; j = next) {
		next = j->next;
		jobq_push(&tx->jobs, j);
		tx->n++;
		if (rc) {
			j->rc = rc;
			continue;
		}
		/* a message that fails leaves nothing behind (ingest.h) */
		if (j->ip)
			j->rc = ingest_prepared(q->store, j->ip, j->raw, j->len,
			    j->mail_from, j->rcpts, now, NULL);
		else
			j->rc = ingest_message(q->store, j->raw, j->len,
			    j->mail_from, j->rcpts, now, NULL);
		if (j->rc) {
			tame_log(TAME_LOG_WARN, "ingest: message refused for "
			    "now: %s (%s)", tame_strerror(j->rc),
			    store_errmsg(q->store));
		} else {
			tx->stored++;
		}
	}
}

/* Commits the open transaction, if any, and hands its jobs to the
 * syncer, which answers them once the commit is on disk. */
static void
ingestq_commit(struct ingestq *q, struct txn *tx)
{
	struct job *j;
	enum tame_err rc;

	if (tx->open && (rc = store_commit(q->store))) {
		tame_log(TAME_LOG_ERR, "ingest: commit failed: %s",
		    store_errmsg(q->store));
		store_rollback(q->store);
		for (j = tx->jobs.head; j; j = j->next)
			j->rc = rc;
		tx->stored = 0;
	}
	if (q->unindexed >= 0)
		q->unindexed += tx->stored;
	pthread_mutex_lock(&q->mu);
	while ((j = jobq_pop(&tx->jobs)))
		jobq_push(&q->committed, j);
	pthread_cond_signal(&q->sync_cv);
	pthread_mutex_unlock(&q->mu);
	tx->open = 0;
	tx->n = 0;
	tx->stored = 0;
}

/* Indexes up to INGESTQ_INDEX_BATCH queued messages for search. */
static void
ingestq_index(struct ingestq *q)
{
	int64_t left = 0;
	enum tame_err rc;

	if (ingestq_failing(q)) {
		q->unindexed = 0;	/* nothing more is written */
		return;
	}
	if ((rc = store_begin(q->store)) == TAME_OK &&
	    (rc = store_index_pending(q->store, INGESTQ_INDEX_BATCH,
	    &left)) == TAME_OK)
		rc = store_commit(q->store);
	if (rc) {
		tame_log(TAME_LOG_WARN, "ingest: search index: %s (%s)",
		    tame_strerror(rc), store_errmsg(q->store));
		store_rollback(q->store);
		left = 0;	/* try again after the next batch */
	}
	q->unindexed = left;
}

/* The syncer: committed -> durable -> answered, until the writer has
 * exited and nothing is left. A failed sync answers the batch as not
 * stored (451), and every batch after it too, whatever its own sync
 * says: the failed batch's messages may be in the store all the same,
 * but not on disk, so a sender's retry found there as a duplicate must
 * not count as stored either. Said once in the log. */
static void *
ingestq_syncer(void *arg)
{
	struct ingestq *q = arg;
	struct job *list, *j, *next;
	enum tame_err rc;
	int stored, failed;

	pthread_setname_np(pthread_self(), "ingest-sync");
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->committed.head && !q->writer_done)
			pthread_cond_wait(&q->sync_cv, &q->mu);
		if (!(list = q->committed.head))
			break;
		q->committed.head = NULL;
		q->committed.tail = &q->committed.head;
		q->syncing = 1;
		failed = q->sync_failed;
		pthread_mutex_unlock(&q->mu);
		for (stored = 0, j = list; j; j = j->next)
			stored += j->rc == TAME_OK;
		rc = failed ? TAME_EIO : stored ? store_sync(q->store) :
		    TAME_OK;
		/* out of descriptors (TAME_EBUSY) fails this batch only */
		if (rc == TAME_EIO && !failed) {
			tame_log(TAME_LOG_ERR, "ingest: the store could not be "
			    "synced to disk: every message is now answered 451 "
			    "(try again later) and none is stored until tamed is "
			    "restarted; check the disk, then restart tamed");
			pthread_mutex_lock(&q->mu);
			q->sync_failed = 1;
			pthread_mutex_unlock(&q->mu);
		}
		for (j = list; j; j = next) {
			next = j->next;
			j->done(j->arg, j->rc ? j->rc : rc);
			job_free(j);
		}
		if (stored && rc == TAME_OK && q->after_commit)
			q->after_commit(q->after_arg);
		pthread_mutex_lock(&q->mu);
		q->syncing = 0;
		pthread_cond_signal(&q->cv);	/* the writer may commit */
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* A parser: submitted -> parsed, until stopping and nothing is left. */
static void *
ingestq_parser(void *arg)
{
	struct ingestq *q = arg;
	struct job *j;

	pthread_setname_np(pthread_self(), "ingest-parse");
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->submitted.head && !q->stopping)
			pthread_cond_wait(&q->parse_cv, &q->mu);
		if (!(j = jobq_pop(&q->submitted)))
			break;	/* stopping, and drained */
		pthread_mutex_unlock(&q->mu);
		if (ingest_prepare(j->raw, j->len, j->mail_from, &j->ip))
			j->ip = NULL;
		pthread_mutex_lock(&q->mu);
		jobq_push(&q->parsed, j);
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Whether the writer should stop waiting: more mail to store, a
 * transaction to commit (the syncer is free, the batch is full, or the
 * queue is stopping), or, with no transaction, quiet time for the index
 * or the end. Called with q->mu held. */
static int
writer_ready(struct ingestq *q, const struct txn *tx, int idle)
{
	int busy = q->syncing || q->committed.head;

	if (q->parsed.head && tx->n < TAME_GROUP_COMMIT_MAX)
		return 1;
	if (tx->n)
		return !busy || tx->n >= TAME_GROUP_COMMIT_MAX ||
		    q->parsers_done;
	return q->parsers_done || idle;
}

/* The writer. While the syncer syncs the last commit, the writer keeps
 * its next transaction open and stores the mail that arrives meanwhile
 * into it, and commits once the syncer is free (or the batch is full):
 * the batch is as large as the disk is slow, and no message waits for
 * more than the sync before it and its own. */
static void *
ingestq_main(void *arg)
{
	struct ingestq *q = arg;
	struct job *batch, *j, **bt;
	struct timespec until;
	struct txn tx;
	int n, idle;

	memset(&tx, 0, sizeof(tx));
	tx.jobs.tail = &tx.jobs.head;
	pthread_setname_np(pthread_self(), "ingest-write");
	for (;;) {
		pthread_mutex_lock(&q->mu);
		idle = 0;
		while (!writer_ready(q, &tx, idle)) {
			if (tx.n || q->unindexed == 0) {
				pthread_cond_wait(&q->cv, &q->mu);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += INGESTQ_INDEX_IDLE_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			idle = pthread_cond_timedwait(&q->cv, &q->mu,
			    &until) == ETIMEDOUT;
		}
		if (q->parsed.head && tx.n < TAME_GROUP_COMMIT_MAX) {
			/* take what fits in the batch */
			batch = q->parsed.head;
			bt = &batch;
			for (n = tx.n, j = q->parsed.head;
			    j && n < TAME_GROUP_COMMIT_MAX; n++) {
				bt = &j->next;
				j = j->next;
			}
			q->parsed.head = j;
			*bt = NULL;
			if (!q->parsed.head)
				q->parsed.tail = &q->parsed.head;
			pthread_mutex_unlock(&q->mu);
			ingestq_run(q, &tx, batch);
			continue;
		}
		pthread_mutex_unlock(&q->mu);
		if (tx.n) {
			ingestq_commit(q, &tx);
			if (q->unindexed >= INGESTQ_INDEX_BATCH)
				ingestq_index(q);
			continue;
		}
		/* quiet: index, or stop when told (after indexing what is
		 * left, so it is searchable right away) */
		if (q->unindexed != 0) {
			ingestq_index(q);
			continue;
		}
		break;
	}
	return NULL;
}

/* Stops the parsers (after they drained the queue) and tells the writer
 * that no more parsed work will come. */
static void
parsers_stop(struct ingestq *q)
{
	int i;

	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->parse_cv);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->nparsers; i++)
		pthread_join(q->parsers[i], NULL);
	pthread_mutex_lock(&q->mu);
	q->parsers_done = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Tells the syncer that the writer has exited, and waits until it has
 * answered everything committed. */
static void
syncer_stop(struct ingestq *q)
{
	pthread_mutex_lock(&q->mu);
	q->writer_done = 1;
	pthread_cond_signal(&q->sync_cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->syncer, NULL);
}

enum tame_err
ingestq_start(const char *datadir, struct ingestq **out)
{
	struct ingestq *q;
	enum tame_err rc;
	int i;

	if (!(q = calloc(1, sizeof(*q))))
		return TAME_ENOMEM;
	q->submitted.tail = &q->submitted.head;
	q->parsed.tail = &q->parsed.head;
	q->lock_wait_ms = tame_env_i64("TAME_INGEST_LOCK_WAIT_MS", 1, 600000,
	    30000);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	pthread_cond_init(&q->parse_cv, NULL);
	pthread_cond_init(&q->sync_cv, NULL);
	q->committed.tail = &q->committed.head;
	if ((rc = store_open(datadir, 0, &q->store)))
		goto fail;
	store_index_defer(q->store, 1);
	store_bulk_writer(q->store);
	if (pthread_create(&q->syncer, NULL, ingestq_syncer, q) != 0) {
		store_close(q->store);
		rc = TAME_EIO;
		goto fail;
	}
	/* commits may now leave the sync to the syncer; should this fail,
	 * each COMMIT syncs itself and store_sync() costs little */
	store_lazy_sync(q->store);
	q->unindexed = -1;	/* a crash may have left some */
	for (i = 0; i < INGESTQ_PARSERS; i++) {
		if (pthread_create(&q->parsers[i], NULL, ingestq_parser, q))
			break;
		q->nparsers++;
	}
	if (q->nparsers == 0 ||
	    pthread_create(&q->thread, NULL, ingestq_main, q) != 0) {
		parsers_stop(q);
		syncer_stop(q);
		store_close(q->store);
		rc = TAME_EIO;
		goto fail;
	}
	*out = q;
	return TAME_OK;
fail:
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->parse_cv);
	pthread_cond_destroy(&q->sync_cv);
	free(q);
	return rc;
}

void
ingestq_stop(struct ingestq *q)
{
	if (!q)
		return;
	parsers_stop(q);
	pthread_join(q->thread, NULL);
	syncer_stop(q);
	store_close(q->store);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->parse_cv);
	pthread_cond_destroy(&q->sync_cv);
	free(q);
}

void
ingestq_submit(struct ingestq *q, char *raw, size_t len, char *mail_from,
    char *rcpts, ingestq_done_fn done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j || !raw) {
		free(j);
		free(raw);
		free(mail_from);
		free(rcpts);
		done(arg, TAME_ENOMEM);
		return;
	}
	j->raw = raw;
	j->len = len;
	j->mail_from = mail_from;
	j->rcpts = rcpts;
	j->done = done;
	j->arg = arg;
	if (len <= INGESTQ_INLINE_MAX) {
		if (ingest_prepare(j->raw, j->len, j->mail_from, &j->ip))
			j->ip = NULL;	/* the writer will try again */
		pthread_mutex_lock(&q->mu);
		jobq_push(&q->parsed, j);
		pthread_cond_signal(&q->cv);
	} else {
		pthread_mutex_lock(&q->mu);
		jobq_push(&q->submitted, j);
		pthread_cond_signal(&q->parse_cv);
	}
	pthread_mutex_unlock(&q->mu);
}

void
ingestq_set_after_commit(struct ingestq *q, void (*fn)(void *), void *arg)
{
	q->after_commit = fn;
	q->after_arg = arg;
}
