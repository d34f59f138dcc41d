/*
 * outbox.c - the sender thread for outgoing mail. See outbox.h.
 *
 * Each item goes through the relay of its ticket's mailbox when that
 * mailbox has one (store_relay_for), else through the global --relay
 * (smtp_client.c does the SMTP). A 5xx refusal of sender, recipient or
 * message is permanent; connection failures, refused logins and 4xx
 * answers are retried with back-off until TAME_OUTBOX_GIVEUP_SECONDS
 * after the reply was written, the reason shown on the message. An item
 * with no relay at all waits, looked at every 30 s. A relay that cannot
 * be reached or does not answer rests a while (relay_breaker.h): its
 * other items are put off without a try, so they do not each hold the
 * one sender thread up to the connect timeout.
 *
 * When the store cannot record what happened (a full disk, a lock held
 * too long), nothing more goes out until it can: an item the relay took
 * but that cannot be marked sent is remembered here, never sent again
 * while tamed runs, and its mark is written before anything else goes.
 *
 * An item goes only once the commit that queued it is on disk: the
 * ingest writer queues an acknowledgement with its ticket in a commit
 * that its syncer makes durable afterwards (ingestq.c), and this thread
 * sees the row as soon as it is committed. So each item is preceded by
 * store_sync(), which waits for that sync (or does it); after a failed
 * sync none goes until tamed is restarted.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>
#include "../core/util.h"
#include "../store/store.h"
#include "../mail/reply.h"
#include "../store/store_desk.h"
#include "../tame_limits.h"
#include "outbox.h"
#include "relay_breaker.h"
#include "smtp_client.h"

/* How long the outbox waits when the store cannot record its work. */
#define OUTBOX_STORE_PAUSE_MS 2000

struct outbox {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	int kicked;
	int relay_new;           /* a relay may be there now (start, set) */
	char *relay;
	struct relay_conf global; /* relay, parsed: its TLS mode and login */
	struct store *store;
	int64_t retry_base_ms;
	/* the outbox thread's own: the item sent but not yet marked so,
	 * 0 none (one at most: nothing goes while there is one) */
	int64_t unmarked;
	int sync_said;           /* a failed sync holds everything: logged */
	struct relay_breaker rest; /* relays that failed to answer */
	int64_t rest_until;      /* outbox_deliver's 5: put off until then */
};

/* How the error of mail waiting for a relay starts. */
#define NO_RELAY "no relay: "

/* err, said to be the reason tamed gave up after two days. */
static void
gave_up(char *err, size_t n)
{
	char was[512];

	snprintf(was, sizeof(was), "%s", err);
	snprintf(err, n, "gave up after %d days of trying; last: %.400s",
	    TAME_OUTBOX_GIVEUP_SECONDS / 86400, was);
}

/* A reply that will never arrive: a reply.failed event on its ticket
 * (which the live views show at once) and, when the ticket was left
 * pending or solved, the ticket open again, as the customer still
 * waits for an answer. */
static void
reply_failed(struct outbox *ob, const struct outbox_item *it,
    const char *err, int64_t now)
{
	json_t *ev = json_pack("{s:I,s:s%}", "message_id",
	    (json_int_t)it->message_id, "error", err, strlen(err));
	int64_t tid = it->ticket_id, into = 0;
	enum tame_err rc;

	if (!ev) {
		tame_log(TAME_LOG_WARN, "outbox: ticket %lld: reply.failed "
		    "not recorded: out of memory", (long long)tid);
		return;
	}
	/* merged since: the conversation, and who follows it, is there */
	if (store_desk_merged_into(ob->store, tid, &into) == TAME_OK && into)
		tid = into;
	if (store_begin(ob->store))
		goto out;
	if (!(rc = store_event_add(ob->store, tid, 0, "reply.failed", ev,
	    now)))
		rc = reply_undelivered(ob->store, tid, now);
	if (rc || store_commit(ob->store)) {
		store_rollback(ob->store);
		tame_log(TAME_LOG_WARN, "outbox: ticket %lld: reply.failed "
		    "not recorded: %s", (long long)tid,
		    store_errmsg(ob->store));
	}
out:
	json_decref(ev);
}

struct sent_ctx {
	struct outbox *ob;
	const struct outbox_item *it;
	int first_refused;       /* the relay refused the customer */
};

/* The relay has the item's message: recorded at once (see
 * smtp_client.h), with the recipients it refused, if any. Those it
 * refused for now (a CC's 4xx) get it from an item of their own, as
 * system mail: it is retried with back-off, and its end changes
 * nothing on the reply, which the customer has. */
