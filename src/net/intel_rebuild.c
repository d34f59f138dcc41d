/*
 * intel_rebuild.c - the start of the intelligence thread: a fresh trend
 * index is shown everyday words (prime), then rebuilt from the newest
 * TAME_TREND_OPEN_MAX open tickets, and what agents decided about trends
 * is restored from the store. See intel.h and intel_impl.h.
 *
 * Restoring: the store keeps each ticket's trend, whether an agent put it
 * there (split off, moved out) and each trend's name and kind. Placing
 * the tickets again mostly finds the same groups; where the index
 * spreads one stored trend over several, they are merged back; tickets
 * an agent placed go back where the agent put them (a split trend is
 * split off again, a ticket moved out on its own gets a trend of its own
 * again), and names are given back. What still differs is written to the
 * store by the first round.
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

struct kept {
	int64_t ticket;
	int64_t db;             /* its trend in the store */
	int pin;
};

/* Phase two of the rebuild (under mu): tickets an agent placed go back
 * where the agent put them, and the tickets of one stored trend that
 * the index spread over several come together again. */
static void
restore(struct intel *in, const struct kept *k, size_t n,
    const struct intel_map *kind)
{
	uint32_t cur, y, nt, raw;
	int64_t kd;
	size_t i;
	enum tame_err rc;

	for (i = 0; i < n; i++) {
		if (!(cur = trend_of(in->ix, k[i].ticket)) || k[i].db <= 0)
			continue;
		y = intel_live_of(in, k[i].db);
		rc = TAME_OK;
		if (k[i].pin && y && y != cur) {
			rc = trend_move_out(in->ix, k[i].ticket, y, NULL);
		} else if (k[i].pin && !y) {
			nt = 0;
			if (intel_map_get(kind, k[i].db, &kd) &&
			    kd == STORE_TREND_SOLO) {
				if ((rc = trend_move_out(in->ix, k[i].ticket,
				    0, &nt)) == TAME_EEXIST)
					rc = TAME_OK;
			} else
				rc = trend_split(in->ix, cur, &k[i].ticket, 1,
				    &nt);
			if (!rc && nt)
				rc = intel_bind(in, nt, k[i].db);
		} else if (!k[i].pin && !intel_db_of(in, cur)) {
			if (y && y != cur)
				rc = trend_merge(in->ix, y, cur);
			else if (!y)
				rc = intel_bind(in, cur, k[i].db);
		}
		if (rc)
			tame_log(TAME_LOG_WARN, "intel: restoring ticket %lld:"
			    " %s", (long long)k[i].ticket, tame_strerror(rc));
	}
	/* What the store holds, as the first round compares it: the trend
	 * each stored id was bound to, not what that trend went into since.
	 * Placing the tickets again may have merged it into another one;
	 * the round then moves the tickets and records the merge. Into a
	 * trend with no id of its own, it takes the stored id along, so a
	 * trend keeps its id over a restart. */
	for (i = 0; i < n; i++) {
		raw = 0;
		if (k[i].db > 0 && intel_map_get(&in->db2ix, k[i].db, &kd) &&
		    (y = trend_resolve(in->ix, (uint32_t)kd)) != 0) {
			raw = (uint32_t)kd;
			if (!intel_db_of(in, y) && intel_bind(in, y, k[i].db))
				tame_log(TAME_LOG_WARN, "intel: out of memory");
		}
		cur = trend_of(in->ix, k[i].ticket);
		if (cur && intel_map_put(&in->rec, k[i].ticket, raw) == TAME_OK)
			intel_dirty(in, cur);
	}
}

/* See intel_impl.h. */
enum tame_err
intel_rebuild(struct intel *in)
{
	struct store_intel_ticket *t = NULL;
	struct store_trend *dec = NULL;
	struct intel_map kind = { 0 };
	struct place_in p;
	struct kept *k = NULL, *nk;
	size_t nt = 0, nk_n = 0, ck = 0, ndec = 0, i;
	int64_t after, t0 = tame_now_ms(), m, e;
	struct timespec c0, c1;
	uint32_t cur, x;
	enum tame_err rc;
	int stop = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	intel_place_in_init(&p);
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
	for (i = 0; i < ndec && !rc; i++)
		rc = intel_map_put(&kind, dec[i].id, dec[i].kind);
	if (rc || (rc = store_intel_open_from(in->store, TAME_TREND_OPEN_MAX,
	    &after)))
		goto out;
	for (;;) {
		if ((rc = store_intel_open_tickets(in->store, after, 1000,
		    TAME_INTEL_TEXT_MAX, &t, &nt)) || nt == 0)
			break;
		for (i = 0; i < nt && !rc; i++) {
			after = t[i].id;
			if (t[i].automatic)
				continue;
			if ((rc = intel_analyse(in, &t[i], &p)))
				break;
			x = 0;
			pthread_mutex_lock(&in->mu);
			if (!(rc = intel_vocab_add(in, &p, t[i].id)))
				rc = trend_place(in->ix, t[i].id, &p.in,
				    t[i].created_at, &x);
			cur = x ? trend_of(in->ix, t[i].id) : 0;
			if (cur)
				(void)trend_set_waiting(in->ix, t[i].id,
				    t[i].status == TICKET_PENDING);
			/* the first ticket of a stored trend names it */
			if (!rc && cur && t[i].trend_id > 0 &&
			    !t[i].trend_pin && !intel_db_of(in, cur) &&
			    !intel_live_of(in, t[i].trend_id))
				rc = intel_bind(in, cur, t[i].trend_id);
			stop = in->stopping;
			pthread_mutex_unlock(&in->mu);
			if (rc || !cur)
				continue;
			if (intel_grow((void **)&k, &ck, nk_n, sizeof(*k))) {
				rc = TAME_ENOMEM;
				break;
			}
			nk = &k[nk_n++];
			nk->ticket = t[i].id;
			nk->db = t[i].trend_id;
			nk->pin = t[i].trend_pin;
		}
		store_intel_tickets_free(t, nt);
		t = NULL;
		if (rc || stop)
			goto out;
	}
	if (rc)
		goto out;
	pthread_mutex_lock(&in->mu);
	restore(in, k, nk_n, &kind);
	for (i = 0; i < ndec; i++)
		if (dec[i].label && (x = intel_live_of(in, dec[i].id)))
			trend_rename(in->ix, x, dec[i].label);
	in->last_full = 0;
	in->changed = 1;
	pthread_mutex_unlock(&in->mu);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	tame_log(TAME_LOG_INFO, "intel: trend index of %zu open tickets in "
	    "%zu trends (%zu kB) rebuilt in %lld ms (%lld ms of CPU)",
	    trend_index_tickets(in->ix), trend_index_trends(in->ix),
	    trend_index_bytes(in->ix) / 1024, (long long)(tame_now_ms() - t0),
	    (long long)((c1.tv_sec - c0.tv_sec) * 1000 +
	    (c1.tv_nsec - c0.tv_nsec) / 1000000));
out:
	store_intel_tickets_free(t, nt);
	for (i = 0; i < ndec; i++)
		store_trend_clear(&dec[i]);
	free(dec);
	free(k);
	intel_map_free(&kind);
	intel_place_in_free(&p);
	return rc;
}

