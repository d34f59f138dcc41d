/*
 * cli_relay.c - a mailbox's own outgoing relay from the command line:
 *
 *   tame --data DIR mailbox add --address A --name N [--imap URL ...]
 *        --relay URL [--relay-ca FILE]
 *   tame --data DIR mailbox set --address A [--relay URL]
 *        [--relay-ca FILE|none] [--no-relay]
 *
 * URL is smtp://USER:PASSWORD@HOST:PORT (plain text),
 * smtp://...?starttls (STARTTLS required) or smtps://... (TLS), parts
 * percent-encoded (core/relay_conf.h). A URL without a password keeps
 * the stored one for the same TLS mode, host, port and user. --relay-ca
 * names a PEM file of CAs to trust for this relay (a self-signed
 * certificate). The outbox of a running tamed reads the relay of each
 * message as it sends it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../core/util.h"
#include "../tame_limits.h"
#include "cli.h"

#define EX_DATAERR_ 65

/* With --password-stdin, the password of url is read from stdin into
 * c. 0, or an exit code after printing why. */
static int
stdin_password(const char *url, struct relay_conf *c, int argc, char **argv)
{
	struct relay_conf u;
	char err[256];
	int in_url;

	if (!cli_flag(argc, argv, "--password-stdin"))
		return 0;
	memset(&u, 0, sizeof(u));
	in_url = relay_conf_parse_url(url, &u, err, sizeof(err)) == TAME_OK &&
	    u.password;
	relay_conf_clear(&u);
	return cli_url_password(in_url, &c->password);
}

/* Applies --relay and --relay-ca to c (stored: c holds a mailbox's
 * stored relay). 0, or an exit code after printing why. */
static int
apply_opts(struct relay_conf *c, int argc, char **argv, int stored)
{
	const char *url = cli_opt(argc, argv, "--relay");
	const char *ca = cli_opt(argc, argv, "--relay-ca");
	char err[256], real[PATH_MAX], *copy = NULL;
	int code;

	/* over a stored relay, a URL without a password keeps the stored
	 * one only for the same server and user (with --password-stdin
	 * one is on its way) */
	if (url && (stored && !cli_flag(argc, argv, "--password-stdin") ?
	    relay_conf_change_url(url, c, err, sizeof(err)) :
	    relay_conf_parse_url(url, c, err, sizeof(err)))) {
		fprintf(stderr, "tame: %s\n", err);
		return EX_DATAERR_;
	}
	if (url && (code = stdin_password(url, c, argc, argv)))
		return code;
	if (relay_conf_login_in_clear(c)) {
		fprintf(stderr, "tame: %s\n", RELAY_LOGIN_TLS);
		return EX_DATAERR_;
	}
	if (!ca)
		return 0;
	if (strcmp(ca, "none") != 0) {
		/* tamed may run elsewhere: keep an absolute path, and
		 * refuse a file that cannot be read now */
		if (!realpath(ca, real) || access(real, R_OK) != 0) {
			fprintf(stderr, "tame: cannot read CA file %s\n", ca);
			return EX_DATAERR_;
		}
		if (!(copy = strdup(real)))
			return EX_DATAERR_;
	}
	free(c->ca_file);
	c->ca_file = copy;
	return 0;
}

/* Stores the relay of mailbox id, telling why not. */
static int
save(struct store *s, struct relay_conf *c, int64_t id)
{
	enum tame_err rc;

	c->mailbox_id = id;
	if ((rc = store_relay_set(s, c, tame_now_ms()))) {
		fprintf(stderr, "tame: relay not saved: %s\n",
		    rc == TAME_EINVAL ? "the URL needs a password "
		    "(smtp://USER:PASSWORD@HOST:PORT)" : store_errmsg(s));
		return cli_exit_code(rc);
	}
	return 0;
}

