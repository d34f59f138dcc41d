/*
 * store_sqlite_tickets.c - the SQLite backend's ingest path and ticket
 * changes: threading look-ups, tickets, messages with their full-text
 * index, attachments, events, the acknowledgement throttle, reply
 * context and ticket patches.
 *
 * Model: a message is one row in messages plus one row in the FTS5
 * index (external content, keyed on messages.id), and it bumps its
 * ticket's counters and list preview in the same save point, so the
 * ticket list never needs to look into messages and a failure leaves no
 * half-stored message. The index row is written in the same transaction
 * as the message, at its COMMIT (store_sqlite_fts_flush), or, on a
 * connection that defers it (store_index_defer), queued in fts_pending
 * in that transaction and written later in large batches
 * (store_sqlite_index_pending). Attachment bytes go to blobs under
 * their SHA-256, so identical files are kept once. Threading relies on
 * the unique index on messages.message_id (RFC 5322 Message-ID, without
 * <>).
 */
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "../core/auth.h"
#include "../core/util.h"
#include "store_sqlite.h"
#include "store_sqlite_desk.h"

#define PREVIEW_CHARS 140

/* Length of the longest prefix of s (len bytes) that has at most max
 * bytes and does not end inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* The list preview: the first PREVIEW_CHARS characters of text (of its
 * first lim bytes when lim is not 0) with every run of white space
 * turned into one space. Caller frees. */
static char *
make_preview(const char *text, size_t lim)
{
	char *out, *o;
	const unsigned char *p;
	size_t chars = 0;
	int space = 0;

	if (!(out = malloc(PREVIEW_CHARS * 4 + 1)))
		return NULL;
	o = out;
	text = text ? text : "";
	for (p = (const unsigned char *)text; *p &&
	    (!lim || p < (const unsigned char *)text + lim); p++) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
			space = (o != out);
			continue;
		}
		if ((*p & 0xc0) != 0x80) {
			if (chars + space >= PREVIEW_CHARS)
				break;
			if (space) {
				*o++ = ' ';
				chars++;
				space = 0;
			}
			chars++;
		} else if (o == out)
			continue;	/* stray continuation byte */
		*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

/* ---- threading look-ups ---- */

/* Finds a message by Message-ID. See store.h. */
enum tame_err
store_sqlite_message_find(struct store *s, const char *message_id,
    int64_t *msg_id, int64_t *ticket_id, enum msg_direction *dir)
{
	static const char sql[] = "SELECT id, ticket_id, direction"
	    " FROM messages WHERE message_id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, message_id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		if (msg_id)
			*msg_id = sqlite3_column_int64(st, 0);
		if (ticket_id)
			*ticket_id = sqlite3_column_int64(st, 1);
		if (dir)
			*dir = (enum msg_direction)sqlite3_column_int(st, 2);
	}
	sq_done(st);
	return rc;
}

/* See store.h. */
enum tame_err
store_sqlite_message_to(struct store *s, int64_t msg_id, char **to_json)
{
	static const char sql[] = "SELECT coalesce(to_json, '[]')"
	    " FROM messages WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;
	const char *t;

	sq_bind_int(q, st, 1, msg_id);
	if ((rc = sq_row(q, st)) == TAME_OK && (!(t = (const char *)
	    sqlite3_column_text(st, 0)) || !(*to_json = strdup(t))))
		rc = TAME_ENOMEM;
	sq_done(st);
	return rc;
}

/* One index probe per id: ids come from References, at most a few
 * dozen, and each probe costs microseconds. See store.h. */
enum tame_err
store_sqlite_ticket_by_message_ids(struct store *s, const char *const *ids,
    size_t n, int64_t *ticket_id)
{
	int64_t best = 0, msg, tid;
	enum tame_err rc;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!ids[i] || !ids[i][0])
			continue;
		rc = store_sqlite_message_find(s, ids[i], &msg, &tid, NULL);
		if (rc == TAME_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		if (msg > best) {
			best = msg;
			*ticket_id = tid;
		}
	}
	return best ? TAME_OK : TAME_ENOTFOUND;
}

/* See store.h. */
enum tame_err
store_sqlite_ticket_ref(struct store *s, int64_t ticket_id,
    struct ticket_ref *out)
{
	static const char sql[] = "SELECT id, status, mailbox_id, "
	    "customer_id, updated_at, coalesce(closed_at, 0)"
	    " FROM tickets WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	memset(out, 0, sizeof(*out));
	sq_bind_int(q, st, 1, ticket_id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->id = sqlite3_column_int64(st, 0);
		out->status = (enum ticket_status)sqlite3_column_int(st, 1);
		out->mailbox_id = sqlite3_column_int64(st, 2);
		out->customer_id = sqlite3_column_int64(st, 3);
		out->updated_at = sqlite3_column_int64(st, 4);
		out->closed_at = sqlite3_column_int64(st, 5);
	}
	sq_done(st);
	return rc;
}

