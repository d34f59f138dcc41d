/*
 * test_url_auth.c - the authority of an admin's URL (core/url_auth.c),
 * [USER[:PASSWORD]@]HOST[:PORT], shared by the IMAP settings and the
 * outgoing relay: percent-decoding, the last '@', IPv6 brackets, the
 * port and its default, and the reasons for refusing one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/url_auth.h"

static void
test_userinfo(void **state)
{
	struct url_auth a;
	int port = 0;

	assert_int_equal(url_auth_parse("joe%40example.com:p%3Ass%2Fw@"
	    "Mail.Example.com/INBOX", 1, &a), URL_AUTH_OK);
	assert_string_equal(a.user, "joe@example.com");
	assert_string_equal(a.password, "p:ss/w");
	/* the host as written: lower-casing is the caller's choice */
	assert_string_equal(a.host, "Mail.Example.com");
	assert_string_equal(a.end, "/INBOX");
	assert_int_equal(url_auth_port(&a, 993, &port), URL_AUTH_OK);
	assert_int_equal(port, 993);
	url_auth_clear(&a);
	assert_null(a.user);
	assert_null(a.password);
	assert_null(a.host);

	/* the last '@' ends the user part; the first ':' the user name */
	assert_int_equal(url_auth_parse("joe:pa@s:s@h:2525?starttls", 1, &a),
	    URL_AUTH_OK);
	assert_string_equal(a.user, "joe");
	assert_string_equal(a.password, "pa@s:s");
	assert_string_equal(a.host, "h");
	assert_string_equal(a.end, "?starttls");
	assert_int_equal(url_auth_port(&a, 25, &port), URL_AUTH_OK);
	assert_int_equal(port, 2525);
	url_auth_clear(&a);

	/* a user without a password; an empty password is one */
	assert_int_equal(url_auth_parse("joe@h", 1, &a), URL_AUTH_OK);
	assert_string_equal(a.user, "joe");
	assert_null(a.password);
	url_auth_clear(&a);
	assert_int_equal(url_auth_parse("joe:@h", 1, &a), URL_AUTH_OK);
	assert_string_equal(a.password, "");
	url_auth_clear(&a);

	/* no user at all, where the caller allows it */
	assert_int_equal(url_auth_parse("relay.example.com:587", 0, &a),
	    URL_AUTH_OK);
	assert_null(a.user);
	assert_null(a.password);
	assert_string_equal(a.host, "relay.example.com");
	assert_string_equal(a.end, "");
	assert_int_equal(url_auth_port(&a, 25, &port), URL_AUTH_OK);
	assert_int_equal(port, 587);
	url_auth_clear(&a);
	url_auth_clear(NULL);
}

static void
test_ipv6(void **state)
{
	struct url_auth a;
	int port = 0;

	assert_int_equal(url_auth_parse("[::1]", 0, &a), URL_AUTH_OK);
	assert_string_equal(a.host, "::1");
	assert_int_equal(url_auth_port(&a, 25, &port), URL_AUTH_OK);
	assert_int_equal(port, 25);
	url_auth_clear(&a);

	assert_int_equal(url_auth_parse("u@[2001:db8::7]:1143/x", 1, &a),
	    URL_AUTH_OK);
	assert_string_equal(a.host, "2001:db8::7");
	assert_string_equal(a.end, "/x");
	assert_int_equal(url_auth_port(&a, 143, &port), URL_AUTH_OK);
	assert_int_equal(port, 1143);
	url_auth_clear(&a);

	assert_int_equal(url_auth_parse("u@[::1/INBOX]", 1, &a),
	    URL_AUTH_UNCLOSED);
	assert_int_equal(url_auth_parse("u@[::1", 1, &a), URL_AUTH_UNCLOSED);
	assert_int_equal(url_auth_parse("u@[]", 1, &a), URL_AUTH_HOST);
	assert_int_equal(url_auth_parse("u@[fe80::1%25eth0]", 1, &a),
	    URL_AUTH_HOST);

	/* after "]", only ":PORT" */
	assert_int_equal(url_auth_parse("u@[::1]x", 1, &a), URL_AUTH_OK);
	port = 7;
	assert_int_equal(url_auth_port(&a, 143, &port), URL_AUTH_JUNK);
	assert_int_equal(port, 7);
	url_auth_clear(&a);
}

static void
test_refused(void **state)
{
	struct url_auth a;

	assert_int_equal(url_auth_parse("h.example/INBOX", 1, &a),
	    URL_AUTH_NO_USER);
	/* an '@' in the path is not the user's */
	assert_int_equal(url_auth_parse("h.example/a@b", 1, &a),
	    URL_AUTH_NO_USER);
	/* with no user needed, the '@' in the path is no user either */
	assert_int_equal(url_auth_parse("h.example/a@b", 0, &a), URL_AUTH_OK);
	assert_null(a.user);
	url_auth_clear(&a);
	/* no user is checked first, whatever else is wrong */
	assert_int_equal(url_auth_parse("bad_host:0", 1, &a),
	    URL_AUTH_NO_USER);
	assert_int_equal(url_auth_parse("@h", 1, &a), URL_AUTH_EMPTY_USER);
	assert_int_equal(url_auth_parse(":pw@h", 0, &a), URL_AUTH_EMPTY_USER);
	assert_int_equal(url_auth_parse("jo%0d%0ae:pw@h", 1, &a),
	    URL_AUTH_USERINFO);
	assert_int_equal(url_auth_parse("joe:pw%@h", 1, &a),
	    URL_AUTH_USERINFO);
	assert_int_equal(url_auth_parse("joe:pw%00@h", 1, &a),
	    URL_AUTH_USERINFO);
	assert_int_equal(url_auth_parse("joe@", 1, &a), URL_AUTH_HOST);
	assert_int_equal(url_auth_parse("joe@/INBOX", 1, &a), URL_AUTH_HOST);
	assert_int_equal(url_auth_parse("joe@h_h", 1, &a), URL_AUTH_HOST);
	assert_int_equal(url_auth_parse("", 0, &a), URL_AUTH_HOST);
}

