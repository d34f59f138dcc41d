/*
 * mbox.c - splitting and unquoting mbox messages. See mbox.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "mbox.h"

/* See mbox.h. */
long long
mbox_separator_ms(const char *data, const char *msg)
{
	static const char *const forms[] = { "%a %b %d %H:%M:%S %Y",
		"%a %b %d %H:%M:%S %z %Y", NULL };
	char line[256];
	const char *end = msg, *start, *rest;
	struct tm tm;
	size_t i, n;
	time_t t;
	long off;

	if (!msg || msg <= data || msg[-1] != '\n')
		return 0;
	end = msg - 1;
	if (end > data && end[-1] == '\r')
		end--;
	for (start = end; start > data && start[-1] != '\n'; start--)
		;
	n = (size_t)(end - start);
	if (n < 6 || n >= sizeof(line) || memcmp(start, "From ", 5) != 0)
		return 0;
	memcpy(line, start, n);
	line[n] = '\0';
	/* past "From " and the sender */
	if (!(rest = strchr(line + 5, ' ')))
		return 0;
	while (*rest == ' ')
		rest++;
	for (i = 0; forms[i]; i++) {
		memset(&tm, 0, sizeof(tm));
		if (!(end = strptime(rest, forms[i], &tm)) || *end != '\0' ||
		    tm.tm_year <= 70)
			continue;
		/* timegm() sets the zone back to UTC: read it first */
		off = tm.tm_gmtoff;
		if ((t = timegm(&tm)) > 0)
			return ((long long)t - off) * 1000;
	}
	return 0;
}

/* 1 if p[0..n) starts with "From ": a separator line, or a quoted one
 * once its '>'s are skipped. */
static int
from_line(const char *p, size_t n)
{
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

/* See mbox.h. */
int
mbox_looks_like(const char *data, size_t len)
{
	return from_line(data, len);
}

/* See mbox.h. */
void
mbox_open(struct mbox_reader *r, const char *data, size_t len)
{
	r->p = data;
	r->end = data + len;
}

/* 1 if the word at p[0..n) (letters) is an English month's name or
 * its first three letters, as asctime() writes them. */
static int
is_month(const char *p, size_t n)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	size_t i;

	if (n < 3)
		return 0;
	for (i = 0; i < 36; i += 3)
		if ((p[0] | 0x20) == months[i] && (p[1] | 0x20) ==
		    months[i + 1] && (p[2] | 0x20) == months[i + 2])
			return 1;
	return 0;
}

/* 1 if p[0..n) holds, before its newline, a time "H:MM", a year of four
 * digits and a month (by name, or a date "YYYY-MM-DD"): the date of an
 * RFC 4155 separator line ("Thu Jan  1 00:00:00 2026"). */
static int
has_date(const char *p, size_t n)
{
	size_t i, run = 0, word = 0;
	int time = 0, year = 0, month = 0;

	for (i = 0; i < n && p[i] != '\n'; i++) {
		if (((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')) {
			word++;
			run = 0;
			continue;
		}
		if (word)
			month |= word <= 9 && is_month(p + i - word, word);
		word = 0;
		if (p[i] >= '0' && p[i] <= '9') {
			run++;
			continue;
		}
		if (p[i] == ':' && run > 0 && i + 2 < n &&
		    p[i + 1] >= '0' && p[i + 1] <= '9' &&
		    p[i + 2] >= '0' && p[i + 2] <= '9')
			time = 1;
		else if (run == 4) {
			year = 1;
			/* 2026-01-01 */
			month |= p[i] == '-' && i + 3 < n &&
			    p[i + 1] >= '0' && p[i + 1] <= '1' &&
			    p[i + 2] >= '0' && p[i + 2] <= '9' && p[i + 3] == '-';
		}
		run = 0;
	}
	return time && month && (year || run == 4);
}

/* 1 if p[0..n) starts with a separator line after the first: "From ",
 * a sender, and a date. A "From " line in a body that the writer failed
 * to quote ("From what I see, ...") has no date and stays in the
 * message. */
static int
separator(const char *p, size_t n)
{
	size_t i = 5;

	if (!from_line(p, n))
		return 0;
	while (i < n && p[i] != ' ' && p[i] != '\n')
		i++;
	return i > 5 && i < n && p[i] == ' ' && has_date(p + i, n - i);
}

/* See mbox.h. */
int
mbox_next(struct mbox_reader *r, const char **msg, size_t *len)
{
	const char *start, *nl, *p, *blank = NULL;

	if (r->p >= r->end)
		return 0;
	/* r->p is at a "From " separator line: skip it */
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	start = nl ? nl + 1 : r->end;
	/* find the next separator line; the empty line before it (or at
	 * the end of the file) belongs to the separator, not to the
	 * message: writers end each message with one */
	for (p = start; p < r->end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(r->end - p));
		if (!nl) {
			p = r->end;
			blank = NULL;
			break;
		}
		blank = nl == p || (nl == p + 1 && *p == '\r') ? p : NULL;
		if (separator(nl + 1, (size_t)(r->end - (nl + 1)))) {
			p = nl + 1;
			break;
		}
	}
	r->p = p;
	*msg = start;
	*len = (size_t)((blank ? blank : p) - start);
	return 1;
}

/* See mbox.h. */
enum tame_err
mbox_unquote(const char *p, size_t len, char **out, size_t *outlen)
{
	const char *end = p + len, *nl, *q;
	char *o;

	if (!(*out = malloc(len ? len : 1)))
		return TAME_ENOMEM;
	o = *out;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		q = p;
		while (q < nl && *q == '>')
			q++;
		if (q > p && from_line(q, (size_t)(nl - q)))
			p++;
		memcpy(o, p, (size_t)(nl - p));
		o += nl - p;
		p = nl;
	}
	*outlen = (size_t)(o - *out);
	return TAME_OK;
}

/* 1 if the label p[0..n) (spaces around it left out) is one that marks
 * no mail to keep. */
static int
label_left_out(const char *p, size_t n)
{
	static const char *const labels[] = { "spam", "trash", "draft",
		"drafts", "chat", NULL };
	size_t i;

	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	for (i = 0; labels[i]; i++)
		if (n == strlen(labels[i]) && strncasecmp(p, labels[i], n) == 0)
			return 1;
	return 0;
}

/* See mbox.h. */
int
mbox_gmail_left_out(const char *p, size_t len)
{
	static const char name[] = "x-gmail-labels:";
	const char *end = p + len, *line, *nl, *v, *c;

	for (line = p; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		/* the empty line ends the header block */
		if (nl == line || (nl == line + 1 && *line == '\r'))
			return 0;
		if ((size_t)(nl - line) < sizeof(name) - 1 ||
		    strncasecmp(line, name, sizeof(name) - 1) != 0)
			continue;
		/* the value, with its folded lines: labels between commas */
		for (v = line + sizeof(name) - 1;;) {
			while ((c = memchr(v, ',', (size_t)(nl - v))) != NULL) {
				if (label_left_out(v, (size_t)(c - v)))
					return 1;
				v = c + 1;
			}
			if (label_left_out(v, (size_t)(nl - v)))
				return 1;
			if (nl + 1 >= end || (nl[1] != ' ' && nl[1] != '\t'))
				return 0;
			v = nl + 1;
			nl = memchr(v, '\n', (size_t)(end - v));
			if (!nl)
				nl = end;
		}
	}
	return 0;
}
