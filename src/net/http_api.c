/*
 * http_api.c - the HTTP server of tamed: routing, authentication, the
 * static web app and the common answer headers. See http_api.h.
 *
 * Model: ulfius runs GNU libmicrohttpd with a pool of worker threads
 * (poll, HTTP/1.1, RFC 9110/9112). Every request reaches one callback,
 * the dispatcher below, which owns routing so that an unknown path is a
 * JSON 404 and a known path with the wrong method a 405 with Allow
 * (RFC 9110 15.5.6) - ulfius' own router cannot tell the two apart. Each
 * route names its handler and whether it is public; the dispatcher
 * fetches the worker thread's store connection (a pthread key, opened on
 * first use, closed when the thread ends), authenticates the caller
 * (http_session.c), and calls the handler with a struct http_ctx.
 *
 * ulfius buffers a request body up to max_post_body_size and silently
 * cuts the rest; we set that cap one byte above the largest body a
 * route reads (TAME_REPLY_BODY_MAX, a reply with files) so a cut body
 * is recognised as too large (413) rather than parsed. The cap is the
 * instance's, so each handler checks its own smaller limit on the
 * buffered body (http_body). A body over TAME_HTTP_BODY_MAX_ANON is
 * buffered only for a signed-in agent: for anyone else body_gate()
 * keeps no more than that (the rest is read and dropped), so the
 * request is answered as one whose body was cut, 401 or 413, and holds
 * no memory while it comes.
 *
 * Every answer carries the security headers (CSP, nosniff, no referrer,
 * no framing) through the instance's default headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <ulfius.h>
#include "http_api.h"
#include "http_async.h"
#include "http_idem.h"
#include "http_admin.h"
#include "http_bulk.h"
#include "http_desk.h"
#include "http_settings.h"
#include "http_imap.h"
#include "http_relay.h"
#include "http_events.h"
#include "http_intel.h"
#include "http_filters.h"
#include "http_first.h"
#include "http_notify.h"
#include "http_presence.h"
#include "http_profile.h"
#include "http_raw.h"
#include "http_replies.h"
#include "http_session.h"
#include "http_spell.h"
#include "http_tags.h"
#include "http_tickets.h"
#include "http_util.h"
#include "ingestq.h"
#include "web_assets.h"
#include "../core/buf.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

/* Worker threads answering requests: one per CPU tamed may run on,
 * HTTP_THREADS_MIN to HTTP_THREADS_MAX (TAME_HTTP_THREADS, 1 to 64,
 * sets another number). Each holds one store connection (its page
 * cache fills only as far as it is used: a few MB for lists) and serves
 * its share of the connections one request at a time. On 2 cores with
 * 32 busy clients (wrk, 1M tickets, alternating runs) the list's p99
 * was 5.6 to 9.1 ms (median of 18 runs 7.0) with 2 threads against 6.3
 * to 15 ms (11.7) with 4, at the same rate: more threads than cores
 * only queue behind each other and the clients. With 1 thread the p99
 * was 4.7 ms at a rate 15% lower, but one slow request would hold every
 * connection. */
#define HTTP_THREADS_MIN 2
#define HTTP_THREADS_MAX 16
/* Seconds an idle connection is kept. */
#define HTTP_IDLE_SECONDS 60
/* Connections at once; the acceptor answers more with 503 and closes
 * them. libmicrohttpd's own limit is set far above it (each worker's
 * share is over HTTP_CONN_MAX), so libmicrohttpd never refuses one:
 * its 0.9.75 locked both workers up for good when it did (1,030 open
 * connections, with or without a request on them, and then no answer
 * to anyone, and SIGTERM hung on the stuck workers). */
#define HTTP_CONN_MAX 1024
/* Connections at once from one client address: one client that opens
 * hundreds and drips a byte into each now and then must not hold every
 * agent out. Behind a proxy every request comes from its address; a
 * quarter of the whole is still far more than a team's browsers use. */
#define HTTP_CONN_PER_IP (HTTP_CONN_MAX / 4)
/* Longest request path routed. */
#define HTTP_PATH_MAX 2048
/* Segments in the longest route. */
#define ROUTE_SEGS 8

struct http_api {
	struct _u_instance inst;
	struct sockaddr_in addr;
	int lfd;              /* the listening socket, -1 when closed */
	pthread_t acceptor;
	int acceptor_made;
	atomic_int stopping;  /* set before lfd is shut down */
	atomic_int conns;     /* handed to libmicrohttpd and not closed */
	atomic_int live;      /* started by libmicrohttpd and not closed */
	char *datadir;
	struct outbox *outbox;
	struct ingestq *queue;   /* for health_check; may be NULL */
	int64_t health_wait_s;   /* see health_check */
	int64_t health_disk_mb;
	pthread_key_t store_key;
	int key_made;
	int started;
};

enum route_flags {
	R_PUBLIC = 1,   /* no authentication */
	R_READ = 2      /* only reads the store: authentication and handler
	                   read in one transaction (store_read_begin), which
	                   takes the read lock once. The hottest routes; on
	                   2 cores with 32 clients, three lock rounds a
	                   request put the request threads in each other's
	                   way. */
};

/* A route: pattern segments separated by '/', "#" matching a decimal id,
 * a last "*" matching the rest of the path (one segment or more). */
struct route {
	const char *method;
	const char *pattern;
	http_handler handler;
	unsigned flags;
};

static void health(struct http_ctx *c);

