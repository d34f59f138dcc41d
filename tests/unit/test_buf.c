/*
 * test_buf.c - the growable buffer and small helpers of src/core.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/buf.h"
#include "core/model.h"
#include "core/util.h"

static void
test_buf_cap(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_addstr(&b, "abcd"), TAME_OK);
	assert_int_equal(buf_printf(&b, "%d", 123), TAME_OK);
	assert_string_equal(buf_str(&b), "abcd123");
	assert_int_equal(buf_addstr(&b, "xy"), TAME_ETOOBIG);
	assert_int_equal(buf_addstr(&b, "x"), TAME_OK);
	assert_int_equal(b.len, 8);
	assert_int_equal(buf_printf(&b, "%s", "z"), TAME_ETOOBIG);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void
test_buf_binary(void **state)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_add(&b, "a\0b", 3), TAME_OK);
	assert_int_equal(b.len, 3);
	assert_int_equal(b.data[3], '\0');
	s = buf_take(&b);
	assert_memory_equal(s, "a\0b", 3);
	assert_null(b.data);
	free(s);
}

static void
test_parse_i64(void **state)
{
	int64_t v;

	assert_int_equal(tame_parse_i64("42", 0, 100, &v), TAME_OK);
	assert_int_equal(v, 42);
	assert_int_equal(tame_parse_i64("101", 0, 100, &v), TAME_EINVAL);
	assert_int_equal(tame_parse_i64("4x", 0, 100, &v), TAME_EINVAL);
	assert_int_equal(tame_parse_i64("", 0, 100, &v), TAME_EINVAL);
	assert_int_equal(tame_parse_i64(" 1", 0, 100, &v), TAME_EINVAL);
	assert_int_equal(tame_parse_i64("99999999999999999999", 0, INT64_MAX,
	    &v), TAME_EINVAL);
}

static void
test_model_names(void **state)
{
	enum ticket_status st;
	enum ticket_priority p;

	assert_int_equal(ticket_status_parse("pending", &st), TAME_OK);
	assert_int_equal(st, TICKET_PENDING);
	assert_string_equal(ticket_status_name(st), "pending");
	assert_int_equal(ticket_status_parse("Pending", &st), TAME_EINVAL);
	assert_int_equal(ticket_priority_parse("urgent", &p), TAME_OK);
	assert_string_equal(ticket_priority_name(p), "urgent");
}

static void
test_time_iso(void **state)
{
	char out[32];

	tame_time_iso(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	tame_time_iso(1795430096123LL, out);
	assert_string_equal(out, "2026-11-23T10:34:56.123Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_binary),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_model_names),
		cmocka_unit_test(test_time_iso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
