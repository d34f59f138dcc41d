/*
 * store_sqlite_intel.h - internals of the SQLite backend's queue
 * intelligence (store_sqlite_intel.c, store_sqlite_intel_views.c), and
 * the pieces the ticket views (store_sqlite_views.c) take from it: the
 * extra columns of a ticket row, their JSON, a message's tone and the
 * list filters by trend and flag. Not for use outside src/store.
 */
#ifndef TAME_STORE_SQLITE_INTEL_H
#define TAME_STORE_SQLITE_INTEL_H

#include "store_intel.h"
#include "store_sqlite.h"

/* Columns appended to a ticket row (alias t) for sq_intel_ticket_text:
 * trend id and label, tone, stored flags, what the computed flags
 * need (status, message count, waiting since, the usual wait and the
 * threshold) and the earlier tone. */
#define SQ_INTEL_TICKET_COLS ", t.trend_id, (SELECT coalesce(tr.label,"	\
	" tr.auto_label, '') FROM trends tr WHERE tr.id = t.trend_id),"	\
	" t.tone, t.flags, t.status, t.message_count,"			\
	" coalesce(t.last_customer_at, t.created_at),"			\
	" (SELECT v FROM intel_state WHERE k = '" STORE_WAIT_USUAL_KEY "'),"	\
	" (SELECT v FROM intel_state WHERE k = '" STORE_WAIT_FLAG_KEY "'),"	\
	" t.tone_earlier"
#define SQ_INTEL_TICKET_NCOLS 10

/* Writes ,"trend":{id,label}|null,"tone":{...}|null,
 * "tone_earlier":{...}|null,"flags":[...] from
 * the SQ_INTEL_TICKET_COLS that start at column col. */
void sq_intel_ticket_text(struct jw *w, sqlite3_stmt *st, int col);
/* Appends the ticket list conditions of tq->trend_id and tq->flags
 * (" AND ..."; nothing when neither is set). */
enum tame_err sq_intel_conds(const struct ticket_query *tq, struct buf *b);
/* A message's tone column as JSON: the object, or null (also for text
 * that is not JSON). New reference, NULL when out of memory. */
json_t *sq_intel_tone_json(sqlite3_stmt *st, int col);

/* Sets ticket tid's tone (its latest customer message's) and
 * tone_earlier (tone_ticket_pick) from its messages' stored tones; both
 * NULL when none has one. With msg_id > 0, only when that message is
 * the ticket's latest customer message with a tone (it was just
 * read). */
enum tame_err sq_intel_ticket_tone(struct sq *q, int64_t tid,
    int64_t msg_id);

/* store_sqlite_intel_views.c: the API's reads and the retries. */
enum tame_err sq_intel_trend_rcpts(struct store *s, int64_t id, size_t max,
    struct store_trend_rcpt **out, size_t *n, int *more);
enum tame_err sq_intel_tickets_brief(struct store *s, const int64_t *ids,
    size_t n, json_t **out);
enum tame_err sq_intel_idem_claim(struct store *s, int64_t agent_id,
    const char *key, const char *request, int64_t now, int64_t stale_before,
    enum store_idem_state *state, int64_t *since, int *status, char **body);
enum tame_err sq_intel_idem_finish(struct store *s, int64_t agent_id,
    const char *key, int status, const char *body);
enum tame_err sq_intel_idem_release(struct store *s, int64_t agent_id,
    const char *key);
enum tame_err sq_intel_reply_done(struct store *s, int64_t tid,
    int64_t agent_id, int64_t since, const char *text, int *yes);
enum tame_err sq_intel_answered(struct store *s, int64_t tid, int64_t since,
    struct store_answered *here, struct store_answered *other);
enum tame_err sq_intel_same_reply(struct store *s, int64_t tid,
    const char *text, int64_t since, int64_t *msg_id);
enum tame_err sq_intel_take(struct store *s, int64_t tid, int64_t agent_id,
    int64_t now, int *taken);
enum tame_err sq_intel_meanwhile(struct store *s, int64_t tid,
    int64_t since, struct store_meanwhile *out);
enum tame_err sq_intel_similar(struct store *s, const char *match,
    int64_t exclude, size_t hits, size_t max, struct store_similar_hit *out,
    size_t *n);
enum tame_err sq_intel_case(struct store *s, int64_t tid, size_t max_text,
    struct store_case *out);

#endif
