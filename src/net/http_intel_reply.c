/*
 * http_intel_reply.c - the mass reply to a trend:
 * POST /api/v1/trends/ID/reply. See http_intel.h and docs/API.md.
 *
 * Model: one text (or saved reply) becomes one email per open ticket
 * of the trend, each personalised by its placeholders (core/template.h)
 * and sent by reply_send() in the customer's own thread ("Re: their
 * subject [#id]", In-Reply-To their mail), so every customer sees a
 * personal answer and can reply to it. A preview lists the recipients
 * and their texts and sends nothing. The send names the tickets the
 * preview showed (ticket_ids): a ticket that joined the trend since, or
 * a trend merged in since, gets nothing the agent has not seen.
 *
 * Safe to retry: with an Idempotency-Key header the answer is kept
 * (store_idem_*) and a request repeated with the same key and body gets
 * that answer again and sends nothing. A request that died half-way
 * (tamed stopped) left its key claimed; after TAME_IDEMPOTENCY_STALE_MS
 * a retry (http_idem.c) takes it over and skips every ticket that already got this very text from this
 * agent since the first attempt, so even then nobody gets it twice.
 *
 * The same mass reply twice by mistake: the preview flags, for each
 * recipient, an agent's reply of the last TAME_MASS_RECENT_MS that the
 * customer has not answered, one on another ticket of theirs, and a
 * ticket that already has this very text (the web app leaves them
 * unchecked and says why); and the send itself skips a ticket whose
 * last word from us is this very text (reply_req.once), whatever the
 * Idempotency-Key, listing it in "already_sent". Only the identical
 * text is refused: an update ("it works again") to customers answered
 * an hour ago is the agent's call, which the preview informs. Each
 * unassigned ticket answered becomes the sender's (reply_req.take), so
 * the customer's answer reaches them.
 *
 * Answered meanwhile: the preview answers the newest event id when it
 * was made (since_event_id), read before the recipients; a send naming
 * it leaves out each ticket answered by anyone, solved, closed or
 * merged after it (reply_req.since_event_id, in the reply's own
 * transaction; a ticket that left the open set is asked too) and lists
 * it in "skipped" with why. A customer's own mail after it is no
 * reason: answering their follow-up with the others is the agent's
 * call. A preview naming the point of an earlier one answers the same
 * "skipped" (http_desk_left_out, the send's check) beside the
 * recipients it lists as ever, so an open dialog can mark them before
 * the agent sends; its own since_event_id is read first, so a change
 * while it asks comes up again after it.
 *
 * Every recipient's text is rendered and checked (not empty, not over
 * TAME_REPLY_TEXT_MAX) before the first is sent: a text that cannot go
 * to one of them refuses the whole request with nothing sent, rather
 * than leaving a half-sent mass reply. What fails after that (a ticket
 * merged meanwhile) is that ticket's entry in "failed".
 */
#include <stdlib.h>
#include <string.h>
#include "http_desk.h"
#include "http_idem.h"
#include "http_intel.h"
#include "intel.h"
#include "outbox.h"
#include "../core/auth.h"
#include "../core/template.h"
#include "../core/util.h"
#include "../mail/reply.h"
#include "../store/store_desk.h"
#include "../tame_limits.h"

struct mass {
	const char *tpl;          /* the text with its placeholders */
	int has_status;
	enum ticket_status status;
	int64_t *exclude;
	size_t nexclude;
	int64_t *only;            /* ticket_ids: these and no others */
	size_t nonly;
	int preview;
	const char *key;          /* Idempotency-Key or NULL */
	int64_t since;            /* the key's first claim */
	int resumed;              /* a stale claim taken over */
	int64_t since_event;      /* since_event_id: when the agent looked */
};

/* Reads the body into m; the text of a saved reply goes to *saved
 * (the caller clears it). -1 after answering. */
