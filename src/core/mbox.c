/*
 * mbox.c - splitting and unquoting mbox messages. See mbox.h.
 */
#include <stdlib.h>
#include <string.h>
#include "mbox.h"

/* See mbox.h. */
int
mbox_looks_like(const char *data, size_t len)
{
	return len >= 5 && memcmp(data, "From ", 5) == 0;
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
		if (r->end - (nl + 1) >= 5 && memcmp(nl + 1, "From ", 5) == 0) {
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
		if (q > p && nl - q >= 5 && memcmp(q, "From ", 5) == 0)
			p++;
		memcpy(o, p, (size_t)(nl - p));
		o += nl - p;
		p = nl;
	}
	*outlen = (size_t)(o - *out);
	return TAME_OK;
}
