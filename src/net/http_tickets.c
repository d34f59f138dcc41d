/*
 * http_tickets.c - the ticket endpoints. See http_tickets.h and
 * docs/API.md.
 *
 * Model: handlers translate HTTP into the store's and reply module's
 * calls and their answers back; the JSON shapes come from the store's
 * view functions so that the list, the ticket and the answer to a reply
 * all show a message the same way. A change through PATCH and its
 * "ticket.updated" event are written in one transaction, so the history
 * never misses a change.
 *
 * Attachments are served as downloads (RFC 6266 Content-Disposition,
 * with filename* from RFC 8187 for non-ASCII names) and as
 * application/octet-stream unless they are a raster image type a browser
 * cannot run, with nosniff, so a hostile HTML or SVG attachment never
 * runs inside the app's origin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http_desk.h"
#include "http_idem.h"
#include "http_intel.h"
#include "http_tickets.h"
#include "intel.h"
#include "json_body.h"
#include "http_notify.h"
#include "http_presence.h"
#include "http_priority.h"
#include "outbox.h"
#include "reply_att.h"
#include "../core/auth.h"
#include "../core/buf.h"
#include "../core/util.h"
#include "../mail/reply.h"
#include "../store/store_intel.h"
#include "../tame_limits.h"

/* Longest ?status= list: all five names and commas fit. */
#define STATUS_PARAM_MAX 64
/* A page of the ticket list as JSON: TAME_LIST_LIMIT_MAX rows with the
 * longest subjects and previews fit. */
#define TICKETS_JSON_MAX (16 * 1024 * 1024)
/* Room made at once for a page of tickets as JSON (50 are about 30 kB). */
#define TICKETS_JSON_GUESS (64 * 1024)
/* File name bytes kept in Content-Disposition. */
#define FILENAME_MAX_BYTES 255

static const char *const ticket_cols[] = {
	"id", "subject", "status", "priority", "customer.id",
	"customer.email", "customer.name", "assignee.id", "assignee.email",
	"assignee.name", "mailbox_id", "message_count", "unparsed", "tags",
	"created_at", "updated_at", "preview", "last_customer_at",
};

/* Parses ?status= into a mask (0 = any). 0, or -1 after answering. */
static int
parse_status(struct http_ctx *c, unsigned *mask)
{
	const char *s = http_query(c, "status"), *p, *e;
	char name[16];
	enum ticket_status st;
	size_t n;

	*mask = (1u << TICKET_NEW) | (1u << TICKET_OPEN) |
	    (1u << TICKET_PENDING);
	if (!s)
		return 0;
	if (strcmp(s, "any") == 0) {
		*mask = 0;
		return 0;
	}
	if (strlen(s) > STATUS_PARAM_MAX)
		goto bad;
	*mask = 0;
	for (p = s; ; p = e + 1) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(name))
			goto bad;
		memcpy(name, p, n);
		name[n] = '\0';
		if (ticket_status_parse(name, &st))
			goto bad;
		*mask |= 1u << st;
		if (!e)
			break;
	}
	return 0;
bad:
	http_error(c, 400, "invalid_parameter", "parameter \"status\" must be "
	    "\"any\" or a comma list of new, open, pending, solved, closed");
	return -1;
}

/* Parses ?assignee=me|none|ID. 0, or -1 after answering. */
static int
parse_assignee(struct http_ctx *c, int64_t *out)
{
	const char *s = http_query(c, "assignee");

	*out = 0;
	if (!s)
		return 0;
	if (strcmp(s, "me") == 0) {
		*out = c->agent.id;
		return 0;
	}
	if (strcmp(s, "none") == 0) {
		*out = -1;
		return 0;
	}
	if (tame_parse_i64(s, 1, INT64_MAX, out) == TAME_OK)
		return 0;
	http_error(c, 400, "invalid_parameter",
	    "parameter \"assignee\" must be me, none or an agent id");
	return -1;
}

