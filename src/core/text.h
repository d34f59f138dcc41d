/*
 * text.h - the text pipeline of the queue intelligence: from the body of
 * a customer message to the new words it says.
 *
 * Model. A message is cut in two: the new text the customer wrote, and
 * what follows it (quoted history, a forwarded message, the signature, a
 * legal footer), which the display folds. text_cut() finds that offset
 * line by line. text_analyse() then reads the new text (skipping `>`
 * lines still inside it, as in a bottom-posted reply) and splits it into
 * tokens on Unicode letter, mark and number categories (utf8proc); each
 * token is folded as the search index folds words (search_fold():
 * compatibility forms, case folded, accents stripped: "Élan" -> "elan",
 * "Straße" -> "strasse", but "パスワード" and "мой" kept as written, their
 * marks making other letters). The language of the text is told from
 * its function words (lang.h: English unless another language's are
 * clearly more); each token is marked when it is a stop word (English's,
 * and those of the text's language) or a number, and stemmed with the
 * Snowball stemmer of the language (libstemmer). Terms are what the
 * trend index consumes: the stems of the non-stop word tokens and the
 * word pairs of adjacent ones in the same sentence ("card arriv";
 * German "karte gesperrt" under "die Karte ist gesperrt").
 *
 * Work is bounded whatever the input: at most TEXT_TOKENS_MAX tokens are
 * read (the rest of a 1 MB paste is ignored and doc->truncated is set),
 * words longer than TEXT_WORD_MAX bytes are skipped (base64, URLs),
 * invalid UTF-8 bytes are treated as spaces.
 *
 * Threads: a struct text_pipeline holds a Snowball stemmer, which is not
 * thread-safe; give each thread its own pipeline. A struct text_doc
 * belongs to its caller.
 */
#ifndef TAME_TEXT_H
#define TAME_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "lang.h"

/* Tokens read from one message: the first 2,000 words say what the
 * message is about; reading more only costs time on pasted logs. */
#define TEXT_TOKENS_MAX 2000
/* A longer "word" is a hash, a URL or base64, never a topic. */
#define TEXT_WORD_MAX   48
/* Lines examined for the cut; a message whose first 20,000 lines hold
 * no quote marker is all new text (or a log nobody reads to the end). */
#define TEXT_CUT_LINES_MAX 20000

enum text_cut_kind {
	TEXT_CUT_NONE = 0,  /* all of it is new text */
	TEXT_CUT_QUOTE,     /* "On ... wrote:", a trailing block of > lines */
	TEXT_CUT_ORIGINAL,  /* "-----Original Message-----", From:/Sent: block */
	TEXT_CUT_FORWARD,   /* "---------- Forwarded message", "Begin forwarded" */
	TEXT_CUT_SIGNATURE, /* "-- ", "Sent from my iPhone", name after "Regards," */
	TEXT_CUT_FOOTER     /* "This email and any attachments are confidential" */
};

enum text_tok_flag {
	TEXT_TOK_STOP  = 1, /* a stop word ("the", "not", "my"; "die") */
	TEXT_TOK_NUM   = 2, /* contains a digit ("2", "42nd", "113542617") */
	TEXT_TOK_BREAK = 4  /* first token after a sentence end or a new line */
};

struct text_token {
	uint32_t src_off;  /* byte offset of the word in the input */
	uint32_t src_len;  /* its length in bytes in the input */
	uint32_t norm_off; /* folded form: offset into doc->arena, NUL-ended */
	uint32_t stem_off; /* Snowball stem: offset into doc->arena, NUL-ended */
	uint16_t norm_len;
	uint16_t stem_len;
	uint8_t flags;     /* enum text_tok_flag bits */
};

