/*
 * store_backend.h - the table of functions a storage engine fills in.
 *
 * Model (after OpenSMTPD's queue backends): store.c owns the public
 * store_* names and does nothing but check arguments that are the same
 * for every engine and call through s->be. A backend allocates its own
 * connection struct whose first member is a `struct store`, so the
 * dispatcher reaches the table and the last error text without knowing
 * the engine, and the backend casts back to its own struct.
 *
 * Each member has the semantics of the store_* function of the same
 * name in store.h. Only store_backend_sqlite exists today; the
 * PostgreSQL twin fills in the same table.
 */
#ifndef TAME_STORE_BACKEND_H
#define TAME_STORE_BACKEND_H

#include "store.h"

#define STORE_ERRMSG_MAX 512

#define STORE_DATADIR_MAX 4096

/* The engine-independent head of every connection struct. */
struct store {
	const struct store_backend *be;
	char errmsg[STORE_ERRMSG_MAX];  /* last error, for store_errmsg() */
	char datadir[STORE_DATADIR_MAX]; /* set by store_open(); where the
	                                    key of store_secret.h lives */
	int lock_fd;        /* DATA/store.lock, held shared; -1 none */
};

struct store_backend {
	const char *name;

	enum tame_err (*open)(const char *datadir, int migrate,
	    struct store **out);
	void (*close)(struct store *s);
	enum tame_err (*begin)(struct store *s);
	enum tame_err (*commit)(struct store *s);
	enum tame_err (*rollback)(struct store *s);
	enum tame_err (*read_begin)(struct store *s);
	enum tame_err (*read_end)(struct store *s);
	enum tame_err (*savepoint)(struct store *s, const char *name);
	enum tame_err (*release)(struct store *s, const char *name);
	enum tame_err (*rollback_to)(struct store *s, const char *name);
	enum tame_err (*backup)(struct store *s, const char *path);
	enum tame_err (*export_json)(struct store *s, FILE *f);

	enum tame_err (*agent_create)(struct store *s, const char *email,
	    const char *name, enum agent_role role, const char *pw_hash,
	    int64_t now, int64_t *id);
	enum tame_err (*agent_get)(struct store *s, int64_t id,
	    struct agent *out);
	enum tame_err (*agent_by_email)(struct store *s, const char *email,
	    struct agent *out);
	enum tame_err (*agent_update)(struct store *s, int64_t id,
	    const char *name, int role, const char *pw_hash, int disabled);
	enum tame_err (*agent_set_email)(struct store *s, int64_t id,
	    const char *email);
	enum tame_err (*agents_view)(struct store *s, json_t **out);
	enum tame_err (*agent_view)(struct store *s, int64_t id, json_t **out);

	enum tame_err (*token_add)(struct store *s, int64_t agent_id,
	    const char *token_hash, int64_t now, int64_t *id);
	enum tame_err (*token_lookup)(struct store *s, const char *token_hash,
	    int64_t *agent_id);
	enum tame_err (*tokens_revoke)(struct store *s, int64_t agent_id,
	    int64_t *n);
	enum tame_err (*session_add)(struct store *s, const char *id_hash,
	    int64_t agent_id, const char *csrf, int64_t now,
	    int64_t expires_at);
	enum tame_err (*session_lookup)(struct store *s, const char *id_hash,
	    int64_t now, int64_t *agent_id, char **csrf);
	enum tame_err (*session_delete)(struct store *s, const char *id_hash);

	enum tame_err (*mailbox_create)(struct store *s, const char *address,
	    const char *name, int64_t now, int64_t *id);
	enum tame_err (*mailbox_by_address)(struct store *s,
	    const char *address, struct mailbox *out);
	enum tame_err (*mailbox_get)(struct store *s, int64_t id,
	    struct mailbox *out);
	enum tame_err (*mailbox_first)(struct store *s, struct mailbox *out);
	enum tame_err (*mailbox_update)(struct store *s, int64_t id,
	    const char *name, int ack_enabled, const char *ack_template);
	enum tame_err (*mailboxes_view)(struct store *s, json_t **out);
	enum tame_err (*mailbox_view)(struct store *s, int64_t id,
	    json_t **out);
	enum tame_err (*mailbox_count)(struct store *s, int64_t *n);

