/*
 * store.h - everything Tame keeps, behind one interface.
 *
 * Model: a `struct store` is one connection to the data, owned by one
 * thread at a time. Each thread of tamed opens its own. The functions
 * below dispatch through a `struct store_backend` (store_backend.h): the
 * SQLite backend (store_sqlite.c, WAL mode, FTS5) is the embedded default;
 * a PostgreSQL twin implements the same table of functions. No SQL lives
 * outside src/store.
 *
 * Conventions:
 * - Time is UTC milliseconds (int64_t). Ids are int64_t > 0.
 * - Strings passed in are borrowed. Strings and json_t returned are owned
 *   by the caller (free() / json_decref()) unless stated otherwise.
 * - "View" functions return JSON objects already in the API's shape
 *   (docs/API.md), times as RFC 3339 strings, so both backends render the
 *   same bytes.
 * - Functions that change data do not open a transaction of their own;
 *   callers group them with store_begin()/store_commit(). Outside a
 *   transaction each statement commits on its own.
 */
#ifndef TAME_STORE_H
#define TAME_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "../core/buf.h"
#include "../core/err.h"
#include "../core/imap_conf.h"
#include "../core/relay_conf.h"
#include "../core/model.h"

struct store;

/* ---- connection, schema, transactions ---- */

/* Opens the store in directory datadir. Applies pending schema migrations
 * when migrate is 1 (tamed and tame do it once at start), and only then
 * creates tame.db (mode 0600) when there is none; the directory must
 * exist. With 0 an older schema is an error; with STORE_AS_IS it is
 * left as it is (a backup copies it so). *out is freed with
 * store_close(). */
#define STORE_AS_IS (-1)
enum tame_err store_open(const char *datadir, int migrate, struct store **out);
/* The schema version of the store open on s into *have, the one this
 * build writes into *want: an open with migrate upgrades an older one. */
enum tame_err store_schema(struct store *s, int *have, int *want);
/* The file the store keeps in datadir (tame.db), into out (n bytes).
 * TAME_EINVAL when it does not fit. */
enum tame_err store_file(const char *datadir, char *out, size_t n);
/* 1 if datadir holds a store, 0 if it holds none (no tame.db, or an
 * empty one, which SQLite would take for a new store), -1 with errno
 * when that cannot be told (a directory its user may not enter). */
int store_exists(const char *datadir);
/* 1 if path names datadir's tame.db itself (by any name or link). */
int store_is_its_file(const char *datadir, const char *path);
void store_close(struct store *s);
/* Last error text of this connection, for logs. Owned by s. */
const char *store_errmsg(struct store *s);

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy
 * timeout). */
enum tame_err store_begin(struct store *s);
/* COMMIT; durable on return (synchronous=FULL). */
enum tame_err store_commit(struct store *s);
enum tame_err store_rollback(struct store *s);
/* A read transaction, for a request that only reads: every read until
 * store_read_end() sees one snapshot of the database, and the store's
 * read lock is taken once for them all instead of once a statement
 * (with several request threads, taking it is where they meet). No
 * write may come between the two calls. */
enum tame_err store_read_begin(struct store *s);
enum tame_err store_read_end(struct store *s);
/* Nested save points inside a transaction, for "this message failed,
 * keep the others". name: a fixed identifier like "msg". */
enum tame_err store_savepoint(struct store *s, const char *name);
enum tame_err store_release(struct store *s, const char *name);
enum tame_err store_rollback_to(struct store *s, const char *name);

/* Online copy of the whole store into file path (SQLite backup API). */
enum tame_err store_backup(struct store *s, const char *path);
/* Makes the backup file the store of datadir, with no store open on it
 * and tamed stopped (store_sqlite_restore.c). err gets the reason of a
 * failure: TAME_EPARSE the file is not a sound Tame store this build
 * opens, TAME_ENOTFOUND it cannot be read, TAME_EIO writing failed (the
 * old store is then still there). */
enum tame_err store_restore(const char *datadir, const char *file,
    char *err, size_t n);
/* Takes DATA/tamed.lock, which the running tamed holds, into *fd (kept
 * open as long as the lock is wanted). TAME_EBUSY when another process
 * holds it; TAME_EIO (errno set) when it cannot be made. */
