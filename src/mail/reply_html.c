/*
 * reply_html.c - light formatting of a reply into HTML. See
 * reply_html.h.
 *
 * Model: the text is read line by line. A run of list lines ("- " or
 * "* ") becomes one <ul>; other lines gather into paragraphs split at
 * blank lines, lines within joined by <br>. Inside a line, ** and *
 * pairs become <strong> and <em> only when they hug a word (the
 * opening mark followed by a non-space, the closing one preceded by
 * one, as in Markdown), so "5 * 3" or a lone "*" stay as they are.
 * Links: http:// and https:// up to white space or a closing bracket.
 * Emphasis nests at most EMPH_DEPTH deep and spans at most EMPH_SPAN
 * bytes, so a hostile line costs linear time and bounded stack.
 */
#include <string.h>
#include "reply_html.h"

/* Emphasis inside emphasis, at most. */
#define EMPH_DEPTH 3
/* Longest emphasised run looked for, in bytes. */
#define EMPH_SPAN 400

/* 1 if c can start or end a link. */
static int
link_char(char c)
{
	return (unsigned char)c > ' ' && !strchr("<>\"'()[]{}", c);
}

/* The end of the emphasis opened by mark (len 1 or 2) at s[0..n), or
 * 0 when it does not close on this line. */
static size_t
close_at(const char *s, size_t n, size_t len)
{
	size_t i;

	if (n < len * 2 + 1 || s[len] == ' ' || s[len] == '*')
		return 0;
	if (n > EMPH_SPAN)
		n = EMPH_SPAN;
	for (i = len + 1; i + len <= n; i++) {
		if (memcmp(s + i, len == 2 ? "**" : "*", len) != 0)
			continue;
		if (s[i - 1] == ' ')
			continue;
		if (len == 1 && i + 1 < n && s[i + 1] == '*')
			return 0;   /* "*a**": not ours */
		return i;
	}
	return 0;
}

/* Writes one line's inline content; *fmt set when marks were used. */
static enum tame_err
inline_line(struct buf *out, const char *s, size_t n, int *fmt, int depth)
{
	enum tame_err rc = TAME_OK;
	size_t i = 0, start = 0, end, len;

	while (i < n && !rc) {
		int word_start = i == 0 || strchr(" ([{\"'", s[i - 1]);

		if (s[i] == '*' && word_start && depth < EMPH_DEPTH) {
			len = i + 1 < n && s[i + 1] == '*' ? 2 : 1;
			if ((end = close_at(s + i, n - i, len)) != 0) {
				if ((rc = buf_add_html(out, s + start, i - start)) ||
				    (rc = buf_addstr(out, len == 2 ? "<strong>" :
				    "<em>")) ||
				    (rc = inline_line(out, s + i + len, end - len,
				    fmt, depth + 1)) ||
				    (rc = buf_addstr(out, len == 2 ? "</strong>" :
				    "</em>")))
					return rc;
				*fmt = 1;
				i += end + len;
				start = i;
				continue;
			}
		}
		if ((n - i > 7 && strncmp(s + i, "http://", 7) == 0) ||
		    (n - i > 8 && strncmp(s + i, "https://", 8) == 0)) {
			for (end = i; end < n && link_char(s[end]); end++)
				;
			/* a sentence's full stop or comma is not the link's */
			while (end > i && strchr(".,;:!?", s[end - 1]))
				end--;
			if ((rc = buf_add_html(out, s + start, i - start)) ||
			    (rc = buf_addstr(out, "<a href=\"")) ||
			    (rc = buf_add_html(out, s + i, end - i)) ||
			    (rc = buf_addstr(out, "\">")) ||
			    (rc = buf_add_html(out, s + i, end - i)) ||
			    (rc = buf_addstr(out, "</a>")))
				return rc;
			i = start = end;
			continue;
		}
		i++;
	}
	return rc ? rc : buf_add_html(out, s + start, n - start);
}

static int
list_line(const char *s, size_t n)
{
	return n >= 2 && (s[0] == '-' || s[0] == '*') && s[1] == ' ';
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* See reply_html.h. */
enum tame_err
reply_html(const char *text, struct buf *out, int *formatted)
{
	const char *p = text ? text : "", *e;
	size_t mark = out->len, n;
	enum tame_err rc;
	int fmt = 0, in_p = 0, in_ul = 0;

	*formatted = 0;
	if ((rc = buf_addstr(out, "<!DOCTYPE html>\n<html><body>\n")))
		goto fail;
	for (; *p && !rc; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		n = (size_t)(e - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (list_line(p, n)) {
			if (in_p && (rc = buf_addstr(out, "</p>\n")))
				break;
			in_p = 0;
			if (!in_ul && (rc = buf_addstr(out, "<ul>\n")))
				break;
			in_ul = fmt = 1;
			if ((rc = buf_addstr(out, "<li>")) ||
			    (rc = inline_line(out, p + 2, n - 2, &fmt, 0)) ||
			    (rc = buf_addstr(out, "</li>\n")))
				break;
			continue;
		}
		if (in_ul && (rc = buf_addstr(out, "</ul>\n")))
			break;
		in_ul = 0;
		if (blank(p, n)) {
			if (in_p && (rc = buf_addstr(out, "</p>\n")))
				break;
			in_p = 0;
			continue;
		}
		if ((rc = buf_addstr(out, in_p ? "<br>\n" : "<p>")) ||
		    (rc = inline_line(out, p, n, &fmt, 0)))
			break;
		in_p = 1;
	}
	if (!rc && in_p)
		rc = buf_addstr(out, "</p>\n");
	if (!rc && in_ul)
		rc = buf_addstr(out, "</ul>\n");
	if (!rc)
		rc = buf_addstr(out, "</body></html>\n");
	if (rc)
		goto fail;
	if (!fmt) {
		out->len = mark;
		out->data[mark] = '\0';
		return TAME_OK;
	}
	*formatted = 1;
	return TAME_OK;
fail:
	out->len = mark;
	if (out->data)
		out->data[mark] = '\0';
	return rc;
}
