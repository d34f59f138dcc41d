/*
 * http_desk.c - helpers of the desk's endpoints, and GET /tags. See
 * http_desk.h.
 */
#include <stdio.h>
#include <string.h>
#include "http_desk.h"
#include "json_body.h"
#include "../core/template.h"
#include "../core/util.h"
#include "../mail/reply.h"
#include "../store/store.h"
#include "../store/store_desk.h"
#include "../tame_limits.h"

json_t *
http_desk_body(struct http_ctx *c, size_t max, const struct json_field *fields,
    size_t n)
{
	struct json_body_err err;
	json_t *body;

	if (!(body = http_body(c, max)))
		return NULL;
	if (json_body_check(body, fields, n, &err)) {
		http_body_error(c, &err);
		json_decref(body);
		return NULL;
	}
	return body;
}

int
http_desk_blank(const char *s)
{
	return json_body_blank(s);
}

int
http_desk_ids(struct http_ctx *c, const json_t *body, const char *key,
    int64_t *ids, size_t max, size_t *n)
{
	json_t *arr = json_object_get(body, key), *v;
	size_t i, j;

	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > max) {
		http_error(c, 400, "invalid_field", "field \"%s\" must be an "
		    "array of 1 to %zu ids", key, max);
		return -1;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			http_error(c, 400, "invalid_field", "field \"%s\" must "
			    "hold ids (integers from 1)", key);
			return -1;
		}
		for (j = 0; j < *n; j++)
			if (ids[j] == json_integer_value(v))
				break;
		if (j == *n)
			ids[(*n)++] = json_integer_value(v);
	}
	return 0;
}

enum tame_err
http_desk_render(struct http_ctx *c, int64_t tid, const char *tpl,
    struct buf *out)
{
	struct template_ticket t;
	struct reply_ctx rc_;
	enum tame_err rc;

	memset(&rc_, 0, sizeof(rc_));
	if ((rc = store_reply_ctx(c->store, tid, &rc_)))
		goto out;
	memset(&t, 0, sizeof(t));
	t.ticket_id = rc_.ticket_id;
	t.ticket_subject = rc_.subject;
	t.customer_name = rc_.customer_name;
	t.customer_email = rc_.customer_email;
	t.agent_name = c->agent.name;
	t.agent_email = c->agent.email;
	rc = template_render(tpl, &t, out);
out:
	store_reply_ctx_clear(&rc_);
	return rc;
}

static const char *const tag_cols[] = { "tag", "count", "open" };

void
http_desk_tags(struct http_ctx *c)
{
	json_t *view = NULL;
	enum tame_err rc;
	int csv;

	if ((csv = http_want_csv(c)) < 0)
		return;
	if ((rc = store_desk_tags_view(c->store, &view))) {
		http_store_error(c, rc, "tags");
		return;
	}
	http_list(c, view, csv, "tags", tag_cols,
	    sizeof(tag_cols) / sizeof(tag_cols[0]));
}

/* See http_desk.h. */
const char *
http_desk_too_long_msg(int64_t tid, char *buf, size_t n)
{
	snprintf(buf, n, "the text for ticket #%lld is longer than %d kB once"
	    " its placeholders are filled in", (long long)tid,
	    TAME_REPLY_TEXT_MAX / 1024);
	return buf;
}

/* See http_desk.h. */
void
http_desk_too_long(struct http_ctx *c, int64_t tid)
{
	char why[128];

	http_error(c, 413, "too_large", "%s",
	    http_desk_too_long_msg(tid, why, sizeof(why)));
}

/* {ticket_id, message_id, by:{id,name}, at} of a. New reference; NULL
 * when out of memory. */
static json_t *
answered_json(const struct store_answered *a)
{
	char at[32];

	tame_time_iso(a->at, at);
	return json_pack("{s:I,s:I,s:{s:I,s:s?},s:s}", "ticket_id",
	    (json_int_t)a->ticket_id, "message_id", (json_int_t)a->message_id,
	    "by", "id", (json_int_t)a->agent_id, "name", a->agent_name, "at",
	    at);
}

/* See http_desk.h. */
enum tame_err
http_desk_recent(struct http_ctx *c, int64_t tid, const char *text,
    int64_t same_as, json_t *o)
{
	struct store_answered here, other;
	struct buf full;
	int64_t same = 0;
	enum tame_err rc;
	int64_t since = tame_now_ms() - reply_recent_ms();

	buf_init(&full, TAME_REPLY_TEXT_MAX + TAME_SIGNATURE_MAX + 8);
	if ((rc = store_intel_answered(c->store, tid, since, &here,
	    &other)) || (text && ((rc = reply_signed(c->store, tid, text,
	    &full)) || (rc = store_intel_same_reply(c->store, tid,
	    buf_str(&full), since, &same)))))
		goto out;
	if ((here.ticket_id && json_object_set_new(o, "answered",
	    answered_json(&here))) || (same && json_object_set_new(o,
	    "already_sent", json_integer(same))) || (other.ticket_id &&
	    json_object_set_new(o, "answered_elsewhere",
	    answered_json(&other))) || (same_as && json_object_set_new(o,
	    "same_customer_as", json_integer(same_as))))
		rc = TAME_ENOMEM;
out:
	buf_free(&full);
	store_answered_clear(&here);
	store_answered_clear(&other);
	return rc;
}

/* See http_desk.h. */
json_t *
http_desk_meanwhile(json_t *left, int64_t tid, struct store_meanwhile *m)
{
	static const char *const reasons[] = { "", "answered_meanwhile",
	    "solved_meanwhile", "closed_meanwhile", "merged_meanwhile" };
	json_t *o;
	char at[32];

	tame_time_iso(m->at, at);
	o = json_pack("{s:I,s:s,s:o,s:s}", "ticket_id", (json_int_t)tid,
	    "reason", reasons[m->kind], "by", m->agent_id ? json_pack(
	    "{s:I,s:s?}", "id", (json_int_t)m->agent_id, "name",
	    m->agent_name) : json_null(), "at", at);
	if (o && m->kind == MEANWHILE_ANSWERED && m->message_id &&
	    json_object_set_new(o, "message_id", json_integer(m->message_id)))
		goto fail;
	if (o && m->kind == MEANWHILE_MERGED &&
	    json_object_set_new(o, "into", json_integer(m->into)))
		goto fail;
	store_meanwhile_clear(m);
	return o && json_array_append_new(left, o) == 0 ? o : NULL;
fail:
	store_meanwhile_clear(m);
	json_decref(o);
	return NULL;
}

/* See http_desk.h. */
enum tame_err
http_desk_left_out(struct store *s, int64_t tid, int64_t since,
    json_t *left, int *found)
{
	struct store_meanwhile mw;
	enum tame_err rc;

	if (found)
		*found = 0;
	if ((rc = store_intel_meanwhile(s, tid, since, &mw)) == TAME_OK &&
	    mw.kind != MEANWHILE_NONE) {
		if (!http_desk_meanwhile(left, tid, &mw))
			rc = TAME_ENOMEM;
		else if (found)
			*found = 1;
	}
	store_meanwhile_clear(&mw);
	return rc;
}

/* See http_desk.h. */
const char *
http_desk_merged(struct http_ctx *c, int64_t tid, const char *todo,
    char *buf, size_t n)
{
	int64_t into = 0;

	if (store_desk_merged_into(c->store, tid, &into) != TAME_OK || !into)
		return NULL;
	snprintf(buf, n, "ticket #%lld was merged into #%lld: %s",
	    (long long)tid, (long long)into, todo);
	return buf;
}
