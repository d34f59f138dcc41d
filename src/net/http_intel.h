/*
 * http_intel.h - the queue intelligence endpoints (docs/API.md,
 * "Trends", "Similar cases"): trends and what agents do to them, the
 * mass reply to a trend, and the similar solved cases of a ticket.
 * Handlers for http_api.c's route table; each answers exactly once.
 */
#ifndef TAME_HTTP_INTEL_H
#define TAME_HTTP_INTEL_H

#include "http_util.h"

/* GET /api/v1/trends[?min_open=N&limit=N&sort=open|rising&samples=N
 * &format=csv] */
void http_intel_trends_list(struct http_ctx *c);
/* GET /api/v1/trends/ID */
void http_intel_trend_get(struct http_ctx *c);
/* GET /api/v1/trends/ID/similar[?limit=N] */
void http_intel_trend_similar(struct http_ctx *c);
/* PATCH /api/v1/trends/ID {label} */
void http_intel_trend_patch(struct http_ctx *c);
/* POST /api/v1/trends/ID/merge {into} */
void http_intel_trend_merge(struct http_ctx *c);
/* POST /api/v1/trends/ID/split {ticket_ids} */
void http_intel_trend_split(struct http_ctx *c);
/* POST /api/v1/tickets/ID/trend/remove */
void http_intel_ticket_trend_remove(struct http_ctx *c);
/* POST /api/v1/trends/ID/reply {text|saved_reply_id, status?, exclude?,
 * preview?} with an optional Idempotency-Key header
 * (http_intel_reply.c). */
void http_intel_trend_reply(struct http_ctx *c);
/* GET /api/v1/tickets/ID/similar[?limit=N] */
void http_intel_similar(struct http_ctx *c);

/* Parses ?flag=KIND[,KIND...] of the ticket list into a mask of enum
 * store_flag (0 when absent). 0, or -1 after answering 400. */
int http_intel_flag_param(struct http_ctx *c, unsigned *mask);

/* Shared by the two files of the module. */
struct intel;
/* The running intelligence, or NULL after answering 503. */
struct intel *http_intel_get(struct http_ctx *c);
/* Answers 400 unknown_field when body has a key not in names[0..n);
 * returns -1 then, 0 otherwise. */
int http_intel_known_keys(struct http_ctx *c, const json_t *body,
    const char *const *names, size_t n);
/* Reads body[key] as an array of ids (at most max, each >= 1) into a
 * malloc'd *out (NULL when absent or empty). -1 after answering 400. */
int http_intel_ids(struct http_ctx *c, const json_t *body, const char *key,
    size_t max, int64_t **out, size_t *n);

#endif
