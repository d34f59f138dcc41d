/*
 * ingest.c - one raw message in, ticket state out. See ingest.h.
 *
 * Order matters for the rule "no mail is lost": the message is parsed
 * first (pure, cannot lose anything), a duplicate Message-ID is answered
 * as stored without keeping a second copy (when it is the same mail:
 * stored_id), then the raw bytes are
 * written, and only then the derived rows, all inside one save point.
 * When anything after the raw copy fails, the save point is rolled back
 * and the message is kept, raw copy written again, as an unparsed ticket
 * pointing at it; but for a passing trouble (memory, the disk, a lock),
 * which leaves nothing of it, for its sender to try again. A failure that even that cannot survive leaves nothing
 * of the message behind, so a batch can go on without it.
 *
 * The parse and everything derived from the message alone (sender, the
 * address lists as JSON, References joined, the raw bytes packed as the
 * store keeps them) is ingest_prepare(), which
 * needs no store, so callers can run it on other threads than the one
 * that writes (tamed's parser pool, the importer's workers) and the
 * single writer of the store only writes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <sodium.h>
#include "../core/thread.h"
#include "../core/util.h"
#include "../store/store_desk.h"
#include "../tame_limits.h"
#include "../core/text.h"
#include "ack.h"
#include "ingest.h"
#include "mime.h"
#include "ours.h"
#include "reply.h"

/* Bytes of a message's text read for where its new text ends (the list
 * preview is 140 characters). */
#define INGEST_PREVIEW_SCAN 1024

/* Tickets started by answers to one message that came before it, read
 * at most: a mail is seldom answered more than once or twice before it
 * arrives. */
#define INGEST_ANSWERS_MAX 8

/* What ingest_prepare() works out before the store is involved. */
struct ingest_prep {
	struct mime_parsed p;
	char *sender;    /* lower-cased author address */
	char *to_json;   /* ["a@b",...] */
	char *cc_json;
	char *refs;      /* References ids joined by spaces, or NULL */
	struct raw_packed packed; /* the raw bytes as stored; may point
	                             into the caller's raw (codec none) */
	int archive;     /* from an archive: see ingest_prep_archive */
	int status;      /* ... the status of a ticket it makes */
	int64_t when_ms; /* ... its time when it has no Date, or 0 */
	size_t new_len;  /* the new text of p.text (text_cut), 0: all */
};

/* See ingest.h. */
void
ingest_prep_archive(struct ingest_prep *ip, int status, int64_t when_ms)
{
	ip->archive = 1;
	ip->status = status;
	ip->when_ms = when_ms;
}

/* The i-th address of m's To, then Cc (i < m->nto + m->ncc). */
static const char *
to_or_cc(const struct mime_parsed *m, size_t i)
{
	return i < m->nto ? m->to[i] : m->cc[i - m->nto];
}

/* Picks the mailbox: the first recipient that is one, else the first
 * address of the mail's To and Cc that is one (`tame deliver` without
 * --to, an import), else the first mailbox of the store. */
static enum tame_err
pick_mailbox(struct store *s, const char *rcpts, const struct mime_parsed *m,
    struct mailbox *mb)
{
	const char *p, *e;
	char addr[TAME_FIELD_MAX + 1];
	size_t n, i;

	for (p = rcpts; p && *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n == 0 || n >= sizeof(addr))
			continue;
		memcpy(addr, p, n);
		addr[n] = '\0';
		if (store_mailbox_by_address(s, addr, mb) == TAME_OK)
			return TAME_OK;
	}
	for (i = 0; m && i < m->nto + m->ncc; i++)
		if (store_mailbox_by_address(s, to_or_cc(m, i), mb) == TAME_OK)
			return TAME_OK;
	return store_mailbox_first(s, mb);
}

static char *
addr_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	char *out;
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

static char *
refs_joined(const struct mime_parsed *p)
{
	struct buf b;
	size_t i;

	buf_init(&b, 64 * 1024);
	for (i = 0; i < p->nreferences; i++) {
		if (i && buf_add(&b, " ", 1))
			break;
		if (buf_addstr(&b, p->references[i]))
			break;
	}
	return b.len ? buf_take(&b) : (buf_free(&b), NULL);
}

/* Builds the list of ids that may name our messages: In-Reply-To first,
 * then References newest first. Returns the count; ids borrowed. */
static size_t
thread_ids(const struct mime_parsed *p, const char **ids, size_t max)
{
	size_t n = 0, i;

	if (p->in_reply_to && n < max)
		ids[n++] = p->in_reply_to;
	for (i = p->nreferences; i > 0 && n < max; i--)
		ids[n++] = p->references[i - 1];
	return n;
}

