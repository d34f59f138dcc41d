/*
 * test_tone_register.c - the register of a customer message
 * (tone_register.c): letter forms against chat habits, with the signs
 * that show it, the formal default for upset customers, the JSON; and
 * the urgency rule that may raise a ticket's priority (tone_urgency.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/model.h"
#include "core/tone.h"
#include "core/tone_impl.h"

static struct tone
tone_of(const char *s)
{
	struct tone t;

	assert_int_equal(tone_analyze(s, strlen(s), &t), TAME_OK);
	return t;
}

/* 1 if want is among t's register evidence (exact text). */
static int
shows(const struct tone *t, const char *want)
{
	size_t i;

	for (i = 0; i < t->n_reg_evidence; i++)
		if (strcmp(t->reg_evidence[i], want) == 0)
			return 1;
	return 0;
}

/* A closing line that the feelings leave out (text_closing) still
 * shows the register. */
static void
test_closing_shows_register(void **state)
{
	struct tone t = tone_of("Dear Sir,\nmy order has not arrived.\n\n"
	    "Kind regards,");

	assert_int_equal(t.reg, TONE_FORMAL);
	assert_true(shows(&t, "Kind regards"));
}

static void
test_selfcheck(void **state)
{
	(void)state;
	assert_int_equal(tone_register_selfcheck(), 0);
}

static void
test_formal_letters(void **state)
{
	struct tone t;

	(void)state;
	t = tone_of("Dear Sir or Madam,\n\nI am writing to request a copy "
	    "of my invoice.\n\nKind regards,\nAnn Archer");
	assert_int_equal(t.reg, TONE_FORMAL);
	assert_true(shows(&t, "Dear"));
	assert_true(shows(&t, "Kind regards"));
	assert_true(shows(&t, "I am writing"));
	t = tone_of("Hello,\n\nCould you please send me the invoice for "
	    "March.\n\nSincerely,\nJane Doe");
	assert_int_equal(t.reg, TONE_FORMAL);
	assert_true(shows(&t, "Hello"));
	assert_true(shows(&t, "Sincerely"));
	/* "sincerely" inside a sentence is no sign-off */
	t = tone_of("Good morning,\nI sincerely hope the refund arrives. "
	    "Yours faithfully, B. Bell");
	assert_true(shows(&t, "Good morning"));
	assert_true(shows(&t, "Yours faithfully"));
	assert_false(shows(&t, "sincerely"));
}

static void
test_relaxed_chat(void **state)
{
	struct tone t;

	(void)state;
	t = tone_of("hey guys, thx for the fix :) u rock");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(shows(&t, "hey"));
	assert_true(shows(&t, "thx"));
	assert_true(shows(&t, ":)"));
	/* greeting, contractions and a chat sign-off */
	t = tone_of("Hi there,\nI'm locked out, can't find the reset link. "
	    "Any idea?\nCheers, Tom");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(shows(&t, "Hi"));
	assert_true(shows(&t, "Cheers"));
	assert_true(shows(&t, "I'm"));
	/* no capitals at all */
	t = tone_of("my invoice is wrong can u check it");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(shows(&t, "no capitals"));
	/* emoji, slang and a single exclamation mark */
	t = tone_of("Yo! btw the new app is awesome \xf0\x9f\x98\x80");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(shows(&t, "btw"));
	/* "Hi" in the middle of a line is no greeting */
	t = tone_of("Please say hi to the team from us. The order arrived.");
	assert_int_equal(t.reg, TONE_FORMAL);
	assert_false(shows(&t, "hi"));
}

/* Capitals are read in every script that has them, and not looked for
 * in scripts that have none; a line after a greeting's comma goes on
 * its sentence. */
