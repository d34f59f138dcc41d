/*
 * imap_conf.h - the IMAP settings of one mailbox, and the text forms
 * they are given in: an imap:// or imaps:// URL (RFC 5092 shape,
 * percent-encoded parts), the after-import action ("seen", "delete",
 * "move:FOLDER") and folder names as IMAP wants them (modified UTF-7,
 * RFC 3501 5.1.3).
 *
 * Model: pure functions on a plain struct, no I/O, so the CLI, the HTTP
 * API and the poller read settings the same way and a unit test can
 * check every corner of the URL syntax.
 */
#ifndef TAME_IMAP_CONF_H
#define TAME_IMAP_CONF_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

enum imap_tls {
	IMAP_TLS_IMPLICIT = 0,  /* imaps:// (RFC 8314), port 993 */
	IMAP_TLS_STARTTLS,      /* imap://...?starttls, TLS required */
	IMAP_TLS_NONE           /* imap:// plain text (loopback, tests) */
};

enum imap_after {
	IMAP_AFTER_SEEN = 0,    /* STORE +FLAGS (\Seen) */
	IMAP_AFTER_DELETE,      /* STORE +FLAGS (\Deleted), UID EXPUNGE */
	IMAP_AFTER_MOVE         /* UID MOVE to after_folder (RFC 6851) */
};

/* Strings are owned by the struct; imap_conf_clear() frees them. */
struct imap_conf {
	int64_t mailbox_id;
	char *address;         /* the mailbox's address (ingest recipient) */
	char *host;            /* name or IP; IPv6 without brackets */
	int port;
	enum imap_tls tls;
	char *user;
	char *password;        /* plain text, in memory only; may be NULL
	                          when a change keeps the stored one */
	char *folder;          /* UTF-8, "INBOX" by default */
	enum imap_after after;
	char *after_folder;    /* UTF-8, for IMAP_AFTER_MOVE, else NULL */
	int64_t poll_ms;       /* between polls of an idle folder */
	char *ca_file;         /* PEM file to trust instead of the system
	                          CAs, or NULL */
	char *pinned_key;      /* "sha256//BASE64" public-key pin, or NULL */
	int64_t version;       /* bumped by every change, for the poller */
};

/* Frees the strings of c and zeroes it. NULL is allowed. */
void imap_conf_clear(struct imap_conf *c);

/* Parses url ("imap://USER:PASSWORD@HOST:PORT/FOLDER[?starttls]" or
 * "imaps://...") into the connection fields of c: host, port, tls,
 * user, password (NULL when the URL has none), folder. Other fields are
 * untouched; fields it sets are freed first. On TAME_EINVAL, err (errlen
 * bytes) says what is wrong, naming no secret. */
enum tame_err imap_conf_parse_url(const char *url, struct imap_conf *c,
    char *err, size_t errlen);

/* Parses url into c as imap_conf_parse_url() does, c holding the
 * stored settings of a mailbox: a URL without a password leaves
 * c->password NULL, which keeps the stored one, but only when the URL
 * names the same TLS mode, host, port and user; for another,
 * TAME_EINVAL with err saying the password must be given. c->password
 * is wiped first either way. After a failure c is only to be
 * cleared. */
enum tame_err imap_conf_change_url(const char *url, struct imap_conf *c,
    char *err, size_t errlen);

/* Parses "seen", "delete" or "move:FOLDER" into c->after and
 * c->after_folder. TAME_EINVAL with err filled. */
enum tame_err imap_conf_parse_after(const char *s, struct imap_conf *c,
    char *err, size_t errlen);

/* Appends the URL of c without the password to out. */
enum tame_err imap_conf_url(const struct imap_conf *c, struct buf *out);
/* Appends "seen", "delete" or "move:FOLDER" to out. */
enum tame_err imap_conf_after_text(const struct imap_conf *c,
    struct buf *out);
/* "imaps", "starttls" or "none". Static. */
const char *imap_conf_tls_name(enum imap_tls t);

/* Appends the UTF-8 folder name as modified UTF-7 (RFC 3501 5.1.3) to
 * out. TAME_EINVAL for invalid UTF-8 or control characters. */
enum tame_err imap_conf_mutf7(const char *utf8, struct buf *out);

/* Appends s percent-encoded for a URL path to out: everything but
 * unreserved characters (RFC 3986) and '/' is encoded. */
enum tame_err imap_conf_pct(const char *s, struct buf *out);

/* Appends s as an IMAP quoted string ("..." with \ and " escaped). s
 * must have no CR, LF or NUL (imap_conf_mutf7 guarantees it). */
enum tame_err imap_conf_quote(const char *s, struct buf *out);

#endif
