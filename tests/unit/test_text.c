/*
 * test_text.c - the text pipeline of core/text.c: what is cut away as
 * quoted history, signature or footer, folding, tokens, stems and word
 * pairs, other languages' stop words and stems, and bad input (empty,
 * invalid UTF-8, mixed scripts, 1 MB).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "core/search_words.h"
#include "core/text.h"

static struct text_pipeline *tp;

static int
setup(void **state)
{
	tp = text_pipeline_new();
	return tp ? 0 : -1;
}

static int
teardown(void **state)
{
	text_pipeline_free(tp);
	return 0;
}

/* The new text of s as a string the caller frees. */
static char *
new_text(const char *s, enum text_cut_kind *kind)
{
	size_t n = text_cut(s, strlen(s), kind);
	char *r = malloc(n + 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

static void
expect_cut(const char *s, const char *want, enum text_cut_kind kind)
{
	enum text_cut_kind k;
	char *got = new_text(s, &k);

	assert_string_equal(got, want);
	assert_int_equal(k, kind);
	free(got);
}

static int
has_term(const struct text_doc *d, const char *t)
{
	size_t i;

	for (i = 0; i < d->nterm; i++)
		if (strcmp(text_doc_term(d, i), t) == 0)
			return 1;
	return 0;
}

static void
test_cut_attribution(void **state)
{
	expect_cut("My card is blocked.\n\nOn Tue, 3 Mar 2026 at 10:02, Ann "
	    "<ann@example.org> wrote:\n> Hello\n> bye\n",
	    "My card is blocked.\n\n", TEXT_CUT_QUOTE);
	/* Gmail wraps a long attribution over two lines. */
	expect_cut("Still broken.\nOn Tue, 3 Mar 2026 at 10:02, Support Team\n"
	    "<support@example.org> wrote:\n> old\n", "Still broken.\n",
	    TEXT_CUT_QUOTE);
	expect_cut("Danke.\nAm 03.03.2026 um 10:02 schrieb Ann:\n> alt\n",
	    "Danke.\n", TEXT_CUT_QUOTE);
}

static void
test_cut_quoted_lines(void **state)
{
	struct text_doc d;

	expect_cut("It works now.\n\n> Did you try again?\n>\n> Bob\n\n",
	    "It works now.\n\n", TEXT_CUT_QUOTE);
	/* Bottom posting: the quote on top is skipped, the answer kept. */
	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, "> Which card?\nThe blue card\n", 28,
	    1, &d), TAME_OK);
	assert_int_equal(d.new_len, 28);
	assert_true(has_term(&d, "blue"));
	assert_false(has_term(&d, "which"));
	text_doc_free(&d);
}

static void
test_cut_original_forward(void **state)
{
	expect_cut("See below.\n-----Original Message-----\nFrom: x\n",
	    "See below.\n", TEXT_CUT_ORIGINAL);
	expect_cut("Please help\n\nFrom: Shop <a@b.c>\nSent: Monday\nTo: me\n",
	    "Please help\n\n", TEXT_CUT_ORIGINAL);
	expect_cut("FYI\n________________________________\nFrom: Shop\n"
	    "Sent: Monday\n", "FYI\n", TEXT_CUT_ORIGINAL);
	/* Outlook's header block in German and French */
	expect_cut("Geht nicht.\n\nVon: Shop <a@b.c>\nGesendet: Montag\n"
	    "An: mich\n", "Geht nicht.\n\n", TEXT_CUT_ORIGINAL);
	expect_cut("Merci\n________________________________\nDe : Shop\n"
	    "Envoy\xc3\xa9 : lundi\n", "Merci\n", TEXT_CUT_ORIGINAL);
	expect_cut("Look at this\n---------- Forwarded message ---------\n"
	    "From: bank\n", "Look at this\n", TEXT_CUT_FORWARD);
	expect_cut("Look\n\nBegin forwarded message:\n\nFrom: bank\n",
	    "Look\n\n", TEXT_CUT_FORWARD);
}

