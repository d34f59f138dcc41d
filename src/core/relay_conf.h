/*
 * relay_conf.h - the outgoing relay of one mailbox (SMTP host, port,
 * TLS mode, login, trusted CA file) and the URL it is given as:
 * smtp://USER:PASSWORD@HOST:PORT (plain), smtp://...?starttls
 * (STARTTLS required, RFC 3207) or smtps://... (implicit TLS, RFC 8314),
 * parts percent-encoded.
 *
 * Model: pure functions on a plain struct, no I/O, like imap_conf.h, so
 * the CLI, the HTTP API and the outbox read a relay the same way and a
 * unit test can check the URL syntax. A mailbox without a relay uses
 * tamed's global --relay.
 */
#ifndef TAME_RELAY_CONF_H
#define TAME_RELAY_CONF_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

enum relay_tls {
	RELAY_TLS_STARTTLS = 0, /* smtp://...?starttls: STARTTLS required */
	RELAY_TLS_IMPLICIT,     /* smtps://, port 465 */
	RELAY_TLS_NONE          /* smtp:// plain text (loopback relays) */
};

/* Strings are owned by the struct; relay_conf_clear() frees them. */
struct relay_conf {
	int64_t mailbox_id;
	char *host;            /* name or IP; IPv6 without brackets */
	int port;
	enum relay_tls tls;
	char *user;            /* NULL: no AUTH */
	char *password;        /* plain text, in memory only; NULL when a
	                          change keeps the stored one */
	char *ca_file;         /* PEM file to trust instead of the system
	                          CAs (a self-signed relay), or NULL */
};

/* Frees the strings of c (wiping the password) and zeroes it. */
void relay_conf_clear(struct relay_conf *c);

/* Parses url into host, port, tls, user and password of c (fields it
 * sets are freed first; others untouched). The port defaults to 465
 * for smtps, 587 with ?starttls, 25 otherwise. On TAME_EINVAL, err
 * (errlen bytes) says what is wrong, naming no secret. */
enum tame_err relay_conf_parse_url(const char *url, struct relay_conf *c,
    char *err, size_t errlen);

/* Parses url into c as relay_conf_parse_url() does, c holding the
 * stored relay of a mailbox: a URL with a user but no password leaves
 * c->password NULL, which keeps the stored one, but only when the URL
 * names the same TLS mode, host, port and user; for another,
 * TAME_EINVAL with err saying the password must be given. c->password
 * is wiped first either way. After a failure c is only to be
 * cleared. */
enum tame_err relay_conf_change_url(const char *url, struct relay_conf *c,
    char *err, size_t errlen);

/* 1 when c logs in (has a user) over plain text (RELAY_TLS_NONE) to a
 * host that is not this machine's loopback (url_auth_loopback): the
 * password would cross a network in clear. */
int relay_conf_login_in_clear(const struct relay_conf *c);
/* Why such a relay is refused, for the admin. */
#define RELAY_LOGIN_TLS "a login to a relay on another machine needs TLS: " \
	"smtps:// or smtp://...?starttls (plain smtp:// only for localhost)"

/* Appends the URL of c without the password to out (the form shown by
 * the API and the admin page). */
enum tame_err relay_conf_url(const struct relay_conf *c, struct buf *out);

/* Appends the URL libcurl is given (smtp:// or smtps://HOST:PORT, no
 * credentials: those go by CURLOPT_USERNAME/PASSWORD). */
enum tame_err relay_conf_curl_url(const struct relay_conf *c,
    struct buf *out);

/* "starttls", "smtps" or "none". Static. */
const char *relay_conf_tls_name(enum relay_tls t);

#endif