enum tame_err store_lock_dir(const char *datadir, int *fd);
/* A file fd just made in datadir goes to the directory's owner when
 * root made it (root runs `tame`, the owner runs tamed, which must open
 * it); -1 when that fails. 0 otherwise. */
int store_give_to_owner(const char *datadir, int fd);
/* Takes DATA/name with flock how (LOCK_SH or LOCK_EX), not waiting;
 * made for the directory's owner when root makes it. *fd as above;
 * TAME_EBUSY when the lock is held the other way. */
enum tame_err store_lock_file(const char *datadir, const char *name,
    int how, int *fd);
/* Writes every mailbox, agent (without password), customer, ticket with
 * its messages and events as one JSON document to f. */
enum tame_err store_export_json(struct store *s, FILE *f);

/* ---- agents, tokens, sessions ---- */

/* Creates an agent; TAME_EEXIST if the email is taken. email is stored
 * lower-cased; TAME_EINVAL (store_errmsg says why) for an address with
 * an empty domain label (agent_email_problem: "eve@team.test.") or a
 * mailbox's address. name is stored cleaned (agent_name_clean):
 * TAME_EINVAL when that leaves nothing, TAME_ECONFLICT when an enabled
 * agent is called so already (agent_name_same), with the message to
 * show. Call it in a transaction (store_begin), which makes the check
 * and the write one. pw_hash may be NULL (cannot log in). */
enum tame_err store_agent_create(struct store *s, const char *email,
    const char *name, enum agent_role role, const char *pw_hash,
    int64_t now, int64_t *id);
/* TAME_ECONFLICT (with a message) when an enabled agent other than id
 * is called as id is (store_agent_create's rule): the check before a
 * disabled agent is enabled again (none for one enabled already). In
 * the caller's transaction. */
enum tame_err store_agent_name_free(struct store *s, int64_t id);
/* Fills *out (caller calls agent_clear). TAME_ENOTFOUND. */
enum tame_err store_agent_get(struct store *s, int64_t id, struct agent *out);
enum tame_err store_agent_by_email(struct store *s, const char *email,
    struct agent *out);
/* Changes the given fields: name NULL = keep, role -1 = keep, pw_hash
 * NULL = keep, disabled -1 = keep. A name is cleaned and checked as by
 * store_agent_create (but for the agent's own name, kept as it is). */
enum tame_err store_agent_update(struct store *s, int64_t id,
    const char *name, int role, const char *pw_hash, int disabled);
/* A new address for agent id (a new name, a new company domain): the
 * rules of store_agent_create's (TAME_EINVAL with a message,
 * TAME_EEXIST when another agent has it); the agent's own address in
 * other letters is taken as it is. In the caller's transaction. */
enum tame_err store_agent_set_email(struct store *s, int64_t id,
    const char *email);
/* {"agents":[{id,email,name,role,disabled,created_at}]} */
enum tame_err store_agents_view(struct store *s, json_t **out);
/* {id,email,name,role,disabled,created_at}; TAME_ENOTFOUND. */
enum tame_err store_agent_view(struct store *s, int64_t id, json_t **out);

/* API tokens are stored as a hash (hex SHA-256 of the token). */
enum tame_err store_token_add(struct store *s, int64_t agent_id,
    const char *token_hash, int64_t now, int64_t *id);
/* Removes every API token of agent_id; *n gets how many. */
enum tame_err store_tokens_revoke(struct store *s, int64_t agent_id,
    int64_t *n);
/* Finds the agent of a token hash; TAME_ENOTFOUND. */
enum tame_err store_token_lookup(struct store *s, const char *token_hash,
    int64_t *agent_id);

/* Sessions: id_hash is the hex SHA-256 of the cookie value. */
enum tame_err store_session_add(struct store *s, const char *id_hash,
    int64_t agent_id, const char *csrf, int64_t now, int64_t expires_at);
/* Finds a live session (expires_at > now); *csrf is malloc'd.
 * TAME_ENOTFOUND if none or expired. */
enum tame_err store_session_lookup(struct store *s, const char *id_hash,
    int64_t now, int64_t *agent_id, char **csrf);
enum tame_err store_session_delete(struct store *s, const char *id_hash);

/* ---- mailboxes ---- */

