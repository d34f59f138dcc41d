/*
 * http_bulk.c - actions on many tickets at once, and merging one ticket
 * into another. See http_bulk.h and docs/API.md.
 *
 * Model: a bulk request is checked whole first (the action, its fields,
 * the ids, the assignee or target or saved reply), then applied ticket
 * by ticket, each in its own transaction with its event, so one
 * ticket's failure (gone, already merged) is reported in its result
 * and does not undo the others. A bulk reply renders the template for
 * each ticket (template.h: each customer's own name, their ticket) and
 * sends it with reply_send() into that customer's own thread, one
 * email each.
 *
 * Retries: with an Idempotency-Key header the request is claimed under
 * the caller's key with a hash of what was asked (the intelligence
 * engineer's store_idem_* of store_intel.h, shared with the trends'
 * mass reply); a repeat gets the kept answer (Idempotent-Replayed:
 * true) and nothing is done twice; the same key for a different body
 * is 422. A claim left by a tamed that stopped halfway is taken over
 * after TAME_IDEMPOTENCY_STALE_MS (http_idem.c), and its reply skips
 * every ticket that already got the same text from the same agent since the first attempt.
 * Whatever the key, a bulk reply skips a ticket whose last word from us
 * is this very text (reply_req.once: the same bulk reply sent twice by
 * mistake), and makes an unassigned ticket the sender's
 * (reply_req.take), as the trends' mass reply does.
 *
 * Answered meanwhile: a bulk reply is written from a list the agent
 * looked at. Its preview answers the newest event id then
 * (store_intel_heads); the send names it (since_event_id), and
 * reply_send leaves out, in each reply's own transaction, a ticket
 * answered by anyone, solved, closed or merged after it: listed in
 * "skipped" with why (http_desk_meanwhile), neither sent nor failed.
 * The preview given that point answers the same list without sending
 * (http_desk_left_out), for a dialog that follows its tickets live.
 *
 * A merge moves the messages, participants, tags and followers of the
 * source into the target (store_desk_merge), closes the source and
 * writes "ticket.merged" on both, {"into": N} and {"from": M}; the
 * messages keep their Message-IDs, so a customer's later answer to
 * anything of the source threads into the target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_bulk.h"
#include "http_desk.h"
#include "json_body.h"
#include "http_idem.h"
#include "outbox.h"
#include "../core/auth.h"
#include "../core/util.h"
#include "../mail/reply.h"
#include "../store/store.h"
#include "../store/store_intel.h"
#include "../tame_limits.h"

enum bulk_action { B_ASSIGN, B_TAG, B_UNTAG, B_STATUS, B_MERGE, B_REPLY };

static const char *const action_names[] = {
	"assign", "tag", "untag", "status", "merge", "reply",
};

struct bulk {
	enum bulk_action action;
	int64_t ids[TAME_BULK_MAX];
	size_t n;
	int64_t assignee;          /* assign: 0 = unassign */
	const char *tag;           /* tag, untag */
	int has_status;            /* status; optional for reply */
	enum ticket_status status;
	int64_t into;              /* merge */
	const char *text;          /* reply: the template */
	struct store_saved_reply saved;
	const char *key;           /* Idempotency-Key or NULL */
	int64_t since;             /* first attempt of the key */
	int resumed;               /* taking over a stale claim */
	int sent;                  /* emails queued: kick the outbox */
	char why[REPLY_WHY_MAX];   /* a reply refused: why (reply_send) */
	int64_t since_event;       /* reply: the newest event when the
	                              agent looked, 0 = not said */
	json_t *skipped;           /* reply: changed since, not sent */
};

/* The code and message of a failed ticket (reply: not NULL when the
 * action was a reply, which a merged ticket refuses in its own words,
 * and what reply_send said it refused, or ""). */
