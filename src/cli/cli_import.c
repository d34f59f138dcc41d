/*
 * cli_import.c - migrating existing mail: mbox files and Maildir folders.
 *
 * mbox (RFC 4155): messages start at a line "From " at the beginning of
 * the file or after a newline; lines ">From ", ">>From " ... are
 * unquoted one level (mboxrd), which is also right for mboxo files in
 * all but pathological cases. The file is mapped, not read, so a large
 * mbox costs no copy. Maildir: every file in cur/ and new/.
 * Each message takes the same ingest path as SMTP (threading, dedupe by
 * Message-ID); batches of TAME_IMPORT_BATCH share one transaction.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../core/util.h"
#include "../mail/ingest.h"
#include "../tame_limits.h"
#include "cli.h"

struct importer {
	struct store *s;
	size_t in_batch;
	size_t total, stored, dups, unparsed, skipped;
	int64_t t0, last_progress;
	struct buf msg;
	enum tame_err rc;
};

static void
import_progress(struct importer *im, int final)
{
	int64_t now = tame_now_ms();
	double secs = (double)(now - im->t0) / 1000.0;

	if (!final && now - im->last_progress < 1000)
		return;
	im->last_progress = now;
	fprintf(stderr, "\rimport: %zu messages, %zu stored, %zu duplicate, "
	    "%zu unparsed, %zu skipped, %.0f msg/s%s", im->total, im->stored,
	    im->dups, im->unparsed, im->skipped,
	    secs > 0 ? (double)im->total / secs : 0.0, final ? "\n" : "");
}

static enum tame_err
import_flush(struct importer *im)
{
	enum tame_err rc;

	if (!im->in_batch)
		return TAME_OK;
	im->in_batch = 0;
	if ((rc = store_commit(im->s)))
		store_rollback(im->s);
	return rc;
}

static enum tame_err
import_one(struct importer *im, const char *raw, size_t len)
{
	struct ingest_result res;
	enum tame_err rc;

	if (len == 0)
		return TAME_OK;
	im->total++;
	if (len > TAME_SMTP_MESSAGE_MAX) {
		im->skipped++;
		fprintf(stderr, "\nimport: message %zu skipped: larger than "
		    "%d bytes\n", im->total, TAME_SMTP_MESSAGE_MAX);
		return TAME_OK;
	}
	if (im->in_batch == 0 && (rc = store_begin(im->s)))
		return rc;
	im->in_batch++;
	if ((rc = ingest_message(im->s, raw, len, "", "", tame_now_ms(),
	    &res)))
		return rc;
	if (res.duplicate)
		im->dups++;
	else
		im->stored++;
	if (res.unparsed)
		im->unparsed++;
	if (im->in_batch >= TAME_IMPORT_BATCH && (rc = import_flush(im)))
		return rc;
	import_progress(im, 0);
	return TAME_OK;
}

/* Unquotes one mbox message (">From " lines) into im->msg. */
static enum tame_err
mbox_unquote(struct importer *im, const char *p, size_t len)
{
	const char *end = p + len, *nl, *q;
	enum tame_err rc;

	buf_reset(&im->msg);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		q = p;
		while (q < nl && *q == '>')
			q++;
		if (q > p && nl - q >= 5 && memcmp(q, "From ", 5) == 0)
			p++;
		if ((rc = buf_add(&im->msg, p, (size_t)(nl - p))))
			return rc;
		p = nl;
	}
	return TAME_OK;
}

static enum tame_err
import_mbox(struct importer *im, const char *path)
{
	struct stat st;
	const char *base, *p, *end, *start, *nl;
	enum tame_err rc = TAME_OK;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return TAME_ENOTFOUND;
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
	end = base + st.st_size;
	p = base;
	if ((size_t)(end - p) < 5 || memcmp(p, "From ", 5) != 0) {
		munmap((void *)base, (size_t)st.st_size);
		fprintf(stderr, "import: %s is not an mbox file (no \"From \" "
		    "line at the start)\n", path);
		return TAME_EPARSE;
	}
	while (p < end && rc == TAME_OK) {
		/* p is at a "From " separator line: skip it */
		nl = memchr(p, '\n', (size_t)(end - p));
		start = nl ? nl + 1 : end;
		/* find the next separator: "\nFrom " */
		for (p = start; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl) {
				p = end;
				break;
			}
			if (end - (nl + 1) >= 5 && memcmp(nl + 1, "From ", 5) == 0) {
				p = nl + 1;
				break;
			}
		}
		if ((rc = mbox_unquote(im, start, (size_t)(p - start))) == 0)
			rc = import_one(im, im->msg.data, im->msg.len);
		else if (rc == TAME_ETOOBIG) {
			im->total++;
			im->skipped++;
			rc = TAME_OK;
		}
	}
	munmap((void *)base, (size_t)st.st_size);
	return rc;
}

static enum tame_err
import_file(struct importer *im, const char *path)
{
	FILE *f;
	char chunk[65536];
	size_t n;
	enum tame_err rc = TAME_OK;

	if (!(f = fopen(path, "rb")))
		return TAME_OK; /* moved away meanwhile (Maildir semantics) */
	buf_reset(&im->msg);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = buf_add(&im->msg, chunk, n)))
			break;
	fclose(f);
	if (rc == TAME_ETOOBIG) {
		im->total++;
		im->skipped++;
		return TAME_OK;
	}
	return rc ? rc : import_one(im, im->msg.data, im->msg.len);
}

static enum tame_err
import_maildir(struct importer *im, const char *dir)
{
	static const char *subs[] = { "cur", "new" };
	char path[4096];
	struct dirent *de;
	DIR *d;
	size_t i;
	enum tame_err rc = TAME_OK;
	int found = 0;

	for (i = 0; i < 2 && rc == TAME_OK; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, subs[i]) >=
		    (int)sizeof(path))
			return TAME_EINVAL;
		if (!(d = opendir(path)))
			continue;
		found = 1;
		while (rc == TAME_OK && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%s/%s/%s", dir,
			    subs[i], de->d_name) >= (int)sizeof(path))
				continue;
			rc = import_file(im, path);
		}
		closedir(d);
	}
	if (!found) {
		fprintf(stderr, "import: %s is not a Maildir (no cur/ or new/)\n",
		    dir);
		return TAME_ENOTFOUND;
	}
	return rc;
}

int
cli_import(struct store *s, const char *kind, const char *path)
{
	struct importer im;
	enum tame_err rc;

	memset(&im, 0, sizeof(im));
	im.s = s;
	im.t0 = tame_now_ms();
	buf_init(&im.msg, TAME_SMTP_MESSAGE_MAX);
	if (strcmp(kind, "mbox") == 0)
		rc = import_mbox(&im, path);
	else if (strcmp(kind, "maildir") == 0)
		rc = import_maildir(&im, path);
	else {
		fprintf(stderr, "tame: import mbox FILE | import maildir DIR\n");
		buf_free(&im.msg);
		return 64;
	}
	if (rc == TAME_OK)
		rc = import_flush(&im);
	else if (im.in_batch)
		store_rollback(s);
	import_progress(&im, 1);
	buf_free(&im.msg);
	if (rc) {
		fprintf(stderr, "import: stopped: %s (%s)\n", tame_strerror(rc),
		    store_errmsg(s));
		return cli_exit_code(rc);
	}
	return 0;
}
