/*
 * imap_conf.c - IMAP settings from and to their text forms. See
 * imap_conf.h.
 *
 * The URL is the one form an admin types (`tame mailbox add --imap
 * URL`, the API's "url"), so it is read strictly: a scheme we know, a
 * user, a host, an optional port, one folder path and at most the
 * "starttls" query. Decoded parts must not hold control characters:
 * they end up in IMAP commands, where a CR LF would start a new one.
 * Folder names travel as modified UTF-7 (RFC 3501 5.1.3), the only
 * form every server understands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "imap_conf.h"
#include "url_auth.h"
#include "util.h"
#include "../tame_limits.h"

void
imap_conf_clear(struct imap_conf *c)
{
	if (!c)
		return;
	free(c->address);
	free(c->host);
	free(c->user);
	if (c->password) {
		/* do not leave the secret in freed memory */
		memset(c->password, 0, strlen(c->password));
		free(c->password);
	}
	free(c->folder);
	free(c->after_folder);
	free(c->ca_file);
	free(c->pinned_key);
	memset(c, 0, sizeof(*c));
}

static void
fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static enum tame_err
set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
	return TAME_OK;
}

/* See imap_conf.h. */
enum tame_err
imap_conf_parse_url(const char *url, struct imap_conf *c, char *err,
    size_t errlen)
{
	const char *path, *path_end, *query;
	struct url_auth a;
	char *folder = NULL;
	int port;
	enum imap_tls tls;
	enum url_auth_why why;
	enum tame_err rc = TAME_EINVAL;

	if (!url || strlen(url) > TAME_IMAP_URL_MAX) {
		fail(err, errlen, "IMAP URL missing or too long");
		return TAME_EINVAL;
	}
	if (strncasecmp(url, "imaps://", 8) == 0) {
		tls = IMAP_TLS_IMPLICIT;
		url += 8;
	} else if (strncasecmp(url, "imap://", 7) == 0) {
		tls = IMAP_TLS_NONE;
		url += 7;
	} else {
		fail(err, errlen, "IMAP URL must start with imap:// or "
		    "imaps://");
		return TAME_EINVAL;
	}
	if ((why = url_auth_parse(url, 1, &a)) == URL_AUTH_NO_USER) {
		fail(err, errlen, "IMAP URL has no user name "
		    "(imap://USER:PASSWORD@HOST/FOLDER)");
		return TAME_EINVAL;
	}
	if (why)
		return url_auth_fail(why, "IMAP URL", err, errlen);
	if ((why = url_auth_port(&a, tls == IMAP_TLS_IMPLICIT ? 993 : 143,
	    &port))) {
		rc = url_auth_fail(why, "IMAP URL", err, errlen);
		goto out;
	}
	path = a.end;
	if (*path == '/')
		path++;
	path_end = path + strcspn(path, "?#");
	if (path_end > path && path_end[-1] == '/')
		path_end--;
	if ((rc = tame_pct_decode(path, (size_t)(path_end - path), &folder))) {
		fail(err, errlen, "IMAP URL: bad character or %-escape in "
		    "the folder");
		goto out;
	}
	if (strlen(folder) > TAME_FIELD_MAX) {
		fail(err, errlen, "IMAP URL: folder name too long");
		rc = TAME_EINVAL;
		goto out;
	}
	if (!*folder) {
		free(folder);
		if (!(folder = strdup("INBOX"))) {
			rc = TAME_ENOMEM;
			goto out;
		}
	}
	query = path + strcspn(path, "?#");
	if (*query == '#') {
		fail(err, errlen, "IMAP URL: a #fragment is not allowed");
		rc = TAME_EINVAL;
		goto out;
	}
	if (*query == '?') {
		if (strcasecmp(query + 1, "starttls") != 0) {
			fail(err, errlen, "IMAP URL: the only query known is "
			    "?starttls");
			rc = TAME_EINVAL;
			goto out;
		}
		if (tls == IMAP_TLS_IMPLICIT) {
			fail(err, errlen, "IMAP URL: ?starttls goes with "
			    "imap://, imaps:// is TLS already");
			rc = TAME_EINVAL;
			goto out;
		}
		tls = IMAP_TLS_STARTTLS;
	}
	/* ownership of the strings moves from a to c */
	set_str(&c->host, tame_ascii_lower(a.host));
	set_str(&c->user, a.user);
	if (c->password) {
		memset(c->password, 0, strlen(c->password));
	}
	set_str(&c->password, a.password);
	set_str(&c->folder, folder);
	c->port = port;
	c->tls = tls;
	return TAME_OK;
out:
	url_auth_clear(&a);
	free(folder);
	return rc;
}

/* See imap_conf.h. */
enum tame_err
imap_conf_change_url(const char *url, struct imap_conf *c, char *err,
    size_t errlen)
{
	struct url_auth_was w;
	enum tame_err rc;

	url_auth_take(&w, &c->host, &c->user, &c->password, c->port,
	    (int)c->tls);
	rc = imap_conf_parse_url(url, c, err, errlen);
	return url_auth_settle(&w, rc, &c->host, &c->user, c->password,
	    c->port, (int)c->tls, "IMAP URL", err, errlen);
}

