/*
 * ack.c - the acknowledgement of a new ticket. See ack.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/template.h"
#include "../core/thread.h"
#include "../tame_limits.h"
#include "ack.h"
#include "ours.h"

/* The address an acknowledgement is counted against: addr with a
 * +tag taken off its local part (RFC 5233 subaddress), so that
 * help+t1@, help+t2@ ... are one sender. Into key (size n); the
 * address as it is when it does not fit. */
static const char *
ack_key(const char *addr, char *key, size_t n)
{
	const char *plus = strchr(addr, '+'), *at = strrchr(addr, '@');

	if (!plus || !at || plus > at || (size_t)(plus - addr) +
	    strlen(at) >= n)
		return addr;
	memcpy(key, addr, (size_t)(plus - addr));
	memcpy(key + (plus - addr), at, strlen(at) + 1);
	return key;
}

/* 1 when a brake holds the acknowledgement of a (see ack.h); the hourly
 * limit is the store's, checked last as it counts what it allows. */
static int
ack_held(struct store *s, const struct ack_mail *a)
{
	const struct mime_parsed *p = a->p;

	/* never to ourselves: a mailbox writing to another would answer
	 * back and forth */
	if (ours_mailbox(s, a->to) || (!a->via_group &&
	    ours_mailbox(s, p->from_email)))
		return 1;
	/* to a Reply-To only from a form on our own site: anyone else
	 * could have ours sent to any address they name */
	if (strcmp(a->to, p->from_email) != 0 &&
	    !ours_domain(s, p->from_email))
		return 1;
	/* it answers one of ours, and not from anyone on that ticket: a
	 * forward (who needs no receipt), or an autoresponder of another
	 * help desk answering our acknowledgement with a ticket of its
	 * own. That one's address may change each time; the subject it
	 * quotes does not lose our token. */
	return a->quotes_ours;
}

enum tame_err
ack_queue(struct store *s, const struct mailbox *mb, int64_t ticket_id,
    const struct ack_mail *a, int64_t now, int *acked)
{
	const struct mime_parsed *p = a->p;
	struct buf body, raw;
	struct mime_out m;
	char subject[1200], *mid = NULL, num[32], key[TAME_FIELD_MAX + 1];
	struct template_ticket tt;
	const char *to[1];
	enum tame_err rc;
	int allowed = 0;
	int64_t item;

	*acked = 0;
	if (ack_held(s, a))
		return TAME_OK;
	if ((rc = store_ack_allow(s, mb->id, ack_key(a->to, key, sizeof(key)),
	    now, (int64_t)TAME_ACK_WINDOW_SECONDS * 1000, &allowed)) ||
	    !allowed)
		return rc;
	buf_init(&body, 64 * 1024);
	buf_init(&raw, 1024 * 1024);
	snprintf(num, sizeof(num), "%lld", (long long)ticket_id);
	/* the placeholders of saved replies; the "agent" is the mailbox */
	memset(&tt, 0, sizeof(tt));
	tt.ticket_id = ticket_id;
	tt.ticket_subject = p->subject;
	tt.customer_name = a->to_name;
	tt.customer_email = a->to;
	tt.agent_name = mb->name;
	tt.agent_email = mb->address;
	if (mb->ack_template && (rc = template_render(mb->ack_template, &tt,
	    &body)))
		goto out;
	if (body.len == 0 && (rc = buf_printf(&body,
	    "We received your message and opened ticket #%s.\n"
	    "Reply to this email to add to it.\n", num)))
		goto out;
	thread_reply_subject(p->subject, ticket_id, subject, sizeof(subject));
	if (!(mid = mime_new_message_id(strchr(mb->address, '@') ?
	    strchr(mb->address, '@') + 1 : "localhost"))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	to[0] = a->to;
	memset(&m, 0, sizeof(m));
	m.to_name = a->to_name;
	m.from_email = mb->address;
	m.from_name = mb->name;
	m.to = to;
	m.nto = 1;
	m.subject = subject;
	m.message_id = mid;
	m.in_reply_to = p->message_id;
	m.references = p->message_id;
	m.text = buf_str(&body);
	m.auto_submitted = 1;
	m.date_ms = now;
	if ((rc = mime_compose(&m, &raw)))
		goto out;
	if ((rc = store_outbox_add(s, 0, ticket_id, mb->address, a->to, mid,
	    raw.data, raw.len, 0, now, &item)))
		goto out;
	*acked = 1;
out:
	free(mid);
	buf_free(&body);
	buf_free(&raw);
	return rc;
}
