/*
 * mime_impl.h - the inside of the MIME reader, shared by mime_parse.c
 * (GMime set-up, headers, addresses, salvage of broken mail, the entry
 * point), mime_text.c (clean UTF-8 strings and ids, the plain field
 * scanner, the text of a part) and mime_parts.c (the walk of the MIME
 * tree: bodies, attachments, bounces). Nothing else includes it.
 */
#ifndef TAME_MIME_IMPL_H
#define TAME_MIME_IMPL_H

#include <stddef.h>
#include <gmime/gmime.h>
#include "mime.h"
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

/* Options of every GMime parse: loose modes, UTF-8, windows-1252 and
 * Latin-1 as the fallback charsets. Set once by mime_init(), read-only
 * after. */
extern GMimeParserOptions *mime_popts;

/* --- context of one parse --------------------------------------------- */

struct pctx {
	struct mime_parsed *out;
	GMimeObject *text_part;
	GMimeObject *html_part;
	/* after the body's html: its pictures (as <img src="cid:...">) and
	 * further html parts, in order, which the body's html is joined
	 * with when there is such a part (Apple Mail writes html, picture,
	 * html); tail_end is how far that holds, 0 when no part came */
	GString *html_tail;
	size_t tail_end;
	/* text/plain parts after the body's, outside multipart/alternative
	 * (iPhone and Apple Mail write text, picture, text), joined to it */
	GString *text_tail;
	int in_alternative; /* the part's parent is multipart/alternative */
	/* the multipart/alternative a part is in (a number each, 0 for
	 * none; a related part inside keeps it), and that of the body's
	 * text and html parts: a text part is a stub beside its own html
	 * alternative only (mime_read_bodies) */
	int alt_id, alt_seq, text_alt, html_alt;
	int att_left;       /* attachments past TAME_ATTACHMENTS_MAX */
	int in_report;      /* inside multipart/report; delivery-status */
	/* delivery-status group being read */
	int grp_failed;
	char *grp_status;
	char *grp_diag;
	char *grp_rcpt;     /* Final-Recipient */
	char *grp_orig;     /* Original-Recipient (a forward's first) */
	int rcpts_unknown;  /* the failed list grew too long: not kept */
	int diag_is_failed; /* out->dsn_diagnostic comes from a failed group */
};

/* mime_ewords.c */
struct buf;
/* Base64 encoded words of one charset in a row where one before the
 * last ends in "=" padding (GMime would stop reading there) are made one
 * encoded word, and a word whose label has a larger table is relabelled
 * (mime_charset_superset), in the header blocks of raw. Returns 1 with
 * the mended copy appended to out, 0 when nothing needed it (out
 * untouched), -1 when out of memory. */
int mime_fix_ewords(const char *raw, size_t len, struct buf *out);
/* ISO-2022-JP bytes as the Shift_JIS bytes they stand for, appended to
 * out (to be read as CP932, which has Microsoft's additions to JIS X
 * 0208 that iconv's ISO-2022-JP refuses). -1 for what Shift_JIS cannot
 * hold (JIS X 0212, 8-bit bytes, a broken escape). */
int mime_jis_to_sjis(const unsigned char *p, size_t n, GByteArray *out);

/* mime_text.c */
/* A malloc'd copy of s, repaired to valid UTF-8, cut to max bytes; with
 * oneline, control characters become spaces and the ends are trimmed.
 * NULL only when out of memory (or s is NULL). */
char *mime_clean_str(const char *s, size_t max, int oneline);
/* Takes ownership of a GLib string g and returns it as plain malloc'd
 * UTF-8 text (see mime_clean_str). */
char *mime_take_gstr(char *g, size_t max, int oneline);
/* An id (Message-ID, Content-ID) as we keep it: no <>, no white space
 * or controls, not empty. Returns a malloc'd copy, or NULL if s is not
 * usable (*nomem is set when memory ran out). */
char *mime_clean_id(const char *s, int *nomem);
/* Appends n bytes of p to b, as many as fit under its cap. */
enum tame_err mime_vadd(struct buf *b, const char *p, size_t n);

/* Unfolded "Name: value" fields of a header block or of the field
 * groups of a delivery-status body (RFC 3464 2.1). cb gets each field;
 * at a blank line it gets name NULL, or the scan stops with stop_blank.
 * Bytes may include NULs and anything else. */
typedef enum tame_err (*field_cb)(void *ctx, const char *name, size_t nlen,
    const char *value);
enum tame_err mime_scan_fields(const char *p, size_t len, int stop_blank,
    field_cb cb, void *ctx);
/* Whether the field name (nlen bytes) is want, ignoring case. */
int mime_field_is(const char *name, size_t nlen, const char *want);
/* The iconv name of the larger table mail programs write under charset
 * label cs (n bytes): "WINDOWS-1252" for "iso-8859-1", "CP932" for
 * "shift_jis"...; NULL when the label is read as it is. */
const char *mime_charset_superset(const char *cs, size_t n);
/* The text of a text part in UTF-8, CRLF made LF, cut to TAME_TEXT_MAX.
 * malloc'd; NULL on ENOMEM. */
char *mime_part_text(GMimeObject *obj);

/* mime_parts.c */
/* Walks the MIME tree below obj: finds the bodies, collects the
 * attachments, reads the parts of a bounce into c->out. */
enum tame_err mime_walk_parts(struct pctx *c, GMimeObject *obj, int depth);
/* Reads the text and HTML bodies mime_walk_parts found into c->out. */
enum tame_err mime_read_bodies(struct pctx *c);
/* For a bounce that is not RFC 3464: the first "Message-ID: <id>" line
 * of its body becomes c->out->dsn_original_id. */
void mime_lenient_dsn(struct pctx *c, const char *raw, size_t len);

#endif
