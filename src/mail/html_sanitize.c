/*
 * html_sanitize.c - makes HTML from mail safe to show, and turns it into
 * plain text. See html_sanitize.h.
 *
 * Model: the HTML is parsed by gumbo exactly as a browser would parse it
 * (WHATWG HTML5 parsing algorithm, so there is no "parser differential"
 * to exploit: what we see is what the browser would have built), then
 * the tree is walked and only an allow-list is serialised again. Nothing
 * the walk does not know is copied: unknown elements lose their tags but
 * keep their text, dangerous elements (script, style, iframe, svg, ...)
 * are dropped with everything inside them, attributes are copied only
 * when their name is on the list and, for URLs, when the scheme is. All
 * text and attribute values are escaped again on the way out.
 *
 * Links keep only http:, https: and mailto: (RFC 3986 schemes, compared
 * case-insensitively after the trimming browsers do); images keep only
 * cid: (RFC 2392) and data:image/ (RFC 2397) of raster types. Remote
 * images become data-src so that opening a mail does not tell the
 * sender it was read; the web app loads them on click.
 *
 * The walk is iterative (parent pointers) so hostile nesting cannot
 * exhaust the stack.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gumbo.h>
#include "html_sanitize.h"

/* HTML parsed at most: five times what Gmail shows before it clips a
 * message (102 kB); past it we keep the prefix and say TAME_ETOOBIG.
 * gumbo takes time quadratic in the nesting depth (100,000 nested <div>,
 * 500 kB, took 20 s) and in the attributes of one tag (50,000 took 5 s),
 * and in formatting elements left open (<b id=1>...<b id=1000> and then
 * 9,000 paragraphs: gumbo rebuilds all of them in each, 16 s and 63 MB
 * of tree, and 5,000 of them took 8 GB), so the prefix also ends before
 * the start tag past HTML_TAGS_MAX, a tag with more than
 * HTML_TAG_ATTRS_MAX attributes, or a formatting element with
 * HTML_FORMATTING_OPEN_MAX others still open. A long newsletter has a
 * few thousand tags and closes what it opens. (These belong in
 * tame_limits.h.) */
#define HTML_PARSE_MAX (512 * 1024)
#define HTML_TAGS_MAX 10000
#define HTML_TAG_ATTRS_MAX 2000
#define HTML_FORMATTING_OPEN_MAX 20

struct walker {
	/* 1: descend into the children, 0: skip them; rc on error. */
	int (*enter)(struct walker *w, GumboNode *n);
	void (*leave)(struct walker *w, GumboNode *n);
	struct buf *out;
	enum tame_err rc;
	/* html_to_text state */
	int pre;          /* depth inside pre-formatted elements */
	int pending_nl;   /* newlines owed before the next visible text */
	int pending_sp;   /* a space owed before the next visible text */
	int at_start;     /* nothing emitted yet */
	int line_start;   /* last thing emitted was a newline */
};

static const GumboTag allowed_tags[] = {
	GUMBO_TAG_P, GUMBO_TAG_BR, GUMBO_TAG_DIV, GUMBO_TAG_SPAN, GUMBO_TAG_B,
	GUMBO_TAG_STRONG, GUMBO_TAG_I, GUMBO_TAG_EM, GUMBO_TAG_U, GUMBO_TAG_S,
	GUMBO_TAG_UL, GUMBO_TAG_OL, GUMBO_TAG_LI, GUMBO_TAG_BLOCKQUOTE,
	GUMBO_TAG_PRE, GUMBO_TAG_CODE, GUMBO_TAG_A, GUMBO_TAG_IMG,
	GUMBO_TAG_TABLE, GUMBO_TAG_THEAD, GUMBO_TAG_TBODY, GUMBO_TAG_TR,
	GUMBO_TAG_TD, GUMBO_TAG_TH, GUMBO_TAG_H1, GUMBO_TAG_H2, GUMBO_TAG_H3,
	GUMBO_TAG_H4, GUMBO_TAG_H5, GUMBO_TAG_H6, GUMBO_TAG_HR, GUMBO_TAG_FONT,
	GUMBO_TAG_CENTER, GUMBO_TAG_SMALL, GUMBO_TAG_BIG, GUMBO_TAG_SUB,
	GUMBO_TAG_SUP,
};

