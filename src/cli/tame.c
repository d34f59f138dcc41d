/*
 * tame.c - the `tame` administration command.
 *
 *   tame --data DIR init
 *   tame --data DIR user add --email E --name N --role admin|agent
 *                            --password-stdin
 *   tame --data DIR user password --email E --password-stdin
 *   tame --data DIR user enable|disable --email E
 *   tame --data DIR user role --email E admin|agent
 *   tame --data DIR token add --email E
 *   tame --data DIR token revoke --email E
 *   tame --data DIR mailbox add --address A --name N [--imap URL
 *                               [--after seen|delete|move:FOLDER]]
 *   tame --data DIR mailbox set --address A [--imap URL] ... (cli_imap.c)
 *   ... [--relay URL [--relay-ca FILE]] [--no-relay] (cli_relay.c)
 *   tame --data DIR deliver [--from ADDR] [--to ADDR]
 *   tame --data DIR import mbox FILE | import maildir DIR [--status S]
 *   tame --data DIR export json
 *   tame --data DIR backup FILE|-
 *   tame --data DIR restore FILE   (tamed stopped)
 *
 * Works on the store directly (the SQLite file is shared safely with a
 * running tamed through WAL). Exit codes follow sysexits(3): 0 ok, 64
 * usage, 65 bad data, 66 no input, 67 unknown user, 73 cannot create,
 * 74 I/O error, 75 try later, 77 no permission, 78 not set up.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../core/auth.h"
#include "../core/util.h"
#include "../mail/ingest.h"
#include "../mail/mime.h"
#include "../mail/reply.h"
#include "../store/store.h"
#include "../store/store_desk.h"
#include "../tame_limits.h"
#include "cli.h"

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_DATAERR_ 65
#define EX_NOUSER_ 67
#define EX_SOFTWARE_ 70
#define EX_NOINPUT_ 66
#define EX_CANTCREAT_ 73
#define EX_IOERR_ 74
#define EX_TEMPFAIL_ 75
#define EX_NOPERM_ 77
#define EX_CONFIG_ 78

/* The commands on out; exits with code. */
static void
usage_to(FILE *out, int code)
{
	fprintf(out,
	    "usage: tame --data DIR COMMAND\n"
	    "  init                          first admin and mailbox, if none\n"
	    "  user add --email E --name N --role admin|agent --password-stdin\n"
	    "  user password --email E --password-stdin\n"
	    "                                a new password; ends the sessions\n"
	    "  user enable --email E         E can sign in again\n"
	    "  user disable --email E        E cannot sign in; ends the "
	    "sessions and\n"
	    "                                sends E's open tickets back to "
	    "Unassigned\n"
	    "  user role --email E admin|agent\n"
	    "                                (the last enabled admin stays "
	    "one)\n"
	    "  token add --email E           prints a new API token\n"
	    "  token revoke --email E        ends every API token of E\n"
	    "  mailbox add --address A --name N [--imap URL "
	    "[--after seen|delete|move:FOLDER]]\n"
	    "      [--imap-ca FILE] [--imap-pin sha256//KEY] "
	    "[--imap-poll-ms MS]\n"
	    "      URL: imap[s]://USER:PASSWORD@HOST:PORT/FOLDER"
	    "[?starttls]\n"
	    "  mailbox set --address A [--name N] [--imap URL] [--after ...]"
	    " [--no-imap]\n"
	    "  mailbox add|set ... [--relay URL] [--relay-ca FILE|none] "
	    "[--no-relay]\n"
	    "      URL: smtp[s]://USER:PASSWORD@HOST:PORT[?starttls]\n"
	    "  mailbox add|set ... --password-stdin\n"
	    "                                the one URL's password, not in "
	    "it (nor in ps)\n"
	    "  deliver [--from A] [--to A]   one message on stdin\n"
	    "  import mbox FILE | import maildir DIR [--status S]\n"
	    "                                archived mail, dated by its Date;"
	    "\n                                new tickets get status S (new)\n"
	    "  export json                   everything as JSON on stdout\n"
	    "  backup FILE|-                 online copy of the store (- to "
	    "stdout)\n"
	    "  restore FILE                  a backup becomes the store "
	    "(tamed stopped)\n");
	exit(code);
}

static void
usage(void)
{
	usage_to(stderr, EX_USAGE_);
}

/* Says which options a command lacks, then the usage (exit 64). */
static void
need(const char *what)
{
	fprintf(stderr, "tame: missing %s\n", what);
	usage();
}

