/*
 * http_admin.c - customers, agents and mailboxes over the API. See
 * http_admin.h and docs/API.md.
 *
 * Model: thin translation between JSON bodies (checked field by field
 * with json_body_check) and the store. Passwords are hashed here with
 * argon2id and never leave the store; views never include them.
 * Addresses are checked with the same rule the mail side uses
 * (reply_addr_valid), so that an address accepted here can be written
 * into a mail header later without surprises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_admin.h"
#include "http_avatar.h"
#include "http_imap.h"
#include "http_presence.h"
#include "http_relay.h"
#include "http_profile.h"
#include "json_body.h"
#include "../core/auth.h"
#include "../core/util.h"
#include "../mail/reply.h"
#include "../store/store_desk.h"
#include "../tame_limits.h"

/* Shortest password an agent may set, in characters. */
#define PASSWORD_MIN 8
/* Longest password accepted, in bytes; argon2id needs no more. */
#define PASSWORD_MAX 1024
/* Longest acknowledgement template, in bytes. */
#define ACK_TEMPLATE_MAX (64 * 1024)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const customer_cols[] = {
	"id", "email", "name", "organization", "ticket_count", "created_at",
};
static const char *const agent_cols[] = {
	"id", "email", "name", "role", "disabled", "created_at",
};
static const char *const mailbox_cols[] = {
	"id", "address", "name", "ack_enabled", "ack_template", "created_at",
};

/* Reads and checks the body against fields. NULL after answering. */
static json_t *
read_checked(struct http_ctx *c, const struct json_field *fields, size_t n)
{
	struct json_body_err err;
	json_t *body;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return NULL;
	if (json_body_check(body, fields, n, &err)) {
		http_body_error(c, &err);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* 0 if field key of body is absent or not blank (json_body_blank: an
 * invisible character is blank too); -1 after answering. */
static int
not_blank(struct http_ctx *c, const json_t *body, const char *key)
{
	const char *s = json_body_str(body, key);

	if (!s || !json_body_blank(s))
		return 0;
	http_error(c, 400, "invalid_field", "field \"%s\" must not be empty",
	    key);
	return -1;
}

/* 0 if field key is absent or an address; -1 after answering. */
static int
check_addr(struct http_ctx *c, const json_t *body, const char *key)
{
	const char *s = json_body_str(body, key);

	if (!s || reply_addr_valid(s))
		return 0;
	http_error(c, 400, "invalid_field",
	    "field \"%s\" is not an email address", key);
	return -1;
}

/* Answers status with view(id) of one object. */
static void
answer_view(struct http_ctx *c, int status, int64_t id, const char *what,
    enum tame_err (*view)(struct store *, int64_t, json_t **))
{
	json_t *j = NULL;
	enum tame_err rc;

	if ((rc = view(c->store, id, &j))) {
		http_store_error(c, rc, what);
		return;
	}
	http_json(c, status, j);
}

/* ---- customers ---- */

void
http_admin_customers_list(struct http_ctx *c)
{
	const char *cursor;
	json_t *view = NULL;
	enum tame_err rc;
	int csv, limit;

	if ((csv = http_want_csv(c)) < 0 || http_query_page(c, &limit, &cursor))
		return;
	rc = store_customers_view(c->store, cursor, limit, &view);
	if (rc == TAME_EINVAL) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"cursor\" is not a cursor from this API");
		return;
	}
	if (rc) {
		http_store_error(c, rc, "customers");
		return;
	}
	http_list(c, view, csv, "customers", customer_cols,
	    NELEM(customer_cols));
}

void
http_admin_customer_get(struct http_ctx *c)
{
	answer_view(c, 200, c->id[0], "customer", store_customer_view);
}

