/*
 * thread.h - which ticket an incoming message belongs to.
 *
 * The rule, in order (DESIGN.md "Threading"):
 *  1. In-Reply-To / References naming a message we hold: that ticket.
 *     Else a message we hold that names this one in its In-Reply-To
 *     (the answer came first), whose author this one was from, to or
 *     copied to, and that started a ticket: that ticket (ingest.c).
 *  2. The ticket token "[#123]" in the subject, but only when the sender
 *     is already a participant of ticket 123 (so a stranger cannot push
 *     mail into someone else's ticket by guessing numbers).
 *  3. Otherwise a new ticket.
 * A customer message on a pending or solved ticket sets it open again;
 * on a closed ticket it starts a new ticket linked to the old one.
 * Pure logic: the caller looks the candidates up in the store.
 */
#ifndef TAME_THREAD_H
#define TAME_THREAD_H

#include <stdint.h>
#include "model.h"

struct thread_input {
	int has_header_match;          /* rule 1 found a ticket */
	struct ticket_ref header_ref;
	int has_token_match;           /* the [#id] ticket exists */
	struct ticket_ref token_ref;
	int token_sender_participant;  /* sender is on that ticket */
	int automatic;                 /* written by a program on its
	                                  own (an out-of-office reply, a
	                                  bounce, a notice): joins, even a
	                                  closed ticket, and reopens
	                                  nothing */
	int archive;                   /* from an archive (tame import):
	                                  the same */
};

enum thread_action {
	THREAD_NEW_TICKET = 0,
	THREAD_APPEND,           /* add to ticket_id */
	THREAD_NEW_LINKED        /* new ticket linked to ticket_id */
};

struct thread_decision {
	enum thread_action action;
	int64_t ticket_id;       /* target (append) or previous (linked) */
	int set_status;          /* 1: change the ticket's status to status */
	enum ticket_status status;
};

/* Decides where a customer message goes. */
void thread_decide(const struct thread_input *in, struct thread_decision *out);

/* Finds the ticket token "[#123]" in subject; returns the number or 0.
 * The last token wins (a forwarded subject may carry several). */
int64_t thread_subject_token(const char *subject);

/* 1 if subject is an out-of-office reply's: it starts with what
 * Outlook, Exchange, Notes and the like put before the subject they
 * answer ("Automatic reply:", "Abwesenheitsnotiz:", "Réponse
 * automatique :" ...), in any case (Unicode case folding), and the
 * mail answers something: a reply's prefix or a ticket token follows
 * the phrase, or is_reply (the mail has In-Reply-To or References).
 * A customer may start a new mail "Out of office: calendar shows me
 * away". A word a person might start a subject with ("Auto: insurance
 * claim") counts only with a prefix or token after it, whatever
 * is_reply says. */
int thread_subject_auto_reply(const char *subject, int is_reply);

/* Writes into out (size outlen) the subject of a reply to a ticket:
 * "Re: " + subject without leading Re:/Fwd:/AW: prefixes and without any
 * "[#n]" token, then " [#id]". */
void thread_reply_subject(const char *subject, int64_t id, char *out,
    size_t outlen);

#endif
