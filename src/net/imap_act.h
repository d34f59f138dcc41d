/*
 * imap_act.h - the pipeline between a box's fetches and its
 * after-import action. Internal to src/net/imap_*.c.
 *
 * Model: every message a box fetches takes a slot in a ring, in UID
 * order, and goes to the ingest queue; the queue's thread marks the
 * slot stored or refused. The committed prefix of the ring joins a list
 * of UIDs to act on; a chunk of it at a time is acted on (\Seen, move
 * or delete) over a connection of its own (the box's ac client, the
 * folder SELECTed there once), while the fetch connection (cl, the
 * folder EXAMINEd) goes on fetching. Once an action is done, the last
 * UID it covers is recorded. So fetching, committing and acting all run
 * at once, and the recorded last UID only ever covers messages that are
 * durably stored and acted on.
 */
#ifndef TAME_IMAP_ACT_H
#define TAME_IMAP_ACT_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "../core/buf.h"
#include "../core/err.h"

struct imap_box;

enum slot_state { SLOT_FETCHING, SLOT_PENDING, SLOT_STORED, SLOT_FAILED,
	SLOT_SKIPPED };

/* One message on its way: its FETCH out, in the ingest queue, or
 * settled. */
struct imap_slot {
	struct imap_box *box;
	int64_t uid;
	int64_t cover;           /* once resolved, the folder is read to here */
	size_t len;
	enum slot_state state;   /* under the poller's env->mu */
};

/* The ring and UID lists of b; TAME_ENOMEM. Freed by imap_act_free. */
enum tame_err imap_act_alloc(struct imap_box *b);
void imap_act_free(struct imap_box *b);
/* Empties the pipeline for a new round. Only when nothing is in the
 * queue and no action request is out. */
void imap_act_reset(struct imap_box *b);

/* 1 when one more message may be fetched: the messages fetched but not
 * yet recorded stay under TAME_IMAP_INFLIGHT, their bytes in the queue
 * under TAME_IMAP_BATCH_BYTES. */
int imap_act_room(const struct imap_box *b);
/* The slot of uid, at the end of the ring, while its FETCH is out.
 * Only when imap_act_room(). */
struct imap_slot *imap_act_reserve(struct imap_box *b, int64_t uid);
/* Hands the message fetched for s (body, emptied) to the ingest queue. */
void imap_act_submit(struct imap_box *b, struct imap_slot *s,
    struct buf *body);
/* Settles s without the queue: SLOT_SKIPPED (too large, or gone: left
 * on the server, and the last UID may move past it) or SLOT_FAILED (not
 * fetched: nothing from s on is recorded this round). */
void imap_act_settle(struct imap_box *b, struct imap_slot *s,
    enum slot_state state);
/* The folder holds nothing more to fetch up to uid (a window is read). */
void imap_act_cover(struct imap_box *b, int64_t uid);

/* Takes in what the queue has committed, starts an action when a chunk
 * is due, and, once quiet (no fetch request out) and the round fetches
 * nothing more (b->fetch_done), acts on the rest and records the last
 * UID. Returns 1 when the round's import is over: nothing in the queue,
 * no action out or due. Sets b->err (and fetch_done) when the store
 * refuses a message or the action or record fails. */
int imap_act_tend(struct imap_box *b, int quiet);
/* The action request on b->ac.easy finished with cc (the poller has
 * removed the handle from the multi handle). */
void imap_act_done(struct imap_box *b, CURLcode cc);
/* Records the folder's state with last_uid (and the messages stored
 * since the last record). -1, with b->err, when the store refuses. */
int imap_act_record(struct imap_box *b, int64_t last_uid);

#endif
