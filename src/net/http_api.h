/*
 * http_api.h - the HTTP server: JSON API under /api/v1 and the static
 * web app, with ulfius (on GNU libmicrohttpd).
 *
 * Each request runs on a libmicrohttpd pool thread; every thread keeps
 * its own store connection (opened on first use). Authentication: the
 * session cookie (with a CSRF token header for unsafe methods) or
 * "Authorization: Bearer TOKEN". Errors are {"error":{"code","message"}}.
 * Endpoints are documented in docs/API.md.
 */
#ifndef TAME_HTTP_API_H
#define TAME_HTTP_API_H

#include "../core/err.h"

struct http_api;
struct ingestq;
struct outbox;

struct http_api_config {
	const char *datadir;
	const char *listen;     /* "127.0.0.1:8080" */
	struct outbox *outbox;  /* kicked after a reply is queued; may be NULL */
	struct ingestq *queue;  /* mail in, for /health; may be NULL */
};

enum tame_err http_api_start(const struct http_api_config *cfg,
    struct http_api **out);
void http_api_stop(struct http_api *api);

#endif