static void
test_port(void **state)
{
	static const struct {
		const char *auth;
		enum url_auth_why why;
		int port;
	} cases[] = {
		{ "h", URL_AUTH_OK, 110 },
		{ "h:1", URL_AUTH_OK, 1 },
		{ "h:65535", URL_AUTH_OK, 65535 },
		{ "h:0", URL_AUTH_PORT_RANGE, 0 },
		{ "h:65536", URL_AUTH_PORT_RANGE, 0 },
		{ "h:99999", URL_AUTH_PORT_RANGE, 0 },
		{ "h:-1", URL_AUTH_PORT_RANGE, 0 },
		{ "h:x", URL_AUTH_PORT_RANGE, 0 },
		{ "h:25x", URL_AUTH_PORT_RANGE, 0 },
		{ "h:", URL_AUTH_PORT, 0 },
		{ "h:12345678", URL_AUTH_PORT, 0 },
		{ "h:1:2", URL_AUTH_PORT_RANGE, 0 },
	};
	struct url_auth a;
	size_t i;
	int port;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(url_auth_parse(cases[i].auth, 0, &a),
		    URL_AUTH_OK);
		port = 0;
		assert_int_equal(url_auth_port(&a, 110, &port), cases[i].why);
		assert_int_equal(port, cases[i].port);
		url_auth_clear(&a);
	}
}

static void
test_messages(void **state)
{
	char err[256];

	assert_int_equal(url_auth_fail(URL_AUTH_EMPTY_USER, "IMAP URL", err,
	    sizeof(err)), TAME_EINVAL);
	assert_string_equal(err, "IMAP URL has an empty user name");
	assert_int_equal(url_auth_fail(URL_AUTH_PORT_RANGE, "relay URL", err,
	    sizeof(err)), TAME_EINVAL);
	assert_string_equal(err, "relay URL: port must be 1 to 65535");
	assert_int_equal(url_auth_fail(URL_AUTH_USERINFO, "relay URL", err,
	    sizeof(err)), TAME_EINVAL);
	assert_string_equal(err, "relay URL: bad character or %-escape in "
	    "the user name or password");
	assert_int_equal(url_auth_fail(URL_AUTH_NOMEM, "IMAP URL", err,
	    sizeof(err)), TAME_ENOMEM);
	/* a short buffer is cut, never overrun; NULL is allowed */
	assert_int_equal(url_auth_fail(URL_AUTH_HOST, "IMAP URL", err, 5),
	    TAME_EINVAL);
	assert_string_equal(err, "IMAP");
	assert_int_equal(url_auth_fail(URL_AUTH_HOST, "IMAP URL", NULL, 0),
	    TAME_EINVAL);
}

static void
test_keep_password(void **state)
{
	/* the same TLS mode, host (any case), port and user keep it */
	assert_int_equal(url_auth_keep_password(1, "mail.example.com", 993,
	    "joe", 1, "MAIL.example.com", 993, "joe"), URL_AUTH_OK);
	assert_int_equal(url_auth_keep_password(0, "h", 25, NULL, 0, "h", 25,
	    NULL), URL_AUTH_OK);
	/* any change asks for the password */
	assert_int_equal(url_auth_keep_password(1, "h", 993, "joe", 0, "h",
	    993, "joe"), URL_AUTH_PASSWORD);
	assert_int_equal(url_auth_keep_password(1, "h", 993, "joe", 1, "g",
	    993, "joe"), URL_AUTH_PASSWORD);
	assert_int_equal(url_auth_keep_password(1, "h", 993, "joe", 1, "h",
	    994, "joe"), URL_AUTH_PASSWORD);
	assert_int_equal(url_auth_keep_password(1, "h", 993, "joe", 1, "h",
	    993, "Joe"), URL_AUTH_PASSWORD);
	assert_int_equal(url_auth_keep_password(1, "h", 993, NULL, 1, "h",
	    993, "joe"), URL_AUTH_PASSWORD);
	/* nothing stored: nothing to keep */
	assert_int_equal(url_auth_keep_password(0, NULL, 0, NULL, 0, "h", 25,
	    "joe"), URL_AUTH_PASSWORD);
}

static void
test_loopback(void **state)
{
	assert_true(url_auth_loopback("localhost"));
	assert_true(url_auth_loopback("LocalHost"));
	assert_true(url_auth_loopback("127.0.0.1"));
	assert_true(url_auth_loopback("127.3.2.1"));
	assert_true(url_auth_loopback("::1"));
	assert_false(url_auth_loopback("128.0.0.1"));
	assert_false(url_auth_loopback("127.0.0.1.example.com"));
	assert_false(url_auth_loopback("localhost.example.com"));
	assert_false(url_auth_loopback("::2"));
	assert_false(url_auth_loopback("smtp.example.com"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_userinfo),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_keep_password),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
