/*
 * store_tags.c - the public store_tags_* functions: argument checks
 * that are the same for every engine, then a call through the engine's
 * struct store_tags_ops (store_tags.h, the backend's "tags" member).
 * Knows no SQL, like store.c. An engine without the table answers
 * TAME_EINVAL with a clear message.
 */
#include <string.h>
#include "../tame_limits.h"
#include "store_backend.h"
#include "store_tags.h"

/* The tags table of s's engine, or NULL. */
static const struct store_tags_ops *
ops(const struct store *s)
{
	return s->be->tags;
}

/* A usable tag name: 1 to TAME_FIELD_MAX bytes. */
static int
name_ok(const char *t)
{
	return t && t[0] && strlen(t) <= TAME_FIELD_MAX;
}

enum tame_err
store_tags_rename(struct store *s, const char *from, const char *to,
    int64_t actor, int64_t now, int64_t *tickets, int *merged)
{
	if (!s || !ops(s) || !name_ok(from) || !name_ok(to) || !tickets ||
	    !merged) {
		if (s)
			store_set_errmsg(s, "%s: bad argument", __func__);
		return TAME_EINVAL;
	}
	*tickets = 0;
	*merged = 0;
	if (strcmp(from, to) == 0) {
		store_set_errmsg(s, "the new name is the old one");
		return TAME_EINVAL;
	}
	return ops(s)->rename(s, from, to, actor, now, tickets, merged);
}

enum tame_err
store_tags_delete(struct store *s, const char *tag, int64_t actor,
    int64_t now, int64_t *tickets)
{
	if (!s || !ops(s) || !name_ok(tag) || !tickets) {
		if (s)
			store_set_errmsg(s, "%s: bad argument", __func__);
		return TAME_EINVAL;
	}
	*tickets = 0;
	return ops(s)->remove(s, tag, actor, now, tickets);
}
