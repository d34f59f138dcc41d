/*
 * smtp_server.c - the SMTP and LMTP listener. See smtp_server.h.
 *
 * Implements RFC 5321 (SMTP, as the final destination only: RCPT must be
 * one of our mailboxes, so we never relay), RFC 2033 (LMTP: LHLO and one
 * reply per recipient after DATA), RFC 2920 (PIPELINING), RFC 6152
 * (8BITMIME), RFC 1870 (SIZE) and RFC 2034 / RFC 3463 (enhanced status
 * codes).
 *
 * Model: one thread, one epoll set (level-triggered) holding the
 * listeners, an eventfd and every connection. Sockets are non-blocking;
 * each connection owns an input buffer (raw bytes not yet used), an output
 * buffer (replies not yet written) and, during DATA, the message being
 * assembled. Input is consumed strictly in order: every complete command
 * in the buffer is answered before more is read (that is all PIPELINING
 * asks for). At the end of DATA the message goes to the group-commit
 * queue and the connection stops reading until the queue's callback, run
 * on the writer thread, puts (slot, generation, result) on a
 * mutex-protected list and pokes the eventfd; the loop then answers 250
 * or 451. The generation number makes a completion for a connection that
 * went away (and whose slot was reused) harmless. Back-pressure: a
 * client that does not read its replies stops being read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
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
#include "../core/model.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"
#include "smtp_proto.h"
#include "smtp_server.h"

/* Raw input held per connection: a few pipelined commands or one read's
 * worth of DATA. */
#define SMTP_IN_MAX     (64 * 1024)
/* Replies waiting for a slow reader; above SMTP_OUT_PAUSE we stop taking
 * commands from it until it reads. */
#define SMTP_OUT_MAX    (64 * 1024)
#define SMTP_OUT_PAUSE  (16 * 1024)
/* Protocol errors tolerated in one session before we hang up. */
#define SMTP_ERRORS_MAX 20
/* Room for our Received: header in front of a message. */
#define SMTP_TRACE_MAX  1024
#define SMTP_READ_CHUNK (16 * 1024)

/* epoll data: connections carry (generation << 16 | slot); the top two
 * bits tag the listeners and the eventfd. */
#define TAG_SHIFT  62
#define TAG_CONN   0ULL
#define TAG_LISTEN 1ULL
#define TAG_WAKE   2ULL

enum conn_state {
	C_CMD = 0,  /* reading commands */
	C_DATA,     /* reading the message after 354 */
	C_WAIT      /* message queued; not reading until it is committed */
};

struct conn {
	int fd;
	unsigned slot;
	uint64_t gen;
	int lmtp;
	enum conn_state state;
	int closing;        /* close once out is written */
	int eof;            /* the peer closed its sending side */
	int skip_line;      /* dropping the rest of an over-long command */
	int errors;
	uint32_t events;    /* current epoll mask */
	time_t last;        /* CLOCK_MONOTONIC seconds of the last input */
	char peer[INET6_ADDRSTRLEN + 8];
	char *helo;         /* the client's name, NULL before HELO */
	char *mail_from;    /* NULL outside a transaction; "" for <> */
	char *rcpts[TAME_SMTP_RCPT_MAX];
	size_t nrcpt;
	uint64_t queue_id;
	struct buf in, out, msg;
	struct smtp_data data;
};

/* A queue completion on its way back to the loop. */
struct done_ev {
	struct done_ev *next;
	struct smtp_server *srv;
	unsigned slot;
	uint64_t gen;
	enum tame_err rc;
};

struct smtp_server {
	pthread_t thread;
	int started;
	int epfd;
	int wakefd;
	int lfd[2];          /* [0] SMTP, [1] LMTP; -1 if not configured */
	char *unix_path;     /* LMTP socket file we created, unlinked at stop */
	char hostname[256];
	struct ingestq *queue;
	struct store *store;
	struct conn *conns[TAME_SMTP_CONN_MAX];
	uint64_t gens[TAME_SMTP_CONN_MAX];
	unsigned nconns;
	uint64_t next_queue_id;
	atomic_int stop;
	pthread_mutex_t mu;   /* guards what follows */
	pthread_cond_t cond;
	struct done_ev *done_head, **done_tail;
	unsigned inflight;    /* submitted, callback not yet run */
};

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- replies and I/O ---- */