void
http_admin_customer_create(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "email", JF_LINE, 1, TAME_FIELD_MAX },
		{ "name", JF_LINE, 0, TAME_FIELD_MAX },
		{ "organization", JF_LINE, 0, TAME_FIELD_MAX },
	};
	json_t *body;
	int64_t id = 0;
	enum tame_err rc;

	if (!http_require_admin(c) ||
	    !(body = read_checked(c, fields, NELEM(fields))))
		return;
	if (check_addr(c, body, "email"))
		goto out;
	rc = store_customer_create(c->store, json_body_str(body, "email"),
	    json_body_str(body, "name"), json_body_str(body, "organization"),
	    tame_now_ms(), &id);
	if (rc) {
		http_store_error(c, rc, "customer with this email");
		goto out;
	}
	answer_view(c, 201, id, "customer", store_customer_view);
out:
	json_decref(body);
}

void
http_admin_customer_patch(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "name", JF_LINE, 0, TAME_FIELD_MAX },
		{ "organization", JF_LINE, 0, TAME_FIELD_MAX },
	};
	json_t *body, *cur = NULL;
	enum tame_err rc;

	if (!http_require_admin(c) ||
	    !(body = read_checked(c, fields, NELEM(fields))))
		return;
	/* 404 before anything else for an unknown customer. */
	if ((rc = store_customer_view(c->store, c->id[0], &cur))) {
		http_store_error(c, rc, "customer");
		goto out;
	}
	rc = store_customer_update(c->store, c->id[0],
	    json_body_str(body, "name"), json_body_str(body, "organization"));
	if (rc) {
		http_store_error(c, rc, "customer");
		goto out;
	}
	answer_view(c, 200, c->id[0], "customer", store_customer_view);
out:
	json_decref(cur);
	json_decref(body);
}

/* ---- agents ---- */

void
http_admin_agents_list(struct http_ctx *c)
{
	json_t *view = NULL;
	enum tame_err rc;
	int csv;

	if ((csv = http_want_csv(c)) < 0)
		return;
	if ((rc = store_agents_view(c->store, &view)) ||
	    (rc = http_avatar_add_urls(c->store,
	    json_object_get(view, "agents")))) {
		json_decref(view);
		http_store_error(c, rc, "agents");
		return;
	}
	http_list(c, view, csv, "agents", agent_cols, NELEM(agent_cols));
}

/* The agent id of the path: /agents/me is the caller. */
static int64_t
agent_path_id(const struct http_ctx *c)
{
	return c->id[0] ? c->id[0] : c->agent.id;
}

void
http_admin_agent_get(struct http_ctx *c)
{
	answer_view(c, 200, agent_path_id(c), "agent",
	    http_profile_agent_view);
}

/* Answers rc of writing an agent: the store's own words for what a
 * person chose (a name taken or invisible, an address that cannot be
 * an agent's), http_store_error's otherwise. */
static void
agent_write_error(struct http_ctx *c, enum tame_err rc, const char *what)
{
	if (rc == TAME_ECONFLICT)
		http_error(c, 409, "conflict", "%s", store_errmsg(c->store));
	else if (rc == TAME_EINVAL || rc == TAME_ETOOBIG)
		http_error(c, 400, "invalid_field", "%s",
		    store_errmsg(c->store));
	else
		http_store_error(c, rc, what);
}

/* Number of UTF-8 characters in s (bytes that do not continue one). */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Hashes field "password" of body into out when present. 0 (with *has
 * set), or -1 after answering. */
static int
hash_password(struct http_ctx *c, const json_t *body,
    char out[AUTH_PWHASH_MAX], int *has)
{
	const char *pw = json_body_str(body, "password");
	enum tame_err rc;

	*has = 0;
	if (!pw)
		return 0;
	if (utf8_chars(pw) < PASSWORD_MIN) {
		http_error(c, 400, "invalid_field", "field \"password\" must "
		    "have at least %d characters", PASSWORD_MIN);
		return -1;
	}
	if ((rc = auth_password_hash(pw, out))) {
		http_store_error(c, rc, "password hash");
		return -1;
	}
	*has = 1;
	return 0;
}

/* Parses field "role" of body into *role (-1 when absent). 0, or -1
 * after answering. */
