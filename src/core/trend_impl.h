/*
 * trend_impl.h - the inside of the trend index, shared by trend_dict.c
 * (maps, dictionary), trend.c (centroids, trends and members),
 * trend_place.c (placement, refinement, merging) and trend_query.c (what
 * agents see and do). Nothing outside those files includes it.
 *
 * Layout. Tickets live in a slot array (struct tslot, one per open
 * ticket, fixed size) found by a hash map from ticket id; the members of
 * a trend are a doubly linked list through the slots, newest first.
 * Trends live in a slot array too, found by public id through a second
 * map. A trend's centroid is the list of its terms with, for each, how
 * many of its open tickets carry it (kept sorted by term, at most
 * TREND_CENTROID_MAX terms). Each term of the dictionary has the list of
 * trends whose centroid holds it: the inverted index that gives the
 * candidates for a new ticket. The dictionary lets go, now and then, of
 * the terms only one ticket ever carried that no open ticket keeps
 * (trend_dict.c, compact()), so it does not grow with every word ever
 * written; ids are renumbered in their order then.
 */
#ifndef TAME_TREND_IMPL_H
#define TAME_TREND_IMPL_H

#include <stdint.h>
#include "buf.h"
#include "trend.h"

#define NIL UINT32_MAX

/* Terms kept per ticket: the most telling ones by idf. Support messages
 * name their problem in a few words; 12 ids is 48 bytes a ticket. */
#define TREND_TICKET_TERMS 12
/* Terms kept per centroid; the tail of a big trend is words seen once. */
#define TREND_CENTROID_MAX 64

/* Terms of the dictionary before it is first compacted (about 1 MB
 * with their hash and strings); then each time it has doubled. */
#define TREND_COMPACT_MIN 16384

/* Open-addressing map from a 64-bit key to a 32-bit value (linear
 * probing, backward-shift deletion). */
struct u64map {
	uint64_t *key;
	uint32_t *val;
	uint32_t mask;  /* size - 1; size is a power of two */
	uint32_t n;
};

struct term_ent {
	uint32_t str;     /* stem (or "stem stem"): offset in ix->strs */
	uint32_t disp;    /* first surface form seen: offset in ix->strs */
	uint32_t hash;
	uint32_t df;      /* tickets ever placed that carried the term */
	uint32_t pair;    /* 1 for a word pair */
	uint32_t npost;
	uint32_t cpost;
	uint32_t *post;   /* trend slots whose centroid holds the term */
};

struct cterm {
	uint32_t term;
	uint32_t cnt;
};

enum trend_flag {
	TF_NAMED  = 1,   /* an agent renamed it */
	TF_AGENT  = 2,   /* made by an agent (split, move out): kept apart */
	TF_SOLO   = 4    /* a ticket an agent moved out on its own: takes no
	                  * other ticket by itself */
};

struct trend {
	uint32_t id;       /* public id; 0 when the slot is free */
	uint32_t nmemb;    /* open tickets */
	uint32_t head;     /* newest member (ticket slot) */
	uint32_t tail;     /* oldest member: since when its open tickets
	                      came, for the usual rate */
	uint16_t nc;       /* centroid terms */
	uint16_t cc;       /* centroid capacity */
	struct cterm *c;   /* sorted by term */
	float norm;        /* |centroid| with the idf at its last change */
	uint32_t placed;   /* its open tickets: an arrival is counted
	                      where the ticket is (trend_link, trend_leave) */
	uint32_t nwait;    /* open tickets waiting on their customer */
	uint32_t flags;    /* enum trend_flag */
	int64_t first_seen;
	int64_t last_seen;
	char *label;       /* the agent's name, or NULL */
	/* Arrivals: rings of 10-minute and hourly counts (slot = tick % n),
	 * newest tick written in t10 / th (ticks since ix->t0). */
	uint32_t t10;
	uint32_t th;
	uint16_t m10[6];
	uint16_t h[24];
};

enum tslot_flag {
	TS_PINNED = 1,  /* put here by an agent: refinement leaves it */
	TS_BANNED = 2,  /* was moved out of some trend: see ix->bans */
	TS_WAITING = 4  /* answered, waiting on its customer (pending): its
	                 * trend counts it in nwait */
};

struct tslot {
	int64_t ticket;    /* 0 when free */
	uint32_t trend;    /* trend slot */
	uint32_t prev;     /* member list, newest first */
	uint32_t next;
	uint32_t placed;   /* seconds since ix->t0 */
	uint8_t nterm;
	uint8_t flags;     /* enum tslot_flag */
	uint32_t term[TREND_TICKET_TERMS]; /* sorted */
};

