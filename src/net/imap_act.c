/*
 * imap_act.c - the pipeline between a box's fetches and its
 * after-import action. See imap_act.h.
 *
 *   ring     fetched messages in UID order; the queue's thread marks
 *            each stored or refused (slot_done, under env->mu)
 *   pend     UIDs of the committed prefix, not yet acted on; pend_last
 *            is the UID up to which the folder is read and committed
 *   acting   the chunk being acted on over b->ac (after a NOOP, once a
 *            round, so that its session knows the new UIDs): UID STORE
 *            +FLAGS.SILENT (\Seen), UID MOVE, or \Deleted and UID
 *            EXPUNGE (RFC 6851, RFC 4315); once every command of it is
 *            answered, acting_last is recorded
 *
 * Why a connection of its own for the action: the fetches need the
 * folder EXAMINEd (read-only, so that BODY[] sets no \Seen before the
 * message is stored), the action needs it SELECTed, and switching one
 * connection between the two makes a server re-read the folder (seconds
 * for a Maildir of 50,000 messages). The fetch connection sees what the
 * action changed as untagged FETCH or EXPUNGE lines after its next
 * answer, at most TAME_IMAP_INFLIGHT of them, which libcurl passes over.
 *
 * A message the store refuses stops the round: what was committed
 * before it is still acted on and recorded; it and everything after it
 * are fetched again by the next round (the ingest path drops what it
 * already holds). A failed record stops the round without recording
 * anything more. A failed action (the server refuses it) acts on
 * nothing more this round, but the fetching goes on: what is stored
 * and not acted on stays in pend for the next round, which acts on it
 * first and fetches after pend_last, so one bad chunk does not hold up
 * the folder. After TAME_IMAP_ACT_ROUNDS such rounds in a row the
 * action is given up (act_off) until the settings change: the stored
 * messages are recorded as they are, with an error that stays.
 */
#include <stdlib.h>
#include <string.h>
#include "imap_act.h"
#include "imap_box.h"
#include "../core/util.h"

/* The commands of one action: every UID in a set of up to 11 digits and
 * a comma, up to three times (COPY, STORE, EXPUNGE), and per command
 * the quoted move target. */
#define ACTS_MAX ((size_t)TAME_IMAP_INFLIGHT * 40 + ((size_t)TAME_IMAP_INFLIGHT \
	/ TAME_IMAP_ACT_UIDS + 2) * 3 * (TAME_IMAP_URL_MAX * 4 + 64))

/* See imap_act.h. */
enum tame_err
imap_act_alloc(struct imap_box *b)
{
	b->ring = calloc(TAME_IMAP_INFLIGHT, sizeof(*b->ring));
	b->pend = calloc(TAME_IMAP_INFLIGHT, sizeof(*b->pend));
	b->acting = calloc(TAME_IMAP_INFLIGHT, sizeof(*b->acting));
	buf_init(&b->acts, ACTS_MAX);
	if (!b->ring || !b->pend || !b->acting)
		return TAME_ENOMEM;
	return TAME_OK;
}

void
imap_act_free(struct imap_box *b)
{
	free(b->ring);
	free(b->pend);
	free(b->acting);
	buf_free(&b->acts);
	b->ring = NULL;
	b->pend = b->acting = NULL;
}

/* See imap_act.h. */
void
imap_act_reset(struct imap_box *b)
{
	b->head = b->nring = b->ring_bytes = 0;	/* no slot is out */
	b->nacting = 0;
	b->stuck = b->act_busy = b->act_broken = b->act_held = 0;
	b->ac_synced = 0;
	b->nacts = b->act = b->act_pos = 0;
	/* what the action failed on is acted on first next round */
	if (!b->act_failed) {
		b->npend = 0;
		b->unrecorded = 0;
		b->pend_last = b->last_uid;
	}
	b->act_failed = 0;
}

/* See imap_act.h. */
int
imap_act_room(const struct imap_box *b)
{
	return b->nring + b->npend + b->nacting < TAME_IMAP_INFLIGHT &&
	    b->ring_bytes < TAME_IMAP_BATCH_BYTES;
}

/* See imap_act.h. */
struct imap_slot *
imap_act_reserve(struct imap_box *b, int64_t uid)
{
	struct imap_slot *s = &b->ring[(b->head + b->nring) %
	    TAME_IMAP_INFLIGHT];

	b->nring++;
	s->box = b;
	s->uid = s->cover = uid;
	s->len = 0;
	pthread_mutex_lock(&b->env->mu);
	s->state = SLOT_FETCHING;
	pthread_mutex_unlock(&b->env->mu);
	return s;
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
	/* under the lock: once the last one is done, imap_poll_stop may
	 * free the multi handle (and env) as soon as it gets the lock */
	curl_multi_wakeup(env->multi);
	pthread_mutex_unlock(&env->mu);
}

