/*
 * store_sqlite_desk_agent.c - the SQLite backend of what store_desk.h
 * keeps for each agent: followed tickets, notifications, the profile
 * (signature, notification settings), the avatar, the sessions, and
 * the role and disabled flag with the rule that keeps an enabled admin.
 *
 * Model: small tables of migration 5. Notifications of followed tickets
 * are written by the schema's triggers (migrations.c, step 5); this
 * file writes only mentions and "you were added" and reads them back.
 * The functions are members of store_sqlite_desk_ops
 * (store_sqlite_desk.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "../core/util.h"
#include "store_desk.h"
#include "store_sqlite.h"
#include "store_sqlite_desk.h"

/* ---- followers and notifications ---- */

enum tame_err
sq_desk_follower_add(struct store *s, int64_t tid, int64_t agent_id,
    int64_t now, int *changed)
{
	static const char sql[] = "INSERT OR IGNORE INTO ticket_followers"
	    "(ticket_id, agent_id, created_at) VALUES (?1, ?2, ?3)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = sq_desk_exists(q, sq_desk_ticket_exists, tid)) ||
	    (rc = sq_desk_exists(q, sq_desk_agent_exists, agent_id)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, agent_id);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*changed = sqlite3_changes(q->db) > 0;
	return rc;
}

enum tame_err
sq_desk_follower_remove(struct store *s, int64_t tid, int64_t agent_id,
    int *changed)
{
	static const char sql[] = "DELETE FROM ticket_followers"
	    " WHERE ticket_id = ?1 AND agent_id = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = sq_desk_exists(q, sq_desk_ticket_exists, tid)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, agent_id);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*changed = sqlite3_changes(q->db) > 0;
	return rc;
}

/* A follower: the agent brief of the row's first columns. */
static json_t *
follower_json(sqlite3_stmt *st)
{
	return sq_desk_agent_brief(st, 0);
}

enum tame_err
sq_desk_followers_view(struct store *s, int64_t tid, json_t **out)
{
	static const char sql[] = "SELECT a.id, a.email, a.name"
	    " FROM ticket_followers f JOIN agents a ON a.id = f.agent_id"
	    " WHERE f.ticket_id = ?1 ORDER BY f.created_at, a.id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	json_t *arr = NULL, *o = NULL;
	enum tame_err rc;

	if ((rc = sq_desk_exists(q, sq_desk_ticket_exists, tid)))
		return rc;
	st = sq_stmt(q, sql);
	if (!(arr = json_array()) || !(o = json_object())) {
		rc = TAME_ENOMEM;
		goto out;
	}
	sq_bind_int(q, st, 1, tid);
	rc = sq_json_rows(q, st, follower_json, arr);
out:
	sq_done(st);
	if (rc) {
		json_decref(arr);
		json_decref(o);
		return rc;
	}
	return sq_desk_view_done(o, sq_jset(o, "followers", arr), out);
}