static int
read_body(struct http_ctx *c, const json_t *body, struct mass *m,
    struct store_saved_reply *saved)
{
	static const char *const keys[] = { "text", "saved_reply_id",
	    "status", "exclude", "preview", "ticket_ids", "since_event_id" };
	json_t *text = json_object_get(body, "text");
	json_t *sid = json_object_get(body, "saved_reply_id");
	json_t *st = json_object_get(body, "status");
	json_t *pv = json_object_get(body, "preview");
	json_t *ev = json_object_get(body, "since_event_id");
	enum tame_err rc;

	if (http_intel_known_keys(c, body, keys, 7) ||
	    http_intel_ids(c, body, "exclude", TAME_TREND_REPLY_MAX,
	    &m->exclude, &m->nexclude) ||
	    http_intel_ids(c, body, "ticket_ids", TAME_TREND_REPLY_MAX,
	    &m->only, &m->nonly))
		return -1;
	if (json_object_get(body, "ticket_ids") && m->nonly == 0) {
		http_error(c, 400, "missing_field", "field \"ticket_ids\" "
		    "must name at least one ticket");
		return -1;
	}
	if ((text && sid) || (!text && !sid)) {
		http_error(c, 400, text ? "invalid_field" : "missing_field",
		    "give either \"text\" or \"saved_reply_id\"");
		return -1;
	}
	if (text && (!json_is_string(text) ||
	    http_desk_blank(json_string_value(text)))) {
		http_error(c, 400, "invalid_field",
		    "field \"text\" must be a non-empty string");
		return -1;
	}
	if (sid && (!json_is_integer(sid) || json_integer_value(sid) < 1)) {
		http_error(c, 400, "invalid_field",
		    "field \"saved_reply_id\" must be an id");
		return -1;
	}
	if (pv && !json_is_boolean(pv)) {
		http_error(c, 400, "invalid_field",
		    "field \"preview\" must be true or false");
		return -1;
	}
	m->preview = pv && json_is_true(pv);
	/* null, as the bulk reply takes it: no point, nothing checked */
	if (ev && !json_is_null(ev) && (!json_is_integer(ev) ||
	    json_integer_value(ev) < 0)) {
		http_error(c, 400, "invalid_field",
		    "field \"since_event_id\" must be an event id");
		return -1;
	}
	m->since_event = json_integer_value(ev);
	if (st && (!json_is_string(st) || ticket_status_parse(
	    json_string_value(st), &m->status))) {
		http_error(c, 400, "invalid_field", "field \"status\" must be "
		    "one of new, open, pending, solved, closed");
		return -1;
	}
	m->has_status = st != NULL;
	if (text) {
		m->tpl = json_string_value(text);
		return 0;
	}
	rc = store_desk_saved_reply_get(c->store, json_integer_value(sid),
	    saved);
	if (rc == TAME_OK && saved->owner_id != c->agent.id && !saved->shared)
		rc = TAME_ENOTFOUND;
	if (rc) {
		http_store_error(c, rc, "saved reply");
		return -1;
	}
	m->tpl = saved->body;
	return 0;
}

static int
listed(const int64_t *ids, size_t n, int64_t tid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == tid)
			return 1;
	return 0;
}

/* Left out: excluded, or not among the tickets named. */
static int
excluded(const struct mass *m, int64_t tid)
{
	return listed(m->exclude, m->nexclude, tid) ||
	    (m->only && !listed(m->only, m->nonly, tid));
}

/* 1 in *yes when a stale attempt of this request (m->resumed) already
 * gave ticket tid this very text. */
static enum tame_err
sent_by_first(struct http_ctx *c, const struct mass *m, int64_t tid,
    int *yes)
{
	struct buf out;
	enum tame_err rc;

	*yes = 0;
	if (!m->resumed)
		return TAME_OK;
	buf_init(&out, TAME_REPLY_TEXT_MAX);
	if ((rc = http_desk_render(c, tid, m->tpl, &out)) == TAME_OK)
		rc = reply_already_sent(c->store, tid, c->agent.id, m->since,
		    buf_str(&out), yes);
	buf_free(&out);
	return rc;
}

