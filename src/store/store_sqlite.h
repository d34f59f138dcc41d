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

#include <sqlite3.h>
#include "store_backend.h"

#define SQ_CACHE_SLOTS 256   /* static statements; we have about 90 */
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
/* Steps once: TAME_OK with a row ready, TAME_ENOTFOUND when there is
 * none, or an error. The caller calls sq_done() in every case. */
enum tame_err sq_row(struct sq *q, sqlite3_stmt *st);

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
/* json_object_set_new that reports failure (also of a NULL value):
 * 0 on success, 1 otherwise, so errors can be summed up. */
int sq_jset(json_t *o, const char *key, json_t *v);

/* store_sqlite_tickets.c: the ingest path and ticket changes. */
enum tame_err store_sqlite_message_find(struct store *s,
    const char *message_id, int64_t *msg_id, int64_t *ticket_id,
    enum msg_direction *dir);
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
enum tame_err store_sqlite_message_add(struct store *s,
    const struct message_new *m, int64_t *id);
enum tame_err store_sqlite_attachment_add(struct store *s,
    int64_t message_id, const char *filename, const char *content_type,
    const char *content_id, int is_inline, const void *data, size_t len,
    int64_t *id);
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
enum tame_err store_sqlite_ticket_view(struct store *s, int64_t id,
    json_t **out);
enum tame_err store_sqlite_export_json(struct store *s, FILE *f);

#endif
