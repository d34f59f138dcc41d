/*
 * text.c - the text pipeline: cut quoted history, signatures and footers,
 * then tokens, folding (utf8proc), the language (lang.c), stop words and
 * Snowball stems (libstemmer), terms and word pairs. See text.h for the
 * model.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include <libstemmer.h>
#include "lang.h"
#include "search_words.h"
#include "text.h"
#include "util.h"

struct text_pipeline {
	/* one per language, made the first time a text needs it */
	struct sb_stemmer *stem[LANG_COUNT];
	unsigned tried; /* bit 1u << lang: sb_stemmer_new was called */
};

/* Words are folded by search_fold(), the rule of the search index
 * (search_words.h): compatibility forms, case fold, accents of the
 * alphabetic scripts dropped (café is cafe) but not the marks that make
 * another letter (パ, й), default-ignorable code points dropped. One
 * rule for both, so a word on a trend label finds its tickets. */
/* Folding can grow a word ("ß" -> "ss", ligatures): room for that. */
#define FOLD_CP_MAX (TEXT_WORD_MAX * 3)

/* Snowball's English stop list with the contractions written without
 * apostrophe and greetings that say nothing about a problem. Sorted by
 * bytes for bsearch. */
static const char *const stop_words[] = {
	"a", "about", "above", "after", "again", "against", "all", "also",
	"am", "an", "and", "any", "are", "aren't", "as", "at", "be",
	"because", "been", "before", "being", "below", "between", "both",
	"but", "by", "can", "can't", "cannot", "cant", "could", "couldn't",
	"dear", "did", "didn't", "didnt", "do", "does", "doesn't", "doesnt",
	"doing", "don't", "dont", "down", "during", "each", "few", "for",
	"from", "further", "get", "got", "had", "hadn't", "has", "hasn't",
	"have", "haven't", "having", "he", "he'd", "he'll", "he's", "hello",
	"her", "here", "here's", "hers", "herself", "hi", "him", "himself",
	"his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "im",
	"in", "into", "is", "isn't", "isnt", "it", "it's", "its", "itself",
	"ive", "just", "let's", "may", "me", "might", "more", "most", "must",
	"mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on",
	"once", "only", "or", "other", "ought", "our", "ours", "ourselves",
	"out", "over", "own", "please", "same", "shall", "shan't", "she",
	"she'd", "she'll", "she's", "should", "shouldn't", "so", "some",
	"such", "than", "that", "that's", "the", "their", "theirs", "them",
	"themselves", "then", "there", "there's", "these", "they", "they'd",
	"they'll", "they're", "they've", "this", "those", "through", "to",
	"too", "under", "until", "up", "us", "very", "was", "wasn't", "we",
	"we'd", "we'll", "we're", "we've", "were", "weren't", "what",
	"what's", "when", "when's", "where", "where's", "which", "while",
	"who", "who's", "whom", "why", "why's", "will", "with", "won't",
	"wont", "would", "wouldn't", "you", "you'd", "you'll", "you're",
	"you've", "your", "yours", "yourself", "yourselves",
};

const char *const *
text_stop_words(size_t *n)
{
	*n = sizeof(stop_words) / sizeof(stop_words[0]);
	return stop_words;
}

int
text_is_stop(const char *w)
{
	return bsearch(w, stop_words, sizeof(stop_words) / sizeof(stop_words[0]),
	    sizeof(stop_words[0]), tame_strp_cmp) != NULL;
}

struct text_pipeline *
text_pipeline_new(void)
{
	struct text_pipeline *tp;

	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return NULL;
	tp->stem[LANG_EN] = sb_stemmer_new(lang_stemmer(LANG_EN), NULL);
	tp->tried = 1u << LANG_EN;
	if (!tp->stem[LANG_EN]) {
		free(tp);
		return NULL;
	}
	return tp;
}

void
text_pipeline_free(struct text_pipeline *tp)
{
	int l;

	if (!tp)
		return;
	for (l = 0; l < LANG_COUNT; l++)
		if (tp->stem[l])
			sb_stemmer_delete(tp->stem[l]);
	free(tp);
}