static const struct route routes[] = {
	{ "GET", "/api/v1/health", health, R_PUBLIC },
	{ "POST", "/api/v1/session", http_session_login, R_PUBLIC },
	{ "GET", "/api/v1/session", http_session_get, 0 },
	{ "DELETE", "/api/v1/session", http_session_logout, 0 },

	{ "GET", "/api/v1/tickets", http_tickets_list, R_READ },
	{ "GET", "/api/v1/tickets/#", http_tickets_get, R_READ },
	{ "PATCH", "/api/v1/tickets/#", http_tickets_patch, 0 },
	{ "POST", "/api/v1/tickets/#/replies", http_tickets_reply, 0 },
	{ "POST", "/api/v1/tickets/#/notes", http_tickets_note, 0 },
	{ "GET", "/api/v1/tickets/#/attachments/#", http_tickets_attachment,
	    0 },
	{ "GET", "/api/v1/tickets/#/messages/#/raw", http_raw_message, 0 },
	{ "GET", "/api/v1/tickets/#/messages/#/html", http_raw_html, 0 },

	{ "GET", "/api/v1/customers", http_admin_customers_list, 0 },
	{ "POST", "/api/v1/customers", http_admin_customer_create, 0 },
	{ "GET", "/api/v1/customers/#", http_admin_customer_get, 0 },
	{ "PATCH", "/api/v1/customers/#", http_admin_customer_patch, 0 },

	{ "GET", "/api/v1/agents", http_admin_agents_list, 0 },
	{ "POST", "/api/v1/agents", http_admin_agent_create, 0 },
	{ "GET", "/api/v1/agents/me", http_admin_agent_get, 0 },
	{ "PATCH", "/api/v1/agents/me", http_admin_agent_patch, 0 },
	{ "GET", "/api/v1/agents/#", http_admin_agent_get, 0 },
	{ "PATCH", "/api/v1/agents/#", http_admin_agent_patch, 0 },
	{ "DELETE", "/api/v1/agents/me/tokens", http_admin_agent_tokens_delete,
	    0 },
	{ "DELETE", "/api/v1/agents/#/tokens", http_admin_agent_tokens_delete,
	    0 },

	{ "GET", "/api/v1/mailboxes", http_admin_mailboxes_list, 0 },
	{ "POST", "/api/v1/mailboxes", http_admin_mailbox_create, 0 },
	{ "GET", "/api/v1/mailboxes/#", http_admin_mailbox_get, 0 },
	{ "PATCH", "/api/v1/mailboxes/#", http_admin_mailbox_patch, 0 },
	{ "POST", "/api/v1/mailboxes/#/test", http_imap_test, 0 },
	{ "POST", "/api/v1/mailboxes/#/test-send", http_relay_test_send, 0 },

	{ "GET", "/api/v1/events", http_events_stream, 0 },

	/* queue intelligence (issue 4) */
	{ "GET", "/api/v1/trends", http_intel_trends_list, 0 },
	{ "GET", "/api/v1/trends/#", http_intel_trend_get, 0 },
	{ "GET", "/api/v1/trends/#/similar", http_intel_trend_similar, 0 },
	{ "PATCH", "/api/v1/trends/#", http_intel_trend_patch, 0 },
	{ "POST", "/api/v1/trends/#/merge", http_intel_trend_merge, 0 },
	{ "POST", "/api/v1/trends/#/split", http_intel_trend_split, 0 },
	{ "POST", "/api/v1/trends/#/reply", http_intel_trend_reply, 0 },
	{ "POST", "/api/v1/tickets/#/trend/remove",
	    http_intel_ticket_trend_remove, 0 },
	{ "GET", "/api/v1/tickets/#/similar", http_intel_similar, 0 },
	{ "GET", "/api/v1/settings", http_settings_get, 0 },
	{ "PATCH", "/api/v1/settings", http_settings_patch, 0 },

	/* the agents' desk (issue 3) */
	{ "GET", "/api/v1/saved-replies", http_replies_list, 0 },
	{ "POST", "/api/v1/saved-replies", http_replies_create, 0 },
	{ "GET", "/api/v1/saved-replies/#", http_replies_get, 0 },
	{ "PATCH", "/api/v1/saved-replies/#", http_replies_patch, 0 },
	{ "DELETE", "/api/v1/saved-replies/#", http_replies_delete, 0 },
	{ "POST", "/api/v1/saved-replies/#/render", http_replies_render, 0 },
	{ "GET", "/api/v1/filters", http_filters_list, 0 },
	{ "POST", "/api/v1/filters", http_filters_save, 0 },
	{ "DELETE", "/api/v1/filters/#", http_filters_delete, 0 },
	{ "POST", "/api/v1/spellcheck", http_spell_check, 0 },
	{ "POST", "/api/v1/tickets/bulk", http_bulk_tickets, 0 },
	{ "POST", "/api/v1/tickets/#/merge", http_bulk_merge, 0 },
	{ "GET", "/api/v1/tickets/#/followers", http_notify_followers, 0 },
	{ "POST", "/api/v1/tickets/#/followers", http_notify_follow, 0 },
	{ "DELETE", "/api/v1/tickets/#/followers", http_notify_unfollow, 0 },
	{ "DELETE", "/api/v1/tickets/#/followers/#", http_notify_unfollow, 0 },
	{ "GET", "/api/v1/notifications", http_notify_list, 0 },
	{ "POST", "/api/v1/notifications/read", http_notify_read, 0 },
	{ "GET", "/api/v1/tickets/#/presence", http_presence_get, 0 },
	{ "POST", "/api/v1/tickets/#/presence", http_presence_set, 0 },
	{ "GET", "/api/v1/presence", http_presence_all, 0 },
	{ "PUT", "/api/v1/agents/me/avatar", http_profile_avatar_put, 0 },
	{ "DELETE", "/api/v1/agents/me/avatar", http_profile_avatar_delete,
	    0 },
	{ "GET", "/api/v1/agents/me/avatar", http_profile_avatar_get, 0 },
	{ "GET", "/api/v1/agents/#/avatar", http_profile_avatar_get, 0 },
	{ "POST", "/api/v1/session/password", http_profile_password, 0 },
	{ "GET", "/api/v1/sessions", http_profile_sessions, 0 },
	{ "DELETE", "/api/v1/sessions/#", http_profile_session_delete, 0 },
	{ "GET", "/api/v1/tags", http_desk_tags, 0 },
	{ "PATCH", "/api/v1/tags/*", http_tags_rename, 0 },
	{ "DELETE", "/api/v1/tags/*", http_tags_delete, 0 },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Splits path into at most max non-empty segments (pointers into path,
 * with lengths). Returns the count, or max + 1 when there are more. */
static size_t
split_path(const char *path, const char **seg, size_t *len, size_t max)
{
	size_t n = 0;
	const char *p = path, *e;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		if (n == max)
			return max + 1;
		seg[n] = p;
		len[n] = (size_t)(e - p);
		n++;
		p = e;
	}
	return n;
}

