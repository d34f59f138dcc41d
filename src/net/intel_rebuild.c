/*
 * intel_rebuild.c - the start of the intelligence thread: a fresh trend
 * index is shown everyday words (prime), then rebuilt from the newest
 * TAME_TREND_OPEN_MAX open tickets, and what agents decided about trends
 * is restored from the store. See intel.h and intel_impl.h.
 *
 * Restoring: the store keeps each ticket's trend, whether an agent put
 * it there (split off, moved out) and each trend's name and kind. Every
 * ticket whose trend is stored goes back into that trend
 * (trend_restore: its terms join the trend's centroid as placement
 * would, with no search), in the order the tickets came, so a restart
 * gives back the trends the store holds, under the same ids, with the
 * same members and the labels they make. Placing them again instead
 * gave other groups in another order: tickets moved to other trends and
 * ids came to name other problems. Only the tickets with no stored
 * trend (placed after the last write before a crash) are placed after
 * the others, as new mail is; the first round writes their trends.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "intel_impl.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* ---- a fresh index ---- */

/* Everyday words of support mail. A fresh index has seen no ticket, so
 * its idf would rate "hello" or "ordered" as telling as "card": the
 * first tickets would group by greetings, or not at all. prime() shows
 * it PRIOR_DOCS made-up messages of these words (each in PRIOR_SHARE
 * tenths of them) and takes them out again: the term statistics keep
 * them, no trend does. Against real volume they soon weigh little. */
static const char everyday[] =
    "hello hi dear thanks thank please help need want like know get got "
    "make made try tried still yet again already ago week weeks day days "
    "today yesterday tomorrow time times month months year years new old "
    "last first next check look looked see saw problem problems issue "
    "issues question questions answer reply email emails mail message "
    "messages write wrote send sent receive received use using used work "
    "working works worked account order ordered customer support team "
    "service urgent asap soon quick quickly sorry fine okay good great "
    "best regards kind sir madam hope wait waiting waited long never "
    "always now later something anything nothing everything able unable "
    "also really much many lot bit little right wrong sure thing things "
    "way back let tell told said say call called info information details "
    "update updated possible happen happened going come came give find "
    "found keep put take took ask asked contact contacted number morning "
    "evening hour hours minute minutes since every appreciate regarding "
    "attached attachment link page site website app system error";
#define PRIOR_DOCS 200
#define PRIOR_SHARE 3
/* Ticket ids of the made-up messages: far above any real ticket. */
#define PRIOR_ID(j) (INT64_MAX - (int64_t)(j))

