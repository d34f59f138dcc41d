/*
 * ingestq.c - group commit for incoming mail. See ingestq.h.
 *
 * The queue is a singly linked list under one mutex. The writer thread
 * sleeps on a condition variable, takes everything waiting (at most
 * TAME_GROUP_COMMIT_MAX), and runs one transaction for the lot. Each
 * message gets its own save point, so a message that fails is rolled
 * back alone and answered 451 while the others commit.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../core/util.h"
#include "../mail/ingest.h"
#include "../store/store.h"
#include "../tame_limits.h"
#include "ingestq.h"

struct job {
	struct job *next;
	char *raw;
	size_t len;
	char *mail_from;
	char *rcpts;
	ingestq_done_fn done;
	void *arg;
	enum tame_err rc;
};

struct ingestq {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, **tail;
	int stopping;
	struct store *store;
	void (*after_commit)(void *);
	void *after_arg;
};

static void
job_free(struct job *j)
{
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
		j->rc = ingest_message(q->store, j->raw, j->len, j->mail_from,
		    j->rcpts, now, NULL);
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
}

static void *
ingestq_main(void *arg)
{
	struct ingestq *q = arg;
	struct job *batch, *j, *next, **bt;
	int n;

	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (!q->head && q->stopping) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		/* take at most TAME_GROUP_COMMIT_MAX jobs */
		batch = q->head;
		bt = &batch;
		for (n = 0, j = q->head; j && n < TAME_GROUP_COMMIT_MAX; n++) {
			bt = &j->next;
			j = j->next;
		}
		q->head = j;
		*bt = NULL;
		if (!q->head)
			q->tail = &q->head;
		pthread_mutex_unlock(&q->mu);

		ingestq_batch(q, batch);
		for (j = batch; j; j = next) {
			next = j->next;
			j->done(j->arg, j->rc);
			job_free(j);
		}
	}
	return NULL;
}

enum tame_err
ingestq_start(const char *datadir, struct ingestq **out)
{
	struct ingestq *q;
	enum tame_err rc;

	if (!(q = calloc(1, sizeof(*q))))
		return TAME_ENOMEM;
	q->tail = &q->head;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if ((rc = store_open(datadir, 0, &q->store))) {
		free(q);
		return rc;
	}
	if (pthread_create(&q->thread, NULL, ingestq_main, q) != 0) {
		store_close(q->store);
		free(q);
		return TAME_EIO;
	}
	*out = q;
	return TAME_OK;
}

void
ingestq_stop(struct ingestq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	store_close(q->store);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
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
	pthread_mutex_lock(&q->mu);
	*q->tail = j;
	q->tail = &j->next;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void
ingestq_set_after_commit(struct ingestq *q, void (*fn)(void *), void *arg)
{
	q->after_commit = fn;
	q->after_arg = arg;
}
