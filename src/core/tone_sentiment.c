/*
 * tone_sentiment.c - Tame's sentiment: VADER's rules, made to read
 * clauses and the phrases of support mail.
 *
 * The model is VADER's (see tone_vader.c): lexicon valences summed with
 * boosters, negation, capitals, exclamation marks and the normalisation
 * x/sqrt(x^2+15). What Tame changes, each for a reason that holds beyond
 * any one text:
 *
 *  - Words come from a real tokenizer, so "good." and "Don’t" are found,
 *    and a word VADER lacks is tried in its base form ("crashing").
 *  - Negation reaches back three words but not across a clause boundary
 *    ("not cheap, but good" leaves "good" alone), every negator counts even
 *    when it is itself a lexicon word, and "hardly", "lacks", "fails to",
 *    "no longer" negate too. A negated negative word ("not bad") turns
 *    only mildly positive, as readers judge it.
 *  - Contrast is found in each sentence, not once per text: words before
 *    the last "but", "however", "yet" weigh half and after it one and a
 *    half; a concessive clause ("although ...", "despite ...") weighs half.
 *  - Counterfactual modals ("should have been good", "could have been
 *    better") reverse what follows in their clause, and a positive word
 *    in a question or after "would"/"if" counts half: requests and
 *    wishes are not praise.
 *  - Phrases: "doesn't work", "stopped working", "no response", "piece
 *    of junk", "a joke", "worth every penny", "couldn't be happier", VADER's
 *    unused idioms ("under the weather"); letter forms ("Good morning",
 *    "Kind regards", "thanks in advance") carry little sentiment.
 *  - "like" counts only as a verb ("I like it", not "looks like"),
 *    "pretty", "super", "damn" are boosters before an evaluative word, a
 *    capitalised word inside a sentence is a name ("United States",
 *    "Best Buy"), and a negation does not reach past "this", "your" and
 *    the like ("don't buy this junk" still calls it junk).
 *  - Each sentence gets its own exclamation emphasis; a long message is
 *    the sum of its sentences divided by the square root of their number,
 *    so that a long letter does not saturate.
 *
 * The rules were tried on the odd-numbered items of the rated snippets
 * `make eval` reads (one that hurt there was changed or dropped); the
 * even-numbered half was not used to choose, and is printed as a
 * held-out check. No word or phrase was added for a test item.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tone_impl.h"

/* Per-token working state. */
struct st {
	double v;         /* valence, before modifiers */
	double boost;     /* booster scalar when this token boosts */
	uint8_t has;      /* carries sentiment */
	uint8_t neg;      /* negates what follows */
	uint8_t phrase;   /* inside a matched phrase */
	uint8_t noneg;    /* phrase valence already includes its negation */
	uint8_t contrast; /* 1 adversative (but), 2 concessive (although) */
	uint32_t end;     /* a phrase's first token: where the phrase ends */
};

enum { P_NONEG = 1 };

struct phrase {
	const char *pat;
	double v;
	int flags;
};

/* Valence goes to the phrase's first token, the others count nothing
 * and negate nothing ("nothing short of amazing"). P_NONEG: the phrase
 * holds its own negation, nothing before it negates it again. */
