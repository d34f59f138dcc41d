/*
 * mime_parse.c - reads one Internet message into plain UTF-8 fields.
 * See mime.h.
 *
 * Implements, through GMime 3: RFC 5322 (message format), RFC 2045-2049
 * (MIME), RFC 2047 (encoded words), RFC 2231 (parameter values), RFC
 * 2392 (Content-ID), RFC 3464 (delivery status notifications), RFC 3834
 * (Auto-Submitted) and RFC 2369/2919 (List-* headers).
 *
 * Model: mail from outside is hostile or broken as often as not, and a
 * help desk must still file it. So nothing here fails on content: GMime
 * runs in its loose modes with UTF-8 then Latin-1 as fallback charsets,
 * every string that leaves this file is checked to be UTF-8 (and
 * repaired if not), every size is capped by tame_limits.h, and when
 * GMime cannot build a message at all, From, Subject and Message-ID are
 * read by a plain header scanner and the result is marked unparsed.
 * The MIME tree is walked once: the first text/plain and text/html
 * that are not attachments are the body, every other leaf with content
 * is an attachment, nested messages are attachments too (message.eml),
 * and the parts of a multipart/report feed the bounce fields.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gmime/gmime.h>
#include <sodium.h>
#include "mime.h"
#include "html_sanitize.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* MIME nesting followed; deeper parts are ignored. Real mail nests a
 * handful of levels; a bomb of thousands must not cost a deep walk. */
#define MIME_DEPTH_MAX     32
/* A Message-ID must fit on one header line (RFC 5322 2.1.1). */
#define MIME_ID_MAX        998
/* A file name; most file systems stop at 255 bytes. */
#define MIME_FILENAME_MAX  255
/* A media type "type/subtype" (RFC 6838 4.2: 127 + 1 + 127). */
#define MIME_TYPE_MAX      255
/* The bounce diagnostic kept for the agent. */
#define MIME_DIAG_MAX      1000
/* An unfolded header value read by the fallback scanner. */
#define MIME_FIELD_VALUE_MAX (128 * 1024)
/* Addresses kept per To or Cc: as many as one SMTP transaction may
 * carry; the raw message keeps the rest. */
#define MIME_ADDRS_MAX     TAME_SMTP_RCPT_MAX

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *popts;

static void
mime_init_once(void)
{
	static const char *fallback[] = { "utf-8", "iso-8859-1", NULL };

	g_mime_init();
	if (sodium_init() < 0)
		abort();
	popts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(popts, fallback);
	g_mime_parser_options_set_address_compliance_mode(popts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(popts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(popts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(popts, TRUE);
}

/* Initialises GMime (and libsodium, for Message-IDs) once per process;
 * any thread may call it any number of times. */
void
mime_init(void)
{
	pthread_once(&mime_once, mime_init_once);
}

/* --- strings ---------------------------------------------------------- */

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static void
utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
}

/* A malloc'd copy of s, repaired to valid UTF-8, cut to max bytes; with
 * oneline, control characters become spaces and the ends are trimmed.
 * NULL only when out of memory (or s is NULL). */
static char *
clean_str(const char *s, size_t max, int oneline)
{
	char *fixed = NULL, *r, *p;
	size_t n;

	if (!s)
		return NULL;
	if (!g_utf8_validate(s, -1, NULL))
		s = fixed = g_utf8_make_valid(s, -1);
	r = strdup(s);
	g_free(fixed);
	if (!r)
		return NULL;
	utf8_cut(r, max);
	if (oneline) {
		for (p = r; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		for (p = r; *p == ' '; p++)
			;
		n = strlen(p);
		memmove(r, p, n + 1);
		while (n > 0 && r[n - 1] == ' ')
			r[--n] = '\0';
	}
	return r;
}

/* Takes ownership of a GLib string g and returns it as plain malloc'd
 * UTF-8 text (see clean_str). */
static char *
take_gstr(char *g, size_t max, int oneline)
{
	char *r = clean_str(g, max, oneline);

	g_free(g);
	return r;
}

/* An id (Message-ID, Content-ID) as we keep it: no <>, no white space
 * or controls, not empty. Returns a malloc'd copy, or NULL if s is not
 * usable (*nomem is set when memory ran out). */
static char *
clean_id(const char *s, int *nomem)
{
	const char *p;
	size_t n;
	char *r;

	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '<')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '>'))
		n--;
	if (n == 0 || n > MIME_ID_MAX)
		return NULL;
	for (p = s; p < s + n; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' ||
		    *p == '>')
			return NULL;
	if (!g_utf8_validate(s, (gssize)n, NULL))
		return NULL;
	if (!(r = strndup(s, n)))
		*nomem = 1;
	return r;
}

