/*
 * imap_poll.c - the IMAP poller: one thread, every IMAP mailbox, no
 * message lost or stored twice. See imap_poll.h.
 *
 * Model: every mailbox with IMAP settings is a box (imap_box.c), a
 * state machine over a libcurl easy handle that searches and fetches,
 * helpers that fetch too (imap_fetch.c), and one that acts on what is
 * stored (imap_act.c). This thread owns a
 * libcurl multi handle and runs all boxes' requests at once, so a
 * server that hangs or crawls delays no other mailbox; it sleeps in
 * curl_multi_poll() until a socket is ready, a box is due, or the
 * ingest queue wakes it (curl_multi_wakeup) because a batch it was
 * handed is committed.
 *
 * Settings are re-read every TAME_IMAP_RELOAD_MS (one small query): a
 * new mailbox gets a box, a changed one (its version moved) abandons
 * what it is doing and starts again with the new settings, a removed
 * one is freed once the queue holds nothing of it. So a mailbox added
 * or changed by `tame mailbox add/set` or the API is polled within a
 * second.
 *
 * A box whose server offers IDLE (RFC 2177) also keeps an IDLE
 * connection (imap_idle.c) that wakes it when new mail arrives; the
 * poller watches those sockets too (curl_multi_poll's extra
 * descriptors), so new mail is fetched within a second of its arrival
 * and idle folders are polled only now and then.
 *
 * RFCs: 3501 (IMAP4rev1), 5092 (IMAP URLs), 4315 (UIDPLUS), 6851
 * (MOVE), 8314 and 2595 (TLS) through libcurl; 2177 (IDLE) in
 * imap_idle.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "imap_box.h"
#include "imap_poll.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

struct imap_poll {
	pthread_t thread;
	struct imap_env env;
	int stopping;            /* under env.mu */
	struct imap_box *boxes;
	int64_t next_reload;
	struct curl_waitfd *fds;  /* the boxes' IDLE sockets */
	size_t fds_cap;
};

/* The IDLE sockets of every box into p->fds; returns how many. */
static unsigned
idle_fds(struct imap_poll *p)
{
	struct imap_box *b;
	struct curl_waitfd *f;
	size_t n = 0, boxes = 0;

	for (b = p->boxes; b; b = b->link)
		boxes++;
	if (boxes * TAME_IMAP_IDLE_FDS > p->fds_cap) {
		if (!(f = realloc(p->fds, boxes * TAME_IMAP_IDLE_FDS *
		    sizeof(*f))))
			return 0;	/* the 1 s turn still reads them */
		p->fds = f;
		p->fds_cap = boxes * TAME_IMAP_IDLE_FDS;
	}
	for (b = p->boxes; b; b = b->link)
		n += (size_t)imap_box_fds(b, p->fds + n, TAME_IMAP_IDLE_FDS);
	return (unsigned)n;
}

static struct imap_box *
box_find(struct imap_poll *p, int64_t id)
{
	struct imap_box *b;

	for (b = p->boxes; b; b = b->link)
		if (b->conf.mailbox_id == id && !b->dead)
			return b;
	return NULL;
}

/* Compares the stored settings with the boxes; marks what changed. */
static void
reload(struct imap_poll *p)
{
	struct store_imap_entry *e = NULL;
	struct imap_box *b;
	size_t n = 0, i;

	if (store_imap_list(p->env.store, &e, &n)) {
		tame_log(TAME_LOG_ERR, "imap: cannot read the settings: %s",
		    store_errmsg(p->env.store));
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
			imap_box_abort(b);
		} else if (i < n && e[i].version != b->version) {
			b->version = e[i].version;
			b->reload = 1;
			b->next_at = 0;
			imap_box_abort(b);
		}
	}
	for (i = 0; i < n; i++) {
		if (box_find(p, e[i].mailbox_id))
			continue;
		if (!(b = imap_box_new(&p->env, e[i].mailbox_id,
		    e[i].version)))
			break;
		b->link = p->boxes;
		p->boxes = b;
	}
	free(e);
}

/* Gives every box its turn; frees removed ones that are idle. Returns
 * the milliseconds the thread may sleep. */