/* The stemmer of l, made at its first use; English's when libstemmer
 * cannot make it (no memory: the text is still read, stemmed as
 * English). */
static struct sb_stemmer *
stemmer_of(struct text_pipeline *tp, enum lang l)
{
	if ((unsigned)l >= LANG_COUNT)
		l = LANG_EN;
	if (!tp->stem[l] && !(tp->tried & (1u << l))) {
		tp->tried |= 1u << l;
		tp->stem[l] = sb_stemmer_new(lang_stemmer(l), NULL);
	}
	return tp->stem[l] ? tp->stem[l] : tp->stem[LANG_EN];
}

/* ---- the cut ---------------------------------------------------------- */

/* A line with leading and trailing white space (and the CR) removed. */
struct line {
	const char *p;
	size_t len;
	size_t start; /* offset of the raw line in the text */
	size_t end;   /* offset after its LF */
};

static int
has_prefix(const struct line *l, const char *pfx)
{
	size_t n = strlen(pfx);

	return l->len >= n && strncasecmp(l->p, pfx, n) == 0;
}

static int
has_suffix(const struct line *l, const char *sfx)
{
	size_t n = strlen(sfx);

	return l->len >= n && strncasecmp(l->p + l->len - n, sfx, n) == 0;
}

static int
has_any_prefix(const struct line *l, const char *const *pfx)
{
	for (; *pfx; pfx++)
		if (has_prefix(l, *pfx))
			return 1;
	return 0;
}

static int
is_exactly(const struct line *l, const char *w)
{
	return l->len == strlen(w) && strncasecmp(l->p, w, l->len) == 0;
}

/* "On Tue, 3 Mar 2026 at 10:02, Ann <ann@example.org> wrote:" and its
 * German, French, Spanish, Italian and Scandinavian forms. */
static int
is_attribution(const struct line *l)
{
	static const char *const verbs[] = { "wrote:", "schrieb:",
		"a \xc3\xa9" "crit :", "a \xc3\xa9" "crit:", "escribi\xc3\xb3:",
		"ha scritto:", "skrev:", "napisa\xc5\x82:", "schreef:", NULL };
	size_t i;

	if (l->len > 400)
		return 0;
	for (i = 0; verbs[i]; i++)
		if (has_suffix(l, verbs[i]))
			return 1;
	/* German puts the name last: "Am 03.03.2026 schrieb Ann <a@b>:". */
	if (!has_prefix(l, "am ") || !has_suffix(l, ":"))
		return 0;
	for (i = 0; i + 9 <= l->len; i++)
		if (strncasecmp(l->p + i, " schrieb ", 9) == 0)
			return 1;
	return 0;
}

static int
is_dash_marker(const struct line *l, const char *what)
{
	size_t n = strlen(what), i;

	if (l->len < n + 4 || l->p[0] != '-' || l->len > 120)
		return 0;
	for (i = 0; i + n <= l->len; i++)
		if (strncasecmp(l->p + i, what, n) == 0)
			return 1;
	return 0;
}

static enum text_cut_kind
strong_marker(const struct line *l)
{
	static const char *const sent[] = { "sent from my ", "sent from mail for",
		"sent from outlook", "sent from yahoo mail", "get outlook for",
		"sent with proton", "sent via ", "envoy\xc3\xa9 de mon ",
		"von meinem ", NULL };
	static const char *const footer[] = { "this email and any",
		"this e-mail and any", "this message and any",
		"this email is confidential", "this e-mail is confidential",
		"this message is confidential", "this email may contain",
		"this e-mail may contain", "this message may contain",
		"the information contained in this",
		"the information in this email", "confidentiality notice",
		"confidentiality note", "privileged and confidential",
		"disclaimer:", "please consider the environment before", NULL };

	if (is_dash_marker(l, "forwarded message") ||
	    has_prefix(l, "begin forwarded message"))
		return TEXT_CUT_FORWARD;
	if (is_dash_marker(l, "original message"))
		return TEXT_CUT_ORIGINAL;
	if (is_attribution(l))
		return TEXT_CUT_QUOTE;
	if (is_exactly(l, "--") || is_exactly(l, "-- ") || is_exactly(l, "__"))
		return TEXT_CUT_SIGNATURE;
	if (has_any_prefix(l, sent))
		return TEXT_CUT_SIGNATURE;
	if (has_any_prefix(l, footer))
		return TEXT_CUT_FOOTER;
	return TEXT_CUT_NONE;
}

