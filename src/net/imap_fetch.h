/*
 * imap_fetch.h - a box's fetches over more than one connection.
 * Internal to src/net/imap_*.c.
 *
 * Model: libcurl asks for one message per request, so a connection
 * spends most of its time waiting: for the server to read the message,
 * for the poller to parse it, for the two to be scheduled. A box
 * therefore fetches over its lead connection (cl, which also searches;
 * imap_box.c) and over TAME_IMAP_HELPERS more connections that only
 * fetch, the folder EXAMINEd on each. A UID takes its slot in the ring
 * (imap_act.h) when its FETCH is sent, so the ring stays in UID order
 * whichever connection answers first.
 *
 * Helpers join a round only when more than TAME_IMAP_HELPER_BACKLOG
 * messages wait, and EXAMINE the folder afresh first: a session learns
 * of new messages only at the end of its own commands (RFC 3501 5.2),
 * and one that was idle may still have to be told what the action
 * changed, which libcurl would take for the FETCH answer when the
 * message asked for is not in its view. Every fetcher, the lead too,
 * asks again once after a "not found" before passing over the message
 * as gone. A helper that cannot connect or open the folder is left out
 * until the settings change; the lead fetches alone.
 */
#ifndef TAME_IMAP_FETCH_H
#define TAME_IMAP_FETCH_H

#include <stdint.h>
#include <curl/curl.h>
#include "imap_client.h"

struct imap_box;
struct imap_slot;

/* A connection that only fetches. */
struct imap_fetcher {
	struct imap_client c;
	int in_multi;            /* c.easy is in the poller's multi handle */
	int examining;           /* the request out is the EXAMINE */
	int off;                 /* failed to open: not used until reload */
	int joined;              /* EXAMINEd this round */
	int retried;             /* uid was answered "not found" once */
	int64_t uid;
	struct imap_slot *slot;  /* uid's, reserved */
};

/* Prepares b's helpers for b->conf (no connection yet). TAME_ENOMEM;
 * imap_fetch_free() in any case. */
enum tame_err imap_fetch_init(struct imap_box *b);
void imap_fetch_free(struct imap_box *b);
/* A new round: the helpers have to EXAMINE again before they fetch. */
void imap_fetch_round(struct imap_box *b);
/* Sends the next UIDs of the window to idle helpers, as far as the
 * pipeline has room, when the round has a backlog. */
void imap_fetch_start(struct imap_box *b);
/* 1 while a helper has a request out. */
int imap_fetch_busy(const struct imap_box *b);
/* The helper whose easy handle is easy, or NULL. */
struct imap_fetcher *imap_fetch_find(struct imap_box *b, CURL *easy);
/* The request of helper f finished with cc (the poller has removed the
 * handle from the multi handle). */
void imap_fetch_done(struct imap_box *b, struct imap_fetcher *f,
    CURLcode cc);
/* Abandons the helpers' requests on the wire. */
void imap_fetch_abort(struct imap_box *b);

/* The FETCH of uid (slot s) on client c finished with cc: hands the
 * message to the ingest queue, passes over it (too large, or gone), or
 * fails the slot and stops the round (b->err); a message whose FETCH
 * failed in TAME_IMAP_REFUSED_ROUNDS rounds in a row is left on the
 * server with a lasting error instead. Returns 1 when it is to be
 * asked again (the first "not found"; *retried is set). */
int imap_fetch_finish(struct imap_box *b, struct imap_client *c,
    struct imap_slot *s, int64_t uid, int *retried, CURLcode cc);

#endif
