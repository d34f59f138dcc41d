/*
 * trend.c - the trend index: centroids and their inverted index,
 * placement of a ticket, refinement of older placements and merging of
 * near-identical trends.
 * See trend.h for the model and trend_impl.h for the layout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "trend_impl.h"

/* Distinct terms read from one ticket; text.h already bounds tokens. */
#define INPUT_TERMS_MAX 8192

void
trend_params_default(struct trend_params *p)
{
	p->threshold = 0.25;
	p->merge = 0.25;
	p->refine = 1;
	p->pair_weight = 1.0;
}

/* ---- index ------------------------------------------------------------ */

struct trend_index *
trend_index_new(const struct trend_params *p)
{
	struct trend_index *ix;

	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	if (p)
		ix->p = *p;
	else
		trend_params_default(&ix->p);
	buf_init(&ix->strs, TREND_STRS_MAX);
	ix->ts_free = NIL;
	ix->tr_free = NIL;
	ix->t0 = -1;
	return ix;
}

void
trend_index_free(struct trend_index *ix)
{
	uint32_t i;

	if (!ix)
		return;
	for (i = 0; i < ix->nterms; i++)
		free(ix->terms[i].post);
	for (i = 0; i < ix->ntr; i++) {
		free(ix->tr[i].c);
		free(ix->tr[i].label);
	}
	free(ix->terms);
	free(ix->thash);
	buf_free(&ix->strs);
	free(ix->ts);
	free(ix->tr);
	trend_u64map_free(&ix->by_ticket);
	trend_u64map_free(&ix->by_id);
	trend_u64map_free(&ix->alias);
	free(ix->apart);
	free(ix->bans);
	free(ix->acc);
	free(ix->touched);
	free(ix->in_id);
	free(ix->in_w);
	free(ix);
}

/* ---- centroids -------------------------------------------------------- */

/* Index of term in t's centroid, or where it would go (*found = 0). */
static uint32_t
cfind(const struct trend *t, uint32_t term, int *found)
{
	uint32_t lo = 0, hi = t->nc, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (t->c[mid].term < term)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->nc && t->c[lo].term == term;
	return lo;
}

static void
centroid_norm(const struct trend_index *ix, struct trend *t)
{
	double n = 0, w;
	uint32_t i;

	for (i = 0; i < t->nc; i++) {
		w = t->c[i].cnt * trend_w(ix, t->c[i].term);
		n += w * w;
	}
	t->norm = (float)sqrt(n);
}

static void
centroid_drop(struct trend_index *ix, uint32_t ti, uint32_t i)
{
	struct trend *t = &ix->tr[ti];

	trend_post_del(&ix->terms[t->c[i].term], ti);
	memmove(&t->c[i], &t->c[i + 1], (t->nc - i - 1) * sizeof(*t->c));
	t->nc--;
}

static enum tame_err
centroid_add(struct trend_index *ix, uint32_t ti, uint32_t term)
{
	struct trend *t = &ix->tr[ti];
	struct cterm *c;
	uint32_t i, m, ncap;
	int found;

	i = cfind(t, term, &found);
	if (found) {
		t->c[i].cnt++;
		return TAME_OK;
	}
	if (t->nc == TREND_CENTROID_MAX) {
		/* Full: a new term only takes the place of one seen once. */
		for (m = 0, i = 1; i < t->nc; i++)
			if (t->c[i].cnt < t->c[m].cnt)
				m = i;
		if (t->c[m].cnt > 1)
			return TAME_OK;
		centroid_drop(ix, ti, m);
		i = cfind(t, term, &found);
	}
	if (t->nc == t->cc) {
		ncap = t->cc ? t->cc * 2 : 8;
		if (ncap > TREND_CENTROID_MAX)
			ncap = TREND_CENTROID_MAX;
		c = realloc(t->c, ncap * sizeof(*c));
		if (!c)
			return TAME_ENOMEM;
		t->c = c;
		t->cc = (uint16_t)ncap;
	}
	if (trend_post_add(&ix->terms[term], ti))
		return TAME_ENOMEM;
	memmove(&t->c[i + 1], &t->c[i], (t->nc - i) * sizeof(*t->c));
	t->c[i].term = term;
	t->c[i].cnt = 1;
	t->nc++;
	return TAME_OK;
}

static void
centroid_sub(struct trend_index *ix, uint32_t ti, uint32_t term)
{
	struct trend *t = &ix->tr[ti];
	uint32_t i;
	int found;

	i = cfind(t, term, &found);
	if (!found)
		return;
	if (--t->c[i].cnt == 0)
		centroid_drop(ix, ti, i);
}

/* ---- trends and members ----------------------------------------------- */

uint32_t
trend_slot_of(const struct trend_index *ix, uint32_t id)
{
	uint32_t s;

	if (id == 0 || !u64map_get(&ix->by_id, id, &s))
		return NIL;
	return s;
}