/* "Kind regards," alone on its line: what follows is a name. */
static int
is_closer(const struct line *l)
{
	static const char *const closers[] = { "regards", "best regards",
		"kind regards", "warm regards", "warmest regards", "best wishes",
		"best", "cheers", "sincerely", "yours sincerely", "yours truly",
		"yours faithfully", "thanks", "thank you", "many thanks",
		"thanks in advance", "thank you in advance", "thanks again",
		"thank you again", "thanks for your help",
		"thank you for your help", "thanks for the help",
		"thanks for your time", "thank you for your time", "thx", "br",
		"mit freundlichen gr\xc3\xbc\xc3\x9f" "en", "cordialement",
		"saludos", NULL };
	size_t i, n = l->len;

	while (n > 0 && (l->p[n - 1] == ',' || l->p[n - 1] == '!' ||
	    l->p[n - 1] == '.'))
		n--;
	for (i = 0; closers[i]; i++)
		if (n == strlen(closers[i]) &&
		    strncasecmp(l->p, closers[i], n) == 0)
			return 1;
	return 0;
}

static void
next_line(const char *s, size_t len, size_t *pos, struct line *l)
{
	const char *nl;
	size_t e;

	l->start = *pos;
	nl = memchr(s + *pos, '\n', len - *pos);
	e = nl ? (size_t)(nl - s) : len;
	l->end = nl ? e + 1 : len;
	l->p = s + *pos;
	l->len = e - *pos;
	while (l->len > 0 && (l->p[0] == ' ' || l->p[0] == '\t')) {
		l->p++;
		l->len--;
	}
	while (l->len > 0 && (l->p[l->len - 1] == ' ' ||
	    l->p[l->len - 1] == '\t' || l->p[l->len - 1] == '\r'))
		l->len--;
	*pos = l->end;
}

/* An Outlook reply header without a divider: "From:" then, within three
 * lines, "Sent:" or "Date:"; also in German, French, Spanish, Italian,
 * Dutch, Scandinavian and Polish (French puts a space before the
 * colon). */
static int
is_header_block(const char *s, size_t len, const struct line *l)
{
	static const char *const from[] = { "from:", "von:", "de:", "de :",
		"da:", "van:", "fra:", "fr\xc3\xa5n:", "od:", NULL };
	static const char *const sent[] = { "sent:", "date:", "gesendet:",
		"datum:", "envoy\xc3\xa9 :", "envoy\xc3\xa9:", "enviado:",
		"enviado el:",
		"fecha:", "inviato:", "verzonden:", "sendt:", "skickat:",
		"wys\xc5\x82" "ano:", NULL };
	struct line m;
	size_t pos = l->end;
	int i;

	if (!has_any_prefix(l, from))
		return 0;
	for (i = 0; i < 3 && pos < len; i++) {
		next_line(s, len, &pos, &m);
		if (has_any_prefix(&m, sent))
			return 1;
	}
	return 0;
}

/* Outlook's line of underscores before a From:/Sent: block. */
static int
is_outlook_divider(const char *s, size_t len, const struct line *l)
{
	struct line n;
	size_t pos = l->end;

	if (l->len < 10 || l->p[0] != '_' || l->p[l->len - 1] != '_' ||
	    pos >= len)
		return 0;
	next_line(s, len, &pos, &n);
	return is_header_block(s, len, &n);
}

