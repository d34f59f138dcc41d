/*
 * trend_dict.c - the small containers of the trend index: a map from
 * 64-bit keys (ticket and trend ids), the term dictionary with its
 * online document frequencies and idf, the postings from a term to the
 * trends whose centroid holds it, and the compaction that keeps the
 * dictionary to the terms that still matter. See trend_impl.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "trend_impl.h"
#include "util.h"

/* ---- maps ------------------------------------------------------------- */

static uint32_t
mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

int
u64map_get(const struct u64map *m, uint64_t key, uint32_t *val)
{
	uint32_t i;

	if (!m->key || key == 0)
		return 0;
	for (i = mix64(key) & m->mask; m->key[i]; i = (i + 1) & m->mask)
		if (m->key[i] == key) {
			*val = m->val[i];
			return 1;
		}
	return 0;
}

static enum tame_err
u64map_grow(struct u64map *m)
{
	struct u64map n;
	uint32_t size = m->key ? (m->mask + 1) * 2 : 64, i;

	n.key = calloc(size, sizeof(*n.key));
	n.val = calloc(size, sizeof(*n.val));
	if (!n.key || !n.val) {
		free(n.key);
		free(n.val);
		return TAME_ENOMEM;
	}
	n.mask = size - 1;
	n.n = 0;
	for (i = 0; m->key && i <= m->mask; i++)
		if (m->key[i])
			(void)u64map_put(&n, m->key[i], m->val[i]);
	free(m->key);
	free(m->val);
	*m = n;
	return TAME_OK;
}

enum tame_err
u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	uint32_t i;
	enum tame_err rc;

	if (key == 0)
		return TAME_EINVAL;
	if (!m->key || (m->n + 1) * 2 > m->mask + 1)
		if ((rc = u64map_grow(m)))
			return rc;
	for (i = mix64(key) & m->mask; m->key[i]; i = (i + 1) & m->mask)
		if (m->key[i] == key) {
			m->val[i] = val;
			return TAME_OK;
		}
	m->key[i] = key;
	m->val[i] = val;
	m->n++;
	return TAME_OK;
}

void
u64map_del(struct u64map *m, uint64_t key)
{
	uint32_t i, j, k;

	if (!m->key || key == 0)
		return;
	for (i = mix64(key) & m->mask; m->key[i] != key; i = (i + 1) & m->mask)
		if (!m->key[i])
			return;
	/* Backward shift: pull later entries of the run into the hole. */
	for (j = i;;) {
		j = (j + 1) & m->mask;
		if (!m->key[j])
			break;
		k = mix64(m->key[j]) & m->mask;
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			i = j;
		}
	}
	m->key[i] = 0;
	m->n--;
}

