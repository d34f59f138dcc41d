/*
 * test_model.c - what src/core/model.c makes of an agent's name and
 * address: agent_name_clean, agent_name_same, agent_email_problem.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/model.h"

static void
clean_is(const char *in, const char *want)
{
	char *got = agent_name_clean(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_name_clean(void **state)
{
	(void)state;
	clean_is("Ada Lovelace", "Ada Lovelace");
	/* bidi controls: "<RLO>nimdA" showed as "Admin" */
	clean_is("\xe2\x80\xae" "nimdA", "nimdA");
	clean_is("\xe2\x81\xa6" "Gao" "\xe2\x81\xa9" " \xe9\xab\x98",
	    "Gao \xe9\xab\x98");
	/* white space: trimmed, a run inside one space (NBSP, U+3000) */
	clean_is("  Pat   Padded  ", "Pat Padded");
	clean_is("\xc2\xa0Pat\xe3\x80\x80Padded\t", "Pat Padded");
	/* invisible characters: U+200B, U+FEFF, soft hyphen */
	clean_is("A\xe2\x80\x8b" "da\xef\xbb\xbf Love\xc2\xadlace",
	    "Ada Lovelace");
	/* NFC: e + U+0301 is U+00E9 */
	clean_is("Be\xcc\x81rtrand", "B\xc3\xa9rtrand");
	/* ZWNJ (Persian) and an emoji with ZWJ and VS16 stay */
	clean_is("Pari\xe2\x80\x8cvash", "Pari\xe2\x80\x8cvash");
	clean_is("Sam \xe2\x9d\xa4\xef\xb8\x8f",
	    "Sam \xe2\x9d\xa4\xef\xb8\x8f");
	/* nothing visible: nothing */
	clean_is("", "");
	clean_is("   ", "");
	clean_is("\xe2\x80\x8b", "");
	clean_is("\xe2\x80\xae\xe2\x80\x8b\xef\xbb\xbf", "");
	clean_is("\xe3\x85\xa4", "");                 /* U+3164 */
	clean_is(" \xe2\x80\x8d\xef\xb8\x8f ", "");   /* ZWJ, VS16 */
	/* not UTF-8 */
	assert_null(agent_name_clean("Ad\xff"));
	assert_null(agent_name_clean(NULL));
}

static void
test_name_same(void **state)
{
	(void)state;
	assert_true(agent_name_same("Ada Admin", "Ada Admin"));
	assert_true(agent_name_same("Ada Admin", "ada ADMIN"));
	assert_true(agent_name_same("Ada Admin", "\xef\xbc\xa1" "da Admin"));
	assert_true(agent_name_same("J\xc3\xbcrgen", "J\xc3\x9c" "RGEN"));
	assert_false(agent_name_same("Ada Admin", "Ada B. Admin"));
	assert_false(agent_name_same("Ada", "Ad\xc3\xa1"));
}

static void
test_email_problem(void **state)
{
	(void)state;
	assert_null(agent_email_problem("eve@team.test"));
	assert_null(agent_email_problem("admin@localhost"));
	assert_null(agent_email_problem("e.v.e@sub.team.test"));
	assert_non_null(agent_email_problem("eve@team.test."));
	assert_non_null(agent_email_problem("eve@team..test"));
	assert_non_null(agent_email_problem("eve@.team.test"));
	assert_non_null(agent_email_problem("eve@"));
	assert_non_null(agent_email_problem("eve"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_clean),
		cmocka_unit_test(test_name_same),
		cmocka_unit_test(test_email_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