const char *
cli_opt(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

int
cli_flag(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int
cli_exit_code(enum tame_err rc)
{
	switch (rc) {
	case TAME_OK: return EX_OK_;
	case TAME_EBUSY: case TAME_ENOMEM: case TAME_EIO: case TAME_ESTORE:
	case TAME_EDISK: case TAME_EFILES:
		return EX_TEMPFAIL_;
	case TAME_ENOTFOUND: return EX_NOUSER_;
	default: return EX_DATAERR_;
	}
}

/* What each command takes: its words, how many plain arguments follow
 * them, the options that take a value and the flags. */
struct cmd_spec {
	const char *word[2];
	int npos;
	const char *const *vals;
	const char *const *flags;
};

static const char *const no_opts[] = { NULL };
static const char *const user_vals[] = { "--email", "--name", "--role",
    NULL };
static const char *const user_flags[] = { "--password-stdin", NULL };
static const char *const token_vals[] = { "--email", NULL };
static const char *const mailbox_vals[] = { "--address", "--name",
    "--relay", "--relay-ca", "--imap", "--after", "--imap-ca",
    "--imap-pin", "--imap-poll-ms", NULL };
static const char *const mailbox_flags[] = { "--no-relay", "--no-imap",
    "--password-stdin", NULL };
static const char *const mailbox_add_flags[] = { "--password-stdin", NULL };
static const char *const deliver_vals[] = { "--from", "--to", NULL };
static const char *const import_vals[] = { "--status", NULL };

static const struct cmd_spec cmds[] = {
	{ { "init", NULL }, 0, no_opts, no_opts },
	{ { "user", "add" }, 0, user_vals, user_flags },
	{ { "user", "password" }, 0, token_vals, user_flags },
	{ { "user", "enable" }, 0, token_vals, no_opts },
	{ { "user", "disable" }, 0, token_vals, no_opts },
	{ { "user", "role" }, 1, token_vals, no_opts },
	{ { "token", "add" }, 0, token_vals, no_opts },
	{ { "token", "revoke" }, 0, token_vals, no_opts },
	{ { "mailbox", "add" }, 0, mailbox_vals, mailbox_add_flags },
	{ { "mailbox", "set" }, 0, mailbox_vals, mailbox_flags },
	{ { "deliver", NULL }, 0, deliver_vals, no_opts },
	{ { "import", NULL }, 2, import_vals, no_opts },
	{ { "export", NULL }, 1, no_opts, no_opts },
	{ { "backup", NULL }, 1, no_opts, no_opts },
	{ { "restore", NULL }, 1, no_opts, no_opts },
};

static int
listed(const char *const *v, const char *a)
{
	for (; *v; v++)
		if (strcmp(*v, a) == 0)
			return 1;
	return 0;
}

/* Exits with usage unless argv is a known command with only its own
 * options, each option's value and exactly its plain arguments: an
 * option mistyped or an argument too many is said, not ignored. */
static void
check_args(int argc, char **argv)
{
	const struct cmd_spec *c = NULL;
	size_t k;
	int i, pos = 0, nw;

	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]) && !c; k++)
		if (strcmp(argv[0], cmds[k].word[0]) == 0 &&
		    (!cmds[k].word[1] || (argc > 1 &&
		    strcmp(argv[1], cmds[k].word[1]) == 0)))
			c = &cmds[k];
	if (!c) {
		fprintf(stderr, "tame: unknown command \"%s%s%s\"\n", argv[0],
		    argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		usage();
	}
	nw = c->word[1] ? 2 : 1;
	for (i = nw; i < argc; i++) {
		if (listed(c->vals, argv[i])) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tame: %s needs a value\n",
				    argv[i]);
				usage();
			}
			i++;
		} else if (listed(c->flags, argv[i]))
			;
		else if (strncmp(argv[i], "--", 2) == 0 || pos++ >= c->npos) {
			fprintf(stderr, "tame: %s: unknown %s \"%s\"\n",
			    argv[0], argv[i][0] == '-' ? "option" : "argument",
			    argv[i]);
			usage();
		}
	}
	if (pos < c->npos) {
		fprintf(stderr, "tame: %s: missing argument\n", argv[0]);
		usage();
	}
}

/* Longest password, in bytes, as the API takes (argon2id needs no
 * more). */
#define CLI_PASSWORD_MAX 1024

/* 0 if name is a one-line name the API would take (1 to
 * TAME_FIELD_MAX bytes, no control characters); else says why. */
static int
name_check(const char *what, const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i < n && (unsigned char)name[i] >= 0x20 &&
	    name[i] != 0x7f; i++)
		;
	if (n && n <= TAME_FIELD_MAX && i == n && tame_utf8_valid(name))
		return 0;
	fprintf(stderr, "tame: %s must be 1 to %d bytes of UTF-8 on one "
	    "line\n", what, TAME_FIELD_MAX);
	return -1;
}

int
cli_need_mailbox(struct store *s, int tempfail)
{
	struct mailbox mb;
	enum tame_err rc;

	memset(&mb, 0, sizeof(mb));
	rc = store_mailbox_first(s, &mb);
	mailbox_clear(&mb);
	if (rc == TAME_OK)
		return 0;
	if (rc == TAME_ENOTFOUND)
		fprintf(stderr, "tame: no mailbox for the mail to go to: add "
		    "one first (tame --data DIR mailbox add --address A "
		    "--name N)\n");
	else
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
	return tempfail || rc != TAME_ENOTFOUND ? EX_TEMPFAIL_ : EX_CONFIG_;
}

/* export json: everything on stdout; a write that fails (a full disk,
 * a closed pipe) is said and exits EX_IOERR. */
static int
cmd_export(struct store *s)
{
	enum tame_err rc = store_export_json(s, stdout);

	if (rc == TAME_OK && fflush(stdout) != 0)
		rc = TAME_EIO;
	if (rc == TAME_EIO || ferror(stdout)) {
		fprintf(stderr, "tame: export: cannot write: %s\n",
		    strerror(errno ? errno : EIO));
		return EX_IOERR_;
	}
	if (rc)
		fprintf(stderr, "tame: export: %s\n", store_errmsg(s));
	return cli_exit_code(rc);
}

/* 1 for the commands that may make a store where there is none: the
 * first steps of a set-up (init, the first user or mailbox) and a
 * restore into a new directory. The others on a mistyped --data would
 * make an empty store and fail there (an import needs a mailbox). */
static int
makes_store(int argc, char **argv)
{
	return strcmp(argv[0], "init") == 0 ||
	    strcmp(argv[0], "restore") == 0 ||
	    (argc >= 2 && strcmp(argv[1], "add") == 0 &&
	    (strcmp(argv[0], "user") == 0 || strcmp(argv[0], "mailbox") == 0));
}

