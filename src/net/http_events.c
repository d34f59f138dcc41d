/*
 * http_events.c - server-sent events for live views. See http_events.h.
 *
 * Model: the bus is a ring of EVENTS_RING recent events under one mutex,
 * each with a sequence number one above the last. The numbers start at
 * the start time in milliseconds, so a Last-Event-ID from an earlier run
 * of tamed is below the ring and answered with "reset" instead of being
 * taken for a recent event. A subscriber is an open GET /api/v1/events
 * response whose content reader (called by a libmicrohttpd worker) writes
 * what the subscriber has not seen yet; when there is nothing, it
 * suspends its connection under the bus mutex and returns 0, and the
 * watcher resumes it, under the same mutex, when there is. A worker
 * never blocks on the bus, so a thousand idle subscribers cost no
 * thread. A heartbeat comment every EVENTS_PING_MS lets both ends notice
 * a dead connection (a suspended connection's socket is not watched) and
 * keeps proxies from closing an idle stream.
 *
 * ulfius does not give a handler its libmicrohttpd connection, which
 * suspending needs. The URI log hook (called by libmicrohttpd with the
 * connection when a request line arrives, and returning ulfius' per
 * request state, which holds the request handed to the handler) notes
 * the pair for events requests in a small table; the handler takes its
 * connection from there, and the completion hook drops what was never
 * taken.
 *
 * Wire format (WHATWG HTML 9.2): "retry:" once, then per event "id:",
 * "event:" and "data:" lines and a blank line; ": ping" comments.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ulfius.h>
#include "http_async.h"
#include "http_events.h"
#include "../core/auth.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

/* Recent events kept for subscribers that fall behind or reconnect with
 * Last-Event-ID; an inbox that was away longer reloads ("reset"). */
#define EVENTS_RING 1024
/* Open streams at once: each holds a connection of the server's limit
 * (1024), so agents' tabs cannot starve the API. */
#define EVENTS_SUBSCRIBERS_MAX 256
/* Events requests between their request line and their handler. */
#define EVENTS_PENDING_MAX 64
/* Heartbeat interval, well inside the server's 60 s idle timeout. */
#define EVENTS_PING_MS 15000
/* The watcher looks at the store at least this often, for changes
 * written by other processes (tame deliver). */
#define EVENTS_POLL_MS 1000
/* Tickets read from the store per look. */
#define EVENTS_BATCH 256
/* Bytes per write of a stream; an event is under 100. */
#define EVENTS_BLOCK 4096
/* What the browser waits before reconnecting a dropped stream. */
#define EVENTS_RETRY_MS 3000

struct ev {
	uint64_t seq;
	int64_t ticket_id;
	int created;
};

struct sub {
	struct sub *next;
	struct MHD_Connection *con;
	uint64_t serial;       /* one per stream, never reused */
	int64_t agent_id;      /* who opened it, with what: */
	int via_cookie;        /* a session (else a bearer token) */
	char cred[AUTH_HASH_HEX + 1]; /* the session's or token's hash */
	int ended;             /* the credentials are no longer good */
	uint64_t next_seq;     /* first event not yet written */
	int greeted;           /* "retry:" written */
	int reset;             /* owes a "reset" event */
	int ping;              /* owes a heartbeat */
	int suspended;
};

struct pending {
	const struct _u_request *req;
	struct MHD_Connection *con;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int running, stopping, poked;
	char *datadir;
	uint64_t base, seq;    /* seq: the newest event; base: before the
	                          first */
	struct ev ring[EVENTS_RING];
	struct sub *subs;
	int nsubs;
	uint64_t serials;
	struct pending pend[EVENTS_PENDING_MAX];
	int npend;             /* entries in pend; read without the lock
	                          (atomically) so other requests skip it */
} bus = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* The oldest sequence number still in the ring (seq + 1 when empty).
 * Caller holds bus.mu. */
static uint64_t
oldest_locked(void)
{
	uint64_t n = bus.seq - bus.base;

	return n > EVENTS_RING ? bus.seq - EVENTS_RING + 1 : bus.base + 1;
}

/* Resumes every suspended subscriber that has something to write.
 * Caller holds bus.mu. */
static void
wake_locked(void)
{
	struct sub *s;

	for (s = bus.subs; s; s = s->next) {
		if (!s->suspended || !(s->next_seq <= bus.seq || s->ping ||
		    s->reset || s->ended || bus.stopping))
			continue;
		s->suspended = 0;
		MHD_resume_connection(s->con);
	}
}

static void
publish_locked(const struct store_change *ch)
{
	struct ev *e;

	bus.seq++;
	e = &bus.ring[bus.seq % EVENTS_RING];
	e->seq = bus.seq;
	e->ticket_id = ch->ticket_id;
	e->created = ch->created;
}