static int
parse_role(struct http_ctx *c, const json_t *body, int *role)
{
	const char *s = json_body_str(body, "role");
	enum agent_role r;

	*role = -1;
	if (!s)
		return 0;
	if (agent_role_parse(s, &r)) {
		http_error(c, 400, "invalid_field",
		    "field \"role\" must be agent or admin");
		return -1;
	}
	*role = (int)r;
	return 0;
}

void
http_admin_agent_create(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "email", JF_LINE, 1, TAME_FIELD_MAX },
		{ "name", JF_LINE, 1, TAME_FIELD_MAX },
		{ "role", JF_LINE, 0, 16 },
		{ "password", JF_TEXT, 1, PASSWORD_MAX },
	};
	char hash[AUTH_PWHASH_MAX];
	json_t *body;
	int64_t id = 0;
	int role, has_pw;
	enum tame_err rc;

	if (!http_require_admin(c) ||
	    !(body = read_checked(c, fields, NELEM(fields))))
		return;
	if (check_addr(c, body, "email") || not_blank(c, body, "name") ||
	    parse_role(c, body, &role) ||
	    hash_password(c, body, hash, &has_pw))
		goto out;
	if ((rc = store_begin(c->store)))
		goto fail;
	if ((rc = store_agent_create(c->store, json_body_str(body, "email"),
	    json_body_str(body, "name"),
	    role < 0 ? ROLE_AGENT : (enum agent_role)role, hash,
	    tame_now_ms(), &id)) || (rc = store_commit(c->store))) {
		store_rollback(c->store);
		goto fail;
	}
	answer_view(c, 201, id, "agent", store_agent_view);
	goto out;
fail:
	agent_write_error(c, rc, "agent with this email");
out:
	json_decref(body);
}

void
http_admin_agent_patch(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "name", JF_LINE, 0, TAME_FIELD_MAX },
		{ "email", JF_LINE, 0, TAME_FIELD_MAX },
		{ "role", JF_LINE, 0, 16 },
		{ "password", JF_TEXT, 0, PASSWORD_MAX },
		{ "current", JF_TEXT, 0, PASSWORD_MAX },
		{ "disabled", JF_BOOL, 0, 0 },
		/* the profile (http_profile.c) */
		{ "signature", JF_TEXT, 0, TAME_SIGNATURE_MAX },
		{ "notify_mentions", JF_BOOL, 0, 0 },
		{ "notify_follows", JF_BOOL, 0, 0 },
		{ "notify_assigned", JF_BOOL, 0, 0 },
	};
	char hash[AUTH_PWHASH_MAX];
	struct agent target = { 0 };
	int64_t id = agent_path_id(c), now = tame_now_ms(), unassigned = 0;
	json_t *body, *dis, *view = NULL;
	const char *email = NULL;
	int role, has_pw, disabled = -1, self = id == c->agent.id;
	enum tame_err rc;

	if (!self && !http_require_admin(c))
		return;
	if (!(body = read_checked(c, fields, NELEM(fields))))
		return;
	if ((dis = json_object_get(body, "disabled")))
		disabled = json_is_true(dis);
	email = json_body_str(body, "email");
	if (parse_role(c, body, &role) || not_blank(c, body, "name") ||
	    (email && check_addr(c, body, "email")))
		goto out;
	if (c->agent.role != ROLE_ADMIN && (role >= 0 || disabled >= 0 ||
	    email)) {
		http_error(c, 403, "forbidden", "only an admin may change "
		    "roles, addresses or disable accounts");
		goto out;
	}
	if (self && (disabled == 1 || (role >= 0 && role != ROLE_ADMIN &&
	    c->agent.role == ROLE_ADMIN))) {
		http_error(c, 409, "conflict", "you cannot disable yourself "
		    "or give up your own admin role");
		goto out;
	}
	if ((rc = store_agent_get(c->store, id, &target))) {
		http_store_error(c, rc, "agent");
		goto out;
	}
	/* one's own password only with the current one, as POST
	 * /session/password: a stolen session or token is not enough */
	if (self && json_object_get(body, "password") &&
	    http_profile_check_current(c, json_body_str(body, "current")))
		goto out;
	if (hash_password(c, body, hash, &has_pw))
		goto out;
	/* a new password or a disabled account ends the sessions (but the
	 * one making the request); API tokens stay, as they do for
	 * POST /session/password (DELETE /agents/ID/tokens ends them). The
	 * role and disabled go through store_desk_agent_access, which keeps
	 * an enabled admin in the same transaction and gives a disabled
	 * agent's open tickets back to Unassigned. */
	if ((rc = store_begin(c->store)))
		goto fail;
	if ((rc = store_agent_update(c->store, id, json_body_str(body, "name"),
	    -1, has_pw ? hash : NULL, -1)) || (email &&
	    (rc = store_agent_set_email(c->store, id, email))) ||
	    ((role >= 0 || disabled >= 0) &&
	    (rc = store_desk_agent_access(c->store, id, role, disabled,
	    c->agent.id, now, &unassigned))) || ((has_pw ||
	    disabled == 1) && (rc = store_desk_sessions_end(c->store, id,
	    self && c->via_cookie ? c->session_hash : NULL, NULL))) ||
	    (has_pw && (rc = store_event_add(c->store, 0, c->agent.id,
	    self ? "agent.password_changed" : "agent.password_reset", NULL,
	    now))) || (rc = store_commit(c->store))) {
		if (rc == TAME_ECONFLICT)
			http_error(c, 409, "conflict", "%s",
			    store_errmsg(c->store));
		store_rollback(c->store);
		if (rc == TAME_ECONFLICT)
			goto out;
		goto fail;
	}
	if (disabled == 1)
		http_presence_forget(id);
	if (http_profile_apply(c, id, body))
		goto out;
	if ((rc = http_profile_agent_view(c->store, id, &view)))
		goto fail;
	/* what a disable did with the agent's tickets */
	if (disabled == 1 && json_object_set_new(view, "unassigned_tickets",
	    json_integer((json_int_t)unassigned))) {
		json_decref(view);
		rc = TAME_ENOMEM;
		goto fail;
	}
	http_json(c, 200, view);
	goto out;