/* 1 when path names the store file db or one SQLite keeps beside it
 * (db-wal, db-shm, db-journal), however the folder is written: 1 for
 * db, 2 for the others. Replacing one of those would wreck the live
 * store. */
static int
store_own_file(const char *db, const char *path)
{
	static const char *const side[] = { "", "-wal", "-shm", "-journal" };
	char a[PATH_MAX], b[PATH_MAX], dir[PATH_MAX], dbdir[PATH_MAX];
	const char *base = strrchr(path, '/'), *dbbase = strrchr(db, '/');
	size_t i, n;

	base = base ? base + 1 : path;
	dbbase = dbbase ? dbbase + 1 : db;
	n = strlen(dbbase);
	if (strncmp(base, dbbase, n) != 0)
		return 0;
	for (i = 0; i < sizeof(side) / sizeof(side[0]); i++)
		if (strcmp(base + n, side[i]) == 0)
			break;
	if (i == sizeof(side) / sizeof(side[0]))
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	snprintf(dbdir, sizeof(dbdir), "%.*s", (int)(dbbase - db), db);
	if (!realpath(*dir ? dir : ".", a) || !realpath(*dbdir ? dbdir : ".",
	    b) || strcmp(a, b) != 0)
		return 0;
	return i == 0 ? 1 : 2;
}

/* restore FILE: the backup becomes the store of DATA, the old store's
 * WAL left out (store_restore). tamed must be stopped; its lock is held
 * meanwhile, so none starts halfway. */
static int
cmd_restore(const char *data, const char *file)
{
	char err[1024];
	enum tame_err rc;
	int fd;

	if ((rc = store_lock_dir(data, &fd))) {
		if (rc == TAME_EBUSY)
			fprintf(stderr, "tame: restore: tamed is running on %s; "
			    "stop it first\n", data);
		else
			fprintf(stderr, "tame: restore: cannot lock "
			    "%s/tamed.lock: %s\n", data, strerror(errno));
		return rc == TAME_EBUSY ? EX_TEMPFAIL_ : EX_CANTCREAT_;
	}
	rc = store_restore(data, file, err, sizeof(err));
	close(fd);
	if (rc) {
		fprintf(stderr, "tame: restore: %s\n", err);
		return rc == TAME_EPARSE || rc == TAME_EINVAL ? EX_DATAERR_ :
		    rc == TAME_ENOTFOUND ?
		    EX_NOINPUT_ : rc == TAME_EBUSY ? EX_TEMPFAIL_ : EX_IOERR_;
	}
	fprintf(stderr, "tame: %s restored into %s\n", file, data);
	return EX_OK_;
}

/* The unfinished copy, for a Ctrl-C, SIGTERM or hang-up to take away
 * with it (a copy of a large store left behind each time would fill
 * the disk), from backup_into until backup_release. A signal the
 * caller ignores (nohup, a background job) stays ignored. */
static char partial[4200], partial_journal[4200];
static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction stop_was[3];
static int stop_caught[3];

static void
backup_stopped(int sig)
{
	unlink(partial);
	unlink(partial_journal);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Gives the signals back as they were; the copy is no longer ours to
 * remove (renamed into place, or unlinked). */
static void
backup_release(void)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (stop_caught[i])
			sigaction(stop_sigs[i], &stop_was[i], NULL);
	memset(stop_caught, 0, sizeof(stop_caught));
}

/* The online copy into a new file from the mkstemp() template tmp,
 * 0600 (it holds password hashes and every customer's mail); where is
 * the place named when no file can be made there. 0, or the exit code
 * after saying why, with nothing left behind;
 * on 0 the caller calls backup_release() once the copy is in place. */
static int
backup_into(struct store *s, char *tmp, const char *where)
{
	char journal[4200];
	struct sigaction on;
	sigset_t stop, was;
	enum tame_err rc;
	size_t i;
	int fd;

	/* held until the handler knows the file's name: a signal right
	 * after mkstemp() takes it away too */
	sigemptyset(&stop);
	for (i = 0; i < 3; i++)
		sigaddset(&stop, stop_sigs[i]);
	sigprocmask(SIG_BLOCK, &stop, &was);
	if ((fd = mkstemp(tmp)) < 0) {
		sigprocmask(SIG_SETMASK, &was, NULL);
		fprintf(stderr, "tame: backup: cannot create a file beside %s: "
		    "%s\n", where, strerror(errno));
		return EX_CANTCREAT_;
	}
	close(fd);	/* mkstemp made it 0600; SQLite keeps the mode */
	snprintf(journal, sizeof(journal), "%s-journal", tmp);
	snprintf(partial, sizeof(partial), "%s", tmp);
	snprintf(partial_journal, sizeof(partial_journal), "%s", journal);
	memset(&on, 0, sizeof(on));
	on.sa_handler = backup_stopped;
	sigemptyset(&on.sa_mask);
	for (i = 0; i < 3; i++)
		if (sigaction(stop_sigs[i], NULL, &stop_was[i]) == 0 &&
		    stop_was[i].sa_handler != SIG_IGN)
			stop_caught[i] = sigaction(stop_sigs[i], &on,
			    NULL) == 0;
	sigprocmask(SIG_SETMASK, &was, NULL);
	if ((rc = store_backup(s, tmp)) == TAME_OK)
		return 0;	/* the caller calls backup_release() */
	fprintf(stderr, "tame: %s\n", store_errmsg(s));
	unlink(tmp);
	unlink(journal);
	backup_release();
	return rc == TAME_EBUSY ? EX_TEMPFAIL_ : EX_IOERR_;
}

