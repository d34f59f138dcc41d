/*
 * url_auth.h - the authority of a URL an admin types,
 * [USER[:PASSWORD]@]HOST[:PORT] (RFC 3986 3.2), as the IMAP settings
 * (imap_conf.h) and the outgoing relay (relay_conf.h) read it.
 *
 * Model: the caller reads the scheme and hands over what follows "//";
 * url_auth_parse() splits off the user information and the host, and
 * url_auth_port() reads the port against the caller's default. They
 * are two calls because a caller may have to look past the authority
 * (the relay's ?starttls) to know its default port. Failures are a
 * reason code, so each caller keeps its own order of checks, and
 * url_auth_fail() words the reason with the caller's name for the URL.
 * Pure functions, no I/O.
 */
#ifndef TAME_URL_AUTH_H
#define TAME_URL_AUTH_H

#include <stddef.h>
#include "err.h"

/* Why an authority was refused. */
enum url_auth_why {
	URL_AUTH_OK = 0,
	URL_AUTH_NOMEM,         /* out of memory */
	URL_AUTH_NO_USER,       /* no '@', and the caller needs a user */
	URL_AUTH_USERINFO,      /* bad %-escape or control character in the
	                           user name or password */
	URL_AUTH_EMPTY_USER,    /* "@host" or ":pass@host" */
	URL_AUTH_UNCLOSED,      /* "[" without "]" */
	URL_AUTH_HOST,          /* missing or bad host name */
	URL_AUTH_JUNK,          /* after the host, something else than :PORT */
	URL_AUTH_PORT,          /* ":" with no port, or a port too long */
	URL_AUTH_PORT_RANGE,    /* not a number from 1 to 65535 */
	URL_AUTH_PASSWORD       /* no password, and the stored one may not
	                           be kept (url_auth_keep_password) */
};

/* A parsed authority. user, password and host are owned (free them with
 * url_auth_clear()); port and end point into the string parsed. */
struct url_auth {
	char *user;             /* percent-decoded; NULL without '@' */
	char *password;         /* percent-decoded; NULL without ':' before
	                           the '@' */
	char *host;             /* as written (not lower-cased), IPv6
	                           without brackets */
	const char *port;       /* what follows the host up to end, ":PORT"
	                           when well formed; empty when none */
	size_t port_len;
	const char *end;        /* first '/', '?', '#' or NUL after the
	                           authority: where the path begins */
};

/* Parses the authority at the start of s (what follows "scheme://"):
 * user information up to the last '@' (passwords often hold an '@'),
 * split at its first ':' and percent-decoded, then a host name or a
 * bracketed IPv6 address. With need_user, an authority without '@' is
 * URL_AUTH_NO_USER before anything else is looked at. On URL_AUTH_OK,
 * a is filled (the caller frees it with url_auth_clear()); otherwise a
 * holds nothing to free. */
enum url_auth_why url_auth_parse(const char *s, int need_user,
    struct url_auth *a);

/* Reads the port of a into *port: dflt when the authority has none.
 * *port is untouched on failure. */
enum url_auth_why url_auth_port(const struct url_auth *a, int dflt,
    int *port);

/* Frees the strings of a (wiping the password) and zeroes it. NULL is
 * allowed. */
void url_auth_clear(struct url_auth *a);

/* Whether a URL that brings no password may keep the one stored for
 * the settings it replaces: only when both name the same TLS mode (the
 * caller's enum), host (in any case), port and user (NULL: no login,
 * equal only to NULL). Otherwise the stored password would go to
 * another server, or over a channel it was never given for. Returns
 * URL_AUTH_OK or URL_AUTH_PASSWORD. */
enum url_auth_why url_auth_keep_password(int tls_was, const char *host_was,
    int port_was, const char *user_was, int tls, const char *host, int port,
    const char *user);

/* A change of URL over stored settings (imap_conf, relay_conf), in
 * two steps around the parse of the new URL into the same settings:
 * url_auth_take() takes the stored host and user out (the parse frees
 * what it replaces) and wipes the stored password (NULL keeps it in the
 * store); url_auth_settle() puts them back if the parse failed (rc),
 * else refuses a URL with a user and no password unless it names the
 * same TLS mode, host, port and user (url_auth_keep_password), and
 * frees what it took. Returns rc, or TAME_EINVAL with err filled
 * ("WHAT needs its password: ..."). */
struct url_auth_was {
	char *host, *user;
	int port, tls;
};
void url_auth_take(struct url_auth_was *w, char **host, char **user,
    char **password, int port, int tls);
enum tame_err url_auth_settle(struct url_auth_was *w, enum tame_err rc,
    char **host, char **user, const char *password, int port, int tls,
    const char *what, char *err, size_t errlen);

/* 1 when host names this machine's loopback interface: localhost,
 * 127.0.0.0/8 or ::1, where nothing crosses a network. */
int url_auth_loopback(const char *host);

/* Writes why into err (errlen bytes) as "WHAT: what is wrong", what
 * being the caller's name for the URL ("IMAP URL"); the message names
 * no part of the URL. Returns TAME_ENOMEM for URL_AUTH_NOMEM, else
 * TAME_EINVAL. */
enum tame_err url_auth_fail(enum url_auth_why why, const char *what,
    char *err, size_t errlen);

#endif
