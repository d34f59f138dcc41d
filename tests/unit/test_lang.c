/*
 * test_lang.c - the language of a text (core/lang.c): each language
 * Snowball has a list for is told from its function words, words shared
 * between languages do not mislead, and English and short texts stay
 * English.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/lang.h"
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

/* The language text_analyse reads s in, given hint. */
static enum lang
lang_of(const char *s, enum lang hint)
{
	struct text_doc d;
	enum lang l;

	text_doc_init(&d);
	assert_int_equal(text_analyse_lang(tp, s, strlen(s), 1, hint, &d),
	    TAME_OK);
	l = d.lang;
	text_doc_free(&d);
	return l;
}

static void
test_lists(void **state)
{
	/* every word of every list found room in the table */
	assert_int_equal(lang_selfcheck(), 0);
	assert_string_equal(lang_code(LANG_DE), "de");
	assert_string_equal(lang_stemmer(LANG_NL), "dutch");
	assert_string_equal(lang_code((enum lang)99), "?");
	/* "die" is German and Dutch; "für" is folded as a message is */
	assert_true(lang_words_of("die") & (1u << LANG_DE));
	assert_true(lang_words_of("die") & (1u << LANG_NL));
	assert_false(lang_words_of("die") & (1u << LANG_EN));
	assert_true(lang_is_stop(LANG_DE, "fur"));
	assert_true(lang_is_stop(LANG_EN, "the"));
	/* text.c's English edits count as English */
	assert_true(lang_is_stop(LANG_EN, "hello"));
	assert_true(lang_is_stop(LANG_NL, "groet"));
	assert_false(lang_is_stop(LANG_DE, "karte"));
	assert_int_equal(lang_words_of(NULL), 0);
	assert_int_equal(lang_words_of(""), 0);
}

static void
test_languages(void **state)
{
	assert_int_equal(lang_of("Vielen Dank f\xc3\xbcr die schnelle Hilfe, "
	    "die Bestellung ist angekommen!", LANG_EN), LANG_DE);
	assert_int_equal(lang_of("Die App geht nicht. Die Bestellung ist weg.",
	    LANG_EN), LANG_DE);
	/* "die" is Dutch too: the words of their own decide */
	assert_int_equal(lang_of("Die app werkt niet meer, ik kan niet "
	    "inloggen.", LANG_EN), LANG_NL);
	assert_int_equal(lang_of("Bonjour, je n'ai pas re\xc3\xa7u mon colis.",
	    LANG_EN), LANG_FR);
	assert_int_equal(lang_of("Mi contrase\xc3\xb1" "a ha caducado y no "
	    "puedo entrar en mi cuenta.", LANG_EN), LANG_ES);
	assert_int_equal(lang_of("Il mio ordine non \xc3\xa8 arrivato.",
	    LANG_EN), LANG_IT);
	assert_int_equal(lang_of("Hej, jag kan inte logga in p\xc3\xa5 mitt "
	    "konto.", LANG_EN), LANG_SV);
	assert_int_equal(lang_of("\xd0\xaf \xd0\xbd\xd0\xb5 \xd0\xbc\xd0\xbe"
	    "\xd0\xb3\xd1\x83 \xd0\xb2\xd0\xbe\xd0\xb9\xd1\x82\xd0\xb8 \xd0\xb2 "
	    "\xd0\xbc\xd0\xbe\xd0\xb9 \xd0\xb0\xd0\xba\xd0\xba\xd0\xb0\xd1\x83"
	    "\xd0\xbd\xd1\x82, \xd0\xbe\xd0\xbd \xd0\xbd\xd0\xb5 \xd1\x80\xd0\xb0"
	    "\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd0\xb5\xd1\x82", LANG_EN), LANG_RU);
}

static void
test_english_stays(void **state)
{
	/* English function words and short texts: English */
	assert_int_equal(lang_of("Hi, I ordered a card last week and it has "
	    "not arrived. Can you check?", LANG_EN), LANG_EN);
	assert_int_equal(lang_of("Thanks!", LANG_EN), LANG_EN);
	assert_int_equal(lang_of("Danke", LANG_EN), LANG_EN);
	assert_int_equal(lang_of("Die Hard box set did not arrive.", LANG_EN),
	    LANG_EN);
	/* Italian "per", Spanish "de", Italian "non" among English words */
	assert_int_equal(lang_of("I need several disposable cards made per "
	    "day.", LANG_EN), LANG_EN);
	assert_int_equal(lang_of("Resembles a soft porn Brian De Palma "
	    "pastiche.", LANG_EN), LANG_EN);
	assert_int_equal(lang_of("A non mystery mystery.", LANG_EN), LANG_EN);
	/* initials are no French "m", "d", "y", "n" */
	assert_int_equal(lang_of("LEO CUBILLAN, M.D. Berkeley, Calif., Sept. "
	    "14, 1998", LANG_EN), LANG_EN);
	assert_int_equal(lang_of("Box 5193, General Post Office, New York, "
	    "N.Y. 10087.", LANG_EN), LANG_EN);
	assert_int_equal(lang_of("Hi Ana, my order from La Casa de Papel "
	    "didn't come", LANG_EN), LANG_EN);
}

/* Terse English complaints signed or placed with foreign names: the
 * particles of a name ("de los", "dos ... da", "van der", "del") and
 * capitalised names ("Sean", "O'Brien") are no other language; the
 * tone of these read neutral when they did. */