/* Where ticket id's mail goes now: a ticket merged into another sends
 * its [#id] token on to the one it went into (its participants went
 * there too), through at most a few merges. 0 stays 0. */
static int64_t
resolve_merged(struct store *s, int64_t id)
{
	int64_t into;
	int hops;

	for (hops = 0; id > 0 && hops < 8; hops++) {
		if (store_desk_merged_into(s, id, &into) != TAME_OK || !into)
			break;
		id = into;
	}
	return id;
}

/* The ticket of the first of ids that names an acknowledgement we sent
 * (it has no message row). TAME_ENOTFOUND if none does. */
static enum tame_err
ack_ticket(struct store *s, const char *const *ids, size_t n,
    int64_t *ticket_id)
{
	enum tame_err rc;
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] && ids[i][0] && (rc = store_outbox_ack_ticket(s,
		    ids[i], ticket_id)) != TAME_ENOTFOUND) {
			if (rc == TAME_OK)
				*ticket_id = resolve_merged(s, *ticket_id);
			return rc;
		}
	return TAME_ENOTFOUND;
}

/* *cc_only = 1 when the addresses a report says failed (rcpts, ", "
 * joined; NULL when it did not say) leave out the To of reply msg: a
 * colleague in CC did not get it, the customer did. The reply's own
 * To, not the ticket's customer now: a ticket merged into another
 * customer's since has that one's. */
static enum tame_err
bounced_cc_only(struct store *s, int64_t msg, const char *rcpts,
    int *cc_only)
{
	json_t *to, *a;
	char *to_json = NULL;
	enum tame_err rc;
	size_t i;

	*cc_only = 0;
	if (!rcpts || !*rcpts)
		return TAME_OK;
	if ((rc = store_message_to(s, msg, &to_json)))
		return rc == TAME_ENOTFOUND ? TAME_OK : rc;
	to = json_loads(to_json, 0, NULL);
	free(to_json);
	*cc_only = json_array_size(to) > 0;
	json_array_foreach(to, i, a)
		if (json_is_string(a) && mime_addr_listed(rcpts,
		    json_string_value(a)))
			*cc_only = 0;
	json_decref(to);
	return TAME_OK;
}

/* A delivery report for a reply we sent: attach it to that ticket; a
 * failure marks the reply failed and opens the ticket again. One for an
 * acknowledgement is only attached to its ticket: the customer has not
 * been answered yet. Returns TAME_ENOTFOUND when it is not about our
 * mail. */
static enum tame_err
ingest_bounce(struct store *s, const struct mime_parsed *p,
    const char *msgid, int archive, int64_t raw_id, int64_t now,
    struct ingest_result *res)
{
	int64_t orig_msg, tid;
	enum msg_direction dir;
	struct message_new m;
	const char *oid;
	char note[TAME_FIELD_MAX + 1100];
	json_t *ev;
	enum tame_err rc;
	int cc_only;

	if (!(oid = p->dsn_original_id))
		return TAME_ENOTFOUND;
	rc = store_message_find(s, oid, &orig_msg, &tid, &dir);
	if (rc == TAME_ENOTFOUND && (rc = ack_ticket(s, &oid, 1, &tid)) ==
	    TAME_OK) {
		orig_msg = 0;
		dir = MSG_OUT;
	}
	if (rc)
		return rc;
	if (dir != MSG_OUT)
		return TAME_ENOTFOUND;
	/* an old report in an archive is history: kept on its ticket at
	 * its own time, changing nothing that came after it */
	if (archive && p->date_ms > 0 && p->date_ms < now)
		now = p->date_ms;
	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_IN;
	m.from_email = p->from_email ? p->from_email : "mailer-daemon";
	m.from_name = p->from_name;
	m.subject = p->subject;
	m.text = p->text;
	m.message_id = msgid;
	m.raw_id = raw_id;
	m.auto_submitted = 1;
	m.quiet = 1;
	m.created_at = now;
	if ((rc = store_message_add(s, &m, &res->message_id)))
		return rc;
	res->ticket_id = tid;
	/* a report that it was delivered, or is delayed, is only kept */
	if (!p->dsn_failed || !orig_msg || archive)
		return TAME_OK;
	/* failed only for a CC: the customer has the answer; the reply
	 * says who did not get it, the ticket stays as it is */
	if ((rc = bounced_cc_only(s, orig_msg, p->dsn_failed_rcpts, &cc_only)))
		return rc;
	if (cc_only) {
		snprintf(note, sizeof(note), "not delivered to %s: %s",
		    p->dsn_failed_rcpts, p->dsn_diagnostic ? p->dsn_diagnostic :
		    "bounced");
		if ((rc = store_message_set_delivery(s, orig_msg,
		    DELIVERY_SENT, note)))
			return rc;
		ev = json_pack("{sIssss*}", "message_id", (json_int_t)orig_msg,
		    "address", p->dsn_failed_rcpts, "diagnostic",
		    p->dsn_diagnostic);
		rc = store_event_add(s, tid, 0, "reply.bounced", ev, now);
		json_decref(ev);
		return rc;
	}
	if ((rc = store_message_set_delivery(s, orig_msg, DELIVERY_FAILED,
	    p->dsn_diagnostic ? p->dsn_diagnostic : "bounced")))
		return rc;
	ev = json_pack("{sIss*}", "message_id", (json_int_t)orig_msg,
	    "diagnostic", p->dsn_diagnostic);
	rc = store_event_add(s, tid, 0, "reply.bounced", ev, now);
	json_decref(ev);
	/* the customer still waits for an answer: back in the queue */
	return rc ? rc : reply_undelivered(s, tid, now);
}

