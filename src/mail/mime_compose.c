/*
 * mime_compose.c - builds outgoing mail with GMime 3. See mime.h.
 *
 * Implements RFC 5322 (header fields, Message-ID, In-Reply-To and
 * References for threading), RFC 2045/2046 (text/plain; charset=utf-8
 * in quoted-printable, multipart/alternative for an HTML version,
 * multipart/mixed with base64 parts for attachments), RFC 2047 and
 * RFC 2231 (non-ASCII subjects, names and file names, done by GMime)
 * and RFC 3834 (Auto-Submitted: auto-replied).
 *
 * Model: the caller's strings are trusted to be ours but not to be
 * clean: CR and LF are removed from every one-line field so that a
 * subject or name can never add a header, ids and addresses are checked
 * and a bad one is refused (TAME_EINVAL), and the text is normalised to
 * LF so that GMime's DOS newline filter writes every line end as CRLF
 * as SMTP requires (RFC 5321 2.3.8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gmime/gmime.h>
#include <sodium.h>
#include "mime.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* Random bytes in a Message-ID: 128 bits cannot collide in practice. */
#define MIME_ID_RANDOM_BYTES 16

/* Printable ASCII without the brackets and white space that would let
 * an id break out of its <>. */
static int
id_ok(const char *id)
{
	const char *p;

	if (!id || !*id || strlen(id) > 900)
		return 0;
	for (p = id; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* An addr-spec: one '@', no white space, controls or specials that
 * would end the address early. UTF-8 local parts (RFC 6531) pass. */
static int
addr_ok(const char *a)
{
	const char *p, *at;

	if (!a || !*a || strlen(a) > TAME_FIELD_MAX ||
	    !g_utf8_validate(a, -1, NULL))
		return 0;
	for (p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>(),;:\"[]\\", *p))
			return 0;
	at = strchr(a, '@');
	return at && at != a && at[1] && !strchr(at + 1, '@');
}

/* A copy of s with controls (CR, LF, ...) made spaces and valid UTF-8.
 * g_free() it. */
static char *
one_line(const char *s)
{
	char *r, *p;

	r = g_utf8_make_valid(s ? s : "", -1);
	for (p = r; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return r;
}

/* A text/<subtype> part, UTF-8, quoted-printable, LF line ends. */
static GMimeObject *
text_part(const char *subtype, const char *text)
{
	GMimePart *part = g_mime_part_new_with_type("text", subtype);
	GMimeStream *s;
	GMimeDataWrapper *w;
	char *t, *r, *wp;

	t = g_utf8_make_valid(text ? text : "", -1);
	for (r = wp = t; *r; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*wp++ = *r == '\r' ? '\n' : *r;
	*wp = '\0';
	s = g_mime_stream_mem_new_with_buffer(t, strlen(t));
	g_free(t);
	w = g_mime_data_wrapper_new_with_stream(s,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
	    "charset", "utf-8");
	g_mime_part_set_content_encoding(part,
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	return GMIME_OBJECT(part);
}

static GMimeObject *
attachment_part(const struct mime_out_attachment *a)
{
	GMimeContentType *ct = NULL;
	GMimePart *part;
	GMimeStream *s;
	GMimeDataWrapper *w;
	char *fn;

	if (a->content_type)
		ct = g_mime_content_type_parse(NULL, a->content_type);
	if (ct && g_mime_content_type_get_media_type(ct) &&
	    g_mime_content_type_get_media_subtype(ct) &&
	    strcmp(g_mime_content_type_get_media_type(ct), "*") != 0)
		part = g_mime_part_new_with_type(
		    g_mime_content_type_get_media_type(ct),
		    g_mime_content_type_get_media_subtype(ct));
	else
		part = g_mime_part_new_with_type("application", "octet-stream");
	if (ct)
		g_object_unref(ct);
	s = g_mime_stream_mem_new_with_buffer(a->data ? a->data : "",
	    a->data ? a->len : 0);
	w = g_mime_data_wrapper_new_with_stream(s,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	fn = one_line(a->filename && *a->filename ? a->filename : "attachment");
	g_mime_part_set_filename(part, fn);
	g_free(fn);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

/* "<a> <b> ..." from space-separated ids; bad ids are left out. */
static enum tame_err
references_value(const char *refs, struct buf *b)
{
	const char *p = refs, *e;
	char *id;
	enum tame_err rc = TAME_OK;

	while (*p && !rc) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		for (e = p; *e && *e != ' ' && *e != '\t' && *e != '\r' &&
		    *e != '\n'; e++)
			;
		if (e == p)
			break;
		if (!(id = strndup(p, (size_t)(e - p))))
			return TAME_ENOMEM;
		if (id_ok(id))
			rc = buf_printf(b, "%s<%s>", b->len ? " " : "", id);
		free(id);
		p = e;
	}
	return rc;
}

/* Builds m and appends its bytes (CRLF line ends) to out. TAME_EINVAL
 * when an address or id is malformed, TAME_ETOOBIG past out's cap;
 * out is unchanged on error. Borrows everything in m. */
enum tame_err
mime_compose(const struct mime_out *m, struct buf *out)
{
	GMimeMessage *msg = NULL;
	GMimeObject *body = NULL, *mp;
	GMimeFormatOptions *fo = NULL;
	GMimeStream *s = NULL;
	GByteArray *ba;
	GDateTime *dt;
	struct buf tmp;
	char *str;
	size_t i;
	int64_t ms;
	enum tame_err rc = TAME_OK;

	mime_init();
	buf_init(&tmp, 64 * 1024);
	if (!addr_ok(m->from_email) || !id_ok(m->message_id) ||
	    (m->in_reply_to && *m->in_reply_to && !id_ok(m->in_reply_to))) {
		rc = TAME_EINVAL;
		goto out;
	}
	for (i = 0; i < m->nto; i++)
		if (!addr_ok(m->to[i])) {
			rc = TAME_EINVAL;
			goto out;
		}
	for (i = 0; i < m->ncc; i++)
		if (!addr_ok(m->cc[i])) {
			rc = TAME_EINVAL;
			goto out;
		}

	msg = g_mime_message_new(TRUE);
	str = one_line(m->from_name);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
	    *str ? str : NULL, m->from_email);
	g_free(str);
	for (i = 0; i < m->nto; i++) {
		/* "Hans Müller" <hans@...>, as the customer wrote it */
		str = one_line(i == 0 ? m->to_name : NULL);
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO,
		    *str ? str : NULL, m->to[i]);
		g_free(str);
	}
	for (i = 0; i < m->ncc; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, NULL,
		    m->cc[i]);
	str = one_line(m->subject);
	g_mime_message_set_subject(msg, str, "utf-8");
	g_free(str);
	ms = m->date_ms ? m->date_ms : tame_now_ms();
	if ((dt = g_date_time_new_from_unix_utc(ms / 1000))) {
		g_mime_message_set_date(msg, dt);
		g_date_time_unref(dt);
	}
	g_mime_message_set_message_id(msg, m->message_id);
	if (m->in_reply_to && *m->in_reply_to) {
		if ((rc = buf_printf(&tmp, "<%s>", m->in_reply_to)))
			goto out;
		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To",
		    buf_str(&tmp), NULL);
		buf_reset(&tmp);
	}
	if (m->references && *m->references) {
		if ((rc = references_value(m->references, &tmp)))
			goto out;
		if (tmp.len)
			g_mime_object_set_header(GMIME_OBJECT(msg),
			    "References", buf_str(&tmp), NULL);
		buf_reset(&tmp);
	}
	/* RFC 3834 for the autoresponders that read it, Exchange's own
	 * header for Outlook's out-of-office replies, which do not */
	if (m->auto_submitted) {
		g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
		    "auto-replied", NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg),
		    "X-Auto-Response-Suppress", "All", NULL);
	}

	body = text_part("plain", m->text);
	if (m->html) {
		mp = GMIME_OBJECT(g_mime_multipart_new_with_subtype(
		    "alternative"));
		g_mime_multipart_add(GMIME_MULTIPART(mp), body);
		g_object_unref(body);
		body = text_part("html", m->html);
		g_mime_multipart_add(GMIME_MULTIPART(mp), body);
		g_object_unref(body);
		body = mp;
	}
	if (m->natt > 0) {
		mp = GMIME_OBJECT(g_mime_multipart_new_with_subtype("mixed"));
		g_mime_multipart_add(GMIME_MULTIPART(mp), body);
		g_object_unref(body);
		for (i = 0; i < m->natt; i++) {
			body = attachment_part(&m->att[i]);
			g_mime_multipart_add(GMIME_MULTIPART(mp), body);
			g_object_unref(body);
		}
		body = mp;
	}
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	body = NULL;

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, s) < 0) {
		rc = TAME_EIO;
		goto out;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	rc = buf_add(out, ba->data, ba->len);
out:
	buf_free(&tmp);
	if (s)
		g_object_unref(s);
	if (fo)
		g_mime_format_options_free(fo);
	if (msg)
		g_object_unref(msg);
	return rc;
}

/* "<32 hex digits>@domain" (without <>), from libsodium's CSPRNG so ids
 * cannot be guessed. Returns malloc'd; NULL on ENOMEM. A missing or
 * malformed domain becomes "localhost". */
char *
mime_new_message_id(const char *domain)
{
	unsigned char rnd[MIME_ID_RANDOM_BYTES];
	char hex[MIME_ID_RANDOM_BYTES * 2 + 1];
	const char *p;
	char *r;
	size_t n;
	int w;

	mime_init();
	if (!domain || !*domain || strlen(domain) > 253)
		domain = "localhost";
	for (p = domain; *p; p++)
		if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '-' ||
		    *p == '_' || *p == '[' || *p == ']' || *p == ':')) {
			domain = "localhost";
			break;
		}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = strlen(hex) + 1 + strlen(domain) + 1;
	if (!(r = malloc(n)))
		return NULL;
	w = snprintf(r, n, "%s@%s", hex, domain);
	if (w < 0 || (size_t)w >= n) {
		free(r);
		return NULL;
	}
	return r;
}
