/*
 * http_avatar.h - where an agent's avatar is served, for the views that
 * show agents (the agent, the agents' list).
 */
#ifndef TAME_HTTP_AVATAR_H
#define TAME_HTTP_AVATAR_H

#include <jansson.h>
#include <stdint.h>
#include "../core/err.h"

struct store;

/* The avatar's URL, versioned by when it was set:
 * "/api/v1/agents/ID/avatar?v=AT" as a new JSON string, or JSON null
 * when at is 0 (no avatar). NULL when out of memory. */
json_t *http_avatar_url(int64_t id, int64_t at);

/* Adds "avatar_url" (http_avatar_url) to each agent object {id, ...}
 * of the array agents. One indexed look-up per agent: a desk has tens
 * of agents, and the list is read once per page load. */
enum tame_err http_avatar_add_urls(struct store *s, json_t *agents);

#endif