static json_t *
fail_json(struct http_ctx *c, int64_t tid, enum tame_err rc,
    const char *reply)
{
	const char *code = "internal", *msg = tame_strerror(rc);
	char why[128];

	switch (rc) {
	case TAME_ENOTFOUND:
		code = "not_found";
		msg = "no such ticket";
		break;
	case TAME_ECONFLICT:
		code = "conflict";
		if (!reply || !(msg = http_desk_merged(c, tid, "reply there",
		    why, sizeof(why))))
			msg = store_errmsg(c->store);
		break;
	case TAME_EINVAL:
		code = reply ? "unsendable" : "invalid_field";
		msg = reply && *reply ? reply : store_errmsg(c->store);
		break;
	case TAME_ETOOBIG:
		/* a reply too long once rendered, or a 51st tag */
		code = reply ? "too_large" : "too_many";
		msg = reply ? http_desk_too_long_msg(tid, why, sizeof(why)) :
		    store_errmsg(c->store);
		break;
	case TAME_EBUSY:
		code = "busy";
		break;
	default:
		tame_log(TAME_LOG_WARN, "http: bulk on ticket %lld: %s (%s)",
		    (long long)tid, tame_strerror(rc), store_errmsg(c->store));
		break;
	}
	return json_pack("{s:I,s:b,s:{s:s,s:s}}", "ticket_id", (json_int_t)tid,
	    "ok", 0, "error", "code", code, "message", msg);
}

/* Runs a change of ticket tid and its "ticket.updated" event (data ev,
 * taken) in one transaction. */
static enum tame_err
change(struct http_ctx *c, int64_t tid, const struct ticket_patch *p,
    json_t *ev, int64_t now)
{
	enum tame_err rc;

	if ((rc = store_begin(c->store)))
		goto out;
	if ((rc = store_ticket_update(c->store, tid, p, now)) ||
	    (rc = store_event_add(c->store, tid, c->agent.id,
	    "ticket.updated", ev, now)) || (rc = store_commit(c->store)))
		store_rollback(c->store);
out:
	json_decref(ev);
	return rc;
}

/* Merges ticket from into ticket into with both events, in one
 * transaction. */
static enum tame_err
merge_one(struct http_ctx *c, int64_t from, int64_t into, int64_t now)
{
	enum tame_err rc;

	if ((rc = store_begin(c->store)))
		return rc;
	if ((rc = store_desk_merge_logged(c->store, from, into, c->agent.id,
	    now)) || (rc = store_commit(c->store)))
		store_rollback(c->store);
	return rc;
}

/* Sends the bulk reply to ticket tid; *skipped when a stale attempt of
 * this request already did, or the ticket has this very text from us
 * already (*msg_id that reply then); *mw set (and TAME_ECONFLICT) when
 * it was answered, solved, closed or merged since the agent looked. */
static enum tame_err
reply_one(struct http_ctx *c, struct bulk *b, int64_t tid, int64_t now,
    int64_t *msg_id, int *skipped, struct store_meanwhile *mw)
{
	struct reply_req r;
	struct buf text;
	enum tame_err rc;
	int done = 0;

	buf_init(&text, TAME_REPLY_TEXT_MAX);
	if ((rc = http_desk_render(c, tid, b->text, &text)))
		goto out;
	if (b->resumed && (rc = reply_already_sent(c->store, tid,
	    c->agent.id, b->since, buf_str(&text), &done)))
		goto out;
	if ((*skipped = done))
		goto out;
	memset(&r, 0, sizeof(r));
	r.ticket_id = tid;
	r.agent_id = c->agent.id;
	r.text = buf_str(&text);
	r.has_status = b->has_status;
	r.status = b->has_status ? b->status : TICKET_PENDING;
	r.why = b->why;
	r.once = 1;
	r.take = 1;
	r.same = msg_id;
	r.since_event_id = b->since_event;
	r.meanwhile = mw;
	if ((rc = reply_send(c->store, &r, now, msg_id)) == TAME_OK)
		b->sent = 1;
	else if (rc == TAME_EEXIST) {
		*skipped = 1;
		rc = TAME_OK;
	}
out:
	buf_free(&text);
	return rc;
}

/* Applies the action to ticket tid; the result object, NULL when out of
 * memory. */