enum tame_err
sq_desk_notify(struct store *s, int64_t agent_id, int64_t tid, const char *kind,
    int64_t actor, int64_t msg_id, int64_t now, int *sent)
{
	static const char prefs[] = "SELECT notify_mentions, notify_follows,"
	    " disabled FROM agents WHERE id = ?1";
	static const char ins[] = "INSERT INTO notifications(agent_id,"
	    " ticket_id, kind, actor_agent_id, message_id, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, prefs);
	enum tame_err rc;
	int want = 1;

	sq_bind_int(q, st, 1, agent_id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		if (sqlite3_column_int(st, 2))
			want = 0;
		else if (strcmp(kind, "mention") == 0)
			want = sqlite3_column_int(st, 0) != 0;
		else if (strcmp(kind, "follower.added") == 0)
			want = sqlite3_column_int(st, 1) != 0;
	}
	sq_done(st);
	if (rc || !want)
		return rc;
	st = sq_stmt(q, ins);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_id(q, st, 2, tid);
	sq_bind_text(q, st, 3, kind);
	sq_bind_id(q, st, 4, actor);
	sq_bind_id(q, st, 5, msg_id);
	sq_bind_int(q, st, 6, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*sent = 1;
	return rc;
}

static json_t *
notification_json(sqlite3_stmt *st)
{
	json_t *o = json_object(), *t;
	int bad = !o;

	if (bad)
		return NULL;
	if (sqlite3_column_type(st, 2) == SQLITE_NULL)
		t = json_null();
	else
		t = json_pack("{s:I,s:o}", "id",
		    (json_int_t)sqlite3_column_int64(st, 2), "subject",
		    sq_json_text(st, 3));
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "kind", sq_json_text(st, 1));
	bad |= sq_jset(o, "ticket", t);
	bad |= sq_jset(o, "actor", sq_desk_agent_brief(st, 4));
	bad |= sq_jset(o, "message_id", sq_json_id(st, 7));
	bad |= sq_jset(o, "created_at", sq_json_time(st, 8));
	bad |= sq_jset(o, "read", json_boolean(sqlite3_column_type(st, 9) !=
	    SQLITE_NULL));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum tame_err
sq_desk_notifications_view(struct store *s, int64_t agent_id, int unread_only,
    int64_t before, int limit, json_t **out)
{
	static const char sql[] = "SELECT n.id, n.kind, n.ticket_id,"
	    " t.subject, n.actor_agent_id, a.email, a.name, n.message_id,"
	    " n.created_at, n.read_at FROM notifications n"
	    " LEFT JOIN tickets t ON t.id = n.ticket_id"
	    " LEFT JOIN agents a ON a.id = n.actor_agent_id"
	    " WHERE n.agent_id = ?1 AND (?2 = 0 OR n.read_at IS NULL)"
	    " AND (?3 = 0 OR n.id < ?3) ORDER BY n.id DESC LIMIT ?4";
	static const char unread[] = "SELECT count(*) FROM notifications"
	    " WHERE agent_id = ?1 AND read_at IS NULL";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	json_t *arr = json_array(), *o = json_object(), *next = json_null();
	int64_t last = 0, n_unread = 0;
	char cur[24];
	enum tame_err rc;
	int rows = 0, bad;

	if (!arr || !o || !next) {
		rc = TAME_ENOMEM;
		goto out;
	}
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_int(q, st, 2, unread_only);
	sq_bind_int(q, st, 3, before);
	sq_bind_int(q, st, 4, (int64_t)limit + 1);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		if (rows++ == limit) {
			snprintf(cur, sizeof(cur), "%lld", (long long)last);
			json_decref(next);
			next = json_string(cur);
			break;
		}
		last = sqlite3_column_int64(st, 0);
		if (json_array_append_new(arr, notification_json(st))) {
			rc = TAME_ENOMEM;
			break;
		}
	}
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
	sq_done(st);
	if (rc)
		goto out;
	st = sq_stmt(q, unread);
	sq_bind_int(q, st, 1, agent_id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		n_unread = sqlite3_column_int64(st, 0);
out:
	sq_done(st);
	if (rc) {
		json_decref(arr);
		json_decref(o);
		json_decref(next);
		return rc;
	}
	bad = sq_jset(o, "notifications", arr);
	bad |= sq_jset(o, "unread", json_integer(n_unread));
	bad |= sq_jset(o, "next_cursor", next);
	return sq_desk_view_done(o, bad, out);
}

enum tame_err
sq_desk_notifications_read(struct store *s, int64_t agent_id,
    const int64_t *ids, size_t n, int64_t now, int64_t *changed)
{
	static const char one[] = "UPDATE notifications SET read_at = ?3"
	    " WHERE agent_id = ?1 AND id = ?2 AND read_at IS NULL";
	static const char all[] = "UPDATE notifications SET read_at = ?2"
	    " WHERE agent_id = ?1 AND read_at IS NULL";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc = TAME_OK;
	size_t i;
	int own;

	if (!ids) {
		st = sq_stmt(q, all);
		sq_bind_int(q, st, 1, agent_id);
		sq_bind_int(q, st, 2, now);
		if ((rc = sq_run(q, st)) == TAME_OK)
			*changed = sqlite3_changes(q->db);
		return rc;
	}
	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	for (i = 0; i < n && rc == TAME_OK; i++) {
		st = sq_stmt(q, one);
		sq_bind_int(q, st, 1, agent_id);
		sq_bind_int(q, st, 2, ids[i]);
		sq_bind_int(q, st, 3, now);
		if ((rc = sq_run(q, st)) == TAME_OK)
			*changed += sqlite3_changes(q->db);
	}
	return sq_tx_end(q, own, rc);
}

/* ---- profiles, avatars, sessions ---- */

enum tame_err
sq_desk_profile_get(struct store *s, int64_t agent_id,
    struct store_profile *out)
{
	static const char sql[] = "SELECT signature, notify_mentions,"
	    " notify_follows, notify_assigned, (SELECT updated_at FROM"
	    " agent_avatars v WHERE v.agent_id = agents.id)"
	    " FROM agents WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->notify_mentions = sqlite3_column_int(st, 1) != 0;
		out->notify_follows = sqlite3_column_int(st, 2) != 0;
		out->notify_assigned = sqlite3_column_int(st, 3) != 0;
		out->avatar_at = sqlite3_column_int64(st, 4);
		rc = sq_col_dup(st, 0, &out->signature);
	}
	sq_done(st);
	return rc;
}

