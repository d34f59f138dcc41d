/*
 * store_sqlite_intel.c - the SQLite backend of store_intel.h, part one:
 * what the intelligence thread reads (new messages, status changes,
 * tickets to place) and writes (tone, flags, trends), trend rows and the
 * thread's positions. Part two, store_sqlite_intel_views.c, has what the
 * API and the ticket views read.
 *
 * Model: the thread follows messages and events by id (both tables grow
 * by id only, so "id > position" never misses a row and costs one index
 * seek); a ticket's trend, tone and flags are plain columns of tickets
 * so the list shows and filters them without a join into messages. Two
 * flags depend on the clock or on every message and are computed where
 * they are read: "many back-and-forths" from message_count, "waiting
 * long" from the waiting time against a threshold in intel_state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/tone.h"
#include "../core/util.h"
#include "store_sqlite_intel.h"

static const char *const flag_names[] = {
	"long_message", "many_messages", "waiting_long", "repeat_customer",
	"reopened", "abusive",
};
#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

/* See store_intel.h. */
const char *
store_flag_name(enum store_flag f)
{
	size_t i;

	for (i = 0; i < NFLAGS; i++)
		if ((unsigned)f == 1u << i)
			return flag_names[i];
	return NULL;
}

enum store_flag
store_flag_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < NFLAGS; i++)
		if (strcmp(name, flag_names[i]) == 0)
			return (enum store_flag)(1u << i);
	return 0;
}

static enum tame_err
intel_relaxed(struct store *s)
{
	static const char sql[] = "PRAGMA synchronous = NORMAL";

	return sq_run(SQ(s), sq_stmt(SQ(s), sql));
}

/* ---- reading what is new ---- */

void
store_intel_msgs_free(struct store_intel_msg *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].text);
	free(v);
}

static enum tame_err
intel_messages(struct store *s, int64_t after, size_t max, size_t max_text,
    struct store_intel_msg **out, size_t *n)
{
	static const char sql[] = "SELECT id, ticket_id, direction,"
	    " auto_submitted OR unparsed, created_at, substr(text, 1, ?3)"
	    " FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2";
	struct sq *q = SQ(s);
	struct store_intel_msg *v, *m;
	sqlite3_stmt *st;
	enum tame_err rc;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return TAME_OK;
	if (!(v = calloc(max, sizeof(*v))))
		return TAME_ENOMEM;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, after);
	sq_bind_int(q, st, 2, (int64_t)max);
	sq_bind_int(q, st, 3, (int64_t)max_text);
	while (*n < max && (rc = sq_row(q, st)) == TAME_OK) {
		m = &v[*n];
		m->id = sqlite3_column_int64(st, 0);
		m->ticket_id = sqlite3_column_int64(st, 1);
		m->dir = (enum msg_direction)sqlite3_column_int(st, 2);
		m->automatic = sqlite3_column_int(st, 3) != 0;
		m->created_at = sqlite3_column_int64(st, 4);
		(*n)++;
		if ((rc = sq_col_dup(st, 5, &m->text)))
			break;
	}
	sq_done(st);
	if (rc == TAME_ENOTFOUND || (rc == TAME_OK && *n == max))
		rc = TAME_OK;
	if (rc) {
		store_intel_msgs_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return TAME_OK;
}

static enum tame_err
intel_events(struct store *s, int64_t *pos, struct store_intel_status *out,
    size_t max, size_t *n)
{
	static const char sql[] = "SELECT e.id, e.ticket_id, t.status FROM"
	    " events e JOIN tickets t ON t.id = e.ticket_id WHERE e.id > ?1"
	    " ORDER BY e.id LIMIT ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;
	int64_t tid;
	size_t i;

	*n = 0;
	sq_bind_int(q, st, 1, *pos);
	sq_bind_int(q, st, 2, (int64_t)max);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		*pos = sqlite3_column_int64(st, 0);
		tid = sqlite3_column_int64(st, 1);
		for (i = 0; i < *n && out[i].ticket_id != tid; i++)
			;
		if (i == *n) {
			if (*n == max)
				break;
			(*n)++;
		}
		out[i].ticket_id = tid;
		out[i].status = (enum ticket_status)sqlite3_column_int(st, 2);
	}
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

