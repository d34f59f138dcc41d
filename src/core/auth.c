/*
 * auth.c - libsodium wrappers. See auth.h.
 */
#include <pthread.h>
#include <string.h>
#include <sodium.h>
#include "auth.h"

/*
 * A password hash takes crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MB) for
 * its moment: with one per HTTP thread, a burst of sign-ins (or of
 * guesses) would take 64 MB a thread at once, 1 GB on a machine of 16
 * cores. At most AUTH_HASHES_AT_ONCE run together; the others wait their
 * turn, tens of milliseconds each.
 */
#define AUTH_HASHES_AT_ONCE 2

static pthread_mutex_t hash_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_cv = PTHREAD_COND_INITIALIZER;
static int hashing;

static void
hash_enter(void)
{
	pthread_mutex_lock(&hash_mu);
	while (hashing >= AUTH_HASHES_AT_ONCE)
		pthread_cond_wait(&hash_cv, &hash_mu);
	hashing++;
	pthread_mutex_unlock(&hash_mu);
}

static void
hash_leave(void)
{
	pthread_mutex_lock(&hash_mu);
	hashing--;
	pthread_cond_signal(&hash_cv);
	pthread_mutex_unlock(&hash_mu);
}

enum tame_err
auth_init(void)
{
	return sodium_init() < 0 ? TAME_EIO : TAME_OK;
}

enum tame_err
auth_password_hash(const char *password, char *out)
{
	int rc;

	hash_enter();
	rc = crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	hash_leave();
	return rc != 0 ? TAME_ENOMEM : TAME_OK;
}

int
auth_password_verify(const char *hash, const char *password)
{
	int rc;

	if (!hash || !password)
		return 0;
	hash_enter();
	rc = crypto_pwhash_str_verify(hash, password, strlen(password));
	hash_leave();
	return rc == 0;
}

void
auth_token_new(char out[AUTH_TOKEN_HEX + 1])
{
	unsigned char r[AUTH_TOKEN_HEX / 2];

	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(out, AUTH_TOKEN_HEX + 1, r, sizeof(r));
}

void
auth_sha256_hex(const char *s, size_t len, char out[AUTH_HASH_HEX + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)s, len);
	sodium_bin2hex(out, AUTH_HASH_HEX + 1, h, sizeof(h));
}

int
auth_str_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}
