/*
 * mime_parts.c - the walk of a message's MIME tree (RFC 2045-2049). See
 * mime.h and mime_impl.h.
 *
 * The tree is walked once, at most MIME_DEPTH_MAX deep: the first
 * text/plain and text/html that are not attachments are the body, every
 * other leaf with content is an attachment (inline when it is an image
 * the HTML refers to by Content-ID, RFC 2392), nested messages are
 * attachments too (message.eml), and the parts of a multipart/report
 * (RFC 3464: delivery-status, the returned headers or message) feed the
 * bounce fields. Then the bodies are read: HTML through html_sanitize,
 * and turned into the plain text when there is no text part.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "html_sanitize.h"
#include "mime_impl.h"
#include "../core/util.h"

/* --- parts ------------------------------------------------------------ */

/* The bytes written to the memory stream s, malloc'd (never NULL on
 * success); s is unref'd either way. */
static enum tame_err
stream_take(GMimeStream *s, unsigned char **data, size_t *len)
{
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	enum tame_err rc = TAME_OK;

	*len = ba->len;
	if (!(*data = malloc(ba->len ? ba->len : 1)))
		rc = TAME_ENOMEM;
	else if (ba->len)
		memcpy(*data, ba->data, ba->len);
	g_object_unref(s);
	return rc;
}

/* Decoded bytes of a leaf part, malloc'd (never NULL on success). */
static enum tame_err
part_bytes(GMimePart *part, unsigned char **data, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *s = g_mime_stream_mem_new();

	if (w)
		g_mime_data_wrapper_write_to_stream(w, s);
	return stream_take(s, data, len);
}

/* The bytes of a whole object as GMime writes it, malloc'd. */
static enum tame_err
object_bytes(GMimeObject *o, unsigned char **data, size_t *len)
{
	GMimeStream *s = g_mime_stream_mem_new();

	g_mime_object_write_to_stream(o, NULL, s);
	return stream_take(s, data, len);
}

static void
set_original_id(struct pctx *c, const char *id)
{
	int nomem = 0;

	if (c->out->dsn_original_id || !id)
		return;
	c->out->dsn_original_id = mime_clean_id(id, &nomem);
}

static enum tame_err
hdr_msgid_cb(void *ctx, const char *name, size_t nlen, const char *value)
{
	struct pctx *c = ctx;
	char *id;

	if (!name || !mime_field_is(name, nlen, "Message-ID"))
		return TAME_OK;
	id = g_mime_utils_decode_message_id(value);
	set_original_id(c, id);
	g_free(id);
	return TAME_OK;
}

/* Adds address a (may be NULL) to the failed recipients of the report. */
static enum tame_err
add_failed(struct pctx *c, const char *a)
{
	struct mime_parsed *o = c->out;
	size_t have = o->dsn_failed_rcpts ? strlen(o->dsn_failed_rcpts) : 0;
	char *n;

	if (!a || !*a || mime_addr_listed(o->dsn_failed_rcpts, a))
		return TAME_OK;
	if (have + strlen(a) + 2 > MIME_DIAG_MAX) {
		free(o->dsn_failed_rcpts);
		o->dsn_failed_rcpts = NULL;
		c->rcpts_unknown = 1;
		return TAME_OK;
	}
	if (!(n = malloc(have + strlen(a) + 3)))
		return TAME_ENOMEM;
	snprintf(n, have + strlen(a) + 3, "%s%s%s", have ?
	    o->dsn_failed_rcpts : "", have ? ", " : "", a);
	free(o->dsn_failed_rcpts);
	o->dsn_failed_rcpts = n;
	return TAME_OK;
}

