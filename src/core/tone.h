/*
 * tone.h - the tone of a customer message.
 *
 * What an agent wants to know before answering: is the customer pleased
 * or upset (sentiment, -1..+1), and how frustrated, angry, confused, in a
 * hurry or cheerful (each 0..1), is the message abusive, and which words
 * or signs show it ("ASAP", "by Friday", "still not working", "I don't
 * understand", "!!!!", CAPITALS, "thanks", smileys). The register that
 * matches the customer's writing ("formal" or "relaxed") is suggested for
 * the reply.
 *
 * Model. Sentiment follows VADER (Hutto & Gilbert, ICWSM 2014: a valence
 * lexicon with rules for boosters, negation, "but", capitals and
 * exclamation marks) with Tame's changes: negation and contrast scoped
 * to the clause, counterfactual modals, word forms and phrases of support
 * mail ("still broken", "doesn't work", "waste of money"). The other
 * dimensions are cue phrases matched on the words, each with a weight;
 * a score is 1 - exp(-sum of weights). Abuse is an insult or slur aimed
 * at a person or the company ("you idiots"), not swearing about a
 * situation ("this damn thing"). A closing formula on the last line
 * ("Thanks,", "Thanks in advance") is politeness: the feelings are read
 * from the text before it (text_closing), the register from all of it.
 *
 * Pure core: no I/O, no store dependency, nothing to free in the result.
 * Thread-safe: the word tables are compiled in and read-only; their hash
 * indexes are built once, at first use, under pthread_once; each call
 * keeps its state on its stack and in working blocks of its thread,
 * which the thread keeps for its next call and frees when it exits.
 */
#ifndef TAME_TONE_H
#define TAME_TONE_H

#include <stddef.h>
#include <jansson.h>
#include "err.h"

/* Words, signs and punctuation runs analysed per message. A support
 * message rarely has 1,000 words; the rest of a 1 MB paste (logs, quoted
 * history) says nothing about tone and would only cost time. */
#define TONE_MAX_TOKENS    4096
/* Evidence items kept per message: enough for an agent to read. */
#define TONE_MAX_EVIDENCE  24
/* Bytes of one evidence text, with its NUL; longer ones are cut at a
 * character boundary. */
#define TONE_EVIDENCE_TEXT 48
/* Signs of the register kept per message ("Dear", "Kind regards"). */
#define TONE_REG_EVIDENCE  6

enum tone_dim {
	TONE_SENTIMENT,
	TONE_FRUSTRATION,
	TONE_ANGER,
	TONE_CONFUSION,
	TONE_URGENCY,
	TONE_CHEER,
	TONE_ABUSE,
	TONE_DIM_COUNT
};

enum tone_register {
	TONE_FORMAL,   /* the default, and always when the customer is upset */
	TONE_RELAXED
};

struct tone_evidence {
	enum tone_dim dim;
	/* How much it adds to its dimension: a cue's weight, or for
	 * sentiment the signed valence of the word as scored. */
	double weight;
	char text[TONE_EVIDENCE_TEXT]; /* as written; valid UTF-8 */
};

struct tone {
	double sentiment;   /* -1 .. +1 */
	double frustration; /* 0 .. 1, likewise the four below */
	double anger;
	double confusion;
	double urgency;
	double cheer;
	int abusive;
	enum tone_register reg;
	/* what shows reg, as written or named ("lower-case i"), in the
	 * order of the text; none when formal is only the default */
	size_t n_reg_evidence;
	char reg_evidence[TONE_REG_EVIDENCE][TONE_EVIDENCE_TEXT];
	size_t tokens;      /* tokens analysed */
	int truncated;      /* the text had more than TONE_MAX_TOKENS */
	size_t n_evidence;
	struct tone_evidence evidence[TONE_MAX_EVIDENCE];
};

/*
 * Analyses len bytes of text (UTF-8; need not be NUL-terminated; invalid
 * bytes are skipped) into *out. Lines starting with '>' are quoted
 * history and ignored. Empty or unreadable text gives a neutral tone.
 * Text in another language (lang.h: its function words clearly say so;
 * names and short texts do not) is read by its signs - runs of "!!" and
 * "??", CAPITALS, emoticons, emoji - and the English urgency words it
 * borrows ("ASAP"), its other words as words of no list, so it has no
 * English feeling ("die", "sin", "pain"); its register is read from
 * the words as written. TAME_OK, TAME_EINVAL when out is NULL or text
 * is NULL with len > 0, TAME_ENOMEM; on error *out is neutral.
 */
