/*
 * http_profile.c - an agent's profile, avatar, password and sessions.
 * See http_profile.h and docs/API.md.
 *
 * Model: the profile fields live on the agent (store_desk_profile_*)
 * and are shown and changed through the agent endpoints of
 * http_admin.c, which call http_profile_agent_view() and
 * http_profile_apply(). The avatar is an image the agent uploads as the
 * request body; it is accepted only as PNG, JPEG or WebP whose first
 * bytes say so (the declared type must match them), so what is served
 * back under its own Content-Type with nosniff is a picture a browser
 * shows and never runs. A password change needs the current password
 * and ends the agent's other sessions. A session is named in the API by
 * a number derived from the SHA-256 of its stored hash, so the list
 * never shows anything that could be turned back into a cookie.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http_avatar.h"
#include "http_desk.h"
#include "http_profile.h"
#include "http_session.h"
#include "../core/auth.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

/* As in http_admin.c: a new password has at least 8 characters and at
 * most 1 kB. */
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

static const char *const session_cols[] = {
	"id", "created_at", "expires_at", "current",
};

enum tame_err
http_profile_agent_view(struct store *s, int64_t id, json_t **out)
{
	struct store_profile p;
	json_t *v = NULL;
	enum tame_err rc;
	int bad;

	memset(&p, 0, sizeof(p));
	if ((rc = store_agent_view(s, id, &v)) ||
	    (rc = store_desk_profile_get(s, id, &p)))
		goto out;
	bad = json_object_set_new(v, "signature", p.signature ?
	    json_string(p.signature) : json_null());
	bad |= json_object_set_new(v, "notify_mentions",
	    json_boolean(p.notify_mentions));
	bad |= json_object_set_new(v, "notify_follows",
	    json_boolean(p.notify_follows));
	bad |= json_object_set_new(v, "notify_assigned",
	    json_boolean(p.notify_assigned));
	bad |= json_object_set_new(v, "avatar_url",
	    http_avatar_url(id, p.avatar_at));
	if (bad)
		rc = TAME_ENOMEM;
out:
	store_profile_clear(&p);
	if (rc) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return TAME_OK;
}

/* -1, 0 or 1 for an absent, false or true field key of body. */
static int
flag(const json_t *body, const char *key)
{
	json_t *v = json_object_get(body, key);

	return v ? json_is_true(v) : -1;
}

int
http_profile_apply(struct http_ctx *c, int64_t id, const json_t *body)
{
	const char *sig = json_body_str(body, "signature");
	int m = flag(body, "notify_mentions"), f = flag(body, "notify_follows");
	int a = flag(body, "notify_assigned");
	enum tame_err rc;

	if (!sig && m < 0 && f < 0 && a < 0)
		return 0;
	if (sig && strlen(sig) > TAME_SIGNATURE_MAX) {
		http_error(c, 400, "invalid_field", "field \"signature\" is "
		    "longer than %d bytes", TAME_SIGNATURE_MAX);
		return -1;
	}
	if ((rc = store_desk_profile_set(c->store, id, sig, m, f, a))) {
		http_store_error(c, rc, "agent");
		return -1;
	}
	return 0;
}