/* An address as we keep it: lower-cased, UTF-8, no spaces or controls,
 * at most TAME_FIELD_MAX bytes. NULL if unusable; *nomem on ENOMEM. */
static char *
clean_addr(const char *s, int *nomem)
{
	const char *p;
	char *r;

	if (!s || !*s || strlen(s) > TAME_FIELD_MAX ||
	    !g_utf8_validate(s, -1, NULL))
		return NULL;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return NULL;
	if (!(r = strdup(s)))
		*nomem = 1;
	return tame_ascii_lower(r);
}

static enum tame_err
push_str(char ***arr, size_t *n, char *s)
{
	char **na;

	if (!(na = realloc(*arr, (*n + 1) * sizeof(*na)))) {
		free(s);
		return TAME_ENOMEM;
	}
	na[(*n)++] = s;
	*arr = na;
	return TAME_OK;
}

/* Unfolded "Name: value" fields of a header block or of the field
 * groups of a delivery-status body (RFC 3464 2.1). cb gets each field;
 * at a blank line it gets name NULL, or the scan stops with stop_blank.
 * Bytes may include NULs and anything else. */
typedef enum tame_err (*field_cb)(void *ctx, const char *name, size_t nlen,
    const char *value);

static enum tame_err
vadd(struct buf *b, const char *p, size_t n)
{
	if (n > b->max - b->len)
		n = b->max - b->len;
	return buf_add(b, p, n);
}

static enum tame_err
scan_fields(const char *p, size_t len, int stop_blank, field_cb cb, void *ctx)
{
	const char *end = p + len, *eol, *line, *colon, *name = NULL;
	size_t llen, nlen = 0;
	struct buf v;
	enum tame_err rc = TAME_OK;

	buf_init(&v, MIME_FIELD_VALUE_MAX);
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		line = p;
		llen = (size_t)(eol - p);
		p = eol < end ? eol + 1 : end;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen > 0 && (line[0] == ' ' || line[0] == '\t')) {
			if (name && (rc = vadd(&v, line, llen)))
				goto out;
			continue;
		}
		if (name) {
			if ((rc = cb(ctx, name, nlen, buf_str(&v))))
				goto out;
			name = NULL;
		}
		if (llen == 0) {
			if (stop_blank)
				break;
			if ((rc = cb(ctx, NULL, 0, NULL)))
				goto out;
			continue;
		}
		if (!(colon = memchr(line, ':', llen)) || colon == line)
			continue;
		name = line;
		nlen = (size_t)(colon - line);
		while (nlen > 0 && (name[nlen - 1] == ' ' ||
		    name[nlen - 1] == '\t'))
			nlen--;
		buf_reset(&v);
		colon++;
		while (colon < line + llen && (*colon == ' ' || *colon == '\t'))
			colon++;
		if ((rc = vadd(&v, colon, (size_t)(line + llen - colon))))
			goto out;
		/* buf_str of an empty buf is "", never NULL */
	}
	if (name)
		rc = cb(ctx, name, nlen, buf_str(&v));
out:
	buf_free(&v);
	return rc;
}

static int
field_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

/* --- context of one parse --------------------------------------------- */

struct pctx {
	struct mime_parsed *out;
	GMimeObject *text_part;
	GMimeObject *html_part;
	int in_report;      /* inside multipart/report; delivery-status */
	/* delivery-status group being read */
	int grp_failed;
	char *grp_status;
	char *grp_diag;
	int diag_is_failed; /* out->dsn_diagnostic comes from a failed group */
};

