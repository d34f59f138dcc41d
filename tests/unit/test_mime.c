/*
 * test_mime.c - mime_parse and mime_compose on real-world shapes of mail,
 * broken mail and round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mail/mime.h"
#include "tame_limits.h"

static void
parse_str(const char *raw, struct mime_parsed *p)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(mime_parse(raw, strlen(raw), p), TAME_OK);
	assert_non_null(p->subject);
	assert_non_null(p->text);
}

static void
test_plain(void **state)
{
	struct mime_parsed p;

	parse_str("From: \"Ann Example\" <Ann@Example.COM>\r\n"
	    "To: help@tame.test, Bob <BOB@x.org>\r\n"
	    "Cc: carl@x.org\r\n"
	    "Reply-To: <Replies@Example.com>\r\n"
	    "Subject: Printer on fire\r\n"
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
	    "Message-ID: <abc.123@example.com>\r\n"
	    "\r\n"
	    "Hello,\r\nit burns.\r\n", &p);
	assert_int_equal(p.unparsed, 0);
	assert_string_equal(p.message_id, "abc.123@example.com");
	assert_string_equal(p.subject, "Printer on fire");
	assert_string_equal(p.from_email, "ann@example.com");
	assert_string_equal(p.from_name, "Ann Example");
	assert_string_equal(p.reply_to, "replies@example.com");
	assert_int_equal(p.nto, 2);
	assert_string_equal(p.to[0], "help@tame.test");
	assert_string_equal(p.to[1], "bob@x.org");
	assert_int_equal(p.ncc, 1);
	assert_string_equal(p.cc[0], "carl@x.org");
	assert_true(p.date_ms == INT64_C(1795428000000));
	assert_string_equal(p.text, "Hello,\nit burns.\n");
	assert_null(p.html);
	assert_int_equal(p.natt, 0);
	assert_int_equal(p.auto_submitted, 0);
	assert_int_equal(p.is_dsn, 0);
	mime_parsed_free(&p);
}

static void
test_rfc2047(void **state)
{
	struct mime_parsed p;

	parse_str("From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\n"
	    "Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\n"
	    "Message-ID: <x@y>\n\nbody\n", &p);
	assert_string_equal(p.subject, "Caf\xc3\xa9 cr\xc3\xa8me");
	assert_string_equal(p.from_name, "Andr\xc3\xa9");
	mime_parsed_free(&p);

	/* "Grüße aus Köln" in UTF-8 base64 */
	parse_str("From: a@b.c\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\n"
	    "\nbody\n", &p);
	assert_string_equal(p.subject, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
	mime_parsed_free(&p);
}

static void
test_latin1_body(void **state)
{
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: x\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "Ol\xe9, se\xf1or\n", &p);
	assert_string_equal(p.text, "Ol\xc3\xa9, se\xc3\xb1or\n");
	mime_parsed_free(&p);

	/* 8-bit header without any declaration: Latin-1 fallback. */
	parse_str("From: a@b.c\nSubject: R\xe9sum\xe9\n\nx\n", &p);
	assert_string_equal(p.subject, "R\xc3\xa9sum\xc3\xa9");
	mime_parsed_free(&p);

	/* raw UTF-8 header is kept as UTF-8 */
	parse_str("From: a@b.c\nSubject: R\xc3\xa9sum\xc3\xa9\n\nx\n", &p);
	assert_string_equal(p.subject, "R\xc3\xa9sum\xc3\xa9");
	mime_parsed_free(&p);
}

static void
test_unknown_charset(void **state)
{
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: =?x-klingon?Q?qapla=E9?=\n"
	    "Content-Type: text/plain; charset=x-klingon\n\n"
	    "Hello \xe9t\xe9\n", &p);
	assert_int_equal(p.unparsed, 0);
	assert_non_null(strstr(p.text, "Hello"));
	assert_non_null(strstr(p.text, "\xc3\xa9t\xc3\xa9"));
	assert_non_null(strstr(p.subject, "qapla"));
	mime_parsed_free(&p);
}

static const char alternative[] =
    "From: a@b.c\nSubject: alt\nMIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"XX\"\n\n"
    "--XX\nContent-Type: text/plain; charset=utf-8\n\nplain version\n"
    "--XX\nContent-Type: text/html; charset=utf-8\n\n"
    "<html><head><style>p{}</style></head><body><p onclick=\"x()\">"
    "html <b>version</b></p><script>alert(1)</script></body></html>\n"
    "--XX--\n";

static void
test_alternative(void **state)
{
	struct mime_parsed p;

	parse_str(alternative, &p);
	assert_string_equal(p.text, "plain version");
	assert_non_null(p.html);
	assert_non_null(strstr(p.html, "<p>html <b>version</b></p>"));
	assert_null(strstr(p.html, "script"));
	assert_null(strstr(p.html, "onclick"));
	assert_null(strstr(p.html, "p{}"));
	assert_int_equal(p.natt, 0);
	mime_parsed_free(&p);
}

static void
test_html_only(void **state)
{
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: h\nContent-Type: text/html\n\n"
	    "<p>First &amp; one</p><p>Second<br>line</p>"
	    "<script>bad()</script>\n", &p);
	assert_string_equal(p.text, "First & one\n\nSecond\nline");
	assert_non_null(p.html);
	mime_parsed_free(&p);
}

/* A text part that only says to read the HTML (a shop's or a CRM's
 * stub) gives way to the HTML's text, which was in no preview and no
 * search; a short text stays beside HTML that says little more, that
 * says the same with a signature, or that is not its alternative. */
