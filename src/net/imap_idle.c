/*
 * imap_idle.c - IMAP IDLE (RFC 2177) on a connection of its own. See
 * imap_idle.h for the exchange and the fallback to polling.
 *
 * Why a multi handle per connection: libcurl keeps a CONNECT_ONLY
 * connection in the connection cache of the handle's multi, and
 * curl_easy_send/recv find it there only while the easy handle stays
 * added; removing it closes the connection. In the poller's shared
 * multi, other transfers would prune that cache (an idle connection
 * with unread input, or older than CURLOPT_MAXAGE_CONN, counts as dead
 * there), so each IDLE connection gets a multi of its own, added to
 * once and never shared. The poller watches its sockets through
 * curl_multi_poll's extra descriptors (imap_idle_fds).
 *
 * While libcurl connects, the multi is driven with curl_multi_perform
 * and its sockets come from curl_multi_fdset; once connected, the one
 * socket (CURLINFO_ACTIVESOCKET) is read with curl_easy_recv, which
 * goes through TLS when the mailbox uses it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include "imap_client.h"
#include "imap_idle.h"
#include "../core/buf.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* ---- the line reader */

/* 1 if line[0..n) has word as a whole space-separated token. */
static int
has_word(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word), i;

	for (i = 0; i + w <= n; i++) {
		if ((i == 0 || line[i - 1] == ' ') &&
		    strncasecmp(line + i, word, w) == 0 &&
		    (i + w == n || line[i + w] == ' ' || line[i + w] == ']'))
			return 1;
	}
	return 0;
}

/* line[0..n) starts with word, then a space or the end. */
static int
starts(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n >= w && strncasecmp(line, word, w) == 0 &&
	    (n == w || line[w] == ' ');
}

/* See imap_idle.h. */
enum imap_idle_ev
imap_idle_classify(const char *line, size_t n, const char *tag, int cont,
    int64_t *num)
{
	size_t i, t = strlen(tag);
	int64_t v = 0;

	*num = 0;
	if (memchr(line, '\0', n))
		return IMAP_IDLE_EV_GARBAGE;
	if (cont)
		return IMAP_IDLE_EV_NONE;
	if (n >= 1 && line[0] == '+' && (n == 1 || line[1] == ' '))
		return IMAP_IDLE_EV_CONT;
	if (n >= 2 && line[0] == '*' && line[1] == ' ') {
		line += 2;
		n -= 2;
		if (starts(line, n, "BYE"))
			return IMAP_IDLE_EV_BYE;
		if (starts(line, n, "CAPABILITY"))
			return has_word(line, n, "IDLE") ?
			    IMAP_IDLE_EV_CAP_IDLE : IMAP_IDLE_EV_NONE;
		/* "* N EXISTS", N a number of at most 10 digits */
		for (i = 0; i < n && line[i] >= '0' && line[i] <= '9'; i++) {
			if (i == 10)
				return IMAP_IDLE_EV_NONE;
			v = v * 10 + (line[i] - '0');
		}
		if (i > 0 && i < n && line[i] == ' ' &&
		    starts(line + i + 1, n - i - 1, "EXISTS")) {
			*num = v;
			return IMAP_IDLE_EV_EXISTS;
		}
		return IMAP_IDLE_EV_NONE;
	}
	if (t && n > t && strncmp(line, tag, t) == 0 && line[t] == ' ') {
		line += t + 1;
		n -= t + 1;
		if (starts(line, n, "OK"))
			return IMAP_IDLE_EV_OK;
		if (starts(line, n, "NO") || starts(line, n, "BAD"))
			return IMAP_IDLE_EV_FAIL;
	}
	return IMAP_IDLE_EV_GARBAGE;
}

void
imap_idle_reader_reset(struct imap_idle_reader *r)
{
	r->len = r->skip = 0;
	r->cont = 0;
}

/* The size of a literal announced at the end of line[0..n) ("{N}" or
 * "{N+}"), or -1 if none; -2 if it is over the limit. */
