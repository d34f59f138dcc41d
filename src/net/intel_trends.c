/*
 * intel_trends.c - what HTTP threads ask of the trend index and do to
 * it: lists, one trend, rename, merge, split, move a ticket out. See
 * intel.h for the contracts and intel_impl.h for the state.
 *
 * Model: every call takes the mutex; the index answers from memory.
 * What agents decide is written to the store at once, under the mutex,
 * by the caller's own connection (trend rows, names, pins; a merge also
 * moves the tickets' trend in the store). Tickets an operation moved in
 * the index reach the store through the thread's next reconcile, which
 * the call asks for and waits for (at most SYNC_MS), so the answer and
 * a ticket list read right after it agree.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "intel_impl.h"
#include "../core/util.h"

/* Longest wait for the thread to write what an operation moved. */
#define SYNC_MS 3000
/* Merges followed through the store to find where an id went. */
#define MERGE_HOPS 16

/* Asks the thread for a full reconcile and waits until it is done or
 * SYNC_MS passed. Takes and releases mu. */
static void
sync_store(struct intel *in)
{
	struct timespec ts;
	uint64_t gen;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += SYNC_MS / 1000;
	ts.tv_nsec += (SYNC_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&in->mu);
	gen = ++in->want_gen;
	pthread_cond_signal(&in->cv);
	while (in->done_gen < gen && !in->stopping)
		if (pthread_cond_timedwait(&in->done_cv, &in->mu, &ts))
			break;
	pthread_mutex_unlock(&in->mu);
}

/* See intel.h. */
enum tame_err
intel_resolve(struct intel *in, struct store *s, int64_t id, int64_t *out)
{
	struct store_trend t;
	uint32_t x;
	enum tame_err rc;
	int hop;

	for (hop = 0; hop < MERGE_HOPS; hop++) {
		pthread_mutex_lock(&in->mu);
		x = intel_live_of(in, id);
		*out = x ? intel_db_of(in, x) : 0;
		pthread_mutex_unlock(&in->mu);
		if (*out)
			return TAME_OK;
		if ((rc = store_trend_get(s, id, &t)))
			return rc;
		if (!t.merged_into) {
			store_trend_clear(&t);
			*out = id;
			return TAME_OK;
		}
		id = t.merged_into;
		store_trend_clear(&t);
	}
	return TAME_ENOTFOUND;
}

/* trend_list_q.keep: 1 if live trend id has a store id (under mu). A
 * trend made this very round has none yet: it cannot be linked to, and
 * is neither listed nor counted in the total the web shows beside the
 * list ("N trends, the first M shown"). */
static int
intel_has_db(void *arg, uint32_t id)
{
	return intel_db_of(arg, id) != 0;
}

enum tame_err
intel_trends(struct intel *in, const struct trend_list_q *q, int64_t now,
    struct intel_trend **out, size_t *n, size_t *total)
{
	struct trend_list_q kq = *q;
	struct trend_info *info = NULL;
	struct intel_trend *v = NULL;
	size_t k = 0, i;
	enum tame_err rc;

	*out = NULL;
	*n = 0;
	kq.keep = intel_has_db;
	kq.keep_arg = in;
	pthread_mutex_lock(&in->mu);
	if (!(rc = trend_list_by(in->ix, &kq, now, &info, &k, total)) &&
	    !(v = calloc(k ? k : 1, sizeof(*v))))
		rc = TAME_ENOMEM;
	for (i = 0; !rc && i < k; i++) {
		v[i].id = intel_db_of(in, info[i].id);
		v[i].info = info[i];
	}
	pthread_mutex_unlock(&in->mu);
	free(info);
	if (rc)
		return rc;
	*out = v;
	*n = k;
	return TAME_OK;
}

/* Takes mu; TAME_EBUSY (mu released) while the index is rebuilt. */
static enum tame_err
lock_ready(struct intel *in)
{
	pthread_mutex_lock(&in->mu);
	if (in->ready)
		return TAME_OK;
	pthread_mutex_unlock(&in->mu);
	return TAME_EBUSY;
}

enum tame_err
intel_trend(struct intel *in, struct store *s, int64_t id, int64_t now,
    struct intel_trend *out, int64_t *tickets, size_t max, size_t *total)
{
	uint32_t x;
	enum tame_err rc;

	*total = 0;
	/* while the index is rebuilt (after a start) a trend is not
	 * missing: busy, ask again */
	if ((rc = intel_resolve(in, s, id, &id)) || (rc = lock_ready(in)))
		return rc;
	if (!(x = intel_live_of(in, id)) ||
	    (rc = trend_get(in->ix, x, now, &out->info)))
		rc = TAME_ENOTFOUND;
	else {
		out->id = id;
		*total = trend_tickets(in->ix, x, tickets, max);
	}
	pthread_mutex_unlock(&in->mu);
	return rc;
}

enum tame_err
intel_similar_trends(struct intel *in, struct store *s, int64_t id,
    int64_t now, size_t max, struct intel_trend *out, double *score,
    size_t *n, int64_t *live)
{
	uint32_t *ids, x;
	size_t k, i;
	enum tame_err rc;

	*n = 0;
	if (!(ids = calloc(max ? max : 1, sizeof(*ids))))
		return TAME_ENOMEM;
	if ((rc = intel_resolve(in, s, id, live)) || (rc = lock_ready(in))) {
		free(ids);
		return rc;
	}
	if (!(x = intel_live_of(in, *live)))
		rc = TAME_ENOTFOUND;
	else {
		k = trend_similar(in->ix, x, max, ids, score);
		for (i = 0; i < k; i++) {
			/* one made this very round has no store id yet */
			if (!(out[*n].id = intel_db_of(in, ids[i])) ||
			    trend_get(in->ix, ids[i], now, &out[*n].info))
				continue;
			score[(*n)++] = score[i];
		}
	}
	pthread_mutex_unlock(&in->mu);
	free(ids);
	return rc;
}

