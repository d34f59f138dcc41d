/*
 * store_imap.c - the public store_imap_* functions (store.h): checks that
 * are the same for every engine, sealing and opening the IMAP password
 * with the data directory's key (store_secret.h), then a call through
 * the connection's backend table.
 *
 * Model: like store.c, but for one feature. The password is sealed here
 * rather than in an engine so that the SQLite and PostgreSQL backends
 * store the same opaque text and neither ever sees the plain password.
 */
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "store_backend.h"
#include "store_secret.h"

#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		store_set_errmsg(s, "%s: bad argument (%s)", __func__,	\
		    #cond);						\
		return TAME_EINVAL;					\
	}								\
} while (0)

/* Fields an engine may rely on being present and bounded. */
static enum tame_err
check_conf(struct store *s, const struct imap_conf *c)
{
	if (c->mailbox_id <= 0 || !c->host || !*c->host || !c->user ||
	    !*c->user || !c->folder || !*c->folder || c->port < 1 ||
	    c->port > 65535) {
		store_set_errmsg(s, "IMAP settings incomplete");
		return TAME_EINVAL;
	}
	if (strlen(c->host) > TAME_FIELD_MAX ||
	    strlen(c->user) > TAME_FIELD_MAX ||
	    strlen(c->folder) > TAME_FIELD_MAX ||
	    (c->after_folder && strlen(c->after_folder) > TAME_FIELD_MAX) ||
	    (c->ca_file && strlen(c->ca_file) > TAME_IMAP_URL_MAX) ||
	    (c->pinned_key && strlen(c->pinned_key) > TAME_IMAP_URL_MAX) ||
	    (c->password && strlen(c->password) > TAME_IMAP_URL_MAX)) {
		store_set_errmsg(s, "IMAP setting too long");
		return TAME_ETOOBIG;
	}
	if (c->after == IMAP_AFTER_MOVE && (!c->after_folder ||
	    !*c->after_folder)) {
		store_set_errmsg(s, "move without a folder");
		return TAME_EINVAL;
	}
	if (c->poll_ms < TAME_IMAP_POLL_MS_MIN ||
	    c->poll_ms > TAME_IMAP_POLL_MS_MAX) {
		store_set_errmsg(s, "poll interval out of range");
		return TAME_EINVAL;
	}
	return TAME_OK;
}

/* See store.h. */
enum tame_err
store_imap_set(struct store *s, const struct imap_conf *c, int64_t now)
{
	char *sealed = NULL;
	enum tame_err rc;

	REQUIRE(c);
	if ((rc = check_conf(s, c)))
		return rc;
	if (c->password) {
		if (!s->datadir[0]) {
			store_set_errmsg(s, "no data directory for the key");
			return TAME_EIO;
		}
		if ((rc = store_secret_seal(s->datadir, c->password,
		    &sealed))) {
			store_set_errmsg(s, "cannot seal the IMAP password "
			    "(key file %s/secret.key): %s", s->datadir,
			    store_secret_strerror(rc));
			return rc;
		}
	}
	rc = s->be->imap_set(s, c, sealed, now);
	free(sealed);
	return rc;
}

enum tame_err
store_imap_delete(struct store *s, int64_t mailbox_id)
{
	return s->be->imap_delete(s, mailbox_id);
}

/* See store.h. */
enum tame_err
store_imap_get(struct store *s, int64_t mailbox_id, struct imap_conf *out)
{
	char *sealed = NULL;
	enum tame_err rc;

	REQUIRE(out);
	memset(out, 0, sizeof(*out));
	if ((rc = s->be->imap_get(s, mailbox_id, out, &sealed)))
		return rc;
	rc = store_secret_open(s->datadir, sealed ? sealed : "",
	    &out->password);
	if (rc) {
		store_set_errmsg(s, "cannot open the IMAP password of mailbox "
		    "%lld with %s/secret.key: %s", (long long)mailbox_id,
		    s->datadir, store_secret_strerror(rc));
		imap_conf_clear(out);
	}
	free(sealed);
	return rc;
}

enum tame_err
store_imap_list(struct store *s, struct store_imap_entry **out, size_t *n)
{
	REQUIRE(out && n);
	*out = NULL;
	*n = 0;
	return s->be->imap_list(s, out, n);
}

enum tame_err
store_imap_state_get(struct store *s, int64_t mailbox_id, const char *account,
    const char *folder, int64_t *uidvalidity, int64_t *last_uid)
{
	REQUIRE(account && folder && uidvalidity && last_uid);
	return s->be->imap_state_get(s, mailbox_id, account, folder,
	    uidvalidity, last_uid);
}

enum tame_err
store_imap_state_set(struct store *s, int64_t mailbox_id, const char *account,
    const char *folder, int64_t uidvalidity, int64_t last_uid,
    int64_t imported, int64_t backlog, int64_t now)
{
	REQUIRE(account && folder);
	REQUIRE(last_uid >= 0 && imported >= 0);
	return s->be->imap_state_set(s, mailbox_id, account, folder,
	    uidvalidity, last_uid, imported, backlog < 0 ? 0 : backlog, now);
}

enum tame_err
store_imap_status(struct store *s, int64_t mailbox_id, const char *error,
    const char *detail, int64_t now)
{
	return s->be->imap_status(s, mailbox_id, error, error ? detail : NULL,
	    now);
}

enum tame_err
store_imap_watch(struct store *s, int64_t mailbox_id, const char *watch)
{
	if (!s || mailbox_id <= 0 || !watch)
		return TAME_EINVAL;
	return s->be->imap_watch(s, mailbox_id, watch);
}

enum tame_err
store_imap_view(struct store *s, int64_t mailbox_id, json_t **out)
{
	REQUIRE(out);
	return s->be->imap_view(s, mailbox_id, out);
}