/* 1 if the path segments match route pattern pat; fills ids. */
static int
route_match(const char *pat, const char **seg, const size_t *len, size_t n,
    int64_t *ids, size_t *nid)
{
	const char *pseg[ROUTE_SEGS];
	size_t plen[ROUTE_SEGS], pn, i;
	char num[24];
	int rest;

	pn = split_path(pat, pseg, plen, ROUTE_SEGS);
	rest = pn > 0 && plen[pn - 1] == 1 && pseg[pn - 1][0] == '*';
	if (rest ? n < pn : pn != n)
		return 0;
	*nid = 0;
	for (i = 0; i < (rest ? pn - 1 : n); i++) {
		if (plen[i] == 1 && pseg[i][0] == '#') {
			if (len[i] >= sizeof(num) || *nid >= HTTP_PATH_IDS)
				return 0;
			memcpy(num, seg[i], len[i]);
			num[len[i]] = '\0';
			if (tame_parse_i64(num, 1, INT64_MAX, &ids[*nid]))
				return 0;
			(*nid)++;
			continue;
		}
		if (plen[i] != len[i] || memcmp(pseg[i], seg[i], len[i]) != 0)
			return 0;
	}
	return 1;
}

static void
store_key_free(void *p)
{
	store_close(p);
}

/* This thread's store connection, opened on first use; NULL on error. */
static struct store *
thread_store(struct http_api *api)
{
	struct store *s = pthread_getspecific(api->store_key);
	enum tame_err rc;

	if (s)
		return s;
	if ((rc = store_open(api->datadir, 0, &s))) {
		tame_log(TAME_LOG_ERR, "http: cannot open store: %s",
		    tame_strerror(rc));
		return NULL;
	}
	if (pthread_setspecific(api->store_key, s) != 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

/* Health says "degraded" when a reply has waited this long (greylisting
 * and short relay outages are retried well within it), or when the
 * data directory's disk has less than this much left (SQLite then
 * fails writes: mail in is answered 451, replies are not saved). */
#define HEALTH_WAIT_S_DEFAULT 1800
#define HEALTH_DISK_MB_DEFAULT 256

/* A marker in the table: health_check answers it, with the api. */
static void
health(struct http_ctx *c)
{
	(void)c;
}

/* GET /health: "ok", or "degraded" with what a monitor should show
 * someone: replies waiting longer than TAME_HEALTH_WAIT_S (relay down,
 * a login refused), the data directory's disk nearly full. The store
 * that cannot be read answers 503: nothing works then; so does one
 * whose sync to disk failed, which takes no mail until the restart
 * (ingestq_failing), and a data directory that cannot be written. */
static void
health_check(struct http_ctx *c, struct http_api *api)
{
	json_t *problems = json_array();
	int64_t queued = 0, oldest = 0, age_s = 0;
	long long free_mb = -1;
	struct statvfs v;
	int readable, failing = 0;

	/* the file gone from the directory: the connections open on it
	 * still read, but nothing written is kept */
	if (store_exists(api->datadir) != 1) {
		readable = 0;
		json_array_append_new(problems, json_string("the store's "
		    "file is gone from the data directory (see the log)"));
	} else if (!(readable = (c->store = thread_store(api)) &&
	    store_outbox_waiting(c->store, &queued, &oldest) == TAME_OK))
		json_array_append_new(problems, json_string("the store cannot "
		    "be read (see the log)"));
	if (api->queue && ingestq_failing(api->queue)) {
		failing = 1;
		json_array_append_new(problems, json_string("the store failed "
		    "to sync to disk: mail is refused (451) until tamed is "
		    "restarted (see the log)"));
	}
	if (queued && oldest)
		age_s = (tame_now_ms() - oldest) / 1000;
	if (queued && age_s >= api->health_wait_s)
		json_array_append_new(problems, json_sprintf("%lld %s waiting "
		    "to be sent, the oldest for %lld min (the log and the "
		    "messages say why)", (long long)queued, queued == 1 ?
		    "mail is" : "mails are", (long long)(age_s / 60)));
	if (statvfs(api->datadir, &v) == 0) {
		/* remounted read-only (as after disk errors) or not ours to
		 * write: nothing can be saved */
		if ((v.f_flag & ST_RDONLY) || access(api->datadir, W_OK)) {
			failing = 1;
			json_array_append_new(problems, json_string("the data "
			    "directory cannot be written to (a read-only file "
			    "system?): nothing can be saved"));
		}
		free_mb = (long long)(((uint64_t)v.f_bavail * v.f_frsize) >> 20);
		if (free_mb < api->health_disk_mb)
			json_array_append_new(problems, json_sprintf("%lld MB "
			    "free on the data directory's disk", free_mb));
	}
	http_json(c, readable && !failing ? 200 : 503, json_pack("{s:s,s:s,"
	    "s:o,s:{s:I,s:I},s:I}", "status", json_array_size(problems) ?
	    "degraded" : "ok", "version", TAME_VERSION, "problems", problems,
	    "outbox", "queued", (json_int_t)queued, "oldest_s",
	    (json_int_t)age_s, "disk_free_mb", (json_int_t)free_mb));
}

/* 1 if the If-None-Match header value inm names etag (or is "*"): the
 * weak comparison of RFC 9110 13.1.2, where W/ does not matter. */
static int
etag_match(const char *inm, const char *etag)
{
	return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
}

/* Serves a file of web_assets[] for GET/HEAD; 404/405 otherwise. The
 * browser keeps a copy but asks again each time (no-cache); while the
 * file is unchanged the answer is a 304 without a body. */
/* The file of web_assets[] that path names ("/" is "/index.html"), or
 * NULL. */
static const struct web_asset *
find_asset(const char *path)
{
	const struct web_asset *a;

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (a = web_assets; a->path; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}

static void
serve_static(struct http_ctx *c)
{
	const struct web_asset *a = find_asset(c->path);
	const char *inm;

	if (!a) {
		http_error(c, 404, "not_found", "no such page");
		return;
	}
	if (strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0) {
		u_map_put(c->res->map_header, "Allow", "GET, HEAD");
		http_error(c, 405, "method_not_allowed",
		    "%s is not allowed here", c->method);
		return;
	}
	inm = http_header(c, "If-None-Match");
	if (inm && etag_match(inm, a->etag))
		http_send(c, 304, NULL, "", 0);
	else
		http_send(c, 200, a->content_type, a->data, a->len);
	u_map_put(c->res->map_header, "Cache-Control", "no-cache");
	u_map_put(c->res->map_header, "ETag", a->etag);
}

/* GET / for a signed-in agent: the page with the first rows of the
 * Unassigned view in it (http_first.c). 0 when answered, -1 when the
 * page is served as a file (no session, another path, an error). */
static int
serve_first(struct http_api *api, struct http_ctx *c)
{
	const struct web_asset *a = find_asset(c->path);
	int rc;

	if (!a || strcmp(a->path, "/index.html") != 0 ||
	    strcmp(c->method, "GET") != 0 ||
	    !u_map_get(c->req->map_cookie, HTTP_SESSION_COOKIE) ||
	    !(c->store = thread_store(api)))
		return -1;
	rc = http_session_peek(c) ? http_first_page(c, a->data, a->len) : -1;
	store_settle(c->store);
	return rc;
}

/* Routes an /api/ request: 404, 405, or the handler (after the store and
 * authentication). */
static void
route_api(struct http_api *api, struct http_ctx *c)
{
	const char *seg[ROUTE_SEGS];
	size_t len[ROUTE_SEGS], n, i, nid = 0;
	const struct route *hit = NULL;
	const char *method = c->method;
	int64_t ids[HTTP_PATH_IDS];
	struct buf allow;
	enum tame_err rc;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	buf_init(&allow, 256);
	n = split_path(c->path, seg, len, ROUTE_SEGS);
	for (i = 0; i < NROUTES && n <= ROUTE_SEGS; i++) {
		memset(ids, 0, sizeof(ids));
		if (!route_match(routes[i].pattern, seg, len, n, ids, &nid))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			hit = &routes[i];
			memcpy(c->id, ids, sizeof(ids));
			c->nid = nid;
			break;
		}
		if (allow.len && buf_addstr(&allow, ", "))
			continue;
		buf_addstr(&allow, routes[i].method);
	}
	if (!hit) {
		if (allow.len) {
			u_map_put(c->res->map_header, "Allow", buf_str(&allow));
			http_error(c, 405, "method_not_allowed",
			    "%s is not allowed on %s", c->method, c->path);
		} else {
			http_error(c, 404, "not_found", "no such endpoint");
		}
		goto out;
	}
	if (hit->handler == health) {
		health_check(c, api);
	} else {
		if (!(c->store = thread_store(api))) {
			http_error(c, 500, "internal", "store unavailable");
			goto out;
		}
		if ((hit->flags & R_READ) &&
		    (rc = store_read_begin(c->store))) {
			http_store_error(c, rc, "read transaction");
			goto done;
		}
		if (!(hit->flags & R_PUBLIC) && http_session_authenticate(c))
			goto done;
		hit->handler(c);
	}
done:
	if (c->store) {
		if (hit->flags & R_READ)
			store_read_end(c->store);
		store_settle(c->store);
	}
out:
	buf_free(&allow);
}

/* 1 if every query parameter, name and value, is UTF-8. ulfius' own
 * check (check_utf8) dropped a bad one without a word, so ?q=%FF
 * listed every ticket and an Idempotency-Key with a Latin-1 byte was
 * not there: the retry sent the reply again. */
static int
query_utf8(const struct _u_request *req)
{
	const char **keys = u_map_enum_keys(req->map_url), *v;
	size_t i;

	for (i = 0; keys && keys[i]; i++)
		if (!tame_utf8_valid(keys[i]) ||
		    ((v = u_map_get(req->map_url, keys[i])) &&
		    !tame_utf8_valid(v)))
			return 0;
	return 1;
}

/* 1 if the body's length is said two ways (RFC 9112 6.3): two
 * Content-Lengths (ulfius joins repeats with ","), or one with
 * Transfer-Encoding. libmicrohttpd used the first and read what
 * followed as another request, which a proxy in front may have seen
 * as part of this one: request smuggling. */
static int
length_ambiguous(const struct _u_request *req)
{
	const char **keys = u_map_enum_keys(req->map_header), *v;
	int n = 0, te = 0;
	size_t i;

	/* repeats whose names differ in case are kept apart */
	for (i = 0; keys && keys[i]; i++) {
		if (strcasecmp(keys[i], "Transfer-Encoding") == 0)
			te = 1;
		else if (strcasecmp(keys[i], "Content-Length") == 0) {
			v = u_map_get(req->map_header, keys[i]);
			n += v && strchr(v, ',') ? 2 : 1;
		}
	}
	return n > 1 || (n && te);
}

static int
dispatch(const struct _u_request *req, struct _u_response *res, void *data)
{
	struct http_api *api = data;
	struct http_ctx c;
	char path[HTTP_PATH_MAX + 1];
	const char *url = req->url_path ? req->url_path : "/";
	size_t n = strcspn(url, "?");

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.res = res;
	c.outbox = api->outbox;
	c.method = req->http_verb ? req->http_verb : "GET";
	c.path = path;
	if (n > HTTP_PATH_MAX) {
		c.path = "/";
		http_error(&c, 414, "uri_too_long", "the path is too long");
		goto out;
	}
	memcpy(path, url, n);
	path[n] = '\0';
	if (length_ambiguous(req)) {
		http_error(&c, 400, "invalid_header", "Content-Length is "
		    "given twice, or with Transfer-Encoding");
		/* what followed may be this body: nothing more is read */
		u_map_put(res->map_header, "Connection", "close");
	} else if (!query_utf8(req))
		http_error(&c, 400, "invalid_parameter", "a query parameter is "
		    "not UTF-8");
	else if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0)
		route_api(api, &c);
	else if (serve_first(api, &c))
		serve_static(&c);
	if (!c.answered)
		http_error(&c, 500, "internal", "no answer");
	/* A change went through: live views look at the store now. */
	if (res->status < 400 && strcmp(c.method, "GET") != 0 &&
	    strcmp(c.method, "HEAD") != 0)
		http_events_poke();
	if (res->status >= 500)
		tame_log(TAME_LOG_WARN, "http: %s %s -> %ld", c.method, path,
		    res->status);
	else
		tame_log(TAME_LOG_DEBUG, "http: %s %s -> %ld", c.method, path,
		    res->status);
out:
	agent_clear(&c.agent);
	free(c.csrf);
	return U_CALLBACK_COMPLETE;
}

/* Parses "A.B.C.D:PORT" into api->addr. */
static enum tame_err
parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon;
	int64_t port;
	size_t n;

	if (!listen || !(colon = strrchr(listen, ':')))
		return TAME_EINVAL;
	n = (size_t)(colon - listen);
	if (n == 0 || n >= sizeof(host))
		return TAME_EINVAL;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (tame_parse_i64(colon + 1, 1, 65535, &port))
		return TAME_EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return TAME_EINVAL;
	return TAME_OK;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		return;
	line[strcspn(line, "\n")] = '\0';
	tame_log(TAME_LOG_WARN, "http: %s", line);
}