/* 1 if the session or token a stream was opened with still lets its
 * agent in. A store error counts as good (the next look decides). */
static int
cred_good(struct store *s, const struct sub *c)
{
	struct agent a = { 0 };
	int64_t id = 0;
	char *csrf = NULL;
	enum tame_err rc;
	int good;

	rc = c->via_cookie ? store_session_lookup(s, c->cred, tame_now_ms(),
	    &id, &csrf) : store_token_lookup(s, c->cred, &id);
	free(csrf);
	if (rc == TAME_ENOTFOUND || (rc == TAME_OK && id != c->agent_id))
		return 0;
	if (rc)
		return 1;
	if ((rc = store_agent_get(s, id, &a)))
		return rc != TAME_ENOTFOUND;
	good = !a.disabled;
	agent_clear(&a);
	return good;
}

/* Ends the streams whose credentials no longer hold. Called by the
 * watcher without bus.mu; the checks run on a copy of the list. */
static void
check_creds(struct store *s)
{
	static struct sub copy[EVENTS_SUBSCRIBERS_MAX];
	static uint64_t bad[EVENTS_SUBSCRIBERS_MAX];
	struct sub *sub;
	size_t n = 0, nbad = 0, i;

	pthread_mutex_lock(&bus.mu);
	for (sub = bus.subs; sub && n < EVENTS_SUBSCRIBERS_MAX;
	    sub = sub->next)
		if (!sub->ended)
			copy[n++] = *sub;
	pthread_mutex_unlock(&bus.mu);
	for (i = 0; i < n; i++)
		if (!cred_good(s, &copy[i]))
			bad[nbad++] = copy[i].serial;
	if (!nbad)
		return;
	pthread_mutex_lock(&bus.mu);
	for (sub = bus.subs; sub; sub = sub->next)
		for (i = 0; i < nbad; i++)
			if (sub->serial == bad[i])
				sub->ended = 1;
	wake_locked();
	pthread_mutex_unlock(&bus.mu);
}

