/*
 * test_intel.c - the pure rules of the queue intelligence
 * (net/intel_rules.c): outlier flags and their reasons, the telling
 * words and similarity score of similar cases, the id map, and the flag
 * names of store_intel.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/text.h"
#include "net/intel_rules.h"

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

/* The reason of flag kind in the array a, or NULL. */
static const char *
reason(json_t *a, const char *kind)
{
	json_t *f;
	size_t i;

	json_array_foreach(a, i, f)
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		    kind) == 0)
			return json_string_value(json_object_get(f, "reason"));
	return NULL;
}

static void
test_no_flags(void **state)
{
	struct store_flag_facts f = { 0 };
	json_t *a = (json_t *)1;
	int64_t bits = -1;

	f.messages = 3;
	f.max_words = 120;
	f.in_a_row = 1;
	f.customer_recent = 1;
	assert_int_equal(intel_flags(&f, &bits, &a), TAME_OK);
	assert_int_equal(bits, 0);
	assert_null(a);
}

static void
test_each_flag_with_its_reason(void **state)
{
	struct store_flag_facts f = { 0 };
	json_t *a = NULL;
	int64_t bits = 0;

	f.max_words = INTEL_LONG_WORDS + 1;
	f.in_a_row = 4;
	f.reopened = 2;
	f.abusive = 1;
	f.abusive_tone = (char *)"{\"abusive\":true,\"evidence\":[{\"dimension\":"
	    "\"abuse\",\"text\":\"you idiots\",\"weight\":1},{\"dimension\":"
	    "\"anger\",\"text\":\"!!!\",\"weight\":0.3}]}";
	assert_int_equal(intel_flags(&f, &bits, &a), TAME_OK);
	assert_int_equal(bits, STORE_FLAG_LONG_MESSAGE | STORE_FLAG_REPEAT |
	    STORE_FLAG_REOPENED | STORE_FLAG_ABUSIVE);
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(reason(a, "long_message"),
	    "a customer message of 401 words");
	assert_string_equal(reason(a, "repeat_customer"),
	    "wrote 4 times in a row without an answer");
	assert_string_equal(reason(a, "reopened"), "reopened 2 times");
	assert_string_equal(reason(a, "abusive"),
	    "abusive language: \"you idiots\"");
	json_decref(a);
}

static void
test_repeat_by_tickets_and_truncated_long(void **state)
{
	struct store_flag_facts f = { 0 };
	json_t *a = NULL;
	int64_t bits = 0;

	f.customer_recent = INTEL_REPEAT_TICKETS;
	f.max_words = TEXT_TOKENS_MAX;
	f.abusive = 1;          /* no evidence text: still flagged */
	assert_int_equal(intel_flags(&f, &bits, &a), TAME_OK);
	assert_string_equal(reason(a, "repeat_customer"),
	    "4 tickets from this customer in 7 days");
	assert_string_equal(reason(a, "long_message"),
	    "a customer message of more than 2000 words");
	assert_string_equal(reason(a, "abusive"), "abusive language");
	json_decref(a);
}

static void
test_flag_names(void **state)
{
	unsigned bit;

	for (bit = 1; bit <= STORE_FLAG_ABUSIVE; bit <<= 1)
		assert_int_equal(store_flag_parse(store_flag_name(bit)), bit);
	assert_string_equal(store_flag_name(STORE_FLAG_WAITING_LONG),
	    "waiting_long");
	assert_int_equal(store_flag_parse("nonsense"), 0);
	assert_int_equal(store_flag_parse(NULL), 0);
	assert_null(store_flag_name(64));
}

/* ---- similar cases ---- */

static size_t
words_of(const char *s, struct text_doc *d, struct intel_word *w, size_t max)
{
	assert_int_equal(text_analyse(tp, s, strlen(s), 1, d), TAME_OK);
	return intel_words(d, w, max);
}

