/*
 * cli_import.c - migrating existing mail: mbox files and Maildir folders.
 *
 * mbox (RFC 4155, split and unquoted by core/mbox.c): the file is
 * mapped, not read, so a large mbox costs no copy. Maildir: every file
 * in cur/ and new/.
 *
 * Order: mail is stored oldest first, so that a reply finds the message
 * it answers and a thread reads in order: a Maildir by the delivery
 * time that starts each file's name, an mbox by the time on each
 * separator line (when its mail store received it). An archive is
 * often not in that order: Gmail's Takeout is not, and an mbox made by
 * joining an Inbox and a Sent folder is not. The mbox is split once
 * before the workers start (its messages' places and times: 32 bytes a
 * message), and sorted only when it is out of order; a message whose
 * separator has no time keeps its place after the one before it.
 * Each message takes the same ingest path as SMTP (threading, dedupe by
 * Message-ID); batches of TAME_IMPORT_BATCH share one transaction.
 *
 * Model: a pipeline, because parsing a message costs about as much as
 * storing it and the store has one writer. Worker threads take the next
 * message from the source in file order (a sequence number each), copy
 * it out and parse it (ingest_prepare); the main thread is the writer
 * and stores the parsed messages strictly in sequence order
 * (ingest_prepared), so a reply later in the file still finds the
 * message it answers. A window bounds how far the workers run ahead,
 * in messages and in bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../core/mbox.h"
#include "../core/model.h"
#include "../core/util.h"
#include "../mail/ingest.h"
#include "../tame_limits.h"
#include "cli.h"

/* Parser threads: the writer keeps one core busy, parsing the rest. */
#define IMPORT_WORKERS       2
/* Messages parsed ahead of the writer at most ... */
#define IMPORT_WINDOW        512
/* ... and their raw bytes at most (a few huge messages must not pile
 * up: one message may be TAME_SMTP_MESSAGE_MAX). */
#define IMPORT_WINDOW_BYTES  (64 * 1024 * 1024)

/* A slot the writer is done with still holds its message: the worker
 * that takes the slot next frees it, so the one busy core of the writer
 * does not spend a tenth of its time in free(). */
enum slot_state { SLOT_FREE = 0, SLOT_BUSY, SLOT_READY, SLOT_DONE };

/* One message on its way through the pipeline. */
struct slot {
	enum slot_state state;
	char *raw;                 /* unquoted bytes, malloc'd */
	size_t len;
	size_t charge;             /* bytes counted in importer.bytes */
	int skipped;               /* counted, not stored: see why */
	int left_out;              /* Gmail's spam, trash, draft, chat */
	int why;                   /* 0: too big; else an errno, or
	                              EFTYPE_ (not a regular file) */
	const char *path;          /* Maildir: its file, for messages */
	size_t offset;             /* mbox: where it starts in the file */
	int64_t when_ms;           /* the archive's own time of it (the
	                              mbox separator's, the Maildir name's
	                              delivery time), for mail without a
	                              Date; 0 if none */
	struct ingest_prep *ip;
	enum tame_err rc;          /* of reading or parsing */
};

/* One message of an mbox, still quoted, where it is in the mapping. */
struct mbox_item {
	const char *msg;
	size_t len;
	int64_t when_ms;             /* its separator's time, 0 if none */
	int64_t key;                 /* the order it is stored in: when_ms,
	                                or the one before's; then its place */
};

/* Where the messages come from: an mbox mapping or Maildir paths. */
struct source {
	const char *base;            /* mbox mapping, maplen bytes */
	size_t maplen;
	struct mbox_item *items;     /* its messages, oldest first */
	size_t nitems, next_item;
	char **paths;                /* Maildir, oldest first */
	size_t npaths, next_path;
};

