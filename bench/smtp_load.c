/*
 * smtp_load.c - an SMTP load generator (after postfix's smtp-source).
 *
 *   smtp_load -c CONCURRENCY -n MESSAGES -s SIZE_BYTES -t rcpt@addr
 *             [-f from@addr] [-P] HOST:PORT
 *
 * Model: one thread per connection, blocking sockets. Each thread opens
 * one SMTP session (RFC 5321), sends its share of the messages in a loop
 * (MAIL, RCPT, DATA; every message has its own Message-ID and a body of
 * about SIZE bytes of text lines), and QUITs. By default each command
 * waits for its reply, as smtp-source does; with -P, MAIL, RCPT and DATA
 * go in one write and their replies are read after it (RFC 2920
 * PIPELINING, as Postfix's and Exim's SMTP clients send when the server
 * offers it). A connection that breaks is
 * opened again, and the message in flight counts as failed. The latency
 * of a message is the time from the end of its data (".") to the 250
 * that says it is stored. Prints one line:
 *
 *   messages=N ok=N failed=N seconds=S rate=R msg/s p50_ms=.. p99_ms=..
 *
 * Builds standalone: cc -O2 -Wall -Wextra -Werror -o build/smtp_load
 * bench/smtp_load.c -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOAD_REPLY_MAX  4096
#define LOAD_IO_SECONDS 60
#define LOAD_RECONNECTS 5   /* consecutive connection failures tolerated */

struct load_opts {
	const char *host;
	const char *port;
	const char *from;
	const char *to;
	long size;
	int pipelining;      /* -P */
};

struct worker {
	pthread_t thread;
	const struct load_opts *o;
	int index;
	long count;          /* messages to send */
	long ok, failed;
	double *lat_ms;      /* one per ok message */
	/* reply reader */
	int fd;
	char rbuf[LOAD_REPLY_MAX];
	size_t rlen;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Parses a whole decimal number in [min, max]; -1 on error. */
static long
parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

static int
load_connect(const struct load_opts *o)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { LOAD_IO_SECONDS, 0 };
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(o->host, o->port, &hints, &res))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one reply (all its lines); returns its code, or -1 when the
 * connection failed. */
