/*
 * http_raw.h - a message as it arrived ("view original") and the
 * sanitised HTML of a message as a document of its own, for the web
 * app's frame: GET /api/v1/tickets/ID/messages/MID/raw and .../html.
 */
#ifndef TAME_HTTP_RAW_H
#define TAME_HTTP_RAW_H

#include "http_util.h"

/* GET /api/v1/tickets/#/messages/#/raw[?download=1]: the original MIME
 * (received bytes, or for a reply the MIME it was sent as) as
 * text/plain; charset=utf-8, or with download=1 as message/rfc822 with
 * Content-Disposition: attachment. 404 not_found for an unknown
 * ticket or message and for a note (it has no original). */
void http_raw_message(struct http_ctx *c);

/* GET /api/v1/tickets/#/messages/#/html[?remote=1]: the sanitised HTML
 * as a text/html document that can never run script (CSP sandbox) and
 * may be framed by the app only; it loads images from data: and blob:
 * only, and with remote=1 (after the agent's click) also the remote
 * images the sanitiser held back. 404 when the message has no HTML. */
void http_raw_html(struct http_ctx *c);

#endif
