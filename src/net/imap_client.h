/*
 * imap_client.h - one IMAP account spoken to through libcurl.
 *
 * Model: a struct imap_client wraps one curl easy handle configured for
 * a mailbox's settings (TLS, certificate trust, credentials, timeouts).
 * The handle has a connection pool of its own (a curl share object),
 * so a connection is reused only with the very settings it was made
 * with: never by another mailbox, never after a change of CA or pin.
 * Each request is prepared by one imap_client_* call and then run either
 * by the poller's multi handle or, for the connection test, blocking.
 * libcurl keeps the connection between requests and speaks the
 * protocol (RFC 3501 IMAP4rev1, RFC 8314 implicit TLS, RFC 2595
 * STARTTLS); we only send custom commands and read back the few
 * untagged lines we need (STATUS, SEARCH) and the message bytes.
 * Nothing here parses IMAP beyond single response lines.
 */
#ifndef TAME_IMAP_CLIENT_H
#define TAME_IMAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "../core/buf.h"
#include "../core/err.h"
#include "../core/imap_conf.h"

/* Capabilities seen in the server's CAPABILITY answers. */
#define IMAP_CAP_MOVE    1u   /* RFC 6851 */
#define IMAP_CAP_UIDPLUS 2u   /* RFC 4315: UID EXPUNGE */

/* What a request was, for error texts. */
enum imap_req {
	IMAP_REQ_STATUS,   /* login, NOOP and STATUS: the start of a round */
	IMAP_REQ_EXAMINE,
	IMAP_REQ_SEARCH,
	IMAP_REQ_FETCH,
	IMAP_REQ_ACTION    /* STORE / MOVE / EXPUNGE after import */
};

struct imap_client {
	CURL *easy;
	CURLSH *share;          /* this client's own connection pool */
	enum imap_req req;
	struct buf body;        /* what the current request returned */
	struct buf base;        /* "imap[s]://host:port/" */
	struct buf folder;      /* the folder, modified UTF-7, URL-encoded */
	struct buf qfolder;     /* the folder as an IMAP quoted string */
	struct buf qmove;       /* the move target, quoted ("" if none) */
	struct buf url;         /* scratch: the current request's URL */
	struct buf cmd;         /* scratch: the current custom command */
	char last_line[256];    /* the line that explains a failure */
	int refused;            /* this request: a tagged NO or BAD, kept
	                         * in last_line (the LOGOUT after it is not) */
	int kept;               /* last_line is a failure's, not an OK */
	char errbuf[CURL_ERROR_SIZE];
	int64_t announced;      /* size a FETCH announced, -1 if none */
	int too_large;          /* the message is over the limit */
	unsigned caps;          /* IMAP_CAP_* seen so far */
	/* whether the folder is EXAMINEd on the connection (see
	 * imap_client_read_only) */
	int ro;
	int sel_seen;           /* this request: a SELECT/EXAMINE answer */
	int rw_seen;            /* this request: [READ-WRITE] */
	curl_socket_t fd;       /* the connection the pool opened last, or
	                         * CURL_SOCKET_BAD (imap_client_hangup) */
};

/* Shuts c's connection down, so that abandoning its transfer or freeing
 * it does not wait for the server: libcurl says LOGOUT then and waits up
 * to TAME_IMAP_STALL_SECONDS for the answer, which a server that stopped
 * answering never sends, holding up every mailbox and tamed's stop. */
void imap_client_hangup(struct imap_client *c);

/* Prepares c for the settings conf (borrowed only during the call).
 * TAME_EINVAL for a folder name that cannot be sent. Free with
 * imap_client_free() even on failure. */
enum tame_err imap_client_init(struct imap_client *c,
    const struct imap_conf *conf);
void imap_client_free(struct imap_client *c);

/* Appends "imap[s]://host:port/" for conf to out. */
enum tame_err imap_client_base_url(const struct imap_conf *conf,
    struct buf *out);
/* Sets on easy what every connection of the mailbox conf needs:
 * credentials, TLS and certificate trust, timeouts, size limit. conf's
 * strings are copied by libcurl. Used for the IDLE connection too
 * (imap_idle.c), so both connect alike. */
void imap_client_setup(CURL *easy, const struct imap_conf *conf);

/* Prepare the next request (the body is emptied):
 * NOOP on the folder (selecting it first if this connection has not:
 * the server then shows new messages to this session, RFC 3501 6.1.2);
 * STATUS of the folder (UIDVALIDITY UIDNEXT MESSAGES), which a server
 * answers from the session's view when the folder is selected, hence
 * the NOOP before; UID SEARCH of the UIDs from..to; the message with uid
 * (BODY[], into body); or one custom command on the selected folder.
 * uidvalidity, when not 0, makes libcurl refuse a folder whose
 * UIDVALIDITY changed (RFC 5092 ;UIDVALIDITY=). */
