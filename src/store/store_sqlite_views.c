/*
 * store_sqlite_views.c - the SQLite backend's JSON views (the API's
 * shapes, docs/API.md): agents, mailboxes, customers, a ticket as the
 * list shows it, and one ticket with its messages and events. The
 * ticket list itself, with its filters and full-text search, is in
 * store_sqlite_list.c; the JSON export in store_sqlite_export.c.
 *
 * Model: a view reads rows and builds the API's object; the ticket row
 * is written as JSON text (sq_ticket_text) because the list, the
 * busiest view, writes up to a few hundred of them a page.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "../core/util.h"
#include "store_sqlite.h"
#include "store_sqlite_intel.h"
#include "store_sqlite_views.h"

/* ---- JSON helpers (see store_sqlite.h) ---- */

/* A JSON string of s; bytes that are not UTF-8 become U+FFFD. */
json_t *
sq_json_strn(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	char *fix, *o;
	size_t i, k;

	if ((j = json_stringn(s, len)))
		return j;
	if (len > (SIZE_MAX - 1) / 3 || !(fix = malloc(len * 3 + 1)))
		return NULL;
	o = fix;
	for (i = 0; i < len; ) {
		if ((k = tame_utf8_len(p + i, len - i))) {
			memcpy(o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(fix, (size_t)(o - fix));
	free(fix);
	return j;
}

/* See store_sqlite.h. */
enum tame_err
sq_json_rows(struct sq *q, sqlite3_stmt *st,
    json_t *(*row)(sqlite3_stmt *st), json_t *arr)
{
	enum tame_err rc;

	while ((rc = sq_row(q, st)) == TAME_OK)
		if (json_array_append_new(arr, row(st)))
			return TAME_ENOMEM;
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

/* Text column, null for SQL NULL. */
json_t *
sq_json_text(sqlite3_stmt *st, int i)
{
	const char *t;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	if (!(t = (const char *)sqlite3_column_text(st, i)))
		return NULL;
	return sq_json_strn(t, (size_t)sqlite3_column_bytes(st, i));
}

/* Millisecond column as RFC 3339 text, null for SQL NULL. */
json_t *
sq_json_time(sqlite3_stmt *st, int i)
{
	char iso[32];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	tame_time_iso(sqlite3_column_int64(st, i), iso);
	return json_string(iso);
}

/* Id column, null for NULL or 0. */
json_t *
sq_json_id(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);

	return v > 0 ? json_integer(v) : json_null();
}

/* Sets o[key] = v, taking v; 1 on failure. */
int
sq_jset(json_t *o, const char *key, json_t *v)
{
	return (!v || json_object_set_new(o, key, v) != 0);
}

/* A JSON array stored as text (to_json, cc_json, tags); [] when the
 * column is NULL or not an array. */
static json_t *
json_array_col(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	json_t *a;

	if (t && (a = json_loadb(t, (size_t)sqlite3_column_bytes(st, i),
	    JSON_DECODE_ANY, NULL))) {
		if (json_is_array(a))
			return a;
		json_decref(a);
	}
	return json_array();
}

/* Finishes a view: on failure frees o and reports ENOMEM. */
static enum tame_err
view_done(json_t *o, int bad, json_t **out)
{
	if (bad || !o) {
		json_decref(o);
		return TAME_ENOMEM;
	}
	*out = o;
	return TAME_OK;
}

/* See store_sqlite_views.h. */
enum tame_err
sq_cursor_parse(struct sq *q, const char *cursor, int64_t *below)
{
	*below = INT64_MAX;
	if (!cursor)
		return TAME_OK;
	if (tame_parse_i64(cursor, 1, INT64_MAX, below)) {
		store_set_errmsg(&q->base, "bad cursor");
		return TAME_EINVAL;
	}
	return TAME_OK;
}

static json_t *
cursor_json(int more, int64_t last)
{
	char b[24];

	if (!more || snprintf(b, sizeof(b), "%lld", (long long)last) < 0)
		return json_null();
	return json_string(b);
}

/* ---- agents and mailboxes ---- */

#define AGENT_VIEW_COLS "id, email, name, role, disabled, created_at"

static json_t *
agent_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "email", sq_json_text(st, 1));
	bad |= sq_jset(o, "name", sq_json_text(st, 2));
	bad |= sq_jset(o, "role", json_string(agent_role_name(
	    (enum agent_role)sqlite3_column_int(st, 3))));
	bad |= sq_jset(o, "disabled",
	    json_boolean(sqlite3_column_int(st, 4)));
	bad |= sq_jset(o, "created_at", sq_json_time(st, 5));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

#define MAILBOX_VIEW_COLS \
	"id, address, name, ack_enabled, ack_template, created_at"

static json_t *
mailbox_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "address", sq_json_text(st, 1));
	bad |= sq_jset(o, "name", sq_json_text(st, 2));
	bad |= sq_jset(o, "ack_enabled",
	    json_boolean(sqlite3_column_int(st, 3)));
	bad |= sq_jset(o, "ack_template", sq_json_text(st, 4));
	bad |= sq_jset(o, "created_at", sq_json_time(st, 5));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* See store_sqlite.h. */
json_t *
sq_customer_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "email", sq_json_text(st, 1));
	bad |= sq_jset(o, "name", sq_json_text(st, 2));
	bad |= sq_jset(o, "organization", sq_json_text(st, 3));
	bad |= sq_jset(o, "created_at", sq_json_time(st, 4));
	bad |= sq_jset(o, "ticket_count",
	    json_integer(sqlite3_column_int64(st, 5)));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Runs st and collects make(row) for every row into a new array. */