size_t
text_cut(const char *s, size_t len, enum text_cut_kind *kind)
{
	struct line l, prev;
	size_t pos = 0, qstart = (size_t)-1, closer_end = (size_t)-1;
	size_t lines = 0, cut = len;
	int after_closer = 0, have_prev = 0;
	enum text_cut_kind k = TEXT_CUT_NONE, m;

	if (!s)
		len = 0;
	memset(&prev, 0, sizeof(prev));
	while (pos < len && lines++ < TEXT_CUT_LINES_MAX) {
		next_line(s, len, &pos, &l);
		m = strong_marker(&l);
		if (m == TEXT_CUT_NONE && (is_header_block(s, len, &l) ||
		    is_outlook_divider(s, len, &l)))
			m = TEXT_CUT_ORIGINAL;
		if (m != TEXT_CUT_NONE) {
			cut = l.start;
			/* Gmail wraps a long attribution: "On ... Ann" / "<a@b> wrote:". */
			if (m == TEXT_CUT_QUOTE && have_prev && has_prefix(&prev, "on ") &&
			    !has_prefix(&l, "on ") && prev.start < cut)
				cut = prev.start;
			k = m;
			break;
		}
		if (l.len > 0 && l.p[0] == '>') {
			if (qstart == (size_t)-1)
				qstart = l.start;
		} else if (l.len > 0) {
			qstart = (size_t)-1;
			if (closer_end != (size_t)-1) {
				/* A signature is a few short lines, not a paragraph. */
				if (++after_closer > 6 || l.len > 80)
					closer_end = (size_t)-1;
			} else if (is_closer(&l)) {
				closer_end = l.end;
				after_closer = 0;
			}
		}
		if (l.len > 0) {
			prev = l;
			have_prev = 1;
		}
	}
	if (qstart != (size_t)-1 && qstart < cut) {
		cut = qstart;
		k = TEXT_CUT_QUOTE;
	}
	if (closer_end != (size_t)-1 && closer_end < cut) {
		cut = closer_end;
		k = TEXT_CUT_SIGNATURE;
	}
	if (kind)
		*kind = cut < len ? k : TEXT_CUT_NONE;
	return cut;
}

size_t
text_closing(const char *s, size_t len)
{
	struct line l, last;
	size_t pos = 0;
	int lines = 0;

	/* the last line that is not blank, and whether one came before */
	while (s && pos < len) {
		next_line(s, len, &pos, &l);
		if (l.len > 0) {
			last = l;
			lines++;
		}
	}
	return lines > 1 && is_closer(&last) ? last.start : len;
}

/* ---- tokens and terms ------------------------------------------------- */

/* The arena holds the strings of at most TEXT_TOKENS_MAX tokens. */
#define ARENA_MAX ((size_t)TEXT_TOKENS_MAX * (FOLD_CP_MAX * 4 + 2) * 4)

void
text_doc_init(struct text_doc *d)
{
	memset(d, 0, sizeof(*d));
	buf_init(&d->arena, ARENA_MAX);
}

void
text_doc_free(struct text_doc *d)
{
	free(d->tok);
	free(d->term_off);
	free(d->disp_off);
	buf_free(&d->arena);
	text_doc_init(d);
}

static void
doc_reset(struct text_doc *d)
{
	d->new_len = 0;
	d->cut = TEXT_CUT_NONE;
	d->ntok = 0;
	d->nterm = 0;
	d->nuni = 0;
	d->truncated = 0;
	d->lang = LANG_EN;
	buf_reset(&d->arena);
}

static enum tame_err
arena_add(struct text_doc *d, const void *p, size_t n, uint32_t *off)
{
	enum tame_err rc;

	*off = (uint32_t)d->arena.len;
	if ((rc = buf_add(&d->arena, p, n)))
		return rc;
	return buf_add(&d->arena, "", 1);
}