/* Dropped with their content: active content, invisible content, and
 * foreign (SVG, MathML) trees whose rules differ from HTML's. */
static const GumboTag dropped_tags[] = {
	GUMBO_TAG_SCRIPT, GUMBO_TAG_STYLE, GUMBO_TAG_IFRAME, GUMBO_TAG_OBJECT,
	GUMBO_TAG_EMBED, GUMBO_TAG_FORM, GUMBO_TAG_SVG, GUMBO_TAG_MATH,
	GUMBO_TAG_TEMPLATE, GUMBO_TAG_NOSCRIPT, GUMBO_TAG_HEAD,
	GUMBO_TAG_TITLE, GUMBO_TAG_APPLET, GUMBO_TAG_FRAMESET,
	GUMBO_TAG_FRAME, GUMBO_TAG_NOEMBED, GUMBO_TAG_NOFRAMES,
};

/* Copied on any allowed element (href and src have their own rules). */
static const char *const allowed_attrs[] = {
	"alt", "title", "colspan", "rowspan", "align", "width", "height",
};
/* The values of dir (HTML 3.2.6.4), which is kept too. */
static const char *const dirs[] = { "ltr", "rtl", "auto" };

static int
tag_in(GumboTag t, const GumboTag *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == t)
			return 1;
	return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
is_void(GumboTag t)
{
	return t == GUMBO_TAG_BR || t == GUMBO_TAG_HR || t == GUMBO_TAG_IMG;
}

static GumboVector *
node_children(GumboNode *n)
{
	switch (n->type) {
	case GUMBO_NODE_DOCUMENT:
		return &n->v.document.children;
	case GUMBO_NODE_ELEMENT:
	case GUMBO_NODE_TEMPLATE:
		return &n->v.element.children;
	default:
		return NULL;
	}
}

/* Depth-first walk without recursion: enter() on the way down, leave()
 * on the way up for every node enter() descended into. */
static enum tame_err
walk(GumboNode *root, struct walker *w)
{
	GumboNode *n = root, *parent;
	GumboVector *kids;
	unsigned int idx;

	for (;;) {
		int descend = w->enter(w, n);

		if (w->rc)
			return w->rc;
		kids = node_children(n);
		if (descend && kids && kids->length > 0) {
			n = kids->data[0];
			continue;
		}
		if (descend)
			w->leave(w, n);
		for (;;) {
			if (n == root || !n->parent)
				return w->rc;
			parent = n->parent;
			kids = node_children(parent);
			if (!kids)
				return w->rc;
			idx = (unsigned int)n->index_within_parent;
			if (idx >= kids->length || kids->data[idx] != n) {
				/* Stale index: find n by hand. */
				for (idx = 0; idx < kids->length; idx++)
					if (kids->data[idx] == n)
						break;
			}
			if (idx + 1 < kids->length) {
				n = kids->data[idx + 1];
				break;
			}
			n = parent;
			w->leave(w, n);
			if (w->rc)
				return w->rc;
		}
	}
}

/* 1 if name[0..n) is a formatting element (WHATWG HTML 13.2.4.3, the
 * list of active formatting elements) or, with raw, an element whose
 * content is text, not markup. */
static int
named(const char *name, size_t n, int raw)
{
	static const char *const fmt[] = { "a", "b", "big", "code", "em",
	    "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
	    NULL };
	static const char *const text[] = { "script", "style", "textarea",
	    "title", "xmp", "iframe", "noembed", "noframes", "noscript",
	    "plaintext", NULL };
	const char *const *l = raw ? text : fmt;

	for (; *l; l++)
		if (strlen(*l) == n && strncasecmp(*l, name, n) == 0)
			return 1;
	return 0;
}

static int
space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\f';
}

