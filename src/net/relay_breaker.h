/*
 * relay_breaker.h - the relays the outbox lets rest after they failed
 * to answer.
 *
 * Model: the outbox has one thread and sends one message at a time, so
 * a relay that cannot be reached, or takes the connection and never
 * answers, costs up to the connect timeout (30 s) for each message that
 * goes through it, one after the other, and the other mailboxes' replies
 * wait behind them. After such a failure a relay rests for a back-off
 * (the outbox's first retry step, doubled with each such failure in a
 * row, as an item's is): the outbox puts its other mail off without
 * trying it, and the other relays' mail goes meanwhile. A relay is
 * known by its host and port. Pure bookkeeping on a plain struct, no
 * I/O; the outbox thread's own (not thread-safe).
 */
#ifndef TAME_RELAY_BREAKER_H
#define TAME_RELAY_BREAKER_H

#include <stddef.h>
#include <stdint.h>
#include "../core/relay_conf.h"

/* Relays remembered at once; past it the one resting least long goes. */
#define RELAY_BREAKER_MAX 16

struct relay_breaker {
	struct {
		char key[300];          /* "host:port", "" for a free entry */
		int64_t until;          /* rests until then (ms) */
		int fails;              /* failures in a row */
		char why[256];          /* what the last failure was */
	} e[RELAY_BREAKER_MAX];
};

/* 1 when relay r rests at now: *until gets when it may be tried again,
 * why (n bytes) what its last failure was. 0 otherwise. */
int relay_breaker_resting(const struct relay_breaker *rb,
    const struct relay_conf *r, int64_t now, int64_t *until, char *why,
    size_t n);
/* r could not be reached or did not answer in time (why): it rests for
 * base_ms, doubled per failure in a row (at most 64 times that). */
void relay_breaker_failed(struct relay_breaker *rb,
    const struct relay_conf *r, int64_t now, int64_t base_ms,
    const char *why);
/* r answered: it rests no more. */
void relay_breaker_ok(struct relay_breaker *rb, const struct relay_conf *r);
/* Every relay may be tried at once (a relay was set or changed). */
void relay_breaker_reset(struct relay_breaker *rb);

#endif