static void
test_html_with_stub_text(void **state)
{
	struct mime_parsed p;
	char raw[4096];
	const char *fmt = "From: a@b.c\nSubject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=XX\n\n"
	    "--XX\nContent-Type: text/plain; charset=utf-8\n\n%s\n"
	    "--XX\nContent-Type: text/html; charset=utf-8\n\n%s\n--XX--\n";

	snprintf(raw, sizeof(raw), fmt, "This is an HTML message. Please use "
	    "an HTML capable mail program to read it.", "<html><body><p>My "
	    "invoice INV-STUB-8812 shows the wrong VAT number. The order was "
	    "placed on the 3rd and paid the same day by card; the invoice "
	    "still says unpaid and the reminder came today. Could you send "
	    "a corrected invoice with our VAT number DE123456789?</p>"
	    "<p>Regards, Wobble Gaskets Ltd</p></body></html>");
	parse_str(raw, &p);
	assert_non_null(strstr(p.text, "INV-STUB-8812"));
	assert_null(strstr(p.text, "HTML capable"));
	mime_parsed_free(&p);

	snprintf(raw, sizeof(raw), fmt, "Thanks, that worked!",
	    "<html><head><style>p { margin: 0; font-family: Calibri, "
	    "Arial, sans-serif; font-size: 11pt; color: #1f1f1f; }</style>"
	    "</head><body><div dir=\"ltr\"><p>Thanks, that "
	    "<b>worked</b>!</p></div></body></html>");
	parse_str(raw, &p);
	assert_string_equal(p.text, "Thanks, that worked!");
	mime_parsed_free(&p);

	/* the same words with a long signature in the HTML alone */
	snprintf(raw, sizeof(raw), fmt, "Thanks, that worked!",
	    "<p>Thanks, that worked!</p><p>Jane Doe | Head of Operations | "
	    "Wobble Gaskets Ltd | 12 Harbour Road, Leith | +44 131 496 0000 "
	    "| This e-mail and any attachments are confidential and may be "
	    "privileged. If you are not the intended recipient, please tell "
	    "the sender and delete it.</p>");
	parse_str(raw, &p);
	assert_string_equal(p.text, "Thanks, that worked!");
	mime_parsed_free(&p);

	/* a note with an HTML part beside it, not its alternative */
	parse_str("From: a@b.c\nSubject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=XX\n\n"
	    "--XX\nContent-Type: text/plain\n\nSee the page below.\n"
	    "--XX\nContent-Type: text/html\nContent-Disposition: inline\n\n"
	    "<p>Order confirmation 5521: two gaskets, one pump, shipped to "
	    "Leith on Monday by courier; the invoice follows by post within "
	    "the week. Thank you for shopping with us.</p>\n--XX--\n", &p);
	assert_string_equal(p.text, "See the page below.");
	mime_parsed_free(&p);
}

/* Base64 words cut at character boundaries, each with its padding, as
 * Japanese and Russian mailers write them: GMime alone read up to the
 * first padding ("Пр"); the whole text is read, in the subject (folded),
 * a name and a file name. A body that quotes such words is left as it
 * is. "Привет" is 0J/RgA== (Пр) and 0LjQstC10YI= (ивет). */
static void
test_rfc2047_padding_inside(void **state)
{
#define PRIVET "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
	struct mime_parsed p;

	parse_str("From: =?UTF-8?B?0J/RgA==?= =?utf-8?b?0LjQstC10YI=?= <a@b.c>\n"
	    "Subject: =?UTF-8?B?0J/RgA==?=\r\n =?UTF-8?B?0LjQstC10YI=?= and"
	    " =?UTF-8?B?0J/RgA==?=\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/plain; charset=us-ascii\n\n"
	    "quoted: =?UTF-8?B?0J/RgA==?= =?UTF-8?B?0LjQstC10YI=?=\n"
	    "--b1\nContent-Type: application/pdf\n"
	    "Content-Disposition: attachment; filename=\"=?UTF-8?B?0J/RgA==?="
	    "\n =?UTF-8?B?0LjQsg==?= =?UTF-8?B?0LU=?= =?UTF-8?B?0YIucGRm?=\"\n"
	    "\nJVBERi0=\n--b1--\n", &p);
	assert_string_equal(p.subject, PRIVET " and \xd0\x9f\xd1\x80");
	assert_string_equal(p.from_name, PRIVET);
	assert_string_equal(p.text,
	    "quoted: =?UTF-8?B?0J/RgA==?= =?UTF-8?B?0LjQstC10YI=?=");
	assert_int_equal(p.natt, 1);
	assert_string_equal(p.att[0].filename, PRIVET ".pdf");
	mime_parsed_free(&p);
	/* ... also after a signature's "-- " in a plain body */
	parse_str("From: a@b.c\nSubject: s\n\nhi\n-- \n"
	    "=?UTF-8?B?0J/RgA==?= =?UTF-8?B?0LjQstC10YI=?=\n", &p);
	assert_non_null(strstr(p.text,
	    "=?UTF-8?B?0J/RgA==?= =?UTF-8?B?0LjQstC10YI=?="));
	mime_parsed_free(&p);
	/* a run without inner padding, and Q words, read as before */
	parse_str("From: a@b.c\nSubject: =?UTF-8?B?0J/RgNC4?= =?UTF-8?B?0LLQtdGC?="
	    " =?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=\n\nbody\n", &p);
	assert_string_equal(p.subject, PRIVET "caf\xc3\xa9");
	mime_parsed_free(&p);
#undef PRIVET
}

/* Japanese mail from Windows: ISO-2022-JP holding Microsoft's additions
 * (㈱ is row 13, which iconv's ISO-2022-JP refuses) is read as CP932,
 * in the body and in an encoded subject; plain ISO-2022-JP as before. */
static void
test_iso2022jp_microsoft_additions(void **state)
{
#define KK "\xe3\x88\xb1\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe"
#define HELLO "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: =?ISO-2022-JP?B?GyRCLWozdDwwMnE8UhsoQg==?="
	    "\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ISO-2022-JP\n\n"
	    "\x1b$B-j3t<02q<R\x1b(B\n", &p);
	assert_string_equal(p.subject, KK);
	assert_string_equal(p.text, KK "\n");
	mime_parsed_free(&p);
	parse_str("From: a@b.c\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?="
	    "\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=iso-2022-jp\n\n"
	    "\x1b$B$3$s$K$A$O\x1b(B\n", &p);
	assert_string_equal(p.subject, HELLO);
	assert_string_equal(p.text, HELLO "\n");
	mime_parsed_free(&p);
#undef KK
#undef HELLO
}

