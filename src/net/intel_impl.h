/*
 * intel_impl.h - the inside of the intelligence module, shared by
 * intel.c (the thread, the maps, reading and placing one ticket),
 * intel_round.c (a round of work), intel_rebuild.c (the start) and
 * intel_trends.c (what the HTTP threads ask and do). Nothing else
 * includes it.
 *
 * Everything below mu is guarded by it. The index's trend ids map to
 * the store's through db_of (indexed by index id: > 0 the store id,
 * < 0 the store id of a trend whose merge is already recorded, 0 none)
 * and db2ix (store id -> index id, which may since have been merged:
 * trend_resolve finds where it went). rec holds, for every ticket in
 * the index, the index trend the store has for it as far as the thread
 * knows; a ticket whose trend_of() differs is written at the next
 * reconcile.
 */
#ifndef TAME_INTEL_IMPL_H
#define TAME_INTEL_IMPL_H

#include <pthread.h>
#include "intel.h"
#include "intel_rules.h"
#include "../core/text.h"

struct intel {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* wakes the thread */
	pthread_cond_t done_cv;   /* a reconcile finished */
	int stopping;
	int kicked;               /* mail came since the last round began */
	int64_t first_kick;       /* ms of the first such kick */
	int64_t last_kick;        /* ms of the latest */
	int ready;                /* the start-up rebuild is done */
	uint64_t want_gen;        /* full reconciles asked for */
	uint64_t done_gen;        /* ... and done */

	struct trend_index *ix;
	int64_t *db_of;
	size_t ndb;               /* entries of db_of */
	struct intel_map db2ix;
	struct intel_map rec;
	uint32_t *dirty;          /* index trends whose label to write */
	size_t ndirty, cdirty;
	struct intel_map vocab;   /* intel_stem_key(stem) -> tickets using it
	                           * (intel_df_count) */
	int64_t vocab_docs;       /* tickets counted in vocab */
	size_t vocab_prune_at;    /* vocab.n that prunes it next */

	/* the thread's own */
	struct store *store;
	struct text_pipeline *tp;
	int64_t msg_pos;
	int64_t ev_pos;
	int64_t last_full;        /* ms of the last full reconcile */
	int changed;              /* tickets placed or taken out since */
	int64_t last_wait;        /* ms the usual wait was last measured */
};

/* Under mu. The store id of index trend t (resolved through merges),
 * 0 when it has none yet. */
int64_t intel_db_of(struct intel *in, uint32_t t);
/* Under mu. The live index trend of store id db, 0 when it has none
 * (gone, or not known to this process). */
uint32_t intel_live_of(struct intel *in, int64_t db);
/* Under mu. Records index trend t <-> store id db. TAME_ENOMEM. */
enum tame_err intel_bind(struct intel *in, uint32_t t, int64_t db);
/* Under mu. Marks trend t for a label refresh. */
void intel_dirty(struct intel *in, uint32_t t);

/* A ticket's text as the trend index reads it (intel_analyse). */
struct place_in {
	struct text_doc subj, body;
	const char **term;
	const char **disp;
	size_t cterm;
	struct trend_input in;
};
void intel_place_in_init(struct place_in *p);
void intel_place_in_free(struct place_in *p);
/* The subject and first customer message of t into p (p->in points
 * into p). Uses the thread's text pipeline: the thread's own. */
enum tame_err intel_analyse(struct intel *in,
    const struct store_intel_ticket *t, struct place_in *p);
/* Under mu. Counts the distinct content stems of p's ticket (id tid)
 * in the vocabulary of intel_df, which lets go now and then of the
 * words of a single ticket no longer in the index. */
enum tame_err intel_vocab_add(struct intel *in, const struct place_in *p,
    int64_t tid);
/* Under mu. Places ticket t (read into p) and counts its words; an
 * agent's earlier placement into a trend that still lives is restored.
 * *cur gets its trend (0: none). */
enum tame_err intel_place(struct intel *in, const struct store_intel_ticket *t,
    const struct place_in *p, uint32_t *cur);
/* Under mu. Takes ticket tid out of the index. */
void intel_unplace(struct intel *in, int64_t tid);
/* Grows *v (elements of sz bytes, *cap of them, n used) to hold one
 * more; -1 when out of memory. */
int intel_grow(void **v, size_t *cap, size_t n, size_t sz);

/* intel_round.c. One round: *work = 0 when nothing was new, 1 when
 * something was, 2 when a full batch was read (more is waiting). */
enum tame_err intel_round(struct intel *in, int *work);
/* Measures the usual first-answer wait and the "waiting long" limit
 * into the store (intel_state). */
void intel_measure_wait(struct intel *in, int64_t now);

/* intel_rebuild.c. Primes and rebuilds the index, restores agents'
 * decisions, sets the positions; the caller's first round writes what
 * changed and sets ready. */
enum tame_err intel_rebuild(struct intel *in);

#endif