static enum tame_err
store_attachments(struct store *s, int64_t msg_id, const struct mime_parsed *p)
{
	enum tame_err rc;
	int64_t aid;
	size_t i;

	for (i = 0; i < p->natt; i++) {
		const struct mime_attachment *a = &p->att[i];

		if ((rc = store_attachment_add(s, msg_id, a->filename,
		    a->content_type, a->content_id, a->is_inline, a->data,
		    a->len, &aid)))
			return rc;
	}
	return TAME_OK;
}

/* The normal path: thread, create or update, store, acknowledge. */

/* Who wrote a mail, as the team sees it. */
struct author {
	const char *addr;  /* From, or the person a group of ours names */
	const char *name;  /* their name, or NULL */
	int automatic;     /* as mime_parsed.auto_submitted ... */
	int no_ack;        /* ... and no_autoreply, but for a group of ours */
	int via_group;     /* passed on by a group of ours */
	char buf[TAME_FIELD_MAX + 1]; /* a name taken out of a From */
};

/* The person's name in the From a group rewrote: Google Groups writes
 * "'Dana Kim' via Support"; NULL when name is not one. Into a->buf. */
static const char *
group_name(struct author *a, const char *name)
{
	const char *via, *from = name;
	size_t n;

	if (!name || !(via = strstr(name, " via ")))
		return NULL;
	if (*name == '\'' && via > name + 1 && via[-1] == '\'') {
		from++;
		via--;
	}
	if ((n = (size_t)(via - from)) == 0 || n >= sizeof(a->buf))
		return NULL;
	memcpy(a->buf, from, n);
	a->buf[n] = '\0';
	return a->buf;
}

/* Mail a group of ours passed on (support@ a Google Group in front of
 * the desk: From one of our mailboxes, or List-Id naming one) is a
 * person's, though the group's headers make it list mail: the group is
 * ours, not theirs. A group that rewrote From to its own address names
 * the person in X-Original-Sender, which it writes itself, and in
 * Reply-To, which the poster writes: the first is the author (a
 * Reply-To naming the CEO made a stranger's mail the CEO's, in the CEO's
 * ticket), the second only who is answered (customer_of), as for any
 * mail; one that did not rewrite From left them there. Mail a program wrote stays automatic, through a
 * group or not (list_only is 0 for it), and so does mail from our own
 * address naming nobody else (our own mail coming round). */
static void
author_of(struct store *s, const struct ingest_prep *ip, struct author *a)
{
	const struct mime_parsed *p = &ip->p;
	int from_ours;

	memset(a, 0, sizeof(*a));
	a->addr = ip->sender;
	a->name = p->from_name;
	a->automatic = p->auto_submitted;
	a->no_ack = p->no_autoreply;
	if (ip->archive || !p->list_only)
		return;
	if (!(from_ours = ours_mailbox(s, p->from_email)) &&
	    !ours_group(s, p->list_id))
		return;
	if (from_ours && p->original_sender &&
	    !ours_mailbox(s, p->original_sender)) {
		a->addr = p->original_sender;
		a->name = p->reply_to && p->reply_to_name &&
		    strcmp(p->reply_to, p->original_sender) == 0 ?
		    p->reply_to_name : group_name(a, p->from_name);
	} else if (from_ours && p->reply_to && !ours_mailbox(s, p->reply_to)) {
		a->addr = p->reply_to;
		a->name = p->reply_to_name;
	} else if (from_ours) {
		return;
	}
	a->via_group = 1;
	a->automatic = 0;
	a->no_ack = p->asks_no_autoreply;
}