static enum tame_err
prime(struct intel *in)
{
	struct text_doc d;
	const char **uniq = NULL, **sub = NULL;
	struct trend_input ti;
	size_t n = 0, i, k, j;
	uint32_t x;
	enum tame_err rc;

	text_doc_init(&d);
	if ((rc = text_analyse(in->tp, everyday, sizeof(everyday) - 1, 0, &d)))
		goto out;
	if (!(uniq = calloc(d.nuni + 1, sizeof(*uniq))) ||
	    !(sub = calloc(d.nuni + 1, sizeof(*sub)))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	for (i = 0; i < d.nuni; i++) {
		for (k = 0; k < n && strcmp(uniq[k], text_doc_term(&d, i)); k++)
			;
		if (k == n)
			uniq[n++] = text_doc_term(&d, i);
	}
	memset(&ti, 0, sizeof(ti));
	ti.terms = sub;
	for (j = 0; j < PRIOR_DOCS && !rc; j++) {
		for (i = 0, ti.nterm = 0; i < n; i++)
			if ((i * 7 + j * 13) % 10 < PRIOR_SHARE)
				sub[ti.nterm++] = uniq[i];
		rc = trend_place(in->ix, PRIOR_ID(j), &ti, 0, &x);
	}
	for (j = 0; j < PRIOR_DOCS; j++)
		trend_remove(in->ix, PRIOR_ID(j));
out:
	free(uniq);
	free(sub);
	text_doc_free(&d);
	return rc;
}

/* ---- start-up: the index from the open tickets ---- */

/* The trend a stored ticket goes back into: its store id, through the
 * merges the store recorded (the store moves a merged trend's tickets,
 * so this is only for safety), as index trend *into (0: not made yet),
 * and the trend_restore flags. */
static int64_t
stored_trend(struct intel *in, const struct store_intel_ticket *t,
    const struct intel_map *kind, const struct intel_map *merged,
    uint32_t *into, unsigned *flags)
{
	int64_t db = t->trend_id, v;
	int hop;

	for (hop = 0; hop < 64 && intel_map_get(merged, db, &v); hop++)
		db = v;
	*into = intel_live_of(in, db);
	*flags = t->trend_pin ? TREND_RESTORE_PINNED : 0;
	if (intel_map_get(kind, db, &v))
		*flags |= v == STORE_TREND_SOLO ? TREND_RESTORE_SOLO :
		    v == STORE_TREND_SPLIT ? TREND_RESTORE_SPLIT : 0;
	return db;
}

/* Under mu. Puts ticket t (read into p) back into its stored trend db. */
static enum tame_err
restore_one(struct intel *in, const struct store_intel_ticket *t,
    const struct place_in *p, int64_t db, uint32_t into, unsigned flags)
{
	uint32_t x;
	enum tame_err rc;

	if ((rc = intel_vocab_add(in, p, t->id)) ||
	    (rc = trend_restore(in->ix, t->id, &p->in, t->created_at, into,
	    flags, &x)) || !x)
		return rc;
	(void)trend_set_waiting(in->ix, t->id, t->status == TICKET_PENDING);
	if (!into) {
		if ((rc = intel_bind(in, x, db)))
			return rc;
		/* its label is made again from the same members */
		intel_dirty(in, x);
	}
	/* what the store holds: nothing to write */
	return intel_map_put(&in->rec, t->id, x);
}

/* Reads the open tickets after *after, a batch at a time: the ones
 * with a stored trend go back into it (pass 1; the others' ids into
 * *later), or the ones listed in later are placed (pass 2). */
static enum tame_err
read_open(struct intel *in, int64_t after, int pass,
    const struct intel_map *kind, const struct intel_map *merged,
    int64_t **later, size_t *nlater, size_t *clater)
{
	struct store_intel_ticket *t = NULL;
	struct place_in p;
	size_t nt = 0, i, j = 0;
	unsigned flags = 0;
	uint32_t into = 0, cur;
	int64_t db = 0;
	enum tame_err rc;
	int stop = 0;

	intel_place_in_init(&p);
	for (;;) {
		if ((rc = store_intel_open_tickets(in->store, after, 1000,
		    TAME_INTEL_TEXT_MAX, &t, &nt)) || nt == 0)
			break;
		for (i = 0; i < nt && !rc; i++) {
			after = t[i].id;
			if (t[i].automatic)
				continue;
			if (pass == 2) {
				while (j < *nlater && (*later)[j] < t[i].id)
					j++;
				if (j == *nlater)
					goto out;
				if ((*later)[j] != t[i].id)
					continue;
			} else if (t[i].trend_id <= 0) {
				if (intel_grow((void **)later, clater, *nlater,
				    sizeof(**later)))
					rc = TAME_ENOMEM;
				else
					(*later)[(*nlater)++] = t[i].id;
				continue;
			} else {
				pthread_mutex_lock(&in->mu);
				db = stored_trend(in, &t[i], kind, merged,
				    &into, &flags);
				pthread_mutex_unlock(&in->mu);
			}
			if ((rc = intel_analyse(in, &t[i], &p)))
				break;
			pthread_mutex_lock(&in->mu);
			if (pass == 2)
				rc = intel_place(in, &t[i], &p, &cur);
			else
				rc = restore_one(in, &t[i], &p, db, into,
				    flags);
			stop = in->stopping;
			pthread_mutex_unlock(&in->mu);
		}
		store_intel_tickets_free(t, nt);
		t = NULL;
		if (rc || stop)
			break;
	}
out:
	store_intel_tickets_free(t, nt);
	intel_place_in_free(&p);
	return rc;
}

/* See intel_impl.h. */
enum tame_err
intel_rebuild(struct intel *in)
{
	struct store_trend *dec = NULL;
	struct intel_map kind = { 0 }, merged = { 0 };
	size_t ndec = 0, nlater = 0, clater = 0, i;
	int64_t *later = NULL, after, t0 = tame_now_ms(), m, e;
	struct timespec c0, c1;
	uint32_t x;
	enum tame_err rc;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	pthread_mutex_lock(&in->mu);
	rc = prime(in);
	pthread_mutex_unlock(&in->mu);
	if (rc || (rc = store_intel_heads(in->store, &m, &e)))
		goto out;
	if (store_intel_state_get(in->store, "msg_pos", &in->msg_pos))
		in->msg_pos = m;
	if (store_intel_state_get(in->store, "ev_pos", &in->ev_pos))
		in->ev_pos = e;
	if ((rc = store_trends_decided(in->store, &dec, &ndec)))
		goto out;
	for (i = 0; i < ndec && !rc; i++) {
		rc = intel_map_put(&kind, dec[i].id, dec[i].kind);
		if (!rc && dec[i].merged_into > 0)
			rc = intel_map_put(&merged, dec[i].id,
			    dec[i].merged_into);
	}
	if (rc || (rc = store_intel_open_from(in->store, TAME_TREND_OPEN_MAX,
	    &after)) || (rc = read_open(in, after, 1, &kind, &merged, &later,
	    &nlater, &clater)))
		goto out;
	if (nlater && (rc = read_open(in, later[0] - 1, 2, &kind, &merged,
	    &later, &nlater, &clater)))
		goto out;
	pthread_mutex_lock(&in->mu);
	if (in->stopping) {
		pthread_mutex_unlock(&in->mu);
		goto out;
	}
	for (i = 0; i < ndec; i++)
		if (dec[i].label && (x = intel_live_of(in, dec[i].id)))
			trend_rename(in->ix, x, dec[i].label);
	in->last_full = 0;
	in->changed = 1;
	pthread_mutex_unlock(&in->mu);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	tame_log(TAME_LOG_INFO, "intel: trend index of %zu open tickets in "
	    "%zu trends (%zu kB) rebuilt in %lld ms (%lld ms of CPU), %zu "
	    "of them placed anew", trend_index_tickets(in->ix),
	    trend_index_trends(in->ix), trend_index_bytes(in->ix) / 1024,
	    (long long)(tame_now_ms() - t0),
	    (long long)((c1.tv_sec - c0.tv_sec) * 1000 +
	    (c1.tv_nsec - c0.tv_nsec) / 1000000), nlater);
out:
	for (i = 0; i < ndec; i++)
		store_trend_clear(&dec[i]);
	free(dec);
	free(later);
	intel_map_free(&kind);
	intel_map_free(&merged);
	return rc;
}