static void
test_attachment(void **state)
{
	static const unsigned char png[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0x00, 0xff, 0x10,
	};
	struct mime_parsed p;

	/* base64 of the bytes above: iVBORw0KGgoA/xA= */
	parse_str("From: a@b.c\nSubject: att\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/plain\n\nsee attached\n"
	    "--b1\nContent-Type: image/PNG; name=\"x.png\"\n"
	    "Content-Disposition: attachment; filename=\"../etc/x.png\"\n"
	    "Content-Transfer-Encoding: base64\n\niVBORw0K\nGgoA/xA=\n"
	    "--b1\nContent-Type: image/gif\nContent-ID: <img1@here>\n"
	    "Content-Transfer-Encoding: base64\n\nR0lGODlh\n"
	    "--b1--\n", &p);
	assert_string_equal(p.text, "see attached");
	assert_int_equal(p.natt, 2);
	assert_string_equal(p.att[0].content_type, "image/png");
	assert_string_equal(p.att[0].filename, "x.png");
	assert_int_equal(p.att[0].len, sizeof(png));
	assert_memory_equal(p.att[0].data, png, sizeof(png));
	assert_int_equal(p.att[0].is_inline, 0);
	assert_null(p.att[0].content_id);
	assert_string_equal(p.att[1].content_type, "image/gif");
	assert_string_equal(p.att[1].filename, "image.gif");
	assert_string_equal(p.att[1].content_id, "img1@here");
	assert_int_equal(p.att[1].is_inline, 1);
	assert_int_equal(p.att[1].len, 6);
	assert_memory_equal(p.att[1].data, "GIF89a", 6);
	mime_parsed_free(&p);

	/* a right-to-left override would show "invoice<RLO>fdp.exe" as
	 * "invoiceexe.pdf": bidi controls become "_", other letters stay */
	parse_str("From: a@b.c\nSubject: att\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/plain\n\nsee attached\n"
	    "--b1\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment;"
	    " filename*=utf-8''invoice%E2%80%AEfdp%E2%81%A6.exe\n\nMZ\n"
	    "--b1\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment;"
	    " filename*=utf-8''%D8%B9%D8%B1%D8%A8%D9%8A.txt\n\nx\n"
	    "--b1--\n", &p);
	assert_int_equal(p.natt, 2);
	assert_string_equal(p.att[0].filename, "invoice_fdp_.exe");
	assert_string_equal(p.att[1].filename,
	    "\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a.txt");
	mime_parsed_free(&p);

	/* in a name "<RLO>Alice" shows as "ecilA": the controls are left
	 * out, and a name of nothing else is none */
	parse_str("From: =?utf-8?Q?=E2=80=AEAlice_=E2=81=A7B=E2=81=A9?= <a@b.c>\n"
	    "Reply-To: =?utf-8?Q?=E2=80=AE_=E2=80=AC?= <r@b.c>\n"
	    "Subject: x\n\nx\n", &p);
	assert_string_equal(p.from_name, "Alice B");
	assert_string_equal(p.reply_to, "r@b.c");
	assert_null(p.reply_to_name);
	mime_parsed_free(&p);

	/* in an address, "<RLO>moc.elpmaxe@oec" shows as ceo@example.com:
	 * each becomes U+FFFD in every address, which keeps its other
	 * characters (left out, "ceo@exam<LRM>ple.com" would be the real
	 * ceo@example.com); GMime's header scan reads the raw UTF-8 */
	parse_str("From: <\xe2\x80\xaemoc.elpmaxe@oec>\n"
	    "To: <\xe2\x81\xa6to@b.c\xe2\x81\xa9>\n"
	    "Cc: <\xe2\x80\x8f" "cc@b.c>, <ceo@exam\xe2\x80\x8eple.com>\n"
	    "Reply-To: <\xd8\x9c" "r@b.c>\nSubject: x\n\nx\n", &p);
	assert_string_equal(p.from_email, "\xef\xbf\xbdmoc.elpmaxe@oec");
	assert_int_equal(p.nto, 1);
	assert_string_equal(p.to[0], "\xef\xbf\xbdto@b.c\xef\xbf\xbd");
	assert_int_equal(p.ncc, 2);
	assert_string_equal(p.cc[0], "\xef\xbf\xbd" "cc@b.c");
	assert_string_equal(p.cc[1], "ceo@exam\xef\xbf\xbdple.com");
	assert_string_equal(p.reply_to, "\xef\xbf\xbdr@b.c");
	mime_parsed_free(&p);
}

/* Apple Mail writes a picture between two paragraphs as mixed parts:
 * html, image, html. The html parts are joined, the picture in its
 * place (by its Content-ID, or one made up when it has none); text/plain
 * parts after the body's are joined to its text (and shown in the
 * html), as iPhone writes text, photo, text. Pictures after the last
 * html part (a multipart/related body's) add nothing to the html. */
static void
test_second_text_parts_kept(void **state)
{
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: two\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/html\n\n<p>first</p>\n"
	    "--b1\nContent-Type: image/png\nContent-Disposition: inline;"
	    " filename=IMG_0001.png\n"
	    "Content-ID: <pic1@mac>\nContent-Transfer-Encoding: base64\n\n"
	    "iVBORw0KGgo=\n"
	    "--b1\nContent-Type: text/html\n\n<p>second</p>\n"
	    "--b1\nContent-Type: text/plain\n\nplain one\n"
	    "--b1\nContent-Type: text/plain\n\n\nplain <two>\n"
	    "--b1--\n", &p);
	assert_non_null(strstr(p.html, "first"));
	assert_non_null(strstr(p.html, "second"));
	assert_true(strstr(p.html, "first") < strstr(p.html, "cid:pic1@mac"));
	assert_true(strstr(p.html, "cid:pic1@mac") < strstr(p.html, "second"));
	assert_true(strstr(p.html, "second") < strstr(p.html,
	    "plain &lt;two&gt;"));
	assert_string_equal(p.text, "plain one\n\nplain <two>");
	assert_int_equal(p.natt, 1);
	assert_string_equal(p.att[0].content_type, "image/png");
	mime_parsed_free(&p);

	/* iPhone: text, a photo without Content-ID, text; no html */
	parse_str("From: a@b.c\nSubject: photo\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/plain\n\nHere is what arrived:\n\n"
	    "--b1\nContent-Type: image/jpeg\nContent-Disposition: inline;"
	    " filename=IMG_1.jpg\nContent-Transfer-Encoding: base64\n\n"
	    "/9j/4AAQ\n"
	    "--b1\nContent-Type: text/plain\n\n\nI ordered the blue one."
	    "\n\nSent from my iPhone\n"
	    "--b1--\n", &p);
	assert_string_equal(p.text, "Here is what arrived:\n\n"
	    "I ordered the blue one.\n\nSent from my iPhone");
	assert_int_equal(p.natt, 1);
	assert_string_equal(p.att[0].filename, "IMG_1.jpg");
	assert_null(p.att[0].content_id);
	assert_int_equal(p.att[0].is_inline, 0);
	mime_parsed_free(&p);

	/* Outlook's plain text marks an inline picture "[cid:...]" */
	parse_str("From: a@b.c\nSubject: logo\n\nSee[cid:image001.png@01DA5B"
	    ".C1D2E3F0] here [cid: not one]\n", &p);
	assert_string_equal(p.text, "See here [cid: not one]\n");
	mime_parsed_free(&p);

	/* Apple Mail: html, a named picture without Content-ID, html;
	 * an alternative's second text part stays an attachment */
	parse_str("From: a@b.c\nSubject: apple\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=a1\n\n"
	    "--a1\nContent-Type: text/plain\n\nall of it\n"
	    "--a1\nContent-Type: text/plain; charset=utf-8\n\nagain\n"
	    "--a1\nContent-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/html\n\n<p>one</p>\n"
	    "--b1\nContent-Type: image/jpeg\nContent-Disposition: inline;"
	    " filename=IMG_0042.jpeg\nContent-Transfer-Encoding: base64\n\n"
	    "/9j/4AAQ\n"
	    "--b1\nContent-Type: text/html\n\n<p>two</p>\n"
	    "--b1--\n--a1--\n", &p);
	assert_string_equal(p.text, "all of it");
	assert_int_equal(p.natt, 2);
	assert_string_equal(p.att[0].content_type, "text/plain");
	assert_string_equal(p.att[0].filename, "attachment.txt");
	assert_string_equal(p.att[1].filename, "IMG_0042.jpeg");
	assert_non_null(p.att[1].content_id);
	assert_int_equal(p.att[1].is_inline, 1);
	{
		char ref[300];

		snprintf(ref, sizeof(ref), "cid:%s", p.att[1].content_id);
		assert_non_null(strstr(p.html, ref));
		assert_true(strstr(p.html, "one") < strstr(p.html, ref));
		assert_true(strstr(p.html, ref) < strstr(p.html, "two"));
	}
	mime_parsed_free(&p);

	parse_str("From: a@b.c\nSubject: related\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/related; boundary=b1\n\n"
	    "--b1\nContent-Type: text/html\n\n<p>logo: <img src=cid:l@x></p>\n"
	    "--b1\nContent-Type: image/png\nContent-ID: <l@x>\n"
	    "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
	    "--b1--\n", &p);
	assert_null(strstr(strstr(p.html, "cid:l@x") + 1, "cid:l@x"));
	mime_parsed_free(&p);

	/* a footer a list server adds after a related body: joined, and
	 * the body's picture is not shown a second time */
	parse_str("From: a@b.c\nSubject: footer\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=m1\n\n"
	    "--m1\nContent-Type: multipart/alternative; boundary=a1\n\n"
	    "--a1\nContent-Type: text/plain\n\nsee the logo\n"
	    "--a1\nContent-Type: multipart/related; boundary=b1\n\n"
	    "--b1\nContent-Type: text/html\n\n<p>see <img src=cid:l@x></p>\n"
	    "--b1\nContent-Type: image/png\nContent-ID: <l@x>\n"
	    "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
	    "--b1--\n--a1--\n"
	    "--m1\nContent-Type: text/plain\n\nThe list footer\n"
	    "--m1--\n", &p);
	assert_null(strstr(strstr(p.html, "cid:l@x") + 1, "cid:l@x"));
	assert_non_null(strstr(p.html, "The list footer"));
	mime_parsed_free(&p);
}