static void
test_cut_signature_footer(void **state)
{
	expect_cut("Refund please.\n-- \nAnn Smith\nACME\n", "Refund please.\n",
	    TEXT_CUT_SIGNATURE);
	expect_cut("Refund please.\n\nSent from my iPhone\n",
	    "Refund please.\n\n", TEXT_CUT_SIGNATURE);
	/* The closing words stay (tone reads them), the name goes. */
	expect_cut("Refund please.\nKind regards,\nAnn Smith\n+44 20 1234\n",
	    "Refund please.\nKind regards,\n", TEXT_CUT_SIGNATURE);
	/* "Thanks" followed by a real paragraph is not a sign-off. */
	expect_cut("Thanks\nI tried again today and the card was declined at "
	    "the shop, then at the ATM, then online, and the app shows "
	    "nothing at all about it.\n", "Thanks\nI tried again today and "
	    "the card was declined at the shop, then at the ATM, then online, "
	    "and the app shows nothing at all about it.\n", TEXT_CUT_NONE);
	expect_cut("Help.\n\nThis email and any attachments are confidential "
	    "and intended solely for the addressee.\n", "Help.\n\n",
	    TEXT_CUT_FOOTER);
	expect_cut("Nothing to cut here.", "Nothing to cut here.",
	    TEXT_CUT_NONE);
}

/* The closing on the last line of new text, where the tone stops. */
static void
test_closing(void **state)
{
	static const char a[] = "It still fails.\n\nThanks,\n";
	static const char b[] = "Where is it?\nThank you for your help!";
	static const char c[] = "Thanks!\n";
	static const char d[] = "Thanks, it works now.";
	static const char e[] = "It fails.\nKind regards\n\n  \n";

	assert_int_equal(text_closing(a, strlen(a)), 17);
	assert_int_equal(text_closing(b, strlen(b)), 13);
	/* nothing before it: the thanks is the message */
	assert_int_equal(text_closing(c, strlen(c)), strlen(c));
	/* thanks within a sentence is no closing */
	assert_int_equal(text_closing(d, strlen(d)), strlen(d));
	assert_int_equal(text_closing(e, strlen(e)), 10);
	assert_int_equal(text_closing("", 0), 0);
	assert_int_equal(text_closing(NULL, 0), 0);
	assert_int_equal(text_closing("\n\n", 2), 2);
}

/* The closing is no word of the problem: "thank" is no term of a
 * message that only closes with it. */
static void
test_closing_no_term(void **state)
{
	static const char m[] = "My card was stolen.\n\nThanks,\nBob\n";
	struct text_pipeline *tp = text_pipeline_new();
	struct text_doc d;
	size_t i;
	int card = 0;

	assert_non_null(tp);
	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, m, strlen(m), 1, &d), TAME_OK);
	for (i = 0; i < d.nterm; i++) {
		assert_null(strstr(text_doc_term(&d, i), "thank"));
		card |= strcmp(text_doc_term(&d, i), "card") == 0;
	}
	assert_true(card);
	text_doc_free(&d);
	text_pipeline_free(tp);
}

static void
test_only_quoted_and_empty(void **state)
{
	const char *q = "On Mon, 2 Mar 2026, Bob <b@c.d> wrote:\n> all old\n";
	struct text_doc d;

	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, q, strlen(q), 1, &d), TAME_OK);
	assert_int_equal(d.new_len, 0);
	assert_int_equal(d.ntok, 0);
	assert_int_equal(d.nterm, 0);
	assert_int_equal(text_analyse(tp, "", 0, 1, &d), TAME_OK);
	assert_int_equal(d.ntok, 0);
	assert_int_equal(text_analyse(tp, NULL, 0, 1, &d), TAME_OK);
	assert_int_equal(d.ntok, 0);
	assert_int_equal(text_analyse(tp, "!!! ??? ...", 11, 1, &d), TAME_OK);
	assert_int_equal(d.nterm, 0);
	text_doc_free(&d);
}

