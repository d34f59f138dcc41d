/*
 * mime.h - reading and writing Internet mail with GMime 3.
 *
 * mime_parse() turns the raw bytes of one message (RFC 5322, MIME RFC
 * 2045-2049, RFC 2047 encoded words, RFC 2231 parameters) into plain
 * UTF-8 fields: any charset is converted, the text and HTML bodies are
 * found (HTML sanitised by html_sanitize), attachments and inline images
 * are collected, nested message/rfc822 parts become attachments.
 * Delivery-status notifications (RFC 3464) are recognised and the
 * Message-ID of the bounced message extracted. Automatic mail (RFC 3834
 * Auto-Submitted, Precedence bulk/junk/list, List-Id, mailer-daemon
 * senders, out-of-office subjects) is flagged so that nothing answers
 * it automatically; mail that only a list made automatic is told
 * apart, for a group of our own passes a person's mail on.
 *
 * mime_compose() builds an outgoing message.
 */
#ifndef TAME_MIME_H
#define TAME_MIME_H

#include <stddef.h>
#include <stdint.h>
#include "../core/buf.h"
#include "../core/err.h"

/* The domain of the Message-ID given to a message that has none. */
#define MIME_CONTENT_ID_AT "@content.tame.invalid"

struct mime_attachment {
	char *filename;      /* UTF-8, never NULL ("attachment" if none) */
	char *content_type;  /* "image/png", lower-case, never NULL */
	char *content_id;    /* without <>, or NULL */
	int is_inline;       /* inline image referenced by the HTML */
	unsigned char *data; /* decoded bytes */
	size_t len;
};

struct mime_parsed {
	int unparsed;          /* 1: GMime could not make sense of it; only
	                          the fields below that could be read are set */
	char *message_id;      /* without <>; when missing or empty, made
	                          from the content: HEX MIME_CONTENT_ID_AT */
	char *in_reply_to;     /* first id in In-Reply-To, without <> */
	char **references;     /* ids without <>, oldest first */
	size_t nreferences;    /* at most TAME_REFERENCES_MAX (the newest) */
	char *subject;         /* decoded, UTF-8, "" if missing */
	char *from_email;      /* lower-cased addr-spec, NULL if none */
	char *from_name;       /* decoded display name or NULL */
	char *reply_to;        /* lower-cased addr-spec or NULL */
	char *reply_to_name;   /* its decoded display name or NULL */
	char *list_id;         /* List-Id without <>, lower-cased, or NULL */
	char *original_sender; /* X-Original-Sender (a Google Group's
	                          author), lower-cased addr-spec, or NULL */
	char **to;             /* lower-cased addr-specs */
	size_t nto;
	char **cc;
	size_t ncc;
	int64_t date_ms;       /* Date: header, 0 if missing/bad */
	char *text;            /* plain text body (UTF-8), "" if none; from
	                          the HTML when there is no text part */
	char *html;            /* sanitised HTML body or NULL */
	struct mime_attachment *att;
	size_t natt;           /* at most TAME_ATTACHMENTS_MAX */
	int auto_submitted;    /* automatic mail (RFC 3834 and the like) */
	int no_autoreply;      /* never answer automatically: automatic
	                          mail, or a person's that asks for none */
	int asks_no_autoreply; /* ... a person's that asks for none
	                          (X-Auto-Response-Suppress, noreply@) or
	                          that a filter called spam */
	int auto_reply;        /* written by a program on its own (an
	                          out-of-office reply, a bounce, a
	                          notification), not a person's words a
	                          list passed on: reopens nothing */
	int list_only;         /* automatic only for a list's headers
	                          (List-Id, List-Unsubscribe, Precedence:
	                          list): a person's words passed on */
	int is_dsn;            /* a delivery-status notification (bounce) */
	int dsn_failed;        /* the DSN reports a permanent failure */
	char *dsn_original_id; /* Message-ID of the message that bounced */
	char *dsn_diagnostic;  /* status / diagnostic text, or NULL */
	char *dsn_failed_rcpts; /* the addresses that failed, lower-cased,
	                          joined by ", ", or NULL when not said */
};

/* Parses raw (len bytes, may contain NULs and 8-bit bytes) into *out,
 * which the caller zeroes first and frees with mime_parsed_free().
 * Never fails on bad mail: a message GMime cannot read comes back with
 * unparsed = 1. Returns TAME_ENOMEM only. */
enum tame_err mime_parse(const char *raw, size_t len, struct mime_parsed *out);
void mime_parsed_free(struct mime_parsed *p);

/* Whether two mails with one Message-ID are the same mail: a hash of
 * the Date header's value of raw, or when it has none, of its body
 * (after the header block, CRLF read as LF, line breaks at the end
 * left out). A retry, or the copy another route, a list, a gateway or
 * an mbox brought, has the same; a scanner's or a script's next mail
 * under a fixed Message-ID has not. */
#define MIME_FINGERPRINT_LEN 16
enum tame_err mime_fingerprint(const char *raw, size_t len,
    unsigned char out[MIME_FINGERPRINT_LEN]);

struct mime_out_attachment {
	const char *filename;
	const char *content_type;
	const void *data;
	size_t len;
};

/* An outgoing message; all strings borrowed. */
struct mime_out {
	const char *from_email;
	const char *from_name;       /* may be NULL */
	const char *const *to;       /* addr-specs */
	size_t nto;
	const char *to_name;         /* the first To's name, may be NULL */
	const char *const *cc;
	size_t ncc;
	const char *subject;         /* UTF-8; encoded as RFC 2047 if needed */
	const char *message_id;      /* without <> */
	const char *in_reply_to;     /* without <>, or NULL */
	const char *references;      /* space-separated ids without <>, or NULL */
	const char *text;            /* UTF-8 plain text */
	const char *html;            /* optional HTML alternative */
	int auto_submitted;          /* adds Auto-Submitted: auto-replied
	                                and X-Auto-Response-Suppress: All */
	const struct mime_out_attachment *att;
	size_t natt;
	int64_t date_ms;
};

/* 1 if address a (any case) is one of list, addresses joined by ", "
 * (as mime_parsed.dsn_failed_rcpts); list may be NULL. */
int mime_addr_listed(const char *list, const char *a);

/* Appends the RFC 5322 bytes (CRLF line ends) of m to out. */
enum tame_err mime_compose(const struct mime_out *m, struct buf *out);

/* A fresh globally unique Message-ID (without <>) "<random>@domain".
 * Caller frees. */
char *mime_new_message_id(const char *domain);

/* Call once per process before any other mime_* function (g_mime_init);
 * safe to call more than once. */
void mime_init(void);

#endif