enum tame_err
intel_rename(struct intel *in, struct store *s, int64_t id,
    const char *label, int64_t *live_id)
{
	uint32_t x;
	enum tame_err rc;

	if ((rc = intel_resolve(in, s, id, live_id)) || (rc = lock_ready(in)))
		return rc;
	if (!(rc = store_trend_set_label(s, *live_id, label, tame_now_ms())) &&
	    (x = intel_live_of(in, *live_id)))
		rc = trend_rename(in->ix, x, label);
	pthread_mutex_unlock(&in->mu);
	return rc;
}

enum tame_err
intel_merge(struct intel *in, struct store *s, int64_t from, int64_t into,
    int64_t *live_id)
{
	struct store_trend f, t;
	uint32_t xf, xi;
	enum tame_err rc;
	int64_t now = tame_now_ms();

	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	if ((rc = intel_resolve(in, s, from, &from)) ||
	    (rc = intel_resolve(in, s, into, &into)))
		return rc;
	if (from == into)
		return TAME_EINVAL;
	*live_id = into;
	if ((rc = lock_ready(in)))
		return rc;
	if ((rc = store_trend_get(s, from, &f)) ||
	    (rc = store_trend_get(s, into, &t)) || (rc = store_begin(s)))
		goto out;
	rc = store_trend_merge(s, into, from, now);
	/* keep the name an agent gave */
	if (!rc && !t.label && f.label)
		rc = store_trend_set_label(s, into, f.label, now);
	if (!rc)
		rc = store_commit(s);
	if (rc) {
		store_rollback(s);
		goto out;
	}
	xf = intel_live_of(in, from);
	xi = intel_live_of(in, into);
	if (xf && xi)
		rc = trend_merge(in->ix, xi, xf);
	else if (xf)
		rc = intel_bind(in, xf, into);  /* into had no open ticket */
	if (!rc && xf && xf < in->ndb && in->db_of[xf] > 0 && xi)
		in->db_of[xf] = -in->db_of[xf];  /* the merge is recorded */
	intel_dirty(in, xi ? xi : xf);
out:
	pthread_mutex_unlock(&in->mu);
	store_trend_clear(&f);
	store_trend_clear(&t);
	if (!rc)
		sync_store(in);
	return rc;
}

/* Under mu. A store row of kind for the new index trend nt, and the
 * pin of each listed ticket that is in it now. */
static enum tame_err
record_new(struct intel *in, struct store *s, uint32_t nt,
    enum store_trend_kind kind, const int64_t *tickets, size_t n, int pin,
    int64_t *new_id)
{
	enum tame_err rc;
	size_t i;

	if ((rc = store_begin(s)))
		return rc;
	rc = store_trend_create(s, kind, tame_now_ms(), new_id);
	for (i = 0; i < n && !rc; i++)
		if (trend_of(in->ix, tickets[i]) == nt)
			rc = store_intel_ticket_pin(s, tickets[i], pin);
	if (!rc)
		rc = store_commit(s);
	if (rc) {
		store_rollback(s);
		return rc;
	}
	intel_dirty(in, nt);
	return intel_bind(in, nt, *new_id);
}

enum tame_err
intel_split(struct intel *in, struct store *s, int64_t id,
    const int64_t *tickets, size_t n, int64_t *new_id)
{
	uint32_t x, nt = 0;
	enum tame_err rc;

	if ((rc = intel_resolve(in, s, id, &id)) || (rc = lock_ready(in)))
		return rc;
	if (!(x = intel_live_of(in, id)))
		rc = TAME_ENOTFOUND;
	else if (!(rc = trend_split(in->ix, x, tickets, n, &nt))) {
		intel_dirty(in, x);
		rc = record_new(in, s, nt, STORE_TREND_SPLIT, tickets, n, 1,
		    new_id);
	}
	pthread_mutex_unlock(&in->mu);
	if (!rc)
		sync_store(in);
	return rc;
}

enum tame_err
intel_move_out(struct intel *in, struct store *s, int64_t ticket,
    int64_t *new_id)
{
	uint32_t cur, nt = 0;
	enum tame_err rc;

	if ((rc = lock_ready(in)))
		return rc;
	if (!(cur = trend_of(in->ix, ticket)))
		rc = TAME_ENOTFOUND;
	else if ((rc = trend_move_out(in->ix, ticket, 0, &nt)) ==
	    TAME_EEXIST) {
		/* already on its own: the same answer, no new trend */
		*new_id = intel_db_of(in, nt);
		pthread_mutex_unlock(&in->mu);
		return TAME_OK;
	} else if (!rc) {
		intel_dirty(in, trend_resolve(in->ix, cur));
		rc = record_new(in, s, nt, STORE_TREND_SOLO, &ticket, 1, 2,
		    new_id);
	}
	pthread_mutex_unlock(&in->mu);
	if (!rc)
		sync_store(in);
	return rc;
}