/* backup -: the copy is made beside the store, then copied to stdout
 * and removed. */
static int
backup_stdout(struct store *s, const char *data)
{
	char tmp[4096], chunk[65536];
	size_t n;
	FILE *f;
	int bad, code;

	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tame: backup: not writing a store to a "
		    "terminal; send it to a file or a pipe\n");
		return EX_USAGE_;
	}
	snprintf(tmp, sizeof(tmp), "%s/backup.partial-XXXXXX", data);
	if ((code = backup_into(s, tmp, data)))
		return code;
	f = fopen(tmp, "rb");
	bad = !f;
	/* gone from the directory at once: a kill now leaves no copy */
	unlink(tmp);
	backup_release();
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (fwrite(chunk, 1, n, stdout) != n) {
			bad = 1;
			break;
		}
	if (f && ferror(f))
		bad = 1;
	if (f)
		fclose(f);
	if (fflush(stdout) != 0 || ferror(stdout))
		bad = 1;
	if (bad) {
		fprintf(stderr, "tame: backup: cannot write: %s\n",
		    strerror(errno ? errno : EIO));
		return EX_IOERR_;
	}
	return EX_OK_;
}

/* 1 for a path in /proc or /dev (/dev/stdout, /proc/self/fd/1): no file
 * a copy can replace by a rename. */
static int
special_path(const char *p)
{
	return strncmp(p, "/proc/", 6) == 0 || strncmp(p, "/dev/", 5) == 0;
}

/* Where the chain of links from link ends, made or not (a "latest.db"
 * link to tonight's backup), into out (PATH_MAX bytes). 0; 1 when a
 * link on the way points into /proc or /dev; -1 with errno when it
 * cannot be followed. */
static int
link_end(const char *link, char *out)
{
	char target[PATH_MAX], cur[PATH_MAX];
	const char *slash;
	ssize_t n;
	int hops;

	snprintf(cur, sizeof(cur), "%s", link);
	for (hops = 0; hops < 16; hops++) {
		if ((n = readlink(cur, target, sizeof(target) - 1)) < 0) {
			if (errno != EINVAL && errno != ENOENT)
				return -1;
			/* no link (EINVAL), or nothing there yet: the end */
			if (!realpath(cur, out))
				snprintf(out, PATH_MAX, "%s", cur);
			return 0;
		}
		target[n] = '\0';
		if (special_path(target))
			return 1;
		slash = strrchr(cur, '/');
		if ((size_t)snprintf(out, PATH_MAX, "%.*s%s", target[0] != '/' &&
		    slash ? (int)(slash - cur + 1) : 0, cur, target) >=
		    PATH_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		snprintf(cur, sizeof(cur), "%s", out);
	}
	errno = ELOOP;
	return -1;
}

/* backup FILE: the online copy goes to a new file beside FILE and is
 * renamed to FILE only when complete, so an interrupted backup never
 * leaves a broken FILE. A symbolic link is followed: the copy replaces
 * the file it names, and the link stays. "-" writes the copy to
 * stdout. */
static int
cmd_backup(struct store *s, const char *data, const char *path)
{
	struct stat st;
	char tmp[4096], dbpath[4096], real[PATH_MAX];
	int own, code;

	if (!*path) {
		fprintf(stderr, "tame: backup needs a file name\n");
		return EX_USAGE_;
	}
	if (strcmp(path, "-") == 0)
		return backup_stdout(s, data);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* written through: the file it names, not the link, is
		 * replaced; a link into /proc or /dev (/dev/stdout) names
		 * no file a copy can replace */
		if ((own = link_end(path, real)) < 0) {
			fprintf(stderr, "tame: backup: cannot follow the link "
			    "%s: %s\n", path, strerror(errno));
			return EX_CANTCREAT_;
		}
		if (own || special_path(path) || special_path(real)) {
			fprintf(stderr, "tame: backup: %s is not a regular file "
			    "(\"backup -\" writes to standard output)\n", path);
			return EX_CANTCREAT_;
		}
		path = real;
	}
	/* the copy replaces FILE by a rename: only a regular file may be
	 * replaced (not a device, a directory, or the store itself) */
	if (store_file(data, dbpath, sizeof(dbpath)) == TAME_OK &&
	    (own = store_own_file(dbpath, path))) {
		fprintf(stderr, "tame: backup: %s is %s\n", path, own == 1 ?
		    "the store itself" : "one of the store's own files");
		return EX_CANTCREAT_;
	}
	if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) ||
	    store_is_its_file(data, path))) {
		fprintf(stderr, "tame: backup: %s is %s\n", path,
		    S_ISDIR(st.st_mode) ? "a directory" : !S_ISREG(st.st_mode) ?
		    "not a regular file" : "the store itself");
		return EX_CANTCREAT_;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX", path) >=
	    sizeof(tmp)) {
		fprintf(stderr, "tame: backup: cannot create a file beside %s: "
		    "%s\n", path, strerror(ENAMETOOLONG));
		return EX_CANTCREAT_;
	}
	if ((code = backup_into(s, tmp, path)))
		return code;
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "tame: backup: cannot rename to %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
		backup_release();
		return EX_CANTCREAT_;
	}
	backup_release();
	return EX_OK_;
}

/* The first line of stdin, its line end cut, of min to CLI_PASSWORD_MAX
 * bytes, into *out (the caller wipes and frees it); 0, or the exit code
 * after saying why. */