/* One thread per CPU tamed may run on, HTTP_THREADS_MIN to
 * HTTP_THREADS_MAX, or TAME_HTTP_THREADS when it is 1 to 64. */
static intptr_t
http_threads(void)
{
	const char *env = getenv("TAME_HTTP_THREADS");
	cpu_set_t set;
	int64_t d = HTTP_THREADS_MIN, n, cpus = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	if (cpus > d)
		d = cpus < HTTP_THREADS_MAX ? cpus : HTTP_THREADS_MAX;
	if (!env)
		return (intptr_t)d;
	if (tame_parse_i64(env, 1, 64, &n)) {
		tame_log(TAME_LOG_WARN, "http: TAME_HTTP_THREADS=%s is not 1 to "
		    "64; %d threads", env, (int)d);
		return (intptr_t)d;
	}
	return (intptr_t)n;
}

/* Open connections per client address (IPv4, as the listener). */
static struct {
	uint32_t ip;
	int n;
} per_ip[HTTP_CONN_MAX + 64];
static size_t nper_ip;
static pthread_mutex_t per_ip_mu = PTHREAD_MUTEX_INITIALIZER;

/* Counts one more (d 1) or one less (d -1) connection from ip; -1 when
 * one more would pass HTTP_CONN_PER_IP (not counted). */
