/*
 * smtp_conn.c - one SMTP or LMTP connection: its replies and output
 * buffer, the commands, the DATA phase and the hand-off of a message to
 * the group-commit queue. See smtp_server.h and smtp_server_impl.h.
 *
 * Implements RFC 5321 (SMTP, as the final destination only: RCPT must be
 * one of our mailboxes, so we never relay), RFC 2033 (LMTP: LHLO and one
 * reply per recipient after DATA), RFC 2920 (PIPELINING), RFC 6152
 * (8BITMIME), RFC 1870 (SIZE) and RFC 2034 / RFC 3463 (enhanced status
 * codes).
 *
 * Model: each connection owns an input buffer (raw bytes not yet used),
 * an output buffer (replies not yet written) and, during DATA, the
 * message being assembled. Input is consumed strictly in order: every
 * complete command in the buffer is answered before more is read (that
 * is all PIPELINING asks for). At the end of DATA the message goes to
 * the queue and the connection stops reading until the queue's
 * callback, run on the writer thread, hands the result back to the loop
 * (smtp_server.c). Back-pressure: a client that does not read its
 * replies stops being read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../core/model.h"
#include "../core/util.h"
#include "../store/store.h"
#include "smtp_server_impl.h"

/* ---- replies and I/O ---- */

void
smtp_conn_printf(struct conn *c, const char *fmt, ...)
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
	smtp_conn_printf(c, "%d %s\r\n", code, text);
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
		smtp_conn_printf(c, "421 4.7.0 %s Error: too many errors\r\n",
		    srv->hostname);
		c->closing = 1;
	}
}

/* Writes what it can of out. Returns -1 when the connection is dead. */
int
smtp_conn_flush(struct conn *c)
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

/* EPOLLIN stays registered while a connection waits for its commit:
 * a client that waits for the 250 sends nothing meanwhile, and taking
 * it off and putting it back cost two system calls per message. Only
 * when input does come that we cannot take yet is it taken off, so
 * level-triggered epoll does not report it over and over. */
