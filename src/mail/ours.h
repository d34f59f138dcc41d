/*
 * ours.h - which addresses of incoming mail are the team's own.
 *
 * A help desk must know its own addresses to keep from answering
 * itself: one of its mailboxes, the domain of one (its own web site's
 * form writes from there), and a mailing list a mailbox is (support@
 * is often a Google Group passing mail on to the help desk, RFC 2919
 * List-Id "<support.example.com>").
 */
#ifndef TAME_OURS_H
#define TAME_OURS_H

#include "../store/store.h"

/* 1 if addr (any case) is one of our mailboxes' addresses; 0 when not,
 * or when the store could not say. addr may be NULL. */
int ours_mailbox(struct store *s, const char *addr);

/* 1 if addr is at the domain of one of our mailboxes, or below it
 * (wordpress@www.example.com for support@example.com). */
int ours_domain(struct store *s, const char *addr);

/* 1 if list_id (a List-Id without <>, as mime_parsed.list_id) is a
 * group at one of our mailboxes' addresses: "support.example.com" for
 * support@example.com. list_id may be NULL. */
int ours_group(struct store *s, const char *list_id);

#endif
