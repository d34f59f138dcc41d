/*
 * util.c - time, bounded parsing, logging. See util.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>
#include "util.h"

static enum tame_log_level log_level = TAME_LOG_INFO;
static const char *log_name = "tamed";

int64_t
tame_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
tame_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum tame_err
tame_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return TAME_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return TAME_EINVAL;
	*out = (int64_t)v;
	return TAME_OK;
}

int64_t
tame_env_i64(const char *name, int64_t min, int64_t max, int64_t def)
{
	const char *s = getenv(name);
	int64_t v;

	if (!s)
		return def;
	if (tame_parse_i64(s, min, max, &v) == 0)
		return v;
	tame_log(TAME_LOG_WARN, "%s=%.40s is not a number from %lld to %lld; "
	    "using %lld", name, s, (long long)min, (long long)max,
	    (long long)def);
	return def;
}

/* See util.h. */
int
tame_strp_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(const char *const *)elem);
}

/* See util.h. */
uint32_t
tame_str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

char *
tame_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *
tame_strndup(const char *s, size_t n)
{
	return s ? strndup(s, n) : NULL;
}

char *
tame_ascii_lower(char *s)
{
	char *p;

	for (p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

void
tame_time_iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char tmp[96];

	gmtime_r(&t, &tm);
	/* tmp is large enough for any int values; out holds every real date */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	memcpy(out, tmp, 31);
	out[31] = '\0';
}

enum tame_err
tame_time_parse(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, n = 0, nf = 0;
	struct tm tm;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
	    &n) != 6 || n != 19)
		return TAME_EINVAL;
	if (s[n] == '.' && sscanf(s + n + 1, "%3d%n", &frac, &nf) == 1 &&
	    nf == 3)
		n += 4;
	if (strcmp(s + n, "Z") != 0 || y < 1970 || mo < 1 || mo > 12 ||
	    d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || frac < 0)
		return TAME_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return TAME_EINVAL;
	*ms = (int64_t)t * 1000 + frac;
	return TAME_OK;
}

void
tame_log_set_level(enum tame_log_level lvl)
{
	log_level = lvl;
}

void
tame_log_set_name(const char *name)
{
	log_name = name;
}

void
tame_log(enum tame_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	char line[2048], ts[32];
	va_list ap;
	int n;

	if (lvl < log_level)
		return;
	tame_time_iso(tame_now_ms(), ts);
	n = snprintf(line, sizeof(line), "%s %s[%s] ", ts, log_name,
	    names[lvl]);
	if (n < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* one fputs per line keeps lines from threads whole */
	fprintf(stderr, "%s\n", line);
}

const char *
tame_strerror(enum tame_err rc)
{
	switch (rc) {
	case TAME_OK: return "ok";
	case TAME_ENOMEM: return "out of memory";
	case TAME_EINVAL: return "invalid input";
	case TAME_ENOTFOUND: return "not found";
	case TAME_EEXIST: return "already exists";
	case TAME_ESTORE: return "storage error";
	case TAME_EBUSY: return "busy, try again later";
	case TAME_ETOOBIG: return "too large";
	case TAME_EPARSE: return "could not be parsed";
	case TAME_EIO: return "I/O error";
	case TAME_EAUTH: return "not authenticated";
	case TAME_EPERM: return "not allowed";
	case TAME_ECONFLICT: return "conflict";
	case TAME_EDISK: return "the disk is full or failing";
	case TAME_EFILES: return "too many open files";
	}
	return "unknown error";
}

enum tame_err
tame_errno_err(int e)
{
	if (e == EMFILE || e == ENFILE)
		return TAME_EFILES;
	return e == ENOMEM ? TAME_ENOMEM : TAME_EIO;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* See util.h. */
enum tame_err
tame_pct_decode(const char *s, size_t n, char **out)
{
	char *d;
	size_t i, j = 0;
	int hi, lo;
	unsigned char ch;

	*out = NULL;
	if (!(d = malloc(n + 1)))
		return TAME_ENOMEM;
	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '%') {
			if (i + 2 >= n)
				goto bad;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				goto bad;
			ch = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f)
			goto bad;
		d[j++] = (char)ch;
	}
	d[j] = '\0';
	*out = d;
	return TAME_OK;
bad:
	if (j)
		memset(d, 0, j);
	free(d);
	return TAME_EINVAL;
}

/* See util.h. */
size_t
tame_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

int
tame_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	for (; n; p += k, n -= k)
		if (!(k = tame_utf8_len(p, n)))
			return 0;
	return 1;
}

/* See util.h. */
size_t
tame_bidi_control(const unsigned char *p)
{
	if (p[0] == 0xd8 && p[1] == 0x9c)
		return 2;
	if (p[0] != 0xe2 || !p[1] || !p[2])
		return 0;
	if (p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f ||
	    (p[2] >= 0xaa && p[2] <= 0xae)))
		return 3;
	return p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9 ? 3 : 0;
}

/* See util.h. */
char *
tame_bidi_strip(char *s)
{
	unsigned char *p = (unsigned char *)s, *w = p;
	size_t n;

	while (*p)
		if ((n = tame_bidi_control(p)))
			p += n;
		else
			*w++ = *p++;
	*w = '\0';
	return s;
}

/* See util.h. */
char *
tame_bidi_mark(const char *s)
{
	static const char mark[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)s;
	size_t n, k = 0;
	char *r;

	/* a control is at least 2 bytes, U+FFFD 3: at most half again */
	if (!(r = malloc(strlen(s) / 2 * 3 + 3 + 1)))
		return NULL;
	while (*p)
		if ((n = tame_bidi_control(p))) {
			memcpy(r + k, mark, 3);
			k += 3;
			p += n;
		} else
			r[k++] = (char)*p++;
	r[k] = '\0';
	return r;
}

/* See util.h. */
void
tame_utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s), k;

	for (; n; p += k, n -= k)
		if (!(k = tame_utf8_len(p, n))) {
			*p = '?';
			k = 1;
		}
}

/* See util.h. */
int
tame_url_host_ok(const char *h, size_t n, int v6)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    (v6 && c == ':'))
			continue;
		return 0;
	}
	return 1;
}

/* See util.h. */
char *
tame_tag_norm(const char *s)
{
	const char *e;
	char *t, *r;

	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	if (!(t = strndup(s, (size_t)(e - s))))
		return NULL;
	r = (char *)utf8proc_NFC((const utf8proc_uint8_t *)t);
	free(t);
	return r;
}
