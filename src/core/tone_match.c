/*
 * tone_match.c - the phrase patterns that tone cues and sentiment
 * phrases are written in (syntax in tone_impl.h), compiled and indexed.
 *
 * A pattern is matched token by token with backtracking over optional
 * and repeated items. What costs is not one match but trying a few
 * hundred patterns at every token, so each table is compiled once into
 * items and alternatives (no string parsing while matching) and indexed
 * by what its first item can match: a hash of the literal first words,
 * their prefixes ("frustrat*"), the word classes of the first item
 * (@NOT, @YOU) tested against the token's class bits, and the few
 * patterns whose first item is optional. A token then tries only the
 * patterns that can start with it.
 */
#include <string.h>
#include "tone_impl.h"

#define NOMATCH ((size_t)-1)

enum cls {
	K_NONE, K_NOT, K_NUM, K_DAY, K_MONTH, K_TIME, K_YOU, K_YOUARE, K_BE,
	K_INSULT, K_INSADJ, K_TARGET, K_SLUR, K_FILL, K_QQ, K_EXCL, K_WORD,
	K_COMMA, K_END, K_COUNT
};

static const struct {
	const char *name;
	uint32_t gate;   /* class bits a first token needs */
} classes[K_COUNT] = {
	[K_NOT] = { "NOT", TC_NOTSTART },
	[K_NUM] = { "NUM", TC_NUMTOK | TC_NUMW },
	[K_DAY] = { "DAY", TC_DAY },
	[K_MONTH] = { "MONTH", TC_MONTH },
	[K_TIME] = { "TIME", TC_TIMEW | TC_NUMTOK },
	[K_YOU] = { "YOU", TC_YOU },
	[K_YOUARE] = { "YOUARE", TC_YOU | TC_YOURE },
	[K_BE] = { "BE", TC_BE },
	[K_INSULT] = { "INSULT", TC_INSULT | TC_SLUR },
	[K_INSADJ] = { "INSADJ", TC_INSADJ },
	[K_TARGET] = { "TARGET", TC_TARGET },
	[K_SLUR] = { "SLUR", TC_SLUR },
	[K_FILL] = { "FILL", TC_FILL },
	[K_QQ] = { "QQ", TC_QEX },
	[K_EXCL] = { "EXCL", TC_QEX },
	/* not to start a pattern: they match nearly anything */
	[K_WORD] = { "WORD", 0 },
	[K_COMMA] = { "COMMA", TC_PUNCT },
	[K_END] = { "END", 0 },
};

static uint32_t
bits(const struct tone_text *tx, size_t i)
{
	return i < tx->n ? tx->t[i].cls : 0;
}

#define NEGATES (TC_NOTW | TC_NT)

/* "5pm", "17:00", "5 pm", "noon": tokens taken, 0 if none. */
static size_t
time_at(const struct tone_text *tx, size_t i)
{
	const char *w = tx->t[i].low;
	size_t k = 0;

	if (tx->t[i].cls & TC_TIMEW)
		return 1;
	if (tx->t[i].kind != TT_NUM)
		return 0;
	while (w[k] >= '0' && w[k] <= '9')
		k++;
	if (w[k] == ':' || (w[k] == '.' && w[k + 1] >= '0'))
		return 1;
	if (strcmp(w + k, "am") == 0 || strcmp(w + k, "pm") == 0 ||
	    strcmp(w + k, "h") == 0)
		return 1;
	if (w[k] == '\0' && k <= 2 && (bits(tx, i + 1) & TC_AMPM))
		return 2;
	return 0;
}