/* The image type whose magic bytes start data, or NULL. */
static const char *
image_type(const unsigned char *d, size_t n)
{
	if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return "image/jpeg";
	if (n >= 12 && memcmp(d, "RIFF", 4) == 0 &&
	    memcmp(d + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

/* 1 if the Content-Type header names type (parameters allowed). */
static int
declared(const char *ct, const char *type)
{
	size_t n = strlen(type);

	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, type, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

void
http_profile_avatar_put(struct http_ctx *c)
{
	const unsigned char *d = c->req->binary_body;
	size_t n = c->req->binary_body_length;
	const char *type, *ct = http_header(c, "Content-Type");
	enum tame_err rc;

	if (n > TAME_AVATAR_MAX) {
		http_error(c, 413, "too_large", "an avatar is at most %d kB",
		    TAME_AVATAR_MAX / 1024);
		return;
	}
	if (!declared(ct, "image/png") && !declared(ct, "image/jpeg") &&
	    !declared(ct, "image/webp")) {
		http_error(c, 415, "unsupported_media_type", "an avatar is "
		    "image/png, image/jpeg or image/webp");
		return;
	}
	if (!d || !(type = image_type(d, n)) || !declared(ct, type)) {
		http_error(c, 400, "invalid_image", "the body is not an "
		    "image of type %s", ct);
		return;
	}
	if ((rc = store_desk_avatar_set(c->store, c->agent.id, type, d, n,
	    tame_now_ms()))) {
		http_store_error(c, rc, "agent");
		return;
	}
	http_send(c, 204, NULL, "", 0);
}

void
http_profile_avatar_delete(struct http_ctx *c)
{
	enum tame_err rc;

	if ((rc = store_desk_avatar_delete(c->store, c->agent.id))) {
		http_store_error(c, rc, "avatar");
		return;
	}
	http_send(c, 204, NULL, "", 0);
}

void
http_profile_avatar_get(struct http_ctx *c)
{
	int64_t id = c->id[0] ? c->id[0] : c->agent.id, at = 0;
	const char *inm = http_header(c, "If-None-Match");
	const char *ver = http_query(c, "v");
	char *type = NULL, etag[48], at_text[24];
	struct buf data;
	enum tame_err rc;

	buf_init(&data, TAME_AVATAR_MAX);
	if ((rc = store_desk_avatar_get(c->store, id, &type, &data, &at))) {
		http_store_error(c, rc, "avatar");
		goto out;
	}
	snprintf(etag, sizeof(etag), "\"a%lld-%lld\"", (long long)id,
	    (long long)at);
	if (inm && strcmp(inm, etag) == 0)
		http_send(c, 304, NULL, "", 0);
	else
		http_send(c, 200, type, data.data, data.len);
	u_map_put(c->res->map_header, "ETag", etag);
	/* Asked under its current version (http_avatar_url), the picture
	 * never changes: a new one has a new URL. Otherwise revalidate. */
	snprintf(at_text, sizeof(at_text), "%lld", (long long)at);
	u_map_put(c->res->map_header, "Cache-Control", ver &&
	    strcmp(ver, at_text) == 0 ? "private, max-age=31536000, immutable"
	    : "private, no-cache");
out:
	free(type);
	buf_free(&data);
}

/* Number of UTF-8 characters in s. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
http_profile_password(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "current", JF_TEXT, 1, PASSWORD_MAX },
		{ "new", JF_TEXT, 1, PASSWORD_MAX },
	};
	char hash[AUTH_PWHASH_MAX];
	const char *cur, *nw;
	json_t *body;
	int64_t ended = 0;
	enum tame_err rc;

	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX_ANON, fields, 2)))
		return;
	cur = json_body_str(body, "current");
	nw = json_body_str(body, "new");
	if (http_profile_check_current(c, cur))
		goto out;
	if (utf8_chars(nw) < PASSWORD_MIN) {
		http_error(c, 400, "invalid_field", "field \"new\" must have "
		    "at least %d characters", PASSWORD_MIN);
		goto out;
	}
	if ((rc = auth_password_hash(nw, hash))) {
		http_store_error(c, rc, "password hash");
		goto out;
	}
	if ((rc = store_begin(c->store)))
		goto fail;
	if ((rc = store_agent_update(c->store, c->agent.id, NULL, -1, hash,
	    -1)) || (rc = store_desk_sessions_end(c->store, c->agent.id,
	    c->via_cookie ? c->session_hash : NULL, &ended)) ||
	    (rc = store_event_add(c->store, 0, c->agent.id,
	    "agent.password_changed", NULL, tame_now_ms())) ||
	    (rc = store_commit(c->store))) {
		store_rollback(c->store);
		goto fail;
	}
	http_json(c, 200, json_pack("{s:I}", "ended_sessions",
	    (json_int_t)ended));
	goto out;
fail:
	http_store_error(c, rc, "agent");
out:
	json_decref(body);
}

/* See http_profile.h. */
int
http_profile_check_current(struct http_ctx *c, const char *current)
{
	if (http_session_guess(c, c->agent.email ? c->agent.email : "",
	    c->agent.pw_hash))
		return -1;
	if (!current || !c->agent.pw_hash || !c->agent.pw_hash[0] ||
	    !auth_password_verify(c->agent.pw_hash, current)) {
		tame_log(TAME_LOG_INFO, "http: wrong current password of "
		    "agent %lld", (long long)c->agent.id);
		http_error(c, 403, "invalid_credentials", current ?
		    "the current password is wrong" : "field \"current\" "
		    "(your current password) is required to change it");
		return -1;
	}
	http_session_guessed(c, c->agent.email ? c->agent.email : "");
	return 0;
}

/* The public id of a session: 52 bits of the SHA-256 of its hash. */
static int64_t
session_public_id(const char *id_hash)
{
	char h[AUTH_HASH_HEX + 1], head[14];
	int64_t v = 0;

	auth_sha256_hex(id_hash, strlen(id_hash), h);
	memcpy(head, h, 13);
	head[13] = '\0';
	v = (int64_t)strtoll(head, NULL, 16);
	return v ? v : 1;
}

/* The caller's live sessions; NULL after answering. */
static struct store_session_row *
list(struct http_ctx *c, size_t *n)
{
	struct store_session_row *v = NULL;
	enum tame_err rc;

	*n = 0;
	if ((rc = store_desk_sessions(c->store, c->agent.id, tame_now_ms(),
	    TAME_SESSIONS_LIST_MAX, &v, n))) {
		http_store_error(c, rc, "sessions");
		return NULL;
	}
	return v ? v : calloc(1, sizeof(*v));
}

void
http_profile_sessions(struct http_ctx *c)
{
	struct store_session_row *v;
	char t1[32], t2[32];
	json_t *arr, *s;
	size_t i, n;
	int csv;

	if ((csv = http_want_csv(c)) < 0 || !(v = list(c, &n)))
		return;
	arr = json_array();
	for (i = 0; arr && i < n; i++) {
		tame_time_iso(v[i].created_at, t1);
		tame_time_iso(v[i].expires_at, t2);
		s = json_pack("{s:I,s:s,s:s,s:b}", "id",
		    (json_int_t)session_public_id(v[i].id_hash), "created_at",
		    t1, "expires_at", t2, "current", c->via_cookie &&
		    strcmp(v[i].id_hash, c->session_hash) == 0);
		if (!s || json_array_append_new(arr, s)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(v);
	if (!arr) {
		http_store_error(c, TAME_ENOMEM, "sessions");
		return;
	}
	http_list(c, json_pack("{s:o}", "sessions", arr), csv, "sessions",
	    session_cols, sizeof(session_cols) / sizeof(session_cols[0]));
}

void
http_profile_session_delete(struct http_ctx *c)
{
	struct store_session_row *v;
	size_t i, n;
	enum tame_err rc;
	int current;

	if (!(v = list(c, &n)))
		return;
	for (i = 0; i < n; i++)
		if (session_public_id(v[i].id_hash) == c->id[0])
			break;
	if (i == n) {
		http_error(c, 404, "not_found", "session not found");
		goto out;
	}
	current = c->via_cookie && strcmp(v[i].id_hash, c->session_hash) == 0;
	if ((rc = store_session_delete(c->store, v[i].id_hash))) {
		http_store_error(c, rc, "session");
		goto out;
	}
	if (current)
		u_map_put(c->res->map_header, "Set-Cookie",
		    HTTP_SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
		    "SameSite=Strict");
	http_send(c, 204, NULL, "", 0);
out:
	free(v);
}
