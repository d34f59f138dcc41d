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
 *            and only once the message is stored. Sent again only when
 *            the connection was (re)selected writable since (see
 *            imap_client_read_only)
 *   FETCH    each message of the window, handed to the ingest queue as
 *            it arrives; the next window is searched and fetched while
 *            the queue commits, up to TAME_IMAP_INFLIGHT messages
 *            fetched but not yet acted on
 *   ACT      (imap_act.c, on a second connection, meanwhile) every
 *            TAME_IMAP_ACT_CHUNK committed messages and at the end of
 *            the round: UID STORE +FLAGS.SILENT (\Seen), UID MOVE, or
 *            \Deleted and UID EXPUNGE (RFC 6851, RFC 4315), then the
 *            last UID is recorded
 *   WAIT     no fetch out: the pipeline is full, or the round fetches
 *            nothing more and waits for the last commits and actions
 *
 * The invariant that makes a kill -9 harmless: the recorded last UID of
 * a folder only ever covers messages that are durably stored and acted
 * on. Anything after it is fetched again by the next round, and the
 * ingest path drops a Message-ID it already holds, so a message fetched
 * twice is stored once. A UIDVALIDITY change (RFC 3501 2.3.1.1: the
 * folder was recreated) resets the last UID to 0 and reads the folder
 * again the same way; seen in the middle of a round, nothing more is
 * acted on in that round. A message over TAME_SMTP_MESSAGE_MAX, or gone
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

	if (!b)
		return NULL;
	if (imap_act_alloc(b)) {
		imap_act_free(b);
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
	imap_client_free(&b->ac);
	imap_fetch_free(b);
	imap_conf_clear(&b->conf);
	imap_act_free(b);
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
	imap_client_free(&b->ac);
	imap_fetch_free(b);
	imap_conf_clear(&b->conf);
	b->conf.mailbox_id = id;
	b->reload = b->fails = b->sticky = 0;
	memset(b->refused_uid, 0, sizeof(b->refused_uid));
	memset(b->refused_rounds, 0, sizeof(b->refused_rounds));
	b->rounds_ok = b->woken = 0;
	b->shown_err = NULL;
	b->next_at = tame_now_ms();
	b->uidvalidity = b->last_uid = 0;
	b->probe_uid = b->acted_max = 0;
	b->act_gen = b->seen_gen = 0;
	if (store_imap_get(s, id, &b->conf)) {
		tame_log(TAME_LOG_ERR, "imap: mailbox %lld: cannot load its "
		    "settings: %s", (long long)id, store_errmsg(s));
		b->conf.mailbox_id = id;
		b->reload = 1;	/* the store may just be busy */
		b->next_at += TAME_IMAP_RELOAD_MS * 10;
		return;
	}
	if (imap_client_init(&b->cl, &b->conf) || !b->cl.easy ||
	    imap_client_init(&b->ac, &b->conf) || !b->ac.easy ||
	    imap_fetch_init(b)) {
		imap_client_free(&b->cl);
		imap_client_free(&b->ac);
		imap_fetch_free(b);
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
	/* the action is tried afresh with the new settings */
	b->npend = 0;
	b->unrecorded = 0;
	b->pend_last = b->last_uid;
	b->act_failed = b->act_rounds = b->act_off = 0;
	tame_log(TAME_LOG_INFO, "imap: %s: polling %s folder \"%s\" every "
	    "%lld ms%s", b->conf.address, b->account, b->conf.folder,
	    (long long)b->conf.poll_ms, b->last_uid ? ", resuming" : "");
}

/* The fetch connection stops: nothing more is fetched this round; the
 * round ends once the pipeline is drained (box_turn). */
static void
stop(struct imap_box *b)
{
	b->fetch_done = 1;
	b->step = STEP_WAIT;
}

/* Hands the prepared request to the multi handle. */
static void
send_req(struct imap_box *b, enum imap_step step)
{
	b->step = step;
	b->t_sent = tame_now_ms();
	if (curl_multi_add_handle(b->env->multi, b->cl.easy) == CURLM_OK) {
		b->in_multi = 1;
	} else {
		b->err = "out of memory";
		stop(b);
	}
}

/* See imap_box.h. */
void
imap_box_error(struct imap_box *b, const char *err, const char *detail)
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

/* Ready for the next round. Only when nothing is in the queue and no
 * request is out. */
static void
round_reset(struct imap_box *b)
{
	b->nuids = b->next = 0;
	b->fetch_done = 0;
	b->want = b->then = STEP_IDLE;
	imap_act_reset(b);
	imap_fetch_round(b);
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

	imap_box_error(b, b->err ? b->err : "IMAP error",
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

/* ---- the steps ---- */

/* The last UID of the current search window. */
static int64_t
window_end(const struct imap_box *b)
{
	int64_t to = b->win_from + TAME_IMAP_SEARCH_SPAN - 1;

	return to < b->uidnext - 1 ? to : b->uidnext - 1;
}

/* 1 when a probe of b->probe_uid finds the message: it was fetched
 * on cl, and is still in the folder (seen) or not yet acted on. */
static int
probe_ok(const struct imap_box *b)
{
	return b->probe_uid > 0 && (b->conf.after == IMAP_AFTER_SEEN ||
	    b->probe_uid > b->acted_max);
}

/* Sends the custom command of step (NOOP, STATUS, SEARCH, EXAMINE) on
 * cl once that is safe: with no action command out (else box_turn
 * sends it later), and after a FETCH that followed every action
 * command. Without one, a probe goes first, or an EXAMINE, which starts
 * the folder's view afresh (dovecot sends nothing of the old view). */
static void
send_custom(struct imap_box *b, enum imap_step step)
{
	enum tame_err rc;

	b->want = step;
	b->step = STEP_WAIT;
	if (b->act_in_multi)
		return;
	b->want = STEP_IDLE;
	if (b->act_gen != b->seen_gen && step != STEP_EXAMINE) {
		b->then = step;
		b->seen_gen = b->act_gen;
		if (imap_client_read_only(&b->cl) && probe_ok(b)) {
			rc = imap_client_probe(&b->cl, b->uidvalidity,
			    b->probe_uid);
			step = STEP_PROBE;
		} else {
			rc = imap_client_examine(&b->cl, b->uidvalidity);
			step = STEP_EXAMINE;
		}
	} else if (step == STEP_NOOP) {
		rc = imap_client_noop(&b->cl);
	} else if (step == STEP_STATUS) {
		rc = imap_client_status(&b->cl);
	} else if (step == STEP_SEARCH) {
		rc = imap_client_search(&b->cl, b->uidvalidity, b->win_from,
		    window_end(b));
	} else {
		b->seen_gen = b->act_gen;
		rc = imap_client_examine(&b->cl, b->uidvalidity);
	}
	if (rc) {
		b->err = "out of memory";
		stop(b);
		return;
	}
	send_req(b, step);
}

/* Searches the next window, or stops when the folder is read. */
static void
next_window(struct imap_box *b)
{
	if (b->win_from > b->uidnext - 1)
		stop(b);
	else
		send_custom(b, STEP_SEARCH);
}

/* Sends the FETCH of lead_uid on cl. */
static void
lead_fetch(struct imap_box *b)
{
	if (imap_client_fetch(&b->cl, b->uidvalidity, b->lead_uid)) {
		b->err = "out of memory";
		imap_act_settle(b, b->lead_slot, SLOT_FAILED);
		b->lead_slot = NULL;
		stop(b);
		return;
	}
	b->seen_gen = b->act_gen;
	send_req(b, STEP_FETCH);
	if (b->step != STEP_FETCH && b->lead_slot) {
		imap_act_settle(b, b->lead_slot, SLOT_FAILED);
		b->lead_slot = NULL;
	}
}

/* See imap_box.h. */
int
imap_box_fetchable(const struct imap_box *b)
{
	return b->step != STEP_IDLE && !b->fetch_done && !b->err &&
	    !b->reload && !b->dead && b->next < b->nuids && imap_act_room(b);
}

/* Fetches the next UID of the window (EXAMINEing the folder first when
 * this connection may have it writable), searches the next window, or
 * waits for room in the pipeline. */
static void
next_fetch(struct imap_box *b)
{
	if (b->fetch_done || b->err) {
		stop(b);
		return;
	}
	if (b->next >= b->nuids) {
		imap_act_cover(b, window_end(b));
		b->win_from += TAME_IMAP_SEARCH_SPAN;
		next_window(b);
		return;
	}
	if (!imap_act_room(b)) {
		b->step = STEP_WAIT;
		return;
	}
	if (!imap_client_read_only(&b->cl)) {
		send_custom(b, STEP_EXAMINE);
		return;
	}
	b->lead_uid = b->uids[b->next++];
	b->lead_slot = imap_act_reserve(b, b->lead_uid);
	b->lead_retried = 0;
	lead_fetch(b);
	imap_fetch_start(b);
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
		stop(b);
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
		b->probe_uid = b->acted_max = 0;
		b->npend = 0;	/* UIDs of the old folder */
		b->pend_last = 0;
		if (imap_act_record(b, 0)) {
			stop(b);
			return;
		}
	}
	/* after what is stored, acted on or not yet (imap_act.c) */
	b->win_from = b->pend_last + 1;
	next_window(b);
}

/* SEARCH answered: fetch what the window holds past the last UID. */
static void
search_done(struct imap_box *b)
{
	long n = imap_client_parse_search(&b->cl, b->pend_last, b->uidnext,
	    b->uids, TAME_IMAP_SEARCH_SPAN);

	if (n < 0) {
		b->err = "server answered garbage";
		snprintf(b->detail, sizeof(b->detail), "bad UID in the SEARCH "
		    "answer");
		stop(b);
		return;
	}
	b->nuids = (size_t)n;
	b->next = 0;
	next_fetch(b);
}

/* See imap_box.h. */
void
imap_box_done(struct imap_box *b, CURLcode cc)
{
	enum imap_step step;
	int64_t v;

	imap_client_finished(&b->cl, cc);
	if (b->reload || b->dead) {
		b->step = STEP_WAIT;
		return;
	}
	if (b->step == STEP_FETCH) {
		if (imap_fetch_finish(b, &b->cl, b->lead_slot, b->lead_uid,
		    &b->lead_retried, cc)) {
			lead_fetch(b);
			return;
		}
		if (cc == CURLE_OK)
			b->probe_uid = b->lead_uid;
		b->lead_slot = NULL;
		next_fetch(b);
		return;
	}
	if (b->step != STEP_PROBE)
		tame_log(TAME_LOG_DEBUG, "imap: %s: step %d answered in %lld "
		    "ms", b->conf.address, (int)b->step,
		    (long long)(tame_now_ms() - b->t_sent));
	if (cc != CURLE_OK && !(b->step == STEP_PROBE && (b->cl.too_large ||
	    cc == CURLE_REMOTE_FILE_NOT_FOUND))) {
		if (!b->err)
			b->err = imap_client_error(&b->cl, cc, b->detail,
			    sizeof(b->detail));
		stop(b);
		return;
	}
	switch (b->step) {
	case STEP_NOOP:
		send_custom(b, STEP_STATUS);
		break;
	case STEP_STATUS:
		status_done(b);
		break;
	case STEP_SEARCH:
		search_done(b);
		break;
	case STEP_EXAMINE:
		v = imap_client_parse_uidvalidity(&b->cl);
		step = b->then;
		b->then = STEP_IDLE;
		if (v && b->uidvalidity && v != b->uidvalidity &&
		    step != STEP_NOOP && step != STEP_STATUS) {
			/* changed in the middle of a round: act on nothing
			 * more; the next round's STATUS sees it */
			b->act_broken = 1;
			stop(b);
		} else if (step != STEP_IDLE) {
			send_custom(b, step);
		} else {
			next_fetch(b);
		}
		break;
	case STEP_PROBE:
		step = b->then;
		b->then = STEP_IDLE;
		send_custom(b, step);
		break;
	default:
		break;
	}
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
	if (b->step != STEP_IDLE) {
		/* a round: commits, actions, and the end of it */
		if (imap_act_tend(b, b->step == STEP_WAIT &&
		    !imap_fetch_busy(b))) {
			if (b->reload || b->dead)
				round_reset(b);	/* nothing recorded */
			else if (b->err)
				round_fail(b);
			else
				round_ok(b);
			return 0;
		}
		if (b->step != STEP_WAIT || b->reload || b->dead)
			return TAME_IMAP_RELOAD_MS;
		if (b->want != STEP_IDLE && !b->act_in_multi)
			send_custom(b, b->want);
		else if (b->want == STEP_IDLE && !b->fetch_done &&
		    imap_act_room(b))
			next_fetch(b);
		return TAME_IMAP_RELOAD_MS;
	}
	if (b->dead)
		return TAME_IMAP_RELOAD_MS;
	if (b->reload && now >= b->next_at)
		box_load(b);
	if (!b->reload && b->cl.easy && now >= b->next_at) {
		b->woken = 0;	/* this round sees what was announced */
		send_custom(b, STEP_NOOP);
		return 0;
	}
	return b->next_at > now ? b->next_at - now : TAME_IMAP_RELOAD_MS;
}

/* See imap_box.h. */
void
imap_box_abort(struct imap_box *b)
{
	if (b->in_multi) {
		imap_client_hangup(&b->cl);
		curl_multi_remove_handle(b->env->multi, b->cl.easy);
		b->in_multi = 0;
		imap_client_finished(&b->cl, CURLE_ABORTED_BY_CALLBACK);
	}
	if (b->act_in_multi) {
		imap_client_hangup(&b->ac);
		curl_multi_remove_handle(b->env->multi, b->ac.easy);
		b->act_in_multi = 0;
	}
	imap_fetch_abort(b);
	b->lead_slot = NULL;
	b->act_busy = b->act_held = 0;
	b->want = b->then = STEP_IDLE;
	if (b->step != STEP_IDLE)
		b->step = STEP_WAIT;
	b->fetch_done = 1;
	b->nuids = b->next = 0;
	imap_idle_close(&b->idle, 1);
	b->rounds_ok = 0;
	b->watch = 0;
}