void
store_intel_ticket_clear(struct store_intel_ticket *t)
{
	free(t->subject);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

void
store_intel_tickets_free(struct store_intel_ticket *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		store_intel_ticket_clear(&v[i]);
	free(v);
}

/* The columns of a ticket to place; ?2 bounds the text. */
#define PLACE_COLS "SELECT t.id, t.status, t.created_at, t.trend_id,"	\
	" t.trend_pin, t.subject, coalesce(m.auto_submitted OR m.unparsed,"	\
	" 1), substr(m.text, 1, ?2) FROM tickets t LEFT JOIN messages m ON"	\
	" m.id = (SELECT min(id) FROM messages WHERE ticket_id = t.id AND"	\
	" direction = 0)"

static enum tame_err
place_row(sqlite3_stmt *st, struct store_intel_ticket *t)
{
	enum tame_err rc;

	t->id = sqlite3_column_int64(st, 0);
	t->status = (enum ticket_status)sqlite3_column_int(st, 1);
	t->created_at = sqlite3_column_int64(st, 2);
	t->trend_id = sqlite3_column_int64(st, 3);
	t->trend_pin = sqlite3_column_int(st, 4);
	t->automatic = sqlite3_column_int(st, 6) != 0;
	if ((rc = sq_col_dup(st, 5, &t->subject)))
		return rc;
	return sq_col_dup(st, 7, &t->text);
}

static enum tame_err
intel_ticket(struct store *s, int64_t id, size_t max_text,
    struct store_intel_ticket *out)
{
	static const char sql[] = PLACE_COLS " WHERE t.id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	memset(out, 0, sizeof(*out));
	sq_bind_int(q, st, 1, id);
	sq_bind_int(q, st, 2, (int64_t)max_text);
	if ((rc = sq_row(q, st)) == TAME_OK)
		rc = place_row(st, out);
	sq_done(st);
	if (rc)
		store_intel_ticket_clear(out);
	return rc;
}

static enum tame_err
intel_open_tickets(struct store *s, int64_t after, size_t max,
    size_t max_text, struct store_intel_ticket **out, size_t *n)
{
	/* "+t.status": walk the ids in order and stop at the limit, rather
	 * than collect every open ticket above ?1 by status and sort */
	static const char sql[] = PLACE_COLS " WHERE t.id > ?1 AND"
	    " +t.status IN (0, 1, 2) ORDER BY t.id LIMIT ?3";
	struct sq *q = SQ(s);
	struct store_intel_ticket *v;
	sqlite3_stmt *st;
	enum tame_err rc = TAME_OK;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return TAME_OK;
	if (!(v = calloc(max, sizeof(*v))))
		return TAME_ENOMEM;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, after);
	sq_bind_int(q, st, 2, (int64_t)max_text);
	sq_bind_int(q, st, 3, (int64_t)max);
	while (*n < max && (rc = sq_row(q, st)) == TAME_OK)
		if ((rc = place_row(st, &v[(*n)++])))
			break;
	sq_done(st);
	if (rc == TAME_ENOTFOUND || (rc == TAME_OK && *n == max))
		rc = TAME_OK;
	if (rc) {
		store_intel_tickets_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return TAME_OK;
}

static enum tame_err
intel_open_from(struct store *s, int64_t keep, int64_t *after)
{
	static const char sql[] = "SELECT id FROM tickets WHERE status IN"
	    " (0, 1, 2) ORDER BY id DESC LIMIT 1 OFFSET ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*after = 0;
	sq_bind_int(q, st, 1, keep);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*after = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

static enum tame_err
intel_heads(struct store *s, int64_t *msg, int64_t *ev)
{
	static const char sql[] = "SELECT (SELECT coalesce(max(id), 0) FROM"
	    " messages), (SELECT coalesce(max(id), 0) FROM events)";

	return sq_two_ints(SQ(s), sql, msg, ev);
}

/* ---- writing what was found ---- */

/* The earlier message's tone a ticket keeps beside its latest one's:
 * tone (JSON text) with "message_id" added; NULL when out of memory or
 * unreadable. */
static char *
tone_earlier(const char *tone, int64_t msg_id)
{
	json_t *t = tone ? json_loads(tone, 0, NULL) : NULL;
	char *out = NULL;

	if (json_is_object(t) && json_object_set_new(t, "message_id",
	    json_integer(msg_id)) == 0)
		out = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	return out;
}

enum tame_err
sq_intel_ticket_tone(struct sq *q, int64_t tid, int64_t msg_id)
{
	/* the ticket's latest customer messages with a tone, the last
	 * written first (imported history may be stored out of order):
	 * the earlier tone is read from them (tone_ticket_pick) */
	static const char last[] = "SELECT m.id, x.tone, m.created_at"
	    " FROM messages m JOIN message_tones x ON x.message_id = m.id"
	    " WHERE m.ticket_id = ?1 AND m.direction = 0"
	    " ORDER BY m.created_at DESC, m.id DESC LIMIT ?2";
	static const char tsql[] = "UPDATE tickets SET tone = ?2,"
	    " tone_earlier = ?3 WHERE id = ?1";
	char *tones[TONE_TICKET_MSGS] = { NULL }, *earlier = NULL;
	long long at[TONE_TICKET_MSGS];
	int64_t ids[TONE_TICKET_MSGS];
	sqlite3_stmt *st;
	enum tame_err rc;
	size_t n = 0, i, pick;

	st = sq_stmt(q, last);
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, TONE_TICKET_MSGS);
	while (n < TONE_TICKET_MSGS && (rc = sq_row(q, st)) == TAME_OK) {
		ids[n] = sqlite3_column_int64(st, 0);
		/* a message written before the latest: nothing changes */
		if (n == 0 && msg_id > 0 && ids[0] != msg_id) {
			sq_done(st);
			return TAME_OK;
		}
		if ((rc = sq_col_dup(st, 1, &tones[n])))
			break;
		at[n++] = sqlite3_column_int64(st, 2);
	}
	sq_done(st);
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
	if (rc == TAME_OK && n > 0) {
		pick = tone_ticket_pick((const char *const *)tones, at, n);
		if (pick > 0 && !(earlier = tone_earlier(tones[pick],
		    ids[pick])))
			rc = TAME_ENOMEM;
	}
	if (rc == TAME_OK) {
		st = sq_stmt(q, tsql);
		sq_bind_int(q, st, 1, tid);
		sq_bind_text(q, st, 2, n > 0 ? tones[0] : NULL);
		sq_bind_text(q, st, 3, earlier);
		rc = sq_run(q, st);
	}
	for (i = 0; i < n; i++)
		free(tones[i]);
	free(earlier);
	return rc;
}

static enum tame_err
intel_message_tone(struct store *s, int64_t msg_id, const char *tone,
    int64_t words, int abusive)
{
	static const char msql[] = "INSERT INTO message_tones(message_id,"
	    " tone, words, abusive) VALUES (?1, ?2, ?3, ?4) ON CONFLICT"
	    " (message_id) DO UPDATE SET tone = excluded.tone,"
	    " words = excluded.words, abusive = excluded.abusive";
	static const char tsql[] = "SELECT ticket_id FROM messages"
	    " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int64_t tid;

	st = sq_stmt(q, msql);
	sq_bind_int(q, st, 1, msg_id);
	sq_bind_text(q, st, 2, tone);
	sq_bind_int(q, st, 3, words);
	sq_bind_int(q, st, 4, abusive != 0);
	if ((rc = sq_run(q, st)))
		return rc;
	st = sq_stmt(q, tsql);
	sq_bind_int(q, st, 1, msg_id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		tid = sqlite3_column_int64(st, 0);
	sq_done(st);
	if (rc == TAME_ENOTFOUND)
		return TAME_OK;
	/* only the latest customer message sets the ticket's tone */
	return rc ? rc : sq_intel_ticket_tone(q, tid, msg_id);
}

static enum tame_err
intel_flag_facts(struct store *s, int64_t tid, int64_t since,
    struct store_flag_facts *out)
{
	static const char sql[] = "SELECT t.customer_id, t.status,"
	    " t.message_count,"
	    " (SELECT max(x.words) FROM messages m JOIN message_tones x ON"
	    "  x.message_id = m.id WHERE m.ticket_id = t.id),"
	    " (SELECT count(*) FROM messages WHERE ticket_id = t.id AND"
	    "  direction = 0 AND id > coalesce((SELECT max(id) FROM messages"
	    "  WHERE ticket_id = t.id AND direction = 1), 0)),"
	    " (SELECT count(*) FROM events WHERE ticket_id = t.id AND"
	    "  kind = 'ticket.reopened'),"
	    " (SELECT count(*) FROM messages m JOIN message_tones x ON"
	    "  x.message_id = m.id WHERE m.ticket_id = t.id AND x.abusive),"
	    " (SELECT x.tone FROM messages m JOIN message_tones x ON"
	    "  x.message_id = m.id WHERE m.ticket_id = t.id AND x.abusive"
	    "  ORDER BY m.id DESC LIMIT 1),"
	    " (SELECT count(*) FROM (SELECT created_at FROM tickets WHERE"
	    "  customer_id = t.customer_id ORDER BY id DESC LIMIT ?3)"
	    "  WHERE created_at >= ?2)"
	    " FROM tickets t WHERE t.id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	memset(out, 0, sizeof(*out));
	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, since);
	sq_bind_int(q, st, 3, STORE_RECENT_MAX);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->customer_id = sqlite3_column_int64(st, 0);
		out->status = (enum ticket_status)sqlite3_column_int(st, 1);
		out->messages = sqlite3_column_int64(st, 2);
		out->max_words = sqlite3_column_int64(st, 3);
		out->in_a_row = sqlite3_column_int64(st, 4);
		out->reopened = sqlite3_column_int64(st, 5);
		out->abusive = sqlite3_column_int64(st, 6);
		rc = sq_col_dup(st, 7, &out->abusive_tone);
		out->customer_recent = sqlite3_column_int64(st, 8);
	}
	sq_done(st);
	return rc;
}