struct text_doc {
	size_t new_len;           /* bytes of new text: where the cut began */
	enum text_cut_kind cut;   /* what was found at new_len */
	struct text_token *tok;   /* tokens of the new text, in order */
	size_t ntok;
	size_t tok_cap;
	uint32_t *term_off;       /* terms: offsets into arena, NUL-ended */
	uint32_t *disp_off;       /* their surface forms ("arrived") */
	size_t nterm;             /* unigrams first, then word pairs */
	size_t nuni;              /* how many of the terms are unigrams */
	size_t term_cap;
	struct buf arena;         /* all the strings above */
	int truncated;            /* TEXT_TOKENS_MAX was reached */
	enum lang lang;           /* the language the words were read in */
};

struct text_pipeline;

/* Creates a pipeline with its own stemmers (English's now, another
 * language's at its first text). Returns NULL when out of memory. The caller frees it with text_pipeline_free(); use it from
 * one thread at a time. */
struct text_pipeline *text_pipeline_new(void);
void text_pipeline_free(struct text_pipeline *tp);

/* Finds where the new text of a message body ends: the offset of the
 * first line of quoted history, forwarded or original message, signature
 * or legal footer (len when there is none). *kind, when not NULL, says
 * which. Pure; safe on any bytes; reads at most TEXT_CUT_LINES_MAX lines. */
size_t text_cut(const char *s, size_t len, enum text_cut_kind *kind);

/* In new text (as text_cut leaves it, the name after a closing already
 * cut), the offset of a closing formula on the last line ("Thanks,",
 * "Kind regards", "Thanks in advance"): politeness, not a feeling, so
 * the tone reads only what comes before it. len when the last line is
 * no closing, or when nothing but the closing was written ("Thanks!" as
 * a whole message is thanks). Pure; safe on any bytes. */
size_t text_closing(const char *s, size_t len);

/* Prepares an empty doc. text_doc_free() releases what analyses put in
 * it; a doc can be reused for many analyses. */
void text_doc_init(struct text_doc *d);
void text_doc_free(struct text_doc *d);

/* Analyses s (len bytes, any bytes; need not be NUL-terminated) into d,
 * replacing what d held: cut (d->new_len, d->cut), tokens and terms of
 * the new text, less a closing formula on its last line (text_closing).
 * With cut == 0 the whole of s is taken as new text (a subject line).
 * TAME_ENOMEM; otherwise TAME_OK, also for empty or unreadable input
 * (then d holds no tokens). */
enum tame_err text_analyse(struct text_pipeline *tp, const char *s,
    size_t len, int cut, struct text_doc *d);
/* text_analyse() of a text that belongs with one in language hint: a
 * subject with its message's language, which a subject of a few words
 * seldom shows by itself (lang_pick). d->lang says what was taken. */
enum tame_err text_analyse_lang(struct text_pipeline *tp, const char *s,
    size_t len, int cut, enum lang hint, struct text_doc *d);

/* Term i of d (0 <= i < d->nterm) as a NUL-terminated string owned by d
 * and valid until d changes. Unigrams are stems ("arriv"); pairs are two
 * stems joined by one space ("card arriv"). */
const char *text_doc_term(const struct text_doc *d, size_t i);
/* How term i reads: the folded words it comes from ("card arrived"),
 * owned by d. For labels. */
const char *text_doc_display(const struct text_doc *d, size_t i);
/* The folded form and the stem of token i, owned by d. */
const char *text_doc_norm(const struct text_doc *d, size_t i);
const char *text_doc_stem(const struct text_doc *d, size_t i);

/* Whether the folded word w is an English stop word. */
int text_is_stop(const char *w);
/* The list text_is_stop() reads (sorted by bytes), *n words long. */
const char *const *text_stop_words(size_t *n);

/* Normalises the UTF-8 text s (len bytes) into out as search_fold()
 * does (NFKC, case folded, accents stripped); invalid bytes are
 * dropped. Appends to out.
 * TAME_ETOOBIG past out's cap, TAME_ENOMEM. */
enum tame_err text_fold(const char *s, size_t len, struct buf *out);

#endif
