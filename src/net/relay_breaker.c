/*
 * relay_breaker.c - the relays the outbox lets rest. See
 * relay_breaker.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "relay_breaker.h"

/* The key of r: "host:port". */
static void
key_of(const struct relay_conf *r, char *key, size_t n)
{
	if (snprintf(key, n, "%s:%d", r->host ? r->host : "", r->port) < 0)
		key[0] = '\0';
}

/* The entry of r, or -1. */
static int
find(const struct relay_breaker *rb, const struct relay_conf *r)
{
	char key[sizeof(rb->e[0].key)];
	int i;

	key_of(r, key, sizeof(key));
	for (i = 0; i < RELAY_BREAKER_MAX; i++)
		if (rb->e[i].key[0] && strcasecmp(rb->e[i].key, key) == 0)
			return i;
	return -1;
}

/* See relay_breaker.h. */
int
relay_breaker_resting(const struct relay_breaker *rb,
    const struct relay_conf *r, int64_t now, int64_t *until, char *why,
    size_t n)
{
	int i = find(rb, r);

	if (i < 0 || rb->e[i].until <= now)
		return 0;
	*until = rb->e[i].until;
	snprintf(why, n, "%s", rb->e[i].why);
	return 1;
}

/* See relay_breaker.h. */
void
relay_breaker_failed(struct relay_breaker *rb, const struct relay_conf *r,
    int64_t now, int64_t base_ms, const char *why)
{
	int i = find(rb, r), k;

	if (i < 0) {
		/* a free entry, else the one that rests least long */
		for (i = k = 0; k < RELAY_BREAKER_MAX && rb->e[i].key[0]; k++)
			if (!rb->e[k].key[0] || rb->e[k].until < rb->e[i].until)
				i = k;
		memset(&rb->e[i], 0, sizeof(rb->e[i]));
		key_of(r, rb->e[i].key, sizeof(rb->e[i].key));
	}
	rb->e[i].until = now + (base_ms << (rb->e[i].fails < 6 ?
	    rb->e[i].fails : 6));
	rb->e[i].fails++;
	snprintf(rb->e[i].why, sizeof(rb->e[i].why), "%s", why);
}

/* See relay_breaker.h. */
void
relay_breaker_ok(struct relay_breaker *rb, const struct relay_conf *r)
{
	int i = find(rb, r);

	if (i >= 0)
		memset(&rb->e[i], 0, sizeof(rb->e[i]));
}

/* See relay_breaker.h. */
void
relay_breaker_reset(struct relay_breaker *rb)
{
	memset(rb, 0, sizeof(*rb));
}
