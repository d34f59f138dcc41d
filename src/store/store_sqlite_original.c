/*
 * store_sqlite_original.c - a message as it arrived or left, and its
 * sanitised HTML, for the SQLite backend. See store.h
 * (store_message_original, store_message_html).
 *
 * Model: every accepted mail keeps its bytes in raw_messages (the row
 * ingest writes before anything else, DESIGN.md "no mail is lost") and
 * messages.raw_id points at it; a reply keeps the MIME it was sent as
 * in its outbox row (outbox.message_id, indexed by migration step 8).
 * Raw mail may be kept compressed (raw_messages.codec, store_raw.c).
 * A note has neither. The message must belong to the ticket asked for,
 * so an id guessed from another ticket is not found.
 */
#include "store_sqlite.h"

/* Appends blob column i of st to out. */
static enum tame_err
col_blob(sqlite3_stmt *st, int i, struct buf *out)
{
	const void *p = sqlite3_column_blob(st, i);

	return buf_add(out, p ? p : "", (size_t)sqlite3_column_bytes(st, i));
}

/* See store.h. */
enum tame_err
store_sqlite_message_original(struct store *s, int64_t tid, int64_t mid,
    int *sent, struct buf *out)
{
	static const char sql[] = "SELECT m.direction, r.data,"
	    " (SELECT o.raw FROM outbox o WHERE o.message_id = m.id"
	    "  ORDER BY o.id DESC LIMIT 1), r.codec"
	    " FROM messages m LEFT JOIN raw_messages r ON r.id = m.raw_id"
	    " WHERE m.id = ?1 AND m.ticket_id = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*sent = 0;
	sq_bind_int(q, st, 1, mid);
	sq_bind_int(q, st, 2, tid);
	if ((rc = sq_row(q, st)))
		goto out;
	if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
		const void *p = sqlite3_column_blob(st, 1);

		rc = store_raw_unpack(p ? p : "",
		    (size_t)sqlite3_column_bytes(st, 1),
		    sqlite3_column_int(st, 3), out);
	} else if (sqlite3_column_int(st, 0) == MSG_OUT &&
	    sqlite3_column_type(st, 2) != SQLITE_NULL) {
		*sent = 1;
		rc = col_blob(st, 2, out);
	} else {
		store_set_errmsg(s, "message %lld has no original",
		    (long long)mid);
		rc = TAME_ENOTFOUND;
	}
out:
	sq_done(st);
	return rc;
}

/* See store.h. */
enum tame_err
store_sqlite_message_html(struct store *s, int64_t tid, int64_t mid,
    struct buf *out)
{
	static const char sql[] = "SELECT html FROM messages"
	    " WHERE id = ?1 AND ticket_id = ?2 AND html IS NOT NULL";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, mid);
	sq_bind_int(q, st, 2, tid);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		const unsigned char *p = sqlite3_column_text(st, 0);

		rc = buf_add(out, p ? (const char *)p : "",
		    (size_t)sqlite3_column_bytes(st, 0));
	}
	sq_done(st);
	return rc;
}
