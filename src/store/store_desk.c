/*
 * store_desk.c - the public store_desk_* functions: argument checks that
 * are the same for every engine, then a call through the engine's
 * struct store_desk_ops (store_desk.h). Knows no SQL, like store.c.
 */
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "store_backend.h"
#include "store_desk.h"
#include "../core/model.h"

/* A required argument is missing or the engine has no desk tables: a
 * bug in the caller, reported as TAME_EINVAL rather than a crash. */
#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		store_set_errmsg(s, "%s: bad argument (%s)", __func__,	\
		    #cond);						\
		return TAME_EINVAL;					\
	}								\
} while (0)

#define OPS(s) ((s)->be->desk)

void
store_saved_reply_clear(struct store_saved_reply *r)
{
	if (!r)
		return;
	free(r->title);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void
store_profile_clear(struct store_profile *p)
{
	if (!p)
		return;
	free(p->signature);
	memset(p, 0, sizeof(*p));
}

/* ---- saved replies ---- */

enum tame_err
store_desk_saved_reply_create(struct store *s, int64_t owner_id,
    const char *title, const char *body, int shared, int64_t now,
    int64_t *id)
{
	REQUIRE(s && OPS(s) && owner_id > 0 && title && body && id);
	return OPS(s)->saved_reply_create(s, owner_id, title, body,
	    shared != 0, now, id);
}

enum tame_err
store_desk_saved_reply_get(struct store *s, int64_t id,
    struct store_saved_reply *out)
{
	REQUIRE(s && OPS(s) && out);
	memset(out, 0, sizeof(*out));
	return OPS(s)->saved_reply_get(s, id, out);
}

enum tame_err
store_desk_saved_reply_update(struct store *s, int64_t id, const char *title,
    const char *body, int shared, int64_t now)
{
	REQUIRE(s && OPS(s) && shared >= -1 && shared <= 1);
	return OPS(s)->saved_reply_update(s, id, title, body, shared, now);
}

enum tame_err
store_desk_saved_reply_delete(struct store *s, int64_t id)
{
	REQUIRE(s && OPS(s));
	return OPS(s)->saved_reply_delete(s, id);
}

enum tame_err
store_desk_saved_replies_view(struct store *s, int64_t viewer, const char *q,
    json_t **out)
{
	REQUIRE(s && OPS(s) && out);
	REQUIRE(!q || strlen(q) <= TAME_QUERY_MAX);
	return OPS(s)->saved_replies_view(s, viewer, q && *q ? q : NULL,
	    out);
}

enum tame_err
store_desk_saved_reply_view(struct store *s, int64_t id, json_t **out)
{
	REQUIRE(s && OPS(s) && out);
	return OPS(s)->saved_reply_view(s, id, out);
}

/* ---- tickets ---- */

enum tame_err
store_desk_merge(struct store *s, int64_t from, int64_t into, int64_t now)
{
	REQUIRE(s && OPS(s) && from > 0 && into > 0);
	if (from == into) {
		store_set_errmsg(s, "a ticket cannot be merged into itself");
		return TAME_EINVAL;
	}
	return OPS(s)->merge(s, from, into, now);
}

enum tame_err
store_desk_merge_logged(struct store *s, int64_t from, int64_t into,
    int64_t actor, int64_t now)
{
	json_t *a = json_pack("{sI}", "into", (json_int_t)into);
	json_t *b = json_pack("{sI}", "from", (json_int_t)from);
	enum tame_err rc;

	if (!a || !b)
		rc = TAME_ENOMEM;
	else if (!(rc = store_desk_merge(s, from, into, now)) &&
	    !(rc = store_event_add(s, from, actor, "ticket.merged", a, now)))
		rc = store_event_add(s, into, actor, "ticket.merged", b, now);
	json_decref(a);
	json_decref(b);
	return rc;
}

enum tame_err
store_desk_merged_into(struct store *s, int64_t tid, int64_t *into)
{
	REQUIRE(s && OPS(s) && into);
	*into = 0;
	return OPS(s)->merged_into(s, tid, into);
}

enum tame_err
store_desk_tag(struct store *s, int64_t tid, const char *tag, int add,
    int64_t now, int *changed)
{
	REQUIRE(s && OPS(s) && tag && changed);
	if (!tag[0] || strlen(tag) > TAME_FIELD_MAX) {
		store_set_errmsg(s, "bad tag");
		return TAME_EINVAL;
	}
	*changed = 0;
	return OPS(s)->tag(s, tid, tag, add != 0, now, changed);
}

enum tame_err
store_desk_tags_view(struct store *s, json_t **out)
{
	REQUIRE(s && OPS(s) && out);
	return OPS(s)->tags_view(s, out);
}

enum tame_err
store_desk_newer_inbound(struct store *s, int64_t tid, int64_t since,
    int64_t agent_id, int64_t *newer, int *reply)
{
	REQUIRE(s && OPS(s) && newer && reply);
	*newer = 0;
	*reply = 0;
	return OPS(s)->newer_inbound(s, tid, since, agent_id, newer, reply);
}

/* ---- followers and notifications ---- */

enum tame_err
store_desk_follower_add(struct store *s, int64_t tid, int64_t agent_id,
    int64_t now, int *changed)
{
	REQUIRE(s && OPS(s) && agent_id > 0 && changed);
	*changed = 0;
	return OPS(s)->follower_add(s, tid, agent_id, now, changed);
}

enum tame_err
store_desk_follower_remove(struct store *s, int64_t tid, int64_t agent_id,
    int *changed)
{
	REQUIRE(s && OPS(s) && changed);
	*changed = 0;
	return OPS(s)->follower_remove(s, tid, agent_id, changed);
}

enum tame_err
store_desk_followers_view(struct store *s, int64_t tid, json_t **out)
{
	REQUIRE(s && OPS(s) && out);
	return OPS(s)->followers_view(s, tid, out);
}

enum tame_err
store_desk_notify(struct store *s, int64_t agent_id, int64_t tid,
    const char *kind, int64_t actor, int64_t msg_id, int64_t now, int *sent)
{
	int dummy;

	REQUIRE(s && OPS(s) && agent_id > 0 && kind && kind[0]);
	if (!sent)
		sent = &dummy;
	*sent = 0;
	return OPS(s)->notify(s, agent_id, tid, kind, actor, msg_id, now,
	    sent);
}

enum tame_err
store_desk_notifications_view(struct store *s, int64_t agent_id,
    int unread_only, int64_t before, int limit, json_t **out)
{
	REQUIRE(s && OPS(s) && out && before >= 0);
	REQUIRE(limit >= 1 && limit <= TAME_LIST_LIMIT_MAX);
	return OPS(s)->notifications_view(s, agent_id, unread_only != 0,
	    before, limit, out);
}

enum tame_err
store_desk_notifications_read(struct store *s, int64_t agent_id,
    const int64_t *ids, size_t n, int64_t now, int64_t *changed)
{
	int64_t dummy;

	REQUIRE(s && OPS(s) && (ids || n == 0));
	REQUIRE(n <= TAME_LIST_LIMIT_MAX);
	if (!changed)
		changed = &dummy;
	*changed = 0;
	return OPS(s)->notifications_read(s, agent_id, ids, n, now, changed);
}

/* ---- profiles and sessions ---- */

enum tame_err
store_desk_profile_get(struct store *s, int64_t agent_id,
    struct store_profile *out)
{
	REQUIRE(s && OPS(s) && out);
	memset(out, 0, sizeof(*out));
	return OPS(s)->profile_get(s, agent_id, out);
}

enum tame_err
store_desk_profile_set(struct store *s, int64_t agent_id,
    const char *signature, int mentions, int follows, int assigned)
{
	REQUIRE(s && OPS(s));
	REQUIRE(mentions >= -1 && mentions <= 1 && follows >= -1 &&
	    follows <= 1 && assigned >= -1 && assigned <= 1);
	return OPS(s)->profile_set(s, agent_id, signature, mentions, follows,
	    assigned);
}

enum tame_err
store_desk_avatar_set(struct store *s, int64_t agent_id,
    const char *content_type, const void *data, size_t len, int64_t now)
{
	REQUIRE(s && OPS(s) && content_type && data && len > 0);
	return OPS(s)->avatar_set(s, agent_id, content_type, data, len, now);
}

enum tame_err
store_desk_avatar_get(struct store *s, int64_t agent_id, char **content_type,
    struct buf *data, int64_t *updated_at)
{
	int64_t dummy;

	REQUIRE(s && OPS(s) && content_type && data);
	*content_type = NULL;
	if (!updated_at)
		updated_at = &dummy;
	return OPS(s)->avatar_get(s, agent_id, content_type, data,
	    updated_at);
}

enum tame_err
store_desk_avatar_delete(struct store *s, int64_t agent_id)
{
	REQUIRE(s && OPS(s));
	return OPS(s)->avatar_delete(s, agent_id);
}

enum tame_err
store_desk_sessions(struct store *s, int64_t agent_id, int64_t now,
    size_t max, struct store_session_row **out, size_t *n)
{
	REQUIRE(s && OPS(s) && out && n && max > 0);
	*out = NULL;
	*n = 0;
	return OPS(s)->sessions(s, agent_id, now, max, out, n);
}

enum tame_err
store_desk_sessions_end(struct store *s, int64_t agent_id,
    const char *keep_hash, int64_t *ended)
{
	int64_t dummy;

	REQUIRE(s && OPS(s));
	if (!ended)
		ended = &dummy;
	*ended = 0;
	return OPS(s)->sessions_end(s, agent_id, keep_hash, ended);
}

enum tame_err
store_desk_agent_access(struct store *s, int64_t id, int role, int disabled,
    int64_t actor, int64_t now, int64_t *unassigned)
{
	int64_t dummy;
	enum tame_err rc;

	REQUIRE(s && OPS(s) && OPS(s)->agent_access && id > 0 &&
	    (role == -1 || role == ROLE_AGENT || role == ROLE_ADMIN) &&
	    disabled >= -1 && disabled <= 1);
	if (!unassigned)
		unassigned = &dummy;
	*unassigned = 0;
	/* enabled again: no two enabled agents have one name */
	if (disabled == 0 && (rc = store_agent_name_free(s, id)))
		return rc;
	return OPS(s)->agent_access(s, id, role, disabled, actor, now,
	    unassigned);
}

/* ---- desk-wide settings ---- */

enum tame_err
store_desk_setting_get(struct store *s, const char *key, char **value)
{
	REQUIRE(s && OPS(s) && OPS(s)->setting_get && key && value);
	*value = NULL;
	return OPS(s)->setting_get(s, key, value);
}

enum tame_err
store_desk_setting_set(struct store *s, const char *key, const char *value,
    int64_t now)
{
	REQUIRE(s && OPS(s) && OPS(s)->setting_set && key && *key && value);
	return OPS(s)->setting_set(s, key, value, now);
}

enum tame_err
store_desk_priority_raise(struct store *s, int64_t tid, int64_t msg_id,
    int prio, const char *reason, int64_t now, int *raised)
{
	REQUIRE(s && OPS(s) && OPS(s)->priority_raise && raised && reason &&
	    prio >= 0 && prio < PRIORITY_COUNT);
	*raised = 0;
	return OPS(s)->priority_raise(s, tid, msg_id, prio, reason, now,
	    raised);
}
