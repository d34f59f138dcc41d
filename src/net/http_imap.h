/*
 * http_imap.h - the IMAP side of the mailbox endpoints: the "imap"
 * object of a mailbox (shown without the password, set with POST and
 * PATCH /mailboxes) and the connection test
 * POST /api/v1/mailboxes/ID/test. See docs/API.md.
 */
#ifndef TAME_HTTP_IMAP_H
#define TAME_HTTP_IMAP_H

#include "http_util.h"
#include "json_body.h"

/* store_mailbox_view plus its "imap" object (null without IMAP). Same
 * contract as store_mailbox_view, for answer_view(). */
enum tame_err http_imap_mailbox_view(struct store *s, int64_t id,
    json_t **out);
/* Adds "imap" to every mailbox of a {"mailboxes":[...]} view. */
enum tame_err http_imap_decorate_list(struct store *s, json_t *view);

/* Reads the request body like the handlers' read_checked(), but takes
 * its "imap" member out before checking the other fields against
 * fields[0..n). *imap gets a new reference (json null when the client
 * sent null) or NULL when absent. Returns the body (caller decrefs) or
 * NULL after answering. */
json_t *http_imap_read_body(struct http_ctx *c,
    const struct json_field *fields, size_t n, json_t **imap);

/* Checks the "imap" object (url, after, poll_interval_ms, ca_file,
 * pinned_key; or null to disconnect) against the stored settings of
 * mailbox_id (0 for a mailbox being created) and fills *out (caller
 * calls imap_conf_clear; *remove = 1 for null). 0, or -1 after
 * answering 400. */
int http_imap_parse(struct http_ctx *c, int64_t mailbox_id, json_t *imap,
    struct imap_conf *out, int *remove);
/* Stores what http_imap_parse gave for mailbox_id. 0, or -1 after
 * answering. */
int http_imap_save(struct http_ctx *c, int64_t mailbox_id,
    struct imap_conf *conf, int remove);

/* POST /api/v1/mailboxes/ID/test (admin): {"ok":true,"messages":N,
 * "uidvalidity":V} or {"ok":false,"error":"login refused",
 * "detail":"..."}. */
void http_imap_test(struct http_ctx *c);

#endif
