/*
 * html_sanitize.h - makes HTML from mail safe to show to an agent.
 *
 * Parses with gumbo (an HTML5 parser) and re-serialises with an
 * allow-list of elements and attributes: no script, style, iframe,
 * object, form or event-handler attributes; links only http(s) and
 * mailto; images only cid: and data:image (remote images are replaced by
 * a placeholder that the web app can load on click: data-src).
 */
#ifndef TAME_HTML_SANITIZE_H
#define TAME_HTML_SANITIZE_H

#include <stddef.h>
#include "../core/err.h"
#include "../core/buf.h"

/* Appends the sanitised form of html (len bytes, UTF-8) to out. */
enum tame_err html_sanitize(const char *html, size_t len, struct buf *out);
/* Appends the visible text of html (paragraphs and line breaks kept). */
enum tame_err html_to_text(const char *html, size_t len, struct buf *out);

#endif