static enum tame_err
scratch_fit(struct trend_index *ix)
{
	float *a;
	uint32_t *t;

	if (ix->cacc >= ix->ctr)
		return TAME_OK;
	a = realloc(ix->acc, ix->ctr * sizeof(*a));
	if (!a)
		return TAME_ENOMEM;
	ix->acc = a;
	t = realloc(ix->touched, ix->ctr * sizeof(*t));
	if (!t)
		return TAME_ENOMEM;
	ix->touched = t;
	memset(ix->acc + ix->cacc, 0, (ix->ctr - ix->cacc) * sizeof(*a));
	ix->cacc = ix->ctr;
	return TAME_OK;
}

uint32_t
trend_new_slot(struct trend_index *ix, int64_t now)
{
	struct trend *t;
	uint32_t s, ncap;

	if (ix->tr_free != NIL) {
		s = ix->tr_free;
		ix->tr_free = ix->tr[s].head;
	} else {
		if (ix->ntr == ix->ctr) {
			ncap = ix->ctr ? ix->ctr * 2 : 256;
			t = realloc(ix->tr, ncap * sizeof(*t));
			if (!t)
				return NIL;
			ix->tr = t;
			ix->ctr = ncap;
			if (scratch_fit(ix))
				return NIL;
		}
		s = ix->ntr++;
	}
	t = &ix->tr[s];
	memset(t, 0, sizeof(*t));
	t->head = NIL;
	t->id = ++ix->next_id;
	t->first_seen = now;
	t->last_seen = now;
	if (u64map_put(&ix->by_id, t->id, s)) {
		t->id = 0;
		t->head = ix->tr_free;
		ix->tr_free = s;
		return NIL;
	}
	ix->live++;
	return s;
}

void
trend_free_if_empty(struct trend_index *ix, uint32_t ti)
{
	struct trend *t = &ix->tr[ti];

	if (t->id == 0 || t->nmemb > 0)
		return;
	while (t->nc > 0)
		centroid_drop(ix, ti, t->nc - 1);
	free(t->c);
	free(t->label);
	u64map_del(&ix->by_id, t->id);
	memset(t, 0, sizeof(*t));
	t->head = ix->tr_free;
	ix->tr_free = ti;
	ix->live--;
}

/* Moves t's rings forward to the 10-minute tick a and hour b. */
static void
ring_advance(struct trend *t, uint32_t a, uint32_t b)
{
	uint32_t k;

	for (k = 0; t->t10 < a && k < 6; k++)
		t->m10[(t->t10 + 1 + k) % 6] = 0;
	if (a > t->t10)
		t->t10 = a;
	for (k = 0; t->th < b && k < 24; k++)
		t->h[(t->th + 1 + k) % 24] = 0;
	if (b > t->th)
		t->th = b;
}

static void
ring_bump(uint16_t *slot, int delta)
{
	if (delta > 0 && *slot < UINT16_MAX)
		(*slot)++;
	else if (delta < 0 && *slot > 0)
		(*slot)--;
}

/* Counts (delta +1) or uncounts (-1) an arrival at placed seconds. */
void
trend_count(struct trend *t, uint32_t placed, int delta)
{
	uint32_t a = placed / 600, b = placed / 3600;

	if (delta > 0)
		ring_advance(t, a, b);
	if (a + 6 > t->t10)
		ring_bump(&t->m10[a % 6], delta);
	if (b + 24 > t->th)
		ring_bump(&t->h[b % 24], delta);
}

/* Arrivals in the last hour (hours = 1, by 10-minute slots) or the last
 * day (hours = 24, by hours) before now_sec. */
uint32_t
trend_recent(const struct trend *t, uint32_t now_sec, int hours)
{
	uint32_t n = 0, k, now = hours == 1 ? now_sec / 600 : now_sec / 3600;
	uint32_t last = hours == 1 ? t->t10 : t->th, size = hours == 1 ? 6 : 24;

	for (k = 0; k < size && k <= last; k++)
		if (last - k + size > now)
			n += hours == 1 ? t->m10[(last - k) % 6] :
			    t->h[(last - k) % 24];
	return n;
}

enum tame_err
trend_link(struct trend_index *ix, uint32_t ti, uint32_t s)
{
	struct trend *t = &ix->tr[ti];
	struct tslot *x = &ix->ts[s];
	uint32_t i;
	enum tame_err rc = TAME_OK;

	x->trend = ti;
	x->prev = NIL;
	x->next = t->head;
	if (t->head != NIL)
		ix->ts[t->head].prev = s;
	t->head = s;
	t->nmemb++;
	for (i = 0; i < x->nterm && !rc; i++)
		rc = centroid_add(ix, ti, x->term[i]);
	centroid_norm(ix, t);
	return rc;
}