struct importer {
	struct store *s;
	struct source src;
	pthread_mutex_t mu;
	pthread_cond_t cv_ready;     /* a slot became READY */
	pthread_cond_t cv_room;      /* the writer freed a slot */
	struct slot ring[IMPORT_WINDOW];
	size_t next_seq;             /* next message a worker takes */
	size_t write_seq;            /* next message the writer stores */
	size_t bytes;                /* raw bytes of the taken slots */
	int eof, stop;
	size_t in_batch;
	size_t total, stored, dups, unparsed, skipped;
	/* of the open batch: counted as stored once it commits */
	size_t b_stored, b_dups, b_unparsed;
	char why[512];               /* the store's error, kept from a
	                                rollback's own */
	int status;                  /* of the tickets it makes */
	int noinput;               /* the source cannot be read: said so */
	int tty;                     /* stderr is a terminal */
	size_t left_out;             /* Maildir: trashed or draft (T, D);
	                                Gmail: labelled spam, trash, draft
	                                or chat */
	struct buf folders;          /* Maildir++ subfolders not read */
	int64_t t0, last_progress;
};

static void
import_progress(struct importer *im, int final)
{
	int64_t now = tame_now_ms();
	double secs = (double)(now - im->t0) / 1000.0;

	/* a terminal's line is redrawn each second; a log gets a line
	 * every ten */
	if (!final && now - im->last_progress < (im->tty ? 1000 : 10000))
		return;
	im->last_progress = now;
	fprintf(stderr, "%simport: %zu messages, %zu stored, %zu duplicate, "
	    "%zu unparsed, %zu skipped, %.0f msg/s%s", im->tty ? "\r" : "",
	    im->total, im->stored, im->dups, im->unparsed, im->skipped,
	    secs > 0 ? (double)im->total / secs : 0.0,
	    final || !im->tty ? "\n" : "");
}

/* The delivery time that starts a Maildir file's name
 * ("1700000000.M12P34.host"), in ms, or 0. */
static int64_t
maildir_ms(const char *path)
{
	const char *base = strrchr(path, '/');
	char *end;
	long long t;

	base = base ? base + 1 : path;
	t = strtoll(base, &end, 10);
	return end != base && *end == '.' && t > 0 && t < 4102444800LL ?
	    (int64_t)t * 1000 : 0;
}

/* ---- reading one message (no lock held) ---- */

/* A Maildir entry that is not a regular file (a FIFO would block the
 * read, a device never end): skipped. Not an errno value. */
#define EFTYPE_ (-1)

/* Reads a Maildir file; a file moved away meanwhile is no message
 * (Maildir semantics). One that cannot be read, is not a regular file
 * or is empty is skipped (*skipped, *why), and so is one too big. */
static enum tame_err
file_read(const char *path, char **out, size_t *outlen, int *skipped,
    int *why)
{
	struct buf b;
	struct stat st;
	char chunk[65536];
	ssize_t n;
	int fd;
	enum tame_err rc = TAME_OK;

	*out = NULL;
	*outlen = 0;
	*why = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno != ENOENT) {
			*skipped = 1;
			*why = errno;
		}
		return TAME_OK;
	}
	if (fstat(fd, &st) != 0)
		*why = errno;
	else if (!S_ISREG(st.st_mode))
		*why = EFTYPE_;
	else if (st.st_size == 0)
		*why = ENODATA;
	if (*why) {
		*skipped = 1;
		close(fd);
		return TAME_OK;
	}
	buf_init(&b, TAME_SMTP_MESSAGE_MAX);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if ((rc = buf_add(&b, chunk, (size_t)n)))
			break;
	if (n < 0 && rc == TAME_OK) {
		*skipped = 1;
		*why = errno;
	}
	close(fd);
	if (rc == TAME_ETOOBIG) {
		*skipped = 1;
		rc = TAME_OK;
	} else if (rc == TAME_OK && b.len && !*skipped) {
		*outlen = b.len;
		if (!(*out = buf_take(&b)))
			rc = TAME_ENOMEM;
	}
	buf_free(&b);
	return rc;
}

/* ---- workers ---- */