static const struct phrase phrases[] = {
	{ "@NOT work*|function*|load*|start*|open*", -1.6, P_NONEG },
	{ "stopped|stops|stop|quit|quits work*|function*", -1.8, P_NONEG },
	{ "no longer work*|function*", -1.8, P_NONEG },
	{ "fell|falls|fall|came|comes|coming apart", -1.8, 0 },
	{ "piece|pieces of junk|crap|garbage|trash|shit", -2.5, 0 },
	{ "@BE a joke", -1.5, 0 },
	{ "what|such a joke", -1.5, 0 },
	{ "thanks|thank for nothing", -2.0, 0 },
	{ "money back", -1.0, 0 },
	{ "@NOT respond*|reply|replied|replying|answer*|get|got|gotten back",
	    -1.5, P_NONEG },
	{ "@NOT heard back|anything", -1.5, P_NONEG },
	{ "no response|reply|answer|one answers|one replies", -1.2, P_NONEG },
	{ "charged|billed twice", -1.8, 0 },
	{ "double charged|billed", -1.8, 0 },
	{ "returned|returning it|them|this|mine", -1.0, 0 },
	{ "sent|send|sending it|them|this back", -1.0, 0 },
	{ "let ?me|us|you|them down", -1.8, 0 },
	{ "gave|give|giving up", -1.0, 0 },
	{ "rip|ripped off", -2.3, 0 },
	{ "fed up", -1.8, 0 },
	{ "screwed up", -1.5, 0 },
	{ "dead on arrival", -2.5, 0 },
	{ "out of order", -1.4, 0 },
	{ "hit or miss", -0.8, 0 },
	{ "low quality", -1.8, 0 },
	{ "@NOT worth", -1.8, P_NONEG },
	{ "@NOT be happier|better", 2.8, P_NONEG },
	{ "@NOT ask for more|better", 2.5, P_NONEG },
	{ "@NOT go wrong", 2.0, P_NONEG },
	{ "@NOT wait", 1.5, P_NONEG },
	{ "@NOT complain", 1.0, P_NONEG },
	{ "@NOT recommend ?it|this|them enough", 2.8, P_NONEG },
	{ "second to none", 2.5, P_NONEG },
	{ "does|did|do the trick", 1.5, 0 },
	{ "worth every penny|cent", 2.5, 0 },
	{ "work*|run* like a charm", 2.5, 0 },
	{ "top notch", 2.6, 0 },
	{ "high quality", 1.8, 0 },
	{ "five|5 stars|star", 2.4, 0 },
	{ "one|1|zero|0 star|stars", -2.0, 0 },
	{ "thumbs up", 1.8, 0 },
	{ "thumbs down", -1.8, 0 },
	{ "well done", 2.0, 0 },
	{ "as advertised|described|promised", 0.8, 0 },
	{ "no issues|worries|complaints|regrets", 1.2, P_NONEG },
	{ "over the moon", 2.5, 0 },
	/* VADER's SENTIMENT_LADEN_IDIOMS, never used by its own code */
	{ "cut the mustard", 2.0, 0 },
	{ "hand to mouth", -2.0, 0 },
	{ "back handed", -2.0, 0 },
	{ "blow|blowing smoke", -2.0, 0 },
	{ "upper hand", 1.0, 0 },
	{ "break a leg", 2.0, 0 },
	{ "cooking with gas", 2.0, 0 },
	{ "in the black", 2.0, 0 },
	{ "in the red", -2.0, 0 },
	{ "on the ball", 2.0, 0 },
	{ "under the weather", -2.0, 0 },
	/* VADER's SPECIAL_CASES */
	{ "the shit|bomb", 3.0, 0 },
	{ "bad ass", 1.5, 0 },
	{ "yeah right", -2.0, 0 },
	{ "kiss of death", -1.5, 0 },
	{ "to die for", 3.0, 0 },
	{ "beating heart", 3.1, 0 },
	{ "broken heart", -2.9, 0 },
	/* letter forms and departments: little or no sentiment */
	{ "good morning|afternoon|evening|day", 0.0, 0 },
	{ "kind|best|warm|warmest|kindest regards", 0.0, 0 },
	{ "best wishes", 1.0, 0 },
	{ "hope ?you ?are|you're doing|keeping well", 0.0, 0 },
	{ "hope this|my ?email|message|mail finds you well", 0.0, 0 },
	{ "thanks|thank ?you in advance", 0.8, 0 },
	{ "customer|tech|technical service|support|care", 0.0, 0 },
	{ "as well", 0.0, 0 },
	{ "pretty much", 0.0, 0 },
	/* shields: negators that do not negate */
	{ "nothing short of", 0.0, 0 },
	{ "not only|just", 0.0, 0 },
	{ "no|without ?a doubt", 0.0, 0 },
	{ "no matter", 0.0, 0 },
};

