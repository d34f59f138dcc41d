/*
 * store_desk.h - what the agents' desk keeps beyond the mail spine:
 * saved replies, ticket merges and single tags, followers and
 * notifications, agents' profiles (signature, notification settings,
 * avatar), their sessions, and their access (role, disabled).
 *
 * Model: like store_intel.h, a table of functions of its own
 * (struct store_desk_ops) that each engine fills in and the backend
 * table points at (store_backend.h's member desk); store_desk.c checks
 * arguments and dispatches. Conventions are store.h's: strings borrowed
 * in and owned out, views in the API's JSON shape, callers group writes
 * with store_begin()/store_commit().
 *
 * Notifications are written by the schema itself (triggers of
 * migration 5), so a change made anywhere - the API, the SMTP ingest,
 * the CLI - reaches the agents who follow the ticket: a customer's
 * message ("message.received"), a reply, a note, a change of the
 * ticket, a merge or a bounce, never to the agent who made it, and an
 * assignment to the agent assigned ("ticket.assigned"), each as the
 * agent's settings allow. Mentions are found by the HTTP layer and
 * written with store_desk_notify().
 */
#ifndef TAME_STORE_DESK_H
#define TAME_STORE_DESK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/buf.h"
#include "../core/err.h"

struct store;

/* ---- saved replies ---- */

struct store_saved_reply {
	int64_t id;
	int64_t owner_id;      /* the agent who wrote it */
	char *title;
	char *body;
	int shared;            /* 0: only the owner sees it */
};
void store_saved_reply_clear(struct store_saved_reply *r);

enum tame_err store_desk_saved_reply_create(struct store *s, int64_t owner_id,
    const char *title, const char *body, int shared, int64_t now,
    int64_t *id);
/* TAME_ENOTFOUND. Caller calls store_saved_reply_clear. */
enum tame_err store_desk_saved_reply_get(struct store *s, int64_t id,
    struct store_saved_reply *out);
/* title/body NULL = keep, shared -1 = keep. TAME_ENOTFOUND. */
enum tame_err store_desk_saved_reply_update(struct store *s, int64_t id,
    const char *title, const char *body, int shared, int64_t now);
enum tame_err store_desk_saved_reply_delete(struct store *s, int64_t id);
/* {"saved_replies":[{id,title,body,shared,owner:{id,email,name},
 * created_at,updated_at}]}: the shared ones and viewer's own, by title;
 * q (NULL = all) keeps those whose title or body contains it
 * (case-insensitive for ASCII). */
enum tame_err store_desk_saved_replies_view(struct store *s, int64_t viewer,
    const char *q, json_t **out);
/* One saved reply in that shape; TAME_ENOTFOUND. */
enum tame_err store_desk_saved_reply_view(struct store *s, int64_t id,
    json_t **out);

/* ---- tickets: merge, tags ---- */

/* Moves every message, participant, tag and follower of ticket from to
 * ticket into, recounts into, and closes from with merged_into set.
 * Writes no event (the caller does, in the same transaction).
 * TAME_ENOTFOUND (either ticket), TAME_EINVAL (from == into),
 * TAME_ECONFLICT (either was merged already; store_errmsg says which). */
enum tame_err store_desk_merge(struct store *s, int64_t from, int64_t into,
    int64_t now);
/* store_desk_merge, and the events of it: "ticket.merged" on from
 * ({"into": into}) and on into ({"from": from}), by agent actor (0 for
 * none: tamed's own merge of a split conversation, ingest.c). */
enum tame_err store_desk_merge_logged(struct store *s, int64_t from,
    int64_t into, int64_t actor, int64_t now);
/* *into = the ticket tid was merged into, 0 if none. TAME_ENOTFOUND. */
enum tame_err store_desk_merged_into(struct store *s, int64_t tid,
    int64_t *into);
/* Adds (add 1) or removes one tag; *changed = 1 if the set changed.
 * TAME_ENOTFOUND, TAME_ETOOBIG past TAME_TAGS_MAX. Bumps updated_at. */
enum tame_err store_desk_tag(struct store *s, int64_t tid, const char *tag,
    int add, int64_t now, int *changed);
/* {"tags":[{tag, count, open}]}: every tag in use, most used first;
 * open counts the new, open and pending tickets. */
enum tame_err store_desk_tags_view(struct store *s, json_t **out);
/* *newer = the id of the latest message of tid above since that the
 * agent agent_id has not written: a customer's, or a colleague's reply
 * (*reply set); 0 when none. TAME_ENOTFOUND (ticket). */
enum tame_err store_desk_newer_inbound(struct store *s, int64_t tid,
    int64_t since, int64_t agent_id, int64_t *newer, int *reply);

/* ---- followers and notifications ---- */

/* *changed = 1 if agent_id was not (add) or was (remove) a follower.
 * TAME_ENOTFOUND (ticket or agent). */