/* Ends one per-recipient group of a delivery-status body. */
static enum tame_err
dsn_group_end(struct pctx *c)
{
	struct mime_parsed *o = c->out;
	struct buf b;
	enum tame_err rc = TAME_OK;

	if (c->grp_failed)
		o->dsn_failed = 1;
	/* who it failed for: a reply to the customer with a colleague in
	 * CC may fail for the CC only. Both addresses of a group are kept
	 * (a forward's Original-Recipient is the customer's); a list too
	 * long to keep whole is not kept at all */
	if (c->grp_failed && !c->rcpts_unknown &&
	    ((rc = add_failed(c, c->grp_orig)) ||
	    (rc = add_failed(c, c->grp_rcpt))))
		goto out;
	if ((c->grp_status || c->grp_diag) && (!o->dsn_diagnostic ||
	    (c->grp_failed && !c->diag_is_failed))) {
		buf_init(&b, MIME_DIAG_MAX * 2 + 2);
		if (c->grp_status)
			rc = mime_vadd(&b, c->grp_status,
			    strlen(c->grp_status));
		if (!rc && c->grp_status && c->grp_diag)
			rc = mime_vadd(&b, " ", 1);
		if (!rc && c->grp_diag)
			rc = mime_vadd(&b, c->grp_diag, strlen(c->grp_diag));
		if (rc) {
			buf_free(&b);
			goto out;
		}
		free(o->dsn_diagnostic);
		o->dsn_diagnostic = mime_clean_str(buf_str(&b), MIME_DIAG_MAX,
		    1);
		buf_free(&b);
		if (!o->dsn_diagnostic) {
			rc = TAME_ENOMEM;
			goto out;
		}
		c->diag_is_failed = c->grp_failed;
	}
out:
	free(c->grp_status);
	free(c->grp_diag);
	free(c->grp_rcpt);
	free(c->grp_orig);
	c->grp_status = c->grp_diag = c->grp_rcpt = c->grp_orig = NULL;
	c->grp_failed = 0;
	return rc;
}

static enum tame_err
dsn_field_cb(void *ctx, const char *name, size_t nlen, const char *value)
{
	struct pctx *c = ctx;
	char **slot = NULL;

	if (!name)
		return dsn_group_end(c);
	if (mime_field_is(name, nlen, "Action")) {
		if (strncasecmp(value, "failed", 6) == 0)
			c->grp_failed = 1;
	} else if (mime_field_is(name, nlen, "Final-Recipient") ||
	    mime_field_is(name, nlen, "Original-Recipient")) {
		/* "rfc822; addr": the address, lower-cased */
		char **to = mime_field_is(name, nlen, "Final-Recipient") ?
		    &c->grp_rcpt : &c->grp_orig;
		const char *a = strchr(value, ';');

		a = a ? a + 1 : value;
		while (*a == ' ' || *a == '\t' || *a == '<')
			a++;
		free(*to);
		if (!(*to = mime_clean_str(a, MIME_DIAG_MAX, 1)))
			return TAME_ENOMEM;
		(*to)[strcspn(*to, "> \t")] = '\0';
		tame_ascii_lower(*to);
	} else if (mime_field_is(name, nlen, "Status"))
		slot = &c->grp_status;
	else if (mime_field_is(name, nlen, "Diagnostic-Code"))
		slot = &c->grp_diag;
	if (slot && !*slot && !(*slot = mime_clean_str(value, MIME_DIAG_MAX,
	    1)))
		return TAME_ENOMEM;
	return TAME_OK;
}

static enum tame_err
add_attachment(struct pctx *c, char *filename, char *type, char *cid,
    int is_inline, unsigned char *data, size_t len)
{
	struct mime_parsed *o = c->out;
	struct mime_attachment *na, *a;

	if (!filename || !type || !(na = realloc(o->att,
	    (o->natt + 1) * sizeof(*na)))) {
		free(filename);
		free(type);
		free(cid);
		free(data);
		return TAME_ENOMEM;
	}
	o->att = na;
	a = &o->att[o->natt++];
	a->filename = filename;
	a->content_type = type;
	a->content_id = cid;
	a->is_inline = is_inline;
	a->data = data;
	a->len = len;
	return TAME_OK;
}

/* A file name safe to offer as a download: no directories (of a path,
 * the name after the last "/" or "\\", as the mail program meant),
 * no controls, no bidi controls (with which "invoice<RLO>fdp.exe" shows
 * as "invoiceexe.pdf"; browsers save them as "_" too), never empty.
 * Returns a malloc'd copy of name (or dflt); NULL on ENOMEM. */