static json_t *
apply(struct http_ctx *c, struct bulk *b, int64_t tid)
{
	struct store_meanwhile mw;
	struct ticket_patch p;
	int64_t now = tame_now_ms(), msg_id = 0;
	enum tame_err rc = TAME_OK;
	int changed = 0, skipped = 0;
	json_t *o;

	memset(&p, 0, sizeof(p));
	memset(&mw, 0, sizeof(mw));
	switch (b->action) {
	case B_ASSIGN:
		p.has_assignee = 1;
		p.assignee_id = b->assignee;
		rc = change(c, tid, &p, b->assignee ? json_pack("{s:I,s:b}",
		    "assignee_id", (json_int_t)b->assignee, "bulk", 1) :
		    json_pack("{s:n,s:b}", "assignee_id", "bulk", 1), now);
		break;
	case B_STATUS:
		p.has_status = 1;
		p.status = b->status;
		rc = change(c, tid, &p, json_pack("{s:s,s:b}", "status",
		    ticket_status_name(b->status), "bulk", 1), now);
		break;
	case B_TAG:
	case B_UNTAG:
		if ((rc = store_begin(c->store)))
			break;
		rc = store_desk_tag(c->store, tid, b->tag, b->action == B_TAG,
		    now, &changed);
		if (rc == TAME_OK && changed) {
			json_t *ev = json_pack("{s:[s],s:b}", b->action ==
			    B_TAG ? "tags_added" : "tags_removed", b->tag,
			    "bulk", 1);

			rc = store_event_add(c->store, tid, c->agent.id,
			    "ticket.updated", ev, now);
			json_decref(ev);
		}
		if (rc == TAME_OK)
			rc = store_commit(c->store);
		if (rc)
			store_rollback(c->store);
		break;
	case B_MERGE:
		if (tid == b->into)
			return json_pack("{s:I,s:b,s:b}", "ticket_id",
			    (json_int_t)tid, "ok", 1, "target", 1);
		rc = merge_one(c, tid, b->into, now);
		break;
	case B_REPLY:
		b->why[0] = '\0';
		rc = reply_one(c, b, tid, now, &msg_id, &skipped, &mw);
		break;
	}
	/* left out, not failed: the customer has their answer, or the
	 * ticket is done with, since the agent looked */
	if (rc == TAME_ECONFLICT && mw.kind != MEANWHILE_NONE) {
		if (!(o = http_desk_meanwhile(b->skipped, tid, &mw)))
			return NULL;
		return json_pack("{s:I,s:b,s:O}", "ticket_id", (json_int_t)tid,
		    "ok", 0, "skipped", json_object_get(o, "reason"));
	}
	store_meanwhile_clear(&mw);
	if (rc)
		return fail_json(c, tid, rc, b->action == B_REPLY ? b->why :
		    NULL);
	if (b->action == B_REPLY)
		return skipped ? json_pack("{s:I,s:b,s:b,s:o}", "ticket_id",
		    (json_int_t)tid, "ok", 1, "already_sent", 1, "message_id",
		    msg_id ? json_integer(msg_id) : json_null()) :
		    json_pack("{s:I,s:b,s:I}", "ticket_id", (json_int_t)tid,
		    "ok", 1, "message_id", (json_int_t)msg_id);
	if (b->action == B_TAG || b->action == B_UNTAG)
		return json_pack("{s:I,s:b,s:b}", "ticket_id", (json_int_t)tid,
		    "ok", 1, "changed", changed);
	return json_pack("{s:I,s:b}", "ticket_id", (json_int_t)tid, "ok", 1);
}

/* *out = [{ticket_id, and what http_desk_recent tells}] of the b->n
 * tickets, in their order: the customers answered lately, and a second
 * ticket of one customer, whom the dialog leaves unticked. A ticket not
 * found is listed bare (the send fails it). */
