/*
 * trend_place.c - placing a ticket in the trend index: reading its
 * terms, scoring it against the trends that share one (cosine over the
 * inverted index), bounded refinement of older placements and merging
 * of near-identical trends; putting a ticket back into the trend it had
 * (trend_restore); removing a ticket and resolving ids.
 * See trend.h for the model and trend_impl.h for the layout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "trend_impl.h"

/* Distinct terms read from one ticket; text.h already bounds tokens. */
#define INPUT_TERMS_MAX 8192

/* ---- scoring ---------------------------------------------------------- */

/* The trend most similar to ticket slot s by cosine (s's own trend, if
 * any, is scored like the others), skipping trends s may not go to.
 * NIL when no trend shares a term. */
static uint32_t
best_trend(struct trend_index *ix, uint32_t s, double *score)
{
	const struct tslot *x = &ix->ts[s];
	const struct term_ent *e;
	const struct trend *t;
	uint32_t i, k, u, n = 0, best = NIL, ci;
	double w2, dn = 0, sc, bs = -1;
	int found;

	for (i = 0; i < x->nterm; i++) {
		e = &ix->terms[x->term[i]];
		w2 = trend_w(ix, x->term[i]);
		w2 *= w2;
		dn += w2;
		for (k = 0; k < e->npost; k++) {
			u = e->post[k];
			ci = cfind(&ix->tr[u], x->term[i], &found);
			if (!found)
				continue;
			if (ix->acc[u] == 0)
				ix->touched[n++] = u;
			ix->acc[u] += (float)(w2 * ix->tr[u].c[ci].cnt);
		}
	}
	dn = sqrt(dn);
	for (i = 0; i < n; i++) {
		u = ix->touched[i];
		t = &ix->tr[u];
		sc = t->norm > 0 && dn > 0 ? ix->acc[u] / (dn * t->norm) : 0;
		ix->acc[u] = 0;
		if (sc <= bs || (t->flags & TF_SOLO))
			continue;
		if ((x->flags & TS_BANNED) && trend_banned(ix, x->ticket, t->id))
			continue;
		bs = sc;
		best = u;
	}
	*score = bs;
	return best;
}

/* See trend_impl.h. */
double
trend_centroid_cos(const struct trend_index *ix, const struct trend *a,
    const struct trend *b)
{
	uint32_t i = 0, j = 0;
	double dot = 0, w;

	while (i < a->nc && j < b->nc) {
		if (a->c[i].term < b->c[j].term)
			i++;
		else if (a->c[i].term > b->c[j].term)
			j++;
		else {
			w = trend_w(ix, a->c[i].term);
			dot += w * w * a->c[i].cnt * b->c[j].cnt;
			i++;
			j++;
		}
	}
	if (a->norm <= 0 || b->norm <= 0)
		return 0;
	return dot / ((double)a->norm * b->norm);
}

/* Whether automatic merging may join trends a and b. */
static int
may_merge(const struct trend_index *ix, const struct trend *a,
    const struct trend *b)
{
	if ((a->flags & TF_NAMED) && (b->flags & TF_NAMED))
		return 0;
	if ((a->flags | b->flags) & (TF_SOLO | TF_AGENT))
		return 0;
	return !trend_apart(ix, a->id, b->id);
}

/* Looks for a trend whose centroid is nearly trend ti's and merges the
 * two (the named, else the larger, survives). Candidates come from the
 * postings of ti's three heaviest terms. */