static int
per_ip_count(uint32_t ip, int d)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&per_ip_mu);
	for (i = 0; i < nper_ip && per_ip[i].ip != ip; i++)
		;
	if (d > 0) {
		if (i == nper_ip && nper_ip == sizeof(per_ip) /
		    sizeof(per_ip[0]))
			rc = -1;
		else if (i == nper_ip) {
			per_ip[i].ip = ip;
			per_ip[i].n = 0;
			nper_ip++;
		}
		if (!rc && per_ip[i].n >= HTTP_CONN_PER_IP)
			rc = -1;
		else if (!rc)
			per_ip[i].n++;
	} else if (i < nper_ip && --per_ip[i].n <= 0)
		per_ip[i] = per_ip[--nper_ip];
	pthread_mutex_unlock(&per_ip_mu);
	return rc;
}

/* A connection's own state (its socket context, conn_notify): whether
 * the body of its request now coming is kept only up to
 * TAME_HTTP_BODY_MAX_ANON, and how much of it was dropped. */
struct conn_state {
	int capped;
	size_t dropped;
};

/* libmicrohttpd started or closed a connection the acceptor handed it.
 * One it could not start (out of memory) is closed without a word:
 * api->conns keeps counting it, so the acceptor sets conns to live
 * when it is at the limit and has handed nothing over for a while. */
