/*
 * http_relay.h - the outgoing side of the mailbox endpoints: the
 * "relay" object of a mailbox (shown without the password, set with
 * POST and PATCH /mailboxes, null = tamed's --relay) and the test-send
 * POST /api/v1/mailboxes/ID/test-send. See docs/API.md ("Mailboxes").
 */
#ifndef TAME_HTTP_RELAY_H
#define TAME_HTTP_RELAY_H

#include "http_util.h"
#include "json_body.h"

/* http_imap_mailbox_view plus the "relay" object (null without one) and
 * the "signature" (null without one).
 * Same contract as store_mailbox_view, for answer_view(). */
enum tame_err http_relay_mailbox_view(struct store *s, int64_t id,
    json_t **out);
/* Adds "imap", "relay" and "signature" to every mailbox of a {"mailboxes":[...]}
 * view. */
enum tame_err http_relay_decorate_list(struct store *s, json_t *view);

/* Like http_imap_read_body, and also takes the "relay" member out
 * before the field check: *relay gets a new reference (json null when
 * the client sent null) or NULL when absent. Returns the body (caller
 * decrefs) or NULL after answering. */
json_t *http_relay_read_body(struct http_ctx *c,
    const struct json_field *fields, size_t n, json_t **imap,
    json_t **relay);

/* Checks the "relay" object ({url, starttls?, ca_file?}, or null to
 * send through --relay again) against the stored relay of mailbox_id
 * (0 for a mailbox being created) and fills *out (caller calls
 * relay_conf_clear; *remove = 1 for null). 0, or -1 after answering
 * 400. */
int http_relay_parse(struct http_ctx *c, int64_t mailbox_id, json_t *relay,
    struct relay_conf *out, int *remove);
/* Stores what http_relay_parse gave. 0, or -1 after answering. */
int http_relay_save(struct http_ctx *c, int64_t mailbox_id,
    struct relay_conf *conf, int remove);

/* POST /api/v1/mailboxes/ID/test-send {to} (admin): sends a short
 * message from the mailbox through its relay (or --relay) now, within
 * about 15 s, and answers {"ok":true,"relay":"mailbox"|"global"} or
 * {"ok":false,"relay":...,"error":"login refused","detail":"..."}. */
void http_relay_test_send(struct http_ctx *c);

#endif
