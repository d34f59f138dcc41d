/*
 * store_sqlite_intel_views.c - the SQLite backend of store_intel.h, part
 * two: the columns, JSON and filters the ticket views take from the
 * intelligence (trend, tone, flags), what the API reads (a trend's
 * recipients, ticket briefs, solved cases and their FTS5 look-up) and
 * the answers kept for requests sent with an Idempotency-Key.
 *
 * Model: "similar cases" is a full-text question. The caller picks a
 * ticket's most telling words and asks FTS5 for the newest messages
 * that use them; only a few hundred hits are read, and only those of
 * solved or closed tickets are kept, one per ticket. The caller scores
 * the candidates itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "../core/util.h"
#include "store_sqlite_intel.h"

/* ---- for the ticket views (store_sqlite_intel.h) ---- */

/* A reason's words for a wait: "3 d 4 h", "5 h 12 min", "40 min". */
static void
span_text(int64_t ms, char *out, size_t len)
{
	int64_t m = ms / 60000, h = m / 60, d = h / 24;

	if (d > 0)
		snprintf(out, len, "%lld d %lld h", (long long)d,
		    (long long)(h % 24));
	else if (h > 0)
		snprintf(out, len, "%lld h %lld min", (long long)h,
		    (long long)(m % 60));
	else
		snprintf(out, len, "%lld min", (long long)(m < 1 ? 1 : m));
}

static void
flag_text(struct jw *w, int *first, const char *kind, const char *reason)
{
	sq_jw_lit(w, *first ? "{\"kind\":" : ",{\"kind\":");
	sq_jw_str(w, kind);
	sq_jw_lit(w, ",\"reason\":");
	sq_jw_str(w, reason);
	sq_jw_lit(w, "}");
	*first = 0;
}

/* Writes the JSON text of column i when it holds an object; else null. */
static void
json_col(struct jw *w, sqlite3_stmt *st, int i, char open)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (t && n >= 2 && t[0] == open)
		sq_jw_raw(w, t, (size_t)n);
	else
		sq_jw_lit(w, "null");
}

void
sq_intel_ticket_text(struct jw *w, sqlite3_stmt *st, int col)
{
	const char *flags = (const char *)sqlite3_column_text(st, col + 3);
	int nflags = sqlite3_column_bytes(st, col + 3), first = 1, status;
	int64_t count, since, usual, limit, waited;
	char reason[160], a[32], b[32];

	sq_jw_lit(w, ",\"trend\":");
	if (sqlite3_column_int64(st, col) > 0) {
		sq_jw_lit(w, "{\"id\":");
		sq_jw_int(w, sqlite3_column_int64(st, col));
		sq_jw_lit(w, ",\"label\":");
		sq_jw_col_text(w, st, col + 1);
		sq_jw_lit(w, "}");
	} else {
		sq_jw_lit(w, "null");
	}
	sq_jw_lit(w, ",\"tone\":");
	json_col(w, st, col + 2, '{');
	sq_jw_lit(w, ",\"tone_earlier\":");
	json_col(w, st, col + 9, '{');
	sq_jw_lit(w, ",\"flags\":[");
	/* the stored ones: an array "[{...},{...}]" without its brackets */
	if (flags && nflags > 2 && flags[0] == '[' &&
	    flags[nflags - 1] == ']') {
		sq_jw_raw(w, flags + 1, (size_t)nflags - 2);
		first = 0;
	}
	status = sqlite3_column_int(st, col + 4);
	count = sqlite3_column_int64(st, col + 5);
	if (count >= STORE_FLAG_MANY_AT) {
		snprintf(reason, sizeof(reason), "%lld messages in the thread "
		    "(a clean case takes about 3)", (long long)count);
		flag_text(w, &first, "many_messages", reason);
	}
	since = sqlite3_column_int64(st, col + 6);
	usual = sqlite3_column_int64(st, col + 7);
	limit = sqlite3_column_type(st, col + 8) == SQLITE_NULL ?
	    STORE_WAIT_FLAG_DEFAULT_MS : sqlite3_column_int64(st, col + 8);
	waited = tame_now_ms() - since;
	if ((status == TICKET_NEW || status == TICKET_OPEN) &&
	    waited > limit) {
		span_text(waited, a, sizeof(a));
		span_text(usual > 0 ? usual : limit, b, sizeof(b));
		snprintf(reason, sizeof(reason), "waiting for %s; %s %s", a,
		    usual > 0 ? "a first answer usually takes" : "more than",
		    b);
		flag_text(w, &first, "waiting_long", reason);
	}
	sq_jw_lit(w, "]");
}