static int
wis(const struct tone_text *tx, size_t i, const char *w)
{
	return i < tx->n && strcmp(tx->t[i].low, w) == 0;
}

/* The word lists below are sorted (strcmp order, checked by
 * tone_sentiment_selfcheck) and searched with bsearch. */
static int
cmp_word(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(const char *const *)elem);
}

#define IN_SET(w, set) (bsearch((w), (set), sizeof(set) / sizeof((set)[0]), \
	sizeof((set)[0]), cmp_word) != NULL)

/* before "like" they make it a verb: "I like it" */
static const char *const like_subjects[] = {
	"actually", "also", "always", "definitely", "did", "didn't", "didnt",
	"do", "does", "doesn't", "don't", "dont", "especially", "everyone",
	"genuinely", "he", "i", "i'd", "just", "kids", "particularly",
	"people", "really", "she", "still", "they", "to", "totally", "truly",
	"we", "we'd", "who", "will", "would", "you"
};
/* before "help" they make it a request: "please help", "need help" */
static const char *const help_requests[] = {
	"any", "appreciate", "ask", "asking", "can", "could", "for", "get",
	"need", "needed", "needs", "please", "require", "seeking", "some",
	"urgent", "want", "would", "your"
};
/* one token: "should've been good" */
static const char *const contracted_cf[] = {
	"could've", "might've", "should've", "would've"
};

/* after a modal: "should have been good" */
static int
counterfactual(const char *w)
{
	return strcmp(w, "have") == 0 || strcmp(w, "'ve") == 0;
}

/* Modals and conditionals earlier in token i's clause (tokens of the
 * sentence from after its last clause end or contrast word up to i - 1),
 * kept as a running state while a sentence is read, so that each
 * sentiment word costs O(1) rather than a walk back to its clause's
 * start: bit 1 a modal, bit 2 a counterfactual ("should have",
 * "would've"). */
enum { M_MODAL = 1, M_CF = 2 };

static int
modal_step(const struct tone_text *tx, const struct st *s, size_t k,
    int state)
{
	if (tone_tok_clause_end(tx, k) || s[k].contrast)
		return 0;
	if (tx->t[k].cls & TC_MODAL) {
		state |= M_MODAL;
		if (k + 1 < tx->n && counterfactual(tx->t[k + 1].low))
			state |= M_CF;
	}
	if (IN_SET(tx->t[k].low, contracted_cf))
		state |= M_MODAL | M_CF;
	return state;
}

#define ROLES (TC_VNEG | TC_XNEG | TC_CONCESS | TC_ADVERS | TC_KINDSORT | \
	TC_EVALBOOST | TC_SPECIAL)

/* Token i's part when it has one of the ROLES: 1 when that settles it,
 * 0 when its valence is still to be looked up. */
