/*
 * fuzz_mbox.c - libFuzzer target for the mbox splitter and unquoter
 * (src/core/mbox.c) that `tame import mbox` runs over a file it is
 * given.
 *
 * Two checks. The input read as an mbox file: the messages and their
 * separator lines must cover it in order, leaving out at most one
 * empty line after each message (the writer's). The input cut at 0xff
 * bytes into messages, written out the way an mboxrd writer does (a
 * "From " line before each, every line matching >*From quoted with one
 * more '>', a newline at the end, then an empty line): reading that
 * file back must give exactly those messages. Empty messages are left
 * out, as writers never write them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/mbox.h"

#define SEP "From fuzz@example.com Thu Jan  1 00:00:00 2026\n"
#define MAX_MSGS 64

/* Reads data as an mbox file and checks that it is covered exactly. */
static void
check_cover(const char *data, size_t size)
{
	struct mbox_reader r;
	const char *m, *at = data, *nl;
	size_t len, ulen;
	char *u;

	if (!mbox_looks_like(data, size))
		return;
	mbox_open(&r, data, size);
	while (mbox_next(&r, &m, &len)) {
		/* the separator line runs from at to m */
		if (m < at || memcmp(at, "From ", 5) != 0)
			abort();
		nl = memchr(at, '\n', (size_t)(m - at));
		if (nl ? nl + 1 != m : m != data + size)
			abort();
		if (len > size || m + len > data + size)
			abort();
		/* the separator's date reads only that line; the labels
		 * only the message */
		if (mbox_separator_ms(data, m) < 0)
			abort();
		(void)mbox_gmail_left_out(m, len);
		if (mbox_unquote(m, len, &u, &ulen) != TAME_OK)
			return;
		if (ulen > len)
			abort();
		free(u);
		at = m + len;
		/* the empty line that ends a message, if left out */
		if (at < data + size && at[0] == '\n')
			at++;
		else if (at + 1 < data + size && at[0] == '\r' &&
		    at[1] == '\n')
			at += 2;
	}
	if (at != data + size)
		abort();
}

/* Appends m[0..len) quoted as mboxrd does, ending with a newline. */
static int
write_quoted(struct buf *out, const char *m, size_t len)
{
	const char *p = m, *end = m + len, *nl, *q;

	if (buf_addstr(out, SEP))
		return -1;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		for (q = p; q < nl && *q == '>'; q++)
			;
		if (nl - q >= 5 && memcmp(q, "From ", 5) == 0 &&
		    buf_add(out, ">", 1))
			return -1;
		if (buf_add(out, p, (size_t)(nl - p)))
			return -1;
		p = nl;
	}
	if (!(len && m[len - 1] == '\n') && buf_add(out, "\n", 1))
		return -1;
	return buf_add(out, "\n", 1);    /* the empty line after it */
}

static void
check_round_trip(const char *data, size_t size)
{
	const char *msg[MAX_MSGS], *p = data, *end = data + size, *cut, *m;
	size_t mlen[MAX_MSGS], n = 0, i, len, ulen, want;
	struct mbox_reader r;
	struct buf file;
	char *u;

	while (p < end && n < MAX_MSGS) {
		cut = memchr(p, 0xff, (size_t)(end - p));
		if (!cut)
			cut = end;
		if (cut > p) {
			msg[n] = p;
			mlen[n++] = (size_t)(cut - p);
		}
		p = cut + 1;
	}
	buf_init(&file, 4 * size + sizeof(SEP) * MAX_MSGS + 16);
	for (i = 0; i < n; i++)
		if (write_quoted(&file, msg[i], mlen[i]))
			abort();
	mbox_open(&r, file.data ? file.data : "", file.len);
	for (i = 0; mbox_next(&r, &m, &len); i++) {
		if (i >= n || mbox_unquote(m, len, &u, &ulen) != TAME_OK)
			abort();
		/* the message, and the newline the writer added */
		want = mlen[i] + (msg[i][mlen[i] - 1] != '\n');
		if (ulen != want || memcmp(u, msg[i], mlen[i]) != 0 ||
		    u[ulen - 1] != '\n')
			abort();
		free(u);
	}
	if (i != n)
		abort();
	buf_free(&file);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_cover((const char *)data, size);
	check_round_trip((const char *)data, size);
	return 0;
}
