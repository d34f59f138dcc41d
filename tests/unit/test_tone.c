/*
 * test_tone.c - tone of customer messages: plain VADER against its
 * reference, Tame's sentiment rules, the cue dimensions with their
 * evidence, abuse, register, JSON, text in other languages, and bad
 * input.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <cmocka.h>
#include "core/tone.h"
#include "core/tone_impl.h"

static struct tone
tone_of(const char *s)
{
	struct tone t;

	assert_int_equal(tone_analyze(s, strlen(s), &t), TAME_OK);
	return t;
}

static double
sent(const char *s)
{
	return tone_of(s).sentiment;
}

/* 1 if t has evidence for dim whose text equals want (any case). */
static int
has_evidence(const struct tone *t, enum tone_dim dim, const char *want)
{
	size_t i;

	for (i = 0; i < t->n_evidence; i++)
		if (t->evidence[i].dim == dim &&
		    strcasecmp(t->evidence[i].text, want) == 0)
			return 1;
	return 0;
}

static void
test_tables(void **state)
{
	assert_int_equal(tone_lex_selfcheck(), 0);
	assert_int_equal(tone_cue_selfcheck(), 0);
	assert_int_equal(tone_sentiment_selfcheck(), 0);
}

/* The examples printed by the reference implementation of VADER. */
static void
test_vader_reference(void **state)
{
	static const struct {
		const char *text;
		double compound;
	} ref[] = {
		{ "VADER is smart, handsome, and funny.", 0.8316 },
		{ "VADER is smart, handsome, and funny!", 0.8439 },
		{ "VADER is very smart, handsome, and funny.", 0.8545 },
		{ "VADER is VERY SMART, handsome, and FUNNY.", 0.9227 },
		{ "VADER is VERY SMART, handsome, and FUNNY!!!", 0.9342 },
		{ "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
		  0.9469 },
		{ "VADER is not smart, handsome, nor funny.", -0.7424 },
		{ "The book was good.", 0.4404 },
		{ "At least it isn't a horrible book.", 0.431 },
		{ "The book was only kind of good.", 0.3832 },
		{ "The plot was good, but the characters are uncompelling and "
		  "the dialog is not great.", -0.7042 },
		{ "Today SUX!", -0.5461 },
		{ "Today only kinda sux! But I'll get by, lol", 0.5249 },
		{ "Make sure you :) or :D today!", 0.8633 },
		{ "Not bad at all", 0.431 },
		{ "Sentiment analysis has never been this good!", 0.5672 },
		{ "With VADER, sentiment analysis is the shit!", 0.6476 },
		{ "On the other hand, VADER is quite bad ass", 0.802 },
		{ "Roger Dodger is one of the least compelling variations on "
		  "this theme.", -0.1695 },
	};
	size_t i;

	for (i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
		assert_float_equal(tone_vader(ref[i].text, strlen(ref[i].text)),
		    ref[i].compound, 0.0005);
	assert_float_equal(tone_vader(NULL, 0), 0.0, 0.0);
	assert_float_equal(tone_vader("", 0), 0.0, 0.0);
}

static void
test_polarity(void **state)
{
	assert_true(sent("I love this product, it works great.") > 0.5);
	assert_true(sent("This is terrible, the worst service ever.") < -0.5);
	assert_float_equal(sent("The invoice is attached."), 0.0, 0.0);
}

static void
test_negation(void **state)
{
	struct tone t;

	assert_true(sent("The new version is good.") > 0.3);
	assert_true(sent("The new version is not good.") < -0.3);
	/* a negated negative is only mildly positive */
	assert_true(sent("It isn't bad.") > 0.0);
	assert_true(sent("It isn't bad.") < sent("It is good."));
	/* negation stays in its clause */
	assert_true(sent("It is not cheap, but it is good.") > 0.2);
	t = tone_of("I'm NOT happy with this.");
	assert_true(t.sentiment < -0.3);
	assert_true(has_evidence(&t, TONE_SENTIMENT, "NOT happy"));
	/* VADER sees nothing here; support mail does */
	assert_float_equal(tone_vader("It doesn't work.", 16), 0.0, 0.0);
	t = tone_of("It doesn't work.");
	assert_true(t.sentiment < -0.3);
	assert_true(has_evidence(&t, TONE_SENTIMENT, "doesn't work"));
}

static void
test_boosters_caps_exclamation(void **state)
{
	double plain = sent("The support was good.");
	double very = sent("The support was very good.");
	double caps = sent("The support was VERY GOOD.");
	double bang = sent("The support was VERY GOOD!!!");

	assert_true(plain < very);
	assert_true(very < caps);
	assert_true(caps < bang);
	assert_true(sent("It is kind of good.") < plain);
	assert_true(sent("This is bad!!!") < sent("This is bad."));
}

static void
test_contrast_and_modals(void **state)
{
	assert_true(sent("The app looks nice, but it crashes every day.") <
	    0.0);
	assert_true(sent("It should have been good.") < 0.0);
	/* a request is not praise */
	assert_true(sent("It would be great if you could fix it.") <
	    sent("It is great."));
}

static void
test_urgency(void **state)
{
	struct tone t = tone_of("Please fix this ASAP, I need it by tomorrow.");

	assert_true(t.urgency >= 0.8);
	assert_true(has_evidence(&t, TONE_URGENCY, "ASAP"));
	assert_true(has_evidence(&t, TONE_URGENCY, "by tomorrow"));
	t = tone_of("This is urgent: our site is down.");
	assert_true(t.urgency >= 0.6);
	assert_true(has_evidence(&t, TONE_URGENCY, "urgent"));
	t = tone_of("Could you send the report by Friday 5pm?");
	assert_true(has_evidence(&t, TONE_URGENCY, "by Friday"));
	t = tone_of("Not urgent, whenever you have time.");
	assert_float_equal(t.urgency, 0.0, 0.0);
	t = tone_of("Thanks for the quick answer.");
	assert_true(t.urgency < 0.1);
}

static void
test_confusion(void **state)
{
	struct tone t = tone_of("I don't understand how to export my "
	    "invoices???");

	assert_true(t.confusion >= 0.6);
	assert_true(has_evidence(&t, TONE_CONFUSION, "don't understand"));
	assert_true(has_evidence(&t, TONE_CONFUSION, "???"));
	t = tone_of("I must be missing something simple.");
	assert_true(t.confusion >= 0.4);
	t = tone_of("The export works fine.");
	assert_float_equal(t.confusion, 0.0, 0.0);
}

static void
test_frustration(void **state)
{
	struct tone t = tone_of("Still not working. This is the third time I "
	    "write to you.");

	assert_true(t.frustration >= 0.7);
	assert_true(has_evidence(&t, TONE_FRUSTRATION, "Still not working"));
	assert_true(has_evidence(&t, TONE_FRUSTRATION, "third time"));
	t = tone_of("This hasn't worked in a week and I am getting really "
	    "frustrated.");
	assert_true(t.frustration >= 0.7);
	assert_true(has_evidence(&t, TONE_FRUSTRATION, "frustrated"));
	t = tone_of("I am not frustrated at all, just curious.");
	assert_false(has_evidence(&t, TONE_FRUSTRATION, "frustrated"));
}

static void
test_cheer(void **state)
{
	struct tone t = tone_of("That worked!! Thanks so much :)");

	assert_true(t.cheer >= 0.6);
	assert_true(t.sentiment > 0.3);
	assert_true(has_evidence(&t, TONE_CHEER, "Thanks so much"));
	assert_true(has_evidence(&t, TONE_CHEER, ":)"));
	t = tone_of("Thanks for nothing.");
	assert_true(t.cheer < 0.2);
	assert_true(t.sentiment < 0.0);
	/* all well now: cheer, no hurry */
	t = tone_of("Thank you so much, it works now!");
	assert_true(t.cheer >= 0.6);
	assert_true(t.urgency < 0.1);
	t = tone_of("I need this fixed right now!");
	assert_true(t.urgency >= 0.3);
}

/* A closing "Thanks," is politeness: an angry message stays angry, a
 * plain question stays neutral, "Thanks!" alone is still thanks. */
static void
test_closing(void **state)
{
	struct tone t = tone_of("This is STILL not working after three "
	    "days. Fix it now.\n\nThanks,\n");

	assert_true(t.sentiment < -0.3);
	assert_true(t.cheer < 0.1);
	assert_false(has_evidence(&t, TONE_CHEER, "Thanks"));
	assert_true(has_evidence(&t, TONE_FRUSTRATION, "STILL not working"));
	t = tone_of("Why do I have to ask again? This is the third time."
	    "\n\nThanks in advance,");
	assert_true(t.sentiment <= 0.0);
	assert_true(t.cheer < 0.1);
	t = tone_of("Where is my card?\n\nThank you,\n");
	assert_true(fabs(t.sentiment) < 0.1);
	assert_true(t.cheer < 0.1);
	t = tone_of("Thanks!");
	assert_true(t.cheer >= 0.4);
	assert_true(t.sentiment > 0.3);
	/* the closing still shows the register: test_tone_register.c */
}

static void
test_anger_capitals(void **state)
{
	struct tone t = tone_of("THIS IS UNACCEPTABLE!!! I want my money "
	    "back.");

	assert_true(t.anger >= 0.5);
	assert_true(has_evidence(&t, TONE_ANGER, "UNACCEPTABLE"));
	assert_true(has_evidence(&t, TONE_ANGER, "!!!"));
	assert_false(t.abusive);
}

static void
test_abuse(void **state)
{
	static const char *const abusive[] = {
		"You are useless idiots.",
		"Your incompetent staff has no clue.",
		"fuck you",
		"You're such a moron, fix it.",
		"What a bunch of clowns.",
		"Your support team are complete idiots!",
		/* an insult at the end of a list said of "you" */
		"You are scammers and idiots.",
		"You are scammers, liars and idiots.",
		"You guys are slow, lazy and stupid.",
		"You scammers and thieves!",
		"you are liars and cheats and thieves",
		"You are thieves and liars \xf0\x9f\x98\xa1",
	};
	static const char *const not_abusive[] = {
		"This stupid app is still not working, damn it.",
		"I feel stupid, I can't find the button.",
		"You guys are awesome!",
		"The update is useless and the site is a mess. WTF?",
		"> You are idiots\nThanks for the help!",
		/* a list about a situation, or an insult at someone else */
		"This damn app is slow and useless and the update is stupid.",
		"You are right and the idiots at the depot lost it.",
		"You are not scammers and idiots, I know that.",
		"Thank you, you are kind and I was an idiot.",
		/* the insult is said of what follows it */
		"You are right and stupid me forgot my PIN, sorry.",
		"You replied and idiot me deleted the mail. Sorry!",
		"You are helpful and stupid questions are welcome?",
		"You guys are quick and useless people at the other bank "
		"are slow.",
	};
	struct tone t;
	size_t i;

	for (i = 0; i < sizeof(abusive) / sizeof(abusive[0]); i++) {
		t = tone_of(abusive[i]);
		assert_true(t.abusive);
		assert_true(t.anger >= 0.5);
	}
	t = tone_of(abusive[0]);
	assert_true(has_evidence(&t, TONE_ABUSE, "You are useless idiots"));
	t = tone_of(abusive[6]);
	assert_true(has_evidence(&t, TONE_ABUSE,
	    "You are scammers and idiots"));
	for (i = 0; i < sizeof(not_abusive) / sizeof(not_abusive[0]); i++)
		assert_false(tone_of(not_abusive[i]).abusive);
}

static void
test_register(void **state)
{
	assert_int_equal(tone_of("Dear Sir or Madam,\n\nI am writing to "
	    "request a copy of my invoice.\n\nKind regards,\nAnn").reg,
	    TONE_FORMAL);
	assert_int_equal(tone_of("hey guys, thx for the fix :) u rock").reg,
	    TONE_RELAXED);
	/* relaxed writing, but upset: answer formally */
	assert_int_equal(tone_of("hey, still broken!!! wtf, this is "
	    "ridiculous").reg, TONE_FORMAL);
	assert_int_equal(tone_of("").reg, TONE_FORMAL);
	assert_string_equal(tone_register_name(TONE_RELAXED), "relaxed");
}

/* German "die", Spanish "sin" and "tardes", French "pain" are no
 * English feelings in a mail in those languages; its signs and the
 * English urgency words it borrows still count. */
static void
test_other_languages(void **state)
{
	struct tone t;

	t = tone_of("Vielen Dank f\xc3\xbcr die schnelle Hilfe, die Bestellung "
	    "ist angekommen!");
	assert_true(t.sentiment >= 0.0);
	assert_true(t.frustration < 0.1 && t.anger < 0.1);
	assert_false(has_evidence(&t, TONE_SENTIMENT, "die"));
	t = tone_of("Die App geht nicht. Die Bestellung ist weg. Die Karte "
	    "auch. Was ist da los???");
	assert_true(t.sentiment >= 0.0);
	assert_true(t.frustration < TONE_SHOWN && t.anger < TONE_SHOWN);
	t = tone_of("Muchas gracias, sin problemas, buenas tardes");
	assert_true(t.sentiment >= 0.0);
	assert_false(has_evidence(&t, TONE_SENTIMENT, "sin"));
	assert_false(has_evidence(&t, TONE_SENTIMENT, "tardes"));
	t = tone_of("Bonjour, le pain est arriv\xc3\xa9 froid, je ne suis pas "
	    "content.");
	assert_false(has_evidence(&t, TONE_SENTIMENT, "pain"));
	/* Dutch "die" is no feeling either */
	t = tone_of("Die bestelling is niet aangekomen, ik wacht al een week.");
	assert_true(t.sentiment >= 0.0);
	/* signs and borrowed English cues */
	t = tone_of("DRINGEND!!! Die App geht nicht, wir brauchen das ASAP, "
	    "das ist eine Frechheit!!! :(");
	assert_true(t.urgency >= 0.6);
	assert_true(has_evidence(&t, TONE_URGENCY, "ASAP"));
	assert_true(t.sentiment < 0.0);     /* the :( */
	assert_true(t.frustration > 0.3 || t.anger > 0.3);
	t = tone_of("Vielen Dank, das ist super \xf0\x9f\x98\x80");
	assert_true(t.sentiment > 0.3);
	/* English is read as before */
	t = tone_of("Die Hard box set did not arrive.");
	assert_true(has_evidence(&t, TONE_SENTIMENT, "Die"));
}

/* Terse English complaints signed with a name or naming a place are
 * English: the particles of "Maria de los Santos" or "K. van der Meer"
 * and the capitals of "Sean O'Brien" made them Spanish, Dutch or
 * Italian, and their tone neutral. Read as the build before the
 * languages read them. */
static void
test_english_with_names(void **state)
{
	static const struct {
		const char *text, *word;
	} en[] = {
		{ "Card blocked. Awful!\nSean O'Brien", "Awful" },
		{ "Ma'am, O'Brien's card blocked. Terrible!", "Terrible" },
		{ "Terrible service, still no refund!\n\nMaria de los Santos",
		    "Terrible" },
		{ "Refund never came, worst bank ever\nMaria dos Santos da "
		    "Silva", "worst" },
		{ "Rubbish support. Utterly useless.\nK. van der Meer",
		    "useless" },
		{ "Awful service!!\nSean Murphy, O'Hare Airport", "Awful" },
	};
	struct tone t;
	size_t i;

	for (i = 0; i < sizeof(en) / sizeof(en[0]); i++) {
		t = tone_of(en[i].text);
		assert_true(t.sentiment < 0.0);
		assert_true(has_evidence(&t, TONE_SENTIMENT, en[i].word));
		assert_true(t.anger > 0.2);
	}
	t = tone_of("Still waiting!!! Hotel del Coronado, San Diego, Las "
	    "Palmas branch");
	assert_true(t.frustration >= TONE_SHOWN);
	/* and the customers' own languages are still theirs */
	t = tone_of("Hola, mi tarjeta fue rechazada y no s\xc3\xa9 por "
	    "qu\xc3\xa9, \xc2\xbfme pueden ayudar?");
	assert_true(t.sentiment >= 0.0);
	assert_false(has_evidence(&t, TONE_SENTIMENT, "no"));
	t = tone_of("Bonjour, je n'ai toujours pas re\xc3\xa7u mon "
	    "remboursement, pouvez-vous v\xc3\xa9rifier ?");
	assert_true(t.sentiment >= 0.0);
	t = tone_of("Die App geht nicht. Die Bestellung ist weg. Die Karte "
	    "auch. Was ist da los???");
	assert_false(has_evidence(&t, TONE_SENTIMENT, "Die"));
	t = tone_of("Vielen Dank f\xc3\xbcr die schnelle Hilfe, die "
	    "Bestellung ist angekommen!");
	assert_true(t.sentiment >= 0.0);
	assert_false(has_evidence(&t, TONE_SENTIMENT, "die"));
	/* the register of another language reads its words as written,
	 * the feelings not */
	t = tone_of("hey guys, die App geht nicht mehr, ist das normal? thx "
	    ":) lol");
	assert_int_equal(t.reg, TONE_RELAXED);
	assert_string_equal(t.reg_evidence[0], "hey");
	assert_false(has_evidence(&t, TONE_SENTIMENT, "thx"));
}

static void
test_json(void **state)
{
	struct tone t = tone_of("Need this fixed ASAP!!! Thanks :)");
	json_t *j = tone_to_json(&t), *ev, *e;
	static const char *const keys[] = { "sentiment", "frustration",
		"anger", "confusion", "urgency", "cheer" };
	size_t i;

	assert_non_null(j);
	for (i = 0; i < 6; i++)
		assert_true(json_is_number(json_object_get(j, keys[i])));
	assert_true(json_is_boolean(json_object_get(j, "abusive")));
	assert_string_equal(json_string_value(json_object_get(j,
	    "register")), "formal");
	ev = json_object_get(j, "evidence");
	assert_true(json_is_array(ev));
	assert_true(json_array_size(ev) >= 2);
	e = json_array_get(ev, 0);
	assert_string_equal(json_string_value(json_object_get(e,
	    "dimension")), "urgency");
	assert_true(json_is_string(json_object_get(e, "text")));
	assert_true(json_is_number(json_object_get(e, "weight")));
	json_decref(j);
	assert_null(tone_to_json(NULL));
	assert_string_equal(tone_dim_name(TONE_ABUSE), "abuse");
	assert_string_equal(tone_dim_name(TONE_DIM_COUNT), "?");
}

static void
assert_neutral_and_sane(const char *s, size_t len)
{
	struct tone t;
	json_t *j;

	assert_int_equal(tone_analyze(s, len, &t), TAME_OK);
	assert_true(t.sentiment >= -1.0 && t.sentiment <= 1.0);
	assert_true(t.n_evidence <= TONE_MAX_EVIDENCE);
	/* evidence is valid UTF-8, or jansson would refuse it */
	j = tone_to_json(&t);
	assert_non_null(j);
	json_decref(j);
}

static void
test_bad_input(void **state)
{
	static const char invalid[] = "\xff\xfe\xc3(abc \x80\xbf good \xe2\x82";
	static const char nul[] = "bad\0terrible\0!!!";
	static const char mixed[] = "Привет, 你好, مرحبا 🙂👍🏽 ❤️ ok";
	struct tone t;
	char *big;
	size_t i;

	assert_int_equal(tone_analyze(NULL, 0, &t), TAME_OK);
	assert_float_equal(t.sentiment, 0.0, 0.0);
	assert_int_equal(t.n_evidence, 0);
	assert_int_equal(tone_analyze(NULL, 5, &t), TAME_EINVAL);
	assert_int_equal(tone_analyze("x", 1, NULL), TAME_EINVAL);
	t = tone_of("");
	assert_float_equal(t.sentiment, 0.0, 0.0);
	assert_float_equal(t.urgency + t.anger + t.cheer + t.frustration +
	    t.confusion, 0.0, 0.0);
	t = tone_of(".,;:-()[]...");
	assert_float_equal(t.sentiment, 0.0, 0.0);
	/* not NUL-terminated: nothing is read past len (ASan checks) */
	big = malloc(6);
	assert_non_null(big);
	memcpy(big, "Why???", 6);
	assert_int_equal(tone_analyze(big, 6, &t), TAME_OK);
	assert_true(has_evidence(&t, TONE_CONFUSION, "???"));
	free(big);
	assert_neutral_and_sane(invalid, sizeof(invalid) - 1);
	assert_neutral_and_sane(nul, sizeof(nul) - 1);
	assert_neutral_and_sane(mixed, sizeof(mixed) - 1);
	/* another language: no English words, no strong tone */
	t = tone_of("Das Produkt ist nicht gut, bitte helfen Sie mir.");
	assert_true(t.sentiment > -0.5 && t.sentiment < 0.5);
	assert_false(t.abusive);
	/* 1 MB: bounded, the rest is not read */
	big = malloc(1 << 20);
	assert_non_null(big);
	for (i = 0; i < (1u << 20); i++)
		big[i] = "great day! "[i % 11];
	assert_int_equal(tone_analyze(big, 1 << 20, &t), TAME_OK);
	assert_true(t.truncated);
	assert_int_equal(t.tokens, TONE_MAX_TOKENS);
	assert_true(t.sentiment > 0.5);
	/* one 1 MB word, and 1 MB of marks */
	memset(big, 'a', 1 << 20);
	assert_neutral_and_sane(big, 1 << 20);
	for (i = 0; i < (1u << 20); i++)
		big[i] = "-:;=!?.)"[i % 8];
	assert_neutral_and_sane(big, 1 << 20);
	free(big);
}

static void *
analyze_thread(void *arg)
{
	struct tone *t = arg;
	const char *s = "Still not working!!! Fix this ASAP, you idiots.";

	tone_analyze(s, strlen(s), t);
	return NULL;
}

/* The tables are built at first use; many threads at once must agree. */
static void
test_threads(void **state)
{
	pthread_t th[8];
	struct tone t[8];
	int i;

	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, analyze_thread,
		    &t[i]), 0);
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++) {
		assert_true(t[i].abusive);
		assert_float_equal(t[i].urgency, t[0].urgency, 0.0);
		assert_float_equal(t[i].sentiment, t[0].sentiment, 0.0);
		assert_int_equal(t[i].n_evidence, t[0].n_evidence);
	}
}

