/*
 * intel.h - the queue intelligence of tamed: one thread that follows new
 * mail and ticket changes in the store and keeps tone, outlier flags and
 * trends up to date, and the trend operations the HTTP API offers.
 *
 * Model: the SMTP writer never waits for any of this. After each commit
 * it kicks this thread (intel_kick), which also looks every second (mail
 * from `tame deliver` or an import arrives without a kick). The thread
 * reads messages and events after its last positions, runs the text
 * pipeline and tone analysis outside any lock, places new tickets in the
 * in-memory trend index (core/trend.h) under one mutex, takes solved and
 * closed tickets out, and writes its findings back in one transaction
 * per round, positions included, so a restart resumes where it stopped.
 * At start it rebuilds the index from the newest TAME_TREND_OPEN_MAX
 * open tickets and restores what agents decided about trends (names,
 * merges, splits, tickets moved out) from the store.
 *
 * Trend ids in the API are the store's (trends.id), stable across
 * restarts; the index has ids of its own, mapped here. HTTP threads call
 * the functions below with their own store connection; each takes the
 * mutex, and those that change trends wait (bounded) until the thread
 * has written the tickets' new trends, so an answer and the next ticket
 * list agree.
 */
#ifndef TAME_INTEL_H
#define TAME_INTEL_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"
#include "../core/trend.h"
#include "../store/store.h"

struct intel;

/* Starts the thread on the store in datadir (its own connection). The
 * instance becomes the process's (intel_get). */
enum tame_err intel_start(const char *datadir, struct intel **out);
/* Stops the thread (it finishes its round), frees in. NULL is fine. */
void intel_stop(struct intel *in);
/* New mail was committed: look now. Thread-safe; in may be NULL. */
void intel_kick(struct intel *in);
/* The running instance, or NULL when tamed runs without it. */
struct intel *intel_get(void);
/* 1 once the start-up rebuild is done. */
int intel_ready(struct intel *in);

/* A trend as the API shows it. */
struct intel_trend {
	int64_t id;               /* the store's id */
	struct trend_info info;   /* info.id is the index's own */
};

/* The trends q asks for (trend.h, trend_list_by), in its order, of
 * those with a store id (q->keep is set here); *total gets how many have
 * q->min_open open tickets and a store id. *out malloc'd (caller frees).
 * TAME_ENOMEM. */
enum tame_err intel_trends(struct intel *in, const struct trend_list_q *q,
    int64_t now, struct intel_trend **out, size_t *n, size_t *total);
/* Up to max trends most like trend id (trend_similar), most alike
 * first, into out (max of them) and their scores; *n how many, *live
 * the store id id stands for. TAME_ENOTFOUND when id has no open
 * ticket, TAME_EBUSY while the index is rebuilt. */
enum tame_err intel_similar_trends(struct intel *in, struct store *s,
    int64_t id, int64_t now, size_t max, struct intel_trend *out,
    double *score, size_t *n, int64_t *live);
/* Trend id (a merged id resolves to where it went), with up to max of
 * its open tickets, newest first, in tickets and their number in
 * *total. TAME_ENOTFOUND when it has no open ticket. */
enum tame_err intel_trend(struct intel *in, struct store *s, int64_t id,
    int64_t now, struct intel_trend *out, int64_t *tickets, size_t max,
    size_t *total);

/* How many of the tickets this process has read (the open ones at
 * start, every new one since; *ndocs of them) use each of the stems
 * stems[0..n): df[i]. For weighing words by how telling they are. A
 * word of one ticket alone is forgotten some time after that ticket is
 * solved, as a restart forgets it: its df starts again from 0. */
enum tame_err intel_df(struct intel *in, const char *const *stems, size_t n,
    int64_t *df, int64_t *ndocs);

/* The store id trend id stands for now: itself, or where it was merged
 * to (followed through the store too). TAME_ENOTFOUND when unknown. */
enum tame_err intel_resolve(struct intel *in, struct store *s, int64_t id,
    int64_t *out);

/* What agents do. Each is kept in the store at once; TAME_ENOTFOUND for
 * an unknown trend or ticket, TAME_EBUSY while the index is rebuilt. */
/* Names trend id (NULL or "": back to the automatic label). */
enum tame_err intel_rename(struct intel *in, struct store *s, int64_t id,
    const char *label, int64_t *live_id);
/* Moves every ticket of from into into. TAME_EINVAL: the same trend. */
enum tame_err intel_merge(struct intel *in, struct store *s, int64_t from,
    int64_t into, int64_t *live_id);
/* Moves the listed open tickets of trend id to a new trend *new_id.
 * TAME_EINVAL when none of them is in it. */
enum tame_err intel_split(struct intel *in, struct store *s, int64_t id,
    const int64_t *tickets, size_t n, int64_t *new_id);
/* Moves ticket out of its trend, for good, into a trend of its own
 * (*new_id). TAME_ENOTFOUND when it is in none. */
enum tame_err intel_move_out(struct intel *in, struct store *s,
    int64_t ticket, int64_t *new_id);

#endif
