/*
 * test_relay_conf.c - a mailbox's outgoing relay from its URL
 * (core/relay_conf.c): the forms an admin types, the ones refused, and
 * the URL shown back without the password.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/relay_conf.h"

static void
parse_ok(const char *url, struct relay_conf *c)
{
	char err[256] = "";

	memset(c, 0, sizeof(*c));
	if (relay_conf_parse_url(url, c, err, sizeof(err)) != TAME_OK)
		fail_msg("%s: %s", url, err);
}

static void
parse_bad(const char *url, const char *want)
{
	struct relay_conf c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	assert_int_equal(relay_conf_parse_url(url, &c, err, sizeof(err)),
	    TAME_EINVAL);
	assert_non_null(strstr(err, want));
	assert_null(strstr(err, "hunter2"));
	assert_null(c.host);
	relay_conf_clear(&c);
}

static void
test_url_forms(void **state)
{
	struct relay_conf c;

	parse_ok("smtps://joe%40example.com:p%3Ass%2Fw@smtp.example.com", &c);
	assert_string_equal(c.user, "joe@example.com");
	assert_string_equal(c.password, "p:ss/w");
	assert_string_equal(c.host, "smtp.example.com");
	assert_int_equal(c.port, 465);
	assert_int_equal(c.tls, RELAY_TLS_IMPLICIT);
	relay_conf_clear(&c);

	parse_ok("smtp://joe:pa@ss@127.0.0.1:2587?starttls", &c);
	assert_string_equal(c.user, "joe");
	assert_string_equal(c.password, "pa@ss");
	assert_int_equal(c.port, 2587);
	assert_int_equal(c.tls, RELAY_TLS_STARTTLS);
	relay_conf_clear(&c);

	parse_ok("smtp://mail.example.com/?STARTTLS", &c);
	assert_int_equal(c.port, 587);
	assert_int_equal(c.tls, RELAY_TLS_STARTTLS);
	assert_null(c.user);
	assert_null(c.password);
	relay_conf_clear(&c);

	parse_ok("SMTP://[::1]", &c);
	assert_string_equal(c.host, "::1");
	assert_int_equal(c.port, 25);
	assert_int_equal(c.tls, RELAY_TLS_NONE);
	relay_conf_clear(&c);

	parse_ok("smtp://joe@relay.example.com:25", &c);
	assert_string_equal(c.user, "joe");
	assert_null(c.password);
	relay_conf_clear(&c);
}

static void
test_url_refused(void **state)
{
	parse_bad("imap://joe:hunter2@x.example.com", "smtp://");
	parse_bad("smtp://joe:hunter2@", "host");
	parse_bad("smtp://joe:hunter2@bad_host", "host");
	parse_bad("smtp://joe:hunter2@x.example.com:0", "port");
	parse_bad("smtp://joe:hunter2@x.example.com:99999", "port");
	parse_bad("smtp://joe:hunter2@x.example.com:", "port");
	parse_bad("smtp://joe:hunter2@x.example.com/INBOX", "path");
	parse_bad("smtp://joe:hunter2@x.example.com?tls", "query");
	parse_bad("smtps://joe:hunter2@x.example.com?starttls", "smtps");
	parse_bad("smtp://jo%0d%0ae:hunter2@x.example.com", "user name");
	parse_bad("smtp://joe:hunter2%@x.example.com", "user name");
	parse_bad("smtp://:hunter2@x.example.com", "empty user");
	parse_bad("smtp://joe:hunter2@[::1", "unclosed");
	parse_bad(NULL, "missing");
}

static void
test_url_shown_without_password(void **state)
{
	struct relay_conf c;
	struct buf b;

	parse_ok("smtp://joe%40example.com:hunter2@127.0.0.1:2587?starttls",
	    &c);
	buf_init(&b, 4096);
	assert_int_equal(relay_conf_url(&c, &b), TAME_OK);
	assert_string_equal(buf_str(&b),
	    "smtp://joe%40example.com@127.0.0.1:2587?starttls");
	buf_reset(&b);
	assert_int_equal(relay_conf_curl_url(&c, &b), TAME_OK);
	assert_string_equal(buf_str(&b), "smtp://127.0.0.1:2587");
	relay_conf_clear(&c);
	parse_ok("smtps://[::1]:465", &c);
	buf_reset(&b);
	assert_int_equal(relay_conf_url(&c, &b), TAME_OK);
	assert_string_equal(buf_str(&b), "smtps://[::1]:465");
	assert_string_equal(relay_conf_tls_name(c.tls), "smtps");
	relay_conf_clear(&c);
	buf_free(&b);
}

static void
test_change_keeps_password_for_the_same_login(void **state)
{
	struct relay_conf c;
	char err[256] = "";

	parse_ok("smtp://joe:hunter2@relay.example.com?starttls", &c);
	/* the URL as shown: the stored password stays (NULL keeps it) */
	assert_int_equal(relay_conf_change_url("smtp://joe@RELAY.example.com:"
	    "587?starttls", &c, err, sizeof(err)), TAME_OK);
	assert_null(c.password);
	/* another host: refused */
	assert_int_equal(relay_conf_change_url("smtp://joe@evil.example?"
	    "starttls", &c, err, sizeof(err)), TAME_EINVAL);
	assert_non_null(strstr(err, "needs its password"));
	relay_conf_clear(&c);
	/* no TLS any more: refused too */
	parse_ok("smtp://joe:hunter2@relay.example.com?starttls", &c);
	assert_int_equal(relay_conf_change_url("smtp://joe@relay.example.com"
	    ":587", &c, err, sizeof(err)), TAME_EINVAL);
	relay_conf_clear(&c);
	/* a new password goes anywhere; no user needs none */
	parse_ok("smtp://joe:hunter2@relay.example.com?starttls", &c);
	assert_int_equal(relay_conf_change_url("smtp://ann:pw@other.example",
	    &c, err, sizeof(err)), TAME_OK);
	assert_string_equal(c.password, "pw");
	assert_int_equal(relay_conf_change_url("smtp://127.0.0.1:25", &c, err,
	    sizeof(err)), TAME_OK);
	assert_null(c.user);
	assert_null(c.password);
	relay_conf_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_url_refused),
		cmocka_unit_test(test_url_shown_without_password),
		cmocka_unit_test(test_change_keeps_password_for_the_same_login),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