/* address is stored lower-cased; TAME_EEXIST if taken. */
enum tame_err store_mailbox_create(struct store *s, const char *address,
    const char *name, int64_t now, int64_t *id);
/* TAME_ENOTFOUND. Caller calls mailbox_clear. address compared
 * case-insensitively. */
enum tame_err store_mailbox_by_address(struct store *s, const char *address,
    struct mailbox *out);
enum tame_err store_mailbox_get(struct store *s, int64_t id,
    struct mailbox *out);
/* The mailbox with the lowest id (where mail for no known address
 * goes); TAME_ENOTFOUND when there is none. Caller calls mailbox_clear. */
enum tame_err store_mailbox_first(struct store *s, struct mailbox *out);
/* name NULL = keep; ack_enabled -1 = keep; ack_template NULL = keep. */
enum tame_err store_mailbox_update(struct store *s, int64_t id,
    const char *name, int ack_enabled, const char *ack_template);
/* {"mailboxes":[{id,address,name,ack_enabled,ack_template,created_at}]} */
enum tame_err store_mailboxes_view(struct store *s, json_t **out);
enum tame_err store_mailbox_view(struct store *s, int64_t id, json_t **out);
/* Sets *n to the number of mailboxes. */
enum tame_err store_mailbox_count(struct store *s, int64_t *n);

/* ---- customers ---- */

/* The customer of email (case-insensitive); TAME_ENOTFOUND. */
enum tame_err store_customer_by_email(struct store *s, const char *email,
    int64_t *id);
/* Finds the customer by email (case-insensitive) or creates it; fills a
 * missing name when name is given. */
enum tame_err store_customer_upsert(struct store *s, const char *email,
    const char *name, int64_t now, int64_t *id);
/* Creates; TAME_EEXIST if the email is known. */
enum tame_err store_customer_create(struct store *s, const char *email,
    const char *name, const char *organization, int64_t now, int64_t *id);
/* NULL = keep. */
enum tame_err store_customer_update(struct store *s, int64_t id,
    const char *name, const char *organization);
/* {"customers":[{id,email,name,organization,created_at,ticket_count}],
 *  "next_cursor": "..."|null}; cursor NULL for the first page. */
enum tame_err store_customers_view(struct store *s, const char *cursor,
    int limit, json_t **out);
enum tame_err store_customer_view(struct store *s, int64_t id, json_t **out);

/* ---- raw messages (the durable copy of every accepted mail) ---- */

/* Stores the raw bytes as received, with the envelope. rcpts: the
 * accepted recipients joined by ','. */
enum tame_err store_raw_add(struct store *s, const char *data, size_t len,
    const char *mail_from, const char *rcpts, int64_t now, int64_t *raw_id);
/* The raw bytes in the form the store keeps them (store_raw.c):
 * compressed with zstd when that saves space, else as they are. Packing
 * needs no store, so callers pack on their own threads and the single
 * writer only writes. */
enum { RAW_CODEC_NONE = 0, RAW_CODEC_ZSTD = 1 };
struct raw_packed {
	const void *data;  /* the packed bytes, or the message itself */
	size_t len;
	int codec;         /* RAW_CODEC_* */
	void *owned;       /* what store_raw_packed_free() frees */
};
/* Packs len bytes of raw into *out. out->data may point into raw, so
 * raw must outlive out; free out with store_raw_packed_free(). */
enum tame_err store_raw_pack(const char *raw, size_t len,
    struct raw_packed *out);
void store_raw_packed_free(struct raw_packed *p);
/* store_raw_add() for bytes packed by store_raw_pack(). */
enum tame_err store_raw_add_packed(struct store *s,
    const struct raw_packed *p, const char *mail_from, const char *rcpts,
    int64_t now, int64_t *raw_id);
/* For backends: appends the bytes that data (len bytes in codec) packs
 * to out. TAME_ESTORE for bytes that do not unpack. */
enum tame_err store_raw_unpack(const void *data, size_t len, int codec,
    struct buf *out);
