/*
 * imap_idle.h - IMAP IDLE (RFC 2177) for one mailbox: a second
 * connection that only waits for the server to say "new mail".
 * Internal to src/net/imap_*.c.
 *
 * Model: libcurl speaks IMAP one command at a time and has no IDLE, so
 * the import itself stays with imap_box.c (libcurl requests), and this
 * module keeps one more connection per mailbox, opened by libcurl with
 * CURLOPT_CONNECT_ONLY (TCP, TLS or STARTTLS, certificate checks and
 * login are libcurl's, with the mailbox's very settings) and then
 * driven with curl_easy_send/curl_easy_recv:
 *
 *   tN CAPABILITY     is IDLE offered? If not, the mailbox is polled
 *   tN EXAMINE "f"    read-only: this connection never changes a flag
 *   tN IDLE           "+ idling"; every "* N EXISTS" wakes the box,
 *                     which fetches as usual
 *   DONE, tN IDLE     every TAME_IMAP_IDLE_RENEW_MS (RFC 2177 asks for
 *                     less than 29 minutes)
 *
 * Nothing here parses IMAP responses: the reader below splits the
 * server's bytes into lines (passing over literals) and recognises the
 * few lines of that exchange. Anything it cannot place, a silent
 * server, or a dropped connection ends the IDLE connection; the box
 * then polls at its own interval and IDLE is tried again after a pause
 * that doubles per failure.
 */
#ifndef TAME_IMAP_IDLE_H
#define TAME_IMAP_IDLE_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "../core/imap_conf.h"

/* Limits of the IDLE connection (IMAP limits proper are in
 * tame_limits.h). A line we recognise is under 100 bytes; CAPABILITY
 * and FLAGS lines of real servers are under 2 kB; anything longer is
 * not a server we can idle with. */
#define TAME_IMAP_IDLE_LINE_MAX     (16 * 1024)
/* A literal on this connection can only be a folder name or keyword. */
#define TAME_IMAP_IDLE_LITERAL_MAX  (64 * 1024)
/* RFC 2177: re-issue IDLE at least every 29 minutes. */
#define TAME_IMAP_IDLE_RENEW_MS     (25 * 60 * 1000)
/* While IDLE is up, a round still runs this often (or at the poll
 * interval if that is longer), in case a notification was lost. */
#define TAME_IMAP_IDLE_POLL_MS      (5 * 60 * 1000)
/* After a failed IDLE connection, the first retry; it doubles per
 * failure up to TAME_IMAP_BACKOFF_MAX_MS. */
#define TAME_IMAP_IDLE_RETRY_MS     (30 * 1000)
/* Bytes read per turn, so a flooding server does not starve others. */
#define TAME_IMAP_IDLE_READ_MAX     (256 * 1024)
/* Sockets one IDLE connection may ask the poller to watch. */
#define TAME_IMAP_IDLE_FDS          4

/* ---- the line reader (pure: fuzzed by tests/fuzz/fuzz_imap_idle.c) */

enum imap_idle_ev {
	IMAP_IDLE_EV_NONE,      /* a line we need not act on */
	IMAP_IDLE_EV_EXISTS,    /* "* N EXISTS": num = N */
	IMAP_IDLE_EV_CONT,      /* "+ ...": IDLE accepted */
	IMAP_IDLE_EV_OK,        /* our tag, OK */
	IMAP_IDLE_EV_FAIL,      /* our tag, NO or BAD */
	IMAP_IDLE_EV_BYE,       /* "* BYE": the server is closing */
	IMAP_IDLE_EV_CAP_IDLE,  /* "* CAPABILITY" naming IDLE */
	IMAP_IDLE_EV_GARBAGE    /* not an IMAP response line */
};

struct imap_idle_reader {
	char line[TAME_IMAP_IDLE_LINE_MAX];
	size_t len;
	size_t skip;            /* literal bytes still to pass over */
	int cont;               /* the line goes on after a literal */
};

/* What line[0..n) (no CRLF) is, for a command tagged tag. cont: the
 * line is the rest of a response after a literal (never acted on).
 * *num gets N of "* N EXISTS". */
enum imap_idle_ev imap_idle_classify(const char *line, size_t n,
    const char *tag, int cont, int64_t *num);

/* Called per complete line; a non-zero return stops the feed. */
typedef int (*imap_idle_cb)(void *arg, enum imap_idle_ev ev, int64_t num);

void imap_idle_reader_reset(struct imap_idle_reader *r);
/* Feeds p[0..n) of the server's bytes; calls cb for every complete
 * line, classified with the tag the string tag holds at that moment.
 * Returns 0, 1 when cb stopped it, or -1 when the bytes cannot be IMAP
 * (a line over TAME_IMAP_IDLE_LINE_MAX, a literal over
 * TAME_IMAP_IDLE_LITERAL_MAX); reset r before feeding it again. */
int imap_idle_feed(struct imap_idle_reader *r, const char *tag,
    const char *p, size_t n, imap_idle_cb cb, void *arg);

/* ---- the connection */

enum imap_idle_state {
	IMAP_IDLE_OFF,          /* closed; opened again at retry_at */
	IMAP_IDLE_CONNECT,      /* libcurl connects and logs in */
	IMAP_IDLE_CAPA,         /* CAPABILITY sent */
	IMAP_IDLE_EXAMINE,      /* EXAMINE sent */
	IMAP_IDLE_START,        /* IDLE sent, waiting for "+" */
	IMAP_IDLE_IDLING,       /* waiting for EXISTS */
	IMAP_IDLE_DONE,         /* DONE sent, waiting for the tagged OK */
	IMAP_IDLE_UNOFFERED     /* the server has no IDLE: polled only */
};

struct imap_idle {
	enum imap_idle_state st;
	CURLM *multi;           /* a multi handle of its own: see .c */
	CURL *easy;
	curl_socket_t fd;       /* once connected */
	struct imap_idle_reader rd;
	char tag[16];
	unsigned seq;
	int capa;               /* IDLE seen in CAPABILITY */
	int wake;               /* tell the box: look for new mail */
	int announced;          /* "IDLE is up" was logged */
	char out[1024];         /* the command being sent */
	size_t outlen, outoff;
	int64_t deadline;       /* an answer is due by then; 0 if none */
	int64_t renew_at, retry_at;
	int fails;
	const char *why;        /* why it failed, for the log */
	char errbuf[CURL_ERROR_SIZE];
};

void imap_idle_init(struct imap_idle *d);
/* Closes the connection (if any). The retry time and failure count
 * stay unless forget is set (new settings). */
void imap_idle_close(struct imap_idle *d, int forget);
/* Does whatever is due on the connection for the mailbox conf
 * (borrowed): opens it at retry_at, reads and answers the server,
 * renews IDLE, gives up on a silent server. Returns 1 when the box
 * should look for new mail now (EXISTS, IDLE just began, or IDLE just
 * failed and the poll interval takes over). *wait gets the
 * milliseconds until it wants a turn again (lowered, never raised). */
int imap_idle_tend(struct imap_idle *d, const struct imap_conf *conf,
    int64_t now, int64_t *wait);
/* The sockets to watch until the next turn, into fds (at most max).
 * Returns how many. */
int imap_idle_fds(struct imap_idle *d, struct curl_waitfd *fds, int max);
/* 1 while the server is expected to tell us of new mail. */
int imap_idle_up(const struct imap_idle *d);

#endif
