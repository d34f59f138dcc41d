/*
 * http_notify.h - followers of a ticket ("add a colleague"), @mentions
 * in notes, and each agent's notifications.
 */
#ifndef TAME_HTTP_NOTIFY_H
#define TAME_HTTP_NOTIFY_H

#include "http_util.h"

/* GET /api/v1/tickets/ID/followers (?format=csv). */
void http_notify_followers(struct http_ctx *c);
/* POST /api/v1/tickets/ID/followers {agent_id}: 201 added, 200 already
 * there; the colleague is notified ("follower.added"). */
void http_notify_follow(struct http_ctx *c);
/* DELETE /api/v1/tickets/ID/followers {agent_id} or
 * DELETE /api/v1/tickets/ID/followers/AID: 200 with the followers. */
void http_notify_unfollow(struct http_ctx *c);
/* GET /api/v1/notifications?unread=1&limit=&cursor= (?format=csv). */
void http_notify_list(struct http_ctx *c);
/* POST /api/v1/notifications/read {ids}, or {all: true} or {} for
 * all. */
void http_notify_read(struct http_ctx *c);

/* Notifies the agents @mentioned in note text (message msg_id of
 * ticket tid, written by the caller), except the caller. Failures are
 * logged: the note stands without them. For the notes handler. */
void http_notify_mentions(struct http_ctx *c, int64_t tid, int64_t msg_id,
    const char *text);

#endif
