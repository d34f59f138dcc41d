/*
 * store_relay.c - the public store_relay_* functions (store.h), and the
 * mailbox's signature beside them (how a mailbox sends): checks
 * that are the same for every engine, sealing and opening the relay
 * password with the data directory's key (store_secret.h), the JSON
 * view, then a call through the connection's backend table.
 *
 * Model: like store_imap.c. The password is sealed here so that every
 * engine stores the same opaque text and none sees the plain password;
 * the view is built here from the opened settings, without it.
 */
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "store_backend.h"
#include "store_secret.h"

static enum tame_err
check_conf(struct store *s, const struct relay_conf *c)
{
	if (c->mailbox_id <= 0 || !c->host || !*c->host || c->port < 1 ||
	    c->port > 65535 || c->tls < RELAY_TLS_STARTTLS ||
	    c->tls > RELAY_TLS_NONE) {
		store_set_errmsg(s, "relay settings incomplete");
		return TAME_EINVAL;
	}
	if (strlen(c->host) > TAME_FIELD_MAX ||
	    (c->user && strlen(c->user) > TAME_FIELD_MAX) ||
	    (c->ca_file && strlen(c->ca_file) > TAME_IMAP_URL_MAX) ||
	    (c->password && strlen(c->password) > TAME_IMAP_URL_MAX)) {
		store_set_errmsg(s, "relay setting too long");
		return TAME_ETOOBIG;
	}
	return TAME_OK;
}

/* See store.h. */
enum tame_err
store_relay_set(struct store *s, const struct relay_conf *c, int64_t now)
{
	char *sealed = NULL;
	enum tame_err rc;
	int login;

	if (!c)
		return TAME_EINVAL;
	if ((rc = check_conf(s, c)))
		return rc;
	login = c->user && *c->user;
	if (login && c->password) {
		if (!s->datadir[0]) {
			store_set_errmsg(s, "no data directory for the key");
			return TAME_EIO;
		}
		if ((rc = store_secret_seal(s->datadir, c->password,
		    &sealed))) {
			store_set_errmsg(s, "cannot seal the relay password "
			    "(key file %s/secret.key): %s", s->datadir,
			    store_secret_strerror(rc));
			return rc;
		}
	}
	rc = s->be->relay_set(s, c, sealed, login && !c->password, now);
	free(sealed);
	return rc;
}

enum tame_err
store_relay_delete(struct store *s, int64_t mailbox_id)
{
	return s->be->relay_delete(s, mailbox_id);
}

/* Fetches through the backend and opens the password. */
static enum tame_err
get(struct store *s, int64_t mailbox_id, int64_t ticket_id,
    const char *mail_from, struct relay_conf *out)
{
	char *sealed = NULL;
	enum tame_err rc;

	if (!out)
		return TAME_EINVAL;
	memset(out, 0, sizeof(*out));
	if ((rc = s->be->relay_get(s, mailbox_id, ticket_id, mail_from, out,
	    &sealed)))
		return rc;
	if (sealed && *sealed && (rc = store_secret_open(s->datadir, sealed,
	    &out->password))) {
		store_set_errmsg(s, "cannot open the relay password of mailbox "
		    "%lld with %s/secret.key: %s", (long long)out->mailbox_id,
		    s->datadir, store_secret_strerror(rc));
		relay_conf_clear(out);
	}
	free(sealed);
	return rc;
}

/* See store.h. */
enum tame_err
store_relay_get(struct store *s, int64_t mailbox_id, struct relay_conf *out)
{
	if (mailbox_id <= 0)
		return TAME_ENOTFOUND;
	return get(s, mailbox_id, 0, NULL, out);
}

/* See store.h. */
enum tame_err
store_relay_for(struct store *s, int64_t ticket_id, const char *mail_from,
    struct relay_conf *out)
{
	if (ticket_id <= 0 && (!mail_from || !*mail_from))
		return TAME_ENOTFOUND;
	return get(s, 0, ticket_id, mail_from, out);
}

/* See store.h. */
enum tame_err
store_mailbox_signature(struct store *s, int64_t mailbox_id,
    int64_t ticket_id, char **out)
{
	if (!out)
		return TAME_EINVAL;
	*out = NULL;
	if (mailbox_id <= 0 && ticket_id <= 0)
		return TAME_ENOTFOUND;
	return s->be->signature_get(s, mailbox_id, ticket_id, out);
}

/* See store.h. */
enum tame_err
store_mailbox_signature_set(struct store *s, int64_t mailbox_id,
    const char *text)
{
	if (text && strlen(text) > TAME_SIGNATURE_MAX) {
		store_set_errmsg(s, "signature too long");
		return TAME_ETOOBIG;
	}
	return s->be->signature_set(s, mailbox_id, text);
}

/* See store.h. */
enum tame_err
store_relay_view(struct store *s, int64_t mailbox_id, json_t **out)
{
	struct relay_conf c;
	struct buf url;
	enum tame_err rc;
	char *sealed = NULL;
	json_t *o;

	/* the password stays sealed: a view works without the key */
	*out = NULL;
	memset(&c, 0, sizeof(c));
	rc = mailbox_id > 0 ? s->be->relay_get(s, mailbox_id, 0, NULL, &c,
	    &sealed) : TAME_ENOTFOUND;
	if (rc == TAME_ENOTFOUND) {
		*out = json_null();
		return TAME_OK;
	}
	if (rc)
		return rc;
	buf_init(&url, TAME_IMAP_URL_MAX * 4);
	if ((rc = relay_conf_url(&c, &url)))
		goto out;
	o = json_pack("{s:s,s:s,s:i,s:s,s:s?,s:b,s:s?}", "url", buf_str(&url),
	    "host", c.host, "port", c.port, "tls", relay_conf_tls_name(c.tls),
	    "user", c.user, "has_password", sealed != NULL, "ca_file",
	    c.ca_file);
	if (!o)
		rc = TAME_ENOMEM;
	*out = o;
out:
	buf_free(&url);
	free(sealed);
	relay_conf_clear(&c);
	return rc;
}
