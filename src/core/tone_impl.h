/*
 * tone_impl.h - what the files of the tone module share among
 * themselves: the word tables (tone_lexicon.c), the tokenizer and phrase
 * matcher (tone_token.c) and Tame's sentiment model (tone_sentiment.c).
 * Only tone_*.c include it; everyone else uses tone.h.
 */
#ifndef TAME_TONE_IMPL_H
#define TAME_TONE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "tone.h"

/* VADER's constants (Hutto & Gilbert 2014, empirically derived). */
#define TONE_B_INCR   0.293  /* booster word */
#define TONE_B_DECR  -0.293  /* dampener word */
#define TONE_C_INCR   0.733  /* word in CAPITALS among lower-case words */
#define TONE_N_SCALAR -0.74  /* negated word */
#define TONE_ALPHA    15.0   /* normalisation x / sqrt(x^2 + alpha) */

/* Longest word looked up, with its NUL; longer words have no valence. */
#define TONE_WORD_MAX 32

/* ---- tone_lexicon.c: read-only tables ---- */

/* VADER lexicon valence of a lower-case word or emoticon: 1 if known. */
int tone_lex_vader(const char *w, double *valence);
/* VADER's boosters ("very", "kind of"): 1 and the scalar if w is one. */
int tone_lex_booster(const char *w, double *scalar);
/* VADER's negations, and any word with "n't": 1 if w negates. */
int tone_lex_negator(const char *w);
/* VADER's list of negations itself; *n is set to its length. */
const char *const *tone_lex_negators(size_t *n);
/* VADER's special idioms ("the shit", "kiss of death"): 1 if known. */
int tone_lex_special(const char *phrase, double *valence);
/* Tame's overrides of VADER words for support mail ("please", "help"):
 * checked before the VADER lexicon. */
int tone_lex_override(const char *w, double *valence);
/* Tame's words missing from VADER: checked after it. */
int tone_lex_extra(const char *w, double *valence);
/* Valence of w by Tame's tables: override, VADER, extra, then the
 * word's base form ("crashing" -> "crash", "beautifully" -> "beautiful",
 * "unhelpful" -> negated "helpful"). 1 if found. */
int tone_lex_word(const char *w, double *valence);
/* Valence of an emoji code point: 1 if known. */
int tone_lex_emoji(uint32_t cp, double *valence);
/* 0 when every table is sorted as bsearch needs; else the table's
 * number. For the unit tests. */
int tone_lex_selfcheck(void);

/* ---- tone.c: per-thread working memory ---- */

/* The blocks a call works in, kept by each thread from one call to the
 * next: a long message needs half a megabyte, and giving that back to
 * the allocator after every message made it map and fault the pages in
 * again each time, which cost more than the analysis itself. */
enum tone_scratch_slot { TONE_SCRATCH_TOKENS, TONE_SCRATCH_SENTIMENT,
	TONE_SCRATCH_FOREIGN, /* tone.c: the tokens of another language */
	TONE_SCRATCH_COUNT };
/* The calling thread's block of slot, grown to at least bytes (its
 * content kept, as realloc). NULL when out of memory (the old block
 * stays). Owned by the thread: nobody frees it; it is freed when the
 * thread exits. */
void *tone_scratch(enum tone_scratch_slot slot, size_t bytes);

/* ---- tone_token.c: tokens ---- */

/* Word classes of a token (struct tone_tok.cls), set by the tokenizer
 * from read-only word lists, so that patterns test them in O(1). */
