/*
 * store_sqlite_desk.c - the SQLite backend of store_desk.h: saved
 * replies, merges and single tags, followers and notifications, agents'
 * profiles, avatars and sessions.
 *
 * Model: small tables of migration 5 next to the spine's. A merge moves
 * rows (messages, participants, tags, followers) from one ticket to
 * another in one save point and recounts the target from its messages,
 * so the threading look-ups (messages.message_id) find the target for
 * any Message-ID the source ever had. Notifications of followed tickets
 * are written by the schema's triggers (migrations.c, step 5); this
 * file writes only mentions and "you were added" and reads them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "../core/util.h"
#include "store_desk.h"
#include "store_sqlite.h"
#include "store_sqlite_settings.h"

/* Saved replies in one list answer; a team's library is far smaller. */
#define SAVED_REPLIES_MAX 2000
/* Tags in one list answer. */
#define TAGS_LIST_MAX 1000

/* 0 if a row of sql (one id parameter) exists, else TAME_ENOTFOUND. */
static enum tame_err
exists(struct sq *q, const char *sql, int64_t id)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	rc = sq_row(q, st);
	sq_done(st);
	return rc;
}

static const char ticket_exists[] = "SELECT 1 FROM tickets WHERE id = ?1";
static const char agent_exists[] = "SELECT 1 FROM agents WHERE id = ?1";

/* Finishes a view: o on success (bad == 0), else frees it. */
static enum tame_err
view_done(json_t *o, int bad, json_t **out)
{
	if (bad || !o) {
		json_decref(o);
		return TAME_ENOMEM;
	}
	*out = o;
	return TAME_OK;
}

/* {id,email,name} of the agent in columns i, i+1, i+2; null when the
 * id is NULL. */
static json_t *
agent_brief(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return json_pack("{s:I,s:o,s:o}", "id",
	    (json_int_t)sqlite3_column_int64(st, i), "email",
	    sq_json_text(st, i + 1), "name", sq_json_text(st, i + 2));
}

/* ---- saved replies ---- */

#define SAVED_COLS "r.id, r.title, r.body, r.shared, r.owner_id, a.email," \
	" a.name, r.created_at, r.updated_at FROM saved_replies r"	\
	" LEFT JOIN agents a ON a.id = r.owner_id"

static json_t *
saved_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "title", sq_json_text(st, 1));
	bad |= sq_jset(o, "body", sq_json_text(st, 2));
	bad |= sq_jset(o, "shared",
	    json_boolean(sqlite3_column_int(st, 3) != 0));
	bad |= sq_jset(o, "owner", agent_brief(st, 4));
	bad |= sq_jset(o, "created_at", sq_json_time(st, 7));
	bad |= sq_jset(o, "updated_at", sq_json_time(st, 8));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static enum tame_err