static enum tame_err
merge_near(struct trend_index *ix, uint32_t ti)
{
	const struct trend *t = &ix->tr[ti];
	uint32_t top[3] = { NIL, NIL, NIL }, i, k, j, u, n = 0, best = NIL;
	double w[3] = { 0, 0, 0 }, x, bs = ix->p.merge, sc;
	const struct term_ent *e;

	for (i = 0; i < t->nc; i++) {
		x = t->c[i].cnt * trend_w(ix, t->c[i].term);
		for (k = 0; k < 3; k++)
			if (x > w[k]) {
				for (j = 2; j > k; j--) {
					w[j] = w[j - 1];
					top[j] = top[j - 1];
				}
				w[k] = x;
				top[k] = t->c[i].term;
				break;
			}
	}
	for (k = 0; k < 3 && top[k] != NIL; k++) {
		e = &ix->terms[top[k]];
		for (i = 0; i < e->npost; i++) {
			u = e->post[i];
			if (u == ti || ix->acc[u] != 0)
				continue;
			ix->acc[u] = 1;
			ix->touched[n++] = u;
		}
	}
	for (i = 0; i < n; i++) {
		u = ix->touched[i];
		ix->acc[u] = 0;
		sc = trend_centroid_cos(ix, t, &ix->tr[u]);
		if (sc >= bs && may_merge(ix, t, &ix->tr[u])) {
			bs = sc;
			best = u;
		}
	}
	if (best == NIL)
		return TAME_OK;
	u = best;
	if ((ix->tr[u].flags & TF_NAMED) || (!(t->flags & TF_NAMED) &&
	    ix->tr[u].nmemb > t->nmemb))
		return trend_absorb(ix, u, ti);
	return trend_absorb(ix, ti, u);
}

/* Re-examines ticket slot s: moves it to a clearly better trend. */
static enum tame_err
refine_one(struct trend_index *ix, uint32_t s)
{
	uint32_t cur = ix->ts[s].trend, best, prev = ix->ts[s].prev;
	double sc;
	enum tame_err rc;

	if (cur == NIL)
		return TAME_OK;
	trend_leave(ix, s);
	best = best_trend(ix, s, &sc);
	if (best == NIL || best == cur || sc < ix->p.threshold)
		return trend_link_after(ix, cur, s, prev);  /* where it was */
	if ((rc = trend_link(ix, best, s)))
		return rc;
	trend_free_if_empty(ix, cur);
	return TAME_OK;
}

/* ---- placement -------------------------------------------------------- */

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static enum tame_err
input_fit(struct trend_index *ix, uint32_t n)
{
	uint32_t *p;
	float *w;

	if (n <= ix->cin)
		return TAME_OK;
	p = realloc(ix->in_id, n * sizeof(*p));
	if (!p)
		return TAME_ENOMEM;
	ix->in_id = p;
	w = realloc(ix->in_w, n * sizeof(*w));
	if (!w)
		return TAME_ENOMEM;
	ix->in_w = w;
	ix->cin = n;
	return TAME_OK;
}

/* Reads in's terms into the dictionary (counting them once for the idf)
 * and keeps the TREND_TICKET_TERMS most telling ones in x, sorted. */
static enum tame_err
read_terms(struct trend_index *ix, const struct trend_input *in,
    struct tslot *x)
{
	size_t nin = in->nterm < INPUT_TERMS_MAX ? in->nterm : INPUT_TERMS_MAX;
	uint32_t n = 0, u = 0, i, j, k, best;
	const char *d;
	float tmpw;
	enum tame_err rc;

	x->nterm = 0;
	if ((rc = input_fit(ix, (uint32_t)nin + 1)))
		return rc;
	for (i = 0; i < nin; i++) {
		if (!in->terms[i] || !in->terms[i][0])
			continue;
		d = in->display ? in->display[i] : NULL;
		if ((rc = trend_term_get(ix, in->terms[i], d, &ix->in_id[n])))
			return rc;
		n++;
	}
	if (n == 0)
		return TAME_OK;
	qsort(ix->in_id, n, sizeof(*ix->in_id), u32_cmp);
	ix->ndocs++;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && ix->in_id[j] == ix->in_id[i]; j++)
			;
		ix->terms[ix->in_id[i]].df++;
		ix->in_id[u] = ix->in_id[i];
		ix->in_w[u] = (float)((1.0 + log((double)(j - i))) *
		    trend_idf(ix, ix->in_id[i]));
		u++;
	}
	/* The heaviest first (u is small: selection is enough). */
	for (k = 0; k < u && k < TREND_TICKET_TERMS; k++) {
		for (best = k, i = k + 1; i < u; i++)
			if (ix->in_w[i] > ix->in_w[best])
				best = i;
		x->term[k] = ix->in_id[best];
		ix->in_id[best] = ix->in_id[k];
		tmpw = ix->in_w[best];
		ix->in_w[best] = ix->in_w[k];
		ix->in_w[k] = tmpw;
	}
	x->nterm = (uint8_t)k;
	qsort(x->term, x->nterm, sizeof(*x->term), u32_cmp);
	return TAME_OK;
}

