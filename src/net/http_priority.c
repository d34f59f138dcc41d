/*
 * http_priority.c - the ?priority= filter of GET /tickets (docs/API.md):
 * "urgent,high" keeps tickets of either priority. Names are those of
 * ticket_priority_parse(); a value that names none of them is refused
 * with 400 rather than ignored, so a typo never shows an unfiltered
 * queue as if it were filtered.
 */
#include <string.h>
#include "http_priority.h"
#include "../core/model.h"

int
http_priority_mask(const char *s, unsigned *mask)
{
	const char *p, *e;
	char name[16];
	enum ticket_priority pr;
	size_t n;

	*mask = 0;
	if (!s || !*s || strlen(s) > HTTP_PRIORITY_PARAM_MAX)
		return -1;
	if (strcmp(s, "any") == 0)
		return 0;
	for (p = s; ; p = e + 1) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(name))
			return -1;
		memcpy(name, p, n);
		name[n] = '\0';
		if (ticket_priority_parse(name, &pr))
			return -1;
		*mask |= 1u << pr;
		if (!e)
			break;
	}
	return 0;
}

int
http_priority_param(struct http_ctx *c, unsigned *mask)
{
	const char *s = http_query(c, "priority");

	*mask = 0;
	if (!s)
		return 0;
	if (http_priority_mask(s, mask) == 0)
		return 0;
	http_error(c, 400, "invalid_parameter", "parameter \"priority\" must "
	    "be \"any\" or a comma list of low, normal, high, urgent");
	return -1;
}