static void *
import_worker(void *arg)
{
	struct importer *im = arg;
	const char *msg = NULL, *path = NULL;
	const struct mbox_item *it = NULL;
	struct ingest_prep *old_ip;
	struct slot *sl;
	char *old_raw;
	size_t seq, len = 0;
	int more;

	pthread_mutex_lock(&im->mu);
	for (;;) {
		while (!im->stop && !im->eof &&
		    (im->next_seq - im->write_seq >= IMPORT_WINDOW ||
		    (im->bytes >= IMPORT_WINDOW_BYTES &&
		    im->next_seq != im->write_seq)))
			pthread_cond_wait(&im->cv_room, &im->mu);
		if (im->stop || im->eof)
			break;
		if (im->src.base) {
			if ((more = im->src.next_item < im->src.nitems)) {
				it = &im->src.items[im->src.next_item++];
				msg = it->msg;
				len = it->len;
			}
		} else if ((more = im->src.next_path < im->src.npaths)) {
			path = im->src.paths[im->src.next_path++];
		}
		if (!more) {
			im->eof = 1;
			pthread_cond_broadcast(&im->cv_ready);
			break;
		}
		seq = im->next_seq++;
		sl = &im->ring[seq % IMPORT_WINDOW];
		old_ip = sl->ip;
		old_raw = sl->raw;
		memset(sl, 0, sizeof(*sl));
		sl->state = SLOT_BUSY;
		sl->path = im->src.base ? NULL : path;
		sl->offset = im->src.base ? (size_t)(msg - im->src.base) : 0;
		sl->charge = im->src.base ? len : 0;
		im->bytes += sl->charge;
		pthread_mutex_unlock(&im->mu);

		ingest_prep_free(old_ip);
		free(old_raw);
		sl->when_ms = im->src.base ? it->when_ms : maildir_ms(path);

		if (im->src.base) {
			if (len > TAME_SMTP_MESSAGE_MAX)
				sl->skipped = 1;
			else if (mbox_gmail_left_out(msg, len))
				sl->left_out = 1;
			else
				sl->rc = mbox_unquote(msg, len, &sl->raw,
				    &sl->len);
		} else {
			sl->rc = file_read(path, &sl->raw, &sl->len,
			    &sl->skipped, &sl->why);
		}
		if (!sl->rc && !sl->skipped && sl->len)
			sl->rc = ingest_prepare(sl->raw, sl->len, "", &sl->ip);

		pthread_mutex_lock(&im->mu);
		if (!im->src.base) {
			sl->charge = sl->len;
			im->bytes += sl->charge;
		}
		sl->state = SLOT_READY;
		pthread_cond_broadcast(&im->cv_ready);
	}
	pthread_mutex_unlock(&im->mu);
	return NULL;
}

/* ---- the writer ---- */

/* The open batch failed: rolled back, its messages not counted, and the
 * store's reason kept (a rollback after SQLite gave the transaction up,
 * on a full disk, says only "no transaction is active"). */
static void
import_abandon(struct importer *im)
{
	snprintf(im->why, sizeof(im->why), "%s", store_errmsg(im->s));
	store_rollback(im->s);
	im->in_batch = 0;
	im->b_stored = im->b_dups = im->b_unparsed = 0;
}

static enum tame_err
import_flush(struct importer *im)
{
	enum tame_err rc;

	if (!im->in_batch)
		return TAME_OK;
	im->in_batch = 0;
	if ((rc = store_commit(im->s))) {
		import_abandon(im);
		return rc;
	}
	im->stored += im->b_stored;
	im->dups += im->b_dups;
	im->unparsed += im->b_unparsed;
	im->b_stored = im->b_dups = im->b_unparsed = 0;
	return TAME_OK;
}

