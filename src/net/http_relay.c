/*
 * http_relay.c - a mailbox's own outgoing relay over the API, and the
 * test-send. See http_relay.h and docs/API.md ("Mailboxes").
 *
 * Model: like http_imap.c. The mailbox handlers of http_admin.c take
 * the "relay" member out of the body before their field check, parse it
 * here against the stored relay (a URL without a password keeps the
 * stored one, so the admin page can send back the URL it was shown) and
 * store it through store_relay_set, which seals the password. The
 * password never appears in an answer. The test-send composes a short
 * message and hands it to the relay right away (smtp_client.c), so the
 * admin sees at once whether the settings work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "http_imap.h"
#include "http_async.h"
#include "http_relay.h"
#include "outbox.h"
#include "smtp_client.h"
#include "../core/url_auth.h"
#include "../core/util.h"
#include "../mail/mime.h"
#include "../mail/reply.h"
#include "../tame_limits.h"

/* The whole exchange of a test-send, in seconds. */
#define TEST_SEND_TIMEOUT_S 15

/* Adds "relay" and "signature" to the mailbox object mb. */
static enum tame_err
decorate(struct store *s, json_t *mb)
{
	int64_t id = json_integer_value(json_object_get(mb, "id"));
	json_t *relay = NULL;
	char *sig = NULL;
	enum tame_err rc;

	if ((rc = store_relay_view(s, id, &relay)) ||
	    json_object_set_new(mb, "relay", relay))
		return rc ? rc : TAME_ENOMEM;
	if ((rc = store_mailbox_signature(s, id, 0, &sig)))
		return rc;
	rc = json_object_set_new(mb, "signature", sig ? json_string(sig) :
	    json_null()) ? TAME_ENOMEM : TAME_OK;
	free(sig);
	return rc;
}

/* See http_relay.h. */
enum tame_err
http_relay_mailbox_view(struct store *s, int64_t id, json_t **out)
{
	json_t *mb = NULL;
	enum tame_err rc;

	if ((rc = http_imap_mailbox_view(s, id, &mb)))
		return rc;
	if ((rc = decorate(s, mb))) {
		json_decref(mb);
		return rc;
	}
	*out = mb;
	return TAME_OK;
}

/* See http_relay.h. */
enum tame_err
http_relay_decorate_list(struct store *s, json_t *view)
{
	json_t *arr = json_object_get(view, "mailboxes"), *mb;
	enum tame_err rc;
	size_t i;

	if ((rc = http_imap_decorate_list(s, view)))
		return rc;
	json_array_foreach(arr, i, mb) {
		if ((rc = decorate(s, mb)))
			return rc;
	}
	return TAME_OK;
}

/* Takes member key out of body into *out (a new reference); 0, or -1
 * after answering when it is neither an object nor null. */
static int
take(struct http_ctx *c, json_t *body, const char *key, json_t **out)
{
	if ((*out = json_object_get(body, key))) {
		json_incref(*out);
		json_object_del(body, key);
		if (!json_is_object(*out) && !json_is_null(*out)) {
			http_error(c, 400, "invalid_field", "field \"%s\" must "
			    "be an object or null", key);
			return -1;
		}
	}
	return 0;
}

/* See http_relay.h. */
json_t *
http_relay_read_body(struct http_ctx *c, const struct json_field *fields,
    size_t n, json_t **imap, json_t **relay)
{
	struct json_body_err err;
	json_t *body;

	*imap = *relay = NULL;
	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return NULL;
	if (take(c, body, "imap", imap) || take(c, body, "relay", relay))
		goto fail;
	if (json_body_check(body, fields, n, &err)) {
		http_body_error(c, &err);
		goto fail;
	}
	return body;
fail:
	json_decref(*imap);
	json_decref(*relay);
	*imap = *relay = NULL;
	json_decref(body);
	return NULL;
}

