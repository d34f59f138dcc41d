/*
 * ack.h - the acknowledgement of a new ticket ("we received your
 * message and opened ticket #12").
 *
 * A mailbox sends one when it is set to (off by default). An automatic
 * answer is how mail loops start, so it has brakes, each for a way
 * one went round: none to mail that asks for none or is automatic (the
 * caller's no_autoreply), nor to one of our mailboxes; to a Reply-To
 * only when the From is our own (a form on our site, a group of ours);
 * at most one per address an hour, the address taken without its
 * +tag (an autoresponder answering from help+t<N>@ with a new N each
 * time); and none to mail whose subject quotes one of our tickets from
 * someone not on it, whatever its address (another help desk's
 * autoresponder answering ours with "Request #N received: Re: ...
 * [#12]"). What it sends says Auto-Submitted: auto-replied (RFC 3834)
 * and X-Auto-Response-Suppress: All (Exchange), so that no
 * autoresponder that heeds either answers it.
 */
#ifndef TAME_ACK_H
#define TAME_ACK_H

#include <stdint.h>
#include "../core/err.h"
#include "../core/model.h"
#include "../store/store.h"
#include "mime.h"

struct ack_mail {
	const struct mime_parsed *p; /* the mail that made the ticket */
	const char *to;         /* the customer, who gets it */
	const char *to_name;    /* their name, or NULL */
	int via_group;          /* passed on by a group of ours: its From
	                           may be one of our mailboxes */
	int quotes_ours;        /* its subject names one of our tickets
	                           ([#N]) that its sender is not on */
};

/* Queues in the outbox the acknowledgement of new ticket ticket_id of
 * mailbox mb for mail a, unless a brake holds it; *acked says whether
 * it did. Everything borrowed. Returns TAME_OK or a store error. */
enum tame_err ack_queue(struct store *s, const struct mailbox *mb,
    int64_t ticket_id, const struct ack_mail *a, int64_t now, int *acked);

#endif