static void
on_sent(void *arg, const char *note, int first_refused, const char *later)
{
	struct sent_ctx *s = arg;
	char more[1024];
	int64_t id;

	s->first_refused = first_refused;
	if (*later && store_outbox_add(s->ob->store, 0, s->it->ticket_id,
	    s->it->mail_from, later, NULL, s->it->raw.data, s->it->raw.len,
	    0, tame_now_ms(), &id) == TAME_OK) {
		if (snprintf(more, sizeof(more), "%s; it is sent to %s again "
		    "later", note, later) < 0)
			more[0] = '\0';
		note = more;
	} else if (*later) {
		tame_log(TAME_LOG_ERR, "outbox: item %lld: not queued again "
		    "for %s: %s", (long long)s->it->id, later,
		    store_errmsg(s->ob->store));
	}
	if (store_outbox_sent(s->ob->store, s->it->id, tame_now_ms())) {
		tame_log(TAME_LOG_ERR, "outbox: item %lld was sent but cannot "
		    "be marked so (%s): nothing more goes until it is",
		    (long long)s->it->id, store_errmsg(s->ob->store));
		s->ob->unmarked = s->it->id;
	}
	if (note && *note && s->it->message_id) {
		tame_log(TAME_LOG_WARN, "outbox: item %lld: %s",
		    (long long)s->it->id, note);
		store_message_set_delivery(s->ob->store, s->it->message_id,
		    first_refused ? DELIVERY_FAILED : DELIVERY_SENT, note);
	}
}

/* Delivers one item through the relay of its mailbox, or the global
 * one. Returns 0 sent (and recorded), 1 temporary failure, 2 permanent,
 * 3 no relay at all, 4 sent to all but the first recipient (the
 * customer), which the relay refused, 5 not tried: its relay rests
 * (relay_breaker.h) until ob->rest_until; err gets a short reason and
 * what the relay said. */
static int
outbox_deliver(struct outbox *ob, const struct outbox_item *it, char *err,
    size_t errlen)
{
	struct sent_ctx sc = { ob, it, 0 };
	struct smtp_client_job job;
	struct relay_conf rc;
	char why[128], detail[CURL_ERROR_SIZE + 128];
	enum smtp_client_result r;
	enum tame_err src;

	memset(&job, 0, sizeof(job));
	src = store_relay_for(ob->store, it->ticket_id, it->mail_from, &rc);
	if (src && src != TAME_ENOTFOUND) {
		snprintf(err, errlen, "the mailbox's relay cannot be read: %s",
		    store_errmsg(ob->store));
		return 1;
	}
	if (src == TAME_ENOTFOUND && !ob->relay) {
		snprintf(err, errlen, NO_RELAY "the mailbox has none and "
		    "tamed runs without --relay");
		return 3;
	}
	job.relay = src == TAME_OK ? &rc : &ob->global;
	job.try_tls = src != TAME_OK;
	if (relay_breaker_resting(&ob->rest, job.relay, tame_now_ms(),
	    &ob->rest_until, detail, sizeof(detail))) {
		snprintf(err, errlen, "not tried: the relay %s:%d failed a "
		    "moment ago (%s)", job.relay->host, job.relay->port, detail);
		if (src == TAME_OK)
			relay_conf_clear(&rc);
		return 5;
	}
	job.mail_from = it->mail_from;
	job.rcpts = it->rcpts;
	job.raw = it->raw.data;
	job.len = it->raw.len;
	/* the whole exchange: up to 10 minutes for the answer to the
	 * final "." (smtp_client.h) and time for the rest */
	job.timeout_s = 900;
	job.stop = &ob->stopping;
	job.sent = on_sent;
	job.sent_arg = &sc;
	r = smtp_client_send(&job, why, sizeof(why), detail, sizeof(detail));
	/* one that cannot be reached, or does not answer, costs each of
	 * its items that long: the others are put off for a while */
	if (r == SMTP_CLIENT_UNREACHABLE)
		relay_breaker_failed(&ob->rest, job.relay, tame_now_ms(),
		    ob->retry_base_ms, why);
	else
		relay_breaker_ok(&ob->rest, job.relay);
	if (src == TAME_OK)
		relay_conf_clear(&rc);
	if (r == SMTP_CLIENT_SENT && sc.first_refused) {
		/* the CCs have it, the customer never will: failed, and
		 * not sent again (the CCs would get it twice) */
		snprintf(err, errlen, "%s", detail);
		return 4;
	}
	if (r == SMTP_CLIENT_SENT)
		return 0;
	if (snprintf(err, errlen, "%s: %s", why, detail) < 0)
		err[0] = '\0';
	return r == SMTP_CLIENT_REFUSED ? 2 : 1;
}