static enum tame_err
add_term(struct text_doc *d, uint32_t off, uint32_t disp)
{
	uint32_t *t;
	size_t ncap;

	if (d->nterm == d->term_cap) {
		ncap = d->term_cap ? d->term_cap * 2 : 64;
		t = realloc(d->term_off, ncap * sizeof(*t));
		if (!t)
			return TAME_ENOMEM;
		d->term_off = t;
		t = realloc(d->disp_off, ncap * sizeof(*t));
		if (!t)
			return TAME_ENOMEM;
		d->disp_off = t;
		d->term_cap = ncap;
	}
	d->term_off[d->nterm] = off;
	d->disp_off[d->nterm++] = disp;
	return TAME_OK;
}

/* Appends "a b" to the arena. */
static enum tame_err
add_pair(struct text_doc *d, struct buf *pair, uint32_t a, uint32_t b,
    uint32_t *off)
{
	enum tame_err rc;

	buf_reset(pair);
	if ((rc = buf_addstr(pair, d->arena.data + a)) ||
	    (rc = buf_add(pair, " ", 1)) ||
	    (rc = buf_addstr(pair, d->arena.data + b)))
		return rc;
	return arena_add(d, pair->data, pair->len, off);
}

/* Folds the word w (wlen bytes of valid UTF-8), appends the token and
 * counts its vote for the language; stop_and_stem() finishes it once
 * the language of the whole text is known. A word that folds to nothing
 * is dropped. */
static enum tame_err
emit_word(struct lang_votes *votes, struct text_doc *d, const char *w,
    size_t wlen, size_t src_off, int digit, int brk)
{
	int32_t cp[FOLD_CP_MAX + 1];
	long n;
	struct text_token *t;
	const char *norm;
	size_t ncap;
	enum tame_err rc;

	n = search_fold(w, wlen, cp, FOLD_CP_MAX, NULL);
	if (n <= 0)
		return TAME_OK;
	norm = (const char *)cp;
	if (d->ntok == d->tok_cap) {
		ncap = d->tok_cap ? d->tok_cap * 2 : 64;
		if (ncap > TEXT_TOKENS_MAX)
			ncap = TEXT_TOKENS_MAX;
		t = realloc(d->tok, ncap * sizeof(*t));
		if (!t)
			return TAME_ENOMEM;
		d->tok = t;
		d->tok_cap = ncap;
	}
	t = &d->tok[d->ntok];
	memset(t, 0, sizeof(*t));
	t->src_off = (uint32_t)src_off;
	t->src_len = (uint32_t)wlen;
	t->norm_len = (uint16_t)n;
	if ((rc = arena_add(d, norm, (size_t)n, &t->norm_off)))
		return rc;
	if (digit)
		t->flags |= TEXT_TOK_NUM;
	else
		/* a word that starts the text, a sentence or a line may be
		 * written with a capital; within a sentence a capital
		 * starts a name */
		lang_vote(votes, d->arena.data + t->norm_off, w, wlen,
		    brk || d->ntok == 0);
	if (brk)
		t->flags |= TEXT_TOK_BREAK;
	d->ntok++;
	return TAME_OK;
}

/* Marks the stop words of the tokens, English's and those of the text's
 * language, and stems them with its stemmer. French and Italian lose
 * an elided article first: "l'application" is "application". */
static enum tame_err
stop_and_stem(struct text_pipeline *tp, struct text_doc *d)
{
	struct sb_stemmer *sb = stemmer_of(tp, d->lang);
	struct text_token *t;
	const sb_symbol *st;
	const char *norm;
	size_t i, k;
	int slen;
	enum tame_err rc;

	for (i = 0; i < d->ntok; i++) {
		t = &d->tok[i];
		norm = d->arena.data + t->norm_off;
		if (d->lang != LANG_EN && (k = lang_elision(d->lang, norm))) {
			t->norm_off += (uint32_t)k;
			t->norm_len -= (uint16_t)k;
			norm += k;
		}
		if (text_is_stop(norm) ||
		    (d->lang != LANG_EN && lang_is_stop(d->lang, norm)))
			t->flags |= TEXT_TOK_STOP;
		if (t->flags & TEXT_TOK_NUM) {
			t->stem_off = t->norm_off;
			t->stem_len = t->norm_len;
			continue;
		}
		st = sb_stemmer_stem(sb, (const sb_symbol *)norm, t->norm_len);
		if (!st)
			return TAME_ENOMEM;
		slen = sb_stemmer_length(sb);
		t->stem_len = (uint16_t)slen;
		if ((rc = arena_add(d, st, (size_t)slen, &t->stem_off)))
			return rc;
	}
	return TAME_OK;
}

