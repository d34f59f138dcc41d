/*
 * imap_box.c - one mailbox's IMAP import: a state machine the poller
 * drives over a libcurl multi handle. See imap_box.h.
 *
 * A round, every poll interval (2 s by default), or at once when the
 * IDLE connection (imap_idle.c) hears of new mail; while IDLE is up the
 * rounds between are TAME_IMAP_IDLE_POLL_MS apart:
 *
 *   NOOP     the session sees new mail (RFC 3501 6.1.2); on a new
 *            connection libcurl logs in and SELECTs the folder first
 *   STATUS   UIDVALIDITY and UIDNEXT; nothing new: the round ends here
 *   SEARCH   one window of UIDs (UID SEARCH UID a:b, TAME_IMAP_SEARCH_SPAN)
 *   EXAMINE  read-only, so that fetching BODY[] does not set \Seen
 *            message by message: the action is the only change we make,
 *            and only once the message is stored
 *   FETCH    each message of the window, handed to the ingest queue as
 *            it arrives: the group commit stores some while the next
 *            are fetched
 *   WAIT     until the queue has committed the whole window
 *   ACT      every TAME_IMAP_ACT_EVERY committed messages and at the end
 *            of the round: SELECT (writable), the after-import action
 *            (UID STORE +FLAGS.SILENT \Seen, UID MOVE, or \Deleted and
 *            UID EXPUNGE; RFC 6851, RFC 4315), then the last UID is
 *            recorded
 *
 * The invariant that makes a kill -9 harmless: the recorded last UID of
 * a folder only ever covers messages that are durably stored and acted
 * on. Anything after it is fetched again by the next round, and the
 * ingest path drops a Message-ID it already holds, so a message fetched
 * twice is stored once. A UIDVALIDITY change (RFC 3501 2.3.1.1: the
 * folder was recreated) resets the last UID to 0 and reads the folder
 * again the same way. A message over TAME_SMTP_MESSAGE_MAX, or gone
 * between SEARCH and FETCH, is left on the server and passed over, with
 * the error shown on the mailbox.
 *
 * A failed round is retried after the poll interval, doubled per
 * failure up to TAME_IMAP_BACKOFF_MAX_MS, so a wrong password does not
 * hammer the server. Errors are stored on the mailbox in plain language
 * (imap_client_error) and logged when they change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "imap_box.h"
#include "../core/util.h"

/* See imap_box.h. */
struct imap_box *
imap_box_new(struct imap_env *env, int64_t mailbox_id, int64_t version)
{
	struct imap_box *b = calloc(1, sizeof(*b));

	if (!b || !(b->pend = calloc(TAME_IMAP_ACT_EVERY, sizeof(int64_t)))) {
		free(b);
		return NULL;
	}
	b->env = env;
	imap_idle_init(&b->idle);
	b->conf.mailbox_id = mailbox_id;
	b->version = version;
	b->reload = 1;
	return b;
}

void
imap_box_free(struct imap_box *b)
{
	if (!b)
		return;
	imap_idle_close(&b->idle, 1);
	imap_client_free(&b->cl);
	imap_conf_clear(&b->conf);
	buf_free(&b->acts);
	free(b->pend);
	free(b);
}