/* Appends the raw bytes to out. TAME_ENOTFOUND. */
enum tame_err store_raw_get(struct store *s, int64_t raw_id, struct buf *out);
/* Number of raw messages stored. */
enum tame_err store_raw_count(struct store *s, int64_t *n);
/* Appends the original of message mid of ticket tid to out
 * (store_original.c): the raw bytes as received for mail that came in
 * (*sent = 0), the MIME handed to the outbox for a reply (*sent = 1).
 * TAME_ENOTFOUND: no such message in that ticket, or none kept (a
 * note). */
enum tame_err store_message_original(struct store *s, int64_t tid,
    int64_t mid, int *sent, struct buf *out);
/* Appends the sanitised HTML of message mid of ticket tid to out.
 * TAME_ENOTFOUND: no such message in that ticket, or it has no HTML. */
enum tame_err store_message_html(struct store *s, int64_t tid, int64_t mid,
    struct buf *out);

/* ---- tickets and messages: the ingest path ---- */

/* Finds a stored message by its Message-ID (without <>). Any out pointer
 * may be NULL. TAME_ENOTFOUND. */
enum tame_err store_message_find(struct store *s, const char *message_id,
    int64_t *msg_id, int64_t *ticket_id, enum msg_direction *dir);
/* *to_json (malloc'd) gets the To addresses message msg_id was written
 * to, as the JSON array it keeps ("[]" for none). TAME_ENOTFOUND. */
enum tame_err store_message_to(struct store *s, int64_t msg_id,
    char **to_json);
/* Of the given Message-IDs, finds the ticket of the most recent stored
 * message that has one of them. TAME_ENOTFOUND if none. */
enum tame_err store_ticket_by_message_ids(struct store *s,
    const char *const *ids, size_t n, int64_t *ticket_id);
enum tame_err store_ticket_ref(struct store *s, int64_t ticket_id,
    struct ticket_ref *out);
/* Participants: addresses (lower-cased) that wrote to or were written to
 * in the ticket; used for the [#id] subject token rule. */
enum tame_err store_participant_add(struct store *s, int64_t ticket_id,
    const char *email);
/* *yes = 1 if email is a participant of the ticket. */
enum tame_err store_participant_has(struct store *s, int64_t ticket_id,
    const char *email, int *yes);
enum tame_err store_ticket_create(struct store *s, int64_t mailbox_id,
    int64_t customer_id, const char *subject, enum ticket_status status,
    int unparsed, int64_t now, int64_t *id);
/* Links a new ticket to an earlier one (reply to a long-closed ticket). */
enum tame_err store_ticket_link(struct store *s, int64_t ticket_id,
    int64_t previous_id);
/* A stored message that answers one stored only now, and the ticket it
 * started. */
struct store_answer {
	int64_t ticket_id;
	int64_t created_at;       /* when the answer was written */
};
/* The stored messages whose In-Reply-To or References name message_id
 * (it came after its answers: two imports, mail out of order, a
 * parent that never came; message_new.orphan),
 * written by one of the addresses of that message (from, or in the JSON
 * arrays to_json and cc_json, which may be NULL), and that are still
 * the first message of a ticket not merged into another: at most max
 * into out, oldest ticket first, their count in *n. One index probe. */
enum tame_err store_ticket_answers(struct store *s, const char *message_id,
    const char *from, const char *to_json, const char *cc_json,
    struct store_answer *out, size_t max, size_t *n);
/* The conversation of ticket_id begins with a message stored after it:
 * the ticket takes that message's subject (an empty one changes
 * nothing) and, if earlier, its time. TAME_ENOTFOUND. */
enum tame_err store_ticket_began(struct store *s, int64_t ticket_id,
    const char *subject, int64_t created_at);
/* Adds a message, indexes subject and text for search, bumps the ticket's
 * message_count and updated_at (and last_customer_at for MSG_IN).
 * TAME_EEXIST if message_id is already stored. */
enum tame_err store_message_add(struct store *s, const struct message_new *m,
    int64_t *id);
/* How this connection indexes the messages it adds for search. With
 * defer 0 (the default) each message is indexed in its own transaction.
 * With defer 1 it is queued for the index in that same transaction
 * (durable, searches find it all the same) and indexed later by
 * store_index_pending(), in large batches, which costs a bulk writer
 * (the SMTP ingest queue) about half as much per message. */
enum tame_err store_index_defer(struct store *s, int defer);
/* Marks this connection as a bulk writer (the ingest queue, an import):
 * it keeps more of the database in memory than the default, which is
 * sized for the many connections that mostly read. */