static enum tame_err
slot_new(struct trend_index *ix, int64_t ticket, uint32_t *out)
{
	struct tslot *p;
	uint32_t s, ncap;
	enum tame_err rc;

	if (ix->ts_free != NIL) {
		s = ix->ts_free;
		ix->ts_free = ix->ts[s].next;
	} else {
		if (ix->nts == ix->cts) {
			ncap = ix->cts ? ix->cts * 2 : 1024;
			p = realloc(ix->ts, ncap * sizeof(*p));
			if (!p)
				return TAME_ENOMEM;
			ix->ts = p;
			ix->cts = ncap;
		}
		s = ix->nts++;
	}
	memset(&ix->ts[s], 0, sizeof(ix->ts[s]));
	ix->ts[s].ticket = ticket;
	ix->ts[s].trend = NIL;
	ix->ts[s].prev = ix->ts[s].next = NIL;
	if ((rc = u64map_put(&ix->by_ticket, (uint64_t)ticket, s))) {
		ix->ts[s].ticket = 0;
		ix->ts[s].next = ix->ts_free;
		ix->ts_free = s;
		return rc;
	}
	*out = s;
	return TAME_OK;
}

static void
slot_free(struct trend_index *ix, uint32_t s)
{
	u64map_del(&ix->by_ticket, (uint64_t)ix->ts[s].ticket);
	ix->ts[s].ticket = 0;
	ix->ts[s].next = ix->ts_free;
	ix->ts_free = s;
}

/* Bounded refinement: the next few placed tickets, round robin. */
static enum tame_err
refine_some(struct trend_index *ix, uint32_t skip)
{
	unsigned done = 0, probes = 0;
	uint32_t s;
	enum tame_err rc;

	while (done < ix->p.refine && probes++ < 4 * ix->p.refine + 4 &&
	    ix->nts > 1) {
		s = ix->refine_at++ % ix->nts;
		if (ix->refine_at >= ix->nts)
			ix->refine_at = 0;
		if (s == skip || ix->ts[s].ticket == 0 ||
		    (ix->ts[s].flags & TS_PINNED))
			continue;
		if ((rc = refine_one(ix, s)))
			return rc;
		done++;
	}
	return TAME_OK;
}

static int
pow2(uint32_t n)
{
	return n >= 2 && (n & (n - 1)) == 0;
}

enum tame_err
trend_place(struct trend_index *ix, int64_t ticket,
    const struct trend_input *in, int64_t now, uint32_t *trend)
{
	uint32_t s, cur = NIL, t;
	double sc;
	int64_t rel;
	enum tame_err rc;

	*trend = 0;
	if (ticket <= 0 || !in)
		return TAME_EINVAL;
	if (ix->t0 < 0)
		ix->t0 = now;
	if (u64map_get(&ix->by_ticket, (uint64_t)ticket, &s)) {
		cur = ix->ts[s].trend;
		trend_leave(ix, s);
	} else if ((rc = slot_new(ix, ticket, &s)))
		return rc;
	if ((rc = read_terms(ix, in, &ix->ts[s])))
		goto fail;
	if (ix->ts[s].nterm == 0) {
		/* Nothing to group by: no trend. */
		slot_free(ix, s);
		if (cur != NIL)
			trend_free_if_empty(ix, cur);
		return TAME_OK;
	}
	rel = (now - ix->t0) / 1000;
	ix->ts[s].placed = rel < 0 ? 0 : rel > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)rel;
	if (cur != NIL && (ix->ts[s].flags & TS_PINNED)) {
		t = cur; /* an agent put it there */
	} else {
		t = best_trend(ix, s, &sc);
		if (t == NIL || sc < ix->p.threshold) {
			t = cur != NIL && ix->tr[cur].nmemb == 0 ? cur :
			    trend_new_slot(ix, now);
			if (t == NIL) {
				rc = TAME_ENOMEM;
				goto fail;
			}
		}
	}
	if ((rc = trend_join(ix, t, s, now)))
		goto fail;
	if (cur != NIL && cur != t)
		trend_free_if_empty(ix, cur);
	if ((rc = refine_some(ix, s)))
		return rc;
	t = ix->ts[s].trend;
	if ((pow2(ix->tr[t].nmemb) || ix->tr[t].nmemb % 64 == 0) &&
	    (rc = merge_near(ix, t)))
		return rc;
	*trend = ix->tr[ix->ts[s].trend].id;
	trend_dict_tend(ix);
	return TAME_OK;
