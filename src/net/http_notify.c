/*
 * http_notify.c - followers, mentions and notifications over the API.
 * See http_notify.h and docs/API.md.
 *
 * Model: following a ticket is a row (store_desk_follower_add); what a
 * follower is told about is decided by the schema's triggers, which
 * write a notification with every change to the ticket, from whatever
 * made it (a customer's mail through SMTP, a colleague's reply, a
 * merge), so no edge can forget to. This file adds what only the API
 * knows: that a colleague was added, and whom a note @mentions
 * (mention_find() of src/core/mention.c against the active agents).
 * Every notification is also a change the live events stream carries
 * as "ticket.updated" (the note, the change), on which the web app
 * reloads its count from GET /notifications.
 */
#include <stdlib.h>
#include <string.h>
#include "http_desk.h"
#include "http_notify.h"
#include "../core/mention.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const follower_cols[] = { "id", "email", "name" };
static const char *const notification_cols[] = {
	"id", "kind", "ticket.id", "ticket.subject", "actor.id", "actor.name",
	"message_id", "created_at", "read",
};

/* Answers status with the followers of ticket tid. */
static void
answer_followers(struct http_ctx *c, int status, int64_t tid, int csv)
{
	json_t *view = NULL;
	enum tame_err rc;

	if ((rc = store_desk_followers_view(c->store, tid, &view))) {
		http_store_error(c, rc, "ticket");
		return;
	}
	if (csv) {
		http_list(c, view, csv, "followers", follower_cols,
		    NELEM(follower_cols));
		return;
	}
	http_json(c, status, view);
}

void
http_notify_followers(struct http_ctx *c)
{
	int csv;

	if ((csv = http_want_csv(c)) < 0)
		return;
	answer_followers(c, 200, c->id[0], csv);
}

/* The agent_id of the body (or of the path for DELETE .../AID), an
 * active agent; 0 after answering. */
static int64_t
body_agent(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "agent_id", JF_ID_OR_NULL, 1, 0 },
	};
	struct agent a;
	json_t *body;
	int64_t id = 0;
	enum tame_err rc;

	if (c->nid > 1)
		id = c->id[1];
	else if ((body = http_desk_body(c, TAME_HTTP_BODY_MAX_ANON, fields,
	    NELEM(fields)))) {
		id = json_integer_value(json_object_get(body, "agent_id"));
		json_decref(body);
		if (!id) {
			http_error(c, 400, "invalid_field",
			    "field \"agent_id\" must be an agent id");
			return 0;
		}
	} else
		return 0;
	memset(&a, 0, sizeof(a));
	rc = store_agent_get(c->store, id, &a);
	if (rc == TAME_OK && a.disabled)
		rc = TAME_ENOTFOUND;
	agent_clear(&a);
	if (rc == TAME_ENOTFOUND) {
		http_error(c, 400, "invalid_field", "field \"agent_id\": no "
		    "active agent with id %lld", (long long)id);
		return 0;
	}
	if (rc) {
		http_store_error(c, rc, "agent");
		return 0;
	}
	return id;
}

/* The ticket's history says who follows it from when, and the event
 * is what tells the live views (the followers panel, the added agent's
 * notification count) that something changed. */
static enum tame_err
follower_event(struct http_ctx *c, const char *kind, int64_t id,
    int64_t now)
{
	json_t *ev = json_pack("{sI}", "agent_id", (json_int_t)id);
	enum tame_err rc;

	if (!ev)
		return TAME_ENOMEM;
	rc = store_event_add(c->store, c->id[0], c->agent.id, kind, ev, now);
	json_decref(ev);
	return rc;
}

void
http_notify_follow(struct http_ctx *c)
{
	int64_t id, now = tame_now_ms();
	enum tame_err rc;
	int added = 0;

	if (!(id = body_agent(c)))
		return;
	if ((rc = store_begin(c->store)))
		goto fail;
	if ((rc = store_desk_follower_add(c->store, c->id[0], id, now,
	    &added)) ||
	    (added && id != c->agent.id && (rc = store_desk_notify(c->store,
	    id, c->id[0], "follower.added", c->agent.id, 0, now, NULL))) ||
	    (added && (rc = follower_event(c, "follower.added", id, now))) ||
	    (rc = store_commit(c->store))) {
		store_rollback(c->store);
		goto fail;
	}
	answer_followers(c, added ? 201 : 200, c->id[0], 0);
	return;
fail:
	http_store_error(c, rc, "ticket");
}

