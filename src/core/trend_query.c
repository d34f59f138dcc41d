/*
 * trend_query.c - what agents see of the trend index (labels, counts,
 * growth, samples) and what they do to it (rename, merge, split, move a
 * ticket out). See trend.h for the rules these keep.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trend_impl.h"

#define LABEL_NAME_MAX 200
/* Members read to choose the representative ticket of a big trend. */
#define REP_SCAN_MAX 16

/* ---- what agents see -------------------------------------------------- */

/* Whether word w is one of the words of the display form p. */
static int
has_word(const char *p, const char *w)
{
	size_t len = strlen(w);
	const char *q;

	for (q = p; (q = strstr(q, w)) != NULL; q += len)
		if ((q == p || q[-1] == ' ') && (q[len] == '\0' || q[len] == ' '))
			return 1;
	return 0;
}

/* Adds display form w to the telling words of o (n of them so far): a
 * word already inside a chosen pair is not repeated, and a pair takes
 * the place of the single words it contains. Returns the new count. */
static int
add_word(struct trend_info *o, int n, const char *w)
{
	int i, j;

	for (i = 0; i < n; i++)
		if (has_word(o->words[i], w))
			return n;
	if (strchr(w, ' '))
		for (i = 0; i < n; i++)
			if (!strchr(o->words[i], ' ') && has_word(w, o->words[i])) {
				for (j = i; j + 1 < n; j++)
					memcpy(o->words[j], o->words[j + 1],
					    sizeof(o->words[j]));
				n--;
				i--;
			}
	snprintf(o->words[n], sizeof(o->words[n]), "%s", w);
	return n + 1;
}

/* The most telling words: share of members carrying the term times its
 * weight, best first, pairs preferred to their words. */
static void
telling_words(const struct trend_index *ix, const struct trend *t,
    const double *cw, struct trend_info *o)
{
	uint32_t used[2 * TREND_WORDS + 2], i, k, pick, tries;
	double best;
	int n = 0;

	for (tries = 0; n < TREND_WORDS && tries < 2 * TREND_WORDS + 2; tries++) {
		best = -1;
		pick = NIL;
		for (i = 0; i < t->nc; i++) {
			for (k = 0; k < tries && used[k] != i; k++)
				;
			if (k == tries && cw[i] > best) {
				best = cw[i];
				pick = i;
			}
		}
		if (pick == NIL)
			break;
		used[tries] = pick;
		n = add_word(o, n, trend_term_str(ix, t->c[pick].term, 1));
	}
}

/* The member whose terms weigh most in the centroid, per term. */
static int64_t
representative(const struct trend_index *ix, const struct trend *t,
    const double *cw)
{
	const struct tslot *x;
	uint32_t s, i, k, scanned = 0;
	double sc, best = -1;
	int64_t rep = 0;

	for (s = t->head; s != NIL && scanned < REP_SCAN_MAX;
	    s = x->next, scanned++) {
		x = &ix->ts[s];
		sc = 0;
		for (i = 0, k = 0; i < x->nterm; i++) {
			while (k < t->nc && t->c[k].term < x->term[i])
				k++;
			if (k < t->nc && t->c[k].term == x->term[i])
				sc += cw[k];
		}
		sc /= sqrt((double)x->nterm);
		if (sc > best) {
			best = sc;
			rep = x->ticket;
		}
	}
	return rep;
}

/* The newest (at most max) members of trend slot t into out, newest
 * first (the order trend.c keeps them in); answers how many. */
static size_t
newest(const struct trend_index *ix, uint32_t t, int64_t *out, size_t max)
{
	uint32_t m;
	size_t k = 0;

	for (m = ix->tr[t].head; m != NIL && k < max; m = ix->ts[m].next)
		out[k++] = ix->ts[m].ticket;
	return k;
}

/* Whether the recent tickets of a trend (recent, in the last win hours)
 * came at least twice as fast as the trend's tickets before them; a
 * trend with less than win hours of history before the window is new,
 * and rising when that many came at all. placed: its tickets, age_h:
 * its age in hours. */
static int
rising(uint32_t placed, double age_h, uint32_t recent, double win)
{
	double before_h = age_h - win, before;

	if (recent < TREND_RISING_MIN)
		return 0;
	if (before_h < win)
		return 1;
	before = placed > recent ? (double)(placed - recent) / before_h : 0;
	return recent / win >= 2.0 * before;
}

/* The counts and growth of trend t at now into o (ids, words and
 * samples aside): cheap, for ordering every trend. */