static enum tame_err
recipients(struct http_ctx *c, const struct bulk *b, json_t **out)
{
	struct ticket_ref ref;
	int64_t *cust;
	enum tame_err rc = TAME_OK;
	size_t i, k;
	json_t *o;

	if (!(*out = json_array()) || !(cust = calloc(b->n + 1,
	    sizeof(*cust))))
		return TAME_ENOMEM;
	for (i = 0; i < b->n && rc == TAME_OK; i++) {
		if (!(o = json_pack("{s:I}", "ticket_id", (json_int_t)b->ids[i]))
		    || json_array_append_new(*out, o)) {
			rc = TAME_ENOMEM;
			break;
		}
		if ((rc = store_ticket_ref(c->store, b->ids[i], &ref)) ==
		    TAME_ENOTFOUND) {
			rc = TAME_OK;
			continue;
		}
		if (rc)
			break;
		cust[i] = ref.customer_id;
		for (k = 0; k < i && cust[k] != cust[i]; k++)
			;
		rc = http_desk_recent(c, b->ids[i], NULL, k < i ? b->ids[k] :
		    0, o);
	}
	free(cust);
	return rc;
}

/* A bulk reply's preview: sends nothing and answers the point the
 * agent looks from (since_event_id, store_intel_heads), which the send
 * then names so that a ticket answered, solved, closed or merged while
 * the dialog was open is left out. Only a reply has one. Given the
 * point of an earlier look, it also answers which of the b->n tickets
 * the send would leave out ("skipped", the send's own check), so an
 * open dialog can tell the agent before they send; the new point is
 * read first, so what happens while the tickets are asked is after it
 * and comes up again. Its "recipients" tell, ticket by ticket, who was
 * answered lately and who is twice in the list (recipients()). */
static void
look(struct http_ctx *c, const json_t *body, const struct bulk *b)
{
	const char *act = json_body_str(body, "action");
	int64_t msg, ev, since;
	json_t *ans, *left = NULL, *who = NULL;
	enum tame_err rc;
	size_t i;

	if (strcmp(act, "reply") != 0) {
		http_error(c, 400, "invalid_field", "only action \"reply\" "
		    "has a preview");
		return;
	}
	since = json_integer_value(json_object_get(body, "since_event_id"));
	if ((rc = store_intel_heads(c->store, &msg, &ev)))
		goto fail;
	/* what it tells of each ticket helps; the point looked from is
	 * what keeps the send safe: a look that fails is left out */
	if ((rc = recipients(c, b, &who))) {
		tame_log(TAME_LOG_WARN, "http: bulk reply preview: %s",
		    tame_strerror(rc));
		json_decref(who);
		who = NULL;
	}
	if (since > 0) {
		if (!(left = json_array())) {
			rc = TAME_ENOMEM;
			goto fail;
		}
		for (i = 0; i < b->n; i++)
			if ((rc = http_desk_left_out(c->store, b->ids[i], since,
			    left, NULL)))
				goto fail;
	}
	if (!(ans = json_pack("{s:s,s:b,s:I,s:O*}", "action", "reply",
	    "preview", 1, "since_event_id", (json_int_t)ev, "recipients",
	    who)) || (left && json_object_set(ans, "skipped", left))) {
		json_decref(ans);
		rc = TAME_ENOMEM;
		goto fail;
	}
	http_json(c, 200, ans);
	json_decref(left);
	json_decref(who);
	return;
fail:
	json_decref(left);
	json_decref(who);
	http_store_error(c, rc, "bulk");
}

/* Answers 400 for a field the action needs. Returns -1. */
static int
need(struct http_ctx *c, const char *field, const char *action)
{
	http_error(c, 400, "missing_field", "action \"%s\" needs field "
	    "\"%s\"", action, field);
	return -1;
}

/* 0 if agent id can take tickets; -1 after answering 400. */
static int
check_agent(struct http_ctx *c, int64_t id)
{
	struct agent a;
	enum tame_err rc;

	memset(&a, 0, sizeof(a));
	rc = store_agent_get(c->store, id, &a);
	if (rc == TAME_OK && a.disabled)
		rc = TAME_ENOTFOUND;
	agent_clear(&a);
	if (rc == TAME_ENOTFOUND) {
		http_error(c, 400, "invalid_field", "field \"assignee_id\": "
		    "no active agent with id %lld", (long long)id);
		return -1;
	}
	if (rc) {
		http_store_error(c, rc, "agent");
		return -1;
	}
	return 0;
}

