/*
 * tone_token.c - the tokens of a customer message.
 *
 * Tone needs what a search pipeline throws away: case ("NOT WORKING"),
 * runs of punctuation ("!!!", "???"), emoticons (":-(") and emoji. So the
 * tokenizer here is its own: words (letters and digits of any script,
 * with inner apostrophes, dots and hyphens: "don't", "a.s.a.p", "5:00pm";
 * a hyphenated word stays whole only when a table knows it), runs of ! and
 * ?, other punctuation marks one by one, emoticons of the VADER lexicon,
 * emoji code points. Invalid UTF-8 bytes, URLs and e-mail addresses are
 * skipped, and so are lines starting with '>' (quoted history). A word is
 * lower-cased by utf8proc with the typographic apostrophe made plain, so
 * "Don’t" and "don't" are one word, and gets its word classes (TC_*: a
 * negation, "you", an insult ...) from a hash of the word lists below,
 * built once and read-only after, so that patterns test a class in O(1).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "tone_impl.h"

/* ---- word classes ---- */

static const char *const not_words[] = {
	"not", "never", "cannot", "cant", "dont", "doesnt", "didnt", "wont",
	"isnt", "arent", "wasnt", "werent", "havent", "hasnt", "hadnt",
	"couldnt", "wouldnt", "shouldnt", "aint", "nothing", NULL
};
static const char *const aux_words[] = {
	"do", "does", "did", "can", "could", "will", "would", "should", "is",
	"are", "was", "were", "am", "have", "has", "had", "must", "may",
	"might", NULL
};
static const char *const adverbs[] = {
	"just", "really", "still", "simply", "honestly", "truly", "actually",
	"even", "genuinely", "quite", "fully", "yet", "exactly", NULL
};
static const char *const num_words[] = {
	"one", "two", "three", "four", "five", "six", "seven", "eight",
	"nine", "ten", "eleven", "twelve", "fifteen", "twenty", "thirty",
	"forty", "fifty", "hundred", NULL
};
static const char *const days[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
	"sat", "weekend", NULL
};
static const char *const months[] = {
	"january", "february", "march", "april", "june", "july", "august",
	"september", "october", "november", "december", "jan", "feb", "apr",
	"jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", NULL
};
static const char *const you_words[] = {
	"you", "u", "ya", "yall", "y'all", "youse", "ye", NULL
};
static const char *const you_group[] = {
	"guys", "people", "lot", "all", "folks", "two", NULL
};
static const char *const be_words[] = {
	"is", "are", "was", "were", "am", "r", "be", "been", "being", NULL
};
/* Insults and slurs: words that degrade a person. Swear words alone are
 * not here: "this damn thing" is anger at a situation, not abuse. */
static const char *const insults[] = {
	"idiot", "idiots", "moron", "morons", "imbecile", "imbeciles",
	"cretin", "cretins", "clown", "clowns", "loser", "losers", "jerk",
	"jerks", "asshole", "assholes", "arsehole", "arseholes", "bastard",
	"bastards", "bitch", "bitches", "dickhead", "dickheads", "dick",
	"dicks", "dumbass", "dumbasses", "scumbag", "scumbags", "scum",
	"retard", "retards", "twat", "twats", "prick", "pricks", "wanker",
	"wankers", "fool", "fools", "liar", "liars", "thief", "thieves",
	"crook", "crooks", "parasite", "parasites", "incompetents", "muppet",
	"muppets", "halfwit", "halfwits", "numpty", "numpties", "pig", "pigs",
	"cunt", "cunts", NULL
};
static const char *const insult_adj[] = {
	"stupid", "useless", "incompetent", "worthless", "pathetic",
	"brainless", "clueless", "dumb", "lazy", "moronic", "idiotic",
	"retarded", "braindead", "brain-dead", "ignorant", "hopeless", NULL
};
static const char *const slurs[] = {
	"faggot", "faggots", "fag", "fags", "nigger", "niggers", "nigga",
	"spic", "spics", "kike", "kikes", "chink", "chinks", "tranny",
	"trannies", "wetback", "wetbacks", "raghead", "ragheads", "gook",
	"gooks", "dyke", "dykes", "paki", "pakis", NULL
};
static const char *const targets[] = {
	"staff", "team", "agents", "agent", "people", "support", "company",
	"employees", "employee", "reps", "rep", "representatives",
	"representative", "guys", "folks", "manager", "managers",
	"management", "service", "techs", "technicians", "operators", "lot",
	"firm", "business", "outfit", "devs", "developers", "engineers",
	"helpdesk", "department", NULL
};
static const char *const fillers[] = {
	"so", "such", "a", "an", "the", "complete", "total", "totally",
	"absolute", "absolutely", "utter", "utterly", "bunch", "of",
	"fucking", "fuckin", "bloody", "freaking", "frigging", "damn", "just",
	"all", "really", "completely", "entirely", "truly", "pure", "most",
	"very", "fkn", "effing", "incredibly", "stupid", "useless", NULL
};