/* The condition of one flag kind over a ticket row t. */
static enum tame_err
flag_cond(unsigned bit, struct buf *b)
{
	switch (bit) {
	case STORE_FLAG_MANY_MESSAGES:
		return buf_printf(b, "t.message_count >= %d",
		    STORE_FLAG_MANY_AT);
	case STORE_FLAG_WAITING_LONG:
		return buf_printf(b, "(t.status IN (0, 1) AND"
		    " coalesce(t.last_customer_at, t.created_at) <"
		    " CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
		    " - coalesce((SELECT v FROM intel_state WHERE k = '"
		    STORE_WAIT_FLAG_KEY "'), %lld))",
		    (long long)STORE_WAIT_FLAG_DEFAULT_MS);
	default:
		return buf_printf(b, "(t.flag_bits != 0 AND (t.flag_bits & %u)"
		    " != 0)", bit);
	}
}

enum tame_err
sq_intel_conds(const struct ticket_query *tq, struct buf *b)
{
	enum tame_err rc = TAME_OK;
	unsigned bit;
	int first = 1;

	if (tq->trend_id > 0 && (rc = buf_printf(b, " AND t.trend_id = %lld",
	    (long long)tq->trend_id)))
		return rc;
	if (!tq->flags)
		return TAME_OK;
	if ((rc = buf_addstr(b, " AND (")))
		return rc;
	for (bit = 1; bit <= STORE_FLAG_ABUSIVE && !rc; bit <<= 1) {
		if (!(tq->flags & bit))
			continue;
		if ((!first && (rc = buf_addstr(b, " OR "))) ||
		    (rc = flag_cond(bit, b)))
			return rc;
		first = 0;
	}
	return rc ? rc : buf_addstr(b, first ? "1)" : ")");
}

json_t *
sq_intel_tone_json(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	json_t *j;

	if (!t || !(j = json_loadb(t, (size_t)sqlite3_column_bytes(st, col),
	    0, NULL)))
		return json_null();
	if (!json_is_object(j)) {
		json_decref(j);
		return json_null();
	}
	return j;
}

void
store_trend_rcpts_free(struct store_trend_rcpt *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].email);
		free(v[i].name);
		free(v[i].subject);
	}
	free(v);
}

enum tame_err
sq_intel_trend_rcpts(struct store *s, int64_t id, size_t max,
    struct store_trend_rcpt **out, size_t *n, int *more)
{
	static const char sql[] = "SELECT t.id, c.email, c.name, t.subject,"
	    " c.id FROM tickets t JOIN customers c ON c.id = t.customer_id"
	    " WHERE t.trend_id = ?1 AND t.status IN (0, 1, 2)"
	    " ORDER BY t.id LIMIT ?2";
	struct sq *q = SQ(s);
	struct store_trend_rcpt *v;
	sqlite3_stmt *st;
	enum tame_err rc;

	*out = NULL;
	*n = 0;
	*more = 0;
	if (!(v = calloc(max ? max : 1, sizeof(*v))))
		return TAME_ENOMEM;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, id);
	sq_bind_int(q, st, 2, (int64_t)max + 1);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		if (*n == max) {
			*more = 1;
			break;
		}
		v[*n].ticket_id = sqlite3_column_int64(st, 0);
		v[*n].customer_id = sqlite3_column_int64(st, 4);
		(*n)++;
		if ((rc = sq_col_dup(st, 1, &v[*n - 1].email)) ||
		    (rc = sq_col_dup(st, 2, &v[*n - 1].name)) ||
		    (rc = sq_col_dup(st, 3, &v[*n - 1].subject)))
			break;
	}
	sq_done(st);
	if (rc == TAME_ENOTFOUND || (rc == TAME_OK && *more))
		rc = TAME_OK;
	if (rc) {
		store_trend_rcpts_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return TAME_OK;
}