static int64_t
literal_at_end(const char *line, size_t n)
{
	size_t i;
	int64_t v = 0;

	if (n < 3 || line[n - 1] != '}')
		return -1;
	i = n - 1;
	if (line[i - 1] == '+')
		i--;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || line[i - 1] != '{' || line[i] == '}' || line[i] == '+')
		return -1;
	for (; line[i] >= '0' && line[i] <= '9'; i++) {
		v = v * 10 + (line[i] - '0');
		if (v > TAME_IMAP_IDLE_LITERAL_MAX)
			return -2;
	}
	return v;
}

/* See imap_idle.h. */
int
imap_idle_feed(struct imap_idle_reader *r, const char *tag, const char *p,
    size_t n, imap_idle_cb cb, void *arg)
{
	const char *nl;
	size_t take, len;
	int64_t lit, num;
	enum imap_idle_ev ev;
	int cont;

	while (n) {
		if (r->skip) {
			take = n < r->skip ? n : r->skip;
			r->skip -= take;
			p += take;
			n -= take;
			continue;
		}
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (take > sizeof(r->line) - r->len)
			return -1;
		memcpy(r->line + r->len, p, take);
		r->len += take;
		p += take + (nl != NULL);
		n -= take + (nl != NULL);
		if (!nl)
			break;
		len = r->len;
		if (len && r->line[len - 1] == '\r')
			len--;
		r->len = 0;
		if ((lit = literal_at_end(r->line, len)) == -2)
			return -1;
		cont = r->cont;
		r->cont = lit >= 0;
		r->skip = lit > 0 ? (size_t)lit : 0;
		ev = imap_idle_classify(r->line, len, tag, cont, &num);
		if (cb(arg, ev, num))
			return 1;
	}
	return 0;
}

/* ---- the connection */

/* How long an IDLE command lasts before it is renewed. The environment
 * variable TAME_IMAP_IDLE_RENEW_MS may shorten it (tests renew every
 * second instead of waiting 25 minutes). */
static int64_t
renew_ms(void)
{
	return tame_env_i64("TAME_IMAP_IDLE_RENEW_MS", 100,
	    TAME_IMAP_IDLE_RENEW_MS, TAME_IMAP_IDLE_RENEW_MS);
}

void
imap_idle_init(struct imap_idle *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = CURL_SOCKET_BAD;
	d->st = IMAP_IDLE_OFF;
}

/* See imap_idle.h. */
void
imap_idle_close(struct imap_idle *d, int forget)
{
	if (d->easy && d->multi)
		curl_multi_remove_handle(d->multi, d->easy);
	if (d->easy)
		curl_easy_cleanup(d->easy);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	d->easy = NULL;
	d->multi = NULL;
	d->fd = CURL_SOCKET_BAD;
	d->st = IMAP_IDLE_OFF;
	d->outlen = d->outoff = 0;
	d->deadline = 0;
	imap_idle_reader_reset(&d->rd);
	if (forget) {
		d->fails = 0;
		d->retry_at = 0;
		d->announced = 0;
	}
}

int
imap_idle_up(const struct imap_idle *d)
{
	/* not while IDLE is only asked for: a server that never answers
	 * it must not stretch the poll interval meanwhile */
	return d->st == IMAP_IDLE_IDLING || d->st == IMAP_IDLE_DONE;
}

/* Ends the connection for why; IDLE is tried again after a pause and
 * the box polls meanwhile (so it is woken once now). */
static void
fail(struct imap_idle *d, const struct imap_conf *conf, const char *why,
    int64_t now)
{
	int64_t wait = TAME_IMAP_IDLE_RETRY_MS;
	int i;

	for (i = 0; i < d->fails && wait < TAME_IMAP_BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > TAME_IMAP_BACKOFF_MAX_MS)
		wait = TAME_IMAP_BACKOFF_MAX_MS;
	d->fails++;
	tame_log(TAME_LOG_WARN, "imap: %s: IDLE stopped: %s%s%s; polling "
	    "every %lld ms, IDLE again in %lld s", conf->address, why,
	    d->errbuf[0] ? ": " : "", d->errbuf, (long long)conf->poll_ms,
	    (long long)(wait / 1000));
	d->why = why;
	imap_idle_close(d, 0);
	d->errbuf[0] = '\0';
	d->retry_at = now + wait;
	d->announced = 0;
	d->wake = 1;
}

