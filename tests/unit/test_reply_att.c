/*
 * test_reply_att.c - a reply's attachments from JSON (net/reply_att.c):
 * file names tidied, base64 taken only in its strict form, the limits
 * and the errors that name the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "net/reply_att.h"

static void
name_is(const char *in, const char *want)
{
	char out[TAME_REPLY_ATT_NAME_MAX + 1];
	size_t n = reply_att_filename(in, strlen(in), out, sizeof(out));

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void
test_filename(void **state)
{
	char long_name[600];

	(void)state;
	name_is("report.pdf", "report.pdf");
	name_is("../../etc/passwd", "passwd");
	name_is("C:\\Users\\ann\\Q3 report.xlsx", "Q3 report.xlsx");
	name_is("a\x01" "b\tc\x7f.txt", "abc.txt");
	name_is("x\xc2\x85y", "xy");               /* C1 NEL */
	name_is("caf\xc3\xa9.txt", "caf\xc3\xa9.txt");
	name_is("  spaced  ", "spaced");
	name_is("bad\xff\xfe.txt", "bad.txt");     /* not UTF-8 */
	name_is("dir/", "");
	name_is("..", "");
	name_is("a/.", "");
	name_is("\x01\x02", "");
	/* bidi controls: "invoice<RLO>fdp.exe" would show as a PDF */
	name_is("invoice\xe2\x80\xae" "fdp.exe", "invoice_fdp.exe");
	name_is("\xe2\x81\xa6x\xd8\x9c.txt", "_x_.txt");
	/* cut at 255 bytes, never inside a character */
	memset(long_name, 'a', 254);
	memcpy(long_name + 254, "\xc3\xa9\xc3\xa9", 5);
	{
		char out[TAME_REPLY_ATT_NAME_MAX + 1];
		size_t n = reply_att_filename(long_name, 258, out, sizeof(out));

		assert_int_equal(n, 254);
		assert_int_equal(strlen(out), 254);
	}
}

/* reply_att_take on the JSON text js: the result, and err filled. */
static enum tame_err
take(const char *js, struct reply_att *a, struct json_body_err *err)
{
	json_t *body = json_loads(js, 0, NULL);
	enum tame_err rc;

	assert_non_null(body);
	memset(a, 0, sizeof(*a));
	memset(err, 0, sizeof(*err));
	rc = reply_att_take(body, a, err);
	if (rc == TAME_OK)
		assert_null(json_object_get(body, "attachments"));
	json_decref(body);
	return rc;
}

static void
test_take_good(void **state)
{
	struct reply_att a;
	struct json_body_err err;

	(void)state;
	assert_int_equal(take("{\"text\":\"x\"}", &a, &err), TAME_OK);
	assert_int_equal(a.n, 0);
	assert_int_equal(take("{\"attachments\":null}", &a, &err), TAME_OK);
	assert_int_equal(take("{\"attachments\":[{\"filename\":\"../up/a.txt\","
	    "\"content_type\":\"Text/Plain\",\"data\":\"aGVsbG8=\"},"
	    "{\"filename\":\"e\",\"data\":\"\"}]}", &a, &err), TAME_OK);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.bytes, 5);
	assert_string_equal(a.att[0].filename, "a.txt");
	assert_string_equal(a.att[0].content_type, "text/plain");
	assert_int_equal(a.att[0].len, 5);
	assert_memory_equal(a.att[0].data, "hello", 5);
	assert_string_equal(a.att[1].content_type, "application/octet-stream");
	assert_int_equal(a.att[1].len, 0);
	reply_att_free(&a);
	assert_int_equal(a.n, 0);
}

static void
refused(const char *js, int status, const char *code, const char *words)
{
	struct reply_att a;
	struct json_body_err err;

	assert_int_not_equal(take(js, &a, &err), TAME_OK);
	assert_int_equal(err.status, status);
	assert_string_equal(err.code, code);
	if (!strstr(err.message, words))
		fail_msg("\"%s\" not in \"%s\"", words, err.message);
	reply_att_free(&a);
}

static void
test_take_bad(void **state)
{
	(void)state;
	refused("{\"attachments\":{}}", 400, "invalid_field", "array");
	refused("{\"attachments\":[1]}", 400, "invalid_field", "object");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"\","
	    "\"size\":1}]}", 400, "unknown_field", "size");
	refused("{\"attachments\":[{\"data\":\"\"}]}", 400, "missing_field",
	    "filename");
	refused("{\"attachments\":[{\"filename\":\"a\"}]}", 400,
	    "missing_field", "data");
	/* strict base64: padding, alphabet, no spaces, zero trailing bits */
	refused("{\"attachments\":[{\"filename\":\"a.txt\",\"data\":"
	    "\"aGVsbG8\"}]}", 400, "invalid_field", "\"a.txt\"");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"aGVs bG8=\"}"
	    "]}", 400, "invalid_field", "base64");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"aGVsbG9=\"}"
	    "]}", 400, "invalid_field", "base64");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"-_8=\"}]}",
	    400, "invalid_field", "base64");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"QQ==QQ==\"}"
	    "]}", 400, "invalid_field", "base64");
	refused("{\"attachments\":[{\"filename\":\"../\",\"data\":\"\"}]}",
	    400, "invalid_field", "filename");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"\","
	    "\"content_type\":\"text/plain; charset=x\"}]}", 400,
	    "invalid_field", "content_type");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"\","
	    "\"content_type\":\"/plain\"}]}", 400, "invalid_field",
	    "content_type");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"\","
	    "\"content_type\":\"multipart/mixed\"}]}", 400, "invalid_field",
	    "content_type");
	refused("{\"attachments\":[{\"filename\":\"a\",\"data\":\"\","
	    "\"content_type\":\"Message/RFC822\"}]}", 400, "invalid_field",
	    "content_type");
	refused("{\"attachments\":[{},{},{},{},{},{},{},{},{},{},{}]}", 400,
	    "invalid_field", "more than 10");
}

static void
test_take_too_large(void **state)
{
	/* 6 MB twice: over 10 MB together, found before decoding */
	size_t n = 8 * 1024 * 1024, i;
	char *b64 = malloc(n + 1);
	json_t *body, *arr;
	struct reply_att a = { 0 };
	struct json_body_err err;

	(void)state;
	assert_non_null(b64);
	for (i = 0; i < n; i++)
		b64[i] = 'A';
	b64[n] = '\0';
	arr = json_pack("[{ss,ss},{ss,ss}]", "filename", "a", "data", b64,
	    "filename", "b", "data", b64);
	body = json_pack("{so}", "attachments", arr);
	assert_int_equal(reply_att_take(body, &a, &err), TAME_ETOOBIG);
	assert_int_equal(err.status, 413);
	assert_string_equal(err.code, "too_large");
	assert_int_equal(a.n, 1);
	reply_att_free(&a);
	json_decref(body);
	free(b64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filename),
		cmocka_unit_test(test_take_good),
		cmocka_unit_test(test_take_bad),
		cmocka_unit_test(test_take_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
