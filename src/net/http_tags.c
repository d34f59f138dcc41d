/*
 * http_tags.c - renaming and deleting a tag on every ticket, for the
 * admin page. See http_tags.h and docs/API.md.
 *
 * Model: a tag is a name carried by tickets (store_tags.h). Renaming
 * to a name already in use merges the two; deleting removes the name
 * from every ticket. Either is one transaction holding the change, one
 * event per changed ticket (written by the store) and one event
 * without a ticket that sums it up ("tag.renamed" {from, to, tickets,
 * merged} or "tag.deleted" {tag, tickets}), so the history says who
 * did it and when. Only admins change tags across the desk; any agent
 * still tags single tickets.
 *
 * The name travels in the path, percent-encoded (RFC 3986): the server
 * hands the path over as sent, so "/api/v1/tags/needs%20reply" names
 * "needs reply" and a name holding '/' is sent as %2F.
 */
#include <string.h>
#include "http_desk.h"
#include "json_body.h"
#include "http_tags.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../store/store_tags.h"
#include "../tame_limits.h"

#define TAGS_PREFIX "/api/v1/tags/"

/* The value of hex digit c, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_tags_name(const char *path, char *out, size_t outlen)
{
	const size_t plen = sizeof(TAGS_PREFIX) - 1;
	const char *p;
	size_t n = 0;
	int hi, lo, ch;

	if (!path || !out || outlen == 0 ||
	    strncmp(path, TAGS_PREFIX, plen) != 0)
		return -1;
	for (p = path + plen; *p; p++) {
		ch = (unsigned char)*p;
		if (ch == '%') {
			if ((hi = hexval(p[1])) < 0 || (lo = hexval(p[2])) < 0)
				return -1;
			ch = hi * 16 + lo;
			p += 2;
		}
		if (ch < 0x20 || ch == 0x7f || n >= TAME_FIELD_MAX ||
		    n + 1 >= outlen)
			return -1;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return n && tame_utf8_valid(out) ? 0 : -1;
}

/* Decodes the tag of the request's path into out (TAME_FIELD_MAX + 1
 * bytes); 0, or -1 after answering 400. */
static int
path_tag(struct http_ctx *c, char *out)
{
	if (http_tags_name(c->path, out, TAME_FIELD_MAX + 1) == 0)
		return 0;
	http_error(c, 400, "invalid_parameter", "the tag in the path must be "
	    "1 to %d bytes of UTF-8, percent-encoded, without control "
	    "characters",
	    TAME_FIELD_MAX);
	return -1;
}

/* Writes the summing-up event and commits, or rolls back on rc; answers
 * the error itself and returns -1, or 0 when committed. */
static int
finish(struct http_ctx *c, enum tame_err rc, const char *kind, json_t *ev,
    int64_t now)
{
	if (rc == TAME_OK && !ev)
		rc = TAME_ENOMEM;
	if (rc == TAME_OK)
		rc = store_event_add(c->store, 0, c->agent.id, kind, ev, now);
	if (rc == TAME_OK)
		rc = store_commit(c->store);
	json_decref(ev);
	if (rc == TAME_OK)
		return 0;
	store_rollback(c->store);
	if (rc == TAME_ENOTFOUND)
		http_error(c, 404, "not_found", "no ticket carries that tag");
	else
		http_store_error(c, rc, "tag");
	return -1;
}

void
http_tags_rename(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "name", JF_LINE, 1, TAME_FIELD_MAX },
	};
	char from[TAME_FIELD_MAX + 1];
	const char *to;
	json_t *body, *ev = NULL;
	int64_t now = tame_now_ms(), n = 0;
	enum tame_err rc;
	int merged = 0;

	if (!http_require_admin(c) || path_tag(c, from))
		return;
	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX, fields, 1)))
		return;
	if (json_body_tag_norm(json_object_get(body, "name"))) {
		http_error(c, 400, "invalid_field",
		    "field \"name\" must not be empty (nor \".\" or "
		    "\"..\")");
		goto out;
	}
	to = json_body_str(body, "name");
	if (strcmp(from, to) == 0) {
		http_error(c, 400, "invalid_field",
		    "field \"name\" is the tag's name already");
		goto out;
	}
	if ((rc = store_begin(c->store))) {
		http_store_error(c, rc, "tag");
		goto out;
	}
	rc = store_tags_rename(c->store, from, to, c->agent.id, now, &n,
	    &merged);
	if (rc == TAME_OK)
		ev = json_pack("{s:s,s:s,s:I,s:b}", "from", from, "to", to,
		    "tickets", (json_int_t)n, "merged", merged);
	if (finish(c, rc, "tag.renamed", ev, now))
		goto out;
	tame_log(TAME_LOG_INFO, "http: agent %lld renamed a tag on %lld "
	    "tickets", (long long)c->agent.id, (long long)n);
	http_json(c, 200, json_pack("{s:s,s:s,s:I,s:b}", "from", from, "tag",
	    to, "tickets", (json_int_t)n, "merged", merged));
out:
	json_decref(body);
}

void
http_tags_delete(struct http_ctx *c)
{
	char tag[TAME_FIELD_MAX + 1];
	json_t *ev = NULL;
	int64_t now = tame_now_ms(), n = 0;
	enum tame_err rc;

	if (!http_require_admin(c) || path_tag(c, tag))
		return;
	if ((rc = store_begin(c->store))) {
		http_store_error(c, rc, "tag");
		return;
	}
	rc = store_tags_delete(c->store, tag, c->agent.id, now, &n);
	if (rc == TAME_OK)
		ev = json_pack("{s:s,s:I}", "tag", tag, "tickets",
		    (json_int_t)n);
	if (finish(c, rc, "tag.deleted", ev, now))
		return;
	tame_log(TAME_LOG_INFO, "http: agent %lld deleted a tag from %lld "
	    "tickets", (long long)c->agent.id, (long long)n);
	http_json(c, 200, json_pack("{s:s,s:I}", "tag", tag, "tickets",
	    (json_int_t)n));
}