/* Decoded bytes of a leaf part, malloc'd (never NULL on success). */
static enum tame_err
part_bytes(GMimePart *part, unsigned char **data, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *s = g_mime_stream_mem_new();
	GByteArray *ba;
	enum tame_err rc = TAME_OK;

	if (w)
		g_mime_data_wrapper_write_to_stream(w, s);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	*len = ba->len;
	if (!(*data = malloc(ba->len ? ba->len : 1))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	if (ba->len)
		memcpy(*data, ba->data, ba->len);
out:
	g_object_unref(s);
	return rc;
}

/* The bytes of a whole object as GMime writes it, malloc'd. */
static enum tame_err
object_bytes(GMimeObject *o, unsigned char **data, size_t *len)
{
	GMimeStream *s = g_mime_stream_mem_new();
	GByteArray *ba;
	enum tame_err rc = TAME_OK;

	g_mime_object_write_to_stream(o, NULL, s);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	*len = ba->len;
	if (!(*data = malloc(ba->len ? ba->len : 1))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	if (ba->len)
		memcpy(*data, ba->data, ba->len);
out:
	g_object_unref(s);
	return rc;
}

static void
set_original_id(struct pctx *c, const char *id)
{
	int nomem = 0;

	if (c->out->dsn_original_id || !id)
		return;
	c->out->dsn_original_id = clean_id(id, &nomem);
}

static enum tame_err
hdr_msgid_cb(void *ctx, const char *name, size_t nlen, const char *value)
{
	struct pctx *c = ctx;
	char *id;

	if (!name || !field_is(name, nlen, "Message-ID"))
		return TAME_OK;
	id = g_mime_utils_decode_message_id(value);
	set_original_id(c, id);
	g_free(id);
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
	if ((c->grp_status || c->grp_diag) && (!o->dsn_diagnostic ||
	    (c->grp_failed && !c->diag_is_failed))) {
		buf_init(&b, MIME_DIAG_MAX * 2 + 2);
		if (c->grp_status)
			rc = vadd(&b, c->grp_status, strlen(c->grp_status));
		if (!rc && c->grp_status && c->grp_diag)
			rc = vadd(&b, " ", 1);
		if (!rc && c->grp_diag)
			rc = vadd(&b, c->grp_diag, strlen(c->grp_diag));
		if (rc) {
			buf_free(&b);
			goto out;
		}
		free(o->dsn_diagnostic);
		o->dsn_diagnostic = clean_str(buf_str(&b), MIME_DIAG_MAX, 1);
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
	c->grp_status = c->grp_diag = NULL;
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
	if (field_is(name, nlen, "Action")) {
		if (strncasecmp(value, "failed", 6) == 0)
			c->grp_failed = 1;
	} else if (field_is(name, nlen, "Status"))
		slot = &c->grp_status;
	else if (field_is(name, nlen, "Diagnostic-Code"))
		slot = &c->grp_diag;
	if (slot && !*slot && !(*slot = clean_str(value, MIME_DIAG_MAX, 1)))
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

/* A file name safe to offer as a download: no directories, no controls,
 * never empty. Returns a malloc'd copy of name (or dflt); NULL on ENOMEM. */
static char *
clean_filename(const char *name, const char *dflt)
{
	char *r, *p;

	r = clean_str(name && *name ? name : dflt, MIME_FILENAME_MAX, 1);
	if (!r)
		return NULL;
	for (p = r; *p; p++)
		if (*p == '/' || *p == '\\')
			*p = '_';
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

static enum tame_err
leaf_attachment(struct pctx *c, GMimeObject *obj, int is_image)
{
	GMimePart *part = GMIME_PART(obj);
	const char *disp = g_mime_object_get_disposition(obj);
	unsigned char *data = NULL;
	size_t len = 0;
	char *cid = NULL;
	int nomem = 0, is_inline;
	enum tame_err rc;

	if (c->out->natt >= TAME_ATTACHMENTS_MAX)
		return TAME_OK;
	if ((rc = part_bytes(part, &data, &len)))
		return rc;
	cid = clean_id(g_mime_object_get_content_id(obj), &nomem);
	if (nomem) {
		free(data);
		return TAME_ENOMEM;
	}
	is_inline = cid && is_image &&
	    !(disp && g_ascii_strcasecmp(disp, "attachment") == 0);
	return add_attachment(c,
	    clean_filename(g_mime_part_get_filename(part), "attachment"),
	    clean_type(g_mime_object_get_content_type(obj)), cid, is_inline,
	    data, len);
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
	if (c->out->natt >= TAME_ATTACHMENTS_MAX)
		return TAME_OK;
	if ((rc = object_bytes(GMIME_OBJECT(inner), &data, &len)))
		return rc;
	return add_attachment(c, clean_filename(fn, "message.eml"),
	    strdup("message/rfc822"), NULL, 0, data, len);
}

static enum tame_err
walk_parts(struct pctx *c, GMimeObject *obj, int depth)
{
	GMimeContentType *ct;
	const char *disp;
	unsigned char *data = NULL;
	size_t len = 0;
	int i, n, is_att, was_report;
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
		if (g_mime_content_type_is_type(ct, "multipart", "report") &&
		    rt && g_ascii_strcasecmp(rt, "delivery-status") == 0) {
			c->out->is_dsn = 1;
			c->in_report = 1;
		}
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n && !rc; i++)
			rc = walk_parts(c, g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), depth + 1);
		c->in_report = was_report;
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
		if (!(rc = scan_fields((char *)data, len, 0, dsn_field_cb, c)))
			rc = dsn_group_end(c);
		free(data);
		return rc;
	}
	if (c->in_report && (g_mime_content_type_is_type(ct, "text",
	    "rfc822-headers") || g_mime_content_type_is_type(ct, "message",
	    "global-headers"))) {
		if ((rc = part_bytes(GMIME_PART(obj), &data, &len)))
			return rc;
		rc = scan_fields((char *)data, len, 1, hdr_msgid_cb, c);
		free(data);
		return rc;
	}

	disp = g_mime_object_get_disposition(obj);
	is_att = (disp && g_ascii_strcasecmp(disp, "attachment") == 0) ||
	    g_mime_part_get_filename(GMIME_PART(obj)) != NULL;
	if (!is_att && GMIME_IS_TEXT_PART(obj)) {
		if (g_mime_content_type_is_type(ct, "text", "plain")) {
			if (!c->text_part)
				c->text_part = obj;
			return TAME_OK;
		}
		if (g_mime_content_type_is_type(ct, "text", "html")) {
			if (!c->html_part)
				c->html_part = obj;
			return TAME_OK;
		}
	}
	/* Text without a name that is not the body (text/calendar, a
	 * second text/plain) is kept too: it may be all the sender sent. */
	return leaf_attachment(c, obj,
	    g_mime_content_type_is_type(ct, "image", "*"));
}

/* Length of the valid UTF-8 sequence (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF) at p, n bytes left; 0 if
 * there is none. */
static size_t
utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* Copies n bytes of UTF-8 text from p to o (room for n bytes) with CRLF
 * made LF, checking them on the way, eight ASCII bytes at a time.
 * Returns the bytes written, or -1 when p holds a NUL, a byte that is
 * not UTF-8, or (ascii_only) any byte above 0x7f. */
static ssize_t
utf8_copy_lf(const unsigned char *p, size_t n, char *o, int ascii_only)
{
	const unsigned char *end = p + n;
	char *o0 = o;
	uint64_t w;
	size_t k;

	while (p < end) {
		if (end - p >= 8) {
			memcpy(&w, p, 8);
			/* no byte >= 0x80, none is NUL or CR */
			if (!(w & 0x8080808080808080ULL) &&
			    !((w - 0x0101010101010101ULL) & ~w &
			    0x8080808080808080ULL) &&
			    !(((w ^ 0x0d0d0d0d0d0d0d0dULL) -
			    0x0101010101010101ULL) & ~(w ^ 0x0d0d0d0d0d0d0d0dULL) &
			    0x8080808080808080ULL)) {
				memcpy(o, p, 8);
				o += 8;
				p += 8;
				continue;
			}
		}
		if (*p == 0)
			return -1;
		if (*p < 0x80) {
			if (!(p[0] == '\r' && p + 1 < end && p[1] == '\n'))
				*o++ = (char)*p;
			p++;
			continue;
		}
		if (ascii_only || !(k = utf8_seq_len(p, (size_t)(end - p))))
			return -1;
		memcpy(o, p, k);
		o += k;
		p += k;
	}
	return o - o0;
}

/* The fast path of part_text for the common case, a part declared UTF-8
 * (or US-ASCII, or nothing) whose bytes are what it says: the decoded
 * bytes are used as they are, where GMime's own path would run them
 * through iconv from UTF-8 to UTF-8 and check them twice more (a third
 * of the parse time of a plain 4 kB mail). NULL means "take the general
 * path": another charset, invalid bytes, a NUL, or out of memory. */
static char *
part_text_utf8(GMimeObject *obj)
{
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
	const char *cs = g_mime_object_get_content_type_parameter(obj,
	    "charset");
	GMimeStream *s;
	GByteArray *ba;
	char *r = NULL;
	size_t n;
	ssize_t got;

	if (!w)
		return NULL;
	if (cs && g_ascii_strcasecmp(cs, "utf-8") != 0 &&
	    g_ascii_strcasecmp(cs, "utf8") != 0 &&
	    g_ascii_strcasecmp(cs, "us-ascii") != 0)
		return NULL;
	s = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, s);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	n = ba->len;
	if (n > TAME_TEXT_MAX) {
		n = TAME_TEXT_MAX;
		while (n > 0 && (ba->data[n] & 0xc0) == 0x80)
			n--;
	}
	if (!(r = malloc(n + 1)))
		goto out;
	got = utf8_copy_lf(ba->data, n, r, cs &&
	    g_ascii_strcasecmp(cs, "us-ascii") == 0);
	if (got < 0) {
		free(r);
		r = NULL;
		goto out;
	}
	r[got] = '\0';
out:
	g_object_unref(s);
	return r;
}

/* The text of a text part in UTF-8 (GMime converts from the declared
 * charset; unknown or lying charsets fall back to UTF-8/Latin-1), CRLF
 * made LF, cut to TAME_TEXT_MAX. malloc'd; NULL on ENOMEM. */
static char *
part_text(GMimeObject *obj)
{
	char *t, *d, *r, *w;
	const char *p;

	if ((r = part_text_utf8(obj)) != NULL)
		return r;
	t = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
	if (!t)
		return strdup("");
	if (!g_utf8_validate(t, -1, NULL)) {
		d = g_mime_utils_decode_8bit(popts, t, strlen(t));
		g_free(t);
		t = d;
		if (!t)
			return strdup("");
	}
	r = clean_str(t, TAME_TEXT_MAX, 0);
	g_free(t);
	if (!r)
		return NULL;
	for (p = w = r; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*w++ = *p;
	*w = '\0';
	return r;
}

static enum tame_err
collect_addrs(InternetAddressList *l, char ***arr, size_t *n, int depth)
{
	InternetAddress *ia;
	char *a;
	int i, cnt, nomem = 0;
	enum tame_err rc;

	if (!l || depth > 2)
		return TAME_OK;
	cnt = internet_address_list_length(l);
	for (i = 0; i < cnt && *n < MIME_ADDRS_MAX; i++) {
		ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if ((rc = collect_addrs(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), arr, n, depth + 1)))
				return rc;
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		a = clean_addr(internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(ia)), &nomem);
		if (nomem)
			return TAME_ENOMEM;
		if (a && (rc = push_str(arr, n, a)))
			return rc;
	}
	return TAME_OK;
}

