/*
 * imap_poll.c - the IMAP poller: one thread, every IMAP mailbox, no
 * message lost or stored twice. See imap_poll.h.
 *
 * Model. Each mailbox ("box") is a small state machine driven by one
 * libcurl multi handle, so a server that hangs delays nobody else:
 *
 *   IDLE --poll interval--> NOOP (the session sees new mail)
 *     -> STATUS (UIDVALIDITY, UIDNEXT)
 *     -> SEARCH one window of UIDs (UID SEARCH UID a:b)
 *     -> EXAMINE (read-only: fetching does not set \Seen one by one,
 *        which costs a server a write per message)
 *     -> FETCH up to TAME_IMAP_BATCH messages, each handed to the ingest
 *        queue as soon as it arrives (the group commit stores them
 *        while the next ones are fetched)
 *     -> WAIT until the queue has committed all of them
 *     -> ACT: SELECT (writable again), the after-import action on the
 *        stored ones (UID STORE +FLAGS.SILENT \Seen, UID MOVE, or
 *        \Deleted + UID EXPUNGE), at most 64 UIDs a command
 *     -> record last UID -> next batch / next window / IDLE
 *
 * The invariant that makes a kill -9 harmless: the recorded last UID of
 * a folder only ever covers messages that are durably stored and acted
 * on. Anything after it is fetched again on the next round; the ingest
 * path drops a Message-ID it already holds, so a message fetched twice
 * is stored once. A UIDVALIDITY change (RFC 3501 2.3.1.1: the folder was
 * recreated) resets the last UID to 0 and re-imports the folder the same
 * way. The folder state is keyed by account and folder (store.h).
 *
 * Settings are re-read every TAME_IMAP_RELOAD_MS: a new or changed
 * mailbox (its version moved) is picked up within a second; a failing
 * one is retried with back-off (the poll interval doubled per failure,
 * at most TAME_IMAP_BACKOFF_MAX_MS) so that a wrong password does not
 * hammer the server. Errors are stored on the mailbox in plain language
 * (imap_client_error) and logged once per change.
 *
 * RFCs: 3501 (IMAP4rev1), 4315 (UIDPLUS: UID EXPUNGE), 6851 (MOVE),
 * 5092 (IMAP URLs, ;UIDVALIDITY=). IDLE (RFC 2177) is not used: libcurl
 * cannot keep a command open, so new mail is found by polling.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "imap_client.h"
#include "imap_poll.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

enum step { STEP_IDLE, STEP_NOOP, STEP_STATUS, STEP_EXAMINE, STEP_SEARCH,
	STEP_FETCH, STEP_WAIT, STEP_ACT };

enum slot_state { SLOT_PENDING, SLOT_STORED, SLOT_FAILED, SLOT_SKIPPED };

struct box;

/* One fetched message on its way through the ingest queue. */
struct slot {
	struct box *box;
	int64_t uid;
	enum slot_state state;   /* written by the queue's thread, under mu */
};

struct box {
	struct box *link;        /* the poller's list */
	struct imap_poll *poll;
	struct imap_conf conf;
	struct imap_client cl;
	int ro;                  /* the folder is EXAMINEd (read-only) */
	char account[TAME_FIELD_MAX * 2 + 16];
	enum step step;
	int in_multi;
	int reload;              /* settings changed: start again when idle */
	int dead;                /* settings removed: free when idle */
	int64_t version;         /* the version that should be loaded */
	int64_t next_at;         /* IDLE until then */
	int fails;               /* rounds failed in a row */
	int sticky;              /* a message was skipped: keep the error */
	const char *shown_err;   /* the error last stored, NULL = fine */
	int64_t ok_recorded_at;
	/* the folder */
	int64_t uidvalidity, last_uid, uidnext;
	int64_t win_from;        /* first UID of the current search window */
	int64_t uids[TAME_IMAP_SEARCH_SPAN];
	size_t nuids, next;      /* search results, next to fetch */
	/* the batch */
	struct slot slots[TAME_IMAP_BATCH];
	size_t nslots;
	size_t pending;          /* slots still in the queue, under mu */
	size_t batch_bytes;
	int64_t round_imported;
	const char *err;         /* why the round stops, or NULL */
	char detail[512];
	struct buf acts;         /* the action's commands, one a line */
	size_t nacts, act, act_pos;
	int64_t act_last_uid;    /* last UID covered by the batch */
	int64_t t_batch, t_wait; /* when the batch and its wait began */
	int64_t act_stored;
};