static int
role(const struct tone_text *tx, size_t i, struct st *s)
{
	const struct tone_tok *t = &tx->t[i];
	const char *w = t->low;
	double v;

	if ((t->cls & (TC_VNEG | TC_XNEG)) || (strcmp(w, "no") == 0 &&
	    wis(tx, i + 1, "longer")) || (strncmp(w, "fail", 4) == 0 &&
	    wis(tx, i + 1, "to"))) {
		s->neg = 1;
		return 1;
	}
	if (t->cls & TC_CONCESS) {
		s->contrast = 2;
		return 1;
	}
	if (t->cls & TC_ADVERS) {
		if (strcmp(w, "but") == 0 && (wis(tx, i + 1, "also") ||
		    (i > 0 && (wis(tx, i - 1, "nothing") ||
		    wis(tx, i - 1, "anything") || wis(tx, i - 1, "all")))))
			return 1;
		/* "yet" joins clauses; "not yet" is time */
		if (strcmp(w, "yet") == 0 && !(i > 0 &&
		    (tone_tok_clause_end(tx, i - 1) || wis(tx, i - 1, "and"))))
			return 1;
		s->contrast = 1;
		return 1;
	}
	if ((t->cls & TC_KINDSORT) && wis(tx, i + 1, "of")) {
		s->boost = TONE_B_DECR;
		return 1;
	}
	/* evaluative boosters: "pretty good", "super easy", "damn good" */
	if ((t->cls & TC_EVALBOOST) && i + 1 < tx->n &&
	    tone_lex_word(tx->t[i + 1].low, &v) && v != 0) {
		s->boost = TONE_B_INCR;
		return 1;
	}
	if (!(t->cls & TC_SPECIAL))
		return 0;
	/* "like" only as a verb: "I like it", not "looks like" */
	if (strcmp(w, "like") == 0) {
		if (i == 0 || !IN_SET(tx->t[i - 1].low, like_subjects))
			return 1;
		return (wis(tx, i - 1, "would") || wis(tx, i - 1, "i'd") ||
		    wis(tx, i - 1, "we'd")) && wis(tx, i + 1, "to");
	}
	/* a request, a salutation, a department: no sentiment */
	if (strcmp(w, "help") == 0)
		return (i > 0 && IN_SET(tx->t[i - 1].low, help_requests)) ||
		    wis(tx, i + 1, "me") || wis(tx, i + 1, "us");
	if (strcmp(w, "dear") == 0)
		return i == 0 || t->para;
	if (strcmp(w, "support") == 0)
		return wis(tx, i + 1, "team") || wis(tx, i + 1, "staff") ||
		    wis(tx, i + 1, "desk") || wis(tx, i + 1, "ticket") ||
		    wis(tx, i + 1, "request") || (i > 0 &&
		    (wis(tx, i - 1, "contact") || wis(tx, i - 1, "your") ||
		    wis(tx, i - 1, "contacted") || wis(tx, i - 1, "called")));
	/* VADER: "no" before a lexicon word only negates it */
	if (strcmp(w, "no") == 0 && i + 1 < tx->n &&
	    tone_lex_word(tx->t[i + 1].low, &v)) {
		s->neg = 1;
		return 1;
	}
	return 0;
}

/* Base valence and role of token i. */
static void
classify(const struct tone_text *tx, size_t i, struct st *s)
{
	const struct tone_tok *t = &tx->t[i];
	const struct tone_tok *p = i > 0 ? &tx->t[i - 1] : NULL;

	memset(s, 0, sizeof(*s));
	if (t->kind == TT_EMOTICON) {
		s->has = tone_lex_vader(t->low, &s->v);
		return;
	}
	if (t->kind == TT_EMOJI) {
		s->has = tone_lex_emoji(t->cp, &s->v);
		return;
	}
	if (t->kind != TT_WORD && t->kind != TT_NUM)
		return;
	if ((t->cls & ROLES) && role(tx, i, s))
		return;
	if (tone_lex_booster(t->low, &s->boost))
		return;
	/* a name inside a sentence: "United States", "Best Buy" */
	if (t->title && p && !t->para && (p->kind == TT_WORD ||
	    p->kind == TT_NUM || (p->kind == TT_PUNCT && p->low[0] &&
	    strchr(",;:", p->low[0]))))
		return;
	if (tone_lex_word(t->low, &s->v))
		s->has = s->v != 0.0;
}

#define NPHRASES (sizeof(phrases) / sizeof(phrases[0]))

static struct tone_patidx phrase_idx;
static pthread_once_t phrase_once = PTHREAD_ONCE_INIT;

static void
phrase_index(void)
{
	tone_patidx_build(&phrase_idx, &phrases[0].pat, NPHRASES,
	    sizeof(phrases[0]));
}

static int
sorted(const char *const *set, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(set[i - 1], set[i]) >= 0)
			return 0;
	return 1;
}

#define SORTED(set) sorted((set), sizeof(set) / sizeof((set)[0]))

int
tone_sentiment_selfcheck(void)
{
	pthread_once(&phrase_once, phrase_index);
	if (!SORTED(like_subjects) || !SORTED(help_requests) ||
	    !SORTED(contracted_cf))
		return 2;
	return phrase_idx.ok ? 0 : 1;
}