static void
test_words_and_match(void **state)
{
	struct intel_word w[16];
	struct text_doc d;
	struct buf m;
	size_t n, i;

	text_doc_init(&d);
	n = words_of("My card has not arrived! The card, the CARD, "
	    "and 42 happy days.", &d, w, 16);
	/* no stop words, numbers or repeats */
	for (i = 0; i < n; i++) {
		assert_string_not_equal(w[i].shown, "the");
		assert_string_not_equal(w[i].shown, "42");
	}
	assert_string_equal(w[0].stem, "card");
	assert_string_equal(w[1].shown, "arrived");
	assert_string_equal(w[1].stem, "arriv");
	assert_int_equal(n, 4);   /* card arrived happy days */
	assert_int_equal(intel_stem_key("card"), intel_stem_key("card"));
	assert_true(intel_stem_key("card") != intel_stem_key("cards"));
	assert_true(intel_stem_key("") > 0);

	/* FTS5 does not stem: each word is asked for in its forms */
	buf_init(&m, 4096);
	assert_int_equal(intel_words_match(w, 2, 1, &m), TAME_OK);
	assert_string_equal(buf_str(&m), "(\"card\" OR \"cards\" OR "
	    "\"carde\" OR \"cardes\" OR \"carded\" OR \"carding\") AND "
	    "(\"arrived\" OR \"arriv\" OR \"arrivs\" OR \"arrive\" OR "
	    "\"arrives\" OR \"arriving\")");
	buf_reset(&m);
	for (i = 0; i < n && strcmp(w[i].shown, "happy") != 0; i++)
		;
	assert_true(i < n);
	/* "happy" stems to "happi": the y forms come back */
	assert_int_equal(intel_words_match(&w[i], 1, 0, &m), TAME_OK);
	assert_non_null(strstr(buf_str(&m), "\"happy\""));
	assert_non_null(strstr(buf_str(&m), "\"happies\""));
	buf_free(&m);
	text_doc_free(&d);
}

static void
test_pick_by_idf(void **state)
{
	struct intel_word w[4];

	memset(w, 0, sizeof(w));
	snprintf(w[0].stem, sizeof(w[0].stem), "card");
	w[0].df = 50;
	snprintf(w[1].stem, sizeof(w[1].stem), "hello");
	w[1].df = 900;          /* in most documents: tells nothing */
	snprintf(w[2].stem, sizeof(w[2].stem), "zyx");
	w[2].df = 1;            /* only this ticket: finds nothing */
	snprintf(w[3].stem, sizeof(w[3].stem), "arriv");
	w[3].df = 10;
	assert_int_equal(intel_words_pick(w, 4, 1000, 8), 2);
	assert_string_equal(w[0].stem, "arriv");   /* the rarer first */
	assert_string_equal(w[1].stem, "card");
	assert_true(w[0].weight > w[1].weight);
	/* when every word is unique, they are kept */
	w[0].df = w[1].df = 1;
	assert_int_equal(intel_words_pick(w, 2, 1000, 8), 2);
	/* a small store keeps its common words */
	w[0].df = 9;
	w[1].df = 3;
	assert_int_equal(intel_words_pick(w, 2, 10, 1), 1);
}

static void
test_similarity_share_of_weight(void **state)
{
	struct intel_word w[8];
	struct text_doc q, a, b;
	const struct text_doc *docs[1];
	int shared[8];
	size_t n, i;
	double same, other;

	text_doc_init(&q);
	text_doc_init(&a);
	text_doc_init(&b);
	n = words_of("double charge on my credit card subscription", &q, w,
	    8);
	for (i = 0; i < n; i++)
		w[i].weight = 1.0 + (double)i;
	assert_int_equal(text_analyse(tp, "They charged my card twice for the "
	    "subscription", 46, 1, &a), TAME_OK);
	assert_int_equal(text_analyse(tp, "Does the app have a dark mode?",
	    30, 1, &b), TAME_OK);
	docs[0] = &a;
	same = intel_similarity(w, n, docs, 1, shared);
	docs[0] = &b;
	other = intel_similarity(w, n, docs, 1, NULL);
	assert_true(same > 0.35 && same < 1.0);
	assert_true(other == 0.0);
	for (i = 0; i < n; i++)
		if (strcmp(w[i].stem, "charg") == 0)
			assert_int_equal(shared[i], 1);
	assert_string_equal(intel_similarity_verdict(0.8), "strong");
	assert_string_equal(intel_similarity_verdict(0.4), "possible");
	assert_string_equal(intel_similarity_verdict(0.1), "weak");
	assert_true(intel_similarity(w, 0, docs, 1, NULL) == 0.0);
	text_doc_free(&q);
	text_doc_free(&a);
	text_doc_free(&b);
}