/* The stems of words that are not stop words or numbers carry a topic. */
static int
is_topical(const struct text_token *t)
{
	return !(t->flags & (TEXT_TOK_STOP | TEXT_TOK_NUM)) && t->stem_len >= 2;
}

static enum tame_err
make_terms(struct text_doc *d)
{
	struct buf pair;
	const struct text_token *prev = NULL, *t;
	uint32_t off, disp;
	size_t i;
	enum tame_err rc = TAME_OK;

	for (i = 0; i < d->ntok; i++)
		if (is_topical(&d->tok[i]) && (rc = add_term(d,
		    d->tok[i].stem_off, d->tok[i].norm_off)))
			return rc;
	d->nuni = d->nterm;
	buf_init(&pair, 2 * (FOLD_CP_MAX * 4) + 2);
	for (i = 0; i < d->ntok; i++) {
		t = &d->tok[i];
		if (t->flags & TEXT_TOK_BREAK)
			prev = NULL;
		if (!is_topical(t))
			continue;
		if (prev && ((rc = add_pair(d, &pair, prev->stem_off, t->stem_off,
		    &off)) || (rc = add_pair(d, &pair, prev->norm_off, t->norm_off,
		    &disp)) || (rc = add_term(d, off, disp))))
			goto out;
		prev = t;
	}
out:
	buf_free(&pair);
	return rc;
}

static int
is_word_cat(utf8proc_category_t c, int in_word)
{
	switch (c) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 1;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return in_word;
	default:
		return 0;
	}
}

static int
is_digit_cat(utf8proc_category_t c)
{
	return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL ||
	    c == UTF8PROC_CATEGORY_NO;
}

enum tame_err
text_analyse(struct text_pipeline *tp, const char *s, size_t len, int cut,
    struct text_doc *d)
{
	return text_analyse_lang(tp, s, len, cut, LANG_EN, d);
}