/* Parses ?sort=newest|oldest|priority. 0, or -1 after answering. */
static int
parse_sort(struct http_ctx *c, enum ticket_sort *out)
{
	const char *s = http_query(c, "sort");

	*out = TICKET_SORT_NEWEST;
	if (!s || strcmp(s, "newest") == 0)
		return 0;
	if (strcmp(s, "oldest") == 0) {
		*out = TICKET_SORT_OLDEST;
		return 0;
	}
	if (strcmp(s, "priority") == 0) {
		*out = TICKET_SORT_PRIORITY;
		return 0;
	}
	http_error(c, 400, "invalid_parameter",
	    "parameter \"sort\" must be newest, oldest or priority");
	return -1;
}

void
http_tickets_list(struct http_ctx *c)
{
	struct ticket_query q = { 0 };
	struct intel *in;
	struct buf text;
	json_t *view = NULL;
	char *tag = NULL;
	int64_t trend;
	enum tame_err rc;
	int csv;

	if ((csv = http_want_csv(c)) < 0 || parse_status(c, &q.status_mask) ||
	    parse_assignee(c, &q.assignee_id) || parse_sort(c, &q.sort) ||
	    http_query_int(c, "mailbox", 1, INT64_MAX, 0, &q.mailbox_id) ||
	    http_query_int(c, "customer", 1, INT64_MAX, 0, &q.customer_id) ||
	    http_query_int(c, "trend", 1, INT64_MAX, 0, &q.trend_id) ||
	    http_intel_flag_param(c, &q.flags) ||
	    http_priority_param(c, &q.priority_mask) ||
	    http_query_page(c, &q.limit, &q.cursor))
		return;
	/* a trend merged into another is that one, as for GET /trends/ID */
	if (q.trend_id && (in = intel_get()) &&
	    intel_resolve(in, c->store, q.trend_id, &trend) == TAME_OK)
		q.trend_id = trend;
	q.q = http_query(c, "q");
	if (q.q && strlen(q.q) > TAME_QUERY_MAX) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"q\" is longer than %d bytes", TAME_QUERY_MAX);
		return;
	}
	if (q.q && q.q[0] == '\0')
		q.q = NULL;
	/* a customer's address finds their tickets (the text search would
	 * take it for words) */
	if (q.q && !q.customer_id && reply_addr_valid(q.q) &&
	    (rc = store_customer_by_email(c->store, q.q, &q.customer_id)) !=
	    TAME_ENOTFOUND) {
		if (rc) {
			http_store_error(c, rc, "customer");
			return;
		}
		q.q = NULL;
	}
	q.tag = http_query(c, "tag");
	if (q.tag && (q.tag[0] == '\0' || strlen(q.tag) > TAME_FIELD_MAX)) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"tag\" must be 1 to %d bytes", TAME_FIELD_MAX);
		return;
	}
	/* as tags are kept (" café" is "café"); one not UTF-8 was
	 * refused with the query */
	if (q.tag && !(q.tag = tag = tame_tag_norm(q.tag))) {
		http_error(c, 500, "internal", "out of memory");
		return;
	}
	/* JSON, the common case, goes out as the store wrote it. */
	buf_init(&text, TICKETS_JSON_MAX);
	if (!csv)
		(void)buf_reserve(&text, TICKETS_JSON_GUESS);
	rc = csv ? store_tickets_view(c->store, &q, &view) :
	    store_tickets_view_text(c->store, &q, &text);
	if (rc == TAME_EINVAL)
		http_error(c, 400, "invalid_parameter",
		    "parameter \"cursor\" or \"q\" is not valid");
	else if (rc)
		http_store_error(c, rc, "tickets");
	else if (csv)
		http_list(c, view, csv, "tickets", ticket_cols,
		    sizeof(ticket_cols) / sizeof(ticket_cols[0]));
	else
		http_send_buf(c, 200, "application/json", &text);
	buf_free(&text);
	free(tag);
}

void
http_tickets_get(struct http_ctx *c)
{
	json_t *view = NULL;
	enum tame_err rc;

	if ((rc = store_ticket_view(c->store, c->id[0], &view))) {
		http_store_error(c, rc, "ticket");
		return;
	}
	http_json(c, 200, view);
}

/* Answers status with {"message": ...}, the message msg_id as the ticket
 * view shows it. */