fail:
	agent_write_error(c, rc, email ? "agent with this email" : "agent");
out:
	agent_clear(&target);
	json_decref(body);
}

void
http_admin_agent_tokens_delete(struct http_ctx *c)
{
	struct agent target = { 0 };
	int64_t id = agent_path_id(c), n = 0;
	enum tame_err rc;

	if (id != c->agent.id && !http_require_admin(c))
		return;
	if ((rc = store_agent_get(c->store, id, &target)) ||
	    (rc = store_tokens_revoke(c->store, id, &n))) {
		http_store_error(c, rc, "agent");
		agent_clear(&target);
		return;
	}
	agent_clear(&target);
	http_json(c, 200, json_pack("{s:I}", "revoked", (json_int_t)n));
}

/* ---- mailboxes ---- */

void
http_admin_mailboxes_list(struct http_ctx *c)
{
	json_t *view = NULL;
	enum tame_err rc;
	int csv;

	if ((csv = http_want_csv(c)) < 0)
		return;
	if ((rc = store_mailboxes_view(c->store, &view)) ||
	    (rc = http_relay_decorate_list(c->store, view))) {
		json_decref(view);
		http_store_error(c, rc, "mailboxes");
		return;
	}
	http_list(c, view, csv, "mailboxes", mailbox_cols,
	    NELEM(mailbox_cols));
}

void
http_admin_mailbox_get(struct http_ctx *c)
{
	answer_view(c, 200, c->id[0], "mailbox", http_relay_mailbox_view);
}