/* Reads the action's fields of body into b. 0, or -1 after answering. */
static int
read_action(struct http_ctx *c, const json_t *body, struct bulk *b)
{
	const char *act = json_body_str(body, "action"), *st;
	json_t *v;
	int64_t into = 0;
	size_t i;
	enum tame_err rc;

	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcmp(act, action_names[i]) == 0)
			break;
	if (i == sizeof(action_names) / sizeof(action_names[0])) {
		http_error(c, 400, "invalid_field", "field \"action\" must be "
		    "assign, tag, untag, status, merge or reply");
		return -1;
	}
	b->action = (enum bulk_action)i;
	if ((st = json_body_str(body, "status"))) {
		if (ticket_status_parse(st, &b->status)) {
			http_error(c, 400, "invalid_field", "field \"status\" "
			    "must be one of new, open, pending, solved, closed");
			return -1;
		}
		b->has_status = 1;
	}
	switch (b->action) {
	case B_ASSIGN:
		if (!(v = json_object_get(body, "assignee_id")))
			return need(c, "assignee_id", act);
		b->assignee = json_integer_value(v);
		return b->assignee ? check_agent(c, b->assignee) : 0;
	case B_TAG:
	case B_UNTAG:
		if (!(v = json_object_get(body, "tag")))
			return need(c, "tag", act);
		if (json_body_tag_norm(v)) {
			http_error(c, 400, "invalid_field",
			    "field \"tag\" must not be empty");
			return -1;
		}
		b->tag = json_string_value(v);
		return 0;
	case B_STATUS:
		return b->has_status ? 0 : need(c, "status", act);
	case B_MERGE:
		if ((v = json_object_get(body, "into")))
			into = json_integer_value(v);
		if (!into)
			return need(c, "into", act);
		b->into = into;
		if ((rc = store_desk_merged_into(c->store, into, &into))) {
			http_store_error(c, rc, "target ticket");
			return -1;
		}
		return 0;
	case B_REPLY:
		b->text = json_body_str(body, "text");
		if ((v = json_object_get(body, "saved_reply_id")) &&
		    json_integer_value(v)) {
			if (b->text) {
				http_error(c, 400, "invalid_field", "give "
				    "\"text\" or \"saved_reply_id\", not both");
				return -1;
			}
			rc = store_desk_saved_reply_get(c->store,
			    json_integer_value(v), &b->saved);
			if (rc == TAME_OK && !b->saved.shared &&
			    b->saved.owner_id != c->agent.id)
				rc = TAME_ENOTFOUND;
			if (rc) {
				http_store_error(c, rc, "saved reply");
				return -1;
			}
			b->text = b->saved.body;
		}
		if (!b->text)
			return need(c, "text", act);
		if (http_desk_blank(b->text)) {
			http_error(c, 400, "invalid_field",
			    "field \"text\" must not be empty");
			return -1;
		}
		return 0;
	}
	return 0;
}

