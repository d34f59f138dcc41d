/*
 * smtp_server.c - the SMTP and LMTP listener. See smtp_server.h.
 *
 * This file is the loop, accepting, start and stop; the protocol of one
 * connection (RFC 5321, RFC 2033 and their extensions) is smtp_conn.c.
 *
 * Model: one thread, one epoll set (level-triggered) holding the
 * listeners, an eventfd and every connection. Sockets are non-blocking.
 * At the end of DATA a connection hands its message to the group-commit
 * queue and stops reading; the queue's callback, run on the writer
 * thread, puts (slot, generation, result) on a mutex-protected list and
 * pokes the eventfd; the loop then answers 250 or 451. The generation
 * number makes a completion for a connection that went away (and whose
 * slot was reused) harmless. On the stop, the messages in the queue
 * are answered before the other connections are told 421.
 *
 * Out of descriptors, accept() fails at once for as long as the shortage
 * lasts, and a level-triggered listener with senders waiting wakes the
 * loop again at once: the loop would spin. So after a failed accept()
 * the listeners are not watched for TAME_SMTP_ACCEPT_PAUSE_MS (or until
 * one of our connections closes), the episode is logged once when it
 * starts and once when it ends, and meanwhile the waiting senders are
 * answered 421 on a spare descriptor kept for that, given up for the
 * moment of each answer (as nginx and libuv do), rather than left
 * waiting without a word.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "../core/buf.h"
#include "../core/util.h"
#include "../store/store.h"
#include "smtp_server_impl.h"

/* ---- accept() failing: out of descriptors ---- */

/* Watches the listeners for new connections (on), or stops watching. */
static void
srv_watch(struct smtp_server *srv, int on)
{
	struct epoll_event ev;
	int i;

	for (i = 0; i < 2; i++) {
		if (srv->lfd[i] < 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = on ? EPOLLIN : 0;
		ev.data.u64 = (TAG_LISTEN << TAG_SHIFT) | (uint64_t)i;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd[i], &ev) < 0)
			tame_log(TAME_LOG_WARN, "smtp: epoll_ctl: %s",
			    strerror(errno));
	}
}

/* Holds a descriptor to give up when there is none for a sender. */
static void
spare_take(struct smtp_server *srv)
{
	if (srv->spare_fd < 0)
		srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* With no descriptor left, answers the senders waiting on listener lfd
 * 421 and closes their connections, each on the spare descriptor given
 * up for the moment; at most SMTP_SHORT_BATCH of them. Returns how many
 * were answered. Stops early when none waits, or when another thread
 * took the descriptor given up (the spare is then had again later). */
static unsigned
srv_refuse_waiting(struct smtp_server *srv, int lfd)
{
	static const char busy[] = "421 4.3.2 Too many connections, try "
	    "again later\r\n";
	unsigned n = 0;
	int fd;

	while (n < SMTP_SHORT_BATCH && srv->spare_fd >= 0) {
		close(srv->spare_fd);
		srv->spare_fd = -1;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL |
			    MSG_DONTWAIT) < 0)
				tame_log(TAME_LOG_DEBUG, "smtp: send: %s",
				    strerror(errno));
			close(fd);
			n++;
		}
		spare_take(srv);
		if (fd < 0)
			break;
	}
	return n;
}

/* accept() on listener which failed with err, an error that may well
 * last (no descriptor or memory left, a firewall's refusal): logged
 * when an episode of them starts; out of descriptors, the senders
 * waiting are answered 421; the listeners are left alone for
 * TAME_SMTP_ACCEPT_PAUSE_MS, so that the loop does not spin on them. */
static void
srv_accept_failed(struct smtp_server *srv, int which, int err)
{
	int64_t now = tame_mono_ms();
	int short_fds = err == EMFILE || err == ENFILE;

	if (!srv->short_since) {
		srv->short_since = now ? now : 1;
		srv->short_refused = 0;
		if (short_fds)
			tame_log(TAME_LOG_WARN, "smtp: accept: %s: senders "
			    "are answered 421 (try again later) until "
			    "descriptors are free again", strerror(err));
		else
			tame_log(TAME_LOG_WARN, "smtp: accept: %s: trying "
			    "again every %d ms until it works", strerror(err),
			    TAME_SMTP_ACCEPT_PAUSE_MS);
	}
	if (short_fds)
		srv->short_refused += srv_refuse_waiting(srv,
		    srv->lfd[which]);
	if (!srv->paused_until)
		srv_watch(srv, 0);
	srv->paused_until = now + TAME_SMTP_ACCEPT_PAUSE_MS;
}