/* Writes the mark of the item sent but not yet marked so; 0 when there
 * is none left, -1 while the store still refuses. */
static int
outbox_mark_unmarked(struct outbox *ob)
{
	enum tame_err rc;

	if (!ob->unmarked)
		return 0;
	rc = store_outbox_sent(ob->store, ob->unmarked, tame_now_ms());
	if (rc && rc != TAME_ENOTFOUND)
		return -1;
	if (rc == TAME_OK)
		tame_log(TAME_LOG_INFO, "outbox: item %lld marked sent at last",
		    (long long)ob->unmarked);
	ob->unmarked = 0;
	return 0;
}

/* Handles every due item; returns the time the next one is due (0 none). */
static int64_t
outbox_run_due(struct outbox *ob)
{
	struct outbox_item it;
	int64_t now, next_due = 0, delay;
	enum tame_err wrc;
	char err[512], who[64];
	int r;

	pthread_mutex_lock(&ob->mu);
	r = ob->relay_new;
	ob->relay_new = 0;
	pthread_mutex_unlock(&ob->mu);
	/* a relay set or changed (a password fixed, say): what waited
	 * for it, or for another try after it failed, goes at once, not
	 * after its back-off */
	if (r && store_outbox_unwait(ob->store, "", tame_now_ms()))
		tame_log(TAME_LOG_WARN, "outbox: %s", store_errmsg(ob->store));
	if (r)
		relay_breaker_reset(&ob->rest);
	for (;;) {
		if (outbox_mark_unmarked(ob))
			return tame_now_ms() + OUTBOX_STORE_PAUSE_MS;
		memset(&it, 0, sizeof(it));
		now = tame_now_ms();
		if (store_outbox_next(ob->store, now, &it, &next_due)) {
			store_outbox_item_clear(&it);
			return next_due;
		}
		/* not before the item is on disk: an ack for a ticket that
		 * a crash then takes away (and whose number goes to someone
		 * else) must never leave */
		if ((wrc = store_sync(ob->store))) {
			if (wrc == TAME_EIO && !ob->sync_said)
				tame_log(TAME_LOG_ERR, "outbox: the store could "
				    "not be synced to disk: nothing is sent "
				    "until tamed is restarted");
			ob->sync_said = wrc == TAME_EIO;
			store_outbox_item_clear(&it);
			return tame_now_ms() + OUTBOX_STORE_PAUSE_MS;
		}
		err[0] = '\0';
		wrc = TAME_OK;
		/* the log names the ticket, to find it from the log */
		if (it.ticket_id)
			snprintf(who, sizeof(who), "item %lld (ticket %lld)",
			    (long long)it.id, (long long)it.ticket_id);
		else
			snprintf(who, sizeof(who), "item %lld",
			    (long long)it.id);
		r = outbox_deliver(ob, &it, err, sizeof(err));
		now = tame_now_ms();
		if (r == 0) {
			tame_log(TAME_LOG_INFO, "outbox: %s sent to %s", who,
			    it.rcpts);
		} else if (r == 4) {
			if (it.message_id && it.ticket_id)
				reply_failed(ob, &it, err, now);
		} else if (r == 5) {
			/* not a try: counted once it is tried */
			tame_log(TAME_LOG_INFO, "outbox: %s put off: %s", who,
			    err);
			wrc = store_outbox_retry(ob->store, it.id,
			    ob->rest_until, err, 0);
			if (it.message_id)
				store_message_set_delivery(ob->store,
				    it.message_id, DELIVERY_QUEUED, err);
		} else if (r == 3) {
			/* kept as it is until a relay is set; looked at
			 * again after a while. Not a try: the back-off once
			 * there is a relay starts from its first step */
			wrc = store_outbox_retry(ob->store, it.id, now + 30000,
			    err, 0);
			if (it.message_id)
				store_message_set_delivery(ob->store,
				    it.message_id, DELIVERY_QUEUED, err);
		} else if (r == 2 || now - it.created_at >
		    (int64_t)TAME_OUTBOX_GIVEUP_SECONDS * 1000) {
			if (r != 2)
				gave_up(err, sizeof(err));
			tame_log(TAME_LOG_WARN, "outbox: %s failed: %s", who,
			    err);
			wrc = store_outbox_failed(ob->store, it.id, err);
			if (it.message_id && it.ticket_id)
				reply_failed(ob, &it, err, now);
		} else if (__atomic_load_n(&ob->stopping, __ATOMIC_RELAXED)) {
			/* given up for the stop, not by the relay: left as it
			 * was, due again as soon as tamed runs */
			tame_log(TAME_LOG_INFO, "outbox: %s left for after "
			    "the restart", who);
		} else {
			delay = ob->retry_base_ms << (it.attempts < 6 ?
			    it.attempts : 6);
			tame_log(TAME_LOG_INFO, "outbox: %s deferred: %s", who,
			    err);
			wrc = store_outbox_retry(ob->store, it.id, now + delay,
			    err, 1);
			/* the ticket shows why it waits */
			if (it.message_id)
				store_message_set_delivery(ob->store,
				    it.message_id, DELIVERY_QUEUED, err);
		}
		store_outbox_item_clear(&it);
		if (wrc) {
			/* not tried again at once, over and over */
			tame_log(TAME_LOG_ERR, "outbox: cannot record an item's "
			    "state (%s); waiting", store_errmsg(ob->store));
			return now + OUTBOX_STORE_PAUSE_MS;
		}
		pthread_mutex_lock(&ob->mu);
		r = ob->stopping;
		pthread_mutex_unlock(&ob->mu);
		if (r)
			return 0;
	}
}