/* A long text part after the body (a log pasted as a part without a
 * name) stays a file, whole; a name with a "/" that is no path keeps
 * it (as "_"), a Windows path its last part. */
static void
test_long_text_part_and_names(void **state)
{
	struct mime_parsed p;
	char *raw, *log;
	size_t n = 100 * 1024;

	log = malloc(n + 1);
	assert_non_null(log);
	memset(log, 'x', n);
	for (size_t i = 99; i < n; i += 100)
		log[i] = '\n';
	log[n] = '\0';
	assert_true(asprintf(&raw, "From: a@b.c\nSubject: log\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m1\n\n"
	    "--m1\nContent-Type: text/plain\n\nThe log:\n"
	    "--m1\nContent-Type: text/plain\n\n%s\n"
	    "--m1\nContent-Type: application/pdf\nContent-Disposition: "
	    "attachment; filename=\"Rechnung 03/2024.pdf\"\n\n%%PDF\n"
	    "--m1\nContent-Type: application/pdf\nContent-Disposition: "
	    "attachment; filename=\"C:\\\\Users\\\\ann\\\\a.pdf\"\n\n%%PDF\n"
	    "--m1--\n", log) > 0);
	parse_str(raw, &p);
	assert_string_equal(p.text, "The log:");
	assert_int_equal(p.natt, 3);
	assert_string_equal(p.att[0].filename, "attachment.txt");
	assert_true(p.att[0].len >= n);
	assert_string_equal(p.att[1].filename, "Rechnung 03_2024.pdf");
	assert_string_equal(p.att[2].filename, "a.pdf");
	mime_parsed_free(&p);
	free(raw);
	free(log);
}

/* Labels read with the larger table mail programs write under them:
 * windows-1252 as Latin-1 (body, encoded word, raw 8-bit header),
 * CP932 as Shift_JIS, CP949 as ks_c_5601-1987; an HTML part's charset
 * named only in its <meta>. */
static void
test_charset_supersets(void **state)
{
	struct mime_parsed p;

	parse_str("From: =?iso-8859-1?Q?Ren=E9_=93Bob=94?= <r@x.org>\n"
	    "Subject: =?iso-8859-1?Q?It=92s_broken_=96_again?=\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n\n"
	    "\x93Hello\x94 \x80" "5\n", &p);
	assert_string_equal(p.subject, "It\xe2\x80\x99s broken \xe2\x80\x93 again");
	assert_string_equal(p.from_name, "Ren\xc3\xa9 \xe2\x80\x9c" "Bob"
	    "\xe2\x80\x9d");
	assert_string_equal(p.text, "\xe2\x80\x9cHello\xe2\x80\x9d \xe2\x82\xac" "5\n");
	mime_parsed_free(&p);

	parse_str("From: a@b.c\nSubject: It\x92s caf\xe9\n\nx\n", &p);
	assert_string_equal(p.subject, "It\xe2\x80\x99s caf\xc3\xa9");
	mime_parsed_free(&p);

	/* ① (CP932 0x8740) and 髙 (0xFBFC) under a Shift_JIS label */
	parse_str("From: a@b.c\nSubject: =?shift_jis?B?h0A=?=\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=Shift_JIS\n\n"
	    "\x87\x40\xfb\xfc\n", &p);
	assert_string_equal(p.subject, "\xe2\x91\xa0");
	assert_string_equal(p.text, "\xe2\x91\xa0\xe9\xab\x99\n");
	mime_parsed_free(&p);

	/* 똠 is CP949 0x8C63, outside EUC-KR */
	parse_str("From: a@b.c\nSubject: =?ks_c_5601-1987?B?jGM=?=\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=ks_c_5601-1987\n\n"
	    "\x8c\x63\n", &p);
	assert_string_equal(p.subject, "\xeb\x98\xa0");
	assert_string_equal(p.text, "\xeb\x98\xa0\n");
	mime_parsed_free(&p);

	/* "Привет" in windows-1251, named only by the <meta> */
	parse_str("From: a@b.c\nSubject: meta\nMIME-Version: 1.0\n"
	    "Content-Type: text/html\n\n"
	    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html;"
	    " charset=windows-1251\"></head><body><p>\xcf\xf0\xe8\xe2\xe5\xf2"
	    "</p></body></html>\n", &p);
	assert_non_null(strstr(p.html, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
	    "\xd0\xb5\xd1\x82"));
	mime_parsed_free(&p);
}

