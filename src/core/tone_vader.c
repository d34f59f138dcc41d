/*
 * tone_vader.c - plain VADER, the baseline Tame's sentiment is measured
 * against.
 *
 * A faithful C rendering of the reference implementation (vaderSentiment
 * 3.3, Hutto & Gilbert, ICWSM 2014): the text is split on white space,
 * punctuation is stripped from a token unless that leaves two characters
 * or fewer (so ":)" survives); each lexicon word gets its valence, raised
 * or lowered by boosters up to three words before it (damped by 0.95 and
 * 0.9 with distance), multiplied by -0.74 after a negation within three
 * words, raised by 0.733 when in CAPITALS among lower-case words; words
 * before the first "but" count half and after it one and a half; the sum
 * gains 0.292 per '!' (up to 4) and for "??"; compound = x/sqrt(x^2+15).
 * Its quirks are kept on purpose (a modifier is only looked at when it is
 * not itself a lexicon word; "I" counts as a word in capitals), and
 * where the reference code has an accident (its "but" rule finds items
 * by value, not position) the intended rule is used. Emoji are not read:
 * the reference replaces them with descriptions from a table not shipped
 * here. Tame's own model is in tone_sentiment.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tone_impl.h"

struct vword {
	char low[TONE_WORD_MAX]; /* lower case; "" when too long */
	int upper;               /* Python's str.isupper() */
	int inlex;               /* low is in the lexicon */
	double lexv;
};

static int
is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Python's string.punctuation */
static int
is_punct(unsigned char c)
{
	return c < 0x80 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) &&
	    c != '\0';
}

static size_t
codepoints(const char *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] & 0xC0) != 0x80)
			k++;
	return k;
}