enum tame_err store_desk_follower_add(struct store *s, int64_t tid,
    int64_t agent_id, int64_t now, int *changed);
enum tame_err store_desk_follower_remove(struct store *s, int64_t tid,
    int64_t agent_id, int *changed);
/* {"followers":[{id,email,name}]}. TAME_ENOTFOUND (ticket). */
enum tame_err store_desk_followers_view(struct store *s, int64_t tid,
    json_t **out);
/* Notifies agent_id of kind ("mention", "follower.added") about ticket
 * tid by actor (0: the system), with message msg_id (0: none), unless
 * the agent's settings turn that kind off (mentions off: no
 * "mention"; follows off: no "follower.added"); *sent says. */
enum tame_err store_desk_notify(struct store *s, int64_t agent_id,
    int64_t tid, const char *kind, int64_t actor, int64_t msg_id,
    int64_t now, int *sent);
/* {"notifications":[{id, kind, ticket:{id,subject}|null, actor:
 * {id,name}|null, message_id, created_at, read}], "unread": N,
 * "next_cursor"} newest first; only unread ones with unread_only;
 * before (0 = from the newest) is the cursor. */
enum tame_err store_desk_notifications_view(struct store *s, int64_t agent_id,
    int unread_only, int64_t before, int limit, json_t **out);
/* Marks ids[0..n) of agent_id read, or every one when ids is NULL;
 * *changed = how many were unread. */
enum tame_err store_desk_notifications_read(struct store *s, int64_t agent_id,
    const int64_t *ids, size_t n, int64_t now, int64_t *changed);

/* ---- agents' profiles and sessions ---- */

struct store_profile {
	char *signature;       /* NULL when none */
	int notify_mentions;   /* 1: notify when @mentioned */
	int notify_follows;    /* 1: notify of followed tickets' changes */
	int notify_assigned;   /* 1: notify when a ticket is assigned */
	int64_t avatar_at;     /* when the avatar was set, 0 when none */
};
void store_profile_clear(struct store_profile *p);
/* TAME_ENOTFOUND. Caller calls store_profile_clear. */
enum tame_err store_desk_profile_get(struct store *s, int64_t agent_id,
    struct store_profile *out);
/* signature NULL = keep ("" clears it); each flag -1 = keep. */
enum tame_err store_desk_profile_set(struct store *s, int64_t agent_id,
    const char *signature, int mentions, int follows, int assigned);

/* The avatar image: its type ("image/png", ...) and bytes. */
enum tame_err store_desk_avatar_set(struct store *s, int64_t agent_id,
    const char *content_type, const void *data, size_t len, int64_t now);
/* *content_type malloc'd, bytes appended to data. TAME_ENOTFOUND. */
enum tame_err store_desk_avatar_get(struct store *s, int64_t agent_id,
    char **content_type, struct buf *data, int64_t *updated_at);
enum tame_err store_desk_avatar_delete(struct store *s, int64_t agent_id);

#define STORE_SESSION_HASH_HEX 64
struct store_session_row {
	char id_hash[STORE_SESSION_HASH_HEX + 1];
	int64_t created_at;
	int64_t expires_at;
};
/* The live sessions of agent_id, newest first, at most max; *out
 * malloc'd (NULL when *n is 0), caller frees. */
enum tame_err store_desk_sessions(struct store *s, int64_t agent_id,
    int64_t now, size_t max, struct store_session_row **out, size_t *n);
/* Ends every session of agent_id except keep_hash (NULL: all);
 * *ended (may be NULL) gets how many. */
enum tame_err store_desk_sessions_end(struct store *s, int64_t agent_id,
    const char *keep_hash, int64_t *ended);

/*
 * Changes agent id's role (enum agent_role, -1 = keep) and disabled
 * (1, 0, -1 = keep), keeping the rule that an enabled admin remains:
 * when the change takes the last one away, nothing changes and the
 * answer is TAME_ECONFLICT (store_errmsg() says why). The rule is
 * checked inside the transaction that makes the change (the caller's,
 * from store_begin(), or one of its own), so two admins who disable or
 * demote each other at once cannot both succeed. A disable also sends
 * the agent's tickets that are not solved or closed back to Unassigned,
 * each with a "ticket.updated" event {"assignee_id":null,
 * "disabled_agent_id":id} by actor (0: none, the command line);
 * *unassigned (may be NULL) gets how many. An agent enabled again
 * whose name an enabled agent has taken meanwhile is refused with
 * TAME_ECONFLICT (store_agent_name_free). Sessions are not ended here
 * (store_desk_sessions_end). TAME_ENOTFOUND (agent).
 */
enum tame_err store_desk_agent_access(struct store *s, int64_t id, int role,
    int disabled, int64_t actor, int64_t now, int64_t *unassigned);