enum tame_err
sq_desk_profile_set(struct store *s, int64_t agent_id, const char *signature,
    int mentions, int follows, int assigned)
{
	static const char sql[] = "UPDATE agents SET"
	    " signature = CASE WHEN ?2 THEN nullif(?3, '') ELSE signature END,"
	    " notify_mentions = CASE WHEN ?4 >= 0 THEN ?4"
	    "  ELSE notify_mentions END,"
	    " notify_follows = CASE WHEN ?5 >= 0 THEN ?5"
	    "  ELSE notify_follows END,"
	    " notify_assigned = CASE WHEN ?6 >= 0 THEN ?6"
	    "  ELSE notify_assigned END WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	sq_bind_int(q, st, 2, signature != NULL);
	sq_bind_text(q, st, 3, signature);
	sq_bind_int(q, st, 4, mentions);
	sq_bind_int(q, st, 5, follows);
	sq_bind_int(q, st, 6, assigned);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

enum tame_err
sq_desk_avatar_set(struct store *s, int64_t agent_id, const char *ct,
    const void *data, size_t len, int64_t now)
{
	static const char sql[] = "INSERT INTO agent_avatars(agent_id,"
	    " content_type, data, updated_at) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(agent_id) DO UPDATE SET content_type = ?2,"
	    " data = ?3, updated_at = ?4";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = sq_desk_exists(q, sq_desk_agent_exists, agent_id)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, ct);
	sq_bind_blob(q, st, 3, data, len);
	sq_bind_int(q, st, 4, now);
	return sq_run(q, st);
}

enum tame_err
sq_desk_avatar_get(struct store *s, int64_t agent_id, char **ct,
    struct buf *data, int64_t *updated_at)
{
	static const char sql[] = "SELECT content_type, data, updated_at"
	    " FROM agent_avatars WHERE agent_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	const void *p;
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	if ((rc = sq_row(q, st)) == TAME_OK &&
	    (rc = sq_col_dup(st, 0, ct)) == TAME_OK) {
		p = sqlite3_column_blob(st, 1);
		rc = buf_add(data, p ? p : "",
		    (size_t)sqlite3_column_bytes(st, 1));
		*updated_at = sqlite3_column_int64(st, 2);
	}
	sq_done(st);
	if (rc) {
		free(*ct);
		*ct = NULL;
	}
	return rc;
}

