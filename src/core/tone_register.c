/*
 * tone_register.c - the register of a customer message: does the
 * customer write formally ("Dear Sir or Madam, ... Kind regards") or in
 * a relaxed way ("hey, thx :)"), and what shows it.
 *
 * Model: a reply reads best in the register of the mail it answers
 * (the TAHT essay among the design texts), and readers tell register by
 * a few signs, each counted here with a weight:
 *
 *   formal   letter greetings at the start of a line ("Dear", "Hello",
 *            "Good morning", "To whom it may concern"), titles ("Sir",
 *            "Mrs"), sign-offs ("Kind regards", "Sincerely", "Yours
 *            faithfully"), letter phrases ("I am writing to", "please
 *            advise", "I look forward to"), full sentences (a capital
 *            first, a full stop last), forms written out ("I am",
 *            "do not") where chat contracts them
 *   relaxed  chat greetings ("Hi", "Hey", "Yo"), sign-offs ("Cheers",
 *            "Thx"), slang and chat short forms ("gonna", "btw", "lol",
 *            "u"), contractions ("I'm", "can't"), emoji and smileys,
 *            single exclamation marks, lower-case sentence starts and a
 *            lower-case "i", a message with no capital at all (of the
 *            scripts with letter case: Latin, Cyrillic, Greek; a text in
 *            Japanese or Arabic has none to leave out, and "Hallo,\n\nik"
 *            goes on the greeting's sentence)
 *
 * Each kind of sign counts up to a cap, so one long message of
 * contractions does not outweigh a "Dear ... Sincerely" letter. The
 * message is relaxed when the relaxed signs outweigh the formal ones by
 * at least RELAXED_MARGIN and the customer is not upset (angry,
 * frustrated, abusive or clearly negative): an agent who errs should
 * err on the formal side. The evidence is the signs of the register
 * chosen, as written: the words in the order of the text, then the
 * other signs, named when they are no words ("lower-case i").
 */
#include <pthread.h>
#include <string.h>
#include <utf8proc.h>
#include "tone_impl.h"

/* How far the relaxed signs must outweigh the formal ones. */
#define RELAXED_MARGIN 1.0
/* Formal signs worth showing: a full sentence or two alone is just
 * writing, not a letter. */
#define FORMAL_SHOWN 0.5

enum { R_START = 1 };   /* only at the start of a line */

/* Sign kinds, each with its own cap. */
enum reg_kind {
	K_GREET, K_TITLE, K_SIGNOFF, K_LETTER, K_FULL, K_SPELLED,
	K_SLANG, K_CONTRACT, K_SMILEY, K_EXCL, K_LOWER, K_KIND_COUNT
};

static const double caps[K_KIND_COUNT] = {
	[K_GREET] = 1.5, [K_TITLE] = 1.0, [K_SIGNOFF] = 1.5, [K_LETTER] = 2.0,
	[K_FULL] = 0.6, [K_SPELLED] = 0.6, [K_SLANG] = 2.0,
	[K_CONTRACT] = 0.8, [K_SMILEY] = 1.6, [K_EXCL] = 0.9, [K_LOWER] = 1.5,
};

struct reg_cue {
	const char *pat;
	double formal, relaxed;
	enum reg_kind kind;
	int flags;
};

