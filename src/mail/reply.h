/*
 * reply.h - an agent's reply or note, from text to a queued email.
 *
 * A reply becomes a MIME message (mime_compose): From the ticket's
 * mailbox, To the customer plus CCs, "Re: <subject> [#id]", a fresh
 * Message-ID, In-Reply-To and References of the thread; the mailbox's
 * signature (store_mailbox_signature) closes the text, and a text with
 * light formatting gets an HTML part beside it (reply_html.h), and the
 * agent's files go with it as attachments. In one transaction it is
 * stored as an outbound message (with the files as its attachments,
 * content-addressed like a customer's), queued in the outbox,
 * the ticket status changes (default pending) and events are recorded.
 */
#ifndef TAME_REPLY_H
#define TAME_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"
#include "../core/model.h"
#include "../store/store.h"
#include "../store/store_intel.h"
#include "mime.h"

struct reply_req {
	int64_t ticket_id;
	int64_t agent_id;
	const char *text;             /* UTF-8, required, non-empty */
	const char *html;             /* optional HTML alternative */
	const char *const *cc;        /* extra recipients (addr-specs) */
	size_t ncc;
	int has_status;               /* set the ticket to status after */
	enum ticket_status status;    /* default: pending */
	const struct mime_out_attachment *att; /* files sent and kept as
	                                 the message's attachments */
	size_t natt;
	char *why;                    /* optional, REPLY_WHY_MAX bytes: on
	                                 TAME_EINVAL, what was refused */
	/* the collision check, in the reply's own transaction (two agents
	 * sending at once: one is sent, the other hears of it): with
	 * since_message_id > 0 and not force, a customer message or a
	 * colleague's reply after it refuses the reply with
	 * TAME_ECONFLICT, its id in *newer (and *newer_reply 1 for a
	 * reply); newer and newer_reply may be NULL */
	int64_t since_message_id;
	int force;
	int64_t *newer;
	int *newer_reply;
	/* a mass reply's: with once, a ticket whose last reply from us is
	 * this very text (signed, as it would be stored), written within
	 * reply_recent_ms(), after which the customer has not written,
	 * refuses it with TAME_EEXIST and that
	 * reply's id in *same (may be NULL): the same mass reply sent twice
	 * by mistake mails nobody twice. With take, an unassigned ticket
	 * becomes the agent's, so the customer's answer lands in their
	 * Mine and notifies them. With once, the mail waits behind other
	 * mail due in the outbox (store_outbox_add's mass). */
	int once;
	int take;
	int64_t *same;
	/* a mass reply's look: with since_event_id > 0 (the newest event
	 * when the agent looked, store_intel_heads), a ticket answered by
	 * anyone, solved, closed or merged after it refuses the reply with
	 * TAME_ECONFLICT and *meanwhile (required then) says what happened;
	 * the caller clears it with store_meanwhile_clear. Checked in the
	 * reply's own transaction, so a colleague's reply of the same
	 * moment is seen. */
	int64_t since_event_id;
	struct store_meanwhile *meanwhile;
};

#define REPLY_WHY_MAX 200

/* How far back a mass reply looks for a customer answered lately
 * (TAME_MASS_RECENT_MS; the environment's TAME_MASS_RECENT_MS, for
 * tests, when it is set). */
int64_t reply_recent_ms(void);
/* The text of a reply to ticket_id as reply_send stores and sends it:
 * text with the ticket's mailbox's signature after it, when it has
 * one. Appended to out. */
enum tame_err reply_signed(struct store *s, int64_t ticket_id,
    const char *text, struct buf *out);
/* *yes = 1 when ticket_id has a reply by agent_id, written at or after
 * since, of text as reply_send would have stored it: a retry taking
 * over a claim of a tamed that stopped finds what it sent. */
enum tame_err reply_already_sent(struct store *s, int64_t ticket_id,
    int64_t agent_id, int64_t since, const char *text, int *yes);
/* Creates the reply in its own transaction on s. *msg_id gets the new
 * message row. TAME_ENOTFOUND (ticket), TAME_ECONFLICT (merged away, or
 * something newer than r->since_message_id: *r->newer set, or changed
 * after r->since_event_id: r->meanwhile->kind set),
 * TAME_EEXIST (r->once and the text was sent already: *r->same set),
 * TAME_EINVAL (empty text, a bad
 * CC address, or a customer address no mail can be written to: r->why,
 * when set, says which), TAME_ECONFLICT (the ticket was merged into
 * another). The caller wakes the outbox afterwards. */
enum tame_err reply_send(struct store *s, const struct reply_req *r,
    int64_t now, int64_t *msg_id);

/* An internal note (never emailed), in its own transaction. Errors as
 * reply_send's. */
enum tame_err reply_note(struct store *s, int64_t ticket_id, int64_t agent_id,
    const char *text, int64_t now, int64_t *msg_id);

/* A reply of ticket tid will never arrive (a bounce, or the relay
 * refused it for good): the customer still waits for an answer, so a
 * pending or solved ticket is open again, with a ticket.reopened event.
 * In the caller's transaction. */
enum tame_err reply_undelivered(struct store *s, int64_t tid, int64_t now);

/* 1 if s looks like a plain addr-spec (local@domain, printable ASCII:
 * no spaces, no CR/LF, no UTF-8 as SMTPUTF8 is not used; sane length). */
int reply_addr_valid(const char *s);

#endif