struct imap_poll {
	pthread_t thread;
	pthread_mutex_t mu;      /* slot states, pending, stopping */
	pthread_cond_t cv;
	int stopping;
	struct ingestq *queue;
	struct store *store;
	CURLM *multi;
	struct box *boxes;
	int64_t next_reload;
};

/* ---- boxes ---- */

static void
box_free(struct box *b)
{
	imap_client_free(&b->cl);
	imap_conf_clear(&b->conf);
	buf_free(&b->acts);
	free(b);
}

/* (Re)loads settings, client and folder state. On failure the box stays
 * idle with the error shown. */
static void
box_load(struct imap_poll *p, struct box *b)
{
	enum tame_err rc;
	int64_t id = b->conf.mailbox_id, v = 0, last = 0;
	int n;

	imap_client_free(&b->cl);
	imap_conf_clear(&b->conf);
	b->conf.mailbox_id = id;
	b->reload = 0;
	b->fails = 0;
	b->shown_err = NULL;
	b->next_at = tame_now_ms();
	b->uidvalidity = b->last_uid = 0;
	b->sticky = 0;
	if ((rc = store_imap_get(p->store, id, &b->conf))) {
		tame_log(TAME_LOG_ERR, "imap: mailbox %lld: cannot load its "
		    "settings: %s", (long long)id, store_errmsg(p->store));
		b->conf.mailbox_id = id;
		/* try again later: the store may just be busy */
		b->reload = 1;
		b->next_at += TAME_IMAP_RELOAD_MS * 10;
		return;
	}
	if (imap_client_init(&b->cl, &b->conf) || !b->cl.easy) {
		b->next_at += TAME_IMAP_BACKOFF_MAX_MS;
		store_imap_status(p->store, id, "folder not found",
		    "the folder name cannot be sent to the server",
		    tame_now_ms());
		return;
	}
	n = snprintf(b->account, sizeof(b->account), "%s@%s:%d",
	    b->conf.user, b->conf.host, b->conf.port);
	if (n < 0 || (size_t)n >= sizeof(b->account))
		b->account[0] = '\0';
	rc = store_imap_state_get(p->store, id, b->account, b->conf.folder,
	    &v, &last);
	if (rc == TAME_OK) {
		b->uidvalidity = v;
		b->last_uid = last;
	}
	tame_log(TAME_LOG_INFO, "imap: %s: polling %s folder \"%s\" every "
	    "%lld ms%s", b->conf.address, b->account, b->conf.folder,
	    (long long)b->conf.poll_ms, b->last_uid ? ", resuming" : "");
}

/* Adds the client's handle to the multi handle for the prepared
 * request. */
static void
box_send(struct box *b, enum step step)
{
	b->step = step;
	if (curl_multi_add_handle(b->poll->multi, b->cl.easy) == CURLM_OK)
		b->in_multi = 1;
	else
		b->err = "out of memory";
}

/* Stores the error if it changed; logs it. */
static void
show_error(struct box *b, const char *err, const char *detail)
{
	if (b->shown_err && strcmp(b->shown_err, err) == 0)
		return;
	tame_log(TAME_LOG_WARN, "imap: %s: %s (%s)", b->conf.address, err,
	    detail);
	store_imap_status(b->poll->store, b->conf.mailbox_id, err, detail,
	    tame_now_ms());
	b->shown_err = err;
	b->ok_recorded_at = 0;
}

