/*
 * smtp_server_impl.h - the inside of the SMTP/LMTP listener, shared by
 * smtp_server.c (the event loop, accepting, start and stop) and
 * smtp_conn.c (one connection: replies, commands, DATA, the hand-off to
 * the queue). Nothing else includes it.
 *
 * A connection lives in srv->conns[slot]; its epoll data is (generation
 * << 16 | slot), so an event or a queue completion meant for a
 * connection that has gone (and whose slot was reused) finds a different
 * generation and is dropped.
 */
#ifndef TAME_SMTP_SERVER_IMPL_H
#define TAME_SMTP_SERVER_IMPL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include "../core/buf.h"
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
/* Room for our trace headers (Return-Path, Received) in front of a
 * message: with a 256-byte sender and recipient, a 127-byte HELO name,
 * an IPv6 peer and a 255-byte --hostname they come to about 1,100 bytes
 * (conn_add_received checks at compile time that the longest fits).
 * 1024 did not always: a message near the SIZE limit then got 552. */
#define SMTP_TRACE_MAX  2048
#define SMTP_READ_CHUNK (16 * 1024)
#define SMTP_KNOWN_MAX  64   /* mailbox addresses remembered */
/* Waiting senders answered 421 at a time while out of descriptors; the
 * rest wait for the end of the pause (TAME_SMTP_ACCEPT_PAUSE_MS). */
#define SMTP_SHORT_BATCH 64

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
	int in_unwanted;    /* input came while we wanted none: drop EPOLLIN */
	time_t last;        /* CLOCK_MONOTONIC seconds of the last input */
	time_t progress;    /* ... of the connection or its last message
	                       taken: commands alone (NOOP every minute)
	                       do not hold a slot for ever */
	time_t data_start;  /* ... of the 354: a message dripped in byte
	                       by byte does not either */
	time_t stuck;       /* closing, replies unsent since (0: not seen) */
	char peer[INET6_ADDRSTRLEN + 8];
	char *helo;         /* the client's name, NULL before HELO */
	char *mail_from;    /* NULL outside a transaction; "" for <> */
	char *rcpts[TAME_SMTP_RCPT_MAX];
	size_t nrcpt;
	uint64_t queue_id;
	struct buf in, out, msg;
	size_t held;        /* msg.len as counted in smtp_server.held,
	                       kept while the message waits to be stored */
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
	/* Mailbox addresses found in the store (lower case). An address
	 * never changes and a mailbox is never removed, so a known one
	 * needs no second look; an unknown one is looked up every time,
	 * as it may be added. */
	char *known[SMTP_KNOWN_MAX];
	unsigned nknown;
	struct conn *conns[TAME_SMTP_CONN_MAX];
	uint64_t gens[TAME_SMTP_CONN_MAX];
	unsigned nconns;
	unsigned conn_max;      /* of nconns; TAME_SMTP_CONN_MAX or fewer */
	unsigned peer_max;      /* ... from one address */
	time_t refused_logged;  /* when a refused connection was logged */
	/* Out of descriptors (or any accept() failure): the listeners are
	 * not watched until paused_until (tame_mono_ms(), 0: watched);
	 * the episode began at short_since (0: none), and short_refused
	 * senders were answered 421 on spare_fd, a descriptor on /dev/null
	 * given up for a moment for each (-1 while it cannot be had). */
	int64_t paused_until;
	int64_t short_since;
	unsigned short_refused;
	int spare_fd;
	size_t held;         /* bytes of messages being received, all
	                        connections ... */
	size_t held_max;     /* ... and their limit, TAME_SMTP_HELD_MAX
	                        or the test's */
	uint64_t next_queue_id;
	int64_t idle_s;      /* TAME_SMTP_IDLE_SECONDS, or the test's */
	int64_t data_s;      /* TAME_SMTP_DATA_SECONDS, or the admin's */
	atomic_int stop;
	pthread_mutex_t mu;   /* guards what follows */
	pthread_cond_t cond;
	struct done_ev *done_head, **done_tail;
	unsigned inflight;    /* submitted, callback not yet run */
};

static inline time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* smtp_conn.c, used by the loop in smtp_server.c */
void smtp_conn_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writes what it can of out. Returns -1 when the connection is dead. */
int smtp_conn_flush(struct conn *c);
/* Unregisters, closes and frees c and its slot. */
void smtp_conn_close(struct smtp_server *srv, struct conn *c);
/* Ends the transaction: sender, recipients and message are freed. */
void smtp_conn_reset_tx(struct smtp_server *srv, struct conn *c);
/* Counts c->msg's bytes in srv->held again, after it grew or was
 * taken. */
void smtp_conn_held(struct smtp_server *srv, struct conn *c);
/* One reply for SMTP, one per accepted recipient for LMTP. */
void smtp_conn_reply_all(struct conn *c, int code, const char *text);
/* Processes, writes, and decides the connection's fate. Returns 0 if c
 * is still open (-1: c was closed and freed). */
int smtp_conn_run(struct smtp_server *srv, struct conn *c);
/* Handles the epoll events ev of c; c may be freed on return. */
void smtp_conn_event(struct smtp_server *srv, struct conn *c, uint32_t ev);

#endif
