/*
 * imap_poll.h - the IMAP poller of tamed: mail from existing mailboxes.
 *
 * One thread polls every mailbox that has IMAP settings (store.h,
 * store_imap_*), fetches new messages with libcurl and hands them to
 * the ingest queue; see imap_poll.c for the model. Where the server
 * offers IMAP IDLE, new mail is fetched as soon as the server announces
 * it (imap_idle.c); elsewhere an idle folder is polled (one STATUS
 * command every poll interval, 2 s by default).
 */
#ifndef TAME_IMAP_POLL_H
#define TAME_IMAP_POLL_H

#include "../core/err.h"
#include "ingestq.h"

struct imap_poll;

/* Starts the poller thread with its own store connection on datadir;
 * messages go to q, which must outlive the poller. */
enum tame_err imap_poll_start(const char *datadir, struct ingestq *q,
    struct imap_poll **out);

/* Stops the thread: transfers are abandoned, messages already handed to
 * the ingest queue are waited for (so stop the poller before the
 * queue). Nothing fetched is lost: the next start resumes from the last
 * UID recorded. NULL is allowed. */
void imap_poll_stop(struct imap_poll *p);

#endif