static int
stdin_secret(char **out, size_t min)
{
	char *pw = NULL;
	size_t n, cap = 0;
	ssize_t got;

	*out = NULL;
	if ((got = getline(&pw, &cap, stdin)) <= 0) {
		fprintf(stderr, "tame: no password on stdin\n");
		free(pw);
		return EX_DATAERR_;
	}
	n = (size_t)got;
	while (n && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
		n--;
	pw[n] = '\0';
	if (n < min || n > CLI_PASSWORD_MAX || strlen(pw) != n) {
		fprintf(stderr, "tame: the password must have %zu to %d bytes "
		    "and no NUL\n", min, CLI_PASSWORD_MAX);
		explicit_bzero(pw, cap);
		free(pw);
		return EX_DATAERR_;
	}
	*out = pw;
	return 0;
}

/* See cli.h. */
int
cli_url_password(int in_url, char **password)
{
	char *pw;
	int code;

	if (in_url) {
		fprintf(stderr, "tame: the URL has a password already: give "
		    "it there or on stdin (--password-stdin), not both\n");
		return EX_USAGE_;
	}
	if ((code = stdin_secret(&pw, 1)))
		return code;
	if (*password) {
		explicit_bzero(*password, strlen(*password));
		free(*password);
	}
	*password = pw;
	return 0;
}

/* Reads a password (its first line) from stdin and hashes it into hash;
 * 0, or the exit code after saying why. */
static int
password_stdin(char hash[AUTH_PWHASH_MAX])
{
	char *pw;
	enum tame_err rc;
	int code;

	if ((code = stdin_secret(&pw, 8)))
		return code;
	rc = auth_password_hash(pw, hash);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return rc ? cli_exit_code(rc) : 0;
}

/* --password-stdin of mailbox add and set is the password of one URL;
 * 0, or the exit code after saying so. */
static int
mailbox_stdin_check(int argc, char **argv)
{
	if (!cli_flag(argc, argv, "--password-stdin") ||
	    !cli_opt(argc, argv, "--imap") != !cli_opt(argc, argv, "--relay"))
		return 0;
	fprintf(stderr, "tame: --password-stdin gives the password of one "
	    "URL: --imap URL or --relay URL, one command each\n");
	return EX_USAGE_;
}

static int
cmd_user_add(struct store *s, int argc, char **argv)
{
	const char *email = cli_opt(argc, argv, "--email");
	const char *name = cli_opt(argc, argv, "--name");
	const char *role_s = cli_opt(argc, argv, "--role");
	char hash[AUTH_PWHASH_MAX];
	enum agent_role role;
	enum tame_err rc;
	int64_t id;
	int code;

	if (!email || !name || !cli_flag(argc, argv, "--password-stdin"))
		need("--email, --name or --password-stdin");
	if (agent_role_parse(role_s ? role_s : "agent", &role)) {
		fprintf(stderr, "tame: --role must be admin or agent, not "
		    "\"%s\"\n", role_s);
		return EX_USAGE_;
	}
	if (!reply_addr_valid(email)) {
		fprintf(stderr, "tame: invalid email address: %s\n", email);
		return EX_DATAERR_;
	}
	if (name_check("--name", name))
		return EX_DATAERR_;
	if ((code = password_stdin(hash)))
		return code;
	/* one transaction: a name checked is still free when written */
	if ((rc = store_begin(s)) == TAME_OK && ((rc = store_agent_create(s,
	    email, name, role, hash, tame_now_ms(), &id)) ||
	    (rc = store_commit(s))))
		store_rollback(s);
	if (rc == TAME_EEXIST) {
		fprintf(stderr, "tame: %s already exists\n", email);
		return EX_DATAERR_;
	}
	if (rc) {
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
		return cli_exit_code(rc);
	}
	printf("%lld\n", (long long)id);
	return EX_OK_;
}

/* The agent of --email (usage without one) into *a, to agent_clear;
 * 0, or the exit code after saying why. */
static int
email_agent(struct store *s, const char *email, struct agent *a)
{
	enum tame_err rc;

	if (!email)
		need("--email");
	memset(a, 0, sizeof(*a));
	if ((rc = store_agent_by_email(s, email, a))) {
		fprintf(stderr, "tame: no agent %s\n", email);
		return cli_exit_code(rc);
	}
	return 0;
}

static int
cmd_token_add(struct store *s, int argc, char **argv)
{
	const char *email = cli_opt(argc, argv, "--email");
	char tok[AUTH_TOKEN_HEX + 1], hash[AUTH_HASH_HEX + 1];
	struct agent a;
	enum tame_err rc;
	int64_t id;
	int code;

	if ((code = email_agent(s, email, &a)))
		return code;
	if (a.disabled) {
		/* its token would only ever answer 401 */
		fprintf(stderr, "tame: %s is disabled: enable the agent "
		    "first\n", email);
		agent_clear(&a);
		return EX_DATAERR_;
	}
	auth_token_new(tok);
	auth_sha256_hex(tok, strlen(tok), hash);
	rc = store_token_add(s, a.id, hash, tame_now_ms(), &id);
	agent_clear(&a);
	if (rc) {
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
		return cli_exit_code(rc);
	}
	printf("%s\n", tok);
	return EX_OK_;
}

/* import KIND PATH [--status S], the option anywhere after import. */
static int
cmd_import(struct store *s, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0)
			i++;
		else if (n < 2)
			pos[n++] = argv[i];
	}
	if (n < 2)
		usage();
	return cli_import(s, pos[0], pos[1], cli_opt(argc, argv, "--status"));
}

/* Ends every API token of an agent (a leaked one, say); prints how
 * many. */
