/*
 * store_sqlite_export.c - `tame export json`: everything a team would
 * take to another system, as one JSON document on a stream, read in one
 * snapshot. See store_export_json() in store.h.
 *
 * Model: small tables (mailboxes, agents) go through their API views;
 * customers and tickets stream one object at a time, so a million
 * tickets need the memory of one; the desk's and the queue
 * intelligence's own tables (saved replies, followers, trends, settings)
 * stream row by row with their column names as keys, timestamps as ISO
 * 8601. Secrets (password hashes, tokens, sessions, IMAP and relay
 * passwords) and raw mail stay out; `tame backup` copies everything.
 */
#include <stdio.h>
#include <string.h>
#include "../core/util.h"
#include "migrations.h"
#include "store_sqlite.h"

/* Writes "key":value, for a view built in memory (small tables). */
static enum tame_err
export_view(struct store *s, FILE *f, const char *key,
    enum tame_err (*view)(struct store *, json_t **))
{
	json_t *o;
	enum tame_err rc;

	if ((rc = view(s, &o)))
		return rc;
	fprintf(f, "\"%s\":", key);
	if (json_dumpf(json_object_get(o, key), f, JSON_COMPACT))
		rc = TAME_EIO;
	fputc(',', f);
	json_decref(o);
	return rc;
}

/* One row as an object: the columns by name, "..._at" integers as
 * times. NULL when out of memory. */
static json_t *
row_json(sqlite3_stmt *st)
{
	json_t *o = json_object(), *v;
	const char *name;
	size_t len;
	int i, n = sqlite3_column_count(st);

	for (i = 0; o && i < n; i++) {
		name = sqlite3_column_name(st, i);
		len = strlen(name);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = len > 3 && strcmp(name + len - 3, "_at") == 0 ?
			    sq_json_time(st, i) :
			    json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			v = sq_json_text(st, i);
			break;
		}
		if (sq_jset(o, name, v)) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

enum export_kind { EXPORT_ROW, EXPORT_CUSTOMER, EXPORT_TICKET };

/* Streams "key":[objects...] of the rows of sql, one at a time. */
static enum tame_err
export_rows(struct sq *q, FILE *f, const char *key, const char *sql,
    enum export_kind kind)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	json_t *o = NULL;
	enum tame_err rc;
	int n = 0;

	if (!st)
		return q->prep_rc ? q->prep_rc : TAME_ESTORE;
	fprintf(f, "\"%s\":[", key);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		if (kind == EXPORT_TICKET)
			rc = sq_ticket_full(q, sqlite3_column_int64(st, 0), &o);
		else if (!(o = kind == EXPORT_CUSTOMER ? sq_customer_json(st) :
		    row_json(st)))
			rc = TAME_ENOMEM;
		if (rc)
			break;
		if (n++)
			fputc(',', f);
		if (json_dumpf(o, f, JSON_COMPACT))
			rc = TAME_EIO;
		json_decref(o);
		if (rc)
			break;
	}
	sq_done(st);
	fputc(']', f);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

/* One JSON document of everything but secrets and raw mail, read in one
 * snapshot when no transaction is open. See store.h. */
enum tame_err
store_sqlite_export_json(struct store *s, FILE *f)
{
	static const char csql[] = "SELECT " CUSTOMER_VIEW_COLS
	    " FROM customers c ORDER BY id";
	static const char tsql[] = "SELECT id FROM tickets ORDER BY id";
	static const struct {
		const char *key, *sql;
	} desk[] = {
		{ "saved_replies", "SELECT id, owner_id, title, body, shared,"
		    " created_at, updated_at FROM saved_replies ORDER BY id" },
		{ "followers", "SELECT ticket_id, agent_id, created_at"
		    " FROM ticket_followers ORDER BY ticket_id, agent_id" },
		{ "trends", "SELECT id, label, auto_label, kind, merged_into,"
		    " created_at, updated_at FROM trends ORDER BY id" },
		{ "settings", "SELECT k AS key, v AS value, updated_at"
		    " FROM settings ORDER BY k" },
	};
	struct sq *q = SQ(s);
	char iso[32];
	enum tame_err rc = TAME_OK;
	int own = sqlite3_get_autocommit(q->db);
	size_t i;

	if (own && (rc = sq_run(q, sq_stmt(q, "BEGIN"))))
		return rc;
	tame_time_iso(tame_now_ms(), iso);
	fprintf(f, "{\"format\":\"tame-export\",\"schema_version\":%d,"
	    "\"exported_at\":\"%s\",", migrations_latest(), iso);
	if ((rc = export_view(s, f, "mailboxes",
	    store_sqlite_mailboxes_view)) ||
	    (rc = export_view(s, f, "agents", store_sqlite_agents_view)))
		goto out;
	for (i = 0; i < sizeof(desk) / sizeof(desk[0]); i++) {
		if ((rc = export_rows(q, f, desk[i].key, desk[i].sql,
		    EXPORT_ROW)))
			goto out;
		fputc(',', f);
	}
	if ((rc = export_rows(q, f, "customers", csql, EXPORT_CUSTOMER)))
		goto out;
	fputc(',', f);
	if ((rc = export_rows(q, f, "tickets", tsql, EXPORT_TICKET)))
		goto out;
	fputs("}\n", f);
	if (fflush(f) || ferror(f)) {
		store_set_errmsg(s, "export: write failed");
		rc = TAME_EIO;
	}
out:
	if (own)
		sq_run(q, sq_stmt(q, rc ? "ROLLBACK" : "COMMIT"));
	return rc;
}
