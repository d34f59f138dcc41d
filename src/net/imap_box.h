/*
 * imap_box.h - one mailbox's IMAP import, as the poller (imap_poll.c)
 * drives it. Internal to src/net/imap_*.c.
 *
 * Model: a box is a state machine over one libcurl easy handle (struct
 * imap_client cl) that fetches. The poller adds the handle to its
 * multi handle when a box starts a request and calls imap_box_done()
 * when it finishes; the box then prepares and sends the next request,
 * or waits (for room in the pipeline, or for its next poll). What is
 * fetched goes through the pipeline of imap_act.h, which acts on
 * committed messages over a second easy handle (ac) meanwhile. See
 * imap_box.c for the steps and the invariant that makes a kill -9
 * harmless. A box also keeps an IDLE connection (imap_idle.h) where the
 * server offers it, which only wakes the box when new mail arrives.
 */
#ifndef TAME_IMAP_BOX_H
#define TAME_IMAP_BOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "imap_act.h"
#include "imap_client.h"
#include "imap_fetch.h"
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
	STEP_EXAMINE, STEP_PROBE, STEP_FETCH, STEP_WAIT };

struct imap_box {
	struct imap_box *link;   /* the poller's list */
	struct imap_env *env;
	struct imap_conf conf;
	struct imap_client cl;   /* searches and fetches, EXAMINEd */
	struct imap_fetcher helpers[TAME_IMAP_HELPERS]; /* fetch too */
	struct imap_client ac;   /* the after-import action, SELECTed */
	char account[TAME_FIELD_MAX * 2 + 16];  /* "user@host:port" */
	enum imap_step step;     /* of cl; STEP_WAIT: no request out */
	int in_multi;            /* cl.easy is in env->multi */
	int act_in_multi;        /* ac.easy is in env->multi */
	int reload;              /* settings changed: load when idle */
	int dead;                /* settings removed: free when idle */
	int64_t version;         /* the settings version to load */
	int64_t next_at;         /* idle until then */
	int fails;               /* rounds failed in a row (back-off) */
	int watch;               /* recorded: 0 not yet, 1 poll, 2 idle */
	int sticky;              /* a message was left: keep the error */
	/* FETCHes that failed (a NO, a dropped connection...), and in
	 * how many rounds in a row: one per connection that fetches */
	int64_t refused_uid[TAME_IMAP_HELPERS + 1];
	int refused_rounds[TAME_IMAP_HELPERS + 1];
	const char *shown_err;   /* the error last stored, NULL = fine */
	int64_t ok_recorded_at;
	/* IDLE (imap_idle.c), once a round has worked with the settings */
	struct imap_idle idle;
	int rounds_ok;           /* a round has ended well since the load */
	int woken;               /* new mail announced during a round */
	/* the folder */
	int64_t uidvalidity, last_uid, uidnext;
	int64_t win_from;        /* first UID of the search window */
	int64_t uids[TAME_IMAP_SEARCH_SPAN];
	size_t nuids, next;      /* search results; the next to fetch */
	int fetch_done;          /* the round fetches nothing more */
	int64_t t_sent;          /* when cl's request was sent */
	int64_t lead_uid;        /* cl's FETCH: the UID, its slot */
	struct imap_slot *lead_slot;
	int lead_retried;
	/* what the action changed reaches cl after its next command, as a
	 * line per message: cheap after a FETCH, fatal after a custom
	 * command (libcurl counts such lines dearly). So a custom command
	 * on cl waits for the action command out, and goes after a FETCH
	 * (a probe, if need be) that followed every action command */
	enum imap_step want;     /* custom command waiting to go, or IDLE */
	enum imap_step then;     /* the custom command after the probe */
	unsigned act_gen;        /* action commands answered */
	unsigned seen_gen;       /* act_gen when cl's last FETCH was sent */
	int64_t probe_uid;       /* a UID fetched on cl: the probe's */
	int64_t acted_max;       /* the highest UID acted on */
	/* the pipeline (imap_act.c): fetched, in the queue or committed */
	struct imap_slot *ring;  /* TAME_IMAP_INFLIGHT slots, UID order */
	size_t head, nring;
	size_t pending;          /* slots still in the queue, under mu */
	size_t ring_bytes;       /* of the slots in the ring */
	int stuck;               /* the store refused the slot at head */
	int64_t *pend;           /* committed UIDs not yet acted on, also
	                            from earlier rounds when the action
	                            failed (act_failed) */
	size_t npend;
	int64_t pend_last;       /* the folder is committed up to here: the
	                            next round fetches after it, while
	                            last_uid is where it is also acted on */
	int64_t *acting;         /* the UIDs the action is for */
	size_t nacting;
	int64_t acting_last;     /* recorded once the action is done */
	int act_busy, act_broken;
	int act_failed;          /* an action command failed this round:
	                            pend is kept for the next round */
	int act_rounds;          /* rounds in a row the action failed */
	int act_off;             /* given up until the settings change */
	const char *act_err;     /* why the action failed (static) */
	char act_detail[256];
	int act_held;            /* the next command waits for cl (want) */
	int ac_synced;           /* ac's session knows the round's UIDs */
	struct buf acts;         /* the action's commands, one a line */
	size_t nacts, act, act_pos;
	int64_t t_act;
	int64_t unrecorded;      /* stored, not yet in the recorded count */
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
/* Stores err (a static string) on the mailbox if it changed; logs it. */
void imap_box_error(struct imap_box *b, const char *err, const char *detail);
/* 1 when the round may send one more FETCH: UIDs left in the window,
 * room in the pipeline, nothing stopped it. */
int imap_box_fetchable(const struct imap_box *b);
/* The sockets of the box's IDLE connection to watch (imap_idle_fds). */
int imap_box_fds(struct imap_box *b, struct curl_waitfd *fds, int max);
/* Abandons the requests on the wire (settings changed, removed, or the
 * poller stops); messages in the queue are still waited for. */
void imap_box_abort(struct imap_box *b);

#endif