static void conn_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	enum tame_err rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	if (rc) {
		/* a client that never reads its replies: give up on it */
		tame_log(TAME_LOG_WARN, "smtp: %s: reply buffer full, closing",
		    c->peer);
		c->closing = 1;
	}
}

static void
conn_reply(struct conn *c, int code, const char *text)
{
	conn_printf(c, "%d %s\r\n", code, text);
}

static void conn_count_error(struct smtp_server *srv, struct conn *c);

/* Protocol error: answered, counted; too many and we hang up. */
static void
conn_error(struct smtp_server *srv, struct conn *c, int code,
    const char *text)
{
	conn_reply(c, code, text);
	conn_count_error(srv, c);
}

static void
conn_count_error(struct smtp_server *srv, struct conn *c)
{
	if (++c->errors == SMTP_ERRORS_MAX) {
		conn_printf(c, "421 4.7.0 %s Error: too many errors\r\n",
		    srv->hostname);
		c->closing = 1;
	}
}

/* Writes what it can of out. Returns -1 when the connection is dead. */
static int
conn_flush(struct conn *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.data, c->out.len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		memmove(c->out.data, c->out.data + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
		c->out.data[c->out.len] = '\0';
	}
	return 0;
}

static int
conn_wants_input(const struct conn *c)
{
	return c->state != C_WAIT && !c->closing && !c->eof &&
	    c->out.len <= SMTP_OUT_PAUSE && c->in.len < c->in.max;
}

static void
conn_update_events(struct smtp_server *srv, struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = (conn_wants_input(c) ? EPOLLIN : 0) |
	    (c->out.len ? EPOLLOUT : 0);

	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u64 = (TAG_CONN << TAG_SHIFT) | (c->gen << 16) | c->slot;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
	else
		tame_log(TAME_LOG_WARN, "smtp: epoll_ctl: %s", strerror(errno));
}

/* ---- transactions ---- */

static void
conn_reset_tx(struct conn *c)
{
	size_t i;

	free(c->mail_from);
	c->mail_from = NULL;
	for (i = 0; i < c->nrcpt; i++)
		free(c->rcpts[i]);
	c->nrcpt = 0;
	buf_free(&c->msg);
}

static void
conn_close(struct smtp_server *srv, struct conn *c)
{
	tame_log(TAME_LOG_DEBUG, "smtp: %s: closed", c->peer);
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conn_reset_tx(c);
	free(c->helo);
	buf_free(&c->in);
	buf_free(&c->out);
	srv->conns[c->slot] = NULL;
	srv->nconns--;
	free(c);
}