void
http_admin_mailbox_create(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "address", JF_LINE, 1, TAME_FIELD_MAX },
		{ "name", JF_LINE, 1, TAME_FIELD_MAX },
	};
	json_t *body, *imap = NULL, *relay = NULL;
	struct imap_conf conf = { 0 };
	struct relay_conf rconf = { 0 };
	int64_t id = 0;
	enum tame_err rc;
	int no_imap = 1, no_relay = 1, tx;

	if (!http_require_admin(c) || !(body = http_relay_read_body(c,
	    fields, NELEM(fields), &imap, &relay)))
		return;
	if (check_addr(c, body, "address") || not_blank(c, body, "name") ||
	    (imap && http_imap_parse(c, 0, imap, &conf, &no_imap)) ||
	    (relay && http_relay_parse(c, 0, relay, &rconf, &no_relay)))
		goto out;
	/* the mailbox, its IMAP settings and relay together, or none */
	tx = (imap && !no_imap) || (relay && !no_relay);
	if (tx && (rc = store_begin(c->store))) {
		http_store_error(c, rc, "mailbox");
		goto out;
	}
	rc = store_mailbox_create(c->store, json_body_str(body, "address"),
	    json_body_str(body, "name"), tame_now_ms(), &id);
	if (tx) {
		if (rc || (imap && !no_imap && http_imap_save(c, id, &conf,
		    0)) || (relay && !no_relay && http_relay_save(c, id,
		    &rconf, 0))) {
			store_rollback(c->store);
			if (rc)
				http_store_error(c, rc, "mailbox with this "
				    "address");
			goto out;
		}
		rc = store_commit(c->store);
	}
	if (rc) {
		http_store_error(c, rc, "mailbox with this address");
		goto out;
	}
	answer_view(c, 201, id, "mailbox", http_relay_mailbox_view);
out:
	imap_conf_clear(&conf);
	relay_conf_clear(&rconf);
	json_decref(imap);
	json_decref(relay);
	json_decref(body);
}

void
http_admin_mailbox_patch(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "name", JF_LINE, 0, TAME_FIELD_MAX },
		{ "ack_enabled", JF_BOOL, 0, 0 },
		{ "ack_template", JF_TEXT, 0, ACK_TEMPLATE_MAX },
		{ "signature", JF_TEXT, 0, TAME_SIGNATURE_MAX },
	};
	struct mailbox mb = { 0 };
	struct imap_conf conf = { 0 };
	struct relay_conf rconf = { 0 };
	json_t *body, *ack, *imap = NULL, *relay = NULL;
	enum tame_err rc;
	int no_imap = 0, no_relay = 0;

	if (!http_require_admin(c) || !(body = http_relay_read_body(c,
	    fields, NELEM(fields), &imap, &relay)))
		return;
	if (not_blank(c, body, "name"))
		goto out;
	if ((rc = store_mailbox_get(c->store, c->id[0], &mb))) {
		http_store_error(c, rc, "mailbox");
		goto out;
	}
	/* IMAP and relay first: a bad "imap" or "relay" changes nothing */
	if ((relay && http_relay_parse(c, c->id[0], relay, &rconf,
	    &no_relay)) || (imap && (http_imap_parse(c, c->id[0], imap,
	    &conf, &no_imap) || http_imap_save(c, c->id[0], &conf,
	    no_imap))) || (relay && http_relay_save(c, c->id[0], &rconf,
	    no_relay)))
		goto out;
	ack = json_object_get(body, "ack_enabled");
	rc = store_mailbox_update(c->store, c->id[0],
	    json_body_str(body, "name"), ack ? json_is_true(ack) : -1,
	    json_body_str(body, "ack_template"));
	if (!rc && json_object_get(body, "signature"))
		rc = store_mailbox_signature_set(c->store, c->id[0],
		    json_body_str(body, "signature"));
	if (rc) {
		http_store_error(c, rc, "mailbox");
		goto out;
	}
	answer_view(c, 200, c->id[0], "mailbox", http_relay_mailbox_view);
out:
	mailbox_clear(&mb);
	imap_conf_clear(&conf);
	relay_conf_clear(&rconf);
	json_decref(imap);
	json_decref(relay);
	json_decref(body);
}
