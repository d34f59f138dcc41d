/*
 * store_sqlite.h - internals shared by the files of the SQLite backend
 * (store_sqlite.c, store_sqlite_tickets.c, store_sqlite_views.c). Not for
 * use outside src/store.
 *
 * Model: one `struct sq` per connection. Every statement is prepared once
 * per connection (SQLITE_PREPARE_PERSISTENT) and kept in a cache: static
 * SQL is keyed by the address of its string literal (no hashing of the
 * text on the hot ingest path), SQL built at run time (ticket list
 * filters) by its text. A statement is borrowed with sq_stmt(), bound
 * with the sq_bind_* helpers (which remember the first binding failure),
 * run with sq_run()/sq_row(), and handed back with sq_done(), which
 * resets it and drops its bindings so no borrowed pointer outlives the
 * call.
 */
#ifndef TAME_STORE_SQLITE_H
#define TAME_STORE_SQLITE_H

#include <string.h>
#include <sqlite3.h>
#include "../core/buf.h"
#include "store_backend.h"

#define SQ_CACHE_SLOTS 512   /* static statements; we have about 210 */
#define SQ_DYN_SLOTS   64    /* run-time built statements */

struct sq_slot {
	const char *key;      /* static: the literal's address */
	char *text;           /* dynamic: owned copy of the SQL */
	sqlite3_stmt *st;
};

struct sq {
	struct store base;    /* first: the dispatcher's view */
	sqlite3 *db;
	int bind_err;         /* first failed bind since the last run */
	enum tame_err prep_rc; /* why the last sq_stmt*() gave NULL */
	unsigned dyn_next;    /* round-robin victim in dyn[] */
	int in_begin;         /* in a transaction of store_begin() */
	int defer_index;      /* store_index_defer(): queue in fts_pending */
	int pend_made;        /* temp tables of pending_hits() exist */
	int pend_hits;        /* temp.pending_hits may hold rows */
	struct sq_ckpt *ckpt; /* the checkpointer of this file */
	int64_t fts_from;     /* lowest message id of that transaction not
	                         yet in the search index; 0 = none */
	struct sb_stemmer *stemmer; /* English, for a search's word forms */
	int64_t idem_pruned;  /* when this connection last cleared out the
	                         day-old Idempotency-Keys of every agent */
	int64_t ack_pruned;   /* ... and the acknowledgement log */
	struct sq_slot cache[SQ_CACHE_SLOTS];
	struct sq_slot dyn[SQ_DYN_SLOTS];
};

#define SQ(s) ((struct sq *)(void *)(s))

/* Statement for static SQL text (a string literal that lives forever);
 * NULL on failure, with the error recorded. */
sqlite3_stmt *sq_stmt(struct sq *q, const char *sql);
/* Statement for SQL built at run time; sql is copied. NULL on failure. */
sqlite3_stmt *sq_stmt_dyn(struct sq *q, const char *sql);
/* Resets st and clears its bindings; NULL is allowed. */
void sq_done(sqlite3_stmt *st);

/* Records the error src of the connection (with what as context) and
 * maps it: BUSY/LOCKED -> EBUSY, unique/primary key -> EEXIST, other ->
 * ESTORE. */
enum tame_err sq_err(struct sq *q, int src, const char *what);
/* Runs a statement that returns no row, then sq_done(). */
enum tame_err sq_run(struct sq *q, sqlite3_stmt *st);
/* Housekeeping of a table that only its writers visit: runs sql (a
 * DELETE with one parameter, bound to before) when *last is an hour or
 * more before now, and sets *last. So rows nobody reads again (expired,
 * or past their window) do not pile up, at the cost of one scan an hour
 * a connection. */
enum tame_err sq_prune(struct sq *q, const char *sql, int64_t before,
    int64_t now, int64_t *last);
/* Steps once: TAME_OK with a row ready, TAME_ENOTFOUND when there is
 * none, or an error. The caller calls sq_done() in every case. */
enum tame_err sq_row(struct sq *q, sqlite3_stmt *st);
/* Runs sql, which takes no parameters and answers one row of two
 * integers, into *a and *b. */
enum tame_err sq_two_ints(struct sq *q, const char *sql, int64_t *a,
    int64_t *b);
/* The same for one integer (a count), into *n. */
enum tame_err sq_one_int(struct sq *q, const char *sql, int64_t *n);