/* How much of html (len bytes) is parsed: the limits above. A rough
 * tokenizer: comments and the text of script, style and the like are
 * skipped; in a tag, a quote opens a value only after "=", and a new
 * attribute starts after white space, "/" or a closing quote. It may
 * count more tags, attributes or open formatting elements than gumbo
 * sees, so it can only end the prefix early. */
static size_t
parse_len(const char *html, size_t len)
{
	size_t i = 0, j, k, n, tags = 0, attrs, fmt_open = 0;
	const char *e;
	int end, sep, eq;
	char quote, ch;

	if (len > HTML_PARSE_MAX) {
		len = HTML_PARSE_MAX;
		while (len > 0 && ((unsigned char)html[len] & 0xc0) == 0x80)
			len--;
	}
	while (i < len) {
		if (html[i] != '<') {
			i++;
			continue;
		}
		if (len - i >= 4 && memcmp(html + i, "<!--", 4) == 0) {
			e = memmem(html + i + 4, len - i - 4, "-->", 3);
			i = e ? (size_t)(e - html) + 3 : len;
			continue;
		}
		end = i + 1 < len && html[i + 1] == '/';
		k = i + 1 + (size_t)end;
		if (k >= len || !((html[k] | 0x20) >= 'a' &&
		    (html[k] | 0x20) <= 'z')) {
			i++;
			continue;
		}
		for (n = k; n < len && !space(html[n]) && html[n] != '/' &&
		    html[n] != '>'; n++)
			;
		if (!end && ++tags > HTML_TAGS_MAX)
			return i;
		attrs = 0;
		sep = eq = 0;
		quote = 0;
		for (j = n; j < len; j++) {
			ch = html[j];
			if (quote) {
				if (ch == quote) {
					quote = 0;
					sep = 1;
				}
			} else if (ch == '>') {
				break;
			} else if (space(ch) || ch == '/') {
				sep = 1;
			} else if (ch == '=') {
				eq = 1;
				sep = 0;
			} else if (eq) {
				eq = 0;
				if (ch == '"' || ch == '\'')
					quote = ch;
			} else if (sep) {
				sep = 0;
				if (++attrs > HTML_TAG_ATTRS_MAX)
					return i;
			}
		}
		if (j >= len)
			return len;
		if (named(html + k, n - k, 0)) {
			if (!end && ++fmt_open > HTML_FORMATTING_OPEN_MAX)
				return i;
			if (end && fmt_open > 0)
				fmt_open--;
		}
		i = j + 1;
		if (!end && named(html + k, n - k, 1)) {
			/* its text runs to its end tag */
			for (; i + 1 < len; i++)
				if (html[i] == '<' && html[i + 1] == '/' &&
				    len - i - 2 >= n - k &&
				    strncasecmp(html + i + 2, html + k, n - k) == 0)
					break;
		}
	}
	return len;
}

static GumboOutput *
parse(const char *html, size_t len)
{
	GumboOptions opt = kGumboDefaultOptions;

	if (!html) {
		html = "";
		len = 0;
	}
	/* Errors are of no use to us and cost memory on broken HTML. */
	opt.max_errors = 0;
	return gumbo_parse_with_options(&opt, html, len);
}

static void
add(struct walker *w, const char *s, size_t len)
{
	if (!w->rc && len)
		w->rc = buf_add(w->out, s, len);
}

static void
addstr(struct walker *w, const char *s)
{
	add(w, s, strlen(s));
}

/* Appends s escaped for both text and quoted attribute values (in
 * pieces that never cut a UTF-8 sequence or an entity). */
static void
add_escaped(struct walker *w, const char *s)
{
	if (!w->rc)
		w->rc = buf_add_html(w->out, s, strlen(s));
}

/* The URL as a browser would read it: leading and trailing spaces and
 * controls removed, tabs and newlines inside dropped. Caller frees. */
