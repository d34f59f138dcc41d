/*
 * trend.h - trends: open tickets about the same problem, grouped as they
 * arrive.
 *
 * Model. Each ticket is a set of terms (stems and word pairs from
 * text.h), weighted by inverse document frequency learnt online from
 * every ticket placed so far. A trend is the centroid of its open
 * tickets: for each term, how many of them carry it. A new ticket is
 * compared by cosine only with the trends that share one of its terms
 * (an inverted index from terms to centroids), joins the best one when
 * the similarity reaches a threshold and otherwise opens a trend of its
 * own. There is no batch job and no number of trends fixed in advance;
 * two cheap steps keep the grouping good as statistics settle: each
 * placement re-examines a few older tickets (bounded work, tickets an
 * agent placed are never moved), and a trend whose centroid comes very
 * close to another's is merged into it.
 *
 * Agents' decisions are kept and nothing is learnt from them: a ticket
 * moved out of a trend is never put back into it (moved to a trend of
 * its own, that trend draws no other ticket by itself); a trend an agent
 * made (split off, or a ticket moved out on its own) is never merged
 * automatically, so trends an agent split are never merged back
 * together, even after a restart that no longer knows which trend it
 * came from; a merge stays; a renamed trend keeps
 * its name and absorbs, never dissolves, in automatic merges. Term
 * statistics count each placed ticket once, whatever agents do later.
 *
 * Memory: a fixed slot per open ticket (id, trend, list links, up to
 * TREND_TICKET_TERMS term ids), centroids truncated to their most
 * frequent terms, a dictionary of terms. trend_index_bytes() reports it.
 * The dictionary keeps the terms of open tickets and those more than
 * one ticket carried; a term seen once, in a ticket since solved, goes
 * (trend_compact), so memory follows the open tickets and the
 * vocabulary, not every word ever written.
 *
 * Threads: nothing here locks. The caller holds one mutex around every
 * call: the ingest writer calls trend_place() / trend_remove(), HTTP
 * threads call the queries and agent actions. Results are copies the
 * caller owns, so they stay valid after the mutex is released.
 */
#ifndef TAME_TREND_H
#define TAME_TREND_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct trend_index;

struct trend_params {
	double threshold;   /* cosine needed to join a trend */
	double merge;       /* cosine of two centroids that merges them */
	unsigned refine;    /* older tickets re-examined per placement */
	double pair_weight; /* weight of a word pair against a single word */
};

/* Sets the defaults (threshold 0.25, merge 0.25, refine 1, pair weight
 * 1), tuned on the banking77 evaluation of bench/eval_trends.c. */
void trend_params_default(struct trend_params *p);

/* One ticket's text as the index takes it: term i is terms[i] (a stem,
 * or two stems joined by a space), shown as display[i] in labels
 * (display may be NULL, then the term itself is shown). Repeats are
 * allowed. The strings are copied. */
struct trend_input {
	const char *const *terms;
	const char *const *display;
	size_t nterm;
};

/* Creates an empty index; p NULL for the defaults. Returns NULL when out
 * of memory. Freed with trend_index_free(). */
struct trend_index *trend_index_new(const struct trend_params *p);
void trend_index_free(struct trend_index *ix);

/* Places ticket (an id > 0) into a trend at time now (UTC ms) and stores
 * the trend id in *trend. A ticket already placed is placed again from
 * its new text (the customer wrote more); one an agent put into a trend
 * stays there. A ticket without terms gets no trend (*trend = 0).
 * TAME_EINVAL for ticket <= 0, TAME_ENOMEM. */
enum tame_err trend_place(struct trend_index *ix, int64_t ticket,
    const struct trend_input *in, int64_t now, uint32_t *trend);

/* How trend_restore() puts a ticket back. */
enum trend_restore_flag {
	TREND_RESTORE_PINNED = 1, /* an agent put the ticket there: it stays */
	TREND_RESTORE_SPLIT = 2,  /* a new trend is one an agent split off */
	TREND_RESTORE_SOLO = 4    /* ... or a ticket an agent moved out on
	                           * its own (takes no other by itself) */
};