static void
batch_reset(struct box *b)
{
	b->nslots = 0;
	b->batch_bytes = 0;
	b->nacts = b->act = b->act_pos = 0;
	b->act_stored = 0;
}

/* Ends the round with b->err: back to IDLE after a back-off. */
static void
round_fail(struct box *b)
{
	int64_t wait = b->conf.poll_ms;
	int i;

	if (!b->err)
		b->err = "IMAP error";
	show_error(b, b->err, b->detail[0] ? b->detail : "-");
	for (i = 0; i < b->fails && wait < TAME_IMAP_BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > TAME_IMAP_BACKOFF_MAX_MS)
		wait = TAME_IMAP_BACKOFF_MAX_MS;
	b->fails++;
	b->next_at = tame_now_ms() + wait;
	b->err = NULL;
	b->detail[0] = '\0';
	b->nuids = b->next = 0;
	batch_reset(b);
	b->step = STEP_IDLE;
}

/* Ends a good round. The "fine" state is written when it changes, and
 * its time at most once a minute. */
static void
round_ok(struct box *b)
{
	int64_t now = tame_now_ms();

	if (b->round_imported)
		tame_log(TAME_LOG_INFO, "imap: %s: imported %lld message(s), "
		    "last UID %lld", b->conf.address,
		    (long long)b->round_imported, (long long)b->last_uid);
	if (!b->sticky && (b->shown_err || now - b->ok_recorded_at >
	    60000)) {
		store_imap_status(b->poll->store, b->conf.mailbox_id, NULL,
		    NULL, now);
		b->shown_err = NULL;
		b->ok_recorded_at = now;
	}
	b->round_imported = 0;
	b->fails = 0;
	b->nuids = b->next = 0;
	batch_reset(b);
	b->step = STEP_IDLE;
	b->next_at = now + b->conf.poll_ms;
}

/* Records the folder state; an error ends the round. */
static int
record(struct box *b, int64_t last_uid, int64_t imported)
{
	int64_t backlog = b->uidnext - 1 - last_uid, t0 = tame_now_ms();
	enum tame_err rc;

	rc = store_imap_state_set(b->poll->store, b->conf.mailbox_id,
	    b->account, b->conf.folder, b->uidvalidity, last_uid, imported,
	    backlog, tame_now_ms());
	if (rc) {
		b->err = "cannot record the import";
		snprintf(b->detail, sizeof(b->detail), "%s",
		    store_errmsg(b->poll->store));
		return -1;
	}
	b->last_uid = last_uid;
	tame_log(TAME_LOG_DEBUG, "imap: %s: last UID %lld recorded in %lld ms",
	    b->conf.address, (long long)last_uid,
	    (long long)(tame_now_ms() - t0));
	return 0;
}

/* ---- the round ---- */

static void
start_round(struct box *b)
{
	b->err = NULL;
	b->detail[0] = '\0';
	b->ro = 0;	/* a new connection SELECTs; EXAMINE before fetching */
	if (imap_client_noop(&b->cl))
		b->err = "out of memory";
	else
		box_send(b, STEP_NOOP);
}

/* Searches the window starting at b->win_from, or ends the round when
 * the folder holds nothing past it. */
static void
next_window(struct box *b)
{
	int64_t to = b->win_from + TAME_IMAP_SEARCH_SPAN - 1;

	if (b->win_from > b->uidnext - 1) {
		round_ok(b);
		return;
	}
	if (to > b->uidnext - 1)
		to = b->uidnext - 1;
	if (imap_client_search(&b->cl, b->uidvalidity, b->win_from, to))
		b->err = "out of memory";
	else
		box_send(b, STEP_SEARCH);
}

static void examine(struct box *b);

/* Fetches the next UID of the window (EXAMINEing the folder first), or
 * waits for the batch. */