enum tame_err
trend_join(struct trend_index *ix, uint32_t ti, uint32_t s, int64_t now)
{
	struct trend *t = &ix->tr[ti];

	t->placed++;
	trend_count(t, ix->ts[s].placed, 1);
	if (now > t->last_seen)
		t->last_seen = now;
	if (now < t->first_seen)
		t->first_seen = now;
	return trend_link(ix, ti, s);
}

void
trend_leave(struct trend_index *ix, uint32_t s)
{
	struct tslot *x = &ix->ts[s];
	struct trend *t;
	uint32_t i;

	if (x->trend == NIL)
		return;
	t = &ix->tr[x->trend];
	if (x->prev != NIL)
		ix->ts[x->prev].next = x->next;
	else
		t->head = x->next;
	if (x->next != NIL)
		ix->ts[x->next].prev = x->prev;
	t->nmemb--;
	for (i = 0; i < x->nterm; i++)
		centroid_sub(ix, x->trend, x->term[i]);
	centroid_norm(ix, t);
	x->trend = NIL;
	x->prev = x->next = NIL;
}

/* Adds the arrival counts of b to a. */
static void
rings_add(struct trend *a, const struct trend *b)
{
	uint32_t k;

	ring_advance(a, b->t10, b->th);
	for (k = 0; k < 6 && k <= b->t10; k++)
		if (b->t10 - k + 6 > a->t10)
			a->m10[(b->t10 - k) % 6] += b->m10[(b->t10 - k) % 6];
	for (k = 0; k < 24 && k <= b->th; k++)
		if (b->th - k + 24 > a->th)
			a->h[(b->th - k) % 24] += b->h[(b->th - k) % 24];
}

/* Moves every member of trend from into trend into and frees from. */
enum tame_err
trend_absorb(struct trend_index *ix, uint32_t into, uint32_t from)
{
	uint32_t s;
	enum tame_err rc;

	while ((s = ix->tr[from].head) != NIL) {
		trend_leave(ix, s);
		if ((rc = trend_link(ix, into, s)))
			return rc;
	}
	if (ix->tr[from].first_seen < ix->tr[into].first_seen)
		ix->tr[into].first_seen = ix->tr[from].first_seen;
	if (ix->tr[from].last_seen > ix->tr[into].last_seen)
		ix->tr[into].last_seen = ix->tr[from].last_seen;
	ix->tr[into].placed += ix->tr[from].placed;
	rings_add(&ix->tr[into], &ix->tr[from]);
	if ((rc = u64map_put(&ix->alias, ix->tr[from].id, ix->tr[into].id)))
		return rc;
	trend_free_if_empty(ix, from);
	return TAME_OK;
}

/* ---- agents' constraints ---------------------------------------------- */

enum tame_err
trend_pair_add(struct pair **v, size_t *n, size_t *cap, uint64_t a,
    uint64_t b)
{
	struct pair *p;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 16;
		p = realloc(*v, ncap * sizeof(*p));
		if (!p)
			return TAME_ENOMEM;
		*v = p;
		*cap = ncap;
	}
	(*v)[*n].a = a;
	(*v)[*n].b = b;
	(*n)++;
	return TAME_OK;
}

int
trend_banned(const struct trend_index *ix, int64_t ticket, uint32_t id)
{
	size_t i;

	for (i = 0; i < ix->nbans; i++)
		if (ix->bans[i].a == (uint64_t)ticket &&
		    trend_resolve(ix, (uint32_t)ix->bans[i].b) == id)
			return 1;
	return 0;
}

int
trend_apart(const struct trend_index *ix, uint32_t a, uint32_t b)
{
	uint32_t x, y;
	size_t i;

	/* Pairs name trends by id; merges since then resolve them. */
	for (i = 0; i < ix->napart; i++) {
		x = trend_resolve(ix, (uint32_t)ix->apart[i].a);
		y = trend_resolve(ix, (uint32_t)ix->apart[i].b);
		if ((x == a && y == b) || (x == b && y == a))
			return 1;
	}
	return 0;
}

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

/* Cosine of two centroids. */
static double
centroid_cos(const struct trend_index *ix, const struct trend *a,
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
	if ((a->flags | b->flags) & TF_SOLO)
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
		sc = centroid_cos(ix, t, &ix->tr[u]);
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
	uint32_t cur = ix->ts[s].trend, best;
	double sc;
	enum tame_err rc;

	if (cur == NIL)
		return TAME_OK;
	trend_leave(ix, s);
	best = best_trend(ix, s, &sc);
	if (best == NIL || best == cur || sc < ix->p.threshold)
		return trend_link(ix, cur, s);
	if ((rc = trend_link(ix, best, s)))
		return rc;
	trend_count(&ix->tr[cur], ix->ts[s].placed, -1);
	trend_count(&ix->tr[best], ix->ts[s].placed, 1);
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
