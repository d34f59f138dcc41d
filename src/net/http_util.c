/*
 * http_util.c - answers, errors, bounded body and query reading and CSV
 * lists for the HTTP handlers. See http_util.h.
 *
 * Every error has the shape {"error":{"code","message"}} (docs/API.md);
 * the message is for people, the code for programs. Bodies are JSON
 * only (RFC 8259, media type application/json); anything else is 415 so
 * that a form post from another site can never reach a handler.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http_util.h"
#include "http_csv.h"
#include "http_gzip.h"
#include "json_body.h"
#include "../core/buf.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* Longest cursor accepted from a client; ours are far shorter. */
#define HTTP_CURSOR_MAX 256
/* Cap on one CSV answer: a page of TAME_LIST_LIMIT_MAX rows with long
 * previews fits comfortably. */
#define HTTP_CSV_MAX (16 * 1024 * 1024)

/* Whether an answer of len bytes in content_type goes gzip'd: large
 * JSON and CSV to a client that takes gzip. Files (attachments, the
 * original mail) go as they are. Such an answer varies with
 * Accept-Encoding whichever way it goes. */
static int
gzip_wanted(struct http_ctx *c, const char *content_type, size_t len)
{
	if (len < HTTP_GZIP_MIN || !content_type ||
	    (strncmp(content_type, "application/json", 16) != 0 &&
	    strncmp(content_type, "text/csv", 8) != 0))
		return 0;
	u_map_put(c->res->map_header, "Vary", "Accept-Encoding");
	return http_accepts_gzip(http_header(c, "Accept-Encoding"));
}

/* Sets b (taken) as the body. ulfius frees binary_body with free()
 * (its default allocator) when the response is done. */
static void
set_body(struct http_ctx *c, int status, const char *content_type,
    struct buf *b)
{
	size_t len = b->len;

	c->answered = 1;
	free(c->res->binary_body);
	c->res->binary_body = buf_take(b);
	c->res->binary_body_length = len;
	c->res->status = (long)status;
	if (content_type)
		u_map_put(c->res->map_header, "Content-Type", content_type);
}

/* Answers data gzip'd when gzip_wanted() and it shrinks. 1 if it did. */
static int
send_gzip(struct http_ctx *c, int status, const char *content_type,
    const void *data, size_t len)
{
	struct buf z;

	if (!gzip_wanted(c, content_type, len))
		return 0;
	buf_init(&z, len);
	if (http_gzip(data, len, &z) || z.len >= len) {
		buf_free(&z);
		return 0;
	}
	u_map_put(c->res->map_header, "Content-Encoding", "gzip");
	set_body(c, status, content_type, &z);
	return 1;
}

void
http_send(struct http_ctx *c, int status, const char *content_type,
    const void *data, size_t len)
{
	if (c->answered)
		return;
	if (send_gzip(c, status, content_type, data, len))
		return;
	c->answered = 1;
	if (len == 0) {
		/* ulfius refuses an empty body; 204 and friends have none,
		 * an empty file still says what it is */
		c->res->status = status;
		if (content_type && status != 204)
			u_map_put(c->res->map_header, "Content-Type",
			    content_type);
		return;
	}
	if (ulfius_set_binary_body_response(c->res, (unsigned)status,
	    data, len) != U_OK) {
		tame_log(TAME_LOG_ERR, "http: cannot set response body");
		c->res->status = 500;
		return;
	}
	if (content_type)
		u_map_put(c->res->map_header, "Content-Type", content_type);
}

void
http_send_buf(struct http_ctx *c, int status, const char *content_type,
    struct buf *b)
{
	if (c->answered || b->len == 0) {
		http_send(c, status, content_type, b->data, b->len);
		return;
	}
	if (send_gzip(c, status, content_type, b->data, b->len)) {
		buf_free(b);
		return;
	}
	set_body(c, status, content_type, b);
}

void
http_json(struct http_ctx *c, int status, json_t *body)
{
	char *text = NULL;

	if (c->answered) {
		json_decref(body);
		return;
	}
	/* 15 significant digits: what a double holds for sure, so a score
	 * rounded to 0.263 prints as 0.263, not 0.26300000000000001 */
	if (body)
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(15));
	json_decref(body);
	if (!text) {
		static const char fail[] = "{\"error\":{\"code\":\"internal\","
		    "\"message\":\"out of memory\"}}";

		http_send(c, 500, "application/json", fail, sizeof(fail) - 1);
		return;
	}
	http_send(c, status, "application/json", text, strlen(text));
	free(text);
}

void
http_error(struct http_ctx *c, int status, const char *code,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	/* a quoted field name or path cut in a character, or bytes that
	 * were never UTF-8: JSON takes only UTF-8 */
	tame_utf8_scrub(msg);
	http_json(c, status, json_pack("{s:{s:s,s:s}}", "error", "code", code,
	    "message", msg));
}

/* A store that cannot do its part for now: logged with the store's
 * own words, answered 503 with code and message, and Retry-After. */
static void
unavailable(struct http_ctx *c, const char *what, const char *retry_after,
    const char *code, const char *message)
{
	tame_log(TAME_LOG_ERR, "http: %s %s: %s: %s", c->method, c->path,
	    what, c->store ? store_errmsg(c->store) : "no store");
	u_map_put(c->res->map_header, "Retry-After", retry_after);
	http_error(c, 503, code, "%s", message);
}

