/*
 * smtp_proto.c - SMTP/LMTP command parser and DATA decoder. See
 * smtp_proto.h.
 *
 * Implements the command syntax of RFC 5321 (4.1.1, 4.1.2: paths,
 * source routes, parameters), LHLO of RFC 2033, the SIZE parameter of
 * RFC 1870, BODY of RFC 6152 (8BITMIME), SMTPUTF8 of RFC 6531, and the
 * enhanced status codes of RFC 3463 / RFC 5248 in the error replies.
 *
 * Model: pure functions over bytes. The parser is strict where it matters
 * (no NUL, no control bytes in a path, bounded lengths and numbers) and
 * lenient where real clients differ (verb case, a space after "FROM:",
 * an address without angle brackets, trailing blanks). Replies to
 * malformed input follow RFC 5321 4.2.4: 500 for a line that is not a
 * command, 501 for bad arguments, 555 for unknown MAIL/RCPT parameters.
 */
#include <stdint.h>
#include <string.h>
#include "../tame_limits.h"
#include "smtp_proto.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_V_HELO }, { "EHLO", SMTP_V_EHLO },
	{ "LHLO", SMTP_V_LHLO }, { "MAIL", SMTP_V_MAIL },
	{ "RCPT", SMTP_V_RCPT }, { "DATA", SMTP_V_DATA },
	{ "RSET", SMTP_V_RSET }, { "NOOP", SMTP_V_NOOP },
	{ "QUIT", SMTP_V_QUIT }, { "VRFY", SMTP_V_VRFY },
	{ "HELP", SMTP_V_HELP }, { "STARTTLS", SMTP_V_STARTTLS },
	{ "AUTH", SMTP_V_AUTH }, { "EXPN", SMTP_V_EXPN },
};

