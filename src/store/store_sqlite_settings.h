/*
 * store_sqlite_settings.h - the SQLite functions behind store_desk.h's
 * settings and priority raise (store_sqlite_settings.c), for the desk
 * ops table of store_sqlite_desk.c. Nobody else includes it.
 */
#ifndef TAME_STORE_SQLITE_SETTINGS_H
#define TAME_STORE_SQLITE_SETTINGS_H

#include <stdint.h>
#include "../core/err.h"

struct store;

enum tame_err store_sqlite_setting_get(struct store *s, const char *key,
    char **value);
enum tame_err store_sqlite_setting_set(struct store *s, const char *key,
    const char *value, int64_t now);
enum tame_err store_sqlite_priority_raise(struct store *s, int64_t tid,
    int64_t msg_id, int prio, const char *reason, int64_t now,
    int *raised);

#endif