/* See imap_conf.h. */
enum tame_err
imap_conf_parse_after(const char *s, struct imap_conf *c, char *err,
    size_t errlen)
{
	char *f;
	size_t i;

	if (!s) {
		fail(err, errlen, "missing after-import action");
		return TAME_EINVAL;
	}
	if (strcmp(s, "seen") == 0 || strcmp(s, "delete") == 0) {
		c->after = s[0] == 's' ? IMAP_AFTER_SEEN : IMAP_AFTER_DELETE;
		free(c->after_folder);
		c->after_folder = NULL;
		return TAME_OK;
	}
	if (strncmp(s, "move:", 5) != 0 || !s[5] ||
	    strlen(s + 5) > TAME_FIELD_MAX) {
		fail(err, errlen, "after-import action must be seen, delete "
		    "or move:FOLDER");
		return TAME_EINVAL;
	}
	for (i = 5; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			fail(err, errlen, "move:FOLDER has a control "
			    "character");
			return TAME_EINVAL;
		}
	if (!(f = strdup(s + 5)))
		return TAME_ENOMEM;
	free(c->after_folder);
	c->after_folder = f;
	c->after = IMAP_AFTER_MOVE;
	return TAME_OK;
}

const char *
imap_conf_tls_name(enum imap_tls t)
{
	switch (t) {
	case IMAP_TLS_IMPLICIT: return "imaps";
	case IMAP_TLS_STARTTLS: return "starttls";
	default: return "none";
	}
}

/* Percent-encodes s onto out, '/' kept only when slash is set. */
static enum tame_err
pct(const char *s, int slash, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	enum tame_err rc = TAME_OK;
	char e[3];

	for (; *s && !rc; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~' || (ch == '/' && slash)) {
			rc = buf_add(out, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[ch >> 4];
		e[2] = hex[ch & 15];
		rc = buf_add(out, e, 3);
	}
	return rc;
}

/* See imap_conf.h. */
enum tame_err
imap_conf_pct(const char *s, struct buf *out)
{
	return pct(s, 1, out);
}

/* See imap_conf.h. */
enum tame_err
imap_conf_url(const struct imap_conf *c, struct buf *out)
{
	enum tame_err rc;
	int v6 = c->host && strchr(c->host, ':') != NULL;

	if ((rc = buf_addstr(out, c->tls == IMAP_TLS_IMPLICIT ? "imaps://" :
	    "imap://")) ||
	    (rc = pct(c->user ? c->user : "", 0, out)) ||
	    (rc = buf_printf(out, "@%s%s%s:%d/", v6 ? "[" : "",
	    c->host ? c->host : "", v6 ? "]" : "", c->port)) ||
	    (rc = imap_conf_pct(c->folder ? c->folder : "INBOX", out)))
		return rc;
	if (c->tls == IMAP_TLS_STARTTLS)
		rc = buf_addstr(out, "?starttls");
	return rc;
}

/* See imap_conf.h. */
enum tame_err
imap_conf_after_text(const struct imap_conf *c, struct buf *out)
{
	switch (c->after) {
	case IMAP_AFTER_DELETE:
		return buf_addstr(out, "delete");
	case IMAP_AFTER_MOVE:
		return buf_printf(out, "move:%s",
		    c->after_folder ? c->after_folder : "");
	default:
		return buf_addstr(out, "seen");
	}
}

/* See imap_conf.h. */
enum tame_err
imap_conf_quote(const char *s, struct buf *out)
{
	enum tame_err rc = buf_add(out, "\"", 1);

	for (; *s && !rc; s++) {
		if (*s == '"' || *s == '\\')
			rc = buf_add(out, "\\", 1);
		if (!rc)
			rc = buf_add(out, s, 1);
	}
	return rc ? rc : buf_add(out, "\"", 1);
}

/* Next code point of UTF-8 s at *i; -1 when invalid. */
static long
utf8_next(const unsigned char *s, size_t *i)
{
	unsigned char c = s[*i];
	long cp;
	int n, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else {
		return -1;
	}
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += (size_t)n + 1;
	return cp;
}

/* Modified BASE64 of UTF-16BE units u[0..n), wrapped in & and -. */
static enum tame_err
mb64(const unsigned short *u, size_t n, struct buf *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+,";
	enum tame_err rc = buf_add(out, "&", 1);
	unsigned long acc = 0;
	int bits = 0;
	size_t i;
	char ch;

	for (i = 0; i < n && !rc; i++) {
		acc = (acc << 16) | u[i];
		bits += 16;
		while (bits >= 6 && !rc) {
			bits -= 6;
			ch = tab[(acc >> bits) & 0x3f];
			rc = buf_add(out, &ch, 1);
		}
		acc &= (1ul << bits) - 1;
	}
	if (!rc && bits > 0) {
		ch = tab[(acc << (6 - bits)) & 0x3f];
		rc = buf_add(out, &ch, 1);
	}
	return rc ? rc : buf_add(out, "-", 1);
}

/* See imap_conf.h. */
enum tame_err
imap_conf_mutf7(const char *utf8, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)utf8;
	/* a folder name is at most TAME_FIELD_MAX bytes, so at most that
	 * many UTF-16 units */
	unsigned short u[TAME_FIELD_MAX];
	size_t i = 0, n = 0;
	enum tame_err rc = TAME_OK;
	long cp;

	while (s[i] && !rc) {
		if ((cp = utf8_next(s, &i)) < 0)
			return TAME_EINVAL;
		if (cp < 0x20 || cp == 0x7f)
			return TAME_EINVAL;
		if (cp < 0x7f) {
			if (n && (rc = mb64(u, n, out)))
				break;
			n = 0;
			rc = cp == '&' ? buf_add(out, "&-", 2) :
			    buf_add(out, &s[i - 1], 1);
			continue;
		}
		if (n + 2 > sizeof(u) / sizeof(u[0]))
			return TAME_ETOOBIG;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[n++] = (unsigned short)(0xd800 | (cp >> 10));
			u[n++] = (unsigned short)(0xdc00 | (cp & 0x3ff));
		} else {
			u[n++] = (unsigned short)cp;
		}
	}
	if (!rc && n)
		rc = mb64(u, n, out);
	return rc;
}