/* The "resumed" entry of done for ticket tid. */
static enum tame_err
add_resumed(json_t *done, int64_t tid)
{
	return json_array_append_new(done, json_pack("{s:I,s:n,s:b}",
	    "ticket_id", (json_int_t)tid, "message_id", "resumed", 1)) ?
	    TAME_ENOMEM : TAME_OK;
}

/* The tickets named that are no open ticket of the trend now got
 * nothing: those a stale attempt of this request answered (and solved)
 * are done, "resumed"; those solved, closed or merged since the agent
 * looked are left out (left, with why), the others (moved out of the
 * trend) fail. */
static enum tame_err
gone(struct http_ctx *c, const struct mass *m,
    const struct store_trend_rcpt *r, size_t n, json_t *done,
    json_t *failed, json_t *left)
{
	enum tame_err rc;
	size_t i, k;
	int found = 0;

	for (i = 0; i < m->nonly; i++) {
		for (k = 0; k < n && r[k].ticket_id != m->only[i]; k++)
			;
		if (k < n || listed(m->only, i, m->only[i]))
			continue;
		if (!m->preview && (rc = sent_by_first(c, m, m->only[i],
		    &found)) && rc != TAME_ENOTFOUND)
			return rc;
		if (found) {
			if ((rc = add_resumed(done, m->only[i])))
				return rc;
			continue;
		}
		if (m->since_event > 0 && (rc = http_desk_left_out(c->store,
		    m->only[i], m->since_event, left, &found)))
			return rc;
		if (!found && json_array_append_new(failed, json_pack(
		    "{s:I,s:s}", "ticket_id", (json_int_t)m->only[i], "error",
		    "no longer an open ticket of this trend")))
			return TAME_ENOMEM;
	}
	return TAME_OK;
}

/* The text for recipient r into out (emptied first). */
static enum tame_err
render(struct http_ctx *c, const struct mass *m,
    const struct store_trend_rcpt *r, struct buf *out)
{
	struct template_ticket tt;

	memset(&tt, 0, sizeof(tt));
	tt.ticket_id = r->ticket_id;
	tt.ticket_subject = r->subject;
	tt.customer_name = r->name;
	tt.customer_email = r->email;
	tt.agent_name = c->agent.name;
	tt.agent_email = c->agent.email;
	buf_reset(out);
	return template_render(m->tpl, &tt, out);
}

/* 0 if every recipient's text can be sent; -1 after answering 413 (too
 * long once rendered), 400 (empty once rendered) or 500. */
static int
check_all(struct http_ctx *c, const struct mass *m,
    const struct store_trend_rcpt *r, size_t n)
{
	struct buf out;
	enum tame_err rc = TAME_OK;
	size_t i;

	buf_init(&out, TAME_REPLY_TEXT_MAX);
	for (i = 0; i < n && !rc; i++) {
		if (excluded(m, r[i].ticket_id))
			continue;
		if ((rc = render(c, m, &r[i], &out)) == TAME_ETOOBIG)
			http_desk_too_long(c, r[i].ticket_id);
		else if (rc)
			http_error(c, 500, "internal", "out of memory");
		else if (http_desk_blank(buf_str(&out))) {
			http_error(c, 400, "invalid_field", "the text for "
			    "ticket #%lld is empty once its placeholders are "
			    "filled in", (long long)r[i].ticket_id);
			rc = TAME_EINVAL;
		}
	}
	buf_free(&out);
	return rc ? -1 : 0;
}

/* What the preview says of recipient r[i] besides its text (o): see
 * http_desk_recent; same_customer_as is an earlier recipient of this
 * reply who is the same customer. */
static enum tame_err
preview_flags(struct http_ctx *c, const struct mass *m,
    const struct store_trend_rcpt *r, size_t i, const char *text, json_t *o)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (r[k].customer_id == r[i].customer_id &&
		    !excluded(m, r[k].ticket_id))
			break;
	return http_desk_recent(c, r[i].ticket_id, text, k < i ?
	    r[k].ticket_id : 0, o);
}

/* Sends (or previews) to each recipient; fills the answer's arrays:
 * done (sent, or previewed), failed, excl (left out by the agent), had
 * (this very text already), left (changed since the agent looked). */
