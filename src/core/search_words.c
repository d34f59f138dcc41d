/*
 * search_words.c - the words of a text as the search index keeps them.
 * See search_words.h.
 *
 * Most mail is ASCII: its words are lowered byte by byte. A word with
 * another character is folded by utf8proc (NFKD with case folding,
 * marks dropped after the alphabetic scripts, then composed again) in a
 * buffer on the stack, or on the heap when it is longer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "search_words.h"

/* Code points of a word folded on the stack. */
#define WORD_CPS 64

/* C_SKIP: a default-ignorable character (a soft hyphen, a zero-width
 * space or joiner) is left out of the word it stands in, not a break */
enum char_class { C_SEP, C_LETTER, C_MARK, C_SKIP };

/* Whether ASCII byte b is a letter or a digit. */
static int
ascii_word(unsigned char b)
{
	return (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' &&
	    (b | 0x20) <= 'z');
}

/* What c is to a word. ASCII is answered without the tables. */
static enum char_class
char_class(utf8proc_int32_t c)
{
	if (c < 0x80)
		return ascii_word((unsigned char)c) ? C_LETTER : C_SEP;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_CO:
		return C_LETTER;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return C_MARK;
	default:
		return utf8proc_get_property(c)->ignorable ? C_SKIP : C_SEP;
	}
}

/* Whether c, after a character of one_per_char's scripts, belongs to it:
 * a mark (a Thai vowel sign, a kana voicing mark), a half-width voicing
 * mark (ｶﾞ is ガ), a Hangul vowel or final jamo (한 written decomposed,
 * as macOS does). */
static int
joins_char(utf8proc_int32_t c, enum char_class cls)
{
	return cls == C_MARK || (c >= 0xFF9E && c <= 0xFF9F) ||
	    (c >= 0x1160 && c <= 0x11FF);
}

/* Whether c belongs to a script written without spaces between words
 * (one word a character; see search_words.h). */
static int
one_per_char(utf8proc_int32_t c)
{
	return (c >= 0x0E00 && c <= 0x0EFF) ||	/* Thai, Lao */
	    (c >= 0x1000 && c <= 0x109F) ||	/* Myanmar */
	    (c >= 0x1100 && c <= 0x11FF) ||	/* Hangul jamo */
	    (c >= 0x1780 && c <= 0x17FF) ||	/* Khmer */
	    (c >= 0x2E80 && c <= 0x2FDF) ||	/* CJK radicals */
	    (c >= 0x3005 && c <= 0x3007) ||	/* 々 〆 〇 */
	    (c >= 0x3021 && c <= 0x3029) ||	/* Hangzhou numerals */
	    (c >= 0x3031 && c <= 0x3035) ||	/* kana repeat marks */
	    (c >= 0x3040 && c <= 0x31FF) ||	/* kana, bopomofo, jamo */
	    (c >= 0x3400 && c <= 0x4DBF) ||	/* CJK extension A */
	    (c >= 0x4E00 && c <= 0x9FFF) ||	/* CJK ideographs */
	    (c >= 0xA960 && c <= 0xA97F) ||	/* Hangul jamo ext. A */
	    (c >= 0xAC00 && c <= 0xD7FF) ||	/* Hangul syllables */
	    (c >= 0xF900 && c <= 0xFAFF) ||	/* CJK compatibility */
	    (c >= 0xFF66 && c <= 0xFFDC) ||	/* half-width kana, jamo */
	    (c >= 0x1B000 && c <= 0x1B16F) ||	/* kana supplement */
	    (c >= 0x20000 && c <= 0x3FFFF);	/* CJK extensions B- */
}

/* Whether mark after base is a diacritic a searcher leaves out: after
 * the alphabetic scripts up to Arabic and Syriac, and Vietnamese and
 * polytonic Greek letters; not after Thaana and the Indic scripts
 * (vowel signs), nor the breve of Cyrillic й and ў (letters of their
 * own; ё is typed е, and folds so). */
static int
mark_optional(utf8proc_int32_t base, utf8proc_int32_t mark)
{
	if (mark == 0x0306 && base >= 0x0400 && base <= 0x04FF)
		return 0;
	return base < 0x0780 || (base >= 0x1E00 && base <= 0x1FFF);
}

/* The next code point of s[0..n) in *c (-1 for a byte that is not
 * UTF-8); its length, at least 1. */
static size_t
next_char(const unsigned char *s, size_t n, utf8proc_int32_t *c)
{
	utf8proc_ssize_t k;

	if (s[0] < 0x80) {
		*c = s[0];
		return 1;
	}
	k = utf8proc_iterate(s, (utf8proc_ssize_t)(n < 4 ? n : 4), c);
	if (k <= 0) {
		*c = -1;
		return 1;
	}
	return (size_t)k;
}

