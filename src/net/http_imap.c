/*
 * http_imap.c - IMAP settings over the API and the connection test. See
 * http_imap.h and docs/API.md ("Mailboxes").
 *
 * Model: the mailbox handlers of http_admin.c stay as they are and call
 * in here for the "imap" member: it is taken out of the body before
 * their field check, parsed against the stored settings (a URL without
 * a password keeps the stored one, so the admin page can send back the
 * URL it was shown), and stored through store_imap_set, which seals the
 * password. The password never appears in an answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "http_async.h"
#include "http_imap.h"
#include "imap_client.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* See http_imap.h. */
enum tame_err
http_imap_mailbox_view(struct store *s, int64_t id, json_t **out)
{
	json_t *mb = NULL, *imap = NULL;
	enum tame_err rc;

	if ((rc = store_mailbox_view(s, id, &mb)))
		return rc;
	rc = store_imap_view(s, id, &imap);
	if (rc == TAME_ENOTFOUND) {
		imap = json_null();
		rc = TAME_OK;
	}
	if (rc || json_object_set_new(mb, "imap", imap)) {
		json_decref(mb);
		return rc ? rc : TAME_ENOMEM;
	}
	*out = mb;
	return TAME_OK;
}

/* See http_imap.h. */
enum tame_err
http_imap_decorate_list(struct store *s, json_t *view)
{
	json_t *arr = json_object_get(view, "mailboxes"), *mb, *imap;
	enum tame_err rc;
	size_t i;

	json_array_foreach(arr, i, mb) {
		imap = NULL;
		rc = store_imap_view(s, json_integer_value(json_object_get(mb,
		    "id")), &imap);
		if (rc == TAME_ENOTFOUND)
			imap = json_null();
		else if (rc)
			return rc;
		if (json_object_set_new(mb, "imap", imap))
			return TAME_ENOMEM;
	}
	return TAME_OK;
}

/* See http_imap.h. */
json_t *
http_imap_read_body(struct http_ctx *c, const struct json_field *fields,
    size_t n, json_t **imap)
{
	struct json_body_err err;
	json_t *body;

	*imap = NULL;
	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return NULL;
	if ((*imap = json_object_get(body, "imap"))) {
		json_incref(*imap);
		json_object_del(body, "imap");
	}
	if (json_body_check(body, fields, n, &err)) {
		http_body_error(c, &err);
		goto fail;
	}
	if (*imap && !json_is_object(*imap) && !json_is_null(*imap)) {
		http_error(c, 400, "invalid_field", "field \"imap\" must be an "
		    "object or null");
		goto fail;
	}
	return body;
fail:
	json_decref(*imap);
	*imap = NULL;
	json_decref(body);
	return NULL;
}

/* A string member, or NULL; *bad set to 1 when present but not a
 * string (null allowed when nullable), to 2 when longer than
 * TAME_IMAP_URL_MAX. */
static const char *
str_member(json_t *o, const char *key, int nullable, int *bad, int *is_null)
{
	json_t *v = json_object_get(o, key);

	if (is_null)
		*is_null = v && json_is_null(v);
	if (!v || (nullable && json_is_null(v)))
		return NULL;
	if (!json_is_string(v) || json_string_length(v) > TAME_IMAP_URL_MAX) {
		*bad = json_is_string(v) ? 2 : 1;
		return NULL;
	}
	return json_string_value(v);
}