/* Puts ticket (an id > 0, not placed yet) back into the trend it had, as
 * a restart reads it from the store: into trend into (merged ids
 * resolve), or 0 for a new trend, which is the trend of the tickets put
 * back into its id after it. Its terms are read and counted for the
 * idf, and added to the trend's centroid and counts, as trend_place()
 * does, but there is no search, no refinement and no merge: tickets put
 * back in the order they were placed give back their trends, members
 * and labels. flags: enum trend_restore_flag (SPLIT and SOLO only for a
 * new trend). *trend gets the trend's id; a ticket without terms gets
 * none (0). TAME_EINVAL for ticket <= 0, TAME_EEXIST if placed already,
 * TAME_ENOTFOUND if into is unknown, TAME_ENOMEM. */
enum tame_err trend_restore(struct trend_index *ix, int64_t ticket,
    const struct trend_input *in, int64_t now, uint32_t into,
    unsigned flags, uint32_t *trend);

/* Takes ticket out of the index (solved, closed, deleted). Its trend
 * loses it; an empty trend disappears. TAME_ENOTFOUND if not placed. */
enum tame_err trend_remove(struct trend_index *ix, int64_t ticket);

/* Marks ticket as answered and waiting on its customer (pending), or
 * not (new, open: still to answer). Its trend counts the waiting ones
 * (trend_info.waiting), wherever the ticket moves. TAME_ENOTFOUND if
 * not placed. */
enum tame_err trend_set_waiting(struct trend_index *ix, int64_t ticket,
    int waiting);

/* The trend of ticket, 0 when none. */
uint32_t trend_of(const struct trend_index *ix, int64_t ticket);

/* A merged trend's id resolves to the trend it went into; 0 if the id
 * is unknown or its trend is gone. */
uint32_t trend_resolve(const struct trend_index *ix, uint32_t id);

/* ---- what agents do ---- */

/* Names trend id (label of at most 200 bytes, copied; NULL or "" gives
 * back the automatic label). TAME_ENOTFOUND, TAME_EINVAL, TAME_ENOMEM. */
enum tame_err trend_rename(struct trend_index *ix, uint32_t id,
    const char *label);
/* Moves every ticket of trend from into trend into; from's id resolves
 * to into from then on. TAME_ENOTFOUND, TAME_EINVAL (same trend). */
enum tame_err trend_merge(struct trend_index *ix, uint32_t into,
    uint32_t from);
/* Moves the n listed tickets of trend id into a new trend (*new_id);
 * the two are never merged back automatically, and the moved tickets
 * are pinned. Tickets not in id are skipped. TAME_EINVAL if none moves. */
enum tame_err trend_split(struct trend_index *ix, uint32_t id,
    const int64_t *tickets, size_t n, uint32_t *new_id);
/* Moves ticket out of its trend, into trend to (0: a trend of its own),
 * and never back. *new_id (may be NULL) gets where it went. TAME_EEXIST
 * (with *new_id) when to is 0 and the ticket is alone in the trend an
 * earlier move out made for it: nothing changes. */
enum tame_err trend_move_out(struct trend_index *ix, int64_t ticket,
    uint32_t to, uint32_t *new_id);

/* ---- what agents see ---- */

#define TREND_LABEL_MAX   256
#define TREND_SAMPLES     5
/* Tickets in the last hour (or day) for a trend to be rising: not one
 * odd ticket. */
#define TREND_RISING_MIN  3
#define TREND_WORDS       3