static void
next_fetch(struct box *b)
{
	if (b->next < b->nuids && b->nslots < TAME_IMAP_BATCH &&
	    b->batch_bytes < TAME_IMAP_BATCH_BYTES) {
		if (!b->ro) {
			examine(b);
			return;
		}
		if (b->nslots == 0)
			b->t_batch = tame_now_ms();
		if (imap_client_fetch(&b->cl, b->uidvalidity,
		    b->uids[b->next]))
			b->err = "out of memory";
		else
			box_send(b, STEP_FETCH);
		return;
	}
	b->t_wait = tame_now_ms();
	b->step = STEP_WAIT;
}

/* Called by the ingest queue's thread when a message's fate is known. */
static void
slot_done(void *arg, enum tame_err rc)
{
	struct slot *s = arg;
	struct imap_poll *p = s->box->poll;

	pthread_mutex_lock(&p->mu);
	s->state = rc ? SLOT_FAILED : SLOT_STORED;
	s->box->pending--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	curl_multi_wakeup(p->multi);
}

/* The after-import commands for the stored slots [0..k). */
static enum tame_err
build_acts(struct box *b, size_t k)
{
	int64_t uids[TAME_IMAP_BATCH];
	size_t i, n = 0;

	for (i = 0; i < k; i++)
		if (b->slots[i].state == SLOT_STORED)
			uids[n++] = b->slots[i].uid;
	b->act = b->act_pos = 0;
	buf_free(&b->acts);
	buf_init(&b->acts, (size_t)TAME_IMAP_BATCH * 64 + TAME_IMAP_URL_MAX * 8);
	return imap_client_actions(&b->cl, b->conf.after, uids, n, &b->acts,
	    &b->nacts);
}

/* Makes the folder read-only for this session, then fetches. */
static void
examine(struct box *b)
{
	if (imap_client_examine(&b->cl, b->uidvalidity))
		b->err = "out of memory";
	else
		box_send(b, STEP_EXAMINE);
}

/* Continues after a batch is recorded. */
static void
after_batch(struct box *b)
{
	batch_reset(b);
	if (b->next < b->nuids) {
		next_fetch(b);
		return;
	}
	b->win_from += TAME_IMAP_SEARCH_SPAN;
	next_window(b);
}

/* Sends the next command of the action (b->act_pos into b->acts). */
static void
send_act(struct box *b)
{
	const char *cmd = buf_str(&b->acts) + b->act_pos;
	size_t len = strcspn(cmd, "\n");

	b->act_pos += len + 1;
	if (imap_client_command(&b->cl, b->uidvalidity, cmd, len))
		b->err = "out of memory";
	else
		box_send(b, STEP_ACT);
}

/* Every message of the batch is committed or refused. */
static void
batch_done(struct box *b)
{
	size_t k = 0, i;
	int64_t stored = 0, now = tame_now_ms();

	tame_log(TAME_LOG_DEBUG, "imap: %s: batch of %zu: fetched in %lld ms, "
	    "committed %lld ms later", b->conf.address, b->nslots,
	    (long long)(b->t_wait - b->t_batch), (long long)(now - b->t_wait));

	if (b->reload || b->dead) {
		/* nothing recorded: the next round fetches them again and
		 * the ingest path drops what it holds */
		batch_reset(b);
		b->step = STEP_IDLE;
		return;
	}
	while (k < b->nslots && (b->slots[k].state == SLOT_STORED ||
	    b->slots[k].state == SLOT_SKIPPED))
		k++;
	for (i = 0; i < k; i++)
		stored += b->slots[i].state == SLOT_STORED;
	if (k < b->nslots && !b->err) {
		b->err = "cannot store messages now";
		snprintf(b->detail, sizeof(b->detail), "the store refused "
		    "UID %lld; it is fetched again later",
		    (long long)b->slots[k].uid);
	}
	if (k == 0 || (b->err && stored == 0)) {
		round_fail(b);
		return;
	}
	b->act_last_uid = b->slots[k - 1].uid;
	b->act_stored = stored;
	if (b->err)	/* act on what is stored, then stop the round */
		b->next = b->nuids;
	if (build_acts(b, k)) {
		b->err = "out of memory";
		round_fail(b);
		return;
	}
	if (b->nacts == 0) {
		if (record(b, b->act_last_uid, 0) == 0 && !b->err) {
			after_batch(b);
			return;
		}
		round_fail(b);
		return;
	}
	b->ro = 0;	/* the first command SELECTs */
	send_act(b);
}

