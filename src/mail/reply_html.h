/*
 * reply_html.h - the HTML part of a reply written with light formatting.
 *
 * Agents write replies as plain text. A few marks that people already
 * type in plain-text mail make formatting: **bold**, *italic*, and
 * lines starting with "- " or "* " for a bulleted list. A reply that
 * uses any of them is sent with an HTML alternative beside the plain
 * text (RFC 2046 multipart/alternative), so mail programs show the
 * formatting; web links in it become links. A reply without them is
 * sent as plain text only.
 */
#ifndef TAME_REPLY_HTML_H
#define TAME_REPLY_HTML_H

#include "../core/buf.h"
#include "../core/err.h"

/* Appends to out a small HTML document for text when text has light
 * formatting and sets *formatted = 1; otherwise appends nothing and
 * sets *formatted = 0. Every character of text is escaped; only the
 * tags <p> <br> <strong> <em> <ul> <li> <a href="http(s)://..."> are
 * written. TAME_ETOOBIG past out's cap. */
enum tame_err reply_html(const char *text, struct buf *out, int *formatted);

#endif