static char *
clean_url(const char *v)
{
	size_t n = strlen(v), i, j = 0;
	char *o;

	while (n > 0 && (unsigned char)v[n - 1] <= ' ')
		n--;
	while (n > 0 && (unsigned char)*v <= ' ') {
		v++;
		n--;
	}
	if (!(o = malloc(n + 1)))
		return NULL;
	for (i = 0; i < n; i++)
		if (v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
			o[j++] = v[i];
	o[j] = '\0';
	return o;
}

static int
has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
href_ok(const char *u)
{
	return has_prefix_ci(u, "http:") || has_prefix_ci(u, "https:") ||
	    has_prefix_ci(u, "mailto:");
}

/* Raster images only: an SVG data URL can carry script when opened. */
static int
img_src_inline(const char *u)
{
	static const char *const types[] = { "png", "gif", "jpeg", "webp" };
	size_t i, l;

	if (has_prefix_ci(u, "cid:"))
		return 1;
	if (!has_prefix_ci(u, "data:image/"))
		return 0;
	u += strlen("data:image/");
	for (i = 0; i < NELEM(types); i++) {
		l = strlen(types[i]);
		if (strncasecmp(u, types[i], l) == 0 &&
		    (u[l] == ';' || u[l] == ','))
			return 1;
	}
	return 0;
}

static void
add_attr(struct walker *w, const char *name, const char *value)
{
	addstr(w, " ");
	addstr(w, name);
	addstr(w, "=\"");
	add_escaped(w, value);
	addstr(w, "\"");
}

/* Drops what was added to w's output since mark when the output's cap
 * was reached: a tag cut in an attribute would take in what is added
 * after it (the note that the mail goes on, mime_parts.c). */
static void
tag_done(struct walker *w, size_t mark)
{
	if (w->rc == TAME_ETOOBIG)
		buf_cut(w->out, mark);
}

static void
open_tag(struct walker *w, GumboElement *el)
{
	const char *name = gumbo_normalized_tagname(el->tag);
	unsigned int i;
	size_t k, mark = w->out->len;
	int link = 0;
	char *u;

	addstr(w, "<");
	addstr(w, name);
	for (i = 0; i < el->attributes.length && !w->rc; i++) {
		GumboAttribute *a = el->attributes.data[i];

		if (a->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE)
			continue;
		if (el->tag == GUMBO_TAG_A && strcmp(a->name, "href") == 0) {
			if (link || !(u = clean_url(a->value))) {
				if (!link)
					w->rc = TAME_ENOMEM;
				continue;
			}
			if (href_ok(u)) {
				add_attr(w, "href", u);
				link = 1;
			}
			free(u);
			continue;
		}
		if (el->tag == GUMBO_TAG_IMG && strcmp(a->name, "src") == 0) {
			if (!(u = clean_url(a->value))) {
				w->rc = TAME_ENOMEM;
				continue;
			}
			if (img_src_inline(u))
				add_attr(w, "src", u);
			else if (has_prefix_ci(u, "http:") ||
			    has_prefix_ci(u, "https:"))
				add_attr(w, "data-src", u);
			free(u);
			continue;
		}
		/* right-to-left mail reads right to left */
		if (strcmp(a->name, "dir") == 0) {
			for (k = 0; k < NELEM(dirs); k++)
				if (strcasecmp(a->value, dirs[k]) == 0)
					add_attr(w, "dir", dirs[k]);
			continue;
		}
		for (k = 0; k < NELEM(allowed_attrs); k++)
			if (strcmp(a->name, allowed_attrs[k]) == 0) {
				add_attr(w, a->name, a->value);
				break;
			}
	}
	if (link)
		addstr(w, " rel=\"noopener noreferrer nofollow\""
		    " target=\"_blank\"");
	addstr(w, ">");
	tag_done(w, mark);
}

/* 1 for an element its mail program hides from every reader: a style
 * "display: none" (the preview text newsletters and shops put first,
 * a responsive mail's other layout), or the hidden attribute. Styles
 * are not kept, so it would show. Not Outlook's "mso-hide: all": that
 * hides from Outlook alone what every other program shows (the link
 * of a "bulletproof" button). */
static int
is_hidden(GumboElement *el)
{
	GumboAttribute *a = gumbo_get_attribute(&el->attributes, "style");
	char flat[256];
	const char *p;
	size_t n = 0;

	if (gumbo_get_attribute(&el->attributes, "hidden"))
		return 1;
	if (!a)
		return 0;
	/* lower-cased, without white space: "Display : NONE" too */
	for (p = a->value; *p && n + 1 < sizeof(flat); p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			flat[n++] = (char)tolower((unsigned char)*p);
	flat[n] = '\0';
	return strstr(flat, "display:none") != NULL;
}

static int
san_enter(struct walker *w, GumboNode *n)
{
	GumboElement *el;

	switch (n->type) {
	case GUMBO_NODE_DOCUMENT:
		return 1;
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_WHITESPACE:
		add_escaped(w, n->v.text.text);
		return 0;
	case GUMBO_NODE_ELEMENT:
		el = &n->v.element;
		if (el->tag_namespace != GUMBO_NAMESPACE_HTML ||
		    tag_in(el->tag, dropped_tags, NELEM(dropped_tags)) ||
		    is_hidden(el))
			return 0;
		if (tag_in(el->tag, allowed_tags, NELEM(allowed_tags)))
			open_tag(w, el);
		return 1;
	default:
		/* comments, CDATA (only in foreign content), templates */
		return 0;
	}
}

static void
san_leave(struct walker *w, GumboNode *n)
{
	GumboElement *el;
	size_t mark = w->out->len;

	if (n->type != GUMBO_NODE_ELEMENT)
		return;
	el = &n->v.element;
	if (!tag_in(el->tag, allowed_tags, NELEM(allowed_tags)) ||
	    is_void(el->tag))
		return;
	addstr(w, "</");
	addstr(w, gumbo_normalized_tagname(el->tag));
	addstr(w, ">");
	tag_done(w, mark);
}

/* Takes html (len bytes, any bytes: gumbo replaces invalid UTF-8 and
 * NULs) and appends the sanitised HTML to out. TAME_ETOOBIG when out's
 * cap or a parse limit (HTML_PARSE_MAX, ...) was reached: out then holds
 * the sanitised form of a prefix, ending between two tokens (a tag the
 * cap cut is left out whole). */
enum tame_err
html_sanitize(const char *html, size_t len, struct buf *out)
{
	struct walker w;
	GumboOutput *g;
	enum tame_err rc;
	size_t n;

	memset(&w, 0, sizeof(w));
	w.enter = san_enter;
	w.leave = san_leave;
	w.out = out;
	n = html ? parse_len(html, len) : 0;
	if (!(g = parse(html, n)))
		return TAME_ENOMEM;
	rc = walk(g->document, &w);
	gumbo_destroy_output(&kGumboDefaultOptions, g);
	if (!rc && html && n < len)
		rc = TAME_ETOOBIG;
	return rc;
}

/* --- HTML to text --------------------------------------------------- */

static int
blank_line_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P: case GUMBO_TAG_H1: case GUMBO_TAG_H2:
	case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5:
	case GUMBO_TAG_H6: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_PRE:
	case GUMBO_TAG_TABLE: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
	case GUMBO_TAG_DL: case GUMBO_TAG_HR:
		return 1;
	default:
		return 0;
	}
}