/* The first mailbox of l (groups flattened), or NULL. */
static InternetAddressMailbox *
first_mailbox(InternetAddressList *l, int depth)
{
	InternetAddress *ia;
	InternetAddressMailbox *m;
	int i, cnt;

	if (!l || depth > 2)
		return NULL;
	cnt = internet_address_list_length(l);
	for (i = 0; i < cnt; i++) {
		ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return INTERNET_ADDRESS_MAILBOX(ia);
		if (INTERNET_ADDRESS_IS_GROUP(ia) && (m = first_mailbox(
		    internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(ia)), depth + 1)))
			return m;
	}
	return NULL;
}

static enum tame_err
set_from(struct mime_parsed *o, InternetAddressList *l)
{
	InternetAddressMailbox *m = first_mailbox(l, 0);
	const char *name;
	int nomem = 0;

	if (!m || o->from_email)
		return TAME_OK;
	o->from_email = clean_addr(internet_address_mailbox_get_addr(m),
	    &nomem);
	if (nomem)
		return TAME_ENOMEM;
	if (!o->from_email)
		return TAME_OK;
	name = internet_address_get_name(INTERNET_ADDRESS(m));
	if (name && *name) {
		if (!(o->from_name = clean_str(name, TAME_FIELD_MAX, 1)))
			return TAME_ENOMEM;
		if (!*o->from_name) {
			free(o->from_name);
			o->from_name = NULL;
		}
	}
	return TAME_OK;
}

