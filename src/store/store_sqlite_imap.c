/*
 * store_sqlite_imap.c - the IMAP tables of the SQLite backend: a
 * mailbox's IMAP settings (mailbox_imap) and where the import of each
 * folder stands (imap_folder_state). See store.h for the contracts and
 * migrations.c (step 2) for the schema.
 *
 * Model: the settings row carries a version that every change bumps;
 * the poller lists (mailbox_id, version) every second and reloads only
 * what moved. Status columns (last error, counts) are written by the
 * poller without touching the version, so they never cause a reload.
 * The password column holds sealed text only (store_imap.c).
 */
#include <stdlib.h>
#include <string.h>
#include "../core/buf.h"
#include "../tame_limits.h"
#include "store_sqlite.h"

/* The account key of imap_folder_state, as the poller writes it. */
#define ACCOUNT_SQL "(i.username || '@' || i.host || ':' || i.port)"

static enum tame_err
mailbox_exists(struct sq *q, int64_t id)
{
	static const char sql[] = "SELECT 1 FROM mailboxes WHERE id = ?1";
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	rc = sq_row(q, st);
	sq_done(st);
	if (rc == TAME_ENOTFOUND)
		store_set_errmsg(&q->base, "no mailbox %lld", (long long)id);
	return rc;
}

/* Binds the settings of c as ?1..?12 (?6 the sealed password). */
static void
bind_conf(struct sq *q, sqlite3_stmt *st, const struct imap_conf *c,
    const char *sealed)
{
	sq_bind_int(q, st, 1, c->mailbox_id);
	sq_bind_text(q, st, 2, c->host);
	sq_bind_int(q, st, 3, c->port);
	sq_bind_int(q, st, 4, c->tls);
	sq_bind_text(q, st, 5, c->user);
	sq_bind_text(q, st, 6, sealed);
	sq_bind_text(q, st, 7, c->folder);
	sq_bind_int(q, st, 8, c->after);
	sq_bind_text(q, st, 9, c->after == IMAP_AFTER_MOVE ? c->after_folder :
	    NULL);
	sq_bind_int(q, st, 10, c->poll_ms);
	sq_bind_text(q, st, 11, c->ca_file);
	sq_bind_text(q, st, 12, c->pinned_key);
}

/* Creates or replaces the settings; sealed NULL keeps the password. */
enum tame_err
store_sqlite_imap_set(struct store *s, const struct imap_conf *c,
    const char *sealed, int64_t now)
{
	static const char upsert[] = "INSERT INTO mailbox_imap(mailbox_id,"
	    " host, port, tls, username, password, folder, after,"
	    " after_folder, poll_ms, ca_file, pinned_key, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
	    " ON CONFLICT(mailbox_id) DO UPDATE SET host = excluded.host,"
	    " port = excluded.port, tls = excluded.tls,"
	    " username = excluded.username, password = excluded.password,"
	    " folder = excluded.folder, after = excluded.after,"
	    " after_folder = excluded.after_folder,"
	    " poll_ms = excluded.poll_ms, ca_file = excluded.ca_file,"
	    " pinned_key = excluded.pinned_key, version = version + 1,"
	    " updated_at = excluded.updated_at, last_error = NULL,"
	    " last_error_detail = NULL, last_error_at = NULL";
	static const char keep[] = "UPDATE mailbox_imap SET host = ?2,"
	    " port = ?3, tls = ?4, username = ?5, folder = ?7, after = ?8,"
	    " after_folder = ?9, poll_ms = ?10, ca_file = ?11,"
	    " pinned_key = ?12, version = version + 1, updated_at = ?13,"
	    " last_error = NULL, last_error_detail = NULL,"
	    " last_error_at = NULL, password = coalesce(?6, password)"
	    " WHERE mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if ((rc = mailbox_exists(q, c->mailbox_id)))
		goto out;
	st = sq_stmt(q, sealed ? upsert : keep);
	bind_conf(q, st, c, sealed);
	sq_bind_int(q, st, 13, now);
	if ((rc = sq_run(q, st)))
		goto out;
	if (!sealed && sqlite3_changes(q->db) == 0) {
		store_set_errmsg(s, "the IMAP URL needs a password");
		rc = TAME_EINVAL;
	}
out:
	return sq_tx_end(q, own, rc);
}

