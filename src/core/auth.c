/*
 * auth.c - libsodium wrappers. See auth.h.
 */
#include <string.h>
#include <sodium.h>
#include "auth.h"

enum tame_err
auth_init(void)
{
	return sodium_init() < 0 ? TAME_EIO : TAME_OK;
}

enum tame_err
auth_password_hash(const char *password, char *out)
{
	if (crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return TAME_ENOMEM;
	return TAME_OK;
}

int
auth_password_verify(const char *hash, const char *password)
{
	if (!hash || !password)
		return 0;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
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
