/*
 * mbox.h - splitting an mbox file into its messages and unquoting them
 * (RFC 4155, the mboxrd convention).
 *
 * A message starts after a separator line "From SENDER DATE" (the
 * first line of the file, then any line with a sender and a date: a
 * time, a month and a year) and ends before the next separator and the
 * empty line before it (or the empty line that ends the file). A "From " line without a date is body text a writer
 * failed to quote, and stays in the message. Inside a message, a line
 * ">From ", ">>From ", ... was written with one '>' more than the
 * message had, and loses it again; for mboxo files that is right in all
 * but pathological cases.
 *
 * Model: pure functions over bytes in memory, no I/O, so `tame import`
 * can map the file and a fuzz target can check the splitter. The
 * reader only points into the caller's bytes.
 */
#ifndef TAME_MBOX_H
#define TAME_MBOX_H

#include <stddef.h>
#include "err.h"

struct mbox_reader {
	const char *p;    /* at the next separator line */
	const char *end;
};

/* 1 if data[0..len) starts like an mbox file (a "From " line). */
int mbox_looks_like(const char *data, size_t len);

/* Reads data[0..len), which mbox_looks_like(). */
void mbox_open(struct mbox_reader *r, const char *data, size_t len);

/* The next message, still quoted: *msg points into the data, *len bytes
 * (0 for a separator followed by nothing). 0 at the end of the data. */
int mbox_next(struct mbox_reader *r, const char **msg, size_t *len);

/* The time of the separator line before msg (a message mbox_next gave
 * from data), in ms since the epoch read as UTC ("From a@b Thu Jan  1
 * 00:00:00 2026", also with a zone before the year as Gmail writes
 * it), or 0 when it has none that can be read: for mail without a
 * Date header. */
long long mbox_separator_ms(const char *data, const char *msg);

/* 1 if the message p[0..len) is one Gmail's Takeout marks as no mail
 * to keep: an X-Gmail-Labels header in its header block naming Spam,
 * Trash, Draft(s) or Chat. */
int mbox_gmail_left_out(const char *p, size_t len);

/* The message p[0..len) unquoted into a new buffer (*out, *outlen; the
 * caller frees *out; never longer than len). TAME_ENOMEM. */
enum tame_err mbox_unquote(const char *p, size_t len, char **out,
    size_t *outlen);

#endif