/* Who the team answers: the Reply-To of a person's mail when it names
 * someone else (a contact form writes From: noreply@forms..., Reply-To:
 * the customer), else the author. Not for automatic mail (a list's
 * Reply-To is the list), nor when it names one of our mailboxes. */
static enum tame_err
customer_of(struct store *s, const struct mime_parsed *p,
    const struct author *a, const char **cust)
{
	struct mailbox own;
	enum tame_err rc;

	*cust = a->addr;
	if (!p->reply_to || a->automatic || !p->from_email ||
	    strcmp(p->reply_to, a->addr) == 0)
		return TAME_OK;
	memset(&own, 0, sizeof(own));
	rc = store_mailbox_by_address(s, p->reply_to, &own);
	mailbox_clear(&own);
	if (rc == TAME_ENOTFOUND) {
		*cust = p->reply_to;
		return TAME_OK;
	}
	return rc;
}

/* 1 if addr is the team's: one of our mailboxes (into *mb when mb is
 * not NULL; the caller clears it) or an agent's (the id into *agent_id
 * when that is not NULL). */
static int
team_address(struct store *s, const char *addr, struct mailbox *mb,
    int64_t *agent_id)
{
	struct mailbox own;
	struct agent a;

	memset(&own, 0, sizeof(own));
	if (store_mailbox_by_address(s, addr, mb ? mb : &own) == TAME_OK) {
		mailbox_clear(&own);
		return 1;
	}
	memset(&a, 0, sizeof(a));
	if (store_agent_by_email(s, addr, &a) != TAME_OK)
		return 0;
	if (agent_id)
		*agent_id = a.id;
	agent_clear(&a);
	return 1;
}

/* Mail of an archive written by the team: from one of our mailboxes
 * (into *mb, which is then its ticket's) or from an agent (*agent_id).
 * Its customer is the first address of its To, then Cc, that is
 * neither (into *cust). 0 when the mail is not the team's, or names no
 * customer (mail between colleagues is kept as any other). */
static int
team_mail(struct store *s, const struct mime_parsed *p, const char *sender,
    struct mailbox *mb, int64_t *agent_id, const char **cust)
{
	struct mailbox own;
	size_t i;
	int ok = 0;

	memset(&own, 0, sizeof(own));
	if (!team_address(s, sender, &own, agent_id))
		return 0;
	for (i = 0; !ok && i < p->nto + p->ncc; i++)
		if (!team_address(s, to_or_cc(p, i), NULL, NULL)) {
			*cust = to_or_cc(p, i);
			ok = 1;
		}
	/* the mailbox it was sent from is its ticket's */
	if (ok && own.id) {
		mailbox_clear(mb);
		*mb = own;
	} else {
		mailbox_clear(&own);
	}
	if (!ok)
		*agent_id = 0;
	return ok;
}

/* The other tickets early answers started are merged into tid, the
 * mail's (the ticket of what it answers: that conversation began
 * first); *first is lowered to the time of the earliest answer now in
 * tid. A closed ticket takes in none but from an archive: an open one's
 * customer would wait unseen. */
static enum tame_err
merge_answers(struct store *s, int64_t tid, const struct store_answer *ans,
    size_t n, int archive, int64_t now, int64_t *first)
{
	struct ticket_ref ref;
	enum tame_err rc;
	size_t i;

	if ((rc = store_ticket_ref(s, tid, &ref)))
		return rc;
	for (i = 0; i < n; i++) {
		if (ans[i].ticket_id != tid) {
			if (!archive && ref.status == TICKET_CLOSED)
				continue;
			if ((rc = store_desk_merge_logged(s, ans[i].ticket_id,
			    tid, 0, now)))
				return rc;
		}
		if (ans[i].created_at < *first)
			*first = ans[i].created_at;
	}
	return TAME_OK;
}

static enum tame_err
ingest_parsed(struct store *s, const struct ingest_prep *ip,
    const char *msgid, const char *rcpts, int64_t raw_id, int64_t now,
    struct ingest_result *res)
{
	const struct mime_parsed *p = &ip->p;
	const char *sender, *cust, *cust_name;
	struct author au;
	struct ack_mail am;
	struct thread_input ti;
	struct thread_decision td;
	struct mailbox mb;
	struct message_new m;
	const char *ids[TAME_REFERENCES_MAX + 1];
	struct store_answer ans[INGEST_ANSWERS_MAX];
	int64_t tid = 0, customer_id, token, header_tid, agent_id = 0;
	int64_t first = INT64_MAX;
	size_t nids, nans, i;
	enum tame_err rc;
	json_t *ev = NULL;
	int ours, began = 0, orphan;