void
http_notify_unfollow(struct http_ctx *c)
{
	int64_t id;
	enum tame_err rc;
	int removed = 0;

	if (!(id = body_agent(c)))
		return;
	if ((rc = store_begin(c->store)))
		goto fail;
	if ((rc = store_desk_follower_remove(c->store, c->id[0], id,
	    &removed)) ||
	    (removed && (rc = follower_event(c, "follower.removed", id,
	    tame_now_ms()))) ||
	    (rc = store_commit(c->store))) {
		store_rollback(c->store);
		goto fail;
	}
	answer_followers(c, 200, c->id[0], 0);
	return;
fail:
	http_store_error(c, rc, "ticket");
}

void
http_notify_list(struct http_ctx *c)
{
	const char *cursor;
	json_t *view = NULL;
	int64_t unread, before = 0;
	enum tame_err rc;
	int csv, limit;

	if ((csv = http_want_csv(c)) < 0 ||
	    http_query_int(c, "unread", 0, 1, 0, &unread) ||
	    http_query_page(c, &limit, &cursor))
		return;
	if (cursor && tame_parse_i64(cursor, 1, INT64_MAX, &before)) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"cursor\" is not a cursor from this API");
		return;
	}
	if ((rc = store_desk_notifications_view(c->store, c->agent.id,
	    (int)unread, before, limit, &view))) {
		http_store_error(c, rc, "notifications");
		return;
	}
	http_list(c, view, csv, "notifications", notification_cols,
	    NELEM(notification_cols));
}

void
http_notify_read(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "all", JF_BOOL, 0, 0 },
	};
	struct json_body_err err;
	int64_t ids[TAME_LIST_LIMIT_MAX], changed = 0;
	json_t *body, *rest = NULL, *view = NULL;
	size_t n = 0;
	int all;
	enum tame_err rc;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (!(rest = json_copy(body))) {
		http_store_error(c, TAME_ENOMEM, "notifications");
		goto out;
	}
	json_object_del(rest, "ids");
	if (json_body_check(rest, fields, NELEM(fields), &err)) {
		http_body_error(c, &err);
		goto out;
	}
	/* {} marks all, like {"all": true}; "all": false needs ids. */
	all = !json_object_get(body, "ids") &&
	    !json_is_false(json_object_get(body, "all"));
	if (json_object_get(body, "ids") &&
	    json_is_true(json_object_get(body, "all"))) {
		http_error(c, 400, "invalid_field",
		    "give either \"ids\" or \"all\": true");
		goto out;
	}
	if (!all && !json_object_get(body, "ids")) {
		http_error(c, 400, "missing_field", "field \"ids\" is "
		    "required unless \"all\" is true");
		goto out;
	}
	if (!all && http_desk_ids(c, body, "ids", ids, TAME_LIST_LIMIT_MAX,
	    &n))
		goto out;
	if ((rc = store_desk_notifications_read(c->store, c->agent.id,
	    all ? NULL : ids, n, tame_now_ms(), &changed)) ||
	    (rc = store_desk_notifications_view(c->store, c->agent.id, 1, 0,
	    1, &view))) {
		http_store_error(c, rc, "notifications");
		goto out;
	}
	http_json(c, 200, json_pack("{s:I,s:O}", "marked", (json_int_t)changed,
	    "unread", json_object_get(view, "unread")));
out:
	json_decref(view);
	json_decref(rest);
	json_decref(body);
}

void
http_notify_mentions(struct http_ctx *c, int64_t tid, int64_t msg_id,
    const char *text)
{
	struct mention_agent *team = NULL;
	int64_t ids[TAME_MENTIONS_MAX], now = tame_now_ms();
	json_t *view = NULL, *arr, *a;
	size_t i, n = 0, nids;
	enum tame_err rc;

	if (!text || !strchr(text, '@'))
		return;
	if ((rc = store_agents_view(c->store, &view)))
		goto out;
	arr = json_object_get(view, "agents");
	if (!(team = calloc(json_array_size(arr) + 1, sizeof(*team)))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	json_array_foreach(arr, i, a) {
		if (json_is_true(json_object_get(a, "disabled")))
			continue;
		team[n].id = json_integer_value(json_object_get(a, "id"));
		team[n].email = json_string_value(json_object_get(a, "email"));
		team[n].name = json_string_value(json_object_get(a, "name"));
		n++;
	}
	nids = mention_find(text, team, n, ids, TAME_MENTIONS_MAX);
	for (i = 0; i < nids && rc == TAME_OK; i++)
		if (ids[i] != c->agent.id)
			rc = store_desk_notify(c->store, ids[i], tid, "mention",
			    c->agent.id, msg_id, now, NULL);
out:
	if (rc)
		tame_log(TAME_LOG_WARN, "http: mentions of note %lld: %s (%s)",
		    (long long)msg_id, tame_strerror(rc),
		    store_errmsg(c->store));
	free(team);
	json_decref(view);
}