/* See imap_act.h. */
void
imap_act_submit(struct imap_box *b, struct imap_slot *s, struct buf *body)
{
	size_t len = body->len;
	char *raw = buf_take(body);

	s->len = len;
	b->ring_bytes += len;
	pthread_mutex_lock(&b->env->mu);
	s->state = SLOT_PENDING;
	b->pending++;
	pthread_mutex_unlock(&b->env->mu);
	/* the queue takes raw and both strings, and calls slot_done once */
	ingestq_submit(b->env->queue, raw, len, strdup(""),
	    strdup(b->conf.address), slot_done, s);
}

/* See imap_act.h. */
void
imap_act_settle(struct imap_box *b, struct imap_slot *s,
    enum slot_state state)
{
	pthread_mutex_lock(&b->env->mu);
	s->state = state;
	pthread_mutex_unlock(&b->env->mu);
}

/* See imap_act.h. */
void
imap_act_cover(struct imap_box *b, int64_t uid)
{
	struct imap_slot *s;

	if (b->nring == 0) {
		if (uid > b->pend_last)
			b->pend_last = uid;
		return;
	}
	s = &b->ring[(b->head + b->nring - 1) % TAME_IMAP_INFLIGHT];
	if (uid > s->cover)
		s->cover = uid;
}

/* Moves the committed prefix of the ring to pend. *pending gets the
 * messages still in the queue. */
static void
resolve(struct imap_box *b, size_t *pending)
{
	struct imap_slot *s;

	pthread_mutex_lock(&b->env->mu);
	*pending = b->pending;
	while (b->nring && !b->stuck) {
		s = &b->ring[b->head];
		if (s->state == SLOT_PENDING || s->state == SLOT_FETCHING)
			break;
		if (s->state == SLOT_FAILED) {
			b->stuck = 1;
			break;
		}
		if (s->state == SLOT_STORED) {
			b->pend[b->npend++] = s->uid;
			b->unrecorded++;
			b->round_imported++;
		}
		b->pend_last = s->cover;
		b->ring_bytes -= s->len;
		b->head = (b->head + 1) % TAME_IMAP_INFLIGHT;
		b->nring--;
	}
	pthread_mutex_unlock(&b->env->mu);
	if (b->stuck && !b->fetch_done) {
		b->fetch_done = 1;
		if (!b->err) {
			b->err = "cannot store messages now";
			snprintf(b->detail, sizeof(b->detail), "the store "
			    "refused UID %lld; it is fetched again later",
			    (long long)b->ring[b->head].uid);
		}
	}
}

/* Recording failed (b->err says why): nothing more is acted on,
 * recorded or fetched this round. */
static void
record_fail(struct imap_box *b)
{
	b->act_busy = b->act_held = 0;
	b->act_broken = 1;
	b->fetch_done = 1;
}

/* The action failed (err, detail d): nothing more is acted on this
 * round, but fetching goes on; the chunk goes back to the front of
 * pend, to be acted on again next round. */
static void
act_fail(struct imap_box *b, const char *err, const char *d)
{
	b->act_err = err;
	snprintf(b->act_detail, sizeof(b->act_detail), "%s", d);
	b->act_busy = b->act_held = 0;
	b->act_broken = 1;
	b->act_failed = 1;
	memmove(b->pend + b->nacting, b->pend, b->npend * sizeof(*b->pend));
	memcpy(b->pend, b->acting, b->nacting * sizeof(*b->pend));
	b->npend += b->nacting;
	b->nacting = 0;
}

/* A round ends in which the action failed: its error is the round's,
 * or, the TAME_IMAP_ACT_ROUNDS-th time in a row, the action is given up
 * and what is stored recorded as it is, with an error that stays. */
static void
act_round_failed(struct imap_box *b)
{
	char d[sizeof(b->detail)];

	if (++b->act_rounds < TAME_IMAP_ACT_ROUNDS) {
		if (!b->err) {
			b->err = b->act_err;
			snprintf(b->detail, sizeof(b->detail), "%s; the "
			    "messages stored are acted on again later",
			    b->act_detail);
		}
		return;
	}
	snprintf(d, sizeof(d), "the after-import action failed in %d rounds "
	    "in a row (%.40s: %.250s); it is not tried again until the IMAP "
	    "settings are saved, and the mail imported meanwhile stays on "
	    "the server as it is", b->act_rounds, b->act_err, b->act_detail);
	tame_log(TAME_LOG_WARN, "imap: %s: after-import action given up",
	    b->conf.address);
	b->act_off = 1;
	b->act_failed = 0;
	b->npend = 0;
	if (imap_act_record(b, b->pend_last))
		return;
	b->shown_err = NULL;
	imap_box_error(b, "after-import action failed", d);
	b->sticky = 1;
}

/* 1 while cl is about to send or sends a custom command: what an action
 * command changes must not reach cl in that command's answer. */
