/*
 * util.h - small helpers used everywhere: time, bounded integer parsing,
 * logging, safe string duplication.
 */
#ifndef TAME_UTIL_H
#define TAME_UTIL_H

/* Of tamed and tame, shown by --version and GET /health. */
#define TAME_VERSION "0.1.0"

#include <stdint.h>
#include <stddef.h>
#include "err.h"

/* Wall-clock time as UTC milliseconds since the epoch. */
int64_t tame_now_ms(void);
/* Milliseconds of a clock that never steps back, for intervals. */
int64_t tame_mono_ms(void);

/* Parses a whole decimal integer s into *out, within [min, max].
 * TAME_EINVAL on anything else (empty, junk, overflow). */
enum tame_err tame_parse_i64(const char *s, int64_t min, int64_t max,
    int64_t *out);
/* The environment variable name as tame_parse_i64 reads it within
 * [min, max], or def when it is not set or not such a number (the
 * tests' shorter timeouts, an operator's limits). */
int64_t tame_env_i64(const char *name, int64_t min, int64_t max,
    int64_t def);

/* strdup that accepts NULL (returns NULL). Caller frees. */
char *tame_strdup(const char *s);
/* bsearch()'s comparison of a string key with an element of a sorted
 * array of const char * (the word lists). */
int tame_strp_cmp(const void *key, const void *elem);
/* FNV-1a of the NUL-terminated s: for the hash tables of words. */
uint32_t tame_str_hash(const char *s);
/* Duplicates at most n bytes and NUL-terminates. Caller frees. */
char *tame_strndup(const char *s, size_t n);
/* Lower-cases ASCII in place; returns s. */
char *tame_ascii_lower(char *s);
/* Percent-decodes s[0..n) (RFC 3986 2.1) into a new string (*out, caller
 * frees). TAME_EINVAL for a bad escape or a decoded control character
 * (what was decoded so far is wiped: it may be a password), TAME_ENOMEM. */
enum tame_err tame_pct_decode(const char *s, size_t n, char **out);
/* Length of the valid UTF-8 sequence at p, n > 0 bytes left: 1 for
 * ASCII, 2 to 4 for a sequence RFC 3629 allows (no overlong forms,
 * surrogates or code points above U+10FFFF), 0 when there is none. */
size_t tame_utf8_len(const unsigned char *p, size_t n);
/* 1 if the C string s is well-formed UTF-8 throughout. */
int tame_utf8_valid(const char *s);
/* Length of the bidi control at p, a C string (U+061C, U+200E/F,
 * U+202A-E, U+2066-9, in UTF-8), or 0. With them "invoice<RLO>fdp.exe"
 * shows as "invoiceexe.pdf". */
size_t tame_bidi_control(const unsigned char *p);
/* Leaves every bidi control (tame_bidi_control) out of the C string s,
 * in place; returns s. */
char *tame_bidi_strip(char *s);
/* A copy of the C string s (malloc, NULL when out of memory) with each
 * bidi control replaced by U+FFFD: what an address keeps of them. Left
 * out, "ceo@exam<LRM>ple.com" would become the real ceo@example.com. */
char *tame_bidi_mark(const char *s);
/* Makes the C string s well-formed UTF-8 in place: a byte that starts
 * no valid sequence becomes '?' (a character cut by a length limit, or
 * bytes quoted from a request). */
void tame_utf8_scrub(char *s);
/* A tag as it is kept: s (UTF-8) without the white space around it, in
 * Unicode NFC, so that "cafe\u0301", " café" and "café" are one tag. A
 * new string (caller frees), "" when s is only white space; NULL when
 * out of memory or s is not UTF-8. */
char *tame_tag_norm(const char *s);
/* 1 if h[0..n) is a DNS name or IPv4 address, or (v6) an IPv6 address
 * without its brackets: the host of an imap:// or smtp:// URL. */
int tame_url_host_ok(const char *h, size_t n, int v6);
/* Formats ms as RFC 3339 UTC ("2026-11-23T10:00:00.000Z") into out. */
void tame_time_iso(int64_t ms, char out[32]);
/* Parses what tame_time_iso writes ("2026-11-23T10:00:00.000Z", the
 * fraction optional) into *ms. TAME_EINVAL for anything else. */
enum tame_err tame_time_parse(const char *s, int64_t *ms);

enum tame_log_level { TAME_LOG_DEBUG, TAME_LOG_INFO, TAME_LOG_WARN, TAME_LOG_ERR };
/* Logs one line to stderr with a timestamp and level. Thread-safe. */
void tame_log(enum tame_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Set the least level printed (default INFO; TAME_LOG=debug env). */
void tame_log_set_level(enum tame_log_level lvl);
/* The program named in log lines ("tamed" unless set; a static string). */
void tame_log_set_name(const char *name);

#endif