static const struct reg_cue reg_cues[] = {
	/* greetings */
	{ "dear", 1.0, 0, K_GREET, R_START },
	{ "to whom it may concern", 1.5, 0, K_GREET, R_START },
	{ "hello", 0.4, 0, K_GREET, R_START },
	{ "good morning|afternoon|evening|day", 0.5, 0, K_GREET, R_START },
	{ "greetings", 0.5, 0, K_GREET, R_START },
	{ "hi|hii|hiii", 0, 0.5, K_GREET, R_START },
	{ "hey|heya|hiya|heyy|yo|sup|howdy|hallo|helloo", 0, 1.0, K_GREET,
	  R_START },
	/* titles */
	{ "sir|madam|sirs", 1.0, 0, K_TITLE, 0 },
	{ "mr|mrs|ms|dr", 0.5, 0, K_TITLE, 0 },
	/* sign-offs */
	{ "kind|best|warm|warmest|kindest|with regards", 1.0, 0, K_SIGNOFF,
	  0 },
	{ "yours sincerely|faithfully|truly", 1.2, 0, K_SIGNOFF, 0 },
	{ "regards|sincerely|respectfully|faithfully", 1.0, 0, K_SIGNOFF,
	  R_START },
	{ "best wishes", 0.6, 0, K_SIGNOFF, R_START },
	{ "cheers|ciao|laters|xoxo|xx|xo", 0, 0.8, K_SIGNOFF, R_START },
	{ "thx|thnx|thanx|thnks|thks|ty|tysm|tyvm", 0, 1.0, K_SIGNOFF, 0 },
	/* letter phrases */
	{ "i am writing|write", 1.0, 0, K_LETTER, 0 },
	{ "i would like to", 0.6, 0, K_LETTER, 0 },
	{ "please advise", 1.0, 0, K_LETTER, 0 },
	{ "kindly", 0.7, 0, K_LETTER, 0 },
	{ "further to", 1.0, 0, K_LETTER, 0 },
	{ "hereby|herewith|pursuant|furthermore|moreover|aforementioned|"
	  "henceforth|whereby", 0.7, 0, K_LETTER, 0 },
	{ "could|would you please", 0.4, 0, K_LETTER, 0 },
	{ "i would be grateful", 0.8, 0, K_LETTER, 0 },
	{ "i look|we look forward", 0.8, 0, K_LETTER, 0 },
	{ "please find attached", 0.8, 0, K_LETTER, 0 },
	{ "thank you for your assistance|attention|consideration|time",
	  0.6, 0, K_LETTER, 0 },
	/* written out where chat contracts */
	{ "i am|we are|do not|does not|did not|cannot|will not|is not|"
	  "are not|have not|has not|would not|could not", 0.2, 0, K_SPELLED,
	  0 },
	/* slang and chat short forms */
	{ "pls|plz|plzz|gonna|wanna|gotta|kinda|sorta|dunno|lemme|gimme|"
	  "yeah|yea|yep|yup|nope|nah|btw|lol|lmao|rofl|haha*|hehe*|omg|"
	  "dude|mate|buddy|bro|np|tbh|imo|imho|idk|fyi|u|ur|cuz|coz|tho|"
	  "thru|ya|yall|y'all|cool|awesome|guys|folks|ugh|meh|whoops|oops|"
	  "yay|woohoo|wtf|ffs", 0, 0.5,
	  K_SLANG, 0 },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct tone_patidx reg_idx;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

static void
reg_index(void)
{
	tone_patidx_build(&reg_idx, &reg_cues[0].pat, COUNT(reg_cues),
	    sizeof(reg_cues[0]));
}

int
tone_register_selfcheck(void)
{
	pthread_once(&reg_once, reg_index);
	return reg_idx.ok ? 0 : 1;
}

/* One sign found: tokens [a, b) of the text, or a name. */
struct sign {
	int relaxed;
	size_t a, b;
	const char *name;   /* when not NULL, shown instead of the text */
};

struct reg_acc {
	double kind_formal[K_KIND_COUNT], kind_relaxed[K_KIND_COUNT];
	struct sign signs[TONE_REG_EVIDENCE * 2];
	size_t nsigns[2];   /* by side */
	size_t n;
};

static void
count(struct reg_acc *r, enum reg_kind k, int relaxed, double w, size_t a,
    size_t b, const char *name)
{
	double *v = relaxed ? &r->kind_relaxed[k] : &r->kind_formal[k];
	struct sign *s;

	if (*v >= caps[k] || w <= 0.0)
		return;
	*v += w;
	if (*v > caps[k])
		*v = caps[k];
	/* evidence: the first few of each side */
	if (r->nsigns[relaxed] >= TONE_REG_EVIDENCE || r->n >= COUNT(r->signs))
		return;
	s = &r->signs[r->n++];
	r->nsigns[relaxed]++;
	s->relaxed = relaxed;
	s->a = a;
	s->b = b;
	s->name = name;
}

/* 1 if token i begins a line (or the text). */
static int
line_start(const struct tone_text *tx, size_t i)
{
	const struct tone_tok *p;
	size_t k;

	if (i == 0 || tx->t[i].para)
		return 1;
	p = &tx->t[i - 1];
	for (k = p->off + p->len; k < tx->t[i].off; k++)
		if (tx->src[k] == '\n')
			return 1;
	return 0;
}

/* A contraction: "I'm", "can't", "it's" (not a possessive "Ann's"). */
static int
contraction(const char *w)
{
	static const char *const s_forms[] = { "it's", "that's", "what's",
		"there's", "here's", "let's", "he's", "she's", "who's",
		"where's", "how's", NULL };
	const char *ap = strchr(w, '\'');
	size_t k;

	if (!ap || ap == w || !ap[1])
		return 0;
	if (strcmp(ap, "'s") != 0)
		return strcmp(ap, "'m") == 0 || strcmp(ap, "'re") == 0 ||
		    strcmp(ap, "'ve") == 0 || strcmp(ap, "'ll") == 0 ||
		    strcmp(ap, "'d") == 0 || strcmp(ap, "'t") == 0;
	for (k = 0; s_forms[k]; k++)
		if (strcmp(w, s_forms[k]) == 0)
			return 1;
	return 0;
}

static void
cues(const struct tone_text *tx, struct reg_acc *r)
{
	uint16_t cand[COUNT(reg_cues)];
	size_t i, c, nc, k, end, skip = 0;

	pthread_once(&reg_once, reg_index);
	for (i = 0; i < tx->n; i++) {
		if (i < skip)
			continue;
		nc = tone_patidx_find(&reg_idx, tx, i, cand, COUNT(reg_cues));
		for (c = 0; c < nc; c++) {
			k = cand[c];
			if ((reg_cues[k].flags & R_START) && !line_start(tx, i))
				continue;
			if (!(end = tone_patidx_match(&reg_idx, k, tx, i)))
				continue;
			if (reg_cues[k].formal > 0)
				count(r, reg_cues[k].kind, 0,
				    reg_cues[k].formal, i, end, NULL);
			else
				count(r, reg_cues[k].kind, 1,
				    reg_cues[k].relaxed, i, end, NULL);
			skip = end;
			break;
		}
	}
}

/* The case of word t's first letter: 1 upper (or title) case, 0 lower
 * case, -1 none. Only scripts with letter case tell a capital from a
 * small letter: a word of kana, Han, Arabic or Hebrew is written in the
 * one form its script has, so it is no sign of a relaxed writer. */
static int
first_case(const struct tone_text *tx, const struct tone_tok *t)
{
	const unsigned char *s = (const unsigned char *)tx->src + t->off;
	utf8proc_int32_t cp;

	if (t->len == 0)
		return -1;
	if (s[0] < 0x80)
		return s[0] >= 'A' && s[0] <= 'Z' ? 1 :
		    s[0] >= 'a' && s[0] <= 'z' ? 0 : -1;
	if (utf8proc_iterate(s, (utf8proc_ssize_t)t->len, &cp) <= 0)
		return -1;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LT:
		return 1;
	case UTF8PROC_CATEGORY_LL:
		return 0;
	default:
		return -1;
	}
}

