/*
 * outbox.h - the sender thread for outgoing mail.
 *
 * Model: replies are written to the outbox table in the same transaction
 * as the message (store_outbox_add), so a reply is never lost and never
 * half-made. One thread takes due items, delivers each with libcurl to the
 * relay (smtp:// or smtps://, optional user and password in the URL or
 * given separately), and records the result: sent, retry later with
 * exponential back-off (1 min doubling, up to TAME_OUTBOX_GIVEUP_SECONDS),
 * or failed for good (5xx answers). An item is marked sent right after
 * the relay accepted it, so a restart does not send it again.
 */
#ifndef TAME_OUTBOX_H
#define TAME_OUTBOX_H

#include "../core/err.h"

struct outbox;

/* relay: a relay URL as relay_conf_parse_url() reads it (TAME_EINVAL
 * otherwise: tamed checks it first); NULL = no global relay: items of
 * mailboxes without a relay of their own (store_relay_*) stay queued
 * (and are sent once a relay is configured). */
enum tame_err outbox_start(const char *datadir, const char *relay,
    struct outbox **out);
/* Wakes the sender now (a new item was queued). Thread-safe; ob may be
 * NULL. */
void outbox_kick(struct outbox *ob);
/* A relay was set or changed: mail that waited for one, or for its
 * next try, goes at once. */
void outbox_relay_set(struct outbox *ob);
void outbox_stop(struct outbox *ob);
/* The global --relay URL, or NULL (also for ob NULL). Borrowed; lives
 * as long as ob. */
const char *outbox_global_relay(const struct outbox *ob);

#endif