/* The pause is over, or one of our connections closed and freed its
 * descriptor: the listeners are watched again. */
static void
srv_resume(struct smtp_server *srv)
{
	srv->paused_until = 0;
	spare_take(srv);
	srv_watch(srv, 1);
}

/* A connection was taken: an episode of failures, if any, has ended. */
static void
srv_accept_works(struct smtp_server *srv)
{
	if (!srv->short_since)
		return;
	tame_log(TAME_LOG_WARN, "smtp: taking connections again after %lld "
	    "ms; %u sender%s answered 421 meanwhile",
	    (long long)(tame_mono_ms() - srv->short_since),
	    srv->short_refused, srv->short_refused == 1 ? " was" : "s were");
	srv->short_since = 0;
}

/* ---- accepting ---- */

/* Connections open from peer. */
static unsigned
peer_conns(const struct smtp_server *srv, const char *peer)
{
	unsigned i, n = 0;

	for (i = 0; i < TAME_SMTP_CONN_MAX; i++)
		if (srv->conns[i] && strcmp(srv->conns[i]->peer, peer) == 0)
			n++;
	return n;
}

/* Answers a connection over the limits 421 and closes it; logged at
 * most once a minute (a flood of them would flood the log). */
static void
refuse_conn(struct smtp_server *srv, int fd, const char *peer)
{
	static const char busy[] = "421 4.3.2 Too many connections, try "
	    "again later\r\n";
	time_t now = mono_now();

	if (!srv->refused_logged || now - srv->refused_logged >= 60) {
		tame_log(TAME_LOG_WARN, "smtp: %s: refused, %u connections "
		    "open (at most %u, %u from one address)", peer,
		    srv->nconns, srv->conn_max, srv->peer_max);
		srv->refused_logged = now;
	}
	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		tame_log(TAME_LOG_DEBUG, "smtp: send: %s", strerror(errno));
	close(fd);
}

