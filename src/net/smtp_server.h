/*
 * smtp_server.h - the SMTP (RFC 5321) and LMTP (RFC 2033) listener.
 *
 * Model: one thread runs an epoll event loop over every connection (no
 * thread per client). Each connection is a small state machine fed by
 * the command parser (smtp_proto.c). At the end of DATA the message is
 * handed to the group-commit queue (ingestq); the reply (250, or 451) is
 * written only when the queue reports the message durably committed.
 * Extensions: PIPELINING, 8BITMIME, SIZE, ENHANCEDSTATUSCODES.
 * RCPT is accepted only for configured mailboxes (550 otherwise: never an
 * open relay). Limits from tame_limits.h.
 */
#ifndef TAME_SMTP_SERVER_H
#define TAME_SMTP_SERVER_H

#include "../core/err.h"
#include "ingestq.h"

struct smtp_server;

struct smtp_server_config {
	const char *datadir;   /* for the mailbox lookups of RCPT */
	const char *smtp_addr; /* "127.0.0.1:2525" or NULL */
	const char *lmtp_addr; /* "127.0.0.1:2424", a socket path, or NULL */
	const char *hostname;  /* for the greeting; "localhost" if NULL */
	struct ingestq *queue; /* borrowed */
	unsigned conn_max;     /* connections at once, a quarter of them
	                          from one address; 0 or over
	                          TAME_SMTP_CONN_MAX: that */
};

/* Binds the listeners (failing at once if an address is taken) and
 * starts the thread. */
enum tame_err smtp_server_start(const struct smtp_server_config *cfg,
    struct smtp_server **out);
/* Closes the listeners, answers the messages the queue holds as it
 * stores them (for at most TAME_SMTP_STOP_SECONDS), tells every other
 * connection 421 and closes it, joins the thread, frees srv. The queue
 * must still run. */
void smtp_server_stop(struct smtp_server *srv);

#endif
