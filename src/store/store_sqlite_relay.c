/*
 * store_sqlite_relay.c - how a mailbox sends, in the SQLite backend: its
 * own outgoing relay (the mailbox_relay table) and its signature
 * (mailboxes.signature). See store.h for the contracts and
 * migrations.c (step 7) for the schema.
 *
 * Model: one row per mailbox that does not send through --relay. The
 * password column holds sealed text only (store_relay.c). The outbox
 * asks by ticket (the ticket's mailbox) or, for mail of no ticket, by
 * the sender address, in one query.
 */
#include <stdlib.h>
#include <string.h>
#include "store_sqlite.h"

enum tame_err
store_sqlite_relay_set(struct store *s, const struct relay_conf *c,
    const char *sealed, int keep, int64_t now)
{
	static const char mbox[] = "SELECT 1 FROM mailboxes WHERE id = ?1";
	static const char upsert[] = "INSERT INTO mailbox_relay(mailbox_id,"
	    " host, port, tls, username, password, ca_file, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT(mailbox_id) DO UPDATE SET host = excluded.host,"
	    " port = excluded.port, tls = excluded.tls,"
	    " username = excluded.username,"
	    " password = CASE WHEN ?9 THEN password ELSE excluded.password"
	    " END, ca_file = excluded.ca_file,"
	    " updated_at = excluded.updated_at";
	static const char check[] = "SELECT password IS NOT NULL"
	    " FROM mailbox_relay WHERE mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, mbox);
	sq_bind_int(q, st, 1, c->mailbox_id);
	rc = sq_row(q, st);
	sq_done(st);
	if (rc == TAME_ENOTFOUND)
		store_set_errmsg(s, "no mailbox %lld",
		    (long long)c->mailbox_id);
	if (rc)
		goto out;
	st = sq_stmt(q, upsert);
	sq_bind_int(q, st, 1, c->mailbox_id);
	sq_bind_text(q, st, 2, c->host);
	sq_bind_int(q, st, 3, c->port);
	sq_bind_int(q, st, 4, c->tls);
	sq_bind_text(q, st, 5, c->user && *c->user ? c->user : NULL);
	sq_bind_text(q, st, 6, sealed);
	sq_bind_text(q, st, 7, c->ca_file);
	sq_bind_int(q, st, 8, now);
	sq_bind_int(q, st, 9, keep);
	if ((rc = sq_run(q, st)) || !keep)
		goto out;
	/* keeping a password there must be one */
	st = sq_stmt(q, check);
	sq_bind_int(q, st, 1, c->mailbox_id);
	if ((rc = sq_row(q, st)) == TAME_OK && !sqlite3_column_int(st, 0))
		rc = TAME_EINVAL;
	else if (rc == TAME_ENOTFOUND)
		rc = TAME_EINVAL;
	sq_done(st);
	if (rc == TAME_EINVAL)
		store_set_errmsg(s, "the relay URL needs a password");
out:
	return sq_tx_end(q, own, rc);
}

enum tame_err
store_sqlite_relay_delete(struct store *s, int64_t mailbox_id)
{
	static const char sql[] = "DELETE FROM mailbox_relay"
	    " WHERE mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, mailbox_id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

enum tame_err
store_sqlite_relay_get(struct store *s, int64_t mailbox_id,
    int64_t ticket_id, const char *mail_from, struct relay_conf *out,
    char **sealed)
{
	static const char sql[] = "SELECT mailbox_id, host, port, tls,"
	    " username, password, ca_file FROM mailbox_relay"
	    " WHERE mailbox_id = CASE WHEN ?1 > 0 THEN ?1"
	    "  WHEN ?2 > 0 THEN (SELECT mailbox_id FROM tickets WHERE id = ?2)"
	    "  ELSE (SELECT id FROM mailboxes WHERE address = ?3) END";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*sealed = NULL;
	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_int(q, st, 2, ticket_id);
	sq_bind_lower(q, st, 3, mail_from ? mail_from : "");
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->mailbox_id = sqlite3_column_int64(st, 0);
		out->port = sqlite3_column_int(st, 2);
		out->tls = (enum relay_tls)sqlite3_column_int(st, 3);
		if ((rc = sq_col_dup(st, 1, &out->host)) ||
		    (rc = sq_col_dup(st, 4, &out->user)) ||
		    (rc = sq_col_dup(st, 6, &out->ca_file)) ||
		    (rc = sq_col_dup(st, 5, sealed))) {
			relay_conf_clear(out);
			free(*sealed);
			*sealed = NULL;
		}
	}
	sq_done(st);
	return rc;
}

enum tame_err
store_sqlite_signature_get(struct store *s, int64_t mailbox_id,
    int64_t ticket_id, char **out)
{
	static const char sql[] = "SELECT signature FROM mailboxes"
	    " WHERE id = CASE WHEN ?1 > 0 THEN ?1"
	    "  ELSE (SELECT mailbox_id FROM tickets WHERE id = ?2) END";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*out = NULL;
	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_int(q, st, 2, ticket_id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		rc = sq_col_dup(st, 0, out);
	sq_done(st);
	return rc;
}

enum tame_err
store_sqlite_signature_set(struct store *s, int64_t mailbox_id,
    const char *text)
{
	static const char sql[] = "UPDATE mailboxes"
	    " SET signature = nullif(?2, '') WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_text(q, st, 2, text);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}