	enum tame_err (*customer_by_email)(struct store *s, const char *email,
	    int64_t *id);
	enum tame_err (*customer_upsert)(struct store *s, const char *email,
	    const char *name, int64_t now, int64_t *id);
	enum tame_err (*customer_create)(struct store *s, const char *email,
	    const char *name, const char *organization, int64_t now,
	    int64_t *id);
	enum tame_err (*customer_update)(struct store *s, int64_t id,
	    const char *name, const char *organization);
	enum tame_err (*customers_view)(struct store *s, const char *cursor,
	    int limit, json_t **out);
	enum tame_err (*customer_view)(struct store *s, int64_t id,
	    json_t **out);

	enum tame_err (*raw_add)(struct store *s, const struct raw_packed *p,
	    const char *mail_from, const char *rcpts, int64_t now,
	    int64_t *raw_id);
	enum tame_err (*raw_get)(struct store *s, int64_t raw_id,
	    struct buf *out);
	enum tame_err (*raw_count)(struct store *s, int64_t *n);
	enum tame_err (*message_original)(struct store *s, int64_t tid,
	    int64_t mid, int *sent, struct buf *out);
	enum tame_err (*message_html)(struct store *s, int64_t tid,
	    int64_t mid, struct buf *out);

	enum tame_err (*message_find)(struct store *s, const char *message_id,
	    int64_t *msg_id, int64_t *ticket_id, enum msg_direction *dir);
	enum tame_err (*message_to)(struct store *s, int64_t msg_id,
	    char **to_json);
	enum tame_err (*ticket_by_message_ids)(struct store *s,
	    const char *const *ids, size_t n, int64_t *ticket_id);
	enum tame_err (*ticket_ref)(struct store *s, int64_t ticket_id,
	    struct ticket_ref *out);
	enum tame_err (*participant_add)(struct store *s, int64_t ticket_id,
	    const char *email);
	enum tame_err (*participant_has)(struct store *s, int64_t ticket_id,
	    const char *email, int *yes);
	enum tame_err (*ticket_create)(struct store *s, int64_t mailbox_id,
	    int64_t customer_id, const char *subject, enum ticket_status status,
	    int unparsed, int64_t now, int64_t *id);
	enum tame_err (*ticket_link)(struct store *s, int64_t ticket_id,
	    int64_t previous_id);
	enum tame_err (*ticket_answers)(struct store *s,
	    const char *message_id, const char *from, const char *to_json,
	    const char *cc_json, struct store_answer *out, size_t max,
	    size_t *n);
	enum tame_err (*ticket_began)(struct store *s, int64_t ticket_id,
	    const char *subject, int64_t created_at);
	enum tame_err (*message_add)(struct store *s,
	    const struct message_new *m, int64_t *id);
	enum tame_err (*index_defer)(struct store *s, int defer);
	enum tame_err (*bulk_writer)(struct store *s);
	enum tame_err (*schema)(struct store *s, int *have, int *want);
	enum tame_err (*lazy_sync)(struct store *s);
	enum tame_err (*sync)(struct store *s);
	int (*settle)(struct store *s);
	enum tame_err (*index_pending)(struct store *s, int64_t max,
	    int64_t *left);
	enum tame_err (*attachment_add)(struct store *s, int64_t message_id,
	    const char *filename, const char *content_type,
	    const char *content_id, int is_inline, const void *data,
	    size_t len, int64_t *id);
	enum tame_err (*ticket_set_status)(struct store *s, int64_t ticket_id,
	    enum ticket_status st, int64_t now);
	enum tame_err (*ticket_leave_disabled)(struct store *s,
	    int64_t ticket_id, int64_t now);
	enum tame_err (*message_set_delivery)(struct store *s, int64_t msg_id,
	    enum delivery_state st, const char *error);
	enum tame_err (*event_add)(struct store *s, int64_t ticket_id,
	    int64_t actor_agent_id, const char *kind, json_t *data,
	    int64_t now);
	enum tame_err (*ack_allow)(struct store *s, int64_t mailbox_id,
	    const char *sender, int64_t now, int64_t window_ms, int *allowed);