static void
test_fold(void **state)
{
	struct buf b;
	struct text_doc d;

	buf_init(&b, 1024);
	assert_int_equal(text_fold("\xc3\x89LAN Stra\xc3\x9f" "e \xef\xac\x81le",
	    19, &b), TAME_OK);
	assert_string_equal(buf_str(&b), "elan strasse file");
	buf_reset(&b);
	/* Invalid bytes are dropped, the rest kept. */
	assert_int_equal(text_fold("a\xff" "b\xc3", 4, &b), TAME_OK);
	assert_string_equal(buf_str(&b), "ab");
	buf_free(&b);
	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, "\xc3\x89t\xc3\xa9 Stra\xc3\x9f" "e",
	    13, 0, &d), TAME_OK);
	assert_int_equal(d.ntok, 2);
	assert_string_equal(text_doc_norm(&d, 0), "ete");
	assert_string_equal(text_doc_norm(&d, 1), "strasse");
	text_doc_free(&d);
}

/* Collects the folded words search_words() gives, one space between. */
static int
join_word(void *ctx, const char *word, size_t len, size_t start,
    size_t end)
{
	struct buf *b = ctx;

	(void)start; (void)end;
	if (b->len && buf_add(b, " ", 1))
		return 1;
	return buf_add(b, word, len) != TAME_OK;
}

/* Trend labels and similar-case words are folded as search folds them:
 * the marks that make another letter (kana voicing, Cyrillic й) stay,
 * accents of Latin letters go, so a word copied from a label finds the
 * tickets it names. */
static void
test_fold_as_search(void **state)
{
	static const struct { const char *in, *norm; } cases[] = {
		{ "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc"
		  "\xe3\x83\x89", "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf"
		  "\xe3\x83\xbc\xe3\x83\x89" },		/* パスワード */
		{ "\xe3\x82\xa2\xe3\x83\x97\xe3\x83\xaa\xe3\x81\x8c",
		  "\xe3\x82\xa2\xe3\x83\x97\xe3\x83\xaa\xe3\x81\x8c" },
		  						/* アプリが */
		{ "\xef\xbe\x8a\xef\xbe\x9f\xef\xbd\xbd",
		  "\xe3\x83\x91\xe3\x82\xb9" },		/* ﾊﾟｽ: パス */
		{ "\xd0\x9c\xd0\xbe\xd0\xb9", "\xd0\xbc\xd0\xbe\xd0\xb9" },
		  						/* Мой: мой */
		{ "\xd0\x94\xd0\xbe\xd0\xb1\xd1\x80\xd1\x8b\xd0\xb9",
		  "\xd0\xb4\xd0\xbe\xd0\xb1\xd1\x80\xd1\x8b\xd0\xb9" },
		  						/* Добрый */
		{ "\xd0\x81\xd0\xbb\xd0\xba\xd0\xb0",
		  "\xd0\xb5\xd0\xbb\xd0\xba\xd0\xb0" },	/* Ёлка: елка */
		{ "caf\xc3\xa9", "cafe" },
		{ "R\xc3\xbc" "ckerstattung", "ruckerstattung" },
	};
	struct text_doc d;
	struct buf b;
	size_t i;

	text_doc_init(&d);
	buf_init(&b, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(text_analyse(tp, cases[i].in,
		    strlen(cases[i].in), 0, &d), TAME_OK);
		assert_int_equal(d.ntok, 1);
		assert_string_equal(text_doc_norm(&d, 0), cases[i].norm);
		buf_reset(&b);
		assert_int_equal(text_fold(cases[i].in, strlen(cases[i].in),
		    &b), TAME_OK);
		assert_string_equal(buf_str(&b), cases[i].norm);
	}
	/* Word for word, the label's fold is the search's. */
	{
		const char *s = "\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2"
		    "\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5! "
		    "\xd0\x93\xd0\xb4\xd0\xb5 \xd0\xbc\xd0\xbe\xd0\xb9 "
		    "\xd0\xb2\xd0\xbe\xd0\xb7\xd0\xb2\xd1\x80\xd0\xb0\xd1\x82? "
		    "Cr\xc3\xa8me br\xc3\xbb" "l\xc3\xa9" "e";
		struct buf t;

		buf_init(&t, 1024);
		buf_reset(&b);
		assert_int_equal(search_words(s, strlen(s), join_word, &b), 0);
		assert_int_equal(text_analyse(tp, s, strlen(s), 0, &d),
		    TAME_OK);
		for (i = 0; i < d.ntok; i++) {
			if (i)
				assert_int_equal(buf_add(&t, " ", 1), TAME_OK);
			assert_int_equal(buf_addstr(&t, text_doc_norm(&d, i)),
			    TAME_OK);
		}
		assert_string_equal(buf_str(&t), buf_str(&b));
		buf_free(&t);
	}
	buf_free(&b);
	text_doc_free(&d);
}

