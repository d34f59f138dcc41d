/*
 * store_sqlite_filters.c - an agent's saved filters (store.h,
 * store_filters_*), kept in the saved_filters table (migration 13).
 *
 * Model: a saved filter is a name and a query: the JSON text of the
 * ticket list's own parameters ({"status":[...],"assignee":"...",
 * "tag":"...","priority":[...],"q":"..."}), checked by the caller
 * (http_filters.c) and stored as given, so the web app reads back what
 * it wrote. A filter belongs to one agent; every statement names the
 * agent, so another agent's filter is simply not found. A filter keeps
 * its place in the list when it is changed: the list is in id order.
 *
 * Only the SQLite engine exists; these functions refuse another one
 * (TAME_ESTORE) rather than take its connection for SQLite's.
 */
#include <stdint.h>
#include "store.h"
#include "store_backend.h"
#include "store_sqlite.h"

/* The connection as SQLite's, or NULL (with the reason set). */
static struct sq *
sq_of(struct store *s)
{
	if (s->be != &store_backend_sqlite) {
		store_set_errmsg(s, "saved filters: not supported by the %s "
		    "engine", s->be->name);
		return NULL;
	}
	return SQ(s);
}

/* The row at st as one object: the query's keys, then id, name,
 * created_at and updated_at over them; NULL when out of memory. A
 * query that is no JSON object (written by hand) adds nothing. */
static json_t *
filter_json(sqlite3_stmt *st)
{
	const char *text = (const char *)sqlite3_column_text(st, 2);
	json_t *o = json_object(), *query;
	int bad = !o;

	if (bad)
		return NULL;
	query = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (json_is_object(query))
		bad |= json_object_update(o, query) != 0;
	json_decref(query);
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "name", sq_json_text(st, 1));
	bad |= sq_jset(o, "created_at", sq_json_time(st, 3));
	bad |= sq_jset(o, "updated_at", sq_json_time(st, 4));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum tame_err
store_filters_list(struct store *s, int64_t agent_id, json_t **out)
{
	static const char sql[] = "SELECT id, name, query, created_at,"
	    " updated_at FROM saved_filters WHERE agent_id = ?1 ORDER BY id";
	struct sq *q;
	sqlite3_stmt *st;
	json_t *arr;
	enum tame_err rc;

	*out = NULL;
	if (!(q = sq_of(s)))
		return TAME_ESTORE;
	if (!(arr = json_array()))
		return TAME_ENOMEM;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, agent_id);
	rc = sq_json_rows(q, st, filter_json, arr);
	sq_done(st);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return TAME_OK;
}

/* *n = the saved filters of agent_id. */
static enum tame_err
count(struct sq *q, int64_t agent_id, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM saved_filters"
	    " WHERE agent_id = ?1";
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, agent_id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*n = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

enum tame_err
store_filters_put(struct store *s, int64_t agent_id, const char *name,
    const char *query, int64_t max, int64_t now, int64_t *id)
{
	static const char ins[] = "INSERT INTO saved_filters(agent_id, name,"
	    " query, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)";
	static const char upd[] = "UPDATE saved_filters SET name = ?2,"
	    " query = ?3, updated_at = ?4 WHERE agent_id = ?1 AND id = ?5";
	struct sq *q;
	sqlite3_stmt *st;
	enum tame_err rc;
	int64_t n = 0;
	int own = 0;

	if (!(q = sq_of(s)))
		return TAME_ESTORE;
	if (agent_id <= 0 || !name || !query || !id || *id < 0) {
		store_set_errmsg(s, "%s: bad argument", __func__);
		return TAME_EINVAL;
	}
	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if (*id == 0 && (rc = count(q, agent_id, &n)) == TAME_OK &&
	    n >= max) {
		store_set_errmsg(s, "at most %lld saved filters per agent",
		    (long long)max);
		rc = TAME_ETOOBIG;
	}
	if (rc == TAME_OK) {
		st = sq_stmt(q, *id ? upd : ins);
		sq_bind_int(q, st, 1, agent_id);
		sq_bind_text(q, st, 2, name);
		sq_bind_text(q, st, 3, query);
		sq_bind_int(q, st, 4, now);
		if (*id)
			sq_bind_int(q, st, 5, *id);
		rc = sq_run(q, st);
	}
	if (rc == TAME_OK && *id && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	if (rc == TAME_OK && !*id)
		*id = sqlite3_last_insert_rowid(q->db);
	return sq_tx_end(q, own, rc);
}

enum tame_err
store_filters_get(struct store *s, int64_t agent_id, int64_t id,
    json_t **out)
{
	static const char sql[] = "SELECT id, name, query, created_at,"
	    " updated_at FROM saved_filters WHERE agent_id = ?1 AND id = ?2";
	struct sq *q;
	sqlite3_stmt *st;
	enum tame_err rc;

	*out = NULL;
	if (!(q = sq_of(s)))
		return TAME_ESTORE;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_int(q, st, 2, id);
	if ((rc = sq_row(q, st)) == TAME_OK && !(*out = filter_json(st)))
		rc = TAME_ENOMEM;
	sq_done(st);
	return rc;
}

enum tame_err
store_filters_delete(struct store *s, int64_t agent_id, int64_t id)
{
	static const char sql[] = "DELETE FROM saved_filters"
	    " WHERE agent_id = ?1 AND id = ?2";
	struct sq *q;
	sqlite3_stmt *st;
	enum tame_err rc;

	if (!(q = sq_of(s)))
		return TAME_ESTORE;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_int(q, st, 2, id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}