static int
cmd_token_revoke(struct store *s, int argc, char **argv)
{
	struct agent a;
	enum tame_err rc;
	int64_t n = 0;
	int code;

	if ((code = email_agent(s, cli_opt(argc, argv, "--email"), &a)))
		return code;
	rc = store_tokens_revoke(s, a.id, &n);
	agent_clear(&a);
	if (rc) {
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
		return cli_exit_code(rc);
	}
	printf("%lld\n", (long long)n);
	return EX_OK_;
}

/* A new password for an agent who lost theirs (the only admin, say):
 * their sessions end, API tokens stay (token revoke ends them). */
static int
cmd_user_password(struct store *s, int argc, char **argv)
{
	char hash[AUTH_PWHASH_MAX];
	struct agent a;
	enum tame_err rc;
	int code;

	if (!cli_flag(argc, argv, "--password-stdin"))
		need("--password-stdin");
	if ((code = email_agent(s, cli_opt(argc, argv, "--email"), &a)))
		return code;
	if ((code = password_stdin(hash))) {
		agent_clear(&a);
		return code;
	}
	if ((rc = store_begin(s)) ||
	    (rc = store_agent_update(s, a.id, NULL, -1, hash, -1)) ||
	    (rc = store_desk_sessions_end(s, a.id, NULL, NULL)) ||
	    (rc = store_event_add(s, 0, 0, "agent.password_reset", NULL,
	    tame_now_ms())) || (rc = store_commit(s))) {
		store_rollback(s);
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
	}
	agent_clear(&a);
	return cli_exit_code(rc);
}

/* user enable, user disable and user role: what an admin does on the
 * Agents page, for a desk whose admins are all locked out (or gone).
 * As there, the last enabled admin is not disabled or demoted, a
 * disable ends the agent's sessions (tamed reads them from the store
 * at each request) and sends their open tickets back to Unassigned;
 * API tokens stay (token revoke ends them). */
static int
cmd_user_access(struct store *s, const char *what, int argc, char **argv)
{
	const char *email = cli_opt(argc, argv, "--email"), *role_s = NULL;
	enum agent_role role = ROLE_AGENT;
	struct agent a;
	enum tame_err rc;
	int64_t n = 0;
	int i, code, disabled = -1;

	if (strcmp(what, "role") == 0) {
		/* the one plain argument: the word that is not an option
		 * or its value */
		for (i = 0; i < argc; i++) {
			if (strcmp(argv[i], "--email") == 0)
				i++;
			else
				role_s = argv[i];
		}
		if (!role_s || agent_role_parse(role_s, &role)) {
			fprintf(stderr, "tame: the role must be admin or agent, "
			    "not \"%s\"\n", role_s ? role_s : "");
			return EX_USAGE_;
		}
	} else
		disabled = strcmp(what, "disable") == 0;
	if ((code = email_agent(s, email, &a)))
		return code;
	if ((rc = store_begin(s)) ||
	    (rc = store_desk_agent_access(s, a.id, role_s ? (int)role : -1,
	    disabled, 0, tame_now_ms(), &n)) ||
	    (disabled == 1 && (rc = store_desk_sessions_end(s, a.id, NULL,
	    NULL))) || (rc = store_commit(s))) {
		if (rc == TAME_ECONFLICT && disabled != 0)
			fprintf(stderr, "tame: %s is the last enabled admin: "
			    "make another agent an admin first (tame user "
			    "role --email E admin)\n", email);
		else
			fprintf(stderr, "tame: %s\n", store_errmsg(s));
		store_rollback(s);
		agent_clear(&a);
		return cli_exit_code(rc);
	}
	if (disabled == 1)
		fprintf(stderr, "tame: %s is disabled; their sessions ended and "
		    "%lld open ticket%s went back to Unassigned\n", email,
		    (long long)n, n == 1 ? "" : "s");
	else if (disabled == 0)
		fprintf(stderr, "tame: %s can sign in again\n", email);
	else
		fprintf(stderr, "tame: %s is now %s\n", email,
		    role == ROLE_ADMIN ? "admin" : "agent");
	agent_clear(&a);
	return EX_OK_;
}

static int
cmd_mailbox_add(struct store *s, int argc, char **argv)
{
	const char *addr = cli_opt(argc, argv, "--address");
	const char *name = cli_opt(argc, argv, "--name");
	enum tame_err rc;
	int64_t id;

	if (!addr)
		need("--address");
	if (!reply_addr_valid(addr)) {
		fprintf(stderr, "tame: invalid address: %s\n", addr);
		return EX_DATAERR_;
	}
	if (name && name_check("--name", name))
		return EX_DATAERR_;
	if (mailbox_stdin_check(argc, argv))
		return EX_USAGE_;
	if (cli_opt(argc, argv, "--relay"))
		return cli_relay_mailbox_add(s, addr, name ? name : addr, argc,
		    argv);
	if (cli_opt(argc, argv, "--imap"))
		return cli_imap_mailbox_add(s, addr, name ? name : addr, argc,
		    argv);
	rc = store_mailbox_create(s, addr, name ? name : addr, tame_now_ms(),
	    &id);
	if (rc == TAME_EEXIST) {
		fprintf(stderr, "tame: mailbox %s already exists\n", addr);
		return EX_DATAERR_;
	}
	if (rc) {
		fprintf(stderr, "tame: %s\n", store_errmsg(s));
		return cli_exit_code(rc);
	}
	printf("%lld\n", (long long)id);
	return EX_OK_;
}

/* First start: an admin with a random password (printed once) and the
 * support@localhost mailbox, each only if there is none yet. */
