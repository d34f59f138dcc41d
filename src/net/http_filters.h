/*
 * http_filters.h - an agent's saved filters over the API: named sets of
 * the ticket list's parameters (status, assignee, tag, priority, q),
 * kept on the server per agent so that they follow the agent from one
 * browser to the next. c->id[0] is the filter's id.
 */
#ifndef TAME_HTTP_FILTERS_H
#define TAME_HTTP_FILTERS_H

#include "http_util.h"

/* GET /api/v1/filters?format=csv: the caller's saved filters. */
void http_filters_list(struct http_ctx *c);
/* POST /api/v1/filters {id?, name, status?, assignee?, tag?, priority?,
 * q?}: 201 with a new filter, or 200 replacing filter id. */
void http_filters_save(struct http_ctx *c);
/* DELETE /api/v1/filters/ID: 204. */
void http_filters_delete(struct http_ctx *c);

#endif