	/* mail from an archive is of its own time, not the import's: its
	 * Date, or when that is missing, bad or in the future, the time
	 * the archive gives it (an mbox's separator line) */
	if (ip->archive && p->date_ms > 0 && p->date_ms < now)
		now = p->date_ms;
	else if (ip->archive && ip->when_ms > 0 && ip->when_ms < now)
		now = ip->when_ms;
	memset(&mb, 0, sizeof(mb));
	memset(&ti, 0, sizeof(ti));
	if ((rc = pick_mailbox(s, rcpts, p, &mb)))
		goto out;
	author_of(s, ip, &au);
	sender = cust = au.addr;
	nids = thread_ids(p, ids, TAME_REFERENCES_MAX + 1);
	if (nids && (store_ticket_by_message_ids(s, ids, nids, &header_tid) ==
	    TAME_OK || ack_ticket(s, ids, nids, &header_tid) == TAME_OK) &&
	    store_ticket_ref(s, header_tid, &ti.header_ref) == TAME_OK)
		ti.has_header_match = 1;
	token = resolve_merged(s, thread_subject_token(p->subject));
	if (!ti.has_header_match && token &&
	    store_ticket_ref(s, token, &ti.token_ref) == TAME_OK) {
		ti.has_token_match = 1;
		if ((rc = store_participant_has(s, token, sender,
		    &ti.token_sender_participant)))
			goto out;
	}
	/* what it answers is not here (yet): when that or any mail it
	 * names comes, it finds this one */
	orphan = nids && !ti.has_header_match;
	ti.automatic = p->auto_reply;
	ti.archive = ip->archive;
	thread_decide(&ti, &td);
	/* the team's own answers in an archive are answers, not the
	 * customer's words */
	ours = ip->archive && !p->auto_reply &&
	    team_mail(s, p, sender, &mb, &agent_id, &cust);
	if (!ours && (rc = customer_of(s, p, &au, &cust)))
		goto out;
	/* through a Reply-To, its name: the From's is the form's */
	cust_name = ours ? NULL : cust == sender ? au.name : p->reply_to_name;
	/* answers to it came first (written by one it was from, to or
	 * copied to) and started tickets of their own: it joins the first
	 * of them when it answers nothing we hold, as any reply to that
	 * ticket would (a solved one opens again, a closed one's starts a
	 * new ticket), and the others are merged into its ticket. Not
	 * under a Message-ID another mail had first: the answers name that
	 * one. */
	if ((rc = store_ticket_answers(s, msgid == p->message_id ? msgid :
	    NULL, sender, ip->to_json, ip->cc_json, ans, INGEST_ANSWERS_MAX,
	    &nans)))
		goto out;
	if (nans && td.action != THREAD_APPEND) {
		ti.has_token_match = 0;
		if ((rc = store_ticket_ref(s, ans[0].ticket_id,
		    &ti.header_ref)))
			goto out;
		ti.has_header_match = 1;
		thread_decide(&ti, &td);
		began = td.action == THREAD_APPEND;
	}
	if (nans && td.action == THREAD_APPEND && (rc = merge_answers(s,
	    td.ticket_id, ans, nans, ip->archive, now, &first)))
		goto out;
	if ((rc = store_customer_upsert(s, cust, cust_name, now,
	    &customer_id)))
		goto out;
	if (td.action == THREAD_APPEND) {
		tid = td.ticket_id;
	} else {
		if ((rc = store_ticket_create(s, mb.id, customer_id,
		    p->subject && *p->subject ? p->subject : "(no subject)",
		    ip->archive ? (enum ticket_status)ip->status : TICKET_NEW,
		    p->unparsed, now, &tid)))
			goto out;
		res->new_ticket = 1;
		if (td.action == THREAD_NEW_LINKED &&
		    (rc = store_ticket_link(s, tid, td.ticket_id)))
			goto out;
		ev = json_pack("{sI}", "previous_ticket_id",
		    (json_int_t)(td.action == THREAD_NEW_LINKED ?
		    td.ticket_id : 0));
		if ((rc = store_event_add(s, tid, 0, "ticket.created", ev, now)))
			goto out;
	}
	if ((!ours && (rc = store_participant_add(s, tid, sender))) ||
	    (cust != sender && (rc = store_participant_add(s, tid, cust))))
		goto out;
	for (i = 0; i < p->ncc; i++)
		if ((rc = store_participant_add(s, tid, p->cc[i])))
			goto out;
	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = ours ? MSG_OUT : MSG_IN;
	m.agent_id = agent_id;
	m.delivery = ours ? DELIVERY_SENT : DELIVERY_NONE;
	m.from_email = sender;
	m.from_name = au.name;
	m.to_json = ip->to_json;
	m.cc_json = ip->cc_json;
	m.subject = p->subject;
	m.text = p->text;
	m.html = p->html;
	m.message_id = msgid;
	m.in_reply_to = p->in_reply_to;
	m.references = ip->refs;
	m.raw_id = raw_id;
	m.unparsed = p->unparsed;
	m.auto_submitted = au.automatic;
	m.quiet = p->auto_reply;
	m.orphan = orphan;
	m.created_at = now;
	m.preview_len = ip->new_len;
	/* written before its answers, whenever it arrived: a thread reads
	 * in order (not by its Date, which its sender chose) */
	if ((m.late = first != INT64_MAX) && now >= first)
		m.created_at = first - 1;
	if ((rc = store_message_add(s, &m, &res->message_id)))
		goto out;
	/* the ticket its answer started begins with it now */
	if (began && (rc = store_ticket_began(s, tid, p->subject,
	    m.created_at)))
		goto out;
	if ((rc = store_attachments(s, res->message_id, p)))
		goto out;
	/* old mail reopens nothing, and was acknowledged long ago */
	if (td.set_status && !ip->archive) {
		if ((rc = store_ticket_set_status(s, tid, td.status, now)))
			goto out;
		json_decref(ev);
		ev = json_pack("{ss}", "status", ticket_status_name(td.status));
		if ((rc = store_event_add(s, tid, 0, "ticket.reopened", ev,
		    now)) || (rc = store_ticket_leave_disabled(s, tid, now)))
			goto out;
	}
	am.p = p;
	am.to = cust;
	am.to_name = cust_name;
	am.via_group = au.via_group;
	am.quotes_ours = ti.has_token_match && !ti.token_sender_participant;
	if (res->new_ticket && mb.ack_enabled && !au.no_ack &&
	    !ip->archive && !(p->date_ms > 0 && now - p->date_ms >
	    (int64_t)TAME_ACK_MAX_AGE_SECONDS * 1000) &&
	    !p->unparsed && p->from_email && (rc = ack_queue(s, &mb, tid,
	    &am, now, &res->acked)))
		goto out;
	res->ticket_id = tid;
	res->unparsed = p->unparsed;
out:
	json_decref(ev);
	mailbox_clear(&mb);
	return rc;
}

