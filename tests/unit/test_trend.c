/*
 * test_trend.c - the trend index of core/trend*.c: grouping of similar
 * tickets, removal, that agents' renames, merges, splits and moves are
 * kept by the automatic grouping, that a restart's trend_restore gives
 * back the trends it is told, and that compacting the dictionary
 * changes none of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "core/text.h"
#include "core/trend.h"

#define T0 1767225600000LL /* 2026-01-01 */

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

/* The words of text s as trend input, in d, terms and disp (256 each). */
static void
input_of(const char *s, struct text_doc *d, const char **terms,
    const char **disp, struct trend_input *in)
{
	size_t i;

	text_doc_init(d);
	assert_int_equal(text_analyse(tp, s, strlen(s), 1, d), TAME_OK);
	for (i = 0; i < d->nterm && i < 256; i++) {
		terms[i] = text_doc_term(d, i);
		disp[i] = text_doc_display(d, i);
	}
	in->terms = terms;
	in->display = disp;
	in->nterm = i;
}

/* Places ticket with text s at minute `min` after T0; returns its trend. */
static uint32_t
place(struct trend_index *ix, int64_t ticket, const char *s, int min)
{
	struct text_doc d;
	struct trend_input in;
	const char *terms[256], *disp[256];
	uint32_t t = 0;

	input_of(s, &d, terms, disp, &in);
	assert_int_equal(trend_place(ix, ticket, &in, T0 + min * 60000LL, &t),
	    TAME_OK);
	text_doc_free(&d);
	return t;
}

static const char *card[] = {
	"My new card has not arrived yet",
	"The new card still has not arrived",
	"When will my new card arrive? It has not arrived",
	"Still waiting, my new card never arrived",
	"new card not arrived after two weeks",
	"Has my new card been sent? It has not arrived",
};
static const char *rate[] = {
	"The exchange rate on my payment was wrong",
	"Wrong exchange rate applied to my payment",
	"Why was the exchange rate wrong for this payment",
	"exchange rate for my card payment is wrong",
};

static struct trend_index *
two_topics(void)
{
	struct trend_index *ix = trend_index_new(NULL);
	size_t i;

	assert_non_null(ix);
	for (i = 0; i < 6; i++)
		place(ix, (int64_t)i + 1, card[i], (int)i);
	for (i = 0; i < 4; i++)
		place(ix, (int64_t)i + 101, rate[i], (int)i + 10);
	return ix;
}

static void
test_similar_together(void **state)
{
	struct trend_index *ix = two_topics();
	struct trend_info ti;
	uint32_t a = trend_of(ix, 1), b = trend_of(ix, 101);
	int64_t i;

	assert_true(a != 0 && b != 0);
	assert_int_not_equal(a, b);
	for (i = 2; i <= 6; i++)
		assert_int_equal(trend_of(ix, i), a);
	for (i = 102; i <= 104; i++)
		assert_int_equal(trend_of(ix, i), b);
	/* Something else entirely opens a trend of its own. */
	assert_true(place(ix, 200, "How do I change my postal address", 30) !=
	    a);
	assert_int_not_equal(trend_of(ix, 200), b);
	assert_int_equal(trend_get(ix, a, T0 + 31 * 60000LL, &ti), TAME_OK);
	assert_int_equal(ti.open, 6);
	assert_true(strstr(ti.label, "arrived") != NULL ||
	    strstr(ti.label, "new card") != NULL);
	assert_true(ti.rep_ticket >= 1 && ti.rep_ticket <= 6);
	assert_int_equal(ti.nsample, TREND_SAMPLES);
	assert_int_equal(ti.first_seen, T0);
	assert_int_equal(ti.last_seen, T0 + 5 * 60000LL);
	assert_int_equal(ti.last_hour, 6);
	assert_int_equal(ti.last_day, 6);
	/* six in its first half hour: a new problem, rising */
	assert_true(ti.rising);
	trend_index_free(ix);
}