static char *
clean_filename(const char *name, const char *dflt)
{
	const char *base, *q;
	char *r, *p, *w;
	size_t n;

	/* a path: with a backslash (Windows), or starting "/", "./" or
	 * "../"; "Rechnung 03/2024.pdf" is a name */
	base = name;
	if (name && (strchr(name, '\\') || *name == '/' ||
	    strncmp(name, "./", 2) == 0 || strncmp(name, "../", 3) == 0))
		for (q = name; *q; q++)
			if ((*q == '/' || *q == '\\') && q[1])
				base = q + 1;
	r = mime_clean_str(base && *base ? base : dflt, MIME_FILENAME_MAX, 1);
	if (!r)
		return NULL;
	for (p = w = r; *p; p += n) {
		n = tame_bidi_control((const unsigned char *)p);
		*w++ = n || *p == '/' || *p == '\\' ? '_' : *p;
		n = n ? n : 1;
	}
	*w = '\0';
	if (!*r || strcmp(r, ".") == 0 || strcmp(r, "..") == 0) {
		free(r);
		r = strdup(dflt);
	}
	return r;
}

static char *
clean_type(GMimeContentType *ct)
{
	char *t = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *p;
	char *r;

	if (t) {
		for (p = t; *p; p++)
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
				break;
		if (*p || strlen(t) > MIME_TYPE_MAX || !strchr(t, '/')) {
			g_free(t);
			t = NULL;
		}
	}
	r = strdup(t ? t : "application/octet-stream");
	g_free(t);
	return tame_ascii_lower(r);
}

/* The name of a part that has none: "attachment" with the extension
 * of its type where it is a common one, so that a download opens. */