enum tame_err
text_analyse_lang(struct text_pipeline *tp, const char *s, size_t len,
    int cut, enum lang hint, struct text_doc *d)
{
	struct lang_votes votes;
	char w[TEXT_WORD_MAX + 4];
	utf8proc_int32_t c, c2;
	utf8proc_ssize_t n, n2;
	utf8proc_category_t cat;
	size_t i = 0, end, wstart = 0, wlen = 0;
	int in_word = 0, too_long = 0, digit = 0, brk = 0, bol = 1;
	enum tame_err rc = TAME_OK;

	doc_reset(d);
	lang_votes_init(&votes);
	if (!s)
		len = 0;
	end = cut ? text_cut(s, len, &d->cut) : len;
	d->new_len = end;
	/* "Thanks," on the last line is no word of the problem */
	if (cut)
		end = text_closing(s, end);
	while (i <= end) {
		if (bol && !in_word) {
			/* A quoted line inside the new text (bottom posting). */
			size_t j = i;

			while (j < end && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < end && s[j] == '>') {
				const char *nl = memchr(s + j, '\n', end - j);

				i = nl ? (size_t)(nl - s) + 1 : end;
				brk = 1;
				continue;
			}
			bol = 0;
		}
		n = 0;
		c = -1;
		if (i < end) {
			n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
			    (utf8proc_ssize_t)(end - i), &c);
			if (n <= 0) {
				n = 1; /* invalid byte: a space */
				c = -1;
			}
		}
		cat = c >= 0 ? utf8proc_category(c) : UTF8PROC_CATEGORY_CN;
		if (c >= 0 && is_word_cat(cat, in_word)) {
			if (!in_word) {
				in_word = 1;
				wstart = i;
				wlen = 0;
				too_long = 0;
				digit = 0;
			}
			digit |= is_digit_cat(cat);
			if (wlen + (size_t)n <= TEXT_WORD_MAX) {
				memcpy(w + wlen, s + i, (size_t)n);
				wlen += (size_t)n;
			} else
				too_long = 1;
			i += (size_t)n;
			continue;
		}
		if (in_word && (c == '\'' || c == 0x2019) && i + (size_t)n < end) {
			/* An apostrophe inside a word: "don't", "customer's". */
			n2 = utf8proc_iterate((const utf8proc_uint8_t *)s + i + n,
			    (utf8proc_ssize_t)(end - i - (size_t)n), &c2);
			if (n2 > 0 && is_word_cat(utf8proc_category(c2), 0) &&
			    !is_digit_cat(utf8proc_category(c2))) {
				if (wlen < TEXT_WORD_MAX)
					w[wlen++] = '\'';
				else
					too_long = 1;
				i += (size_t)n;
				continue;
			}
		}
		if (in_word) {
			in_word = 0;
			if (!too_long && wlen > 0) {
				if (d->ntok == TEXT_TOKENS_MAX) {
					d->truncated = 1;
					break;
				}
				if ((rc = emit_word(&votes, d, w, wlen, wstart, digit,
				    brk)))
					goto out;
				brk = 0;
			}
		}
		if (i >= end)
			break;
		if (c == '.' || c == '!' || c == '?' || c == ';' || c == '\n' ||
		    c == 0x3002 || c == 0x2029)
			brk = 1;
		if (c == '\n')
			bol = 1;
		i += (size_t)n;
	}
	d->lang = lang_pick(&votes, hint);
	if (!(rc = stop_and_stem(tp, d)))
		rc = make_terms(d);
out:
	return rc;
}

const char *
text_doc_term(const struct text_doc *d, size_t i)
{
	return d->arena.data + d->term_off[i];
}

const char *
text_doc_display(const struct text_doc *d, size_t i)
{
	return d->arena.data + d->disp_off[i];
}

const char *
text_doc_norm(const struct text_doc *d, size_t i)
{
	return d->arena.data + d->tok[i].norm_off;
}

const char *
text_doc_stem(const struct text_doc *d, size_t i)
{
	return d->arena.data + d->tok[i].stem_off;
}

enum tame_err
text_fold(const char *s, size_t len, struct buf *out)
{
	int32_t small[FOLD_CP_MAX + 1], *cp = NULL;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	size_t i = 0, run, need;
	long m;
	enum tame_err rc = TAME_OK;

	while (i < len) {
		/* The longest valid run from i, folded in one call. */
		run = i;
		while (run < len) {
			n = utf8proc_iterate((const utf8proc_uint8_t *)s + run,
			    (utf8proc_ssize_t)(len - run), &c);
			if (n <= 0 || c == 0)
				break;
			run += (size_t)n;
		}
		if (run > i) {
			m = search_fold(s + i, run - i, small, FOLD_CP_MAX,
			    &need);
			if (m < 0 && need > FOLD_CP_MAX) {
				if (need > SIZE_MAX / sizeof(*cp) - 1 ||
				    !(cp = malloc((need + 1) * sizeof(*cp)))) {
					rc = TAME_ENOMEM;
					goto out;
				}
				m = search_fold(s + i, run - i, cp, need, NULL);
			}
			if (m < 0) {
				rc = TAME_EINVAL;
				goto out;
			}
			if ((rc = buf_add(out, cp ? cp : small, (size_t)m)))
				goto out;
			free(cp);
			cp = NULL;
		}
		i = run + 1; /* skip the invalid byte (or NUL) */
	}
out:
	free(cp);
	return rc;
}