/* Rising: the last hour (or day) against the trend's rate before it. */
static void
test_rising(void **state)
{
	struct trend_index *ix = trend_index_new(NULL);
	struct trend_info ti;
	uint32_t a;
	int i, now;

	assert_non_null(ix);
	/* one card ticket every 3 hours for 4 days */
	for (i = 0; i < 32; i++)
		place(ix, i + 1, card[i % 6], i * 180);
	a = trend_of(ix, 1);
	now = 32 * 180;
	assert_int_equal(trend_get(ix, a, T0 + now * 60000LL, &ti), TAME_OK);
	assert_true(ti.open >= 30);
	assert_false(ti.rising);
	/* then four within the last hour (in two 10-minute slots and more:
	 * the clock moving on keeps what the slots before it hold) */
	for (i = 0; i < 4; i++)
		place(ix, 100 + i, card[i], now + 10 * i);
	assert_int_equal(trend_get(ix, a, T0 + (now + 40) * 60000LL, &ti),
	    TAME_OK);
	assert_int_equal(ti.last_hour, 4);
	assert_true(ti.rising);
	/* two new ones are not enough on their own */
	trend_index_free(ix);
	ix = trend_index_new(NULL);
	assert_non_null(ix);
	place(ix, 1, card[0], 0);
	place(ix, 2, card[1], 5);
	assert_int_equal(trend_get(ix, trend_of(ix, 1), T0 + 10 * 60000LL,
	    &ti), TAME_OK);
	assert_false(ti.rising);
	trend_index_free(ix);
}

/* A steady trend, each ticket solved two hours after it came, for ten
 * days: its usual rate is its open tickets' (one an hour), not spread
 * over its ten days, so it is neither rising nor above its usual; and a
 * ticket solved and reopened again and again is one arrival. */
static void
test_steady_and_reopened(void **state)
{
	struct trend_index *ix = trend_index_new(NULL);
	struct trend_info ti;
	uint32_t a;
	int i, now = 239 * 60 + 30;

	assert_non_null(ix);
	for (i = 0; i < 240; i++) {
		place(ix, i + 1, card[0], i * 60);
		if (i >= 2)
			assert_int_equal(trend_remove(ix, i - 1), TAME_OK);
	}
	a = trend_of(ix, 240);
	assert_int_equal(trend_get(ix, a, T0 + now * 60000LL, &ti), TAME_OK);
	assert_int_equal(ti.open, 2);
	assert_true(ti.usual_per_hour > 0.6 && ti.usual_per_hour < 1.5);
	assert_true(ti.growth > 0.4 && ti.growth < 2.0);
	assert_false(ti.rising);
	for (i = 0; i < 10; i++) {
		assert_int_equal(trend_remove(ix, 240), TAME_OK);
		place(ix, 240, card[0], 239 * 60);
	}
	assert_int_equal(trend_get(ix, trend_of(ix, 240), T0 + now * 60000LL,
	    &ti), TAME_OK);
	assert_int_equal(ti.open, 2);
	assert_int_equal(ti.last_hour, 1);
	assert_int_equal(ti.last_day, 2);
	trend_index_free(ix);
}

static void
test_remove_counts(void **state)
{
	struct trend_index *ix = two_topics();
	struct trend_info ti;
	uint32_t b = trend_of(ix, 101);
	int64_t got[8];
	int64_t i;

	assert_int_equal(trend_index_tickets(ix), 10);
	assert_int_equal(trend_remove(ix, 101), TAME_OK);
	assert_int_equal(trend_remove(ix, 101), TAME_ENOTFOUND);
	assert_int_equal(trend_of(ix, 101), 0);
	assert_int_equal(trend_get(ix, b, T0, &ti), TAME_OK);
	assert_int_equal(ti.open, 3);
	assert_int_equal(trend_tickets(ix, b, got, 8), 3);
	for (i = 102; i <= 104; i++)
		assert_int_equal(trend_remove(ix, i), TAME_OK);
	/* An empty trend is gone. */
	assert_int_equal(trend_get(ix, b, T0, &ti), TAME_ENOTFOUND);
	assert_int_equal(trend_index_tickets(ix), 6);
	assert_int_equal(trend_index_trends(ix), 1);
	trend_index_free(ix);
}

static void
test_list(void **state)
{
	struct trend_index *ix = two_topics();
	struct trend_info *ti = NULL;
	size_t n = 0;

	place(ix, 300, "Please close my account", 40);
	assert_int_equal(trend_list(ix, 3, 10, T0 + 41 * 60000LL, &ti, &n),
	    TAME_OK);
	assert_int_equal(n, 2); /* the lone ticket is not a trend to show */
	assert_int_equal(ti[0].open, 6);
	assert_int_equal(ti[1].open, 4);
	free(ti);
	/* A day later nothing is recent. */
	assert_int_equal(trend_list(ix, 3, 10, T0 + 25 * 3600000LL, &ti, &n),
	    TAME_OK);
	assert_int_equal(ti[0].last_hour, 0);
	assert_int_equal(ti[0].last_day, 0);
	free(ti);
	trend_index_free(ix);
}

/* An answered ticket (pending) waits on its customer: its trend counts
 * it apart, wherever it goes, until the customer writes again. */
