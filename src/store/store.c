/*
 * store.c - the public store_* functions: argument checks common to every
 * engine, then a call through the connection's backend table.
 *
 * Model: like OpenSMTPD's queue.c in front of queue_fs.c / queue_proc.c,
 * this file knows no SQL. store_open() picks the engine (only SQLite
 * today; a "postgresql://" data directory will select the PostgreSQL
 * twin), and every later call goes through s->be. Checks that do not
 * depend on the engine (NULL outputs, list limits, field lengths,
 * savepoint names that end up inside SQL text) live here so both
 * backends refuse the same input with the same error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../tame_limits.h"
#include "../core/util.h"
#include "store_backend.h"

/* A required argument is missing: a bug in the caller, reported as
 * TAME_EINVAL rather than a crash. */
#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		store_set_errmsg(s, "%s: bad argument (%s)", __func__,	\
		    #cond);						\
		return TAME_EINVAL;					\
	}								\
} while (0)

/* Records the last error text of s. See store_backend.h. */
void
store_set_errmsg(struct store *s, const char *fmt, ...)
{
	va_list ap;

	if (!s)
		return;
	va_start(ap, fmt);
	if (vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap) < 0)
		s->errmsg[0] = '\0';
	va_end(ap);
}

/* Savepoint names are pasted into SQL text, so only short identifiers
 * are allowed. */