static int
cmd_init(struct store *s)
{
	char tok[AUTH_TOKEN_HEX + 1], pw[17], hash[AUTH_PWHASH_MAX];
	struct agent a;
	enum tame_err rc;
	int64_t n = 0, id;
	json_t *all = NULL, *one;
	size_t i;
	int have_admin = 0;

	memset(&a, 0, sizeof(a));
	if (store_mailbox_count(s, &n) == TAME_OK && n == 0) {
		if ((rc = store_mailbox_create(s, "support@localhost",
		    "Support", tame_now_ms(), &id)))
			return cli_exit_code(rc);
		printf("mailbox: support@localhost\n");
	}
	/* "the first admin, if none": a store with an admin of its own
	 * gets no second one */
	if ((rc = store_agents_view(s, &all)))
		return cli_exit_code(rc);
	json_array_foreach(json_object_get(all, "agents"), i, one)
		if (!json_is_true(json_object_get(one, "disabled")) &&
		    json_is_string(json_object_get(one, "role")) &&
		    strcmp(json_string_value(json_object_get(one, "role")),
		    "admin") == 0)
			have_admin = 1;
	json_decref(all);
	if (have_admin)
		return EX_OK_;
	/* the first admin is there but disabled or made an agent: no
	 * second one, but the way back */
	if (store_agent_by_email(s, "admin@localhost", &a) == TAME_OK) {
		agent_clear(&a);
		fprintf(stderr, "tame: this desk has no enabled admin: tame "
		    "user enable --email E, or tame user role --email E admin, "
		    "gets one back\n");
		return EX_OK_;
	}
	auth_token_new(tok);
	memcpy(pw, tok, 16);
	pw[16] = '\0';
	if ((rc = auth_password_hash(pw, hash)) ||
	    (rc = store_agent_create(s, "admin@localhost", "Admin", ROLE_ADMIN,
	    hash, tame_now_ms(), &id)))
		return cli_exit_code(rc);
	printf("admin: admin@localhost\npassword: %s\n"
	    "(shown once; change it after logging in)\n", pw);
	return EX_OK_;
}

static int
cmd_deliver(struct store *s, int argc, char **argv)
{
	const char *from = cli_opt(argc, argv, "--from");
	const char *to = cli_opt(argc, argv, "--to");
	struct buf in;
	struct ingest_result res;
	char chunk[65536];
	size_t n, head = 0;
	int code;
	enum tame_err rc;

	if (!from)
		from = getenv("SENDER");
	/* the envelope sender may be empty (a bounce); anything else that
	 * is no address would become a customer's address: not taken, the
	 * message's From: is used as for any mail without one */
	if (from && *from && !reply_addr_valid(from)) {
		fprintf(stderr, "tame: ignoring sender \"%.80s\": not an "
		    "address\n", from);
		from = NULL;
	}
	if (!to)
		to = getenv("ORIGINAL_RECIPIENT") ? getenv("ORIGINAL_RECIPIENT")
		    : getenv("RECIPIENT");
	buf_init(&in, TAME_SMTP_MESSAGE_MAX + TAME_FIELD_MAX + 32);
	/* the envelope sender as the final delivery agent writes it (RFC
	 * 5321 4.4), as tamed's SMTP does: a bounce's <> then gets no
	 * acknowledgement. Not when the MTA wrote one (postfix flags=R) */
	if (from && buf_printf(&in, "Return-Path: <%s>\r\n", from)) {
		buf_free(&in);
		return EX_DATAERR_;
	}
	head = in.len;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if ((rc = buf_add(&in, chunk, n))) {
			fprintf(stderr, "tame: message larger than %d bytes\n",
			    TAME_SMTP_MESSAGE_MAX);
			buf_free(&in);
			return EX_DATAERR_;
		}
	}
	if (in.len - head > TAME_SMTP_MESSAGE_MAX) {
		fprintf(stderr, "tame: message larger than %d bytes\n",
		    TAME_SMTP_MESSAGE_MAX);
		buf_free(&in);
		return EX_DATAERR_;
	}
	if (ferror(stdin) || in.len == 0 || in.len == head) {
		fprintf(stderr, "tame: no message on stdin\n");
		buf_free(&in);
		return EX_DATAERR_;
	}
	/* one from the MTA already: ours goes */
	if (head && in.len - head >= 12 && strncasecmp(in.data + head,
	    "Return-Path:", 12) == 0) {
		memmove(in.data, in.data + head, in.len - head);
		in.len -= head;
	}
	if ((code = cli_need_mailbox(s, 1))) {
		buf_free(&in);
		return code;
	}
	if ((rc = store_begin(s)) == TAME_OK) {
		rc = ingest_message(s, in.data, in.len, from ? from : "",
		    to ? to : "", tame_now_ms(), &res);
		if (rc == TAME_OK)
			rc = store_commit(s);
		else
			store_rollback(s);
	}
	buf_free(&in);
	if (rc) {
		fprintf(stderr, "tame: not stored (%s): %s\n",
		    tame_strerror(rc), store_errmsg(s));
		return rc == TAME_ENOTFOUND ? EX_TEMPFAIL_ : cli_exit_code(rc);
	}
	if (res.duplicate)
		fprintf(stderr, "tame: already stored (same Message-ID)\n");
	else
		fprintf(stderr, "tame: stored in ticket %lld\n",
		    (long long)res.ticket_id);
	return EX_OK_;
}

/* Opens the store of data for cmd into *s. The first program of a
 * newer build to open a store upgrades its schema, which a tamed of an
 * older build still serving it (a package updated, tamed not restarted
 * yet) would go on using without knowing it: it stores mail the old way
 * and fails agents' requests. So no command upgrades a store a tamed
 * holds (tamed of this build does it when it starts), and a backup
 * copies the store as it is: the copy to keep before an upgrade is of
 * the old schema. TAME_EBUSY after saying so. */