static void
test_waiting_counted(void **state)
{
	struct trend_index *ix = two_topics();
	struct trend_info ti;
	uint32_t a = trend_of(ix, 1), own = 0;

	assert_int_equal(trend_set_waiting(ix, 1, 1), TAME_OK);
	assert_int_equal(trend_set_waiting(ix, 2, 1), TAME_OK);
	assert_int_equal(trend_set_waiting(ix, 2, 1), TAME_OK); /* once */
	assert_int_equal(trend_set_waiting(ix, 999, 1), TAME_ENOTFOUND);
	assert_int_equal(trend_get(ix, a, T0, &ti), TAME_OK);
	assert_int_equal(ti.open, 6);
	assert_int_equal(ti.waiting, 2);
	/* the customer wrote again: to answer */
	assert_int_equal(trend_set_waiting(ix, 1, 0), TAME_OK);
	assert_int_equal(trend_get(ix, a, T0, &ti), TAME_OK);
	assert_int_equal(ti.waiting, 1);
	/* a waiting ticket moved out is counted where it goes */
	assert_int_equal(trend_move_out(ix, 2, 0, &own), TAME_OK);
	assert_int_equal(trend_get(ix, a, T0, &ti), TAME_OK);
	assert_int_equal(ti.waiting, 0);
	assert_int_equal(trend_get(ix, own, T0, &ti), TAME_OK);
	assert_int_equal(ti.waiting, 1);
	/* ... and with its trend when merged; solved, it is gone */
	assert_int_equal(trend_merge(ix, a, own), TAME_OK);
	assert_int_equal(trend_get(ix, a, T0, &ti), TAME_OK);
	assert_int_equal(ti.waiting, 1);
	assert_int_equal(trend_remove(ix, 2), TAME_OK);
	assert_int_equal(trend_get(ix, a, T0, &ti), TAME_OK);
	assert_int_equal(ti.waiting, 0);
	trend_index_free(ix);
}

/* trend_list_q.keep of test_list_rising_first: all but *arg. */
static int
keep_but(void *arg, uint32_t id)
{
	return id != *(uint32_t *)arg;
}

/* Rising trends come first when asked, then those with the most to
 * answer; the total counts what the limit left out, and not what keep
 * leaves out (a trend the daemon cannot link to yet). */
static void
test_list_rising_first(void **state)
{
	struct trend_index *ix = two_topics();
	struct trend_list_q q = { 3, 1, 1, NULL, NULL };
	struct trend_info *ti = NULL;
	size_t n = 0, total = 0;
	uint32_t skip;
	int64_t now = T0 + 3 * 24 * 3600000LL, i;

	/* the card trend is the largest (8 open); three days on, the rate
	 * tickets come again (7 open): rising */
	place(ix, 7, card[0], 7);
	place(ix, 8, card[1], 8);
	for (i = 0; i < 3; i++)
		place(ix, 110 + i, rate[i], 3 * 24 * 60 - 30 + (int)i);
	assert_int_equal(trend_list_by(ix, &q, now, &ti, &n, &total), TAME_OK);
	assert_int_equal(n, 1);
	assert_int_equal(total, 2);
	assert_int_equal(ti[0].id, trend_of(ix, 101));
	assert_true(ti[0].rising);
	free(ti);
	/* by size the larger card trend leads */
	q.rising_first = 0;
	assert_int_equal(trend_list_by(ix, &q, now, &ti, &n, &total), TAME_OK);
	assert_int_equal(ti[0].id, trend_of(ix, 1));
	free(ti);
	/* without the card trend: the rate trend alone, all of the total */
	skip = trend_of(ix, 1);
	q.keep = keep_but;
	q.keep_arg = &skip;
	assert_int_equal(trend_list_by(ix, &q, now, &ti, &n, &total), TAME_OK);
	assert_int_equal(n, 1);
	assert_int_equal(total, 1);
	assert_int_equal(ti[0].id, trend_of(ix, 101));
	free(ti);
	trend_index_free(ix);
}

/* The trends most like one: those sharing its words, the closest first;
 * none that shares nothing. */
static void
test_similar_trends(void **state)
{
	struct trend_index *ix = two_topics();
	uint32_t ids[4], a = trend_of(ix, 1), c;
	double sc[4];
	size_t n;

	place(ix, 300, "How do I change my postal address", 40);
	c = place(ix, 301, "Can I order a metal card in gold", 41);
	assert_int_not_equal(c, a);
	n = trend_similar(ix, a, 4, ids, sc);
	assert_true(n >= 1);
	assert_int_equal(ids[0], c);
	assert_true(sc[0] > 0 && sc[0] < 1);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(ids[i], trend_of(ix, 300));
	assert_int_equal(trend_similar(ix, 999, 4, ids, sc), 0);
	trend_index_free(ix);
}

