/*
 * store_secret.h - secrets at rest (IMAP passwords) sealed with a key
 * that lives beside the store.
 *
 * Model: the key is 32 random bytes in DATA/secret.key (mode 0600,
 * created on first use); a secret is sealed with libsodium's
 * crypto_secretbox (XSalsa20-Poly1305, a fresh random nonce each time)
 * and stored as text "v1:" + base64(nonce || box). A copy of tame.db
 * alone (a backup, an export) does not reveal the passwords; the data
 * directory as a whole does, as it must for tamed to log in.
 */
#ifndef TAME_STORE_SECRET_H
#define TAME_STORE_SECRET_H

#include "../core/err.h"

/* Seals plain with the key of datadir (creating the key file if there
 * is none). *out is malloc'd text; caller frees. TAME_EIO if the key
 * file cannot be read or created. */
enum tame_err store_secret_seal(const char *datadir, const char *plain,
    char **out);

/* What went wrong with the key file, after a seal or open returned rc
 * (errno kept from then): "missing", "Permission denied" and the like
 * rather than "I/O error". */
const char *store_secret_strerror(enum tame_err rc);

/* Opens sealed (from store_secret_seal) with the key of datadir. *out is
 * malloc'd; caller wipes and frees it. TAME_EPARSE for a damaged value,
 * TAME_EAUTH when the key does not open it (another data directory's
 * key), TAME_EIO when there is no key. */
enum tame_err store_secret_open(const char *datadir, const char *sealed,
    char **out);

#endif