static int
local_is_daemon(const char *addr)
{
	const char *at;
	size_t n;

	if (!addr)
		return 0;
	at = strchr(addr, '@');
	n = at ? (size_t)(at - addr) : strlen(addr);
	return (n == 13 && strncasecmp(addr, "mailer-daemon", 13) == 0) ||
	    (n == 10 && strncasecmp(addr, "postmaster", 10) == 0);
}

/* The first word of a header value, to compare with a keyword. */
static int
value_is(const char *v, const char *word)
{
	size_t n = strlen(word);

	while (*v == ' ' || *v == '\t')
		v++;
	return strncasecmp(v, word, n) == 0 && (v[n] == '\0' ||
	    v[n] == ';' || v[n] == ' ' || v[n] == '\t' || v[n] == '(');
}

/* RFC 3834 section 2 and the headers that list software sets. */
static int
is_automatic(GMimeObject *m, const struct mime_parsed *o)
{
	GMimeHeaderList *h = g_mime_object_get_header_list(m);
	const char *v;
	const char *rp;
	size_t n;

	if ((v = g_mime_object_get_header(m, "Auto-Submitted")) &&
	    !value_is(v, "no"))
		return 1;
	if ((v = g_mime_object_get_header(m, "Precedence")) &&
	    (value_is(v, "bulk") || value_is(v, "junk") || value_is(v, "list")))
		return 1;
	if (g_mime_header_list_contains(h, "List-Id") ||
	    g_mime_header_list_contains(h, "List-Unsubscribe") ||
	    g_mime_header_list_contains(h, "X-Autoreply") ||
	    g_mime_header_list_contains(h, "X-Autorespond"))
		return 1;
	if (local_is_daemon(o->from_email))
		return 1;
	if ((rp = g_mime_object_get_header(m, "Return-Path"))) {
		while (*rp == ' ' || *rp == '\t' || *rp == '<')
			rp++;
		n = strlen(rp);
		/* A null reverse path: a bounce or other notification. */
		if (n == 0 || rp[0] == '>' || local_is_daemon(rp))
			return 1;
	}
	return 0;
}