enum tame_err store_bulk_writer(struct store *s);
/* Lets this connection's commits return before the disk has them (the
 * ingest queue's writer): store_sync() makes them durable afterwards,
 * so the writer goes on with its next transaction while the disk syncs
 * the last ones. */
enum tame_err store_lazy_sync(struct store *s);
/* Makes every transaction committed on this database so far durable.
 * Unlike every other call it may run on another thread than the
 * connection's, at the same time as the connection is used. After one
 * failure every later call in the process fails too (TAME_EIO): a
 * later success would not mean that what the failed one had to write
 * is on disk. TAME_EBUSY: a file could not be opened to sync it (out
 * of descriptors); only this call failed, the next may succeed. */
enum tame_err store_sync(struct store *s);
/* Ends what a finished request left open on this connection: a
 * statement not reset (it would keep an old snapshot of the database
 * for every later read on the connection) or a transaction not ended.
 * Each is logged as the bug it is; returns how many were found. */
int store_settle(struct store *s);
/* Indexes the oldest max queued messages (max 0: all) in the caller's
 * transaction or one of its own; *left (may be NULL) gets how many are
 * still queued. */
enum tame_err store_index_pending(struct store *s, int64_t max,
    int64_t *left);
/* Stores the bytes once under their SHA-256 (content-addressed blob) and
 * links them to the message. */
enum tame_err store_attachment_add(struct store *s, int64_t message_id,
    const char *filename, const char *content_type, const char *content_id,
    int is_inline, const void *data, size_t len, int64_t *id);
enum tame_err store_ticket_set_status(struct store *s, int64_t ticket_id,
    enum ticket_status st, int64_t now);
/* A ticket a customer's mail opens again goes back to Unassigned when
 * its assignee is disabled (a leaver's solved ticket), with the event a
 * disable writes ({"assignee_id":null,"disabled_agent_id":N}, no
 * actor); otherwise nothing changes. */
enum tame_err store_ticket_leave_disabled(struct store *s, int64_t ticket_id,
    int64_t now);
/* Marks an outbound message's delivery; error may be NULL. */
enum tame_err store_message_set_delivery(struct store *s, int64_t msg_id,
    enum delivery_state st, const char *error);

/* Appends to the ticket's history. actor_agent_id 0 = the system or the
 * customer. data: a JSON object (borrowed), may be NULL. ticket_id may
 * be 0 for events not about a ticket. */
enum tame_err store_event_add(struct store *s, int64_t ticket_id,
    int64_t actor_agent_id, const char *kind, json_t *data, int64_t now);

/* Acknowledgement throttle: sets *allowed = 1 and records the send if no
 * acknowledgement went to sender from this mailbox within window_ms. */
enum tame_err store_ack_allow(struct store *s, int64_t mailbox_id,
    const char *sender, int64_t now, int64_t window_ms, int *allowed);

/* ---- tickets: the API ---- */

/* Orders of the ticket list. "Waiting" is since the customer's latest
 * message (the ticket's creation when there is none). */
enum ticket_sort {
	TICKET_SORT_NEWEST = 0,  /* newest ticket first (id descending) */
	TICKET_SORT_OLDEST,      /* waiting longest first */
	TICKET_SORT_PRIORITY     /* most urgent first, then waiting longest */
};

struct ticket_query {
	unsigned status_mask;  /* bit (1u << enum ticket_status); 0 = any */
	const char *q;         /* full-text query as the user typed it, or NULL */
	int64_t assignee_id;   /* 0 = any, -1 = unassigned */
	int64_t mailbox_id;    /* 0 = any */
	int64_t customer_id;   /* 0 = any */
	const char *tag;       /* NULL = any */
	int limit;             /* 1..TAME_LIST_LIMIT_MAX */
	const char *cursor;    /* from a previous next_cursor, or NULL */
	enum ticket_sort sort; /* TICKET_SORT_NEWEST (0) unless asked */
	int64_t trend_id;      /* 0 = any (store_intel.h) */
	unsigned flags;        /* enum store_flag bits, any of them; 0 = any */
	unsigned priority_mask; /* bit (1u << enum ticket_priority); 0 = any */
};

