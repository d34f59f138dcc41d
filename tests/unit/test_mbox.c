/*
 * test_mbox.c - splitting an mbox file and unquoting its messages
 * (src/core/mbox.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/mbox.h"

/* The messages of data as NUL-terminated copies, unquoted, in *out. */
static size_t
split(const char *data, char **out, size_t max)
{
	struct mbox_reader r;
	const char *m;
	size_t len, n = 0, ulen;
	char *u;

	mbox_open(&r, data, strlen(data));
	while (mbox_next(&r, &m, &len)) {
		assert_true(n < max);
		assert_int_equal(mbox_unquote(m, len, &u, &ulen), TAME_OK);
		assert_true(ulen <= len);
		out[n] = malloc(ulen + 1);
		assert_non_null(out[n]);
		memcpy(out[n], u, ulen);
		out[n][ulen] = '\0';
		free(u);
		n++;
	}
	return n;
}

static void
free_all(char **m, size_t n)
{
	while (n)
		free(m[--n]);
}

static void
test_mbox_split(void **state)
{
	const char *data =
	    "From alice@example.com Thu Jan  1 00:00:00 2026\n"
	    "Subject: one\n\nFrom the start of a line, unquoted.\n"
	    ">From here on, one level less.\n"
	    ">>From two levels, one less.\n"
	    "> From with a space is not a From line.\n"
	    "\n"
	    "From 9 to 5 with no date is no separator either.\n"
	    "\n"
	    "From bob@example.com Thu Jan  1 00:00:01 2026\n"
	    "Subject: two\n\nbody\n"
	    "From carol@example.com Thu Jan  1 00:00:02 +0000 2026\n"
	    "From: carol@example.com\n\nno newline at the end";
	char *m[8];
	size_t n;

	(void)state;
	assert_true(mbox_looks_like(data, strlen(data)));
	n = split(data, m, 8);
	/* a separator has a sender and a date; the empty line before it
	 * is the separator's */
	assert_int_equal(n, 3);
	assert_string_equal(m[0], "Subject: one\n\n"
	    "From the start of a line, unquoted.\n"
	    "From here on, one level less.\n"
	    ">From two levels, one less.\n"
	    "> From with a space is not a From line.\n"
	    "\n"
	    "From 9 to 5 with no date is no separator either.\n");
	assert_string_equal(m[1], "Subject: two\n\nbody\n");
	assert_string_equal(m[2], "From: carol@example.com\n\n"
	    "no newline at the end");
	free_all(m, n);
}

/* Separators one after the other, a file that is only a separator, CRLF
 * lines and an empty file. */
static void
test_mbox_edges(void **state)
{
	char *m[8];
	size_t n;

	(void)state;
	/* the line after a separator is the message's first, whatever it
	 * says: a message is never empty but at the end of the file */
	n = split("From a Jan 1 1:00 2026\nFrom b Jan 1 1:00 2026\nx\n"
	    "From c Jan 1 1:00 2026\n", m, 8);
	assert_int_equal(n, 2);
	assert_string_equal(m[0], "From b Jan 1 1:00 2026\nx\n");
	assert_string_equal(m[1], "");
	free_all(m, n);

	/* CRLF files: the empty line before a separator goes too, and the
	 * one at the end of the file; a date may come before the time */
	n = split("From a Jan 1 1:00 2026\r\nA: 1\r\n\r\nbody\r\n\r\n"
	    "From b 2026-01-01 10:00\r\nB: 2\r\n\r\n", m, 8);
	assert_int_equal(n, 2);
	assert_string_equal(m[0], "A: 1\r\n\r\nbody\r\n");
	assert_string_equal(m[1], "B: 2\r\n");
	free_all(m, n);

	/* a time and a year but no month: body text, not a separator */
	n = split("From a Jan 1 1:00 2026\nHi\n\n"
	    "From Alice at 9:30, 2024 budget talk.\n", m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0], "Hi\n\nFrom Alice at 9:30, 2024 budget "
	    "talk.\n");
	free_all(m, n);

	n = split("From a", m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0], "");
	free_all(m, n);

	n = split("From a\r\nSubject: crlf\r\n\r\n>From x\r\n", m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0], "Subject: crlf\r\n\r\nFrom x\r\n");
	free_all(m, n);

	n = split("", m, 8);
	assert_int_equal(n, 0);
	assert_false(mbox_looks_like("Received: x\n", 12));
	assert_false(mbox_looks_like("From", 4));
}

/* The separator line's date, for mail without a Date header, with the
 * zone Gmail writes before the year. */
static void
test_mbox_separator_time(void **state)
{
	static const char utc[] = "From a@b Thu Jan  1 00:00:00 2026\nX: y\n";
	static const char east[] = "From a@b Thu Jan 01 02:00:00 +0200 2026\n"
	    "X: y\n";
	static const char west[] = "From a@b Wed Dec 31 19:00:00 -0500 2025\r\n"
	    "X: y\n";
	static const char none[] = "From a@b sometime\nX: y\n";
	const char *m;

	(void)state;
	m = strchr(utc, '\n') + 1;
	assert_int_equal(mbox_separator_ms(utc, m), 1767225600000LL);
	m = strchr(east, '\n') + 1;
	assert_int_equal(mbox_separator_ms(east, m), 1767225600000LL);
	m = strchr(west, '\n') + 1;
	assert_int_equal(mbox_separator_ms(west, m), 1767225600000LL);
	m = strchr(none, '\n') + 1;
	assert_int_equal(mbox_separator_ms(none, m), 0);
	assert_int_equal(mbox_separator_ms(utc, utc), 0);
}

/* Gmail Takeout's labels: spam, trash, drafts and chats are no mail
 * to keep; the label must be in the header block, whole. */
static void
test_mbox_gmail_labels(void **state)
{
	static const char *const out[] = {
		"X-Gmail-Labels: Inbox,Spam\nSubject: x\n\nbody\n",
		"Subject: x\nX-GMAIL-LABELS: Archived, Trash\r\n\r\nbody\n",
		"X-Gmail-Labels: Inbox,\n Drafts\nSubject: x\n\nbody\n",
		"X-Gmail-Labels: Chat\n\n",
		NULL };
	static const char *const kept[] = {
		"X-Gmail-Labels: Inbox,Important,Spamalot\n\nbody\n",
		"Subject: x\n\nX-Gmail-Labels: Spam\n",
		"Subject: Trash\nX-Gmail-Labels:\n\n",
		"X-Gmail-Labels: Inbox",
		"",
		NULL };
	size_t i;

	(void)state;
	for (i = 0; out[i]; i++)
		assert_true(mbox_gmail_left_out(out[i], strlen(out[i])));
	for (i = 0; kept[i]; i++)
		assert_false(mbox_gmail_left_out(kept[i], strlen(kept[i])));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbox_split),
		cmocka_unit_test(test_mbox_edges),
		cmocka_unit_test(test_mbox_separator_time),
		cmocka_unit_test(test_mbox_gmail_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
