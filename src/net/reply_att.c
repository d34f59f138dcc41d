/*
 * reply_att.c - a reply's attachments from JSON. See reply_att.h.
 *
 * base64 is RFC 4648 section 4 and is decoded by libsodium's
 * sodium_base642bin() in its strictest form: the standard alphabet,
 * padding required, no characters ignored, and non-zero bits after the
 * last byte refused, so one text decodes to one byte string and a
 * truncated or mangled upload is an error rather than a corrupt file.
 * The decoded size is known from the text's length, so the limits are
 * checked before anything is allocated.
 *
 * File names arrive from browsers and scripts on any system; only the
 * last path component is kept (both '/' and '\' separate), control
 * characters are dropped, and the name is cut at a character boundary.
 * The content type is a bare RFC 2045 type/subtype, lower-cased; no
 * parameters, since they would go into the mail's header as given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include "reply_att.h"
#include "../core/util.h"

/* A file name as the client sends it, path included: generous, but a
 * bound (the kept name is at most TAME_REPLY_ATT_NAME_MAX). */
#define NAME_IN_MAX 4096
/* type/subtype: RFC 6838 caps each at 127 characters. */
#define TYPE_MAX 255

static const char default_type[] = "application/octet-stream";

void
reply_att_free(struct reply_att *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free((char *)a->att[i].filename);
		free((char *)a->att[i].content_type);
		free((void *)a->att[i].data);
	}
	memset(a, 0, sizeof(*a));
}

size_t
reply_att_filename(const char *name, size_t len, char *out, size_t outsz)
{
	const char *p = name, *end = name + len;
	size_t n = 0, i, k;

	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\')
			p = name + i + 1;
	while (p < end) {
		unsigned char c = (unsigned char)*p;

		k = tame_utf8_len((const unsigned char *)p, (size_t)(end - p));
		/* not UTF-8; C0, DEL, and C1 (U+0080..U+009F as 0xC2 0x80
		 * to 0x9F) */
		if (k == 0 || c < 0x20 || c == 0x7f || (c == 0xc2 &&
		    (unsigned char)p[1] < 0xa0)) {
			p += k ? k : 1;
			continue;
		}
		if (n + k >= outsz || n + k > TAME_REPLY_ATT_NAME_MAX)
			break;
		if (n == 0 && c == ' ') {
			p++;
			continue;
		}
		/* as in incoming mail's names (mime_parts.c): "_" */
		if (k > 1 && tame_bidi_control((const unsigned char *)p) ==
		    k) {
			out[n++] = '_';
			p += k;
			continue;
		}
		memcpy(out + n, p, k);
		n += k;
		p += k;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		n = 0;
	out[n] = '\0';
	return n;
}

/* 1 if c may appear in an RFC 2045 token. */
static int
token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* The lower-cased copy of a bare type/subtype (malloc'd, caller frees),
 * or NULL if s is not one. */
static char *
media_type(const char *s, size_t len)
{
	size_t i, slash = 0;
	char *out;

	if (len == 0 || len > TYPE_MAX)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/' && !slash && i > 0) {
			slash = i;
			continue;
		}
		if (!token_char(c))
			return NULL;
	}
	/* a container type would need its own structure (a boundary) */
	if (!slash || slash + 1 == len || (slash == 9 && strncasecmp(s,
	    "multipart", 9) == 0) || (slash == 7 && strncasecmp(s, "message",
	    7) == 0) || !(out = malloc(len + 1)))
		return NULL;
	for (i = 0; i < len; i++)
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	out[len] = '\0';
	return out;
}

/* Bytes that base64 text of len characters decodes to, or (size_t)-1
 * when len cannot be padded base64. */
static size_t
decoded_len(const char *s, size_t len)
{
	size_t n;

	if (len % 4)
		return (size_t)-1;
	n = len / 4 * 3;
	if (len >= 1 && s[len - 1] == '=')
		n--;
	if (len >= 2 && s[len - 2] == '=')
		n--;
	return n;
}

/* Checks and decodes item i of the array into a->att[a->n]. */
static enum tame_err
take_one(const json_t *item, size_t i, struct reply_att *a,
    struct json_body_err *err)
{
	struct mime_out_attachment *m = &a->att[a->n];
	const char *key, *s;
	char name[TAME_REPLY_ATT_NAME_MAX + 1];
	json_t *v, *fn = NULL, *ct = NULL, *data = NULL;
	unsigned char *bin;
	size_t len, want, got = 0;