static enum tame_err
rows_array(struct sq *q, sqlite3_stmt *st, json_t *(*make)(sqlite3_stmt *),
    json_t **arr)
{
	enum tame_err rc;

	if (!(*arr = json_array())) {
		sq_done(st);
		return TAME_ENOMEM;
	}
	while ((rc = sq_row(q, st)) == TAME_OK)
		if (json_array_append_new(*arr, make(st))) {
			rc = TAME_ENOMEM;
			break;
		}
	sq_done(st);
	if (rc == TAME_ENOTFOUND)
		return TAME_OK;
	json_decref(*arr);
	*arr = NULL;
	return rc;
}

/* One row as make(row); TAME_ENOTFOUND without one. */
static enum tame_err
one_row(struct sq *q, sqlite3_stmt *st, int64_t id,
    json_t *(*make)(sqlite3_stmt *), json_t **out)
{
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	if ((rc = sq_row(q, st)) == TAME_OK && !(*out = make(st)))
		rc = TAME_ENOMEM;
	sq_done(st);
	return rc;
}

/* Wraps arr as {key: arr}. */
static enum tame_err
wrap(const char *key, json_t *arr, json_t **out)
{
	json_t *o = json_object();

	if (!o) {
		json_decref(arr);
		return TAME_ENOMEM;
	}
	return view_done(o, sq_jset(o, key, arr), out);
}

/* {"agents":[...]} */
enum tame_err
store_sqlite_agents_view(struct store *s, json_t **out)
{
	static const char sql[] = "SELECT " AGENT_VIEW_COLS
	    " FROM agents ORDER BY id";
	struct sq *q = SQ(s);
	json_t *arr;
	enum tame_err rc;

	if ((rc = rows_array(q, sq_stmt(q, sql), agent_json, &arr)))
		return rc;
	return wrap("agents", arr, out);
}

/* {id,email,name,role,disabled,created_at} */
enum tame_err
store_sqlite_agent_view(struct store *s, int64_t id, json_t **out)
{
	static const char sql[] = "SELECT " AGENT_VIEW_COLS
	    " FROM agents WHERE id = ?1";
	struct sq *q = SQ(s);

	return one_row(q, sq_stmt(q, sql), id, agent_json, out);
}

/* {"mailboxes":[...]} */
enum tame_err
store_sqlite_mailboxes_view(struct store *s, json_t **out)
{
	static const char sql[] = "SELECT " MAILBOX_VIEW_COLS
	    " FROM mailboxes ORDER BY id";
	struct sq *q = SQ(s);
	json_t *arr;
	enum tame_err rc;

	if ((rc = rows_array(q, sq_stmt(q, sql), mailbox_json, &arr)))
		return rc;
	return wrap("mailboxes", arr, out);
}

