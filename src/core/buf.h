/*
 * buf.h - the one growable byte buffer (after curl's dynbuf).
 *
 * A buf knows its length, always keeps a NUL after the last byte (so
 * data can be used as a C string when it holds text) and refuses to grow
 * past the cap given to buf_init(), returning TAME_ETOOBIG. A zeroed or
 * freshly initialised buf holds no memory.
 */
#ifndef TAME_BUF_H
#define TAME_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include "err.h"

struct buf {
	char *data;  /* NULL until the first byte is added */
	size_t len;  /* bytes in use, not counting the NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* cap on len, set by buf_init */
};

/* Prepares b, empty, growing to at most max bytes. */
void buf_init(struct buf *b, size_t max);
/* Frees the memory of b and leaves it empty (max is kept). */
void buf_free(struct buf *b);
/* Empties b but keeps its memory. */
void buf_reset(struct buf *b);
/* Shortens b to its first len bytes; nothing when it holds no more. */
void buf_cut(struct buf *b, size_t len);
/* Makes room for n more bytes at once (as many as the cap allows), so
 * that a text of known size is not copied at every doubling. */
enum tame_err buf_reserve(struct buf *b, size_t n);
/* Appends len bytes. TAME_ETOOBIG past the cap, TAME_ENOMEM. */
enum tame_err buf_add(struct buf *b, const void *p, size_t len);
/* Appends a NUL-terminated string. */
enum tame_err buf_addstr(struct buf *b, const char *s);
/* Appends s[0..n) escaped for HTML text and quoted attribute values
 * (& < > " ' as entities). Runs of plain bytes go in one piece, so a
 * buffer that fills up never cuts a UTF-8 sequence or an entity. */
enum tame_err buf_add_html(struct buf *b, const char *s, size_t n);
/* Appends formatted text. */
enum tame_err buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum tame_err buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Returns a NUL-terminated string (never NULL; "" if empty) that the
 * caller frees, and leaves b empty. NULL only when out of memory. */
char *buf_take(struct buf *b);
/* data as a C string, "" when nothing was added. Owned by b. */
const char *buf_str(const struct buf *b);

#endif