/* Keeps printable ASCII of a client-given name for our trace header. */
static void
trace_name(const char *s, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; s && s[i] && o + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch > 0x20 && ch < 0x7f && ch != '(' && ch != ')')
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* RFC 5321 4.4 trace field, RFC 5322 date in UTC. */
static enum tame_err
conn_add_received(struct smtp_server *srv, struct conn *c)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *mons[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char helo[128], rcpt[SMTP_PATH_MAX + 1];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	trace_name(c->helo, helo, sizeof(helo));
	rcpt[0] = '\0';
	if (c->nrcpt == 1)
		trace_name(c->rcpts[0], rcpt, sizeof(rcpt));
	return buf_printf(&c->msg,
	    "Received: from %s (%s)\r\n\tby %s (Tame) with %s id %" PRIu64
	    "%s%s%s;\r\n\t%s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    helo[0] ? helo : "unknown", c->peer, srv->hostname,
	    c->lmtp ? "LMTP" : "ESMTP", c->queue_id,
	    rcpt[0] ? "\r\n\tfor <" : "", rcpt, rcpt[0] ? ">" : "",
	    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* One reply for SMTP, one per accepted recipient for LMTP. */
static void
conn_reply_all(struct conn *c, int code, const char *text)
{
	size_t i;

	if (!c->lmtp) {
		conn_reply(c, code, text);
		return;
	}
	for (i = 0; i < c->nrcpt; i++)
		conn_printf(c, "%d %s <%s>\r\n", code, text, c->rcpts[i]);
}

static void
smtp_server_done(void *arg, enum tame_err rc)
{
	struct done_ev *ev = arg;
	struct smtp_server *srv = ev->srv;
	uint64_t one = 1;

	ev->rc = rc;
	ev->next = NULL;
	pthread_mutex_lock(&srv->mu);
	*srv->done_tail = ev;
	srv->done_tail = &ev->next;
	srv->inflight--;
	if (write(srv->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		tame_log(TAME_LOG_WARN, "smtp: eventfd: %s", strerror(errno));
	pthread_cond_signal(&srv->cond);
	pthread_mutex_unlock(&srv->mu);
}

/* The terminator was read: answer a refused message, or queue it. */
static void
conn_data_end(struct smtp_server *srv, struct conn *c)
{
	struct buf rcpts;
	struct done_ev *ev = NULL;
	char *raw = NULL, *from = NULL, *to = NULL;
	size_t len, i, j;

	c->state = C_CMD;
	if (c->data.too_big || c->data.line_too_long) {
		tame_log(TAME_LOG_WARN, "smtp: %s: message refused: %s",
		    c->peer, c->data.too_big ? "too big" : "line too long");
		conn_reply_all(c, 552, c->data.too_big ?
		    "5.3.4 Error: message too big" :
		    "5.3.4 Error: message line too long");
		conn_reset_tx(c);
		return;
	}
	/* the recipients joined by ',', each once */
	buf_init(&rcpts, (size_t)TAME_SMTP_RCPT_MAX * (SMTP_PATH_MAX + 1));
	for (i = 0; i < c->nrcpt; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(c->rcpts[i], c->rcpts[j]) == 0)
				break;
		if (j < i)
			continue;
		if ((rcpts.len && buf_addstr(&rcpts, ",")) ||
		    buf_addstr(&rcpts, c->rcpts[i]))
			goto fail;
	}
	len = c->msg.len;
	if (c->data.oom || !(ev = malloc(sizeof(*ev))) ||
	    !(to = buf_take(&rcpts)) || !(raw = buf_take(&c->msg)))
		goto fail;
	from = c->mail_from;
	c->mail_from = NULL;
	ev->srv = srv;
	ev->slot = c->slot;
	ev->gen = c->gen;
	ev->rc = TAME_OK;
	c->state = C_WAIT;
	pthread_mutex_lock(&srv->mu);
	srv->inflight++;
	pthread_mutex_unlock(&srv->mu);
	tame_log(TAME_LOG_DEBUG, "smtp: %s: id %" PRIu64 " from <%s> to %s, "
	    "%zu bytes: submitted", c->peer, c->queue_id, from, to, len);
	/* ownership of raw, from and to passes to the queue */
	ingestq_submit(srv->queue, raw, len, from, to, smtp_server_done, ev);
	return;
fail:
	tame_log(TAME_LOG_WARN, "smtp: %s: out of memory at end of DATA",
	    c->peer);
	free(ev);
	free(to);
	free(raw);
	buf_free(&rcpts);
	conn_reply_all(c, 451, "4.3.0 Error: out of memory, try again later");
	conn_reset_tx(c);
}

/* ---- commands ---- */

static void
conn_hello(struct smtp_server *srv, struct conn *c, const struct smtp_cmd *cmd)
{
	char *name = tame_strndup(cmd->arg, cmd->arg_len);

	if (!name) {
		conn_reply(c, 451, "4.3.0 Error: out of memory");
		return;
	}
	conn_reset_tx(c);
	free(c->helo);
	c->helo = name;
	if (cmd->verb == SMTP_V_HELO) {
		conn_printf(c, "250 %s\r\n", srv->hostname);
		return;
	}
	conn_printf(c, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250-SIZE %d\r\n250 ENHANCEDSTATUSCODES\r\n", srv->hostname,
	    TAME_SMTP_MESSAGE_MAX);
}

static void
conn_rcpt(struct smtp_server *srv, struct conn *c, const struct smtp_cmd *cmd)
{
	struct mailbox mb;
	char addr[SMTP_PATH_MAX + 1];
	enum tame_err rc;

	if (!c->mail_from) {
		conn_error(srv, c, 503, "5.5.1 Error: need MAIL command");
		return;
	}
	if (c->nrcpt >= TAME_SMTP_RCPT_MAX) {
		conn_reply(c, 452, "4.5.3 Error: too many recipients");
		return;
	}
	memcpy(addr, cmd->path, cmd->path_len);
	addr[cmd->path_len] = '\0';
	memset(&mb, 0, sizeof(mb));
	rc = store_mailbox_by_address(srv->store, addr, &mb);
	if (rc == TAME_ENOTFOUND) {
		conn_printf(c, "550 5.1.1 <%s>: Recipient address rejected: "
		    "no such mailbox here (this is not a relay)\r\n", addr);
		conn_count_error(srv, c);  /* address harvesting */
		return;
	}
	if (rc) {
		tame_log(TAME_LOG_WARN, "smtp: mailbox lookup of <%s>: %s (%s)",
		    addr, tame_strerror(rc), store_errmsg(srv->store));
		conn_reply(c, 451, "4.3.0 Error: temporary failure, try "
		    "again later");
		return;
	}
	mailbox_clear(&mb);
	if (!(c->rcpts[c->nrcpt] = tame_strdup(addr))) {
		conn_reply(c, 451, "4.3.0 Error: out of memory");
		return;
	}
	tame_ascii_lower(c->rcpts[c->nrcpt++]);
	conn_reply(c, 250, "2.1.5 Ok");
}

static void
conn_data(struct smtp_server *srv, struct conn *c)
{
	if (!c->mail_from) {
		conn_error(srv, c, 503, "5.5.1 Error: need MAIL command");
		return;
	}
	if (c->nrcpt == 0) {
		conn_error(srv, c, 503, "5.5.1 Error: need RCPT command");
		return;
	}
	c->queue_id = ++srv->next_queue_id;
	buf_init(&c->msg, (size_t)TAME_SMTP_MESSAGE_MAX + SMTP_TRACE_MAX);
	if (conn_add_received(srv, c)) {
		conn_reply(c, 451, "4.3.0 Error: out of memory");
		conn_reset_tx(c);
		return;
	}
	smtp_data_init(&c->data, TAME_SMTP_DATA_LINE_MAX,
	    TAME_SMTP_MESSAGE_MAX);
	c->state = C_DATA;
	conn_reply(c, 354, "End data with <CR><LF>.<CR><LF>");
}

static void
conn_command(struct smtp_server *srv, struct conn *c, const char *line,
    size_t len)
{
	struct smtp_cmd cmd;

	if (smtp_proto_parse(line, len, &cmd)) {
		conn_error(srv, c, cmd.code, cmd.text);
		return;
	}
	switch (cmd.verb) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
		if (c->lmtp)
			conn_error(srv, c, 500, "5.5.1 Error: this is LMTP, "
			    "use LHLO");
		else
			conn_hello(srv, c, &cmd);
		break;
	case SMTP_V_LHLO:
		if (!c->lmtp)
			conn_error(srv, c, 500, "5.5.2 Error: command not "
			    "recognized");
		else
			conn_hello(srv, c, &cmd);
		break;
	case SMTP_V_MAIL:
		if (!c->helo)
			conn_error(srv, c, 503, c->lmtp ?
			    "5.5.1 Error: send LHLO first" :
			    "5.5.1 Error: send HELO/EHLO first");
		else if (c->mail_from)
			conn_error(srv, c, 503, "5.5.1 Error: nested MAIL "
			    "command");
		else if (cmd.size > TAME_SMTP_MESSAGE_MAX)
			conn_reply(c, 552, "5.3.4 Message size exceeds fixed "
			    "limit");
		else if (!(c->mail_from = tame_strndup(cmd.path,
		    cmd.path_len)))
			conn_reply(c, 451, "4.3.0 Error: out of memory");
		else
			conn_reply(c, 250, "2.1.0 Ok");
		break;
	case SMTP_V_RCPT:
		conn_rcpt(srv, c, &cmd);
		break;
	case SMTP_V_DATA:
		conn_data(srv, c);
		break;
	case SMTP_V_RSET:
		conn_reset_tx(c);
		conn_reply(c, 250, "2.0.0 Ok");
		break;
	case SMTP_V_NOOP:
		conn_reply(c, 250, "2.0.0 Ok");
		break;
	case SMTP_V_QUIT:
		conn_reply(c, 221, "2.0.0 Bye");
		c->closing = 1;
		break;
	case SMTP_V_VRFY:
		conn_reply(c, 252, "2.5.0 Cannot VRFY user, but will accept "
		    "message for a mailbox here");
		break;
	case SMTP_V_HELP:
		conn_reply(c, 214, "2.0.0 Commands: HELO EHLO MAIL RCPT DATA "
		    "RSET NOOP QUIT VRFY HELP");
		break;
	case SMTP_V_STARTTLS:
	case SMTP_V_AUTH:
	case SMTP_V_UNKNOWN:
		conn_error(srv, c, 502, "5.5.1 Error: command not "
		    "implemented");
		break;
	}
}

/* Consumes complete commands and DATA bytes from c->in, in order. */
static void
conn_process(struct smtp_server *srv, struct conn *c)
{
	size_t pos = 0;

	while (pos < c->in.len && !c->closing && c->state != C_WAIT &&
	    c->out.len <= SMTP_OUT_PAUSE) {
		const char *p = c->in.data + pos, *nl;
		size_t left = c->in.len - pos, n;

		if (c->state == C_DATA) {
			pos += smtp_data_feed(&c->data, p, left, &c->msg);
			if (c->data.done)
				conn_data_end(srv, c);
			continue;
		}
		if (!(nl = memchr(p, '\n', left))) {
			/* CR may precede the LF we have not seen yet */
			if (left > TAME_SMTP_CMD_LINE_MAX + 1) {
				if (!c->skip_line)
					conn_error(srv, c, 500,
					    "5.5.2 Error: line too long");
				c->skip_line = 1;
				pos = c->in.len;
			}
			break;
		}
		n = (size_t)(nl - p);
		pos += n + 1;
		if (c->skip_line) {
			c->skip_line = 0;
			continue;
		}
		if (n && p[n - 1] == '\r')
			n--;
		conn_command(srv, c, p, n);
	}
	if (pos) {
		memmove(c->in.data, c->in.data + pos, c->in.len - pos);
		c->in.len -= pos;
		c->in.data[c->in.len] = '\0';
	}
}

/* Processes, writes, and decides the connection's fate. Returns 0 if c
 * is still open. */
static int
conn_run(struct smtp_server *srv, struct conn *c)
{
	int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		size_t before = c->in.len;

		conn_process(srv, c);
		if (conn_flush(c) < 0) {
			conn_close(srv, c);
			return -1;
		}
		/* stop when nothing moved or output is still backed up */
		if (c->in.len == before || c->out.len > SMTP_OUT_PAUSE)
			break;
	}
	if (c->out.len == 0 && (c->closing ||
	    (c->eof && c->state != C_WAIT))) {
		conn_close(srv, c);
		return -1;
	}
	conn_update_events(srv, c);
	return 0;
}

static void
conn_read(struct smtp_server *srv, struct conn *c)
{
	char chunk[SMTP_READ_CHUNK];
	int rounds;

	for (rounds = 0; rounds < 16 && conn_wants_input(c); rounds++) {
		size_t room = c->in.max - c->in.len;
		ssize_t n = recv(c->fd, chunk, room < sizeof(chunk) ? room :
		    sizeof(chunk), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				tame_log(TAME_LOG_DEBUG, "smtp: %s: recv: %s",
				    c->peer, strerror(errno));
				c->closing = 1;
				buf_reset(&c->out);
			}
			break;
		}
		if (n == 0) {
			c->eof = 1;
			break;
		}
		c->last = mono_now();
		if (buf_add(&c->in, chunk, (size_t)n))
			break;  /* cannot happen: room was checked */
		conn_process(srv, c);
	}
	if (c->eof && c->state == C_DATA) {
		/* the client dropped the message half-way */
		c->closing = 1;
	}
}