/* (Re)loads settings, client and folder state. */
static void
box_load(struct imap_box *b)
{
	struct store *s = b->env->store;
	int64_t id = b->conf.mailbox_id, v = 0, last = 0;
	int n;

	imap_idle_close(&b->idle, 1);
	imap_client_free(&b->cl);
	imap_conf_clear(&b->conf);
	b->conf.mailbox_id = id;
	b->reload = b->fails = b->sticky = 0;
	b->rounds_ok = b->woken = 0;
	b->shown_err = NULL;
	b->next_at = tame_now_ms();
	b->uidvalidity = b->last_uid = 0;
	if (store_imap_get(s, id, &b->conf)) {
		tame_log(TAME_LOG_ERR, "imap: mailbox %lld: cannot load its "
		    "settings: %s", (long long)id, store_errmsg(s));
		b->conf.mailbox_id = id;
		b->reload = 1;	/* the store may just be busy */
		b->next_at += TAME_IMAP_RELOAD_MS * 10;
		return;
	}
	if (imap_client_init(&b->cl, &b->conf) || !b->cl.easy) {
		imap_client_free(&b->cl);
		store_imap_status(s, id, "folder not found", "the folder name "
		    "cannot be sent to the server", tame_now_ms());
		return;
	}
	n = snprintf(b->account, sizeof(b->account), "%s@%s:%d",
	    b->conf.user, b->conf.host, b->conf.port);
	if (n < 0 || (size_t)n >= sizeof(b->account))
		b->account[0] = '\0';
	if (store_imap_state_get(s, id, b->account, b->conf.folder, &v,
	    &last) == TAME_OK) {
		b->uidvalidity = v;
		b->last_uid = last;
	}
	tame_log(TAME_LOG_INFO, "imap: %s: polling %s folder \"%s\" every "
	    "%lld ms%s", b->conf.address, b->account, b->conf.folder,
	    (long long)b->conf.poll_ms, b->last_uid ? ", resuming" : "");
}

/* Hands the prepared request to the multi handle. */
static void
send_req(struct imap_box *b, enum imap_step step)
{
	b->step = step;
	if (curl_multi_add_handle(b->env->multi, b->cl.easy) == CURLM_OK)
		b->in_multi = 1;
	else
		b->err = "out of memory";
}

/* Stores the error if it changed; logs it. */
static void
show_error(struct imap_box *b, const char *err, const char *detail)
{
	if (b->shown_err && strcmp(b->shown_err, err) == 0)
		return;
	tame_log(TAME_LOG_WARN, "imap: %s: %s (%s)", b->conf.address, err,
	    detail);
	store_imap_status(b->env->store, b->conf.mailbox_id, err, detail,
	    tame_now_ms());
	b->shown_err = err;
	b->ok_recorded_at = 0;
}

static void
round_reset(struct imap_box *b)
{
	b->nuids = b->next = b->nslots = b->batch_bytes = b->npend = 0;
	b->nacts = b->act = b->act_pos = 0;
	b->round_imported = 0;
	b->err = NULL;
	b->detail[0] = '\0';
	b->step = STEP_IDLE;
}

/* Ends the round with b->err: idle, then again after a back-off. What
 * is not recorded is fetched again then. */
static void
round_fail(struct imap_box *b)
{
	int64_t wait = b->conf.poll_ms;
	int i;

	show_error(b, b->err ? b->err : "IMAP error",
	    b->detail[0] ? b->detail : "-");
	for (i = 0; i < b->fails && wait < TAME_IMAP_BACKOFF_MAX_MS; i++)
		wait *= 2;
	b->fails++;
	b->next_at = tame_now_ms() + (wait < TAME_IMAP_BACKOFF_MAX_MS ? wait :
	    TAME_IMAP_BACKOFF_MAX_MS);
	round_reset(b);
}

/* Ends a good round. "Fine" is written when it changes, and its time
 * at most once a minute. */
static void
round_ok(struct imap_box *b)
{
	int64_t now = tame_now_ms(), wait;

	if (b->round_imported)
		tame_log(TAME_LOG_INFO, "imap: %s: imported %lld message(s), "
		    "last UID %lld", b->conf.address,
		    (long long)b->round_imported, (long long)b->last_uid);
	if (!b->sticky && (b->shown_err || now - b->ok_recorded_at >
	    60000)) {
		store_imap_status(b->env->store, b->conf.mailbox_id, NULL,
		    NULL, now);
		b->shown_err = NULL;
		b->ok_recorded_at = now;
	}
	b->fails = 0;
	b->rounds_ok = 1;
	/* IDLE tells of new mail: the rounds between are a safety net */
	wait = b->conf.poll_ms;
	if (imap_idle_up(&b->idle) && wait < TAME_IMAP_IDLE_POLL_MS)
		wait = TAME_IMAP_IDLE_POLL_MS;
	b->next_at = b->woken ? now : now + wait;
	b->woken = 0;
	round_reset(b);
}