/* See http_relay.h. */
int
http_relay_parse(struct http_ctx *c, int64_t mailbox_id, json_t *relay,
    struct relay_conf *out, int *remove)
{
	static const char *const known[] = { "url", "starttls", "ca_file" };
	json_t *v, *url, *starttls, *ca;
	const char *too_long;
	const char *key;
	char err[256], *copy = NULL;
	enum relay_tls stored_tls;
	enum tame_err rc;
	int existing = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	*remove = 0;
	if (json_is_null(relay)) {
		*remove = 1;
		return 0;
	}
	json_object_foreach(relay, key, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]) &&
		    strcmp(known[i], key) != 0; i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			http_error(c, 400, "unknown_field", "field \"relay.%s\" "
			    "is not known", key);
			return -1;
		}
	}
	url = json_object_get(relay, "url");
	starttls = json_object_get(relay, "starttls");
	ca = json_object_get(relay, "ca_file");
	if ((url && !json_is_string(url)) ||
	    (starttls && !json_is_boolean(starttls)) ||
	    (ca && !json_is_null(ca) && !json_is_string(ca))) {
		http_error(c, 400, "invalid_field", "\"relay.url\" is a "
		    "string, \"relay.starttls\" a boolean, \"relay.ca_file\" "
		    "a string or null");
		return -1;
	}
	too_long = url && json_string_length(url) > TAME_IMAP_URL_MAX ? "url" :
	    json_is_string(ca) && json_string_length(ca) > TAME_IMAP_URL_MAX ?
	    "ca_file" : NULL;
	if (too_long) {
		http_error(c, 400, "invalid_field", "field \"relay.%s\" is "
		    "longer than %d bytes", too_long, TAME_IMAP_URL_MAX);
		return -1;
	}
	if (mailbox_id > 0) {
		rc = store_relay_get(c->store, mailbox_id, out);
		if (rc && rc != TAME_ENOTFOUND) {
			http_store_error(c, rc, "relay settings");
			return -1;
		}
		existing = rc == TAME_OK;
	}
	if (!url && !existing) {
		http_error(c, 400, "missing_field", "field \"relay.url\" is "
		    "required to give a mailbox its own relay");
		goto fail;
	}
	/* a URL without a password keeps the stored one (NULL) only for
	 * the same server and user */
	stored_tls = out->tls;
	if (!url && out->password) {
		memset(out->password, 0, strlen(out->password));
		free(out->password);
		out->password = NULL;
	}
	if (url && relay_conf_change_url(json_string_value(url), out, err,
	    sizeof(err))) {
		http_error(c, 400, "invalid_field", "field \"relay.url\": %s",
		    err);
		goto fail;
	}
	/* starttls says how an smtp:// relay talks (true: as ?starttls in
	 * the URL); false beside a URL with ?starttls, or true for smtps://,
	 * which is TLS from the start, would be read one way or the other */
	if (starttls && ((out->tls == RELAY_TLS_IMPLICIT &&
	    json_is_true(starttls)) || (url && out->tls ==
	    RELAY_TLS_STARTTLS && !json_is_true(starttls)))) {
		http_error(c, 400, "invalid_field", "field \"relay.starttls\" "
		    "%s", out->tls == RELAY_TLS_IMPLICIT ? "is for smtp:// "
		    "only: smtps:// is TLS from the start" : "is false but "
		    "\"relay.url\" asks for ?starttls");
		goto fail;
	}
	if (starttls && out->tls != RELAY_TLS_IMPLICIT)
		out->tls = json_is_true(starttls) ? RELAY_TLS_STARTTLS :
		    RELAY_TLS_NONE;
	if (out->user && !out->password && out->tls != stored_tls) {
		url_auth_fail(URL_AUTH_PASSWORD, "relay URL", err, sizeof(err));
		http_error(c, 400, "invalid_field", "field \"relay.url\": %s "
		    "(relay.starttls changes the TLS mode)", err);
		goto fail;
	}
	if (relay_conf_login_in_clear(out)) {
		http_error(c, 400, "invalid_field", "field \"relay.url\": %s",
		    RELAY_LOGIN_TLS);
		goto fail;
	}
	if (ca && json_is_string(ca)) {
		const char *p = json_string_value(ca);

		if (p[0] != '/' || access(p, R_OK) != 0) {
			http_error(c, 400, "invalid_field", "field "
			    "\"relay.ca_file\" must be an absolute path tamed "
			    "can read");
			goto fail;
		}
		if (!(copy = strdup(p))) {
			http_error(c, 500, "internal", "out of memory");
			goto fail;
		}
	}
	if (ca) {
		free(out->ca_file);
		out->ca_file = copy;
	}
	out->mailbox_id = mailbox_id;
	return 0;
fail:
	relay_conf_clear(out);
	return -1;
}

/* See http_relay.h. */
int
http_relay_save(struct http_ctx *c, int64_t mailbox_id,
    struct relay_conf *conf, int remove)
{
	enum tame_err rc;

	if (remove) {
		rc = store_relay_delete(c->store, mailbox_id);
		if (rc == TAME_ENOTFOUND)
			rc = TAME_OK;
	} else {
		conf->mailbox_id = mailbox_id;
		rc = store_relay_set(c->store, conf, tame_now_ms());
	}
	if (rc) {
		http_store_error(c, rc, "relay settings");
		return -1;
	}
	/* mail that waited for a relay may go now */
	outbox_relay_set(c->outbox);
	return 0;
}