static void
fill_growth(const struct trend_index *ix, const struct trend *t, int64_t now,
    struct trend_info *o)
{
	int64_t rel = (now - ix->t0) / 1000, age;
	double age_h;

	o->open = t->nmemb;
	o->waiting = t->nwait;
	rel = rel < 0 ? 0 : rel > UINT32_MAX ? UINT32_MAX : rel;
	o->last_hour = trend_recent(t, (uint32_t)rel, 1);
	o->last_day = trend_recent(t, (uint32_t)rel, 24);
	/* the usual rate of the tickets it counts: its open ones, since
	 * the oldest of them came (as a restart, which places only them,
	 * would see it), not since the trend began */
	age = now - (t->tail != NIL ? ix->t0 + (int64_t)ix->ts[t->tail]
	    .placed * 1000 : t->first_seen);
	if (age < 3600 * 1000)
		age = 3600 * 1000; /* less than an hour old: per hour so far */
	age_h = (double)age / 3600000.0;
	o->usual_per_hour = t->placed / age_h;
	/* a trend younger than a day: its day so far */
	o->growth = o->usual_per_hour > 0 ? (o->last_day / (age_h < 24.0 ?
	    age_h : 24.0)) / o->usual_per_hour : 0;
	o->rising = rising(t->placed, age_h, o->last_hour, 1.0) ||
	    rising(t->placed, age_h, o->last_day, 24.0);
}

static void
fill_info(const struct trend_index *ix, const struct trend *t, int64_t now,
    struct trend_info *o)
{
	double cw[TREND_CENTROID_MAX];
	size_t i, len = 0;
	int n;

	memset(o, 0, sizeof(*o));
	o->id = t->id;
	o->first_seen = t->first_seen;
	o->last_seen = t->last_seen;
	o->nsample = newest(ix, (uint32_t)(t - ix->tr), o->sample,
	    TREND_SAMPLES);
	fill_growth(ix, t, now, o);
	for (i = 0; i < t->nc; i++)
		cw[i] = t->c[i].cnt * trend_w(ix, t->c[i].term);
	telling_words(ix, t, cw, o);
	o->rep_ticket = representative(ix, t, cw);
	if (t->label) {
		o->named = 1;
		snprintf(o->label, sizeof(o->label), "%s", t->label);
		return;
	}
	for (i = 0; i < TREND_WORDS && o->words[i][0]; i++) {
		n = snprintf(o->label + len, sizeof(o->label) - len, "%s%s",
		    i ? ", " : "", o->words[i]);
		if (n < 0 || (size_t)n >= sizeof(o->label) - len)
			break;
		len += (size_t)n;
	}
}

enum tame_err
trend_get(const struct trend_index *ix, uint32_t id, int64_t now,
    struct trend_info *out)
{
	uint32_t s = trend_slot_of(ix, trend_resolve(ix, id));

	if (s == NIL)
		return TAME_ENOTFOUND;
	fill_info(ix, &ix->tr[s], now, out);
	return TAME_OK;
}

struct order {
	uint32_t slot;
	uint32_t rising;      /* 0 unless rising comes first */
	uint32_t to_answer;   /* 0 unless rising comes first */
	uint32_t open;
};

static int
order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->rising != y->rising)
		return x->rising < y->rising ? 1 : -1;
	if (x->to_answer != y->to_answer)
		return x->to_answer < y->to_answer ? 1 : -1;
	if (x->open != y->open)
		return x->open < y->open ? 1 : -1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

enum tame_err
trend_list(const struct trend_index *ix, uint32_t min_open, size_t max,
    int64_t now, struct trend_info **out, size_t *n)
{
	struct trend_list_q q = { min_open, max, 0, NULL, NULL };

	return trend_list_by(ix, &q, now, out, n, NULL);
}

enum tame_err
trend_list_by(const struct trend_index *ix, const struct trend_list_q *q,
    int64_t now, struct trend_info **out, size_t *n, size_t *total)
{
	struct order *ord = NULL;
	struct trend_info *info = NULL, g;
	size_t k = 0, i;
	uint32_t s, min_open = q->min_open ? q->min_open : 1;
	enum tame_err rc = TAME_ENOMEM;

	*out = NULL;
	*n = 0;
	ord = malloc((ix->ntr ? ix->ntr : 1) * sizeof(*ord));
	if (!ord)
		goto out;
	for (s = 0; s < ix->ntr; s++) {
		if (!ix->tr[s].id || ix->tr[s].nmemb < min_open ||
		    (q->keep && !q->keep(q->keep_arg, ix->tr[s].id)))
			continue;
		memset(&ord[k], 0, sizeof(ord[k]));
		ord[k].slot = s;
		ord[k].open = ix->tr[s].nmemb;
		if (q->rising_first) {
			fill_growth(ix, &ix->tr[s], now, &g);
			ord[k].rising = (uint32_t)g.rising;
			ord[k].to_answer = g.open - g.waiting;
		}
		k++;
	}
	if (total)
		*total = k;
	qsort(ord, k, sizeof(*ord), order_cmp);
	if (k > q->max)
		k = q->max;
	info = calloc(k ? k : 1, sizeof(*info));
	if (!info)
		goto out;
	for (i = 0; i < k; i++)
		fill_info(ix, &ix->tr[ord[i].slot], now, &info[i]);
	*out = info;
	*n = k;
	info = NULL;
	rc = TAME_OK;
out:
	free(ord);
	free(info);
	return rc;
}

