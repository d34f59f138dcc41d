/*
 * fuzz_query.c - libFuzzer target for the parts of a request path and
 * query that the ticket list and the tags admin parse themselves: the
 * ?priority= comma list (http_priority.c) and the percent-encoded tag
 * name of /api/v1/tags/NAME (http_tags.c) and the Accept-Encoding
 * header (http_gzip.c), fed with arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/http_gzip.h"
#include "net/http_priority.h"
#include "net/http_tags.h"
#include "tame_limits.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "/api/v1/tags/";
	char name[TAME_FIELD_MAX + 1];
	unsigned mask;
	char *s, *path;
	size_t n;

	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_priority_mask(s, &mask) == 0 && (mask & ~0xfu))
		abort();
	if (http_accepts_gzip(s) & ~1)
		abort();
	if (!(path = malloc(sizeof(prefix) + size))) {
		free(s);
		return 0;
	}
	memcpy(path, prefix, sizeof(prefix) - 1);
	memcpy(path + sizeof(prefix) - 1, s, size + 1);
	if (http_tags_name(path, name, sizeof(name)) == 0) {
		n = strlen(name);
		if (n == 0 || n > TAME_FIELD_MAX)
			abort();
	}
	/* a small buffer is refused, never overrun */
	(void)http_tags_name(path, name, 4);
	free(path);
	free(s);
	return 0;
}