enum tame_err
store_sqlite_imap_delete(struct store *s, int64_t mailbox_id)
{
	static const char sql[] = "DELETE FROM mailbox_imap"
	    " WHERE mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, mailbox_id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

#define IMAP_COLS "i.mailbox_id, m.address, i.host, i.port, i.tls," \
	" i.username, i.password, i.folder, i.after, i.after_folder," \
	" i.poll_ms, i.ca_file, i.pinned_key, i.version"

/* Fills c (and *sealed when not NULL) from a row of IMAP_COLS. */
static enum tame_err
conf_fill(sqlite3_stmt *st, struct imap_conf *c, char **sealed)
{
	enum tame_err rc;

	c->mailbox_id = sqlite3_column_int64(st, 0);
	c->port = sqlite3_column_int(st, 3);
	c->tls = (enum imap_tls)sqlite3_column_int(st, 4);
	c->after = (enum imap_after)sqlite3_column_int(st, 8);
	c->poll_ms = sqlite3_column_int64(st, 10);
	c->version = sqlite3_column_int64(st, 13);
	if ((rc = sq_col_dup(st, 1, &c->address)) ||
	    (rc = sq_col_dup(st, 2, &c->host)) ||
	    (rc = sq_col_dup(st, 5, &c->user)) ||
	    (rc = sq_col_dup(st, 7, &c->folder)) ||
	    (rc = sq_col_dup(st, 9, &c->after_folder)) ||
	    (rc = sq_col_dup(st, 11, &c->ca_file)) ||
	    (rc = sq_col_dup(st, 12, &c->pinned_key)) ||
	    (sealed && (rc = sq_col_dup(st, 6, sealed))))
		imap_conf_clear(c);
	return rc;
}

enum tame_err
store_sqlite_imap_get(struct store *s, int64_t mailbox_id,
    struct imap_conf *out, char **sealed)
{
	static const char sql[] = "SELECT " IMAP_COLS
	    " FROM mailbox_imap i JOIN mailboxes m ON m.id = i.mailbox_id"
	    " WHERE i.mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*sealed = NULL;
	sq_bind_int(q, st, 1, mailbox_id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		rc = conf_fill(st, out, sealed);
	sq_done(st);
	return rc;
}

enum tame_err
store_sqlite_imap_list(struct store *s, struct store_imap_entry **out,
    size_t *n)
{
	static const char sql[] = "SELECT mailbox_id, version"
	    " FROM mailbox_imap ORDER BY mailbox_id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	struct store_imap_entry *v = NULL, *nv;
	size_t cap = 0;
	enum tame_err rc;

	while ((rc = sq_row(q, st)) == TAME_OK) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = TAME_ENOMEM;
				break;
			}
			v = nv;
		}
		v[*n].mailbox_id = sqlite3_column_int64(st, 0);
		v[*n].version = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sq_done(st);
	if (rc != TAME_ENOTFOUND) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return TAME_OK;
}

enum tame_err
store_sqlite_imap_state_get(struct store *s, int64_t mailbox_id,
    const char *account, const char *folder, int64_t *uidvalidity,
    int64_t *last_uid)
{
	static const char sql[] = "SELECT uidvalidity, last_uid"
	    " FROM imap_folder_state WHERE mailbox_id = ?1 AND account = ?2"
	    " AND folder = ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_text(q, st, 2, account);
	sq_bind_text(q, st, 3, folder);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		*uidvalidity = sqlite3_column_int64(st, 0);
		*last_uid = sqlite3_column_int64(st, 1);
	}
	sq_done(st);
	return rc;
}

enum tame_err
store_sqlite_imap_state_set(struct store *s, int64_t mailbox_id,
    const char *account, const char *folder, int64_t uidvalidity,
    int64_t last_uid, int64_t imported, int64_t backlog, int64_t now)
{
	static const char state[] = "INSERT INTO imap_folder_state("
	    "mailbox_id, account, folder, uidvalidity, last_uid, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT(mailbox_id, account, folder) DO UPDATE SET"
	    " uidvalidity = excluded.uidvalidity,"
	    " last_uid = excluded.last_uid, updated_at = excluded.updated_at";
	static const char count[] = "UPDATE mailbox_imap SET"
	    " imported = imported + ?2, backlog = ?3,"
	    " last_import_at = CASE WHEN ?2 > 0 THEN ?4 ELSE last_import_at"
	    " END WHERE mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, state);
	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_text(q, st, 2, account);
	sq_bind_text(q, st, 3, folder);
	sq_bind_int(q, st, 4, uidvalidity);
	sq_bind_int(q, st, 5, last_uid);
	sq_bind_int(q, st, 6, now);
	if ((rc = sq_run(q, st)))
		goto out;
	st = sq_stmt(q, count);
	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_int(q, st, 2, imported);
	sq_bind_int(q, st, 3, backlog);
	sq_bind_int(q, st, 4, now);
	rc = sq_run(q, st);
out:
	return sq_tx_end(q, own, rc);
}

