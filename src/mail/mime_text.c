/*
 * mime_text.c - the strings of the MIME reader: every string that leaves
 * it is made valid UTF-8 and cut to its limit here; ids (Message-ID,
 * Content-ID) are checked; a plain scanner reads "Name: value" fields
 * where GMime cannot help (broken mail, delivery-status bodies); and the
 * text of a text part is read in UTF-8, with a fast path for the common
 * part that is UTF-8 already. See mime.h and mime_impl.h.
 *
 * Implements RFC 5322 2.2 (unfolding, in the field scanner) and RFC 3629
 * (what valid UTF-8 is, in the fast path).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime_impl.h"
#include "../core/util.h"

/* --- strings ---------------------------------------------------------- */

/* See mime.h. */
int
mime_addr_listed(const char *list, const char *a)
{
	size_t n = strlen(a);
	const char *p, *e;

	for (p = list; p && *p; p = *e ? e + 2 : e) {
		if (!(e = strstr(p, ", ")))
			e = p + strlen(p);
		if ((size_t)(e - p) == n && strncasecmp(p, a, n) == 0)
			return 1;
	}
	return 0;
}

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
char *
mime_clean_str(const char *s, size_t max, int oneline)
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
 * UTF-8 text (see mime_clean_str). */
char *
mime_take_gstr(char *g, size_t max, int oneline)
{
	char *r = mime_clean_str(g, max, oneline);

	g_free(g);
	return r;
}

/* An id (Message-ID, Content-ID) as we keep it: no <>, no white space
 * or controls, not empty. Returns a malloc'd copy, or NULL if s is not
 * usable (*nomem is set when memory ran out). */
char *
mime_clean_id(const char *s, int *nomem)
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

/* Appends n bytes of p to b, as many as fit under its cap. */
enum tame_err
mime_vadd(struct buf *b, const char *p, size_t n)
{
	if (n > b->max - b->len)
		n = b->max - b->len;
	return buf_add(b, p, n);
}

/* Unfolded "Name: value" fields of p: see mime_impl.h. */
enum tame_err
mime_scan_fields(const char *p, size_t len, int stop_blank, field_cb cb,
    void *ctx)
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
			if (name && (rc = mime_vadd(&v, line, llen)))
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
		if ((rc = mime_vadd(&v, colon, (size_t)(line + llen - colon))))
			goto out;
		/* buf_str of an empty buf is "", never NULL */
	}
	if (name)
		rc = cb(ctx, name, nlen, buf_str(&v));
out:
	buf_free(&v);
	return rc;
}

int
mime_field_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

/* --- text of a part --------------------------------------------------- */

/* Copies n bytes of UTF-8 text from p to o (room for n bytes) with CRLF
 * made LF, checking them on the way, eight ASCII bytes at a time.
 * Returns the bytes written, or -1 when p holds a NUL, a byte that is
 * not UTF-8, or (ascii_only) any byte above 0x7f. */
static ssize_t
utf8_copy_lf(const unsigned char *p, size_t n, char *o, int ascii_only)
{
	const unsigned char *end;
	char *o0 = o;
	uint64_t w;
	size_t k;

	if (n == 0)	/* an empty part may come as (NULL, 0) */
		return 0;
	end = p + n;
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
		if (ascii_only || !(k = tame_utf8_len(p, (size_t)(end - p))))
			return -1;
		memcpy(o, p, k);
		o += k;
		p += k;
	}
	return o - o0;
}

/* The part's content with its transfer encoding undone, in *ba; the
 * stream that holds it (g_object_unref when done), or NULL when the
 * part has none. */
static GMimeStream *
part_bytes(GMimeObject *obj, GByteArray **ba)
{
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
	GMimeStream *s;

	if (!w)
		return NULL;
	s = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, s);
	*ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	return s;
}

/* The fast path of mime_part_text for the common case, a part declared UTF-8
 * (or US-ASCII, or nothing) whose bytes are what it says: the decoded
 * bytes are used as they are, where GMime's own path would run them
 * through iconv from UTF-8 to UTF-8 and check them twice more (a third
 * of the parse time of a plain 4 kB mail). NULL means "take the general
 * path": another charset, invalid bytes, a NUL, or out of memory. */
