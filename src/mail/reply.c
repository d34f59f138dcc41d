/*
 * reply.c - agents' replies and notes. See reply.h.
 *
 * Everything a reply changes is written in one transaction: the outbound
 * message, its outbox item (the exact bytes that will be sent), the CC
 * participants, the ticket's status and the events. The outbox thread
 * delivers it afterwards, so a crash between "agent pressed send" and
 * "relay accepted" loses nothing and sends nothing twice.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "../core/thread.h"
#include "../core/util.h"
#include "../store/store_desk.h"
#include "../tame_limits.h"
#include "mime.h"
#include "reply.h"
#include "../store/store_intel.h"
#include "reply_html.h"

int
reply_addr_valid(const char *s)
{
	const char *at, *p;
	size_t n;

	if (!s || (n = strlen(s)) < 3 || n > TAME_FIELD_MAX)
		return 0;
	if (!(at = strchr(s, '@')) || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	/* printable ASCII only: the relay is not asked for SMTPUTF8, so
	 * a raw U+2028 or an accented local part would go out as bytes no
	 * header or RCPT may carry; and no quoted local part or address
	 * literal ([127.0.0.1]), which mime_compose does not write */
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x80 ||
		    *p == '<' || *p == '>' ||
		    *p == ',' || *p == '"' || *p == '(' || *p == ')' ||
		    *p == ';' || *p == ':' || *p == '[' || *p == ']' ||
		    *p == '\\' || (unsigned char)*p == 0x7f)
			return 0;
	return strchr(at + 1, '.') != NULL || strcmp(at + 1, "localhost") == 0;
}

/* Says in r->why (when set) what was refused: what, then the address
 * (printable ASCII, cut) when there is one. */
static void
refused(const struct reply_req *r, const char *what, const char *addr)
{
	size_t n = 0;
	const char *p;

	if (!r->why)
		return;
	for (p = what; *p && n + 1 < REPLY_WHY_MAX; p++)
		r->why[n++] = *p;
	for (p = addr; p && *p && n + 1 < REPLY_WHY_MAX; p++)
		r->why[n++] = (unsigned char)*p >= ' ' &&
		    (unsigned char)*p < 0x7f ? *p : '?';
	r->why[n] = '\0';
}