static enum tame_err
send_all(struct http_ctx *c, const struct mass *m,
    const struct store_trend_rcpt *r, size_t n, json_t *done, json_t *failed,
    json_t *excl, json_t *had, json_t *left)
{
	struct store_meanwhile mw;
	struct reply_req rq;
	struct buf out;
	int64_t msg_id, same;
	enum tame_err rc = TAME_OK;
	size_t i;
	int already;
	json_t *o;
	char why[REPLY_WHY_MAX];
	const char *err;

	buf_init(&out, TAME_REPLY_TEXT_MAX);
	for (i = 0; i < n; i++) {
		if (excluded(m, r[i].ticket_id)) {
			json_array_append_new(excl,
			    json_integer(r[i].ticket_id));
			continue;
		}
		if ((rc = render(c, m, &r[i], &out)))
			break;
		if (m->preview) {
			o = json_pack("{s:I,s:s?,s:{s:s?,s:s?},s:s,s:s*}",
			    "ticket_id", (json_int_t)r[i].ticket_id,
			    "subject", r[i].subject, "customer", "email",
			    r[i].email, "name", r[i].name, "text",
			    buf_str(&out), "warning", reply_addr_valid(
			    r[i].email) ? NULL : "no mail can be written to "
			    "this address: it will fail");
			if (o && ((rc = preview_flags(c, m, r, i, buf_str(&out),
			    o)) || (m->since_event > 0 && (rc =
			    http_desk_left_out(c->store, r[i].ticket_id,
			    m->since_event, left, NULL))))) {
				json_decref(o);
				break;
			}
			if (!o || json_array_append_new(done, o)) {
				rc = TAME_ENOMEM;
				break;
			}
			continue;
		}
		already = 0;
		if (m->resumed && (rc = reply_already_sent(c->store,
		    r[i].ticket_id, c->agent.id, m->since, buf_str(&out),
		    &already)))
			break;
		if (already) {
			if ((rc = add_resumed(done, r[i].ticket_id)))
				break;
			continue;
		}
		memset(&rq, 0, sizeof(rq));
		rq.ticket_id = r[i].ticket_id;
		rq.agent_id = c->agent.id;
		rq.text = buf_str(&out);
		rq.has_status = m->has_status;
		rq.status = m->has_status ? m->status : TICKET_PENDING;
		why[0] = '\0';
		rq.why = why;
		rq.once = 1;
		rq.take = 1;
		same = 0;
		rq.same = &same;
		memset(&mw, 0, sizeof(mw));
		rq.since_event_id = m->since_event;
		rq.meanwhile = &mw;
		rc = reply_send(c->store, &rq, tame_now_ms(), &msg_id);
		if (rc == TAME_ECONFLICT && mw.kind != MEANWHILE_NONE) {
			if (!http_desk_meanwhile(left, r[i].ticket_id, &mw)) {
				rc = TAME_ENOMEM;
				break;
			}
			rc = TAME_OK;
			continue;
		}
		store_meanwhile_clear(&mw);
		if (rc == TAME_EEXIST) {
			rc = TAME_OK;
			if (json_array_append_new(had, json_pack("{s:I,s:I}",
			    "ticket_id", (json_int_t)r[i].ticket_id,
			    "message_id", (json_int_t)same))) {
				rc = TAME_ENOMEM;
				break;
			}
			continue;
		}
		if (rc) {
			err = rc == TAME_EINVAL && *why ? why :
			    tame_strerror(rc);
			tame_log(TAME_LOG_WARN, "http: mass reply to ticket %lld:"
			    " %s", (long long)r[i].ticket_id, err);
			json_array_append_new(failed, json_pack("{s:I,s:s}",
			    "ticket_id", (json_int_t)r[i].ticket_id, "error",
			    err));
			rc = TAME_OK;
			continue;
		}
		json_array_append_new(done, json_pack("{s:I,s:I,s:s}",
		    "ticket_id", (json_int_t)r[i].ticket_id, "message_id",
		    (json_int_t)msg_id, "to", r[i].email));
	}
	buf_free(&out);
	return rc;
}