static void
srv_accept(struct smtp_server *srv, int lmtp)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct epoll_event ev;
		struct conn *c;
		unsigned slot;
		int fd = accept4(srv->lfd[lmtp], (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		char peer[sizeof(c->peer)];

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				srv_accept_failed(srv, lmtp, errno);
			return;
		}
		srv_accept_works(srv);
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &sin->sin_addr, peer, sizeof(peer));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, peer, sizeof(peer));
		} else {
			snprintf(peer, sizeof(peer), "local");
		}
		if (srv->nconns >= srv->conn_max ||
		    peer_conns(srv, peer) >= srv->peer_max) {
			refuse_conn(srv, fd, peer);
			continue;
		}
		for (slot = 0; slot < TAME_SMTP_CONN_MAX; slot++)
			if (!srv->conns[slot])
				break;
		if (!(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->slot = slot;
		c->gen = ++srv->gens[slot];
		c->lmtp = lmtp;
		c->last = c->progress = mono_now();
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
		buf_init(&c->in, SMTP_IN_MAX);
		buf_init(&c->out, SMTP_OUT_MAX);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = (TAG_CONN << TAG_SHIFT) | (c->gen << 16) | slot;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			tame_log(TAME_LOG_WARN, "smtp: epoll_ctl: %s",
			    strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		c->events = EPOLLIN;
		srv->conns[slot] = c;
		srv->nconns++;
		tame_log(TAME_LOG_DEBUG, "smtp: %s: connected (%s)", c->peer,
		    lmtp ? "LMTP" : "SMTP");
		smtp_conn_printf(c, "220 %s %s Tame\r\n", srv->hostname,
		    lmtp ? "LMTP" : "ESMTP");
		smtp_conn_run(srv, c);
	}
}

/* ---- the loop ---- */

static void
srv_completions(struct smtp_server *srv)
{
	struct done_ev *list, *ev;
	uint64_t v;

	if (read(srv->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		tame_log(TAME_LOG_WARN, "smtp: eventfd: %s", strerror(errno));
	pthread_mutex_lock(&srv->mu);
	list = srv->done_head;
	srv->done_head = NULL;
	srv->done_tail = &srv->done_head;
	pthread_mutex_unlock(&srv->mu);
	while ((ev = list)) {
		struct conn *c = srv->conns[ev->slot];

		list = ev->next;
		if (c && c->gen == ev->gen && c->state == C_WAIT) {
			char text[96];

			if (ev->rc == TAME_OK) {
				snprintf(text, sizeof(text),
				    "2.0.0 Ok: queued as %" PRIu64,
				    c->queue_id);
				smtp_conn_reply_all(c, 250, text);
			} else {
				tame_log(TAME_LOG_WARN, "smtp: %s: id %" PRIu64
				    " not stored: %s", c->peer, c->queue_id,
				    tame_strerror(ev->rc));
				smtp_conn_reply_all(c, 451, "4.3.0 Error: "
				    "could not store the message, try again "
				    "later");
			}
			smtp_conn_reset_tx(srv, c);
			c->state = C_CMD;
			c->last = c->progress = mono_now();
			if (atomic_load(&srv->stop)) {
				/* stopping (srv_drain): the answer, then no
				 * more commands */
				smtp_conn_printf(c, "421 4.3.2 %s Service "
				    "shutting down\r\n", srv->hostname);
				c->closing = 1;
			}
			smtp_conn_run(srv, c);
		}
		free(ev);
	}
}

static void
srv_timeouts(struct smtp_server *srv, time_t now)
{
	unsigned i;

	for (i = 0; i < TAME_SMTP_CONN_MAX; i++) {
		struct conn *c = srv->conns[i];

		/* a client that no longer reads our replies cannot be told
		 * good-bye: it loses its slot a while after we gave up */
		if (c && c->closing && c->state != C_WAIT) {
			if (!c->stuck)
				c->stuck = now;
			else if (now - c->stuck >= (srv->idle_s <
			    TAME_SMTP_CLOSE_SECONDS ? srv->idle_s :
			    TAME_SMTP_CLOSE_SECONDS)) {
				tame_log(TAME_LOG_INFO, "smtp: %s: not reading "
				    "our replies; closed", c->peer);
				smtp_conn_close(srv, c);
			}
			continue;
		}
		if (c && c->state == C_DATA &&
		    now - c->data_start >= srv->data_s) {
			tame_log(TAME_LOG_INFO, "smtp: %s: message not ended "
			    "%lld s after DATA (%zu bytes so far); closed",
			    c->peer, (long long)(now - c->data_start),
			    c->msg.len);
			smtp_conn_reset_tx(srv, c);
			smtp_conn_printf(c, "421 4.4.2 %s Error: message took "
			    "too long, closing\r\n", srv->hostname);
			c->closing = 1;
			smtp_conn_run(srv, c);
			continue;
		}
		if (c && c->state == C_CMD &&
		    now - c->progress >= 2 * srv->idle_s) {
			tame_log(TAME_LOG_INFO, "smtp: %s: no mail in %lld s of "
			    "commands; closed", c->peer,
			    (long long)(now - c->progress));
			smtp_conn_printf(c, "421 4.4.2 %s Error: no mail in too "
			    "long, closing\r\n", srv->hostname);
			c->closing = 1;
			smtp_conn_run(srv, c);
			continue;
		}
		if (!c || c->state == C_WAIT || now - c->last < srv->idle_s)
			continue;
		tame_log(TAME_LOG_DEBUG, "smtp: %s: idle timeout", c->peer);
		smtp_conn_printf(c, "421 4.4.2 %s Error: timeout exceeded\r\n",
		    srv->hostname);
		c->closing = 1;
		smtp_conn_run(srv, c);
	}
}

/* On the way out: no connection or command is taken any more, and the
 * senders whose message is in the queue get its answer (250, or 451)
 * as it comes, for at most TAME_SMTP_STOP_SECONDS. A 421 instead would
 * tell them to send again a message that was stored all the same,
 * stored twice then if it has neither Message-ID nor Date. */
static void
srv_drain(struct smtp_server *srv)
{
	struct timespec until;
	int i, left;

	for (i = 0; i < 2; i++) {
		if (srv->lfd[i] < 0)
			continue;
		epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->lfd[i], NULL);
		close(srv->lfd[i]);
		srv->lfd[i] = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);	/* as srv->cond waits */
	until.tv_sec += TAME_SMTP_STOP_SECONDS;
	pthread_mutex_lock(&srv->mu);
	for (;;) {
		while (!srv->done_head && srv->inflight &&
		    pthread_cond_timedwait(&srv->cond, &srv->mu, &until) !=
		    ETIMEDOUT)
			;
		left = srv->inflight;
		if (!srv->done_head)
			break;
		pthread_mutex_unlock(&srv->mu);
		srv_completions(srv);
		pthread_mutex_lock(&srv->mu);
	}
	pthread_mutex_unlock(&srv->mu);
	if (left)
		tame_log(TAME_LOG_WARN, "smtp: %d message%s not stored within "
		    "%d s of the stop: %s told 421", left, left == 1 ? "" : "s",
		    TAME_SMTP_STOP_SECONDS, left == 1 ? "its sender is" :
		    "their senders are");
}

static void *
srv_main(void *arg)
{
	struct smtp_server *srv = arg;
	struct epoll_event evs[64];
	time_t last_sweep = mono_now();
	unsigned i;

	pthread_setname_np(pthread_self(), "smtp");
	while (!atomic_load(&srv->stop)) {
		unsigned open_before = srv->nconns;
		int wait_ms = 1000, n, k;
		time_t now;

		if (srv->paused_until) {
			int64_t left = srv->paused_until - tame_mono_ms();

			wait_ms = left <= 0 ? 0 : left < wait_ms ? (int)left :
			    wait_ms;
		}
		n = epoll_wait(srv->epfd, evs, 64, wait_ms);
		if (n < 0 && errno != EINTR) {
			tame_log(TAME_LOG_ERR, "smtp: epoll_wait: %s",
			    strerror(errno));
			break;
		}
		for (k = 0; k < n; k++) {
			uint64_t d = evs[k].data.u64;
			uint64_t tag = d >> TAG_SHIFT;

			if (tag == TAG_WAKE) {
				srv_completions(srv);
			} else if (tag == TAG_LISTEN) {
				/* the other listener may have just failed */
				if (!srv->paused_until)
					srv_accept(srv, (int)(d & 1));
			} else {
				struct conn *c = srv->conns[d & 0xffff];
				uint64_t gen = (d & ~(3ULL << TAG_SHIFT)) >> 16;

				if (c && c->gen == gen)
					smtp_conn_event(srv, c, evs[k].events);
			}
		}
		now = mono_now();
		if (now != last_sweep) {
			last_sweep = now;
			srv_timeouts(srv, now);
		}
		if (srv->paused_until && (srv->nconns < open_before ||
		    tame_mono_ms() >= srv->paused_until))
			srv_resume(srv);
	}
	srv_drain(srv);
	for (i = 0; i < TAME_SMTP_CONN_MAX; i++) {
		struct conn *c = srv->conns[i];

		if (!c)
			continue;
		if (!c->closing)
			smtp_conn_printf(c, "421 4.3.2 %s Service shutting "
			    "down\r\n", srv->hostname);
		smtp_conn_flush(c);
		smtp_conn_close(srv, c);
	}
	return NULL;
}

/* ---- start and stop ---- */

/* "1.2.3.4:25" or "[::1]:25" into ss. */
static enum tame_err
parse_inet(const char *addr, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs;
	size_t hl;
	int64_t port;

	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');

		if (!rb || rb[1] != ':')
			return TAME_EINVAL;
		hs = addr + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		if (!(colon = strrchr(addr, ':')))
			return TAME_EINVAL;
		hs = addr;
		hl = (size_t)(colon - addr);
	}
	if (hl == 0 || hl >= sizeof(host) ||
	    tame_parse_i64(colon + 1, 0, 65535, &port))
		return TAME_EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (addr[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return TAME_EINVAL;
		*sl = sizeof(*s6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return TAME_EINVAL;
		*sl = sizeof(*sin);
	}
	return TAME_OK;
}

/* Removes a socket file left by a previous run, but never one a live
 * server answers on, nor a file that is not a socket. */
static enum tame_err
unix_clear_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? TAME_OK : TAME_EIO;
	if (!S_ISSOCK(st.st_mode))
		return TAME_EEXIST;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return tame_errno_err(errno);
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (r == 0)
		return TAME_EEXIST;
	if (errno != ECONNREFUSED)
		return TAME_EIO;
	return unlink(sun->sun_path) == 0 ? TAME_OK : TAME_EIO;
}

/* Binds and listens on addr; *fd gets the socket. A path (with '/')
 * becomes a UNIX socket recorded in srv->unix_path. */
static enum tame_err
srv_listen(struct smtp_server *srv, const char *addr, int which)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	enum tame_err rc = TAME_OK;
	int fd = -1, one = 1;

	if (strchr(addr, '/')) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		memset(&ss, 0, sizeof(ss));
		sun->sun_family = AF_UNIX;
		if (strlen(addr) >= sizeof(sun->sun_path)) {
			rc = TAME_EINVAL;
			goto out;
		}
		memcpy(sun->sun_path, addr, strlen(addr) + 1);
		sl = sizeof(*sun);
		if ((rc = unix_clear_stale(sun)))
			goto out;
	} else if ((rc = parse_inet(addr, &ss, &sl))) {
		goto out;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		rc = tame_errno_err(errno);
		goto out;
	}
	if (ss.ss_family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = TAME_EIO;
		goto out;
	}
	/* the MTA's LMTP client runs as its own user (postfix): anyone on
	 * the machine may connect, as to the loopback port, and only the
	 * mailboxes' addresses are taken. Before listen: whoever gets in
	 * finds the mode set */
	if ((ss.ss_family == AF_UNIX && chmod(addr, 0666) < 0) ||
	    listen(fd, SOMAXCONN) < 0) {
		if (ss.ss_family == AF_UNIX)
			unlink(addr);
		rc = TAME_EIO;
		goto out;
	}
	if (ss.ss_family == AF_UNIX && !(srv->unix_path = tame_strdup(addr))) {
		unlink(addr);
		rc = TAME_ENOMEM;
		goto out;
	}
	srv->lfd[which] = fd;
	fd = -1;
out:
	if (rc)
		tame_log(TAME_LOG_ERR, "smtp: cannot listen on %s: %s%s%s",
		    addr, tame_strerror(rc), rc == TAME_EIO ? ": " : "",
		    rc == TAME_EIO ? strerror(errno) : "");
	if (fd >= 0)
		close(fd);
	return rc;
}

