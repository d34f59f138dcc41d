/*
 * store_sqlite_desk.h - internals of the SQLite backend of store_desk.h,
 * shared by its two files: store_sqlite_desk.c (saved replies, merges
 * and tags, and the ops table) and store_sqlite_desk_agent.c (what each
 * agent has: followed tickets, notifications, profile, avatar,
 * sessions). Not for use outside src/store.
 */
#ifndef TAME_STORE_SQLITE_DESK_H
#define TAME_STORE_SQLITE_DESK_H

#include "store_desk.h"
#include "store_sqlite.h"

/* ---- helpers (store_sqlite_desk.c) ---- */

/* One-id look-ups for sq_desk_exists(). */
extern const char sq_desk_ticket_exists[];
extern const char sq_desk_agent_exists[];

/* 0 if a row of sql (one id parameter) exists, else TAME_ENOTFOUND. */
enum tame_err sq_desk_exists(struct sq *q, const char *sql, int64_t id);
/* 0 if ticket tid exists and was not merged into another; else
 * TAME_ENOTFOUND, or TAME_ECONFLICT with store_errmsg() "ticket #A was
 * merged into #B: change that one" (what is left of a merge stays
 * closed and empty). */
enum tame_err sq_desk_ticket_unmerged(struct sq *q, int64_t tid);
/* Finishes a view: *out = o on success (bad == 0), else frees o and
 * returns TAME_ENOMEM. Takes o. */
enum tame_err sq_desk_view_done(json_t *o, int bad, json_t **out);
/* {id,email,name} of the agent in columns i, i+1, i+2; null when the
 * id is NULL. NULL when out of memory; the caller owns the result. */
json_t *sq_desk_agent_brief(sqlite3_stmt *st, int i);

/* ---- per agent (store_sqlite_desk_agent.c) ---- */

/* The members of store_sqlite_desk_ops of the same names; contracts in
 * store_desk.h (store_desk_NAME). */
enum tame_err sq_desk_follower_add(struct store *s, int64_t tid,
    int64_t agent_id, int64_t now, int *changed);
enum tame_err sq_desk_follower_remove(struct store *s, int64_t tid,
    int64_t agent_id, int *changed);
enum tame_err sq_desk_followers_view(struct store *s, int64_t tid,
    json_t **out);
enum tame_err sq_desk_notify(struct store *s, int64_t agent_id, int64_t tid,
    const char *kind, int64_t actor, int64_t msg_id, int64_t now, int *sent);
enum tame_err sq_desk_notifications_view(struct store *s, int64_t agent_id,
    int unread_only, int64_t before, int limit, json_t **out);
enum tame_err sq_desk_notifications_read(struct store *s, int64_t agent_id,
    const int64_t *ids, size_t n, int64_t now, int64_t *changed);
enum tame_err sq_desk_profile_get(struct store *s, int64_t agent_id,
    struct store_profile *out);
enum tame_err sq_desk_profile_set(struct store *s, int64_t agent_id,
    const char *signature, int mentions, int follows, int assigned);
enum tame_err sq_desk_avatar_set(struct store *s, int64_t agent_id,
    const char *ct, const void *data, size_t len, int64_t now);
enum tame_err sq_desk_avatar_get(struct store *s, int64_t agent_id,
    char **ct, struct buf *data, int64_t *updated_at);
enum tame_err sq_desk_avatar_delete(struct store *s, int64_t agent_id);
enum tame_err sq_desk_sessions(struct store *s, int64_t agent_id,
    int64_t now, size_t max, struct store_session_row **out, size_t *n);
enum tame_err sq_desk_sessions_end(struct store *s, int64_t agent_id,
    const char *keep, int64_t *ended);
enum tame_err sq_desk_agent_access(struct store *s, int64_t id, int role,
    int disabled, int64_t actor, int64_t now, int64_t *unassigned);

#endif
