/*
 * store_secret.c - sealing secrets with the data directory's key. See
 * store_secret.h.
 *
 * The key file is created without a race between `tame` and a running
 * tamed: the key is written to a private temporary file and link(2)ed
 * to its name, which fails if another process won; the loser reads the
 * winner's key. The file is never rewritten, so a reader never sees a
 * half-written key.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "../core/util.h"
#include "store.h"
#include "store_secret.h"

#define KEY_FILE "secret.key"
#define PREFIX "v1:"

static enum tame_err
read_key(int fd, unsigned char *key)
{
	size_t got = 0;
	ssize_t n;
	char extra;

	while (got < crypto_secretbox_KEYBYTES) {
		n = read(fd, key + got, crypto_secretbox_KEYBYTES - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return TAME_EIO;
		got += (size_t)n;
	}
	/* a longer file is not one of ours */
	if (read(fd, &extra, 1) != 0)
		return TAME_EIO;
	return TAME_OK;
}

static enum tame_err
write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return TAME_EIO;
		p += n;
		len -= (size_t)n;
	}
	return TAME_OK;
}

/* Creates the key file through a temporary file and link(2). TAME_EEXIST
 * when another process created it first. */
static enum tame_err
create_key(const char *datadir, const char *path, unsigned char *key)
{
	char tmp[PATH_MAX];
	enum tame_err rc;
	int fd, n, dfd;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.%08x", path, (long)getpid(),
	    (unsigned)randombytes_random());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return TAME_EIO;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0)
		return TAME_EIO;
	/* a root-owned 0600 key is a key tamed cannot read */
	if (store_give_to_owner(datadir, fd) != 0) {
		close(fd);
		unlink(tmp);
		return TAME_EIO;
	}
	randombytes_buf(key, crypto_secretbox_KEYBYTES);
	rc = write_all(fd, key, crypto_secretbox_KEYBYTES);
	if (!rc && fsync(fd) != 0)
		rc = TAME_EIO;
	close(fd);
	if (!rc && link(tmp, path) != 0)
		rc = errno == EEXIST ? TAME_EEXIST : TAME_EIO;
	unlink(tmp);
	if (!rc && (dfd = open(datadir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return rc;
}

/* Loads the key of datadir into key, creating it when create is set. */
static enum tame_err
load_key(const char *datadir, int create, unsigned char *key)
{
	char path[PATH_MAX];
	enum tame_err rc;
	int fd, n, tries;

	n = snprintf(path, sizeof(path), "%s/" KEY_FILE, datadir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return TAME_EIO;
	for (tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			rc = read_key(fd, key);
			close(fd);
			if (rc)
				errno = EBADMSG;	/* too short to be a key */
			return rc;
		}
		if (errno != ENOENT || !create)
			return TAME_EIO;
		rc = create_key(datadir, path, key);
		if (rc != TAME_EEXIST)
			return rc;
		/* another process made it just now: read theirs */
	}
	return TAME_EIO;
}

/* See store_secret.h. */
const char *
store_secret_strerror(enum tame_err rc)
{
	if (rc == TAME_EIO && errno == ENOENT)
		return "the key file is missing (restored without it? copy it "
		    "from the old data directory, or enter the password again)";
	if (rc == TAME_EIO && errno == EBADMSG)
		return "the key file is damaged";
	if (rc == TAME_EIO && errno)
		return strerror(errno);
	return tame_strerror(rc);
}

/* See store_secret.h. */
enum tame_err
store_secret_seal(const char *datadir, const char *plain, char **out)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	unsigned char *raw = NULL;
	size_t plen, rawlen, b64len;
	enum tame_err rc;
	char *text = NULL;

	*out = NULL;
	plen = strlen(plain);
	if (plen > (1u << 20))
		return TAME_ETOOBIG;
	if ((rc = load_key(datadir, 1, key)))
		return rc;
	rawlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
	    plen;
	b64len = sodium_base64_encoded_len(rawlen,
	    sodium_base64_VARIANT_ORIGINAL);
	if (!(raw = malloc(rawlen)) ||
	    !(text = malloc(sizeof(PREFIX) - 1 + b64len))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES,
	    (const unsigned char *)plain, plen, raw, key);
	memcpy(text, PREFIX, sizeof(PREFIX) - 1);
	sodium_bin2base64(text + sizeof(PREFIX) - 1, b64len, raw, rawlen,
	    sodium_base64_VARIANT_ORIGINAL);
	*out = text;
	text = NULL;
out:
	sodium_memzero(key, sizeof(key));
	free(raw);
	free(text);
	return rc;
}

/* See store_secret.h. */
enum tame_err
store_secret_open(const char *datadir, const char *sealed, char **out)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	unsigned char *raw = NULL;
	size_t len, rawlen = 0;
	enum tame_err rc = TAME_OK;
	char *plain = NULL;

	*out = NULL;
	if (strncmp(sealed, PREFIX, sizeof(PREFIX) - 1) != 0)
		return TAME_EPARSE;
	sealed += sizeof(PREFIX) - 1;
	len = strlen(sealed);
	if (!(raw = malloc(len + 1)))
		return TAME_ENOMEM;
	if (sodium_base642bin(raw, len + 1, sealed, len, NULL, &rawlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    rawlen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
		rc = TAME_EPARSE;
		goto out;
	}
	if ((rc = load_key(datadir, 0, key)))
		goto out;
	len = rawlen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	if (!(plain = malloc(len + 1))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	if (crypto_secretbox_open_easy((unsigned char *)plain,
	    raw + crypto_secretbox_NONCEBYTES,
	    rawlen - crypto_secretbox_NONCEBYTES, raw, key) != 0) {
		rc = TAME_EAUTH;
		goto out;
	}
	plain[len] = '\0';
	*out = plain;
	plain = NULL;
out:
	sodium_memzero(key, sizeof(key));
	free(raw);
	free(plain);
	return rc;
}