/* format=flowed (RFC 3676): lines ending in a space go on; DelSp=yes
 * takes that space off; stuffing is taken off; quotes keep "> ". */
static void
test_format_flowed(void **state)
{
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: f\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
	    "This paragraph was \nwrapped by the \nsender.\n"
	    " From here on, stuffed.\n"
	    "\n"
	    ">quoted and \n>wrapped\n"
	    ">>deeper\n"
	    "-- \n"
	    "Ann\n", &p);
	assert_string_equal(p.text, "This paragraph was wrapped by the sender.\n"
	    "From here on, stuffed.\n\n> quoted and wrapped\n>> deeper\n"
	    "-- \nAnn\n");
	mime_parsed_free(&p);

	parse_str("From: a@b.c\nSubject: f\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n"
	    "https://x.test/reset?token=abc&user= \nkenji does not open.\n",
	    &p);
	assert_string_equal(p.text,
	    "https://x.test/reset?token=abc&user=kenji does not open.\n");
	mime_parsed_free(&p);
}

static void
test_nested_message(void **state)
{
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: Fwd\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/plain\n\nforwarding\n"
	    "--b1\nContent-Type: message/rfc822\n\n"
	    "From: inner@x.org\nSubject: inner subject\n"
	    "Message-ID: <inner@x.org>\n\ninner body text\n"
	    "--b1--\n", &p);
	assert_string_equal(p.text, "forwarding");
	assert_string_equal(p.subject, "Fwd");
	assert_int_equal(p.natt, 1);
	assert_string_equal(p.att[0].filename, "message.eml");
	assert_string_equal(p.att[0].content_type, "message/rfc822");
	assert_non_null(memmem(p.att[0].data, p.att[0].len,
	    "inner subject", 13));
	assert_non_null(memmem(p.att[0].data, p.att[0].len,
	    "inner body text", 15));
	assert_int_equal(p.is_dsn, 0);
	mime_parsed_free(&p);
}

static void
test_missing_and_duplicate_ids(void **state)
{
	struct mime_parsed p;
	char first[128];

	/* no Message-ID: with a Date, one made from the content, the same
	 * whatever trace headers came before it, with CRLF or LF and
	 * however many line breaks at the end; another for other content */
	parse_str("From: a@b.c\nDate: Thu, 3 Dec 2026 10:00:00 +0000\n"
	    "Subject: none\n\nno id\n", &p);
	assert_non_null(p.message_id);
	assert_int_equal(strlen(p.message_id), 32 +
	    strlen(MIME_CONTENT_ID_AT));
	assert_string_equal(p.message_id + 32, MIME_CONTENT_ID_AT);
	assert_int_equal(p.unparsed, 0);
	snprintf(first, sizeof(first), "%s", p.message_id);
	mime_parsed_free(&p);
	parse_str("Return-Path: <a@b.c>\r\n"
	    "Received: from x by y;\r\n\tThu, 3 Dec 2026 10:00:00 +0000\r\n"
	    "From: a@b.c\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\n"
	    "Subject: none\r\n\r\nno id\r\n\r\n", &p);
	assert_string_equal(p.message_id, first);
	mime_parsed_free(&p);
	parse_str("From: a@b.c\nDate: Thu, 3 Dec 2026 10:00:00 +0000\n"
	    "Subject: none\n\nno id either\n", &p);
	assert_string_not_equal(p.message_id, first);
	mime_parsed_free(&p);
	/* without a Date the same bytes may be a script's second alert:
	 * no id, so each is stored */
	parse_str("From: a@b.c\nSubject: disk full\n\ndisk full\n", &p);
	assert_null(p.message_id);
	mime_parsed_free(&p);

	/* an empty Message-ID is none; the next one counts */
	parse_str("From: a@b.c\nMessage-ID: <>\nMessage-ID: <two@x>\n"
	    "In-Reply-To: <p1@x> <p2@x>\n"
	    "References: <r1@x>\n <r2@x>\t<r3@x>\n\nbody\n", &p);
	assert_string_equal(p.message_id, "two@x");
	assert_string_equal(p.in_reply_to, "p1@x");
	assert_int_equal(p.nreferences, 3);
	assert_string_equal(p.references[0], "r1@x");
	assert_string_equal(p.references[2], "r3@x");
	mime_parsed_free(&p);
}

static void
test_references_newest_kept(void **state)
{
	struct mime_parsed p;
	char raw[8192], *w = raw;
	int i;

	w += snprintf(w, 100, "From: a@b.c\nReferences:");
	for (i = 0; i < TAME_REFERENCES_MAX + 10; i++)
		w += snprintf(w, 100, " <r%d@x>", i);
	snprintf(w, 100, "\n\nbody\n");
	parse_str(raw, &p);
	assert_int_equal(p.nreferences, TAME_REFERENCES_MAX);
	assert_string_equal(p.references[0], "r10@x");
	snprintf(raw, sizeof(raw), "r%d@x", TAME_REFERENCES_MAX + 9);
	assert_string_equal(p.references[TAME_REFERENCES_MAX - 1], raw);
	mime_parsed_free(&p);
}

static const char dsn[] =
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
    "To: help@tame.test\nSubject: Undelivered Mail Returned to Sender\n"
    "Message-ID: <bounce1@mx.example.org>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"RB\"\n\n"
    "--RB\nContent-Type: text/plain\n\nI'm sorry to have to inform you...\n"
    "--RB\nContent-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.org\n\n"
    "Final-Recipient: rfc822; gone@example.com\nAction: failed\n"
    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <gone@example.com>:\n"
    "    Recipient address rejected\n\n"
    "--RB\nContent-Type: message/rfc822\n\n"
    "From: help@tame.test\nTo: gone@example.com\nSubject: Re: ticket\n"
    "Message-ID: <reply-42@tame.test>\n\nour reply\n"
    "--RB--\n";

static void
test_dsn(void **state)
{
	struct mime_parsed p;

	parse_str(dsn, &p);
	assert_int_equal(p.is_dsn, 1);
	assert_int_equal(p.dsn_failed, 1);
	assert_int_equal(p.auto_submitted, 1);
	assert_string_equal(p.dsn_original_id, "reply-42@tame.test");
	assert_non_null(p.dsn_diagnostic);
	assert_non_null(strstr(p.dsn_diagnostic, "5.1.1"));
	assert_non_null(strstr(p.dsn_diagnostic, "Recipient address rejected"));
	assert_string_equal(p.message_id, "bounce1@mx.example.org");
	assert_non_null(strstr(p.text, "sorry"));
	mime_parsed_free(&p);
}

