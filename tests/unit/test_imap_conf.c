/*
 * test_imap_conf.c - IMAP settings from their text forms (core/imap_conf.c):
 * the URL an admin types, the after-import action, folder names in
 * modified UTF-7 (RFC 3501 5.1.3), and the search answers the poller
 * reads (net/imap_client.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/imap_conf.h"
#include "net/imap_client.h"
#include "tame_limits.h"

static void
parse_ok(const char *url, struct imap_conf *c)
{
	char err[256] = "";

	memset(c, 0, sizeof(*c));
	if (imap_conf_parse_url(url, c, err, sizeof(err)) != TAME_OK)
		fail_msg("%s: %s", url, err);
}

static void
parse_bad(const char *url, const char *want)
{
	struct imap_conf c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	assert_int_equal(imap_conf_parse_url(url, &c, err, sizeof(err)),
	    TAME_EINVAL);
	assert_non_null(strstr(err, want));
	/* no secret in the message */
	assert_null(strstr(err, "hunter2"));
	imap_conf_clear(&c);
}

static void
test_url_forms(void **state)
{
	struct imap_conf c;

	parse_ok("imaps://joe%40example.com:p%3Ass%2Fw@Mail.Example.com/"
	    "Support%20Desk", &c);
	assert_string_equal(c.user, "joe@example.com");
	assert_string_equal(c.password, "p:ss/w");
	assert_string_equal(c.host, "mail.example.com");
	assert_int_equal(c.port, 993);
	assert_int_equal(c.tls, IMAP_TLS_IMPLICIT);
	assert_string_equal(c.folder, "Support Desk");
	imap_conf_clear(&c);

	parse_ok("imap://joe:pa@ss@127.0.0.1:1143/INBOX?starttls", &c);
	assert_string_equal(c.password, "pa@ss");
	assert_int_equal(c.port, 1143);
	assert_int_equal(c.tls, IMAP_TLS_STARTTLS);
	imap_conf_clear(&c);

	parse_ok("imap://joe@[::1]", &c);
	assert_null(c.password);
	assert_string_equal(c.host, "::1");
	assert_int_equal(c.port, 143);
	assert_int_equal(c.tls, IMAP_TLS_NONE);
	assert_string_equal(c.folder, "INBOX");
	imap_conf_clear(&c);
}

static void
test_url_refused(void **state)
{
	parse_bad("pop3://joe:hunter2@h/", "imap://");
	parse_bad("imap://h/INBOX", "no user");
	parse_bad("imap://:hunter2@h/INBOX", "empty user");
	parse_bad("imap://joe:hunter2@h:0/INBOX", "port");
	parse_bad("imap://joe:hunter2@h:99999/INBOX", "port");
	parse_bad("imap://joe:hunter2@h:x/INBOX", "port");
	parse_bad("imap://joe:hunter2@/INBOX", "host");
	parse_bad("imap://joe:hunter2@h_h/INBOX", "host");
	parse_bad("imap://joe:hunter2@h/IN%0D%0ABOX", "folder");
	parse_bad("imap://joe:hunter2%00@h/INBOX", "password");
	parse_bad("imap://joe:hunter2@h/INBOX%4", "folder");
	parse_bad("imap://joe:hunter2@h/INBOX?tls", "starttls");
	parse_bad("imaps://joe:hunter2@h/INBOX?starttls", "imaps://");
	parse_bad("imap://joe:hunter2@h/INBOX#x", "fragment");
	parse_bad("imap://joe:hunter2@[::1/INBOX", "[");
}

static void
test_after(void **state)
{
	struct imap_conf c;
	char err[128];

	memset(&c, 0, sizeof(c));
	assert_int_equal(imap_conf_parse_after("move:Archive/2026", &c, err,
	    sizeof(err)), TAME_OK);
	assert_int_equal(c.after, IMAP_AFTER_MOVE);
	assert_string_equal(c.after_folder, "Archive/2026");
	assert_int_equal(imap_conf_parse_after("delete", &c, err,
	    sizeof(err)), TAME_OK);
	assert_int_equal(c.after, IMAP_AFTER_DELETE);
	assert_null(c.after_folder);
	assert_int_equal(imap_conf_parse_after("seen", &c, err, sizeof(err)),
	    TAME_OK);
	assert_int_equal(c.after, IMAP_AFTER_SEEN);
	assert_int_equal(imap_conf_parse_after("move:", &c, err, sizeof(err)),
	    TAME_EINVAL);
	assert_int_equal(imap_conf_parse_after("archive", &c, err,
	    sizeof(err)), TAME_EINVAL);
	imap_conf_clear(&c);
}

static void
test_url_shown_without_password(void **state)
{
	struct imap_conf c;
	struct buf b;

	parse_ok("imap://j%20o:hunter2@h.example:1143/A%20B?starttls", &c);
	buf_init(&b, 1024);
	assert_int_equal(imap_conf_url(&c, &b), TAME_OK);
	assert_string_equal(buf_str(&b),
	    "imap://j%20o@h.example:1143/A%20B?starttls");
	imap_conf_clear(&c);
	/* a '/' in the user name is encoded, one in the folder kept */
	parse_ok("imap://dom%2Fj:pw@h.example:143/Support/In", &c);
	buf_reset(&b);
	assert_int_equal(imap_conf_url(&c, &b), TAME_OK);
	assert_string_equal(buf_str(&b),
	    "imap://dom%2Fj@h.example:143/Support/In");
	buf_reset(&b);
	assert_int_equal(imap_conf_parse_after("move:Done", &c, NULL, 0),
	    TAME_OK);
	assert_int_equal(imap_conf_after_text(&c, &b), TAME_OK);
	assert_string_equal(buf_str(&b), "move:Done");
	buf_free(&b);
	imap_conf_clear(&c);
}