enum tame_err
sq_desk_avatar_delete(struct store *s, int64_t agent_id)
{
	static const char sql[] = "DELETE FROM agent_avatars"
	    " WHERE agent_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

enum tame_err
sq_desk_sessions(struct store *s, int64_t agent_id, int64_t now, size_t max,
    struct store_session_row **out, size_t *n)
{
	static const char sql[] = "SELECT id_hash, created_at, expires_at"
	    " FROM sessions WHERE agent_id = ?1 AND expires_at > ?2"
	    " ORDER BY created_at DESC, id_hash LIMIT ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	struct store_session_row *v;
	const unsigned char *h;
	enum tame_err rc = TAME_OK;

	if (!(v = calloc(max, sizeof(*v)))) {
		sq_done(st);
		return TAME_ENOMEM;
	}
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_int(q, st, 2, now);
	sq_bind_int(q, st, 3, (int64_t)max);
	while (*n < max && (rc = sq_row(q, st)) == TAME_OK) {
		h = sqlite3_column_text(st, 0);
		snprintf(v[*n].id_hash, sizeof(v[*n].id_hash), "%s",
		    h ? (const char *)h : "");
		v[*n].created_at = sqlite3_column_int64(st, 1);
		v[*n].expires_at = sqlite3_column_int64(st, 2);
		(*n)++;
	}
	sq_done(st);
	if (*n == max || rc == TAME_ENOTFOUND)
		rc = TAME_OK;
	if (rc || *n == 0) {
		free(v);
		*n = rc ? 0 : *n;
		return rc;
	}
	*out = v;
	return TAME_OK;
}

enum tame_err
sq_desk_sessions_end(struct store *s, int64_t agent_id, const char *keep,
    int64_t *ended)
{
	static const char sql[] = "DELETE FROM sessions WHERE agent_id = ?1"
	    " AND (?2 IS NULL OR id_hash <> ?2)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, keep);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*ended = sqlite3_changes(q->db);
	return rc;
}

/* ---- access: role and disabled ---- */

/* *admins gets how many enabled admins there are. */
static enum tame_err
enabled_admins(struct sq *q, int64_t *admins)
{
	return sq_one_int(q, "SELECT count(*) FROM agents"
	    " WHERE role = 1 AND NOT disabled", admins);
}

/* Sends agent id's tickets that are not solved or closed back to
 * Unassigned, the event first (it is read off the ticket's assignee);
 * *n gets how many. */
static enum tame_err
unassign_all(struct sq *q, int64_t id, int64_t actor, int64_t now,
    int64_t *n)
{
	static const char ev[] = LEAVER_EVENT("?2", "?3")
	    " WHERE t.assignee_id = ?1 AND t.status < 3 ORDER BY t.id";
	static const char upd[] = "UPDATE tickets SET assignee_id = NULL,"
	    " updated_at = ?2 WHERE assignee_id = ?1 AND status < 3";
	sqlite3_stmt *st = sq_stmt(q, ev);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	sq_bind_id(q, st, 2, actor);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)))
		return rc;
	st = sq_stmt(q, upd);
	sq_bind_int(q, st, 1, id);
	sq_bind_int(q, st, 2, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*n = sqlite3_changes(q->db);
	return rc;
}

/* The check of the last admin runs after the change, in the same
 * transaction, which holds the write lock from its start (BEGIN
 * IMMEDIATE): of two admins who disable each other at once, the second
 * sees the first's change. */
enum tame_err
sq_desk_agent_access(struct store *s, int64_t id, int role, int disabled,
    int64_t actor, int64_t now, int64_t *unassigned)
{
	static const char get[] = "SELECT role = 1 AND NOT disabled"
	    " FROM agents WHERE id = ?1";
	static const char upd[] = "UPDATE agents SET"
	    " role = CASE WHEN ?2 < 0 THEN role ELSE ?2 END,"
	    " disabled = CASE WHEN ?3 < 0 THEN disabled ELSE ?3 END"
	    " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t admins = 0;
	enum tame_err rc;
	int own, was_admin = 0;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, get);
	sq_bind_int(q, st, 1, id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		was_admin = sqlite3_column_int(st, 0);
	sq_done(st);
	if (rc)
		goto out;
	st = sq_stmt(q, upd);
	sq_bind_int(q, st, 1, id);
	sq_bind_int(q, st, 2, role);
	sq_bind_int(q, st, 3, disabled);
	if ((rc = sq_run(q, st)) || (rc = enabled_admins(q, &admins)))
		goto out;
	/* a store that has lost its admins already may still take other
	 * changes; only taking the last one away is refused */
	if (was_admin && admins == 0) {
		store_set_errmsg(s, "this would leave no enabled admin: make "
		    "another agent an admin first");
		rc = TAME_ECONFLICT;
		goto out;
	}
	if (disabled == 1)
		rc = unassign_all(q, id, actor, now, unassigned);
out:
	return sq_tx_end(q, own, rc);
}
