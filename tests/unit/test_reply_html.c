/*
 * test_reply_html.c - the HTML part of a reply with light formatting
 * (mail/reply_html.c): which texts get one, what it holds, and that
 * nothing of the text can become markup of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mail/reply_html.h"

/* The body of the HTML made of text, or NULL when it has none. */
static char *
html_of(const char *text)
{
	struct buf b;
	int fmt = -1;
	char *r, *body, *end;

	buf_init(&b, 1 << 22);
	assert_int_equal(reply_html(text, &b, &fmt), TAME_OK);
	if (!fmt) {
		assert_int_equal(b.len, 0);
		buf_free(&b);
		return NULL;
	}
	body = strstr(buf_str(&b), "<body>\n");
	end = strstr(buf_str(&b), "</body>");
	assert_non_null(body);
	assert_non_null(end);
	r = strndup(body + 7, (size_t)(end - body - 7));
	buf_free(&b);
	return r;
}

static void
expect(const char *text, const char *want)
{
	char *got = html_of(text);
	const char *t = text ? text : "(null)";

	if (!want) {
		if (got)
			fail_msg("%s: unexpected HTML %s", t, got);
		return;
	}
	if (!got)
		fail_msg("%s: no HTML", t);
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n got %s\nwant %s", t, got, want);
	free(got);
}

static void
test_plain_stays_plain(void **state)
{
	expect("Hello Carol,\n\nthanks for waiting.\n", NULL);
	expect("5 * 3 = 15 and a lone * star", NULL);
	expect("see https://example.com/a_b for more", NULL);
	expect("a ** b ** c", NULL);
	expect("", NULL);
	expect(NULL, NULL);
}

static void
test_marks(void **state)
{
	expect("This is **important**.",
	    "<p>This is <strong>important</strong>.</p>\n");
	expect("An *aside* here", "<p>An <em>aside</em> here</p>\n");
	expect("**bold *and it* too**",
	    "<p><strong>bold <em>and it</em> too</strong></p>\n");
	expect("Hi,\n\nDo this:\n- restart\n* log in again\nThanks\n-- \nAda",
	    "<p>Hi,</p>\n<p>Do this:</p>\n<ul>\n<li>restart</li>\n"
	    "<li>log in again</li>\n</ul>\n<p>Thanks<br>\n-- <br>\nAda</p>\n");
	expect("**Read** https://example.com/x?a=1&b=2.",
	    "<p><strong>Read</strong> <a href=\"https://example.com/x?a=1&amp;"
	    "b=2\">https://example.com/x?a=1&amp;b=2</a>.</p>\n");
}

static void
test_escaped(void **state)
{
	expect("**<script>alert(1)</script>** & \"q\" 'a'",
	    "<p><strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong> &amp; "
	    "&quot;q&quot; &#39;a&#39;</p>\n");
	expect("- http://x.example/\"onmouseover=alert(1)",
	    "<ul>\n<li><a href=\"http://x.example/\">http://x.example/</a>"
	    "&quot;onmouseover=alert(1)</li>\n</ul>\n");
	expect("- javascript:alert(1)",
	    "<ul>\n<li>javascript:alert(1)</li>\n</ul>\n");
}

static void
test_hostile_is_cheap(void **state)
{
	size_t n = 1 << 20, i;
	char *t = malloc(n + 1), *h;

	assert_non_null(t);
	for (i = 0; i < n; i++)
		t[i] = "*a "[i % 3];
	t[n] = '\0';
	t[0] = '-';
	t[1] = ' ';
	h = html_of(t);
	assert_non_null(h);
	free(h);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_stays_plain),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_hostile_is_cheap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
