/*
 * smtp_proto.h - the SMTP (RFC 5321) / LMTP (RFC 2033) command parser and
 * the DATA decoder, with no I/O.
 *
 * Model: the server cuts a command line out of its input buffer and asks
 * smtp_proto_parse() what it says; the answer is a plain struct, either a
 * command or the reply code and text to send back. During DATA the server
 * pushes every byte it reads through smtp_data_feed(), a small state
 * machine that undoes dot-stuffing (RFC 5321 4.5.2), finds the
 * <CRLF>.<CRLF> terminator, and stops keeping bytes once a line or the
 * message is over its limit while still reading to the end.
 */
#ifndef TAME_SMTP_PROTO_H
#define TAME_SMTP_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "../core/buf.h"
#include "../core/err.h"

/* Longest reverse- or forward-path (RFC 5321 4.5.3.1.3: 256 octets). */
#define SMTP_PATH_MAX 256

enum smtp_verb {
	SMTP_V_UNKNOWN = 0,
	SMTP_V_HELO,
	SMTP_V_EHLO,
	SMTP_V_LHLO,
	SMTP_V_MAIL,
	SMTP_V_RCPT,
	SMTP_V_DATA,
	SMTP_V_RSET,
	SMTP_V_NOOP,
	SMTP_V_QUIT,
	SMTP_V_VRFY,
	SMTP_V_HELP,
	SMTP_V_STARTTLS,
	SMTP_V_AUTH,
	SMTP_V_EXPN      /* known (RFC 5321 4.1.1.7), not offered: 502 */
};

enum smtp_body {
	SMTP_BODY_NONE = 0,  /* no BODY= parameter */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME
};

/* One parsed command. Pointers point into the line given to the parser
 * (borrowed, not NUL-terminated: use the lengths). */
struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg;    /* HELO/EHLO/LHLO domain, VRFY/HELP/NOOP/AUTH text */
	size_t arg_len;
	const char *path;   /* MAIL/RCPT address without <> and source route */
	size_t path_len;    /* 0 for the null path <> */
	int null_path;      /* MAIL FROM:<> */
	int64_t size;       /* SIZE=n, -1 if not given; saturates at INT64_MAX */
	enum smtp_body body;
	int smtputf8;       /* SMTPUTF8 given */
	/* When parsing fails: the reply to send, e.g. 501 and
	 * "5.5.4 Syntax: MAIL FROM:<address>" (static text). */
	int code;
	const char *text;
};

/* Parses one command line of len bytes, without its CRLF (line need not
 * be NUL-terminated). Fills *cmd (verb set even on most errors) and
 * returns TAME_OK, or TAME_EPARSE with cmd->code (500, 501 or 555) and
 * cmd->text set to the reply. Pure: no allocation, no I/O. */
enum tame_err smtp_proto_parse(const char *line, size_t len,
    struct smtp_cmd *cmd);

/* The DATA decoder. Zero it (or smtp_data_init) before each message. */
struct smtp_data {
	int state;          /* private */
	size_t line_len;    /* bytes of the current line so far */
	size_t kept;        /* message bytes appended to out */
	size_t max_line;    /* line cap including CRLF */
	size_t max_msg;     /* message cap */
	int line_too_long;  /* a line went over max_line */
	int too_big;        /* the message went over max_msg */
	int oom;            /* appending to out failed for memory */
	int done;           /* the terminator was seen */
};

/* Prepares d for a new message with the given caps. */
void smtp_data_init(struct smtp_data *d, size_t max_line, size_t max_msg);

/* Feeds len bytes read after the 354 reply. Appends the message (dot-
 * stuffing undone, the final CRLF kept, the terminating "." not) to out
 * until a limit is passed; past it, bytes are read and dropped. Returns
 * the number of bytes consumed: all of them, or fewer when the
 * terminator ended the message (d->done set; what follows belongs to the
 * next command). Only <CRLF>.<CRLF> ends a message (bare LF does not,
 * against SMTP smuggling), but for the line cap any LF ends a line. */
size_t smtp_data_feed(struct smtp_data *d, const char *in, size_t len,
    struct buf *out);

#endif
