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
	const char *p, *auth, *auth_end, *at = NULL, *colon, *host;
	const char *host_end, *rest;
	char *user = NULL, *pass = NULL, *hostname = NULL, portbuf[8];
	enum relay_tls tls;
	enum tame_err rc = TAME_EINVAL;
	int64_t port;
	size_t n;
	int v6 = 0;

	if (!url || strlen(url) > TAME_IMAP_URL_MAX) {
		fail(err, errlen, "relay URL missing or too long");
		return TAME_EINVAL;
	}
	if (strncasecmp(url, "smtps://", 8) == 0) {
		tls = RELAY_TLS_IMPLICIT;
		p = url + 8;
	} else if (strncasecmp(url, "smtp://", 7) == 0) {
		tls = RELAY_TLS_NONE;
		p = url + 7;
	} else {
		fail(err, errlen, "relay URL must start with smtp:// or "
		    "smtps://");
		return TAME_EINVAL;
	}
	auth = p;
	auth_end = auth + strcspn(auth, "/?#");
	/* the last '@' ends the user part: passwords often hold an '@' */
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if ((rc = tame_pct_decode(auth, (size_t)((colon ? colon : at) -
		    auth), &user)) || (colon && (rc = tame_pct_decode(colon + 1,
		    (size_t)(at - colon - 1), &pass)))) {
			fail(err, errlen, "relay URL: bad character or "
			    "%-escape in the user name or password");
			rc = TAME_EINVAL;
			goto out;
		}
		if (!*user) {
			fail(err, errlen, "relay URL has an empty user name");
			rc = TAME_EINVAL;
			goto out;
		}
		host = at + 1;
	} else {
		host = auth;
	}
	rc = TAME_EINVAL;
	if (*host == '[') {
		v6 = 1;
		host++;
		if (!(host_end = memchr(host, ']', (size_t)(auth_end -
		    host)))) {
			fail(err, errlen, "relay URL: unclosed [ in the host");
			goto out;
		}
		p = host_end + 1;
	} else {
		host_end = host + strcspn(host, ":/?#");
		if (host_end > auth_end)
			host_end = auth_end;
		p = host_end;
	}
	if (!tame_url_host_ok(host, (size_t)(host_end - host), v6)) {
		fail(err, errlen, "relay URL: missing or bad host name");
		goto out;
	}
	/* the query decides the default port, so read it first */
	rest = auth_end;
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
	port = tls == RELAY_TLS_IMPLICIT ? 465 : tls == RELAY_TLS_STARTTLS ?
	    587 : 25;
	if (p < auth_end) {
		n = (size_t)(auth_end - p - 1);
		if (*p != ':' || n == 0 || n >= sizeof(portbuf)) {
			fail(err, errlen, "relay URL: bad port");
			goto out;
		}
		memcpy(portbuf, p + 1, n);
		portbuf[n] = '\0';
		if (tame_parse_i64(portbuf, 1, 65535, &port)) {
			fail(err, errlen, "relay URL: port must be 1 to 65535");
			goto out;
		}
	}
	if (!(hostname = strndup(host, (size_t)(host_end - host)))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	free(c->host);
	c->host = hostname;
	hostname = NULL;
	c->port = (int)port;
	c->tls = tls;
	free(c->user);
	c->user = user;
	user = NULL;
	wipe_free(c->password);
	c->password = pass;
	pass = NULL;
	rc = TAME_OK;
out:
	free(user);
	wipe_free(pass);
	free(hostname);
	return rc;
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