void
http_intel_trend_reply(struct http_ctx *c)
{
	struct store_saved_reply saved;
	struct store_trend_rcpt *r = NULL;
	struct mass m;
	struct intel *in;
	json_t *body, *done = NULL, *failed = NULL, *excl = NULL, *ans;
	json_t *had = NULL, *left = NULL;
	char *text = NULL;
	int64_t id, head_msg, head_ev = 0;
	size_t n = 0;
	int more = 0;
	enum tame_err rc;

	memset(&m, 0, sizeof(m));
	memset(&saved, 0, sizeof(saved));
	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (read_body(c, body, &m, &saved) || !(in = http_intel_get(c)))
		goto out;
	/* the point the agent looks from is read before what they see */
	if ((rc = intel_resolve(in, c->store, c->id[0], &id)) ||
	    (m.preview && (rc = store_intel_heads(c->store, &head_msg,
	    &head_ev)))) {
		http_store_error(c, rc, "trend");
		goto out;
	}
	if ((rc = store_trend_rcpts(c->store, id, TAME_TREND_REPLY_MAX, &r, &n,
	    &more))) {
		http_store_error(c, rc, "trend");
		goto out;
	}
	if (more) {
		http_error(c, 413, "too_many", "this trend has more than %d "
		    "open tickets: split it and answer the parts",
		    TAME_TREND_REPLY_MAX);
		goto out;
	}
	if (check_all(c, &m, r, n))
		goto out;
	m.key = m.preview ? NULL : http_header(c, "Idempotency-Key");
	if (m.key && !http_idem_claim(c, m.key, body, &m.since, &m.resumed))
		goto out;
	if (!(done = json_array()) || !(failed = json_array()) ||
	    !(excl = json_array()) || !(had = json_array()) ||
	    !(left = json_array()) ||
	    (rc = send_all(c, &m, r, n, done, failed, excl, had, left)) ||
	    ((!m.preview || m.since_event > 0) &&
	    (rc = gone(c, &m, r, n, done, failed, left)))) {
		http_error(c, 500, "internal", "the mass reply failed");
		goto forget;
	}
	if (!m.preview)
		outbox_kick(c->outbox);
	ans = m.preview ? json_pack("{s:I,s:b,s:I,s:O,s:O,s:I,s:O*}",
	    "trend_id", (json_int_t)id, "preview", 1, "count",
	    (json_int_t)json_array_size(done), "recipients", done, "excluded",
	    excl, "since_event_id", (json_int_t)head_ev, "skipped",
	    m.since_event > 0 ? left : NULL) :
	    json_pack("{s:I,s:b,s:I,s:O,s:O,s:O,s:O,s:O}", "trend_id",
	    (json_int_t)id, "preview", 0, "count",
	    (json_int_t)json_array_size(done), "sent", done, "failed", failed,
	    "excluded", excl, "already_sent", had, "skipped", left);
	if (!ans || !(text = json_dumps(ans, JSON_COMPACT))) {
		json_decref(ans);
		http_error(c, 500, "internal", "out of memory");
		goto forget;
	}
	json_decref(ans);
	if (m.key && (rc = store_idem_finish(c->store, c->agent.id, m.key, 200,
	    text)))
		tame_log(TAME_LOG_WARN, "http: keeping the answer of "
		    "Idempotency-Key: %s", tame_strerror(rc));
	http_send(c, 200, "application/json", text, strlen(text));
	goto out;
forget:
	/* the claim stays when something went out: a retry resumes it */
	if (m.key && json_array_size(done) == 0)
		store_idem_release(c->store, c->agent.id, m.key);
out:
	free(text);
	free(m.exclude);
	free(m.only);
	store_trend_rcpts_free(r, n);
	store_saved_reply_clear(&saved);
	json_decref(done);
	json_decref(failed);
	json_decref(excl);
	json_decref(had);
	json_decref(left);
	json_decref(body);
}