enum {
	TC_NOTW   = 1u << 0,  /* not, never, cannot, dont ... */
	TC_NT     = 1u << 1,  /* a word with n't */
	TC_VNEG   = 1u << 2,  /* VADER's negations (without "despite") */
	TC_AUX    = 1u << 3,  /* do, can, would ... before "not" */
	TC_ADV    = 1u << 4,  /* just, really, still ... around "not" */
	TC_NUMW   = 1u << 5,  /* one, two ... hundred */
	TC_NUMTOK = 1u << 6,  /* a token that starts with a digit */
	TC_DAY    = 1u << 7,
	TC_MONTH  = 1u << 8,
	TC_TIMEW  = 1u << 9,  /* noon, midnight */
	TC_AMPM   = 1u << 10, /* am, pm, o'clock */
	TC_YOU    = 1u << 11, /* you, u, ya, y'all */
	TC_YOUGRP = 1u << 12, /* guys, people, lot ... after "you" */
	TC_YOURE  = 1u << 13, /* you're, youre, ur */
	TC_BE     = 1u << 14, /* is, are, 're ... */
	TC_INSULT = 1u << 15, /* idiot, moron ... */
	TC_INSADJ = 1u << 16, /* stupid, useless ... said of a person */
	TC_SLUR   = 1u << 17,
	TC_TARGET = 1u << 18, /* staff, team, agents ... */
	TC_FILL   = 1u << 19, /* so, such, a, bunch, of, fucking ... */
	TC_PUNCT  = 1u << 20, /* a TT_PUNCT token */
	TC_NOTSTART = 1u << 21, /* can start @NOT: "not", "do not", "just don't" */
	/* roles in tone_sentiment.c */
	TC_CONCESS  = 1u << 22, /* although, though, despite, whereas */
	TC_ADVERS   = 1u << 23, /* but, however, yet, nevertheless */
	TC_KINDSORT = 1u << 24, /* kind (of), sort (of) */
	TC_EVALBOOST = 1u << 25, /* pretty, super, damn before a valence */
	TC_SPECIAL  = 1u << 26, /* like, help, dear, support, no, fail ... */
	TC_DET      = 1u << 27, /* this, your, their ... */
	TC_MODAL    = 1u << 28, /* would, could, should, might, if */
	TC_XNEG     = 1u << 29, /* hardly, barely, lacks ... */
	TC_QEX      = 1u << 30  /* a punctuation run with ! or ? */
};

enum tone_tok_kind {
	TT_WORD,     /* letters, digits, inner ' - . */
	TT_NUM,      /* starts with a digit */
	TT_PUNCT,    /* a run of ! and ?, of dots, or one other mark */
	TT_EMOTICON, /* ":)" and the other emoticons of the lexicon */
	TT_EMOJI     /* one emoji code point */
};

struct tone_tok {
	uint32_t off, len;   /* bytes in the text, as written */
	uint32_t cp;         /* TT_EMOJI: the code point */
	uint8_t kind;
	uint8_t caps;        /* TT_WORD of 2+ letters, all upper case */
	uint8_t title;       /* TT_WORD: upper-case first letter, then lower */
	uint8_t para;        /* a blank line precedes it */
	uint32_t cls;        /* TC_* bits */
	uint32_t hash;       /* of low, for the pattern index */
	uint8_t wlen;        /* strlen(low) */
	char low[TONE_WORD_MAX]; /* lower case, ’ as '; "" when too long */
};

struct tone_text {
	const char *src;
	struct tone_tok *t;
	size_t n, cap;
	int truncated;
};

/* Splits src into at most TONE_MAX_TOKENS tokens, skipping lines that
 * start with '>'. tx->t is the thread's TONE_SCRATCH_TOKENS block:
 * valid until the thread's next tone_tokenize, never freed by the
 * caller. TAME_ENOMEM. */
enum tame_err tone_tokenize(const char *src, size_t len,
    struct tone_text *tx);
/* 1 if token i ends a clause (, ; : . ! ? and the like). */
int tone_tok_clause_end(const struct tone_text *tx, size_t i);
/* 1 if token i ends a sentence (. ! ? runs). */
int tone_tok_sentence_end(const struct tone_text *tx, size_t i);
/* 1 if token i negates (not, never, n't words, cannot, without). */
int tone_tok_negator(const struct tone_text *tx, size_t i);
/* The hash of the first n bytes of w, as struct tone_tok.hash. */
uint32_t tone_hash(const char *w, size_t n);

/* ---- tone_match.c: phrase patterns ---- */

/*
 * A pattern is items separated by spaces; an item is alternatives
 * separated by '|'; an alternative is a lower-case word, a prefix ending
 * in '*', or a class: @NOT (not, don't, do not, never...), @NUM, @DAY,
 * @MONTH, @TIME, @YOU (you, you guys, y'all), @YOUARE, @BE, @INSULT,
 * @INSADJ, @TARGET, @SLUR, @FILL, @QQ (a ?? run), @EXCL (a ! run),
 * @WORD (any word but a negation; never first), @COMMA and @END (takes
 * no token: the text ends there, or punctuation or an emoji comes;
 * never first). An
 * item starting with '?' is optional; with '*', it may repeat up to three
 * times or be absent. "still @NOT work*|fixed" matches "still doesn't
 * work" and "Still not fixed".
 *
 * A table of patterns is compiled once (under pthread_once) into a
 * struct tone_patidx, which also indexes the patterns by what their
 * first item can match, so that at each token only the few patterns that
 * may match are tried. Read-only after the build.
 */