static void
conn_event(struct smtp_server *srv, struct conn *c, uint32_t ev)
{
	if (ev & EPOLLERR) {
		conn_close(srv, c);
		return;
	}
	if (ev & (EPOLLIN | EPOLLHUP)) {
		if (conn_wants_input(c))
			conn_read(srv, c);
		else if ((ev & EPOLLHUP) && c->state == C_WAIT) {
			/* gone while we commit; the completion finds no one */
			conn_close(srv, c);
			return;
		} else if (ev & EPOLLHUP) {
			c->eof = 1;
		}
	}
	conn_run(srv, c);
}

/* ---- accepting ---- */

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
				tame_log(TAME_LOG_WARN, "smtp: accept: %s",
				    strerror(errno));
			return;
		}
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &sin->sin_addr, peer, sizeof(peer));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, peer, sizeof(peer));
		} else {
			snprintf(peer, sizeof(peer), "local");
		}
		if (srv->nconns >= TAME_SMTP_CONN_MAX) {
			static const char busy[] = "421 4.3.2 Too many "
			    "connections, try again later\r\n";

			tame_log(TAME_LOG_WARN, "smtp: %s: refused, %u "
			    "connections open", peer, srv->nconns);
			if (send(fd, busy, sizeof(busy) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				tame_log(TAME_LOG_DEBUG, "smtp: send: %s",
				    strerror(errno));
			close(fd);
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
		c->last = mono_now();
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
		conn_printf(c, "220 %s %s Tame\r\n", srv->hostname,
		    lmtp ? "LMTP" : "ESMTP");
		conn_run(srv, c);
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
				conn_reply_all(c, 250, text);
			} else {
				tame_log(TAME_LOG_WARN, "smtp: %s: id %" PRIu64
				    " not stored: %s", c->peer, c->queue_id,
				    tame_strerror(ev->rc));
				conn_reply_all(c, 451, "4.3.0 Error: could "
				    "not store the message, try again later");
			}
			conn_reset_tx(c);
			c->state = C_CMD;
			c->last = mono_now();
			conn_run(srv, c);
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

		if (!c || c->state == C_WAIT || c->closing ||
		    now - c->last < TAME_SMTP_IDLE_SECONDS)
			continue;
		tame_log(TAME_LOG_DEBUG, "smtp: %s: idle timeout", c->peer);
		conn_printf(c, "421 4.4.2 %s Error: timeout exceeded\r\n",
		    srv->hostname);
		c->closing = 1;
		conn_run(srv, c);
	}
}

