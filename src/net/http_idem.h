/*
 * http_idem.h - the Idempotency-Key header of the sending endpoints
 * (bulk actions, a trend's mass reply): a request repeated with the same
 * key gets the first answer back and sends nothing twice.
 *
 * Model: the key, the agent and a hash of method, path and body are
 * claimed in the store (store_idem_claim). A new key goes on; a finished
 * one replays its kept answer; one still running answers 409; the same
 * key with another request answers 422. A claim left unfinished for
 * TAME_IDEMPOTENCY_STALE_MS, or made before this tamed started (it was
 * stopped or killed mid-send), is taken over, and the caller skips the
 * tickets that already got their mail.
 */
#ifndef TAME_HTTP_IDEM_H
#define TAME_HTTP_IDEM_H

#include <stdint.h>
#include <jansson.h>
#include "http_util.h"

/* Notes when this tamed started: no claim older than that is running. */
void http_idem_started(int64_t now);

/* Claims key for this request (body borrowed). Returns 1 to go on, with
 * *since the time of the key's first claim and *resumed set when a stale
 * claim was taken over; 0 when the request has been answered already (a
 * kept answer, 400 for a bad key, 409, 422, or an error). */
int http_idem_claim(struct http_ctx *c, const char *key, const json_t *body,
    int64_t *since, int *resumed);

#endif