enum tame_err tone_analyze(const char *text, size_t len, struct tone *out);

/*
 * Sentiment of text by plain VADER (the reference rules, without its
 * emoji table), -1..+1: the baseline that `make eval` prints beside
 * Tame's. NULL text, len 0 or no memory gives 0. At most TONE_MAX_TOKENS
 * words are read.
 */
double tone_vader(const char *text, size_t len);

/*
 * {"sentiment","frustration","anger","confusion","urgency","cheer",
 *  "abusive","register","register_evidence":["Dear", ...],
 *  "evidence":[{"dimension","text","weight"}]}
 * Numbers are rounded to 3 decimals. Returns a new reference the caller
 * json_decref()s, or NULL when out of memory.
 */
json_t *tone_to_json(const struct tone *t);

/* "sentiment", "frustration", ... "abuse"; "?" for a bad value. */
const char *tone_dim_name(enum tone_dim dim);
/* "formal" or "relaxed". */
const char *tone_register_name(enum tone_register reg);

/* ---- the earlier tone a ticket keeps (tone_ticket.c) ---- */

/* A dimension counts from this score up, as the web app shows it. */
#define TONE_SHOWN        0.5
/* How far back an earlier heated message still colours a ticket. */
#define TONE_CARRY_MS     (3LL * 24 * 3600 * 1000)
/* How many customer messages are read for it, at most. */
#define TONE_TICKET_MSGS  10

/*
 * A ticket's tone is its latest customer message's; beside it the
 * ticket keeps an earlier heated one while the customer has not calmed
 * (the API's tone_earlier, the one the web app shows). From tones[0]
 * the latest (by when they were written), then the ones before it,
 * newest first (JSON text as tone_to_json wrote it; NULL or unreadable
 * counts as calm), at[] their times in ms, n at most TONE_TICKET_MSGS:
 * 0 (none) unless the latest is neither heated nor cheerful; then the
 * most heated (angry, frustrated, or abusive) of the ones before it
 * written at most TONE_CARRY_MS earlier and after the last cheerful
 * one, when there is one. So "Any news?" and "Hello??" written within
 * three days of an angry mail keep the ticket showing angry (until the
 * customer writes again), and "Thanks, it works now" calms it. Returns
 * the index into tones.
 */
size_t tone_ticket_pick(const char *const *tones, const long long *at,
    size_t n);

/* ---- urgency may raise a ticket's priority (tone_urgency.c) ---- */

/* The defaults of the desk-wide setting: off; an urgency of 0.6 (one
 * strong cue such as "ASAP" or "urgent") asks for high priority, 0.85
 * (two strong cues: "ASAP, we go live tomorrow") for urgent. */
#define TONE_URGENCY_HIGH_AT   0.6
#define TONE_URGENCY_URGENT_AT 0.85

struct tone_urgency_conf {
	int on;            /* "urgency_priority": 0 or 1 */
	double high_at;    /* "urgency_high_at": 0 < high_at <= urgent_at */
	double urgent_at;  /* "urgency_urgent_at": urgent_at <= 1 */
};

/* Fills *c with the defaults. */
void tone_urgency_defaults(struct tone_urgency_conf *c);
/* Sets the field of setting key from its stored text ("0"/"1", or a
 * number from 0 to 1). TAME_OK, TAME_EINVAL for a bad value,
 * TAME_ENOTFOUND for a key that is no urgency setting. */
enum tame_err tone_urgency_set(struct tone_urgency_conf *c, const char *key,
    const char *value);
/* 0 when the thresholds are in order (0 < high_at <= urgent_at <= 1),
 * else -1. */
int tone_urgency_check(const struct tone_urgency_conf *c);
/* The priority a message of this urgency asks for: PRIORITY_HIGH or
 * PRIORITY_URGENT of core/model.h, or -1 (none, or the setting is off). */
int tone_urgency_priority(const struct tone_urgency_conf *c, double urgency);
/* The reason for the ticket's history into out (n bytes, always
 * NUL-terminated): "urgent tone: ASAP, deadline", the urgency evidence
 * as written, as many as fit. */
void tone_urgency_reason(const struct tone *t, char *out, size_t n);

#endif
