/*
 * imap_box.h - one mailbox's IMAP import, as the poller (imap_poll.c)
 * drives it. Internal to src/net/imap_*.c.
 *
 * Model: a box is a state machine over one libcurl easy handle (struct
 * imap_client). The poller adds the handle to its multi handle when a
 * box starts a request and calls imap_box_done() when it finishes; the
 * box then prepares and sends the next request, or waits (for the
 * ingest queue to commit, or for its next poll). See imap_box.c for the
 * steps and the invariant that makes a kill -9 harmless. A box also
 * keeps an IDLE connection (imap_idle.h) where the server offers it,
 * which only wakes the box when new mail arrives.
 */
#ifndef TAME_IMAP_BOX_H
#define TAME_IMAP_BOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "imap_client.h"
#include "imap_idle.h"
#include "ingestq.h"
#include "../store/store.h"
#include "../tame_limits.h"

/* What every box shares; owned by the poller. */
struct imap_env {
	CURLM *multi;
	struct store *store;     /* the poller thread's connection */
	struct ingestq *queue;
	pthread_mutex_t mu;      /* slot states and pending counts */
	pthread_cond_t cv;       /* broadcast when a slot is done */
};

enum imap_step { STEP_IDLE, STEP_NOOP, STEP_STATUS, STEP_SEARCH,
	STEP_EXAMINE, STEP_FETCH, STEP_WAIT, STEP_ACT };

enum slot_state { SLOT_PENDING, SLOT_STORED, SLOT_FAILED, SLOT_SKIPPED };

struct imap_box;

/* One fetched message on its way through the ingest queue. */
struct imap_slot {
	struct imap_box *box;
	int64_t uid;
	enum slot_state state;   /* written by the queue's thread, under mu */
};

struct imap_box {
	struct imap_box *link;   /* the poller's list */
	struct imap_env *env;
	struct imap_conf conf;
	struct imap_client cl;
	char account[TAME_FIELD_MAX * 2 + 16];  /* "user@host:port" */
	enum imap_step step;
	int in_multi;            /* cl.easy is in env->multi */
	int reload;              /* settings changed: load when idle */
	int dead;                /* settings removed: free when idle */
	int64_t version;         /* the settings version to load */
	int64_t next_at;         /* idle until then */
	int fails;               /* rounds failed in a row (back-off) */
	int watch;               /* recorded: 0 not yet, 1 poll, 2 idle */
	int sticky;              /* a message was left: keep the error */
	const char *shown_err;   /* the error last stored, NULL = fine */
	int64_t ok_recorded_at;
	/* IDLE (imap_idle.c), once a round has worked with the settings */
	struct imap_idle idle;
	int rounds_ok;           /* a round has ended well since the load */
	int woken;               /* new mail announced during a round */
	int ro;                  /* the folder is EXAMINEd on cl */
	/* the folder */
	int64_t uidvalidity, last_uid, uidnext;
	int64_t win_from;        /* first UID of the search window */
	int64_t uids[TAME_IMAP_SEARCH_SPAN];
	size_t nuids, next;      /* search results; the next to fetch */
	/* the batch in the ingest queue */
	struct imap_slot slots[TAME_IMAP_BATCH];
	size_t nslots;
	size_t pending;          /* slots still in the queue, under mu */
	size_t batch_bytes;
	int64_t t_batch, t_wait; /* when the batch and its wait began */
	/* committed, waiting for the action */
	int64_t *pend;           /* TAME_IMAP_ACT_EVERY UIDs, stored */
	size_t npend;
	int64_t pend_last;       /* the last UID the pending part covers */
	struct buf acts;         /* the action's commands, one a line */
	size_t nacts, act, act_pos;
	int64_t round_imported;
	const char *err;         /* why the round stops, or NULL */
	char detail[512];
};

/* A new box for mailbox_id (loaded on its first imap_box_tend). NULL
 * when out of memory. Free with imap_box_free once idle. */
struct imap_box *imap_box_new(struct imap_env *env, int64_t mailbox_id,
    int64_t version);
void imap_box_free(struct imap_box *b);

/* Called by the poller for every box on every turn: finishes a batch
 * the queue has committed, loads changed settings and starts a due
 * round. Returns the milliseconds until the box wants a turn again. */
int64_t imap_box_tend(struct imap_box *b, int64_t now);
/* The request on cl.easy finished with cc (the poller has removed the
 * handle from the multi handle). */
void imap_box_done(struct imap_box *b, CURLcode cc);
/* The sockets of the box's IDLE connection to watch (imap_idle_fds). */
int imap_box_fds(struct imap_box *b, struct curl_waitfd *fds, int max);
/* Abandons the request on the wire (settings changed, removed, or the
 * poller stops); messages in the queue are still waited for. */
void imap_box_abort(struct imap_box *b);

#endif