/* See cli.h. */
int
cli_relay_mailbox_add(struct store *s, const char *address, const char *name,
    int argc, char **argv)
{
	struct relay_conf c;
	struct mailbox mb;
	enum tame_err rc;
	int64_t id;
	int code;

	memset(&c, 0, sizeof(c));
	memset(&mb, 0, sizeof(mb));
	/* every check before anything is created */
	if ((code = apply_opts(&c, argc, argv, 0)))
		goto out;
	if (c.user && !c.password) {
		fprintf(stderr, "tame: the relay URL needs a password "
		    "(smtp://USER:PASSWORD@HOST:PORT)\n");
		code = EX_DATAERR_;
		goto out;
	}
	if (cli_opt(argc, argv, "--imap")) {
		if ((code = cli_imap_mailbox_add(s, address, name, argc,
		    argv)))
			goto out;
		if ((rc = store_mailbox_by_address(s, address, &mb))) {
			code = cli_exit_code(rc);
			goto out;
		}
		code = save(s, &c, mb.id);
		goto out;
	}
	if ((rc = store_begin(s))) {
		code = cli_exit_code(rc);
		goto out;
	}
	rc = store_mailbox_create(s, address, name, tame_now_ms(), &id);
	if (rc == TAME_EEXIST) {
		store_rollback(s);
		fprintf(stderr, "tame: mailbox %s already exists (change its "
		    "relay with: tame mailbox set --address %s --relay URL)\n",
		    address, address);
		code = EX_DATAERR_;
		goto out;
	}
	if (rc || (code = save(s, &c, id))) {
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
out:
	mailbox_clear(&mb);
	relay_conf_clear(&c);
	return code;
}

/* See cli.h. */
int
cli_relay_mailbox_set(struct store *s, int argc, char **argv)
{
	static const char *const other[] = { "--name", "--imap", "--after",
	    "--imap-ca", "--imap-pin", "--imap-poll-ms", "--no-imap" };
	const char *addr = cli_opt(argc, argv, "--address");
	struct relay_conf c;
	struct mailbox mb;
	enum tame_err rc;
	int code = 0, relay_opts, others = 0;
	size_t i;

	relay_opts = cli_flag(argc, argv, "--relay") ||
	    cli_flag(argc, argv, "--relay-ca") ||
	    cli_flag(argc, argv, "--no-relay");
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		others |= cli_flag(argc, argv, other[i]);
	if (!relay_opts || !addr)
		return cli_imap_mailbox_set(s, argc, argv);
	memset(&c, 0, sizeof(c));
	memset(&mb, 0, sizeof(mb));
	if ((rc = store_mailbox_by_address(s, addr, &mb))) {
		fprintf(stderr, "tame: no mailbox %s\n", addr);
		return cli_exit_code(rc);
	}
	if (cli_flag(argc, argv, "--no-relay")) {
		rc = store_relay_delete(s, mb.id);
		if (rc && rc != TAME_ENOTFOUND) {
			fprintf(stderr, "tame: %s\n", store_errmsg(s));
			code = cli_exit_code(rc);
		}
		goto rest;
	}
	rc = store_relay_get(s, mb.id, &c);
	if (rc == TAME_ENOTFOUND && !cli_opt(argc, argv, "--relay")) {
		fprintf(stderr, "tame: mailbox %s has no relay of its own: "
		    "give --relay URL\n", addr);
		code = EX_DATAERR_;
		goto out;
	}
	if (rc && rc != TAME_ENOTFOUND) {
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
		code = cli_exit_code(rc);
		goto out;
	}
	if (rc == TAME_OK && !cli_opt(argc, argv, "--relay") && c.password) {
		/* NULL keeps the stored password */
		memset(c.password, 0, strlen(c.password));
		free(c.password);
		c.password = NULL;
	}
	code = apply_opts(&c, argc, argv, rc == TAME_OK);
	if (code || (code = save(s, &c, mb.id)))
		goto out;
rest:
	if (!code && others)
		code = cli_imap_mailbox_set(s, argc, argv);
out:
	mailbox_clear(&mb);
	relay_conf_clear(&c);
	return code;
}