/* Binding helpers; a failure is kept and reported by the next run. */
void sq_bind_int(struct sq *q, sqlite3_stmt *st, int i, int64_t v);
/* v <= 0 binds NULL (ids are > 0; 0 means "none"). */
void sq_bind_id(struct sq *q, sqlite3_stmt *st, int i, int64_t v);
/* NULL binds NULL. The text must live until sq_done(). */
void sq_bind_text(struct sq *q, sqlite3_stmt *st, int i, const char *s);
/* Binds the first n bytes of s (borrowed). */
void sq_bind_textn(struct sq *q, sqlite3_stmt *st, int i, const char *s,
    size_t n);
/* Binds an ASCII-lower-cased copy of s (emails, addresses). */
void sq_bind_lower(struct sq *q, sqlite3_stmt *st, int i, const char *s);
void sq_bind_blob(struct sq *q, sqlite3_stmt *st, int i, const void *p,
    size_t len);

/* Copies text column i into *out (malloc'd; NULL for SQL NULL). */
enum tame_err sq_col_dup(sqlite3_stmt *st, int i, char **out);

/* Groups several statements of one store_* call: a transaction of its
 * own when none is open, else a save point, so a failure leaves no
 * partial rows either way. sq_tx_end commits or rolls back according to
 * rc and returns the final result. */
enum tame_err sq_tx_begin(struct sq *q, int *own);
enum tame_err sq_tx_end(struct sq *q, int own, enum tame_err rc);

/* JSON helpers for the views. Each returns a new reference or NULL when
 * out of memory. Text that is not valid UTF-8 is repaired with U+FFFD. */
json_t *sq_json_text(sqlite3_stmt *st, int i);   /* NULL -> null */
json_t *sq_json_time(sqlite3_stmt *st, int i);   /* NULL -> null */
json_t *sq_json_id(sqlite3_stmt *st, int i);     /* NULL/0 -> null */
json_t *sq_json_strn(const char *s, size_t len);
/* Appends row(st) to arr for each row left in st: TAME_OK once all are
 * in, TAME_ENOMEM, or sq_row()'s error. The caller calls sq_done(). */
enum tame_err sq_json_rows(struct sq *q, sqlite3_stmt *st,
    json_t *(*row)(sqlite3_stmt *st), json_t *arr);
/* json_object_set_new that reports failure (also of a NULL value):
 * 0 on success, 1 otherwise, so errors can be summed up. */
int sq_jset(json_t *o, const char *key, json_t *v);

/* store_sqlite_ckpt.c: WAL checkpoints on a thread of their own
 * instead of inside the COMMIT that crosses the threshold. attach
 * installs q's WAL hook (call once the connection is set up); detach
 * removes it, and the last connection of a file stops its thread (call
 * before sqlite3_close). */
struct sq_ckpt;
enum tame_err sq_ckpt_attach(struct sq *q, const char *path);
void sq_ckpt_detach(struct sq *q);
/* Makes every commit so far on q's file durable (fdatasync of the WAL);
 * safe on any thread while q is in use, as it touches only the file.
 * Once one has failed, every later call fails as well (TAME_EIO). */
enum tame_err sq_ckpt_sync(struct sq *q);

/* store_sqlite_json.c: JSON text written straight into a buf, for the
 * busiest views. Each call does nothing once w->rc is set, so a row is
 * written as a sequence of calls and checked once. */
struct jw {
	struct buf *b;
	enum tame_err rc;     /* first failure (ENOMEM, ETOOBIG) */
};
/* Appends raw bytes: into the room the buf has (and within its cap),
 * else through buf_add (which grows it or refuses). Inline with
 * sq_jw_lit, as the list writes about thirty pieces a ticket. */
static inline void
sq_jw_raw(struct jw *w, const char *s, size_t n)
{
	struct buf *b = w->b;

	if (w->rc)
		return;
	if (b->data && n < b->cap - b->len && n <= b->max - b->len) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
	} else
		w->rc = buf_add(b, s, n);
}
/* Appends a C string as is (punctuation, keys known to need no
 * escaping); the length of a literal is known when compiled. */
static inline void
sq_jw_lit(struct jw *w, const char *s)
{
	sq_jw_raw(w, s, strlen(s));
}
void sq_jw_strn(struct jw *w, const char *s, size_t n); /* "escaped" */
void sq_jw_str(struct jw *w, const char *s);
void sq_jw_int(struct jw *w, int64_t v);
void sq_jw_time(struct jw *w, int64_t ms);        /* RFC 3339 string */
void sq_jw_col_text(struct jw *w, sqlite3_stmt *st, int i); /* NULL: null */
void sq_jw_col_time(struct jw *w, sqlite3_stmt *st, int i); /* NULL: null */
void sq_jw_col_id(struct jw *w, sqlite3_stmt *st, int i); /* <= 0: null */

/* store_sqlite_fts.c: registers the search index's tokenizer "tame"
 * (core/search_words.h) on db; an SQLite result code. */