static const char *
default_name(const char *type)
{
	static const struct {
		const char *type, *name;
	} names[] = {
		{ "text/calendar", "invite.ics" },
		{ "text/plain", "attachment.txt" },
		{ "text/html", "attachment.html" },
		{ "text/csv", "attachment.csv" },
		{ "text/vcard", "contact.vcf" },
		{ "text/x-vcard", "contact.vcf" },
		{ "application/pdf", "attachment.pdf" },
		{ "application/zip", "attachment.zip" },
		{ "application/ics", "invite.ics" },
		{ "application/pkcs7-signature", "smime.p7s" },
		{ "application/pkcs7-mime", "smime.p7m" },
		{ "application/pgp-signature", "signature.asc" },
		{ "image/png", "image.png" },
		{ "image/jpeg", "image.jpg" },
		{ "image/gif", "image.gif" },
		{ "image/webp", "image.webp" },
		{ "image/heic", "image.heic" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (type && strcmp(type, names[i].type) == 0)
			return names[i].name;
	return "attachment";
}

/* A leaf part kept as an attachment; made_cid (owned) is its
 * Content-ID when it has none of its own (a picture placed in the
 * html), else NULL. */
static enum tame_err
leaf_attachment(struct pctx *c, GMimeObject *obj, int is_image,
    char *made_cid)
{
	GMimePart *part = GMIME_PART(obj);
	const char *disp = g_mime_object_get_disposition(obj);
	unsigned char *data = NULL;
	size_t len = 0;
	char *cid = NULL, *type;
	int nomem = 0, is_inline;
	enum tame_err rc;

	if (c->out->natt >= TAME_ATTACHMENTS_MAX) {
		c->att_left++;
		free(made_cid);
		return TAME_OK;
	}
	if ((rc = part_bytes(part, &data, &len))) {
		free(made_cid);
		return rc;
	}
	cid = mime_clean_id(g_mime_object_get_content_id(obj), &nomem);
	if (!cid)
		cid = made_cid;
	else
		free(made_cid);
	if (nomem) {
		free(cid);
		free(data);
		return TAME_ENOMEM;
	}
	is_inline = cid && is_image &&
	    !(disp && g_ascii_strcasecmp(disp, "attachment") == 0);
	type = clean_type(g_mime_object_get_content_type(obj));
	return add_attachment(c,
	    clean_filename(g_mime_part_get_filename(part), default_name(type)),
	    type, cid, is_inline, data, len);
}

static enum tame_err
message_attachment(struct pctx *c, GMimeObject *obj)
{
	GMimeMessage *inner = g_mime_message_part_get_message(
	    GMIME_MESSAGE_PART(obj));
	const char *fn = g_mime_object_get_content_disposition_parameter(obj,
	    "filename");
	unsigned char *data = NULL;
	size_t len = 0;
	enum tame_err rc;

	if (!inner)
		return TAME_OK;
	if (c->in_report)
		set_original_id(c, g_mime_message_get_message_id(inner));
	if (c->out->natt >= TAME_ATTACHMENTS_MAX) {
		c->att_left++;
		return TAME_OK;
	}
	if ((rc = object_bytes(GMIME_OBJECT(inner), &data, &len)))
		return rc;
	return add_attachment(c, clean_filename(fn, "message.eml"),
	    strdup("message/rfc822"), NULL, 0, data, len);
}

/* A text part after the body's joins it up to this size (the words
 * of a paragraph or two, a signature); larger, it is a file. */
#define MIME_MORE_TEXT_MAX (64 * 1024)

/* The end of a Content-ID made up for a picture that has none. */
#define MADE_CID ".tame@invalid"

/* A text part of at most STUB_TEXT_MAX bytes beside a longer HTML part,
 * its alternative, may be a stub ("This is an HTML message..."); it is
 * one when the HTML's own text is STUB_TEXT_TIMES as long, STUB_TEXT_MORE
 * bytes longer, and does not say what it says (stub_read). A short
 * reply whose HTML adds a signature says the reply in both. */
#define STUB_TEXT_MAX 200
#define STUB_TEXT_TIMES 3
#define STUB_TEXT_MORE 100

static int
stub_text(const struct pctx *c, const char *text, const char *html)
{
	size_t n = strlen(text);

	return c->text_alt && c->text_alt == c->html_alt &&
	    n <= STUB_TEXT_MAX && strlen(html) >= n + STUB_TEXT_MORE;
}

/* Whether c is white space in a mail's text. */
static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* s without its white space, in out (as long as s and one more). */
static void
squeeze(const char *s, char *out)
{
	for (; *s; s++)
		if (!is_ws(*s))
			*out++ = *s;
	*out = '\0';
}

/* Whether the HTML's text (len bytes at html) says more than the stub
 * text, and not the same with a signature; -1 when out of memory. */
static int
stub_read(const char *text, const char *html, size_t len)
{
	size_t n = strlen(text);
	char small[STUB_TEXT_MAX + 1], *all;
	int more;

	if (len < STUB_TEXT_TIMES * n || len < n + STUB_TEXT_MORE)
		return 0;
	if (!(all = malloc(len + 1)))
		return -1;
	memcpy(all, html, len);
	all[len] = '\0';
	squeeze(text, small);
	squeeze(all, all);
	more = strstr(all, small) == NULL;
	free(all);
	return more;
}

/* 1 if s holds nothing but white space. */
static int
blank(const char *s)
{
	for (; s && *s; s++)
		if (!is_ws(*s))
			return 0;
	return 1;
}

/* A text/plain part after the body's (iPhone and Apple Mail write
 * text, picture, text when a photo goes between two paragraphs): its
 * text goes on the body's, and on the html's when there is one, in
 * order. One too long for that (a log pasted as a part of its own)
 * stays an attachment, whole: *kept set to 0. */
static enum tame_err
more_text(struct pctx *c, GMimeObject *obj, int *kept)
{
	char *more = mime_part_text(obj), *esc, *t;

	*kept = 0;
	if (!more)
		return TAME_ENOMEM;
	if (strlen(more) > MIME_MORE_TEXT_MAX) {
		free(more);
		return TAME_OK;
	}
	*kept = 1;
	for (t = more; *t == '\n' || *t == '\r'; t++)
		;
	if (!blank(t)) {
		g_string_append(c->text_tail, "\n\n");
		g_string_append(c->text_tail, t);
		while (c->text_tail->len && (c->text_tail->str[
		    c->text_tail->len - 1] == '\n'))
			g_string_truncate(c->text_tail, c->text_tail->len - 1);
		if (c->html_part && c->html_tail->len < TAME_TEXT_MAX) {
			/* pictures since the last html part are not the
			 * text's to show (a related body's, named by its html
			 * already): they stay attachments */
			g_string_truncate(c->html_tail, c->tail_end);
			esc = g_markup_escape_text(t, -1);
			g_string_append_printf(c->html_tail, "<pre>%s</pre>",
			    esc);
			c->tail_end = c->html_tail->len;
			g_free(esc);
		}
	}
	free(more);
	return TAME_OK;
}

enum tame_err
mime_walk_parts(struct pctx *c, GMimeObject *obj, int depth)
{
	GMimeContentType *ct;
	const char *disp;
	unsigned char *data = NULL;
	size_t len = 0;
	char *made_cid = NULL;
	int i, n, is_att, was_report, was_alt, was_alt_id;
	enum tame_err rc = TAME_OK;

	if (!obj)
		return TAME_OK;
	if (depth > MIME_DEPTH_MAX) {
		/* content below is dropped: say so rather than hide it */
		c->out->unparsed = 1;
		return TAME_OK;
	}
	ct = g_mime_object_get_content_type(obj);
	if (GMIME_IS_MULTIPART(obj)) {
		const char *rt = g_mime_content_type_get_parameter(ct,
		    "report-type");

		was_report = c->in_report;
		was_alt = c->in_alternative;
		was_alt_id = c->alt_id;
		if (g_mime_content_type_is_type(ct, "multipart", "report") &&
		    rt && g_ascii_strcasecmp(rt, "delivery-status") == 0) {
			c->out->is_dsn = 1;
			c->in_report = 1;
		}
		c->in_alternative = g_mime_content_type_is_type(ct,
		    "multipart", "alternative");
		if (c->in_alternative)
			c->alt_id = ++c->alt_seq;
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n && !rc; i++)
			rc = mime_walk_parts(c, g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), depth + 1);
		c->in_report = was_report;
		c->in_alternative = was_alt;
		c->alt_id = was_alt_id;
		return rc;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		return message_attachment(c, obj);
	if (!GMIME_IS_PART(obj))
		return TAME_OK;

	if (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	    g_mime_content_type_is_type(ct, "message",
	    "global-delivery-status")) {
		if ((rc = part_bytes(GMIME_PART(obj), &data, &len)))
			return rc;
		c->out->is_dsn = 1;
		if (!(rc = mime_scan_fields((char *)data, len, 0, dsn_field_cb,
		    c)))
			rc = dsn_group_end(c);
		free(data);
		return rc;
	}
	if (c->in_report && (g_mime_content_type_is_type(ct, "text",
	    "rfc822-headers") || g_mime_content_type_is_type(ct, "message",
	    "global-headers"))) {
		if ((rc = part_bytes(GMIME_PART(obj), &data, &len)))
			return rc;
		rc = mime_scan_fields((char *)data, len, 1, hdr_msgid_cb, c);
		free(data);
		return rc;
	}

	disp = g_mime_object_get_disposition(obj);
	is_att = (disp && g_ascii_strcasecmp(disp, "attachment") == 0) ||
	    g_mime_part_get_filename(GMIME_PART(obj)) != NULL;
	if (!is_att && GMIME_IS_TEXT_PART(obj)) {
		if (g_mime_content_type_is_type(ct, "text", "plain") &&
		    !c->text_part) {
			c->text_part = obj;
			c->text_alt = c->alt_id;
			return TAME_OK;
		}
		if (g_mime_content_type_is_type(ct, "text", "plain") &&
		    !c->in_alternative && c->text_tail->len < TAME_TEXT_MAX) {
			int kept;

			if ((rc = more_text(c, obj, &kept)) || kept)
				return rc;
		}
		if (g_mime_content_type_is_type(ct, "text", "html") &&
		    !c->html_part) {
			c->html_part = obj;
			c->html_alt = c->alt_id;
			return TAME_OK;
		}
		if (g_mime_content_type_is_type(ct, "text", "html") &&
		    c->html_tail && c->html_tail->len < TAME_TEXT_MAX) {
			char *more = mime_part_text(obj);

			if (!more)
				return TAME_ENOMEM;
			g_string_append(c->html_tail, more);
			c->tail_end = c->html_tail->len;
			free(more);
			return TAME_OK;
		}
	}
	/* a picture between html parts shows where it was (Apple Mail
	 * names it, inline) */
	if (c->html_part && c->html_tail &&
	    !(disp && g_ascii_strcasecmp(disp, "attachment") == 0) &&
	    g_mime_content_type_is_type(ct, "image", "*")) {
		int nomem = 0;
		char *cid = mime_clean_id(g_mime_object_get_content_id(obj),
		    &nomem);

		if (nomem)
			return TAME_ENOMEM;
		/* Apple Mail gives such a picture no Content-ID: one is
		 * made up, and taken back if no html part follows
		 * (mime_read_bodies) */
		if (!cid && asprintf(&made_cid, "part%zu" MADE_CID,
		    c->out->natt) < 0)
			return TAME_ENOMEM;
		g_string_append_printf(c->html_tail, "<img src=\"cid:%s\">",
		    cid ? cid : made_cid);
		free(cid);
	}
	/* Text without a name that is not the body (text/calendar, an
	 * alternative's second text part) is kept too: it may be what the
	 * sender meant most. */
	return leaf_attachment(c, obj,
	    g_mime_content_type_is_type(ct, "image", "*"), made_cid);
}

/* The first line "Message-ID: <id>" in the body of a bounce that is not
 * RFC 3464 (old qmail, Exchange in some modes). Skips the header block
 * so that the bounce's own Message-ID is not taken. */
void
mime_lenient_dsn(struct pctx *c, const char *raw, size_t len)
{
	const char *p, *crlf, *end = raw + len, *eol, *lt, *gt;
	static const char key[] = "message-id:";
	char *id;
	int nomem = 0;

	if (c->out->dsn_original_id)
		return;
	p = memmem(raw, len, "\n\n", 2);
	crlf = memmem(raw, len, "\r\n\r\n", 4);
	if (!p || (crlf && crlf < p))
		p = crlf;
	if (!p)
		return;
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t' || *p == '>'))
			p++;
		if ((size_t)(eol - p) <= sizeof(key) - 1 ||
		    strncasecmp(p, key, sizeof(key) - 1) != 0)
			continue;
		lt = memchr(p, '<', (size_t)(eol - p));
		gt = lt ? memchr(lt, '>', (size_t)(eol - lt)) : NULL;
		if (!lt || !gt)
			continue;
		if (!(id = strndup(lt + 1, (size_t)(gt - lt - 1))))
			return;
		c->out->dsn_original_id = mime_clean_id(id, &nomem);
		free(id);
		if (c->out->dsn_original_id)
			return;
	}
}