/* A JSON array text of n ids, for json_each. */
static enum tame_err
ids_text(const int64_t *ids, size_t n, struct buf *b)
{
	enum tame_err rc = buf_addstr(b, "[");
	size_t i;

	for (i = 0; i < n && !rc; i++)
		rc = buf_printf(b, "%s%lld", i ? "," : "", (long long)ids[i]);
	return rc ? rc : buf_addstr(b, "]");
}

static json_t *
brief_json(sqlite3_stmt *st)
{
	json_t *o = json_object(), *c = NULL;
	int bad = !o;

	if (bad)
		return NULL;
	if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
		if (!(c = json_object())) {
			json_decref(o);
			return NULL;
		}
		bad |= sq_jset(c, "id", json_integer(
		    sqlite3_column_int64(st, 3)));
		bad |= sq_jset(c, "email", sq_json_text(st, 4));
		bad |= sq_jset(c, "name", sq_json_text(st, 5));
	}
	bad |= sq_jset(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	bad |= sq_jset(o, "subject", sq_json_text(st, 1));
	bad |= sq_jset(o, "status", json_string(ticket_status_name(
	    (enum ticket_status)sqlite3_column_int(st, 2))));
	bad |= sq_jset(o, "customer", c ? c : json_null());
	bad |= sq_jset(o, "created_at", sq_json_time(st, 6));
	bad |= sq_jset(o, "message_count",
	    json_integer(sqlite3_column_int64(st, 7)));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum tame_err
sq_intel_tickets_brief(struct store *s, const int64_t *ids, size_t n,
    json_t **out)
{
	static const char sql[] = "SELECT t.id, t.subject, t.status, c.id,"
	    " c.email, c.name, t.created_at, t.message_count FROM (SELECT"
	    " value AS id FROM json_each(?1)) p CROSS JOIN tickets t ON"
	    " t.id = p.id LEFT JOIN customers c ON c.id = t.customer_id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	struct buf b;
	json_t *o, *one;
	char key[24];
	enum tame_err rc;

	*out = NULL;
	buf_init(&b, n * 24 + 8);
	if ((rc = ids_text(ids, n, &b)))
		goto out;
	if (!(o = json_object())) {
		rc = TAME_ENOMEM;
		goto out;
	}
	st = sq_stmt(q, sql);
	sq_bind_text(q, st, 1, buf_str(&b));
	while ((rc = sq_row(q, st)) == TAME_OK) {
		snprintf(key, sizeof(key), "%lld",
		    (long long)sqlite3_column_int64(st, 0));
		if (!(one = brief_json(st)) ||
		    json_object_set_new(o, key, one)) {
			rc = TAME_ENOMEM;
			break;
		}
	}
	sq_done(st);
	if (rc != TAME_ENOTFOUND) {
		json_decref(o);
		goto out;
	}
	rc = TAME_OK;
	*out = o;
out:
	buf_free(&b);
	return rc;
}

/* ---- Idempotency-Key ---- */

/* Keys are kept a day: a client retries within minutes, not days. */
#define IDEM_KEEP_MS (24 * 3600 * 1000LL)

enum tame_err
sq_intel_idem_claim(struct store *s, int64_t agent_id, const char *key,
    const char *request, int64_t now, int64_t stale_before,
    enum store_idem_state *state, int64_t *since, int *status, char **body)
{
	static const char old[] = "DELETE FROM idempotency WHERE agent_id = ?1"
	    " AND created_at < ?2";
	/* and those of agents who send no more keys (hourly) */
	static const char all[] = "DELETE FROM idempotency"
	    " WHERE created_at < ?1";
	static const char get[] = "SELECT request, state, status, body,"
	    " created_at, claimed_at FROM idempotency WHERE agent_id = ?1"
	    " AND key = ?2";
	static const char add[] = "INSERT INTO idempotency(agent_id, key,"
	    " request, created_at, claimed_at) VALUES (?1, ?2, ?3, ?4, ?4)";
	static const char take[] = "UPDATE idempotency SET claimed_at = ?3"
	    " WHERE agent_id = ?1 AND key = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	const char *req;
	int own, found = 0, done = 0;
	int64_t claimed = 0;

	*state = STORE_IDEM_NEW;
	*since = now;
	*status = 0;
	*body = NULL;
	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, old);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_int(q, st, 2, now - IDEM_KEEP_MS);
	if ((rc = sq_run(q, st)) || (rc = sq_prune(q, all, now - IDEM_KEEP_MS,
	    now, &q->idem_pruned)))
		goto out;
	st = sq_stmt(q, get);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, key);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		found = 1;
		req = (const char *)sqlite3_column_text(st, 0);
		done = sqlite3_column_int(st, 1);
		*since = sqlite3_column_int64(st, 4);
		claimed = sqlite3_column_int64(st, 5);
		if (!req || strcmp(req, request) != 0)
			*state = STORE_IDEM_MISMATCH;
		else if (done) {
			*state = STORE_IDEM_DONE;
			*status = sqlite3_column_int(st, 2);
			rc = sq_col_dup(st, 3, body);
		} else if (claimed >= stale_before)
			*state = STORE_IDEM_RUNNING;
	}
	sq_done(st);
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
	if (rc || *state != STORE_IDEM_NEW)
		goto out;
	st = sq_stmt(q, found ? take : add);
	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, key);
	if (found) {
		sq_bind_int(q, st, 3, now);
	} else {
		sq_bind_text(q, st, 3, request);
		sq_bind_int(q, st, 4, now);
	}
	rc = sq_run(q, st);
