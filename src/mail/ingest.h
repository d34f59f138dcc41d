/*
 * ingest.h - turning one accepted raw message into ticket state.
 *
 * The path every message takes (SMTP, LMTP, `tame deliver`, `tame
 * import`): store the raw bytes, parse with GMime, drop a duplicate
 * Message-ID, attach a delivery-status bounce to the reply it reports,
 * thread (core/thread.c), create or update the ticket, store the message
 * and its attachments, record events, and queue an acknowledgement when
 * the mailbox asks for one and the mail is not automatic.
 */
#ifndef TAME_INGEST_H
#define TAME_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"
#include "../store/store.h"

struct ingest_result {
	int64_t raw_id;
	int64_t ticket_id;   /* 0 for a duplicate */
	int64_t message_id;  /* messages row, 0 for a duplicate */
	int duplicate;       /* Message-ID already stored: kept once */
	int unparsed;        /* stored raw, flagged "could not be parsed" */
	int new_ticket;
	int acked;           /* an acknowledgement was queued */
};

/* Ingests one message inside the caller's open transaction on s.
 * raw: len bytes as received. mail_from: envelope sender ("" for null
 * reverse-path). rcpts: accepted recipients joined by ','. The first
 * recipient that is a mailbox decides the mailbox; when none is, the
 * first mailbox is used (a forward from `tame deliver`).
 * On any failure after the raw copy is stored, the message is kept as an
 * unparsed ticket instead, so nothing accepted is lost. Returns TAME_OK,
 * or an error if even the raw copy could not be stored (the caller must
 * then answer "try later"); then nothing of the message is left in the
 * transaction. res may be NULL. */
enum tame_err ingest_message(struct store *s, const char *raw, size_t len,
    const char *mail_from, const char *rcpts, int64_t now,
    struct ingest_result *res);

/* ingest_message in two halves, so that the parsing, which needs no
 * store, can run on another thread than the store's single writer. */
struct ingest_prep;
/* Parses raw (len bytes) and works out what needs no store. mail_from
 * as for ingest_message. *out is freed with ingest_prep_free(). Returns
 * TAME_OK or TAME_ENOMEM (bad mail is never an error). */
enum tame_err ingest_prepare(const char *raw, size_t len,
    const char *mail_from, struct ingest_prep **out);
/* The rest of ingest_message for a message prepared from the same raw,
 * len and mail_from; same contract. ip stays the caller's. */
enum tame_err ingest_prepared(struct store *s, const struct ingest_prep *ip,
    const char *raw, size_t len, const char *mail_from, const char *rcpts,
    int64_t now, struct ingest_result *res);
void ingest_prep_free(struct ingest_prep *ip);
/* Marks ip as mail from an archive (tame import): no acknowledgement,
 * no status change on a ticket it joins, the times of what it makes
 * from its Date (when it has one that is not in the future; else from
 * when_ms, the archive's own time of it, when that is not 0), and a new
 * ticket made with status (an enum ticket_status). */
void ingest_prep_archive(struct ingest_prep *ip, int status,
    int64_t when_ms);

#endif
