/*
 * search_words.h - the words of a text as the search index keeps them.
 *
 * The search index (store_sqlite_fts.c) and the words a user searches
 * for are cut and folded by this one function, so both sides agree:
 *
 * - A word is a run of letters, digits and private-use characters
 *   (Unicode L*, N*, Co) with the marks that follow them (M*);
 *   everything else separates words, whatever the script (a dash, a
 *   guillemet, an emoji, an ideographic full stop), but for the
 *   default-ignorable characters (a soft hyphen, a zero-width space),
 *   which are left out of the word they stand in.
 * - Scripts written without spaces between words (Han, Hiragana,
 *   Katakana, Thai, Lao, Khmer, Myanmar), and Hangul, whose words carry
 *   their particles, give one word per character (with its marks, or
 *   its jamo when written decomposed): a search for two characters is
 *   then a phrase of two and finds them inside a sentence ("订单" in
 *   "我的订单还没有到", "상품" in "상품이"), as a word next to them
 *   ("ORD-2024-77001" after "订单号").
 * - Folding (utf8proc): compatibility forms (full-width ＡＢＣ１２３ is
 *   ABC123, half-width katakana full-width), full case folding (ß is
 *   ss, final sigma sigma), and marks dropped after letters of the
 *   alphabetic scripts up to Arabic (é, ё, ά, Arabic vowel signs) but
 *   kept after the Indic ones, where they are vowels; the kana voicing
 *   marks (パ is not ハ) and the breve of Cyrillic й are kept too.
 *   search_fold() is that rule, and the trend pipeline (text.c) folds
 *   with it as well, so a word read off a trend label finds its tickets.
 */
#ifndef TAME_SEARCH_WORDS_H
#define TAME_SEARCH_WORDS_H

#include <stddef.h>
#include <stdint.h>

/* Called for each word: its folded form (word, len; not terminated) and
 * where it stands in the text ([start, end) in bytes). Nonzero stops. */
typedef int (*search_word_fn)(void *ctx, const char *word, size_t len,
    size_t start, size_t end);

/* Calls fn for each word of text[0..len) in order. Bytes that are not
 * UTF-8 separate words. 0, fn's nonzero answer, or -1 when out of
 * memory. */
int search_words(const char *text, size_t len, search_word_fn fn,
    void *ctx);

/* Folds s[0..n) (whole UTF-8 characters, any number of words) as the
 * words above are folded, into cp, which has room for cap code points
 * and one more. Returns the length in bytes of the folded text, which
 * then starts cp as UTF-8 ended by a NUL (0 when nothing is left: a
 * word of default-ignorable characters). Returns -1 when s is not
 * UTF-8, or when its decomposition takes more than cap code points:
 * then *need, when need is not NULL, says how many (0 for bad UTF-8),
 * and a caller can try again with a buffer of that size. */
long search_fold(const char *s, size_t n, int32_t *cp, size_t cap,
    size_t *need);

/* Whether text[0..len) holds at least one word. */
int search_has_word(const char *text, size_t len);

#endif