static void
test_move_out_never_back(void **state)
{
	struct trend_index *ix = two_topics();
	uint32_t a = trend_of(ix, 3), own = 0, again = 0;
	int i;

	assert_int_equal(trend_move_out(ix, 3, 0, &own), TAME_OK);
	assert_true(own != 0 && own != a);
	assert_int_equal(trend_of(ix, 3), own);
	/* Moved out again, it stays where it is: no second trend. */
	assert_int_equal(trend_move_out(ix, 3, 0, &again), TAME_EEXIST);
	assert_int_equal(again, own);
	assert_int_equal(trend_of(ix, 3), own);
	/* The customer writes again with the same words... */
	assert_int_equal(place(ix, 3, card[2], 50), own);
	/* ...and many more like it arrive: it never goes back. */
	for (i = 0; i < 40; i++)
		place(ix, 1000 + i, card[i % 6], 60 + i);
	assert_int_equal(trend_of(ix, 3), own);
	assert_int_not_equal(trend_resolve(ix, own), trend_resolve(ix, a));
	assert_int_equal(trend_of(ix, 1000), trend_resolve(ix, a));
	/* Moving into a trend it is in already makes no sense. */
	assert_int_equal(trend_move_out(ix, 3, own, NULL), TAME_EINVAL);
	trend_index_free(ix);
}

static void
test_merge_kept(void **state)
{
	struct trend_index *ix = two_topics();
	uint32_t a = trend_of(ix, 1), b = trend_of(ix, 101);
	int i;

	assert_int_equal(trend_merge(ix, a, b), TAME_OK);
	assert_int_equal(trend_merge(ix, a, a), TAME_EINVAL);
	assert_int_equal(trend_resolve(ix, b), a);
	assert_int_equal(trend_of(ix, 101), a);
	/* newest first after the merge too: its list and its samples */
	{
		static const int64_t want[] = { 104, 103, 102, 101, 6, 5, 4, 3,
			2, 1 };
		struct trend_info ti;
		int64_t got[16];

		assert_int_equal(trend_tickets(ix, a, got, 16), 10);
		for (i = 0; i < 10; i++)
			assert_int_equal(got[i], want[i]);
		assert_int_equal(trend_get(ix, a, T0 + 3600000, &ti), TAME_OK);
		assert_int_equal(ti.nsample, TREND_SAMPLES);
		for (i = 0; i < TREND_SAMPLES; i++)
			assert_int_equal(ti.sample[i], want[i]);
	}
	for (i = 0; i < 30; i++)
		place(ix, 2000 + i, i % 2 ? rate[i % 4] : card[i % 6], 70 + i);
	assert_int_equal(trend_of(ix, 101), trend_of(ix, 1));
	assert_int_equal(trend_of(ix, 2001), trend_of(ix, 1));
	trend_index_free(ix);
}

static void
test_split_kept(void **state)
{
	struct trend_index *ix = trend_index_new(NULL);
	int64_t part[] = { 1, 3, 5 };
	uint32_t a, n = 0;
	int i;

	/* Identical texts: the automatic merge would love to rejoin them. */
	for (i = 0; i < 6; i++)
		place(ix, i + 1, card[0], i);
	a = trend_of(ix, 1);
	assert_int_equal(trend_split(ix, a, part, 3, &n), TAME_OK);
	assert_true(n != 0 && n != a);
	assert_int_equal(trend_of(ix, 3), n);
	assert_int_equal(trend_of(ix, 2), a);
	for (i = 0; i < 64; i++)
		place(ix, 100 + i, card[0], 10 + i);
	assert_int_equal(trend_of(ix, 1), n);
	assert_int_equal(trend_of(ix, 5), n);
	assert_int_equal(trend_of(ix, 2), a);
	assert_int_not_equal(trend_resolve(ix, a), trend_resolve(ix, n));
	/* Nothing to move is an error, not an empty trend. */
	part[0] = 999;
	assert_int_equal(trend_split(ix, a, part, 1, NULL), TAME_EINVAL);
	trend_index_free(ix);
}