int store_sqlite_fts_register(sqlite3 *db);
/* The columns of the search index (messages_fts, and the list's
 * temp.pending_fts), and the values a message m gives them: its sender
 * only when it is the customer's. Our replies name the mailbox and the
 * agent, which would make "help" or an agent's name find every ticket
 * answered. Hence no FTS5 'rebuild', which would read the sender of
 * every message. */
/* The event of a ticket sent back to Unassigned because its assignee
 * is disabled, for the tickets t the rest of the statement picks (read
 * before the assignee is cleared): actor and now are SQL (a parameter
 * or NULL). A disable writes it for each of the agent's open tickets,
 * a customer's mail for the leaver's ticket it opens again. */
#define LEAVER_EVENT(actor, now) "INSERT INTO events(ticket_id," \
	" actor_agent_id, kind, data, created_at) SELECT t.id, " actor "," \
	" 'ticket.updated', json_object('assignee_id', NULL," \
	" 'disabled_agent_id', t.assignee_id), " now " FROM tickets t"

#define FTS_COLUMNS "(rowid, subject, text, from_name, from_email)"
#define FTS_VALUES(m) m "id, " m "subject, " m "text, CASE WHEN " m \
	"direction = 0 THEN " m "from_name END, CASE WHEN " m \
	"direction = 0 THEN " m "from_email END"

/* store_sqlite_tickets.c: the ingest path and ticket changes. */
/* Indexes for search the messages message_add left for the commit
 * (q->fts_from); called by the commit right before COMMIT. */
enum tame_err store_sqlite_fts_flush(struct sq *q);
enum tame_err store_sqlite_index_defer(struct store *s, int defer);
enum tame_err store_sqlite_index_pending(struct store *s, int64_t max,
    int64_t *left);
enum tame_err store_sqlite_message_find(struct store *s,
    const char *message_id, int64_t *msg_id, int64_t *ticket_id,
    enum msg_direction *dir);
enum tame_err store_sqlite_message_to(struct store *s, int64_t msg_id,
    char **to_json);
enum tame_err store_sqlite_ticket_by_message_ids(struct store *s,
    const char *const *ids, size_t n, int64_t *ticket_id);
enum tame_err store_sqlite_ticket_ref(struct store *s, int64_t ticket_id,
    struct ticket_ref *out);
enum tame_err store_sqlite_participant_add(struct store *s,
    int64_t ticket_id, const char *email);
enum tame_err store_sqlite_participant_has(struct store *s,
    int64_t ticket_id, const char *email, int *yes);
enum tame_err store_sqlite_ticket_create(struct store *s, int64_t mailbox_id,
    int64_t customer_id, const char *subject, enum ticket_status status,
    int unparsed, int64_t now, int64_t *id);
enum tame_err store_sqlite_ticket_link(struct store *s, int64_t ticket_id,
    int64_t previous_id);
enum tame_err store_sqlite_ticket_answers(struct store *s,
    const char *message_id, const char *from, const char *to_json,
    const char *cc_json, struct store_answer *out, size_t max, size_t *n);
enum tame_err store_sqlite_ticket_began(struct store *s, int64_t ticket_id,
    const char *subject, int64_t created_at);
enum tame_err store_sqlite_message_add(struct store *s,
    const struct message_new *m, int64_t *id);
enum tame_err store_sqlite_attachment_add(struct store *s,
    int64_t message_id, const char *filename, const char *content_type,
    const char *content_id, int is_inline, const void *data, size_t len,
    int64_t *id);
enum tame_err store_sqlite_ticket_leave_disabled(struct store *s,
    int64_t ticket_id, int64_t now);
enum tame_err store_sqlite_ticket_set_status(struct store *s,
    int64_t ticket_id, enum ticket_status st, int64_t now);
enum tame_err store_sqlite_message_set_delivery(struct store *s,
    int64_t msg_id, enum delivery_state st, const char *error);
enum tame_err store_sqlite_event_add(struct store *s, int64_t ticket_id,
    int64_t actor_agent_id, const char *kind, json_t *data, int64_t now);
enum tame_err store_sqlite_ack_allow(struct store *s, int64_t mailbox_id,
    const char *sender, int64_t now, int64_t window_ms, int *allowed);
enum tame_err store_sqlite_reply_ctx(struct store *s, int64_t ticket_id,
    struct reply_ctx *out);
enum tame_err store_sqlite_ticket_update(struct store *s, int64_t id,
    const struct ticket_patch *p, int64_t now);
enum tame_err store_sqlite_attachment_get(struct store *s, int64_t tid,
    int64_t aid, char **filename, char **content_type, struct buf *data);
