/*
 * store_sqlite_json.c - writing JSON text (RFC 8259) straight from
 * SQLite columns into a struct buf, for the views that are read the most
 * (the ticket list). See store_sqlite.h.
 *
 * Model: building a jansson object per field and dumping it cost about
 * two thirds of a ticket list request; appending the text directly costs
 * a fraction. The output is what jansson writes with JSON_COMPACT:
 * strings are UTF-8 with only '"', '\' and control characters escaped,
 * and bytes that are not UTF-8 become U+FFFD (as sq_json_strn does).
 * A struct jw carries the first error, so a row is written as a plain
 * sequence of calls and checked once.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "../core/util.h"
#include "store_sqlite.h"

/* Appends a JSON string of n bytes at s. */
void
sq_jw_strn(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;
	char esc[8];
	size_t k;

	sq_jw_raw(w, "\"", 1);
	while (p < end && !w->rc) {
		run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p > run)
			sq_jw_raw(w, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			if ((k = tame_utf8_len(p, (size_t)(end - p)))) {
				sq_jw_raw(w, (const char *)p, k);
				p += k;
			} else {
				sq_jw_raw(w, "\xef\xbf\xbd", 3);
				p++;
			}
			continue;
		}
		esc[0] = '\\';
		switch (*p) {
		case '"': esc[1] = '"'; k = 2; break;
		case '\\': esc[1] = '\\'; k = 2; break;
		case '\b': esc[1] = 'b'; k = 2; break;
		case '\f': esc[1] = 'f'; k = 2; break;
		case '\n': esc[1] = 'n'; k = 2; break;
		case '\r': esc[1] = 'r'; k = 2; break;
		case '\t': esc[1] = 't'; k = 2; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			k = 6;
		}
		sq_jw_raw(w, esc, k);
		p++;
	}
	sq_jw_raw(w, "\"", 1);
}

/* Appends a JSON string of a C string. */
void
sq_jw_str(struct jw *w, const char *s)
{
	sq_jw_strn(w, s, strlen(s));
}

/* Appends a decimal integer. */
void
sq_jw_int(struct jw *w, int64_t v)
{
	char d[24], *p = d + sizeof(d);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	sq_jw_raw(w, p, (size_t)(d + sizeof(d) - p));
}

/* Writes n (0..9999) as width digits at p. */
static void
digits(char *p, unsigned n, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

/* Appends "YYYY-MM-DDTHH:MM:SS.mmmZ" for UTC milliseconds, the text of
 * tame_time_iso(), without gmtime and snprintf (days to civil date after
 * Howard Hinnant's algorithm). */
void
sq_jw_time(struct jw *w, int64_t ms)
{
	char out[32];
	int64_t days, secs, z, era, doe, yoe, y, doy, mp, dd, mm;

	if (ms < 0 || ms > INT64_C(253402300799999)) {
		tame_time_iso(ms, out);	/* outside years 1970..9999 */
		sq_jw_raw(w, "\"", 1);
		sq_jw_raw(w, out, strlen(out));
		sq_jw_raw(w, "\"", 1);
		return;
	}
	days = ms / 86400000;
	secs = (ms / 1000) % 86400;
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	dd = doy - (153 * mp + 2) / 5 + 1;
	mm = mp < 10 ? mp + 3 : mp - 9;
	y += mm <= 2;
	memcpy(out, "\"0000-00-00T00:00:00.000Z\"", 26);
	digits(out + 1, (unsigned)y, 4);
	digits(out + 6, (unsigned)mm, 2);
	digits(out + 9, (unsigned)dd, 2);
	digits(out + 12, (unsigned)(secs / 3600), 2);
	digits(out + 15, (unsigned)(secs / 60 % 60), 2);
	digits(out + 18, (unsigned)(secs % 60), 2);
	digits(out + 21, (unsigned)(ms % 1000), 3);
	sq_jw_raw(w, out, 26);
}

/* Text column as a JSON string, null for SQL NULL. */
void
sq_jw_col_text(struct jw *w, sqlite3_stmt *st, int i)
{
	const char *t;

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		sq_jw_raw(w, "null", 4);
		return;
	}
	if (!(t = (const char *)sqlite3_column_text(st, i))) {
		if (!w->rc)
			w->rc = TAME_ENOMEM;
		return;
	}
	sq_jw_strn(w, t, (size_t)sqlite3_column_bytes(st, i));
}

/* Millisecond column as RFC 3339 text, null for SQL NULL. */
void
sq_jw_col_time(struct jw *w, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		sq_jw_raw(w, "null", 4);
	else
		sq_jw_time(w, sqlite3_column_int64(st, i));
}

/* Id column, null for NULL or 0. */
void
sq_jw_col_id(struct jw *w, sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);

	if (v > 0)
		sq_jw_int(w, v);
	else
		sq_jw_raw(w, "null", 4);
}
