/*
 * mime_ewords.c - encoded words (RFC 2047) GMime would misread, mended
 * before it reads the message.
 *
 * GMime (3.2, its issue #133) decodes the base64 encoded words of one
 * charset that follow each other as one stream, so a word that ends in
 * "=" padding ends the text there:
 *   Subject: =?UTF-8?B?0J/RgA==?=
 *    =?UTF-8?B?0LjQstC10YI=?=
 * reads "Пр", not "Привет". Mailers that cut at character boundaries
 * (Japanese ones often) write exactly that, in subjects, names and file
 * names. Such a run becomes one encoded word of the joined bytes, which
 * GMime reads right; a run without inner padding is left as it is (it
 * may split a character between words, which GMime joins well).
 *
 * Japanese mail from Windows labels as ISO-2022-JP text that holds
 * Microsoft's additions to JIS X 0208 (row 13: ㈱, ①, ㍉; the NEC and
 * IBM rows), which iconv's ISO-2022-JP refuses: GMime then showed the
 * escape codes, or "?". Such text is moved to the Shift_JIS bytes it
 * stands for (simple arithmetic on the JIS codes) and read as CP932,
 * Microsoft's own table (mime_jis_to_sjis); an encoded word of it is
 * rewritten as one in CP932.
 *
 * An encoded word labelled with a charset whose larger table mail
 * programs write under its name (Latin-1 for windows-1252, Shift_JIS
 * for CP932: mime_charset_superset) is relabelled with the larger one,
 * as its body would be read.
 *
 * Only header blocks are touched: the message's, and each one that
 * follows a line starting with "--" (a MIME boundary) up to its blank
 * line. The raw message is kept as it came; only the copy GMime reads
 * is mended.
 */
#include <string.h>
#include <strings.h>
#include <glib.h>
#include "../core/buf.h"
#include "mime_impl.h"

/* RFC 2047 2: an encoded word is at most 75 characters. */
#define EWORD_CHARSET_MAX 75

struct eword {
	const char *start, *end;    /* "=?" ... "?=" */
	const char *cs;             /* charset, cslen bytes */
	size_t cslen;
	const char *data;           /* encoded text, dlen bytes */
	size_t dlen;
	int b;                      /* base64 ("B"), else "Q" */
};