/* Runs st (an UPDATE of one row); TAME_ENOTFOUND when it changed none. */
static enum tame_err
update_one(struct sq *q, sqlite3_stmt *st)
{
	enum tame_err rc;

	if ((rc = sq_run(q, st)))
		return rc;
	return sqlite3_changes(q->db) ? TAME_OK : TAME_ENOTFOUND;
}

static enum tame_err
intel_ticket_flags(struct store *s, int64_t tid, int64_t bits,
    const char *flags)
{
	/* most rounds find the flags as they were: write nothing then */
	static const char sql[] = "UPDATE tickets SET flag_bits = ?2,"
	    " flags = ?3 WHERE id = ?1 AND (flag_bits != ?2 OR"
	    " flags IS NOT ?3)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, bits);
	sq_bind_text(q, st, 3, flags);
	if ((rc = sq_run(q, st)))
		return rc;
	return sqlite3_changes(q->db) ? TAME_OK : TAME_ENOTFOUND;
}

static enum tame_err
intel_ticket_trend(struct store *s, int64_t tid, int64_t trend_id)
{
	static const char sql[] = "UPDATE tickets SET trend_id = ?2"
	    " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, tid);
	sq_bind_id(q, st, 2, trend_id);
	return update_one(q, st);
}

static enum tame_err
intel_ticket_pin(struct store *s, int64_t tid, int pin)
{
	static const char sql[] = "UPDATE tickets SET trend_pin = ?2"
	    " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, tid);
	sq_bind_int(q, st, 2, pin);
	return update_one(q, st);
}

