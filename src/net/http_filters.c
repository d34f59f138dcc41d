/*
 * http_filters.c - saved filters over the API. See http_filters.h and
 * docs/API.md.
 *
 * Model: a saved filter belongs to the agent who saved it and exists
 * for nobody else: another agent's id answers 404, as a missing one
 * does. Its parameters are the ticket list's own (GET /api/v1/tickets):
 * status and priority are lists of known names, assignee is "", "me",
 * "none" or an agent id, tag and q are text. They are checked here and
 * stored as one JSON object (store_filters_put), so what the list of
 * filters gives back is what the list of tickets takes. Saving with an
 * id replaces that filter in place (its place in the list stays).
 */
#include <stdlib.h>
#include <string.h>
#include "http_desk.h"
#include "http_filters.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Saved filters per agent: the navigation shows each with a count (one
 * list request each), so a few dozen is already a long menu. */
#define FILTERS_MAX 100
/* A filter's name: a menu entry. */
#define FILTER_NAME_MAX 100

static const char *const statuses[] = {
	"new", "open", "pending", "solved", "closed",
};
static const char *const priorities[] = {
	"low", "normal", "high", "urgent",
};

static const char *const sorts[] = {
	"oldest", "newest", "priority",
};

static const char *const filter_cols[] = {
	"id", "name", "status", "assignee", "tag", "priority", "q",
	"mailbox", "sort", "created_at", "updated_at",
};

void
http_filters_list(struct http_ctx *c)
{
	json_t *arr = NULL;
	enum tame_err rc;
	int csv;

	if ((csv = http_want_csv(c)) < 0)
		return;
	if ((rc = store_filters_list(c->store, c->agent.id, &arr))) {
		http_store_error(c, rc, "saved filters");
		return;
	}
	http_list(c, json_pack("{s:o}", "filters", arr), csv, "filters",
	    filter_cols, NELEM(filter_cols));
}

/* 1 if s is one of names[0..n). */
static int
one_of(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return 1;
	return 0;
}

/* Copies the list body[key] (absent: empty) into query, each item one
 * of names[0..n) and none twice. 0, or -1 after answering 400. */
static int
take_names(struct http_ctx *c, const json_t *body, json_t *query,
    const char *key, const char *const *names, size_t n)
{
	json_t *in = json_object_get(body, key), *out = json_array(), *v;
	size_t i, j;

	if (!out) {
		http_error(c, 500, "internal", "out of memory");
		return -1;
	}
	json_array_foreach(in, i, v) {
		const char *s = json_string_value(v);
		int seen = 0;

		for (j = 0; j < json_array_size(out); j++)
			seen |= strcmp(s, json_string_value(
			    json_array_get(out, j))) == 0;
		if (!one_of(s, names, n) || seen) {
			json_decref(out);
			http_error(c, 400, "invalid_field", "field \"%s\": \"%s\" "
			    "is not one of its values, or comes twice", key, s);
			return -1;
		}
		json_array_append(out, v);
	}
	if (json_object_set_new(query, key, out)) {
		http_error(c, 500, "internal", "out of memory");
		return -1;
	}
	return 0;
}

/* Copies the string body[key] (absent: "") into query. */
static int
take_str(struct http_ctx *c, const json_t *body, json_t *query,
    const char *key)
{
	const char *s = json_body_str(body, key);

	if (json_object_set_new(query, key, json_string(s ? s : ""))) {
		http_error(c, 500, "internal", "out of memory");
		return -1;
	}
	return 0;
}

/* 1 if s names an assignee the ticket list takes: "", "me", "none" or
 * an agent id. */
static int
assignee_ok(const char *s)
{
	int64_t id;

	return !s || !*s || strcmp(s, "me") == 0 || strcmp(s, "none") == 0 ||
	    tame_parse_i64(s, 1, INT64_MAX, &id) == 0;
}