/* Tokens taken by class c at i, 0 if it does not match. */
static size_t
match_class(const struct tone_text *tx, size_t i, enum cls c)
{
	uint32_t b = tx->t[i].cls;
	size_t k = i;

	switch (c) {
	case K_NOT:
		/* [really|just] [do|can|is] not|never|n't [really|even] */
		if (!(b & TC_NOTSTART))
			return 0;
		if ((b & TC_ADV) && k + 1 < tx->n)
			k++;
		if ((bits(tx, k) & TC_AUX) && (bits(tx, k + 1) & NEGATES))
			k++;
		if (!(bits(tx, k) & NEGATES))
			return 0;
		if (bits(tx, k + 1) & TC_ADV)
			k++;
		return k + 1 - i;
	case K_YOU:
	case K_YOUARE:
		if (c == K_YOUARE && (b & TC_YOURE))
			return 1;
		if (!(b & TC_YOU))
			return 0;
		if (bits(tx, k + 1) & TC_YOUGRP)
			k++;
		if (c == K_YOU)
			return k + 1 - i;
		return (bits(tx, k + 1) & TC_BE) ? k + 2 - i : 0;
	case K_TIME:
		return time_at(tx, i);
	case K_QQ:
		return (b & TC_PUNCT) && strstr(tx->t[i].low, "??");
	case K_EXCL:
		return (b & TC_PUNCT) && strchr(tx->t[i].low, '!');
	case K_WORD:
		/* a word that does not turn what follows around */
		return tx->t[i].kind == TT_WORD && !(b & NEGATES);
	case K_COMMA:
		return (b & TC_PUNCT) && strcmp(tx->t[i].low, ",") == 0;
	default:
		return (b & classes[c].gate) != 0;
	}
}

static size_t
match_alt(const struct tone_text *tx, size_t i, const struct tone_palt *a)
{
	const struct tone_tok *t = &tx->t[i];

	if (a->cls)
		return match_class(tx, i, (enum cls)a->cls);
	if (t->kind == TT_PUNCT || t->kind == TT_EMOJI)
		return 0;
	if (a->prefix)
		return t->wlen >= a->len && memcmp(t->low, a->w, a->len) == 0;
	return t->wlen == a->len && memcmp(t->low, a->w, a->len) == 0;
}

static size_t match_items(const struct tone_patidx *,
    const struct tone_text *, size_t, size_t, size_t);

/* Tries each alternative of item it at i, then the items after it. */
static size_t
match_one(const struct tone_patidx *ix, const struct tone_text *tx,
    size_t i, size_t it, size_t end, int reps)
{
	const struct tone_pitem *item = &ix->item[it];
	size_t a, k, r;

	/* @END looks at what comes and takes nothing */
	if (item->nalt == 1 && ix->alt[item->alt].cls == K_END)
		return i >= tx->n || tx->t[i].kind == TT_PUNCT ||
		    tx->t[i].kind == TT_EMOJI ? match_items(ix, tx, i, it + 1,
		    end) : NOMATCH;
	if (i >= tx->n)
		return NOMATCH;
	for (a = item->alt; a < (size_t)item->alt + item->nalt; a++) {
		if ((k = match_alt(tx, i, &ix->alt[a])) == 0)
			continue;
		if (reps > 1 && (r = match_one(ix, tx, i + k, it, end,
		    reps - 1)) != NOMATCH)
			return r;
		if ((r = match_items(ix, tx, i + k, it + 1, end)) != NOMATCH)
			return r;
	}
	return NOMATCH;
}

static size_t
match_items(const struct tone_patidx *ix, const struct tone_text *tx,
    size_t i, size_t it, size_t end)
{
	char flag;
	size_t r;

	if (it == end)
		return i;
	flag = ix->item[it].flag;
	r = match_one(ix, tx, i, it, end, flag == '*' ? 3 : 1);
	if (r == NOMATCH && flag)
		r = match_items(ix, tx, i, it + 1, end);
	return r;
}

size_t
tone_patidx_match(const struct tone_patidx *ix, size_t rule,
    const struct tone_text *tx, size_t i)
{
	size_t r;

	if (!ix->ok || rule >= ix->nrules || i >= tx->n)
		return 0;
	r = match_items(ix, tx, i, ix->rule_item[rule],
	    ix->rule_item[rule + 1]);
	return r == NOMATCH || r == i ? 0 : r;
}

/* ---- building ---- */