/* Records the folder state. -1 (with b->err) when the store refuses. */
static int
record(struct imap_box *b, int64_t last_uid, int64_t imported)
{
	if (store_imap_state_set(b->env->store, b->conf.mailbox_id,
	    b->account, b->conf.folder, b->uidvalidity, last_uid, imported,
	    b->uidnext - 1 - last_uid, tame_now_ms())) {
		b->err = "cannot record the import";
		snprintf(b->detail, sizeof(b->detail), "%s",
		    store_errmsg(b->env->store));
		return -1;
	}
	b->last_uid = last_uid;
	return 0;
}

/* ---- the steps ---- */

/* The next window, or the end of the round (acting first on what is
 * committed). */
static void act(struct imap_box *b);

static void
next_window(struct imap_box *b)
{
	int64_t to = b->win_from + TAME_IMAP_SEARCH_SPAN - 1;

	if (b->win_from > b->uidnext - 1) {
		if (b->npend)
			act(b);
		else
			round_ok(b);
		return;
	}
	if (to > b->uidnext - 1)
		to = b->uidnext - 1;
	if (imap_client_search(&b->cl, b->uidvalidity, b->win_from, to))
		b->err = "out of memory";
	else
		send_req(b, STEP_SEARCH);
}

/* Fetches the next UID of the window (EXAMINEing the folder first when
 * it is writable), or waits for the batch's commit. */
static void
next_fetch(struct imap_box *b)
{
	enum tame_err rc;

	if (b->next >= b->nuids || b->nslots == TAME_IMAP_BATCH ||
	    b->batch_bytes >= TAME_IMAP_BATCH_BYTES) {
		b->t_wait = tame_now_ms();
		b->step = STEP_WAIT;
		return;
	}
	if (!b->ro) {
		rc = imap_client_examine(&b->cl, b->uidvalidity);
		if (!rc)
			send_req(b, STEP_EXAMINE);
	} else {
		if (b->nslots == 0)
			b->t_batch = tame_now_ms();
		rc = imap_client_fetch(&b->cl, b->uidvalidity,
		    b->uids[b->next]);
		if (!rc)
			send_req(b, STEP_FETCH);
	}
	if (rc)
		b->err = "out of memory";
}

/* Called by the ingest queue's thread when a message's fate is known. */
static void
slot_done(void *arg, enum tame_err rc)
{
	struct imap_slot *s = arg;
	struct imap_env *env = s->box->env;

	pthread_mutex_lock(&env->mu);
	s->state = rc ? SLOT_FAILED : SLOT_STORED;
	s->box->pending--;
	pthread_cond_broadcast(&env->cv);
	pthread_mutex_unlock(&env->mu);
	curl_multi_wakeup(env->multi);
}

/* Hands the fetched message to the ingest queue. */
static void
submit(struct imap_box *b, int64_t uid)
{
	struct imap_slot *s = &b->slots[b->nslots++];
	size_t len = b->cl.body.len;
	char *raw = buf_take(&b->cl.body);

	s->box = b;
	s->uid = uid;
	b->batch_bytes += len;
	pthread_mutex_lock(&b->env->mu);
	s->state = SLOT_PENDING;
	b->pending++;
	pthread_mutex_unlock(&b->env->mu);
	/* the queue takes raw and both strings, and calls slot_done once */
	ingestq_submit(b->env->queue, raw, len, strdup(""),
	    strdup(b->conf.address), slot_done, s);
}

/* Passes over a message that is too large or gone, leaving it on the
 * server. */