static void
apply_phrases(const struct tone_text *tx, struct st *s)
{
	uint16_t cand[NPHRASES];
	size_t i, k, c, nc, p, end;

	pthread_once(&phrase_once, phrase_index);
	for (i = 0; i < tx->n; i++) {
		nc = tone_patidx_find(&phrase_idx, tx, i, cand, NPHRASES);
		for (c = 0; c < nc; c++) {
			p = cand[c];
			end = tone_patidx_match(&phrase_idx, p, tx, i);
			if (end == 0)
				continue;
			for (k = i; k < end; k++) {
				s[k].phrase = 1;
				s[k].neg = 0;
				s[k].has = 0;
				s[k].v = 0;
				s[k].boost = 0;
			}
			s[i].v = phrases[p].v;
			s[i].has = phrases[p].v != 0.0;
			s[i].noneg = (phrases[p].flags & P_NONEG) != 0;
			s[i].end = (uint32_t)end;
			i = end - 1;
			break;
		}
	}
}

/* Valence of token i in sentence [a, b) after boosters, negation,
 * capitals and modals (mstate: modal_step's state at i); *from is the
 * negator that turned it, else i. */
static double
modified(const struct tone_text *tx, const struct st *s, size_t a, size_t i,
    int cap_diff, int question, int mstate, size_t *from)
{
	double v = s[i].v, b;
	size_t d, j;
	int negated = 0, modal = 0, cf = 0, det = 0;

	if (tx->t[i].caps && cap_diff)
		v += v > 0 ? TONE_C_INCR : -TONE_C_INCR;
	for (d = 1; d <= 3 && i >= a + d; d++) {
		j = i - d;
		if (tone_tok_clause_end(tx, j) || s[j].contrast)
			break;
		if (s[j].boost != 0.0 && !s[j].has) {
			b = v < 0 ? -s[j].boost : s[j].boost;
			if (tx->t[j].caps && cap_diff)
				b += v > 0 ? TONE_C_INCR : -TONE_C_INCR;
			v += b * (d == 1 ? 1.0 : d == 2 ? 0.95 : 0.9);
		}
		if (s[j].neg && !s[i].noneg && !det) {
			negated = !negated;
			*from = j;
		}
		det = det || (tx->t[j].cls & TC_DET);
		/* "never so good", "never this bad" */
		if (d == 2 && s[j].neg && wis(tx, j, "never") &&
		    (wis(tx, j + 1, "so") || wis(tx, j + 1, "this"))) {
			negated = !negated;
			v *= 1.25;
		}
	}
	/* "still broken", "broken again": support mail's intensifiers */
	if (v < 0 && ((i > a && wis(tx, i - 1, "still")) ||
	    wis(tx, i + 1, "again")))
		v -= TONE_B_INCR;
	if (negated)
		v *= v > 0 ? TONE_N_SCALAR : -0.5;
	/* modals and conditionals earlier in the clause */
	modal = (mstate & M_MODAL) != 0;
	cf = (mstate & M_CF) != 0;
	if (cf)
		v *= -0.5;
	else if ((modal || question) && v > 0)
		v *= 0.5;
	if (i > a && wis(tx, i - 1, "least") && !(i > a + 1 &&
	    (wis(tx, i - 2, "at") || wis(tx, i - 2, "very"))))
		v *= TONE_N_SCALAR;
	return v;
}

static void
keep_word(struct tone_sent_word *words, size_t max, size_t *n, size_t tok,
    size_t end, double v)
{
	size_t k;

	if (max == 0 || v == 0.0)
		return;
	if (*n == max && fabs(words[max - 1].valence) >= fabs(v))
		return;
	k = *n < max ? (*n)++ : max - 1;
	while (k > 0 && fabs(words[k - 1].valence) < fabs(v)) {
		words[k] = words[k - 1];
		k--;
	}
	words[k].tok = tok;
	words[k].end = end;
	words[k].valence = v;
}

