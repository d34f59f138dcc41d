/*
 * intel_rules.h - the pure rules of the queue intelligence that tamed
 * applies around the core modules (text.h, tone.h, trend.h): outlier
 * flags and their reasons, the telling words and similarity score of
 * "similar cases", a small id map and the document frequencies kept in
 * one. No I/O, no locks:
 * tests/unit/test_intel.c calls them directly.
 */
#ifndef TAME_INTEL_RULES_H
#define TAME_INTEL_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/buf.h"
#include "../core/err.h"
#include "../core/text.h"
#include "../store/store.h"

/* ---- outlier flags ---- */

/* A customer message longer than this many words is "very long": most
 * support mail says its problem in under 150. */
#define INTEL_LONG_WORDS        400
/* Customer messages in a row, without our answer, that are "again and
 * again". */
#define INTEL_REPEAT_IN_A_ROW   3
/* Tickets of one customer within INTEL_REPEAT_DAYS that are too. */
#define INTEL_REPEAT_TICKETS    4
#define INTEL_REPEAT_DAYS       7
/* Reopened this often is "repeatedly". */
#define INTEL_REOPENED          2

/* The stored flags of a ticket from its facts: *bits (enum store_flag)
 * and *flags, a new JSON array of {"kind","reason"} (NULL when there is
 * none; caller json_decref()s). The computed flags (many messages,
 * waiting long) are not among them: the views add those when read.
 * TAME_ENOMEM. */
enum tame_err intel_flags(const struct store_flag_facts *f, int64_t *bits,
    json_t **flags);

/* ---- similar cases ---- */

/* A telling word of a ticket. */
#define INTEL_WORD_MAX 64
struct intel_word {
	char stem[INTEL_WORD_MAX];    /* Snowball stem ("arriv") */
	char shown[INTEL_WORD_MAX];   /* as the customer wrote it, folded */
	int64_t df;                   /* tickets using it */
	double weight;                /* idf */
};

/* The distinct content words of doc (no stop words, numbers or words
 * shorter than 3 bytes) into w (at most max), in order of appearance;
 * returns how many. */
size_t intel_words(const struct text_doc *doc, struct intel_word *w,
    size_t max);
/* The key of a stem in a document-frequency map: a 63-bit hash, > 0. */
int64_t intel_stem_key(const char *stem);
/* Weighs w[0..n) by idf from their df and ndocs, drops words found in
 * no other document (df < 2, unless that is every word: a ticket not
 * counted yet, a young store) or, from 20 documents on, in more than
 * half of them, and keeps the `keep` heaviest, heaviest first; returns
 * how many remain. */
size_t intel_words_pick(struct intel_word *w, size_t n, int64_t ndocs,
    size_t keep);
/* An FTS5 expression for w[0..n) into out: per word, its forms as
 * exact terms ("arrived" OR "arriv" OR "arrive" OR "arrives" ...: FTS5
 * does not stem, and a prefix query would read every posting of every
 * word it covers), the words joined by AND when all is set, else OR. */
enum tame_err intel_words_match(const struct intel_word *w, size_t n,
    int all, struct buf *out);
/* How much of what makes a ticket distinctive (w[0..n), weighted) a
 * case also says in any of its docs[0..ndocs): the share of weight of
 * the words whose stem they hold, 0..1. shared[i] (may be NULL) is set
 * to 1 for each word found, 0 for the others. */
double intel_similarity(const struct intel_word *w, size_t n,
    const struct text_doc *const *docs, size_t ndocs, int *shared);
/* "strong", "possible" or "weak" for a similarity score. */
const char *intel_similarity_verdict(double score);

/* ---- an id map ---- */

/* Open addressing from an id (> 0) to a value, linear probing with
 * backward-shift deletion. Zero-initialise before use. */
struct intel_map {
	int64_t *key;      /* 0 = empty */
	int64_t *val;
	size_t mask;       /* size - 1, size a power of two; 0 = none */
	size_t n;
};
/* 1 and *val when key is there, else 0. */
int intel_map_get(const struct intel_map *m, int64_t key, int64_t *val);
/* Sets key (> 0) to val. TAME_ENOMEM, TAME_EINVAL. */
enum tame_err intel_map_put(struct intel_map *m, int64_t key, int64_t val);
void intel_map_del(struct intel_map *m, int64_t key);
void intel_map_free(struct intel_map *m);
/* Iteration: slot i (0 <= i <= mask) holds an entry when key[i] != 0. */

/* ---- document frequencies ---- */

/* An intel_map from a stem key to how many documents use the stem. A
 * stem one document alone uses keeps that document's id (stored as its
 * negative), so that intel_df_prune() can tell whether the document is
 * still open: most words of a varied vocabulary are such. */
/* Counts document doc (an id > 0; 0 when unknown) as using key. */
enum tame_err intel_df_count(struct intel_map *m, int64_t key, int64_t doc);
/* The documents counted as using key, 0 when none. */
int64_t intel_df_get(const struct intel_map *m, int64_t key);
/* Rebuilds m without the keys of a single document for which
 * open(arg, doc) answers 0 (or that is unknown): the word of one solved
 * ticket is forgotten, as a restart forgets it, and should it come
 * again it counts from 1. *dropped (may be NULL) gets how many went;
 * the new map is sized for what is left. TAME_ENOMEM, and then m is
 * unchanged. */
enum tame_err intel_df_prune(struct intel_map *m,
    int (*open)(void *arg, int64_t doc), void *arg, size_t *dropped);

#endif