/* The first line "Message-ID: <id>" in the body of a bounce that is not
 * RFC 3464 (old qmail, Exchange in some modes). Skips the header block
 * so that the bounce's own Message-ID is not taken. */
static void
lenient_dsn(struct pctx *c, const char *raw, size_t len)
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
		c->out->dsn_original_id = clean_id(id, &nomem);
		free(id);
		if (c->out->dsn_original_id)
			return;
	}
}

static enum tame_err
salvage_cb(void *ctx, const char *name, size_t nlen, const char *value)
{
	struct mime_parsed *o = ctx;
	InternetAddressList *l;
	char *s;
	int nomem = 0;
	enum tame_err rc = TAME_OK;

	if (!name)
		return TAME_OK;
	if (field_is(name, nlen, "From") && !o->from_email) {
		if ((l = internet_address_list_parse(popts, value))) {
			rc = set_from(o, l);
			g_object_unref(l);
		}
	} else if (field_is(name, nlen, "Subject") && !*o->subject) {
		s = take_gstr(g_mime_utils_header_decode_text(popts, value),
		    TAME_SUBJECT_MAX, 1);
		if (!s)
			return TAME_ENOMEM;
		free(o->subject);
		o->subject = s;
	} else if (field_is(name, nlen, "Message-ID") && !o->message_id) {
		s = g_mime_utils_decode_message_id(value);
		o->message_id = clean_id(s, &nomem);
		g_free(s);
		if (nomem)
			rc = TAME_ENOMEM;
	}
	return rc;
}

static enum tame_err
read_headers(struct mime_parsed *o, GMimeMessage *msg)
{
	GMimeObject *m = GMIME_OBJECT(msg);
	GMimeReferences *refs;
	GDateTime *dt;
	const char *v;
	char *s;
	int i, cnt, start, nomem = 0;
	enum tame_err rc;

	o->message_id = clean_id(g_mime_message_get_message_id(msg), &nomem);
	if (nomem)
		return TAME_ENOMEM;
	if ((v = g_mime_message_get_subject(msg))) {
		if (!(s = clean_str(v, TAME_SUBJECT_MAX, 1)))
			return TAME_ENOMEM;
		free(o->subject);
		o->subject = s;
	}
	if ((rc = set_from(o, g_mime_message_get_from(msg))) ||
	    (rc = set_from(o, g_mime_message_get_sender(msg))))
		return rc;
	if ((rc = collect_addrs(g_mime_message_get_to(msg), &o->to,
	    &o->nto, 0)) || (rc = collect_addrs(g_mime_message_get_cc(msg),
	    &o->cc, &o->ncc, 0)))
		return rc;
	{
		InternetAddressMailbox *rt = first_mailbox(
		    g_mime_message_get_reply_to(msg), 0);

		if (rt && !(o->reply_to = clean_addr(
		    internet_address_mailbox_get_addr(rt), &nomem)) && nomem)
			return TAME_ENOMEM;
	}
	if ((dt = g_mime_message_get_date(msg)))
		o->date_ms = (int64_t)g_date_time_to_unix(dt) * 1000 +
		    g_date_time_get_microsecond(dt) / 1000;

	if ((v = g_mime_object_get_header(m, "In-Reply-To"))) {
		refs = g_mime_references_parse(popts, v);
		if (refs && g_mime_references_length(refs) > 0)
			o->in_reply_to = clean_id(
			    g_mime_references_get_message_id(refs, 0), &nomem);
		if (refs)
			g_mime_references_free(refs);
		if (nomem)
			return TAME_ENOMEM;
	}
	if ((v = g_mime_object_get_header(m, "References")) &&
	    (refs = g_mime_references_parse(popts, v))) {
		cnt = g_mime_references_length(refs);
		start = cnt > TAME_REFERENCES_MAX ? cnt - TAME_REFERENCES_MAX : 0;
		for (i = start, rc = TAME_OK; i < cnt && !rc; i++) {
			s = clean_id(g_mime_references_get_message_id(refs, i),
			    &nomem);
			if (s)
				rc = push_str(&o->references, &o->nreferences, s);
			else if (nomem)
				rc = TAME_ENOMEM;
		}
		g_mime_references_free(refs);
		if (rc)
			return rc;
	}
	return TAME_OK;
}

