/*
 * test_mention.c - @mentions in notes (src/core/mention.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/mention.h"

static const struct mention_agent team[] = {
	{ 1, "ada@example.com", "Ada Admin" },
	{ 2, "bob@example.com", "Bob Builder" },
	{ 3, "ann@example.com", "Ann One" },
	{ 4, "ann.two@example.com", "Ann Two" },
	{ 5, NULL, "Zoë" },
};
#define NTEAM (sizeof(team) / sizeof(team[0]))

/* The mentions of text as a count, first ids in out. */
static size_t
find(const char *text, int64_t out[8])
{
	return mention_find(text, team, NTEAM, out, 8);
}

static void
test_names_and_emails(void **state)
{
	int64_t ids[8];

	assert_int_equal(find("@Ada please look", ids), 1);
	assert_int_equal(ids[0], 1);
	assert_int_equal(find("cc @bob@example.com and @ada admin.", ids), 2);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 1);
	assert_int_equal(find("(@Bob) @bob, @BOB!", ids), 1);
	assert_int_equal(ids[0], 2);
	assert_int_equal(find("@Zoë can you?", ids), 1);
	assert_int_equal(ids[0], 5);
	assert_int_equal(find("@ann.two@example.com", ids), 1);
	assert_int_equal(ids[0], 4);
	assert_int_equal(find("@Ann Two and @Ann One", ids), 2);
	assert_int_equal(ids[0], 4);
	assert_int_equal(ids[1], 3);
}

static void
test_not_mentions(void **state)
{
	int64_t ids[8];

	/* an address in the text is not a mention */
	assert_int_equal(find("write to ada@example.com", ids), 0);
	/* a longer word is someone else */
	assert_int_equal(find("@Adam @Bobby @adaa", ids), 0);
	/* two agents called Ann: the first name alone is ambiguous */
	assert_int_equal(find("@Ann", ids), 0);
	assert_int_equal(find("@ @@ no one", ids), 0);
	assert_int_equal(find("", ids), 0);
	assert_int_equal(mention_find(NULL, team, NTEAM, ids, 8), 0);
}

static void
test_bounded(void **state)
{
	int64_t ids[2];

	assert_int_equal(mention_find("@Ada @Bob @Zoë", team, NTEAM, ids, 2),
	    2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_emails),
		cmocka_unit_test(test_not_mentions),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