static void
test_dsn_headers_only_and_lenient(void **state)
{
	struct mime_parsed p;

	parse_str("From: postmaster@mx.example.org\nSubject: bounce\n"
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=RB\n\n"
	    "--RB\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; x@y\nAction: delayed\nStatus: 4.4.1\n\n"
	    "--RB\nContent-Type: text/rfc822-headers\n\n"
	    "From: help@tame.test\nMessage-ID: <orig-7@tame.test>\n"
	    "--RB--\n", &p);
	assert_int_equal(p.is_dsn, 1);
	assert_int_equal(p.dsn_failed, 0);
	assert_string_equal(p.dsn_original_id, "orig-7@tame.test");
	assert_string_equal(p.dsn_diagnostic, "4.4.1");
	mime_parsed_free(&p);

	parse_str("From: MAILER-DAEMON@old.example\nSubject: failure notice\n"
	    "Message-ID: <own@old.example>\n\n"
	    "Hi. This is the qmail-send program.\n\n"
	    "--- Below this line is a copy of the message.\n\n"
	    "From: help@tame.test\nMessage-ID: <orig-9@tame.test>\n", &p);
	assert_int_equal(p.is_dsn, 1);
	assert_int_equal(p.dsn_failed, 1);
	assert_string_equal(p.dsn_original_id, "orig-9@tame.test");
	mime_parsed_free(&p);
}

static void
check_auto(const char *header, int expect)
{
	struct mime_parsed p;
	char raw[512];

	snprintf(raw, sizeof(raw), "From: someone@example.com\n%s"
	    "Subject: x\n\nbody\n", header);
	parse_str(raw, &p);
	if (p.auto_submitted != expect)
		fail_msg("auto_submitted %d for \"%s\"", p.auto_submitted,
		    header);
	mime_parsed_free(&p);
}

static void
test_auto_submitted(void **state)
{
	check_auto("", 0);
	check_auto("Auto-Submitted: no\n", 0);
	check_auto("Auto-Submitted: auto-replied\n", 1);
	check_auto("Auto-Submitted: auto-generated; owner=x\n", 1);
	check_auto("Precedence: bulk\n", 1);
	check_auto("Precedence: junk\n", 1);
	check_auto("Precedence: list\n", 1);
	check_auto("Precedence: first-class\n", 0);
	check_auto("List-Id: <news.example.com>\n", 1);
	check_auto("List-Unsubscribe: <mailto:u@example.com>\n", 1);
	check_auto("X-Autoreply: yes\n", 1);
	check_auto("X-Autorespond: yes\n", 1);
	check_auto("Return-Path: <>\n", 1);
	check_auto("Return-Path: <MAILER-DAEMON@mx.example.com>\n", 1);
	check_auto("Return-Path: <someone@example.com>\n", 0);

	struct mime_parsed p;

	/* an out-of-office subject alone; a person's that starts alike */
	parse_str("From: a@example.com\nSubject: Automatic reply: Re: x "
	    "[#2]\n\nI am away.\n", &p);
	assert_int_equal(p.auto_submitted, 1);
	assert_int_equal(p.auto_reply, 1);
	mime_parsed_free(&p);
	parse_str("From: a@example.com\nSubject: Auto: insurance claim\n"
	    "\nMy car.\n", &p);
	assert_int_equal(p.auto_submitted, 0);
	mime_parsed_free(&p);
	/* the phrase on a new mail is a person's, on a reply a program's */
	parse_str("From: a@example.com\nSubject: Out of office: calendar "
	    "shows me away\n\nIt says so all week.\n", &p);
	assert_int_equal(p.auto_submitted, 0);
	assert_int_equal(p.auto_reply, 0);
	mime_parsed_free(&p);
	parse_str("From: a@example.com\nIn-Reply-To: <r1@tame.test>\n"
	    "Subject: Out of office: calendar shows me away\n\nAway.\n",
	    &p);
	assert_int_equal(p.auto_reply, 1);
	mime_parsed_free(&p);

	parse_str("From: Postmaster <postmaster@example.com>\n\nx\n", &p);
	assert_int_equal(p.auto_submitted, 1);
	mime_parsed_free(&p);
	parse_str("From: MAILER-DAEMON\n\nx\n", &p);
	assert_int_equal(p.auto_submitted, 1);
	mime_parsed_free(&p);
}

/* Parses "From: a@example.com" with headers and checks what it says of
 * who wrote it: list (only a list made it automatic), machine (a
 * program wrote it on its own), noans (no automatic answer). */
static void
check_kind(const char *headers, int list, int machine, int noans)
{
	struct mime_parsed p;
	char raw[512];

	snprintf(raw, sizeof(raw), "From: a@example.com\n%sSubject: x\n"
	    "\nbody\n", headers);
	parse_str(raw, &p);
	if (p.list_only != list || p.auto_reply != machine ||
	    p.no_autoreply != noans)
		fail_msg("list %d machine %d no answer %d for \"%s\"",
		    p.list_only, p.auto_reply, p.no_autoreply, headers);
	mime_parsed_free(&p);
}

/* What a program wrote by itself, and what only a list made automatic
 * (a person's words a group of ours may pass on), are told apart; so
 * are a person's wishes for no answer, and spam. */
static void
test_auto_kinds(void **state)
{
	struct mime_parsed p;

	parse_str("From: \"'Dana Kim' via Support\" <support@example.com>\n"
	    "Reply-To: Dana Kim <dana.k@bigcorp.example>\n"
	    "X-Original-Sender: Dana.K@BigCorp.example\n"
	    "List-ID: \"Support\" <Support.Example.COM>\n"
	    "Precedence: list\nSubject: Export\n\nbody\n", &p);
	assert_int_equal(p.auto_submitted, 1);
	assert_int_equal(p.asks_no_autoreply, 0);
	assert_string_equal(p.list_id, "support.example.com");
	assert_string_equal(p.original_sender, "dana.k@bigcorp.example");
	mime_parsed_free(&p);
	check_kind("Precedence: list\n", 1, 0, 1);
	check_kind("List-Unsubscribe: <mailto:u@example.com>\n", 1, 0, 1);
	/* a program's mail through a list is a program's: never answered,
	 * but only one that answers a mail on its own is quiet */
	check_kind("List-Id: <l.example.com>\nAuto-Submitted: "
	    "auto-generated\n", 0, 0, 1);
	check_kind("List-Id: <l.example.com>\nAuto-Submitted: "
	    "auto-replied\n", 0, 1, 1);
	check_kind("Precedence: bulk\n", 0, 0, 1);
	check_kind("Precedence: auto_reply\n", 0, 1, 1);
	check_kind("X-Autoreply: yes\n", 0, 1, 1);
	/* a person's "no" is believed over the rest of the headers */
	check_kind("Auto-Submitted: no\nPrecedence: bulk\n"
	    "X-Autoreply: yes\n", 0, 0, 0);
	/* spam by an upstream filter's word: a person's, never answered */
	check_kind("X-Spam-Status: Yes, score=9.1\n", 0, 0, 1);
	check_kind("X-Spam-Flag: YES\n", 0, 0, 1);
	check_kind("X-Spam-Flag: NO\nX-Spam-Status: No, score=0.1\n"
	    "X-Spam: Yesterday\n", 0, 0, 0);
}