static void
skip(struct imap_box *b, int64_t uid)
{
	struct imap_slot *s = &b->slots[b->nslots++];
	char d[256];

	s->box = b;
	s->uid = uid;
	s->state = SLOT_SKIPPED;
	if (!b->cl.too_large)
		return;
	snprintf(d, sizeof(d), "UID %lld is larger than %d bytes; it is "
	    "left on the server", (long long)uid, TAME_SMTP_MESSAGE_MAX);
	b->shown_err = NULL;
	show_error(b, "message too large", d);
	b->sticky = 1;
}

/* Sends the next command of the action (from b->act_pos in b->acts). */
static void
send_act(struct imap_box *b)
{
	const char *cmd = buf_str(&b->acts) + b->act_pos;
	size_t len = strcspn(cmd, "\n");

	b->act_pos += len + 1;
	if (imap_client_command(&b->cl, b->uidvalidity, cmd, len))
		b->err = "out of memory";
	else
		send_req(b, STEP_ACT);
}

/* Acts on the committed messages in pend (or, with none, records how
 * far the folder is read). */
static void
act(struct imap_box *b)
{
	buf_free(&b->acts);
	buf_init(&b->acts, (size_t)TAME_IMAP_ACT_EVERY * 32 +
	    TAME_IMAP_URL_MAX * 4);
	b->act = b->act_pos = 0;
	if (imap_client_actions(&b->cl, b->conf.after, b->pend, b->npend,
	    &b->acts, &b->nacts)) {
		b->err = "out of memory";
		return;
	}
	if (b->nacts == 0) {
		imap_box_done(b, CURLE_OK);	/* straight to the record */
		return;
	}
	b->ro = 0;	/* the first command SELECTs */
	send_act(b);
}

/* Every message of the batch is committed or refused: the committed
 * prefix joins pend; act now or go on fetching. */
static void
batch_done(struct imap_box *b)
{
	size_t k = 0, i, stored = 0;
	int window_done, round_done;

	tame_log(TAME_LOG_DEBUG, "imap: %s: %zu fetched in %lld ms, "
	    "committed %lld ms later", b->conf.address, b->nslots,
	    (long long)(b->t_wait - b->t_batch),
	    (long long)(tame_now_ms() - b->t_wait));
	if (b->reload || b->dead) {
		round_reset(b);	/* nothing recorded: fetched again */
		return;
	}
	while (k < b->nslots && b->slots[k].state != SLOT_PENDING &&
	    b->slots[k].state != SLOT_FAILED)
		k++;
	for (i = 0; i < k; i++)
		if (b->slots[i].state == SLOT_STORED)
			b->pend[b->npend + stored++] = b->slots[i].uid;
	b->npend += stored;
	if (k)
		b->pend_last = b->slots[k - 1].uid;
	if (k < b->nslots && !b->err) {
		b->err = "cannot store messages now";
		snprintf(b->detail, sizeof(b->detail), "the store refused "
		    "UID %lld; it is fetched again later",
		    (long long)b->slots[k].uid);
	}
	b->nslots = b->batch_bytes = 0;
	/* progress for the admin page; the last UID moves on only once
	 * the action is done (acted()) */
	b->round_imported += stored;
	if (stored && store_imap_state_set(b->env->store, b->conf.mailbox_id,
	    b->account, b->conf.folder, b->uidvalidity, b->last_uid,
	    (int64_t)stored, b->uidnext - 1 - b->pend_last, tame_now_ms()))
		tame_log(TAME_LOG_WARN, "imap: %s: progress not recorded: %s",
		    b->conf.address, store_errmsg(b->env->store));
	if (b->err) {
		b->next = b->nuids = 0;	/* act on what is stored, stop */
		if (b->npend)
			act(b);
		else
			round_fail(b);
		return;
	}
	window_done = b->next >= b->nuids;
	if (window_done)
		b->win_from += TAME_IMAP_SEARCH_SPAN;
	round_done = window_done && b->win_from > b->uidnext - 1;
	if (round_done || b->npend + TAME_IMAP_BATCH > TAME_IMAP_ACT_EVERY)
		act(b);
	else if (window_done)
		next_window(b);
	else
		next_fetch(b);
}