static void
answer_message(struct http_ctx *c, int64_t msg_id, int status,
    const char *key)
{
	json_t *view = NULL, *msgs, *m, *found = NULL, *ans;
	enum tame_err rc;
	char *text = NULL;
	size_t i;

	if ((rc = store_ticket_view(c->store, c->id[0], &view)) == TAME_OK) {
		msgs = json_object_get(json_object_get(view, "ticket"),
		    "messages");
		json_array_foreach(msgs, i, m) {
			if (json_integer_value(json_object_get(m, "id")) ==
			    msg_id) {
				found = m;
				break;
			}
		}
	}
	/* the message is written (and a reply on its way): the answer
	 * says so even when the view cannot be read now */
	ans = found ? json_pack("{s:O}", "message", found) :
	    json_pack("{s:{s:I}}", "message", "id", (json_int_t)msg_id);
	if (!ans || !(text = json_dumps(ans, JSON_COMPACT))) {
		http_send(c, status, "application/json", "{}", 2);
	} else {
		/* kept for a retry under the same Idempotency-Key */
		if (key && (rc = store_idem_finish(c->store, c->agent.id, key,
		    status, text)))
			tame_log(TAME_LOG_WARN, "http: keeping the answer of "
			    "Idempotency-Key: %s", tame_strerror(rc));
		http_send(c, status, "application/json", text, strlen(text));
	}
	free(text);
	json_decref(ans);
	json_decref(view);
}

void
http_tickets_reply(struct http_ctx *c)
{
	struct json_body_err err;
	struct json_reply in;
	struct reply_req r;
	struct reply_att att = { 0 };
	json_t *body, *whole = NULL;
	int64_t msg_id = 0, since = 0, newer = 0;
	enum tame_err rc;
	size_t i;
	char why[96], hash[AUTH_HASH_HEX + 1], refusal[REPLY_WHY_MAX];
	const char *key = http_header(c, "Idempotency-Key");
	int resumed = 0, claimed = 0, done = 0, newer_reply = 0;

	/* the one route whose body may carry files (reply_att.h) */
	if (!(body = http_body(c, TAME_REPLY_BODY_MAX)))
		return;
	if ((rc = reply_att_take(body, &att, &err))) {
		if (rc == TAME_ENOMEM)
			http_store_error(c, rc, "attachments");
		else
			http_body_error(c, &err);
		goto out;
	}
	/* without files, the limit of every other body */
	if (att.n == 0 && c->req->binary_body_length > TAME_HTTP_BODY_MAX) {
		http_error(c, 413, "too_large", "request body is larger than "
		    "%d bytes", TAME_HTTP_BODY_MAX);
		goto out;
	}
	if (json_body_reply(body, &in, &err)) {
		http_body_error(c, &err);
		goto out;
	}
	for (i = 0; i < in.ncc; i++) {
		if (!reply_addr_valid(in.cc[i])) {
			http_error(c, 400, "invalid_field", "field \"cc\": "
			    "\"%.80s\" is not an email address", in.cc[i]);
			goto out;
		}
	}
	/* a retry with the same key (the answer was lost) gets the first
	 * answer and sends nothing; the key stands for the body's bytes,
	 * files and all */
	if (key) {
		auth_sha256_hex((const char *)c->req->binary_body,
		    c->req->binary_body_length, hash);
		if (!(whole = json_pack("{s:s}", "body_sha256", hash))) {
			http_store_error(c, TAME_ENOMEM, "Idempotency-Key");
			goto out;
		}
		if (!http_idem_claim(c, key, whole, &since, &resumed))
			goto out;
		claimed = 1;
		/* taken over from a tamed that stopped mid-way: was the
		 * reply written before it stopped? */
		if (resumed && (rc = reply_already_sent(c->store, c->id[0],
		    c->agent.id, since, in.text, &done))) {
			store_idem_release(c->store, c->agent.id, key);
			http_store_error(c, rc, "ticket");
			goto out;
		}
		if (done) {
			static const char sent[] = "{\"error\":{\"code\":"
			    "\"already_sent\",\"message\":\"a reply with this "
			    "Idempotency-Key was sent already\"}}";

			/* kept: the next retry hears the same */
			store_idem_finish(c->store, c->agent.id, key, 409, sent);
			http_send(c, 409, "application/json", sent,
			    sizeof(sent) - 1);
			goto out;
		}
	}
	memset(&r, 0, sizeof(r));
	r.ticket_id = c->id[0];
	r.agent_id = c->agent.id;
	r.text = in.text;
	r.cc = in.cc;
	r.ncc = in.ncc;
	r.has_status = in.has_status;
	r.status = in.has_status ? in.status : TICKET_PENDING;
	r.att = att.att;
	r.natt = att.n;
	refusal[0] = '\0';
	r.why = refusal;
	/* an unassigned ticket answered becomes the agent's, as a mass
	 * reply makes it: the customer's answer lands in their Mine */
	r.take = 1;
	/* Collision check: the customer wrote, or a colleague answered,
	 * after the composer opened (a retry under the same key heard its
	 * first answer above, before this) */
	r.since_message_id = in.since_message_id;
	r.force = in.force;
	r.newer = &newer;
	r.newer_reply = &newer_reply;
	rc = reply_send(c->store, &r, tame_now_ms(), &msg_id);
	if (rc && claimed)
		store_idem_release(c->store, c->agent.id, key);
	if (rc == TAME_ECONFLICT && newer) {
		http_presence_newer(c, newer, newer_reply);
		goto out;
	}
	if (rc == TAME_EINVAL) {
		tame_log(TAME_LOG_WARN, "http: reply to ticket %lld refused: %s",
		    (long long)c->id[0], *refusal ? refusal : "invalid input");
		http_error(c, 422, "unsendable", "the reply was not sent: %s",
		    *refusal ? refusal : "check text and cc");
		goto out;
	}
	if (rc == TAME_ECONFLICT && http_desk_merged(c, c->id[0],
	    "reply there", why, sizeof(why))) {
		http_error(c, 409, "conflict", "%s", why);
		goto out;
	}
	if (rc) {
		http_store_error(c, rc, "ticket");
		goto out;
	}
	outbox_kick(c->outbox);
	answer_message(c, msg_id, 201, claimed ? key : NULL);
out:
	reply_att_free(&att);
	json_decref(whole);
	json_decref(body);
}