static int
compile_alt(struct tone_patidx *ix, const char *a, size_t len)
{
	struct tone_palt *p;
	int c;

	if (ix->nalts == TONE_PAT_ALTS || len == 0 || len > 31)
		return -1;
	p = &ix->alt[ix->nalts++];
	memset(p, 0, sizeof(*p));
	if (a[0] == '@') {
		for (c = 1; c < K_COUNT; c++)
			if (strlen(classes[c].name) == len - 1 &&
			    memcmp(classes[c].name, a + 1, len - 1) == 0)
				break;
		if (c == K_COUNT)
			return -1;
		p->cls = (uint8_t)c;
		return 0;
	}
	p->w = a;
	p->prefix = a[len - 1] == '*';
	p->len = (uint8_t)(len - p->prefix);
	return 0;
}

static int
compile(struct tone_patidx *ix, size_t r, const char *p)
{
	ix->rule_item[r] = (uint16_t)ix->nitems;
	while (*p) {
		struct tone_pitem *item;
		const char *e, *a;

		if (ix->nitems == TONE_PAT_ITEMS)
			return -1;
		item = &ix->item[ix->nitems++];
		item->flag = *p == '?' || *p == '*' ? *p++ : 0;
		item->alt = (uint16_t)ix->nalts;
		e = strchr(p, ' ');
		if (!e)
			e = p + strlen(p);
		for (a = p; a <= e; ) {
			const char *bar = memchr(a, '|', (size_t)(e - a));
			const char *ae = bar ? bar : e;

			if (compile_alt(ix, a, (size_t)(ae - a)))
				return -1;
			a = ae + 1;
		}
		item->nalt = (uint16_t)(ix->nalts - item->alt);
		p = *e ? e + 1 : e;
	}
	ix->rule_item[r + 1] = (uint16_t)ix->nitems;
	return ix->nitems > ix->rule_item[r] ? 0 : -1;
}

static uint32_t
slot_of(const char *w, size_t n, int prefix)
{
	return (tone_hash(w, n) ^ (prefix ? 0x9e3779b9u : 0)) &
	    (TONE_PATIDX_SLOTS - 1);
}

/* Adds rule r under the first-word alternative a. */
static int
index_word(struct tone_patidx *ix, size_t a, size_t r)
{
	const struct tone_palt *p = &ix->alt[a];
	uint32_t h = slot_of(p->w, p->len, p->prefix);

	/* a half-full table keeps probing short and always ends */
	if (ix->nref >= TONE_PATIDX_SLOTS / 2)
		return -1;
	for (;; h = (h + 1) & (TONE_PATIDX_SLOTS - 1)) {
		const struct tone_palt *q;

		if (ix->slot[h].alt == 0)
			break;
		q = &ix->alt[ix->slot[h].alt - 1];
		if (q->prefix == p->prefix && q->len == p->len &&
		    memcmp(q->w, p->w, p->len) == 0)
			break;
	}
	if (ix->slot[h].alt == 0) {
		ix->slot[h].alt = (uint16_t)(a + 1);
		ix->slot[h].count = 0;
	}
	/* remember the slot; group_refs() puts each slot's rules together */
	ix->scratch[ix->nref] = h;
	ix->ref[ix->nref++] = (uint16_t)r;
	if (p->prefix)
		ix->prefix_lens |= 1u << p->len;
	return 0;
}

/* Groups ref[] by slot (a stable counting pass) and sets first/count. */
static void
group_refs(struct tone_patidx *ix)
{
	uint16_t tmp[TONE_PAT_ALTS];
	size_t i, k, n = 0;

	for (i = 0; i < TONE_PATIDX_SLOTS; i++)
		ix->slot[i].count = 0;
	for (i = 0; i < ix->nref; i++)
		ix->slot[ix->scratch[i]].count++;
	for (i = 0; i < TONE_PATIDX_SLOTS; i++) {
		ix->slot[i].first = (uint16_t)n;
		n += ix->slot[i].count;
		ix->slot[i].count = 0;
	}
	for (i = 0; i < ix->nref; i++) {
		k = ix->scratch[i];
		tmp[ix->slot[k].first + ix->slot[k].count++] = ix->ref[i];
	}
	memcpy(ix->ref, tmp, ix->nref * sizeof(tmp[0]));
}