/* The ticket's tone from its latest customer messages: an earlier
 * heated one (of the last three days) stays until a heated or cheerful
 * one comes, however many plain ones come after it; an unreadable tone
 * is calm. */
static void
test_ticket_pick(void **state)
{
	const char *angry = "{\"anger\":0.8,\"frustration\":0.3}";
	const char *fed_up = "{\"anger\":0.2,\"frustration\":0.9}";
	const char *rude = "{\"anger\":0.1,\"abusive\":true}";
	const char *plain = "{\"anger\":0.1,\"frustration\":0.2,"
	    "\"cheer\":0.1}";
	const char *glad = "{\"cheer\":0.7}";
	const char *hot = "{\"anger\":0.6}";
	long long day = 24LL * 3600 * 1000, now = 100 * day;
	long long at[3] = { now, now - day, now - 2 * day };
	long long old[3] = { now, now - 4 * day, now - 5 * day };
	const char *t[3];

	(void)state;
	t[0] = plain; t[1] = angry; t[2] = plain;
	assert_int_equal(tone_ticket_pick(t, at, 3), 1);
	t[1] = plain; t[2] = fed_up;       /* the most heated of the two */
	assert_int_equal(tone_ticket_pick(t, at, 3), 2);
	t[1] = angry;
	assert_int_equal(tone_ticket_pick(t, at, 3), 2);
	t[1] = rude;                       /* abusive is the most heated */
	assert_int_equal(tone_ticket_pick(t, at, 3), 1);
	assert_int_equal(tone_ticket_pick(t, old, 3), 0);
	t[0] = glad;                       /* thanks calm it */
	assert_int_equal(tone_ticket_pick(t, at, 3), 0);
	t[0] = hot;                        /* heated itself: its own */
	assert_int_equal(tone_ticket_pick(t, at, 3), 0);
	t[0] = NULL;                       /* unreadable: calm */
	assert_int_equal(tone_ticket_pick(t, at, 3), 1);
	t[0] = "{not json";
	assert_int_equal(tone_ticket_pick(t, at, 3), 1);
	t[1] = "[]"; t[2] = plain;
	assert_int_equal(tone_ticket_pick(t, at, 3), 0);
	assert_int_equal(tone_ticket_pick(t, at, 1), 0);
	assert_int_equal(tone_ticket_pick(t, at, 0), 0);
	/* chased three times: still angry; thanked after it: calm */
	{
		const char *u[5] = { plain, plain, plain, angry, plain };
		long long w[5] = { now, now - 1, now - 2, now - 3, now - 4 };

		assert_int_equal(tone_ticket_pick(u, w, 5), 3);
		u[2] = glad;
		assert_int_equal(tone_ticket_pick(u, w, 5), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_vader_reference),
		cmocka_unit_test(test_polarity),
		cmocka_unit_test(test_negation),
		cmocka_unit_test(test_boosters_caps_exclamation),
		cmocka_unit_test(test_contrast_and_modals),
		cmocka_unit_test(test_urgency),
		cmocka_unit_test(test_confusion),
		cmocka_unit_test(test_frustration),
		cmocka_unit_test(test_cheer),
		cmocka_unit_test(test_closing),
		cmocka_unit_test(test_anger_capitals),
		cmocka_unit_test(test_abuse),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_other_languages),
		cmocka_unit_test(test_english_with_names),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_ticket_pick),
	};

	return cmocka_run_group_tests_name("tone", tests, NULL, NULL);
}
