/*
 * store_sqlite_settings.c - the SQLite backend of store_desk.h's
 * desk-wide settings and of the priority raise the tone of a customer
 * message can ask for.
 *
 * Model: settings is a key/value table (migration 9); the keys and their
 * defaults belong to the code that reads them (core/tone.h's urgency
 * rule), so an unknown key costs nothing and an old database needs no
 * row. A priority raise is a read, an UPDATE and its event, in one
 * transaction (the caller's, or one of its own): the ticket's priority
 * and the agents' hand-set priorities since the message are read and
 * the ticket written under SQLite's single writer lock, so no agent's
 * change can slip in between.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/model.h"
#include "store_sqlite.h"
#include "store_sqlite_settings.h"

enum tame_err
store_sqlite_setting_get(struct store *s, const char *key, char **value)
{
	static const char sql[] = "SELECT v FROM settings WHERE k = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, key);
	if ((rc = sq_row(q, st)) == TAME_OK)
		rc = sq_col_dup(st, 0, value);
	sq_done(st);
	return rc;
}

enum tame_err
store_sqlite_setting_set(struct store *s, const char *key, const char *value,
    int64_t now)
{
	static const char sql[] = "INSERT INTO settings(k, v, updated_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT(k) DO UPDATE SET v = ?2,"
	    " updated_at = ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_text(q, st, 1, key);
	sq_bind_text(q, st, 2, value);
	sq_bind_int(q, st, 3, now);
	return sq_run(q, st);
}

/* *from gets the ticket's priority before the raise, or -1 when there
 * is to be none. */
static enum tame_err
raise_row(struct sq *q, int64_t tid, int64_t msg_id, int prio, int64_t now,
    int *from)
{
	/* An agent's hand counts from the message's arrival on; a message
	 * that is gone (merged away) counts as just now, which leaves any
	 * earlier choice of an agent alone. */
	static const char get[] = "SELECT priority, EXISTS (SELECT 1"
	    " FROM events e WHERE e.ticket_id = ?1"
	    " AND e.actor_agent_id IS NOT NULL AND e.kind = 'ticket.updated'"
	    " AND json_valid(e.data)"
	    " AND json_type(e.data, '$.priority') IS NOT NULL"
	    " AND e.created_at >= coalesce((SELECT m.created_at FROM messages m"
	    " WHERE m.id = ?2), ?3)) FROM tickets WHERE id = ?1";
	static const char upd[] = "UPDATE tickets SET priority = ?2,"
	    " updated_at = ?3 WHERE id = ?1";
	sqlite3_stmt *st;
	enum tame_err rc;
	int cur = 0, by_hand = 0;

	*from = -1;
	st = sq_stmt(q, get);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, msg_id);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		cur = sqlite3_column_int(st, 0);
		by_hand = sqlite3_column_int(st, 1);
	}
	sq_done(st);
	if (rc || by_hand || cur >= prio)
		return rc;
	st = sq_stmt(q, upd);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, prio);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*from = cur;
	return rc;
}

enum tame_err
store_sqlite_priority_raise(struct store *s, int64_t tid, int64_t msg_id,
    int prio, const char *reason, int64_t now, int *raised)
{
	static const char ev[] = "INSERT INTO events(ticket_id, actor_agent_id,"
	    " kind, data, created_at) VALUES (?1, NULL,"
	    " 'ticket.priority_raised', json_object('priority', ?2, 'from', ?3,"
	    " 'reason', ?4, 'message_id', ?5), ?6)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own, from;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if ((rc = raise_row(q, tid, msg_id, prio, now, &from)) || from < 0)
		goto out;
	st = sq_stmt(q, ev);
	sq_bind_int(q, st, 1, tid);
	sq_bind_text(q, st, 2, ticket_priority_name((enum ticket_priority)prio));
	sq_bind_text(q, st, 3, ticket_priority_name((enum ticket_priority)from));
	sq_bind_text(q, st, 4, reason);
	sq_bind_int(q, st, 5, msg_id);
	sq_bind_int(q, st, 6, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*raised = 1;
out:
	return sq_tx_end(q, own, rc);
}
