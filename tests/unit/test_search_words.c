/*
 * test_search_words.c - the words the search index keeps
 * (src/core/search_words.c): cut and folded the same way, however the
 * text was typed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "core/search_words.h"

/* The words of text, each followed by '|', in out. */
static int
add_word(void *ctx, const char *word, size_t len, size_t start, size_t end)
{
	char *out = ctx;
	size_t n = strlen(out);

	assert_true(start < end);
	assert_true(n + len + 2 < 1024);
	memcpy(out + n, word, len);
	out[n + len] = '|';
	out[n + len + 1] = '\0';
	return 0;
}

static const char *
words(const char *text)
{
	static char out[1024];

	out[0] = '\0';
	assert_int_equal(search_words(text, strlen(text), add_word, out), 0);
	return out;
}

/* Case, accents and compatibility forms fold; symbols separate. */
static void
test_folding(void **state)
{
	assert_string_equal(words("Invoice 88123 \xe2\x80\x93 wrong!"),
	    "invoice|88123|wrong|");
	assert_string_equal(words("Stra\xc3\x9f" "e Caf\xc3\xa9"),
	    "strasse|cafe|");
	/* full-width ＡＢＣ１２３ */
	assert_string_equal(words("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"
	    "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"), "abc123|");
	/* ё is е, but й stays й (another letter) */
	assert_string_equal(words("\xd0\x81\xd0\xbb\xd0\xba\xd0\xb0 "
	    "\xd0\xbc\xd0\xbe\xd0\xb9"), "\xd0\xb5\xd0\xbb\xd0\xba\xd0\xb0|"
	    "\xd0\xbc\xd0\xbe\xd0\xb9|");
	/* a soft hyphen and a zero-width space are left out of the word */
	assert_string_equal(words("exam\xc2\xad" "ple re\xe2\x80\x8b" "fund"),
	    "example|refund|");
	/* Dhivehi keeps its vowel signs */
	assert_string_equal(words("\xde\x8b\xde\xa8"), "\xde\x8b\xde\xa8|");
}

/* One word a character in scripts without spaces, with its marks. */
static void
test_one_per_char(void **state)
{
	char half[64];

	/* 订单号ORD-1 */
	assert_string_equal(words("\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7"
	    "ORD-1"), "\xe8\xae\xa2|\xe5\x8d\x95|\xe5\x8f\xb7|ord|1|");
	/* half-width ｶﾞｲﾄﾞ is ガイド, as typed full-width */
	snprintf(half, sizeof(half), "%s", words("\xef\xbd\xb6\xef\xbe\x9e"
	    "\xef\xbd\xb2\xef\xbe\x84\xef\xbe\x9e"));
	assert_string_equal(half, words("\xe3\x82\xac\xe3\x82\xa4"
	    "\xe3\x83\x89"));
	assert_string_equal(half, "\xe3\x82\xac|\xe3\x82\xa4|\xe3\x83\x89|");
	/* 한 written decomposed (macOS) is 한 */
	assert_string_equal(words("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"),
	    "\xed\x95\x9c|");
	/* a Thai vowel sign stays with its consonant: คืน */
	assert_string_equal(words("\xe0\xb8\x84\xe0\xb8\xb7\xe0\xb8\x99"),
	    "\xe0\xb8\x84\xe0\xb8\xb7|\xe0\xb8\x99|");
}

/* A word of 64 and more characters of four bytes folds whole (the
 * buffer of a long word is one code point larger than it: utf8proc ends
 * the text with a NUL). */
static void
test_long_words(void **state)
{
	char text[4 * 70 + 1], want[4 * 70 + 2];
	int n, i;

	for (n = 63; n <= 70; n++) {
		for (i = 0; i < n; i++)	/* cuneiform U+12000 */
			memcpy(text + 4 * i, "\xf0\x92\x80\x80", 4);
		text[4 * n] = '\0';
		memcpy(want, text, 4 * (size_t)n);
		want[4 * n] = '|';
		want[4 * n + 1] = '\0';
		assert_string_equal(words(text), want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_one_per_char),
		cmocka_unit_test(test_long_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