static void
set_word(struct vword *w, const char *p, size_t n)
{
	size_t i, a, b;
	int has_up = 0, has_low = 0;

	a = 0;
	b = n;
	while (a < b && is_punct((unsigned char)p[a]))
		a++;
	while (b > a && is_punct((unsigned char)p[b - 1]))
		b--;
	if (codepoints(p + a, b - a) > 2) {
		p += a;
		n = b - a;
	}
	w->low[0] = '\0';
	if (n < sizeof(w->low)) {
		for (i = 0; i < n; i++) {
			char c = p[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			w->low[i] = c;
		}
		w->low[n] = '\0';
	}
	for (i = 0; i < n; i++) {
		has_up |= p[i] >= 'A' && p[i] <= 'Z';
		has_low |= p[i] >= 'a' && p[i] <= 'z';
	}
	w->upper = has_up && !has_low;
	w->inlex = tone_lex_vader(w->low, &w->lexv);
}

static int
is(const struct vword *w, const char *s)
{
	return strcmp(w->low, s) == 0;
}

static double
scalar_inc_dec(const struct vword *w, double valence, int cap_diff)
{
	double scalar = 0.0;

	if (tone_lex_booster(w->low, &scalar)) {
		if (valence < 0)
			scalar = -scalar;
		if (w->upper && cap_diff)
			scalar += valence > 0 ? TONE_C_INCR : -TONE_C_INCR;
	}
	return scalar;
}

static double
negation_check(double v, const struct vword *w, int start_i, size_t i)
{
	if (start_i == 0) {
		if (tone_lex_negator(w[i - 1].low))
			v *= TONE_N_SCALAR;
	} else if (start_i == 1) {
		if (is(&w[i - 2], "never") &&
		    (is(&w[i - 1], "so") || is(&w[i - 1], "this")))
			v *= 1.25;
		else if (is(&w[i - 2], "without") && is(&w[i - 1], "doubt"))
			;
		else if (tone_lex_negator(w[i - 2].low))
			v *= TONE_N_SCALAR;
	} else {
		if ((is(&w[i - 3], "never") &&
		    (is(&w[i - 2], "so") || is(&w[i - 2], "this"))) ||
		    is(&w[i - 1], "so") || is(&w[i - 1], "this"))
			v *= 1.25;
		else if (is(&w[i - 3], "without") &&
		    (is(&w[i - 2], "doubt") || is(&w[i - 1], "doubt")))
			;
		else if (tone_lex_negator(w[i - 3].low))
			v *= TONE_N_SCALAR;
	}
	return v;
}

/* Looks "a b" or "a b c" up in SPECIAL_CASES (and BOOSTER_DICT). */
static int
phrase(const struct vword *a, const struct vword *b, const struct vword *c,
    int booster, double *v)
{
	char buf[3 * TONE_WORD_MAX + 4];
	int n;

	if (c)
		n = snprintf(buf, sizeof(buf), "%s %s %s", a->low, b->low,
		    c->low);
	else
		n = snprintf(buf, sizeof(buf), "%s %s", a->low, b->low);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return 0;
	return booster ? tone_lex_booster(buf, v) : tone_lex_special(buf, v);
}

static double
special_idioms_check(double v, const struct vword *w, size_t n, size_t i)
{
	double s;

	if (phrase(&w[i - 1], &w[i], NULL, 0, &s) ||
	    phrase(&w[i - 2], &w[i - 1], &w[i], 0, &s) ||
	    phrase(&w[i - 2], &w[i - 1], NULL, 0, &s) ||
	    phrase(&w[i - 3], &w[i - 2], &w[i - 1], 0, &s) ||
	    phrase(&w[i - 3], &w[i - 2], NULL, 0, &s))
		v = s;
	if (i + 1 < n && phrase(&w[i], &w[i + 1], NULL, 0, &s))
		v = s;
	if (i + 2 < n && phrase(&w[i], &w[i + 1], &w[i + 2], 0, &s))
		v = s;
	if (phrase(&w[i - 3], &w[i - 2], &w[i - 1], 1, &s))
		v += s;
	if (phrase(&w[i - 3], &w[i - 2], NULL, 1, &s))
		v += s;
	if (phrase(&w[i - 2], &w[i - 1], NULL, 1, &s))
		v += s;
	return v;
}

static double
least_check(double v, const struct vword *w, size_t i)
{
	if (i > 1 && !w[i - 1].inlex && is(&w[i - 1], "least")) {
		if (!is(&w[i - 2], "at") && !is(&w[i - 2], "very"))
			v *= TONE_N_SCALAR;
	} else if (i > 0 && !w[i - 1].inlex && is(&w[i - 1], "least")) {
		v *= TONE_N_SCALAR;
	}
	return v;
}

static double
valence_at(const struct vword *w, size_t n, size_t i, int cap_diff)
{
	double v = w[i].lexv;
	int start_i;

	if (is(&w[i], "no") && i != n - 1 && w[i + 1].inlex)
		v = 0.0;
	if ((i > 0 && is(&w[i - 1], "no")) || (i > 1 && is(&w[i - 2], "no")) ||
	    (i > 2 && is(&w[i - 3], "no") &&
	    (is(&w[i - 1], "or") || is(&w[i - 1], "nor"))))
		v = w[i].lexv * TONE_N_SCALAR;
	if (w[i].upper && cap_diff)
		v += v > 0 ? TONE_C_INCR : -TONE_C_INCR;
	for (start_i = 0; start_i < 3; start_i++) {
		const struct vword *m;
		double s;

		if (i <= (size_t)start_i)
			continue;
		m = &w[i - (size_t)start_i - 1];
		if (m->inlex)
			continue;
		s = scalar_inc_dec(m, v, cap_diff);
		if (start_i == 1)
			s *= 0.95;
		else if (start_i == 2)
			s *= 0.9;
		v += s;
		v = negation_check(v, w, start_i, i);
		if (start_i == 2)
			v = special_idioms_check(v, w, n, i);
	}
	return least_check(v, w, i);
}

static double
punct_emphasis(const char *text, size_t len)
{
	size_t i, ep = 0, qm = 0;
	double amp;

	for (i = 0; i < len; i++) {
		ep += text[i] == '!';
		qm += text[i] == '?';
	}
	amp = (double)(ep > 4 ? 4 : ep) * 0.292;
	if (qm > 1)
		amp += qm <= 3 ? (double)qm * 0.18 : 0.96;
	return amp;
}

double
tone_vader(const char *text, size_t len)
{
	struct vword *w = NULL;
	double *s = NULL, sum = 0.0, amp;
	size_t n = 0, i, j, nup = 0, but = (size_t)-1, cap;
	int cap_diff;

	if (!text || len == 0)
		return 0.0;
	/* words are separated by white space: at most (len + 1) / 2 */
	cap = len / 2 + 1 < TONE_MAX_TOKENS ? len / 2 + 1 : TONE_MAX_TOKENS;
	w = calloc(cap, sizeof(*w));
	s = calloc(cap, sizeof(*s));
	if (!w || !s)
		goto out;
	for (i = 0; i < len && n < cap; i = j) {
		while (i < len && is_space((unsigned char)text[i]))
			i++;
		for (j = i; j < len && !is_space((unsigned char)text[j]); j++)
			;
		if (j > i) {
			set_word(&w[n], text + i, j - i);
			nup += w[n].upper != 0;
			n++;
		}
	}
	cap_diff = nup > 0 && nup < n;
	for (i = 0; i < n; i++) {
		if (tone_lex_booster(w[i].low, NULL) ||
		    (i + 1 < n && is(&w[i], "kind") && is(&w[i + 1], "of")) ||
		    !w[i].inlex)
			s[i] = 0.0;
		else
			s[i] = valence_at(w, n, i, cap_diff);
		if (but == (size_t)-1 && is(&w[i], "but"))
			but = i;
	}
	for (i = 0; i < n; i++) {
		if (but != (size_t)-1 && i < but)
			s[i] *= 0.5;
		else if (but != (size_t)-1 && i > but)
			s[i] *= 1.5;
		sum += s[i];
	}
	amp = punct_emphasis(text, len);
	if (sum > 0)
		sum += amp;
	else if (sum < 0)
		sum -= amp;
out:
	free(w);
	free(s);
	return sum / sqrt(sum * sum + TONE_ALPHA);
}
