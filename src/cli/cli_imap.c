/*
 * cli_imap.c - connecting a mailbox to an existing IMAP mailbox from the
 * command line:
 *
 *   tame --data DIR mailbox add --address A --name N --imap URL
 *        [--after seen|delete|move:FOLDER] [--imap-ca FILE]
 *        [--imap-pin sha256//BASE64] [--imap-poll-ms MS]
 *   tame --data DIR mailbox set --address A [--name N] [--imap URL]
 *        [--after ...] [--imap-ca FILE|none] [--imap-pin PIN|none]
 *        [--imap-poll-ms MS] [--no-imap]
 *
 * URL is imap://USER:PASSWORD@HOST:PORT/FOLDER (plain text),
 * imap://...?starttls (STARTTLS required) or imaps://... (TLS), parts
 * percent-encoded (core/imap_conf.h). A URL without a password keeps
 * the stored one for the same TLS mode, host, port and user. A running
 * tamed picks the change up within a second (src/net/imap_poll.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../core/util.h"
#include "../mail/reply.h"
#include "../tame_limits.h"
#include "cli.h"

#define EX_DATAERR_ 65

/* Replaces *dst with a copy of v ("none" clears it). */
static enum tame_err
set_opt(char **dst, const char *v)
{
	char *c = NULL;

	if (strcmp(v, "none") != 0 && !(c = strdup(v)))
		return TAME_ENOMEM;
	free(*dst);
	*dst = c;
	return TAME_OK;
}

/* With --password-stdin, the password of url is read from stdin into
 * c. 0, or an exit code after printing why. */
static int
stdin_password(const char *url, struct imap_conf *c, int argc, char **argv)
{
	struct imap_conf u;
	char err[256];
	int in_url;

	if (!cli_flag(argc, argv, "--password-stdin"))
		return 0;
	memset(&u, 0, sizeof(u));
	in_url = imap_conf_parse_url(url, &u, err, sizeof(err)) == TAME_OK &&
	    u.password;
	imap_conf_clear(&u);
	return cli_url_password(in_url, &c->password);
}

/* Applies the IMAP options of argv to c (stored: c holds a mailbox's
 * stored settings). 0, or an exit code after printing why. */
static int
apply_opts(struct imap_conf *c, int argc, char **argv, int stored)
{
	const char *url = cli_opt(argc, argv, "--imap");
	const char *after = cli_opt(argc, argv, "--after");
	const char *ca = cli_opt(argc, argv, "--imap-ca");
	const char *pin = cli_opt(argc, argv, "--imap-pin");
	const char *poll = cli_opt(argc, argv, "--imap-poll-ms");
	char err[256], real[PATH_MAX];
	int64_t ms;
	int code;

	/* over stored settings, a URL without a password keeps the
	 * stored one only for the same server and user (with
	 * --password-stdin one is on its way) */
	if (url && (stored && !cli_flag(argc, argv, "--password-stdin") ?
	    imap_conf_change_url(url, c, err, sizeof(err)) :
	    imap_conf_parse_url(url, c, err, sizeof(err)))) {
		fprintf(stderr, "tame: %s\n", err);
		return EX_DATAERR_;
	}
	if (url && (code = stdin_password(url, c, argc, argv)))
		return code;
	if (after && imap_conf_parse_after(after, c, err, sizeof(err))) {
		fprintf(stderr, "tame: %s\n", err);
		return EX_DATAERR_;
	}
	if (ca && strcmp(ca, "none") != 0) {
		/* tamed may run elsewhere: keep an absolute path, and
		 * refuse a file that cannot be read now */
		if (!realpath(ca, real) || access(real, R_OK) != 0) {
			fprintf(stderr, "tame: cannot read CA file %s\n", ca);
			return EX_DATAERR_;
		}
		ca = real;
	}
	if (ca && set_opt(&c->ca_file, ca))
		return EX_DATAERR_;
	if (pin && strcmp(pin, "none") != 0 &&
	    (strncmp(pin, "sha256//", 8) != 0 || strlen(pin) < 9 ||
	    strlen(pin) > TAME_IMAP_URL_MAX)) {
		fprintf(stderr, "tame: --imap-pin must be sha256//BASE64 "
		    "(the server's public key hash)\n");
		return EX_DATAERR_;
	}
	if (pin && set_opt(&c->pinned_key, pin))
		return EX_DATAERR_;
	if (poll) {
		if (tame_parse_i64(poll, TAME_IMAP_POLL_MS_MIN,
		    TAME_IMAP_POLL_MS_MAX, &ms)) {
			fprintf(stderr, "tame: --imap-poll-ms must be %d to "
			    "%d\n", TAME_IMAP_POLL_MS_MIN,
			    TAME_IMAP_POLL_MS_MAX);
			return EX_DATAERR_;
		}
		c->poll_ms = ms;
	}
	return 0;
}