static void
test_tokens_stems(void **state)
{
	const char *s = "The cards haven't ARRIVED, customer's order 42 is late";
	struct text_doc d;

	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, s, strlen(s), 1, &d), TAME_OK);
	assert_int_equal(d.ntok, 9);
	assert_string_equal(text_doc_norm(&d, 0), "the");
	assert_true(d.tok[0].flags & TEXT_TOK_STOP);
	assert_string_equal(text_doc_stem(&d, 1), "card");
	assert_string_equal(text_doc_norm(&d, 2), "haven't");
	assert_true(d.tok[2].flags & TEXT_TOK_STOP);
	assert_string_equal(text_doc_stem(&d, 3), "arriv");
	assert_int_equal(d.tok[3].src_off, 18);
	assert_int_equal(d.tok[3].src_len, 7);
	assert_string_equal(text_doc_stem(&d, 4), "custom");
	assert_true(d.tok[6].flags & TEXT_TOK_NUM);
	assert_string_equal(text_doc_stem(&d, 6), "42");
	assert_true(has_term(&d, "card"));
	assert_true(has_term(&d, "late"));
	assert_false(has_term(&d, "42"));
	assert_false(has_term(&d, "the"));
	text_doc_free(&d);
}

/* A mail in another language: its function words and greetings are
 * no terms, its words are stemmed by its own stemmer; English is read
 * as before. */
static void
test_other_languages(void **state)
{
	static const char *const de_stop[] = { "die", "ist", "nicht", "das",
		"eine", "wenn", "mich", "kann", "fur", "hallo", "vielen",
		"dank", NULL };
	const char *de = "Hallo, das ist eine Frechheit: die Karte ist "
	    "gesperrt und ich kann mich nicht anmelden, wenn die App startet. "
	    "Vielen Dank f\xc3\xbcr die Hilfe!";
	const char *fr = "Bonjour, je n'ai pas re\xc3\xa7u le mot de passe, "
	    "l'application ne marche pas avec mon compte.";
	const char *nl = "Hoi, de app werkt niet. Met vriendelijke groet";
	struct text_doc d;
	size_t i;

	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, de, strlen(de), 1, &d), TAME_OK);
	assert_int_equal(d.lang, LANG_DE);
	for (i = 0; de_stop[i]; i++)
		assert_false(has_term(&d, de_stop[i]));
	/* German stems: "gesperrt" and "Karte" as the German stemmer has
	 * them, the pair without the article between */
	assert_true(has_term(&d, "kart"));
	assert_true(has_term(&d, "frechheit"));
	assert_true(has_term(&d, "kart gesperrt"));
	assert_false(has_term(&d, "frechheit kart") && has_term(&d, "das ist"));

	assert_int_equal(text_analyse(tp, fr, strlen(fr), 1, &d), TAME_OK);
	assert_int_equal(d.lang, LANG_FR);
	assert_true(has_term(&d, "mot pass"));
	assert_true(has_term(&d, "appliqu"));   /* "l'application" */
	assert_false(has_term(&d, "avec"));
	assert_false(has_term(&d, "bonjour"));
	assert_false(has_term(&d, "de"));
	/* what the label shows: the word without its article */
	for (i = 0; i < d.nterm; i++)
		assert_null(strchr(text_doc_display(&d, i), '\''));

	assert_int_equal(text_analyse(tp, nl, strlen(nl), 1, &d), TAME_OK);
	assert_int_equal(d.lang, LANG_NL);
	assert_true(has_term(&d, "app werkt"));
	assert_false(has_term(&d, "groet"));
	assert_false(has_term(&d, "vriendelijk"));
	assert_false(has_term(&d, "met"));

	/* English with a foreign name in it stays English */
	assert_int_equal(text_analyse(tp, "The Die Hard box set never arrived",
	    34, 1, &d), TAME_OK);
	assert_int_equal(d.lang, LANG_EN);
	assert_true(has_term(&d, "die"));
	assert_true(has_term(&d, "arriv"));
	/* a subject in its message's language */
	assert_int_equal(text_analyse_lang(tp, "Karten gesperrt", 15, 0,
	    LANG_DE, &d), TAME_OK);
	assert_true(has_term(&d, "kart"));
	text_doc_free(&d);
}