static void *
outbox_main(void *arg)
{
	struct outbox *ob = arg;
	struct timespec ts;
	int64_t next_due, wait_ms;

	for (;;) {
		next_due = outbox_run_due(ob);
		pthread_mutex_lock(&ob->mu);
		if (ob->stopping) {
			pthread_mutex_unlock(&ob->mu);
			break;
		}
		if (!ob->kicked) {
			/* sleep until the next item is due, a kick, or 2 s:
			 * another process (tame deliver's acknowledgement)
			 * may have queued mail, and a look is one indexed
			 * query */
			wait_ms = 2000;
			if (next_due) {
				int64_t d = next_due - tame_now_ms();

				wait_ms = d < 0 ? 0 : d < wait_ms ? d : wait_ms;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (wait_ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&ob->cv, &ob->mu, &ts);
		}
		ob->kicked = 0;
		pthread_mutex_unlock(&ob->mu);
	}
	if (outbox_mark_unmarked(ob))
		tame_log(TAME_LOG_ERR, "outbox: item %lld was sent but never "
		    "marked so: it goes again after the restart",
		    (long long)ob->unmarked);
	return NULL;
}

enum tame_err
outbox_start(const char *datadir, const char *relay, struct outbox **out)
{
	struct outbox *ob;
	enum tame_err rc;
	int64_t base = tame_env_i64("TAME_RETRY_BASE_MS", 10, 3600000, 60000);

	if (!(ob = calloc(1, sizeof(*ob))))
		return TAME_ENOMEM;
	ob->retry_base_ms = base;
	ob->relay_new = 1;	/* started with --relay, or a mailbox's */
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cv, NULL);
	if (relay && !(ob->relay = strdup(relay))) {
		rc = TAME_ENOMEM;
		goto fail;
	}
	if (relay && (rc = relay_conf_parse_url(relay, &ob->global, NULL, 0)))
		goto fail;
	if ((rc = store_open(datadir, 0, &ob->store)))
		goto fail;
	if (pthread_create(&ob->thread, NULL, outbox_main, ob) != 0) {
		store_close(ob->store);
		rc = TAME_EIO;
		goto fail;
	}
	*out = ob;
	return TAME_OK;
fail:
	relay_conf_clear(&ob->global);
	free(ob->relay);
	free(ob);
	return rc;
}

void
outbox_relay_set(struct outbox *ob)
{
	if (!ob)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->relay_new = 1;
	ob->kicked = 1;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

void
outbox_kick(struct outbox *ob)
{
	if (!ob)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->kicked = 1;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

const char *
outbox_global_relay(const struct outbox *ob)
{
	return ob ? ob->relay : NULL;
}

void
outbox_stop(struct outbox *ob)
{
	if (!ob)
		return;
	pthread_mutex_lock(&ob->mu);
	/* also read, without the lock, by a send in progress: it gives up
	 * and the item is tried again after the restart */
	__atomic_store_n(&ob->stopping, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->thread, NULL);
	store_close(ob->store);
	pthread_mutex_destroy(&ob->mu);
	pthread_cond_destroy(&ob->cv);
	relay_conf_clear(&ob->global);
	free(ob->relay);
	free(ob);
}