static int64_t
tend(struct imap_poll *p, int64_t now)
{
	struct imap_box **bp = &p->boxes, *b;
	int64_t wait = p->next_reload - now, w;

	while ((b = *bp)) {
		if (b->dead && b->step == STEP_IDLE) {
			*bp = b->link;
			imap_box_free(b);
			continue;
		}
		if ((w = imap_box_tend(b, now)) < wait)
			wait = w;
		bp = &b->link;
	}
	return wait < 0 ? 0 : wait;
}

/* Hands finished requests back to their boxes. 1 if there were any. */
static int
finished(struct imap_poll *p)
{
	struct imap_box *b;
	struct imap_fetcher *f = NULL;
	CURLMsg *m;
	int left, any = 0;

	while ((m = curl_multi_info_read(p->env.multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_multi_remove_handle(p->env.multi, m->easy_handle);
		for (b = p->boxes; b && b->cl.easy != m->easy_handle &&
		    b->ac.easy != m->easy_handle && !(f = imap_fetch_find(b,
		    m->easy_handle)); b = b->link)
			;
		if (!b)
			continue;
		any = 1;
		if (b->cl.easy == m->easy_handle) {
			b->in_multi = 0;
			imap_box_done(b, m->data.result);
		} else if (b->ac.easy == m->easy_handle) {
			imap_act_done(b, m->data.result);
		} else {
			imap_fetch_done(b, f, m->data.result);
		}
	}
	return any;
}

static void *
imap_poll_main(void *arg)
{
	struct imap_poll *p = arg;
	struct imap_box *b;
	int64_t now, wait;
	size_t pending;
	int running, stop;

	for (;;) {
		pthread_mutex_lock(&p->env.mu);
		stop = p->stopping;
		pthread_mutex_unlock(&p->env.mu);
		if (stop)
			break;
		now = tame_now_ms();
		if (now >= p->next_reload) {
			reload(p);
			p->next_reload = now + TAME_IMAP_RELOAD_MS;
		}
		wait = tend(p, now);
		curl_multi_perform(p->env.multi, &running);
		if (finished(p) || wait == 0)
			continue;
		curl_multi_poll(p->env.multi, p->fds, idle_fds(p),
		    (int)(wait > 1000 ? 1000 : wait), NULL);
	}
	/* abandon transfers; wait for what the queue still holds */
	for (b = p->boxes; b; b = b->link)
		imap_box_abort(b);
	pthread_mutex_lock(&p->env.mu);
	for (;;) {
		for (pending = 0, b = p->boxes; b; b = b->link)
			pending += b->pending;
		if (!pending)
			break;
		pthread_cond_wait(&p->env.cv, &p->env.mu);
	}
	pthread_mutex_unlock(&p->env.mu);
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
	pthread_mutex_init(&p->env.mu, NULL);
	pthread_cond_init(&p->env.cv, NULL);
	p->env.queue = q;
	if (!(p->env.multi = curl_multi_init())) {
		rc = TAME_ENOMEM;
		goto fail;
	}
	if ((rc = store_open(datadir, 0, &p->env.store)))
		goto fail;
	if (pthread_create(&p->thread, NULL, imap_poll_main, p) != 0) {
		rc = TAME_EIO;
		goto fail;
	}
	*out = p;
	return TAME_OK;
fail:
	store_close(p->env.store);
	if (p->env.multi)
		curl_multi_cleanup(p->env.multi);
	pthread_mutex_destroy(&p->env.mu);
	pthread_cond_destroy(&p->env.cv);
	free(p);
	return rc;
}

/* See imap_poll.h. */
void
imap_poll_stop(struct imap_poll *p)
{
	struct imap_box *b;

	if (!p)
		return;
	pthread_mutex_lock(&p->env.mu);
	p->stopping = 1;
	pthread_mutex_unlock(&p->env.mu);
	curl_multi_wakeup(p->env.multi);
	pthread_join(p->thread, NULL);
	while ((b = p->boxes)) {
		p->boxes = b->link;
		imap_box_free(b);
	}
	curl_multi_cleanup(p->env.multi);
	store_close(p->env.store);
	pthread_mutex_destroy(&p->env.mu);
	pthread_cond_destroy(&p->env.cv);
	free(p->fds);
	free(p);
}