/* Whether token i starts a sentence: the first of the text or of a
 * paragraph, or after a sentence's end; not after a comma, whatever
 * the lines between ("Hallo,\n\nik heb ..." goes on the greeting's
 * sentence). */
static int
sentence_start(const struct tone_text *tx, size_t i)
{
	if (i == 0)
		return 1;
	if (tx->t[i - 1].kind == TT_PUNCT && strcmp(tx->t[i - 1].low, ",") == 0)
		return 0;
	return tx->t[i].para || tone_tok_sentence_end(tx, i - 1);
}

/* Signs that are not words of a list: contractions, smileys, "!",
 * capitals (in any script that has them), full sentences. */
static void
habits(const struct tone_text *tx, struct reg_acc *r)
{
	size_t i, letters = 0, capitals = 0, start = 0;
	int lower_i = 0, sentence_ok = 1;

	for (i = 0; i < tx->n; i++) {
		const struct tone_tok *t = &tx->t[i];
		const char *src = tx->src + t->off;
		int first = sentence_start(tx, i), fc;

		if (first)
			start = i;
		if (t->kind == TT_EMOJI || t->kind == TT_EMOTICON) {
			count(r, K_SMILEY, 1, 0.8, i, i + 1, NULL);
			continue;
		}
		if (t->kind == TT_PUNCT) {
			/* one "!" is chatty; a run of them is stress,
			 * which the other dimensions read */
			if (strcmp(t->low, "!") == 0)
				count(r, K_EXCL, 1, 0.3, i, i + 1, NULL);
			/* a full sentence: capital first, then a full stop
			 * after at least four words */
			if (t->low[0] == '.' && t->len == 1 && sentence_ok &&
			    i >= start + 4 && tx->t[start].kind == TT_WORD &&
			    first_case(tx, &tx->t[start]) == 1)
				count(r, K_FULL, 0, 0.2, 0, 0, "full sentences");
			if (tone_tok_sentence_end(tx, i))
				sentence_ok = 1;
			continue;
		}
		if (t->kind != TT_WORD)
			continue;
		/* words of a script without case say nothing either way */
		if ((fc = first_case(tx, t)) >= 0) {
			letters++;
			capitals += fc == 1;
		}
		if (contraction(t->low))
			count(r, K_CONTRACT, 1, 0.2, i, i + 1, NULL);
		if (t->len == 1 && src[0] == 'i' && !lower_i) {
			lower_i = 1;
			count(r, K_LOWER, 1, 0.5, 0, 0, "lower-case i");
		}
		if (first && fc == 0) {
			sentence_ok = 0;
			count(r, K_LOWER, 1, 0.3, 0, 0,
			    "lower-case sentence starts");
		}
	}
	if (letters >= 5 && capitals == 0)
		count(r, K_LOWER, 1, 1.0, 0, 0, "no capitals");
}

