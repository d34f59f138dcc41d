/*
 * store_sqlite_views.h - what the SQLite backend's view files share:
 * the ticket row as the list and the ticket view read it, and the list
 * cursor (store_sqlite_views.c, store_sqlite_list.c). Not for use
 * outside src/store.
 */
#ifndef TAME_STORE_SQLITE_VIEWS_H
#define TAME_STORE_SQLITE_VIEWS_H

#include "store_sqlite.h"
#include "store_sqlite_intel.h"

#define TICKET_COLS "t.id, t.subject, t.status, t.priority, c.id, "	\
	"c.email, c.name, a.id, a.email, a.name, t.mailbox_id, "	\
	"t.message_count, t.unparsed, t.created_at, t.updated_at, "	\
	"CASE WHEN EXISTS (SELECT 1 FROM ticket_tags WHERE ticket_id = "	\
	"t.id) THEN (SELECT json_group_array(tag) FROM (SELECT tag FROM "	\
	"ticket_tags WHERE ticket_id = t.id ORDER BY tag)) END, t.preview, " \
	"t.previous_ticket_id, t.last_customer_at" SQ_INTEL_TICKET_COLS
/* Columns of TICKET_COLS: a sort key appended after them is this one. */
#define TICKET_NCOLS (19 + SQ_INTEL_TICKET_NCOLS)
#define TICKET_JOINS " LEFT JOIN customers c ON c.id = t.customer_id" \
	" LEFT JOIN agents a ON a.id = t.assignee_id"

/* Writes the ticket of a row of TICKET_COLS to w as the list shows it,
 * JSON text (store_sqlite_views.c). */
void sq_ticket_text(struct jw *w, sqlite3_stmt *st);

/* Parses an opaque cursor (the last id shown, as text) into *below,
 * INT64_MAX without one; TAME_EINVAL with the store's message set when
 * it is not an id (store_sqlite_views.c). */
enum tame_err sq_cursor_parse(struct sq *q, const char *cursor,
    int64_t *below);

#endif