static int
is_lwsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads the encoded word starting at p (before lim) into w. */
static int
eword_at(const char *p, const char *lim, struct eword *w)
{
	const char *q;

	if (lim - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	w->cs = p + 2;
	for (q = w->cs; q < lim && *q != '?' && !is_lwsp(*q); q++)
		if (q - w->cs > EWORD_CHARSET_MAX)
			return 0;
	if (q == w->cs || lim - q < 5 || *q != '?' || q[2] != '?')
		return 0;
	w->cslen = (size_t)(q - w->cs);
	w->b = q[1] == 'B' || q[1] == 'b';
	if (!w->b && q[1] != 'Q' && q[1] != 'q')
		return 0;
	w->data = q + 3;
	for (q = w->data; q < lim && *q != '?' && !is_lwsp(*q); q++)
		;
	if (lim - q < 2 || q[0] != '?' || q[1] != '=')
		return 0;
	w->dlen = (size_t)(q - w->data);
	w->start = p;
	w->end = q + 2;
	return 1;
}

/* Appends the bytes of base64 word w, decoded on its own. */
static void
add_decoded(GByteArray *bytes, const struct eword *w)
{
	guchar *o = g_malloc(w->dlen / 4 * 3 + 3);
	gint state = 0;
	guint save = 0;
	gsize n;

	n = g_base64_decode_step(w->data, w->dlen, o, &state,
	    &save);
	g_byte_array_append(bytes, o, (guint)n);
	g_free(o);
}

/* See mime_impl.h. JIS X 0208 row r, cell c (0x21..0x7E each) is
 * Shift_JIS ((r + 1) / 2 + 0x70 or 0xB0, c + 0x1F/0x20 or 0x7E). */
int
mime_jis_to_sjis(const unsigned char *p, size_t n, GByteArray *out)
{
	const unsigned char *end = p + n;
	guint8 b[2];
	int mode = 0;	/* 0 ASCII, 1 two-byte JIS, 2 half-width kana */

	while (p < end) {
		if (*p == 0x1b) {
			if (end - p >= 3 && p[1] == '$' &&
			    (p[2] == 'B' || p[2] == '@'))
				mode = 1;
			else if (end - p >= 3 && p[1] == '(' &&
			    (p[2] == 'B' || p[2] == 'J'))
				mode = 0;
			else if (end - p >= 3 && p[1] == '(' && p[2] == 'I')
				mode = 2;
			else
				return -1;	/* JIS X 0212 and the like */
			p += 3;
		} else if (mode == 1 && *p >= 0x21 && *p <= 0x7e) {
			if (end - p < 2 || p[1] < 0x21 || p[1] > 0x7e)
				return -1;
			b[0] = (guint8)(((p[0] + 1) >> 1) +
			    (p[0] <= 0x5e ? 0x70 : 0xb0));
			b[1] = (guint8)(p[1] + ((p[0] & 1) ?
			    (p[1] > 0x5f ? 0x20 : 0x1f) : 0x7e));
			g_byte_array_append(out, b, 2);
			p += 2;
		} else if (mode == 2 && *p >= 0x21 && *p <= 0x5f) {
			b[0] = (guint8)(*p++ + 0x80);
			g_byte_array_append(out, b, 1);
		} else if (*p >= 0x80) {
			return -1;
		} else {
			g_byte_array_append(out, p++, 1);
		}
	}
	return 0;
}

/* 1 when the ISO-2022-JP bytes of b are read only as CP932 (they hold
 * Microsoft's additions): b becomes those CP932 bytes. */
static int
jis_needs_cp932(GByteArray *b)
{
	GByteArray *sjis;
	gchar *t;

	if ((t = g_convert((const gchar *)b->data, b->len, "UTF-8",
	    "ISO-2022-JP", NULL, NULL, NULL))) {
		g_free(t);
		return 0;
	}
	sjis = g_byte_array_new();
	if (mime_jis_to_sjis(b->data, b->len, sjis) == 0 &&
	    (t = g_convert((const gchar *)sjis->data, sjis->len, "UTF-8",
	    "CP932", NULL, NULL, NULL))) {
		g_free(t);
		g_byte_array_set_size(b, 0);
		g_byte_array_append(b, sjis->data, sjis->len);
		g_byte_array_unref(sjis);
		return 1;
	}
	g_byte_array_unref(sjis);
	return 0;
}

/* Mends the runs in the header block [p, lim); what is before a mended
 * run and was not yet copied is copied to out from *copied on. */
static enum tame_err
fix_block(const char *p, const char *lim, const char **copied,
    struct buf *out, int *changed)
{
	struct eword w, first, last;
	const char *q;
	GByteArray *bytes;
	enum tame_err rc = TAME_OK;
	const char *label;
	gchar *b64;
	int inner_pad, cp932;

	while (p < lim && !rc) {
		if (!(q = memmem(p, (size_t)(lim - p), "=?", 2)))
			break;
		if (!eword_at(q, lim, &first)) {
			p = q + 2;
			continue;
		}
		last = first;
		inner_pad = 0;
		bytes = NULL;
		for (;;) {
			for (q = last.end; q < lim && is_lwsp(*q); q++)
				;
			if (!last.b || !eword_at(q, lim, &w) || !w.b ||
			    w.cslen != first.cslen ||
			    strncasecmp(w.cs, first.cs, first.cslen) != 0)
				break;
			if (last.dlen && last.data[last.dlen - 1] == '=')
				inner_pad = 1;
			if (!bytes) {
				bytes = g_byte_array_new();
				add_decoded(bytes, &first);
			}
			add_decoded(bytes, &w);
			last = w;
		}
		cp932 = 0;
		if (first.b && first.cslen == 11 &&
		    strncasecmp(first.cs, "iso-2022-jp", 11) == 0) {
			if (!bytes) {
				bytes = g_byte_array_new();
				add_decoded(bytes, &first);
			}
			cp932 = jis_needs_cp932(bytes);
		}
		label = cp932 ? "CP932" :
		    mime_charset_superset(first.cs, first.cslen);
		if (inner_pad || cp932 || (label && bytes)) {
			b64 = g_base64_encode(bytes->data, bytes->len);
			if (!(rc = buf_add(out, *copied,
			    (size_t)(first.start - *copied))) &&
			    !(rc = buf_add(out, "=?", 2)) &&
			    !(rc = label ? buf_addstr(out, label) :
			    buf_add(out, first.cs, first.cslen)) &&
			    !(rc = buf_add(out, "?B?", 3)) &&
			    !(rc = buf_addstr(out, b64)))
				rc = buf_add(out, "?=", 2);
			g_free(b64);
			*copied = last.end;
			*changed = 1;
		} else if (label) {
			/* one word: only its label changes */
			q = first.cs + first.cslen;
			if (!(rc = buf_add(out, *copied,
			    (size_t)(first.start - *copied))) &&
			    !(rc = buf_add(out, "=?", 2)) &&
			    !(rc = buf_addstr(out, label)))
				rc = buf_add(out, q, (size_t)(first.end - q));
			*copied = first.end;
			*changed = 1;
		}
		if (bytes)
			g_byte_array_unref(bytes);
		p = last.end;
	}
	return rc;
}

/* 1 if the line [p, next) can be a MIME boundary: "--" and at least one
 * more character, no white space inside (a signature's "-- " and
 * "-----Original Message-----" have some; trailing white space is the
 * transport's padding). */
static int
is_boundary_like(const char *p, const char *next)
{
	const char *e = next;

	while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
	    e[-1] == '\t'))
		e--;
	if (e - p < 3 || p[0] != '-' || p[1] != '-')
		return 0;
	for (; p < e; p++)
		if (*p == ' ' || *p == '\t')
			return 0;
	return 1;
}

/* See mime_impl.h. */
int
mime_fix_ewords(const char *raw, size_t len, struct buf *out)
{
	const char *p = raw, *end = raw + len, *nl, *next, *hs = raw;
	const char *copied = raw;
	int in_hdr = 1, changed = 0;
	enum tame_err rc = TAME_OK;

	while (p < end && !rc) {
		nl = memchr(p, '\n', (size_t)(end - p));
		next = nl ? nl + 1 : end;
		if (in_hdr && (*p == '\n' || (*p == '\r' && p + 1 < end &&
		    p[1] == '\n'))) {
			rc = fix_block(hs, p, &copied, out, &changed);
			in_hdr = 0;
		} else if (!in_hdr && is_boundary_like(p, next)) {
			in_hdr = 1;
			hs = next;
		}
		p = next;
	}
	if (!rc && in_hdr)
		rc = fix_block(hs, end, &copied, out, &changed);
	if (!rc && changed)
		rc = buf_add(out, copied, (size_t)(end - copied));
	if (rc)
		return -1;
	return changed;
}