/* Composes the test message from mb to `to` into raw. */
static enum tame_err
compose_test(const struct mailbox *mb, const char *to, struct buf *raw)
{
	struct mime_out m;
	const char *domain = strchr(mb->address, '@');
	const char *rcpt[1] = { to };
	char *mid;
	enum tame_err rc;

	if (!(mid = mime_new_message_id(domain ? domain + 1 : NULL)))
		return TAME_ENOMEM;
	memset(&m, 0, sizeof(m));
	m.from_email = mb->address;
	m.from_name = mb->name;
	m.to = rcpt;
	m.nto = 1;
	m.subject = "Test email from Tame";
	m.message_id = mid;
	m.text = "This is a test email sent from Tame to check that the "
	    "mailbox can send mail.\nNo need to answer it.\n";
	m.date_ms = tame_now_ms();
	rc = mime_compose(&m, raw);
	free(mid);
	return rc;
}

/* A test-send on a thread of its own (http_async.c): it owns copies
 * of everything it sends with, so nothing it reads goes away meanwhile
 * (the request, the outbox at shutdown). */
struct test_send {
	struct relay_conf relay;  /* the mailbox's, or the --relay URL's */
	int own;                  /* relay is the mailbox's */
	char *from, *to;
	int64_t mailbox_id;
	struct buf raw;
};

static void
test_send_free(void *arg)
{
	struct test_send *t = arg;

	relay_conf_clear(&t->relay);
	free(t->from);
	free(t->to);
	buf_free(&t->raw);
	free(t);
}

static json_t *
test_send_job(void *arg)
{
	struct test_send *t = arg;
	struct smtp_client_job job;
	char error[128], detail[1024];
	const char *which = t->own ? "mailbox" : "global";

	memset(&job, 0, sizeof(job));
	job.relay = &t->relay;
	job.try_tls = !t->own;
	job.mail_from = t->from;
	job.rcpts = t->to;
	job.raw = t->raw.data;
	job.len = t->raw.len;
	job.timeout_s = TEST_SEND_TIMEOUT_S;
	if (smtp_client_send(&job, error, sizeof(error), detail,
	    sizeof(detail)) == SMTP_CLIENT_SENT) {
		tame_log(TAME_LOG_INFO, "http: test email of mailbox %lld "
		    "sent to %s", (long long)t->mailbox_id, t->to);
		return json_pack("{s:b,s:s}", "ok", 1, "relay", which);
	}
	tame_log(TAME_LOG_INFO, "http: test email of mailbox %lld failed: "
	    "%s: %s", (long long)t->mailbox_id, error, detail);
	return json_pack("{s:b,s:s,s:s,s:s}", "ok", 0, "relay", which,
	    "error", error, "detail", detail);
}

/* See http_relay.h. */
void
http_relay_test_send(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "to", JF_LINE, 1, TAME_FIELD_MAX },
	};
	struct json_body_err jerr;
	struct mailbox mb = { 0 };
	struct relay_conf relay;
	struct test_send *t = NULL;
	struct buf raw;
	const char *to;
	json_t *body;
	enum tame_err rc;
	int own = 0;

	memset(&relay, 0, sizeof(relay));
	buf_init(&raw, 64 * 1024);
	if (!http_require_admin(c) ||
	    !(body = http_body(c, TAME_HTTP_BODY_MAX)))
		goto out_nobody;
	if (json_body_check(body, fields, 1, &jerr)) {
		http_body_error(c, &jerr);
		goto out;
	}
	to = json_body_str(body, "to");
	if (!reply_addr_valid(to)) {
		http_error(c, 400, "invalid_field",
		    "field \"to\" is not an email address");
		goto out;
	}
	if ((rc = store_mailbox_get(c->store, c->id[0], &mb))) {
		http_store_error(c, rc, "mailbox");
		goto out;
	}
	rc = store_relay_get(c->store, mb.id, &relay);
	if (rc && rc != TAME_ENOTFOUND) {
		http_store_error(c, rc, "relay settings");
		goto out;
	}
	own = rc == TAME_OK;
	if (!own && !outbox_global_relay(c->outbox)) {
		http_error(c, 409, "conflict", "mailbox %lld has no relay and "
		    "tamed runs without --relay", (long long)mb.id);
		goto out;
	}
	if ((rc = compose_test(&mb, to, &raw))) {
		http_store_error(c, rc, "test message");
		goto out;
	}
	if (!(t = calloc(1, sizeof(*t))) ||
	    (!own && relay_conf_parse_url(outbox_global_relay(c->outbox),
	    &relay, NULL, 0)) ||
	    !(t->from = tame_strdup(mb.address)) ||
	    !(t->to = tame_strdup(to))) {
		if (t)
			test_send_free(t);
		http_error(c, 500, "internal", "out of memory");
		goto out;
	}
	/* the job's now: the relay settings and the message */
	t->relay = relay;
	memset(&relay, 0, sizeof(relay));
	t->own = own;
	t->mailbox_id = mb.id;
	t->raw = raw;
	buf_init(&raw, 0);
	http_async_answer(c, test_send_job, t, test_send_free);
out:
	json_decref(body);
out_nobody:
	mailbox_clear(&mb);
	relay_conf_clear(&relay);
	buf_free(&raw);
}
