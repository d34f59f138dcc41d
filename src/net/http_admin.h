/*
 * http_admin.h - the customer, agent and mailbox endpoints of the API.
 * Reading is open to every agent; creating and changing needs the admin
 * role, except that agents may change their own name and password.
 * c->id[0] is the object's id (0 for /agents/me).
 */
#ifndef TAME_HTTP_ADMIN_H
#define TAME_HTTP_ADMIN_H

#include "http_util.h"

void http_admin_customers_list(struct http_ctx *c);
void http_admin_customer_get(struct http_ctx *c);
void http_admin_customer_create(struct http_ctx *c);
void http_admin_customer_patch(struct http_ctx *c);

void http_admin_agents_list(struct http_ctx *c);
void http_admin_agent_get(struct http_ctx *c);
void http_admin_agent_create(struct http_ctx *c);
void http_admin_agent_patch(struct http_ctx *c);
/* DELETE /api/v1/agents/ID/tokens: ends the agent's API tokens (admin,
 * or the agent) -> {"revoked":N}. */
void http_admin_agent_tokens_delete(struct http_ctx *c);

void http_admin_mailboxes_list(struct http_ctx *c);
void http_admin_mailbox_get(struct http_ctx *c);
void http_admin_mailbox_create(struct http_ctx *c);
void http_admin_mailbox_patch(struct http_ctx *c);

#endif
