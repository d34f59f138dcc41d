/*
 * tone.c - the tone of a customer message: what tone.h promises, put
 * together from the parts of the module.
 *
 *   tone_token.c      tokens (case, punctuation runs, emoticons, emoji)
 *                     and the phrase patterns cues are written in
 *   tone_lexicon.c    the VADER lexicon and Tame's word lists
 *   tone_vader.c      plain VADER, the baseline of `make eval`
 *   tone_sentiment.c  Tame's sentiment
 *   tone_cue.c        frustration, anger, confusion, urgency, cheer,
 *                     abuse
 *   tone_register.c   formal or relaxed, and what shows it
 *   tone_urgency.c    when urgency may raise a ticket's priority
 *
 * A dimension's score is 1 - exp(-w) for the sum w of its cue weights,
 * so one strong cue ("ASAP", weight 1) gives 0.63, two give 0.86, and
 * no pile of cues reaches 1. The register is formal unless the customer
 * writes in a relaxed way and is not upset: an agent who errs should err
 * on the formal side (see the TAHT essay among the design texts).
 *
 * The word lists are English. A message in another language (lang.h:
 * its function words say so clearly) keeps its signs - runs of "!!" and
 * "??", CAPITALS, emoticons and emoji - and the few English words that
 * other languages borrow as they are ("ASAP", "urgent", "deadline"),
 * while its other words are read as words of no list: German "die",
 * Spanish "sin" and "tardes", French "pain" are no feeling, and German
 * "so", Spanish "no" no booster or negation. Its register is read from
 * the whole text, as written.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "lang.h"
#include "text.h"
#include "tone.h"
#include "tone_impl.h"
#include "util.h"

/* Sentiment words shown as evidence, the strongest first. */
#define TONE_SENTIMENT_EVIDENCE 4

static const char *const dim_names[TONE_DIM_COUNT] = {
	"sentiment", "frustration", "anger", "confusion", "urgency", "cheer",
	"abuse"
};

const char *
tone_dim_name(enum tone_dim dim)
{
	if ((int)dim < 0 || dim >= TONE_DIM_COUNT)
		return "?";
	return dim_names[dim];
}

const char *
tone_register_name(enum tone_register reg)
{
	return reg == TONE_RELAXED ? "relaxed" : "formal";
}

/* ---- per-thread working memory (tone_impl.h) ---- */