static void
test_rename_kept(void **state)
{
	struct trend_index *ix = two_topics();
	struct trend_info ti;
	uint32_t a = trend_of(ix, 1), b = trend_of(ix, 101);
	int i;

	assert_int_equal(trend_rename(ix, a, "Card delivery delays"), TAME_OK);
	for (i = 0; i < 20; i++)
		place(ix, 3000 + i, card[i % 6], 80 + i);
	assert_int_equal(trend_get(ix, trend_of(ix, 1), T0, &ti), TAME_OK);
	assert_true(ti.named);
	assert_string_equal(ti.label, "Card delivery delays");
	/* A merge keeps the agent's name, whichever side it was on. */
	assert_int_equal(trend_merge(ix, b, a), TAME_OK);
	assert_int_equal(trend_get(ix, a, T0, &ti), TAME_OK);
	assert_string_equal(ti.label, "Card delivery delays");
	assert_int_equal(trend_rename(ix, b, ""), TAME_OK);
	assert_int_equal(trend_get(ix, b, T0, &ti), TAME_OK);
	assert_false(ti.named);
	assert_int_equal(trend_rename(ix, 424242, "x"), TAME_ENOTFOUND);
	trend_index_free(ix);
}

static void
test_empty_and_big(void **state)
{
	struct trend_index *ix = trend_index_new(NULL);
	size_t n = 1024 * 1024, i;
	char *big = malloc(n + 1);
	clock_t t0;
	uint32_t t;

	/* No words: no trend (documented), and nothing left behind. */
	assert_int_equal(place(ix, 1, "", 0), 0);
	assert_int_equal(place(ix, 2, "> only quoted\n", 0), 0);
	assert_int_equal(trend_of(ix, 1), 0);
	assert_int_equal(trend_index_tickets(ix), 0);
	assert_int_equal(trend_remove(ix, 1), TAME_ENOTFOUND);
	for (i = 0; i < n; i++)
		big[i] = "refund my card payment please now\n"[i % 34];
	big[n] = '\0';
	t0 = clock();
	t = place(ix, 3, big, 1);
	assert_true(t != 0);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);
	assert_int_equal(place(ix, 4, "refund my card payment", 2), t);
	free(big);
	trend_index_free(ix);
}

static void
test_bad_arguments(void **state)
{
	struct trend_index *ix = trend_index_new(NULL);
	struct trend_input in = { NULL, NULL, 0 };
	uint32_t t = 7;

	assert_int_equal(trend_place(ix, 0, &in, T0, &t), TAME_EINVAL);
	assert_int_equal(t, 0);
	assert_int_equal(trend_place(ix, -5, &in, T0, &t), TAME_EINVAL);
	assert_int_equal(trend_move_out(ix, 9, 0, NULL), TAME_ENOTFOUND);
	assert_int_equal(trend_merge(ix, 1, 2), TAME_ENOTFOUND);
	assert_int_equal(trend_resolve(ix, 77), 0);
	trend_index_free(ix);
}

/* Puts ticket (text s, at minute min) back into trend into of ix
 * (trend_restore); answers its trend. */
static uint32_t
restore(struct trend_index *ix, int64_t ticket, const char *s, int min,
    uint32_t into, unsigned flags)
{
	struct text_doc d;
	struct trend_input in;
	const char *terms[256], *disp[256];
	uint32_t t = 0;

	input_of(s, &d, terms, disp, &in);
	assert_int_equal(trend_restore(ix, ticket, &in, T0 + min * 60000LL,
	    into, flags, &t), TAME_OK);
	text_doc_free(&d);
	return t;
}

static const char *other[] = {
	"I forgot my password and cannot log in",
	"Password reset link does not work",
	"My top up failed with an error",
	"Can I get a refund for this purchase",
	"The refund for my purchase has not come",
};

/* A restart puts every ticket back into the trend the store kept for it
 * (trend_restore, in the order they came): the same groups, the same
 * labels, and what agents did holds as before. Placing them again gave
 * other groups. */
