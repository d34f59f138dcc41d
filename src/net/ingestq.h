/*
 * ingestq.h - group commit for incoming mail.
 *
 * Model: edges (the SMTP/LMTP server) submit jobs from any thread; they
 * are parsed (ingest_prepare) on that thread or, when large, by a
 * parser thread; one writer thread
 * with its own store connection takes every parsed job waiting, stores
 * them all in one transaction (ingest_prepared each, inside a save
 * point), commits once (durable), and then calls each job's done
 * callback. One fsync thus covers many concurrent deliveries, so
 * durability does not cap throughput at the disk's sync rate.
 */
#ifndef TAME_INGESTQ_H
#define TAME_INGESTQ_H

#include <stddef.h>
#include "../core/err.h"

struct ingestq;

/* Called from the writer thread once the job's fate is known:
 * TAME_OK = durably stored (answer 250), anything else = not stored
 * (answer 451). Must not block; copy what it needs and wake its own
 * thread (an eventfd, a pipe). */
typedef void (*ingestq_done_fn)(void *arg, enum tame_err rc);

/* Starts the writer thread on the store in datadir. */
enum tame_err ingestq_start(const char *datadir, struct ingestq **out);
/* Finishes every queued job, stops the thread, frees q. */
void ingestq_stop(struct ingestq *q);

/* Queues a message. Takes ownership of raw, mail_from and rcpts (all
 * malloc'd; freed by the queue). done(arg, rc) is always called exactly
 * once, also when submitting fails. A small message is parsed on the
 * calling thread before this returns (tens of microseconds for a common
 * mail), a large one on a parser thread. */
void ingestq_submit(struct ingestq *q, char *raw, size_t len,
    char *mail_from, char *rcpts, ingestq_done_fn done, void *arg);

/* Whether a sync of the store has failed: from then on every message is
 * answered as not stored (451) and nothing more is written, until the
 * process is restarted. Any thread. */
int ingestq_failing(struct ingestq *q);

/* Callback run by the writer thread after each commit that stored at
 * least one message (tamed uses it to wake the outbox for acks and to
 * notify live views). May be NULL. */
void ingestq_set_after_commit(struct ingestq *q, void (*fn)(void *), void *arg);

#endif
