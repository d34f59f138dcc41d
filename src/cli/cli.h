/*
 * cli.h - pieces of the `tame` command shared between its files.
 */
#ifndef TAME_CLI_H
#define TAME_CLI_H

#include "../core/err.h"
#include "../store/store.h"

/* The value after option name in argv, or NULL. Borrowed. */
const char *cli_opt(int argc, char **argv, const char *name);
/* 1 if the flag name is in argv. */
int cli_flag(int argc, char **argv, const char *name);
/* sysexits(3) code for rc. */
int cli_exit_code(enum tame_err rc);
/* 0 when the store has a mailbox for mail to go to; else says how to
 * add one and answers the exit code (tempfail: keep mail queued, for
 * deliver; else EX_CONFIG). */
int cli_need_mailbox(struct store *s, int tempfail);
/* `tame import mbox FILE` / `tame import maildir DIR`: returns the exit
 * code. Messages go in batches of TAME_IMPORT_BATCH per transaction,
 * with a progress line on stderr. */
/* tame import mbox FILE | maildir DIR [--status S]: tickets it makes
 * get status S (NULL: new). */
int cli_import(struct store *s, const char *kind, const char *path,
    const char *status);

/* --password-stdin of mailbox add and set: the URL's password is the
 * first line of stdin, so that the command line (and ps) need not show
 * it. in_url: the URL brings one (refused). 0 with *password (wiped and
 * freed first) replaced, or an exit code after saying why. */
int cli_url_password(int in_url, char **password);

/* cli_imap.c. `mailbox add ... --imap URL`: creates the mailbox with
 * its IMAP settings in one transaction (argv: the options after "add").
 * Returns the exit code; prints the new id. */
int cli_imap_mailbox_add(struct store *s, const char *address,
    const char *name, int argc, char **argv);
/* `mailbox set --address A ...`: changes the name and IMAP settings of
 * an existing mailbox. Returns the exit code. */
int cli_imap_mailbox_set(struct store *s, int argc, char **argv);

/* cli_relay.c. `mailbox add ... --relay URL [--relay-ca FILE]`: checks
 * the relay first, then creates the mailbox (with its IMAP settings
 * when --imap is given) and its relay. Returns the exit code; prints the
 * new id. */
int cli_relay_mailbox_add(struct store *s, const char *address,
    const char *name, int argc, char **argv);
/* `mailbox set --address A [--relay URL] [--relay-ca FILE|none]
 * [--no-relay] ...`: changes the relay, then hands the other options to
 * cli_imap_mailbox_set. Returns the exit code. */
int cli_relay_mailbox_set(struct store *s, int argc, char **argv);

#endif
