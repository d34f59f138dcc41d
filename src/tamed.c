/*
 * tamed.c - the Tame daemon's main.
 *
 * Starts, in order: the store (schema migrations), the group-commit
 * ingest queue, the outbox sender, the IMAP poller (mail from existing
 * mailboxes, into the queue), the SMTP/LMTP listener and the HTTP
 * server; then waits for SIGINT or SIGTERM and stops them in reverse, so
 * that every message that got a 250 is committed and every queued reply
 * stays queued. Each thread owns its own store connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include "core/auth.h"
#include "core/buf.h"
#include "core/relay_conf.h"
#include "core/util.h"
#include "mail/mime.h"
#include "net/http_api.h"
#include "net/http_async.h"
#include "net/http_events.h"
#include "net/http_session.h"
#include "net/imap_poll.h"
#include "net/intel.h"
#include "net/ingestq.h"
#include "net/outbox.h"
#include "net/smtp_server.h"
#include "store/store.h"
#include "tame_limits.h"

/* To stdout with exit 0 when asked for (--help), else to stderr with
 * 64 (EX_USAGE). */
static void
usage(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: tamed --data DIR [--http ADDR:PORT] [--smtp ADDR:PORT]\n"
	    "             [--lmtp PATH|ADDR:PORT] [--relay URL] "
	    "[--hostname NAME]\n"
	    "             [--proxy ADDR[/BITS][,ADDR[/BITS]...]]\n"
	    "Defaults: --http 127.0.0.1:8080 --smtp 127.0.0.1:2525\n"
	    "The relay may be given as TAME_RELAY in the environment instead,"
	    "\nwhich keeps its password out of the process list.\n");
	exit(asked ? 0 : 64);
}

/* The relay URL as logged: its password left out. */
static void
relay_shown(const char *url, char *out, size_t outlen)
{
	struct relay_conf rc;
	struct buf b;
	char err[128];
	const char *host = strstr(url, "://"), *at;

	memset(&rc, 0, sizeof(rc));
	buf_init(&b, 4096);
	if (relay_conf_parse_url(url, &rc, err, sizeof(err)) == TAME_OK &&
	    relay_conf_url(&rc, &b) == TAME_OK && buf_add(&b, "", 1) == 0) {
		snprintf(out, outlen, "%s", b.data);
	} else if (host) {
		/* not a URL tamed reads itself: shown without any login */
		host += 3;
		at = memrchr(host, '@', strcspn(host, "/"));
		snprintf(out, outlen, "%.*s%s", (int)(host - url), url,
		    at ? at + 1 : host);
	} else {
		snprintf(out, outlen, "%s", url);
	}
	buf_free(&b);
	relay_conf_clear(&rc);
}

/* Descriptors tamed wants: 1,024 HTTP and 512 SMTP connections, the
 * store's files, the rest. */
#define TAMED_FILES_WANTED 2048

_Static_assert(TAME_SMTP_CONN_MAX * 4 == TAMED_FILES_WANTED,
    "SMTP connections are a quarter of the descriptors");

/* Takes the hard limit on open files as the soft one: the usual soft
 * 1,024 would run out before the HTTP connection limit, and the
 * acceptor would leave clients waiting instead of answering 503.
 * Answers the SMTP/LMTP connections to take at once: a quarter of the
 * limit, as TAME_SMTP_CONN_MAX is of TAMED_FILES_WANTED. Without that,
 * 60 idle senders under ulimit -n 64 took every descriptor: half of
 * them waited without a greeting, and the store could not be opened
 * for a health check. */
static unsigned
raise_open_files(void)
{
	struct rlimit rl;
	unsigned smtp = TAME_SMTP_CONN_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return smtp;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= TAMED_FILES_WANTED)
		return smtp;
	smtp = rl.rlim_cur >= 8 ? (unsigned)rl.rlim_cur / 4 : 1;
	tame_log(TAME_LOG_WARN, "only %llu open files allowed (ulimit -n), "
	    "%d wanted: at most %u SMTP/LMTP connections at once (a quarter "
	    "of them from one address), more are answered 421; web clients "
	    "may wait for a free descriptor", (unsigned long long)rl.rlim_cur,
	    TAMED_FILES_WANTED, smtp);
	return smtp;
}

/* Why tamed cannot start, for its last words: tame_strerror(rc), and
 * out of descriptors, the limit that was too low. Returns buf. */