/* {"tickets":[ticket...], "next_cursor": "..."|null}, newest first.
 * A ticket: {id, subject, status, priority, customer:{id,email,name},
 * assignee:{id,email,name}|null, mailbox_id, message_count, unparsed,
 * created_at, updated_at, tags:[...], preview}. TAME_EINVAL for a bad
 * cursor. */
enum tame_err store_tickets_view(struct store *s, const struct ticket_query *q,
    json_t **out);
/* The same page as JSON text appended to out: the bytes the API sends,
 * without building a json_t (the list is the busiest endpoint). */
enum tame_err store_tickets_view_text(struct store *s,
    const struct ticket_query *q, struct buf *out);
/* {"ticket":{...ticket fields..., "messages":[{id, direction,
 * from:{email,name}, to:[...], cc:[...], subject, text, html,
 * attachments:[{id,filename,content_type,size,inline}], message_id,
 * created_at, unparsed, auto_submitted, author_id, delivery:
 * {state, error}|null}], "events":[{kind, actor_id, data, created_at}]}}
 * TAME_ENOTFOUND. */
enum tame_err store_ticket_view(struct store *s, int64_t id, json_t **out);

/* What a reply needs to know about its ticket. Strings owned by the
 * struct; free with store_reply_ctx_clear(). */
struct reply_ctx {
	int64_t ticket_id;
	enum ticket_status status;
	char *subject;            /* the ticket's subject */
	char *mailbox_address;
	char *mailbox_name;
	char *customer_email;
	char *customer_name;
	char *last_message_id;    /* latest message with a Message-ID */
	char *references;         /* all Message-IDs of the thread, oldest
	                             first, space separated, at most
	                             TAME_REFERENCES_MAX */
};
enum tame_err store_reply_ctx(struct store *s, int64_t ticket_id,
    struct reply_ctx *out);
void store_reply_ctx_clear(struct reply_ctx *c);

struct ticket_patch {
	int has_status;    enum ticket_status status;
	int has_priority;  enum ticket_priority priority;
	int has_assignee;  int64_t assignee_id;   /* 0 = unassign */
	int has_tags;      const char *const *tags; size_t ntags; /* replace */
};
/* Applies the patch; TAME_ENOTFOUND (ticket), TAME_ECONFLICT (the
 * ticket was merged into another, or the assignee is no agent or a
 * disabled one, checked in the patch's transaction; store_errmsg()
 * says which). */
enum tame_err store_ticket_update(struct store *s, int64_t id,
    const struct ticket_patch *p, int64_t now);

/* Finds attachment aid of ticket tid: file name, type (malloc'd) and
 * bytes appended to data. TAME_ENOTFOUND. */
enum tame_err store_attachment_get(struct store *s, int64_t tid, int64_t aid,
    char **filename, char **content_type, struct buf *data);

enum tame_err store_ticket_count(struct store *s, int64_t *n);

/* ---- changes, for live views ---- */

/* A ticket that changed: an event was written about it or a message
 * added to it. */
struct store_change {
	int64_t ticket_id;
	int created;           /* its "ticket.created" event is among them */
};
/* The tickets changed after the positions *ev_pos (events) and *msg_pos
 * (messages), at most max of them in out (one entry per ticket, oldest
 * change first); advances both positions past what was returned. When
 * a position is negative (a watcher's first call) nothing is returned
 * and both are set to the newest rows, so a watcher starts from now. */
enum tame_err store_changes_after(struct store *s, int64_t *ev_pos,
    int64_t *msg_pos, struct store_change *out, size_t max, size_t *n);

/* ---- outbox ---- */

struct outbox_item {
	int64_t id;
	int64_t message_id;   /* messages row, 0 for system mail (acks) */
	int64_t ticket_id;    /* 0 for none */
	char *mail_from;
	char *rcpts;          /* recipients joined by ',' */
	struct buf raw;       /* the MIME message */
	int attempts;
	int64_t created_at;
};
void store_outbox_item_clear(struct outbox_item *it);

/* mail_id: the Message-ID (without <>) of automatic mail that has no
 * message row (an acknowledgement), for store_outbox_ack_ticket; else
 * NULL. mass: one of a mass reply's mails (to a trend, or the bulk
 * reply), which go after every other mail due: a colleague's reply or
 * an acknowledgement does not wait behind two thousand of them. */