	if (!json_is_object(item))
		return json_body_fail(err, 400, "invalid_field",
		    "attachments[%zu] must be an object {filename, "
		    "content_type, data}", i);
	json_object_foreach((json_t *)item, key, v) {
		if (strcmp(key, "filename") == 0)
			fn = v;
		else if (strcmp(key, "content_type") == 0)
			ct = v;
		else if (strcmp(key, "data") == 0)
			data = v;
		else
			return json_body_fail(err, 400, "unknown_field",
			    "attachments[%zu]: unknown field \"%.40s\"", i,
			    key);
	}
	if (!fn || !data)
		return json_body_fail(err, 400, "missing_field",
		    "attachments[%zu]: field \"%s\" is required", i,
		    fn ? "data" : "filename");
	if (!json_is_string(fn) || json_string_length(fn) > NAME_IN_MAX)
		return json_body_fail(err, 400, "invalid_field",
		    "attachments[%zu]: field \"filename\" must be a string of "
		    "at most %d bytes", i, NAME_IN_MAX);
	if (!reply_att_filename(json_string_value(fn), json_string_length(fn),
	    name, sizeof(name)))
		return json_body_fail(err, 400, "invalid_field",
		    "attachments[%zu]: field \"filename\" has no usable name",
		    i);
	if (ct && !json_is_null(ct) && !json_is_string(ct))
		return json_body_fail(err, 400, "invalid_field",
		    "attachments[%zu]: field \"content_type\" must be a "
		    "string", i);
	if (!json_is_string(data))
		return json_body_fail(err, 400, "invalid_field",
		    "attachments[%zu] (\"%.60s\"): field \"data\" must be a "
		    "base64 string", i, name);
	s = json_string_value(data);
	len = json_string_length(data);
	if ((want = decoded_len(s, len)) == (size_t)-1)
		return json_body_fail(err, 400, "invalid_field",
		    "attachments[%zu] (\"%.60s\"): \"data\" is not valid "
		    "base64 (its length is not a multiple of 4)", i, name);
	if (want > TAME_REPLY_ATT_BYTES_MAX - a->bytes) {
		json_body_fail(err, 413, "too_large", "attachments are larger "
		    "than %d bytes together", TAME_REPLY_ATT_BYTES_MAX);
		return TAME_ETOOBIG;
	}
	if (json_is_string(ct) && json_string_length(ct) > 0) {
		if (!(m->content_type = media_type(json_string_value(ct),
		    json_string_length(ct))))
			return json_body_fail(err, 400, "invalid_field",
			    "attachments[%zu] (\"%.60s\"): field "
			    "\"content_type\" must be a type/subtype such as "
			    "image/png (not multipart/ or message/)", i, name);
	} else if (!(m->content_type = strdup(default_type))) {
		return TAME_ENOMEM;
	}
	/* Counted from here on, so reply_att_free() frees it. */
	a->n++;
	if (!(m->filename = strdup(name)) ||
	    !(bin = malloc(want ? want : 1)))
		return TAME_ENOMEM;
	m->data = bin;
	if (len && sodium_base642bin(bin, want, s, len, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		got = (size_t)-1;
	if (got != want)
		return json_body_fail(err, 400, "invalid_field",
		    "attachments[%zu] (\"%.60s\"): \"data\" is not valid "
		    "base64 (standard alphabet, padded, no line breaks)", i,
		    name);
	m->len = got;
	a->bytes += got;
	return TAME_OK;
}

enum tame_err
reply_att_take(json_t *body, struct reply_att *out,
    struct json_body_err *err)
{
	json_t *arr = json_object_get(body, "attachments"), *item;
	enum tame_err rc;
	size_t i;

	if (!arr || json_is_null(arr))
		goto done;
	if (!json_is_array(arr))
		return json_body_fail(err, 400, "invalid_field",
		    "field \"attachments\" must be an array of {filename, "
		    "content_type, data}");
	if (json_array_size(arr) > TAME_REPLY_ATT_MAX)
		return json_body_fail(err, 400, "invalid_field",
		    "field \"attachments\" has more than %d files",
		    TAME_REPLY_ATT_MAX);
	json_array_foreach(arr, i, item)
		if ((rc = take_one(item, i, out, err)))
			return rc;
done:
	json_object_del(body, "attachments");
	return TAME_OK;
}
