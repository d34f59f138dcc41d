/*
 * test_smtp_proto.c - the SMTP/LMTP command parser and the DATA decoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "net/smtp_proto.h"
#include "tame_limits.h"

static enum tame_err
parse(const char *line, struct smtp_cmd *cmd)
{
	return smtp_proto_parse(line, strlen(line), cmd);
}

static void
assert_path(const struct smtp_cmd *cmd, const char *want)
{
	assert_int_equal(cmd->path_len, strlen(want));
	assert_memory_equal(cmd->path, want, strlen(want));
}

static void
test_verbs(void **state)
{
	static const struct {
		const char *line;
		enum smtp_verb verb;
	} t[] = {
		{ "HELO a.example", SMTP_V_HELO }, { "ehlo a", SMTP_V_EHLO },
		{ "LhLo a", SMTP_V_LHLO }, { "DATA", SMTP_V_DATA },
		{ "rset", SMTP_V_RSET }, { "NOOP", SMTP_V_NOOP },
		{ "NOOP anything", SMTP_V_NOOP }, { "QUIT", SMTP_V_QUIT },
		{ "VRFY bob", SMTP_V_VRFY }, { "HELP", SMTP_V_HELP },
		{ "HELP MAIL", SMTP_V_HELP }, { "STARTTLS", SMTP_V_STARTTLS },
		{ "AUTH PLAIN AGJvYgBwdw==", SMTP_V_AUTH },
		{ "EXPN staff", SMTP_V_EXPN },
		{ "QUIT  ", SMTP_V_QUIT }, { "DATA\r", SMTP_V_DATA },
	};
	struct smtp_cmd cmd;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(parse(t[i].line, &cmd), TAME_OK);
		assert_int_equal(cmd.verb, t[i].verb);
	}
	assert_int_equal(parse("EHLO  client.example ", &cmd), TAME_OK);
	assert_int_equal(cmd.arg_len, strlen("client.example"));
	assert_memory_equal(cmd.arg, "client.example", cmd.arg_len);
}

static void
test_unknown_and_empty(void **state)
{
	struct smtp_cmd cmd;

	assert_int_equal(parse("FOO bar", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 500);
	assert_int_equal(cmd.verb, SMTP_V_UNKNOWN);
	assert_int_equal(parse("", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 500);
	assert_int_equal(parse("MAILFROM:<a@b>", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 500);
	assert_int_equal(parse("DATAX", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 500);
}

static void
test_nul_and_long(void **state)
{
	static char big[TAME_SMTP_CMD_LINE_MAX + 10];
	struct smtp_cmd cmd;

	assert_int_equal(smtp_proto_parse("NOOP\0x", 6, &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 500);
	assert_non_null(strstr(cmd.text, "NUL"));
	memset(big, 'a', sizeof(big));
	memcpy(big, "NOOP ", 5);
	assert_int_equal(smtp_proto_parse(big, sizeof(big), &cmd),
	    TAME_EPARSE);
	assert_int_equal(cmd.code, 500);
	assert_non_null(strstr(cmd.text, "too long"));
	assert_int_equal(smtp_proto_parse(big, TAME_SMTP_CMD_LINE_MAX, &cmd),
	    TAME_OK);
}

static void
test_hello_needs_name(void **state)
{
	struct smtp_cmd cmd;

	assert_int_equal(parse("EHLO", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(cmd.verb, SMTP_V_EHLO);
	assert_int_equal(parse("HELO   ", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("HELO a\001b", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
}

static void
test_no_args_allowed(void **state)
{
	struct smtp_cmd cmd;

	assert_int_equal(parse("DATA now", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("QUIT x", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("RSET x", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("VRFY", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
}

static void
test_mail_paths(void **state)
{
	struct smtp_cmd cmd;

	assert_int_equal(parse("MAIL FROM:<alice@example.com>", &cmd),
	    TAME_OK);
	assert_int_equal(cmd.verb, SMTP_V_MAIL);
	assert_path(&cmd, "alice@example.com");
	assert_int_equal(cmd.size, -1);
	assert_int_equal(cmd.body, SMTP_BODY_NONE);

	assert_int_equal(parse("mail from: <Alice@Example.COM>", &cmd),
	    TAME_OK);
	assert_path(&cmd, "Alice@Example.COM");

	assert_int_equal(parse("MAIL FROM:alice@example.com", &cmd), TAME_OK);
	assert_path(&cmd, "alice@example.com");

	assert_int_equal(parse("MAIL FROM:<>", &cmd), TAME_OK);
	assert_int_equal(cmd.null_path, 1);
	assert_int_equal(cmd.path_len, 0);

	assert_int_equal(parse("MAIL FROM:<@relay.example,@b.example:"
	    "bob@example.org>", &cmd), TAME_OK);
	assert_path(&cmd, "bob@example.org");

	assert_int_equal(parse("MAIL FROM:<\"john doe\"@example.org>", &cmd),
	    TAME_OK);
	assert_path(&cmd, "\"john doe\"@example.org");

	assert_int_equal(parse("MAIL FROM:<\"a>b\"@example.org> SIZE=10",
	    &cmd), TAME_OK);
	assert_path(&cmd, "\"a>b\"@example.org");
	assert_int_equal(cmd.size, 10);

	assert_int_equal(parse("MAIL FROM:<u@[192.0.2.1]>", &cmd), TAME_OK);
	assert_path(&cmd, "u@[192.0.2.1]");
}

static void
test_mail_bad_paths(void **state)
{
	static const char *bad[] = {
		"MAIL", "MAIL TO:<a@b>", "MAIL FROM:", "MAIL FROM:<a@b",
		"MAIL FROM:<a b@c>", "MAIL FROM:<a@b>x", "MAIL FROM:<@b>",
		"MAIL FROM:<a@>", "MAIL FROM:<@a:>", "MAIL FROM:<a@@b>",
		"MAIL FROM:<\"open@b>", "MAIL FROM:<a\001@b>",
		"MAIL FROM:<a<b@c>", "MAIL FROM:<[a]@b>",
	};
	struct smtp_cmd cmd;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &cmd), TAME_EPARSE);
		assert_int_equal(cmd.code, 501);
		assert_int_equal(cmd.verb, SMTP_V_MAIL);
	}
}

static void
test_long_path(void **state)
{
	char line[600];
	struct smtp_cmd cmd;
	int n;

	n = snprintf(line, sizeof(line), "RCPT TO:<%0250d@example.com>", 0);
	assert_true(n > 0 && (size_t)n < sizeof(line));
	assert_int_equal(parse(line, &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	n = snprintf(line, sizeof(line), "RCPT TO:<%0200d@example.com>", 0);
	assert_int_equal(parse(line, &cmd), TAME_OK);
}

static void
test_mail_params(void **state)
{
	struct smtp_cmd cmd;

	assert_int_equal(parse("MAIL FROM:<a@b> SIZE=12345 BODY=8BITMIME "
	    "SMTPUTF8", &cmd), TAME_OK);
	assert_int_equal(cmd.size, 12345);
	assert_int_equal(cmd.body, SMTP_BODY_8BITMIME);
	assert_int_equal(cmd.smtputf8, 1);

	assert_int_equal(parse("MAIL FROM:<a@b> body=7bit size=0", &cmd),
	    TAME_OK);
	assert_int_equal(cmd.body, SMTP_BODY_7BIT);
	assert_int_equal(cmd.size, 0);

	/* huge sizes saturate so that the server answers 552 */
	assert_int_equal(parse("MAIL FROM:<a@b> SIZE="
	    "99999999999999999999999999", &cmd), TAME_OK);
	assert_int_equal(cmd.size, INT64_MAX);

	assert_int_equal(parse("MAIL FROM:<a@b> SIZE=", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("MAIL FROM:<a@b> SIZE=-1", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("MAIL FROM:<a@b> SIZE=1 SIZE=2", &cmd),
	    TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("MAIL FROM:<a@b> BODY=BINARYMIME", &cmd),
	    TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("MAIL FROM:<a@b> SMTPUTF8=yes", &cmd),
	    TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("MAIL FROM:<a@b> RET=FULL", &cmd),
	    TAME_EPARSE);
	assert_int_equal(cmd.code, 555);
	assert_int_equal(parse("MAIL FROM:<a@b> =x", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
}

static void
test_rcpt(void **state)
{
	struct smtp_cmd cmd;

	assert_int_equal(parse("RCPT TO:<support@tame.example>", &cmd),
	    TAME_OK);
	assert_int_equal(cmd.verb, SMTP_V_RCPT);
	assert_path(&cmd, "support@tame.example");
	assert_int_equal(parse("rcpt to: support@tame.example", &cmd),
	    TAME_OK);
	assert_path(&cmd, "support@tame.example");
	assert_int_equal(parse("RCPT TO:<Postmaster>", &cmd), TAME_OK);
	assert_path(&cmd, "Postmaster");
	/* the null path is for senders only */
	assert_int_equal(parse("RCPT TO:<>", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	assert_int_equal(parse("RCPT FROM:<a@b>", &cmd), TAME_EPARSE);
	assert_int_equal(cmd.code, 501);
	/* RCPT takes no parameters we know (no DSN) */
	assert_int_equal(parse("RCPT TO:<a@b> NOTIFY=NEVER", &cmd),
	    TAME_EPARSE);
	assert_int_equal(cmd.code, 555);
}

/* Feeds s in pieces of step bytes; returns bytes consumed in all. */
static size_t
feed(struct smtp_data *d, struct buf *out, const char *s, size_t len,
    size_t step)
{
	size_t pos = 0;

	smtp_data_init(d, 1000, 1 << 20);
	while (pos < len && !d->done) {
		size_t n = len - pos < step ? len - pos : step;

		pos += smtp_data_feed(d, s + pos, n, out);
	}
	return pos;
}

static void
check_data(const char *in, const char *want, size_t want_used)
{
	size_t steps[] = { 1, 2, 3, 7, 1 << 20 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct smtp_data d;
		struct buf out;

		buf_init(&out, 1 << 21);
		assert_int_equal(feed(&d, &out, in, strlen(in), steps[i]),
		    want_used);
		assert_true(d.done);
		assert_string_equal(buf_str(&out), want);
		buf_free(&out);
	}
}

static void
test_data_terminator(void **state)
{
	check_data(".\r\n", "", 3);
	check_data("Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n",
	    "Subject: x\r\n\r\nhello\r\n", 24);
	check_data("a\r\n..b\r\n..\r\n.\r\n", "a\r\n.b\r\n.\r\n", 15);
	/* a lone dot with other text, the dot is dropped */
	check_data(".x\r\n.\r\n", "x\r\n", 7);
	/* ".\r" then not LF keeps the CR */
	check_data(".\rx\r\n.\r\n", "\rx\r\n", 8);
	check_data(".\r\r\n.\r\n", "\r\r\n", 7);
	/* bare LF does not end lines (no SMTP smuggling) */
	check_data("a\n.\nb\r\n.\r\n", "a\n.\nb\r\n", 10);
	check_data("a\r\n.\nb\r\n.\r\n", "a\r\n\nb\r\n", 11);
	check_data("a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n", 11);
	check_data("\r\r\n.\r\n", "\r\r\n", 6);
}

static void
test_data_limits(void **state)
{
	struct smtp_data d;
	struct buf out;
	char line[300];

	/* a line over the cap: the rest is read and dropped */
	buf_init(&out, 1 << 20);
	smtp_data_init(&d, 10, 1000);
	memset(line, 'x', sizeof(line));
	assert_int_equal(smtp_data_feed(&d, "ok\r\n", 4, &out), 4);
	assert_int_equal(smtp_data_feed(&d, line, sizeof(line), &out),
	    sizeof(line));
	assert_true(d.line_too_long);
	assert_true(out.len <= 14);
	assert_int_equal(smtp_data_feed(&d, "\r\n.\r\nNOOP\r\n", 11, &out), 5);
	assert_true(d.done);
	buf_free(&out);

	/* exactly at the line cap (CRLF included) is fine */
	buf_init(&out, 1 << 20);
	smtp_data_init(&d, 10, 1000);
	assert_int_equal(smtp_data_feed(&d, "12345678\r\n.\r\n", 13, &out), 13);
	assert_false(d.line_too_long);
	assert_string_equal(buf_str(&out), "12345678\r\n");
	buf_free(&out);

	/* a message of bare-LF lines is not one long line: each LF ends
	 * one for the cap (a terminator still needs CRLF) */
	buf_init(&out, 1 << 20);
	smtp_data_init(&d, 10, 1000);
	assert_int_equal(smtp_data_feed(&d, "1234567\n1234567\n\n.\n"
	    "12345678\r\n.\r\n", 32, &out), 32);
	assert_false(d.line_too_long);
	assert_true(d.done);
	assert_string_equal(buf_str(&out), "1234567\n1234567\n\n.\n"
	    "12345678\r\n");
	buf_free(&out);
	/* ... while one bare-LF line over it still is */
	buf_init(&out, 1 << 20);
	smtp_data_init(&d, 10, 1000);
	assert_int_equal(smtp_data_feed(&d, "1234\n12345678901\r\n.\r\n",
	    21, &out), 21);
	assert_true(d.line_too_long);
	assert_true(d.done);
	buf_free(&out);

	/* the message cap */
	buf_init(&out, 1 << 20);
	smtp_data_init(&d, 1000, 20);
	assert_int_equal(smtp_data_feed(&d, "0123456789\r\n", 12, &out), 12);
	assert_false(d.too_big);
	assert_int_equal(smtp_data_feed(&d, "0123456789\r\n.\r\n", 15, &out),
	    15);
	assert_true(d.too_big);
	assert_true(d.done);
	assert_true(out.len <= 20);
	buf_free(&out);

	/* the buffer's own cap counts as too big as well */
	buf_init(&out, 5);
	smtp_data_init(&d, 1000, 1000);
	smtp_data_feed(&d, "0123456789\r\n.\r\n", 15, &out);
	assert_true(d.too_big);
	assert_true(d.done);
	buf_free(&out);

	/* nothing is consumed after the end */
	assert_int_equal(smtp_data_feed(&d, "x", 1, &out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_unknown_and_empty),
		cmocka_unit_test(test_nul_and_long),
		cmocka_unit_test(test_hello_needs_name),
		cmocka_unit_test(test_no_args_allowed),
		cmocka_unit_test(test_mail_paths),
		cmocka_unit_test(test_mail_bad_paths),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_mail_params),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_data_terminator),
		cmocka_unit_test(test_data_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