static void
test_restore_gives_back(void **state)
{
	struct trend_index *a = trend_index_new(NULL), *b;
	struct trend_info ia, ib;
	uint32_t map[64] = { 0 }, split = 0, solo = 0, ta, tb;
	int64_t part[] = { 3, 9 };
	unsigned flags;
	int i;

	assert_non_null(a);
	for (i = 1; i <= 40; i++)
		place(a, i, i % 3 == 0 ? card[i % 6] : i % 3 == 1 ?
		    rate[i % 4] : other[i % 5], i);
	assert_int_equal(trend_split(a, trend_of(a, 3), part, 2, &split),
	    TAME_OK);
	assert_int_equal(trend_move_out(a, 4, 0, &solo), TAME_OK);
	assert_int_equal(trend_rename(a, trend_of(a, 1), "Rates"), TAME_OK);

	assert_non_null(b = trend_index_new(NULL));
	for (i = 1; i <= 40; i++) {
		ta = trend_of(a, i);
		assert_true(ta > 0 && ta < 64);
		flags = i == 3 || i == 9 || i == 4 ? TREND_RESTORE_PINNED : 0;
		flags |= ta == split ? TREND_RESTORE_SPLIT : ta == solo ?
		    TREND_RESTORE_SOLO : 0;
		tb = restore(b, i, i % 3 == 0 ? card[i % 6] : i % 3 == 1 ?
		    rate[i % 4] : other[i % 5], i, map[ta], flags);
		assert_true(tb != 0);
		if (!map[ta])
			map[ta] = tb;
		assert_int_equal(tb, map[ta]);
	}
	assert_int_equal(trend_index_trends(b), trend_index_trends(a));
	for (ta = 1; ta < 64; ta++) {
		if (!map[ta])
			continue;
		assert_int_equal(trend_get(a, ta, T0, &ia), TAME_OK);
		assert_int_equal(trend_get(b, map[ta], T0, &ib), TAME_OK);
		assert_int_equal(ia.open, ib.open);
		if (!ia.named)
			assert_string_equal(ia.label, ib.label);
	}
	/* an agent's decisions hold: more of the same never joins the solo
	 * ticket, the split trend is not merged back, pinned tickets stay */
	for (i = 0; i < 64; i++)
		place(b, 100 + i, card[i % 6], 50 + i);
	assert_int_equal(trend_of(b, 4), map[solo]);
	assert_int_equal(trend_tickets(b, map[solo], NULL, 0), 1);
	assert_int_equal(trend_of(b, 3), map[split]);
	assert_int_equal(trend_of(b, 9), map[split]);
	assert_int_not_equal(trend_resolve(b, map[split]),
	    trend_of(b, 100));

	/* once only, into a trend that is there */
	assert_int_equal(trend_restore(b, 3, &(struct trend_input){ other, NULL,
	    1 }, T0, 0, 0, &tb), TAME_EEXIST);
	assert_int_equal(trend_restore(b, 500, &(struct trend_input){ other,
	    NULL, 1 }, T0, 4242, 0, &tb), TAME_ENOTFOUND);
	assert_int_equal(trend_restore(b, 0, &(struct trend_input){ other,
	    NULL, 1 }, T0, 0, 0, &tb), TAME_EINVAL);
	assert_int_equal(tb, 0);
	assert_int_equal(trend_of(b, 500), 0);
	trend_index_free(a);
	trend_index_free(b);
}

/* ---- the dictionary's compaction: two indexes are given the same
 * tickets and the same agents' decisions, one is compacted, and both
 * must answer alike for every open ticket and trend, before and after
 * more tickets come; the terms dropped are the words of solved tickets
 * nobody else wrote, and only those. */

/* Places ticket (text s, at minute min) in a and in b, where it must
 * land in the same trend. */
static void
place2(struct trend_index *a, struct trend_index *b, int64_t ticket,
    const char *s, int min)
{
	assert_int_equal(place(b, ticket, s, min), place(a, ticket, s, min));
}

/* The stem the index keeps for word w. */
static void
stem_of(const char *w, char *out, size_t size)
{
	struct text_doc d;

	text_doc_init(&d);
	assert_int_equal(text_analyse(tp, w, strlen(w), 1, &d), TAME_OK);
	assert_true(d.nterm >= 1);
	snprintf(out, size, "%s", text_doc_term(&d, 0));
	text_doc_free(&d);
}

/* A made-up word, the n-th: nobody else writes it. */
static void
made_up(unsigned n, char *out, size_t size)
{
	static const char cons[] = "bdfgklmnprstvz", vow[] = "aiou";
	size_t k = 0;

	out[k++] = 'q';
	do {
		out[k++] = cons[n % 14];
		out[k++] = vow[(n / 14) % 4];
		n /= 56;
	} while (n && k + 3 < size);
	out[k++] = 'x';
	out[k] = '\0';
}

/* A ticket of made-up words n..n+5 around everyday ones. */
static void
odd_text(unsigned n, char *out, size_t size)
{
	char w[6][32];
	int i;

	for (i = 0; i < 6; i++)
		made_up(n + (unsigned)i, w[i], sizeof(w[i]));
	snprintf(out, size, "my %s and %s %s stopped, the %s %s %s", w[0],
	    w[1], w[2], w[3], w[4], w[5]);
}

static const char *pin[] = {
	"My card PIN is blocked after three tries",
	"PIN blocked, how do I unblock my card PIN",
	"unblock PIN please, it is blocked",
};

/* Both indexes answer alike: every trend listed, with its words, label,
 * samples and representative, the trends like it, and the trend of
 * each ticket in tickets[0..n). */