static void
test_pairs(void **state)
{
	const char *s = "My card has not arrived yet. Transfer failed";
	struct text_doc d;
	size_t i;

	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, s, strlen(s), 1, &d), TAME_OK);
	assert_true(has_term(&d, "card arriv"));
	assert_true(has_term(&d, "arriv yet"));
	assert_true(has_term(&d, "transfer fail"));
	/* No pair across a sentence end. */
	assert_false(has_term(&d, "yet transfer"));
	for (i = d.nuni; i < d.nterm; i++)
		if (strcmp(text_doc_term(&d, i), "card arriv") == 0)
			assert_string_equal(text_doc_display(&d, i), "card arrived");
	text_doc_free(&d);
}

static void
test_bad_bytes_scripts(void **state)
{
	const char *bad = "\xff\xfe card \xc3 blocked \xe2\x82";
	const char *mixed = "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80 \xe4\xb8\x96\xe7\x95\x8c caf\xc3\xa9!";
	struct text_doc d;

	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, bad, strlen(bad), 1, &d), TAME_OK);
	assert_int_equal(d.ntok, 2);
	assert_string_equal(text_doc_norm(&d, 0), "card");
	assert_string_equal(text_doc_norm(&d, 1), "blocked");
	assert_int_equal(text_analyse(tp, mixed, strlen(mixed), 1, &d), TAME_OK);
	assert_int_equal(d.ntok, 3); /* Cyrillic, Han, Latin; emoji are not words */
	assert_string_equal(text_doc_norm(&d, 0),
	    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	assert_string_equal(text_doc_norm(&d, 2), "cafe");
	text_doc_free(&d);
}

static void
test_megabyte(void **state)
{
	size_t n = 1024 * 1024, i;
	char *big = malloc(n);
	struct text_doc d;
	clock_t t0;
	double ms;

	for (i = 0; i < n; i++)
		big[i] = "lorem ipsum dolor sit amet refund card\n"[i % 39];
	text_doc_init(&d);
	t0 = clock();
	assert_int_equal(text_analyse(tp, big, n, 1, &d), TAME_OK);
	ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
	assert_int_equal(d.ntok, TEXT_TOKENS_MAX);
	assert_true(d.truncated);
	assert_true(ms < 500); /* bounded: a few ms in practice */
	/* One endless line of letters is not a word at all. */
	memset(big, 'a', n);
	assert_int_equal(text_analyse(tp, big, n, 1, &d), TAME_OK);
	assert_int_equal(d.ntok, 0);
	text_doc_free(&d);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_attribution),
		cmocka_unit_test(test_cut_quoted_lines),
		cmocka_unit_test(test_cut_original_forward),
		cmocka_unit_test(test_cut_signature_footer),
		cmocka_unit_test(test_closing),
		cmocka_unit_test(test_closing_no_term),
		cmocka_unit_test(test_only_quoted_and_empty),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_fold_as_search),
		cmocka_unit_test(test_tokens_stems),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_other_languages),
		cmocka_unit_test(test_bad_bytes_scripts),
		cmocka_unit_test(test_megabyte),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