/* Queues a command with a new tag (or "DONE" when cmd is NULL). */
static void
command(struct imap_idle *d, enum imap_idle_state next, const char *cmd,
    const char *arg, int64_t now)
{
	int n;

	if (cmd) {
		snprintf(d->tag, sizeof(d->tag), "t%u", ++d->seq);
		n = snprintf(d->out, sizeof(d->out), "%s %s%s%s\r\n", d->tag,
		    cmd, arg ? " " : "", arg ? arg : "");
	} else {
		n = snprintf(d->out, sizeof(d->out), "DONE\r\n");
	}
	d->outlen = n > 0 && (size_t)n < sizeof(d->out) ? (size_t)n : 0;
	d->outoff = 0;
	d->st = next;
	d->deadline = now + TAME_IMAP_STALL_SECONDS * 1000;
}

/* Opens the connection: libcurl connects, secures and logs in. */
static void
connect_start(struct imap_idle *d, const struct imap_conf *conf,
    int64_t now)
{
	struct buf url;

	buf_init(&url, TAME_IMAP_URL_MAX * 2);
	d->errbuf[0] = '\0';
	imap_idle_reader_reset(&d->rd);
	d->capa = 0;
	if (!(d->multi = curl_multi_init()) || !(d->easy = curl_easy_init()) ||
	    imap_client_base_url(conf, &url)) {
		buf_free(&url);
		fail(d, conf, "out of memory", now);
		return;
	}
	imap_client_setup(d->easy, conf);
	curl_easy_setopt(d->easy, CURLOPT_URL, buf_str(&url));
	curl_easy_setopt(d->easy, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(d->easy, CURLOPT_ERRORBUFFER, d->errbuf);
	buf_free(&url);
	if (curl_multi_add_handle(d->multi, d->easy) != CURLM_OK) {
		fail(d, conf, "out of memory", now);
		return;
	}
	d->st = IMAP_IDLE_CONNECT;
	d->deadline = now + (TAME_IMAP_CONNECT_SECONDS + 5) * 1000;
}

/* Drives libcurl's connect; on success sends CAPABILITY. */
static void
connect_step(struct imap_idle *d, const struct imap_conf *conf,
    int64_t now)
{
	CURLMsg *m;
	int running, left;
	curl_socket_t s = CURL_SOCKET_BAD;

	curl_multi_perform(d->multi, &running);
	while ((m = curl_multi_info_read(d->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->data.result != CURLE_OK) {
			if (!d->errbuf[0])
				snprintf(d->errbuf, sizeof(d->errbuf), "%s",
				    curl_easy_strerror(m->data.result));
			fail(d, conf, "cannot connect", now);
			return;
		}
		if (curl_easy_getinfo(d->easy, CURLINFO_ACTIVESOCKET, &s) !=
		    CURLE_OK || s == CURL_SOCKET_BAD) {
			fail(d, conf, "no socket", now);
			return;
		}
		d->fd = s;
		command(d, IMAP_IDLE_CAPA, "CAPABILITY", NULL, now);
		return;
	}
}

struct turn {
	struct imap_idle *d;
	const struct imap_conf *conf;
	int64_t now;
};

/* Sends EXAMINE for the folder, quoted as imap_client.c quotes it. */
static int
examine(struct imap_idle *d, const struct imap_conf *conf, int64_t now)
{
	struct buf quoted, m;
	int rc = 0;

	buf_init(&quoted, sizeof(d->out) - 24);
	buf_init(&m, TAME_IMAP_URL_MAX * 4);
	if (imap_conf_mutf7(conf->folder, &m) ||
	    imap_conf_quote(buf_str(&m), &quoted)) {
		/* too long for this connection: poll */
		tame_log(TAME_LOG_INFO, "imap: %s: folder name too long for "
		    "IDLE; polling every %lld ms", conf->address,
		    (long long)conf->poll_ms);
		imap_idle_close(d, 0);
		d->st = IMAP_IDLE_UNOFFERED;
		rc = 1;
	} else {
		command(d, IMAP_IDLE_EXAMINE, "EXAMINE", buf_str(&quoted),
		    now);
	}
	buf_free(&quoted);
	buf_free(&m);
	return rc;
}

/* One line of the server, in the state we are in. Non-zero when the
 * connection failed (stop reading). */
static int
on_event(void *arg, enum imap_idle_ev ev, int64_t num)
{
	struct turn *t = arg;
	struct imap_idle *d = t->d;

	if (ev == IMAP_IDLE_EV_GARBAGE) {
		fail(d, t->conf, "server answered garbage", t->now);
		return 1;
	}
	if (ev == IMAP_IDLE_EV_BYE) {
		fail(d, t->conf, "server closed the connection", t->now);
		return 1;
	}
	if (ev == IMAP_IDLE_EV_FAIL) {
		fail(d, t->conf, d->st == IMAP_IDLE_EXAMINE ? "folder refused" :
		    "command refused", t->now);
		return 1;
	}
	switch (d->st) {
	case IMAP_IDLE_CAPA:
		if (ev == IMAP_IDLE_EV_CAP_IDLE)
			d->capa = 1;
		if (ev != IMAP_IDLE_EV_OK)
			break;
		if (!d->capa) {
			tame_log(TAME_LOG_INFO, "imap: %s: the server does not "
			    "offer IDLE; polling every %lld ms",
			    t->conf->address, (long long)t->conf->poll_ms);
			imap_idle_close(d, 0);
			d->st = IMAP_IDLE_UNOFFERED;
			return 1;
		}
		return examine(d, t->conf, t->now);
	case IMAP_IDLE_EXAMINE:
	case IMAP_IDLE_DONE:
		if (ev == IMAP_IDLE_EV_OK)
			command(d, IMAP_IDLE_START, "IDLE", NULL, t->now);
		break;
	case IMAP_IDLE_START:
		if (ev == IMAP_IDLE_EV_CONT) {
			d->st = IMAP_IDLE_IDLING;
			d->deadline = 0;
			d->renew_at = t->now + renew_ms();
			d->fails = 0;
			d->wake = 1;	/* what came before IDLE began */
			if (!d->announced)
				tame_log(TAME_LOG_INFO, "imap: %s: IDLE on "
				    "\"%s\": new mail is fetched as it "
				    "arrives", t->conf->address,
				    t->conf->folder);
			d->announced = 1;
		} else if (ev == IMAP_IDLE_EV_OK) {
			fail(d, t->conf, "IDLE ended at once", t->now);
			return 1;
		}
		break;
	case IMAP_IDLE_IDLING:
		if (ev == IMAP_IDLE_EV_EXISTS) {
			tame_log(TAME_LOG_DEBUG, "imap: %s: %lld EXISTS",
			    t->conf->address, (long long)num);
			d->wake = 1;
		} else if (ev == IMAP_IDLE_EV_OK) {
			/* the server ended IDLE itself: begin again */
			command(d, IMAP_IDLE_START, "IDLE", NULL, t->now);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Sends what is queued. */
static void
flush(struct imap_idle *d, const struct imap_conf *conf, int64_t now)
{
	size_t n = 0;
	CURLcode cc;

	while (d->outoff < d->outlen) {
		cc = curl_easy_send(d->easy, d->out + d->outoff,
		    d->outlen - d->outoff, &n);
		if (cc == CURLE_AGAIN)
			return;
		if (cc != CURLE_OK) {
			fail(d, conf, "connection lost", now);
			return;
		}
		d->outoff += n;
	}
	d->outlen = d->outoff = 0;
}

/* Reads what the server sent, up to TAME_IMAP_IDLE_READ_MAX bytes. */
static void
receive(struct imap_idle *d, const struct imap_conf *conf, int64_t now)
{
	char b[16384];
	size_t n, total = 0;
	CURLcode cc;
	struct turn t = { d, conf, now };
	int rc = 0;

	while (d->easy && d->fd != CURL_SOCKET_BAD && rc == 0 &&
	    total < TAME_IMAP_IDLE_READ_MAX) {
		n = 0;
		cc = curl_easy_recv(d->easy, b, sizeof(b), &n);
		if (cc == CURLE_AGAIN)
			break;
		if (cc != CURLE_OK || n == 0) {
			if (cc != CURLE_OK)
				snprintf(d->errbuf, sizeof(d->errbuf), "%s",
				    curl_easy_strerror(cc));
			fail(d, conf, "connection lost", now);
			break;
		}
		total += n;
		rc = imap_idle_feed(&d->rd, d->tag, b, n, on_event, &t);
		if (rc < 0)
			fail(d, conf, "server answered garbage", now);
	}
}

/* See imap_idle.h. */
int
imap_idle_tend(struct imap_idle *d, const struct imap_conf *conf,
    int64_t now, int64_t *wait)
{
	int wake;

	if (d->st == IMAP_IDLE_UNOFFERED)
		return 0;
	if (d->st == IMAP_IDLE_OFF && now >= d->retry_at)
		connect_start(d, conf, now);
	if (d->st == IMAP_IDLE_CONNECT)
		connect_step(d, conf, now);
	if (d->fd != CURL_SOCKET_BAD) {
		receive(d, conf, now);
		if (d->st == IMAP_IDLE_IDLING && now >= d->renew_at)
			command(d, IMAP_IDLE_DONE, NULL, NULL, now);
		if (d->outlen)
			flush(d, conf, now);
	}
	if (d->st != IMAP_IDLE_OFF && d->st != IMAP_IDLE_UNOFFERED &&
	    d->deadline && now >= d->deadline) {
		fail(d, conf, "server not answering", now);
	}
	/* when to come back */
	if (d->st == IMAP_IDLE_OFF && d->retry_at - now < *wait)
		*wait = d->retry_at > now ? d->retry_at - now : 0;
	if (d->deadline && d->deadline - now < *wait)
		*wait = d->deadline > now ? d->deadline - now : 0;
	if (d->st == IMAP_IDLE_IDLING && d->renew_at - now < *wait)
		*wait = d->renew_at > now ? d->renew_at - now : 0;
	if (d->st == IMAP_IDLE_CONNECT && *wait > 100)
		*wait = 100;	/* in case its sockets cannot be watched */
	if (d->outlen && *wait > 50)
		*wait = 50;
	wake = d->wake;
	d->wake = 0;
	return wake;
}

/* See imap_idle.h. */
int
imap_idle_fds(struct imap_idle *d, struct curl_waitfd *fds, int max)
{
	fd_set r, w, e;
	int maxfd = -1, fd, n = 0;

	if (d->fd != CURL_SOCKET_BAD && max > 0) {
		fds[0].fd = d->fd;
		fds[0].events = CURL_WAIT_POLLIN |
		    (d->outlen ? CURL_WAIT_POLLOUT : 0);
		fds[0].revents = 0;
		return 1;
	}
	if (d->st != IMAP_IDLE_CONNECT || !d->multi)
		return 0;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	if (curl_multi_fdset(d->multi, &r, &w, &e, &maxfd) != CURLM_OK)
		return 0;
	for (fd = 0; fd <= maxfd && n < max; fd++) {
		if (!FD_ISSET(fd, &r) && !FD_ISSET(fd, &w))
			continue;
		fds[n].fd = fd;
		fds[n].events = (FD_ISSET(fd, &r) ? CURL_WAIT_POLLIN : 0) |
		    (FD_ISSET(fd, &w) ? CURL_WAIT_POLLOUT : 0);
		fds[n].revents = 0;
		n++;
	}
	return n;
}