/* ---- trends ---- */

void
store_trend_clear(struct store_trend *t)
{
	free(t->label);
	free(t->auto_label);
	memset(t, 0, sizeof(*t));
}

static enum tame_err
intel_trend_create(struct store *s, enum store_trend_kind kind, int64_t now,
    int64_t *id)
{
	static const char sql[] = "INSERT INTO trends(kind, created_at,"
	    " updated_at) VALUES (?1, ?2, ?2)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, kind);
	sq_bind_int(q, st, 2, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

#define TREND_COLS "SELECT id, label, auto_label, kind, merged_into" \
	" FROM trends"

static enum tame_err
trend_row(sqlite3_stmt *st, struct store_trend *t)
{
	enum tame_err rc;

	t->id = sqlite3_column_int64(st, 0);
	t->kind = (enum store_trend_kind)sqlite3_column_int(st, 3);
	t->merged_into = sqlite3_column_int64(st, 4);
	if ((rc = sq_col_dup(st, 1, &t->label)))
		return rc;
	return sq_col_dup(st, 2, &t->auto_label);
}

static enum tame_err
intel_trend_get(struct store *s, int64_t id, struct store_trend *out)
{
	static const char sql[] = TREND_COLS " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	memset(out, 0, sizeof(*out));
	sq_bind_int(q, st, 1, id);
	if ((rc = sq_row(q, st)) == TAME_OK)
		rc = trend_row(st, out);
	sq_done(st);
	if (rc)
		store_trend_clear(out);
	return rc;
}

static enum tame_err
intel_trends_decided(struct store *s, struct store_trend **out, size_t *n)
{
	static const char sql[] = TREND_COLS " WHERE label IS NOT NULL OR"
	    " kind != 0 OR merged_into IS NOT NULL ORDER BY id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	struct store_trend *v = NULL, *nv;
	size_t cap = 0, i;
	enum tame_err rc;

	*out = NULL;
	*n = 0;
	while ((rc = sq_row(q, st)) == TAME_OK) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = TAME_ENOMEM;
				break;
			}
			v = nv;
		}
		memset(&v[*n], 0, sizeof(*v));
		if ((rc = trend_row(st, &v[(*n)++])))
			break;
	}
	sq_done(st);
	if (rc == TAME_ENOTFOUND) {
		*out = v;
		return TAME_OK;
	}
	for (i = 0; i < *n; i++)
		store_trend_clear(&v[i]);
	free(v);
	*n = 0;
	return rc;
}

