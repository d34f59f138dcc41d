/*
 * http_gzip.h - gzip for large answers (RFC 9110 content codings): a
 * long thread's ticket, every message quoting all before it, is
 * megabytes of JSON that shrink twenty-fold, and an agent on a slow
 * line waits for every byte.
 */
#ifndef TAME_HTTP_GZIP_H
#define TAME_HTTP_GZIP_H

#include <stddef.h>
#include "../core/buf.h"
#include "../core/err.h"

/* Answers of this size and more are sent gzip'd to a client that
 * takes it; smaller ones are not worth the CPU. */
#define HTTP_GZIP_MIN (32 * 1024)

/* 1 if an Accept-Encoding value (may be NULL) takes gzip: "gzip",
 * "x-gzip" or "*" with a q-value above 0, and gzip not refused by
 * name. Pure: no I/O, for the fuzz target. */
int http_accepts_gzip(const char *accept_encoding);

/* Appends len bytes of data, gzip'd (fastest level), to out. */
enum tame_err http_gzip(const void *data, size_t len, struct buf *out);

#endif