static void
test_scripts_and_case(void **state)
{
	static const char *const caseless_or_capital[] = {
		/* Здравствуйте! Где мой возврат? Я жду уже две недели.
		 * С уважением, Иван */
		"\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82"
		"\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5!\n\n\xd0\x93\xd0\xb4"
		"\xd0\xb5 \xd0\xbc\xd0\xbe\xd0\xb9 \xd0\xb2\xd0\xbe\xd0\xb7"
		"\xd0\xb2\xd1\x80\xd0\xb0\xd1\x82? \xd0\xaf \xd0\xb6\xd0\xb4"
		"\xd1\x83 \xd1\x83\xd0\xb6\xd0\xb5 \xd0\xb4\xd0\xb2\xd0\xb5 "
		"\xd0\xbd\xd0\xb5\xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb8.\n\n\xd0\xa1 "
		"\xd1\x83\xd0\xb2\xd0\xb0\xd0\xb6\xd0\xb5\xd0\xbd\xd0\xb8"
		"\xd0\xb5\xd0\xbc,\n\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
		/* お世話になっております。注文した商品がまだ届いておりません。
		 * ご確認いただけますでしょうか。よろしくお願いいたします。 */
		"\xe3\x81\x8a\xe4\xb8\x96\xe8\xa9\xb1\xe3\x81\xab\xe3\x81\xaa"
		"\xe3\x81\xa3\xe3\x81\xa6\xe3\x81\x8a\xe3\x82\x8a\xe3\x81\xbe"
		"\xe3\x81\x99\xe3\x80\x82\xe6\xb3\xa8\xe6\x96\x87\xe3\x81\x97"
		"\xe3\x81\x9f\xe5\x95\x86\xe5\x93\x81\xe3\x81\x8c\xe3\x81\xbe"
		"\xe3\x81\xa0\xe5\xb1\x8a\xe3\x81\x84\xe3\x81\xa6\xe3\x81\x8a"
		"\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93\xe3\x80\x82"
		"\xe3\x81\x94\xe7\xa2\xba\xe8\xaa\x8d\xe3\x81\x84\xe3\x81\x9f"
		"\xe3\x81\xa0\xe3\x81\x91\xe3\x81\xbe\xe3\x81\x99\xe3\x81\xa7"
		"\xe3\x81\x97\xe3\x82\x87\xe3\x81\x86\xe3\x81\x8b\xe3\x80\x82"
		"\xe3\x82\x88\xe3\x82\x8d\xe3\x81\x97\xe3\x81\x8f\xe3\x81\x8a"
		"\xe9\xa1\x98\xe3\x81\x84\xe3\x81\x84\xe3\x81\x9f\xe3\x81\x97"
		"\xe3\x81\xbe\xe3\x81\x99\xe3\x80\x82",
		/* مرحبا، لم يصل طلبي بعد. أرجو المساعدة في أقرب وقت ممكن. */
		"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7\xd8\x8c \xd9\x84\xd9\x85 "
		"\xd9\x8a\xd8\xb5\xd9\x84 \xd8\xb7\xd9\x84\xd8\xa8\xd9\x8a "
		"\xd8\xa8\xd8\xb9\xd8\xaf. \xd8\xa3\xd8\xb1\xd8\xac\xd9\x88 "
		"\xd8\xa7\xd9\x84\xd9\x85\xd8\xb3\xd8\xa7\xd8\xb9\xd8\xaf\xd8\xa9 "
		"\xd9\x81\xd9\x8a \xd8\xa3\xd9\x82\xd8\xb1\xd8\xa8 "
		"\xd9\x88\xd9\x82\xd8\xaa \xd9\x85\xd9\x85\xd9\x83\xd9\x86.",
	};
	struct tone t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(caseless_or_capital) /
	    sizeof(caseless_or_capital[0]); i++) {
		t = tone_of(caseless_or_capital[i]);
		assert_int_equal(t.reg, TONE_FORMAL);
		assert_false(shows(&t, "no capitals"));
		assert_false(shows(&t, "lower-case sentence starts"));
	}
	/* Cyrillic written all in small letters is relaxed as Latin is:
	 * "где мой возврат? жду уже две недели, ответьте" */
	t = tone_of("\xd0\xb3\xd0\xb4\xd0\xb5 \xd0\xbc\xd0\xbe\xd0\xb9 "
	    "\xd0\xb2\xd0\xbe\xd0\xb7\xd0\xb2\xd1\x80\xd0\xb0\xd1\x82? "
	    "\xd0\xb6\xd0\xb4\xd1\x83 \xd1\x83\xd0\xb6\xd0\xb5 "
	    "\xd0\xb4\xd0\xb2\xd0\xb5 \xd0\xbd\xd0\xb5\xd0\xb4\xd0\xb5"
	    "\xd0\xbb\xd0\xb8, \xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82"
	    "\xd1\x8c\xd1\x82\xd0\xb5");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(shows(&t, "no capitals"));
	/* a line after a greeting's comma is no sentence start */
	t = tone_of("Hallo,\n\nik heb mijn pakket nog niet ontvangen. Kunt "
	    "je even kijken? :)\n\nGroeten,\nPiet");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(shows(&t, "Hallo"));
	assert_false(shows(&t, "lower-case sentence starts"));
	/* after a full stop it still is one */
	t = tone_of("Hey,\n\nmy parcel has not arrived. can you check? thx");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(shows(&t, "lower-case sentence starts"));
}

static void
test_default_and_upset(void **state)
{
	struct tone t;

	(void)state;
	/* plain writing: formal by default, no sign shown */
	t = tone_of("Where is my order?");
	assert_int_equal(t.reg, TONE_FORMAL);
	assert_int_equal(t.n_reg_evidence, 0);
	t = tone_of("Hi, I can't log in. Can you help? Thanks, Tom");
	assert_int_equal(t.reg, TONE_FORMAL);
	/* relaxed writing, but upset: formal, with nothing to show */
	t = tone_of("hey, still broken!!! wtf, this is ridiculous");
	assert_int_equal(t.reg, TONE_FORMAL);
	assert_int_equal(t.n_reg_evidence, 0);
	/* "!!!" is stress, not chat */
	assert_int_equal(tone_of("Need this fixed ASAP!!! Thanks :)").reg,
	    TONE_FORMAL);
	t = tone_of("");
	assert_int_equal(t.reg, TONE_FORMAL);
	assert_int_equal(t.n_reg_evidence, 0);
}

