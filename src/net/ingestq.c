/*
 * ingestq.c - group commit for incoming mail. See ingestq.h.
 *
 * Two stages, each a singly linked list under the one mutex. A message
 * is parsed (ingest_prepare: GMime and everything else that needs no
 * store) before it reaches the writer: a small one right away on the
 * submitting thread (the SMTP loop; that costs it tens of microseconds
 * and saves two thread hand-offs), a large one by a parser thread
 * (INGESTQ_PARSERS), so that a 25 MB message does not hold up every
 * other SMTP session while it is parsed. The writer thread sleeps on a condition
 * variable, takes every parsed job waiting (at most
 * TAME_GROUP_COMMIT_MAX), and runs one transaction for the lot, so the
 * single writer of the store only writes while the next batch is being
 * parsed on the other cores. Each message gets its own save point, so a
 * message that fails is rolled back alone and answered 451 while the
 * others commit.
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

struct ingestq {
	pthread_t thread;
	pthread_t parsers[INGESTQ_PARSERS];
	int nparsers;
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* the writer: parsed work or stopping */
	pthread_cond_t parse_cv;   /* the parsers: submitted work or stopping */
	struct jobq submitted, parsed;
	int stopping;              /* no more submissions; parsers drain */
	int parsers_done;          /* every parser has exited */
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

/* Runs one batch: begin, each job in a save point, commit. */
static void
ingestq_batch(struct ingestq *q, struct job *batch)
{
	struct job *j;
	enum tame_err rc;
	int64_t now = tame_now_ms();
	int tries, stored = 0;

	for (tries = 0; (rc = store_begin(q->store)) == TAME_EBUSY &&
	    tries < 50; tries++)
		usleep(20000);
	if (rc) {
		tame_log(TAME_LOG_ERR, "ingest: cannot begin: %s",
		    store_errmsg(q->store));
		for (j = batch; j; j = j->next)
			j->rc = rc;
		return;
	}
	for (j = batch; j; j = j->next) {
		if ((j->rc = store_savepoint(q->store, "job")))
			continue;
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
			store_rollback_to(q->store, "job");
		} else {
			stored++;
		}
		store_release(q->store, "job");
	}
	if ((rc = store_commit(q->store))) {
		tame_log(TAME_LOG_ERR, "ingest: commit failed: %s",
		    store_errmsg(q->store));
		store_rollback(q->store);
		for (j = batch; j; j = j->next)
			j->rc = rc;
		return;
	}
	if (stored && q->after_commit)
		q->after_commit(q->after_arg);
	if (q->unindexed >= 0)
		q->unindexed += stored;
}

/* Indexes up to INGESTQ_INDEX_BATCH queued messages for search. */
static void
ingestq_index(struct ingestq *q)
{
	int64_t left = 0;
	enum tame_err rc;

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

static void *
ingestq_main(void *arg)
{
	struct ingestq *q = arg;
	struct job *batch, *j, *next, **bt;
	struct timespec until;
	int n, idle;

	pthread_setname_np(pthread_self(), "ingest-write");
	for (;;) {
		pthread_mutex_lock(&q->mu);
		idle = 0;
		while (!q->parsed.head && !q->parsers_done && !idle) {
			if (q->unindexed == 0) {
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
		if (!q->parsed.head) {
			/* quiet: index, or stop when told (after indexing
			 * what is left, so it is searchable right away) */
			pthread_mutex_unlock(&q->mu);
			if (q->unindexed != 0) {
				ingestq_index(q);
				continue;
			}
			break;
		}
		/* take at most TAME_GROUP_COMMIT_MAX jobs */
		batch = q->parsed.head;
		bt = &batch;
		for (n = 0, j = q->parsed.head; j && n < TAME_GROUP_COMMIT_MAX;
		    n++) {
			bt = &j->next;
			j = j->next;
		}
		q->parsed.head = j;
		*bt = NULL;
		if (!q->parsed.head)
			q->parsed.tail = &q->parsed.head;
		pthread_mutex_unlock(&q->mu);

		ingestq_batch(q, batch);
		for (j = batch; j; j = next) {
			next = j->next;
			j->done(j->arg, j->rc);
			job_free(j);
		}
		if (q->unindexed >= INGESTQ_INDEX_BATCH)
			ingestq_index(q);
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
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	pthread_cond_init(&q->parse_cv, NULL);
	if ((rc = store_open(datadir, 0, &q->store)))
		goto fail;
	store_index_defer(q->store, 1);
	store_bulk_writer(q->store);
	q->unindexed = -1;	/* a crash may have left some */
	for (i = 0; i < INGESTQ_PARSERS; i++) {
		if (pthread_create(&q->parsers[i], NULL, ingestq_parser, q))
			break;
		q->nparsers++;
	}
	if (q->nparsers == 0 ||
	    pthread_create(&q->thread, NULL, ingestq_main, q) != 0) {
		parsers_stop(q);
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
	store_close(q->store);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->parse_cv);
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