static int
line_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_DIV: case GUMBO_TAG_LI: case GUMBO_TAG_TR:
	case GUMBO_TAG_DT: case GUMBO_TAG_DD: case GUMBO_TAG_CENTER:
	case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER:
	case GUMBO_TAG_FOOTER: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_MAIN:
	case GUMBO_TAG_NAV: case GUMBO_TAG_ASIDE: case GUMBO_TAG_FIGURE:
	case GUMBO_TAG_CAPTION: case GUMBO_TAG_THEAD: case GUMBO_TAG_TBODY:
	case GUMBO_TAG_TFOOT: case GUMBO_TAG_BODY:
		return 1;
	default:
		return 0;
	}
}

static int
pre_tag(GumboTag t)
{
	return t == GUMBO_TAG_PRE || t == GUMBO_TAG_LISTING ||
	    t == GUMBO_TAG_PLAINTEXT || t == GUMBO_TAG_TEXTAREA ||
	    t == GUMBO_TAG_XMP;
}

static void
want_nl(struct walker *w, int n)
{
	if (n > w->pending_nl)
		w->pending_nl = n;
	w->pending_sp = 0;
}

/* Pays the newlines or the space owed, then appends s. */
static void
emit(struct walker *w, const char *s, size_t len)
{
	if (!w->at_start) {
		if (w->pending_nl) {
			add(w, "\n\n", (size_t)w->pending_nl);
			w->line_start = 1;
		} else if (w->pending_sp && !w->line_start)
			add(w, " ", 1);
	}
	w->pending_nl = 0;
	w->pending_sp = 0;
	add(w, s, len);
	w->at_start = 0;
	w->line_start = len > 0 && s[len - 1] == '\n';
}