/* The action (or the record of an empty stretch) is done. */
static void
acted(struct imap_box *b)
{
	if (record(b, b->pend_last, 0)) {
		round_fail(b);
		return;
	}
	b->npend = 0;
	if (b->err)
		round_fail(b);
	else if (b->next < b->nuids)
		next_fetch(b);
	else
		next_window(b);
}

/* STATUS answered: note a UIDVALIDITY change, search when there is
 * anything past the last UID. */
static void
status_done(struct imap_box *b)
{
	int64_t v = 0, next = 0, msgs = 0;

	if (imap_client_parse_status(&b->cl, &v, &next, &msgs) || v <= 0 ||
	    next <= 0) {
		b->err = "server answered garbage";
		snprintf(b->detail, sizeof(b->detail), "no UIDVALIDITY or "
		    "UIDNEXT in the STATUS answer");
		round_fail(b);
		return;
	}
	b->uidnext = next;
	if (v != b->uidvalidity) {
		if (b->uidvalidity)
			tame_log(TAME_LOG_WARN, "imap: %s: UIDVALIDITY of "
			    "\"%s\" changed from %lld to %lld: the folder is "
			    "read again (nothing is stored twice)",
			    b->conf.address, b->conf.folder,
			    (long long)b->uidvalidity, (long long)v);
		b->uidvalidity = v;
		if (record(b, 0, 0)) {
			round_fail(b);
			return;
		}
	}
	b->win_from = b->last_uid + 1;
	b->pend_last = b->last_uid;
	next_window(b);
}

/* SEARCH answered: fetch what the window holds past the last UID. */
static void
search_done(struct imap_box *b)
{
	long n = imap_client_parse_search(&b->cl, b->pend_last, b->uids,
	    TAME_IMAP_SEARCH_SPAN);
	int64_t to = b->win_from + TAME_IMAP_SEARCH_SPAN - 1;

	if (n < 0) {
		b->err = "server answered garbage";
		snprintf(b->detail, sizeof(b->detail), "bad UID in the SEARCH "
		    "answer");
		round_fail(b);
		return;
	}
	b->nuids = (size_t)n;
	b->next = 0;
	if (n > 0) {
		next_fetch(b);
		return;
	}
	/* nothing in the window: read, once what is pending is acted on */
	b->pend_last = to < b->uidnext - 1 ? to : b->uidnext - 1;
	b->win_from += TAME_IMAP_SEARCH_SPAN;
	if (b->npend == 0 && b->pend_last > b->last_uid &&
	    record(b, b->pend_last, 0)) {
		round_fail(b);
		return;
	}
	next_window(b);
}