enum tame_err store_sqlite_ticket_count(struct store *s, int64_t *n);

/* store_sqlite_original.c: a message's original MIME and its HTML. */
enum tame_err store_sqlite_message_original(struct store *s, int64_t tid,
    int64_t mid, int *sent, struct buf *out);
enum tame_err store_sqlite_message_html(struct store *s, int64_t tid,
    int64_t mid, struct buf *out);

/* store_sqlite_changes.c: what changed, for live views. */
enum tame_err store_sqlite_changes_after(struct store *s, int64_t *ev_pos,
    int64_t *msg_pos, struct store_change *out, size_t max, size_t *n);

/* store_sqlite_relay.c: a mailbox's own relay. */
enum tame_err store_sqlite_relay_set(struct store *s,
    const struct relay_conf *c, const char *sealed, int keep, int64_t now);
enum tame_err store_sqlite_relay_delete(struct store *s, int64_t mailbox_id);
enum tame_err store_sqlite_relay_get(struct store *s, int64_t mailbox_id,
    int64_t ticket_id, const char *mail_from, struct relay_conf *out,
    char **sealed);
enum tame_err store_sqlite_signature_get(struct store *s, int64_t mailbox_id,
    int64_t ticket_id, char **out);
enum tame_err store_sqlite_signature_set(struct store *s, int64_t mailbox_id,
    const char *text);

/* store_sqlite_imap.c: IMAP settings and folder state. */
enum tame_err store_sqlite_imap_set(struct store *s,
    const struct imap_conf *c, const char *sealed, int64_t now);
enum tame_err store_sqlite_imap_delete(struct store *s, int64_t mailbox_id);
enum tame_err store_sqlite_imap_get(struct store *s, int64_t mailbox_id,
    struct imap_conf *out, char **sealed);
enum tame_err store_sqlite_imap_list(struct store *s,
    struct store_imap_entry **out, size_t *n);
enum tame_err store_sqlite_imap_state_get(struct store *s, int64_t mailbox_id,
    const char *account, const char *folder, int64_t *uidvalidity,
    int64_t *last_uid);
enum tame_err store_sqlite_imap_state_set(struct store *s, int64_t mailbox_id,
    const char *account, const char *folder, int64_t uidvalidity,
    int64_t last_uid, int64_t imported, int64_t backlog, int64_t now);
enum tame_err store_sqlite_imap_status(struct store *s, int64_t mailbox_id,
    const char *error, const char *detail, int64_t now);
enum tame_err store_sqlite_imap_watch(struct store *s, int64_t mailbox_id,
    const char *watch);
enum tame_err store_sqlite_imap_view(struct store *s, int64_t mailbox_id,
    json_t **out);

/* store_sqlite_views.c: JSON views and export. */
enum tame_err store_sqlite_agents_view(struct store *s, json_t **out);
enum tame_err store_sqlite_agent_view(struct store *s, int64_t id,
    json_t **out);
enum tame_err store_sqlite_mailboxes_view(struct store *s, json_t **out);
enum tame_err store_sqlite_mailbox_view(struct store *s, int64_t id,
    json_t **out);
enum tame_err store_sqlite_customers_view(struct store *s,
    const char *cursor, int limit, json_t **out);
enum tame_err store_sqlite_customer_view(struct store *s, int64_t id,
    json_t **out);
enum tame_err store_sqlite_tickets_view(struct store *s,
    const struct ticket_query *q, json_t **out);
enum tame_err store_sqlite_tickets_view_text(struct store *s,
    const struct ticket_query *q, struct buf *out);
enum tame_err store_sqlite_ticket_view(struct store *s, int64_t id,
    json_t **out);
/* Registers the "tame" VFS (store_sqlite_vfs.c) as the default: the
 * unix VFS with each connection's WAL writes gathered into one write
 * per commit. Once per process, before the first connection. */
int sq_vfs_register(void);
enum tame_err store_sqlite_export_json(struct store *s, FILE *f);

/* The customer columns of the customer views (of customers c) and the
 * object they make; NULL when out of memory (store_sqlite_views.c). */
#define CUSTOMER_VIEW_COLS "id, email, name, organization, created_at," \
	" (SELECT count(*) FROM tickets t WHERE t.customer_id = c.id)"
json_t *sq_customer_json(sqlite3_stmt *st);
/* The ticket object of GET /tickets/ID, messages and events included
 * (store_sqlite_views.c; also used by the export). The messages are in
 * the order they were written (created_at, then id), which is not
 * always the order they were stored: history imported in more than one
 * go, a Sent folder after its Inbox. */
enum tame_err sq_ticket_full(struct sq *q, int64_t id, json_t **out);

#endif