enum tame_err
store_sqlite_imap_status(struct store *s, int64_t mailbox_id,
    const char *error, const char *detail, int64_t now)
{
	static const char ok[] = "UPDATE mailbox_imap SET last_error = NULL,"
	    " last_error_detail = NULL, last_error_at = NULL,"
	    " last_ok_at = ?2 WHERE mailbox_id = ?1";
	static const char bad[] = "UPDATE mailbox_imap SET last_error = ?2,"
	    " last_error_detail = ?3, last_error_at = ?4"
	    " WHERE mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, error ? bad : ok);

	sq_bind_int(q, st, 1, mailbox_id);
	if (error) {
		sq_bind_text(q, st, 2, error);
		sq_bind_text(q, st, 3, detail);
		sq_bind_int(q, st, 4, now);
	} else {
		sq_bind_int(q, st, 2, now);
	}
	return sq_run(q, st);
}

/* Adds the string of b (or null when it failed) under key. */
static int
jset_buf(json_t *o, const char *key, enum tame_err rc, struct buf *b)
{
	return sq_jset(o, key, rc ? NULL : json_string(buf_str(b)));
}

enum tame_err
store_sqlite_imap_watch(struct store *s, int64_t mailbox_id,
    const char *watch)
{
	static const char sql[] = "UPDATE mailbox_imap SET watch = ?2"
	    " WHERE mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_text(q, st, 2, watch);
	return sq_run(q, st);
}

enum tame_err
store_sqlite_imap_view(struct store *s, int64_t mailbox_id,
    json_t **out)
{
	static const char sql[] = "SELECT " IMAP_COLS ","
	    " i.last_error, i.last_error_detail, i.last_error_at,"
	    " i.last_ok_at, i.last_import_at, i.imported, i.backlog,"
	    " f.uidvalidity, f.last_uid, i.watch"
	    " FROM mailbox_imap i JOIN mailboxes m ON m.id = i.mailbox_id"
	    " LEFT JOIN imap_folder_state f ON f.mailbox_id = i.mailbox_id"
	    "  AND f.account = " ACCOUNT_SQL " AND f.folder = i.folder"
	    " WHERE i.mailbox_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	struct imap_conf c;
	struct buf url, after;
	const char *status;
	json_t *o = NULL;
	enum tame_err rc;
	int bad = 0;

	memset(&c, 0, sizeof(c));
	buf_init(&url, TAME_IMAP_URL_MAX * 4);
	buf_init(&after, TAME_FIELD_MAX * 2);
	sq_bind_int(q, st, 1, mailbox_id);
	if ((rc = sq_row(q, st)) || (rc = conf_fill(st, &c, NULL)))
		goto out;
	if (!(o = json_object())) {
		rc = TAME_ENOMEM;
		goto out;
	}
	if (sqlite3_column_type(st, 14) != SQLITE_NULL)
		status = "error";
	else if (sqlite3_column_type(st, 17) == SQLITE_NULL)
		status = "connecting";
	else if (sqlite3_column_int64(st, 20) > 0)
		status = "importing";
	else
		status = "ok";
	bad |= jset_buf(o, "url", imap_conf_url(&c, &url), &url);
	bad |= sq_jset(o, "host", json_string(c.host));
	bad |= sq_jset(o, "port", json_integer(c.port));
	bad |= sq_jset(o, "tls", json_string(imap_conf_tls_name(c.tls)));
	bad |= sq_jset(o, "user", sq_json_text(st, 5));
	bad |= sq_jset(o, "folder", sq_json_text(st, 7));
	bad |= jset_buf(o, "after", imap_conf_after_text(&c, &after), &after);
	bad |= sq_jset(o, "poll_interval_ms", json_integer(c.poll_ms));
	bad |= sq_jset(o, "ca_file", sq_json_text(st, 11));
	bad |= sq_jset(o, "pinned_key", sq_json_text(st, 12));
	bad |= sq_jset(o, "status", json_string(status));
	bad |= sq_jset(o, "last_error", sq_json_text(st, 14));
	bad |= sq_jset(o, "last_error_detail", sq_json_text(st, 15));
	bad |= sq_jset(o, "last_error_at", sq_json_time(st, 16));
	bad |= sq_jset(o, "last_ok_at", sq_json_time(st, 17));
	bad |= sq_jset(o, "last_import_at", sq_json_time(st, 18));
	bad |= sq_jset(o, "imported", json_integer(sqlite3_column_int64(st,
	    19)));
	bad |= sq_jset(o, "backlog", json_integer(sqlite3_column_int64(st,
	    20)));
	bad |= sq_jset(o, "uidvalidity", sqlite3_column_type(st, 21) ==
	    SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st,
	    21)));
	bad |= sq_jset(o, "last_uid", json_integer(sqlite3_column_int64(st,
	    22)));
	bad |= sq_jset(o, "watch", sq_json_text(st, 23));
	if (bad) {
		rc = TAME_ENOMEM;
		goto out;
	}
	*out = o;
	o = NULL;
out:
	sq_done(st);
	json_decref(o);
	imap_conf_clear(&c);
	buf_free(&url);
	buf_free(&after);
	return rc;
}