static void
srv_free(struct smtp_server *srv)
{
	struct done_ev *ev;
	int i;

	if (!srv)
		return;
	pthread_mutex_lock(&srv->mu);
	while (srv->inflight)
		pthread_cond_wait(&srv->cond, &srv->mu);
	while ((ev = srv->done_head)) {
		srv->done_head = ev->next;
		free(ev);
	}
	pthread_mutex_unlock(&srv->mu);
	for (i = 0; i < 2; i++)
		if (srv->lfd[i] >= 0)
			close(srv->lfd[i]);
	if (srv->unix_path) {
		unlink(srv->unix_path);
		free(srv->unix_path);
	}
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->wakefd >= 0)
		close(srv->wakefd);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	if (srv->store)
		store_close(srv->store);
	while (srv->nknown)
		free(srv->known[--srv->nknown]);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cond);
	free(srv);
}

enum tame_err
smtp_server_start(const struct smtp_server_config *cfg,
    struct smtp_server **out)
{
	pthread_condattr_t ca;
	struct smtp_server *srv;
	struct epoll_event ev;
	enum tame_err rc = TAME_OK;
	int i;

	*out = NULL;
	if (!cfg->queue || !cfg->datadir || (!cfg->smtp_addr &&
	    !cfg->lmtp_addr))
		return TAME_EINVAL;
	if (!(srv = calloc(1, sizeof(*srv))))
		return TAME_ENOMEM;
	srv->epfd = srv->wakefd = srv->lfd[0] = srv->lfd[1] = -1;
	srv->spare_fd = -1;
	pthread_mutex_init(&srv->mu, NULL);
	/* srv_drain's deadline holds whatever the wall clock does */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->cond, &ca);
	pthread_condattr_destroy(&ca);
	srv->done_tail = &srv->done_head;
	srv->queue = cfg->queue;
	srv->conn_max = cfg->conn_max && cfg->conn_max < TAME_SMTP_CONN_MAX ?
	    cfg->conn_max : TAME_SMTP_CONN_MAX;
	/* in the same proportion as the limits */
	srv->peer_max = srv->conn_max * TAME_SMTP_CONN_PER_PEER /
	    TAME_SMTP_CONN_MAX;
	if (srv->peer_max == 0)
		srv->peer_max = 1;
	/* the tests shorten the idle timeout; nothing else should */
	srv->idle_s = tame_env_i64("TAME_SMTP_IDLE_SECONDS", 1,
	    TAME_SMTP_IDLE_SECONDS, TAME_SMTP_IDLE_SECONDS);
	/* the time a message may take after DATA: an admin may give
	 * senders on slow links longer, a test a few seconds */
	srv->data_s = tame_env_i64("TAME_SMTP_DATA_SECONDS", 1, 24 * 3600,
	    TAME_SMTP_DATA_SECONDS);
	/* ... and the memory of mail being received */
	srv->held_max = (size_t)tame_env_i64("TAME_SMTP_HELD_MB", 1,
	    TAME_SMTP_HELD_MAX >> 20, TAME_SMTP_HELD_MAX >> 20) << 20;
	atomic_init(&srv->stop, 0);
	if (snprintf(srv->hostname, sizeof(srv->hostname), "%s",
	    cfg->hostname ? cfg->hostname : "localhost") >=
	    (int)sizeof(srv->hostname)) {
		rc = TAME_EINVAL;
		goto out;
	}
	if ((rc = store_open(cfg->datadir, 0, &srv->store))) {
		tame_log(TAME_LOG_ERR, "smtp: cannot open the store in %s: %s",
		    cfg->datadir, tame_strerror(rc));
		srv->store = NULL;
		goto out;
	}
	if ((srv->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (srv->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = tame_errno_err(errno);
		goto out;
	}
	if (cfg->smtp_addr && (rc = srv_listen(srv, cfg->smtp_addr, 0)))
		goto out;
	if (cfg->lmtp_addr && (rc = srv_listen(srv, cfg->lmtp_addr, 1)))
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_WAKE << TAG_SHIFT;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->wakefd, &ev) < 0) {
		rc = TAME_EIO;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (srv->lfd[i] < 0)
			continue;
		ev.data.u64 = (TAG_LISTEN << TAG_SHIFT) | (uint64_t)i;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd[i], &ev) < 0) {
			rc = TAME_EIO;
			goto out;
		}
	}
	spare_take(srv);
	if (pthread_create(&srv->thread, NULL, srv_main, srv)) {
		rc = TAME_EIO;
		goto out;
	}
	srv->started = 1;
	tame_log(TAME_LOG_INFO, "smtp: listening%s%s%s%s",
	    cfg->smtp_addr ? " smtp " : "", cfg->smtp_addr ? cfg->smtp_addr : "",
	    cfg->lmtp_addr ? " lmtp " : "", cfg->lmtp_addr ? cfg->lmtp_addr : "");
	*out = srv;
out:
	if (rc)
		srv_free(srv);
	return rc;
}

void
smtp_server_stop(struct smtp_server *srv)
{
	uint64_t one = 1;

	if (!srv)
		return;
	atomic_store(&srv->stop, 1);
	if (write(srv->wakefd, &one, sizeof(one)) < 0)
		tame_log(TAME_LOG_WARN, "smtp: eventfd: %s", strerror(errno));
	if (srv->started)
		pthread_join(srv->thread, NULL);
	/* waits for the queue to answer what is still in flight */
	srv_free(srv);
}