static void
test_english_names(void **state)
{
	static const char *const en[] = {
		"Card blocked. Awful!\nSean O'Brien",
		"Ma'am, O'Brien's card blocked. Terrible!",
		"Terrible service, still no refund!\n\nMaria de los Santos",
		"Refund never came, worst bank ever\nMaria dos Santos da Silva",
		"Rubbish support. Utterly useless.\nK. van der Meer",
		"Awful service!!\nSean Murphy, O'Hare Airport",
		"Still waiting!!! Hotel del Coronado, San Diego, Las Palmas "
		    "branch",
		"D'Angelo here, y'all blocked my card again",
		NULL
	};
	size_t i;

	for (i = 0; en[i]; i++)
		assert_int_equal(lang_of(en[i], LANG_EN), LANG_EN);
	/* the customer's own language is still read, capitalised nouns
	 * and "Sie" or not */
	assert_int_equal(lang_of("Vielen Dank f\xc3\xbcr die schnelle Hilfe, "
	    "die Bestellung ist angekommen!", LANG_EN), LANG_DE);
	assert_int_equal(lang_of("Die App geht nicht. Die Bestellung ist weg. "
	    "Die Karte auch. Was ist da los???", LANG_EN), LANG_DE);
	assert_int_equal(lang_of("Hola, mi tarjeta fue rechazada y no "
	    "s\xc3\xa9 por qu\xc3\xa9, \xc2\xbfme pueden ayudar?", LANG_EN),
	    LANG_ES);
	assert_int_equal(lang_of("Bonjour, je n'ai toujours pas re\xc3\xa7u "
	    "mon remboursement, pouvez-vous v\xc3\xa9rifier ?", LANG_EN),
	    LANG_FR);
	assert_int_equal(lang_of("K\xc3\xb6nnen Sie mir bitte helfen? Meine "
	    "Karte ist gesperrt.", LANG_EN), LANG_DE);
}

/* A name does not vote; at the start of a sentence or a line a
 * capital is only a capital. */
static void
test_votes(void **state)
{
	struct lang_votes v;

	lang_votes_init(&v);
	lang_vote(&v, "sean", "Sean", 4, 0);
	lang_vote(&v, "los", "Los", 3, 0);
	assert_int_equal(v.hits[LANG_ES], 0);
	assert_int_equal(v.words, 2);
	lang_vote(&v, "los", "Los", 3, 1);
	lang_vote(&v, "los", "los", 3, 0);
	lang_vote(&v, "los", NULL, 0, 0);
	assert_int_equal(v.only[LANG_ES], 3);
	/* shouting is no name */
	lang_vote(&v, "sind", "SIND", 4, 0);
	assert_int_equal(v.only[LANG_DE], 1);
	/* no elision: a capital after the apostrophe, or no French or
	 * Italian elided word before it, at a start or not */
	lang_votes_init(&v);
	lang_vote(&v, "o'brien", "O'Brien", 7, 1);
	lang_vote(&v, "o'hare", "O\xe2\x80\x99Hare", 8, 1);
	lang_vote(&v, "d'angelo", "D'Angelo", 8, 1);
	lang_vote(&v, "l'oreal", "L'Oreal", 7, 1);
	lang_vote(&v, "ma'am", "Ma'am", 5, 1);
	lang_vote(&v, "ma'am", "ma'am", 5, 0);
	lang_vote(&v, "y'all", "y'all", 5, 0);
	assert_int_equal(v.hits[LANG_FR] + v.hits[LANG_IT] + v.hits[LANG_ES],
	    0);
	/* French and Italian elisions vote for both, as their own */
	lang_vote(&v, "l'application", "l'application", 13, 0);
	lang_vote(&v, "qu'il", "Qu\xe2\x80\x99il", 7, 1);
	assert_int_equal(v.only[LANG_FR], 2);
	assert_int_equal(v.only[LANG_IT], 1);
	lang_vote(&v, "dell'ordine", "dell'ordine", 11, 0);
	assert_int_equal(v.only[LANG_IT], 2);
	assert_int_equal(v.only[LANG_FR], 2);
}

static void
test_hint(void **state)
{
	/* a subject of a few words in its message's language */
	assert_int_equal(lang_of("Karte gesperrt", LANG_DE), LANG_DE);
	assert_int_equal(lang_of("Karte gesperrt", LANG_EN), LANG_EN);
	/* unless it shows English */
	assert_int_equal(lang_of("Re: your order", LANG_DE), LANG_EN);
	/* its own language beats the hint */
	assert_int_equal(lang_of("Le colis est perdu et je ne sais pas o\xc3\xb9",
	    LANG_DE), LANG_FR);
}

static void
test_elision(void **state)
{
	assert_int_equal(lang_elision(LANG_FR, "l'application"), 2);
	assert_int_equal(lang_elision(LANG_FR, "qu'il"), 3);
	assert_int_equal(lang_elision(LANG_IT, "dell'ordine"), 5);
	assert_int_equal(lang_elision(LANG_FR, "aujourd'hui"), 0);
	assert_int_equal(lang_elision(LANG_EN, "l'application"), 0);
	assert_int_equal(lang_elision(LANG_FR, "l'"), 0);
	assert_int_equal(lang_elision(LANG_FR, "colis"), 0);
	assert_int_equal(lang_elision(LANG_IT, "quest'anno"), 6);
	assert_int_equal(lang_elision(LANG_FR, "ma'am"), 0);
	assert_int_equal(lang_elision(LANG_IT, "o'brien"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_english_stays),
		cmocka_unit_test(test_english_names),
		cmocka_unit_test(test_votes),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_elision),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
