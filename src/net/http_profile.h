/*
 * http_profile.h - an agent's own things: the profile fields of the
 * agent view (signature, notification settings, avatar), the avatar
 * image, the password and the list of sessions.
 */
#ifndef TAME_HTTP_PROFILE_H
#define TAME_HTTP_PROFILE_H

#include "http_util.h"

/* The agent view of store_agent_view() with the profile fields added:
 * signature, notify_mentions, notify_follows, notify_assigned,
 * avatar_url (null without one). Same contract as store_agent_view. */
enum tame_err http_profile_agent_view(struct store *s, int64_t id,
    json_t **out);
/* The profile fields of an agent PATCH body (signature, notify_*,
 * checked by the caller's field table): stores those present for agent
 * id. 0, or -1 after answering. */
int http_profile_apply(struct http_ctx *c, int64_t id, const json_t *body);

/* PUT /api/v1/agents/me/avatar: the image as the body (image/png,
 * image/jpeg or image/webp, at most TAME_AVATAR_MAX bytes). */
void http_profile_avatar_put(struct http_ctx *c);
/* DELETE /api/v1/agents/me/avatar: 204. */
void http_profile_avatar_delete(struct http_ctx *c);
/* GET /api/v1/agents/ID/avatar (or /me/avatar): the image. */
void http_profile_avatar_get(struct http_ctx *c);
/* POST /api/v1/session/password {current, new}: ends the agent's other
 * sessions. */
void http_profile_password(struct http_ctx *c);
/* Checks current (may be NULL: missing) against the caller's password,
 * throttled as logins are. 0, or -1 after answering (403, 429). */
int http_profile_check_current(struct http_ctx *c, const char *current);
/* GET /api/v1/sessions (?format=csv): the caller's live sessions. */
void http_profile_sessions(struct http_ctx *c);
/* DELETE /api/v1/sessions/ID: ends one of them. */
void http_profile_session_delete(struct http_ctx *c);

#endif