saved_reply_create(struct store *s, int64_t owner_id, const char *title,
    const char *body, int shared, int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO saved_replies(owner_id, "
	    "title, body, shared, created_at, updated_at) VALUES (?1, ?2, ?3,"
	    " ?4, ?5, ?5)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = exists(q, agent_exists, owner_id)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, owner_id);
	sq_bind_text(q, st, 2, title);
	sq_bind_text(q, st, 3, body);
	sq_bind_int(q, st, 4, shared);
	sq_bind_int(q, st, 5, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static enum tame_err
saved_reply_get(struct store *s, int64_t id, struct store_saved_reply *out)
{
	static const char sql[] = "SELECT id, owner_id, title, body, shared"
	    " FROM saved_replies WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->id = sqlite3_column_int64(st, 0);
		out->owner_id = sqlite3_column_int64(st, 1);
		out->shared = sqlite3_column_int(st, 4) != 0;
		if ((rc = sq_col_dup(st, 2, &out->title)) == TAME_OK)
			rc = sq_col_dup(st, 3, &out->body);
	}
	sq_done(st);
	if (rc)
		store_saved_reply_clear(out);
	return rc;
}

static enum tame_err
saved_reply_update(struct store *s, int64_t id, const char *title,
    const char *body, int shared, int64_t now)
{
	static const char sql[] = "UPDATE saved_replies SET"
	    " title = coalesce(?2, title), body = coalesce(?3, body),"
	    " shared = CASE WHEN ?4 >= 0 THEN ?4 ELSE shared END,"
	    " updated_at = ?5 WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	sq_bind_text(q, st, 2, title);
	sq_bind_text(q, st, 3, body);
	sq_bind_int(q, st, 4, shared);
	sq_bind_int(q, st, 5, now);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

static enum tame_err
saved_reply_delete(struct store *s, int64_t id)
{
	static const char sql[] = "DELETE FROM saved_replies WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

static enum tame_err
saved_replies_view(struct store *s, int64_t viewer, const char *qs,
    json_t **out)
{
	static const char sql[] = "SELECT " SAVED_COLS
	    " WHERE (r.shared OR r.owner_id = ?1) AND (?2 IS NULL OR"
	    " instr(lower(r.title), lower(?2)) OR"
	    " instr(lower(r.body), lower(?2)))"
	    " ORDER BY lower(r.title), r.id LIMIT ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	json_t *arr = json_array(), *o = json_object();
	enum tame_err rc;

	if (!arr || !o) {
		rc = TAME_ENOMEM;
		goto out;
	}
	sq_bind_int(q, st, 1, viewer);
	sq_bind_text(q, st, 2, qs);
	sq_bind_int(q, st, 3, SAVED_REPLIES_MAX);
	while ((rc = sq_row(q, st)) == TAME_OK)
		if (json_array_append_new(arr, saved_json(st))) {
			rc = TAME_ENOMEM;
			break;
		}
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
out:
	sq_done(st);
	if (rc) {
		json_decref(arr);
		json_decref(o);
		return rc;
	}
	return view_done(o, sq_jset(o, "saved_replies", arr), out);
}

static enum tame_err
saved_reply_view(struct store *s, int64_t id, json_t **out)
{
	static const char sql[] = "SELECT " SAVED_COLS " WHERE r.id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	if ((rc = sq_row(q, st)) == TAME_OK && !(*out = saved_json(st)))
		rc = TAME_ENOMEM;
	sq_done(st);
	return rc;
}

/* ---- merge, tags ---- */

static enum tame_err
merged_into(struct store *s, int64_t tid, int64_t *into)
{
	static const char sql[] = "SELECT coalesce(merged_into, 0)"
	    " FROM tickets WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, tid);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*into = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

/* Runs a statement of a merge: ?1 = into, ?2 = from, ?3 = now, each
 * bound when the statement has it. */
static enum tame_err
run_pair(struct sq *q, const char *sql, int64_t into, int64_t from,
    int64_t now)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	int64_t v[3] = { into, from, now };
	int i, n = st ? sqlite3_bind_parameter_count(st) : 0;

	for (i = 0; i < n && i < 3; i++)
		sq_bind_int(q, st, i + 1, v[i]);
	return sq_run(q, st);
}

static enum tame_err
merge(struct store *s, int64_t from, int64_t into, int64_t now)
{
	static const char *const steps[] = {
		"UPDATE messages SET ticket_id = ?1 WHERE ticket_id = ?2",
		"INSERT OR IGNORE INTO participants(ticket_id, email)"
		" SELECT ?1, email FROM participants WHERE ticket_id = ?2",
		"DELETE FROM participants WHERE ticket_id = ?2",
		"INSERT OR IGNORE INTO ticket_tags(ticket_id, tag)"
		" SELECT ?1, tag FROM ticket_tags WHERE ticket_id = ?2",
		"DELETE FROM ticket_tags WHERE ticket_id = ?2",
		"INSERT OR IGNORE INTO ticket_followers(ticket_id, agent_id,"
		" created_at) SELECT ?1, agent_id, created_at"
		" FROM ticket_followers WHERE ticket_id = ?2",
		"DELETE FROM ticket_followers WHERE ticket_id = ?2",
		/* The target: recounted, and the newer preview and customer
		 * time of the two. */
		"UPDATE tickets SET"
		" message_count = (SELECT count(*) FROM messages"
		"  WHERE ticket_id = ?1),"
		" preview = CASE WHEN (SELECT updated_at FROM tickets"
		"  WHERE id = ?2) > updated_at THEN (SELECT preview FROM"
		"  tickets WHERE id = ?2) ELSE preview END,"
		" last_customer_at = max(coalesce(last_customer_at, 0),"
		"  coalesce((SELECT last_customer_at FROM tickets"
		"  WHERE id = ?2), 0)),"
		" updated_at = max(updated_at, ?3) WHERE id = ?1",
		"UPDATE tickets SET last_customer_at = NULL"
		" WHERE id = ?1 AND last_customer_at = 0",
		/* The source: closed, empty, pointing at the target. */
		"UPDATE tickets SET merged_into = ?1, message_count = 0,"
		" closed_at = CASE WHEN status = 4 THEN closed_at ELSE ?3 END,"
		" status = 4, updated_at = ?3 WHERE id = ?2",
	};
	struct sq *q = SQ(s);
	int64_t from_into = 0, into_into = 0;
	enum tame_err rc;
	size_t i;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if ((rc = merged_into(s, from, &from_into)) ||
	    (rc = merged_into(s, into, &into_into)))
		goto out;
	if (from_into) {
		store_set_errmsg(s, "ticket #%lld was already merged into "
		    "#%lld", (long long)from, (long long)from_into);
		rc = TAME_ECONFLICT;
		goto out;
	}
	if (into_into) {
		store_set_errmsg(s, "ticket #%lld was merged into #%lld; merge"
		    " into that one", (long long)into, (long long)into_into);
		rc = TAME_ECONFLICT;
		goto out;
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((rc = run_pair(q, steps[i], into, from, now)))
			goto out;
out:
	return sq_tx_end(q, own, rc);
}

static enum tame_err
tag(struct store *s, int64_t tid, const char *tg, int add, int64_t now,
    int *changed)
{
	static const char count[] = "SELECT count(*), sum(tag = ?2)"
	    " FROM ticket_tags WHERE ticket_id = ?1";
	static const char ins[] = "INSERT OR IGNORE INTO ticket_tags"
	    "(ticket_id, tag) VALUES (?1, ?2)";
	static const char del[] = "DELETE FROM ticket_tags"
	    " WHERE ticket_id = ?1 AND tag = ?2";
	static const char bump[] = "UPDATE tickets SET updated_at = ?2"
	    " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if ((rc = exists(q, ticket_exists, tid)))
		goto out;
	if (add) {
		st = sq_stmt(q, count);
		sq_bind_int(q, st, 1, tid);
		sq_bind_text(q, st, 2, tg);
		if ((rc = sq_row(q, st)) == TAME_OK &&
		    sqlite3_column_int64(st, 0) >= TAME_TAGS_MAX &&
		    sqlite3_column_int64(st, 1) == 0) {
			store_set_errmsg(s, "more than %d tags", TAME_TAGS_MAX);
			rc = TAME_ETOOBIG;
		}
		sq_done(st);
		if (rc)
			goto out;
	}
	st = sq_stmt(q, add ? ins : del);
	sq_bind_int(q, st, 1, tid);
	sq_bind_text(q, st, 2, tg);
	if ((rc = sq_run(q, st)))
		goto out;
	*changed = sqlite3_changes(q->db) > 0;
	if (!*changed)
		goto out;
	st = sq_stmt(q, bump);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, now);
	rc = sq_run(q, st);
out:
	return sq_tx_end(q, own, rc);
}

static enum tame_err
tags_view(struct store *s, json_t **out)
{
	static const char sql[] = "SELECT tt.tag, count(*),"
	    " sum(t.status IN (0, 1, 2)) FROM ticket_tags tt"
	    " JOIN tickets t ON t.id = tt.ticket_id"
	    " GROUP BY tt.tag ORDER BY count(*) DESC, tt.tag LIMIT ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	json_t *arr = json_array(), *o = json_object(), *row;
	enum tame_err rc;

	if (!arr || !o) {
		rc = TAME_ENOMEM;
		goto out;
	}
	sq_bind_int(q, st, 1, TAGS_LIST_MAX);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		row = json_pack("{s:o,s:I,s:I}", "tag", sq_json_text(st, 0),
		    "count", (json_int_t)sqlite3_column_int64(st, 1), "open",
		    (json_int_t)sqlite3_column_int64(st, 2));
		if (json_array_append_new(arr, row)) {
			rc = TAME_ENOMEM;
			break;
		}
	}
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
out:
	sq_done(st);
	if (rc) {
		json_decref(arr);
		json_decref(o);
		return rc;
	}
	return view_done(o, sq_jset(o, "tags", arr), out);
}

static enum tame_err
newer_inbound(struct store *s, int64_t tid, int64_t since, int64_t *newer)
{
	static const char sql[] = "SELECT coalesce(max(id), 0) FROM messages"
	    " WHERE ticket_id = ?1 AND direction = 0 AND id > ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = exists(q, ticket_exists, tid)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, since);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*newer = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

/* ---- followers and notifications ---- */

static enum tame_err
follower_add(struct store *s, int64_t tid, int64_t agent_id, int64_t now,
    int *changed)
{
	static const char sql[] = "INSERT OR IGNORE INTO ticket_followers"
	    "(ticket_id, agent_id, created_at) VALUES (?1, ?2, ?3)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = exists(q, ticket_exists, tid)) ||
	    (rc = exists(q, agent_exists, agent_id)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, agent_id);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*changed = sqlite3_changes(q->db) > 0;
	return rc;
}

static enum tame_err
follower_remove(struct store *s, int64_t tid, int64_t agent_id, int *changed)
{
	static const char sql[] = "DELETE FROM ticket_followers"
	    " WHERE ticket_id = ?1 AND agent_id = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = exists(q, ticket_exists, tid)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, agent_id);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*changed = sqlite3_changes(q->db) > 0;
	return rc;
}

static enum tame_err
followers_view(struct store *s, int64_t tid, json_t **out)
{
	static const char sql[] = "SELECT a.id, a.email, a.name"
	    " FROM ticket_followers f JOIN agents a ON a.id = f.agent_id"
	    " WHERE f.ticket_id = ?1 ORDER BY f.created_at, a.id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	json_t *arr = NULL, *o = NULL;
	enum tame_err rc;

	if ((rc = exists(q, ticket_exists, tid)))
		return rc;
	st = sq_stmt(q, sql);
	if (!(arr = json_array()) || !(o = json_object())) {
		rc = TAME_ENOMEM;
		goto out;
	}
	sq_bind_int(q, st, 1, tid);
	while ((rc = sq_row(q, st)) == TAME_OK)
		if (json_array_append_new(arr, agent_brief(st, 0))) {
			rc = TAME_ENOMEM;
			break;
		}
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
out:
	sq_done(st);
	if (rc) {
		json_decref(arr);
		json_decref(o);
		return rc;
	}
	return view_done(o, sq_jset(o, "followers", arr), out);
}

static enum tame_err
notify(struct store *s, int64_t agent_id, int64_t tid, const char *kind,
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
	bad |= sq_jset(o, "actor", agent_brief(st, 4));
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

static enum tame_err
notifications_view(struct store *s, int64_t agent_id, int unread_only,
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
	return view_done(o, bad, out);
}

static enum tame_err
notifications_read(struct store *s, int64_t agent_id, const int64_t *ids,
    size_t n, int64_t now, int64_t *changed)
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

static enum tame_err
profile_get(struct store *s, int64_t agent_id, struct store_profile *out)
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

static enum tame_err
profile_set(struct store *s, int64_t agent_id, const char *signature,
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

static enum tame_err
avatar_set(struct store *s, int64_t agent_id, const char *ct,
    const void *data, size_t len, int64_t now)
{
	static const char sql[] = "INSERT INTO agent_avatars(agent_id,"
	    " content_type, data, updated_at) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(agent_id) DO UPDATE SET content_type = ?2,"
	    " data = ?3, updated_at = ?4";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = exists(q, agent_exists, agent_id)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, ct);
	sq_bind_blob(q, st, 3, data, len);
	sq_bind_int(q, st, 4, now);
	return sq_run(q, st);
}

static enum tame_err
avatar_get(struct store *s, int64_t agent_id, char **ct, struct buf *data,
    int64_t *updated_at)
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

static enum tame_err
avatar_delete(struct store *s, int64_t agent_id)
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

static enum tame_err
sessions(struct store *s, int64_t agent_id, int64_t now, size_t max,
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

static enum tame_err
sessions_end(struct store *s, int64_t agent_id, const char *keep,
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

const struct store_desk_ops store_sqlite_desk_ops = {
	.saved_reply_create = saved_reply_create,
	.saved_reply_get = saved_reply_get,
	.saved_reply_update = saved_reply_update,
	.saved_reply_delete = saved_reply_delete,
	.saved_replies_view = saved_replies_view,
	.saved_reply_view = saved_reply_view,
	.merge = merge,
	.merged_into = merged_into,
	.tag = tag,
	.tags_view = tags_view,
	.newer_inbound = newer_inbound,
	.follower_add = follower_add,
	.follower_remove = follower_remove,
	.followers_view = followers_view,
	.notify = notify,
	.notifications_view = notifications_view,
	.notifications_read = notifications_read,
	.profile_get = profile_get,
	.profile_set = profile_set,
	.avatar_set = avatar_set,
	.avatar_get = avatar_get,
	.avatar_delete = avatar_delete,
	.sessions = sessions,
	.sessions_end = sessions_end,
	.setting_get = store_sqlite_setting_get,
	.setting_set = store_sqlite_setting_set,
	.priority_raise = store_sqlite_priority_raise,
};