static char *
json_list(const char *first, const char *const *v, size_t n)
{
	json_t *a = json_array();
	char *out;
	size_t i;

	if (!a)
		return NULL;
	if (first)
		json_array_append_new(a, json_string(first));
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

/* See reply.h. */
enum tame_err
reply_signed(struct store *s, int64_t ticket_id, const char *text,
    struct buf *out)
{
	size_t n = strlen(text);
	char *sig = NULL;
	enum tame_err rc;

	/* the mailbox's signature closes every reply from it */
	if ((rc = store_mailbox_signature(s, 0, ticket_id, &sig)))
		return rc;
	if (sig && *sig) {
		while (n && strchr(" \t\r\n", text[n - 1]))
			n--;
		if (!(rc = buf_add(out, text, n)))
			rc = buf_printf(out, "\n\n%s", sig);
	} else {
		rc = buf_addstr(out, text);
	}
	free(sig);
	return rc;
}

/* See reply.h. */
enum tame_err
reply_already_sent(struct store *s, int64_t ticket_id, int64_t agent_id,
    int64_t since, const char *text, int *yes)
{
	struct buf signed_text;
	enum tame_err rc;

	buf_init(&signed_text, TAME_REPLY_TEXT_MAX + TAME_SIGNATURE_MAX + 8);
	if (!(rc = reply_signed(s, ticket_id, text, &signed_text)))
		rc = store_intel_reply_done(s, ticket_id, agent_id, since,
		    buf_str(&signed_text), yes);
	buf_free(&signed_text);
	return rc;
}

/* See reply.h. */
enum tame_err
reply_undelivered(struct store *s, int64_t tid, int64_t now)
{
	struct ticket_ref ref;
	enum tame_err rc;
	json_t *ev;

	if ((rc = store_ticket_ref(s, tid, &ref)) || (ref.status !=
	    TICKET_PENDING && ref.status != TICKET_SOLVED))
		return rc;
	if ((rc = store_ticket_set_status(s, tid, TICKET_OPEN, now)))
		return rc;
	if (!(ev = json_pack("{ss}", "status", "open")))
		return TAME_ENOMEM;
	rc = store_event_add(s, tid, 0, "ticket.reopened", ev, now);
	json_decref(ev);
	return rc;
}

/* The collision check of r (reply.h), inside the reply's transaction,
 * so that of two agents sending at once the second sees the first. */
static enum tame_err
newer_than_since(struct store *s, const struct reply_req *r)
{
	int64_t newer = 0;
	int is_reply = 0;
	enum tame_err rc;

	if (r->since_message_id <= 0 || r->force)
		return TAME_OK;
	if ((rc = store_desk_newer_inbound(s, r->ticket_id,
	    r->since_message_id, r->agent_id, &newer, &is_reply)) || !newer)
		return rc;
	if (r->newer)
		*r->newer = newer;
	if (r->newer_reply)
		*r->newer_reply = is_reply;
	return TAME_ECONFLICT;
}

/* r->since_event_id (reply.h), inside the reply's transaction. */
static enum tame_err
changed_since(struct store *s, const struct reply_req *r)
{
	enum tame_err rc;

	if (r->since_event_id <= 0 || !r->meanwhile)
		return TAME_OK;
	if ((rc = store_intel_meanwhile(s, r->ticket_id, r->since_event_id,
	    r->meanwhile)))
		return rc;
	return r->meanwhile->kind == MEANWHILE_NONE ? TAME_OK :
	    TAME_ECONFLICT;
}

/* r->once (reply.h): 0 when the signed text was not sent to the ticket
 * yet, else TAME_EEXIST. In the reply's transaction, so of two mass
 * replies sent at once the second sees the first. */
int64_t
reply_recent_ms(void)
{
	return tame_env_i64("TAME_MASS_RECENT_MS", 1,
	    (int64_t)7 * 24 * 3600 * 1000, TAME_MASS_RECENT_MS);
}

static enum tame_err
sent_before(struct store *s, const struct reply_req *r, int64_t tid,
    const char *text)
{
	int64_t same = 0;
	enum tame_err rc;

	if (!r->once)
		return TAME_OK;
	if ((rc = store_intel_same_reply(s, tid, text, tame_now_ms() -
	    reply_recent_ms(), &same)) || !same)
		return rc;
	if (r->same)
		*r->same = same;
	return TAME_EEXIST;
}

/* r->take (reply.h): an unassigned ticket becomes the agent's, with the
 * ticket.updated event an assignment writes. */
static enum tame_err
take(struct store *s, const struct reply_req *r, int64_t tid, int64_t now)
{
	json_t *ev;
	enum tame_err rc;
	int taken = 0;

	if (!r->take || !r->agent_id)
		return TAME_OK;
	if ((rc = store_intel_take(s, tid, r->agent_id, now, &taken)) ||
	    !taken)
		return rc;
	if (!(ev = json_pack("{sI}", "assignee_id", (json_int_t)r->agent_id)))
		return TAME_ENOMEM;
	rc = store_event_add(s, tid, r->agent_id, "ticket.updated", ev, now);
	json_decref(ev);
	return rc;
}

enum tame_err
reply_send(struct store *s, const struct reply_req *r, int64_t now,
    int64_t *msg_id)
{
	struct reply_ctx ctx;
	struct agent ag;
	struct mime_out m;
	struct message_new mn;
	struct buf raw, rcpts, html, full;
	char subject[1200], *mid = NULL, *to_json = NULL, *cc_json = NULL;
	const char *text = r->text;
	const char *to[1], *domain;
	enum ticket_status st = r->has_status ? r->status : TICKET_PENDING;
	enum tame_err rc;
	json_t *ev = NULL;
	int64_t item, merged = 0;
	const char **cc = NULL;
	size_t i, k, ncc = 0;
	int began = 0, formatted = 0;

	memset(&ctx, 0, sizeof(ctx));
	memset(&ag, 0, sizeof(ag));
	/* the text (and its HTML) and the files in base64 with line ends */
	buf_init(&raw, TAME_HTTP_BODY_MAX * 4 +
	    (size_t)TAME_REPLY_ATT_BYTES_MAX * 3 / 2);
	buf_init(&rcpts, 64 * 1024);
	buf_init(&html, TAME_HTTP_BODY_MAX * 4);
	buf_init(&full, TAME_HTTP_BODY_MAX + TAME_SIGNATURE_MAX + 8);
	if (!r->text || !*r->text) {
		refused(r, "the text is empty", NULL);
		return TAME_EINVAL;
	}
	for (i = 0; i < r->ncc; i++)
		if (!reply_addr_valid(r->cc[i])) {
			refused(r, "no mail can be written to the CC address ",
			    r->cc[i]);
			return TAME_EINVAL;
		}
	if ((rc = store_begin(s)))
		goto out;
	began = 1;
	if ((rc = store_reply_ctx(s, r->ticket_id, &ctx)))
		goto out;
	/* a customer's address Tame took in but cannot write to (a quoted
	 * local part, an address literal, non-ASCII) */
	if (!reply_addr_valid(ctx.customer_email)) {
		refused(r, "no mail can be written to the customer's address ",
		    ctx.customer_email);
		rc = TAME_EINVAL;
		goto out;
	}
	/* this very text sent already (a mass reply sent twice): said as
	 * such, not as an answer meanwhile */
	if ((rc = reply_signed(s, ctx.ticket_id, r->text, &full)))
		goto out;
	text = buf_str(&full);
	if ((rc = sent_before(s, r, ctx.ticket_id, text)))
		goto out;
	/* what changed since the agent looked comes next: a ticket
	 * merged meanwhile is told as such, not as a stale merge */
	if ((rc = changed_since(s, r)))
		goto out;
	/* a merged ticket's conversation goes on in the one it went into:
	 * a reply here would start a second thread with the customer */
	if ((rc = store_desk_merged_into(s, r->ticket_id, &merged)) ||
	    (merged && (rc = TAME_ECONFLICT)))
		goto out;
	if ((rc = newer_than_since(s, r)))
		goto out;
	/* each CC once, and not the customer, who is the To already: the
	 * relay would be sent one address twice */
	if (r->ncc && !(cc = calloc(r->ncc, sizeof(*cc)))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	for (i = 0; i < r->ncc; i++) {
		for (k = 0; k < ncc && strcasecmp(cc[k], r->cc[i]); k++)
			;
		if (k == ncc && strcasecmp(r->cc[i], ctx.customer_email))
			cc[ncc++] = r->cc[i];
	}
	if (r->agent_id && (rc = store_agent_get(s, r->agent_id, &ag)))
		goto out;
	domain = strchr(ctx.mailbox_address, '@');
	domain = domain ? domain + 1 : "localhost";
	if (!(mid = mime_new_message_id(domain))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	thread_reply_subject(ctx.subject, ctx.ticket_id, subject,
	    sizeof(subject));
	to[0] = ctx.customer_email;
	memset(&m, 0, sizeof(m));
	m.from_email = ctx.mailbox_address;
	m.from_name = ctx.mailbox_name;
	m.to = to;
	m.to_name = ctx.customer_name;
	m.nto = 1;
	m.cc = cc;
	m.ncc = ncc;
	m.subject = subject;
	m.message_id = mid;
	m.in_reply_to = ctx.last_message_id;
	m.references = ctx.references;
	m.text = text;
	m.html = r->html;
	/* light formatting (**bold**, lists) gets an HTML part beside the
	 * text (reply_html.h) */
	if (!m.html && (rc = reply_html(text, &html, &formatted)) ==
	    TAME_OK && formatted)
		m.html = buf_str(&html);
	if (rc)
		goto out;
	m.att = r->att;
	m.natt = r->natt;
	m.date_ms = now;
	if ((rc = mime_compose(&m, &raw)))
		goto out;
	to_json = json_list(ctx.customer_email, NULL, 0);
	cc_json = json_list(NULL, cc, ncc);
	memset(&mn, 0, sizeof(mn));
	mn.ticket_id = ctx.ticket_id;
	mn.direction = MSG_OUT;
	mn.from_email = ctx.mailbox_address;
	mn.from_name = ag.name ? ag.name : ctx.mailbox_name;
	mn.to_json = to_json;
	mn.cc_json = cc_json;
	mn.subject = subject;
	mn.text = text;
	mn.html = r->html;
	mn.message_id = mid;
	mn.in_reply_to = ctx.last_message_id;
	mn.references = ctx.references;
	mn.agent_id = r->agent_id;
	mn.delivery = DELIVERY_QUEUED;
	mn.created_at = now;
	if ((rc = store_message_add(s, &mn, msg_id)))
		goto out;
	for (i = 0; i < r->natt; i++)
		if ((rc = store_attachment_add(s, *msg_id, r->att[i].filename,
		    r->att[i].content_type, NULL, 0, r->att[i].data,
		    r->att[i].len, &item)))
			goto out;
	if ((rc = buf_addstr(&rcpts, ctx.customer_email)))
		goto out;
	for (i = 0; i < ncc; i++) {
		if ((rc = buf_printf(&rcpts, ",%s", cc[i])))
			goto out;
		if ((rc = store_participant_add(s, ctx.ticket_id, cc[i])))
			goto out;
	}
	if ((rc = store_outbox_add(s, *msg_id, ctx.ticket_id,
	    ctx.mailbox_address, buf_str(&rcpts), NULL, raw.data, raw.len,
	    r->once, now, &item)))
		goto out;
	if (st != ctx.status &&
	    (rc = store_ticket_set_status(s, ctx.ticket_id, st, now)))
		goto out;
	ev = json_pack("{sIss}", "message_id", (json_int_t)*msg_id, "status",
	    ticket_status_name(st));
	if ((rc = store_event_add(s, ctx.ticket_id, r->agent_id, "reply.sent",
	    ev, now)) || (rc = take(s, r, ctx.ticket_id, now)))
		goto out;
	rc = store_commit(s);
	began = 0;
out:
	if (began)
		store_rollback(s);
	json_decref(ev);
	free(mid);
	free(to_json);
	free(cc_json);
	free(cc);
	buf_free(&raw);
	buf_free(&rcpts);
	buf_free(&html);
	buf_free(&full);

	agent_clear(&ag);
	store_reply_ctx_clear(&ctx);
	return rc;
}

enum tame_err
reply_note(struct store *s, int64_t ticket_id, int64_t agent_id,
    const char *text, int64_t now, int64_t *msg_id)
{
	struct agent ag;
	struct ticket_ref ref;
	struct message_new mn;
	enum tame_err rc;
	json_t *ev = NULL;
	int64_t merged = 0;
	int began = 0;

	memset(&ag, 0, sizeof(ag));
	if (!text || !*text)
		return TAME_EINVAL;
	if ((rc = store_begin(s)))
		goto out;
	began = 1;
	if ((rc = store_ticket_ref(s, ticket_id, &ref)))
		goto out;
	/* nobody would read it on the empty ticket left by a merge */
	if ((rc = store_desk_merged_into(s, ticket_id, &merged)) ||
	    (merged && (rc = TAME_ECONFLICT)))
		goto out;
	if (agent_id && (rc = store_agent_get(s, agent_id, &ag)))
		goto out;
	memset(&mn, 0, sizeof(mn));
	mn.ticket_id = ticket_id;
	mn.direction = MSG_NOTE;
	mn.from_email = ag.email ? ag.email : "";
	mn.from_name = ag.name;
	mn.text = text;
	mn.agent_id = agent_id;
	mn.created_at = now;
	if ((rc = store_message_add(s, &mn, msg_id)))
		goto out;
	ev = json_pack("{sI}", "message_id", (json_int_t)*msg_id);
	if ((rc = store_event_add(s, ticket_id, agent_id, "note.added", ev,
	    now)))
		goto out;
	rc = store_commit(s);
	began = 0;
out:
	if (began)
		store_rollback(s);
	json_decref(ev);
	agent_clear(&ag);
	return rc;
}