/* Keeps a message that could not be processed as an unparsed ticket. */
static enum tame_err
ingest_fallback(struct store *s, const struct mime_parsed *p,
    const char *msgid, const char *sender, const char *rcpts,
    int64_t raw_id, int64_t now, struct ingest_result *res)
{
	struct mailbox mb;
	struct message_new m;
	int64_t cid, tid;
	enum tame_err rc;

	memset(&mb, 0, sizeof(mb));
	if ((rc = pick_mailbox(s, rcpts, NULL, &mb)))
		goto out;
	if ((rc = store_customer_upsert(s, sender, NULL, now, &cid)))
		goto out;
	if ((rc = store_ticket_create(s, mb.id, cid,
	    p->subject && *p->subject ? p->subject : "(could not be parsed)",
	    TICKET_NEW, 1, now, &tid)))
		goto out;
	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_IN;
	m.from_email = sender;
	m.subject = p->subject;
	m.text = "";
	m.message_id = msgid;	/* so that its next copy is one too */
	m.raw_id = raw_id;
	m.unparsed = 1;
	m.created_at = now;
	if ((rc = store_message_add(s, &m, &res->message_id)))
		goto out;
	res->ticket_id = tid;
	res->unparsed = 1;
	res->new_ticket = 1;
out:
	mailbox_clear(&mb);
	return rc;
}

/* Parses and derives; see ingest.h. */
enum tame_err
ingest_prepare(const char *raw, size_t len, const char *mail_from,
    struct ingest_prep **out)
{
	struct ingest_prep *ip;
	enum tame_err rc;
	size_t n;

