/*
 * util.h - small helpers used everywhere: time, bounded integer parsing,
 * logging, safe string duplication.
 */
#ifndef TAME_UTIL_H
#define TAME_UTIL_H

#include <stdint.h>
#include <stddef.h>
#include "err.h"

/* Wall-clock time as UTC milliseconds since the epoch. */
int64_t tame_now_ms(void);

/* Parses a whole decimal integer s into *out, within [min, max].
 * TAME_EINVAL on anything else (empty, junk, overflow). */
enum tame_err tame_parse_i64(const char *s, int64_t min, int64_t max,
    int64_t *out);

/* strdup that accepts NULL (returns NULL). Caller frees. */
char *tame_strdup(const char *s);
/* Duplicates at most n bytes and NUL-terminates. Caller frees. */
char *tame_strndup(const char *s, size_t n);
/* Lower-cases ASCII in place; returns s. */
char *tame_ascii_lower(char *s);
/* Percent-decodes s[0..n) (RFC 3986 2.1) into a new string (*out, caller
 * frees). TAME_EINVAL for a bad escape or a decoded control character
 * (what was decoded so far is wiped: it may be a password), TAME_ENOMEM. */
enum tame_err tame_pct_decode(const char *s, size_t n, char **out);
/* Formats ms as RFC 3339 UTC ("2026-11-23T10:00:00.000Z") into out. */
void tame_time_iso(int64_t ms, char out[32]);

enum tame_log_level { TAME_LOG_DEBUG, TAME_LOG_INFO, TAME_LOG_WARN, TAME_LOG_ERR };
/* Logs one line to stderr with a timestamp and level. Thread-safe. */
void tame_log(enum tame_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Set the least level printed (default INFO; TAME_LOG=debug env). */
void tame_log_set_level(enum tame_log_level lvl);

#endif