static int
read_reply(struct worker *w)
{
	for (;;) {
		char *nl = memchr(w->rbuf, '\n', w->rlen);
		ssize_t n;

		if (nl) {
			size_t ll = (size_t)(nl - w->rbuf) + 1;
			int code = -1, last = 0;

			if (ll >= 4 && w->rbuf[0] >= '2' && w->rbuf[0] <= '5') {
				code = (w->rbuf[0] - '0') * 100 +
				    (w->rbuf[1] - '0') * 10 +
				    (w->rbuf[2] - '0');
				last = w->rbuf[3] != '-';
			} else {
				last = 1;  /* garbage: report it as an error */
			}
			memmove(w->rbuf, w->rbuf + ll, w->rlen - ll);
			w->rlen -= ll;
			if (last)
				return code;
			continue;
		}
		if (w->rlen == sizeof(w->rbuf))
			return -1;  /* a line longer than any reply */
		n = recv(w->fd, w->rbuf + w->rlen, sizeof(w->rbuf) - w->rlen,
		    0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		w->rlen += (size_t)n;
	}
}

/* Sends a command and waits for its reply code. */
static int
command(struct worker *w, const char *line)
{
	if (send_all(w->fd, line, strlen(line)) < 0)
		return -1;
	return read_reply(w);
}

static int
session_open(struct worker *w)
{
	char line[300];
	int n;

	w->rlen = 0;
	if ((w->fd = load_connect(w->o)) < 0)
		return -1;
	n = snprintf(line, sizeof(line), "EHLO smtp-load-%d.example\r\n",
	    w->index);
	if (n < 0 || (size_t)n >= sizeof(line) || read_reply(w) != 220 ||
	    command(w, line) != 250) {
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

/* Builds the message text (dot-stuffing is not needed: no line starts
 * with '.'). Returns a malloc'd buffer ending in CRLF.CRLF. */
static char *
make_message(const struct worker *w, long seq, size_t *len)
{
	static const char words[] = "the printer on the third floor says "
	    "paper jam again and the invoice for march is missing please "
	    "advise when someone can look at it thanks ";
	size_t cap = (size_t)w->o->size + 1024, n = 0;
	char *m = malloc(cap);
	int k;

	if (!m)
		return NULL;
	k = snprintf(m, cap, "From: <%s>\r\nTo: <%s>\r\n"
	    "Subject: load test %d-%ld\r\n"
	    "Message-ID: <load.%ld.%d.%ld.%ld@smtp-load.example>\r\n"
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "\r\n", w->o->from, w->o->to, w->index, seq, (long)getpid(),
	    w->index, seq, (long)time(NULL));
	if (k < 0 || (size_t)k >= cap) {
		free(m);
		return NULL;
	}
	n = (size_t)k;
	/* text lines of 72 characters until the body has size bytes */
	while (n < (size_t)w->o->size) {
		size_t want = (size_t)w->o->size - n, i, ll;

		ll = want > 74 ? 72 : (want > 2 ? want - 2 : 1);
		for (i = 0; i < ll; i++) {
			char ch = words[((size_t)seq + n) % (sizeof(words) - 1)];

			m[n++] = ch;
		}
		m[n++] = '\r';
		m[n++] = '\n';
	}
	memcpy(m + n, ".\r\n", 3);
	*len = n + 3;
	return m;
}

/* One message on the open session: 1 ok, 0 refused, -1 connection lost. */
static int
send_message(struct worker *w, long seq)
{
	char line[600], *msg;
	size_t len;
	double t0;
	int code, n;

	if (w->o->pipelining) {
		int c1, c2;

		n = snprintf(line, sizeof(line), "MAIL FROM:<%s>\r\n"
		    "RCPT TO:<%s>\r\nDATA\r\n", w->o->from, w->o->to);
		if (n < 0 || (size_t)n >= sizeof(line))
			return 0;
		if (send_all(w->fd, line, (size_t)n) < 0 ||
		    (c1 = read_reply(w)) < 0 || (c2 = read_reply(w)) < 0 ||
		    (code = read_reply(w)) < 0)
			return -1;
		if (c1 != 250 || c2 != 250 || code != 354) {
			/* a 354 after a refusal still wants the data: end
			 * it empty, then reset */
			if (code == 354 && (send_all(w->fd, ".\r\n", 3) < 0 ||
			    read_reply(w) < 0))
				return -1;
			return command(w, "RSET\r\n") < 0 ? -1 : 0;
		}
		goto data;
	}
	n = snprintf(line, sizeof(line), "MAIL FROM:<%s>\r\n", w->o->from);
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0;
	if ((code = command(w, line)) != 250)
		return code < 0 ? -1 : 0;
	n = snprintf(line, sizeof(line), "RCPT TO:<%s>\r\n", w->o->to);
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0;
	if ((code = command(w, line)) != 250)
		goto refused;
	if ((code = command(w, "DATA\r\n")) != 354)
		goto refused;
data:
	if (!(msg = make_message(w, seq, &len)))
		return -1;
	t0 = now_ms();
	code = send_all(w->fd, msg, len) < 0 ? -1 : read_reply(w);
	free(msg);
	if (code == 250) {
		w->lat_ms[w->ok] = now_ms() - t0;
		return 1;
	}
refused:
	if (code < 0)
		return -1;
	return command(w, "RSET\r\n") < 0 ? -1 : 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	long seq = 0;
	int fails = 0;

	w->fd = -1;
	while (seq < w->count) {
		int r;

		if (w->fd < 0 && session_open(w) < 0) {
			if (++fails > LOAD_RECONNECTS) {
				w->failed += w->count - seq;
				break;
			}
			usleep(100000);
			continue;
		}
		r = send_message(w, seq++);
		if (r > 0) {
			w->ok++;
			fails = 0;
		} else {
			w->failed++;
		}
		if (r < 0) {
			close(w->fd);
			w->fd = -1;
		}
	}
	if (w->fd >= 0) {
		command(w, "QUIT\r\n");
		close(w->fd);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: smtp_load -c CONCURRENCY -n MESSAGES "
	    "-s SIZE_BYTES -t rcpt@addr [-f from@addr] [-P] HOST:PORT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct load_opts o = { NULL, NULL, "load@smtp-load.example", NULL,
	    1024, 0 };
	struct worker *ws;
	long conc = 1, total = 100, i, ok = 0, failed = 0, nlat = 0, k;
	double t0, secs, *all, p50 = 0, p99 = 0;
	char *hostport, *colon;
	int opt;

	while ((opt = getopt(argc, argv, "c:n:s:t:f:P")) != -1) {
		switch (opt) {
		case 'c':
			conc = parse_long(optarg, 1, 10000);
			break;
		case 'n':
			total = parse_long(optarg, 1, 100000000);
			break;
		case 's':
			o.size = parse_long(optarg, 0, 100L * 1024 * 1024);
			break;
		case 't':
			o.to = optarg;
			break;
		case 'f':
			o.from = optarg;
			break;
		case 'P':
			o.pipelining = 1;
			break;
		default:
			usage();
		}
	}
	if (conc < 0 || total < 0 || o.size < 0 || !o.to ||
	    optind != argc - 1)
		usage();
	if (strlen(o.to) > 256 || strlen(o.from) > 256)
		usage();
	if (!(hostport = strdup(argv[optind])))
		return 1;
	if (hostport[0] == '[') {
		char *rb = strchr(hostport, ']');

		if (!rb || rb[1] != ':')
			usage();
		*rb = '\0';
		o.host = hostport + 1;
		o.port = rb + 2;
	} else {
		if (!(colon = strrchr(hostport, ':')))
			usage();
		*colon = '\0';
		o.host = hostport;
		o.port = colon + 1;
	}
	if (conc > total)
		conc = total;
	if (!(ws = calloc((size_t)conc, sizeof(*ws))) ||
	    !(all = calloc((size_t)total, sizeof(double))))
		return 1;
	t0 = now_ms();
	for (i = 0; i < conc; i++) {
		ws[i].o = &o;
		ws[i].index = (int)i;
		ws[i].count = total / conc + (i < total % conc);
		if (!(ws[i].lat_ms = calloc((size_t)ws[i].count + 1,
		    sizeof(double))))
			return 1;
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i])) {
			fprintf(stderr, "smtp_load: cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < conc; i++) {
		pthread_join(ws[i].thread, NULL);
		ok += ws[i].ok;
		failed += ws[i].failed;
		for (k = 0; k < ws[i].ok; k++)
			all[nlat++] = ws[i].lat_ms[k];
		free(ws[i].lat_ms);
	}
	secs = (now_ms() - t0) / 1000.0;
	if (nlat) {
		qsort(all, (size_t)nlat, sizeof(double), cmp_double);
		p50 = all[(nlat - 1) * 50 / 100];
		p99 = all[(nlat - 1) * 99 / 100];
	}
	printf("messages=%ld ok=%ld failed=%ld seconds=%.2f rate=%.1f msg/s "
	    "p50_ms=%.2f p99_ms=%.2f\n", total, ok, failed, secs,
	    secs > 0 ? (double)ok / secs : 0.0, p50, p99);
	free(all);
	free(ws);
	free(hostport);
	return failed ? 1 : 0;
}
