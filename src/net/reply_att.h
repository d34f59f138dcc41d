/*
 * reply_att.h - the files an agent attaches to a reply, from the JSON of
 * POST /api/v1/tickets/ID/replies to decoded bytes.
 *
 * Model: the request carries "attachments": [{filename, content_type?,
 * data}], data in base64 (RFC 4648 section 4, the standard alphabet with
 * padding, no line breaks or spaces). reply_att_take() checks the shape
 * strictly (unknown keys, types, bad base64 and oversize are refused
 * with an error that names the file), decodes every file, tidies its
 * name (the last path component, without control characters) and its
 * type, and takes the key out of the body so that the reply's own
 * checks see the fields they know. The decoded files go to reply_send()
 * as mime_out_attachment, which stores them as the outbound message's
 * attachments (content-addressed blobs) and puts them in the mail.
 *
 * No HTTP library is used here, so the fuzz target
 * (tests/fuzz/fuzz_reply_att.c) links it alone.
 */
#ifndef TAME_REPLY_ATT_H
#define TAME_REPLY_ATT_H

#include <stddef.h>
#include <jansson.h>
#include "json_body.h"
#include "../core/err.h"
#include "../mail/mime.h"
#include "../tame_limits.h"

struct reply_att {
	struct mime_out_attachment att[TAME_REPLY_ATT_MAX];
	size_t n;
	size_t bytes;         /* decoded bytes of all files */
};

/* Takes body's "attachments" (absent or null: none) into *out, which
 * the caller zeroes first and frees with reply_att_free() whatever the
 * result; the key is deleted from body on success. TAME_OK, or
 * TAME_EINVAL / TAME_ETOOBIG with err filled (400 unknown_field,
 * invalid_field, missing_field; 413 too_large past
 * TAME_REPLY_ATT_BYTES_MAX), or TAME_ENOMEM. */
enum tame_err reply_att_take(json_t *body, struct reply_att *out,
    struct json_body_err *err);

/* Frees what reply_att_take() allocated and zeroes *a. */
void reply_att_free(struct reply_att *a);

/* Writes into out (size outsz >= 2) the name a file called name (len
 * bytes; a NUL counts as a control character) is kept and sent under:
 * the part after the last '/' or '\', without control characters (C0,
 * DEL, C1 as UTF-8) and surrounding spaces, bidi controls made "_", cut at
 * TAME_REPLY_ATT_NAME_MAX bytes on a character boundary. Returns the
 * length; 0 when nothing usable is left (".", ".." or empty). Bytes
 * that are not UTF-8 are dropped too. */
size_t reply_att_filename(const char *name, size_t len, char *out,
    size_t outsz);

#endif