/* {id,address,name,ack_enabled,ack_template,created_at} */
enum tame_err
store_sqlite_mailbox_view(struct store *s, int64_t id, json_t **out)
{
	static const char sql[] = "SELECT " MAILBOX_VIEW_COLS
	    " FROM mailboxes WHERE id = ?1";
	struct sq *q = SQ(s);

	return one_row(q, sq_stmt(q, sql), id, mailbox_json, out);
}

/* ---- customers ---- */

/* {"customers":[...], "next_cursor"} newest first. */
enum tame_err
store_sqlite_customers_view(struct store *s, const char *cursor, int limit,
    json_t **out)
{
	static const char sql[] = "SELECT " CUSTOMER_VIEW_COLS
	    " FROM customers c WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	json_t *arr, *o;
	int64_t below, last;
	size_t n;
	enum tame_err rc;

	if ((rc = sq_cursor_parse(q, cursor, &below)))
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, below);
	sq_bind_int(q, st, 2, (int64_t)limit + 1);
	if ((rc = rows_array(q, st, sq_customer_json, &arr)))
		return rc;
	n = json_array_size(arr);
	if (n > (size_t)limit)
		json_array_remove(arr, n - 1);
	last = json_integer_value(json_object_get(json_array_get(arr,
	    (size_t)limit - 1), "id"));
	if (!(o = json_object())) {
		json_decref(arr);
		return TAME_ENOMEM;
	}
	return view_done(o, sq_jset(o, "customers", arr) |
	    sq_jset(o, "next_cursor", cursor_json(n > (size_t)limit, last)),
	    out);
}

/* {id,email,name,organization,created_at,ticket_count} */
enum tame_err
store_sqlite_customer_view(struct store *s, int64_t id, json_t **out)
{
	static const char sql[] = "SELECT " CUSTOMER_VIEW_COLS
	    " FROM customers c WHERE id = ?1";
	struct sq *q = SQ(s);

	return one_row(q, sq_stmt(q, sql), id, sq_customer_json, out);
}

/* ---- tickets ---- */

/* {id,email,name} from three columns, null when the id is NULL. */
static void
person_text(struct jw *w, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		sq_jw_lit(w, "null");
		return;
	}
	sq_jw_lit(w, "{\"id\":");
	sq_jw_int(w, sqlite3_column_int64(st, i));
	sq_jw_lit(w, ",\"email\":");
	sq_jw_col_text(w, st, i + 1);
	sq_jw_lit(w, ",\"name\":");
	sq_jw_col_text(w, st, i + 2);
	sq_jw_lit(w, "}");
}

/* See store_sqlite_views.h. The list is the busiest view, and jansson
 * objects cost it two thirds of its time. The tags column is SQLite's
 * own JSON array. */
void
sq_ticket_text(struct jw *w, sqlite3_stmt *st)
{
	const char *tags = (const char *)sqlite3_column_text(st, 15);
	size_t ntags = (size_t)sqlite3_column_bytes(st, 15);

	sq_jw_lit(w, "{\"id\":");
	sq_jw_int(w, sqlite3_column_int64(st, 0));
	sq_jw_lit(w, ",\"subject\":");
	sq_jw_col_text(w, st, 1);
	sq_jw_lit(w, ",\"status\":");
	sq_jw_str(w, ticket_status_name(
	    (enum ticket_status)sqlite3_column_int(st, 2)));
	sq_jw_lit(w, ",\"priority\":");
	sq_jw_str(w, ticket_priority_name(
	    (enum ticket_priority)sqlite3_column_int(st, 3)));
	sq_jw_lit(w, ",\"customer\":");
	person_text(w, st, 4);
	sq_jw_lit(w, ",\"assignee\":");
	person_text(w, st, 7);
	sq_jw_lit(w, ",\"mailbox_id\":");
	sq_jw_col_id(w, st, 10);
	sq_jw_lit(w, ",\"message_count\":");
	sq_jw_int(w, sqlite3_column_int64(st, 11));
	sq_jw_lit(w, sqlite3_column_int(st, 12) ? ",\"unparsed\":true" :
	    ",\"unparsed\":false");
	sq_jw_lit(w, ",\"created_at\":");
	sq_jw_col_time(w, st, 13);
	sq_jw_lit(w, ",\"updated_at\":");
	sq_jw_col_time(w, st, 14);
	sq_jw_lit(w, ",\"tags\":");
	if (tags && ntags >= 2 && tags[0] == '[')
		sq_jw_raw(w, tags, ntags);
	else
		sq_jw_lit(w, "[]");
	sq_jw_lit(w, ",\"preview\":");
	sq_jw_col_text(w, st, 16);
	sq_jw_lit(w, ",\"last_customer_at\":");
	sq_jw_col_time(w, st, 18);
	sq_intel_ticket_text(w, st, 19);
	sq_jw_lit(w, "}");
}