enum tame_err store_outbox_add(struct store *s, int64_t message_id,
    int64_t ticket_id, const char *mail_from, const char *rcpts,
    const char *mail_id, const char *raw, size_t len, int mass,
    int64_t now, int64_t *id);
/* The ticket of the acknowledgement sent as Message-ID mail_id.
 * TAME_ENOTFOUND if none. */
enum tame_err store_outbox_ack_ticket(struct store *s, const char *mail_id,
    int64_t *ticket_id);
/* How many items wait to be sent, and when the oldest of them was
 * made (0 when none wait): for the health check. */
enum tame_err store_outbox_waiting(struct store *s, int64_t *queued,
    int64_t *oldest_at);
/* The oldest queued item due at or before now; TAME_ENOTFOUND if none.
 * *it must be zeroed or cleared; caller calls store_outbox_item_clear.
 * *next_due (may be NULL) gets the earliest due time of any queued item
 * or 0 if none, so the sender knows how long to sleep. */
enum tame_err store_outbox_next(struct store *s, int64_t now,
    struct outbox_item *it, int64_t *next_due);
/* Sent: item done, message delivery "sent". */
enum tame_err store_outbox_sent(struct store *s, int64_t id, int64_t now);
/* Makes the queued items whose last error starts with prefix ("" for
 * every item that failed before) due at now: mail that waited for a
 * relay, or for another try, once the relay is set or changed. */
enum tame_err store_outbox_unwait(struct store *s, const char *prefix,
    int64_t now);
/* Not sent now: try again at next_at, error saying why. tried: 1 when
 * it was tried and failed (attempts++, which the back-off grows with),
 * 0 when it only waits without being tried (no relay to try). */
enum tame_err store_outbox_retry(struct store *s, int64_t id, int64_t next_at,
    const char *error, int tried);
/* Permanent failure: item done, message delivery "failed" with error. */
enum tame_err store_outbox_failed(struct store *s, int64_t id,
    const char *error);

/* ---- IMAP mailboxes (store_imap.c; the poller is src/net/imap_poll.c) */

/* Sets (creates or replaces) the IMAP settings of mailbox c->mailbox_id.
 * c->password NULL keeps the stored password (TAME_EINVAL when there is
 * none yet); a password is sealed with the data directory's key
 * (store_secret.h) before it reaches the engine. Bumps the version the
 * poller watches and clears the last error. TAME_ENOTFOUND. */
enum tame_err store_imap_set(struct store *s, const struct imap_conf *c,
    int64_t now);
/* Disconnects a mailbox from IMAP. The folder state is kept, so that
 * connecting it again resumes where it stopped. TAME_ENOTFOUND. */
enum tame_err store_imap_delete(struct store *s, int64_t mailbox_id);
/* Fills *out (caller calls imap_conf_clear) with the settings, the
 * password opened, and the mailbox's address. TAME_ENOTFOUND when the
 * mailbox has none; TAME_EAUTH when the key does not open the password. */
enum tame_err store_imap_get(struct store *s, int64_t mailbox_id,
    struct imap_conf *out);

/* One mailbox with IMAP settings, for the poller's change check. */
struct store_imap_entry {
	int64_t mailbox_id;
	int64_t version;
};
/* Every mailbox with IMAP settings, by id. *out is malloc'd (NULL when
 * *n is 0); caller frees. */
enum tame_err store_imap_list(struct store *s, struct store_imap_entry **out,
    size_t *n);

/* Where the import of one folder stands. account is "user@host:port",
 * so a mailbox pointed at another server starts afresh. TAME_ENOTFOUND
 * when the folder was never polled. */
enum tame_err store_imap_state_get(struct store *s, int64_t mailbox_id,
    const char *account, const char *folder, int64_t *uidvalidity,
    int64_t *last_uid);
/* Records the folder's UIDVALIDITY and last imported UID, adds imported
 * to the mailbox's count of imported messages and sets its backlog
 * (messages known to wait on the server). One transaction. */
enum tame_err store_imap_state_set(struct store *s, int64_t mailbox_id,
    const char *account, const char *folder, int64_t uidvalidity,
    int64_t last_uid, int64_t imported, int64_t backlog, int64_t now);
