/*
 * http_replies.c - saved replies over the API. See http_replies.h and
 * docs/API.md.
 *
 * Model: a saved reply belongs to the agent who wrote it. A personal
 * one exists for nobody else (404, never 403, so its title does not
 * leak); a shared one is read by everyone and changed by its owner or
 * an admin. Rendering expands the placeholders for one ticket with the
 * pure template_render() (src/core/template.c), the same code the mass
 * replies of trends and the bulk reply use, so what the agent previews
 * is what each customer gets.
 */
#include <stdlib.h>
#include <string.h>
#include "http_desk.h"
#include "http_replies.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const reply_cols[] = {
	"id", "title", "body", "shared", "owner.id", "owner.name",
	"created_at", "updated_at",
};

/* Loads saved reply c->id[0] as the caller may see it into *r. 0, or -1
 * after answering (404 for someone else's personal reply). */
static int
load_visible(struct http_ctx *c, struct store_saved_reply *r)
{
	enum tame_err rc;

	rc = store_desk_saved_reply_get(c->store, c->id[0], r);
	if (rc == TAME_OK && !r->shared && r->owner_id != c->agent.id)
		rc = TAME_ENOTFOUND;
	if (rc) {
		store_saved_reply_clear(r);
		http_store_error(c, rc, "saved reply");
		return -1;
	}
	return 0;
}

/* 1 if the caller may change r: its owner, or an admin for a shared
 * one; otherwise answers 403 and returns 0. */
static int
may_change(struct http_ctx *c, const struct store_saved_reply *r)
{
	if (r->owner_id == c->agent.id ||
	    (r->shared && c->agent.role == ROLE_ADMIN))
		return 1;
	http_error(c, 403, "forbidden", "only its author or an admin may "
	    "change a shared saved reply");
	return 0;
}

/* Answers status with {"saved_reply": {...}} of id. */
static void
answer(struct http_ctx *c, int status, int64_t id)
{
	json_t *v = NULL;
	enum tame_err rc;

	if ((rc = store_desk_saved_reply_view(c->store, id, &v))) {
		http_store_error(c, rc, "saved reply");
		return;
	}
	http_json(c, status, json_pack("{s:o}", "saved_reply", v));
}

/* 0 if the title and body present in body are not blank; -1 after
 * answering. */
static int
check_text(struct http_ctx *c, const json_t *body)
{
	static const char *const keys[] = { "title", "body" };
	size_t i;

	for (i = 0; i < NELEM(keys); i++) {
		if (json_object_get(body, keys[i]) &&
		    http_desk_blank(json_body_str(body, keys[i]))) {
			http_error(c, 400, "invalid_field",
			    "field \"%s\" must not be empty", keys[i]);
			return -1;
		}
	}
	return 0;
}

void
http_replies_list(struct http_ctx *c)
{
	const char *q = http_query(c, "q");
	json_t *view = NULL;
	enum tame_err rc;
	int csv;

	if ((csv = http_want_csv(c)) < 0)
		return;
	if (q && strlen(q) > TAME_QUERY_MAX) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"q\" is longer than %d bytes", TAME_QUERY_MAX);
		return;
	}
	if ((rc = store_desk_saved_replies_view(c->store, c->agent.id, q,
	    &view))) {
		http_store_error(c, rc, "saved replies");
		return;
	}
	http_list(c, view, csv, "saved_replies", reply_cols,
	    NELEM(reply_cols));
}

static const struct json_field reply_fields[] = {
	{ "title", JF_LINE, 1, TAME_SAVED_REPLY_TITLE_MAX },
	{ "body", JF_TEXT, 1, TAME_SAVED_REPLY_BODY_MAX },
	{ "shared", JF_BOOL, 0, 0 },
};

void
http_replies_create(struct http_ctx *c)
{
	json_t *body;
	int64_t id = 0;
	enum tame_err rc;

	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX, reply_fields,
	    NELEM(reply_fields))))
		return;
	if (check_text(c, body))
		goto out;
	rc = store_desk_saved_reply_create(c->store, c->agent.id,
	    json_body_str(body, "title"), json_body_str(body, "body"),
	    json_is_true(json_object_get(body, "shared")), tame_now_ms(), &id);
	if (rc) {
		http_store_error(c, rc, "saved reply");
		goto out;
	}
	answer(c, 201, id);
out:
	json_decref(body);
}

void
http_replies_get(struct http_ctx *c)
{
	struct store_saved_reply r;

	if (load_visible(c, &r))
		return;
	answer(c, 200, r.id);
	store_saved_reply_clear(&r);
}

void
http_replies_patch(struct http_ctx *c)
{
	/* The same fields as a new one, none required. */
	static const struct json_field fields[] = {
		{ "title", JF_LINE, 0, TAME_SAVED_REPLY_TITLE_MAX },
		{ "body", JF_TEXT, 0, TAME_SAVED_REPLY_BODY_MAX },
		{ "shared", JF_BOOL, 0, 0 },
	};
	struct store_saved_reply r;
	json_t *body = NULL, *sh;
	enum tame_err rc;

	if (load_visible(c, &r))
		return;
	if (!may_change(c, &r))
		goto out;
	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX, fields,
	    NELEM(fields))) || check_text(c, body))
		goto out;
	sh = json_object_get(body, "shared");
	rc = store_desk_saved_reply_update(c->store, r.id,
	    json_body_str(body, "title"), json_body_str(body, "body"),
	    sh ? json_is_true(sh) : -1, tame_now_ms());
	if (rc) {
		http_store_error(c, rc, "saved reply");
		goto out;
	}
	answer(c, 200, r.id);
out:
	json_decref(body);
	store_saved_reply_clear(&r);
}

void
http_replies_delete(struct http_ctx *c)
{
	struct store_saved_reply r;
	enum tame_err rc;

	if (load_visible(c, &r))
		return;
	if (!may_change(c, &r))
		goto out;
	if ((rc = store_desk_saved_reply_delete(c->store, r.id))) {
		http_store_error(c, rc, "saved reply");
		goto out;
	}
	http_send(c, 204, NULL, "", 0);
out:
	store_saved_reply_clear(&r);
}

void
http_replies_render(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "ticket_id", JF_ID_OR_NULL, 1, 0 },
	};
	struct store_saved_reply r;
	struct buf out;
	json_t *body = NULL;
	json_int_t tid;
	enum tame_err rc;

	buf_init(&out, TAME_REPLY_TEXT_MAX);
	if (load_visible(c, &r))
		return;
	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX_ANON, fields,
	    NELEM(fields))))
		goto out;
	if (!(tid = json_integer_value(json_object_get(body, "ticket_id")))) {
		http_error(c, 400, "invalid_field",
		    "field \"ticket_id\" must be a ticket id");
		goto out;
	}
	if ((rc = http_desk_render(c, tid, r.body, &out))) {
		if (rc == TAME_ETOOBIG)
			http_desk_too_long(c, tid);
		else
			http_store_error(c, rc, rc == TAME_ENOTFOUND ?
			    "ticket" : "rendered reply");
		goto out;
	}
	http_json(c, 200, json_pack("{s:I,s:I,s:s,s:s%}", "saved_reply_id",
	    (json_int_t)r.id, "ticket_id", tid, "title", r.title, "body",
	    buf_str(&out), out.len));
out:
	buf_free(&out);
	json_decref(body);
	store_saved_reply_clear(&r);
}