struct trend_info {
	uint32_t id;
	uint32_t open;           /* open tickets */
	uint32_t waiting;        /* of them, waiting on their customer */
	uint32_t last_hour;      /* of them, placed in the last hour */
	uint32_t last_day;       /* ... and in the last 24 hours */
	double usual_per_hour;   /* tickets placed per hour since first seen */
	double growth;           /* last day's hourly rate / usual (1 = usual) */
	int rising;              /* at least TREND_RISING_MIN tickets in the
	                          * last hour (or day) at twice the rate
	                          * before it, or a new trend (under 2 hours,
	                          * or 2 days for the day) that many came */
	int64_t first_seen;      /* ms */
	int64_t last_seen;       /* ms */
	int named;               /* label is an agent's */
	char label[TREND_LABEL_MAX]; /* agent's name or the telling words */
	char words[TREND_WORDS][64]; /* most telling words, best first */
	int64_t rep_ticket;      /* the member closest to the centroid: its
	                          * subject is the representative subject */
	int64_t sample[TREND_SAMPLES]; /* newest members */
	size_t nsample;
};

/* Fills *out for trend id (merged ids resolve). TAME_ENOTFOUND. */
enum tame_err trend_get(const struct trend_index *ix, uint32_t id,
    int64_t now, struct trend_info *out);

/* The trends with at least min_open open tickets, largest first, at most
 * max of them. *out is an array the caller frees with free(); *n its
 * length. TAME_ENOMEM. */
enum tame_err trend_list(const struct trend_index *ix, uint32_t min_open,
    size_t max, int64_t now, struct trend_info **out, size_t *n);

/* Which trends trend_list_by answers, and in which order. */
struct trend_list_q {
	uint32_t min_open;  /* open tickets a trend needs (0 counts as 1) */
	size_t max;         /* trends answered at most */
	int rising_first;   /* rising trends first, then those with the most
	                     * tickets to answer, then the largest; 0: the
	                     * largest first */
	/* when set, a trend for which keep(arg, id) is 0 is neither
	 * listed nor counted in total (a trend the caller cannot show) */
	int (*keep)(void *arg, uint32_t id);
	void *keep_arg;
};

/* As trend_list, as q asks; *total (may be NULL) gets how many trends
 * have q->min_open open tickets and are kept, max or not. */
enum tame_err trend_list_by(const struct trend_index *ix,
    const struct trend_list_q *q, int64_t now, struct trend_info **out,
    size_t *n, size_t *total);

/* The trends most like trend id (merged ids resolve), by the cosine of
 * their centroids, most alike first: at most max of those with a score
 * above 0, their ids in ids and scores in score. Returns how many.
 * For an agent looking for trends that are one problem. */
size_t trend_similar(const struct trend_index *ix, uint32_t id, size_t max,
    uint32_t *ids, double *score);

/* Up to max open tickets of trend id, newest first, into out; returns
 * how many trend id has (may exceed max). */
size_t trend_tickets(const struct trend_index *ix, uint32_t id,
    int64_t *out, size_t max);

/* Counts: open tickets placed, live trends. */
size_t trend_index_tickets(const struct trend_index *ix);
size_t trend_index_trends(const struct trend_index *ix);
/* Bytes the index holds (its allocations, without malloc's overhead). */
size_t trend_index_bytes(const struct trend_index *ix);
/* Terms in the dictionary; the df of term s (the tickets placed that
 * carried it), 0 when the dictionary has it not. */
size_t trend_index_terms(const struct trend_index *ix);
uint32_t trend_term_df(const struct trend_index *ix, const char *s);

/* Drops the terms that no open ticket carries and that only one ticket
 * ever did: most of a varied vocabulary, each a few dozen bytes. One
 * that comes again counts from df 1, not 2: its idf moves by log 1.5,
 * on a term that rare. trend_place() does this by itself when the
 * dictionary has doubled since the last time and a quarter of it can
 * go; this does it now, whatever goes. What the index answers for the
 * tickets it holds stays the same. *dropped (may be NULL) gets how many
 * terms went. TAME_ENOMEM, and then nothing changed. */
enum tame_err trend_compact(struct trend_index *ix, size_t *dropped);

#endif