void
trend_u64map_free(struct u64map *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

/* ---- dictionary ------------------------------------------------------- */

static enum tame_err
thash_grow(struct trend_index *ix)
{
	uint32_t size = ix->thash ? (ix->tmask + 1) * 2 : 1024, i, j;
	uint32_t *h;

	h = calloc(size, sizeof(*h));
	if (!h)
		return TAME_ENOMEM;
	for (i = 0; i < ix->nterms; i++) {
		for (j = ix->terms[i].hash & (size - 1); h[j]; j = (j + 1) & (size - 1))
			;
		h[j] = i + 1;
	}
	free(ix->thash);
	ix->thash = h;
	ix->tmask = size - 1;
	return TAME_OK;
}

/* The slot of thash that holds s (hash h), or the empty one where it
 * would go. */
static uint32_t
term_slot(const struct trend_index *ix, const char *s, uint32_t h)
{
	const struct term_ent *e;
	uint32_t i;

	for (i = h & ix->tmask; ix->thash[i]; i = (i + 1) & ix->tmask) {
		e = &ix->terms[ix->thash[i] - 1];
		if (e->hash == h && strcmp(ix->strs.data + e->str, s) == 0)
			break;
	}
	return i;
}

enum tame_err
trend_term_get(struct trend_index *ix, const char *s, const char *disp,
    uint32_t *out)
{
	struct term_ent *e;
	uint32_t h = tame_str_hash(s), i, ncap;
	enum tame_err rc;

	if (!ix->thash || (ix->nterms + 1) * 2 > ix->tmask + 1)
		if ((rc = thash_grow(ix)))
			return rc;
	i = term_slot(ix, s, h);
	if (ix->thash[i]) {
		*out = ix->thash[i] - 1;
		return TAME_OK;
	}
	if (ix->nterms == ix->cterms) {
		ncap = ix->cterms ? ix->cterms * 2 : 1024;
		e = realloc(ix->terms, ncap * sizeof(*e));
		if (!e)
			return TAME_ENOMEM;
		ix->terms = e;
		ix->cterms = ncap;
	}
	e = &ix->terms[ix->nterms];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->str = (uint32_t)ix->strs.len;
	if ((rc = buf_add(&ix->strs, s, strlen(s) + 1)))
		return rc;
	e->disp = e->str;
	e->pair = strchr(s, ' ') != NULL;
	if (disp && strcmp(disp, s) != 0) {
		e->disp = (uint32_t)ix->strs.len;
		if ((rc = buf_add(&ix->strs, disp, strlen(disp) + 1)))
			return rc;
	}
	ix->thash[i] = ix->nterms + 1;
	*out = ix->nterms++;
	return TAME_OK;
}

const char *
trend_term_str(const struct trend_index *ix, uint32_t term, int display)
{
	const struct term_ent *e = &ix->terms[term];

	return ix->strs.data + (display ? e->disp : e->str);
}

uint32_t
trend_term_df(const struct trend_index *ix, const char *s)
{
	uint32_t i;

	if (!ix->thash)
		return 0;
	i = term_slot(ix, s, tame_str_hash(s));
	return ix->thash[i] ? ix->terms[ix->thash[i] - 1].df : 0;
}

size_t
trend_index_terms(const struct trend_index *ix)
{
	return ix->nterms;
}

double
trend_idf(const struct trend_index *ix, uint32_t term)
{
	return log(((double)ix->ndocs + 1.0) /
	    ((double)ix->terms[term].df + 1.0)) + 1.0;
}

/* Weight of a term in a ticket. */
double
trend_w(const struct trend_index *ix, uint32_t term)
{
	double w = trend_idf(ix, term);

	return ix->terms[term].pair ? w * ix->p.pair_weight : w;
}

enum tame_err
trend_post_add(struct term_ent *e, uint32_t t)
{
	uint32_t *p, ncap;

	if (e->npost == e->cpost) {
		ncap = e->cpost ? e->cpost * 2 : 4;
		p = realloc(e->post, ncap * sizeof(*p));
		if (!p)
			return TAME_ENOMEM;
		e->post = p;
		e->cpost = ncap;
	}
	e->post[e->npost++] = t;
	return TAME_OK;
}

void
trend_post_del(struct term_ent *e, uint32_t t)
{
	uint32_t i;

	for (i = 0; i < e->npost; i++)
		if (e->post[i] == t) {
			e->post[i] = e->post[--e->npost];
			return;
		}
}

/* ---- compaction ------------------------------------------------------- */

/* Marks in keep[] the terms that must stay: those of an open ticket or
 * a centroid (its terms are its tickets', but a posting is cheap to
 * honour), and those seen in more than one ticket. Returns how many. */
static uint32_t
mark_kept(const struct trend_index *ix, uint32_t *keep)
{
	const struct term_ent *e;
	uint32_t i, k, n = 0;

	for (i = 0; i < ix->nts; i++)
		for (k = 0; ix->ts[i].ticket && k < ix->ts[i].nterm; k++)
			keep[ix->ts[i].term[k]] = 1;
	for (i = 0; i < ix->ntr; i++)
		for (k = 0; ix->tr[i].id && k < ix->tr[i].nc; k++)
			keep[ix->tr[i].c[k].term] = 1;
	for (i = 0; i < ix->nterms; i++) {
		e = &ix->terms[i];
		if (e->df > 1 || e->npost > 0)
			keep[i] = 1;
		n += keep[i];
	}
	return n;
}

/* Appends string off of the old strings to strs (room is reserved) and
 * answers its new offset. */
static uint32_t
str_move(const struct trend_index *ix, uint32_t off, struct buf *strs)
{
	const char *s = ix->strs.data + off;
	uint32_t at = (uint32_t)strs->len;

	(void)buf_add(strs, s, strlen(s) + 1);
	return at;
}

/*
 * Rebuilds the dictionary without the terms mark_kept() lets go, when
 * at least a quarter can go (force: whatever their number). Kept terms
 * are numbered in their old order, so the terms of a ticket and of a
 * centroid stay sorted as they are and every tie between terms falls
 * as before: what the index answers for its open tickets is the same.
 * Everything is allocated before the index is touched: on TAME_ENOMEM
 * nothing changed.
 */
static enum tame_err
compact(struct trend_index *ix, int force, uint32_t *dropped)
{
	struct term_ent *e, *v;
	struct buf strs;
	uint32_t *map, *h = NULL, n, i, j, k, size = 1024;
	size_t need = 0;
	int same;
	enum tame_err rc = TAME_ENOMEM;

	*dropped = 0;
	if (ix->nterms == 0)
		return TAME_OK;
	buf_init(&strs, TREND_STRS_MAX);
	if (!(map = calloc(ix->nterms, sizeof(*map))))
		goto out;
	n = mark_kept(ix, map);
	if (n == ix->nterms || (!force && (ix->nterms - n) * 4 < ix->nterms)) {
		rc = TAME_OK;
		goto out;
	}
	for (i = 0; i < ix->nterms; i++) {
		e = &ix->terms[i];
		if (map[i])
			need += strlen(ix->strs.data + e->str) + 1 +
			    (e->disp != e->str ?
			    strlen(ix->strs.data + e->disp) + 1 : 0);
	}
	while ((n + 1) * 2 > size)
		size *= 2;
	if (!(h = calloc(size, sizeof(*h))) ||
	    (rc = buf_reserve(&strs, need)))
		goto out;
	/* from here on nothing can fail */
	for (i = 0, j = 0; i < ix->nterms; i++) {
		e = &ix->terms[i];
		if (!map[i]) {
			free(e->post);
			map[i] = NIL;
			continue;
		}
		map[i] = j;
		same = e->disp == e->str;
		e->str = str_move(ix, e->str, &strs);
		e->disp = same ? e->str : str_move(ix, e->disp, &strs);
		ix->terms[j] = *e;
		for (k = e->hash & (size - 1); h[k]; k = (k + 1) & (size - 1))
			;
		h[k] = j + 1;
		j++;
	}
	for (i = 0; i < ix->nts; i++)
		for (k = 0; ix->ts[i].ticket && k < ix->ts[i].nterm; k++)
			ix->ts[i].term[k] = map[ix->ts[i].term[k]];
	for (i = 0; i < ix->ntr; i++)
		for (k = 0; ix->tr[i].id && k < ix->tr[i].nc; k++)
			ix->tr[i].c[k].term = map[ix->tr[i].c[k].term];
	*dropped = ix->nterms - n;
	ix->nterms = n;
	buf_free(&ix->strs);
	ix->strs = strs;
	buf_init(&strs, TREND_STRS_MAX);
	free(ix->thash);
	ix->thash = h;
	h = NULL;
	ix->tmask = size - 1;
	/* give back what the dropped terms held, leaving room to grow */
	if (ix->cterms > 2 * n && ix->cterms > 1024) {
		k = n > 512 ? 2 * n : 1024;
		if ((v = realloc(ix->terms, k * sizeof(*v)))) {
			ix->terms = v;
			ix->cterms = k;
		}
	}
	rc = TAME_OK;
out:
	free(map);
	free(h);
	buf_free(&strs);
	return rc;
}

enum tame_err
trend_compact(struct trend_index *ix, size_t *dropped)
{
	uint32_t d;
	enum tame_err rc = compact(ix, 1, &d);

	if (dropped)
		*dropped = d;
	return rc;
}

/* See trend_impl.h. A compaction reads the whole dictionary and every
 * open ticket (0.7 ms with 36,000 of them); waiting each time for the
 * dictionary to double makes that a few steps per term added, and one
 * placement in many thousands that pays for it. Out of memory, it is
 * tried again at the next mark. */
void
trend_dict_tend(struct trend_index *ix)
{
	uint32_t d;

	if (ix->nterms < ix->compact_at)
		return;
	(void)compact(ix, 0, &d);
	if (ix->nterms > UINT32_MAX / 2)
		ix->compact_at = UINT32_MAX;
	else if (2 * ix->nterms > TREND_COMPACT_MIN)
		ix->compact_at = 2 * ix->nterms;
	else
		ix->compact_at = TREND_COMPACT_MIN;
}