static void
test_garbage(void **state)
{
	struct mime_parsed p;
	static const char nul[] = "From: a@b.c\nSub\0ject: x\n\nbo\0dy\n";
	unsigned char junk[4096];
	size_t i;

	memset(&p, 0, sizeof(p));
	assert_int_equal(mime_parse("", 0, &p), TAME_OK);
	assert_int_equal(p.unparsed, 1);
	assert_string_equal(p.subject, "");
	assert_string_equal(p.text, "");
	mime_parsed_free(&p);

	memset(&p, 0, sizeof(p));
	assert_int_equal(mime_parse(NULL, 0, &p), TAME_OK);
	mime_parsed_free(&p);

	memset(&p, 0, sizeof(p));
	assert_int_equal(mime_parse(nul, sizeof(nul) - 1, &p), TAME_OK);
	assert_non_null(p.subject);
	mime_parsed_free(&p);

	srand(42);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rand();
	memset(&p, 0, sizeof(p));
	assert_int_equal(mime_parse((char *)junk, sizeof(junk), &p), TAME_OK);
	assert_non_null(p.subject);
	assert_non_null(p.text);
	mime_parsed_free(&p);

	parse_str("\n\n\n", &p);
	mime_parsed_free(&p);
	parse_str("just one line, no header", &p);
	assert_null(p.from_email);
	mime_parsed_free(&p);
}

static void
test_long_header(void **state)
{
	struct mime_parsed p;
	size_t n = 100 * 1024, i;
	char *raw = malloc(n + 200), *w = raw;

	assert_non_null(raw);
	w += snprintf(w, 100, "From: a@b.c\nSubject: ");
	for (i = 0; i < n; i++)
		*w++ = (char)('a' + i % 26);
	w += snprintf(w, 100, "\nMessage-ID: <long@x>\n\nbody\n");
	memset(&p, 0, sizeof(p));
	assert_int_equal(mime_parse(raw, (size_t)(w - raw), &p), TAME_OK);
	assert_true(strlen(p.subject) <= TAME_SUBJECT_MAX);
	assert_true(strlen(p.subject) > 100);
	assert_string_equal(p.message_id, "long@x");
	assert_string_equal(p.text, "body\n");
	mime_parsed_free(&p);
	free(raw);
}

static void
test_subject_cut_utf8(void **state)
{
	struct mime_parsed p;
	char raw[4096], *w = raw;
	int i;

	w += snprintf(w, 100, "From: a@b.c\nSubject: x");
	for (i = 0; i < 600; i++)
		w += snprintf(w, 10, "\xc3\xa9");
	snprintf(w, 100, "\n\nbody\n");
	parse_str(raw, &p);
	/* 1 + 2 * 498 = 997 bytes: the 499th é would pass 998 */
	assert_int_equal(strlen(p.subject), 997);
	mime_parsed_free(&p);
}

static void
test_truncated_base64(void **state)
{
	struct mime_parsed p;

	parse_str("From: a@b.c\nSubject: t\n"
	    "Content-Type: multipart/mixed; boundary=b1\n\n"
	    "--b1\nContent-Type: text/plain\n\nhi\n"
	    "--b1\nContent-Type: application/octet-stream; name=f.bin\n"
	    "Content-Transfer-Encoding: base64\n\nSGVsbG8gV29ybG", &p);
	assert_int_equal(p.natt, 1);
	assert_true(p.att[0].len >= 8);
	assert_memory_equal(p.att[0].data, "Hello Wo", 8);
	mime_parsed_free(&p);

	/* broken boundary: never closed, wrong delimiter */
	parse_str("From: a@b.c\nContent-Type: multipart/mixed; boundary=zz\n\n"
	    "--yy\nContent-Type: text/plain\n\nlost\n", &p);
	mime_parsed_free(&p);
}