/* See imap_box.h. */
void
imap_box_done(struct imap_box *b, CURLcode cc)
{
	int64_t v;

	if (b->reload || b->dead) {
		b->step = b->nslots ? STEP_WAIT : STEP_IDLE;
		return;
	}
	if (cc != CURLE_OK && !(b->step == STEP_FETCH && (b->cl.too_large ||
	    cc == CURLE_REMOTE_FILE_NOT_FOUND))) {
		b->err = imap_client_error(&b->cl, cc, b->detail,
		    sizeof(b->detail));
		b->ro = 0;
		if (b->step == STEP_FETCH) {
			/* wait for what the queue holds, act on it, stop */
			b->next = b->nuids;
			b->t_wait = tame_now_ms();
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
			send_req(b, STEP_STATUS);
		break;
	case STEP_STATUS:
		status_done(b);
		break;
	case STEP_SEARCH:
		search_done(b);
		break;
	case STEP_EXAMINE:
		v = imap_client_parse_uidvalidity(&b->cl);
		if (v && v != b->uidvalidity) {
			/* changed just now: the next STATUS sees it */
			round_ok(b);
			break;
		}
		b->ro = 1;
		next_fetch(b);
		break;
	case STEP_FETCH:
		if (cc == CURLE_OK)
			submit(b, b->uids[b->next++]);
		else
			skip(b, b->uids[b->next++]);
		next_fetch(b);
		break;
	case STEP_ACT:
	case STEP_WAIT:	/* act() with nothing to send */
		if (b->act + 1 < b->nacts) {
			b->act++;
			send_act(b);
		} else {
			acted(b);
		}
		break;
	default:
		break;
	}
	if (b->err && !b->in_multi && b->step != STEP_WAIT &&
	    b->step != STEP_IDLE)
		round_fail(b);
}

static int64_t box_turn(struct imap_box *b, int64_t now);

/* Records in the store whether the server tells of new mail (IDLE) or
 * the folder is polled, when that changes, once the settings worked. */
static void
note_watch(struct imap_box *b)
{
	int w = imap_idle_up(&b->idle) ? 2 : 1;

	if (!b->rounds_ok || b->reload || b->dead || w == b->watch)
		return;
	if (store_imap_watch(b->env->store, b->conf.mailbox_id, w == 2 ?
	    "idle" : "poll") == TAME_OK)
		b->watch = w;
}

/* See imap_box.h. */
int64_t
imap_box_tend(struct imap_box *b, int64_t now)
{
	int64_t idle_wait = TAME_IMAP_RELOAD_MS, w;

	/* IDLE once the settings have worked; it wakes a box that is not
	 * backing off from failed rounds */
	if (b->rounds_ok && !b->reload && !b->dead && b->cl.easy &&
	    imap_idle_tend(&b->idle, &b->conf, now, &idle_wait) &&
	    b->fails == 0) {
		b->woken = 1;
		if (b->step == STEP_IDLE)
			b->next_at = now;
	}
	note_watch(b);
	w = box_turn(b, now);
	return w < idle_wait ? w : idle_wait;
}

/* See imap_box.h. */
int
imap_box_fds(struct imap_box *b, struct curl_waitfd *fds, int max)
{
	return imap_idle_fds(&b->idle, fds, max);
}

/* The box's own work on a turn; the milliseconds until the next. */
static int64_t
box_turn(struct imap_box *b, int64_t now)
{
	size_t pending;

	if (b->step == STEP_WAIT) {
		pthread_mutex_lock(&b->env->mu);
		pending = b->pending;
		pthread_mutex_unlock(&b->env->mu);
		if (pending)
			return TAME_IMAP_RELOAD_MS;
		batch_done(b);
		/* a request that could not even start ends the round */
		if (b->err && !b->in_multi && b->step != STEP_IDLE)
			round_fail(b);
		return 0;
	}
	if (b->step != STEP_IDLE || b->dead)
		return TAME_IMAP_RELOAD_MS;
	if (b->reload && now >= b->next_at)
		box_load(b);
	if (!b->reload && b->cl.easy && now >= b->next_at) {
		b->ro = 0;	/* a new connection SELECTs */
		b->woken = 0;	/* this round sees what was announced */
		if (imap_client_noop(&b->cl))
			b->err = "out of memory";
		else
			send_req(b, STEP_NOOP);
		if (b->err)
			round_fail(b);
		return TAME_IMAP_RELOAD_MS;
	}
	return b->next_at > now ? b->next_at - now : TAME_IMAP_RELOAD_MS;
}

/* See imap_box.h. */
void
imap_box_abort(struct imap_box *b)
{
	if (b->in_multi) {
		curl_multi_remove_handle(b->env->multi, b->cl.easy);
		b->in_multi = 0;
	}
	b->ro = 0;
	if (b->step != STEP_IDLE)
		b->step = b->nslots ? STEP_WAIT : STEP_IDLE;
	b->nuids = b->next = 0;
	imap_idle_close(&b->idle, 1);
	b->rounds_ok = 0;
	b->watch = 0;
}
