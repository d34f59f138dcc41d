/*
 * http_replies.h - saved replies: a library of prewritten answers with
 * placeholders (template.h), shared with the team or personal, and
 * rendered for one ticket before the agent edits and sends them.
 * c->id[0] is the saved reply's id.
 */
#ifndef TAME_HTTP_REPLIES_H
#define TAME_HTTP_REPLIES_H

#include "http_util.h"

/* GET /api/v1/saved-replies?q=&format=csv: the shared ones and mine. */
void http_replies_list(struct http_ctx *c);
/* POST /api/v1/saved-replies {title, body, shared?}: 201. */
void http_replies_create(struct http_ctx *c);
/* GET /api/v1/saved-replies/ID. */
void http_replies_get(struct http_ctx *c);
/* PATCH /api/v1/saved-replies/ID {title?, body?, shared?}. */
void http_replies_patch(struct http_ctx *c);
/* DELETE /api/v1/saved-replies/ID: 204. */
void http_replies_delete(struct http_ctx *c);
/* POST /api/v1/saved-replies/ID/render {ticket_id}: {title, body}. */
void http_replies_render(struct http_ctx *c);

#endif
