/*
 * relay_conf.c - a mailbox's outgoing relay from and to its URL. See
 * relay_conf.h.
 *
 * The URL is what an admin types (`tame mailbox add --relay URL`, the
 * API's "relay.url"), so it is read strictly: smtp or smtps, an
 * optional user and password, a host, an optional port, no path, and at
 * most the "starttls" query. Decoded parts must hold no control
 * characters: the user name and password end up in SMTP AUTH, where a
 * CR LF would start a new command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "relay_conf.h"
#include "url_auth.h"
#include "util.h"
#include "../tame_limits.h"

void
relay_conf_clear(struct relay_conf *c)
{
	if (!c)
		return;
	free(c->host);
	free(c->user);
	if (c->password) {
		/* do not leave the secret in freed memory */
		memset(c->password, 0, strlen(c->password));
		free(c->password);
	}
	free(c->ca_file);
	memset(c, 0, sizeof(*c));
}

static void
fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static void
wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* See relay_conf.h. */
enum tame_err
relay_conf_parse_url(const char *url, struct relay_conf *c, char *err,
    size_t errlen)
{
	const char *rest;
	struct url_auth a;
	enum relay_tls tls;
	enum url_auth_why why;
	enum tame_err rc = TAME_EINVAL;
	int port;

	if (!url || strlen(url) > TAME_IMAP_URL_MAX) {
		fail(err, errlen, "relay URL missing or too long");
		return TAME_EINVAL;
	}
	if (strncasecmp(url, "smtps://", 8) == 0) {
		tls = RELAY_TLS_IMPLICIT;
		url += 8;
	} else if (strncasecmp(url, "smtp://", 7) == 0) {
		tls = RELAY_TLS_NONE;
		url += 7;
	} else {
		fail(err, errlen, "relay URL must start with smtp:// or "
		    "smtps://");
		return TAME_EINVAL;
	}
	if ((why = url_auth_parse(url, 0, &a)))
		return url_auth_fail(why, "relay URL", err, errlen);
	/* the query decides the default port, so read it first */
	rest = a.end;
	if (*rest == '/')
		rest++;
	if (*rest == '?' && strcasecmp(rest + 1, "starttls") == 0) {
		if (tls == RELAY_TLS_IMPLICIT) {
			fail(err, errlen, "relay URL: smtps:// is TLS already;"
			    " ?starttls goes with smtp://");
			goto out;
		}
		tls = RELAY_TLS_STARTTLS;
	} else if (*rest) {
		fail(err, errlen, "relay URL: no path allowed, and the only "
		    "query is ?starttls");
		goto out;
	}
	if ((why = url_auth_port(&a, tls == RELAY_TLS_IMPLICIT ? 465 :
	    tls == RELAY_TLS_STARTTLS ? 587 : 25, &port))) {
		/* relay URLs have always called anything but :PORT after
		 * the host a bad port */
		rc = url_auth_fail(why == URL_AUTH_JUNK ? URL_AUTH_PORT : why,
		    "relay URL", err, errlen);
		goto out;
	}
	/* ownership of the strings moves from a to c */
	free(c->host);
	c->host = a.host;
	c->port = port;
	c->tls = tls;
	free(c->user);
	c->user = a.user;
	wipe_free(c->password);
	c->password = a.password;
	return TAME_OK;
out:
	url_auth_clear(&a);
	return rc;
}

/* See relay_conf.h. */
enum tame_err
relay_conf_change_url(const char *url, struct relay_conf *c, char *err,
    size_t errlen)
{
	struct url_auth_was w;
	enum tame_err rc;

	url_auth_take(&w, &c->host, &c->user, &c->password, c->port,
	    (int)c->tls);
	rc = relay_conf_parse_url(url, c, err, errlen);
	return url_auth_settle(&w, rc, &c->host, &c->user, c->password,
	    c->port, (int)c->tls, "relay URL", err, errlen);
}

/* See relay_conf.h. */
int
relay_conf_login_in_clear(const struct relay_conf *c)
{
	return c->user && *c->user && c->tls == RELAY_TLS_NONE &&
	    (!c->host || !url_auth_loopback(c->host));
}

/* Appends s percent-encoded (all but unreserved characters). */
static enum tame_err
pct_encode(const char *s, struct buf *out)
{
	enum tame_err rc = TAME_OK;

	for (; *s && !rc; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			rc = buf_add(out, s, 1);
		else
			rc = buf_printf(out, "%%%02X", ch);
	}
	return rc;
}

static enum tame_err
host_port(const struct relay_conf *c, struct buf *out)
{
	if (strchr(c->host, ':'))
		return buf_printf(out, "[%s]:%d", c->host, c->port);
	return buf_printf(out, "%s:%d", c->host, c->port);
}

/* See relay_conf.h. */
enum tame_err
relay_conf_url(const struct relay_conf *c, struct buf *out)
{
	enum tame_err rc;

	if (!c->host)
		return TAME_EINVAL;
	if ((rc = buf_addstr(out, c->tls == RELAY_TLS_IMPLICIT ? "smtps://" :
	    "smtp://")))
		return rc;
	if (c->user && *c->user && ((rc = pct_encode(c->user, out)) ||
	    (rc = buf_addstr(out, "@"))))
		return rc;
	if ((rc = host_port(c, out)))
		return rc;
	return c->tls == RELAY_TLS_STARTTLS ? buf_addstr(out, "?starttls") :
	    TAME_OK;
}

/* See relay_conf.h. */
enum tame_err
relay_conf_curl_url(const struct relay_conf *c, struct buf *out)
{
	enum tame_err rc;

	if (!c->host)
		return TAME_EINVAL;
	if ((rc = buf_addstr(out, c->tls == RELAY_TLS_IMPLICIT ? "smtps://" :
	    "smtp://")))
		return rc;
	return host_port(c, out);
}

const char *
relay_conf_tls_name(enum relay_tls t)
{
	switch (t) {
	case RELAY_TLS_STARTTLS:
		return "starttls";
	case RELAY_TLS_IMPLICIT:
		return "smtps";
	default:
		return "none";
	}
}