static const char *const youre_words[] = { "you're", "youre", "ur", NULL };
/* roles of words in tone_sentiment.c */
static const char *const concessive[] = {
	"although", "though", "despite", "whereas", NULL
};
static const char *const adversative[] = {
	"but", "however", "yet", "nevertheless", "nonetheless", NULL
};
static const char *const kind_sort[] = { "kind", "sort", NULL };
static const char *const eval_boosters[] = {
	"pretty", "super", "damn", "bloody", "freaking", "real", NULL
};
static const char *const special[] = {
	"like", "help", "dear", "support", "no", "fail", "fails", "failed",
	NULL
};
/* between a negator and a word they make the word an argument, not the
 * negated predicate: "don't buy this junk" still calls it junk */
static const char *const determiners[] = {
	"this", "these", "that", "those", "my", "your", "our", "their", "his",
	"her", "its", NULL
};
static const char *const modals[] = {
	"would", "could", "should", "might", "i'd", "we'd", "you'd", "it'd",
	"if", NULL
};
static const char *const extra_negators[] = {
	"hardly", "scarcely", "barely", "lack", "lacks", "lacked", "lacking",
	NULL
};
static const char *const time_words[] = { "noon", "midnight", NULL };
static const char *const ampm_words[] = { "am", "pm", "o'clock", NULL };

#define CLASS_SLOTS 2048 /* power of two, over twice the words */

static struct {
	const char *w;
	uint32_t bits;
} class_slot[CLASS_SLOTS];
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

uint32_t
tone_hash(const char *w, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)w[i];
		h *= 16777619u;
	}
	return h;
}

static void
class_add(const char *w, uint32_t bits)
{
	uint32_t k = tone_hash(w, strlen(w)) & (CLASS_SLOTS - 1);

	while (class_slot[k].w && strcmp(class_slot[k].w, w) != 0)
		k = (k + 1) & (CLASS_SLOTS - 1);
	class_slot[k].w = w;
	class_slot[k].bits |= bits;
}

static void
class_list(const char *const *list, uint32_t bits)
{
	for (; *list; list++)
		class_add(*list, bits);
}

static void
class_build(void)
{
	const char *const *neg;
	size_t n, i;

	class_list(not_words, TC_NOTW);
	class_list(aux_words, TC_AUX);
	class_list(adverbs, TC_ADV);
	class_list(num_words, TC_NUMW);
	class_list(days, TC_DAY);
	class_list(months, TC_MONTH);
	class_list(you_words, TC_YOU);
	class_list(you_group, TC_YOUGRP);
	class_list(youre_words, TC_YOURE);
	class_list(be_words, TC_BE);
	class_list(insults, TC_INSULT);
	class_list(insult_adj, TC_INSADJ);
	class_list(slurs, TC_SLUR);
	class_list(targets, TC_TARGET);
	class_list(fillers, TC_FILL);
	class_list(time_words, TC_TIMEW);
	class_list(ampm_words, TC_AMPM);
	class_list(concessive, TC_CONCESS);
	class_list(adversative, TC_ADVERS);
	class_list(kind_sort, TC_KINDSORT);
	class_list(eval_boosters, TC_EVALBOOST);
	class_list(special, TC_SPECIAL);
	class_list(determiners, TC_DET);
	class_list(modals, TC_MODAL);
	class_list(extra_negators, TC_XNEG);
	neg = tone_lex_negators(&n);
	for (i = 0; i < n; i++)
		if (strcmp(neg[i], "despite") != 0)
			class_add(neg[i], TC_VNEG);
}

static uint32_t
class_of(const char *w, uint32_t h)
{
	uint32_t k = h & (CLASS_SLOTS - 1);

	while (class_slot[k].w) {
		if (strcmp(class_slot[k].w, w) == 0)
			return class_slot[k].bits;
		k = (k + 1) & (CLASS_SLOTS - 1);
	}
	return 0;
}

/* ---- tokenizer ---- */

struct scan {
	const char *s;
	size_t len;
	struct tone_text *tx;
	size_t limit;   /* tokens at most: a token takes a byte or more */
	int para;
	int oom;
};

/* Tokens allocated first: support mail has about one token per five
 * bytes, so a quarter of the length rarely grows, and a short message
 * does not take room for TONE_MAX_TOKENS. */