static void
conn_notify(void *cls, struct MHD_Connection *con, void **ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http_api *api = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&api->live, 1);
		/* without it, bodies are kept as ulfius keeps them */
		*ctx = calloc(1, sizeof(struct conn_state));
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		free(*ctx);
		*ctx = NULL;
		atomic_fetch_sub(&api->live, 1);
		atomic_fetch_sub(&api->conns, 1);
		if (ci && ci->client_addr &&
		    ci->client_addr->sa_family == AF_INET)
			per_ip_count(((const struct sockaddr_in *)
			    ci->client_addr)->sin_addr.s_addr, -1);
	}
}

/* The request handler ulfius gives libmicrohttpd (MHD_start_daemon
 * below): it keeps a request's body in memory as it arrives, up to
 * max_post_body_size (a reply with files, about 15 MB), and only then
 * does dispatch() see who sent it. */
static MHD_AccessHandlerCallback ulfius_handler;

/* 1 if the request's body may be over TAME_HTTP_BODY_MAX_ANON: its
 * Content-Length says so, is not a number, or there is none while
 * Transfer-Encoding says the body comes in chunks. */
static int
body_may_be_large(struct MHD_Connection *con)
{
	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (!cl)
		return MHD_lookup_connection_value(con, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno || end == cl || *end || n > TAME_HTTP_BODY_MAX_ANON;
}

/* http_session_live() of req (its headers and cookies in, its body
 * not): > 0 when it comes with a live session or token, or the store
 * cannot say (dispatch() answers as it would). */
static int
signed_in(struct http_api *api, const struct _u_request *req,
    const char *method)
{
	struct http_ctx c;
	int ok;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.method = method;
	c.path = "/";
	if (!(c.store = thread_store(api)))
		return 1;
	ok = http_session_live(&c);
	store_settle(c.store);
	agent_clear(&c.agent);
	free(c.csrf);
	return ok;
}

/* libmicrohttpd's handler of every request: ulfius' own, but that the
 * body of a request that may be over TAME_HTTP_BODY_MAX_ANON and comes
 * from nobody signed in (a login, a made-up or ended session or token)
 * is kept only up to that: the rest is read and dropped, and ulfius
 * dispatches a cut body, which its route answers 413 (the login) or
 * the authentication 401, as for a small one. The connection stays as
 * it would (an early answer and close would reach a browser still
 * sending as a reset, not as the 401 that sends its agent to sign in).
 * ulfius' handler fills the request's headers and cookies at its first
 * call, before any of the body. */
static enum MHD_Result
body_gate(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http_api *api = (struct http_api *)((char *)cls -
	    offsetof(struct http_api, inst));
	struct connection_info_struct *ci = *con_cls;
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(con,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_state *cs = info ? info->socket_context : NULL;
	int first = ci && ci->callback_first_iteration, capped;
	enum MHD_Result r;

	if (cs && ci && !first && cs->capped && *upload_data_size > 0 &&
	    ci->request && ci->request->binary_body_length >
	    TAME_HTTP_BODY_MAX_ANON) {
		/* read, and dropped; no more than an agent may send */
		if ((cs->dropped += *upload_data_size) > TAME_REPLY_BODY_MAX)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	r = ulfius_handler(cls, con, url, method, version, upload_data,
	    upload_data_size, con_cls);
	if (!first || r != MHD_YES || !ci->request)
		return r;
	capped = body_may_be_large(con) &&
	    signed_in(api, ci->request, method) <= 0;
	if (!cs)	/* no room to keep count: not a large body unseen */
		return capped ? MHD_NO : r;
	cs->capped = capped;
	cs->dropped = 0;
	return r;
}

/* ulfius starts libmicrohttpd through this function: defined here, in
 * the program, it takes the place of libmicrohttpd's own for ulfius too,
 * and starts the daemon with body_gate in front of ulfius' handler
 * (which ulfius does not export). dh_cls is our instance's inst. */
struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port,
    MHD_AcceptPolicyCallback apc, void *apc_cls,
    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	ulfius_handler = dh;
	va_start(ap, dh_cls);
	d = MHD_start_daemon_va(flags, port, apc, apc_cls, body_gate, dh_cls,
	    ap);
	va_end(ap);
	return d;
}

/* Starts libmicrohttpd with flags; U_OK or an ulfius error. */
static int
start_mhd(struct http_api *api, unsigned flags)
{
	intptr_t threads = http_threads();
	struct MHD_OptionItem ops[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL },
		/* ulfius' hooks, wrapped so event streams can suspend */
		{ MHD_OPTION_NOTIFY_COMPLETED,
		    (intptr_t)http_events_request_completed, NULL },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)http_events_uri_logger,
		    NULL },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)conn_notify, api },
		{ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_SECONDS, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, (HTTP_CONN_MAX + 256) *
		    threads, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	return ulfius_start_framework_with_mhd_options(&api->inst,
	    flags | MHD_USE_NO_LISTEN_SOCKET, ops);
}