enum tame_err
tone_sentiment(const struct tone_text *tx, double *score,
    struct tone_sent_word *words, size_t *nwords)
{
	struct st *s = NULL;
	size_t *from = NULL;
	double *fv = NULL, total = 0.0, prev_sum = 0.0;
	size_t i, a, b, max = nwords ? *nwords : 0, nwords_out = 0;
	size_t nup = 0, nelig = 0, ksent = 0;
	enum tame_err rc = TAME_OK;
	int cap_diff;

	*score = 0.0;
	if (nwords)
		*nwords = 0;
	if (!tx || tx->n == 0)
		return TAME_OK;
	/* one block of the thread's scratch for the three arrays (doubles
	 * first for alignment);
	 * classify() sets every s[i], the sentence loop every fv[i] and
	 * from[i] */
	if (!(fv = tone_scratch(TONE_SCRATCH_SENTIMENT, tx->n *
	    (sizeof(*fv) + sizeof(*from) + sizeof(*s))))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	from = (size_t *)(fv + tx->n);
	s = (struct st *)(from + tx->n);
	for (i = 0; i < tx->n; i++) {
		classify(tx, i, &s[i]);
		if (tx->t[i].kind == TT_WORD && strlen(tx->t[i].low) >= 2) {
			nelig++;
			nup += tx->t[i].caps;
		}
	}
	cap_diff = nup > 0 && nup < nelig;
	apply_phrases(tx, s);
	for (a = 0; a < tx->n; a = b) {
		double sum = 0.0, amp = 0.0;
		size_t last_adv = (size_t)-1, excl = 0, qm = 0, j;
		int question, mstate;

		for (b = a; b < tx->n; b++) {
			if (b > a && tx->t[b].para)
				break;
			if (tone_tok_sentence_end(tx, b)) {
				/* a run of marks ends it: "!!! ???" */
				while (b + 1 < tx->n && tone_tok_sentence_end(tx,
				    b + 1) && !tx->t[b + 1].para)
					b++;
				b++;
				break;
			}
		}
		question = b > a && tx->t[b - 1].kind == TT_PUNCT &&
		    strchr(tx->t[b - 1].low, '?') != NULL;
		for (i = a, mstate = 0; i < b; i++) {
			const char *p;

			if (i > a)
				mstate = modal_step(tx, s, i - 1, mstate);
			if (s[i].contrast == 1)
				last_adv = i;
			if (tx->t[i].kind == TT_PUNCT)
				for (p = tx->t[i].low; *p; p++) {
					excl += *p == '!';
					qm += *p == '?';
				}
			from[i] = i;
			fv[i] = s[i].has ? modified(tx, s, a, i, cap_diff,
			    question, mstate, &from[i]) : 0.0;
		}
		/* concessive clauses weigh half */
		for (i = a; i < b; i++) {
			if (s[i].contrast != 2)
				continue;
			for (j = i + 1; j < b && !tone_tok_clause_end(tx, j); j++)
				fv[j] *= 0.5;
		}
		for (i = a; i < b; i++) {
			if (last_adv != (size_t)-1 && i < last_adv)
				fv[i] *= 0.5;
			else if (last_adv != (size_t)-1 && i > last_adv)
				fv[i] *= 1.5;
			sum += fv[i];
		}
		/* "But ..." opening a sentence turns away from the last one */
		if (last_adv == a && ksent > 0) {
			total -= prev_sum * 0.5;
		}
		amp = (double)(excl > 4 ? 4 : excl) * 0.292;
		if (qm > 1)
			amp += qm <= 3 ? (double)qm * 0.18 : 0.96;
		if (sum > 0)
			sum += amp;
		else if (sum < 0)
			sum -= amp;
		if (sum != 0.0) {
			ksent++;
			total += sum;
		}
		prev_sum = sum;
	}
	for (i = 0; i < tx->n; i++)
		keep_word(words, max, &nwords_out, from[i], s[i].end > i ?
		    s[i].end : i + 1, fv[i]);
	if (nwords)
		*nwords = nwords_out;
	if (ksent > 1)
		total /= sqrt((double)ksent);
	*score = total / sqrt(total * total + TONE_ALPHA);
out:
	return rc;
}