void
http_bulk_tickets(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "action", JF_LINE, 1, 16 },
		{ "assignee_id", JF_ID_OR_NULL, 0, 0 },
		{ "tag", JF_LINE, 0, TAME_FIELD_MAX },
		{ "status", JF_LINE, 0, 32 },
		{ "into", JF_ID_OR_NULL, 0, 0 },
		{ "text", JF_TEXT, 0, TAME_HTTP_BODY_MAX },
		{ "saved_reply_id", JF_ID_OR_NULL, 0, 0 },
		{ "since_event_id", JF_ID_OR_NULL, 0, 0 },
		{ "preview", JF_BOOL, 0, 0 },
	};
	struct json_body_err err;
	struct bulk *b = NULL;
	json_t *body, *rest = NULL, *results = NULL, *r, *ans = NULL;
	char *text = NULL;
	size_t i, ok = 0;
	enum tame_err rc;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (!(b = calloc(1, sizeof(*b))) || !(rest = json_copy(body)) ||
	    !(results = json_array())) {
		http_store_error(c, TAME_ENOMEM, "bulk");
		goto out;
	}
	json_object_del(rest, "ticket_ids");
	if (json_body_check(rest, fields, sizeof(fields) / sizeof(fields[0]),
	    &err)) {
		http_body_error(c, &err);
		goto out;
	}
	if (!json_object_get(body, "ticket_ids")) {
		http_error(c, 400, "missing_field",
		    "field \"ticket_ids\" is required");
		goto out;
	}
	if (http_desk_ids(c, body, "ticket_ids", b->ids, TAME_BULK_MAX,
	    &b->n))
		goto out;
	if (json_is_true(json_object_get(body, "preview"))) {
		look(c, body, b);
		goto out;
	}
	if (read_action(c, body, b))
		goto out;
	b->since_event = json_integer_value(json_object_get(body,
	    "since_event_id"));
	if (!(b->skipped = json_array())) {
		http_store_error(c, TAME_ENOMEM, "bulk");
		goto out;
	}
	if ((b->key = http_header(c, "Idempotency-Key")) &&
	    !http_idem_claim(c, b->key, body, &b->since, &b->resumed))
		goto out;
	for (i = 0; i < b->n; i++) {
		if (!(r = apply(c, b, b->ids[i])) ||
		    json_array_append_new(results, r)) {
			rc = TAME_ENOMEM;
			goto fail;
		}
		ok += json_is_true(json_object_get(r, "ok"));
	}
	if (b->sent)
		outbox_kick(c->outbox);
	ans = json_pack("{s:s,s:O,s:I,s:I}", "action",
	    action_names[b->action], "results", results, "succeeded",
	    (json_int_t)ok, "failed", (json_int_t)(b->n - ok -
	    json_array_size(b->skipped)));
	if (ans && b->action == B_REPLY && json_object_set(ans, "skipped",
	    b->skipped)) {
		rc = TAME_ENOMEM;
		goto fail;
	}
	if (!ans || !(text = json_dumps(ans, JSON_COMPACT))) {
		rc = TAME_ENOMEM;
		goto fail;
	}
	if (b->key && (rc = store_idem_finish(c->store, c->agent.id, b->key,
	    200, text)))
		tame_log(TAME_LOG_WARN, "http: keeping the answer of "
		    "Idempotency-Key: %s", tame_strerror(rc));
	http_send(c, 200, "application/json", text, strlen(text));
	goto out;
fail:
	/* Nothing kept: a retry does it again, skipping sent replies; a
	 * key under which nothing was sent is given back at once. */
	if (b->sent)
		outbox_kick(c->outbox);
	else if (b->key)
		store_idem_release(c->store, c->agent.id, b->key);
	http_store_error(c, rc, "bulk");
out:
	free(text);
	json_decref(ans);
	json_decref(results);
	json_decref(rest);
	json_decref(body);
	if (b) {
		store_saved_reply_clear(&b->saved);
		json_decref(b->skipped);
	}
	free(b);
}

void
http_bulk_merge(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "into", JF_ID_OR_NULL, 1, 0 },
	};
	json_t *body, *view = NULL;
	int64_t into;
	enum tame_err rc;

	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX_ANON, fields, 1)))
		return;
	if (!(into = json_integer_value(json_object_get(body, "into")))) {
		http_error(c, 400, "invalid_field",
		    "field \"into\" must be a ticket id");
		goto out;
	}
	if (into == c->id[0]) {
		http_error(c, 400, "invalid_field",
		    "a ticket cannot be merged into itself");
		goto out;
	}
	rc = merge_one(c, c->id[0], into, tame_now_ms());
	if (rc == TAME_ECONFLICT) {
		http_error(c, 409, "conflict", "%s", store_errmsg(c->store));
		goto out;
	}
	if (rc) {
		http_store_error(c, rc, "ticket");
		goto out;
	}
	if ((rc = store_ticket_view(c->store, into, &view))) {
		http_store_error(c, rc, "ticket");
		goto out;
	}
	json_object_set_new(view, "merged", json_pack("{s:I,s:I}", "from",
	    (json_int_t)c->id[0], "into", (json_int_t)into));
	http_json(c, 200, view);
out:
	json_decref(body);
}