/* Copies tokens [a, b) as written into out (TONE_EVIDENCE_TEXT bytes):
 * one line of valid UTF-8, cut at a character boundary. */
static void
sign_text(const struct tone_text *tx, size_t a, size_t b, char *out)
{
	const char *src = tx->src + tx->t[a].off;
	size_t n = tx->t[b - 1].off + tx->t[b - 1].len - tx->t[a].off, i, k;

	for (i = 0, k = 0; i < n;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t m = utf8proc_iterate(
		    (const utf8proc_uint8_t *)src + i,
		    (utf8proc_ssize_t)(n - i), &cp);

		if (m <= 0 || cp < 0x20) {
			if (k + 1 >= TONE_EVIDENCE_TEXT)
				break;
			out[k++] = ' ';
			i += m <= 0 ? 1 : (size_t)m;
			continue;
		}
		if (k + (size_t)m >= TONE_EVIDENCE_TEXT)
			break;
		memcpy(out + k, src + i, (size_t)m);
		k += (size_t)m;
		i += (size_t)m;
	}
	out[k] = '\0';
}

/* Adds text to out's register evidence, once. */
static void
evidence(struct tone *out, const char *text)
{
	size_t k;

	if (out->n_reg_evidence >= TONE_REG_EVIDENCE || !text[0])
		return;
	for (k = 0; k < out->n_reg_evidence; k++)
		if (strcmp(out->reg_evidence[k], text) == 0)
			return;
	memcpy(out->reg_evidence[out->n_reg_evidence++], text,
	    strlen(text) + 1);
}

void
tone_register_estimate(const struct tone_text *tx, struct tone *out)
{
	struct reg_acc r;
	double formal = 0.0, relaxed = 0.0;
	char text[TONE_EVIDENCE_TEXT];
	size_t k;
	int upset, side;

	memset(&r, 0, sizeof(r));
	out->reg = TONE_FORMAL;
	out->n_reg_evidence = 0;
	if (!tx || tx->n == 0)
		return;
	cues(tx, &r);
	habits(tx, &r);
	for (k = 0; k < K_KIND_COUNT; k++) {
		formal += r.kind_formal[k];
		relaxed += r.kind_relaxed[k];
	}
	upset = out->anger >= 0.4 || out->frustration >= 0.6 ||
	    out->abusive || out->sentiment <= -0.5;
	if (relaxed - formal >= RELAXED_MARGIN && !upset)
		out->reg = TONE_RELAXED;
	/* formal is the default: shown with its signs only when they are
	 * clear; an upset customer who writes casually is answered
	 * formally, and no sign of theirs says so */
	side = out->reg == TONE_RELAXED;
	if (!side && formal < FORMAL_SHOWN)
		return;
	for (k = 0; k < r.n; k++) {
		if (r.signs[k].relaxed != side)
			continue;
		if (r.signs[k].name) {
			evidence(out, r.signs[k].name);
			continue;
		}
		sign_text(tx, r.signs[k].a, r.signs[k].b, text);
		evidence(out, text);
	}
}