/* Records how the last poll went: error NULL = fine (clears the error,
 * sets last_ok_at); otherwise error (a short plain-language text) and
 * detail (what the server or library said, may be NULL). */
enum tame_err store_imap_status(struct store *s, int64_t mailbox_id,
    const char *error, const char *detail, int64_t now);
/* Records how the poller learns of the mailbox's new mail: "idle" or
 * "poll". */
enum tame_err store_imap_watch(struct store *s, int64_t mailbox_id,
    const char *watch);
/* The "imap" object of the mailbox JSON (docs/API.md), without the
 * password; TAME_ENOTFOUND when the mailbox has no IMAP settings. */
enum tame_err store_imap_view(struct store *s, int64_t mailbox_id,
    json_t **out);

/* ---- a mailbox's own outgoing relay (store_relay.c) ---- */

/* Sets (creates or replaces) the relay of mailbox c->mailbox_id. With a
 * user, c->password NULL keeps the stored password (TAME_EINVAL when
 * there is none yet); without a user there is no login. The password
 * is sealed like the IMAP one. TAME_ENOTFOUND (mailbox). */
enum tame_err store_relay_set(struct store *s, const struct relay_conf *c,
    int64_t now);
/* Removes the relay: the mailbox sends through --relay. TAME_ENOTFOUND
 * when it had none. */
enum tame_err store_relay_delete(struct store *s, int64_t mailbox_id);
/* Fills *out (caller calls relay_conf_clear) with the relay of the
 * mailbox, password opened. TAME_ENOTFOUND when it has none. */
enum tame_err store_relay_get(struct store *s, int64_t mailbox_id,
    struct relay_conf *out);
/* The relay for an outbox item: that of the ticket's mailbox, or for
 * mail of no ticket (ticket_id 0) that of the mailbox whose address is
 * mail_from. TAME_ENOTFOUND: use the global relay. */
enum tame_err store_relay_for(struct store *s, int64_t ticket_id,
    const char *mail_from, struct relay_conf *out);
/* The mailbox's signature (appended to every reply from it), by
 * mailbox_id or, when that is 0, of the mailbox of ticket_id. *out is
 * malloc'd (caller frees) or NULL when there is none. */
enum tame_err store_mailbox_signature(struct store *s, int64_t mailbox_id,
    int64_t ticket_id, char **out);
/* Sets it; NULL or "" removes it. TAME_ENOTFOUND. */
enum tame_err store_mailbox_signature_set(struct store *s,
    int64_t mailbox_id, const char *text);
/* The "relay" object of the mailbox JSON (docs/API.md): url (without
 * the password), host, port, tls, user, has_password, ca_file; json
 * null when the mailbox has no relay. */
enum tame_err store_relay_view(struct store *s, int64_t mailbox_id,
    json_t **out);

/* ---- saved filters, per agent (store_sqlite_filters.c) ---- */

/* The saved filters of agent_id, oldest first, as a new JSON array in
 * *out (caller decrefs): each the keys of the query it was saved with,
 * and id, name, created_at, updated_at. */
enum tame_err store_filters_list(struct store *s, int64_t agent_id,
    json_t **out);
/* Saves a filter of agent_id: query is the JSON text of an object,
 * checked by the caller. *id 0 makes a new one (TAME_ETOOBIG when the
 * agent has max already) and gets its id; else replaces filter *id
 * (TAME_ENOTFOUND when it is not the agent's). */
enum tame_err store_filters_put(struct store *s, int64_t agent_id,
    const char *name, const char *query, int64_t max, int64_t now,
    int64_t *id);
/* Filter id of agent_id as a new JSON object in *out (caller decrefs),
 * as in the list; TAME_ENOTFOUND. */
enum tame_err store_filters_get(struct store *s, int64_t agent_id,
    int64_t id, json_t **out);
/* Deletes filter id of agent_id; TAME_ENOTFOUND. */
enum tame_err store_filters_delete(struct store *s, int64_t agent_id,
    int64_t id);

/* ---- queue intelligence: trends, tone, flags (store_intel.h) ---- */
#include "store_intel.h"
/* ---- the agents' desk: saved replies, merges, followers, profiles
 * (store_desk.h) ---- */
#include "store_desk.h"

#endif
