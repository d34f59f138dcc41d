/*
 * http_desk.h - helpers shared by the endpoints of the agents' desk
 * (http_replies.c, http_bulk.c, http_notify.c, http_presence.c,
 * http_profile.c): a checked JSON body, id arrays, a reply template
 * rendered for one ticket; and the list of tags in use.
 */
#ifndef TAME_HTTP_DESK_H
#define TAME_HTTP_DESK_H

#include "http_util.h"
#include "json_body.h"
#include "../store/store_intel.h"

/* Reads the body (at most max bytes) and checks it against fields.
 * Returns the object (caller decrefs) or NULL after answering. */
json_t *http_desk_body(struct http_ctx *c, size_t max,
    const struct json_field *fields, size_t n);

/* 1 if s is NULL or shows nothing (json_body_blank). */
int http_desk_blank(const char *s);
/* Answers 413 too_large: the text for ticket tid would be longer than
 * TAME_REPLY_TEXT_MAX once its placeholders are filled in. */
void http_desk_too_long(struct http_ctx *c, int64_t tid);
/* The message of that answer, in buf (n bytes). */
const char *http_desk_too_long_msg(int64_t tid, char *buf, size_t n);

/* Reads field key of body, an array of 1..max distinct ids (integers
 * >= 1), into ids (max entries); *n gets the count. 0, or -1 after
 * answering 400 invalid_field. */
int http_desk_ids(struct http_ctx *c, const json_t *body, const char *key,
    int64_t *ids, size_t max, size_t *n);

/* When ticket tid was merged into another, writes "ticket #A was
 * merged into #B: " and todo ("reply there") to buf (n bytes) and
 * returns it; NULL otherwise (a reply_send() or reply_note()
 * TAME_ECONFLICT says why in these words). */
const char *http_desk_merged(struct http_ctx *c, int64_t tid,
    const char *todo, char *buf, size_t n);

/* Sets on o what a reply to many tells the agent of ticket tid before
 * it goes, so the customers answered lately are seen before they are
 * written to again: answered (a reply on this ticket in the last
 * reply_recent_ms(), nothing from the customer since: {ticket_id,
 * message_id, by:{id,name}, at}), already_sent (with text: the id of
 * our reply with this very text, signed, which the send skips),
 * answered_elsewhere (the same, on another ticket of the customer),
 * same_customer_as (same_as when not 0: an earlier ticket of the same
 * customer in this reply, who would get two mails). Each only when it
 * is so. */
enum tame_err http_desk_recent(struct http_ctx *c, int64_t tid,
    const char *text, int64_t same_as, json_t *o);
/* Appends to left {ticket_id, reason, by:{id,name}|null, at,
 * message_id?, into?}, what happened to ticket tid after a mass reply's
 * agent looked (m, a kind other than MEANWHILE_NONE): reason is
 * answered_meanwhile, solved_meanwhile, closed_meanwhile or
 * merged_meanwhile; clears m. The entry (left holds it); NULL when out
 * of memory. */
json_t *http_desk_meanwhile(json_t *left, int64_t tid,
    struct store_meanwhile *m);
/* The check a mass reply's send makes (store_intel_meanwhile), asked
 * for ticket tid without sending: when it was answered, solved, closed
 * or merged after event since, appends its http_desk_meanwhile entry
 * to left and sets *found (may be NULL). So a dry run names the very
 * tickets the send would leave out. */
enum tame_err http_desk_left_out(struct store *s, int64_t tid,
    int64_t since, json_t *left, int *found);

/* Appends tpl with the placeholders of template.h expanded for ticket
 * tid, written by the calling agent, to out. TAME_ENOTFOUND (ticket). */
enum tame_err http_desk_render(struct http_ctx *c, int64_t tid,
    const char *tpl, struct buf *out);

/* GET /api/v1/tags (?format=csv): {"tags":[{tag, count, open}]}, the
 * tags in use, most used first. */
void http_desk_tags(struct http_ctx *c);

#endif
