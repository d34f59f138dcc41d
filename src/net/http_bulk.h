/*
 * http_bulk.h - many tickets at once and merges: POST
 * /api/v1/tickets/bulk (assign, tag, untag, status, merge, reply, one
 * result per ticket, safe to retry with an Idempotency-Key) and POST
 * /api/v1/tickets/ID/merge.
 */
#ifndef TAME_HTTP_BULK_H
#define TAME_HTTP_BULK_H

#include "http_util.h"

/* POST /api/v1/tickets/bulk {ticket_ids, action, ...}: 200 with
 * {"action", "results":[{ticket_id, ok, ...}], "succeeded", "failed"}. */
void http_bulk_tickets(struct http_ctx *c);
/* POST /api/v1/tickets/ID/merge {into}: 200 with the target ticket. */
void http_bulk_merge(struct http_ctx *c);

#endif