void
http_tickets_note(struct http_ctx *c)
{
	struct json_body_err err;
	const char *text;
	json_t *body;
	int64_t msg_id = 0;
	enum tame_err rc;
	char why[96];

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (json_body_note(body, &text, &err)) {
		http_body_error(c, &err);
		goto out;
	}
	rc = reply_note(c->store, c->id[0], c->agent.id, text, tame_now_ms(),
	    &msg_id);
	if (rc == TAME_ECONFLICT && http_desk_merged(c, c->id[0],
	    "write the note there", why, sizeof(why))) {
		http_error(c, 409, "conflict", "%s", why);
		goto out;
	}
	if (rc) {
		http_store_error(c, rc, rc == TAME_EINVAL ? "note" : "ticket");
		goto out;
	}
	http_notify_mentions(c, c->id[0], msg_id, text);
	answer_message(c, msg_id, 201, NULL);
out:
	json_decref(body);
}

/* 0 if id is an agent who can take tickets; -1 after answering 400. */
static int
check_assignee(struct http_ctx *c, int64_t id)
{
	struct agent a = { 0 };
	enum tame_err rc;
	int ret = -1;

	rc = store_agent_get(c->store, id, &a);
	if (rc == TAME_ENOTFOUND || (rc == TAME_OK && a.disabled))
		http_error(c, 400, "invalid_field", "field \"assignee_id\": "
		    "no active agent with id %lld", (long long)id);
	else if (rc)
		http_store_error(c, rc, "agent");
	else
		ret = 0;
	agent_clear(&a);
	return ret;
}