static void
test_evidence_bounded(void **state)
{
	char buf[8192];
	struct tone t;
	size_t i, n = 0;

	(void)state;
	/* many signs: at most TONE_REG_EVIDENCE, each short valid text */
	for (i = 0; i < 200 && n + 40 < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "hey lol btw i'm u gonna :) %zu\n", i);
	t = tone_of(buf);
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_true(t.n_reg_evidence <= TONE_REG_EVIDENCE);
	for (i = 0; i < t.n_reg_evidence; i++)
		assert_true(strlen(t.reg_evidence[i]) < TONE_EVIDENCE_TEXT);
	/* a greeting longer than an evidence text is cut, not overrun */
	memset(buf, 'x', 200);
	memcpy(buf, "Dear ", 5);
	buf[200] = '\0';
	t = tone_of(buf);
	assert_true(t.n_reg_evidence <= TONE_REG_EVIDENCE);
}

static void
test_json(void **state)
{
	struct tone t = tone_of("Dear Ms Lee,\nplease advise.\nKind regards");
	json_t *j = tone_to_json(&t), *re;

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "register")),
	    "formal");
	re = json_object_get(j, "register_evidence");
	assert_true(json_is_array(re));
	assert_true(json_array_size(re) >= 2);
	assert_string_equal(json_string_value(json_array_get(re, 0)), "Dear");
	json_decref(j);
	t = tone_of("Where is my order?");
	j = tone_to_json(&t);
	assert_int_equal(json_array_size(json_object_get(j,
	    "register_evidence")), 0);
	json_decref(j);
}

static void
test_urgency_rule(void **state)
{
	struct tone_urgency_conf c;
	struct tone t;
	char why[160];

	(void)state;
	tone_urgency_defaults(&c);
	/* off by default */
	assert_int_equal(tone_urgency_priority(&c, 0.99), -1);
	assert_int_equal(tone_urgency_set(&c, "urgency_priority", "1"),
	    TAME_OK);
	assert_int_equal(tone_urgency_priority(&c, 0.2), -1);
	assert_int_equal(tone_urgency_priority(&c, TONE_URGENCY_HIGH_AT),
	    PRIORITY_HIGH);
	assert_int_equal(tone_urgency_priority(&c, 0.97), PRIORITY_URGENT);
	/* "asap" alone asks for high, two strong cues for urgent */
	assert_int_equal(tone_urgency_priority(&c,
	    tone_of("Please fix this asap").urgency), PRIORITY_HIGH);
	t = tone_of("URGENT: the shop is down, we need this fixed ASAP, we "
	    "go live tomorrow!");
	assert_int_equal(tone_urgency_priority(&c, t.urgency),
	    PRIORITY_URGENT);
	tone_urgency_reason(&t, why, sizeof(why));
	assert_true(strncmp(why, "urgent tone: ", 13) == 0);
	assert_non_null(strstr(why, "ASAP"));
	/* a short buffer keeps whole items only, NUL-terminated */
	tone_urgency_reason(&t, why, 20);
	assert_true(strlen(why) < 20);
	assert_int_equal(tone_urgency_priority(&c,
	    tone_of("Thanks, all good now.").urgency), -1);
	/* values */
	assert_int_equal(tone_urgency_set(&c, "urgency_priority", "yes"),
	    TAME_EINVAL);
	assert_int_equal(tone_urgency_set(&c, "urgency_high_at", "1.5"),
	    TAME_EINVAL);
	assert_int_equal(tone_urgency_set(&c, "urgency_high_at", "0.5x"),
	    TAME_EINVAL);
	assert_int_equal(tone_urgency_set(&c, "nope", "1"), TAME_ENOTFOUND);
	assert_int_equal(tone_urgency_set(&c, "urgency_high_at", "0.9"),
	    TAME_OK);
	assert_int_equal(tone_urgency_check(&c), -1);  /* above urgent_at */
	assert_int_equal(tone_urgency_priority(&c, 0.99), -1);
	assert_int_equal(tone_urgency_set(&c, "urgency_urgent_at", "0.95"),
	    TAME_OK);
	assert_int_equal(tone_urgency_check(&c), 0);
	assert_int_equal(tone_urgency_priority(&c, 0.92), PRIORITY_HIGH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selfcheck),
		cmocka_unit_test(test_formal_letters),
		cmocka_unit_test(test_closing_shows_register),
		cmocka_unit_test(test_relaxed_chat),
		cmocka_unit_test(test_scripts_and_case),
		cmocka_unit_test(test_default_and_upset),
		cmocka_unit_test(test_evidence_bounded),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_urgency_rule),
	};

	return cmocka_run_group_tests_name("tone_register", tests, NULL, NULL);
}