static enum tame_err
intel_trend_auto_label(struct store *s, int64_t id, const char *label)
{
	static const char sql[] = "UPDATE trends SET auto_label = ?2"
	    " WHERE id = ?1 AND auto_label IS NOT ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, id);
	sq_bind_text(q, st, 2, label);
	return sq_run(q, st);
}

static enum tame_err
intel_trend_set_label(struct store *s, int64_t id, const char *label,
    int64_t now)
{
	static const char sql[] = "UPDATE trends SET label = ?2,"
	    " updated_at = ?3 WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, id);
	sq_bind_text(q, st, 2, label);
	sq_bind_int(q, st, 3, now);
	return update_one(q, st);
}

/* from's tickets (all of them: the solved too, for their history) and
 * the trends merged into from earlier go to into. */
static enum tame_err
intel_trend_merge(struct store *s, int64_t into, int64_t from, int64_t now)
{
	static const char mark[] = "UPDATE trends SET merged_into = ?1,"
	    " updated_at = ?3 WHERE id = ?2";
	static const char chain[] = "UPDATE trends SET merged_into = ?1"
	    " WHERE merged_into = ?2";
	static const char move[] = "UPDATE tickets SET trend_id = ?1"
	    " WHERE trend_id = ?2";
	static const char *const sqls[] = { mark, chain, move };
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc = TAME_OK;
	size_t i;
	int own;

	if (into == from)
		return TAME_EINVAL;
	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	for (i = 0; i < sizeof(sqls) / sizeof(sqls[0]) && !rc; i++) {
		st = sq_stmt(q, sqls[i]);
		sq_bind_int(q, st, 1, into);
		sq_bind_int(q, st, 2, from);
		if (i == 0)
			sq_bind_int(q, st, 3, now);
		rc = i == 0 ? update_one(q, st) : sq_run(q, st);
	}
	return sq_tx_end(q, own, rc);
}