static int
ascii_upper(int c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* Case-insensitive compare of n bytes of p with the upper-case word w. */
static int
word_eq(const char *p, size_t n, const char *w)
{
	size_t i;

	if (strlen(w) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (ascii_upper((unsigned char)p[i]) != w[i])
			return 0;
	return 1;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_ctl(int c)
{
	return c < 0x20 || c == 0x7f;
}

static enum tame_err
fail(struct smtp_cmd *cmd, int code, const char *text)
{
	cmd->code = code;
	cmd->text = text;
	return TAME_EPARSE;
}

/*
 * Checks a mailbox (local@domain, or a bare local part such as
 * "postmaster") of n bytes. A quoted local part may hold blanks and
 * escaped characters; outside quotes blanks, brackets and control bytes
 * are refused.
 */
static int
mailbox_ok(const char *p, size_t n)
{
	size_t i = 0, at = (size_t)-1;

	if (n == 0 || n > SMTP_PATH_MAX)
		return 0;
	if (p[0] == '"') {
		for (i = 1; i < n; i++) {
			if (is_ctl((unsigned char)p[i]) && p[i] != '\t')
				return 0;
			if (p[i] == '\\') {
				if (++i >= n || is_ctl((unsigned char)p[i]))
					return 0;
				continue;
			}
			if (p[i] == '"')
				break;
		}
		if (i >= n)
			return 0;  /* unterminated quote */
		i++;
		if (i < n && p[i] != '@')
			return 0;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (is_ctl(c) || c == ' ' || c == '<' || c == '>' ||
		    c == '"' || c == '\\' || c == '(' || c == ')' ||
		    c == ',' || c == ';')
			return 0;
		/* brackets only around a domain literal: user@[192.0.2.1] */
		if ((c == '[' || c == ']') && at == (size_t)-1)
			return 0;
		if (c == '@') {
			if (at != (size_t)-1)
				return 0;
			at = i;
		}
	}
	if (at == (size_t)-1)
		return 1;  /* "postmaster" and friends (RFC 5321 4.5.1) */
	/* local part and domain both non-empty */
	return at > 0 && at + 1 < n;
}

/*
 * Parses "<path>" or a bare address starting at *pp (blanks skipped) up
 * to end; leaves *pp after it. Source routes (<@a,@b:user@c>, RFC 5321
 * 4.1.2 and C.) are dropped.
 */
static enum tame_err
parse_path(const char **pp, const char *end, struct smtp_cmd *cmd,
    int allow_null, const char *syntax)
{
	const char *p = *pp, *s, *e;
	int quoted = 0;

	while (p < end && is_blank((unsigned char)*p))
		p++;
	if (p == end)
		return fail(cmd, 501, syntax);
	if (*p == '<') {
		s = ++p;
		/* find the closing '>' outside a quoted string */
		for (; p < end; p++) {
			if (quoted && *p == '\\' && p + 1 < end) {
				p++;
				continue;
			}
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '>' && !quoted)
				break;
		}
		if (p == end)
			return fail(cmd, 501, syntax);
		e = p++;
		if (p < end && !is_blank((unsigned char)*p))
			return fail(cmd, 501, syntax);
	} else {
		s = p;
		while (p < end && !is_blank((unsigned char)*p))
			p++;
		e = p;
	}
	*pp = p;
	if (s == e) {
		if (!allow_null)
			return fail(cmd, 501, syntax);
		cmd->null_path = 1;
		cmd->path = s;
		cmd->path_len = 0;
		return TAME_OK;
	}
	if (*s == '@') {
		/* a source route: skip to the ':' that ends it */
		const char *c = memchr(s, ':', (size_t)(e - s));

		if (!c)
			return fail(cmd, 501, syntax);
		s = c + 1;
	}
	if (!mailbox_ok(s, (size_t)(e - s)))
		return fail(cmd, 501, syntax);
	cmd->path = s;
	cmd->path_len = (size_t)(e - s);
	return TAME_OK;
}

/* Digits only; saturates at INT64_MAX instead of failing so that a huge
 * SIZE= gets the 552 it deserves rather than a 501. */
static int
parse_size(const char *p, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		if (v > (INT64_MAX - (p[i] - '0')) / 10)
			v = INT64_MAX;
		else
			v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 1;
}

/* Parses the ESMTP parameters after a MAIL or RCPT path. */
static enum tame_err
parse_params(const char *p, const char *end, struct smtp_cmd *cmd)
{
	int seen_size = 0, seen_body = 0;

	for (;;) {
		const char *k, *eq, *ke;
		size_t kn, vn;

		while (p < end && is_blank((unsigned char)*p))
			p++;
		if (p == end)
			return TAME_OK;
		k = p;
		while (p < end && !is_blank((unsigned char)*p))
			p++;
		ke = p;
		eq = memchr(k, '=', (size_t)(ke - k));
		kn = (size_t)((eq ? eq : ke) - k);
		vn = eq ? (size_t)(ke - eq - 1) : 0;
		if (kn == 0)
			return fail(cmd, 501, "5.5.4 Syntax error in parameters");
		if (cmd->verb != SMTP_V_MAIL)
			return fail(cmd, 555, "5.5.4 Unsupported option");
		if (word_eq(k, kn, "SIZE")) {
			if (seen_size++ || !eq || !parse_size(eq + 1, vn,
			    &cmd->size))
				return fail(cmd, 501,
				    "5.5.4 Bad SIZE parameter");
		} else if (word_eq(k, kn, "BODY")) {
			if (seen_body++ || !eq)
				return fail(cmd, 501,
				    "5.5.4 Bad BODY parameter");
			if (word_eq(eq + 1, vn, "7BIT"))
				cmd->body = SMTP_BODY_7BIT;
			else if (word_eq(eq + 1, vn, "8BITMIME"))
				cmd->body = SMTP_BODY_8BITMIME;
			else
				return fail(cmd, 501,
				    "5.5.4 Bad BODY parameter");
		} else if (word_eq(k, kn, "SMTPUTF8")) {
			if (eq || cmd->smtputf8)
				return fail(cmd, 501,
				    "5.5.4 Bad SMTPUTF8 parameter");
			cmd->smtputf8 = 1;
		} else {
			return fail(cmd, 555, "5.5.4 Unsupported option");
		}
	}
}

/* MAIL FROM:<path> [params] / RCPT TO:<path> [params]. */
static enum tame_err
parse_mail_rcpt(const char *p, const char *end, struct smtp_cmd *cmd)
{
	const char *kw = cmd->verb == SMTP_V_MAIL ? "FROM:" : "TO:";
	const char *syntax = cmd->verb == SMTP_V_MAIL ?
	    "5.5.4 Syntax: MAIL FROM:<address>" :
	    "5.5.4 Syntax: RCPT TO:<address>";
	size_t kl = strlen(kw);
	enum tame_err rc;

	if ((size_t)(end - p) < kl || !word_eq(p, kl, kw))
		return fail(cmd, 501, syntax);
	p += kl;
	rc = parse_path(&p, end, cmd, cmd->verb == SMTP_V_MAIL, syntax);
	if (rc)
		return rc;
	return parse_params(p, end, cmd);
}

enum tame_err
smtp_proto_parse(const char *line, size_t len, struct smtp_cmd *cmd)
{
	const char *p = line, *end = line + len, *v;
	size_t vn, i;

	memset(cmd, 0, sizeof(*cmd));
	cmd->size = -1;
	if (len > TAME_SMTP_CMD_LINE_MAX)
		return fail(cmd, 500, "5.5.2 Error: line too long");
	if (len && memchr(line, '\0', len))
		return fail(cmd, 500, "5.5.2 NUL byte in command");
	/* trailing blanks (and a stray CR) are not part of anything */
	while (end > p && (is_blank((unsigned char)end[-1]) || end[-1] == '\r'))
		end--;
	v = p;
	while (p < end && !is_blank((unsigned char)*p))
		p++;
	vn = (size_t)(p - v);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (word_eq(v, vn, verbs[i].name)) {
			cmd->verb = verbs[i].verb;
			break;
		}
	if (cmd->verb == SMTP_V_UNKNOWN)
		return fail(cmd, 500, "5.5.2 Error: command not recognized");
	/* exactly one blank separates verb and argument; be lenient */
	while (p < end && is_blank((unsigned char)*p))
		p++;
	cmd->arg = p;
	cmd->arg_len = (size_t)(end - p);

	switch (cmd->verb) {
	case SMTP_V_HELO:
	case SMTP_V_EHLO:
	case SMTP_V_LHLO:
		if (cmd->arg_len == 0)
			return fail(cmd, 501, cmd->verb == SMTP_V_HELO ?
			    "5.5.4 Syntax: HELO hostname" :
			    cmd->verb == SMTP_V_LHLO ?
			    "5.5.4 Syntax: LHLO hostname" :
			    "5.5.4 Syntax: EHLO hostname");
		for (i = 0; i < cmd->arg_len; i++)
			if (is_ctl((unsigned char)p[i]) && p[i] != '\t')
				return fail(cmd, 501,
				    "5.5.4 Invalid hostname");
		return TAME_OK;
	case SMTP_V_MAIL:
	case SMTP_V_RCPT:
		return parse_mail_rcpt(p, end, cmd);
	case SMTP_V_DATA:
	case SMTP_V_RSET:
	case SMTP_V_QUIT:
	case SMTP_V_STARTTLS:
		if (cmd->arg_len)
			return fail(cmd, 501, "5.5.4 Syntax error, no "
			    "parameters allowed");
		return TAME_OK;
	case SMTP_V_VRFY:
		if (cmd->arg_len == 0)
			return fail(cmd, 501, "5.5.4 Syntax: VRFY address");
		return TAME_OK;
	default:
		return TAME_OK;
	}
}

/* ---- DATA ---- */

enum {
	D_BOL = 0,  /* at the start of a line */
	D_TEXT,     /* inside a line */
	D_CR,       /* inside a line, after CR */
	D_DOT,      /* a '.' at the start of a line, held back */
	D_DOT_CR    /* ".\r" at the start of a line, held back */
};

void
smtp_data_init(struct smtp_data *d, size_t max_line, size_t max_msg)
{
	memset(d, 0, sizeof(*d));
	d->state = D_BOL;
	d->max_line = max_line;
	d->max_msg = max_msg;
}

/* Appends n bytes unless a limit was passed; from then on drops them. */
static void
data_keep(struct smtp_data *d, const char *p, size_t n, struct buf *out)
{
	enum tame_err rc;

	if (n == 0 || d->line_too_long || d->too_big || d->oom)
		return;
	if (n > d->max_msg - d->kept) {
		d->too_big = 1;
		return;
	}
	if ((rc = buf_add(out, p, n))) {
		if (rc == TAME_ETOOBIG)
			d->too_big = 1;
		else
			d->oom = 1;
		return;
	}
	d->kept += n;
}

size_t
smtp_data_feed(struct smtp_data *d, const char *in, size_t len,
    struct buf *out)
{
	size_t i, run = 0;  /* in[run..i) is text waiting to be appended */

	if (d->done)
		return 0;
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (++d->line_len > d->max_line && !d->line_too_long) {
			data_keep(d, in + run, i - run, out);
			run = i;
			d->line_too_long = 1;
		}
		switch (d->state) {
		case D_BOL:
			if (c == '.') {
				data_keep(d, in + run, i - run, out);
				run = i + 1;  /* the dot is not kept */
				d->state = D_DOT;
			} else {
				d->state = c == '\r' ? D_CR : D_TEXT;
			}
			break;
		case D_TEXT:
			if (c == '\r')
				d->state = D_CR;
			break;
		case D_CR:
			if (c == '\n') {
				d->state = D_BOL;
			} else if (c != '\r') {
				d->state = D_TEXT;
			}
			break;
		case D_DOT:
			if (c == '\r') {
				d->state = D_DOT_CR;
				run = i + 1;  /* hold the CR back */
			} else {
				d->state = D_TEXT;  /* stuffing dot dropped */
			}
			break;
		case D_DOT_CR:
			if (c == '\n') {
				d->done = 1;
				return i + 1;
			}
			/* "." CR then not LF: a stuffed line after all */
			data_keep(d, "\r", 1, out);
			run = i;
			d->state = c == '\r' ? D_CR : D_TEXT;
			break;
		}
		/* any LF ends a line for its length: mail written with bare
		 * LF (scripts, appliances) is made of lines too, not one of
		 * the whole message. Only CRLF goes to D_BOL, where a dot
		 * may end the message (no smuggling with <LF>.<LF>). */
		if (c == '\n')
			d->line_len = 0;
	}
	if (d->state != D_DOT_CR)
		data_keep(d, in + run, i - run, out);
	return len;
}
