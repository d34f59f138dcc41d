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

/* Until when r rests at now, 0 when it does not; why gets the reason. */
static int64_t
rests(const struct relay_breaker *rb, const char *host, int port,
    int64_t now, char *why)
{
	struct relay_conf r = { .host = (char *)host, .port = port };
	int64_t until = 0;

	return relay_breaker_resting(rb, &r, now, &until, why, 64) ? until : 0;
}

/* r at host:port failed at now. */
static void
failing(struct relay_breaker *rb, const char *host, int port, int64_t now,
    const char *why)
{
	struct relay_conf r = { .host = (char *)host, .port = port };

	relay_breaker_failed(rb, &r, now, 100, why);
}

static void
test_rest_and_wake(void **state)
{
	struct relay_breaker rb;
	struct relay_conf a = { .host = "smtp.example.com", .port = 25 };
	char why[64];

	relay_breaker_reset(&rb);
	assert_int_equal(rests(&rb, "smtp.example.com", 25, 0, why), 0);
	failing(&rb, "smtp.example.com", 25, 1000, "did not answer");
	/* the host in any case; another port is another relay */
	assert_int_equal(rests(&rb, "SMTP.example.com", 25, 1050, why), 1100);
	assert_string_equal(why, "did not answer");
	assert_int_equal(rests(&rb, "smtp.example.com", 587, 1050, why), 0);
	assert_int_equal(rests(&rb, "smtp.example.com", 25, 1100, why), 0);
	/* in a row: twice as long; an answer ends it */
	failing(&rb, "smtp.example.com", 25, 2000, "did not answer");
	assert_int_equal(rests(&rb, "smtp.example.com", 25, 2150, why), 2200);
	relay_breaker_ok(&rb, &a);
	assert_int_equal(rests(&rb, "smtp.example.com", 25, 2150, why), 0);
	failing(&rb, "smtp.example.com", 25, 3000, "again");
	assert_int_equal(rests(&rb, "smtp.example.com", 25, 3050, why), 3100);
	relay_breaker_reset(&rb);
	assert_int_equal(rests(&rb, "smtp.example.com", 25, 3050, why), 0);
}

static void
test_full_table(void **state)
{
	struct relay_breaker rb;
	char why[64];
	int i;

	relay_breaker_reset(&rb);
	/* more relays than it holds: the latest still rest */
	for (i = 1; i <= RELAY_BREAKER_MAX + 4; i++)
		failing(&rb, "relay.example.com", i, i, "down");
	assert_int_not_equal(rests(&rb, "relay.example.com",
	    RELAY_BREAKER_MAX + 4, 100, why), 0);
	assert_int_equal(rests(&rb, "relay.example.com", 1, 100, why), 0);
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