/* A request of b finished with cc. */
static void
request_done(struct box *b, CURLcode cc)
{
	int64_t v = 0, next = 0, msgs = 0, uid;
	long n;

	if (b->reload || b->dead) {
		b->step = b->nslots ? STEP_WAIT : STEP_IDLE;
		return;
	}
	if (cc != CURLE_OK && !(b->step == STEP_FETCH && (b->cl.too_large ||
	    cc == CURLE_REMOTE_FILE_NOT_FOUND))) {
		b->err = imap_client_error(&b->cl, cc, b->detail,
		    sizeof(b->detail));
		if (b->step == STEP_FETCH) {
			/* wait for what the queue holds, act on it, stop */
			b->next = b->nuids;
			b->step = STEP_WAIT;
		} else {
			round_fail(b);
		}
		return;
	}
	switch (b->step) {
	case STEP_NOOP:
		if (imap_client_status(&b->cl))
			b->err = "out of memory";
		else
			box_send(b, STEP_STATUS);
		break;
	case STEP_STATUS:
		if (imap_client_parse_status(&b->cl, &v, &next, &msgs) ||
		    v <= 0 || next <= 0) {
			b->err = "server answered garbage";
			snprintf(b->detail, sizeof(b->detail), "no UIDVALIDITY "
			    "or UIDNEXT in the STATUS answer");
			round_fail(b);
			return;
		}
		if (v != b->uidvalidity) {
			if (b->uidvalidity)
				tame_log(TAME_LOG_WARN, "imap: %s: UIDVALIDITY "
				    "of \"%s\" changed from %lld to %lld: the "
				    "folder is read again (nothing is stored "
				    "twice)", b->conf.address, b->conf.folder,
				    (long long)b->uidvalidity, (long long)v);
			b->uidvalidity = v;
			b->uidnext = next;
			if (record(b, 0, 0)) {
				round_fail(b);
				return;
			}
		}
		b->uidnext = next;
		b->win_from = b->last_uid + 1;
		next_window(b);
		break;
	case STEP_EXAMINE:
		v = imap_client_parse_uidvalidity(&b->cl);
		if (v && v != b->uidvalidity) {
			round_ok(b);    /* changed just now: the next STATUS */
			break;
		}
		b->ro = 1;
		next_fetch(b);
		break;
	case STEP_SEARCH:
		n = imap_client_parse_search(&b->cl, b->last_uid, b->uids,
		    TAME_IMAP_SEARCH_SPAN);
		if (n < 0) {
			b->err = "server answered garbage";
			snprintf(b->detail, sizeof(b->detail), "bad UID in the "
			    "SEARCH answer");
			round_fail(b);
			return;
		}
		b->nuids = (size_t)n;
		b->next = 0;
		if (n > 0) {
			next_fetch(b);
			break;
		}
		/* no message in the window: nothing there to wait for */
		uid = b->win_from + TAME_IMAP_SEARCH_SPAN - 1;
		if (uid > b->uidnext - 1)
			uid = b->uidnext - 1;
		if (uid > b->last_uid && record(b, uid, 0)) {
			round_fail(b);
			return;
		}
		b->win_from += TAME_IMAP_SEARCH_SPAN;
		next_window(b);
		break;
	case STEP_FETCH:
		uid = b->uids[b->next++];
		b->slots[b->nslots].box = b;
		b->slots[b->nslots].uid = uid;
		if (cc != CURLE_OK) {
			/* too large, or gone since the SEARCH: left alone */
			b->slots[b->nslots++].state = SLOT_SKIPPED;
			if (b->cl.too_large) {
				char d[600];

				snprintf(d, sizeof(d), "UID %lld: %s; left on "
				    "the server", (long long)uid,
				    b->cl.announced > 0 ? "announced as larger "
				    "than the limit" : "larger than the limit");
				b->shown_err = NULL;
				show_error(b, "message too large", d);
				b->sticky = 1;
			}
			next_fetch(b);
			break;
		}
		b->batch_bytes += b->cl.body.len;
		pthread_mutex_lock(&b->poll->mu);
		b->slots[b->nslots].state = SLOT_PENDING;
		b->pending++;
		pthread_mutex_unlock(&b->poll->mu);
		{
			size_t len = b->cl.body.len;
			char *raw = buf_take(&b->cl.body);

			/* the queue takes raw and the strings, and calls
			 * slot_done exactly once */
			ingestq_submit(b->poll->queue, raw, len, strdup(""),
			    strdup(b->conf.address), slot_done,
			    &b->slots[b->nslots++]);
		}
		next_fetch(b);
		break;
	case STEP_ACT:
		if (++b->act < b->nacts) {
			send_act(b);
			break;
		}
		tame_log(TAME_LOG_DEBUG, "imap: %s: acted on %lld message(s) "
		    "%lld ms after the commit", b->conf.address,
		    (long long)b->act_stored,
		    (long long)(tame_now_ms() - b->t_wait));
		if (record(b, b->act_last_uid, b->act_stored)) {
			round_fail(b);
			break;
		}
		b->round_imported += b->act_stored;
		if (b->err) {
			round_fail(b);
			break;
		}
		after_batch(b);
		break;
	default:
		break;
	}
}