static void
conn_update_events(struct smtp_server *srv, struct conn *c)
{
	struct epoll_event ev;
	int in = conn_wants_input(c);
	uint32_t want;

	if (in)
		c->in_unwanted = 0;
	else if ((c->events & EPOLLIN) && !c->in_unwanted && !c->closing &&
	    !c->eof)
		in = 1;
	want = (in ? EPOLLIN : 0) | (c->out.len ? EPOLLOUT : 0);

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

void
smtp_conn_held(struct smtp_server *srv, struct conn *c)
{
	srv->held = srv->held - c->held + c->msg.len;
	c->held = c->msg.len;
}

void
smtp_conn_reset_tx(struct smtp_server *srv, struct conn *c)
{
	size_t i;

	free(c->mail_from);
	c->mail_from = NULL;
	for (i = 0; i < c->nrcpt; i++)
		free(c->rcpts[i]);
	c->nrcpt = 0;
	buf_free(&c->msg);
	smtp_conn_held(srv, c);
}

void
smtp_conn_close(struct smtp_server *srv, struct conn *c)
{
	tame_log(TAME_LOG_DEBUG, "smtp: %s: closed", c->peer);
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	smtp_conn_reset_tx(srv, c);
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

		if (ch > 0x20 && ch < 0x7f && ch != '(' && ch != ')' &&
		    ch != '<' && ch != '>')
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* RFC 5321 4.4 trace fields, RFC 5322 date in UTC. tamed makes the
 * final delivery, so the first is Return-Path with the envelope
 * sender: "<>" marks a bounce or other notification (RFC 3834), which
 * never gets an acknowledgement. */
static enum tame_err
conn_add_received(struct smtp_server *srv, struct conn *c)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *mons[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char helo[128], rcpt[SMTP_PATH_MAX + 1], from[SMTP_PATH_MAX + 1];
	time_t t = time(NULL);
	struct tm tm;

	/* the longest header fits in front of the longest message: the
	 * fixed words, id and date take under TRACE_WORDS bytes, the rest
	 * is what the client and --hostname give */
#define TRACE_WORDS 160
	_Static_assert(TRACE_WORDS + sizeof(helo) + sizeof(rcpt) +
	    sizeof(from) + sizeof(c->peer) + sizeof(srv->hostname) <=
	    SMTP_TRACE_MAX, "SMTP_TRACE_MAX too small for our trace headers");
#undef TRACE_WORDS

	gmtime_r(&t, &tm);
	trace_name(c->helo, helo, sizeof(helo));
	rcpt[0] = '\0';
	if (c->nrcpt == 1)
		trace_name(c->rcpts[0], rcpt, sizeof(rcpt));
	trace_name(c->mail_from, from, sizeof(from));
	return buf_printf(&c->msg, "Return-Path: <%s>\r\n"
	    "Received: from %s (%s)\r\n\tby %s (Tame) with %s id %" PRIu64
	    "%s%s%s;\r\n\t%s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    from, helo[0] ? helo : "unknown", c->peer, srv->hostname,
	    c->lmtp ? "LMTP" : "ESMTP", c->queue_id,
	    rcpt[0] ? "\r\n\tfor <" : "", rcpt, rcpt[0] ? ">" : "",
	    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* One reply for SMTP, one per accepted recipient for LMTP. */
void
smtp_conn_reply_all(struct conn *c, int code, const char *text)
{
	size_t i;

	if (!c->lmtp) {
		conn_reply(c, code, text);
		return;
	}
	for (i = 0; i < c->nrcpt; i++)
		smtp_conn_printf(c, "%d %s <%s>\r\n", code, text, c->rcpts[i]);
}

static void
smtp_server_done(void *arg, enum tame_err rc)
{
	struct done_ev *ev = arg;
	struct smtp_server *srv = ev->srv;
	uint64_t one = 1;
	int wake;

	ev->rc = rc;
	ev->next = NULL;
	pthread_mutex_lock(&srv->mu);
	/* the loop takes the whole list after each wake-up: one wake-up
	 * per batch of answers is enough */
	wake = !srv->done_head;
	*srv->done_tail = ev;
	srv->done_tail = &ev->next;
	srv->inflight--;
	if (wake && write(srv->wakefd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
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
		smtp_conn_reply_all(c, 552, c->data.too_big ?
		    "5.3.4 Error: message too big" :
		    "5.3.4 Error: message line too long");
		smtp_conn_reset_tx(srv, c);
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
	/* the message stays counted in srv->held until it is stored
	 * (smtp_conn_reset_tx when its answer comes): it is in memory in
	 * the ingest queue until then */
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
	smtp_conn_reply_all(c, 451, "4.3.0 Error: out of memory, try again "
	    "later");
	smtp_conn_reset_tx(srv, c);
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
	smtp_conn_reset_tx(srv, c);
	free(c->helo);
	c->helo = name;
	if (cmd->verb == SMTP_V_HELO) {
		smtp_conn_printf(c, "250 %s\r\n", srv->hostname);
		return;
	}
	smtp_conn_printf(c, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250-SIZE %d\r\n250 ENHANCEDSTATUSCODES\r\n", srv->hostname,
	    TAME_SMTP_MESSAGE_MAX);
}

/* Whether addr (lower case) was found in the store before. */
static int
mailbox_known(const struct smtp_server *srv, const char *addr)
{
	unsigned i;

	for (i = 0; i < srv->nknown; i++)
		if (strcmp(srv->known[i], addr) == 0)
			return 1;
	return 0;
}

/* Whether addr (lower case) is postmaster here: "postmaster" alone, or
 * at the domain of one of the mailboxes (RFC 5321 4.5.1: every server
 * that delivers mail MUST take it). Such mail goes to the first
 * mailbox, as mail for no mailbox does (ingest.c). TAME_ENOTFOUND if
 * not, or a store error. */
static enum tame_err
postmaster_here(struct smtp_server *srv, const char *addr)
{
	static const char pm[] = "postmaster";
	const char *dom, *a;
	struct mailbox mb;
	json_t *v, *list, *m;
	enum tame_err rc;
	size_t i;

	if (strncmp(addr, pm, sizeof(pm) - 1) != 0 ||
	    (addr[sizeof(pm) - 1] && addr[sizeof(pm) - 1] != '@'))
		return TAME_ENOTFOUND;
	if (!addr[sizeof(pm) - 1]) {
		memset(&mb, 0, sizeof(mb));
		rc = store_mailbox_first(srv->store, &mb);
		mailbox_clear(&mb);
		return rc;
	}
	dom = addr + sizeof(pm);
	if ((rc = store_mailboxes_view(srv->store, &v)))
		return rc;
	rc = TAME_ENOTFOUND;
	list = json_object_get(v, "mailboxes");
	json_array_foreach(list, i, m) {
		a = json_string_value(json_object_get(m, "address"));
		if (a && (a = strrchr(a, '@')) && strcasecmp(a + 1, dom) == 0) {
			rc = TAME_OK;
			break;
		}
	}
	json_decref(v);
	return rc;
}

static void
conn_rcpt(struct smtp_server *srv, struct conn *c, const struct smtp_cmd *cmd)
{
	struct mailbox mb;
	char addr[SMTP_PATH_MAX + 1];
	enum tame_err rc;
	int known;

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
	tame_ascii_lower(addr);
	memset(&mb, 0, sizeof(mb));
	known = mailbox_known(srv, addr);
	rc = known ? TAME_OK : store_mailbox_by_address(srv->store, addr, &mb);
	if (rc == TAME_ENOTFOUND)
		rc = postmaster_here(srv, addr);
	if (rc == TAME_ENOTFOUND) {
		/* said, so that "why did my mail bounce?" has an answer */
		tame_log(TAME_LOG_INFO, "smtp: %s: 550 for <%.200s>: no such "
		    "mailbox", c->peer, addr);
		smtp_conn_printf(c, "550 5.1.1 <%s>: Recipient address "
		    "rejected: no such mailbox here (this is not a relay)\r\n",
		    addr);
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
	if (!known && srv->nknown < SMTP_KNOWN_MAX &&
	    (srv->known[srv->nknown] = tame_strdup(addr)))
		srv->nknown++;
	mailbox_clear(&mb);
	if (!(c->rcpts[c->nrcpt] = tame_strdup(addr))) {
		conn_reply(c, 451, "4.3.0 Error: out of memory");
		return;
	}
	c->nrcpt++;
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
		smtp_conn_reset_tx(srv, c);
		return;
	}
	smtp_data_init(&c->data, TAME_SMTP_DATA_LINE_MAX,
	    TAME_SMTP_MESSAGE_MAX);
	c->state = C_DATA;
	c->data_start = mono_now();
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
		else if (cmd.size > TAME_SMTP_MESSAGE_MAX) {
			tame_log(TAME_LOG_INFO, "smtp: %s: 552 for a message "
			    "of %llu bytes: over the limit", c->peer,
			    (unsigned long long)cmd.size);
			conn_reply(c, 552, "5.3.4 Message size exceeds fixed "
			    "limit");
		}
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
		smtp_conn_reset_tx(srv, c);
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
		conn_reply(c, 214, c->lmtp ? "2.0.0 Commands: LHLO MAIL RCPT "
		    "DATA RSET NOOP QUIT VRFY HELP" : "2.0.0 Commands: HELO "
		    "EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
		break;
	case SMTP_V_STARTTLS:
	case SMTP_V_AUTH:
	case SMTP_V_EXPN:
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
			smtp_conn_held(srv, c);
			/* over the memory all messages being received may take,
			 * a big one goes (the sender tries again later); small
			 * mail still passes */
			if (srv->held > srv->held_max &&
			    c->held > TAME_SMTP_HELD_SMALL) {
				tame_log(TAME_LOG_WARN, "smtp: %s: %zu MB of mail "
				    "being received at once: this one waits",
				    c->peer, srv->held >> 20);
				smtp_conn_reset_tx(srv, c);
				conn_reply(c, 421, "4.3.1 Error: insufficient "
				    "system storage, try again later");
				c->closing = 1;
				pos = c->in.len;
				break;
			}
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
 * is still open.
 *
 * Commands already read are run until none is left that can run (RFC
 * 2920: input is never left unanswered while the client waits): only
 * replies the client has not read stop it, and then EPOLLOUT brings it
 * back. Each pass either consumes input or, when replies had held it
 * up, writes them, so the loop ends; c->in holds at most SMTP_IN_MAX. */
int
smtp_conn_run(struct smtp_server *srv, struct conn *c)
{
	for (;;) {
		size_t before = c->in.len;
		int held = c->out.len > SMTP_OUT_PAUSE;

		conn_process(srv, c);
		if (smtp_conn_flush(c) < 0) {
			smtp_conn_close(srv, c);
			return -1;
		}
		if (c->out.len > SMTP_OUT_PAUSE)
			break;	/* the client is not reading */
		if (c->in.len == before && !held)
			break;	/* nothing more can run now */
	}
	if (c->out.len == 0 && (c->closing ||
	    (c->eof && c->state != C_WAIT))) {
		smtp_conn_close(srv, c);
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
		/* a short read emptied the socket: another recv() would
		 * only say EAGAIN, and epoll tells us when more comes */
		if ((size_t)n < sizeof(chunk) && (size_t)n < room)
			break;
	}
	if (c->eof && c->state == C_DATA) {
		/* the client dropped the message half-way */
		c->closing = 1;
	}
}

void
smtp_conn_event(struct smtp_server *srv, struct conn *c, uint32_t ev)
{
	if (ev & EPOLLERR) {
		smtp_conn_close(srv, c);
		return;
	}
	if (ev & (EPOLLIN | EPOLLHUP)) {
		if (conn_wants_input(c))
			conn_read(srv, c);
		else if ((ev & EPOLLHUP) && c->state == C_WAIT) {
			/* gone while we commit; the completion finds no one */
			smtp_conn_close(srv, c);
			return;
		} else if (ev & EPOLLHUP) {
			c->eof = 1;
		} else {
			c->in_unwanted = 1;
		}
	}
	smtp_conn_run(srv, c);
}
