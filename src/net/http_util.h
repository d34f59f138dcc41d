/*
 * http_util.h - what every HTTP handler shares: the request context,
 * JSON and error answers, bounded body and query reading, CSV lists.
 *
 * Model: the dispatcher (http_api.c) builds one struct http_ctx per
 * request, with the thread's store connection and the authenticated
 * agent, and calls one handler. A handler answers exactly once, through
 * http_json() / http_error() / http_send(), and returns. Helpers that can
 * refuse the request (body, query parameters) answer the error
 * themselves and tell the handler to stop.
 */
#ifndef TAME_HTTP_UTIL_H
#define TAME_HTTP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <ulfius.h>
#include "../core/auth.h"
#include "../core/err.h"
#include "../core/model.h"
#include "../store/store.h"

struct buf;
struct outbox;

#define HTTP_PATH_IDS 2

struct http_ctx {
	const struct _u_request *req;
	struct _u_response *res;
	struct store *store;        /* this thread's connection */
	struct outbox *outbox;      /* may be NULL */
	const char *method;         /* "GET", ... */
	const char *path;           /* without the query string */
	struct agent agent;         /* agent.id == 0: not authenticated */
	int via_cookie;             /* authenticated by the session cookie */
	char *csrf;                 /* the session's CSRF token, or NULL */
	char session_hash[AUTH_HASH_HEX + 1]; /* "" unless via_cookie */
	char token_hash[AUTH_HASH_HEX + 1];   /* the bearer token's, or "" */
	int64_t id[HTTP_PATH_IDS];  /* numeric path segments, in order;
	                               0 for "me" */
	size_t nid;
	int answered;
};

typedef void (*http_handler)(struct http_ctx *c);

/* Answers status with body (taken: decref'd here), as application/json.
 * A NULL body answers an internal error. */
void http_json(struct http_ctx *c, int status, json_t *body);
/* Answers {"error":{"code","message"}} with status. */
void http_error(struct http_ctx *c, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answers the error that a store (or reply) result means: ENOTFOUND
 * 404 not_found, EEXIST 409 conflict, EINVAL 400 invalid_field,
 * ECONFLICT 409, anything else 500 (logged with what and the store's
 * message). */
void http_store_error(struct http_ctx *c, enum tame_err rc, const char *what);
/* Answers raw bytes (copied) with the given Content-Type (NULL: none). */
void http_send(struct http_ctx *c, int status, const char *content_type,
    const void *data, size_t len);
/* The same with the text of b, whose memory the response takes over
 * (b is left empty): a ticket list is some 30 kB, copied once less. */
void http_send_buf(struct http_ctx *c, int status, const char *content_type,
    struct buf *b);

/* A request header (case-insensitive name) or NULL. Owned by the
 * request. */
const char *http_header(const struct http_ctx *c, const char *name);
/* A query parameter or NULL. Owned by the request. */
const char *http_query(const struct http_ctx *c, const char *name);

/* Reads the body as a JSON object of at most max bytes: 415 if it is not
 * application/json, 413 if too large, 400 if invalid. Returns the object
 * (caller decrefs) or NULL after answering. */
json_t *http_body(struct http_ctx *c, size_t max);
/* Answers a 400 for err (from json_body.h); convenience for handlers. */
struct json_body_err;
void http_body_error(struct http_ctx *c, const struct json_body_err *err);

/* Parses query parameter name as an integer in [min, max]; def when
 * absent. 0 on success, -1 after answering 400 invalid_parameter. */
int http_query_int(struct http_ctx *c, const char *name, int64_t min,
    int64_t max, int64_t def, int64_t *out);
/* The ?limit= of a list (1..TAME_LIST_LIMIT_MAX, default
 * TAME_LIST_LIMIT_DEFAULT) and ?cursor= (bounded); -1 after answering. */
int http_query_page(struct http_ctx *c, int *limit, const char **cursor);
/* 1 for ?format=csv, 0 for json or absent, -1 after answering 400. */
int http_want_csv(struct http_ctx *c);

/* Answers a list view (taken): as JSON, or as CSV of view[key] with the
 * given columns when csv is 1 (next_cursor, if any, goes to the
 * X-Next-Cursor header). */
void http_list(struct http_ctx *c, json_t *view, int csv, const char *key,
    const char *const *cols, size_t ncols);

/* 1 if the agent is an admin; otherwise answers 403 forbidden and
 * returns 0. */
int http_require_admin(struct http_ctx *c);

#endif
