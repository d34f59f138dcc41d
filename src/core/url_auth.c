/*
 * url_auth.c - the authority of an admin's URL (RFC 3986 3.2): user,
 * password, host and port. See url_auth.h.
 *
 * Read strictly, because the parts end up in protocol commands (IMAP
 * LOGIN, SMTP AUTH) and in the connection libcurl opens: decoded user
 * names and passwords hold no control characters (a CR LF would start
 * a new command), a host is a name or a bracketed IPv6 address that
 * tame_url_host_ok() accepts, and a port is 1 to 65535.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "url_auth.h"
#include "util.h"

static void
wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* See url_auth.h. */
void
url_auth_clear(struct url_auth *a)
{
	if (!a)
		return;
	free(a->user);
	wipe_free(a->password);
	free(a->host);
	memset(a, 0, sizeof(*a));
}

/* See url_auth.h. */
enum url_auth_why
url_auth_parse(const char *s, int need_user, struct url_auth *a)
{
	const char *p, *end, *at = NULL, *colon, *host, *host_end;
	enum url_auth_why why;
	enum tame_err rc;
	int v6 = 0;

	memset(a, 0, sizeof(*a));
	end = s + strcspn(s, "/?#");
	/* the last '@' ends the user part: passwords often hold an '@' */
	for (p = s; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at && need_user)
		return URL_AUTH_NO_USER;
	host = s;
	if (at) {
		colon = memchr(s, ':', (size_t)(at - s));
		if ((rc = tame_pct_decode(s, (size_t)((colon ? colon : at) - s),
		    &a->user)) || (colon && (rc = tame_pct_decode(colon + 1,
		    (size_t)(at - colon - 1), &a->password)))) {
			why = rc == TAME_ENOMEM ? URL_AUTH_NOMEM :
			    URL_AUTH_USERINFO;
			goto out;
		}
		if (!*a->user) {
			why = URL_AUTH_EMPTY_USER;
			goto out;
		}
		host = at + 1;
	}
	if (*host == '[') {
		v6 = 1;
		host++;
		if (!(host_end = memchr(host, ']', (size_t)(end - host)))) {
			why = URL_AUTH_UNCLOSED;
			goto out;
		}
		p = host_end + 1;
	} else {
		/* end is at the first of "/?#", so only ':' can come first */
		host_end = host + strcspn(host, ":/?#");
		p = host_end;
	}
	if (!tame_url_host_ok(host, (size_t)(host_end - host), v6)) {
		why = URL_AUTH_HOST;
		goto out;
	}
	if (!(a->host = tame_strndup(host, (size_t)(host_end - host)))) {
		why = URL_AUTH_NOMEM;
		goto out;
	}
	a->port = p;
	a->port_len = (size_t)(end - p);
	a->end = end;
	return URL_AUTH_OK;
out:
	url_auth_clear(a);
	return why;
}

/* See url_auth.h. */
enum url_auth_why
url_auth_port(const struct url_auth *a, int dflt, int *port)
{
	char buf[8];
	int64_t v;
	size_t n;

	if (a->port_len == 0) {
		*port = dflt;
		return URL_AUTH_OK;
	}
	if (a->port[0] != ':')
		return URL_AUTH_JUNK;
	n = a->port_len - 1;
	if (n == 0 || n >= sizeof(buf))
		return URL_AUTH_PORT;
	memcpy(buf, a->port + 1, n);
	buf[n] = '\0';
	if (tame_parse_i64(buf, 1, 65535, &v))
		return URL_AUTH_PORT_RANGE;
	*port = (int)v;
	return URL_AUTH_OK;
}

/* See url_auth.h. */
enum url_auth_why
url_auth_keep_password(int tls_was, const char *host_was, int port_was,
    const char *user_was, int tls, const char *host, int port,
    const char *user)
{
	if (tls_was != tls || port_was != port || !host_was || !host ||
	    strcasecmp(host_was, host) != 0 || !user_was != !user ||
	    (user && strcmp(user_was, user) != 0))
		return URL_AUTH_PASSWORD;
	return URL_AUTH_OK;
}

/* See url_auth.h. */
void
url_auth_take(struct url_auth_was *w, char **host, char **user,
    char **password, int port, int tls)
{
	w->host = *host;
	w->user = *user;
	w->port = port;
	w->tls = tls;
	*host = *user = NULL;
	wipe_free(*password);
	*password = NULL;
}

/* See url_auth.h. */
enum tame_err
url_auth_settle(struct url_auth_was *w, enum tame_err rc, char **host,
    char **user, const char *password, int port, int tls, const char *what,
    char *err, size_t errlen)
{
	if (rc) {
		*host = w->host;
		*user = w->user;
		return rc;
	}
	if (*user && !password && url_auth_keep_password(w->tls, w->host,
	    w->port, w->user, tls, *host, port, *user))
		rc = url_auth_fail(URL_AUTH_PASSWORD, what, err, errlen);
	free(w->host);
	free(w->user);
	return rc;
}

/* See url_auth.h. */
int
url_auth_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

/* See url_auth.h. */
enum tame_err
url_auth_fail(enum url_auth_why why, const char *what, char *err,
    size_t errlen)
{
	const char *msg;

	switch (why) {
	case URL_AUTH_NOMEM:
		msg = ": out of memory";
		break;
	case URL_AUTH_NO_USER:
		msg = " has no user name";
		break;
	case URL_AUTH_USERINFO:
		msg = ": bad character or %-escape in the user name or "
		    "password";
		break;
	case URL_AUTH_EMPTY_USER:
		msg = " has an empty user name";
		break;
	case URL_AUTH_UNCLOSED:
		msg = ": unclosed [ in the host";
		break;
	case URL_AUTH_HOST:
		msg = ": missing or bad host name";
		break;
	case URL_AUTH_JUNK:
		msg = ": junk after the host name";
		break;
	case URL_AUTH_PORT:
		msg = ": bad port";
		break;
	case URL_AUTH_PORT_RANGE:
		msg = ": port must be 1 to 65535";
		break;
	case URL_AUTH_PASSWORD:
		msg = " needs its password: a stored one is kept only for the "
		    "same TLS mode, host, port and user";
		break;
	default:
		msg = ": not understood";
		break;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s%s", what, msg);
	return why == URL_AUTH_NOMEM ? TAME_ENOMEM : TAME_EINVAL;
}
