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
 * English: another language is taken only when at least two words are
 * on its list and those of them that are no English function word
 * clearly outnumber the English function words that are not on its list
 * (more than twice as many). Otherwise the text is English: short texts
 * ("Thanks!", "Die Hard box set") and English ones stay as they were.
 * Between two other languages the one with more words wins, then the
 * one with more words of its own (German "ist", "nicht" against Dutch's
 * shared "die").
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

/* The votes of the words of one text; lang_votes_init() empties it. */
struct lang_votes {
	uint32_t hits[LANG_COUNT];   /* words on each language's list */
	uint32_t only[LANG_COUNT];   /* of them, not English function words */
	uint32_t en_not[LANG_COUNT]; /* English function words not on it */
	uint32_t solo[LANG_COUNT];   /* words on no other language's list */
};

void lang_votes_init(struct lang_votes *v);

/* Counts the folded word w (NUL-terminated) in v. A word with an
 * apostrophe that is on no list counts as what comes before it: French
 * "l'application" as "l", Italian "dell'ordine" as "dell". */
void lang_vote(struct lang_votes *v, const char *w);

/*
 * The language of the text whose words v counted, by the rule above.
 * hint is the language of the text this one belongs with (a subject's
 * message), or LANG_EN: it is taken when the text shows no language of
 * its own and no more English function words than words of hint's
 * ("Karte gesperrt" under a German message).
 */
enum lang lang_pick(const struct lang_votes *v, enum lang hint);

/* Bit (1u << lang) for each language the folded word w is a function
 * word of. English is Snowball's list and text_is_stop()'s. 0 for NULL. */
unsigned lang_words_of(const char *w);

/* Whether the folded word w is a function word of language l. */
int lang_is_stop(enum lang l, const char *w);

/* Bytes of an elided article or pronoun at the start of the folded
 * word w in l (French "l'", "qu'", Italian "dell'"): the word proper
 * starts after them. 0 when there is none, and for other languages. */
size_t lang_elision(enum lang l, const char *w);

/* 0 when every word of every list was folded into the table (unit
 * tests). */
int lang_selfcheck(void);

/* "en", "de", ... (ISO 639-1); "?" for a bad value. */
const char *lang_code(enum lang l);
/* The libstemmer algorithm name: "english", "german", ... */
const char *lang_stemmer(enum lang l);

#endif
