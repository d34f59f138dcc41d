/*
 * http_presence.h - collision detection: which agents have a ticket
 * open or are typing a reply to it right now, and the check that stops
 * a reply written before the customer's newest message.
 */
#ifndef TAME_HTTP_PRESENCE_H
#define TAME_HTTP_PRESENCE_H

#include "http_util.h"

/* POST /api/v1/tickets/ID/presence {state: viewing|typing|left}: 200
 * with the others on the ticket, as GET answers. */
void http_presence_set(struct http_ctx *c);
/* GET /api/v1/tickets/ID/presence: {"presence":[{agent, state, since,
 * last_seen}]}, the caller left out. */
void http_presence_get(struct http_ctx *c);
/* GET /api/v1/presence: every ticket someone is on, for the inbox. */
void http_presence_all(struct http_ctx *c);

/* Agent agent_id is on no ticket any more: disabled, they will not
 * send the reply a colleague would otherwise wait for (their entries
 * would show them "typing" until they expire). */
void http_presence_forget(int64_t agent_id);

/* For POST /tickets/ID/replies with since_message_id, which reply_send
 * found older than message newer (a colleague's reply when is_reply):
 * answers 409 new_message with newer's id. */
void http_presence_newer(struct http_ctx *c, int64_t newer, int is_reply);

#endif