static void *
watch_main(void *arg)
{
	struct store_change ch[EVENTS_BATCH];
	struct store *s = NULL;
	struct timespec until;
	int64_t ev_pos = -1, msg_pos = -1, next_ping, next_auth, now;
	enum tame_err rc;
	size_t i, n = 0;
	struct sub *sub;
	int logged = 0;

	pthread_setname_np(pthread_self(), "events");
	(void)arg;
	if ((rc = store_open(bus.datadir, 0, &s)))
		tame_log(TAME_LOG_ERR, "events: cannot open store: %s; live "
		    "updates are off", tame_strerror(rc));
	next_ping = tame_mono_ms() + EVENTS_PING_MS;
	next_auth = tame_mono_ms() + TAME_EVENTS_AUTH_MS;
	pthread_mutex_lock(&bus.mu);
	while (!bus.stopping) {
		bus.poked = 0;
		pthread_mutex_unlock(&bus.mu);
		if (s && tame_mono_ms() >= next_auth) {
			check_creds(s);
			next_auth = tame_mono_ms() + TAME_EVENTS_AUTH_MS;
		}
		n = 0;
		if (s && (rc = store_changes_after(s, &ev_pos, &msg_pos, ch,
		    EVENTS_BATCH, &n)) && !logged++)
			tame_log(TAME_LOG_WARN, "events: cannot read changes: "
			    "%s", store_errmsg(s));
		pthread_mutex_lock(&bus.mu);
		for (i = 0; i < n; i++)
			publish_locked(&ch[i]);
		if ((now = tame_mono_ms()) >= next_ping) {
			for (sub = bus.subs; sub; sub = sub->next)
				sub->ping = 1;
			next_ping = now + EVENTS_PING_MS;
		}
		wake_locked();
		if (n == EVENTS_BATCH || bus.poked || bus.stopping)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += EVENTS_POLL_MS / 1000;
		until.tv_nsec += (EVENTS_POLL_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!bus.poked && !bus.stopping &&
		    pthread_cond_timedwait(&bus.cv, &bus.mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&bus.mu);
	store_close(s);
	return NULL;
}

enum tame_err
http_events_start(const char *datadir)
{
	pthread_condattr_t ca;
	enum tame_err rc = TAME_OK;

	pthread_mutex_lock(&bus.mu);
	if (bus.running)
		goto out;
	if (!(bus.datadir = tame_strdup(datadir))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&bus.cv, &ca);
	pthread_condattr_destroy(&ca);
	bus.base = bus.seq = (uint64_t)tame_now_ms();
	bus.stopping = 0;
	if (pthread_create(&bus.thread, NULL, watch_main, NULL) != 0) {
		pthread_cond_destroy(&bus.cv);
		free(bus.datadir);
		bus.datadir = NULL;
		rc = TAME_EIO;
		goto out;
	}
	bus.running = 1;
out:
	pthread_mutex_unlock(&bus.mu);
	return rc;
}

void
http_events_stop(void)
{
	pthread_mutex_lock(&bus.mu);
	if (!bus.running) {
		pthread_mutex_unlock(&bus.mu);
		return;
	}
	bus.stopping = 1;
	wake_locked();
	pthread_cond_signal(&bus.cv);
	pthread_mutex_unlock(&bus.mu);
	pthread_join(bus.thread, NULL);
	pthread_mutex_lock(&bus.mu);
	bus.running = 0;
	pthread_cond_destroy(&bus.cv);
	free(bus.datadir);
	bus.datadir = NULL;
	/* bus.stopping stays set: streams still open end at their next
	 * write, before the server closes them. */
	pthread_mutex_unlock(&bus.mu);
}

void
http_events_poke(void)
{
	pthread_mutex_lock(&bus.mu);
	if (bus.running) {
		bus.poked = 1;
		pthread_cond_signal(&bus.cv);
	}
	pthread_mutex_unlock(&bus.mu);
}

void
http_events_publish(const int64_t *ids, size_t n)
{
	struct store_change ch = { 0, 0 };
	size_t i;

	pthread_mutex_lock(&bus.mu);
	if (bus.running && !bus.stopping) {
		for (i = 0; i < n; i++) {
			if (ids[i] <= 0 || (i > 0 && ids[i - 1] == ids[i]))
				continue;
			ch.ticket_id = ids[i];
			publish_locked(&ch);
		}
		wake_locked();
	}
	pthread_mutex_unlock(&bus.mu);
}

/* Appends text to out (cap bytes) at *len; 0, or -1 when it does not
 * fit (nothing appended). */
static int
put(char *out, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
put(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len) {
		out[*len] = '\0';
		return -1;
	}
	*len += (size_t)n;
	return 0;
}

/* The content reader of a stream: what the subscriber has not seen,
 * or a heartbeat; with nothing to write it suspends the connection and
 * returns 0 (libmicrohttpd calls again once resumed). */
static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sub *s = cls;
	const struct ev *e;
	size_t len = 0;
	ssize_t ret;

	(void)pos;
	pthread_mutex_lock(&bus.mu);
	if (bus.stopping || s->ended) {
		ret = MHD_CONTENT_READER_END_OF_STREAM;
		goto out;
	}
	if (!s->greeted && put(out, max, &len, "retry: %d\n\n",
	    EVENTS_RETRY_MS) == 0)
		s->greeted = 1;
	if (s->next_seq < oldest_locked()) {
		s->reset = 1;
		s->next_seq = bus.seq + 1;
	}
	if (s->reset && put(out, max, &len, "event: reset\ndata: {}\n\n") == 0)
		s->reset = 0;
	while (!s->reset && s->next_seq <= bus.seq) {
		e = &bus.ring[s->next_seq % EVENTS_RING];
		if (put(out, max, &len, "id: %llu\nevent: %s\ndata: "
		    "{\"ticket_id\":%lld}\n\n", (unsigned long long)e->seq,
		    e->created ? "ticket.created" : "ticket.updated",
		    (long long)e->ticket_id))
			break;
		s->next_seq++;
	}
	if (s->ping && (len > 0 || put(out, max, &len, ": ping\n\n") == 0))
		s->ping = 0;
	if (len == 0) {
		s->suspended = 1;
		MHD_suspend_connection(s->con);
	}
	ret = (ssize_t)len;
out:
	pthread_mutex_unlock(&bus.mu);
	return ret;
}

static void
stream_free(void *cls)
{
	struct sub *s = cls, **pp;

	pthread_mutex_lock(&bus.mu);
	for (pp = &bus.subs; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			bus.nsubs--;
			break;
		}
	}
	pthread_mutex_unlock(&bus.mu);
	free(s);
}

/* The connection noted for req, taken out of the table; NULL if none.
 * Caller holds bus.mu. */
static struct MHD_Connection *
pending_take_locked(const struct _u_request *req)
{
	struct MHD_Connection *con;
	size_t i;

	for (i = 0; i < EVENTS_PENDING_MAX; i++) {
		if (bus.pend[i].req != req)
			continue;
		con = bus.pend[i].con;
		bus.pend[i].req = NULL;
		bus.pend[i].con = NULL;
		__atomic_sub_fetch(&bus.npend, 1, __ATOMIC_RELAXED);
		return con;
	}
	return NULL;
}

