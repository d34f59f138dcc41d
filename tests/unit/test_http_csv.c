/*
 * test_http_csv.c - the CSV form of the API's lists (net/http_csv.c):
 * decimals as a spreadsheet user reads them, cells quoted as RFC 4180
 * wants, and formula cells defused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "net/http_csv.h"

/* The one cell of column "v" when the list is [{"v": v}]; takes v. */
static void
cell_is(json_t *v, const char *want)
{
	static const char *const cols[] = { "v" };
	json_t *list = json_pack("[{s:o}]", "v", v);
	struct buf out;

	assert_non_null(list);
	buf_init(&out, 4096);
	assert_int_equal(http_csv_write(list, cols, 1, &out), TAME_OK);
	assert_true(strncmp(buf_str(&out), "v\r\n", 3) == 0);
	assert_string_equal(buf_str(&out) + 3, want);
	buf_free(&out);
	json_decref(list);
}

static void
test_decimals_shortest(void **state)
{
	/* rounded in JSON to two places, and shown so */
	cell_is(json_real(0.04), "0.04\r\n");
	cell_is(json_real(0.1), "0.1\r\n");
	cell_is(json_real(1.23), "1.23\r\n");
	cell_is(json_real(-2.5), "-2.5\r\n");
	cell_is(json_real(2.0), "2\r\n");
	cell_is(json_real(-0.0), "0\r\n");
	/* what needs 16 or 17 digits keeps them, so nothing is lost */
	cell_is(json_real(1.0 / 3.0), "0.3333333333333333\r\n");
	cell_is(json_real(0.1 + 0.2), "0.30000000000000004\r\n");
	cell_is(json_real(1e-7), "1e-07\r\n");
	cell_is(json_real(1.7976931348623157e308),
	    "1.7976931348623157e+308\r\n");
	/* whole numbers and text as before */
	cell_is(json_integer(-42), "-42\r\n");
	cell_is(json_pack("[f,f]", 0.5, 0.25), "\"0.5;0.25\"\r\n");
}

static void
test_cells(void **state)
{
	cell_is(json_string("a,b"), "\"a,b\"\r\n");
	cell_is(json_string("say \"hi\""), "\"say \"\"hi\"\"\"\r\n");
	cell_is(json_string("=1+2"), "'=1+2\r\n");
	cell_is(json_null(), "\r\n");
	cell_is(json_true(), "true\r\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimals_shortest),
		cmocka_unit_test(test_cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
