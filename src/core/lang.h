/*
 * lang.h - which language a customer wrote in, from the function words
 * ("the", "die", "les", "para") of the text.
 *
 * Model. Every language Snowball has a stemmer and a stop list for
 * (Perl's Lingua::StopWords holds the lists: Danish, Dutch, English,
 * Finnish, French, German, Hungarian, Italian, Norwegian, Portuguese,
 * Russian, Spanish, Swedish) votes with the words of the text that are
 * on its list. Many function words belong to several languages ("die"
 * is German and Dutch, "de" six languages, "no" and "me" English and
 * Spanish), so a word shared with English speaks for neither against
 * English. A word written with a capital within a sentence is a name
 * or a place ("Sean", "Maria", "Las Palmas", "O'Brien") and does not
 * vote; a letter alone ("K.", "y") votes for no language of its own.
 * Another language is taken only on clear evidence: at least
 * LANG_MIN_OWN words on its list that are no English function word,
 * more than twice the English function words not on its list, and at
 * least one word in LANG_MIN_SHARE of the text. Otherwise the text is
 * English: short texts ("Thanks!", "Die Hard box set"), terse English
 * complaints signed by "Maria de los Santos" or "K. van der Meer", and
 * English ones stay as they were. Between two other languages the one
 * with more words wins, then the one with more words of its own
 * (German "ist", "nicht" against Dutch's shared "die").
 *
 * Words are looked up folded as text_fold() folds them ("für" ->
 * "fur"), so the lists are folded the same way once, at first use
 * (pthread_once). Pure: no I/O; thread-safe; nothing to free.
 */
#ifndef TAME_LANG_H
#define TAME_LANG_H

#include <stddef.h>
#include <stdint.h>

enum lang {
	LANG_EN = 0, /* the default */
	LANG_DA, LANG_DE, LANG_ES, LANG_FI, LANG_FR, LANG_HU, LANG_IT,
	LANG_NL, LANG_NO, LANG_PT, LANG_RU, LANG_SV,
	LANG_COUNT
};

/* Words of its own another language needs at least, and the share of
 * the text they make at least (one word in LANG_MIN_SHARE). */
#define LANG_MIN_OWN   3
#define LANG_MIN_SHARE 5

/* The votes of the words of one text; lang_votes_init() empties it. */
struct lang_votes {
	uint32_t words;              /* words counted, those that vote or not */
	uint32_t hits[LANG_COUNT];   /* words on each language's list */
	uint32_t only[LANG_COUNT];   /* of them, not English function words */
	uint32_t en;                 /* English function words */
	uint32_t en_also[LANG_COUNT]; /* of them, on each language's list */
	uint32_t solo[LANG_COUNT];   /* words on no other language's list */
};

void lang_votes_init(struct lang_votes *v);

/* Counts the folded word w (NUL-terminated) in v; raw is the word as
 * written (rawlen bytes of UTF-8, or NULL: as if in small letters),
 * start whether it starts a sentence or a line. A word with a capital
 * not at a start does not vote. A word with an apostrophe that is on
 * no list counts as what comes before it when that is a French or
 * Italian elided word and a small letter follows the apostrophe:
 * "l'application" as French "l", "dell'ordine" as Italian "dell", but
 * "O'Brien", "D'Angelo", "Ma'am" and "Y'all" as nothing. */
void lang_vote(struct lang_votes *v, const char *w, const char *raw,
    size_t rawlen, int start);

/*
 * The language of the text whose words v counted, by the rule above.
 * hint is the language of the text this one belongs with (a subject's
 * message), or LANG_EN: it is taken when the text shows no language of
 * its own and no more English function words than words of hint's
 * ("Karte gesperrt" under a German message).
 */
enum lang lang_pick(const struct lang_votes *v, enum lang hint);

/* Bit (1u << lang) for each language the folded word w is a function
 * word of. English is Snowball's list and text_is_stop()'s. 0 for NULL.
 * One probe of a hash table, or two. */
unsigned lang_words_of(const char *w);

/* Whether the folded word w is a function word of language l. */
int lang_is_stop(enum lang l, const char *w);

/* Bytes of an elided article or pronoun at the start of the folded
 * word w in l (French "l'", "qu'", Italian "dell'", "quest'"): the
 * word proper starts after them. 0 when there is none, and for other
 * languages. */
size_t lang_elision(enum lang l, const char *w);

/* 0 when every word of every list was folded into the table (unit
 * tests). */
int lang_selfcheck(void);

/* "en", "de", ... (ISO 639-1); "?" for a bad value. */
const char *lang_code(enum lang l);
/* The libstemmer algorithm name: "english", "german", ... */
const char *lang_stemmer(enum lang l);

#endif