/* Calls fn with s[0..n) lowered (ASCII only), in scratch (WORD_CPS * 4
 * bytes) when it fits. */
static int
emit_ascii(const unsigned char *s, size_t n, size_t start,
    search_word_fn fn, void *ctx, char *scratch)
{
	char *w = scratch;
	size_t i;
	int rc;

	if (n > WORD_CPS * 4 && !(w = malloc(n)))
		return -1;
	for (i = 0; i < n; i++)
		w[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]);
	rc = fn(ctx, w, n, start, start + n);
	if (w != scratch)
		free(w);
	return rc;
}

long
search_fold(const char *s, size_t n, int32_t *cp, size_t cap, size_t *need)
{
	const int opt = UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
	    UTF8PROC_DECOMPOSE | UTF8PROC_IGNORE;
	utf8proc_int32_t base = 0;
	utf8proc_ssize_t k, i, j;

	if (need)
		*need = 0;
	if (cap > (size_t)PTRDIFF_MAX / sizeof(*cp) - 1)
		cap = (size_t)PTRDIFF_MAX / sizeof(*cp) - 1;
	k = utf8proc_decompose((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)n, cp, (utf8proc_ssize_t)cap, opt);
	if (k < 0)
		return -1;
	if ((size_t)k > cap) {
		if (need)
			*need = (size_t)k;
		return -1;
	}
	for (i = j = 0; i < k; i++) {
		if (char_class(cp[i]) != C_MARK)
			base = cp[i];
		else if (base && mark_optional(base, cp[i]))
			continue;
		cp[j++] = cp[i];
	}
	/* one more code point: utf8proc_reencode ends the UTF-8 with a NUL */
	k = utf8proc_reencode(cp, j, UTF8PROC_COMPOSE);
	return k < 0 ? -1 : (long)k;
}

/* Calls fn with s[0..n) folded (see the file comment). */
static int
emit_folded(const unsigned char *s, size_t n, size_t start,
    search_word_fn fn, void *ctx)
{
	utf8proc_int32_t small[WORD_CPS + 1], *cp = small;
	size_t need;
	long k;
	int rc;

	k = search_fold((const char *)s, n, cp, WORD_CPS, &need);
	if (k < 0 && need > WORD_CPS) {
		if (!(cp = malloc((need + 1) * sizeof(*cp))))
			return -1;
		k = search_fold((const char *)s, n, cp, need, NULL);
	}
	if (k < 0)	/* not reached: s is whole characters */
		rc = fn(ctx, (const char *)s, n, start, start + n);
	else if (k == 0)	/* only default-ignorable characters */
		rc = 0;
	else
		rc = fn(ctx, (const char *)cp, (size_t)k, start, start + n);
	if (cp != small)
		free(cp);
	return rc;
}

int
search_words(const char *text, size_t len, search_word_fn fn, void *ctx)
{
	const unsigned char *s = (const unsigned char *)text;
	char scratch[WORD_CPS * 4];
	utf8proc_int32_t c;
	enum char_class cls;
	size_t i = 0, start, n;
	int ascii, rc;

	while (i < len) {
		start = i;
		if (s[i] < 0x80) {	/* most text: no tables, no calls */
			if (!ascii_word(s[i++]))
				continue;
		} else {
			n = next_char(s + i, len - i, &c);
			i += n;
			if (c < 0 || (cls = char_class(c)) == C_SEP ||
			    cls == C_SKIP)
				continue;
			if (one_per_char(c)) {
				while (i < len && s[i] >= 0x80 &&
				    (n = next_char(s + i, len - i, &c)) &&
				    c >= 0 && joins_char(c, char_class(c)))
					i += n;
				if ((rc = emit_folded(s + start, i - start,
				    start, fn, ctx)))
					return rc;
				continue;
			}
			if (cls == C_MARK)	/* no letter before it */
				continue;
		}
		for (ascii = s[start] < 0x80; i < len; i += n) {
			if (s[i] < 0x80) {
				if (!ascii_word(s[i]))
					break;
				n = 1;
				continue;
			}
			n = next_char(s + i, len - i, &c);
			if (c < 0 || char_class(c) == C_SEP || one_per_char(c))
				break;
			ascii = 0;
		}
		rc = ascii ? emit_ascii(s + start, i - start, start, fn, ctx,
		    scratch) : emit_folded(s + start, i - start, start, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int
stop_at_first(void *ctx, const char *word, size_t len, size_t start,
    size_t end)
{
	(void)ctx; (void)word; (void)len; (void)start; (void)end;
	return 1;
}

int
search_has_word(const char *text, size_t len)
{
	return search_words(text, len, stop_at_first, NULL) == 1;
}