/* Stores c, telling why not. */
static int
save(struct store *s, const struct imap_conf *c)
{
	enum tame_err rc;

	if ((rc = store_imap_set(s, c, tame_now_ms()))) {
		fprintf(stderr, "tame: IMAP settings not saved: %s\n",
		    rc == TAME_EINVAL ? "the URL needs a password "
		    "(imap://USER:PASSWORD@HOST/FOLDER)" : store_errmsg(s));
		return cli_exit_code(rc);
	}
	return 0;
}

/* See cli.h. */
int
cli_imap_mailbox_add(struct store *s, const char *address, const char *name,
    int argc, char **argv)
{
	struct imap_conf c;
	enum tame_err rc;
	int64_t id;
	int code;

	memset(&c, 0, sizeof(c));
	c.poll_ms = TAME_IMAP_POLL_MS_DEFAULT;
	c.after = IMAP_AFTER_SEEN;
	if ((code = apply_opts(&c, argc, argv, 0)))
		goto out;
	if (!c.password) {
		fprintf(stderr, "tame: the IMAP URL needs a password "
		    "(imap://USER:PASSWORD@HOST/FOLDER)\n");
		code = EX_DATAERR_;
		goto out;
	}
	/* the mailbox and its settings together, or neither */
	if ((rc = store_begin(s))) {
		code = cli_exit_code(rc);
		goto out;
	}
	rc = store_mailbox_create(s, address, name, tame_now_ms(), &id);
	if (rc == TAME_EEXIST) {
		store_rollback(s);
		fprintf(stderr, "tame: mailbox %s already exists (change it "
		    "with: tame mailbox set --address %s --imap URL)\n",
		    address, address);
		code = EX_DATAERR_;
		goto out;
	}
	c.mailbox_id = id;
	if (rc || (code = save(s, &c))) {
		if (rc)
			fprintf(stderr, "tame: %s\n", store_errmsg(s));
		store_rollback(s);
		code = code ? code : cli_exit_code(rc);
		goto out;
	}
	if ((rc = store_commit(s))) {
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
		code = cli_exit_code(rc);
		goto out;
	}
	printf("%lld\n", (long long)id);
	code = 0;
out:
	imap_conf_clear(&c);
	return code;
}

/* See cli.h. */
int
cli_imap_mailbox_set(struct store *s, int argc, char **argv)
{
	const char *addr = cli_opt(argc, argv, "--address");
	const char *name = cli_opt(argc, argv, "--name");
	struct mailbox mb;
	struct imap_conf c;
	enum tame_err rc;
	int code = 0, has_imap;

	memset(&mb, 0, sizeof(mb));
	memset(&c, 0, sizeof(c));
	if (!addr) {
		fprintf(stderr, "usage: tame mailbox set --address A [--name N]"
		    " [--imap URL] [--after seen|delete|move:FOLDER]\n"
		    "       [--imap-ca FILE|none] [--imap-pin PIN|none] "
		    "[--imap-poll-ms MS] [--no-imap]\n");
		return 64;
	}
	if ((rc = store_mailbox_by_address(s, addr, &mb))) {
		fprintf(stderr, "tame: no mailbox %s\n", addr);
		return cli_exit_code(rc);
	}
	if (name && (!*name || strlen(name) > TAME_FIELD_MAX ||
	    (rc = store_mailbox_update(s, mb.id, name, -1, NULL)))) {
		fprintf(stderr, "tame: name not changed: %s\n",
		    rc ? store_errmsg(s) : "empty or too long");
		code = rc ? cli_exit_code(rc) : EX_DATAERR_;
		goto out;
	}
	if (cli_flag(argc, argv, "--no-imap")) {
		rc = store_imap_delete(s, mb.id);
		if (rc && rc != TAME_ENOTFOUND) {
			fprintf(stderr, "tame: %s\n", store_errmsg(s));
			code = cli_exit_code(rc);
		}
		goto out;
	}
	rc = store_imap_get(s, mb.id, &c);
	has_imap = rc == TAME_OK;
	if (rc && rc != TAME_ENOTFOUND) {
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
		code = cli_exit_code(rc);
		goto out;
	}
	if (!has_imap) {
		if (!cli_opt(argc, argv, "--imap")) {
			if (!name) {
				fprintf(stderr, "tame: mailbox %s has no IMAP "
				    "settings: give --imap URL\n", addr);
				code = EX_DATAERR_;
			}
			goto out;
		}
		c.poll_ms = TAME_IMAP_POLL_MS_DEFAULT;
		c.after = IMAP_AFTER_SEEN;
	}
	c.mailbox_id = mb.id;
	/* keep the stored password unless a URL brings a new one */
	if (c.password) {
		memset(c.password, 0, strlen(c.password));
		free(c.password);
		c.password = NULL;
	}
	if ((code = apply_opts(&c, argc, argv, has_imap)) == 0)
		code = save(s, &c);
out:
	mailbox_clear(&mb);
	imap_conf_clear(&c);
	return code;
}
