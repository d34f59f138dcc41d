/*
 * http_raw.c - "view original" and the HTML frame of a message. See
 * http_raw.h and docs/API.md.
 *
 * Model: both answers hold bytes from outside, so neither may ever run
 * as a page of the app's origin. Each carries its own
 * Content-Security-Policy in place of the app's (CSP Level 3,
 * W3C): "sandbox" makes the document a unique, script-less one even
 * when opened on its own, default-src 'none' lets it load nothing it
 * is not allowed below, and nosniff (a default header) keeps the
 * browser from guessing a type.
 *
 * The original is served as text/plain (RFC 2046; the bytes are the
 * stored ones, whatever their charset) or, with ?download=1, as
 * message/rfc822 with an attachment disposition (RFC 6266) so a mail
 * client can open it. A note has no original: 404. A reply's original
 * is the MIME Tame composed and handed to the relay.
 *
 * The HTML document is the sanitised HTML (html_sanitize.c) in a page
 * of its own, so that it can have a policy of its own: the app frames
 * it (frame-ancestors 'self', X-Frame-Options SAMEORIGIN, where the
 * app's own answers say none/DENY) with sandbox="allow-same-origin"
 * and reads its height. By default it loads images only from data:
 * and blob:; remote images stay in data-src, so opening a mail does
 * not tell its sender. With ?remote=1, asked for after the agent's
 * click, data-src becomes src and img-src allows http: and https: -
 * the only difference; script stays impossible. The sanitiser escapes
 * every '"' in text and attribute values, so the literal ' data-src="'
 * can only be the start of the attribute it wrote.
 */
#include <stdio.h>
#include <string.h>
#include "http_raw.h"
#include "../core/buf.h"
#include "../tame_limits.h"

/* Largest original answered: a received mail is at most
 * TAME_SMTP_MESSAGE_MAX; a composed reply's base64 attachments make it
 * a third larger than what they encode. */
#define RAW_ANSWER_MAX (2 * (size_t)TAME_SMTP_MESSAGE_MAX)
/* The stored HTML is at most TAME_TEXT_MAX; the page around it and the
 * attribute renaming add little. */
#define HTML_ANSWER_MAX ((size_t)TAME_TEXT_MAX + 4096)

static const char raw_csp[] = "default-src 'none'; sandbox; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/* 'self' images: the mail's own inline images (cid:), which the web app
 * points at their downloads. */
static const char html_csp[] = "default-src 'none'; style-src 'self'; "
    "img-src 'self' data: blob:; frame-ancestors 'self'; base-uri 'none'; "
    "form-action 'none'; sandbox allow-same-origin";
static const char html_csp_remote[] = "default-src 'none'; "
    "style-src 'self'; img-src 'self' data: blob: http: https:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
    "sandbox allow-same-origin";

static const char page_head[] = "<!doctype html><html><head>"
    "<meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">"
    "<meta http-equiv=\"x-dns-prefetch-control\" content=\"off\">"
    "<link rel=\"stylesheet\" href=\"/mail.css\"></head><body>";
static const char page_tail[] = "</body></html>";

/* Answers 404 for a store miss with a message that says which. */
static void
original_error(struct http_ctx *c, enum tame_err rc)
{
	if (rc == TAME_ENOTFOUND)
		http_error(c, 404, "not_found", "no such message in this ticket, "
		    "or it has no original (an internal note)");
	else
		http_store_error(c, rc, "message");
}

void
http_raw_message(struct http_ctx *c)
{
	struct buf data;
	char disp[96];
	int64_t download;
	enum tame_err rc;
	int sent = 0, n;

	buf_init(&data, RAW_ANSWER_MAX);
	if (http_query_int(c, "download", 0, 1, 0, &download))
		goto out;
	if ((rc = store_message_original(c->store, c->id[0], c->id[1], &sent,
	    &data))) {
		original_error(c, rc);
		goto out;
	}
	http_send(c, 200, download ? "message/rfc822" :
	    "text/plain; charset=utf-8", buf_str(&data), data.len);
	n = snprintf(disp, sizeof(disp), "%s; filename=\"message-%lld.eml\"",
	    download ? "attachment" : "inline", (long long)c->id[1]);
	if (n > 0 && n < (int)sizeof(disp))
		u_map_put(c->res->map_header, "Content-Disposition", disp);
	u_map_put(c->res->map_header, "Content-Security-Policy", raw_csp);
	u_map_put(c->res->map_header, "Cache-Control", "private, no-cache");
	u_map_put(c->res->map_header, "X-Tame-Original",
	    sent ? "sent" : "received");
out:
	buf_free(&data);
}

/* Appends html to out with every data-src attribute renamed src. */
static enum tame_err
add_with_remote(struct buf *out, const char *html, size_t len)
{
	static const char from[] = " data-src=\"";
	const size_t flen = sizeof(from) - 1;
	const char *p = html, *end = html + len, *hit;
	enum tame_err rc;

	while ((hit = memmem(p, (size_t)(end - p), from, flen))) {
		if ((rc = buf_add(out, p, (size_t)(hit - p))) ||
		    (rc = buf_addstr(out, " src=\"")))
			return rc;
		p = hit + flen;
	}
	return buf_add(out, p, (size_t)(end - p));
}

void
http_raw_html(struct http_ctx *c)
{
	struct buf html, page;
	int64_t remote;
	enum tame_err rc;

	buf_init(&html, TAME_TEXT_MAX);
	buf_init(&page, HTML_ANSWER_MAX);
	if (http_query_int(c, "remote", 0, 1, 0, &remote))
		goto out;
	if ((rc = store_message_html(c->store, c->id[0], c->id[1], &html))) {
		if (rc == TAME_ENOTFOUND)
			http_error(c, 404, "not_found", "no such message in this "
			    "ticket, or it has no HTML");
		else
			http_store_error(c, rc, "message");
		goto out;
	}
	if ((rc = buf_addstr(&page, page_head)) ||
	    (rc = remote ? add_with_remote(&page, buf_str(&html), html.len) :
	    buf_add(&page, buf_str(&html), html.len)) ||
	    (rc = buf_addstr(&page, page_tail))) {
		http_store_error(c, rc, "message HTML");
		goto out;
	}
	http_send(c, 200, "text/html; charset=utf-8", buf_str(&page),
	    page.len);
	u_map_put(c->res->map_header, "Content-Security-Policy",
	    remote ? html_csp_remote : html_csp);
	u_map_put(c->res->map_header, "X-Frame-Options", "SAMEORIGIN");
	u_map_put(c->res->map_header, "Cache-Control", "private, no-cache");
out:
	buf_free(&html);
	buf_free(&page);
}