/* Adding a known participant is not an error. See store.h. */
enum tame_err
store_sqlite_participant_add(struct store *s, int64_t ticket_id,
    const char *email)
{
	static const char sql[] = "INSERT OR IGNORE INTO participants"
	    "(ticket_id, email) VALUES (?1, ?2)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);

	sq_bind_int(q, st, 1, ticket_id);
	sq_bind_lower(q, st, 2, email);
	return sq_run(q, st);
}

/* See store.h. */
enum tame_err
store_sqlite_participant_has(struct store *s, int64_t ticket_id,
    const char *email, int *yes)
{
	static const char sql[] = "SELECT 1 FROM participants"
	    " WHERE ticket_id = ?1 AND email = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	*yes = 0;
	sq_bind_int(q, st, 1, ticket_id);
	sq_bind_lower(q, st, 2, email);
	rc = sq_row(q, st);
	sq_done(st);
	if (rc == TAME_OK)
		*yes = 1;
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

/* ---- tickets and messages ---- */

/* Binds subject (NULL as empty) cut to TAME_SUBJECT_MAX bytes. */
static void
bind_subject(struct sq *q, sqlite3_stmt *st, int i, const char *subject)
{
	if (!subject)
		subject = "";
	sq_bind_textn(q, st, i, subject,
	    utf8_cut(subject, strlen(subject), TAME_SUBJECT_MAX));
}

/* mailbox_id or customer_id 0 stores "none". The subject is cut to
 * TAME_SUBJECT_MAX bytes. See store.h. */
enum tame_err
store_sqlite_ticket_create(struct store *s, int64_t mailbox_id,
    int64_t customer_id, const char *subject, enum ticket_status status,
    int unparsed, int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO tickets(mailbox_id, "
	    "customer_id, subject, status, unparsed, created_at, updated_at, "
	    "closed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, "
	    "CASE WHEN ?4 = 4 THEN ?6 END)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_id(q, st, 1, mailbox_id);
	sq_bind_id(q, st, 2, customer_id);
	bind_subject(q, st, 3, subject);
	sq_bind_int(q, st, 4, status);
	sq_bind_int(q, st, 5, unparsed != 0);
	sq_bind_int(q, st, 6, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

/* See store.h. */
enum tame_err
store_sqlite_ticket_link(struct store *s, int64_t ticket_id,
    int64_t previous_id)
{
	static const char sql[] = "UPDATE tickets SET previous_ticket_id = ?1"
	    " WHERE id = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_id(q, st, 1, previous_id);
	sq_bind_int(q, st, 2, ticket_id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

/* The answer's author must be one the message was from, to or copied
 * to (the customer who wrote again, the team that answered, the
 * customer who answered the team): whoever names a Message-ID before it
 * arrives takes no stranger's mail into their ticket. Through To or Cc
 * not as the team unless it is ours: incoming mail "From" a mailbox or
 * an agent is anyone's to write. The answer must
 * still be its ticket's first message by time (a message that joined
 * it later may have a lower id but not an earlier time): a ticket it
 * only joined has a start of its own. Rows come off message_waits
 * (migration 22); the ticket's other messages are read only for such a
 * row, which is rare. See store.h. */
enum tame_err
store_sqlite_ticket_answers(struct store *s, const char *message_id,
    const char *from, const char *to_json, const char *cc_json,
    struct store_answer *out, size_t max, size_t *n)
{
	static const char sql[] = "SELECT m.ticket_id, m.created_at"
	    " FROM message_waits w JOIN messages m ON m.id = w.message_id"
	    " JOIN tickets t ON t.id = m.ticket_id"
	    " WHERE w.ref = ?1 AND t.merged_into IS NULL"
	    " AND (lower(m.from_email) = lower(?3)"
	    "  OR (lower(m.from_email) IN (SELECT lower(value) FROM"
	    "  json_each(CASE WHEN json_valid(?4) THEN ?4 ELSE '[]' END)"
	    "  UNION ALL SELECT lower(value) FROM"
	    "  json_each(CASE WHEN json_valid(?5) THEN ?5 ELSE '[]' END))"
	    "  AND (m.direction = 1 OR (NOT EXISTS (SELECT 1 FROM mailboxes b"
	    "  WHERE lower(b.address) = lower(m.from_email)) AND NOT EXISTS"
	    "  (SELECT 1 FROM agents a"
	    "  WHERE lower(a.email) = lower(m.from_email))))))"
	    " AND NOT EXISTS (SELECT 1 FROM messages e"
	    "  WHERE e.ticket_id = m.ticket_id AND (e.created_at < m.created_at"
	    "  OR (e.created_at = m.created_at AND e.id < m.id)))"
	    " ORDER BY t.created_at, t.id LIMIT ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc = TAME_OK;

	sq_bind_text(q, st, 1, message_id);
	sq_bind_int(q, st, 2, (int64_t)max);
	sq_bind_text(q, st, 3, from);
	sq_bind_text(q, st, 4, to_json);
	sq_bind_text(q, st, 5, cc_json);
	while (*n < max && (rc = sq_row(q, st)) == TAME_OK) {
		out[*n].ticket_id = sqlite3_column_int64(st, 0);
		out[*n].created_at = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

/* The subject is cut as store_sqlite_ticket_create cuts it. See
 * store.h. */
enum tame_err
store_sqlite_ticket_began(struct store *s, int64_t ticket_id,
    const char *subject, int64_t created_at)
{
	static const char sql[] = "UPDATE tickets SET"
	    " subject = CASE WHEN ?2 = '' THEN subject ELSE ?2 END,"
	    " created_at = min(created_at, ?3) WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, ticket_id);
	bind_subject(q, st, 2, subject);
	sq_bind_int(q, st, 3, created_at);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

/* Rows of message_waits for message mrow: in_reply_to and each id of
 * refs (space-separated; either may be NULL). */
static enum tame_err
add_waits(struct sq *q, const char *sql, int64_t mrow,
    const char *in_reply_to, const char *refs)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	const char *p = refs, *e;
	enum tame_err rc = TAME_OK;

	if (in_reply_to && *in_reply_to) {
		sq_bind_text(q, st, 1, in_reply_to);
		sq_bind_int(q, st, 2, mrow);
		rc = sq_run(q, st);
	}
	while (rc == TAME_OK && p && *p) {
		e = strchr(p, ' ');
		if (!e)
			e = p + strlen(p);
		if (e > p) {
			sq_bind_textn(q, st, 1, p, (size_t)(e - p));
			sq_bind_int(q, st, 2, mrow);
			rc = sq_run(q, st);
		}
		p = *e ? e + 1 : e;
	}
	return rc;
}

/* Row, search index and ticket counters in one save point; the message
 * added last, but for a note, gives the ticket its preview, and a
 * customer's its waiting time. Mail that answers ours by itself joining
 * a ticket (m->quiet: a read receipt, an out-of-office reply, a bounce)
 * changes neither, nor tells the ticket's agents (messages.quiet, the
 * trigger notify_followers_message): the list shows what a person
 * wrote last (list mail is automatic too, but carries a person's
 * words). Nor does a message stored after its answer (m->late): the
 * answer is newer. See store.h.
 *
 * Inside a caller's transaction the search index is written at COMMIT
 * (store_sqlite_fts_flush), not here: FTS5 writes its pending terms out
 * as a new segment at every SAVEPOINT and RELEASE once it is part of the
 * transaction, and the ingest path opens several save points a message,
 * so indexing each message on its own cost most of its time. Indexed at
 * COMMIT, a batch becomes one segment, and the index is still committed
 * with the rows it describes. */
enum tame_err
store_sqlite_message_add(struct store *s, const struct message_new *m,
    int64_t *id)
{
	static const char ins[] = "INSERT INTO messages(ticket_id, "
	    "direction, from_email, from_name, to_json, cc_json, subject, "
	    "text, html, message_id, in_reply_to, refs, raw_id, agent_id, "
	    "delivery, unparsed, auto_submitted, created_at, quiet, orphan) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, ?19, ?20)";
	static const char later[] = "INSERT INTO fts_pending(id) VALUES (?1)";
	static const char wait[] = "INSERT OR IGNORE INTO"
	    " message_waits(ref, message_id) VALUES (?1, ?2)";
	static const char bump[] = "UPDATE tickets SET"
	    " message_count = message_count + 1,"
	    " preview = CASE WHEN ?5 OR ?7 OR (?6 AND message_count > 0)"
	    "  THEN preview ELSE ?2 END,"
	    " updated_at = max(updated_at, ?1),"
	    " last_customer_at = CASE WHEN ?3 AND NOT"
	    "  (?6 AND message_count > 0) THEN"
	    "  max(coalesce(last_customer_at, 0), ?1)"
	    "  ELSE last_customer_at END"
	    " WHERE id = ?4";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	const char *mid;
	char *preview = NULL;
	int64_t mrow = 0;
	enum tame_err rc;
	int own;

	mid = m->message_id && m->message_id[0] ? m->message_id : NULL;
	if (!(preview = make_preview(m->text, m->preview_len)))
		return TAME_ENOMEM;
	if ((rc = sq_tx_begin(q, &own)))
		goto done;
	st = sq_stmt(q, ins);
	sq_bind_int(q, st, 1, m->ticket_id);
	sq_bind_int(q, st, 2, m->direction);
	sq_bind_lower(q, st, 3, m->from_email);
	sq_bind_text(q, st, 4, m->from_name);
	sq_bind_text(q, st, 5, m->to_json);
	sq_bind_text(q, st, 6, m->cc_json);
	sq_bind_text(q, st, 7, m->subject);
	sq_bind_text(q, st, 8, m->text);
	sq_bind_text(q, st, 9, m->html);
	sq_bind_text(q, st, 10, mid);
	sq_bind_text(q, st, 11, m->in_reply_to);
	sq_bind_text(q, st, 12, m->references);
	sq_bind_id(q, st, 13, m->raw_id);
	sq_bind_id(q, st, 14, m->agent_id);
	sq_bind_int(q, st, 15, m->delivery);
	sq_bind_int(q, st, 16, m->unparsed != 0);
	sq_bind_int(q, st, 17, m->auto_submitted != 0);
	sq_bind_int(q, st, 18, m->created_at);
	sq_bind_int(q, st, 19, m->quiet != 0);
	sq_bind_int(q, st, 20, m->orphan != 0);
	if ((rc = sq_run(q, st)))
		goto out;
	mrow = sqlite3_last_insert_rowid(q->db);
	/* what it answers is not here: kept under every id it names */
	if (m->orphan && (rc = add_waits(q, wait, mrow, m->in_reply_to,
	    m->references)))
		goto out;

	if (q->defer_index) {
		st = sq_stmt(q, later);
		sq_bind_int(q, st, 1, mrow);
		if ((rc = sq_run(q, st)))
			goto out;
	} else {
		if (q->fts_from == 0 || mrow < q->fts_from)
			q->fts_from = mrow;
		/* on its own, indexed now, in the message's save point */
		if (!q->in_begin && (rc = store_sqlite_fts_flush(q)))
			goto out;
	}

	st = sq_stmt(q, bump);
	sq_bind_int(q, st, 1, m->created_at);
	sq_bind_text(q, st, 2, preview);
	sq_bind_int(q, st, 3, m->direction == MSG_IN);
	sq_bind_int(q, st, 4, m->ticket_id);
	/* an internal note is no line of the conversation: the list shows
	 * what the customer or the team wrote last */
	sq_bind_int(q, st, 5, m->direction == MSG_NOTE);
	sq_bind_int(q, st, 6, m->quiet != 0);
	sq_bind_int(q, st, 7, m->late != 0);
	if ((rc = sq_run(q, st)))
		goto out;
	if (sqlite3_changes(q->db) == 0) {
		store_set_errmsg(s, "message_add: no ticket %lld",
		    (long long)m->ticket_id);
		rc = TAME_ENOTFOUND;
	}
out:
	rc = sq_tx_end(q, own, rc);
	if (rc == TAME_OK && id)
		*id = mrow;
done:
	free(preview);
	return rc;
}

/* Messages of this transaction have ids >= q->fts_from: ids are
 * max(id) + 1 and only one writer runs at a time. A message rolled back
 * to a save point is simply not selected. See store_sqlite.h. */
enum tame_err
store_sqlite_fts_flush(struct sq *q)
{
	static const char sql[] = "INSERT INTO messages_fts" FTS_COLUMNS
	    " SELECT " FTS_VALUES("") " FROM messages WHERE id >= ?1";
	sqlite3_stmt *st;
	int64_t from = q->fts_from;

	if (from == 0)
		return TAME_OK;
	q->fts_from = 0;
	st = sq_stmt(q, sql);
	sq_bind_int(q, st, 1, from);
	return sq_run(q, st);
}

/* See store.h. */
enum tame_err
store_sqlite_index_defer(struct store *s, int defer)
{
	SQ(s)->defer_index = defer;
	return TAME_OK;
}

/* The queue is indexed oldest first; ids are read from fts_pending and
 * the text from messages, in one transaction with the removal from the
 * queue. See store.h. The CROSS JOIN keeps the queue the outer loop:
 * with a plain JOIN the planner carried "p.id <= ?1" over to m.id and
 * walked every message up to ?1, the whole table, for each batch. */
enum tame_err
store_sqlite_index_pending(struct store *s, int64_t max, int64_t *left)
{
	static const char add[] = "INSERT INTO messages_fts" FTS_COLUMNS
	    " SELECT " FTS_VALUES("m.") " FROM fts_pending p"
	    " CROSS JOIN messages m ON m.id = p.id WHERE p.id <= ?1";
	static const char upto[] = "SELECT max(id) FROM (SELECT id FROM"
	    " fts_pending ORDER BY id LIMIT ?1)";
	static const char del[] = "DELETE FROM fts_pending WHERE id <= ?1";
	static const char count[] = "SELECT count(*) FROM fts_pending";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	int64_t last = 0;
	enum tame_err rc;
	int own;

	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, upto);
	sq_bind_int(q, st, 1, max > 0 ? max : -1);
	if ((rc = sq_row(q, st)) == TAME_OK)
		last = sqlite3_column_int64(st, 0);
	sq_done(st);
	if (rc || last == 0)
		goto count;
	st = sq_stmt(q, add);
	sq_bind_int(q, st, 1, last);
	if ((rc = sq_run(q, st)))
		goto out;
	st = sq_stmt(q, del);
	sq_bind_int(q, st, 1, last);
	if ((rc = sq_run(q, st)))
		goto out;
count:
	if (!rc && left) {
		st = sq_stmt(q, count);
		if ((rc = sq_row(q, st)) == TAME_OK)
			*left = sqlite3_column_int64(st, 0);
		sq_done(st);
	}
out:
	return sq_tx_end(q, own, rc);
}

/* Bytes are stored once per SHA-256; each attachment row points at
 * them. See store.h. */
enum tame_err
store_sqlite_attachment_add(struct store *s, int64_t message_id,
    const char *filename, const char *content_type, const char *content_id,
    int is_inline, const void *data, size_t len, int64_t *id)
{
	static const char blob[] = "INSERT OR IGNORE INTO blobs(sha256, data, "
	    "size) VALUES (?1, ?2, ?3)";
	static const char att[] = "INSERT INTO attachments(message_id, "
	    "blob_sha256, filename, content_type, content_id, inline, size)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char sha[AUTH_HASH_HEX + 1];
	enum tame_err rc;
	int own;

	auth_sha256_hex(len ? data : "", len, sha);
	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, blob);
	sq_bind_text(q, st, 1, sha);
	sq_bind_blob(q, st, 2, data, len);
	sq_bind_int(q, st, 3, (int64_t)len);
	if ((rc = sq_run(q, st)))
		goto out;
	st = sq_stmt(q, att);
	sq_bind_int(q, st, 1, message_id);
	sq_bind_text(q, st, 2, sha);
	sq_bind_text(q, st, 3, filename);
	sq_bind_text(q, st, 4, content_type);
	sq_bind_text(q, st, 5, content_id);
	sq_bind_int(q, st, 6, is_inline != 0);
	sq_bind_int(q, st, 7, (int64_t)len);
	if ((rc = sq_run(q, st)) == TAME_OK && id)
		*id = sqlite3_last_insert_rowid(q->db);
out:
	return sq_tx_end(q, own, rc);
}

/* closed_at is set when the ticket becomes closed and cleared when it
 * leaves that state. See store.h. */
enum tame_err
store_sqlite_ticket_set_status(struct store *s, int64_t ticket_id,
    enum ticket_status st_, int64_t now)
{
	static const char sql[] = "UPDATE tickets SET"
	    " closed_at = CASE WHEN ?1 <> 4 THEN NULL"
	    "  WHEN status = 4 THEN closed_at ELSE ?2 END,"
	    " status = ?1, updated_at = ?2 WHERE id = ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, st_);
	sq_bind_int(q, st, 2, now);
	sq_bind_int(q, st, 3, ticket_id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

/* See store.h. The event first: it reads the assignee off the ticket. */
enum tame_err
store_sqlite_ticket_leave_disabled(struct store *s, int64_t ticket_id,
    int64_t now)
{
	static const char ev[] = LEAVER_EVENT("NULL", "?2")
	    " JOIN agents a ON a.id = t.assignee_id"
	    " WHERE t.id = ?1 AND a.disabled";
	static const char upd[] = "UPDATE tickets SET assignee_id = NULL"
	    " WHERE id = ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, ev);
	enum tame_err rc;

	sq_bind_int(q, st, 1, ticket_id);
	sq_bind_int(q, st, 2, now);
	if ((rc = sq_run(q, st)) || sqlite3_changes(q->db) == 0)
		return rc;
	st = sq_stmt(q, upd);
	sq_bind_int(q, st, 1, ticket_id);
	return sq_run(q, st);
}

/* See store.h. */
enum tame_err
store_sqlite_message_set_delivery(struct store *s, int64_t msg_id,
    enum delivery_state ds, const char *error)
{
	static const char sql[] = "UPDATE messages SET delivery = ?1,"
	    " delivery_error = ?2 WHERE id = ?3";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, ds);
	sq_bind_text(q, st, 2, error);
	sq_bind_int(q, st, 3, msg_id);
	if ((rc = sq_run(q, st)) == TAME_OK && sqlite3_changes(q->db) == 0)
		rc = TAME_ENOTFOUND;
	return rc;
}

/* data is kept as compact JSON text. See store.h. */
enum tame_err
store_sqlite_event_add(struct store *s, int64_t ticket_id,
    int64_t actor_agent_id, const char *kind, json_t *data, int64_t now)
{
	static const char sql[] = "INSERT INTO events(ticket_id, "
	    "actor_agent_id, kind, data, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	char *text = NULL;
	enum tame_err rc;

	if (data && !(text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY)))
		return TAME_ENOMEM;
	st = sq_stmt(q, sql);
	sq_bind_id(q, st, 1, ticket_id);
	sq_bind_id(q, st, 2, actor_agent_id);
	sq_bind_text(q, st, 3, kind);
	sq_bind_text(q, st, 4, text);
	sq_bind_int(q, st, 5, now);
	rc = sq_run(q, st);
	free(text);
	return rc;
}

/* The acknowledgement log keeps a day (a window is an hour). */
#define ACK_KEEP_MS (24 * 3600 * 1000LL)

/* See store.h. */
enum tame_err
store_sqlite_ack_allow(struct store *s, int64_t mailbox_id,
    const char *sender, int64_t now, int64_t window_ms, int *allowed)
{
	static const char recent[] = "SELECT 1 FROM ack_log"
	    " WHERE mailbox_id = ?1 AND sender = ?2 AND sent_at > ?3 LIMIT 1";
	static const char log[] = "INSERT INTO ack_log(mailbox_id, sender, "
	    "sent_at) VALUES (?1, ?2, ?3)";
	/* what is past every window is read no more (hourly) */
	static const char old[] = "DELETE FROM ack_log WHERE sent_at < ?1";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	int own;

	*allowed = 0;
	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	st = sq_stmt(q, recent);
	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_lower(q, st, 2, sender);
	sq_bind_int(q, st, 3, now - window_ms);
	rc = sq_row(q, st);
	sq_done(st);
	if (rc != TAME_ENOTFOUND)
		goto out;	/* sent recently, or an error */
	st = sq_stmt(q, log);
	sq_bind_int(q, st, 1, mailbox_id);
	sq_bind_lower(q, st, 2, sender);
	sq_bind_int(q, st, 3, now);
	if ((rc = sq_run(q, st)) == TAME_OK)
		*allowed = 1;
	if (rc == TAME_OK)
		rc = sq_prune(q, old, now - (window_ms > ACK_KEEP_MS ?
		    window_ms : ACK_KEEP_MS), now, &q->ack_pruned);
out:
	return sq_tx_end(q, own, rc);
}

/* ---- what replies and the API change ---- */

/* References keeps the first Message-ID of the thread and the latest
 * ones, as RFC 5322 3.6.4 suggests when the list grows long. Notes are
 * never mailed, and automatic mail that came in (a bounce, a delivery
 * report, an out-of-office) is no message the customer has, so their
 * ids are left out; but for a ticket of automatic mail alone (a
 * monitor's alert, a shop's order notice), whose answer would refer to
 * nothing, they are all it has to refer to (?2). See store.h. */
enum tame_err
store_sqlite_reply_ctx(struct store *s, int64_t ticket_id,
    struct reply_ctx *out)
{
	static const char tsql[] = "SELECT t.id, t.status, t.subject, "
	    "mb.address, mb.name, c.email, c.name FROM tickets t"
	    " LEFT JOIN mailboxes mb ON mb.id = t.mailbox_id"
	    " LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = ?1";
	static const char cnt[] = "SELECT count(*) FROM messages"
	    " WHERE ticket_id = ?1 AND message_id IS NOT NULL"
	    " AND direction <> 2 AND (?2 OR NOT (direction = 0 AND"
	    " auto_submitted))";
	/* another mail under a Message-ID already stored is kept with
	 * "#tame-" and 16 hex digits added (ingest.c stored_id): the
	 * customer's mail program knows it by the ID it wrote */
	static const char ids[] = "SELECT CASE WHEN message_id GLOB"
	    " '*#tame-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
	    "[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
	    "[0-9a-f][0-9a-f][0-9a-f]' THEN substr(message_id, 1,"
	    " length(message_id) - 22) ELSE message_id END FROM messages"
	    " WHERE ticket_id = ?1 AND message_id IS NOT NULL"
	    " AND direction <> 2 AND (?2 OR NOT (direction = 0 AND"
	    " auto_submitted)) ORDER BY id";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	struct buf refs;
	const char *mid;
	int64_t n = 0, i = 0;
	enum tame_err rc;
	int all;

	memset(out, 0, sizeof(*out));
	buf_init(&refs, (size_t)TAME_REFERENCES_MAX * 1000);
	st = sq_stmt(q, tsql);
	sq_bind_int(q, st, 1, ticket_id);
	if ((rc = sq_row(q, st)) == TAME_OK) {
		out->ticket_id = sqlite3_column_int64(st, 0);
		out->status = (enum ticket_status)sqlite3_column_int(st, 1);
		if (!(rc = sq_col_dup(st, 2, &out->subject)) &&
		    !(rc = sq_col_dup(st, 3, &out->mailbox_address)) &&
		    !(rc = sq_col_dup(st, 4, &out->mailbox_name)) &&
		    !(rc = sq_col_dup(st, 5, &out->customer_email)))
			rc = sq_col_dup(st, 6, &out->customer_name);
	}
	sq_done(st);
	if (rc)
		goto out;

	for (all = 0; all < 2 && n == 0; all++) {
		st = sq_stmt(q, cnt);
		sq_bind_int(q, st, 1, ticket_id);
		sq_bind_int(q, st, 2, all);
		if ((rc = sq_row(q, st)) == TAME_OK)
			n = sqlite3_column_int64(st, 0);
		sq_done(st);
		if (rc)
			goto out;
	}

	st = sq_stmt(q, ids);
	sq_bind_int(q, st, 1, ticket_id);
	sq_bind_int(q, st, 2, all - 1);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		mid = (const char *)sqlite3_column_text(st, 0);
		/* Keep index 0 and the last TAME_REFERENCES_MAX - 1. */
		if (mid && (i == 0 || i >= n - (TAME_REFERENCES_MAX - 1))) {
			if ((refs.len && (rc = buf_addstr(&refs, " "))) ||
			    (rc = buf_addstr(&refs, mid)))
				break;
			free(out->last_message_id);
			if (!(out->last_message_id = strdup(mid))) {
				rc = TAME_ENOMEM;
				break;
			}
		}
		i++;
	}
	sq_done(st);
	if (rc != TAME_ENOTFOUND)
		goto out;
	rc = TAME_OK;
	if (refs.len && !(out->references = buf_take(&refs)))
		rc = TAME_ENOMEM;
out:
	buf_free(&refs);
	if (rc)
		store_reply_ctx_clear(out);
	return rc;
}

static enum tame_err
exists(struct sq *q, const char *sql, int64_t id)
{
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_int(q, st, 1, id);
	rc = sq_row(q, st);
	sq_done(st);
	return rc;
}

static enum tame_err
check_tags(struct sq *q, const struct ticket_patch *p)
{
	size_t i, len;

	if (p->ntags > TAME_TAGS_MAX) {
		store_set_errmsg(&q->base, "more than %d tags", TAME_TAGS_MAX);
		return TAME_ETOOBIG;
	}
	if (p->ntags && !p->tags)
		return TAME_EINVAL;
	for (i = 0; i < p->ntags; i++) {
		len = p->tags[i] ? strlen(p->tags[i]) : 0;
		if (len == 0 || len > TAME_FIELD_MAX) {
			store_set_errmsg(&q->base, "bad tag");
			return TAME_EINVAL;
		}
	}
	return TAME_OK;
}

/* All fields of the patch in one UPDATE (each guarded by its has_
 * flag); tags are replaced as a set. See store.h. */
enum tame_err
store_sqlite_ticket_update(struct store *s, int64_t id,
    const struct ticket_patch *p, int64_t now)
{
	static const char asql[] = "SELECT 1 FROM agents WHERE id = ?1"
	    " AND NOT disabled";
	static const char upd[] = "UPDATE tickets SET"
	    " closed_at = CASE WHEN NOT ?1 THEN closed_at"
	    "  WHEN ?2 <> 4 THEN NULL"
	    "  WHEN status = 4 THEN closed_at ELSE ?7 END,"
	    " status = CASE WHEN ?1 THEN ?2 ELSE status END,"
	    " priority = CASE WHEN ?3 THEN ?4 ELSE priority END,"
	    " assignee_id = CASE WHEN ?5 THEN ?6 ELSE assignee_id END,"
	    " updated_at = ?7 WHERE id = ?8";
	static const char del[] = "DELETE FROM ticket_tags WHERE ticket_id = ?1";
	static const char add[] = "INSERT OR IGNORE INTO ticket_tags"
	    "(ticket_id, tag) VALUES (?1, ?2)";
	struct sq *q = SQ(s);
	sqlite3_stmt *st;
	enum tame_err rc;
	size_t i;
	int own;

	if ((p->has_status && (unsigned)p->status >= TICKET_STATUS_COUNT) ||
	    (p->has_priority && (unsigned)p->priority >= PRIORITY_COUNT))
		return TAME_EINVAL;
	if (p->has_tags && (rc = check_tags(q, p)))
		return rc;
	if ((rc = sq_tx_begin(q, &own)))
		return rc;
	if ((rc = sq_desk_ticket_unmerged(q, id)))
		goto out;
	/* checked again here: a disable of the same moment, which sends
	 * the agent's tickets back to Unassigned, is not undone */
	if (p->has_assignee && p->assignee_id > 0 &&
	    (rc = exists(q, asql, p->assignee_id))) {
		if (rc == TAME_ENOTFOUND) {
			store_set_errmsg(&q->base, "agent %lld is no active agent "
			    "(disabled meanwhile)", (long long)p->assignee_id);
			rc = TAME_ECONFLICT;
		}
		goto out;
	}
	st = sq_stmt(q, upd);
	sq_bind_int(q, st, 1, p->has_status != 0);
	sq_bind_int(q, st, 2, p->has_status ? p->status : 0);
	sq_bind_int(q, st, 3, p->has_priority != 0);
	sq_bind_int(q, st, 4, p->has_priority ? p->priority : 0);
	sq_bind_int(q, st, 5, p->has_assignee != 0);
	sq_bind_id(q, st, 6, p->has_assignee ? p->assignee_id : 0);
	sq_bind_int(q, st, 7, now);
	sq_bind_int(q, st, 8, id);
	if ((rc = sq_run(q, st)) || !p->has_tags)
		goto out;
	st = sq_stmt(q, del);
	sq_bind_int(q, st, 1, id);
	if ((rc = sq_run(q, st)))
		goto out;
	for (i = 0; i < p->ntags; i++) {
		st = sq_stmt(q, add);
		sq_bind_int(q, st, 1, id);
		sq_bind_text(q, st, 2, p->tags[i]);
		if ((rc = sq_run(q, st)))
			goto out;
	}
out:
	return sq_tx_end(q, own, rc);
}

/* Only an attachment of a message of ticket tid is found, so a URL
 * cannot reach another ticket's files. See store.h. */
enum tame_err
store_sqlite_attachment_get(struct store *s, int64_t tid, int64_t aid,
    char **filename, char **content_type, struct buf *data)
{
	static const char sql[] = "SELECT a.filename, a.content_type, b.data"
	    " FROM attachments a JOIN messages m ON m.id = a.message_id"
	    " JOIN blobs b ON b.sha256 = a.blob_sha256"
	    " WHERE a.id = ?1 AND m.ticket_id = ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	const void *p;
	enum tame_err rc;

	*filename = NULL;
	*content_type = NULL;
	sq_bind_int(q, st, 1, aid);
	sq_bind_int(q, st, 2, tid);
	if ((rc = sq_row(q, st)))
		goto out;
	if ((rc = sq_col_dup(st, 0, filename)) ||
	    (rc = sq_col_dup(st, 1, content_type)))
		goto out;
	p = sqlite3_column_blob(st, 2);
	rc = buf_add(data, p ? p : "", (size_t)sqlite3_column_bytes(st, 2));
out:
	sq_done(st);
	if (rc) {
		free(*filename);
		free(*content_type);
		*filename = NULL;
		*content_type = NULL;
	}
	return rc;
}

/* See store.h. */
enum tame_err
store_sqlite_ticket_count(struct store *s, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM tickets";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	if ((rc = sq_row(q, st)) == TAME_OK)
		*n = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}
