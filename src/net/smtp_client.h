/*
 * smtp_client.h - one message handed to an SMTP relay with libcurl:
 * a mailbox's own relay (relay_conf.h) or tamed's global --relay URL.
 * Used by the outbox sender and by the test-send of the API.
 *
 * Model: one call, one connection, one message; the answer is sent,
 * try again later, or refused for good, with a short plain-language
 * reason ("login refused", "certificate not trusted", ...) and the
 * library's own words beside it for whoever debugs.
 */
#ifndef TAME_SMTP_CLIENT_H
#define TAME_SMTP_CLIENT_H

#include <stddef.h>
#include "../core/relay_conf.h"

enum smtp_client_result {
	SMTP_CLIENT_SENT = 0,
	SMTP_CLIENT_RETRY,      /* the relay may take it later */
	SMTP_CLIENT_UNREACHABLE,/* the same, but the relay could not be
	                           reached or did not answer in time: its
	                           other mail would wait as long */
	SMTP_CLIENT_REFUSED     /* a 5xx refusal of sender, the first
	                           recipient or message: sending again will
	                           not help */
};

struct smtp_client_job {
	const struct relay_conf *relay;  /* the mailbox's relay, or tamed's
	                                    --relay */
	int try_tls;                     /* plain smtp:// uses STARTTLS when
	                                    the relay offers it (--relay) */
	const char *mail_from;
	const char *rcpts;               /* addresses joined by ',' */
	const char *raw;                 /* the message, CRLF line ends */
	size_t len;
	long timeout_s;                  /* the whole exchange; each answer
	                                    is waited for up to this, at most
	                                    10 minutes (RFC 5321 4.5.3.2) */
	const int *stop;                 /* set (atomically): give up, to
	                                    try again later: at once before
	                                    the message is all sent, after
	                                    30 s more once it is; may be
	                                    NULL */
	/* Called once the relay has taken the message, before the
	 * connection is closed (the relay may take its time over QUIT);
	 * note names recipients it refused, or is ""; first_refused when
	 * it refused the first of rcpts (a reply's customer) for good
	 * (5xx); later lists the others it refused for now (4xx), joined
	 * by ',' ("" none), to be sent to again. A 4xx for the first
	 * recipient sends nothing: the whole message is to be tried again
	 * (SMTP_CLIENT_RETRY). May be NULL. */
	void (*sent)(void *arg, const char *note, int first_refused,
	    const char *later);
	void *sent_arg;
};

/* Sends job. A login to a relay on another machine goes only over TLS:
 * a plain smtp:// relay with a user is sent to with STARTTLS required,
 * and one that does not offer it keeps the mail (SMTP_CLIENT_RETRY),
 * its password unsent. error (errlen bytes) gets the plain-language
 * reason and
 * detail (detlen bytes) what libcurl and the relay said (its last reply
 * line). When sent, error is "" and detail names the recipients the
 * relay refused while taking the others ("" when none). Names no
 * password. Thread-safe (curl_global_init done). */
enum smtp_client_result smtp_client_send(const struct smtp_client_job *job,
    char *error, size_t errlen, char *detail, size_t detlen);

#endif