/* (a, b): keep trend a and trend b apart, or ticket a out of trend b. */
struct pair {
	uint64_t a;
	uint64_t b;
};

struct trend_index {
	struct trend_params p;
	/* dictionary */
	struct term_ent *terms;
	uint32_t nterms, cterms;
	uint32_t *thash;        /* term index + 1, 0 = empty */
	uint32_t tmask;
	struct buf strs;
	uint64_t ndocs;         /* tickets ever placed */
	uint32_t compact_at;    /* nterms for the next trend_dict_tend() */
	/* tickets */
	struct tslot *ts;
	uint32_t nts, cts, ts_free; /* free list through .next */
	struct u64map by_ticket;
	/* trends */
	struct trend *tr;
	uint32_t ntr, ctr, tr_free; /* free list through .head */
	uint32_t next_id;
	uint32_t live;          /* trends with members */
	struct u64map by_id;
	struct u64map alias;    /* merged trend id -> surviving id */
	struct pair *apart;     /* trends an agent split: never merged back */
	size_t napart, capart;
	struct pair *bans;      /* ticket moved out of trend id */
	size_t nbans, cbans;
	/* scratch for placement */
	float *acc;
	uint32_t *touched;
	uint32_t cacc;
	uint32_t *in_id;        /* a ticket's input terms, being read */
	float *in_w;
	uint32_t cin;
	uint32_t refine_at;     /* next ticket slot to re-examine */
	int64_t t0;
};

/* Term strings: a dictionary past 1 GB is not a help desk's vocabulary. */
#define TREND_STRS_MAX ((size_t)1 << 30)

/* trend_dict.c */
int u64map_get(const struct u64map *m, uint64_t key, uint32_t *val);
enum tame_err u64map_put(struct u64map *m, uint64_t key, uint32_t val);
void u64map_del(struct u64map *m, uint64_t key);
void trend_u64map_free(struct u64map *m);
/* The id of term s (display form disp, may be NULL), added if new. */
enum tame_err trend_term_get(struct trend_index *ix, const char *s,
    const char *disp, uint32_t *out);
const char *trend_term_str(const struct trend_index *ix, uint32_t term,
    int display);
double trend_idf(const struct trend_index *ix, uint32_t term);
/* Weight of a term in a ticket: idf, times pair_weight for a pair. */
double trend_w(const struct trend_index *ix, uint32_t term);
enum tame_err trend_post_add(struct term_ent *e, uint32_t t);
void trend_post_del(struct term_ent *e, uint32_t t);
/* Compacts the dictionary (trend_compact) when it has grown to
 * compact_at terms, if enough of it can go, and sets the next mark.
 * Term ids change: call it with none held outside the index. */
void trend_dict_tend(struct trend_index *ix);

/* trend.c, used by trend_place.c and trend_query.c */
uint32_t trend_slot_of(const struct trend_index *ix, uint32_t id);
uint32_t trend_new_slot(struct trend_index *ix, int64_t now);
enum tame_err trend_join(struct trend_index *ix, uint32_t t, uint32_t s,
    int64_t now);
enum tame_err trend_link(struct trend_index *ix, uint32_t t, uint32_t s);
uint32_t trend_pos(const struct trend_index *ix, uint32_t t, int64_t ticket,
    uint32_t after);
enum tame_err trend_link_after(struct trend_index *ix, uint32_t t,
    uint32_t s, uint32_t after);
void trend_leave(struct trend_index *ix, uint32_t s);
enum tame_err trend_absorb(struct trend_index *ix, uint32_t into, uint32_t from);
void trend_free_if_empty(struct trend_index *ix, uint32_t t);
int trend_banned(const struct trend_index *ix, int64_t ticket, uint32_t id);
int trend_apart(const struct trend_index *ix, uint32_t a, uint32_t b);
void trend_count(struct trend *t, uint32_t placed, int delta);
/* trend_place.c: the cosine of the centroids of a and b (0 when one
 * is empty). */
double trend_centroid_cos(const struct trend_index *ix,
    const struct trend *a, const struct trend *b);
uint32_t trend_recent(const struct trend *t, uint32_t now_sec, int hours);
enum tame_err trend_pair_add(struct pair **v, size_t *n, size_t *cap,
    uint64_t a, uint64_t b);

/* Index of term in t's centroid, or where it would go (*found = 0).
 * Inline: scoring calls it for every posting of every term. */
static inline uint32_t
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

#endif