static void
same_answers(const struct trend_index *a, const struct trend_index *b,
    const int64_t *tickets, size_t n, int min)
{
	struct trend_info *la = NULL, *lb = NULL;
	uint32_t ida[8], idb[8];
	double sa[8], sb[8];
	size_t na, nb, i, k, ka, kb;
	int64_t now = T0 + min * 60000LL;

	for (i = 0; i < n; i++)
		assert_int_equal(trend_of(a, tickets[i]), trend_of(b,
		    tickets[i]));
	assert_int_equal(trend_list(a, 1, 1000, now, &la, &na), TAME_OK);
	assert_int_equal(trend_list(b, 1, 1000, now, &lb, &nb), TAME_OK);
	assert_int_equal(na, nb);
	assert_true(na > 0);
	for (i = 0; i < na; i++) {
		assert_int_equal(la[i].id, lb[i].id);
		assert_int_equal(la[i].open, lb[i].open);
		assert_string_equal(la[i].label, lb[i].label);
		for (k = 0; k < TREND_WORDS; k++)
			assert_string_equal(la[i].words[k], lb[i].words[k]);
		assert_int_equal(la[i].rep_ticket, lb[i].rep_ticket);
		assert_int_equal(la[i].nsample, lb[i].nsample);
		assert_memory_equal(la[i].sample, lb[i].sample,
		    la[i].nsample * sizeof(la[i].sample[0]));
		ka = trend_similar(a, la[i].id, 8, ida, sa);
		kb = trend_similar(b, lb[i].id, 8, idb, sb);
		assert_int_equal(ka, kb);
		for (k = 0; k < ka; k++) {
			assert_int_equal(ida[k], idb[k]);
			assert_true(sa[k] == sb[k]);
		}
	}
	free(la);
	free(lb);
}

/* Tickets of three problems, with agents' decisions, beside tickets of
 * made-up words that are solved; one index compacted, one not. */
static void
test_compact_answers_alike(void **state)
{
	struct trend_index *a = trend_index_new(NULL);
	struct trend_index *b = trend_index_new(NULL);
	int64_t open[64], split_out[] = { 103 }, t;
	char txt[256], w[32], s[32];
	uint32_t ct, rt, pt, nt;
	size_t n = 0, i, dropped, before;

	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < 6; i++) {
		place2(a, b, (int64_t)i + 1, card[i], (int)i);
		open[n++] = (int64_t)i + 1;
		/* between them, tickets of words nobody writes again */
		odd_text((unsigned)i * 10, txt, sizeof(txt));
		place2(a, b, (int64_t)i + 1001, txt, (int)i);
	}
	for (i = 0; i < 4; i++) {
		place2(a, b, (int64_t)i + 101, rate[i], (int)i + 10);
		open[n++] = (int64_t)i + 101;
	}
	for (i = 0; i < 3; i++) {
		place2(a, b, (int64_t)i + 201, pin[i], (int)i + 20);
		open[n++] = (int64_t)i + 201;
	}
	/* one made-up ticket stays open: its words must stay */
	odd_text(500, txt, sizeof(txt));
	place2(a, b, 300, txt, 25);
	open[n++] = 300;
	for (i = 0; i < 6; i++) {
		assert_int_equal(trend_remove(a, (int64_t)i + 1001), TAME_OK);
		assert_int_equal(trend_remove(b, (int64_t)i + 1001), TAME_OK);
	}
	/* agents: a name, a split, a ticket moved out, a merge */
	ct = trend_of(a, 1);
	rt = trend_of(a, 101);
	pt = trend_of(a, 201);
	assert_true(ct && rt && pt && ct != rt && ct != pt);
	assert_int_equal(trend_rename(a, ct, "Cards late"), TAME_OK);
	assert_int_equal(trend_rename(b, ct, "Cards late"), TAME_OK);
	assert_int_equal(trend_split(a, rt, split_out, 1, &nt), TAME_OK);
	assert_int_equal(trend_split(b, rt, split_out, 1, &nt), TAME_OK);
	assert_int_equal(trend_move_out(a, 6, 0, NULL), TAME_OK);
	assert_int_equal(trend_move_out(b, 6, 0, NULL), TAME_OK);
	assert_int_equal(trend_merge(a, ct, pt), TAME_OK);
	assert_int_equal(trend_merge(b, ct, pt), TAME_OK);
	same_answers(a, b, open, n, 30);

	before = trend_index_terms(b);
	assert_int_equal(trend_compact(b, &dropped), TAME_OK);
	/* the six solved tickets' own words, and nothing else */
	assert_true(dropped >= 6 * 6);
	assert_int_equal(trend_index_terms(b), before - dropped);
	assert_int_equal(trend_index_terms(a), before);
	for (i = 0; i < 60; i++) {
		made_up((unsigned)i, w, sizeof(w));
		stem_of(w, s, sizeof(s));
		assert_int_equal(trend_term_df(a, s), i % 10 < 6 ? 1 : 0);
		assert_int_equal(trend_term_df(b, s), 0);
	}
	for (i = 500; i < 506; i++) {
		made_up((unsigned)i, w, sizeof(w));
		stem_of(w, s, sizeof(s));
		assert_int_equal(trend_term_df(b, s), 1);
	}
	stem_of("arrived", s, sizeof(s));
	assert_true(trend_term_df(b, s) >= 5);
	assert_int_equal(trend_term_df(b, s), trend_term_df(a, s));
	assert_int_equal(trend_term_df(b, "card"), trend_term_df(a, "card"));
	same_answers(a, b, open, n, 30);

	/* a second time finds nothing more to drop */
	assert_int_equal(trend_compact(b, &dropped), TAME_OK);
	assert_int_equal(dropped, 0);

	/* more tickets: placed alike, refinement and merging included;
	 * the pinned, the moved out and the split stay where agents put
	 * them in both */
	for (i = 0; i < 12; i++) {
		t = (int64_t)i + 401;
		place2(a, b, t, i % 3 == 0 ? card[i % 6] : i % 3 == 1 ?
		    rate[i % 4] : pin[i % 3], 40 + (int)i);
		open[n++] = t;
	}
	place2(a, b, 500, "a question about my postal address", 60);
	open[n++] = 500;
	same_answers(a, b, open, n, 61);
	assert_int_not_equal(trend_of(b, 6), trend_of(b, 1));
	assert_int_not_equal(trend_of(b, 103), trend_of(b, 101));

	/* a dropped word that comes again counts from 1 */
	made_up(0, w, sizeof(w));
	stem_of(w, s, sizeof(s));
	snprintf(txt, sizeof(txt), "the %s broke", w);
	place(a, 600, txt, 70);
	place(b, 600, txt, 70);
	assert_int_equal(trend_term_df(a, s), 2);
	assert_int_equal(trend_term_df(b, s), 1);
	trend_index_free(a);
	trend_index_free(b);
}