/* ---- settings ---- */

static struct box *
box_find(struct imap_poll *p, int64_t id)
{
	struct box *b;

	for (b = p->boxes; b; b = b->link)
		if (b->conf.mailbox_id == id && !b->dead)
			return b;
	return NULL;
}

/* Stops what b is doing on the wire; fetched messages still in the
 * queue are waited for in STEP_WAIT. */
static void
box_abort(struct box *b)
{
	if (b->in_multi) {
		curl_multi_remove_handle(b->poll->multi, b->cl.easy);
		b->in_multi = 0;
	}
	if (b->step != STEP_IDLE)
		b->step = b->nslots ? STEP_WAIT : STEP_IDLE;
	b->nuids = b->next = 0;
}

/* Compares the stored settings with the boxes; marks what changed. */
static void
reload(struct imap_poll *p)
{
	struct store_imap_entry *e = NULL;
	struct box *b;
	size_t n = 0, i;

	if (store_imap_list(p->store, &e, &n)) {
		tame_log(TAME_LOG_ERR, "imap: cannot read the settings: %s",
		    store_errmsg(p->store));
		return;
	}
	for (b = p->boxes; b; b = b->link) {
		for (i = 0; i < n && e[i].mailbox_id != b->conf.mailbox_id;
		    i++)
			;
		if (i == n && !b->dead) {
			tame_log(TAME_LOG_INFO, "imap: mailbox %lld: IMAP "
			    "switched off", (long long)b->conf.mailbox_id);
			b->dead = 1;
			box_abort(b);
		} else if (i < n && e[i].version != b->version) {
			b->version = e[i].version;
			b->reload = 1;
			b->next_at = 0;
			box_abort(b);
		}
	}
	for (i = 0; i < n; i++) {
		if (box_find(p, e[i].mailbox_id))
			continue;
		if (!(b = calloc(1, sizeof(*b))))
			break;
		b->poll = p;
		b->conf.mailbox_id = e[i].mailbox_id;
		b->version = e[i].version;
		b->reload = 1;
		b->link = p->boxes;
		p->boxes = b;
	}
	free(e);
}

