/*
 * test_html_sanitize.c - the HTML allow-list and HTML to text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mail/html_sanitize.h"

/* Sanitises html; the result is the caller's to free. */
static char *
san(const char *html)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(html_sanitize(html, strlen(html), &b), TAME_OK);
	return buf_take(&b);
}

static char *
txt(const char *html)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(html_to_text(html, strlen(html), &b), TAME_OK);
	return buf_take(&b);
}

#define EXPECT(html, want) do {					\
		char *got_ = san(html);				\
		assert_string_equal(got_, want);		\
		free(got_);					\
	} while (0)

#define EXPECT_TEXT(html, want) do {				\
		char *got_ = txt(html);				\
		assert_string_equal(got_, want);		\
		free(got_);					\
	} while (0)

static void
test_script_removed(void **state)
{
	EXPECT("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>");
	EXPECT("<script src=x></script>hi", "hi");
	EXPECT("<style>body{display:none}</style>x", "x");
	EXPECT("<iframe src=\"http://evil\">t</iframe>y", "y");
	EXPECT("<form action=x>t<input name=a></form>z", "z");
	EXPECT("<object data=x>o</object><embed src=y>e", "e");
	EXPECT("<body><noscript>n</noscript>v", "v");
	/* a tag written across lines and in upper case is still a script */
	EXPECT("<SCRIPT\n>x()</SCRIPT >k", "k");
}

static void
test_event_handlers_removed(void **state)
{
	EXPECT("<img src=x onerror=alert(1)>", "<img>");
	EXPECT("<p onclick=\"x()\" onmouseover=y>t</p>", "<p>t</p>");
	EXPECT("<b class=c id=i data-x=1>t</b>", "<b>t</b>");
}

static void
test_links(void **state)
{
	EXPECT("<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>");
	EXPECT("<a href=\" JaVaScRiPt:alert(1)\">x</a>", "<a>x</a>");
	EXPECT("<a href=\"java&#x09;script:alert(1)\">x</a>", "<a>x</a>");
	EXPECT("<a href=\"&#106;avascript:alert(1)\">x</a>", "<a>x</a>");
	EXPECT("<a href=\"vbscript:x\">x</a>", "<a>x</a>");
	EXPECT("<a href=\"data:text/html,<script>\">x</a>", "<a>x</a>");
	EXPECT("<a href=\"/relative\">x</a>", "<a>x</a>");
	EXPECT("<a href=\" HTTPS://example.com/a?b=1&amp;c=2 \">x</a>",
	    "<a href=\"HTTPS://example.com/a?b=1&amp;c=2\""
	    " rel=\"noopener noreferrer nofollow\" target=\"_blank\">x</a>");
	EXPECT("<a href=\"mailto:a@b.c\" target=_top rel=opener>m</a>",
	    "<a href=\"mailto:a@b.c\""
	    " rel=\"noopener noreferrer nofollow\" target=\"_blank\">m</a>");
}

static void
test_svg_math_removed(void **state)
{
	EXPECT("<svg><script>alert(1)</script><text>t</text></svg>ok", "ok");
	EXPECT("<svg onload=alert(1)>", "");
	EXPECT("<math><mi xlink:href=\"javascript:x\">m</mi></math>ok", "ok");
	EXPECT("<template><script>x</script></template>ok", "ok");
}

