/*
 * auth.h - passwords, tokens and hashes with libsodium.
 *
 * Passwords: argon2id (crypto_pwhash_str, interactive limits).
 * Tokens and session ids: 32 random bytes, hex; stored only as SHA-256
 * so a stolen database does not give working credentials.
 */
#ifndef TAME_AUTH_H
#define TAME_AUTH_H

#include <stddef.h>
#include "err.h"

#define AUTH_TOKEN_HEX 64   /* chars in a token, without NUL */
#define AUTH_HASH_HEX  64   /* chars in a SHA-256 hex digest */
#define AUTH_PWHASH_MAX 128 /* crypto_pwhash_STRBYTES */

/* Call once at start (sodium_init). TAME_EIO if the library cannot run. */
enum tame_err auth_init(void);
/* Hashes password into out (AUTH_PWHASH_MAX bytes). */
enum tame_err auth_password_hash(const char *password, char *out);
/* 1 if password matches hash, 0 otherwise. */
int auth_password_verify(const char *hash, const char *password);
/* A fresh random token: AUTH_TOKEN_HEX hex chars + NUL. */
void auth_token_new(char out[AUTH_TOKEN_HEX + 1]);
/* Hex SHA-256 of s. */
void auth_sha256_hex(const char *s, size_t len, char out[AUTH_HASH_HEX + 1]);
/* Constant-time comparison of two NUL-terminated strings: 1 if equal. */
int auth_str_equal(const char *a, const char *b);

#endif