/* Replaces *dst by a copy of v, or clears it for NULL. */
static int
replace(char **dst, const char *v)
{
	char *c = NULL;

	if (v && !(c = strdup(v)))
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

/* See http_imap.h. */
int
http_imap_parse(struct http_ctx *c, int64_t mailbox_id, json_t *imap,
    struct imap_conf *out, int *remove)
{
	static const char *const known[] = { "url", "after",
	    "poll_interval_ms", "ca_file", "pinned_key" };
	const char *key, *url, *after, *ca, *pin;
	json_t *v, *poll;
	char err[256];
	enum tame_err rc;
	int bad = 0, ca_null = 0, pin_null = 0, existing = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	*remove = 0;
	if (json_is_null(imap)) {
		*remove = 1;
		return 0;
	}
	json_object_foreach(imap, key, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]) &&
		    strcmp(known[i], key) != 0; i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			http_error(c, 400, "unknown_field", "field \"imap.%s\" "
			    "is not known", key);
			return -1;
		}
	}
	url = str_member(imap, "url", 0, &bad, NULL);
	after = str_member(imap, "after", 0, &bad, NULL);
	ca = str_member(imap, "ca_file", 1, &bad, &ca_null);
	pin = str_member(imap, "pinned_key", 1, &bad, &pin_null);
	poll = json_object_get(imap, "poll_interval_ms");
	if (bad == 2) {
		http_error(c, 400, "invalid_field", "a field of \"imap\" is "
		    "longer than %d bytes", TAME_IMAP_URL_MAX);
		return -1;
	}
	if (bad) {
		http_error(c, 400, "invalid_field", "the fields of \"imap\" "
		    "are strings (ca_file and pinned_key may be null)");
		return -1;
	}
	if (mailbox_id > 0) {
		rc = store_imap_get(c->store, mailbox_id, out);
		if (rc && rc != TAME_ENOTFOUND) {
			http_store_error(c, rc, "IMAP settings");
			return -1;
		}
		existing = rc == TAME_OK;
		/* NULL keeps the stored password (see below for a URL) */
		if (out->password) {
			memset(out->password, 0, strlen(out->password));
			free(out->password);
			out->password = NULL;
		}
	}
	if (!existing) {
		out->poll_ms = TAME_IMAP_POLL_MS_DEFAULT;
		out->after = IMAP_AFTER_SEEN;
	}
	out->mailbox_id = mailbox_id;
	if (!url && !existing) {
		http_error(c, 400, "missing_field", "field \"imap.url\" is "
		    "required to connect a mailbox");
		goto fail;
	}
	/* a URL without a password keeps the stored one only for the
	 * same server and user */
	if (url && (existing ? imap_conf_change_url(url, out, err,
	    sizeof(err)) : imap_conf_parse_url(url, out, err, sizeof(err)))) {
		http_error(c, 400, "invalid_field", "field \"imap.url\": %s",
		    err);
		goto fail;
	}
	if (!existing && !out->password) {
		http_error(c, 400, "invalid_field", "field \"imap.url\" needs "
		    "a password: imap://USER:PASSWORD@HOST/FOLDER");
		goto fail;
	}
	if (after && imap_conf_parse_after(after, out, err, sizeof(err))) {
		http_error(c, 400, "invalid_field", "field \"imap.after\": %s",
		    err);
		goto fail;
	}
	if (poll) {
		if (!json_is_integer(poll) || json_integer_value(poll) <
		    TAME_IMAP_POLL_MS_MIN || json_integer_value(poll) >
		    TAME_IMAP_POLL_MS_MAX) {
			http_error(c, 400, "invalid_field", "field "
			    "\"imap.poll_interval_ms\" must be %d to %d",
			    TAME_IMAP_POLL_MS_MIN, TAME_IMAP_POLL_MS_MAX);
			goto fail;
		}
		out->poll_ms = json_integer_value(poll);
	}
	if (ca && (ca[0] != '/' || access(ca, R_OK) != 0)) {
		http_error(c, 400, "invalid_field", "field \"imap.ca_file\" "
		    "must be an absolute path tamed can read");
		goto fail;
	}
	if (pin && strncmp(pin, "sha256//", 8) != 0) {
		http_error(c, 400, "invalid_field", "field \"imap.pinned_key\" "
		    "must be sha256//BASE64");
		goto fail;
	}
	if (((ca || ca_null) && replace(&out->ca_file, ca)) ||
	    ((pin || pin_null) && replace(&out->pinned_key, pin))) {
		http_error(c, 500, "internal", "out of memory");
		goto fail;
	}
	return 0;
fail:
	imap_conf_clear(out);
	return -1;
}

/* See http_imap.h. */
int
http_imap_save(struct http_ctx *c, int64_t mailbox_id, struct imap_conf *conf,
    int remove)
{
	enum tame_err rc;

	if (remove) {
		rc = store_imap_delete(c->store, mailbox_id);
		if (rc == TAME_ENOTFOUND)
			rc = TAME_OK;
	} else {
		conf->mailbox_id = mailbox_id;
		rc = store_imap_set(c->store, conf, tame_now_ms());
	}
	if (rc) {
		http_store_error(c, rc, "IMAP settings");
		return -1;
	}
	return 0;
}

/* The connection test, on a thread of its own (http_async.c). */
static json_t *
test_job(void *arg)
{
	char detail[512];
	const char *err;
	int64_t messages = 0, uidvalidity = 0;

	err = imap_client_test(arg, &messages, &uidvalidity, detail,
	    sizeof(detail));
	if (err)
		return json_pack("{s:b,s:s,s:s}", "ok", 0, "error", err,
		    "detail", detail);
	return json_pack("{s:b,s:I,s:I}", "ok", 1, "messages",
	    (json_int_t)messages, "uidvalidity", (json_int_t)uidvalidity);
}

static void
test_free(void *arg)
{
	imap_conf_clear(arg);
	free(arg);
}

/* See http_imap.h. */
void
http_imap_test(struct http_ctx *c)
{
	struct imap_conf conf, *job;
	struct mailbox mb = { 0 };
	enum tame_err rc;

	if (!http_require_admin(c))
		return;
	rc = store_imap_get(c->store, c->id[0], &conf);
	if (rc == TAME_ENOTFOUND) {
		if ((rc = store_mailbox_get(c->store, c->id[0], &mb)))
			http_store_error(c, rc, "mailbox");
		else
			http_error(c, 409, "conflict", "mailbox %lld is not "
			    "connected to IMAP", (long long)c->id[0]);
		mailbox_clear(&mb);
		return;
	}
	if (rc) {
		http_store_error(c, rc, "IMAP settings");
		return;
	}
	if (!(job = malloc(sizeof(*job)))) {
		imap_conf_clear(&conf);
		http_error(c, 500, "internal", "out of memory");
		return;
	}
	*job = conf;    /* the job's now */
	http_async_answer(c, test_job, job, test_free);
}