void
tone_patidx_build(struct tone_patidx *ix, const char *const *pats, size_t n,
    size_t stride)
{
	size_t r, a;

	memset(ix, 0, sizeof(*ix));
	if (n > TONE_PAT_RULES)
		return;
	ix->nrules = n;
	for (r = 0; r < n; r++) {
		const char *p = *(const char *const *)(const void *)
		    ((const char *)pats + r * stride);
		const struct tone_pitem *first;

		if (compile(ix, r, p))
			return;
		first = &ix->item[ix->rule_item[r]];
		if (first->flag) {
			if (ix->nany == TONE_PATIDX_ANY)
				return;
			ix->any[ix->nany++] = (uint16_t)r;
			continue;
		}
		for (a = first->alt; a < (size_t)first->alt + first->nalt; a++) {
			if (ix->alt[a].cls) {
				ix->cls_gate[ix->ncls] =
				    classes[ix->alt[a].cls].gate;
				ix->gates |= ix->cls_gate[ix->ncls];
				ix->cls_rule[ix->ncls++] = (uint16_t)r;
			} else if (index_word(ix, a, r)) {
				return;
			}
		}
	}
	group_refs(ix);
	ix->ok = 1;
}

/* ---- finding ---- */

static size_t
push_rule(uint16_t *out, size_t n, size_t max, uint16_t r)
{
	size_t k;

	/* ascending and unique: a pattern's place in its table matters */
	for (k = n; k > 0 && out[k - 1] > r; k--)
		;
	if ((k > 0 && out[k - 1] == r) || n == max)
		return n;
	memmove(out + k + 1, out + k, (n - k) * sizeof(*out));
	out[k] = r;
	return n + 1;
}

static size_t
lookup(const struct tone_patidx *ix, const char *w, size_t len, int prefix,
    uint32_t h, uint16_t *out, size_t n, size_t max)
{
	size_t k;

	h = (h ^ (prefix ? 0x9e3779b9u : 0)) & (TONE_PATIDX_SLOTS - 1);
	for (; ix->slot[h].alt; h = (h + 1) & (TONE_PATIDX_SLOTS - 1)) {
		const struct tone_palt *q = &ix->alt[ix->slot[h].alt - 1];

		if (q->prefix != prefix || q->len != len ||
		    memcmp(q->w, w, len) != 0)
			continue;
		for (k = 0; k < ix->slot[h].count; k++)
			n = push_rule(out, n, max,
			    ix->ref[ix->slot[h].first + k]);
		break;
	}
	return n;
}

size_t
tone_patidx_find(const struct tone_patidx *ix, const struct tone_text *tx,
    size_t i, uint16_t *out, size_t max)
{
	const struct tone_tok *t = &tx->t[i];
	size_t n = 0, k;
	uint32_t h = 2166136261u;

	if (!ix->ok)
		return 0;
	if (t->kind == TT_WORD || t->kind == TT_NUM) {
		n = lookup(ix, t->low, t->wlen, 0, t->hash, out, n, max);
		/* the hash of each prefix, as tone_hash() would give it */
		for (k = 1; k <= t->wlen && (ix->prefix_lens >> k); k++) {
			h = (h ^ (unsigned char)t->low[k - 1]) * 16777619u;
			if (ix->prefix_lens & (1u << k))
				n = lookup(ix, t->low, k, 1, h, out, n, max);
		}
	}
	for (k = 0; k < ix->ncls && (t->cls & ix->gates); k++)
		if (t->cls & ix->cls_gate[k])
			n = push_rule(out, n, max, ix->cls_rule[k]);
	for (k = 0; k < ix->nany; k++)
		n = push_rule(out, n, max, ix->any[k]);
	return n;
}