	*out = NULL;
	if (!(ip = calloc(1, sizeof(*ip))))
		return TAME_ENOMEM;
	if ((rc = mime_parse(raw, len, &ip->p)))
		goto out;
	/* an envelope sender's bidi controls become U+FFFD, as clean_addr
	 * makes a header's */
	ip->sender = tame_bidi_mark(ip->p.from_email ? ip->p.from_email :
	    mail_from && *mail_from ? mail_from : "unknown@invalid");
	ip->to_json = addr_json(ip->p.to, ip->p.nto);
	ip->cc_json = addr_json(ip->p.cc, ip->p.ncc);
	ip->refs = refs_joined(&ip->p);
	if (!ip->sender || !ip->to_json || !ip->cc_json ||
	    (ip->p.nreferences && !ip->refs)) {
		rc = TAME_ENOMEM;
		goto out;
	}
	tame_ascii_lower(ip->sender);
	/* the list shows what the customer wrote now, not the quote of
	 * our last answer under it. Only the start is read: the preview
	 * is a line long, and this runs on the SMTP thread (the whole of a
	 * 4 kB mail cost 5% of tamed's CPU under load) */
	n = strlen(ip->p.text);
	ip->new_len = text_cut(ip->p.text, n < INGEST_PREVIEW_SCAN ? n :
	    INGEST_PREVIEW_SCAN, NULL);
	if (ip->new_len >= n || ip->new_len >= INGEST_PREVIEW_SCAN ||
	    strspn(ip->p.text, " \t\r\n") >= ip->new_len)
		ip->new_len = 0;	/* nothing cut, or nothing new: all */
	if ((rc = store_raw_pack(raw, len, &ip->packed)))
		goto out;
	*out = ip;
	ip = NULL;
out:
	ingest_prep_free(ip);
	return rc;
}

void
ingest_prep_free(struct ingest_prep *ip)
{
	if (!ip)
		return;
	mime_parsed_free(&ip->p);
	free(ip->sender);
	free(ip->to_json);
	free(ip->cc_json);
	free(ip->refs);
	store_raw_packed_free(&ip->packed);
	free(ip);
}

/* A passing trouble (memory, the disk, a lock, descriptors): the mail
 * is answered "try again later", not judged by it. */
static int
passing(enum tame_err rc)
{
	return rc == TAME_ENOMEM || rc == TAME_EBUSY || rc == TAME_EIO ||
	    rc == TAME_EDISK || rc == TAME_EFILES;
}

/* What joins a Message-ID and the fingerprint of another mail that
 * reuses it; the store leaves it out of the References of our replies
 * (store_sqlite_reply_ctx). */
#define ALT_ID_MARK "#tame-"

/* The Message-ID this message is stored under, in *msgid (the parsed
 * one, or *alt), and *dup when it is stored already. A Message-ID in
 * the store is the same mail again (a retry, another route's copy, a
 * re-read mbox, one a list or a gateway added a line to) when its Date
 * is the same (its body, when it has none: mime_fingerprint), or when
 * what has it is ours (our own reply coming back) or has no readable
 * raw copy to compare with. Otherwise it is another mail that reuses
 * the ID (a scanner's or a script's fixed one): it is kept under the
 * ID with its fingerprint added, whose retry is found in turn. Nothing
 * accepted is dropped for sharing an ID. */
static enum tame_err
stored_id(struct store *s, const struct mime_parsed *p, const char *raw,
    size_t len, const char **msgid, char **alt, int *dup)
{
	unsigned char a[MIME_FINGERPRINT_LEN], b[MIME_FINGERPRINT_LEN];
	char hex[17];
	enum msg_direction dir;
	int64_t mid, tid;
	struct buf old;
	enum tame_err rc, frc;
	size_t n;
	int sent;

	*msgid = p->message_id;
	*alt = NULL;
	*dup = 0;
	if (!p->message_id)
		return TAME_OK;
	rc = store_message_find(s, p->message_id, &mid, &tid, &dir);
	if (rc == TAME_ENOTFOUND)
		return TAME_OK;
	if (rc)
		return rc;
	/* an ID made from the content is the content already */
	n = strlen(p->message_id);
	if (dir != MSG_IN || (n > strlen(MIME_CONTENT_ID_AT) &&
	    strcmp(p->message_id + n - strlen(MIME_CONTENT_ID_AT),
	    MIME_CONTENT_ID_AT) == 0)) {
		*dup = 1;
		return TAME_OK;
	}
	/* an archive's mail may be larger than SMTP takes; one too large
	 * to compare is taken as another */
	buf_init(&old, 4 * (size_t)TAME_SMTP_MESSAGE_MAX);
	rc = store_message_original(s, tid, mid, &sent, &old);
	if (rc == TAME_OK)
		rc = mime_fingerprint(old.data, old.len, a);
	buf_free(&old);
	/* a passing trouble is answered "try again"; a copy that cannot
	 * be read (damaged) is no reason to refuse the mail for ever */
	if (passing(rc))
		return rc;
	if ((frc = mime_fingerprint(raw, len, b)))
		return frc;
	if ((rc && rc != TAME_ETOOBIG) || (rc == TAME_OK && !memcmp(a, b,
	    sizeof(a)))) {
		*dup = 1;
		return TAME_OK;
	}
	sodium_bin2hex(hex, sizeof(hex), b, 8);
	n += strlen(ALT_ID_MARK) + sizeof(hex);
	if (!(*alt = malloc(n)))
		return TAME_ENOMEM;
	snprintf(*alt, n, "%s" ALT_ID_MARK "%s", p->message_id, hex);
	rc = store_message_find(s, *alt, NULL, NULL, NULL);
	if (rc == TAME_OK) {
		*dup = 1;
		return TAME_OK;
	}
	if (rc != TAME_ENOTFOUND)
		return rc;
	tame_log(TAME_LOG_INFO, "ingest: Message-ID <%s> is in the store "
	    "with another Date or body; this mail is kept as <%s>",
	    p->message_id, *alt);
	*msgid = *alt;
	return TAME_OK;
}