struct alike {
	uint32_t id;
	double score;
};

static int
alike_cmp(const void *a, const void *b)
{
	const struct alike *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

size_t
trend_similar(const struct trend_index *ix, uint32_t id, size_t max,
    uint32_t *ids, double *score)
{
	uint32_t t = trend_slot_of(ix, trend_resolve(ix, id)), s;
	struct alike *v;
	size_t k = 0, i;
	double sc;

	if (t == NIL || max == 0 || !(v = malloc(ix->ntr * sizeof(*v))))
		return 0;
	/* every live trend: a few thousand short centroids, well under a
	 * millisecond, and none missed for lack of a shared heavy term */
	for (s = 0; s < ix->ntr; s++) {
		if (s == t || !ix->tr[s].id || ix->tr[s].nmemb == 0)
			continue;
		if ((sc = trend_centroid_cos(ix, &ix->tr[t], &ix->tr[s])) > 0) {
			v[k].id = ix->tr[s].id;
			v[k++].score = sc;
		}
	}
	qsort(v, k, sizeof(*v), alike_cmp);
	for (i = 0; i < k && i < max; i++) {
		ids[i] = v[i].id;
		score[i] = v[i].score;
	}
	free(v);
	return i;
}

size_t
trend_tickets(const struct trend_index *ix, uint32_t id, int64_t *out,
    size_t max)
{
	uint32_t s = trend_slot_of(ix, trend_resolve(ix, id));

	if (s == NIL)
		return 0;
	(void)newest(ix, s, out, max);
	return ix->tr[s].nmemb;
}

size_t
trend_index_tickets(const struct trend_index *ix)
{
	return ix->by_ticket.n;
}

size_t
trend_index_trends(const struct trend_index *ix)
{
	return ix->live;
}

size_t
trend_index_bytes(const struct trend_index *ix)
{
	size_t b = sizeof(*ix), i;

	b += (size_t)ix->cterms * sizeof(*ix->terms);
	for (i = 0; i < ix->nterms; i++)
		b += (size_t)ix->terms[i].cpost * sizeof(uint32_t);
	b += ix->thash ? ((size_t)ix->tmask + 1) * sizeof(*ix->thash) : 0;
	b += ix->strs.cap;
	b += (size_t)ix->cts * sizeof(*ix->ts);
	b += (size_t)ix->ctr * sizeof(*ix->tr);
	for (i = 0; i < ix->ntr; i++) {
		b += (size_t)ix->tr[i].cc * sizeof(struct cterm);
		if (ix->tr[i].label)
			b += strlen(ix->tr[i].label) + 1;
	}
	b += ix->by_ticket.key ? ((size_t)ix->by_ticket.mask + 1) * 12 : 0;
	b += ix->by_id.key ? ((size_t)ix->by_id.mask + 1) * 12 : 0;
	b += ix->alias.key ? ((size_t)ix->alias.mask + 1) * 12 : 0;
	b += (ix->capart + ix->cbans) * sizeof(struct pair);
	b += (size_t)ix->cacc * (sizeof(float) + sizeof(uint32_t));
	b += (size_t)ix->cin * (sizeof(uint32_t) + sizeof(float));
	return b;
}

/* ---- what agents do --------------------------------------------------- */

enum tame_err
trend_rename(struct trend_index *ix, uint32_t id, const char *label)
{
	uint32_t s = trend_slot_of(ix, trend_resolve(ix, id));
	struct trend *t;
	char *copy = NULL;

	if (s == NIL)
		return TAME_ENOTFOUND;
	t = &ix->tr[s];
	if (label && *label) {
		if (strlen(label) > LABEL_NAME_MAX)
			return TAME_EINVAL;
		copy = strdup(label);
		if (!copy)
			return TAME_ENOMEM;
	}
	free(t->label);
	t->label = copy;
	if (copy)
		t->flags |= TF_NAMED;
	else
		t->flags &= ~(uint32_t)TF_NAMED;
	return TAME_OK;
}

enum tame_err
trend_merge(struct trend_index *ix, uint32_t into, uint32_t from)
{
	uint32_t a = trend_slot_of(ix, trend_resolve(ix, into));
	uint32_t b = trend_slot_of(ix, trend_resolve(ix, from));

	if (a == NIL || b == NIL)
		return TAME_ENOTFOUND;
	if (a == b)
		return TAME_EINVAL;
	if (!ix->tr[a].label && ix->tr[b].label) {
		/* Keep the name an agent gave. */
		ix->tr[a].label = ix->tr[b].label;
		ix->tr[a].flags |= TF_NAMED;
		ix->tr[b].label = NULL;
	}
	return trend_absorb(ix, a, b);
}

/* Pins slot s where it is now and bans it from trend id for good. */
static enum tame_err
pin_away(struct trend_index *ix, uint32_t s, uint32_t id)
{
	enum tame_err rc;

	ix->ts[s].flags |= TS_PINNED;
	if (trend_banned(ix, ix->ts[s].ticket, id))
		return TAME_OK;
	if ((rc = trend_pair_add(&ix->bans, &ix->nbans, &ix->cbans,
	    (uint64_t)ix->ts[s].ticket, id)))
		return rc;
	ix->ts[s].flags |= TS_BANNED;
	return TAME_OK;
}

enum tame_err
trend_split(struct trend_index *ix, uint32_t id, const int64_t *tickets,
    size_t n, uint32_t *new_id)
{
	uint32_t t = trend_slot_of(ix, trend_resolve(ix, id)), nt, s;
	size_t i, moved = 0;
	enum tame_err rc = TAME_OK;

	if (t == NIL)
		return TAME_ENOTFOUND;
	id = ix->tr[t].id;
	nt = trend_new_slot(ix, ix->tr[t].last_seen);
	if (nt == NIL)
		return TAME_ENOMEM;
	/* trend_new_slot may have moved the trends: index them again. */
	ix->tr[nt].flags |= TF_AGENT;
	for (i = 0; i < n && !rc; i++) {
		if (!u64map_get(&ix->by_ticket, (uint64_t)tickets[i], &s) ||
		    ix->ts[s].trend != t)
			continue;
		trend_leave(ix, s);
		if (!(rc = trend_link(ix, nt, s)))
			rc = pin_away(ix, s, id);
		moved++;
	}
	if (moved == 0) {
		trend_free_if_empty(ix, nt);
		return rc ? rc : TAME_EINVAL;
	}
	if (new_id)
		*new_id = ix->tr[nt].id;
	if (!rc)
		rc = trend_pair_add(&ix->apart, &ix->napart, &ix->capart, id,
		    ix->tr[nt].id);
	trend_free_if_empty(ix, t);
	return rc;
}

enum tame_err
trend_move_out(struct trend_index *ix, int64_t ticket, uint32_t to,
    uint32_t *new_id)
{
	uint32_t s, cur, dst, from_id;
	enum tame_err rc;

	if (!u64map_get(&ix->by_ticket, (uint64_t)ticket, &s) ||
	    ix->ts[s].trend == NIL)
		return TAME_ENOTFOUND;
	cur = ix->ts[s].trend;
	from_id = ix->tr[cur].id;
	if (!to && (ix->tr[cur].flags & TF_SOLO) && ix->tr[cur].nmemb == 1) {
		/* moved out before: it is on its own already */
		if (new_id)
			*new_id = from_id;
		return TAME_EEXIST;
	}
	if (to) {
		dst = trend_slot_of(ix, trend_resolve(ix, to));
		if (dst == NIL)
			return TAME_ENOTFOUND;
		if (dst == cur)
			return TAME_EINVAL;
	} else {
		dst = trend_new_slot(ix, ix->tr[cur].last_seen);
		if (dst == NIL)
			return TAME_ENOMEM;
		ix->tr[dst].flags |= TF_AGENT | TF_SOLO;
	}
	trend_leave(ix, s);
	if ((rc = trend_link(ix, dst, s)) || (rc = pin_away(ix, s, from_id)) ||
	    (rc = trend_pair_add(&ix->apart, &ix->napart, &ix->capart, from_id,
	    ix->tr[dst].id)))
		return rc;
	if (new_id)
		*new_id = ix->tr[dst].id;
	trend_free_if_empty(ix, cur);
	return TAME_OK;
}