/* Said at the end of what is shown of an HTML part too long to show
 * whole (html_sanitize.h's limits): an agent must not take the part
 * shown for all of it. */
#define HTML_CUT_NOTE "[This message goes on beyond what Tame shows; " \
	"\"View original\" has all of it.]"

/* Takes Outlook's "[cid:image001.png@01DA...]" out of the plain text,
 * in place: it stands where an inline picture is in the html, and
 * showed as such in the list's preview and the text. */
static void
drop_cid_marks(char *t)
{
	char *r, *w, *e;

	/* most mail has none: one scan, nothing written */
	if (!(r = strstr(t, "[cid:")))
		return;
	w = r;
	while (*r) {
		if (strncmp(r, "[cid:", 5) == 0 && (e = strpbrk(r + 5,
		    "] \t\n")) && *e == ']' && e - r < 256) {
			r = e + 1;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/* The body's text with the text parts after it (tail: each one after
 * "\n\n"), cut to TAME_TEXT_MAX. */
static enum tame_err
join_text(struct mime_parsed *o, GString *tail)
{
	size_t n = strlen(o->text);
	char *all;

	while (n > 0 && (o->text[n - 1] == '\n' || o->text[n - 1] == ' '))
		n--;
	/* no body text before them: no blank lines either */
	if (!(all = tame_strndup(o->text, n)))
		return TAME_ENOMEM;
	free(o->text);
	o->text = g_strconcat(all, tail->str + (n ? 0 : 2), NULL);
	free(all);
	all = o->text;
	o->text = mime_clean_str(all, TAME_TEXT_MAX, 0);
	g_free(all);
	return o->text ? TAME_OK : TAME_ENOMEM;
}

/* A picture given a made-up Content-ID that the html does not show
 * (no html part followed it) is an attachment like any other. */
static void
unplace_pictures(struct mime_parsed *o)
{
	struct mime_attachment *a;
	char *ref;
	size_t i;

	for (i = 0; i < o->natt; i++) {
		a = &o->att[i];
		if (!a->content_id || !strstr(a->content_id, MADE_CID))
			continue;
		ref = g_strconcat("cid:", a->content_id, NULL);
		if (!o->html || !strstr(o->html, ref)) {
			free(a->content_id);
			a->content_id = NULL;
			a->is_inline = 0;
		}
		g_free(ref);
	}
}

enum tame_err
mime_read_bodies(struct pctx *c)
{
	struct mime_parsed *o = c->out;
	struct buf b;
	char *html = NULL;
	enum tame_err rc = TAME_OK;
	int cut, empty, stub, more;

	if (c->text_part) {
		free(o->text);
		if (!(o->text = mime_part_text(c->text_part)))
			return TAME_ENOMEM;
		drop_cid_marks(o->text);
	}
	if (c->text_tail->len && (rc = join_text(o, c->text_tail)))
		return rc;
	if (!c->html_part) {
		unplace_pictures(o);
		return TAME_OK;
	}
	if (!(html = mime_part_text(c->html_part)))
		return TAME_ENOMEM;
	if (c->html_tail && c->tail_end) {
		size_t hl = strlen(html);
		char *all = malloc(hl + c->tail_end + 1);

		if (!all) {
			free(html);
			return TAME_ENOMEM;
		}
		memcpy(all, html, hl);
		memcpy(all + hl, c->html_tail->str, c->tail_end);
		all[hl + c->tail_end] = '\0';
		free(html);
		html = all;
	}
	buf_init(&b, TAME_TEXT_MAX);
	rc = html_sanitize(html, strlen(html), &b);
	/* Too big: keep the prefix, which ends between two tokens, and
	 * say so */
	if ((cut = rc == TAME_ETOOBIG)) {
		rc = buf_addstr(&b, "<p>" HTML_CUT_NOTE "</p>");
		if (rc == TAME_ETOOBIG)
			rc = TAME_OK;
	}
	if (rc || !(o->html = buf_take(&b))) {
		rc = rc ? rc : TAME_ENOMEM;
		goto out;
	}
	/* the text from the HTML when there is no text part, one that is
	 * empty (a mail program's blank alternative), or one that only
	 * says to read the HTML (a shop's or a CRM's "This is an HTML
	 * message": the words were in no preview and no search) */
	empty = !c->text_part || blank(o->text);
	stub = !empty && stub_text(c, o->text, html);
	if (empty || stub) {
		rc = html_to_text(html, strlen(html), &b);
		if (stub && rc == TAME_OK &&
		    (more = stub_read(o->text, buf_str(&b), b.len)) <= 0) {
			rc = more < 0 ? TAME_ENOMEM : TAME_OK;
			buf_reset(&b);	/* the HTML says little more */
			goto out;
		}
		if (rc == TAME_ETOOBIG || (cut && rc == TAME_OK)) {
			rc = buf_addstr(&b, "\n\n" HTML_CUT_NOTE "\n");
			if (rc == TAME_ETOOBIG)
				rc = TAME_OK;
		}
		if (rc)
			goto out;
		free(o->text);
		if (!(o->text = buf_take(&b)))
			rc = TAME_ENOMEM;
	}
out:
	buf_free(&b);
	free(html);
	unplace_pictures(o);
	return rc;
}