/* Length of the white space at s (ASCII or U+00A0), 0 if none. */
static size_t
space_len(const char *s)
{
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
		return 1;
	if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

static void
text_add(struct walker *w, const char *s)
{
	const char *p;
	size_t sp;

	if (w->pre) {
		while (*s && !w->rc) {
			p = strchr(s, '\n');
			if (!p)
				p = s + strlen(s);
			if (p > s)
				emit(w, s, (size_t)(p - s));
			if (*p == '\n') {
				if (w->pending_nl < 2)
					w->pending_nl++;
				p++;
			}
			s = p;
		}
		return;
	}
	while (*s && !w->rc) {
		if ((sp = space_len(s))) {
			w->pending_sp = 1;
			s += sp;
			continue;
		}
		for (p = s; *p && !space_len(p); p++)
			;
		emit(w, s, (size_t)(p - s));
		s = p;
	}
}

static int
text_enter(struct walker *w, GumboNode *n)
{
	GumboTag t;

	switch (n->type) {
	case GUMBO_NODE_DOCUMENT:
		return 1;
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_WHITESPACE:
	case GUMBO_NODE_CDATA:
		text_add(w, n->v.text.text);
		return 0;
	case GUMBO_NODE_ELEMENT:
		t = n->v.element.tag;
		if (n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML ||
		    tag_in(t, dropped_tags, NELEM(dropped_tags)) ||
		    is_hidden(&n->v.element))
			return 0;
		if (t == GUMBO_TAG_BR) {
			/* Every <br> counts, up to one blank line. */
			if (w->pending_nl < 2)
				w->pending_nl++;
			w->pending_sp = 0;
		} else if (blank_line_tag(t))
			want_nl(w, 2);
		else if (line_tag(t))
			want_nl(w, 1);
		else if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH)
			w->pending_sp = 1;
		if (t == GUMBO_TAG_LI)
			emit(w, "- ", 2);
		if (pre_tag(t))
			w->pre++;
		return 1;
	default:
		return 0;
	}
}

static void
text_leave(struct walker *w, GumboNode *n)
{
	GumboTag t;

	if (n->type != GUMBO_NODE_ELEMENT)
		return;
	t = n->v.element.tag;
	if (pre_tag(t) && w->pre > 0)
		w->pre--;
	if (blank_line_tag(t))
		want_nl(w, 2);
	else if (line_tag(t))
		want_nl(w, 1);
	else if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH)
		w->pending_sp = 1;
}

/* Takes html (len bytes) and appends its visible text to out: block
 * elements end lines, at most one blank line in a row, no leading or
 * trailing blank lines, white space collapsed outside <pre>.
 * TAME_ETOOBIG as for html_sanitize, with the text of a prefix in out. */
enum tame_err
html_to_text(const char *html, size_t len, struct buf *out)
{
	struct walker w;
	GumboOutput *g;
	enum tame_err rc;
	size_t n;

	memset(&w, 0, sizeof(w));
	w.enter = text_enter;
	w.leave = text_leave;
	w.out = out;
	w.at_start = 1;
	w.line_start = 1;
	n = html ? parse_len(html, len) : 0;
	if (!(g = parse(html, n)))
		return TAME_ENOMEM;
	rc = walk(g->document, &w);
	gumbo_destroy_output(&kGumboDefaultOptions, g);
	if (!rc && html && n < len)
		rc = TAME_ETOOBIG;
	return rc;
}