static const char *
start_error(enum tame_err rc, char *buf, size_t n)
{
	struct rlimit rl;

	if (rc != TAME_EFILES || getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY ||
	    (size_t)snprintf(buf, n, "%s (ulimit -n allows %llu; tamed "
	    "wants %d)", tame_strerror(rc), (unsigned long long)rl.rlim_cur,
	    TAMED_FILES_WANTED) >= n)
		return tame_strerror(rc);
	return buf;
}

/* After the ingest writer commits: acknowledgements may wait in the
 * outbox, open inboxes show the new mail, and the queue intelligence
 * reads it (tone, flags, trends). */
static void
kick_outbox(void *arg)
{
	outbox_kick(arg);
	http_events_poke();
	intel_kick(intel_get());
}

/* One tamed per data directory: a second would send every queued reply
 * and acknowledgement again. The lock on DATA/tamed.lock goes with the
 * process (its descriptor is never closed); tame deliver and import,
 * which share the store by design, do not take it. */
static int
lock_data(const char *data)
{
	enum tame_err rc;
	int fd;

	if ((rc = store_lock_dir(data, &fd)) == TAME_OK)
		return 0;
	if (rc == TAME_EBUSY)
		fprintf(stderr, "tamed: another tamed is running on %s (its "
		    "tamed.lock is taken); stop that one first\n", data);
	else
		fprintf(stderr, "tamed: cannot lock %s/tamed.lock: %s\n", data,
		    strerror(errno));
	return -1;
}