static void *
srv_main(void *arg)
{
	struct smtp_server *srv = arg;
	struct epoll_event evs[64];
	time_t last_sweep = mono_now();
	unsigned i;

	while (!atomic_load(&srv->stop)) {
		int n = epoll_wait(srv->epfd, evs, 64, 1000), k;
		time_t now;

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
				srv_accept(srv, (int)(d & 1));
			} else {
				struct conn *c = srv->conns[d & 0xffff];
				uint64_t gen = (d & ~(3ULL << TAG_SHIFT)) >> 16;

				if (c && c->gen == gen)
					conn_event(srv, c, evs[k].events);
			}
		}
		now = mono_now();
		if (now != last_sweep) {
			last_sweep = now;
			srv_timeouts(srv, now);
		}
	}
	for (i = 0; i < TAME_SMTP_CONN_MAX; i++) {
		struct conn *c = srv->conns[i];

		if (!c)
			continue;
		conn_printf(c, "421 4.3.2 %s Service shutting down\r\n",
		    srv->hostname);
		conn_flush(c);
		conn_close(srv, c);
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
		return TAME_EIO;
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
		rc = TAME_EIO;
		goto out;
	}
	if (ss.ss_family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
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
	if (srv->store)
		store_close(srv->store);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cond);
	free(srv);
}

enum tame_err
smtp_server_start(const struct smtp_server_config *cfg,
    struct smtp_server **out)
{
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
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cond, NULL);
	srv->done_tail = &srv->done_head;
	srv->queue = cfg->queue;
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
		rc = TAME_EIO;
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
