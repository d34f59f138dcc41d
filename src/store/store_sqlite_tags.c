/*
 * store_sqlite_tags.c - the SQLite backend of store_tags.h: renaming
 * and deleting a tag on every ticket that carries it.
 *
 * Model: each step is one statement over the ticket_tags_tag index
 * (tag, ticket_id), so the cost follows the number of tickets carrying
 * the tag, not the size of the store. The events are written first,
 * while the rows still tell which tickets carried the old name (and,
 * for a rename, which of them already had the new one); then the
 * tickets' updated_at, then the rows themselves. All in one save point
 * (sq_tx_begin), inside the caller's transaction when there is one.
 */
#include <stdint.h>
#include "store_sqlite.h"
#include "store_tags.h"

/* *n = tickets carrying from; *has_to = 1 if any carries to (to may be
 * NULL). */
static enum tame_err
count(struct sq *q, const char *from, const char *to, int64_t *n,
    int *has_to)
{
	static const char sql[] = "SELECT (SELECT count(*) FROM ticket_tags"
	    " WHERE tag = ?1), EXISTS (SELECT 1 FROM ticket_tags"
	    " WHERE tag = ?2)";
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, from);
	sq_bind_text(q, st, 2, to);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		*n = sqlite3_column_int64(st, 0);
		*has_to = sqlite3_column_int(st, 1) != 0;
	}
	sq_done(st);
	return rc;
}

/* Runs sql with the tag as ?1 and v2 (text, may be NULL) as ?2. */
static enum tame_err
run2(struct sq *q, const char *sql, const char *tag, const char *v2)
{
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_text(q, st, 1, tag);
	if (v2)
		sq_bind_text(q, st, 2, v2);
	return sq_run(q, st);
}

/* Sets updated_at of every ticket carrying tag to now. */
static enum tame_err
bump(struct sq *q, const char *tag, int64_t now)
{
	static const char sql[] = "UPDATE tickets SET updated_at = ?2"
	    " WHERE id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ?1)";
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_text(q, st, 1, tag);
	sq_bind_int(q, st, 2, now);
	return sq_run(q, st);
}

static enum tame_err
tags_rename(struct store *s, const char *from, const char *to,
    int64_t actor, int64_t now, int64_t *tickets, int *merged)
{
	static const char events[] = "INSERT INTO events(ticket_id,"
	    " actor_agent_id, kind, data, created_at)"
	    " SELECT f.ticket_id, ?3, 'tag.renamed', json_object('from', ?1,"
	    " 'to', ?2, 'merged', json(CASE WHEN EXISTS (SELECT 1 FROM"
	    " ticket_tags x WHERE x.ticket_id = f.ticket_id AND x.tag = ?2)"
	    " THEN 'true' ELSE 'false' END)), ?4"
	    " FROM ticket_tags f WHERE f.tag = ?1 ORDER BY f.ticket_id";
	static const char add[] = "INSERT OR IGNORE INTO ticket_tags"
	    "(ticket_id, tag) SELECT ticket_id, ?2 FROM ticket_tags"
	    " WHERE tag = ?1";
	static const char del[] = "DELETE FROM ticket_tags WHERE tag = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if ((rc = count(q, from, to, tickets, merged)))
		goto out;
	if (*tickets == 0) {
		store_set_errmsg(s, "no ticket carries that tag");
		rc = TAME_ENOTFOUND;
		goto out;
	}
	st = sq_stmt(q, events);
	sq_bind_text(q, st, 1, from);
	sq_bind_text(q, st, 2, to);
	sq_bind_id(q, st, 3, actor);
	sq_bind_int(q, st, 4, now);
	if ((rc = sq_run(q, st)) ||
	    (rc = bump(q, from, now)) ||
	    (rc = run2(q, add, from, to)))
		goto out;
	rc = run2(q, del, from, NULL);
out:
	return sq_tx_end(q, own, rc);
}

static enum tame_err
tags_remove(struct store *s, const char *tag, int64_t actor, int64_t now,
    int64_t *tickets)
{
	static const char events[] = "INSERT INTO events(ticket_id,"
	    " actor_agent_id, kind, data, created_at)"
	    " SELECT ticket_id, ?2, 'tag.deleted', json_object('tag', ?1), ?3"
	    " FROM ticket_tags WHERE tag = ?1 ORDER BY ticket_id";
	static const char del[] = "DELETE FROM ticket_tags WHERE tag = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own, unused;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if ((rc = count(q, tag, NULL, tickets, &unused)))
		goto out;
	if (*tickets == 0) {
		store_set_errmsg(s, "no ticket carries that tag");
		rc = TAME_ENOTFOUND;
		goto out;
	}
	st = sq_stmt(q, events);
	sq_bind_text(q, st, 1, tag);
	sq_bind_id(q, st, 2, actor);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) || (rc = bump(q, tag, now)))
		goto out;
	rc = run2(q, del, tag, NULL);
out:
	return sq_tx_end(q, own, rc);
}

const struct store_tags_ops store_sqlite_tags_ops = {
	.rename = tags_rename,
	.remove = tags_remove,
};