static enum tame_err
read_bodies(struct pctx *c)
{
	struct mime_parsed *o = c->out;
	struct buf b;
	char *html = NULL;
	enum tame_err rc = TAME_OK;

	if (c->text_part) {
		free(o->text);
		if (!(o->text = part_text(c->text_part)))
			return TAME_ENOMEM;
	}
	if (!c->html_part)
		return TAME_OK;
	if (!(html = part_text(c->html_part)))
		return TAME_ENOMEM;
	buf_init(&b, TAME_TEXT_MAX);
	rc = html_sanitize(html, strlen(html), &b);
	/* Too big: keep the prefix, which ends between two tokens. */
	if (rc == TAME_ETOOBIG)
		rc = TAME_OK;
	if (rc || !(o->html = buf_take(&b))) {
		rc = rc ? rc : TAME_ENOMEM;
		goto out;
	}
	if (!c->text_part) {
		rc = html_to_text(html, strlen(html), &b);
		if (rc == TAME_ETOOBIG)
			rc = TAME_OK;
		if (rc)
			goto out;
		free(o->text);
		if (!(o->text = buf_take(&b)))
			rc = TAME_ENOMEM;
	}
out:
	buf_free(&b);
	free(html);
	return rc;
}

/* 1 if the message has at least one header a mail user agent writes;
 * trace headers (Received, Return-Path) alone, as our SMTP server adds
 * them to whatever it is given, do not make a message. */