/* ---- desk-wide settings (migration 9) ---- */

/* The text of setting key (malloc'd, caller frees) in *value;
 * TAME_ENOTFOUND when it was never set (its default is the caller's). */
enum tame_err store_desk_setting_get(struct store *s, const char *key,
    char **value);
/* Sets key to value, replacing what was there. */
enum tame_err store_desk_setting_set(struct store *s, const char *key,
    const char *value, int64_t now);
/*
 * Raises ticket tid's priority to prio (enum ticket_priority) because of
 * customer message msg_id, and writes the event "ticket.priority_raised"
 * {priority, from, reason, message_id} with no actor. Nothing happens
 * (*raised = 0) when the ticket already has that priority or a higher
 * one, or when an agent set its priority by hand (a "ticket.updated"
 * event with a priority) since that message arrived. reason is a short
 * line ("urgent tone: ASAP, deadline"). TAME_ENOTFOUND (ticket).
 */
enum tame_err store_desk_priority_raise(struct store *s, int64_t tid,
    int64_t msg_id, int prio, const char *reason, int64_t now,
    int *raised);

/* ---- for backends ---- */

struct store_desk_ops {
	enum tame_err (*saved_reply_create)(struct store *s, int64_t owner_id,
	    const char *title, const char *body, int shared, int64_t now,
	    int64_t *id);
	enum tame_err (*saved_reply_get)(struct store *s, int64_t id,
	    struct store_saved_reply *out);
	enum tame_err (*saved_reply_update)(struct store *s, int64_t id,
	    const char *title, const char *body, int shared, int64_t now);
	enum tame_err (*saved_reply_delete)(struct store *s, int64_t id);
	enum tame_err (*saved_replies_view)(struct store *s, int64_t viewer,
	    const char *q, json_t **out);
	enum tame_err (*saved_reply_view)(struct store *s, int64_t id,
	    json_t **out);
	enum tame_err (*merge)(struct store *s, int64_t from, int64_t into,
	    int64_t now);
	enum tame_err (*merged_into)(struct store *s, int64_t tid,
	    int64_t *into);
	enum tame_err (*tag)(struct store *s, int64_t tid, const char *tag,
	    int add, int64_t now, int *changed);
	enum tame_err (*tags_view)(struct store *s, json_t **out);
	enum tame_err (*newer_inbound)(struct store *s, int64_t tid,
	    int64_t since, int64_t agent_id, int64_t *newer, int *reply);
	enum tame_err (*follower_add)(struct store *s, int64_t tid,
	    int64_t agent_id, int64_t now, int *changed);
	enum tame_err (*follower_remove)(struct store *s, int64_t tid,
	    int64_t agent_id, int *changed);
	enum tame_err (*followers_view)(struct store *s, int64_t tid,
	    json_t **out);
	enum tame_err (*notify)(struct store *s, int64_t agent_id,
	    int64_t tid, const char *kind, int64_t actor, int64_t msg_id,
	    int64_t now, int *sent);
	enum tame_err (*notifications_view)(struct store *s, int64_t agent_id,
	    int unread_only, int64_t before, int limit, json_t **out);
	enum tame_err (*notifications_read)(struct store *s, int64_t agent_id,
	    const int64_t *ids, size_t n, int64_t now, int64_t *changed);
	enum tame_err (*profile_get)(struct store *s, int64_t agent_id,
	    struct store_profile *out);
	enum tame_err (*profile_set)(struct store *s, int64_t agent_id,
	    const char *signature, int mentions, int follows, int assigned);
	enum tame_err (*avatar_set)(struct store *s, int64_t agent_id,
	    const char *content_type, const void *data, size_t len,
	    int64_t now);
	enum tame_err (*avatar_get)(struct store *s, int64_t agent_id,
	    char **content_type, struct buf *data, int64_t *updated_at);
	enum tame_err (*avatar_delete)(struct store *s, int64_t agent_id);
	enum tame_err (*sessions)(struct store *s, int64_t agent_id,
	    int64_t now, size_t max, struct store_session_row **out,
	    size_t *n);
	enum tame_err (*sessions_end)(struct store *s, int64_t agent_id,
	    const char *keep_hash, int64_t *ended);
	enum tame_err (*agent_access)(struct store *s, int64_t id, int role,
	    int disabled, int64_t actor, int64_t now, int64_t *unassigned);
	enum tame_err (*setting_get)(struct store *s, const char *key,
	    char **value);
	enum tame_err (*setting_set)(struct store *s, const char *key,
	    const char *value, int64_t now);
	enum tame_err (*priority_raise)(struct store *s, int64_t tid,
	    int64_t msg_id, int prio, const char *reason, int64_t now,
	    int *raised);
};

/* The SQLite engine's table (store_sqlite_desk.c). */
extern const struct store_desk_ops store_sqlite_desk_ops;

#endif