void
http_store_error(struct http_ctx *c, enum tame_err rc, const char *what)
{
	switch (rc) {
	case TAME_ENOTFOUND:
		http_error(c, 404, "not_found", "%s not found", what);
		break;
	case TAME_EEXIST:
		http_error(c, 409, "conflict", "%s already exists", what);
		break;
	case TAME_EINVAL:
		http_error(c, 400, "invalid_field", "invalid %s", what);
		break;
	case TAME_ECONFLICT:
		http_error(c, 409, "conflict", "%s: %s", what,
		    tame_strerror(rc));
		break;
	case TAME_EBUSY:
		http_error(c, 503, "busy", "the store is busy, try again");
		break;
	case TAME_EFILES:
		/* every descriptor in use: one is free again once some
		 * connection closes */
		unavailable(c, what, "5", "busy", "the server has too many "
		    "files open, try again");
		break;
	case TAME_EDISK:
		/* a full or failing disk: nothing was saved, a retry once
		 * there is room again will be */
		unavailable(c, what, "60", "storage_unavailable", "nothing was "
		    "saved: the server cannot write to its disk (full?); try "
		    "again later");
		break;
	default:
		tame_log(TAME_LOG_ERR, "http: %s %s: %s: %s (%s)", c->method,
		    c->path, what, tame_strerror(rc),
		    c->store ? store_errmsg(c->store) : "no store");
		http_error(c, 500, "internal", "internal error");
		break;
	}
}

const char *
http_header(const struct http_ctx *c, const char *name)
{
	return u_map_get_case(c->req->map_header, name);
}

const char *
http_query(const struct http_ctx *c, const char *name)
{
	return u_map_get(c->req->map_url, name);
}

void
http_body_error(struct http_ctx *c, const struct json_body_err *err)
{
	http_error(c, err->status, err->code, "%s", err->message);
}

/* 1 if the Content-Type header names application/json (parameters such
 * as charset allowed). */
static int
is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

json_t *
http_body(struct http_ctx *c, size_t max)
{
	struct json_body_err err;
	json_t *j = NULL;

	/* The size first: a huge body is refused whatever its type. */
	if (c->req->binary_body_length > max) {
		http_error(c, 413, "too_large",
		    "request body is larger than %zu bytes", max);
		return NULL;
	}
	if (!is_json_type(http_header(c, "Content-Type"))) {
		http_error(c, 415, "unsupported_media_type",
		    "request body must be application/json");
		return NULL;
	}
	if (json_body_parse((const char *)c->req->binary_body,
	    c->req->binary_body_length,
	    max, &j, &err)) {
		http_body_error(c, &err);
		return NULL;
	}
	return j;
}

int
http_query_int(struct http_ctx *c, const char *name, int64_t min,
    int64_t max, int64_t def, int64_t *out)
{
	const char *s = http_query(c, name);

	*out = def;
	if (!s)
		return 0;
	/* a repeated parameter comes as a comma list ("limit=20&limit=20"
	 * is "20,20"): say so rather than that 20 is out of range */
	if (strchr(s, ',')) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"%s\" is given more than once or as a list; "
		    "it takes one integer from %lld to %lld", name,
		    (long long)min, (long long)max);
		return -1;
	}
	if (tame_parse_i64(s, min, max, out)) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"%s\" must be an integer from %lld to %lld",
		    name, (long long)min, (long long)max);
		return -1;
	}
	return 0;
}

int
http_query_page(struct http_ctx *c, int *limit, const char **cursor)
{
	int64_t v;

	if (http_query_int(c, "limit", 1, TAME_LIST_LIMIT_MAX,
	    TAME_LIST_LIMIT_DEFAULT, &v))
		return -1;
	*limit = (int)v;
	*cursor = http_query(c, "cursor");
	if (*cursor && (**cursor == '\0' ||
	    strlen(*cursor) > HTTP_CURSOR_MAX)) {
		http_error(c, 400, "invalid_parameter",
		    "parameter \"cursor\" is not a cursor from this API");
		return -1;
	}
	return 0;
}

int
http_want_csv(struct http_ctx *c)
{
	const char *f = http_query(c, "format");

	if (!f || strcmp(f, "json") == 0)
		return 0;
	if (strcmp(f, "csv") == 0)
		return 1;
	http_error(c, 400, "invalid_parameter",
	    "parameter \"format\" must be json or csv");
	return -1;
}

void
http_list(struct http_ctx *c, json_t *view, int csv, const char *key,
    const char *const *cols, size_t ncols)
{
	struct buf out;
	const char *next;
	char disp[96];
	enum tame_err rc;

	if (!csv) {
		http_json(c, 200, view);
		return;
	}
	buf_init(&out, HTTP_CSV_MAX);
	rc = http_csv_write(json_object_get(view, key), cols, ncols, &out);
	if (rc) {
		http_store_error(c, rc, "CSV export");
		goto out;
	}
	next = json_string_value(json_object_get(view, "next_cursor"));
	if (next)
		u_map_put(c->res->map_header, "X-Next-Cursor", next);
	http_send(c, 200, "text/csv; charset=utf-8", buf_str(&out), out.len);
	if (snprintf(disp, sizeof(disp), "attachment; filename=\"%s.csv\"",
	    key) < (int)sizeof(disp))
		u_map_put(c->res->map_header, "Content-Disposition", disp);
out:
	buf_free(&out);
	json_decref(view);
}

int
http_require_admin(struct http_ctx *c)
{
	if (c->agent.role == ROLE_ADMIN)
		return 1;
	http_error(c, 403, "forbidden", "this needs the admin role");
	return 0;
}
