/*
 * intel_impl.h - the inside of the intelligence module, shared by
 * intel.c (the thread: rounds, rebuild, writing back) and intel_trends.c
 * (what the HTTP threads ask and do). Nothing else includes it.
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
	int kicked;
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

	/* the thread's own */
	struct store *store;
	struct text_pipeline *tp;
	int64_t msg_pos;
	int64_t ev_pos;
	int64_t last_full;        /* ms of the last full reconcile */
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

#endif