/* The store half of ingest_message; see ingest.h. */
enum tame_err
ingest_prepared(struct store *s, const struct ingest_prep *ip,
    const char *raw, size_t len, const char *mail_from, const char *rcpts,
    int64_t now, struct ingest_result *res)
{
	const struct mime_parsed *p = &ip->p;
	struct ingest_result local;
	struct raw_packed as_is;
	const struct raw_packed *pk;
	const char *msgid;
	char *alt = NULL;
	enum tame_err rc;
	int dup;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if ((rc = stored_id(s, p, raw, len, &msgid, &alt, &dup)) || dup) {
		free(alt);
		res->duplicate = dup;
		return rc;
	}
	/* unpacked bytes are taken from raw itself, whatever ip saw */
	memset(&as_is, 0, sizeof(as_is));
	as_is.data = raw;
	as_is.len = len;
	pk = ip->packed.codec ? &ip->packed : &as_is;
	/* One save point for the raw copy and what derives from it: the
	 * rare failure undoes both and stores the raw copy again. */
	if ((rc = store_savepoint(s, "ingest")))
		goto out;
	if ((rc = store_raw_add_packed(s, pk, mail_from ? mail_from : "",
	    rcpts ? rcpts : "", now, &res->raw_id)))
		goto undo;
	if (p->is_dsn)
		rc = ingest_bounce(s, p, msgid, ip->archive, res->raw_id, now,
		    res);
	if (!p->is_dsn || rc == TAME_ENOTFOUND)
		rc = ingest_parsed(s, ip, msgid, rcpts, res->raw_id, now, res);
	/* the same Message-ID arrived in this very batch: a duplicate only
	 * if the store now has it, else a fault like any other */
	if (rc == TAME_EEXIST && msgid && store_message_find(s, msgid, NULL,
	    NULL, NULL) == TAME_OK) {
		store_rollback_to(s, "ingest");
		store_release(s, "ingest");
		memset(res, 0, sizeof(*res));
		res->duplicate = 1;
		rc = TAME_OK;
		goto out;
	}
	/* a passing trouble (memory, the disk, a lock) is no reason to
	 * keep a good mail unparsed for good: nothing of it stays, and its
	 * sender hears 451 and tries again */
	if (passing(rc))
		goto undo;
	if (rc) {
		tame_log(TAME_LOG_WARN, "ingest: raw %lld kept unparsed: %s (%s)",
		    (long long)res->raw_id, tame_strerror(rc), store_errmsg(s));
		store_rollback_to(s, "ingest");
		memset(res, 0, sizeof(*res));
		if ((rc = store_raw_add_packed(s, pk, mail_from ? mail_from :
		    "", rcpts ? rcpts : "", now, &res->raw_id)) ||
		    (rc = ingest_fallback(s, p, msgid, ip->sender, rcpts,
		    res->raw_id, now, res)))
			goto undo;
	}
	store_release(s, "ingest");
	goto out;
undo:
	/* nothing of this message stays: the caller may go on */
	store_rollback_to(s, "ingest");
	store_release(s, "ingest");
out:
	free(alt);
	return rc;
}

enum tame_err
ingest_message(struct store *s, const char *raw, size_t len,
    const char *mail_from, const char *rcpts, int64_t now,
    struct ingest_result *res)
{
	struct ingest_prep *ip;
	enum tame_err rc;

	if (res)
		memset(res, 0, sizeof(*res));
	if ((rc = ingest_prepare(raw, len, mail_from, &ip)))
		return rc;
	rc = ingest_prepared(s, ip, raw, len, mail_from, rcpts, now, res);
	ingest_prep_free(ip);
	return rc;
}
