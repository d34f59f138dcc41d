/*
 * mbox.c - splitting and unquoting mbox messages. See mbox.h.
 */
#include <stdlib.h>
#include <string.h>
#include "mbox.h"

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

/* See mbox.h. */
int
mbox_next(struct mbox_reader *r, const char **msg, size_t *len)
{
	const char *start, *nl, *p;

	if (r->p >= r->end)
		return 0;
	/* r->p is at a "From " separator line: skip it */
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	start = nl ? nl + 1 : r->end;
	/* find the next separator: "\nFrom " */
	for (p = start; p < r->end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(r->end - p));
		if (!nl) {
			p = r->end;
			break;
		}
		if (from_line(nl + 1, (size_t)(r->end - (nl + 1)))) {
			p = nl + 1;
			break;
		}
	}
	r->p = p;
	*msg = start;
	*len = (size_t)(p - start);
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