/* Placement compacts by itself: thousands of solved tickets of words
 * nobody writes again leave a dictionary of bounded size, and what the
 * open tickets hold stays. */
static void
test_compact_by_itself(void **state)
{
	struct trend_index *ix = trend_index_new(NULL);
	struct trend_info ti;
	char txt[256], w[32], s[32];
	size_t most = 0, i;

	assert_non_null(ix);
	for (i = 0; i < 4; i++)
		place(ix, (int64_t)i + 1, card[i], (int)i);
	for (i = 0; i < 6000; i++) {
		odd_text((unsigned)i * 6 + 1000, txt, sizeof(txt));
		place(ix, (int64_t)i + 100, txt, 10 + (int)i / 10);
		assert_int_equal(trend_remove(ix, (int64_t)i + 100), TAME_OK);
		if (trend_index_terms(ix) > most)
			most = trend_index_terms(ix);
	}
	/* 36,000 words went by; the dictionary is compacted at 16,384 */
	assert_true(most < 16384);
	made_up(1000, w, sizeof(w));
	stem_of(w, s, sizeof(s));
	assert_int_equal(trend_term_df(ix, s), 0);
	assert_int_equal(trend_term_df(ix, "card"), 4);
	assert_int_equal(trend_get(ix, trend_of(ix, 1), T0 + 700 * 60000LL,
	    &ti), TAME_OK);
	assert_int_equal(ti.open, 4);
	assert_true(strstr(ti.label, "card") != NULL ||
	    strstr(ti.label, "arrived") != NULL);
	trend_index_free(ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_similar_together),
		cmocka_unit_test(test_remove_counts),
		cmocka_unit_test(test_rising),
		cmocka_unit_test(test_steady_and_reopened),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_waiting_counted),
		cmocka_unit_test(test_list_rising_first),
		cmocka_unit_test(test_similar_trends),
		cmocka_unit_test(test_move_out_never_back),
		cmocka_unit_test(test_merge_kept),
		cmocka_unit_test(test_split_kept),
		cmocka_unit_test(test_rename_kept),
		cmocka_unit_test(test_restore_gives_back),
		cmocka_unit_test(test_empty_and_big),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_compact_answers_alike),
		cmocka_unit_test(test_compact_by_itself),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