/* ---- positions and figures ---- */

static enum tame_err
intel_state_get(struct store *s, const char *key, int64_t *v)
{
	static const char sql[] = "SELECT v FROM intel_state WHERE k = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, key);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*v = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

static enum tame_err
intel_state_set(struct store *s, const char *key, int64_t v)
{
	static const char sql[] = "INSERT INTO intel_state(k, v) VALUES"
	    " (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_text(q, st, 1, key);
	sq_bind_int(q, st, 2, v);
	return sq_run(q, st);
}

/* Reads the newest max tickets only, so the figure costs the same at a
 * million tickets as at a hundred. */
static enum tame_err
intel_usual_wait(struct store *s, int64_t since, int64_t max,
    int64_t *median_ms, int64_t *samples)
{
	static const char cnt[] = "SELECT count(*) FROM (SELECT id,"
	    " created_at FROM tickets ORDER BY id DESC LIMIT ?2) t WHERE"
	    " t.created_at >= ?1 AND EXISTS (SELECT 1 FROM messages m WHERE"
	    " m.ticket_id = t.id AND m.direction = 1)";
	static const char sql[] = "SELECT w FROM (SELECT (SELECT"
	    " min(m.created_at) FROM messages m WHERE m.ticket_id = t.id AND"
	    " m.direction = 1) - t.created_at AS w FROM (SELECT id,"
	    " created_at FROM tickets ORDER BY id DESC LIMIT ?2) t WHERE"
	    " t.created_at >= ?1) WHERE w IS NOT NULL ORDER BY w"
	    " LIMIT 1 OFFSET ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;

	*median_ms = 0;
	*samples = 0;
	st = sq_stmt(q, cnt);
	sq_bind_int(q, st, 1, since);
	sq_bind_int(q, st, 2, max);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*samples = sqlite3_column_int64(st, 0);
	sq_done(st);
	if (rc || *samples == 0)
		return rc;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, since);
	sq_bind_int(q, st, 2, max);
	sq_bind_int(q, st, 3, *samples / 2);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*median_ms = sqlite3_column_int64(st, 0);
	sq_done(st);
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
	if (*median_ms < 0)
		*median_ms = 0;
	return rc;
}

const struct store_intel_ops store_sqlite_intel_ops = {
	.relaxed = intel_relaxed,
	.messages = intel_messages,
	.events = intel_events,
	.ticket = intel_ticket,
	.open_tickets = intel_open_tickets,
	.open_from = intel_open_from,
	.heads = intel_heads,
	.message_tone = intel_message_tone,
	.flag_facts = intel_flag_facts,
	.ticket_flags = intel_ticket_flags,
	.ticket_trend = intel_ticket_trend,
	.ticket_pin = intel_ticket_pin,
	.trend_create = intel_trend_create,
	.trend_get = intel_trend_get,
	.trends_decided = intel_trends_decided,
	.trend_auto_label = intel_trend_auto_label,
	.trend_set_label = intel_trend_set_label,
	.trend_merge = intel_trend_merge,
	.trend_rcpts = sq_intel_trend_rcpts,
	.tickets_brief = sq_intel_tickets_brief,
	.state_get = intel_state_get,
	.state_set = intel_state_set,
	.usual_wait = intel_usual_wait,
	.idem_claim = sq_intel_idem_claim,
	.idem_finish = sq_intel_idem_finish,
	.idem_release = sq_intel_idem_release,
	.reply_done = sq_intel_reply_done,
	.answered = sq_intel_answered,
	.same_reply = sq_intel_same_reply,
	.take = sq_intel_take,
	.meanwhile = sq_intel_meanwhile,
	.similar = sq_intel_similar,
	.case_get = sq_intel_case,
};