static enum tame_err
check_savepoint_name(struct store *s, const char *name)
{
	size_t i;

	if (!name || !name[0] || strlen(name) > 32)
		goto bad;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (!(c == '_' || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')))
			goto bad;
	}
	return TAME_OK;
bad:
	store_set_errmsg(s, "bad savepoint name");
	return TAME_EINVAL;
}

/* Short fields (emails, addresses) are bounded by TAME_FIELD_MAX. */
static enum tame_err
check_field(struct store *s, const char *what, const char *v)
{
	size_t n = strlen(v);

	if (n == 0) {
		store_set_errmsg(s, "empty %s", what);
		return TAME_EINVAL;
	}
	if (n > TAME_FIELD_MAX) {
		store_set_errmsg(s, "%s longer than %d bytes", what,
		    TAME_FIELD_MAX);
		return TAME_ETOOBIG;
	}
	return TAME_OK;
}

/* Opens a connection. Only the SQLite engine exists so far. See store.h. */
enum tame_err
store_open(const char *datadir, int migrate, struct store **out)
{
	enum tame_err rc;
	int n, fd;

	if (!datadir || !out)
		return TAME_EINVAL;
	*out = NULL;
	/* every user of the store holds DATA/store.lock shared, so a
	 * restore (store_restore, exclusive) never swaps the file under
	 * one; a directory that cannot hold it (read-only) is opened
	 * without */
	rc = store_lock_file(datadir, "store.lock", LOCK_SH, &fd);
	if (rc == TAME_EBUSY) {
		tame_log(TAME_LOG_WARN, "store: %s is being restored; try again "
		    "when that is done", datadir);
		return TAME_EBUSY;
	}
	if ((rc = store_backend_sqlite.open(datadir, migrate, out))) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	(*out)->lock_fd = fd;
	/* the key of sealed secrets lives there (store_secret.h) */
	n = snprintf((*out)->datadir, sizeof((*out)->datadir), "%s", datadir);
	if (n < 0 || (size_t)n >= sizeof((*out)->datadir))
		(*out)->datadir[0] = '\0';
	return TAME_OK;
}

/* See store.h. */
enum tame_err
store_file(const char *datadir, char *out, size_t n)
{
	int w = snprintf(out, n, "%s/tame.db", datadir);

	return w < 0 || (size_t)w >= n ? TAME_EINVAL : TAME_OK;
}

/* See store.h. */
int
store_exists(const char *datadir)
{
	char path[4096];
	struct stat st;

	if (store_file(datadir, path, sizeof(path)) != TAME_OK)
		return 0;
	if (stat(path, &st) == 0)
		return st.st_size > 0;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

/* See store.h. */
int
store_is_its_file(const char *datadir, const char *path)
{
	char db[4096];
	struct stat a, b;

	return store_file(datadir, db, sizeof(db)) == TAME_OK &&
	    stat(path, &a) == 0 && stat(db, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* See store.h. */
enum tame_err
store_lock_dir(const char *datadir, int *fd)
{
	return store_lock_file(datadir, "tamed.lock", LOCK_EX, fd);
}

/* See store.h. */
int
store_give_to_owner(const char *datadir, int fd)
{
	struct stat st;

	if (geteuid() != 0 || stat(datadir, &st) != 0 || st.st_uid == 0)
		return 0;
	return fchown(fd, st.st_uid, st.st_gid);
}

/* See store.h. */
enum tame_err
store_lock_file(const char *datadir, const char *name, int how, int *fd)
{
	char path[4096];
	int e;

	*fd = -1;
	if (snprintf(path, sizeof(path), "%s/%s", datadir, name) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return TAME_EIO;
	}
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return TAME_EIO;
	(void)store_give_to_owner(datadir, *fd);
	if (flock(*fd, how | LOCK_NB) == 0)
		return TAME_OK;
	e = errno;
	close(*fd);
	*fd = -1;
	errno = e;
	return e == EWOULDBLOCK ? TAME_EBUSY : TAME_EIO;
}

/* Closes s and frees it; NULL is allowed. */
void
store_close(struct store *s)
{
	int fd;

	if (!s)
		return;
	fd = s->lock_fd;
	s->be->close(s);
	if (fd >= 0)
		close(fd);
}

/* Last error text of s; owned by s. */
const char *
store_errmsg(struct store *s)
{
	if (!s)
		return "no store";
	return s->errmsg[0] ? s->errmsg : "no error";
}

/* Frees the strings of c and zeroes it. */
void
store_reply_ctx_clear(struct reply_ctx *c)
{
	if (!c)
		return;
	free(c->subject);
	free(c->mailbox_address);
	free(c->mailbox_name);
	free(c->customer_email);
	free(c->customer_name);
	free(c->last_message_id);
	free(c->references);
	memset(c, 0, sizeof(*c));
}

/* Frees the strings and the buffer of it and zeroes it. */
void
store_outbox_item_clear(struct outbox_item *it)
{
	if (!it)
		return;
	free(it->mail_from);
	free(it->rcpts);
	buf_free(&it->raw);
	memset(it, 0, sizeof(*it));
}

/* ---- connection, schema, transactions (see store.h for each contract) ---- */

enum tame_err
store_begin(struct store *s)
{
	return s->be->begin(s);
}

enum tame_err
store_read_begin(struct store *s)
{
	return s->be->read_begin(s);
}

enum tame_err
store_read_end(struct store *s)
{
	return s->be->read_end(s);
}

enum tame_err
store_commit(struct store *s)
{
	return s->be->commit(s);
}

enum tame_err
store_rollback(struct store *s)
{
	return s->be->rollback(s);
}

enum tame_err
store_savepoint(struct store *s, const char *name)
{
	enum tame_err rc;

	if ((rc = check_savepoint_name(s, name)))
		return rc;
	return s->be->savepoint(s, name);
}

enum tame_err
store_release(struct store *s, const char *name)
{
	enum tame_err rc;

	if ((rc = check_savepoint_name(s, name)))
		return rc;
	return s->be->release(s, name);
}

enum tame_err
store_rollback_to(struct store *s, const char *name)
{
	enum tame_err rc;

	if ((rc = check_savepoint_name(s, name)))
		return rc;
	return s->be->rollback_to(s, name);
}

enum tame_err
store_backup(struct store *s, const char *path)
{
	REQUIRE(path);
	return s->be->backup(s, path);
}

enum tame_err
store_export_json(struct store *s, FILE *f)
{
	REQUIRE(f);
	return s->be->export_json(s, f);
}

/* ---- agents, tokens, sessions (see store.h for each contract) ---- */

/* name cleaned (agent_name_clean) into *out (caller frees) for agent
 * id (0: a new one): TAME_EINVAL when nothing visible is left,
 * TAME_ETOOBIG when it grew past TAME_FIELD_MAX, TAME_ECONFLICT when
 * an enabled agent other than id is called so already (agent_name_same),
 * each with a message for the person who chose it. Run in the
 * transaction that writes it, so two cannot take one name at once. */
static enum tame_err
agent_name_take(struct store *s, int64_t id, const char *name, char **out)
{
	json_t *view = NULL, *a;
	const char *other;
	enum tame_err rc;
	size_t i;

	if (!(*out = agent_name_clean(name))) {
		if (tame_utf8_valid(name))
			return TAME_ENOMEM;
		store_set_errmsg(s, "the name is not UTF-8");
		return TAME_EINVAL;
	}
	if (!**out) {
		store_set_errmsg(s, "the name must not be empty (invisible "
		    "characters and bidi controls are left out of names)");
		rc = TAME_EINVAL;
		goto out;
	}
	if ((rc = check_field(s, "name", *out)) ||
	    (rc = s->be->agents_view(s, &view)))
		goto out;
	json_array_foreach(json_object_get(view, "agents"), i, a) {
		other = json_string_value(json_object_get(a, "name"));
		if (json_integer_value(json_object_get(a, "id")) == id ||
		    json_is_true(json_object_get(a, "disabled")) || !other ||
		    !agent_name_same(other, *out))
			continue;
		store_set_errmsg(s, "another agent is called \"%s\" already; "
		    "add an initial or a second name so that the team can "
		    "tell the two apart", other);
		rc = TAME_ECONFLICT;
		break;
	}
out:
	json_decref(view);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* TAME_EINVAL (with a message) when email cannot be a new agent's: see
 * agent_email_problem, and a mailbox's address, whose mail tamed takes
 * for the desk's own; TAME_EEXIST when an agent has it. */
static enum tame_err
agent_email_check(struct store *s, const char *email)
{
	struct mailbox mb = { 0 };
	struct agent a = { 0 };
	const char *why;
	enum tame_err rc;

	if ((why = agent_email_problem(email))) {
		store_set_errmsg(s, "%s is not an email address: %s", email,
		    why);
		return TAME_EINVAL;
	}
	/* taken: said before anything about the name */
	rc = s->be->agent_by_email(s, email, &a);
	agent_clear(&a);
	if (rc != TAME_ENOTFOUND)
		return rc == TAME_OK ? TAME_EEXIST : rc;
	rc = s->be->mailbox_by_address(s, email, &mb);
	mailbox_clear(&mb);
	if (rc == TAME_OK) {
		store_set_errmsg(s, "%s is the address of a mailbox of this "
		    "desk; an agent needs an address of their own (mail from "
		    "a mailbox's address is taken for the desk's own)", email);
		return TAME_EINVAL;
	}
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

enum tame_err
store_agent_create(struct store *s, const char *email, const char *name,
    enum agent_role role, const char *pw_hash, int64_t now, int64_t *id)
{
	enum tame_err rc;
	char *clean = NULL;

	REQUIRE(email);
	REQUIRE(name);
	REQUIRE(id);
	if ((rc = check_field(s, "email", email)) ||
	    (rc = agent_email_check(s, email)) ||
	    (rc = agent_name_take(s, 0, name, &clean)))
		return rc;
	rc = s->be->agent_create(s, email, clean, role, pw_hash, now, id);
	free(clean);
	return rc;
}

enum tame_err
store_agent_get(struct store *s, int64_t id, struct agent *out)
{
	REQUIRE(out);
	return s->be->agent_get(s, id, out);
}

enum tame_err
store_agent_by_email(struct store *s, const char *email, struct agent *out)
{
	REQUIRE(email);
	REQUIRE(out);
	return s->be->agent_by_email(s, email, out);
}

enum tame_err
store_agent_set_email(struct store *s, int64_t id, const char *email)
{
	struct agent a = { 0 };
	enum tame_err rc;
	int same;

	REQUIRE(email);
	if ((rc = check_field(s, "email", email)))
		return rc;
	rc = s->be->agent_by_email(s, email, &a);
	same = rc == TAME_OK && a.id == id;
	agent_clear(&a);
	if (rc == TAME_OK && !same)
		return TAME_EEXIST;
	if (rc != TAME_OK && rc != TAME_ENOTFOUND)
		return rc;
	if (!same && (rc = agent_email_check(s, email)))
		return rc;
	return s->be->agent_set_email(s, id, email);
}

enum tame_err
store_agent_name_free(struct store *s, int64_t id)
{
	struct agent cur = { 0 };
	enum tame_err rc;
	char *clean = NULL;

	/* an agent enabled already keeps the name they have */
	if ((rc = s->be->agent_get(s, id, &cur)) == TAME_OK && cur.name &&
	    cur.disabled &&
	    (rc = agent_name_take(s, id, cur.name, &clean)) == TAME_EINVAL)
		rc = TAME_OK;	/* a name from before names were cleaned */
	free(clean);
	agent_clear(&cur);
	return rc;
}

enum tame_err
store_agent_update(struct store *s, int64_t id, const char *name, int role,
    const char *pw_hash, int disabled)
{
	struct agent cur = { 0 };
	enum tame_err rc;
	char *clean = NULL;

	if (!name)
		return s->be->agent_update(s, id, NULL, role, pw_hash,
		    disabled);
	/* a name kept as it is needs no check: two agents called alike
	 * before names were checked can still save their profiles */
	if ((rc = s->be->agent_get(s, id, &cur)))
		return rc;
	if (!(clean = agent_name_clean(name)) || !cur.name ||
	    strcmp(clean, cur.name) != 0) {
		free(clean);
		if ((rc = agent_name_take(s, id, name, &clean)))
			goto out;
	}
	rc = s->be->agent_update(s, id, clean, role, pw_hash, disabled);
out:
	free(clean);
	agent_clear(&cur);
	return rc;
}

enum tame_err
store_agents_view(struct store *s, json_t **out)
{
	REQUIRE(out);
	return s->be->agents_view(s, out);
}

enum tame_err
store_agent_view(struct store *s, int64_t id, json_t **out)
{
	REQUIRE(out);
	return s->be->agent_view(s, id, out);
}

enum tame_err
store_token_add(struct store *s, int64_t agent_id, const char *token_hash,
    int64_t now, int64_t *id)
{
	REQUIRE(token_hash);
	REQUIRE(id);
	return s->be->token_add(s, agent_id, token_hash, now, id);
}

enum tame_err
store_tokens_revoke(struct store *s, int64_t agent_id, int64_t *n)
{
	REQUIRE(n);
	return s->be->tokens_revoke(s, agent_id, n);
}

enum tame_err
store_token_lookup(struct store *s, const char *token_hash, int64_t *agent_id)
{
	REQUIRE(token_hash);
	REQUIRE(agent_id);
	return s->be->token_lookup(s, token_hash, agent_id);
}

enum tame_err
store_session_add(struct store *s, const char *id_hash, int64_t agent_id,
    const char *csrf, int64_t now, int64_t expires_at)
{
	REQUIRE(id_hash);
	REQUIRE(csrf);
	return s->be->session_add(s, id_hash, agent_id, csrf, now, expires_at);
}

enum tame_err
store_session_lookup(struct store *s, const char *id_hash, int64_t now,
    int64_t *agent_id, char **csrf)
{
	REQUIRE(id_hash);
	REQUIRE(agent_id);
	REQUIRE(csrf);
	return s->be->session_lookup(s, id_hash, now, agent_id, csrf);
}

enum tame_err
store_session_delete(struct store *s, const char *id_hash)
{
	REQUIRE(id_hash);
	return s->be->session_delete(s, id_hash);
}

/* ---- mailboxes (see store.h for each contract) ---- */

enum tame_err
store_mailbox_create(struct store *s, const char *address, const char *name,
    int64_t now, int64_t *id)
{
	enum tame_err rc;

	REQUIRE(address);
	REQUIRE(id);
	if ((rc = check_field(s, "address", address)))
		return rc;
	return s->be->mailbox_create(s, address, name, now, id);
}

enum tame_err
store_mailbox_by_address(struct store *s, const char *address,
    struct mailbox *out)
{
	REQUIRE(address);
	REQUIRE(out);
	return s->be->mailbox_by_address(s, address, out);
}

enum tame_err
store_mailbox_get(struct store *s, int64_t id, struct mailbox *out)
{
	REQUIRE(out);
	return s->be->mailbox_get(s, id, out);
}

enum tame_err
store_mailbox_first(struct store *s, struct mailbox *out)
{
	REQUIRE(out);
	return s->be->mailbox_first(s, out);
}

enum tame_err
store_mailbox_update(struct store *s, int64_t id, const char *name,
    int ack_enabled, const char *ack_template)
{
	return s->be->mailbox_update(s, id, name, ack_enabled, ack_template);
}

enum tame_err
store_mailboxes_view(struct store *s, json_t **out)
{
	REQUIRE(out);
	return s->be->mailboxes_view(s, out);
}

enum tame_err
store_mailbox_view(struct store *s, int64_t id, json_t **out)
{
	REQUIRE(out);
	return s->be->mailbox_view(s, id, out);
}

enum tame_err
store_mailbox_count(struct store *s, int64_t *n)
{
	REQUIRE(n);
	return s->be->mailbox_count(s, n);
}

/* ---- customers (see store.h for each contract) ---- */

enum tame_err
store_customer_by_email(struct store *s, const char *email, int64_t *id)
{
	REQUIRE(email);
	REQUIRE(id);
	return s->be->customer_by_email(s, email, id);
}

enum tame_err
store_customer_upsert(struct store *s, const char *email, const char *name,
    int64_t now, int64_t *id)
{
	enum tame_err rc;

	REQUIRE(email);
	REQUIRE(id);
	if ((rc = check_field(s, "email", email)))
		return rc;
	return s->be->customer_upsert(s, email, name, now, id);
}

enum tame_err
store_customer_create(struct store *s, const char *email, const char *name,
    const char *organization, int64_t now, int64_t *id)
{
	enum tame_err rc;

	REQUIRE(email);
	REQUIRE(id);
	if ((rc = check_field(s, "email", email)))
		return rc;
	return s->be->customer_create(s, email, name, organization, now, id);
}

enum tame_err
store_customer_update(struct store *s, int64_t id, const char *name,
    const char *organization)
{
	return s->be->customer_update(s, id, name, organization);
}

enum tame_err
store_customers_view(struct store *s, const char *cursor, int limit,
    json_t **out)
{
	REQUIRE(out);
	if (limit < 1 || limit > TAME_LIST_LIMIT_MAX) {
		store_set_errmsg(s, "limit out of range");
		return TAME_EINVAL;
	}
	return s->be->customers_view(s, cursor, limit, out);
}

enum tame_err
store_customer_view(struct store *s, int64_t id, json_t **out)
{
	REQUIRE(out);
	return s->be->customer_view(s, id, out);
}

/* ---- raw messages (see store.h for each contract) ---- */

enum tame_err
store_raw_add(struct store *s, const char *data, size_t len,
    const char *mail_from, const char *rcpts, int64_t now, int64_t *raw_id)
{
	struct raw_packed p;
	enum tame_err rc;

	REQUIRE(data || len == 0);
	REQUIRE(raw_id);
	if ((rc = store_raw_pack(data, len, &p)))
		return rc;
	rc = s->be->raw_add(s, &p, mail_from, rcpts, now, raw_id);
	store_raw_packed_free(&p);
	return rc;
}

enum tame_err
store_raw_add_packed(struct store *s, const struct raw_packed *p,
    const char *mail_from, const char *rcpts, int64_t now, int64_t *raw_id)
{
	REQUIRE(p);
	REQUIRE(p->data || p->len == 0);
	REQUIRE(raw_id);
	return s->be->raw_add(s, p, mail_from, rcpts, now, raw_id);
}

enum tame_err
store_raw_get(struct store *s, int64_t raw_id, struct buf *out)
{
	REQUIRE(out);
	return s->be->raw_get(s, raw_id, out);
}

enum tame_err
store_raw_count(struct store *s, int64_t *n)
{
	REQUIRE(n);
	return s->be->raw_count(s, n);
}

/* ---- the ingest path (see store.h for each contract) ---- */

enum tame_err
store_message_find(struct store *s, const char *message_id, int64_t *msg_id,
    int64_t *ticket_id, enum msg_direction *dir)
{
	REQUIRE(message_id);
	return s->be->message_find(s, message_id, msg_id, ticket_id, dir);
}

enum tame_err
store_message_to(struct store *s, int64_t msg_id, char **to_json)
{
	REQUIRE(to_json);
	*to_json = NULL;
	return s->be->message_to(s, msg_id, to_json);
}

enum tame_err
store_ticket_by_message_ids(struct store *s, const char *const *ids, size_t n,
    int64_t *ticket_id)
{
	REQUIRE(ids || n == 0);
	REQUIRE(ticket_id);
	return s->be->ticket_by_message_ids(s, ids, n, ticket_id);
}

enum tame_err
store_ticket_ref(struct store *s, int64_t ticket_id, struct ticket_ref *out)
{
	REQUIRE(out);
	return s->be->ticket_ref(s, ticket_id, out);
}

enum tame_err
store_participant_add(struct store *s, int64_t ticket_id, const char *email)
{
	REQUIRE(email);
	return s->be->participant_add(s, ticket_id, email);
}

enum tame_err
store_participant_has(struct store *s, int64_t ticket_id, const char *email,
    int *yes)
{
	REQUIRE(email);
	REQUIRE(yes);
	return s->be->participant_has(s, ticket_id, email, yes);
}

enum tame_err
store_ticket_create(struct store *s, int64_t mailbox_id, int64_t customer_id,
    const char *subject, enum ticket_status status, int unparsed, int64_t now,
    int64_t *id)
{
	REQUIRE(id);
	REQUIRE((unsigned)status < TICKET_STATUS_COUNT);
	return s->be->ticket_create(s, mailbox_id, customer_id, subject, status,
	    unparsed, now, id);
}

enum tame_err
store_ticket_link(struct store *s, int64_t ticket_id, int64_t previous_id)
{
	return s->be->ticket_link(s, ticket_id, previous_id);
}

enum tame_err
store_ticket_answers(struct store *s, const char *message_id,
    const char *from, const char *to_json, const char *cc_json,
    struct store_answer *out, size_t max, size_t *n)
{
	REQUIRE(n);
	*n = 0;
	REQUIRE(out || max == 0);
	if (!message_id || !*message_id || max == 0)
		return TAME_OK;
	return s->be->ticket_answers(s, message_id, from, to_json, cc_json,
	    out, max, n);
}

enum tame_err
store_ticket_began(struct store *s, int64_t ticket_id, const char *subject,
    int64_t created_at)
{
	return s->be->ticket_began(s, ticket_id, subject, created_at);
}

enum tame_err
store_message_add(struct store *s, const struct message_new *m, int64_t *id)
{
	REQUIRE(m);
	REQUIRE(m->ticket_id > 0);
	return s->be->message_add(s, m, id);
}

enum tame_err
store_index_defer(struct store *s, int defer)
{
	return s->be->index_defer(s, defer != 0);
}

enum tame_err
store_bulk_writer(struct store *s)
{
	return s->be->bulk_writer(s);
}

enum tame_err
store_schema(struct store *s, int *have, int *want)
{
	return s->be->schema(s, have, want);
}

enum tame_err
store_lazy_sync(struct store *s)
{
	return s->be->lazy_sync(s);
}

enum tame_err
store_sync(struct store *s)
{
	return s->be->sync(s);
}

int
store_settle(struct store *s)
{
	return s->be->settle(s);
}

enum tame_err
store_index_pending(struct store *s, int64_t max, int64_t *left)
{
	REQUIRE(max >= 0);
	return s->be->index_pending(s, max, left);
}

enum tame_err
store_attachment_add(struct store *s, int64_t message_id, const char *filename,
    const char *content_type, const char *content_id, int is_inline,
    const void *data, size_t len, int64_t *id)
{
	REQUIRE(data || len == 0);
	return s->be->attachment_add(s, message_id, filename, content_type,
	    content_id, is_inline, data, len, id);
}

enum tame_err
store_ticket_set_status(struct store *s, int64_t ticket_id,
    enum ticket_status st, int64_t now)
{
	REQUIRE((unsigned)st < TICKET_STATUS_COUNT);
	return s->be->ticket_set_status(s, ticket_id, st, now);
}

enum tame_err
store_ticket_leave_disabled(struct store *s, int64_t ticket_id, int64_t now)
{
	return s->be->ticket_leave_disabled(s, ticket_id, now);
}

enum tame_err
store_message_set_delivery(struct store *s, int64_t msg_id,
    enum delivery_state st, const char *error)
{
	REQUIRE((unsigned)st <= DELIVERY_FAILED);
	return s->be->message_set_delivery(s, msg_id, st, error);
}

enum tame_err
store_event_add(struct store *s, int64_t ticket_id, int64_t actor_agent_id,
    const char *kind, json_t *data, int64_t now)
{
	REQUIRE(kind);
	return s->be->event_add(s, ticket_id, actor_agent_id, kind, data, now);
}

enum tame_err
store_ack_allow(struct store *s, int64_t mailbox_id, const char *sender,
    int64_t now, int64_t window_ms, int *allowed)
{
	REQUIRE(sender);
	REQUIRE(allowed);
	return s->be->ack_allow(s, mailbox_id, sender, now, window_ms,
	    allowed);
}

/* ---- tickets: the API (see store.h for each contract) ---- */

enum tame_err
store_tickets_view(struct store *s, const struct ticket_query *q, json_t **out)
{
	REQUIRE(q);
	REQUIRE(out);
	if (q->limit < 1 || q->limit > TAME_LIST_LIMIT_MAX) {
		store_set_errmsg(s, "limit out of range");
		return TAME_EINVAL;
	}
	return s->be->tickets_view(s, q, out);
}

enum tame_err
store_tickets_view_text(struct store *s, const struct ticket_query *q,
    struct buf *out)
{
	REQUIRE(q);
	REQUIRE(out);
	if (q->limit < 1 || q->limit > TAME_LIST_LIMIT_MAX) {
		store_set_errmsg(s, "limit out of range");
		return TAME_EINVAL;
	}
	return s->be->tickets_view_text(s, q, out);
}

enum tame_err
store_ticket_view(struct store *s, int64_t id, json_t **out)
{
	REQUIRE(out);
	return s->be->ticket_view(s, id, out);
}

enum tame_err
store_reply_ctx(struct store *s, int64_t ticket_id, struct reply_ctx *out)
{
	REQUIRE(out);
	return s->be->reply_ctx(s, ticket_id, out);
}

enum tame_err
store_ticket_update(struct store *s, int64_t id, const struct ticket_patch *p,
    int64_t now)
{
	REQUIRE(p);
	return s->be->ticket_update(s, id, p, now);
}

enum tame_err
store_attachment_get(struct store *s, int64_t tid, int64_t aid,
    char **filename, char **content_type, struct buf *data)
{
	REQUIRE(filename);
	REQUIRE(content_type);
	REQUIRE(data);
	return s->be->attachment_get(s, tid, aid, filename, content_type,
	    data);
}

enum tame_err
store_ticket_count(struct store *s, int64_t *n)
{
	REQUIRE(n);
	return s->be->ticket_count(s, n);
}

enum tame_err
store_changes_after(struct store *s, int64_t *ev_pos, int64_t *msg_pos,
    struct store_change *out, size_t max, size_t *n)
{
	REQUIRE(ev_pos && msg_pos);
	REQUIRE(out || max == 0);
	REQUIRE(n);
	return s->be->changes_after(s, ev_pos, msg_pos, out, max, n);
}

/* ---- outbox (see store.h for each contract) ---- */

enum tame_err
store_outbox_add(struct store *s, int64_t message_id, int64_t ticket_id,
    const char *mail_from, const char *rcpts, const char *mail_id,
    const char *raw, size_t len, int mass, int64_t now, int64_t *id)
{
	REQUIRE(mail_from);
	REQUIRE(rcpts);
	REQUIRE(raw || len == 0);
	REQUIRE(id);
	return s->be->outbox_add(s, message_id, ticket_id, mail_from, rcpts,
	    mail_id, raw, len, mass, now, id);
}

enum tame_err
store_outbox_ack_ticket(struct store *s, const char *mail_id,
    int64_t *ticket_id)
{
	REQUIRE(mail_id);
	REQUIRE(ticket_id);
	return s->be->outbox_ack_ticket(s, mail_id, ticket_id);
}

enum tame_err
store_outbox_waiting(struct store *s, int64_t *queued, int64_t *oldest_at)
{
	REQUIRE(queued);
	REQUIRE(oldest_at);
	return s->be->outbox_waiting(s, queued, oldest_at);
}

enum tame_err
store_outbox_next(struct store *s, int64_t now, struct outbox_item *it,
    int64_t *next_due)
{
	REQUIRE(it);
	return s->be->outbox_next(s, now, it, next_due);
}

enum tame_err
store_outbox_sent(struct store *s, int64_t id, int64_t now)
{
	return s->be->outbox_sent(s, id, now);
}

enum tame_err
store_outbox_unwait(struct store *s, const char *prefix, int64_t now)
{
	REQUIRE(prefix);
	return s->be->outbox_unwait(s, prefix, now);
}

enum tame_err
store_outbox_retry(struct store *s, int64_t id, int64_t next_at,
    const char *error, int tried)
{
	return s->be->outbox_retry(s, id, next_at, error, tried);
}

enum tame_err
store_outbox_failed(struct store *s, int64_t id, const char *error)
{
	return s->be->outbox_failed(s, id, error);
}