static enum tame_err
import_store(struct importer *im, struct slot *sl)
{
	struct ingest_result res;
	enum tame_err rc;
	char where[512];

	if (sl->left_out) {
		im->left_out++;
		return TAME_OK;
	}
	if (sl->len == 0 && !sl->skipped)
		return TAME_OK;
	im->total++;
	if (sl->skipped) {
		im->skipped++;
		/* named by its file, or where it starts in the mbox */
		if (sl->path)
			snprintf(where, sizeof(where), "%s", sl->path);
		else
			snprintf(where, sizeof(where), "at byte %zu",
			    sl->offset);
		fprintf(stderr, "%simport: message %zu (%s) skipped: ",
		    im->tty ? "\n" : "", im->total, where);
		if (!sl->why)
			fprintf(stderr, "larger than %d bytes\n",
			    TAME_SMTP_MESSAGE_MAX);
		else
			fprintf(stderr, "%s\n", sl->why == EFTYPE_ ?
			    "not a regular file" : sl->why == ENODATA ?
			    "empty file" : strerror(sl->why));
		return TAME_OK;
	}
	if (im->in_batch == 0 && (rc = store_begin(im->s)))
		return rc;
	im->in_batch++;
	ingest_prep_archive(sl->ip, im->status, sl->when_ms);
	if ((rc = ingest_prepared(im->s, sl->ip, sl->raw, sl->len, "", "",
	    tame_now_ms(), &res)))
		return rc;
	if (res.duplicate)
		im->b_dups++;
	else
		im->b_stored++;
	if (res.unparsed)
		im->b_unparsed++;
	if (im->in_batch >= TAME_IMPORT_BATCH && (rc = import_flush(im)))
		return rc;
	import_progress(im, 0);
	return TAME_OK;
}

/* Stores the messages in order as the workers finish them. */
static enum tame_err
import_run(struct importer *im)
{
	pthread_t th[IMPORT_WORKERS];
	struct slot *sl;
	enum tame_err rc = TAME_OK;
	int i, nth = 0, done;

	for (i = 0; i < IMPORT_WORKERS; i++) {
		if (pthread_create(&th[i], NULL, import_worker, im) != 0)
			break;
		nth++;
	}
	if (nth == 0)
		return TAME_ENOMEM;
	for (;;) {
		pthread_mutex_lock(&im->mu);
		sl = &im->ring[im->write_seq % IMPORT_WINDOW];
		while (!(im->write_seq < im->next_seq &&
		    sl->state == SLOT_READY) &&
		    !(im->eof && im->write_seq == im->next_seq))
			pthread_cond_wait(&im->cv_ready, &im->mu);
		done = im->write_seq == im->next_seq;
		pthread_mutex_unlock(&im->mu);
		if (done)
			break;

		rc = sl->rc ? sl->rc : import_store(im, sl);

		pthread_mutex_lock(&im->mu);
		sl->state = SLOT_DONE;
		im->write_seq++;
		im->bytes -= sl->charge;
		pthread_cond_broadcast(&im->cv_room);
		pthread_mutex_unlock(&im->mu);
		if (rc)
			break;
	}
	pthread_mutex_lock(&im->mu);
	im->stop = 1;
	pthread_cond_broadcast(&im->cv_room);
	pthread_mutex_unlock(&im->mu);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	/* messages stored, and those parsed after a failure */
	for (i = 0; i < IMPORT_WINDOW; i++) {
		ingest_prep_free(im->ring[i].ip);
		free(im->ring[i].raw);
	}
	return rc;
}

/* ---- sources ---- */

/* qsort order of mbox items: by key, then by place in the file. */
static int
item_cmp(const void *a, const void *b)
{
	const struct mbox_item *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->msg < y->msg ? -1 : x->msg > y->msg;
}

/* Splits the mapped mbox into src->items, oldest first. */
static enum tame_err
mbox_items(struct source *src)
{
	struct mbox_reader mb;
	struct mbox_item *it, *grown;
	size_t cap = 0;
	int64_t last = 0;
	int sorted = 1;

	mbox_open(&mb, src->base, src->maplen);
	for (;;) {
		if (src->nitems == cap) {
			cap = cap ? cap * 2 : 1024;
			if (!(grown = realloc(src->items, cap * sizeof(*grown))))
				return TAME_ENOMEM;
			src->items = grown;
		}
		it = &src->items[src->nitems];
		if (!mbox_next(&mb, &it->msg, &it->len))
			break;
		it->when_ms = mbox_separator_ms(src->base, it->msg);
		it->key = it->when_ms ? it->when_ms : last;
		if (it->key < last)
			sorted = 0;
		last = it->key;
		src->nitems++;
	}
	if (!sorted) {
		qsort(src->items, src->nitems, sizeof(*src->items), item_cmp);
		/* read out of order now: no reading ahead for nothing */
		madvise((void *)src->base, src->maplen, MADV_NORMAL);
	}
	return TAME_OK;
}

