/*
 * trend.c - the trend index: creating and freeing it, centroids and
 * their inverted index, trends and their members, arrival counts and the
 * agents' constraints. Placement, refinement and merging are
 * trend_place.c.
 * See trend.h for the model and trend_impl.h for the layout.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "trend_impl.h"

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
	ix->compact_at = TREND_COMPACT_MIN;
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
	t->head = t->tail = NIL;
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

	/* empty the slots the clock moves into, not the ones it keeps */
	for (k = 1; k <= 6 && t->t10 + k <= a; k++)
		t->m10[(t->t10 + k) % 6] = 0;
	if (a > t->t10)
		t->t10 = a;
	for (k = 1; k <= 24 && t->th + k <= b; k++)
		t->h[(t->th + k) % 24] = 0;
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

/* The members of a trend are kept newest first (by ticket id, as tickets
 * are numbered when they come), so its newest are at hand for the
 * samples and the trend's ticket list whatever merged or moved since.
 * A new ticket goes to the head; a ticket of another trend walks to its
 * place from a member known to be newer (after, or the head). */
uint32_t
trend_pos(const struct trend_index *ix, uint32_t ti, int64_t ticket,
    uint32_t after)
{
	uint32_t m = after == NIL ? ix->tr[ti].head : ix->ts[after].next;

	for (; m != NIL && ix->ts[m].ticket > ticket; m = ix->ts[m].next)
		after = m;
	return after;
}

enum tame_err
trend_link_after(struct trend_index *ix, uint32_t ti, uint32_t s,
    uint32_t after)
{
	struct trend *t = &ix->tr[ti];
	struct tslot *x = &ix->ts[s];
	uint32_t i, nx;
	enum tame_err rc = TAME_OK;

	nx = after == NIL ? t->head : ix->ts[after].next;
	x->trend = ti;
	x->prev = after;
	x->next = nx;
	if (nx != NIL)
		ix->ts[nx].prev = s;
	else
		t->tail = s;
	if (after == NIL)
		t->head = s;
	else
		ix->ts[after].next = s;
	t->nmemb++;
	if (x->flags & TS_WAITING)
		t->nwait++;
	/* its arrival is counted where it is, once (trend_leave) */
	t->placed++;
	trend_count(t, x->placed, 1);
	for (i = 0; i < x->nterm && !rc; i++)
		rc = centroid_add(ix, ti, x->term[i]);
	centroid_norm(ix, t);
	return rc;
}

enum tame_err
trend_link(struct trend_index *ix, uint32_t ti, uint32_t s)
{
	return trend_link_after(ix, ti, s,
	    trend_pos(ix, ti, ix->ts[s].ticket, NIL));
}

enum tame_err
trend_join(struct trend_index *ix, uint32_t ti, uint32_t s, int64_t now)
{
	struct trend *t = &ix->tr[ti];

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
	else
		t->tail = x->prev;
	t->nmemb--;
	if (x->flags & TS_WAITING)
		t->nwait--;
	if (t->placed)
		t->placed--;
	trend_count(t, x->placed, -1);
	for (i = 0; i < x->nterm; i++)
		centroid_sub(ix, x->trend, x->term[i]);
	centroid_norm(ix, t);
	x->trend = NIL;
	x->prev = x->next = NIL;
}

/* Moves every member of trend from into trend into and frees from. */
enum tame_err
trend_absorb(struct trend_index *ix, uint32_t into, uint32_t from)
{
	uint32_t s, at = NIL;
	enum tame_err rc;

	/* both lists newest first: one walk down into's list */
	while ((s = ix->tr[from].head) != NIL) {
		trend_leave(ix, s);
		at = trend_pos(ix, into, ix->ts[s].ticket, at);
		if ((rc = trend_link_after(ix, into, s, at)))
			return rc;
		at = s;
	}
	if (ix->tr[from].first_seen < ix->tr[into].first_seen)
		ix->tr[into].first_seen = ix->tr[from].first_seen;
	if (ix->tr[from].last_seen > ix->tr[into].last_seen)
		ix->tr[into].last_seen = ix->tr[from].last_seen;
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