static void
test_style_attribute_removed(void **state)
{
	EXPECT("<p style=\"background:url(http://track/)\">t</p>", "<p>t</p>");
	EXPECT("<td style=\"x\" colspan=2 align=left>c</td>", "c");
	EXPECT("<table><tr><td style=\"x\" colspan=\"2\" align=\"left\">c</td>"
	    "</tr></table>",
	    "<table><tbody><tr><td colspan=\"2\" align=\"left\">c</td></tr>"
	    "</tbody></table>");
	/* the writing direction stays (Hebrew and Arabic mail), only as
	 * one of its three values */
	EXPECT("<div dir=\"RTL\">\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d</div>",
	    "<div dir=\"rtl\">\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d</div>");
	EXPECT("<p dir=auto>a</p><p dir=\"x\" onclick=1>b</p>",
	    "<p dir=\"auto\">a</p><p>b</p>");
	/* what the mail hides stays hidden once its style is gone: a
	 * shop's preview text, the hidden attribute; what it hides from
	 * Outlook alone (mso-hide) everyone else sees */
	EXPECT("<div style=\"Display : NONE; max-height:0\">Preview "
	    "text\xe2\x80\x8c</div><p>Shown</p>", "<p>Shown</p>");
	EXPECT("<p>a<span style='mso-hide:all'>b</span><span hidden>c</span>"
	    "</p>", "<p>a<span>b</span></p>");
	EXPECT_TEXT("<div style=\"display:none\">Preview</div><p>Hi</p>", "Hi");
}

