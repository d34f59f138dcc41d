/*
 * store_sqlite_desk.c - the SQLite backend of store_desk.h: saved
 * replies, merges and single tags, and the ops table; followers,
 * notifications, agents' profiles, avatars and sessions are in
 * store_sqlite_desk_agent.c.
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
#include "store_sqlite_desk.h"
#include "store_sqlite_intel.h"
#include "store_sqlite_settings.h"

/* Saved replies in one list answer; a team's library is far smaller. */
#define SAVED_REPLIES_MAX 2000
/* Tags in one list answer. */
#define TAGS_LIST_MAX 1000

/* See store_sqlite_desk.h. */
enum tame_err
sq_desk_exists(struct sq *q, const char *sql, int64_t id)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	rc = sq_row(q, st);
	sq_done(st);
	return rc;
}

const char sq_desk_ticket_exists[] = "SELECT 1 FROM tickets WHERE id = ?1";

/* See store_sqlite_desk.h. */
enum tame_err
sq_desk_ticket_unmerged(struct sq *q, int64_t tid)
{
	static const char sql[] = "SELECT coalesce(merged_into, 0)"
	    " FROM tickets WHERE id = ?1";
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;
	int64_t into;

	sq_bind_int(q, st, 1, tid);
	if (!(rc = sq_row(q, st)) && (into = sqlite3_column_int64(st, 0))) {
		store_set_errmsg(&q->base, "ticket #%lld was merged into #%lld:"
		    " change that one", (long long)tid, (long long)into);
		rc = TAME_ECONFLICT;
	}
	sq_done(st);
	return rc;
}
const char sq_desk_agent_exists[] = "SELECT 1 FROM agents WHERE id = ?1";

/* See store_sqlite_desk.h. */
enum tame_err
sq_desk_view_done(json_t *o, int bad, json_t **out)
{
	if (bad || !o) {
		json_decref(o);
		return TAME_ENOMEM;
	}
	*out = o;
	return TAME_OK;
}

/* See store_sqlite_desk.h. */
json_t *
sq_desk_agent_brief(sqlite3_stmt *st, int i)
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
	bad |= sq_jset(o, "owner", sq_desk_agent_brief(st, 4));
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

	if ((rc = sq_desk_exists(q, sq_desk_agent_exists, owner_id)))
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
	rc = sq_json_rows(q, st, saved_json, arr);
out:
	sq_done(st);
	if (rc) {
		json_decref(arr);
		json_decref(o);
		return rc;
	}
	return sq_desk_view_done(o, sq_jset(o, "saved_replies", arr), out);
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
		/* The target's preview: that of the ticket whose message
		 * was added last, as if both had been one (before the
		 * messages move, while they still say whose they are). */
		"UPDATE tickets SET preview = (SELECT preview FROM tickets"
		" WHERE id = ?2) WHERE id = ?1 AND"
		" (SELECT max(id) FROM messages WHERE ticket_id = ?2) >"
		" (SELECT coalesce(max(id), 0) FROM messages"
		"  WHERE ticket_id = ?1)",
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
		/* The target: recounted, and the newer customer time of
		 * the two. */
		"UPDATE tickets SET"
		" message_count = (SELECT count(*) FROM messages"
		"  WHERE ticket_id = ?1),"
		" last_customer_at = max(coalesce(last_customer_at, 0),"
		"  coalesce((SELECT last_customer_at FROM tickets"
		"  WHERE id = ?2), 0)),"
		" updated_at = max(updated_at, ?3) WHERE id = ?1",
		"UPDATE tickets SET last_customer_at = NULL"
		" WHERE id = ?1 AND last_customer_at = 0",
		/* The source: closed, empty, pointing at the target. */
		"UPDATE tickets SET merged_into = ?1, message_count = 0,"
		" tone = NULL, tone_earlier = NULL,"
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
	/* the target's tone: its latest customer message's of the two */
	rc = sq_intel_ticket_tone(q, into, 0);
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
	if ((rc = sq_desk_ticket_unmerged(q, tid)))
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
	return sq_desk_view_done(o, sq_jset(o, "tags", arr), out);
}

static enum tame_err
newer_inbound(struct store *s, int64_t tid, int64_t since, int64_t agent_id,
    int64_t *newer, int *reply)
{
	static const char sql[] = "SELECT id, direction FROM messages"
	    " WHERE ticket_id = ?1 AND id > ?2 AND (direction = 0 OR"
	    " (direction = 1 AND agent_id IS NOT ?3))"
	    " ORDER BY id DESC LIMIT 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	if ((rc = sq_desk_exists(q, sq_desk_ticket_exists, tid)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, since);
	sq_bind_id(q, st, 3, agent_id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		*newer = sqlite3_column_int64(st, 0);
		*reply = sqlite3_column_int(st, 1) == MSG_OUT;
	}
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
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
	.follower_add = sq_desk_follower_add,
	.follower_remove = sq_desk_follower_remove,
	.followers_view = sq_desk_followers_view,
	.notify = sq_desk_notify,
	.notifications_view = sq_desk_notifications_view,
	.notifications_read = sq_desk_notifications_read,
	.profile_get = sq_desk_profile_get,
	.profile_set = sq_desk_profile_set,
	.avatar_set = sq_desk_avatar_set,
	.avatar_get = sq_desk_avatar_get,
	.avatar_delete = sq_desk_avatar_delete,
	.sessions = sq_desk_sessions,
	.sessions_end = sq_desk_sessions_end,
	.agent_access = sq_desk_agent_access,
	.setting_get = store_sqlite_setting_get,
	.setting_set = store_sqlite_setting_set,
	.priority_raise = store_sqlite_priority_raise,
};
