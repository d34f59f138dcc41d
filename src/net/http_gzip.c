/*
 * http_gzip.c - gzip for large answers. See http_gzip.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include "http_gzip.h"

/* The q-value of one Accept-Encoding item's parameters (after its
 * name): 1 unless "q=0", "q=0.0" and the like say 0. */
static int
q_nonzero(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
		    p[1] == '=') {
			p += 2;
			if (p < end && *p == '0') {
				p++;
				while (p < end && (*p == '.' || *p == '0'))
					p++;
				return !(p == end || *p == ';' || *p == ' ' ||
				    *p == '\t');
			}
			return 1;
		}
		while (p < end && *p != ';')
			p++;
	}
	return 1;
}

/* See http_gzip.h. */
int
http_accepts_gzip(const char *s)
{
	int gzip = -1, star = 0;

	if (!s)
		return 0;
	while (*s) {
		const char *item = s, *end, *name_end;
		size_t n;

		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		s = *end ? end + 1 : end;
		while (item < end && (*item == ' ' || *item == '\t'))
			item++;
		name_end = item;
		while (name_end < end && *name_end != ';' &&
		    *name_end != ' ' && *name_end != '\t')
			name_end++;
		n = (size_t)(name_end - item);
		if ((n == 4 && strncasecmp(item, "gzip", 4) == 0) ||
		    (n == 6 && strncasecmp(item, "x-gzip", 6) == 0))
			gzip = q_nonzero(name_end, end);
		else if (n == 1 && *item == '*')
			star = q_nonzero(name_end, end);
	}
	return gzip >= 0 ? gzip : star;
}

/* See http_gzip.h. */
enum tame_err
http_gzip(const void *data, size_t len, struct buf *out)
{
	unsigned char chunk[65536];
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper, not zlib's */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return TAME_ENOMEM;
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)len;	/* answers are capped far below 4 GB */
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR || buf_add(out, chunk,
		    sizeof(chunk) - z.avail_out)) {
			deflateEnd(&z);
			return TAME_ENOMEM;
		}
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	return TAME_OK;
}