void
http_filters_save(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "id", JF_ID_OR_NULL, 0, 0 },
		{ "name", JF_LINE, 1, FILTER_NAME_MAX },
		{ "status", JF_LINE_ARRAY, 0, NELEM(statuses) },
		{ "assignee", JF_LINE, 0, 24 },
		{ "tag", JF_LINE, 0, TAME_FIELD_MAX },
		{ "priority", JF_LINE_ARRAY, 0, NELEM(priorities) },
		{ "q", JF_LINE, 0, TAME_QUERY_MAX },
		{ "mailbox", JF_LINE, 0, 24 },
		{ "sort", JF_LINE, 0, 16 },
	};
	json_t *body, *query = NULL, *view = NULL;
	const char *mb, *sort;
	int64_t mbid;
	size_t i;
	int64_t id;
	char *text = NULL;
	enum tame_err rc;

	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX, fields,
	    NELEM(fields))))
		return;
	id = json_integer_value(json_object_get(body, "id"));
	if (http_desk_blank(json_body_str(body, "name"))) {
		http_error(c, 400, "invalid_field",
		    "field \"name\" must not be empty");
		goto out;
	}
	if (!assignee_ok(json_body_str(body, "assignee"))) {
		http_error(c, 400, "invalid_field", "field \"assignee\" must "
		    "be \"\", \"me\", \"none\" or an agent id");
		goto out;
	}
	/* a mailbox's view and its sort are kept too, so a filter saved
	 * from it shows what the view showed */
	if ((mb = json_body_str(body, "mailbox")) && *mb &&
	    tame_parse_i64(mb, 1, INT64_MAX, &mbid)) {
		http_error(c, 400, "invalid_field", "field \"mailbox\" must "
		    "be \"\" or a mailbox id");
		goto out;
	}
	for (i = 0, sort = json_body_str(body, "sort"); sort && *sort &&
	    i < NELEM(sorts) && strcmp(sort, sorts[i]) != 0; i++)
		;
	if (sort && *sort && i == NELEM(sorts)) {
		http_error(c, 400, "invalid_field", "field \"sort\" must be "
		    "\"\", oldest, newest or priority");
		goto out;
	}
	if (!(query = json_object())) {
		http_error(c, 500, "internal", "out of memory");
		goto out;
	}
	if (take_names(c, body, query, "status", statuses,
	    NELEM(statuses)) || take_str(c, body, query, "assignee") ||
	    take_str(c, body, query, "tag") || take_names(c, body, query,
	    "priority", priorities, NELEM(priorities)) ||
	    take_str(c, body, query, "q") || take_str(c, body, query,
	    "mailbox") || take_str(c, body, query, "sort"))
		goto out;
	if (!(text = json_dumps(query, JSON_COMPACT))) {
		http_error(c, 500, "internal", "out of memory");
		goto out;
	}
	rc = store_filters_put(c->store, c->agent.id,
	    json_body_str(body, "name"), text, FILTERS_MAX, tame_now_ms(), &id);
	if (rc == TAME_ETOOBIG) {
		http_error(c, 409, "too_many", "at most %d saved filters per "
		    "agent; delete one first", FILTERS_MAX);
		goto out;
	}
	if (rc || (rc = store_filters_get(c->store, c->agent.id, id,
	    &view))) {
		http_store_error(c, rc, "saved filter");
		goto out;
	}
	http_json(c, json_object_get(body, "id") &&
	    !json_is_null(json_object_get(body, "id")) ? 200 : 201,
	    json_pack("{s:o}", "filter", view));
out:
	free(text);
	json_decref(query);
	json_decref(body);
}

void
http_filters_delete(struct http_ctx *c)
{
	enum tame_err rc;

	if ((rc = store_filters_delete(c->store, c->agent.id, c->id[0]))) {
		http_store_error(c, rc, "saved filter");
		return;
	}
	http_send(c, 204, NULL, "", 0);
}