static size_t
first_cap(size_t limit, size_t len)
{
	size_t c = len / 4 + 16;

	return c < limit ? c : limit;
}

/* Decodes one code point at s[i]; its byte length in *n (1 for an
 * invalid byte, reported as -1). */
static int32_t
decode(const char *s, size_t len, size_t i, size_t *n)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	if (i >= len) {
		*n = 1;
		return -1;
	}
	if ((unsigned char)s[i] < 0x80) {
		*n = 1;
		return (unsigned char)s[i];
	}
	k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
	    (utf8proc_ssize_t)(len - i), &cp);
	if (k <= 0) {
		*n = 1;
		return -1;
	}
	*n = (size_t)k;
	return cp;
}

static int
is_wordch(int32_t cp)
{
	utf8proc_category_t c;

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9');
	c = utf8proc_category(cp);
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME) ||
	    (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

static int
is_emoji(int32_t cp)
{
	return (cp >= 0x1F300 && cp <= 0x1FAFF) ||
	    (cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x2300 && cp <= 0x23FF) ||
	    (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0x3030;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

static struct tone_tok *
push(struct scan *sc, size_t off, size_t len, int kind)
{
	struct tone_tok *t;

	if (sc->tx->n >= sc->limit) {
		sc->tx->truncated = 1;
		return NULL;
	}
	if (sc->tx->n >= sc->tx->cap) {
		size_t cap = sc->tx->cap * 2 < sc->limit ? sc->tx->cap * 2 :
		    sc->limit;

		if (!(t = tone_scratch(TONE_SCRATCH_TOKENS,
		    cap * sizeof(*t)))) {
			sc->oom = 1;
			sc->tx->truncated = 1;   /* stops the scan */
			return NULL;
		}
		sc->tx->t = t;
		sc->tx->cap = cap;
	}
	t = &sc->tx->t[sc->tx->n++];
	memset(t, 0, sizeof(*t));
	t->off = (uint32_t)off;
	t->len = (uint32_t)len;
	t->kind = (uint8_t)kind;
	t->cls = kind == TT_PUNCT ? TC_PUNCT : 0;
	t->para = (uint8_t)sc->para;
	sc->para = 0;
	return t;
}

/* Lower-cases s[a..b) into out; "" when it does not fit. Returns the
 * number of letters, and of upper-case letters in *nup. */
static size_t
lower(const char *s, size_t a, size_t b, char *out, size_t outsz,
    size_t *nup)
{
	size_t i = a, o = 0, n, letters = 0;
	int fits = 1;

	*nup = 0;
	while (i < b && fits) {
		int32_t cp = decode(s, b, i, &n), lc;

		i += n;
		if (cp < 0)
			continue;
		if (cp == 0x2019 || cp == 0x2018)
			cp = '\'';
		if (cp < 0x80) {
			lc = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
			letters += (lc >= 'a' && lc <= 'z');
			*nup += lc != cp;
		} else {
			lc = utf8proc_tolower(cp);
			if (lc != cp || utf8proc_toupper(cp) != cp) {
				letters++;
				*nup += lc != cp;
			}
		}
		if (fits && o + 4 < outsz)
			o += (size_t)utf8proc_encode_char(lc,
			    (utf8proc_uint8_t *)out + o);
		else
			fits = 0;
	}
	out[fits ? o : 0] = '\0';
	return letters;
}

/* The end of a word starting at i; inner ' . : - are kept when a word
 * character follows (':' only between digits, '-' only if allowed, and
 * then only for TONE_WORD_MAX bytes: no table knows a longer word). */
static size_t
word_end(const char *s, size_t len, size_t i, int hyphen)
{
	size_t n, n2, start = i;
	int32_t cp, prev = 0;

	while (i < len) {
		if (hyphen && i - start >= TONE_WORD_MAX)
			return len;
		cp = decode(s, len, i, &n);
		if (is_wordch(cp)) {
			prev = cp;
			i += n;
			continue;
		}
		if (cp == '\'' || cp == 0x2019 || cp == '.' ||
		    (cp == '-' && hyphen) || (cp == ':' && prev >= '0' &&
		    prev <= '9')) {
			int32_t nx;

			if (i + n >= len)
				break;
			nx = decode(s, len, i + n, &n2);
			if (!is_wordch(nx) || (cp == ':' && !(nx >= '0' &&
			    nx <= '9')))
				break;
			i += n;
			continue;
		}
		break;
	}
	return i;
}

static int
known_word(const char *w)
{
	double v;

	return tone_lex_word(w, &v) || tone_lex_booster(w, &v);
}

static void
add_word(struct scan *sc, size_t a, size_t *pi)
{
	char low[TONE_WORD_MAX];
	size_t b = word_end(sc->s, sc->len, a, 1), nup, letters;
	struct tone_tok *t;

	if (b == sc->len || memchr(sc->s + a, '-', b - a)) {
		if (b == sc->len)
			low[0] = '\0';
		else
			lower(sc->s, a, b, low, sizeof(low), &nup);
		if (!known_word(low))
			b = word_end(sc->s, sc->len, a, 0);
	}
	/* the hyphen inside a compound no table knows joins, not parts */
	*pi = b;
	if (b + 1 < sc->len && sc->s[b] == '-' &&
	    is_wordch((unsigned char)sc->s[b + 1]))
		*pi = b + 1;
	if (!(t = push(sc, a, b - a, sc->s[a] >= '0' && sc->s[a] <= '9' ?
	    TT_NUM : TT_WORD)))
		return;
	letters = lower(sc->s, a, b, t->low, sizeof(t->low), &nup);
	t->caps = letters >= 2 && nup == letters;
	t->wlen = (uint8_t)strlen(t->low);
	t->hash = tone_hash(t->low, t->wlen);
	t->cls = class_of(t->low, t->hash);
	if (strstr(t->low, "n't"))
		t->cls |= TC_NT | TC_VNEG;
	if (t->kind == TT_NUM)
		t->cls |= TC_NUMTOK;
	t->title = letters >= 2 && nup == 1 && sc->s[a] >= 'A' &&
	    sc->s[a] <= 'Z';
}

/* Length of an emoticon of the lexicon at s[i] ending the chunk (or
 * followed by . , ! ?), 0 if none. */
static size_t
emoticon(const char *s, size_t i, size_t end)
{
	char buf[12];
	size_t k, j, alnum, e, cand[2];
	int c2;
	double v;

	if (end - i >= 2 * sizeof(buf))
		return 0;
	for (e = end; e > i + 2 && s[e - 1] && strchr(".,!?", s[e - 1]); e--)
		;
	cand[0] = end - i;
	cand[1] = e - i;
	for (c2 = 0; c2 < 2; c2++) {
		k = cand[c2];
		if (k < 2 || k >= sizeof(buf))
			continue;
		alnum = 0;
		for (j = 0; j < k; j++) {
			char c = s[i + j];

			if ((unsigned char)c >= 0x80)
				return 0;
			alnum += (c >= 'a' && c <= 'z') || (c >= 'A' &&
			    c <= 'Z') || (c >= '0' && c <= '9');
			buf[j] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		buf[k] = '\0';
		if (alnum < k && tone_lex_vader(buf, &v))
			return k;
	}
	return 0;
}

static int
is_link(const char *s, size_t a, size_t b)
{
	const char *at;

	if (b - a >= 4 && strncmp(s + a, "www.", 4) == 0)
		return 1;
	if (memchr(s + a, ':', b - a) && memmem(s + a, b - a, "://", 3))
		return 1;
	at = memchr(s + a, '@', b - a);
	return at && at > s + a && memchr(at, '.', (size_t)(s + b - at));
}

/* Tokens of one white-space delimited chunk s[a..b). */
static void
chunk(struct scan *sc, size_t a, size_t b)
{
	size_t i = a, n, k;

	if (is_link(sc->s, a, b))
		return;
	while (i < b) {
		int32_t cp = decode(sc->s, b, i, &n);
		struct tone_tok *t;

		if (sc->tx->n >= sc->limit) {
			sc->tx->truncated = 1;
			return;
		}
		if (cp >= 0 && cp < 0x20) {
			i++;
		} else if (cp >= 0 && cp < 0x80 && !is_wordch(cp) &&
		    (i == a || strchr(":;=", (int)cp)) &&
		    (k = emoticon(sc->s, i, b)) > 0) {
			if ((t = push(sc, i, k, TT_EMOTICON))) {
				lower(sc->s, i, i + k, t->low, sizeof(t->low),
				    &n);
				t->wlen = (uint8_t)strlen(t->low);
			}
			i += k;
		} else if (is_wordch(cp)) {
			add_word(sc, i, &i);
		} else if (cp == '!' || cp == '?' || cp == 0xFF01 ||
		    cp == 0xFF1F || cp == 0x203C || cp == 0x2049) {
			char run[TONE_WORD_MAX];
			size_t o = 0, j = i;

			for (;;) {
				int32_t c = decode(sc->s, b, j, &n);
				const char *r = c == '!' || c == 0xFF01 ? "!" :
				    c == '?' || c == 0xFF1F ? "?" :
				    c == 0x203C ? "!!" : c == 0x2049 ? "!?" :
				    NULL;

				if (j >= b || !r)
					break;
				if (o + strlen(r) < sizeof(run)) {
					memcpy(run + o, r, strlen(r));
					o += strlen(r);
				}
				j += n;
			}
			run[o] = '\0';
			if ((t = push(sc, i, j - i, TT_PUNCT))) {
				memcpy(t->low, run, o + 1);
				t->cls |= TC_QEX;
			}
			i = j;
		} else if (cp == '.' || cp == 0x2026) {
			size_t j = i;

			while (j < b && (sc->s[j] == '.' ||
			    decode(sc->s, b, j, &n) == 0x2026))
				j += sc->s[j] == '.' ? 1 : 3;
			if ((t = push(sc, i, j - i, TT_PUNCT)))
				memcpy(t->low, j - i > 1 ? "..." : ".",
				    j - i > 1 ? 4 : 2);
			i = j;
		} else if (cp >= 0 && cp < 0x80) {
			if ((t = push(sc, i, 1, TT_PUNCT))) {
				t->low[0] = (char)cp;
				t->low[1] = '\0';
			}
			i++;
		} else if (cp == 0x2013 || cp == 0x2014) {
			if ((t = push(sc, i, n, TT_PUNCT)))
				t->low[0] = '-';
			i += n;
		} else if (cp >= 0 && is_emoji(cp)) {
			if ((t = push(sc, i, n, TT_EMOJI)))
				t->cp = (uint32_t)cp;
			i += n;
		} else {
			i += n; /* invalid bytes, modifiers, other symbols */
		}
	}
}

enum tame_err
tone_tokenize(const char *src, size_t len, struct tone_text *tx)
{
	struct scan sc;
	size_t i = 0, j, line_end;
	int blank;

	memset(tx, 0, sizeof(*tx));
	tx->src = src;
	if (!src || len == 0)
		return TAME_OK;
	pthread_once(&class_once, class_build);
	/* a token takes at least one byte */
	sc.limit = len < TONE_MAX_TOKENS ? len : TONE_MAX_TOKENS;
	tx->cap = first_cap(sc.limit, len);
	tx->t = tone_scratch(TONE_SCRATCH_TOKENS, tx->cap * sizeof(*tx->t));
	if (!tx->t)
		return TAME_ENOMEM;
	sc.s = src;
	sc.len = len;
	sc.tx = tx;
	sc.para = 0;
	sc.oom = 0;
	while (i < len && !tx->truncated) {
		line_end = i;
		while (line_end < len && src[line_end] != '\n')
			line_end++;
		j = i;
		while (j < line_end && (src[j] == ' ' || src[j] == '\t' ||
		    src[j] == '\r'))
			j++;
		blank = j == line_end;
		if (blank)
			sc.para = tx->n > 0;
		else if (src[j] != '>') {
			while (j < line_end && !tx->truncated) {
				size_t a;

				while (j < line_end && is_ws((unsigned char)src[j]))
					j++;
				a = j;
				while (j < line_end && !is_ws((unsigned char)src[j]))
					j++;
				if (j > a)
					chunk(&sc, a, j);
			}
		}
		i = line_end + 1;
	}
	if (sc.oom)
		return TAME_ENOMEM;
	/* where @NOT can start: "not", "do not", "just don't" */
	for (i = 0; i < tx->n; i++) {
		uint32_t c = tx->t[i].cls;
		uint32_t next = i + 1 < tx->n ? tx->t[i + 1].cls : 0;

		if ((c & (TC_NOTW | TC_NT)) || ((c & TC_ADV) &&
		    (next & (TC_AUX | TC_NOTW | TC_NT))) || ((c & TC_AUX) &&
		    (next & (TC_NOTW | TC_NT))))
			tx->t[i].cls |= TC_NOTSTART;
	}
	return TAME_OK;
}

int
tone_tok_clause_end(const struct tone_text *tx, size_t i)
{
	const struct tone_tok *t = &tx->t[i];

	return t->kind == TT_PUNCT && strchr(",;:.!?()[]-\"", t->low[0]) &&
	    t->low[0] != '\0';
}

int
tone_tok_sentence_end(const struct tone_text *tx, size_t i)
{
	const struct tone_tok *t = &tx->t[i];

	return t->kind == TT_PUNCT && t->low[0] != '\0' &&
	    strchr(".!?", t->low[0]);
}

int
tone_tok_negator(const struct tone_text *tx, size_t i)
{
	return (tx->t[i].cls & TC_VNEG) != 0;
}

