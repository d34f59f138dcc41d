/*
 * migrations.h - the versioned schema of the SQLite store.
 *
 * The schema version lives in PRAGMA user_version. Step N turns version
 * N-1 into N; steps are only ever appended, never edited, so a database
 * of any age reaches the current shape by running the missing steps in
 * order inside one write transaction.
 */
#ifndef TAME_STORE_MIGRATIONS_H
#define TAME_STORE_MIGRATIONS_H

#include <stddef.h>
#include <sqlite3.h>
#include "../core/err.h"

/* The version this build's code expects. */
int migrations_latest(void);

/* Brings db to migrations_latest(). With apply == 0 nothing is changed
 * and an older schema is an error (only the process that migrates may
 * open an old database); with apply < 0 an older schema is left as it
 * is. A schema newer than this build is always an error. On failure a
 * text is written to err (errlen bytes). */
enum tame_err migrations_run(sqlite3 *db, int apply, char *err, size_t errlen);

#endif