#define TONE_PAT_RULES    320  /* patterns in one table */
#define TONE_PAT_ITEMS    1536
#define TONE_PAT_ALTS     3072
#define TONE_PATIDX_SLOTS 2048 /* power of two, > 2 x first words */
#define TONE_PATIDX_ANY   32   /* rules starting with an optional item */

struct tone_palt {
	const char *w;       /* into the pattern, not NUL-terminated */
	uint8_t len, prefix, cls;
};

struct tone_pitem {
	uint16_t alt, nalt;  /* alternatives [alt, alt + nalt) */
	char flag;           /* 0, '?' or '*' */
};

struct tone_patidx {
	int ok;                          /* built and within the sizes */
	size_t nrules, nitems, nalts;
	uint16_t rule_item[TONE_PAT_RULES + 1]; /* items of rule r */
	struct tone_pitem item[TONE_PAT_ITEMS];
	struct tone_palt alt[TONE_PAT_ALTS];
	/* the index */
	struct {
		uint16_t alt;            /* first-word alternative; 0 free */
		uint16_t first, count;   /* rules in ref[] */
	} slot[TONE_PATIDX_SLOTS];
	uint16_t ref[TONE_PAT_ALTS];     /* rules, grouped by slot */
	uint32_t cls_gate[TONE_PAT_ALTS];
	uint16_t cls_rule[TONE_PAT_ALTS];
	uint16_t any[TONE_PATIDX_ANY];
	size_t nref, ncls, nany;
	uint32_t prefix_lens;            /* bit L: some prefix is L long */
	uint32_t gates;                  /* all cls_gate[] together */
	uint32_t scratch[TONE_PAT_ALTS]; /* for the build */
};

/* Compiles and indexes n patterns; the first is *pats, the next stride
 * bytes on. Call it once, before any other use of ix; ix->ok tells
 * whether the table fit (a unit test checks each table). */
void tone_patidx_build(struct tone_patidx *ix, const char *const *pats,
    size_t n, size_t stride);
/* The rules of ix that may match at token i, ascending, into out (room
 * for max, at least ix->nrules); returns how many. */
size_t tone_patidx_find(const struct tone_patidx *ix,
    const struct tone_text *tx, size_t i, uint16_t *out, size_t max);
/* Matches rule at token i: the index after the match, 0 if none. */
size_t tone_patidx_match(const struct tone_patidx *ix, size_t rule,
    const struct tone_text *tx, size_t i);

/* ---- tone_cue.c: the other dimensions and abuse ---- */

/* What the cues add up to for one message. */
struct tone_acc {
	double raw[TONE_DIM_COUNT]; /* summed weights per dimension */
	double sentiment;           /* already computed, -1..+1 */
	struct tone *out;           /* evidence goes to out->evidence */
};

/* 0 when the cue tables compiled within their sizes (unit tests). */
int tone_cue_selfcheck(void);
/* Matches every cue of tx into acc (weights and evidence). */
void tone_cues(const struct tone_text *tx, struct tone_acc *acc);
/* Adds the text of tokens [a, b) as evidence for dim with weight w,
 * once per dimension and text; abuse displaces other evidence when the
 * list is full. */
void tone_evidence_add(struct tone *t, const struct tone_text *tx,
    size_t a, size_t b, enum tone_dim dim, double w);

/* ---- tone_register.c: formal or relaxed ---- */

/* 0 when the register cue table compiled within its sizes (unit tests). */
int tone_register_selfcheck(void);
/* Sets out->reg and out->reg_evidence from the writing of tx: letter
 * forms against chat habits. Reads out's sentiment, anger, frustration
 * and abusive, so call it after they are set: an upset customer is
 * answered formally whatever their style. */
void tone_register_estimate(const struct tone_text *tx, struct tone *out);

/* ---- tone_sentiment.c: Tame's sentiment ---- */

/* A word's part in the sentiment, for evidence. */
struct tone_sent_word {
	size_t tok, end;  /* tokens [tok, end): a word or a phrase */
	double valence;  /* as scored, after negation, boosters, contrast */
};

/* 0 when the phrase table compiled within its sizes and the word lists
 * are sorted for bsearch (unit tests). */
int tone_sentiment_selfcheck(void);
/* Sentiment of the tokens, -1..+1, into *score. The up to *nwords
 * strongest words go to words[], strongest first, and *nwords is set to
 * how many. TAME_OK or TAME_ENOMEM (then *score is 0, *nwords 0). */
enum tame_err tone_sentiment(const struct tone_text *tx, double *score,
    struct tone_sent_word *words, size_t *nwords);

#endif
