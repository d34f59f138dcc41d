/*
 * buf.c - growable byte buffer with a hard cap. See buf.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_cut(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

static enum tame_err
buf_grow(struct buf *b, size_t need)
{
	size_t ncap;
	char *p;

	if (need > b->max || need == (size_t)-1)
		return TAME_ETOOBIG;
	if (need + 1 <= b->cap)
		return TAME_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need + 1) {
		if (ncap > ((size_t)-1) / 2) {
			ncap = need + 1;
			break;
		}
		ncap *= 2;
	}
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (!p)
		return TAME_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return TAME_OK;
}

enum tame_err
buf_reserve(struct buf *b, size_t n)
{
	if (n > b->max - b->len)
		n = b->max - b->len;
	return buf_grow(b, b->len + n);
}

enum tame_err
buf_add(struct buf *b, const void *p, size_t len)
{
	enum tame_err rc;

	if (len > b->max - b->len && len > 0)
		return TAME_ETOOBIG;
	if ((rc = buf_grow(b, b->len + len)))
		return rc;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return TAME_OK;
}

enum tame_err
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum tame_err
buf_add_html(struct buf *b, const char *s, size_t n)
{
	enum tame_err rc = TAME_OK;
	size_t i, run = 0;
	const char *rep;

	for (i = 0; i < n && !rc; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if ((rc = buf_add(b, s + run, i - run)) == TAME_OK)
			rc = buf_addstr(b, rep);
		run = i + 1;
	}
	return rc ? rc : buf_add(b, s + run, n - run);
}

enum tame_err
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	enum tame_err rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return TAME_EINVAL;
	if ((size_t)n > b->max - b->len)
		return TAME_ETOOBIG;
	if ((rc = buf_grow(b, b->len + (size_t)n)))
		return rc;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		return TAME_EINVAL;
	b->len += (size_t)n;
	return TAME_OK;
}

enum tame_err
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum tame_err rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
buf_take(struct buf *b)
{
	char *p = b->data;

	if (!p)
		p = strdup("");
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}