static enum tame_err
source_mbox(struct importer *im, const char *path)
{
	struct stat st;
	const char *base;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		fprintf(stderr, "import: cannot read %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		im->noinput = 1;
		return TAME_ENOTFOUND;
	}
	/* the file is mapped: a pipe has no size to map */
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "import: %s is %s: give an mbox file%s\n", path,
		    S_ISDIR(st.st_mode) ? "a directory" : "not a regular file",
		    S_ISDIR(st.st_mode) ? " (import maildir DIR for a Maildir)"
		    : " (save a pipe's output to a file first)");
		close(fd);
		im->noinput = 1;
		return TAME_EINVAL;
	}
	if (st.st_size == 0) {
		close(fd);
		return TAME_OK;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return TAME_EIO;
	madvise((void *)base, (size_t)st.st_size, MADV_SEQUENTIAL);
	im->src.base = base;
	im->src.maplen = (size_t)st.st_size;
	if (!mbox_looks_like(base, (size_t)st.st_size)) {
		fprintf(stderr, "import: %s is not an mbox file (no \"From \" "
		    "line at the start)\n", path);
		im->noinput = 1;
		return TAME_EPARSE;
	}
	return mbox_items(&im->src);
}

/* 1 for a Maildir file its mail program marked trashed (T) or a draft
 * (D), in the flags after ":2," that end its name: no mail to keep. */
static int
maildir_left_out(const char *name)
{
	const char *info = strstr(name, ":2,");

	return info && strpbrk(info + 3, "TD") != NULL;
}

/* Names the Maildir++ subfolders of dir (".Sent", ".Archive.2020":
 * folders of their own, with a cur/ inside) in im->folders. */
static void
maildir_folders(struct importer *im, const char *dir)
{
	char sub[4096];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s/cur", dir,
		    de->d_name) >= sizeof(sub) || stat(sub, &st) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		(void)buf_printf(&im->folders, "%s%s", im->folders.len ?
		    " " : "", de->d_name);
	}
	if (d)
		closedir(d);
}

/* qsort order of Maildir paths: by the delivery time that starts a
 * file's name ("1700000000.M12P34.host", seconds), then by name. */
static int
maildir_order(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
	unsigned long long tx, ty;
	int c;

	bx = bx ? bx + 1 : x;
	by = by ? by + 1 : y;
	tx = strtoull(bx, NULL, 10);
	ty = strtoull(by, NULL, 10);
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return (c = strcmp(bx, by)) ? c : strcmp(x, y);
}