static int
cl_custom(const struct imap_box *b)
{
	return b->want != STEP_IDLE || b->step == STEP_NOOP ||
	    b->step == STEP_STATUS || b->step == STEP_SEARCH ||
	    b->step == STEP_EXAMINE || b->step == STEP_PROBE;
}

/* Sends the next command of the action (from act_pos in acts), or
 * holds it while cl has a custom command to send (imap_act_tend sends
 * it then). */
static void
act_send(struct imap_box *b)
{
	const char *cmd = buf_str(&b->acts) + b->act_pos;
	size_t len = strcspn(cmd, "\n");

	b->act_busy = 1;
	b->act_held = cl_custom(b);
	if (b->act_held)
		return;
	b->act_pos += len + 1;
	if (imap_client_command(&b->ac, b->uidvalidity, cmd, len) ||
	    curl_multi_add_handle(b->env->multi, b->ac.easy) != CURLM_OK) {
		act_fail(b, "out of memory", "-");
		return;
	}
	b->act_in_multi = 1;
}

/* Acts on every UID in pend. */
static void
act_start(struct imap_box *b)
{
	int64_t *t = b->acting;

	b->acting = b->pend;
	b->pend = t;
	b->nacting = b->npend;
	b->npend = 0;
	b->acting_last = b->pend_last;
	b->acted_max = b->acting[b->nacting - 1];
	buf_reset(&b->acts);
	b->act = b->act_pos = 0;
	/* ac's session may not know of the round's new messages yet: a
	 * command acts on the session's view, which a NOOP brings up to
	 * date (RFC 3501 6.1.2); cl has logged in, so its capabilities
	 * (MOVE, UIDPLUS) are known */
	if ((!b->ac_synced && buf_addstr(&b->acts, "NOOP\n")) ||
	    imap_client_actions(&b->cl, b->conf.after, b->acting, b->nacting,
	    &b->acts, &b->nacts) || b->nacts == 0) {
		act_fail(b, "out of memory", "-");
		return;
	}
	if (!b->ac_synced)
		b->nacts++;
	b->ac_synced = 1;
	b->t_act = tame_now_ms();
	act_send(b);
}

/* See imap_act.h. */
int
imap_act_tend(struct imap_box *b, int quiet)
{
	size_t pending;
	int finishing;

	resolve(b, &pending);
	if (b->reload || b->dead)	/* abandoned: nothing acted or recorded */
		return quiet && pending == 0 && !b->act_in_multi;
	if (b->act_held && !cl_custom(b))
		act_send(b);
	if (b->act_busy)
		return 0;
	if (b->act_broken) {
		if (!quiet || pending)
			return 0;
		if (b->act_failed)
			act_round_failed(b);
		return 1;
	}
	finishing = quiet && b->fetch_done && (b->nring == 0 || b->stuck);
	if (b->npend && (b->npend >= TAME_IMAP_ACT_CHUNK || finishing)) {
		if (!b->act_off) {
			act_start(b);
			return 0;
		}
		/* given up: recorded as it is */
		b->npend = 0;
		if (imap_act_record(b, b->pend_last))
			record_fail(b);
		return 0;
	}
	if (!finishing || pending)
		return 0;
	/* everything fetched is acted on or passed over */
	if (b->pend_last > b->last_uid || b->unrecorded)
		(void)imap_act_record(b, b->pend_last);
	return 1;
}

/* See imap_act.h. */
void
imap_act_done(struct imap_box *b, CURLcode cc)
{
	char d[sizeof(b->act_detail)];
	const char *err;

	b->act_in_multi = 0;
	b->act_gen++;	/* even a failed command may have changed something */
	if (b->reload || b->dead) {
		b->act_busy = 0;
		return;
	}
	if (cc != CURLE_OK) {
		err = imap_client_error(&b->ac, cc, d, sizeof(d));
		act_fail(b, err, d);
		return;
	}
	if (++b->act < b->nacts) {
		act_send(b);
		return;
	}
	b->act_busy = 0;
	b->act_rounds = 0;
	tame_log(TAME_LOG_DEBUG, "imap: %s: acted on %zu message(s) in %lld "
	    "ms, last UID %lld", b->conf.address, b->nacting,
	    (long long)(tame_now_ms() - b->t_act), (long long)b->acting_last);
	b->nacting = 0;
	if (imap_act_record(b, b->acting_last))
		record_fail(b);
}

/* See imap_act.h. */
int
imap_act_record(struct imap_box *b, int64_t last_uid)
{
	if (store_imap_state_set(b->env->store, b->conf.mailbox_id,
	    b->account, b->conf.folder, b->uidvalidity, last_uid,
	    b->unrecorded, b->uidnext - 1 - last_uid, tame_now_ms())) {
		if (!b->err) {
			b->err = "cannot record the import";
			snprintf(b->detail, sizeof(b->detail), "%s",
			    store_errmsg(b->env->store));
		}
		b->fetch_done = 1;
		return -1;
	}
	b->last_uid = last_uid;
	b->unrecorded = 0;
	return 0;
}
