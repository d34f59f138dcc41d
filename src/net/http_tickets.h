/*
 * http_tickets.h - the ticket endpoints of the API: the queue, one
 * ticket, replies, notes, changes and attachment downloads. Each handler
 * takes a context built by the dispatcher (authenticated, ids parsed:
 * c->id[0] the ticket, c->id[1] the attachment) and answers once.
 */
#ifndef TAME_HTTP_TICKETS_H
#define TAME_HTTP_TICKETS_H

#include "http_util.h"

/* GET /api/v1/tickets: filters, cursor pages, ?format=csv. */
void http_tickets_list(struct http_ctx *c);
/* GET /api/v1/tickets/ID: the ticket with messages and events. */
void http_tickets_get(struct http_ctx *c);
/* POST /api/v1/tickets/ID/replies {text, cc?, status?}: 201. */
void http_tickets_reply(struct http_ctx *c);
/* POST /api/v1/tickets/ID/notes {text}: 201. */
void http_tickets_note(struct http_ctx *c);
/* PATCH /api/v1/tickets/ID {status?, priority?, assignee_id?, tags?}. */
void http_tickets_patch(struct http_ctx *c);
/* GET /api/v1/tickets/ID/attachments/AID: the bytes as a download. */
void http_tickets_attachment(struct http_ctx *c);

#endif
