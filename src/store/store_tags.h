/*
 * store_tags.h - tags across all tickets: rename (which merges into a
 * tag already in use) and delete, for the admin page.
 *
 * Model: a tag is no row of its own; it is the set of ticket_tags rows
 * carrying one name. Renaming or deleting it changes every ticket that
 * carries it in one save point, and each changed ticket gets an event
 * in its history ("tag.renamed" {from, to, merged} or "tag.deleted"
 * {tag}) and a new updated_at, so the change shows in the ticket's
 * audit trail and in the live views. These kinds are not
 * "ticket.updated" on purpose: followers are not notified of an
 * administrator's clean-up of the tag list. The caller writes the one
 * ticket-less event that sums the change up, in the same transaction.
 *
 * Like store_desk.h, a table of functions of its own that each engine
 * fills in; store_tags.c checks arguments and finds the engine's table.
 */
#ifndef TAME_STORE_TAGS_H
#define TAME_STORE_TAGS_H

#include <stdint.h>
#include "../core/err.h"

struct store;

/* Renames tag from to to on every ticket; a ticket carrying both keeps
 * one. actor is the agent who did it (for the events). *tickets gets
 * how many tickets carried from, *merged 1 if to was already in use.
 * TAME_ENOTFOUND when no ticket carries from; TAME_EINVAL when from
 * equals to. */
enum tame_err store_tags_rename(struct store *s, const char *from,
    const char *to, int64_t actor, int64_t now, int64_t *tickets,
    int *merged);
/* Removes tag from every ticket; *tickets gets how many carried it.
 * TAME_ENOTFOUND when none did. */
enum tame_err store_tags_delete(struct store *s, const char *tag,
    int64_t actor, int64_t now, int64_t *tickets);

/* ---- for backends ---- */

struct store_tags_ops {
	enum tame_err (*rename)(struct store *s, const char *from,
	    const char *to, int64_t actor, int64_t now, int64_t *tickets,
	    int *merged);
	enum tame_err (*remove)(struct store *s, const char *tag,
	    int64_t actor, int64_t now, int64_t *tickets);
};

/* The SQLite engine's table (store_sqlite_tags.c). */
extern const struct store_tags_ops store_sqlite_tags_ops;

#endif