/* ---- the thread ---- */

/* A step that could not start its request ends the round. */
static void
settle(struct box *b)
{
	if (b->err && !b->in_multi && b->step != STEP_WAIT &&
	    b->step != STEP_IDLE)
		round_fail(b);
}

/* Idle boxes: free the dead, reload the changed, start due rounds.
 * Returns the milliseconds until the next due round. */
static int64_t
tend(struct imap_poll *p, int64_t now)
{
	struct box **bp = &p->boxes, *b;
	int64_t wait = TAME_IMAP_RELOAD_MS;
	size_t pending;

	while ((b = *bp)) {
		if (b->step == STEP_WAIT) {
			pthread_mutex_lock(&p->mu);
			pending = b->pending;
			pthread_mutex_unlock(&p->mu);
			if (pending == 0) {
				batch_done(b);
				wait = 0;
			}
		}
		if (b->step == STEP_IDLE && b->dead) {
			*bp = b->link;
			box_free(b);
			continue;
		}
		if (b->step == STEP_IDLE && b->reload && now >= b->next_at)
			box_load(p, b);
		if (b->step == STEP_IDLE && !b->reload && b->conf.address &&
		    b->cl.easy && now >= b->next_at)
			start_round(b);
		settle(b);
		if (b->step == STEP_IDLE && b->next_at - now < wait)
			wait = b->next_at - now;
		bp = &b->link;
	}
	return wait < 0 ? 0 : wait;
}

static void *
imap_poll_main(void *arg)
{
	struct imap_poll *p = arg;
	struct box *b;
	CURLMsg *m;
	int64_t now, wait;
	int running, left, stop;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		stop = p->stopping;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		now = tame_now_ms();
		if (now >= p->next_reload) {
			reload(p);
			p->next_reload = now + TAME_IMAP_RELOAD_MS;
		}
		wait = tend(p, now);
		if (p->next_reload - now < wait)
			wait = p->next_reload - now;
		curl_multi_perform(p->multi, &running);
		while ((m = curl_multi_info_read(p->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_multi_remove_handle(p->multi, m->easy_handle);
			for (b = p->boxes; b && b->cl.easy != m->easy_handle;
			    b = b->link)
				;
			if (!b)
				continue;
			b->in_multi = 0;
			request_done(b, m->data.result);
			settle(b);
			wait = 0;
		}
		if (wait > 0)
			curl_multi_poll(p->multi, NULL, 0, (int)(wait > 1000 ?
			    1000 : wait), NULL);
	}
	/* abandon transfers; wait for what the queue still holds */
	for (b = p->boxes; b; b = b->link)
		box_abort(b);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t pending = 0;

		for (b = p->boxes; b; b = b->link)
			pending += b->pending;
		if (!pending)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* See imap_poll.h. */
enum tame_err
imap_poll_start(const char *datadir, struct ingestq *q,
    struct imap_poll **out)
{
	struct imap_poll *p;
	enum tame_err rc;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return TAME_ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->queue = q;
	if (!(p->multi = curl_multi_init())) {
		rc = TAME_ENOMEM;
		goto fail;
	}
	if ((rc = store_open(datadir, 0, &p->store)))
		goto fail;
	if (pthread_create(&p->thread, NULL, imap_poll_main, p) != 0) {
		rc = TAME_EIO;
		goto fail;
	}
	*out = p;
	return TAME_OK;
fail:
	store_close(p->store);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
	return rc;
}

/* See imap_poll.h. */
void
imap_poll_stop(struct imap_poll *p)
{
	struct box *b;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_mutex_unlock(&p->mu);
	curl_multi_wakeup(p->multi);
	pthread_join(p->thread, NULL);
	while ((b = p->boxes)) {
		p->boxes = b->link;
		box_free(b);
	}
	curl_multi_cleanup(p->multi);
	store_close(p->store);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