/* The same ticket as a json_t, for the views built in memory. */
static json_t *
ticket_json(sqlite3_stmt *st)
{
	struct buf b;
	struct jw w = { &b, TAME_OK };
	json_t *o = NULL;

	buf_init(&b, TAME_TEXT_MAX);
	sq_ticket_text(&w, st);
	if (!w.rc)
		o = json_loadb(b.data, b.len, 0, NULL);
	buf_free(&b);
	return o;
}

/* ---- one ticket ---- */

static json_t *
attachment_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "filename", sq_json_text(st, 1));
	bad |= sq_jset(o, "content_type", sq_json_text(st, 2));
	bad |= sq_jset(o, "size", json_integer(sqlite3_column_int64(st, 3)));
	bad |= sq_jset(o, "inline", json_boolean(sqlite3_column_int(st, 4)));
	/* what the HTML's <img src="cid:..."> names it by, or null */
	bad |= sq_jset(o, "content_id", sq_json_text(st, 5));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* {state, error} for outbound mail, null for inbound mail and notes. */
static json_t *
delivery_json(sqlite3_stmt *st, int dir_col, int state_col, int err_col)
{
	const char *name;
	json_t *o;

	if (sqlite3_column_int(st, dir_col) != MSG_OUT ||
	    !(name = delivery_state_name((enum delivery_state)
	    sqlite3_column_int(st, state_col))))
		return json_null();
	if (!(o = json_object()))
		return NULL;
	if (sq_jset(o, "state", json_string(name)) ||
	    sq_jset(o, "error", sq_json_text(st, err_col))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static enum tame_err
message_json(struct sq *q, sqlite3_stmt *st, json_t **out)
{
	static const char asql[] = "SELECT id, filename, content_type, size,"
	    " inline, content_id FROM attachments WHERE message_id = ?1"
	    " ORDER BY id";
	sqlite3_stmt *ast;
	json_t *o, *from, *atts = NULL;
	enum tame_err rc;
	int bad;

	if (!(o = json_object()) || !(from = json_object()))
		return view_done(o, 1, out);
	bad = sq_jset(from, "email", sq_json_text(st, 2));
	bad |= sq_jset(from, "name", sq_json_text(st, 3));
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "direction", json_string(msg_direction_name(
	    (enum msg_direction)sqlite3_column_int(st, 1))));
	bad |= sq_jset(o, "from", from);
	bad |= sq_jset(o, "to", json_array_col(st, 4));
	bad |= sq_jset(o, "cc", json_array_col(st, 5));
	bad |= sq_jset(o, "subject", sq_json_text(st, 6));
	bad |= sq_jset(o, "text", sq_json_text(st, 7));
	bad |= sq_jset(o, "html", sq_json_text(st, 8));
	bad |= sq_jset(o, "message_id", sq_json_text(st, 9));
	bad |= sq_jset(o, "created_at", sq_json_time(st, 10));
	bad |= sq_jset(o, "unparsed", json_boolean(sqlite3_column_int(st, 11)));
	bad |= sq_jset(o, "auto_submitted",
	    json_boolean(sqlite3_column_int(st, 12)));
	bad |= sq_jset(o, "author_id", sq_json_id(st, 13));
	bad |= sq_jset(o, "delivery", delivery_json(st, 1, 14, 15));
	bad |= sq_jset(o, "tone", sq_intel_tone_json(st, 16));
	if (bad)
		return view_done(o, 1, out);
	ast = sq_stmt(q, asql);
	sq_bind_int(q, ast, 1, sqlite3_column_int64(st, 0));
	if ((rc = rows_array(q, ast, attachment_json, &atts))) {
		json_decref(o);
		return rc;
	}
	return view_done(o, sq_jset(o, "attachments", atts), out);
}

static json_t *
event_json(sqlite3_stmt *st)
{
	json_t *o = json_object(), *data = NULL;
	const char *t;
	int bad = !o;

	if (bad)
		return NULL;
	if ((t = (const char *)sqlite3_column_text(st, 2)))
		data = json_loadb(t, (size_t)sqlite3_column_bytes(st, 2),
		    JSON_DECODE_ANY, NULL);
	bad |= sq_jset(o, "kind", sq_json_text(st, 0));
	bad |= sq_jset(o, "actor_id", sq_json_id(st, 1));
	bad |= sq_jset(o, "data", data ? data : json_null());
	bad |= sq_jset(o, "created_at", sq_json_time(st, 3));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* See store_sqlite.h. */
enum tame_err
sq_ticket_full(struct sq *q, int64_t id, json_t **out)
{
	static const char tsql[] = "SELECT " TICKET_COLS " FROM tickets t"
	    TICKET_JOINS " WHERE t.id = ?1";
	static const char msql[] = "SELECT id, direction, from_email, "
	    "from_name, to_json, cc_json, subject, text, html, message_id, "
	    "created_at, unparsed, auto_submitted, agent_id, delivery, "
	    "delivery_error, (SELECT tone FROM message_tones WHERE "
	    "message_id = messages.id) FROM messages WHERE ticket_id = ?1 "
	    "ORDER BY created_at, id";
	static const char esql[] = "SELECT kind, actor_agent_id, data, "
	    "created_at FROM events WHERE ticket_id = ?1 ORDER BY id";
	sqlite3_stmt *st;
	json_t *t = NULL, *msgs = NULL, *m, *evs = NULL;
	enum tame_err rc;
	int bad = 0;

	st = sq_stmt(q, tsql);
	sq_bind_int(q, st, 1, id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		if (!(t = ticket_json(st)) || sq_jset(t, "previous_ticket_id",
		    sq_json_id(st, 17)))
			rc = TAME_ENOMEM;
	}
	sq_done(st);
	if (rc)
		goto out;
	if (!(msgs = json_array())) {
		rc = TAME_ENOMEM;
		goto out;
	}
	st = sq_stmt(q, msql);
	sq_bind_int(q, st, 1, id);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		if ((rc = message_json(q, st, &m)))
			break;
		if (json_array_append_new(msgs, m)) {
			rc = TAME_ENOMEM;
			break;
		}
	}
	sq_done(st);
	if (rc != TAME_ENOTFOUND)
		goto out;
	st = sq_stmt(q, esql);
	sq_bind_int(q, st, 1, id);
	if ((rc = rows_array(q, st, event_json, &evs)))
		goto out;
	bad |= sq_jset(t, "messages", msgs);
	msgs = NULL;
	bad |= sq_jset(t, "events", evs);
	evs = NULL;
	if (bad)
		rc = TAME_ENOMEM;
out:
	json_decref(msgs);
	json_decref(evs);
	if (rc)
		json_decref(t);
	else
		*out = t;
	return rc;
}

/* {"ticket":{...}}. See store.h. */
enum tame_err
store_sqlite_ticket_view(struct store *s, int64_t id, json_t **out)
{
	json_t *t;
	enum tame_err rc;

	if ((rc = sq_ticket_full(SQ(s), id, &t)))
		return rc;
	return wrap("ticket", t, out);
}