static int
has_content_headers(GMimeMessage *msg)
{
	static const char *names[] = { "From", "Sender", "To", "Cc",
	    "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	    "In-Reply-To", "References", NULL };
	GMimeHeaderList *h = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int i;

	for (i = 0; names[i]; i++)
		if (g_mime_header_list_contains(h, names[i]))
			return 1;
	return 0;
}

/* Length of the trace header block (Received:, Return-Path: and their
 * continuation lines) at the start of raw. */
static size_t
trace_len(const char *raw, size_t len)
{
	size_t off = 0;
	const char *nl;

	while (off < len) {
		int trace = (len - off >= 9 && g_ascii_strncasecmp(raw + off,
		    "Received:", 9) == 0) || (len - off >= 12 &&
		    g_ascii_strncasecmp(raw + off, "Return-Path:", 12) == 0);
		int cont = off > 0 && (raw[off] == ' ' || raw[off] == '\t');

		if (!trace && !cont)
			break;
		if (!(nl = memchr(raw + off, '\n', len - off)))
			return len;
		off = (size_t)(nl - raw) + 1;
	}
	return off;
}

/* Message text for mail we could not read: the raw bytes after our
 * trace headers (and after the header block when there is one), as
 * valid UTF-8, so the agent sees what the sender sent. */
static enum tame_err
salvage_text(struct mime_parsed *o, const char *raw, size_t len,
    int headers_ok)
{
	const char *p = raw, *body;
	size_t n = len, skip;
	char *copy, *t;

	skip = trace_len(p, n);
	p += skip;
	n -= skip;
	if (headers_ok && ((body = memmem(p, n, "\r\n\r\n", 4)) ||
	    (body = memmem(p, n, "\n\n", 2)))) {
		skip = (size_t)(body - p) + (body[0] == '\r' ? 4 : 2);
		p += skip;
		n -= skip;
	}
	if (n > TAME_TEXT_MAX)
		n = TAME_TEXT_MAX;
	if (!(copy = tame_strndup(p, n)))
		return TAME_ENOMEM;
	t = clean_str(copy, TAME_TEXT_MAX, 0);
	free(copy);
	if (!t)
		return TAME_ENOMEM;
	free(o->text);
	o->text = t;
	return TAME_OK;
}

/* 1 if s holds something other than white space. */
static int
has_ink(const char *s)
{
	for (; s && *s; s++)
		if (!g_ascii_isspace(*s))
			return 1;
	return 0;
}

/* Parses raw into *out; see mime.h. All strings are malloc'd, UTF-8 and
 * owned by out until mime_parsed_free(). On TAME_ENOMEM out is left
 * empty (already freed). */
enum tame_err
mime_parse(const char *raw, size_t len, struct mime_parsed *out)
{
	struct pctx c;
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	enum tame_err rc = TAME_OK;
	struct buf nonul;

	mime_init();
	memset(&c, 0, sizeof(c));
	c.out = out;
	if (!raw)
		len = 0;
	buf_init(&nonul, (size_t)TAME_SMTP_MESSAGE_MAX * 3 + 16);
	if (len > 0 && memchr(raw, '\0', len)) {
		/* NUL bytes would end every C string GMime hands back and
		 * hide the rest of a header or body: make them U+FFFD. */
		const char *p = raw, *end = raw + len, *z;

		while (p < end && !rc) {
			z = memchr(p, '\0', (size_t)(end - p));
			if (!z)
				z = end;
			rc = buf_add(&nonul, p, (size_t)(z - p));
			if (!rc && z < end)
				rc = buf_add(&nonul, "\xef\xbf\xbd", 3);
			p = z + 1;
		}
		if (rc)
			goto out;
		raw = nonul.data;
		len = nonul.len;
	}
	if (!(out->subject = strdup("")) || !(out->text = strdup(""))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	if (len > 0) {
		stream = g_mime_stream_mem_new_with_buffer(raw, len);
		parser = g_mime_parser_new_with_stream(stream);
		msg = g_mime_parser_construct_message(parser, popts);
	}
	if (!msg || g_mime_header_list_get_count(
	    g_mime_object_get_header_list(GMIME_OBJECT(msg))) == 0) {
		/* Nothing GMime recognises as a message: read what a
		 * header scan can find, keep any body text. */
		out->unparsed = 1;
		if (len > 0 && (rc = scan_fields(raw, len, 1, salvage_cb, out)))
			goto out;
	}
	if (msg) {
		if ((rc = read_headers(out, msg)))
			goto out;
		if ((rc = walk_parts(&c, g_mime_message_get_mime_part(msg), 0)))
			goto out;
		if ((rc = read_bodies(&c)))
			goto out;
		out->auto_submitted = is_automatic(GMIME_OBJECT(msg), out);
		if (!has_content_headers(msg))
			out->unparsed = 1;
	}
	/* Nothing readable came out of a body that has content (a broken
	 * boundary, junk, headers only we added): keep it visible. */
	if (len > 0 && !has_ink(out->text) && !out->html && out->natt == 0 &&
	    !out->is_dsn) {
		size_t skip = trace_len(raw, len);

		if (skip < len) {
			char *probe = tame_strndup(raw + skip, len - skip);
			int ink = probe && has_ink(probe);

			free(probe);
			if (ink) {
				int hdr_ok = msg && has_content_headers(msg);

				if ((rc = salvage_text(out, raw, len, hdr_ok)))
					goto out;
				if (!hdr_ok || has_ink(out->text))
					out->unparsed = 1;
			}
		}
	}
	if (!out->is_dsn && local_is_daemon(out->from_email)) {
		lenient_dsn(&c, raw, len);
		if (out->dsn_original_id) {
			out->is_dsn = 1;
			/* A warning about delay is not a failure. */
			out->dsn_failed = !strcasestr(out->subject, "delay") &&
			    !strcasestr(out->subject, "warning");
		}
	}
	if (out->is_dsn)
		out->auto_submitted = 1;
out:
	free(c.grp_status);
	free(c.grp_diag);
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	buf_free(&nonul);
	if (rc) {
		mime_parsed_free(out);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Frees everything p owns and zeroes it; p itself is the caller's. */
void
mime_parsed_free(struct mime_parsed *p)
{
	size_t i;

	if (!p)
		return;
	free(p->message_id);
	free(p->in_reply_to);
	free_strv(p->references, p->nreferences);
	free(p->subject);
	free(p->from_email);
	free(p->from_name);
	free(p->reply_to);
	free_strv(p->to, p->nto);
	free_strv(p->cc, p->ncc);
	free(p->text);
	free(p->html);
	for (i = 0; i < p->natt; i++) {
		free(p->att[i].filename);
		free(p->att[i].content_type);
		free(p->att[i].content_id);
		free(p->att[i].data);
	}
	free(p->att);
	free(p->dsn_original_id);
	free(p->dsn_diagnostic);
	memset(p, 0, sizeof(*p));
}
