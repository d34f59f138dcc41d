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
#include "store/store_sqlite.h"

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
	buf_cut(&b, 9);
	assert_int_equal(b.len, 8);
	buf_cut(&b, 3);
	assert_string_equal(buf_str(&b), "abc");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

/* Room made once is used without moving the data; never past the cap. */
static void
test_buf_reserve(void **state)
{
	struct buf b;
	char *p;

	buf_init(&b, 100);
	assert_int_equal(buf_reserve(&b, 50), TAME_OK);
	assert_true(b.cap >= 51);
	p = b.data;
	assert_non_null(p);
	assert_int_equal(buf_add(&b, "0123456789012345678901234567890123456789"
	    "0123456789", 50), TAME_OK);
	assert_ptr_equal(b.data, p);
	assert_int_equal(buf_reserve(&b, 1000), TAME_OK);  /* up to the cap */
	assert_int_equal(b.cap, 101);
	p = b.data;
	assert_int_equal(buf_add(&b, b.data, 50), TAME_OK);
	assert_ptr_equal(b.data, p);
	assert_int_equal(b.len, 100);
	assert_int_equal(buf_add(&b, "x", 1), TAME_ETOOBIG);
	buf_free(&b);
}

/* The JSON writer's in-place appends stop at the buf's cap like buf_add:
 * the first piece that does not fit is the error, and what was written
 * before it stays. */
static void
test_jw_cap(void **state)
{
	struct buf b;
	struct jw w = { &b, TAME_OK };

	buf_init(&b, 12);
	sq_jw_lit(&w, "{\"a\":");
	sq_jw_int(&w, 12345);
	assert_int_equal(w.rc, TAME_OK);
	assert_string_equal(buf_str(&b), "{\"a\":12345");
	sq_jw_lit(&w, "}");
	assert_int_equal(w.rc, TAME_OK);
	assert_int_equal(b.len, 11);
	sq_jw_lit(&w, ",\"b\"");
	assert_int_equal(w.rc, TAME_ETOOBIG);
	sq_jw_lit(&w, "x");     /* nothing once failed */
	assert_string_equal(buf_str(&b), "{\"a\":12345}");
	buf_free(&b);

	buf_init(&b, 1 << 16);
	w.rc = TAME_OK;
	sq_jw_str(&w, "say \"hi\"\n\x01\xff");
	assert_int_equal(w.rc, TAME_OK);
	assert_string_equal(buf_str(&b),
	    "\"say \\\"hi\\\"\\n\\u0001\xef\xbf\xbd\"");
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

/* What tame_time_iso writes reads back; anything else is refused. */
static void
test_time_parse(void **state)
{
	static const char *const bad[] = {
		"", "2026-11-23", "2026-11-23T10:34:56", "2026-11-23T10:34:56.1Z",
		"2026-11-23T10:34:56.123Zx", "2026-13-23T10:34:56Z",
		"2026-11-23 10:34:56Z", "1969-12-31T23:59:59Z", "x026-11-23T10:34:56Z",
	};
	int64_t ms = -1;
	char out[32];
	size_t i;

	(void)state;
	assert_int_equal(tame_time_parse("2026-11-23T10:34:56.123Z", &ms), TAME_OK);
	assert_int_equal(ms, 1795430096123LL);
	assert_int_equal(tame_time_parse("2026-11-23T10:34:56Z", &ms), TAME_OK);
	assert_int_equal(ms, 1795430096000LL);
	tame_time_iso(1700000000999LL, out);
	assert_int_equal(tame_time_parse(out, &ms), TAME_OK);
	assert_int_equal(ms, 1700000000999LL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 7;
		assert_int_equal(tame_time_parse(bad[i], &ms), TAME_EINVAL);
		assert_int_equal(ms, 7);
	}
}

/* Text escaped for HTML: the five characters, nothing else touched. */
static void
test_buf_html(void **state)
{
	const char s[] = "a<b>&\"c'd\0e";
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_add_html(&b, s, sizeof(s) - 1), TAME_OK);
	assert_int_equal(b.len, strlen("a&lt;b&gt;&amp;&quot;c&#39;d") + 2);
	assert_memory_equal(b.data, "a&lt;b&gt;&amp;&quot;c&#39;d\0e", b.len);
	buf_reset(&b);
	assert_int_equal(buf_add_html(&b, "plain", 5), TAME_OK);
	assert_string_equal(buf_str(&b), "plain");
	buf_free(&b);
	buf_init(&b, 8);
	assert_int_equal(buf_add_html(&b, "<<<", 3), TAME_ETOOBIG);
	buf_free(&b);
}

/* tame_utf8_valid: the whole string, each sequence as tame_utf8_len
 * takes it. */
static void
test_utf8_valid(void **state)
{
	(void)state;
	assert_true(tame_utf8_valid(""));
	assert_true(tame_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_false(tame_utf8_valid("retry-\xe9"));        /* Latin-1 */
	assert_false(tame_utf8_valid("\xc3"));              /* cut short */
	assert_false(tame_utf8_valid("\xc0\xaf"));          /* overlong */
	assert_false(tame_utf8_valid("\xed\xa0\x80"));      /* surrogate */
	assert_false(tame_utf8_valid("ok\xff"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_binary),
		cmocka_unit_test(test_buf_reserve),
		cmocka_unit_test(test_jw_cap),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_model_names),
		cmocka_unit_test(test_time_iso),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_buf_html),
		cmocka_unit_test(test_utf8_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