/* See http_events.h. */
struct MHD_Connection *
http_events_take(const struct _u_request *req)
{
	struct MHD_Connection *con;

	pthread_mutex_lock(&bus.mu);
	con = pending_take_locked(req);
	pthread_mutex_unlock(&bus.mu);
	return con;
}

/* Where a stream starts: after Last-Event-ID when the ring still holds
 * what follows it, else at the next event, owing a reset when an id
 * was given. Caller holds bus.mu. */
static void
start_at_locked(struct sub *s, const char *last_id)
{
	int64_t id;

	s->next_seq = bus.seq + 1;
	if (!last_id)
		return;
	if (tame_parse_i64(last_id, 0, INT64_MAX, &id) ||
	    (uint64_t)id + 1 < oldest_locked() || (uint64_t)id > bus.seq) {
		s->reset = 1;
		return;
	}
	s->next_seq = (uint64_t)id + 1;
}

void
http_events_stream(struct http_ctx *c)
{
	struct MHD_Connection *con;
	const char *last_id = http_header(c, "Last-Event-ID");
	struct sub *s = NULL;
	int mine = 0;

	pthread_mutex_lock(&bus.mu);
	con = pending_take_locked(c->req);
	if (strcmp(c->method, "HEAD") == 0) {
		pthread_mutex_unlock(&bus.mu);
		http_send(c, 200, "text/event-stream", "", 0);
		return;
	}
	if (!bus.running || bus.stopping || !con) {
		pthread_mutex_unlock(&bus.mu);
		http_error(c, 503, "unavailable", "live updates are off");
		return;
	}
	for (s = bus.subs; s; s = s->next)
		mine += s->agent_id == c->agent.id && !s->ended;
	s = NULL;
	if (mine >= TAME_EVENTS_PER_AGENT_MAX) {
		pthread_mutex_unlock(&bus.mu);
		u_map_put(c->res->map_header, "Retry-After", "30");
		http_error(c, 429, "too_many_streams", "you have %d live "
		    "streams open already; close a tab", mine);
		return;
	}
	if (bus.nsubs >= EVENTS_SUBSCRIBERS_MAX ||
	    !(s = calloc(1, sizeof(*s)))) {
		pthread_mutex_unlock(&bus.mu);
		u_map_put(c->res->map_header, "Retry-After", "30");
		http_error(c, 503, "unavailable", "too many live streams");
		return;
	}
	s->con = con;
	s->serial = ++bus.serials;
	s->agent_id = c->agent.id;
	s->via_cookie = c->via_cookie;
	snprintf(s->cred, sizeof(s->cred), "%s", c->via_cookie ?
	    c->session_hash : c->token_hash);
	start_at_locked(s, last_id ? last_id : http_query(c, "last_event_id"));
	s->next = bus.subs;
	bus.subs = s;
	bus.nsubs++;
	pthread_mutex_unlock(&bus.mu);
	if (ulfius_set_stream_response(c->res, 200, stream_read, stream_free,
	    U_STREAM_SIZE_UNKNOWN, EVENTS_BLOCK, s) != U_OK) {
		stream_free(s);
		http_error(c, 500, "internal", "cannot stream");
		return;
	}
	u_map_put(c->res->map_header, "Content-Type", "text/event-stream");
	u_map_put(c->res->map_header, "Cache-Control", "no-store");
	u_map_put(c->res->map_header, "X-Accel-Buffering", "no");
	c->answered = 1;
}

/* 1 if uri (with its query) is the events endpoint. */
static int
is_events_uri(const char *uri)
{
	static const char path[] = "/api/v1/events";
	size_t n = sizeof(path) - 1;

	return uri && strncmp(uri, path, n) == 0 &&
	    (uri[n] == '\0' || uri[n] == '?');
}

void *
http_events_uri_logger(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct connection_info_struct *ci = ulfius_uri_logger(cls, uri);
	size_t i;

	if (!ci || !ci->request || !(is_events_uri(uri) || http_async_uri(uri)))
		return ci;
	pthread_mutex_lock(&bus.mu);
	for (i = 0; i < EVENTS_PENDING_MAX; i++) {
		if (!bus.pend[i].req) {
			bus.pend[i].req = ci->request;
			bus.pend[i].con = con;
			__atomic_add_fetch(&bus.npend, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	pthread_mutex_unlock(&bus.mu);
	return ci;
}

void
http_events_request_completed(void *cls, struct MHD_Connection *con,
    void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct connection_info_struct *ci = con_cls ? *con_cls : NULL;

	if (ci && ci->request &&
	    __atomic_load_n(&bus.npend, __ATOMIC_RELAXED) > 0) {
		pthread_mutex_lock(&bus.mu);
		pending_take_locked(ci->request);
		pthread_mutex_unlock(&bus.mu);
	}
	mhd_request_completed(cls, con, con_cls, toe);
}