	enum tame_err (*tickets_view)(struct store *s,
	    const struct ticket_query *q, json_t **out);
	enum tame_err (*tickets_view_text)(struct store *s,
	    const struct ticket_query *q, struct buf *out);
	enum tame_err (*ticket_view)(struct store *s, int64_t id,
	    json_t **out);
	enum tame_err (*reply_ctx)(struct store *s, int64_t ticket_id,
	    struct reply_ctx *out);
	enum tame_err (*ticket_update)(struct store *s, int64_t id,
	    const struct ticket_patch *p, int64_t now);
	enum tame_err (*attachment_get)(struct store *s, int64_t tid,
	    int64_t aid, char **filename, char **content_type,
	    struct buf *data);
	enum tame_err (*ticket_count)(struct store *s, int64_t *n);
	enum tame_err (*changes_after)(struct store *s, int64_t *ev_pos,
	    int64_t *msg_pos, struct store_change *out, size_t max,
	    size_t *n);

	enum tame_err (*outbox_add)(struct store *s, int64_t message_id,
	    int64_t ticket_id, const char *mail_from, const char *rcpts,
	    const char *mail_id, const char *raw, size_t len, int mass,
	    int64_t now, int64_t *id);
	enum tame_err (*outbox_ack_ticket)(struct store *s,
	    const char *mail_id, int64_t *ticket_id);
	enum tame_err (*outbox_waiting)(struct store *s, int64_t *queued,
	    int64_t *oldest_at);
	enum tame_err (*outbox_next)(struct store *s, int64_t now,
	    struct outbox_item *it, int64_t *next_due);
	enum tame_err (*outbox_sent)(struct store *s, int64_t id, int64_t now);
	enum tame_err (*outbox_unwait)(struct store *s, const char *prefix,
	    int64_t now);
	enum tame_err (*outbox_retry)(struct store *s, int64_t id,
	    int64_t next_at, const char *error, int tried);
	enum tame_err (*outbox_failed)(struct store *s, int64_t id,
	    const char *error);

	/* IMAP: store_imap.c seals and opens the password around these,
	 * so an engine only ever holds the sealed text. imap_set keeps
	 * the stored password when sealed is NULL. */
	enum tame_err (*imap_set)(struct store *s, const struct imap_conf *c,
	    const char *sealed, int64_t now);
	enum tame_err (*imap_delete)(struct store *s, int64_t mailbox_id);
	enum tame_err (*imap_get)(struct store *s, int64_t mailbox_id,
	    struct imap_conf *out, char **sealed);
	enum tame_err (*imap_list)(struct store *s,
	    struct store_imap_entry **out, size_t *n);
	enum tame_err (*imap_state_get)(struct store *s, int64_t mailbox_id,
	    const char *account, const char *folder, int64_t *uidvalidity,
	    int64_t *last_uid);
	enum tame_err (*imap_state_set)(struct store *s, int64_t mailbox_id,
	    const char *account, const char *folder, int64_t uidvalidity,
	    int64_t last_uid, int64_t imported, int64_t backlog, int64_t now);
	enum tame_err (*imap_status)(struct store *s, int64_t mailbox_id,
	    const char *error, const char *detail, int64_t now);
	enum tame_err (*imap_watch)(struct store *s, int64_t mailbox_id,
	    const char *watch);
	enum tame_err (*imap_view)(struct store *s, int64_t mailbox_id,
	    json_t **out);

	/* A mailbox's relay (store_relay.c seals around these). sealed
	 * NULL with keep = 1 keeps the stored password. relay_get by
	 * mailbox_id, or (mailbox_id 0) for ticket_id / mail_from. */
	enum tame_err (*relay_set)(struct store *s,
	    const struct relay_conf *c, const char *sealed, int keep,
	    int64_t now);
	enum tame_err (*relay_delete)(struct store *s, int64_t mailbox_id);
	enum tame_err (*relay_get)(struct store *s, int64_t mailbox_id,
	    int64_t ticket_id, const char *mail_from, struct relay_conf *out,
	    char **sealed);
	enum tame_err (*signature_get)(struct store *s, int64_t mailbox_id,
	    int64_t ticket_id, char **out);
	enum tame_err (*signature_set)(struct store *s, int64_t mailbox_id,
	    const char *text);

	/* Queue intelligence (store_intel.h); NULL: not supported. */
	const struct store_intel_ops *intel;
	/* The agents' desk (store_desk.h); NULL: not supported. */
	const struct store_desk_ops *desk;
	/* Tags across tickets (store_tags.h); NULL: not supported. */
	const struct store_tags_ops *tags;
};

/* The embedded default (store_sqlite.c). */
extern const struct store_backend store_backend_sqlite;

/* Records the last error text of s (printf-style, truncated to
 * STORE_ERRMSG_MAX). For backends and the dispatcher. */
void store_set_errmsg(struct store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