static void
mutf7_is(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(imap_conf_mutf7(in, &b), TAME_OK);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_mutf7(void **state)
{
	struct buf b;

	mutf7_is("INBOX", "INBOX");
	mutf7_is("Tom & Jerry", "Tom &- Jerry");
	mutf7_is("Entw\xc3\xbcrfe", "Entw&APw-rfe");
	mutf7_is("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-");
	mutf7_is("\xf0\x9f\x98\x80", "&2D3eAA-");
	buf_init(&b, 4096);
	assert_int_equal(imap_conf_mutf7("a\xc3(b", &b), TAME_EINVAL);
	assert_int_equal(imap_conf_mutf7("a\rb", &b), TAME_EINVAL);
	assert_int_equal(imap_conf_mutf7("\xed\xa0\x80", &b), TAME_EINVAL);
	buf_reset(&b);
	assert_int_equal(imap_conf_pct("a b/c;d%", &b), TAME_OK);
	assert_string_equal(buf_str(&b), "a%20b/c%3Bd%25");
	buf_reset(&b);
	assert_int_equal(imap_conf_quote("a\"b\\c", &b), TAME_OK);
	assert_string_equal(buf_str(&b), "\"a\\\"b\\\\c\"");
	buf_free(&b);
}

/* Reads answer as a SEARCH reply (after, before as
 * imap_client_parse_search) and checks it gives exactly want[0..n). */
static void
search_gives(struct imap_client *c, const char *answer, int64_t after,
    int64_t before, const int64_t *want, long n)
{
	int64_t uids[8];
	long i;

	buf_reset(&c->body);
	buf_addstr(&c->body, answer);
	assert_int_equal(imap_client_parse_search(c, after, before, uids, 8),
	    n);
	for (i = 0; i < n; i++)
		assert_int_equal(uids[i], want[i]);
}

/* What a server answers to STATUS and UID SEARCH, read back. */
static void
test_answers(void **state)
{
	struct imap_client c;
	int64_t v = 0, next = 0, n = 0;

	memset(&c, 0, sizeof(c));
	buf_init(&c.body, 4096);
	buf_addstr(&c.body, "* 3 EXISTS\r\n* STATUS \"UIDNEXT 9\" (MESSAGES "
	    "3 UIDNEXT 42 UIDVALIDITY 1795432278)\r\n");
	assert_int_equal(imap_client_parse_status(&c, &v, &next, &n), TAME_OK);
	assert_int_equal(v, 1795432278);
	assert_int_equal(next, 42);
	assert_int_equal(n, 3);
	search_gives(&c, "* 4 EXISTS\r\n* SEARCH 9 3 7 12\r\n", 5, 0,
	    (const int64_t[]){ 7, 9, 12 }, 3);
	/* past UIDNEXT is not there yet; a UID named twice counts once */
	search_gives(&c, "* SEARCH 3 1 1 2 3 3 4000000000\r\n", 0, 5,
	    (const int64_t[]){ 1, 2, 3 }, 3);
	search_gives(&c, "* SEARCH 1 x2\r\n", 0, 0, NULL, -1);
	buf_reset(&c.body);
	buf_addstr(&c.body, "* OK nothing\r\n");
	assert_int_equal(imap_client_parse_status(&c, &v, &next, &n),
	    TAME_EPARSE);
	buf_free(&c.body);
}

static void
test_change_keeps_password_for_the_same_login(void **state)
{
	struct imap_conf c;
	char err[256] = "";

	parse_ok("imaps://joe:hunter2@mail.example.com/INBOX", &c);
	assert_int_equal(imap_conf_change_url("imaps://joe@mail.example.com:"
	    "993/Archive", &c, err, sizeof(err)), TAME_OK);
	assert_null(c.password);
	assert_string_equal(c.folder, "Archive");
	/* another server, user or TLS mode: the password must come too */
	assert_int_equal(imap_conf_change_url("imap://someone-else@otherhost/"
	    "INBOX", &c, err, sizeof(err)), TAME_EINVAL);
	assert_non_null(strstr(err, "needs its password"));
	imap_conf_clear(&c);
	parse_ok("imaps://joe:hunter2@mail.example.com/INBOX", &c);
	assert_int_equal(imap_conf_change_url("imap://joe@mail.example.com:"
	    "993/INBOX", &c, err, sizeof(err)), TAME_EINVAL);
	imap_conf_clear(&c);
	parse_ok("imaps://joe:hunter2@mail.example.com/INBOX", &c);
	assert_int_equal(imap_conf_change_url("imaps://ann@mail.example.com/"
	    "INBOX", &c, err, sizeof(err)), TAME_EINVAL);
	assert_int_equal(imap_conf_change_url("imap://ann:pw@otherhost/INBOX",
	    &c, err, sizeof(err)), TAME_OK);
	assert_string_equal(c.password, "pw");
	imap_conf_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_url_refused),
		cmocka_unit_test(test_after),
		cmocka_unit_test(test_url_shown_without_password),
		cmocka_unit_test(test_mutf7),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_change_keeps_password_for_the_same_login),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