enum tame_err imap_client_noop(struct imap_client *c);
/* EXAMINE the folder (custom command): read-only for this session, so
 * that fetching BODY[] does not set \Seen message by message (a server
 * then rewrites its index once per message, and the flag would come
 * before the message is stored; the action, on another connection,
 * sets it for a whole chunk at once). libcurl still counts the folder
 * as selected (by the NOOP before), so the fetches that follow go
 * straight to it; should libcurl reconnect, it SELECTs again, which
 * imap_client_read_only() then tells. */
enum tame_err imap_client_examine(struct imap_client *c,
    int64_t uidvalidity);
enum tame_err imap_client_status(struct imap_client *c);
enum tame_err imap_client_search(struct imap_client *c, int64_t uidvalidity,
    int64_t from, int64_t to);
enum tame_err imap_client_fetch(struct imap_client *c, int64_t uidvalidity,
    int64_t uid);
/* A one-byte FETCH (BODY[]<0.1>) of uid, fetched before: its answer
 * carries the changes other sessions made since the last command. */
enum tame_err imap_client_probe(struct imap_client *c, int64_t uidvalidity,
    int64_t uid);
enum tame_err imap_client_command(struct imap_client *c,
    int64_t uidvalidity, const char *cmd, size_t len);

/* To be called when the request on c->easy has finished with cc: notes
 * whether the folder is now read-only on the connection. */
void imap_client_finished(struct imap_client *c, CURLcode cc);
/* 1 when the folder is known to be EXAMINEd (read-only) on the
 * connection: an EXAMINE succeeded, and since then no request made a
 * new connection, saw a SELECT answer (libcurl selects by itself on a
 * new connection or another UIDVALIDITY) or failed. A FETCH of BODY[]
 * then sets no \Seen. */
int imap_client_read_only(const struct imap_client *c);

/* Every response line of the server, as libcurl's header callback (arg
 * is c): notes capabilities, SELECT answers, the line that explains a
 * failure (last_line, printable ASCII) and a FETCH's announced size;
 * returns 0, which stops the transfer, for a message over
 * TAME_SMTP_MESSAGE_MAX. Public for the fuzz target. */
size_t imap_client_on_line(char *p, size_t size, size_t nmemb, void *arg);

/* Reads the STATUS answer in body: TAME_OK with the three numbers (0 for
 * any the server left out), TAME_EPARSE without a STATUS line. */
enum tame_err imap_client_parse_status(const struct imap_client *c,
    int64_t *uidvalidity, int64_t *uidnext, int64_t *messages);
/* The UIDVALIDITY of an EXAMINE answer in body, 0 if none. */
int64_t imap_client_parse_uidvalidity(const struct imap_client *c);
/* Reads the UIDs of the SEARCH answers in body that are > after and,
 * when before > 0, < before (the UIDNEXT the server gave: a UID past it
 * would move the import past mail still to come), in ascending order
 * and each once, into uids (at most max). Returns how many;
 * TAME_EPARSE (as -1) for a bad number. */
long imap_client_parse_search(const struct imap_client *c, int64_t after,
    int64_t before, int64_t *uids, size_t max);

/* The after-import action for the messages uids[0..n) (ascending), as
 * custom commands for imap_client_command(), appended to out one a line
 * ('\n' after each; *nacts of them, 0 when n is 0), to be sent on a
 * connection where libcurl has SELECTed the folder (writable); per
 * TAME_IMAP_ACT_UIDS (TAME_IMAP_SEEN_UIDS for seen) UIDs
 * seen:   UID STORE set +FLAGS.SILENT (\Seen)
 * move:   UID MOVE set "folder" (RFC 6851), or without MOVE:
 *         UID COPY, UID STORE +FLAGS.SILENT (\Deleted), expunge
 * delete: UID STORE +FLAGS.SILENT (\Deleted), UID EXPUNGE set
 *         (RFC 4315), or plain EXPUNGE without UIDPLUS. */
enum tame_err imap_client_actions(const struct imap_client *c,
    enum imap_after after, const int64_t *uids, size_t n, struct buf *out,
    size_t *nacts);

/* The plain-language error for result cc of the last request ("login
 * refused", "certificate not trusted", "folder not found", "server not
 * reachable", "server answered garbage", "connection lost", "message
 * too large", ...). A static string. detail (dlen bytes) gets what the server or libcurl
 * said. */
const char *imap_client_error(struct imap_client *c, CURLcode cc,
    char *detail, size_t dlen);

/* Blocking connection test for the API: log in, STATUS the folder and
 * the move target. Returns NULL when all is well (with *messages and
 * *uidvalidity of the folder), else the plain-language error with
 * detail filled. Answers within TAME_IMAP_TEST_SECONDS. */
const char *imap_client_test(const struct imap_conf *conf,
    int64_t *messages, int64_t *uidvalidity, char *detail, size_t dlen);

#endif