struct scratch {
	void *p[TONE_SCRATCH_COUNT];
	size_t cap[TONE_SCRATCH_COUNT];
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_ok;

static void
scratch_free(void *v)
{
	struct scratch *sc = v;
	size_t i;

	for (i = 0; sc && i < TONE_SCRATCH_COUNT; i++)
		free(sc->p[i]);
	free(sc);
}

static void
scratch_init(void)
{
	scratch_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

void *
tone_scratch(enum tone_scratch_slot slot, size_t bytes)
{
	struct scratch *sc;
	void *p;

	if ((unsigned)slot >= TONE_SCRATCH_COUNT)
		return NULL;
	pthread_once(&scratch_once, scratch_init);
	if (!scratch_ok)
		return NULL;
	if (!(sc = pthread_getspecific(scratch_key))) {
		if (!(sc = calloc(1, sizeof(*sc))))
			return NULL;
		if (pthread_setspecific(scratch_key, sc)) {
			free(sc);
			return NULL;
		}
	}
	if (bytes <= sc->cap[slot])
		return sc->p[slot];
	if (!(p = realloc(sc->p[slot], bytes)))
		return NULL;
	sc->p[slot] = p;
	sc->cap[slot] = bytes;
	return p;
}

static double
squash(double w)
{
	return w <= 0.0 ? 0.0 : 1.0 - exp(-w);
}

/* English words a message in another language means as English does:
 * urgency cues. */
static const char *const borrowed[] = { "a.s.a.p", "asap", "deadline",
	"deadlines", "emergency", "immediately", "urgency", "urgent",
	"urgently" };

/* The language of the words of tx (lang.h), folded as the trend index
 * folds them; a word starts a sentence after . ! ? or a new line. */
static enum lang
words_lang(const struct tone_text *tx)
{
	struct lang_votes v;
	struct buf f;
	const struct tone_tok *t;
	const char *w;
	size_t i, k, end = 0;
	int start = 1;

	lang_votes_init(&v);
	buf_init(&f, TONE_WORD_MAX * 4);
	for (i = 0; i < tx->n; i++) {
		t = &tx->t[i];
		if (t->off > end && memchr(tx->src + end, '\n', t->off - end))
			start = 1;
		end = t->off + t->len;
		if (t->kind == TT_PUNCT) {
			if (tone_tok_sentence_end(tx, i))
				start = 1;
			continue;
		}
		if (t->kind != TT_WORD || t->wlen == 0)
			continue;
		w = t->low;
		for (k = 0; k < t->wlen && (unsigned char)w[k] < 0x80; k++)
			;
		if (k < t->wlen) {
			/* "für" is "fur" on the lists; lower-case ASCII folds
			 * to itself */
			buf_reset(&f);
			if (text_fold(w, t->wlen, &f) || !f.data) {
				start = 0;
				continue;
			}
			w = f.data;
		}
		lang_vote(&v, w, tx->src + t->off, t->len, start);
		start = 0;
	}
	buf_free(&f);
	return lang_pick(&v, LANG_EN);
}

/* Points tx at a copy of its tokens in which the words, but the
 * borrowed ones, are words of no list: each letter becomes a byte no
 * list holds, so that a word keeps its length (a word in CAPITALS of
 * five letters or more is still stress). The tokens as written stay
 * where they were, for the register: *orig. TAME_ENOMEM. */
static enum tame_err
foreign_words(struct tone_text *tx, struct tone_tok **orig)
{
	struct tone_tok *t;
	size_t i;

	if (!(t = tone_scratch(TONE_SCRATCH_FOREIGN, tx->n * sizeof(*t))))
		return TAME_ENOMEM;
	memcpy(t, tx->t, tx->n * sizeof(*t));
	*orig = tx->t;
	tx->t = t;
	for (i = 0; i < tx->n; i++) {
		t = &tx->t[i];
		if (t->kind != TT_WORD || t->wlen == 0 ||
		    bsearch(t->low, borrowed, sizeof(borrowed) /
		    sizeof(borrowed[0]), sizeof(borrowed[0]), tame_strp_cmp))
			continue;
		memset(t->low, 0x01, t->wlen);
		t->hash = tone_hash(t->low, t->wlen);
		t->cls = 0;
	}
	return TAME_OK;
}

static void
neutral(struct tone *out)
{
	memset(out, 0, sizeof(*out));
	out->reg = TONE_FORMAL;
}

enum tame_err
tone_analyze(const char *text, size_t len, struct tone *out)
{
	struct tone_sent_word words[TONE_SENTIMENT_EVIDENCE];
	struct tone_text tx = { 0 };
	struct tone_acc acc;
	struct tone_tok *orig = NULL;
	size_t nwords = TONE_SENTIMENT_EVIDENCE, i, all, body;
	enum tame_err rc;

	if (!out)
		return TAME_EINVAL;
	neutral(out);
	if (!text && len > 0)
		return TAME_EINVAL;
	if ((rc = tone_tokenize(text, len, &tx)))
		goto out;
	out->tokens = tx.n;
	out->truncated = tx.truncated;
	if (tx.n == 0)
		goto out;
	if (words_lang(&tx) != LANG_EN && (rc = foreign_words(&tx, &orig)))
		goto out;
	/* a closing "Thanks," is politeness: the feelings are read before
	 * it, the register from all of it */
	all = tx.n;
	body = text_closing(text, len);
	while (tx.n > 0 && tx.t[tx.n - 1].off >= body)
		tx.n--;
	if (tx.n == 0)
		tx.n = all;
	if ((rc = tone_sentiment(&tx, &out->sentiment, words, &nwords)))
		goto out;
	memset(&acc, 0, sizeof(acc));
	acc.sentiment = out->sentiment;
	acc.out = out;
	tone_cues(&tx, &acc);
	for (i = 0; i < nwords; i++)
		tone_evidence_add(out, &tx, words[i].tok, words[i].end,
		    TONE_SENTIMENT, words[i].valence);
	out->frustration = squash(acc.raw[TONE_FRUSTRATION]);
	out->anger = squash(acc.raw[TONE_ANGER]);
	out->confusion = squash(acc.raw[TONE_CONFUSION]);
	out->urgency = squash(acc.raw[TONE_URGENCY]);
	out->cheer = squash(acc.raw[TONE_CHEER]);
	out->abusive = acc.raw[TONE_ABUSE] >= 1.0;
	tx.n = all;
	/* the register reads the words as written */
	if (orig)
		tx.t = orig;
	tone_register_estimate(&tx, out);
out:
	if (rc) {
		neutral(out);
	}
	return rc;
}

static json_t *
real3(double v)
{
	return json_real(round(v * 1000.0) / 1000.0);
}

/* Sets key to v, taking the reference; 0 on success. */
static int
set(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

json_t *
tone_to_json(const struct tone *t)
{
	json_t *o = NULL, *ev = NULL, *re, *e;
	size_t i;

	if (!t)
		return NULL;
	if (!(o = json_object()) || !(ev = json_array()))
		goto fail;
	if (set(o, "sentiment", real3(t->sentiment)) ||
	    set(o, "frustration", real3(t->frustration)) ||
	    set(o, "anger", real3(t->anger)) ||
	    set(o, "confusion", real3(t->confusion)) ||
	    set(o, "urgency", real3(t->urgency)) ||
	    set(o, "cheer", real3(t->cheer)) ||
	    set(o, "abusive", json_boolean(t->abusive)) ||
	    set(o, "register", json_string(tone_register_name(t->reg))) ||
	    set(o, "register_evidence", (re = json_array())))
		goto fail;
	for (i = 0; i < t->n_reg_evidence && i < TONE_REG_EVIDENCE; i++)
		if (json_array_append_new(re, json_string(t->reg_evidence[i])))
			goto fail;
	for (i = 0; i < t->n_evidence && i < TONE_MAX_EVIDENCE; i++) {
		const struct tone_evidence *x = &t->evidence[i];

		if (!(e = json_object()))
			goto fail;
		if (json_array_append_new(ev, e) ||
		    set(e, "dimension", json_string(tone_dim_name(x->dim))) ||
		    set(e, "text", json_string(x->text)) ||
		    set(e, "weight", real3(x->weight)))
			goto fail;
	}
	if (json_object_set_new(o, "evidence", ev)) {
		ev = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(ev);
	json_decref(o);
	return NULL;
}