int
main(int argc, char **argv)
{
	const char *data = NULL, *http = "127.0.0.1:8080";
	const char *smtp = "127.0.0.1:2525", *lmtp = NULL, *relay = NULL;
	const char *hostname = "localhost", *proxy = NULL;
	struct store *s = NULL;
	struct ingestq *q = NULL;
	struct outbox *ob = NULL;
	struct imap_poll *imap = NULL;
	struct intel *intel = NULL;
	struct smtp_server *srv = NULL;
	struct http_api *api = NULL;
	struct smtp_server_config sc;
	struct http_api_config hc;
	const struct {
		const char *name;
		const char **val;
	} opts[] = {
		{ "--data", &data }, { "--http", &http }, { "--smtp", &smtp },
		{ "--lmtp", &lmtp }, { "--relay", &relay },
		{ "--hostname", &hostname }, { "--proxy", &proxy },
	};
	const size_t nopts = sizeof(opts) / sizeof(opts[0]);
	sigset_t set;
	size_t k;
	int i, sig, status = 1;
	unsigned smtp_conns;
	enum tame_err rc;
	int64_t t0 = tame_now_ms();
	char shown[512], why[128];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--version") == 0) {
			printf("tamed %s\n", TAME_VERSION);
			return 0;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			usage(1);
		for (k = 0; k < nopts && strcmp(a, opts[k].name); k++)
			;
		if (k == nopts) {
			fprintf(stderr, "tamed: unknown option %s\n", a);
			usage(0);
		}
		if (!v) {
			fprintf(stderr, "tamed: %s needs a value\n", a);
			usage(0);
		}
		/* --smtp '' turns SMTP off */
		*opts[k].val = *v || opts[k].val != &smtp ? v : NULL;
		i++;
	}
	if (!data) {
		fprintf(stderr, "tamed: --data is missing\n");
		usage(0);
	}
	if (!relay && getenv("TAME_RELAY") && *getenv("TAME_RELAY"))
		relay = getenv("TAME_RELAY");
	/* as tame mailbox --relay checks it: an ftp:// or a port out of
	 * range would be tried (and the password sent) at every reply */
	if (relay) {
		struct relay_conf rc_;
		char why[200];

		memset(&rc_, 0, sizeof(rc_));
		if (relay_conf_parse_url(relay, &rc_, why, sizeof(why))) {
			fprintf(stderr, "tamed: bad relay URL: %s\n", why);
			return 1;
		}
		if (relay_conf_login_in_clear(&rc_))
			tame_log(TAME_LOG_WARN, "relay %s is on another machine "
			    "and has a login: STARTTLS is required for it (a "
			    "relay without it keeps the replies waiting)",
			    rc_.host);
		relay_conf_clear(&rc_);
	}
	/* whose X-Forwarded-For names the client (the login throttle) */
	if (proxy && http_session_proxies(proxy, why, sizeof(why))) {
		fprintf(stderr, "tamed: bad --proxy: %s\n", why);
		return 1;
	}
	if (getenv("TAME_LOG") && strcmp(getenv("TAME_LOG"), "debug") == 0)
		tame_log_set_level(TAME_LOG_DEBUG);
	/* a mistyped --data would make an empty store, refuse every mail
	 * with 550 (no such mailbox) and say "ok": tame init makes one */
	switch (store_exists(data)) {
	case 1:
		break;
	case 0:
		fprintf(stderr, "tamed: no store in %s (tame --data %s init "
		    "makes one)\n", data, data);
		return 1;
	default:
		fprintf(stderr, "tamed: cannot use data directory %s: %s\n",
		    data, strerror(errno));
		return 1;
	}
	if (lock_data(data))
		return 1;
	/* every thread inherits the blocked signals; main waits for them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	smtp_conns = raise_open_files();
	if (auth_init() || curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "tamed: cannot initialise libraries\n");
		return 1;
	}
	mime_init();
	if ((rc = store_open(data, 1, &s))) {
		fprintf(stderr, "tamed: cannot open store in %s: %s\n", data,
		    start_error(rc, why, sizeof(why)));
		return 1;
	}
	store_close(s);
	if ((rc = ingestq_start(data, &q)) ||
	    (rc = outbox_start(data, relay, &ob))) {
		fprintf(stderr, "tamed: cannot start: %s\n",
		    start_error(rc, why, sizeof(why)));
		goto out;
	}
	ingestq_set_after_commit(q, kick_outbox, ob);
	/* trends, tone, flags (intel.h); TAME_INTEL=off runs without */
	if ((!getenv("TAME_INTEL") || strcmp(getenv("TAME_INTEL"), "off")) &&
	    (rc = intel_start(data, &intel))) {
		fprintf(stderr, "tamed: cannot start the queue intelligence: "
		    "%s\n", start_error(rc, why, sizeof(why)));
		goto out;
	}
	/* mail from existing mailboxes (imap_poll.h); it feeds the queue */
	if ((rc = imap_poll_start(data, q, &imap))) {
		fprintf(stderr, "tamed: cannot start the IMAP poller: %s\n",
		    start_error(rc, why, sizeof(why)));
		goto out;
	}
	memset(&sc, 0, sizeof(sc));
	sc.datadir = data;
	sc.smtp_addr = smtp;
	sc.lmtp_addr = lmtp;
	sc.hostname = hostname;
	sc.queue = q;
	sc.conn_max = smtp_conns;
	if ((smtp || lmtp) && (rc = smtp_server_start(&sc, &srv))) {
		fprintf(stderr, "tamed: cannot listen for SMTP/LMTP: %s\n",
		    start_error(rc, why, sizeof(why)));
		goto out;
	}
	memset(&hc, 0, sizeof(hc));
	hc.datadir = data;
	hc.listen = http;
	hc.outbox = ob;
	hc.queue = q;
	if ((rc = http_api_start(&hc, &api))) {
		fprintf(stderr, "tamed: cannot listen for HTTP on %s: %s\n",
		    http, start_error(rc, why, sizeof(why)));
		goto out;
	}
	if (relay)
		relay_shown(relay, shown, sizeof(shown));
	tame_log(TAME_LOG_INFO, "tamed %s ready in %lld ms: http %s, smtp %s%s%s"
	    ", relay %s", TAME_VERSION, (long long)(tame_now_ms() - t0), http,
	    smtp ? smtp : "off", lmtp ? ", lmtp " : "", lmtp ? lmtp : "",
	    relay ? shown : "none (replies stay queued)");
	fflush(stderr);
	/* a hangup (a closed terminal, a log rotator's habit) stops
	 * nothing: tamed has no file to reopen or reread */
	while (sigwait(&set, &sig) == 0) {
		if (sig != SIGHUP) {
			tame_log(TAME_LOG_INFO, "signal %d: stopping", sig);
			break;
		}
		tame_log(TAME_LOG_INFO, "SIGHUP ignored: SIGTERM or SIGINT "
		    "stops tamed");
	}
	status = 0;
out:
	if (api)
		http_api_stop(api);
	if (srv)
		smtp_server_stop(srv);
	imap_poll_stop(imap);   /* before the queue it waits on */
	ingestq_stop(q);
	intel_stop(intel);
	outbox_stop(ob);
	/* a connection test may still be in libcurl on its own thread:
	 * cleaning up under it is undefined, and the exit frees all */
	if (!http_async_running())
		curl_global_cleanup();
	if (status == 0)
		tame_log(TAME_LOG_INFO, "stopped");
	return status;
}