/* ---- the id map ---- */

static void
test_map(void **state)
{
	struct intel_map m = { 0 };
	int64_t v, i, n;
	size_t k;

	assert_int_equal(intel_map_get(&m, 5, &v), 0);
	intel_map_del(&m, 5);
	assert_int_equal(intel_map_put(&m, 0, 1), TAME_EINVAL);
	for (i = 1; i <= 5000; i++)
		assert_int_equal(intel_map_put(&m, i * 1024, i), TAME_OK);
	assert_int_equal(intel_map_put(&m, 1024, -7), TAME_OK);
	assert_int_equal(m.n, 5000);
	for (i = 2; i <= 5000; i += 2)
		intel_map_del(&m, i * 1024);
	assert_int_equal(m.n, 2500);
	for (i = 1; i <= 5000; i++) {
		int found = intel_map_get(&m, i * 1024, &v);

		assert_int_equal(found, i % 2);
		if (found)
			assert_int_equal(v, i == 1 ? -7 : i);
	}
	for (k = 0, n = 0; k <= m.mask; k++)
		n += m.key[k] != 0;
	assert_int_equal(n, 2500);
	intel_map_free(&m);
	assert_int_equal(intel_map_get(&m, 1024, &v), 0);
}

/* Documents 1..3 are open, the others solved. */
static int
open_doc(void *arg, int64_t doc)
{
	return doc >= 1 && doc <= 3;
}

/* Document frequencies: a word of one solved ticket goes at a pruning,
 * a word of an open ticket or of two tickets stays, counts unchanged. */
static void
test_df_prune(void **state)
{
	struct intel_map m = { 0 };
	size_t dropped, k;
	int64_t i;

	for (i = 1; i <= 3000; i++)
		assert_int_equal(intel_df_count(&m, 100 + i, i), TAME_OK);
	/* a word of tickets 1000 and 1001, one of an unknown ticket */
	assert_int_equal(intel_df_count(&m, 100 + 1000, 1001), TAME_OK);
	assert_int_equal(intel_df_count(&m, 7, 0), TAME_OK);
	assert_int_equal(intel_df_get(&m, 101), 1);
	assert_int_equal(intel_df_get(&m, 1100), 2);
	assert_int_equal(intel_df_get(&m, 7), 1);
	assert_int_equal(intel_df_get(&m, 5), 0);
	k = m.mask;
	assert_int_equal(intel_df_prune(&m, open_doc, NULL, &dropped),
	    TAME_OK);
	assert_int_equal(dropped, 3000 - 3);
	assert_int_equal(m.n, 4);
	assert_true(m.mask < k);
	for (i = 1; i <= 3; i++)
		assert_int_equal(intel_df_get(&m, 100 + i), 1);
	assert_int_equal(intel_df_get(&m, 104), 0);
	assert_int_equal(intel_df_get(&m, 1100), 2);
	assert_int_equal(intel_df_get(&m, 7), 0);
	/* a word that comes again counts from 1, and on */
	assert_int_equal(intel_df_count(&m, 104, 9), TAME_OK);
	assert_int_equal(intel_df_count(&m, 101, 9), TAME_OK);
	assert_int_equal(intel_df_get(&m, 104), 1);
	assert_int_equal(intel_df_get(&m, 101), 2);
	intel_map_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_flags),
		cmocka_unit_test(test_each_flag_with_its_reason),
		cmocka_unit_test(test_repeat_by_tickets_and_truncated_long),
		cmocka_unit_test(test_flag_names),
		cmocka_unit_test(test_words_and_match),
		cmocka_unit_test(test_pick_by_idf),
		cmocka_unit_test(test_similarity_share_of_weight),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_df_prune),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