out:
	rc = sq_tx_end(q, own, rc);
	if (rc) {
		free(*body);
		*body = NULL;
	}
	return rc;
}

enum tame_err
sq_intel_idem_finish(struct store *s, int64_t agent_id, const char *key,
    int status, const char *body)
{
	static const char sql[] = "UPDATE idempotency SET state = 1,"
	    " status = ?3, body = ?4 WHERE agent_id = ?1 AND key = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, key);
	sq_bind_int(q, st, 3, status);
	sq_bind_text(q, st, 4, body);
	return sq_run(q, st);
}

enum tame_err
sq_intel_idem_release(struct store *s, int64_t agent_id, const char *key)
{
	static const char sql[] = "DELETE FROM idempotency WHERE agent_id ="
	    " ?1 AND key = ?2 AND state = 0";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, agent_id);
	sq_bind_text(q, st, 2, key);
	return sq_run(q, st);
}

enum tame_err
sq_intel_reply_done(struct store *s, int64_t tid, int64_t agent_id,
    int64_t since, const char *text, int *yes)
{
	static const char sql[] = "SELECT 1 FROM messages WHERE ticket_id ="
	    " ?1 AND direction = 1 AND agent_id IS ?2 AND created_at >= ?3"
	    " AND text = ?4 LIMIT 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*yes = 0;
	sq_bind_int(q, st, 1, tid);
	sq_bind_id(q, st, 2, agent_id);
	sq_bind_int(q, st, 3, since);
	sq_bind_text(q, st, 4, text);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*yes = 1;
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

/* ---- mass replies: who was answered lately ---- */

/* Of an agent's reply m: not failed for good (delivery 3), and the
 * customer has not written after it (their quiet mail, an
 * out-of-office or a bounce, does not count; their words through a
 * group or a ticketing tool of theirs do). */
#define ANSWER_STANDS \
	" m.direction = 1 AND m.delivery <> 3 AND NOT EXISTS (SELECT 1" \
	" FROM messages x WHERE x.ticket_id = m.ticket_id AND x.id > m.id" \
	" AND x.direction = 0 AND NOT x.quiet)"

/* One row of ticket_id, message id, agent id, agent name, created_at
 * into a; none leaves a empty. */
static enum tame_err
answered_row(struct sq *q, sqlite3_stmt *st, struct store_answered *a)
{
	enum tame_err rc;

	if ((rc = sq_row(q, st)) == TAME_OK) {
		a->ticket_id = sqlite3_column_int64(st, 0);
		a->message_id = sqlite3_column_int64(st, 1);
		a->agent_id = sqlite3_column_int64(st, 2);
		a->at = sqlite3_column_int64(st, 4);
		rc = sq_col_dup(st, 3, &a->agent_name);
	}
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

enum tame_err
sq_intel_answered(struct store *s, int64_t tid, int64_t since,
    struct store_answered *here, struct store_answered *other)
{
	static const char own[] = "SELECT m.ticket_id, m.id, m.agent_id,"
	    " a.name, m.created_at FROM messages m"
	    " LEFT JOIN agents a ON a.id = m.agent_id"
	    " WHERE m.ticket_id = ?1 AND m.agent_id IS NOT NULL"
	    " AND m.created_at >= ?2 AND" ANSWER_STANDS
	    " ORDER BY m.id DESC LIMIT 1";
	/* the customer's other tickets, whatever became of them: a
	 * follow-up written as a new mail is a new ticket. A message
	 * bumps its ticket's updated_at, so only tickets touched since
	 * can hold such a reply: a customer with 50,000 old tickets costs
	 * a look at each ticket row, not at each of their messages. */
	static const char elsewhere[] = "SELECT m.ticket_id, m.id,"
	    " m.agent_id, a.name, m.created_at FROM tickets t"
	    " JOIN tickets o ON o.customer_id = t.customer_id AND o.id <> t.id"
	    " AND o.updated_at >= ?2"
	    " JOIN messages m ON m.ticket_id = o.id"
	    " LEFT JOIN agents a ON a.id = m.agent_id"
	    " WHERE t.id = ?1 AND m.direction = 1 AND m.agent_id IS NOT NULL"
	    " AND m.delivery <> 3 AND m.created_at >= ?2"
	    " ORDER BY m.created_at DESC, m.id DESC LIMIT 1";
	const char *const sql[2] = { own, elsewhere };
	struct store_answered *const out[2] = { here, other };
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc = TAME_OK;
	int i;

	for (i = 0; i < 2 && !rc; i++) {
		st = sq_stmt(q, sql[i]);
		sq_bind_int(q, st, 1, tid);
		sq_bind_int(q, st, 2, since);
		rc = answered_row(q, st, out[i]);
	}
	return rc;
}

enum tame_err
sq_intel_same_reply(struct store *s, int64_t tid, const char *text,
    int64_t since, int64_t *msg_id)
{
	/* the last word from us is this very text: a different reply
	 * after it lets the text go again */
	static const char sql[] = "SELECT m.id FROM messages m"
	    " WHERE m.id = (SELECT max(l.id) FROM messages l"
	    " WHERE l.ticket_id = ?1 AND l.direction = 1"
	    " AND l.agent_id IS NOT NULL)"
	    " AND m.text = ?2 AND m.created_at >= ?3 AND" ANSWER_STANDS;
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, tid);
	sq_bind_text(q, st, 2, text);
	sq_bind_int(q, st, 3, since);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*msg_id = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

enum tame_err
sq_intel_take(struct store *s, int64_t tid, int64_t agent_id, int64_t now,
    int *taken)
{
	static const char sql[] = "UPDATE tickets SET assignee_id = ?2,"
	    " updated_at = max(updated_at, ?3)"
	    " WHERE id = ?1 AND assignee_id IS NULL";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, agent_id);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*taken = sqlite3_changes(q->db) > 0;
	return rc;
}

/* Field f of an event's data, NULL when the data is no JSON. */
#define EV_DATA(f) "(CASE WHEN json_valid(e.data) THEN" \
	" json_extract(e.data, '$." f "') END)"

enum tame_err
sq_intel_meanwhile(struct store *s, int64_t tid, int64_t since,
    struct store_meanwhile *out)
{
	/* the events every change of these writes: "reply.sent" (whoever
	 * sent it, a mass reply too), "ticket.updated" with a status
	 * (PATCH, a bulk status change), "ticket.merged" with "into" on
	 * the source. An answer is told first, whatever came after it. */
	static const char sql[] = "SELECT CASE"
	    " WHEN e.kind = 'reply.sent' THEN 1"
	    " WHEN e.kind = 'ticket.merged' THEN 4"
	    " WHEN " EV_DATA("status") " = 'closed' THEN 3 ELSE 2 END AS k,"
	    " e.actor_agent_id, a.name, e.created_at,"
	    " " EV_DATA("message_id") ", " EV_DATA("into")
	    " FROM events e LEFT JOIN agents a ON a.id = e.actor_agent_id"
	    " WHERE e.ticket_id = ?1 AND e.id > ?2 AND (e.kind = 'reply.sent'"
	    " OR (e.kind = 'ticket.merged' AND " EV_DATA("into") " > 0)"
	    " OR (e.kind = 'ticket.updated'"
	    " AND " EV_DATA("status") " IN ('solved', 'closed')))"
	    " ORDER BY k = 1 DESC, e.id DESC LIMIT 1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, since);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->kind = (enum store_meanwhile_kind)
		    sqlite3_column_int(st, 0);
		out->agent_id = sqlite3_column_int64(st, 1);
		out->at = sqlite3_column_int64(st, 3);
		out->message_id = sqlite3_column_int64(st, 4);
		out->into = sqlite3_column_int64(st, 5);
		rc = sq_col_dup(st, 2, &out->agent_name);
	}
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

/* ---- similar cases ---- */

enum tame_err
sq_intel_similar(struct store *s, const char *match, int64_t exclude,
    size_t hits, size_t max, struct store_similar_hit *out, size_t *n)
{
	/* newest hits first: FTS5 reads the postings backwards and stops;
	 * in what was written, not in who wrote it */
	static const char sql[] = "SELECT m.ticket_id, max(h.id) AS newest"
	    " FROM (SELECT rowid AS id FROM messages_fts WHERE messages_fts"
	    " MATCH '{subject text} : (' || ?1 || ')' ORDER BY rowid DESC"
	    " LIMIT ?4) h"
	    " CROSS JOIN messages m ON m.id = h.id"
	    " CROSS JOIN tickets t ON t.id = m.ticket_id"
	    " WHERE t.status IN (3, 4) AND t.id != ?2"
	    " GROUP BY m.ticket_id ORDER BY newest DESC LIMIT ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc = TAME_OK;

	*n = 0;
	sq_bind_text(q, st, 1, match);
	sq_bind_int(q, st, 2, exclude);
	sq_bind_int(q, st, 3, (int64_t)max);
	sq_bind_int(q, st, 4, (int64_t)hits);
	while (*n < max && (rc = sq_row(q, st)) == TAME_OK) {
		out[*n].ticket_id = sqlite3_column_int64(st, 0);
		out[*n].message_id = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sq_done(st);
	if (*n == max || rc == TAME_ENOTFOUND)
		rc = TAME_OK;
	return rc;
}

void
store_case_clear(struct store_case *c)
{
	free(c->subject);
	free(c->text);
	free(c->reply);
	free(c->reply_by);
	memset(c, 0, sizeof(*c));
}

enum tame_err
sq_intel_case(struct store *s, int64_t tid, size_t max_text,
    struct store_case *out)
{
	static const char sql[] = "SELECT t.id, t.status, t.subject,"
	    " t.updated_at, (SELECT substr(text, 1, ?2) FROM messages WHERE"
	    " ticket_id = t.id AND direction = 0 ORDER BY id LIMIT 1),"
	    " r.id, substr(r.text, 1, ?2), coalesce(a.name, r.from_name),"
	    " r.created_at FROM tickets t LEFT JOIN messages r ON r.id ="
	    " (SELECT max(id) FROM messages WHERE ticket_id = t.id AND"
	    " direction = 1) LEFT JOIN agents a ON a.id = r.agent_id"
	    " WHERE t.id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	memset(out, 0, sizeof(*out));
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, (int64_t)max_text);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->ticket_id = sqlite3_column_int64(st, 0);
		out->status = (enum ticket_status)sqlite3_column_int(st, 1);
		out->updated_at = sqlite3_column_int64(st, 3);
		out->reply_id = sqlite3_column_int64(st, 5);
		out->reply_at = sqlite3_column_int64(st, 8);
		if (!(rc = sq_col_dup(st, 2, &out->subject)) &&
		    !(rc = sq_col_dup(st, 4, &out->text)) &&
		    !(rc = sq_col_dup(st, 6, &out->reply)))
			rc = sq_col_dup(st, 7, &out->reply_by);
	}
	sq_done(st);
	if (rc)
		store_case_clear(out);
	return rc;
}