void
http_tickets_patch(struct http_ctx *c)
{
	struct json_body_err err;
	struct json_ticket_patch in;
	const struct ticket_patch *p = &in.patch;
	json_t *body, *view = NULL;
	int64_t now = tame_now_ms();
	enum tame_err rc;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (json_body_ticket_patch(body, &in, &err)) {
		http_body_error(c, &err);
		goto out;
	}
	if (p->has_assignee && p->assignee_id > 0 &&
	    check_assignee(c, p->assignee_id))
		goto out;
	if (json_object_size(body) > 0) {
		if ((rc = store_begin(c->store))) {
			http_store_error(c, rc, "ticket update");
			goto out;
		}
		rc = store_ticket_update(c->store, c->id[0], p, now);
		if (rc == TAME_OK)
			rc = store_event_add(c->store, c->id[0], c->agent.id,
			    "ticket.updated", body, now);
		if (rc == TAME_OK)
			rc = store_commit(c->store);
		if (rc == TAME_ECONFLICT) {
			http_error(c, 409, "conflict", "%s",
			    store_errmsg(c->store));
			store_rollback(c->store);
			goto out;
		}
		if (rc) {
			store_rollback(c->store);
			http_store_error(c, rc, "ticket");
			goto out;
		}
	}
	if ((rc = store_ticket_view(c->store, c->id[0], &view))) {
		http_store_error(c, rc, "ticket");
		goto out;
	}
	http_json(c, 200, view);
out:
	json_decref(body);
}

/* Our own spelling of ct when it is a raster image type a browser shows
 * but never runs; NULL otherwise. */
static const char *
safe_image_type(const char *ct)
{
	static const char *const ok[] = {
		"image/png", "image/jpeg", "image/gif", "image/webp",
	};
	size_t i, n;

	if (!ct)
		return NULL;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = strlen(ok[i]);
		if (strncasecmp(ct, ok[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';'))
			return ok[i];
	}
	return NULL;
}

/* Appends the Content-Disposition value for file name fn to out: an
 * ASCII fallback in filename= and, when the name is not plain ASCII,
 * the exact name in filename*=UTF-8''... (RFC 6266, RFC 8187). */
static enum tame_err
disposition(struct buf *out, const char *fn)
{
	static const char hex[] = "0123456789ABCDEF";
	enum tame_err rc;
	size_t i, len;
	int plain = 1;

	if (!fn || !fn[0])
		fn = "attachment";
	len = strlen(fn);
	if (len > FILENAME_MAX_BYTES) {
		len = FILENAME_MAX_BYTES;
		/* Do not cut a UTF-8 sequence in two. */
		while (len > 0 && ((unsigned char)fn[len] & 0xc0) == 0x80)
			len--;
	}
	if ((rc = buf_addstr(out, "attachment; filename=\"")))
		return rc;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)fn[i];
		char keep = (char)ch;

		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			keep = '_';
			plain = 0;
			/* One '_' per character, not per UTF-8 byte. */
			if ((ch & 0xc0) == 0x80)
				continue;
		}
		if ((rc = buf_add(out, &keep, 1)))
			return rc;
	}
	if ((rc = buf_addstr(out, "\"")))
		return rc;
	if (plain)
		return TAME_OK;
	if ((rc = buf_addstr(out, "; filename*=UTF-8''")))
		return rc;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)fn[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("!#$&+-.^_`|~", ch)) {
			if (ch && (rc = buf_add(out, &fn[i], 1)))
				return rc;
			continue;
		}
		if ((rc = buf_printf(out, "%%%c%c", hex[ch >> 4],
		    hex[ch & 15])))
			return rc;
	}
	return TAME_OK;
}

void
http_tickets_attachment(struct http_ctx *c)
{
	struct buf data, disp;
	char *fn = NULL, *ct = NULL;
	const char *type;
	enum tame_err rc;

	buf_init(&data, TAME_SMTP_MESSAGE_MAX);
	buf_init(&disp, 4096);
	rc = store_attachment_get(c->store, c->id[0], c->id[1], &fn, &ct,
	    &data);
	if (rc) {
		http_store_error(c, rc, "attachment");
		goto out;
	}
	if ((rc = disposition(&disp, fn))) {
		http_store_error(c, rc, "attachment name");
		goto out;
	}
	if (!(type = safe_image_type(ct)))
		type = "application/octet-stream";
	http_send(c, 200, type, buf_str(&data), data.len);
	u_map_put(c->res->map_header, "Content-Disposition", buf_str(&disp));
	u_map_put(c->res->map_header, "Cache-Control", "private, no-cache");
out:
	free(fn);
	free(ct);
	buf_free(&data);
	buf_free(&disp);
}