/* Listens on api->addr; TAME_OK, or TAME_EFILES or TAME_EIO (logged). */
static enum tame_err
listen_open(struct http_api *api)
{
	char host[INET_ADDRSTRLEN];
	int one = 1, err;

	api->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (api->lfd >= 0 && setsockopt(api->lfd, SOL_SOCKET, SO_REUSEADDR,
	    &one, sizeof(one)) == 0 && bind(api->lfd,
	    (struct sockaddr *)&api->addr, sizeof(api->addr)) == 0 &&
	    listen(api->lfd, SOMAXCONN) == 0)
		return TAME_OK;
	err = errno;
	inet_ntop(AF_INET, &api->addr.sin_addr, host, sizeof(host));
	tame_log(TAME_LOG_ERR, "http: cannot listen on %s:%u: %s", host,
	    ntohs(api->addr.sin_port), strerror(err));
	if (api->lfd >= 0)
		close(api->lfd);
	api->lfd = -1;
	return err == EMFILE || err == ENFILE ? TAME_EFILES : TAME_EIO;
}

/* At HTTP_CONN_MAX, or HTTP_CONN_PER_IP from one address: answers fd
 * 503 and closes it; logged at most once a minute (*logged). */
static void
refuse(int fd, time_t *logged, const char *why)
{
	static const char body[] = "{\"error\":{\"code\":\"unavailable\","
	    "\"message\":\"too many connections, try again later\"}}";
	char busy[256], sink[4096];
	struct timespec now;
	int n, k;

	n = snprintf(busy, sizeof(busy), "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Retry-After: 5\r\nConnection: close\r\n\r\n%s",
	    sizeof(body) - 1, body);
	if (send(fd, busy, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		tame_log(TAME_LOG_DEBUG, "http: send: %s", strerror(errno));
	/* the request already here is read first: closing with unread
	 * bytes would send a reset, and the client might lose the 503 */
	shutdown(fd, SHUT_WR);
	for (k = 0; k < 4 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0;
	    k++)
		;
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (*logged == 0 || now.tv_sec - *logged >= 60) {
		tame_log(TAME_LOG_WARN, "http: %s: refusing more (503)", why);
		*logged = now.tv_sec;
	}
}

/* The acceptor: takes each new connection and hands it to
 * libmicrohttpd, which gives it to the worker its descriptor number
 * picks (fd modulo workers), so a burst of connections is spread evenly.
 * When the workers accepted by themselves, whichever woke first took
 * the burst: wrk's 32 connections were split 7 and 25 and the list's
 * p99 followed the busier worker. Ends when listen_close() shuts the
 * socket down; any other failure (out of descriptors, an error the
 * network passes on, a refusal by the firewall) is logged at most once
 * a minute and the acceptor goes on after a pause, as libmicrohttpd's
 * own loop did. */
static void *
accept_main(void *arg)
{
	struct http_api *api = arg;
	struct sockaddr_in peer;
	struct timespec now;
	time_t logged = 0, refused = 0;
	int64_t handed = 0;
	socklen_t len;
	int fd, err;

	pthread_setname_np(pthread_self(), "http-accept");
	for (;;) {
		len = sizeof(peer);
		fd = accept4(api->lfd, (struct sockaddr *)&peer, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			/* at the limit, two seconds after the last hand-over:
			 * every connection handed over has started, or never
			 * will (conn_notify) */
			if (atomic_load(&api->conns) >= HTTP_CONN_MAX &&
			    tame_mono_ms() - handed > 2000) {
				atomic_store(&api->conns,
				    atomic_load(&api->live));
				/* what never started has no close to count
				 * down: the addresses' counts start over */
				pthread_mutex_lock(&per_ip_mu);
				nper_ip = 0;
				pthread_mutex_unlock(&per_ip_mu);
			}
			if (atomic_load(&api->conns) >= HTTP_CONN_MAX) {
				refuse(fd, &refused, "every connection in use");
				continue;
			}
			if (per_ip_count(peer.sin_addr.s_addr, 1)) {
				refuse(fd, &refused, "one address holds a quarter "
				    "of the connections");
				continue;
			}
			atomic_fetch_add(&api->conns, 1);
			handed = tame_mono_ms();
			/* MHD_NO: out of memory; the socket is closed */
			if (MHD_add_connection(api->inst.mhd_daemon, fd,
			    (struct sockaddr *)&peer, len) != MHD_YES) {
				atomic_fetch_sub(&api->conns, 1);
				per_ip_count(peer.sin_addr.s_addr, -1);
			}
			continue;
		}
		err = errno;
		if (atomic_load(&api->stopping))
			break;
		if (err == EINTR || err == ECONNABORTED || err == EAGAIN)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (logged == 0 || now.tv_sec - logged >= 60) {
			tame_log(TAME_LOG_WARN, "http: accept: %s (going on)",
			    strerror(err));
			logged = now.tv_sec;
		}
		/* out of descriptors or memory: let some be freed; other
		 * errors: do not spin on them */
		usleep(err == EMFILE || err == ENFILE || err == ENOBUFS ||
		    err == ENOMEM ? 100 * 1000 : 10 * 1000);
	}
	return NULL;
}

/* Stops the acceptor and closes the listening socket. */
static void
listen_close(struct http_api *api)
{
	if (api->lfd < 0)
		return;
	atomic_store(&api->stopping, 1);
	shutdown(api->lfd, SHUT_RDWR);
	if (api->acceptor_made)
		pthread_join(api->acceptor, NULL);
	api->acceptor_made = 0;
	close(api->lfd);
	api->lfd = -1;
}

enum tame_err
http_api_start(const struct http_api_config *cfg, struct http_api **out)
{
	static const char *const headers[][2] = {
		{ "Content-Security-Policy", "default-src 'self'; img-src "
		    "'self' data:; object-src 'none'; frame-ancestors 'none'; "
		    "base-uri 'none'" },
		{ "X-Content-Type-Options", "nosniff" },
		{ "Referrer-Policy", "no-referrer" },
		{ "X-Frame-Options", "DENY" },
		/* no DNS lookup of a mail's links before a click: Firefox
		 * would make one for a link in a mail opened, telling its
		 * sender it was read */
		{ "X-DNS-Prefetch-Control", "off" },
	};
	struct http_api *api = NULL;
	enum tame_err rc = TAME_OK;
	size_t i;
	int inst_made = 0;

	*out = NULL;
	http_idem_started(tame_now_ms());
	if (!(api = calloc(1, sizeof(*api))) ||
	    !(api->datadir = tame_strdup(cfg->datadir))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	api->outbox = cfg->outbox;
	api->queue = cfg->queue;
	api->health_wait_s = tame_env_i64("TAME_HEALTH_WAIT_S", 0, INT64_MAX,
	    HEALTH_WAIT_S_DEFAULT);
	api->health_disk_mb = tame_env_i64("TAME_HEALTH_DISK_MB", 0,
	    INT64_MAX, HEALTH_DISK_MB_DEFAULT);
	api->lfd = -1;
	if ((rc = parse_listen(cfg->listen, &api->addr))) {
		tame_log(TAME_LOG_ERR, "http: cannot parse listen address "
		    "\"%s\" (want A.B.C.D:PORT)", cfg->listen ? cfg->listen : "");
		goto out;
	}
	if (pthread_key_create(&api->store_key, store_key_free) != 0) {
		rc = TAME_ENOMEM;
		goto out;
	}
	api->key_made = 1;
	if (ulfius_init_instance(&api->inst, ntohs(api->addr.sin_port),
	    &api->addr, NULL) != U_OK) {
		rc = TAME_EIO;
		goto out;
	}
	inst_made = 1;
	api->inst.max_post_body_size = TAME_REPLY_BODY_MAX + 1;
	api->inst.allowed_post_processor = U_POST_PROCESS_NONE;
	api->inst.check_utf8 = 0;	/* checked where used: query_utf8(),
					 * each header's own parser */
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		u_map_put(api->inst.default_headers, headers[i][0],
		    headers[i][1]);
	if (ulfius_set_default_endpoint(&api->inst, dispatch, api) != U_OK) {
		rc = TAME_ENOMEM;
		goto out;
	}
	if ((rc = listen_open(api)))
		goto out;
	if ((rc = http_events_start(api->datadir)))
		goto out;
	/* poll, not epoll: with epoll, libmicrohttpd 0.9.75 now and then
	 * (about one run in five of a loaded ASan build) missed that the
	 * clients of 256 connections handed over in a burst had closed
	 * them: every one stayed in CLOSE-WAIT, started and never closed,
	 * until its 60 s idle time ran out, and their address was refused
	 * all that while. With poll, never in 40 runs. A worker polls at
	 * most its share of HTTP_CONN_MAX descriptors. */
	if (start_mhd(api, MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    MHD_ALLOW_SUSPEND_RESUME) != U_OK) {
		/* its workers' pipes and threads: out of descriptors is
		 * the likely cause under a low ulimit -n */
		rc = errno == EMFILE || errno == ENFILE ? TAME_EFILES :
		    TAME_EIO;
		goto out;
	}
	api->started = 1;
	if (pthread_create(&api->acceptor, NULL, accept_main, api) != 0) {
		rc = TAME_ENOMEM;
		goto out;
	}
	api->acceptor_made = 1;
	*out = api;
	api = NULL;
out:
	if (api) {
		listen_close(api);
		http_events_stop();
		http_async_stop();
		if (api->started)
			ulfius_stop_framework(&api->inst);
		if (inst_made)
			ulfius_clean_instance(&api->inst);
		if (api->key_made)
			pthread_key_delete(api->store_key);
		free(api->datadir);
		free(api);
	}
	return rc;
}

void
http_api_stop(struct http_api *api)
{
	if (!api)
		return;
	listen_close(api);
	http_events_stop();
	http_async_stop();
	if (api->started)
		ulfius_stop_framework(&api->inst);
	ulfius_clean_instance(&api->inst);
	if (api->key_made)
		pthread_key_delete(api->store_key);
	free(api->datadir);
	free(api);
}
