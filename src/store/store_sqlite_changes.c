/*
 * store_sqlite_changes.c - the SQLite backend's answer to "which tickets
 * changed since I last looked?", for the live views of the web app
 * (src/net/http_events.c).
 *
 * Model: both tables that grow when a ticket changes are append-only
 * with increasing integer keys: events (every change through the API,
 * every new or reopened ticket) and messages (every mail in or out, also
 * a customer's follow-up that writes no event). A watcher keeps the
 * highest key it has seen of each and reads the rows above them; the
 * keys are the rowids, so each read is a range scan of the primary key
 * and costs the number of new rows, not the size of the store. Rows
 * written by another process (tame deliver from an MTA's pipe) are seen
 * the same way.
 */
#include <stdint.h>
#include <string.h>
#include "store_sqlite.h"

/* Adds ticket tid to out[0..*n) unless it is there; marks it created
 * when created. 0, or 1 when out is full. */
static int
change_add(struct store_change *out, size_t max, size_t *n, int64_t tid,
    int created)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (out[i].ticket_id == tid) {
			out[i].created |= created;
			return 0;
		}
	}
	if (*n == max)
		return 1;
	out[*n].ticket_id = tid;
	out[*n].created = created;
	(*n)++;
	return 0;
}

/* The highest key of the events and messages tables (0 when empty). */
static enum tame_err
newest(struct sq *q, int64_t *ev_pos, int64_t *msg_pos)
{
	static const char sql[] = "SELECT (SELECT coalesce(max(id), 0) FROM "
	    "events), (SELECT coalesce(max(id), 0) FROM messages)";
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	if ((rc = sq_row(q, st)) == TAME_OK) {
		*ev_pos = sqlite3_column_int64(st, 0);
		*msg_pos = sqlite3_column_int64(st, 1);
	}
	sq_done(st);
	return rc;
}

/* See store.h. Reads at most max rows of each table per call, so a
 * burst is handed out in bounded pieces; positions only move past rows
 * whose ticket was recorded. */
enum tame_err
store_sqlite_changes_after(struct store *s, int64_t *ev_pos,
    int64_t *msg_pos, struct store_change *out, size_t max, size_t *n)
{
	static const char ev_sql[] = "SELECT id, ticket_id, kind FROM events"
	    " WHERE id > ?1 ORDER BY id LIMIT ?2";
	static const char msg_sql[] = "SELECT id, ticket_id FROM messages"
	    " WHERE id > ?1 ORDER BY id LIMIT ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = NULL;
	enum tame_err rc;
	const char *kind;
	int64_t id, tid;

	*n = 0;
	if (*ev_pos < 0 || *msg_pos < 0)
		return newest(q, ev_pos, msg_pos);
	st = sq_stmt(q, ev_sql);
	sq_bind_int(q, st, 1, *ev_pos);
	sq_bind_int(q, st, 2, (int64_t)max);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		id = sqlite3_column_int64(st, 0);
		tid = sqlite3_column_int64(st, 1);
		kind = (const char *)sqlite3_column_text(st, 2);
		if (tid > 0 && change_add(out, max, n, tid,
		    kind && strcmp(kind, "ticket.created") == 0))
			break;
		*ev_pos = id;
	}
	sq_done(st);
	if (rc != TAME_OK && rc != TAME_ENOTFOUND)
		return rc;
	st = sq_stmt(q, msg_sql);
	sq_bind_int(q, st, 1, *msg_pos);
	sq_bind_int(q, st, 2, (int64_t)max);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		id = sqlite3_column_int64(st, 0);
		tid = sqlite3_column_int64(st, 1);
		if (tid > 0 && change_add(out, max, n, tid, 0))
			break;
		*msg_pos = id;
	}
	sq_done(st);
	if (rc != TAME_OK && rc != TAME_ENOTFOUND)
		return rc;
	return TAME_OK;
}