static char *
part_text_utf8(GMimeObject *obj)
{
	const char *cs = g_mime_object_get_content_type_parameter(obj,
	    "charset");
	GMimeStream *s;
	GByteArray *ba;
	char *r = NULL;
	size_t n;
	ssize_t got;

	if (cs && g_ascii_strcasecmp(cs, "utf-8") != 0 &&
	    g_ascii_strcasecmp(cs, "utf8") != 0 &&
	    g_ascii_strcasecmp(cs, "us-ascii") != 0)
		return NULL;
	if (!(s = part_bytes(obj, &ba)))
		return NULL;
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

/* 1 if charset label cs names UTF-8, US-ASCII or nothing. */
static int
utf8_label(const char *cs)
{
	return !cs || g_ascii_strcasecmp(cs, "utf-8") == 0 ||
	    g_ascii_strcasecmp(cs, "utf8") == 0 ||
	    g_ascii_strcasecmp(cs, "us-ascii") == 0 ||
	    g_ascii_strcasecmp(cs, "ascii") == 0;
}

/* Labels read with a larger table, as browsers do (WHATWG Encoding):
 * mail programs write the larger one's characters under the smaller
 * one's name. Outlook writes windows-1252 as Latin-1 (its euro sign,
 * dashes and curly quotes would be C1 controls), Japanese Windows
 * CP932 as Shift_JIS (①, 髙, ～), Korean Windows CP949 as EUC-KR or
 * ks_c_5601-1987 (똠). */
static const struct {
	const char *label, *as;
} supersets[] = {
	{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
	{ "iso_8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
	{ "l1", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" },
	{ "iso-8859-9", "WINDOWS-1254" }, { "iso8859-9", "WINDOWS-1254" },
	{ "latin5", "WINDOWS-1254" },
	{ "tis-620", "CP874" }, { "iso-8859-11", "CP874" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" },
	{ "sjis", "CP932" }, { "x-sjis", "CP932" }, { "ms_kanji", "CP932" },
	{ "csshiftjis", "CP932" }, { "windows-31j", "CP932" },
	{ "euc-kr", "CP949" }, { "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" }, { "ksc5601", "CP949" },
	{ "ksc_5601", "CP949" }, { "cseuckr", "CP949" },
	{ "windows-949", "CP949" },
};

/* See mime_impl.h. */
const char *
mime_charset_superset(const char *cs, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(supersets) / sizeof(supersets[0]); i++)
		if (strlen(supersets[i].label) == n &&
		    g_ascii_strncasecmp(cs, supersets[i].label, n) == 0)
			return supersets[i].as;
	return NULL;
}

/* The iconv name to decode label cs with: a larger table's name
 * (mime_charset_superset), or GMime's name for it. */
static const char *
decode_as(const char *cs)
{
	const char *as = mime_charset_superset(cs, strlen(cs));

	return as ? as : g_mime_charset_iconv_name(cs);
}

/* The charset an HTML document's <meta> names ("<meta charset=X>" or
 * "content=\"text/html; charset=X\""), in its first 1024 bytes as
 * browsers look, into out; 0 when it names none. A UTF-16 one is not
 * taken (bytes that declare it in ASCII are not UTF-16; browsers read
 * them as UTF-8). */
static int
meta_charset(const unsigned char *d, size_t n, char *out, size_t outsz)
{
	const char *p = (const char *)d, *end = p + (n < 1024 ? n : 1024);
	size_t k;

	for (; end - p > 8; p++) {
		if (g_ascii_strncasecmp(p, "charset=", 8) != 0)
			continue;
		for (p += 8; p < end && (*p == '"' || *p == '\'' || *p == ' ');
		    p++)
			;
		for (k = 0; p < end && k + 1 < outsz && (g_ascii_isalnum(*p) ||
		    *p == '-' || *p == '_' || *p == ':' || *p == '.'); p++)
			out[k++] = *p;
		out[k] = '\0';
		return k > 0;
	}
	return 0;
}

/* The part's bytes (transfer encoding undone) in UTF-8, g_malloc'd: by
 * its label when they are what it says; when they are not (a label
 * that lies, as "utf-8" over Latin-1 bytes), by the bytes: UTF-8 if
 * they are that, else windows-1252, where every byte is a character.
 * Nothing is dropped. NULL for an empty part. */
static char *
part_text_any(GMimeObject *obj)
{
	const char *cs = g_mime_object_get_content_type_parameter(obj,
	    "charset");
	GMimeStream *s;
	GByteArray *ba;
	char *t = NULL, meta[41];
	gsize n, i, k;

	if (!(s = part_bytes(obj, &ba)))
		return NULL;
	n = ba->len;	/* whole: a cut could split a character; the
			 * caller cuts the text */
	/* a UTF-8 label: only its NULs stand in the way (UTF-16 and the
	 * like have NULs of their own, and are converted whole) */
	if (utf8_label(cs)) {
		for (i = k = 0; i < n; i++)
			if (ba->data[i])
				ba->data[k++] = ba->data[i];
		n = k;
	}
	if (n && !utf8_label(cs))
		t = g_convert((const char *)ba->data, (gssize)n, "UTF-8",
		    decode_as(cs), NULL, NULL, NULL);
	/* ISO-2022-JP with Microsoft's additions (㈱, ①): as CP932 */
	if (!t && n && cs && g_ascii_strcasecmp(cs, "iso-2022-jp") == 0) {
		GByteArray *sjis = g_byte_array_new();

		if (mime_jis_to_sjis(ba->data, n, sjis) == 0)
			t = g_convert((const char *)sjis->data,
			    (gssize)sjis->len, "UTF-8", "CP932", NULL, NULL,
			    NULL);
		g_byte_array_unref(sjis);
	}
	if (!t && n && g_utf8_validate((const char *)ba->data, (gssize)n,
	    NULL))
		t = g_strndup((const char *)ba->data, n);
	/* HTML that names its charset only in a <meta> */
	if (!t && n && utf8_label(cs) && g_mime_content_type_is_type(
	    g_mime_object_get_content_type(obj), "text", "html") &&
	    meta_charset(ba->data, n, meta, sizeof(meta)) &&
	    g_ascii_strncasecmp(meta, "utf-16", 6) != 0)
		t = g_convert((const char *)ba->data, (gssize)n, "UTF-8",
		    decode_as(meta), NULL, NULL, NULL);
	if (!t && n)
		t = g_convert((const char *)ba->data, (gssize)n, "UTF-8",
		    "WINDOWS-1252", NULL, NULL, NULL);
	/* windows-1252 leaves five bytes undefined: Latin-1 has them all */
	if (!t && n)
		t = g_convert((const char *)ba->data, (gssize)n, "UTF-8",
		    "ISO-8859-1", NULL, NULL, NULL);
	g_object_unref(s);
	return t;
}

/* format=flowed text (RFC 3676) as the paragraphs it stands for: a
 * line that ends in a space goes on in the next one of its quote
 * depth (with DelSp=yes that space is the sender's, not the text's),
 * and the space that stuffs a line starting with a space, ">" or
 * "From " is taken off. Apple Mail and Thunderbird write it; left as
 * it is, links and words are cut at the sender's line ends. Quoted
 * lines come out as "> " per depth. In place: the text only shrinks,
 * but for the "> " of a quote written ">>" without a space, for which
 * r has room (see mime_part_text). */
static void
unflow(char *r, int delsp)
{
	char *src = strdup(r), *p, *e, *w = r;
	int depth, prev = -1, i;
	size_t n;

	if (!src)
		return;	/* the text stays as sent */
	for (p = src; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		for (depth = 0; p < e && *p == '>'; p++)
			depth++;
		if (p < e && *p == ' ')
			p++;
		n = (size_t)(e - p);
		if (prev != depth) {
			if (prev >= 0)
				*w++ = '\n';
			for (i = 0; i < depth; i++)
				*w++ = '>';
			if (depth)
				*w++ = ' ';
		}
		/* flowed: a trailing space, not the signature's "-- " */
		if (n && p[n - 1] == ' ' &&
		    !(n == 3 && memcmp(p, "-- ", 3) == 0)) {
			memmove(w, p, n - (delsp ? 1 : 0));
			w += n - (delsp ? 1 : 0);
			prev = depth;
			continue;
		}
		memmove(w, p, n);
		w += n;
		if (*e)
			*w++ = '\n';
		prev = -1;
	}
	*w = '\0';
	free(src);
}

/* 1 if text part obj says format=flowed; *delsp from its DelSp. */
static int
is_flowed(GMimeObject *obj, int *delsp)
{
	const char *f = g_mime_object_get_content_type_parameter(obj,
	    "format");
	const char *d = g_mime_object_get_content_type_parameter(obj,
	    "delsp");

	*delsp = d && g_ascii_strcasecmp(d, "yes") == 0;
	return f && g_ascii_strcasecmp(f, "flowed") == 0;
}

/* The text of a text part in UTF-8 (from the declared charset; a label
 * that lies falls back to UTF-8, then windows-1252), CRLF made LF,
 * format=flowed unwrapped, cut to TAME_TEXT_MAX. malloc'd; NULL on
 * ENOMEM. */
char *
mime_part_text(GMimeObject *obj)
{
	char *t, *r, *w;
	const char *p;
	int delsp;

	if ((r = part_text_utf8(obj)) == NULL) {
		if (!(t = part_text_any(obj)))
			return strdup("");
		r = mime_clean_str(t, TAME_TEXT_MAX, 0);
		g_free(t);
		if (!r)
			return NULL;
		for (p = w = r; *p; p++)
			if (!(p[0] == '\r' && p[1] == '\n'))
				*w++ = *p;
		*w = '\0';
	}
	if (is_flowed(obj, &delsp)) {
		/* room for a "> " where ">>" had no space after it */
		size_t n = strlen(r);

		if ((w = realloc(r, n * 2 + 2)) == NULL) {
			free(r);
			return NULL;
		}
		r = w;
		unflow(r, delsp);
	}
	return r;
}
