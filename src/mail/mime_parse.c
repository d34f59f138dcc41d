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
 * every string that leaves the reader is checked to be UTF-8 (and
 * repaired if not), every size is capped by tame_limits.h, and when
 * GMime cannot build a message at all, From, Subject and Message-ID are
 * read by a plain header scanner and the result is marked unparsed.
 *
 * This file sets GMime up, reads the headers and addresses, tells
 * automatic mail, salvages what GMime cannot read, and is the entry
 * point; the walk of the MIME tree is mime_parts.c, the clean strings
 * and the text of a part mime_text.c.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gmime/gmime.h>
#include <sodium.h>
#include "mime_impl.h"
#include "../core/thread.h"
#include "../core/util.h"

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;
GMimeParserOptions *mime_popts;

static void
mime_init_once(void)
{
	static const char *fallback[] = { "utf-8", "windows-1252",
	    "iso-8859-1", NULL };

	g_mime_init();
	if (sodium_init() < 0)
		abort();
	mime_popts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(mime_popts, fallback);
	g_mime_parser_options_set_address_compliance_mode(mime_popts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(mime_popts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(mime_popts,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(mime_popts,
	    TRUE);
}

/* Initialises GMime (and libsodium, for Message-IDs) once per process;
 * any thread may call it any number of times. */
void
mime_init(void)
{
	pthread_once(&mime_once, mime_init_once);
}

/* --- addresses -------------------------------------------------------- */

/* An address as we keep it: lower-cased, UTF-8, no spaces or controls,
 * at most TAME_FIELD_MAX bytes. NULL if unusable; *nomem on ENOMEM.
 * A bidi control becomes U+FFFD (tame_bidi_mark): with one,
 * "<RLO>moc.elpmaxe@oec" showed as ceo@example.com, and left out, as
 * names lose them, "ceo@exam<LRM>ple.com" would become the real
 * ceo@example.com, a participant of the CEO's tickets. So the mail keeps
 * its author, whose address shows as odd as it is ("\uFFFDmoc.elpmaxe@oec");
 * refusing such an address would make the envelope sender the author
 * and drop a Cc, hiding what was tried. */
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
	if (!(r = tame_bidi_mark(s))) {
		*nomem = 1;
		return NULL;
	}
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

/* The decoded display name of m into *out (NULL when it has none),
 * without explicit bidi controls (tame_bidi_control): an override in a
 * name turns "<RLO>Alice" into "ecilA" wherever it is shown, and
 * "<RLO>moc.knab@ecnanif" into an address. Its letters keep their own
 * direction. */
static enum tame_err
clean_name(InternetAddressMailbox *m, char **out)
{
	const char *name = internet_address_get_name(INTERNET_ADDRESS(m));
	char *flat;

	*out = NULL;
	if (!name || !*name)
		return TAME_OK;
	if (!(flat = strdup(name)))
		return TAME_ENOMEM;
	*out = mime_clean_str(tame_bidi_strip(flat), TAME_FIELD_MAX, 1);
	free(flat);
	if (!*out)
		return TAME_ENOMEM;
	if (!**out) {
		free(*out);
		*out = NULL;
	}
	return TAME_OK;
}

static enum tame_err
set_from(struct mime_parsed *o, InternetAddressList *l)
{
	InternetAddressMailbox *m = first_mailbox(l, 0);
	int nomem = 0;

	if (!m || o->from_email)
		return TAME_OK;
	o->from_email = clean_addr(internet_address_mailbox_get_addr(m),
	    &nomem);
	if (nomem)
		return TAME_ENOMEM;
	if (!o->from_email)
		return TAME_OK;
	return clean_name(m, &o->from_name);
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

/* 1 if the local part of addr says nobody reads answers to it
 * (noreply@, no-reply@, donotreply@, do-not-reply@, no_reply@). */
static int
local_is_noreply(const char *addr)
{
	char w[16];
	size_t i, k = 0;

	if (!addr)
		return 0;
	for (i = 0; addr[i] && addr[i] != '@' && k + 1 < sizeof(w); i++)
		if (addr[i] != '-' && addr[i] != '_' && addr[i] != '.')
			w[k++] = (char)(addr[i] | 0x20);
	w[k] = '\0';
	if (addr[i] && addr[i] != '@')
		return 0;
	return strcmp(w, "noreply") == 0 || strcmp(w, "donotreply") == 0;
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

/* 1 for a read receipt (RFC 8098, multipart/report of a disposition
 * notification): Outlook's "Read: ..." answers a reply by itself. */
static int
is_read_receipt(GMimeObject *m)
{
	GMimeObject *body = GMIME_IS_MESSAGE(m) ?
	    g_mime_message_get_mime_part(GMIME_MESSAGE(m)) : m;
	GMimeContentType *ct = body ? g_mime_object_get_content_type(body) :
	    NULL;
	const char *rt;

	return ct && g_mime_content_type_is_type(ct, "multipart", "report") &&
	    (rt = g_mime_content_type_get_parameter(ct, "report-type")) &&
	    g_ascii_strcasecmp(rt, "disposition-notification") == 0;
}

/* How a mail was written: by a person (AUTO_NONE), passed on by a
 * list (AUTO_LIST: RFC 2369/2919 List-* headers, Precedence: list; a
 * person's words that only a list made automatic), sent by a program
 * (AUTO_SENT: RFC 3834 Auto-Submitted: auto-generated, Precedence bulk
 * or junk; a ticketing tool mailing a person's comment, a newsletter:
 * no acknowledgement, but it counts as the sender's word), or sent by
 * a program in answer to a mail on its own (AUTO_ANSWER: Auto-
 * Submitted: auto-replied, Precedence: auto_reply, an autoresponder's
 * own headers, an out-of-office subject on a reply, a mailer-daemon, a
 * null reverse path, a read receipt: quiet, reopens nothing). An
 * explicit "Auto-Submitted: no" is believed over Precedence, the
 * autoresponder headers and the subject. */
enum mime_auto { AUTO_NONE, AUTO_LIST, AUTO_SENT, AUTO_ANSWER };

static enum mime_auto
auto_kind(GMimeObject *m, const struct mime_parsed *o)
{
	GMimeHeaderList *h = g_mime_object_get_header_list(m);
	const char *as = g_mime_object_get_header(m, "Auto-Submitted");
	const char *pr = g_mime_object_get_header(m, "Precedence");
	const char *rp;
	int person = as && value_is(as, "no");
	size_t n;

	if (is_read_receipt(m))
		return AUTO_ANSWER;
	if (local_is_daemon(o->from_email))
		return AUTO_ANSWER;
	if ((rp = g_mime_object_get_header(m, "Return-Path"))) {
		while (*rp == ' ' || *rp == '\t' || *rp == '<')
			rp++;
		n = strlen(rp);
		/* A null reverse path: a bounce or other notification. */
		if (n == 0 || rp[0] == '>' || local_is_daemon(rp))
			return AUTO_ANSWER;
	}
	if (!person && ((as && value_is(as, "auto-replied")) ||
	    (pr && value_is(pr, "auto_reply")) ||
	    g_mime_header_list_contains(h, "X-Autoreply") ||
	    g_mime_header_list_contains(h, "X-Autorespond")))
		return AUTO_ANSWER;
	/* Outlook's out-of-office replies in many set-ups, and older
	 * autoresponders, say so only in their subject; only what answers
	 * a mail counts, as here we cannot yet tell whose mail it answers:
	 * a reply's prefix or a ticket token after the phrase, or the
	 * In-Reply-To or References of a reply */
	if (!person && thread_subject_auto_reply(o->subject,
	    o->in_reply_to != NULL || o->nreferences > 0))
		return AUTO_ANSWER;
	if ((as && !person) || (pr && (value_is(pr, "bulk") ||
	    value_is(pr, "junk")) && !person))
		return AUTO_SENT;
	if ((pr && value_is(pr, "list")) ||
	    g_mime_header_list_contains(h, "List-Id") ||
	    g_mime_header_list_contains(h, "List-Unsubscribe"))
		return AUTO_LIST;
	return AUTO_NONE;
}

/* 1 if header name's value starts with the word "yes", as an upstream
 * filter writes its verdict of spam (SpamAssassin's "X-Spam-Status:
 * Yes, score=12.3 ...", "X-Spam-Flag: YES", rspamd's "X-Spam: Yes"). */
static int
says_yes(GMimeObject *m, const char *name)
{
	const char *v = g_mime_object_get_header(m, name);

	if (!v)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	return strncasecmp(v, "yes", 3) == 0 && !g_ascii_isalnum(v[3]);
}

/* 1 if the mail, though a person's, asks for no automatic answer:
 * Exchange's X-Auto-Response-Suppress (All, OOF, AutoReply, ...), or a
 * sender nobody reads (noreply@: a web form's mail still carries a
 * customer's words, so it is no automatic mail); or an upstream filter
 * called it spam (an answer would confirm the address to a spammer, or
 * go to the stranger a forged From names). */
static int
wants_no_autoreply(GMimeObject *m, const struct mime_parsed *o)
{
	const char *v = g_mime_object_get_header(m, "X-Auto-Response-Suppress");

	return (v && (strcasestr(v, "all") || strcasestr(v, "oof") ||
	    strcasestr(v, "autoreply"))) || local_is_noreply(o->from_email) ||
	    says_yes(m, "X-Spam-Flag") || says_yes(m, "X-Spam-Status") ||
	    says_yes(m, "X-Spam");
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
	if (mime_field_is(name, nlen, "From") && !o->from_email) {
		if ((l = internet_address_list_parse(mime_popts, value))) {
			rc = set_from(o, l);
			g_object_unref(l);
		}
	} else if (mime_field_is(name, nlen, "Subject") && !*o->subject) {
		s = mime_take_gstr(g_mime_utils_header_decode_text(mime_popts,
		    value), TAME_SUBJECT_MAX, 1);
		if (!s)
			return TAME_ENOMEM;
		free(o->subject);
		o->subject = s;
	} else if (mime_field_is(name, nlen, "Message-ID") && !o->message_id) {
		s = g_mime_utils_decode_message_id(value);
		o->message_id = mime_clean_id(s, &nomem);
		g_free(s);
		if (nomem)
			rc = TAME_ENOMEM;
	}
	return rc;
}

/* The List-Id (RFC 2919: what is between its angle brackets, the
 * phrase before them left out) and X-Original-Sender (where Google
 * Groups keeps the author of a mail whose From it rewrote), lower-cased,
 * into o; ingest.c tells a group of our own by them. */
static enum tame_err
read_list_headers(struct mime_parsed *o, GMimeObject *m)
{
	InternetAddressList *l;
	InternetAddressMailbox *mb;
	const char *v, *lt, *gt;
	char *id;
	int nomem = 0;

	if ((v = g_mime_object_get_header(m, "List-Id")) &&
	    (lt = strrchr(v, '<')) && (gt = strchr(lt, '>'))) {
		if (!(id = tame_strndup(lt + 1, (size_t)(gt - lt - 1))))
			return TAME_ENOMEM;
		o->list_id = clean_addr(id, &nomem);
		free(id);
		if (nomem)
			return TAME_ENOMEM;
	}
	if ((v = g_mime_object_get_header(m, "X-Original-Sender")) &&
	    (l = internet_address_list_parse(mime_popts, v))) {
		if ((mb = first_mailbox(l, 0)))
			o->original_sender = clean_addr(
			    internet_address_mailbox_get_addr(mb), &nomem);
		g_object_unref(l);
		if (nomem)
			return TAME_ENOMEM;
	}
	return TAME_OK;
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

	o->message_id = mime_clean_id(g_mime_message_get_message_id(msg),
	    &nomem);
	if (nomem)
		return TAME_ENOMEM;
	if ((v = g_mime_message_get_subject(msg))) {
		if (!(s = mime_clean_str(v, TAME_SUBJECT_MAX, 1)))
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
		if (o->reply_to && (rc = clean_name(rt, &o->reply_to_name)))
			return rc;
	}
	if ((rc = read_list_headers(o, m)))
		return rc;
	if ((dt = g_mime_message_get_date(msg)))
		o->date_ms = (int64_t)g_date_time_to_unix(dt) * 1000 +
		    g_date_time_get_microsecond(dt) / 1000;

	if ((v = g_mime_object_get_header(m, "In-Reply-To"))) {
		refs = g_mime_references_parse(mime_popts, v);
		if (refs && g_mime_references_length(refs) > 0)
			o->in_reply_to = mime_clean_id(
			    g_mime_references_get_message_id(refs, 0), &nomem);
		if (refs)
			g_mime_references_free(refs);
		if (nomem)
			return TAME_ENOMEM;
	}
	if ((v = g_mime_object_get_header(m, "References")) &&
	    (refs = g_mime_references_parse(mime_popts, v))) {
		cnt = g_mime_references_length(refs);
		start = cnt > TAME_REFERENCES_MAX ? cnt - TAME_REFERENCES_MAX : 0;
		for (i = start, rc = TAME_OK; i < cnt && !rc; i++) {
			s = mime_clean_id(g_mime_references_get_message_id(refs,
			    i), &nomem);
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

/* Hashes p..end into st with CRLF read as LF and the line breaks at
 * the end left out (an mbox and SMTP hand over the same message
 * differently). */
static void
hash_lf(crypto_generichash_state *st, const char *p, const char *end)
{
	const char *cr;
	size_t n;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	while (p < end) {
		if (!(cr = memchr(p, '\r', (size_t)(end - p))))
			cr = end;
		/* up to a CRLF's CR, or through a lone CR */
		n = (size_t)(cr - p) + (cr < end && (cr + 1 == end ||
		    cr[1] != '\n'));
		crypto_generichash_update(st, (const unsigned char *)p, n);
		p = cr < end ? cr + 1 : end;
	}
}

/* A message without a Message-ID but with a Date is known by its
 * content: a hash of the bytes after our trace headers, which differ
 * between deliveries. So the same message imported twice (a re-read
 * mbox, a recreated IMAP folder) is stored once, like one that has a
 * Message-ID. */
static enum tame_err
content_id(struct mime_parsed *o, const char *raw, size_t len)
{
	crypto_generichash_state st;
	unsigned char h[16];
	char hex[sizeof(h) * 2 + 1];
	size_t n;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	hash_lf(&st, raw + trace_len(raw, len), raw + len);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	n = sizeof(hex) + strlen(MIME_CONTENT_ID_AT);
	if (!(o->message_id = malloc(n)))
		return TAME_ENOMEM;
	snprintf(o->message_id, n, "%s%s", hex, MIME_CONTENT_ID_AT);
	return TAME_OK;
}

/* Where the body of the n bytes at p starts: after the header block's
 * blank line, or NULL when there is none. */
static const char *
body_start(const char *p, size_t n)
{
	const char *b;

	if ((b = memmem(p, n, "\r\n\r\n", 4)))
		return b + 4;
	return (b = memmem(p, n, "\n\n", 2)) ? b + 2 : NULL;
}

/* The first Date: of a header block, its white space squeezed (a relay
 * may fold it anew), for mime_fingerprint. */
struct fp_date {
	char v[256];
	size_t n;
	int seen;
};

static enum tame_err
fp_date_cb(void *ctx, const char *name, size_t nlen, const char *value)
{
	struct fp_date *d = ctx;

	if (d->seen || !mime_field_is(name, nlen, "Date"))
		return TAME_OK;
	d->seen = 1;
	for (; *value && d->n < sizeof(d->v); value++) {
		int ws = *value == ' ' || *value == '\t' || *value == '\r';

		if (!ws || (d->n > 0 && d->v[d->n - 1] != ' '))
			d->v[d->n++] = ws ? ' ' : *value;
	}
	while (d->n > 0 && d->v[d->n - 1] == ' ')
		d->n--;
	return TAME_OK;
}

/* See mime.h. Without a Date, the body: after the header block, or
 * without one the whole message after our trace headers. */
enum tame_err
mime_fingerprint(const char *raw, size_t len,
    unsigned char out[MIME_FINGERPRINT_LEN])
{
	crypto_generichash_state st;
	struct fp_date d;
	const char *p = raw + trace_len(raw, len), *body;
	enum tame_err rc;

	memset(&d, 0, sizeof(d));
	if ((rc = mime_scan_fields(raw, len, 1, fp_date_cb, &d)))
		return rc;
	crypto_generichash_init(&st, NULL, 0, MIME_FINGERPRINT_LEN);
	if (d.n > 0) {
		crypto_generichash_update(&st, (const unsigned char *)"D", 1);
		crypto_generichash_update(&st, (const unsigned char *)d.v,
		    d.n);
	} else {
		body = body_start(p, (size_t)(raw + len - p));
		crypto_generichash_update(&st, (const unsigned char *)"B", 1);
		hash_lf(&st, body ? body : p, raw + len);
	}
	crypto_generichash_final(&st, out, MIME_FINGERPRINT_LEN);
	return TAME_OK;
}

/* Says at the end of the text and the HTML how many attachments past
 * TAME_ATTACHMENTS_MAX are not kept apart: an agent must not take the
 * files shown for all of them. */
static enum tame_err
say_att_left(struct mime_parsed *o, int n)
{
	char note[160], *t;
	size_t tl, nl;

	snprintf(note, sizeof(note), "[%d more attachment%s not shown; "
	    "\"View original\" has %s.]", n, n == 1 ? " is" : "s are",
	    n == 1 ? "it" : "them");
	nl = strlen(note);
	tl = strlen(o->text);
	if (!(t = malloc(tl + nl + 3)))
		return TAME_ENOMEM;
	snprintf(t, tl + nl + 3, "%s%s%s", o->text, tl ? "\n\n" : "", note);
	free(o->text);
	o->text = t;
	if (o->html) {
		tl = strlen(o->html);
		if (!(t = malloc(tl + nl + 8)))
			return TAME_ENOMEM;
		snprintf(t, tl + nl + 8, "%s<p>%s</p>", o->html, note);
		free(o->html);
		o->html = t;
	}
	return TAME_OK;
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
	if (headers_ok && (body = body_start(p, n))) {
		n -= (size_t)(body - p);
		p = body;
	}
	if (n > TAME_TEXT_MAX)
		n = TAME_TEXT_MAX;
	if (!(copy = tame_strndup(p, n)))
		return TAME_ENOMEM;
	t = mime_clean_str(copy, TAME_TEXT_MAX, 0);
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
	enum mime_auto kind;
	struct buf nonul, mended;

	mime_init();
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.html_tail = g_string_new(NULL);
	c.text_tail = g_string_new(NULL);
	if (!raw)
		len = 0;
	buf_init(&nonul, (size_t)TAME_SMTP_MESSAGE_MAX * 3 + 16);
	buf_init(&mended, (size_t)TAME_SMTP_MESSAGE_MAX * 3 + 16);
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
	switch (len > 0 ? mime_fix_ewords(raw, len, &mended) : 0) {
	case -1:
		rc = TAME_ENOMEM;
		goto out;
	case 1:
		raw = mended.data;
		len = mended.len;
		break;
	}
	if (!(out->subject = strdup("")) || !(out->text = strdup(""))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	if (len > 0) {
		stream = g_mime_stream_mem_new_with_buffer(raw, len);
		parser = g_mime_parser_new_with_stream(stream);
		msg = g_mime_parser_construct_message(parser, mime_popts);
	}
	if (!msg || g_mime_header_list_get_count(
	    g_mime_object_get_header_list(GMIME_OBJECT(msg))) == 0) {
		/* Nothing GMime recognises as a message: read what a
		 * header scan can find, keep any body text. */
		out->unparsed = 1;
		if (len > 0 && (rc = mime_scan_fields(raw, len, 1, salvage_cb,
		    out)))
			goto out;
	}
	if (msg) {
		if ((rc = read_headers(out, msg)))
			goto out;
		if ((rc = mime_walk_parts(&c, g_mime_message_get_mime_part(msg),
		    0)))
			goto out;
		if ((rc = mime_read_bodies(&c)) || (c.att_left &&
		    (rc = say_att_left(out, c.att_left))))
			goto out;
		kind = auto_kind(GMIME_OBJECT(msg), out);
		out->auto_submitted = kind != AUTO_NONE;
		out->auto_reply = kind == AUTO_ANSWER;
		out->list_only = kind == AUTO_LIST;
		out->asks_no_autoreply = wants_no_autoreply(GMIME_OBJECT(msg),
		    out);
		out->no_autoreply = out->auto_submitted ||
		    out->asks_no_autoreply;
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
		mime_lenient_dsn(&c, raw, len);
		if (out->dsn_original_id) {
			out->is_dsn = 1;
			/* A warning about delay is not a failure. */
			out->dsn_failed = !strcasestr(out->subject, "delay") &&
			    !strcasestr(out->subject, "warning");
		}
	}
	if (out->is_dsn) {
		out->auto_submitted = out->no_autoreply = out->auto_reply = 1;
		out->list_only = 0;
	}
	/* with a Date, the same bytes are the same message; without one,
	 * a script's second "disk full" alert is another */
	if (!out->message_id && out->date_ms && len > 0)
		rc = content_id(out, raw, len);
out:
	free(c.grp_status);
	free(c.grp_diag);
	free(c.grp_rcpt);
	free(c.grp_orig);
	if (c.html_tail)
		g_string_free(c.html_tail, TRUE);
	if (c.text_tail)
		g_string_free(c.text_tail, TRUE);
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	buf_free(&nonul);
	buf_free(&mended);
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
	free(p->reply_to_name);
	free(p->list_id);
	free(p->original_sender);
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
	free(p->dsn_failed_rcpts);
	memset(p, 0, sizeof(*p));
}