static void
test_compose_roundtrip(void **state)
{
	static const char *to[] = { "ann@example.com" };
	static const char *cc[] = { "bob@example.org" };
	static const unsigned char bin[] = { 0, 1, 2, 0xff, 'x' };
	struct mime_out_attachment att = {
		"r\xc3\xa9sum\xc3\xa9.bin", "application/octet-stream", bin,
		sizeof(bin),
	};
	struct mime_out m = {
		.from_email = "help@tame.test",
		.from_name = "Tame \xe2\x80\x94 Help",
		.to = to, .nto = 1, .cc = cc, .ncc = 1,
		.subject = "Re: Gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93\r\nBcc: evil@x",
		.message_id = "m1@tame.test",
		.in_reply_to = "orig@example.com",
		.references = "a@x  b@y orig@example.com",
		.text = "Hello \xc3\xa9\nsecond line\r\nthird\n",
		.html = "<p>Hello</p>",
		.auto_submitted = 1,
		.att = &att, .natt = 1,
		.date_ms = INT64_C(1795428000000),
	};
	struct mime_parsed p;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	assert_int_equal(mime_compose(&m, &b), TAME_OK);
	/* every line end is CRLF */
	for (i = 0; i < b.len; i++)
		if (b.data[i] == '\n')
			assert_true(i > 0 && b.data[i - 1] == '\r');
	assert_null(strstr(b.data, "\nBcc:"));
	assert_non_null(strstr(b.data, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(b.data, "Auto-Submitted: auto-replied\r\n"));

	memset(&p, 0, sizeof(p));
	assert_int_equal(mime_parse(b.data, b.len, &p), TAME_OK);
	assert_string_equal(p.subject,
	    "Re: Gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93  Bcc: evil@x");
	assert_string_equal(p.from_email, "help@tame.test");
	assert_string_equal(p.from_name, "Tame \xe2\x80\x94 Help");
	assert_string_equal(p.message_id, "m1@tame.test");
	assert_string_equal(p.in_reply_to, "orig@example.com");
	assert_int_equal(p.nreferences, 3);
	assert_string_equal(p.references[0], "a@x");
	assert_string_equal(p.references[2], "orig@example.com");
	assert_int_equal(p.nto, 1);
	assert_int_equal(p.ncc, 1);
	assert_true(p.date_ms == m.date_ms);
	assert_string_equal(p.text, "Hello \xc3\xa9\nsecond line\nthird\n");
	assert_non_null(p.html);
	assert_int_equal(p.auto_submitted, 1);
	assert_int_equal(p.natt, 1);
	assert_string_equal(p.att[0].filename, "r\xc3\xa9sum\xc3\xa9.bin");
	assert_int_equal(p.att[0].len, sizeof(bin));
	assert_memory_equal(p.att[0].data, bin, sizeof(bin));
	mime_parsed_free(&p);
	buf_free(&b);

	/* plain only: a single text/plain part */
	m.html = NULL;
	m.natt = 0;
	m.auto_submitted = 0;
	buf_init(&b, 1 << 20);
	assert_int_equal(mime_compose(&m, &b), TAME_OK);
	assert_non_null(strstr(b.data, "Content-Type: text/plain; charset=utf-8"));
	assert_non_null(strstr(b.data, "quoted-printable"));
	assert_null(strstr(b.data, "multipart"));
	assert_null(strstr(b.data, "Auto-Submitted"));
	buf_free(&b);
}

static void
test_compose_rejects(void **state)
{
	static const char *bad_to[] = { "a@b.c>\r\nBcc: x@y" };
	struct mime_out m = {
		.from_email = "help@tame.test", .to = bad_to, .nto = 1,
		.subject = "s", .message_id = "id@x", .text = "t",
	};
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(mime_compose(&m, &b), TAME_EINVAL);
	assert_int_equal(b.len, 0);
	m.nto = 0;
	m.message_id = "bad id>";
	assert_int_equal(mime_compose(&m, &b), TAME_EINVAL);
	buf_free(&b);
}

static void
test_message_id(void **state)
{
	char *a = mime_new_message_id("tame.test");
	char *b = mime_new_message_id("tame.test");
	char *c = mime_new_message_id("bad domain\r\n");

	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b);
	assert_non_null(strstr(a, "@tame.test"));
	assert_true(strlen(a) == 32 + strlen("@tame.test"));
	assert_non_null(strstr(c, "@localhost"));
	free(a);
	free(b);
	free(c);
}

/* mime_fingerprint: the same mail by another route or form, or with a
 * footer added, is the same; another Date is not, nor, without a Date,
 * another body. */
static void
test_fingerprint(void **state)
{
	static const char a[] = "Received: from x by y; Thu, 3 Dec 2026\r\n"
	    "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\nSubject: Scan\r\n"
	    "Message-ID: <f@x>\r\n\r\npage 1\r\n";
	/* LF, another relay's trace, Date folded, another Subject form */
	static const char b[] = "Received: from z by y; Thu, 3 Dec 2026\n"
	    " (more trace)\nSubject: =?utf-8?q?Scan?=\nDate: Thu,\n"
	    "  03 Dec 2026   10:00:00 +0000\nMessage-ID: <f@x>\n\n"
	    "page 1\n\n";
	static const char c[] = "Date: Thu, 03 Dec 2026 10:05:00 +0000\r\n"
	    "Message-ID: <f@x>\r\n\r\npage 1\r\n";
	/* the same Date with a list's footer: the same mail */
	static const char d[] = "Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
	    "Message-ID: <f@x>\r\n\r\npage 1\r\n--\r\nThe list\r\n";
	/* without a Date, the body tells */
	static const char e[] = "Message-ID: <f@x>\r\n\r\npage 1\r\n";
	static const char g[] = "Message-ID: <f@x>\n\npage 1\n";
	static const char k[] = "Message-ID: <f@x>\r\n\r\npage 2\r\n";
	unsigned char fa[MIME_FINGERPRINT_LEN], fb[MIME_FINGERPRINT_LEN];
	unsigned char fc[MIME_FINGERPRINT_LEN], fd[MIME_FINGERPRINT_LEN];
	unsigned char fe[MIME_FINGERPRINT_LEN], fg[MIME_FINGERPRINT_LEN];
	unsigned char fk[MIME_FINGERPRINT_LEN], fz[MIME_FINGERPRINT_LEN];

	(void)state;
	assert_int_equal(mime_fingerprint(a, sizeof(a) - 1, fa), TAME_OK);
	assert_int_equal(mime_fingerprint(b, sizeof(b) - 1, fb), TAME_OK);
	assert_int_equal(mime_fingerprint(c, sizeof(c) - 1, fc), TAME_OK);
	assert_int_equal(mime_fingerprint(d, sizeof(d) - 1, fd), TAME_OK);
	assert_int_equal(mime_fingerprint(e, sizeof(e) - 1, fe), TAME_OK);
	assert_int_equal(mime_fingerprint(g, sizeof(g) - 1, fg), TAME_OK);
	assert_int_equal(mime_fingerprint(k, sizeof(k) - 1, fk), TAME_OK);
	assert_int_equal(mime_fingerprint("", 0, fz), TAME_OK);
	assert_memory_equal(fa, fb, sizeof(fa));
	assert_memory_not_equal(fa, fc, sizeof(fa));
	assert_memory_equal(fa, fd, sizeof(fa));
	assert_memory_equal(fe, fg, sizeof(fa));
	assert_memory_not_equal(fe, fk, sizeof(fa));
	assert_memory_not_equal(fe, fz, sizeof(fa));
	assert_memory_not_equal(fa, fe, sizeof(fa));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_rfc2047_padding_inside),
		cmocka_unit_test(test_iso2022jp_microsoft_additions),
		cmocka_unit_test(test_latin1_body),
		cmocka_unit_test(test_unknown_charset),
		cmocka_unit_test(test_alternative),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_html_with_stub_text),
		cmocka_unit_test(test_attachment),
		cmocka_unit_test(test_second_text_parts_kept),
		cmocka_unit_test(test_long_text_part_and_names),
		cmocka_unit_test(test_charset_supersets),
		cmocka_unit_test(test_format_flowed),
		cmocka_unit_test(test_nested_message),
		cmocka_unit_test(test_missing_and_duplicate_ids),
		cmocka_unit_test(test_references_newest_kept),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_dsn_headers_only_and_lenient),
		cmocka_unit_test(test_auto_submitted),
		cmocka_unit_test(test_auto_kinds),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_subject_cut_utf8),
		cmocka_unit_test(test_truncated_base64),
		cmocka_unit_test(test_compose_roundtrip),
		cmocka_unit_test(test_compose_rejects),
		cmocka_unit_test(test_message_id),
	};

	mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