static enum tame_err
source_maildir(struct importer *im, const char *dir)
{
	static const char *subs[] = { "cur", "new" };
	struct buf path;
	struct dirent *de;
	char **grown;
	size_t i, cap = 0;
	enum tame_err rc = TAME_OK;
	DIR *d;
	int found = 0;

	buf_init(&path, 4096);
	for (i = 0; i < 2 && rc == TAME_OK; i++) {
		buf_reset(&path);
		if ((rc = buf_printf(&path, "%s/%s", dir, subs[i])))
			break;
		if (!(d = opendir(buf_str(&path))))
			continue;
		found = 1;
		while (rc == TAME_OK && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (maildir_left_out(de->d_name)) {
				im->left_out++;
				continue;
			}
			buf_reset(&path);
			if (buf_printf(&path, "%s/%s/%s", dir, subs[i],
			    de->d_name))
				continue;
			if (im->src.npaths == cap) {
				cap = cap ? cap * 2 : 256;
				if (!(grown = realloc(im->src.paths,
				    cap * sizeof(*grown)))) {
					rc = TAME_ENOMEM;
					break;
				}
				im->src.paths = grown;
			}
			if (!(im->src.paths[im->src.npaths] = buf_take(&path)))
				rc = TAME_ENOMEM;
			else
				im->src.npaths++;
			buf_init(&path, 4096);
		}
		closedir(d);
	}
	buf_free(&path);
	/* in delivery order, as a mbox is, so that a reply comes after the
	 * message it answers: readdir's order is the directory's hash */
	if (rc == TAME_OK && im->src.npaths > 1)
		qsort(im->src.paths, im->src.npaths, sizeof(*im->src.paths),
		    maildir_order);
	if (rc == TAME_OK && !found) {
		fprintf(stderr, "import: %s is not a Maildir (no cur/ or new/ "
		    "it can read)\n", dir);
		im->noinput = 1;
		return TAME_ENOTFOUND;
	}
	if (rc == TAME_OK)
		maildir_folders(im, dir);
	return rc;
}

static void
source_close(struct source *src)
{
	size_t i;

	if (src->base)
		munmap((void *)src->base, src->maplen);
	free(src->items);
	for (i = 0; i < src->npaths; i++)
		free(src->paths[i]);
	free(src->paths);
}

int
cli_import(struct store *s, const char *kind, const char *path,
    const char *status)
{
	struct importer *im;
	enum ticket_status st = TICKET_NEW;
	enum tame_err rc;
	int code = 0;

	if (strcmp(kind, "mbox") != 0 && strcmp(kind, "maildir") != 0) {
		fprintf(stderr, "tame: import mbox FILE | import maildir DIR\n");
		return 64;
	}
	if (status && ticket_status_parse(status, &st)) {
		fprintf(stderr, "tame: --status must be new, open, pending, "
		    "solved or closed, not \"%s\"\n", status);
		return 64;
	}
	if ((code = cli_need_mailbox(s, 0)))
		return code;
	if (!(im = calloc(1, sizeof(*im))))
		return cli_exit_code(TAME_ENOMEM);
	im->s = s;
	im->status = (int)st;
	im->tty = isatty(STDERR_FILENO);
	buf_init(&im->folders, 65536);
	im->t0 = tame_now_ms();
	store_bulk_writer(s);
	pthread_mutex_init(&im->mu, NULL);
	pthread_cond_init(&im->cv_ready, NULL);
	pthread_cond_init(&im->cv_room, NULL);
	if (strcmp(kind, "mbox") == 0)
		rc = source_mbox(im, path);
	else
		rc = source_maildir(im, path);
	if (rc == TAME_OK && (im->src.nitems || im->src.npaths))
		rc = import_run(im);
	if (rc == TAME_OK)
		rc = import_flush(im);
	else if (im->in_batch)
		import_abandon(im);
	import_progress(im, 1);
	if (im->left_out)
		fprintf(stderr, "import: %zu message(s) marked trashed, spam, "
		    "draft or chat left out\n", im->left_out);
	if (im->folders.len)
		fprintf(stderr, "import: not read, folders of their own (import "
		    "each as DIR/FOLDER): %s\n", buf_str(&im->folders));
	if (rc && im->noinput) {
		/* said above; EX_NOINPUT, or EX_DATAERR for what is no mbox */
		code = rc == TAME_EPARSE ? cli_exit_code(rc) : 66;
	} else if (rc) {
		fprintf(stderr, "import: stopped: %s (%s)\n", tame_strerror(rc),
		    im->why[0] ? im->why : store_errmsg(s));
		code = cli_exit_code(rc);
	}
	source_close(&im->src);
	buf_free(&im->folders);
	pthread_mutex_destroy(&im->mu);
	pthread_cond_destroy(&im->cv_ready);
	pthread_cond_destroy(&im->cv_room);
	free(im);
	return code;
}
