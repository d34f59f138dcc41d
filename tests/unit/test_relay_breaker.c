/*
 * test_relay_breaker.c - the relays the outbox lets rest
 * (net/relay_breaker.c): a failure rests a relay, doubling in a row,
 * an answer or a reset ends it, and other relays are not touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "net/relay_breaker.h"

static void
test_rest_and_wake(void **state)
{
	struct relay_breaker rb;
	struct relay_conf a = { .host = "smtp.example.com", .port = 25 };
	struct relay_conf a2 = { .host = "SMTP.example.com", .port = 25 };
	struct relay_conf b = { .host = "smtp.example.com", .port = 587 };
	char why[64];
	int64_t until = 0;

	relay_breaker_reset(&rb);
	assert_false(relay_breaker_resting(&rb, &a, 0, &until, why,
	    sizeof(why)));
	relay_breaker_failed(&rb, &a, 1000, 100, "did not answer");
	assert_true(relay_breaker_resting(&rb, &a2, 1050, &until, why,
	    sizeof(why)));
	assert_int_equal(until, 1100);
	assert_string_equal(why, "did not answer");
	assert_false(relay_breaker_resting(&rb, &b, 1050, &until, why,
	    sizeof(why)));
	assert_false(relay_breaker_resting(&rb, &a, 1100, &until, why,
	    sizeof(why)));
	/* in a row: twice as long */
	relay_breaker_failed(&rb, &a, 2000, 100, "did not answer");
	assert_true(relay_breaker_resting(&rb, &a, 2150, &until, why,
	    sizeof(why)));
	assert_int_equal(until, 2200);
	relay_breaker_ok(&rb, &a);
	assert_false(relay_breaker_resting(&rb, &a, 2150, &until, why,
	    sizeof(why)));
	relay_breaker_failed(&rb, &a, 3000, 100, "again");
	assert_true(relay_breaker_resting(&rb, &a, 3050, &until, why,
	    sizeof(why)));
	assert_int_equal(until, 3100);
	relay_breaker_reset(&rb);
	assert_false(relay_breaker_resting(&rb, &a, 3050, &until, why,
	    sizeof(why)));
}

static void
test_full_table(void **state)
{
	struct relay_breaker rb;
	struct relay_conf r = { .host = "relay.example.com" };
	char why[64];
	int64_t until;
	int i;

	relay_breaker_reset(&rb);
	/* more relays than it holds: the newest still rest */
	for (i = 1; i <= RELAY_BREAKER_MAX + 4; i++) {
		r.port = i;
		relay_breaker_failed(&rb, &r, i, 1000, "down");
	}
	assert_true(relay_breaker_resting(&rb, &r, 100, &until, why,
	    sizeof(why)));
	r.port = 1;
	assert_false(relay_breaker_resting(&rb, &r, 100, &until, why,
	    sizeof(why)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rest_and_wake),
		cmocka_unit_test(test_full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