static enum tame_err
open_store(const char *data, const char *cmd, struct store **s)
{
	int have = 0, want = 0, fd;
	enum tame_err rc;

	if (strcmp(cmd, "backup") == 0)
		return store_open(data, STORE_AS_IS, s);
	if (store_exists(data) != 1)
		return store_open(data, 1, s);
	if ((rc = store_open(data, STORE_AS_IS, s)))
		return rc;
	if ((rc = store_schema(*s, &have, &want)) || have >= want)
		return rc;
	store_close(*s);
	*s = NULL;
	if ((rc = store_lock_dir(data, &fd)) != TAME_OK) {
		fprintf(stderr, "tame: the store in %s is of an older Tame "
		    "(schema %d; this one upgrades it to %d) and %s: restart "
		    "tamed with this build first, which upgrades the store, "
		    "then run this again (tame backup copies it as it is)\n",
		    data, have, want, rc == TAME_EBUSY ? "a tamed is running "
		    "on it" : "whether a tamed is running on it cannot be "
		    "told (its tamed.lock cannot be opened)");
		return TAME_EBUSY;
	}
	close(fd);
	return store_open(data, 1, s);
}

int
main(int argc, char **argv)
{
	const char *data = NULL;
	struct store *s = NULL;
	enum tame_err rc;
	int i, code, own;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0))
		usage_to(stdout, EX_OK_);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("tame %s\n", TAME_VERSION);
		return EX_OK_;
	}
	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--data") == 0)
			data = argv[i + 1];
		else
			usage();
	}
	if (!data || i >= argc)
		usage();
	argc -= i;
	argv += i;
	check_args(argc, argv);
	tame_log_set_name("tame");
	if (strcmp(argv[0], "export") == 0 && strcmp(argv[1], "json") != 0) {
		fprintf(stderr, "tame: export knows only json, not \"%s\"\n",
		    argv[1]);
		return EX_USAGE_;
	}
	if (auth_init()) {
		fprintf(stderr, "tame: libsodium cannot start\n");
		return EX_SOFTWARE_;
	}
	mime_init();
	/* only the first steps make a store: a mistyped --data would
	 * export or back up an empty one, or deliver into it; for an
	 * MTA's pipe, a fault here keeps the mail queued */
	if (!makes_store(argc, argv) && (own = store_exists(data)) != 1) {
		if (own < 0)
			fprintf(stderr, "tame: cannot use data directory %s: "
			    "%s\n", data, strerror(errno));
		else
			fprintf(stderr, "tame: no store in %s (tame --data %s "
			    "init makes one)\n", data, data);
		return strcmp(argv[0], "deliver") == 0 ? EX_TEMPFAIL_ :
		    own < 0 ? EX_NOPERM_ : EX_NOINPUT_;
	}
	if (mkdir(data, 0700) != 0 && access(data, W_OK) != 0) {
		fprintf(stderr, "tame: cannot use data directory %s: %s\n",
		    data, strerror(errno));
		/* for an MTA's pipe, a local fault keeps the mail queued */
		return strcmp(argv[0], "deliver") == 0 ? EX_TEMPFAIL_ :
		    EX_CANTCREAT_;
	}
	/* before any open: an open would read the old WAL */
	if (strcmp(argv[0], "restore") == 0)
		return cmd_restore(data, argv[1]);
	if ((rc = open_store(data, argv[0], &s))) {
		fprintf(stderr, "tame: cannot open store in %s: %s\n", data,
		    tame_strerror(rc));
		/* only a busy store is worth trying again, but an MTA's
		 * pipe keeps the mail queued whatever the fault */
		return rc == TAME_EBUSY || strcmp(argv[0], "deliver") == 0 ?
		    EX_TEMPFAIL_ : EX_IOERR_;
	}
	if (strcmp(argv[0], "init") == 0)
		code = cmd_init(s);
	else if (argc >= 2 && strcmp(argv[0], "user") == 0 &&
	    strcmp(argv[1], "add") == 0)
		code = cmd_user_add(s, argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[0], "user") == 0 &&
	    strcmp(argv[1], "password") == 0)
		code = cmd_user_password(s, argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[0], "user") == 0 &&
	    (strcmp(argv[1], "enable") == 0 ||
	    strcmp(argv[1], "disable") == 0 || strcmp(argv[1], "role") == 0))
		code = cmd_user_access(s, argv[1], argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "add") == 0)
		code = cmd_token_add(s, argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "revoke") == 0)
		code = cmd_token_revoke(s, argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[0], "mailbox") == 0 &&
	    strcmp(argv[1], "add") == 0)
		code = cmd_mailbox_add(s, argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[0], "mailbox") == 0 &&
	    strcmp(argv[1], "set") == 0)
		code = mailbox_stdin_check(argc - 2, argv + 2) ? EX_USAGE_ :
		    cli_relay_mailbox_set(s, argc - 2, argv + 2);
	else if (strcmp(argv[0], "deliver") == 0)
		code = cmd_deliver(s, argc - 1, argv + 1);
	else if (argc >= 3 && strcmp(argv[0], "import") == 0)
		code = cmd_import(s, argc, argv);
	else if (argc >= 2 && strcmp(argv[0], "export") == 0 &&
	    strcmp(argv[1], "json") == 0)
		code = cmd_export(s);

	else if (argc >= 2 && strcmp(argv[0], "backup") == 0)
		code = cmd_backup(s, data, argv[1]);
	else
		usage();
	store_close(s);
	return code;
}