static void
test_images(void **state)
{
	EXPECT("<img src=\"https://tracker.example/p.gif\" alt=\"logo\">",
	    "<img data-src=\"https://tracker.example/p.gif\" alt=\"logo\">");
	EXPECT("<img src=\"cid:img1@here\" width=10>",
	    "<img src=\"cid:img1@here\" width=\"10\">");
	EXPECT("<img src=\"data:image/png;base64,iVBO\">",
	    "<img src=\"data:image/png;base64,iVBO\">");
	EXPECT("<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">", "<img>");
	EXPECT("<img src=\"javascript:x\">", "<img>");
}

static void
test_text_escaped(void **state)
{
	EXPECT("a &lt;script&gt; &amp; \"q\" 'a' &gt;",
	    "a &lt;script&gt; &amp; &quot;q&quot; &#39;a&#39; &gt;");
	EXPECT("<img alt='\"><script>x</script>'>",
	    "<img alt=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">");
	EXPECT("<!-- <script>x</script> -->c", "c");
	EXPECT("<unknown-tag>kept <b>bold</b></unknown-tag>",
	    "kept <b>bold</b>");
	EXPECT("<html><head><title>T</title></head><body><h1>H</h1></body>"
	    "</html>", "<h1>H</h1>");
	EXPECT("", "");
}

/* n copies of s, then tail, in a new string. */
static char *
repeat(const char *s, size_t n, const char *tail)
{
	size_t k = strlen(s), i;
	char *h = malloc(n * k + strlen(tail) + 1);

	assert_non_null(h);
	for (i = 0; i < n; i++)
		memcpy(h + i * k, s, k);
	strcpy(h + n * k, tail);
	return h;
}

static void
test_deep_nesting(void **state)
{
	char *h = repeat("<div>", 9000, "x"), *out;
	struct buf b;

	/* deep, but under the tag limit: all of it, the walk survives */
	out = san(h);
	assert_non_null(strstr(out, "x</div>"));
	free(out);
	free(h);
	/* gumbo's time grows with the square of the depth (100,000 took
	 * 20 s): past 10,000 tags the prefix, and TAME_ETOOBIG */
	h = repeat("<div>", 100000, "x");
	buf_init(&b, 1 << 21);
	assert_int_equal(html_sanitize(h, strlen(h), &b), TAME_ETOOBIG);
	assert_null(strstr(b.data, "x"));
	assert_true(b.len >= 10000 * 5);
	buf_free(&b);
	assert_int_equal(html_to_text(h, strlen(h), &b), TAME_ETOOBIG);
	buf_free(&b);
	free(h);
	/* the same for one tag with thousands of attributes: the text
	 * before it is kept */
	h = repeat(" a", 5000, ">after");
	memcpy(h, "<p", 2);
	out = repeat("<b>before</b>", 1, h);
	buf_init(&b, 1 << 21);
	assert_int_equal(html_sanitize(out, strlen(out), &b), TAME_ETOOBIG);
	assert_string_equal(b.data, "<b>before</b>");
	buf_free(&b);
	free(out);
	free(h);
	/* the same however the attributes are told apart: "/" or a
	 * closing quote */
	h = repeat(" a/", 5000, ">after");
	memcpy(h, "<p", 2);
	buf_init(&b, 1 << 21);
	assert_int_equal(html_sanitize(h, strlen(h), &b), TAME_ETOOBIG);
	buf_free(&b);
	free(h);
	/* a quote that opens no value does not hide the tags after it */
	out = repeat("<div>", 100000, "x");
	h = repeat("<a x\">", 1, out);
	buf_init(&b, 1 << 21);
	assert_int_equal(html_sanitize(h, strlen(h), &b), TAME_ETOOBIG);
	assert_null(strstr(b.data, "x"));
	buf_free(&b);
	free(out);
	free(h);
	/* formatting elements left open are rebuilt in every paragraph
	 * (1,000 and 9,000 paragraphs took 16 s and 63 MB): cut before
	 * the 21st, also when a comment or a script holds end tags */
	out = repeat("<b id=1><i id=2>", 500, "<p>x<p>y");
	h = repeat("<script></b></i></script><!--</b>-->", 50, out);
	buf_init(&b, 1 << 24);
	assert_int_equal(html_sanitize(h, strlen(h), &b), TAME_ETOOBIG);
	assert_true(b.len < 10000);
	buf_free(&b);
	free(out);
	free(h);
	/* what a newsletter does, open and close, is all kept */
	out = repeat("<p><a href=\"https://example.com/\">link</a> <b>bold</b>"
	    "</p>", 3000, "end");
	h = san(out);
	assert_non_null(strstr(h, "end"));
	free(out);
	free(h);
}

static void
test_cap(void **state)
{
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(html_sanitize("<p>hello world</p>", 18, &b),
	    TAME_ETOOBIG);
	assert_true(b.len <= 10);
	buf_free(&b);

	/* a tag the cap cuts is left out whole: the note added after the
	 * prefix (with its quotes) is not taken into an attribute */
	{
		char h[256];
		int n = snprintf(h, sizeof(h), "<p>hello</p><a href=\"https://"
		    "example.net/%0100d\">x</a>", 0);

		assert_true(n > 0 && (size_t)n < sizeof(h));
		buf_init(&b, 64);
		assert_int_equal(html_sanitize(h, (size_t)n, &b),
		    TAME_ETOOBIG);
		assert_string_equal(buf_str(&b), "<p>hello</p>");
		buf_free(&b);
	}
	buf_init(&b, 9);
	assert_int_equal(html_sanitize("<p>abc</p>", 10, &b), TAME_ETOOBIG);
	assert_string_equal(buf_str(&b), "<p>abc");
	buf_free(&b);

	/* past the parse limit: the prefix, and TAME_ETOOBIG */
	{
		size_t n = 700 * 1024;
		char *h = malloc(n);

		assert_non_null(h);
		memset(h, 'a', n);
		buf_init(&b, 1 << 21);
		assert_int_equal(html_sanitize(h, n, &b), TAME_ETOOBIG);
		assert_true(b.len >= 500 * 1024 && b.len < n);
		buf_free(&b);
		free(h);
	}
}

static void
test_to_text(void **state)
{
	EXPECT_TEXT("<p>One</p><p>Two</p>", "One\n\nTwo");
	EXPECT_TEXT("a<br>b<br><br><br><br>c", "a\nb\n\nc");
	EXPECT_TEXT("<div>x</div><div>y</div>", "x\ny");
	EXPECT_TEXT("  lots   of\n\n  space  ", "lots of space");
	EXPECT_TEXT("<style>p{}</style><script>x()</script><p>t</p>", "t");
	EXPECT_TEXT("<ul><li>a</li><li>b</li></ul>", "- a\n- b");
	EXPECT_TEXT("<pre>a  b\n  c</pre>", "a  b\n  c");
	EXPECT_TEXT("Fish &amp; chips&nbsp;today", "Fish & chips today");
	EXPECT_TEXT("<table><tr><td>a</td><td>b</td></tr></table>", "a b");
	EXPECT_TEXT("", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_removed),
		cmocka_unit_test(test_event_handlers_removed),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_svg_math_removed),
		cmocka_unit_test(test_style_attribute_removed),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_text_escaped),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_to_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