fail:
	if (ix->ts[s].trend == NIL) {
		slot_free(ix, s);
		if (cur != NIL)
			trend_free_if_empty(ix, cur);
	}
	return rc;
}

enum tame_err
trend_restore(struct trend_index *ix, int64_t ticket,
    const struct trend_input *in, int64_t now, uint32_t into,
    unsigned flags, uint32_t *trend)
{
	uint32_t s, t = NIL;
	int64_t rel;
	enum tame_err rc;

	*trend = 0;
	if (ticket <= 0 || !in)
		return TAME_EINVAL;
	if (u64map_get(&ix->by_ticket, (uint64_t)ticket, &s))
		return TAME_EEXIST;
	if (into && (t = trend_slot_of(ix, trend_resolve(ix, into))) == NIL)
		return TAME_ENOTFOUND;
	if (ix->t0 < 0)
		ix->t0 = now;
	if ((rc = slot_new(ix, ticket, &s)))
		return rc;
	if ((rc = read_terms(ix, in, &ix->ts[s])) || ix->ts[s].nterm == 0)
		goto fail;
	rel = (now - ix->t0) / 1000;
	ix->ts[s].placed = rel < 0 ? 0 : rel > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)rel;
	if (flags & TREND_RESTORE_PINNED)
		ix->ts[s].flags |= TS_PINNED;
	if (t == NIL) {
		if ((t = trend_new_slot(ix, now)) == NIL) {
			rc = TAME_ENOMEM;
			goto fail;
		}
		if (flags & (TREND_RESTORE_SPLIT | TREND_RESTORE_SOLO))
			ix->tr[t].flags |= TF_AGENT;
		if (flags & TREND_RESTORE_SOLO)
			ix->tr[t].flags |= TF_SOLO;
	}
	if ((rc = trend_join(ix, t, s, now))) {
		if (ix->ts[s].trend == NIL)
			trend_free_if_empty(ix, t);
		goto fail;
	}
	*trend = ix->tr[t].id;
	trend_dict_tend(ix);
	return TAME_OK;
fail:
	if (ix->ts[s].trend == NIL)
		slot_free(ix, s);
	return rc;
}

enum tame_err
trend_remove(struct trend_index *ix, int64_t ticket)
{
	uint32_t s, cur;

	if (!u64map_get(&ix->by_ticket, (uint64_t)ticket, &s))
		return TAME_ENOTFOUND;
	cur = ix->ts[s].trend;
	trend_leave(ix, s);
	if (cur != NIL)
		trend_free_if_empty(ix, cur);
	slot_free(ix, s);
	return TAME_OK;
}

enum tame_err
trend_set_waiting(struct trend_index *ix, int64_t ticket, int waiting)
{
	struct tslot *x;
	uint32_t s;

	if (!u64map_get(&ix->by_ticket, (uint64_t)ticket, &s))
		return TAME_ENOTFOUND;
	x = &ix->ts[s];
	if (!waiting == !(x->flags & TS_WAITING))
		return TAME_OK;
	x->flags ^= TS_WAITING;
	if (x->trend != NIL) {
		if (waiting)
			ix->tr[x->trend].nwait++;
		else
			ix->tr[x->trend].nwait--;
	}
	return TAME_OK;
}

uint32_t
trend_of(const struct trend_index *ix, int64_t ticket)
{
	uint32_t s;

	if (!u64map_get(&ix->by_ticket, (uint64_t)ticket, &s) ||
	    ix->ts[s].trend == NIL)
		return 0;
	return ix->tr[ix->ts[s].trend].id;
}

uint32_t
trend_resolve(const struct trend_index *ix, uint32_t id)
{
	uint32_t s, hops;

	for (hops = 0; hops < 64 && id; hops++) {
		if (u64map_get(&ix->by_id, id, &s))
			return id;
		if (!u64map_get(&ix->alias, id, &id))
			return 0;
	}
	return 0;
}
