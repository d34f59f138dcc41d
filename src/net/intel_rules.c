/*
 * intel_rules.c - outlier flags, similar-case words and scores, and an
 * id map. See intel_rules.h.
 *
 * Flags say why, in words an agent reads at a glance ("wrote 4 times in
 * a row without an answer"). Similar cases are scored by the share of a
 * ticket's telling words (weighted by idf) that the case also uses: a
 * figure that means the same for every pair of tickets, unlike bm25, so
 * a low score can honestly say "no real connection".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "intel_rules.h"

/* ---- outlier flags ---- */

static int
add_flag(json_t *a, const char *kind, const char *reason)
{
	json_t *o = json_pack("{s:s,s:s}", "kind", kind, "reason", reason);

	return !o || json_array_append_new(a, o) != 0;
}

/* The abuse evidence of a tone JSON text, quoted, into out; "" if none. */
static void
abuse_words(const char *tone, char *out, size_t len)
{
	json_t *t, *ev, *e;
	const char *dim, *txt;
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	if (!tone || !(t = json_loads(tone, 0, NULL)))
		return;
	ev = json_object_get(t, "evidence");
	json_array_foreach(ev, i, e) {
		dim = json_string_value(json_object_get(e, "dimension"));
		txt = json_string_value(json_object_get(e, "text"));
		if (!dim || !txt || strcmp(dim, "abuse") != 0)
			continue;
		n = snprintf(out + used, len - used, "%s\"%s\"",
		    used ? ", " : ": ", txt);
		if (n < 0 || (size_t)n >= len - used) {
			out[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
	json_decref(t);
}

enum tame_err
intel_flags(const struct store_flag_facts *f, int64_t *bits, json_t **flags)
{
	char reason[256], words[160];
	json_t *a = json_array();
	int bad = !a;

	*bits = 0;
	*flags = NULL;
	if (bad)
		return TAME_ENOMEM;
	if (f->max_words > INTEL_LONG_WORDS) {
		if (f->max_words >= TEXT_TOKENS_MAX)
			snprintf(reason, sizeof(reason), "a customer message of "
			    "more than %d words", TEXT_TOKENS_MAX);
		else
			snprintf(reason, sizeof(reason), "a customer message of "
			    "%lld words", (long long)f->max_words);
		bad |= add_flag(a, "long_message", reason);
		*bits |= STORE_FLAG_LONG_MESSAGE;
	}
	if (f->in_a_row >= INTEL_REPEAT_IN_A_ROW ||
	    f->customer_recent >= INTEL_REPEAT_TICKETS) {
		if (f->in_a_row >= INTEL_REPEAT_IN_A_ROW)
			snprintf(reason, sizeof(reason), "wrote %lld times in a "
			    "row without an answer", (long long)f->in_a_row);
		else
			snprintf(reason, sizeof(reason), "%lld tickets from this "
			    "customer in %d days", (long long)f->customer_recent,
			    INTEL_REPEAT_DAYS);
		bad |= add_flag(a, "repeat_customer", reason);
		*bits |= STORE_FLAG_REPEAT;
	}
	if (f->reopened >= INTEL_REOPENED) {
		snprintf(reason, sizeof(reason), "reopened %lld times",
		    (long long)f->reopened);
		bad |= add_flag(a, "reopened", reason);
		*bits |= STORE_FLAG_REOPENED;
	}
	if (f->abusive > 0) {
		abuse_words(f->abusive_tone, words, sizeof(words));
		snprintf(reason, sizeof(reason), "abusive language%s", words);
		bad |= add_flag(a, "abusive", reason);
		*bits |= STORE_FLAG_ABUSIVE;
	}
	if (bad) {
		json_decref(a);
		*bits = 0;
		return TAME_ENOMEM;
	}
	if (json_array_size(a) == 0)
		json_decref(a);
	else
		*flags = a;
	return TAME_OK;
}

/* ---- similar cases ---- */

static void
copy_word(char *dst, const char *src, size_t n)
{
	if (n >= INTEL_WORD_MAX)
		n = INTEL_WORD_MAX - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

size_t
intel_words(const struct text_doc *doc, struct intel_word *w, size_t max)
{
	const char *norm, *stem;
	size_t i, k, n = 0, pre;

	for (i = 0; i < doc->ntok && n < max; i++) {
		if (doc->tok[i].flags & (TEXT_TOK_STOP | TEXT_TOK_NUM))
			continue;
		norm = text_doc_norm(doc, i);
		stem = text_doc_stem(doc, i);
		if (strlen(norm) < 3 || strlen(stem) >= INTEL_WORD_MAX ||
		    strlen(norm) >= INTEL_WORD_MAX)
			continue;
		for (k = 0; k < n && strcmp(w[k].stem, stem) != 0; k++)
			;
		if (k < n)
			continue;
		memset(&w[n], 0, sizeof(w[n]));
		for (pre = 0; norm[pre] && norm[pre] == stem[pre]; pre++)
			;
		/* do not cut a UTF-8 sequence */
		while (pre > 0 && ((unsigned char)norm[pre] & 0xc0) == 0x80)
			pre--;
		if (pre < 3)
			pre = strlen(norm);
		copy_word(w[n].stem, stem, strlen(stem));
		copy_word(w[n].prefix, norm, pre);
		copy_word(w[n].shown, norm, strlen(norm));
		n++;
	}
	return n;
}

static int
weight_cmp(const void *a, const void *b)
{
	const struct intel_word *x = a, *y = b;

	return x->weight < y->weight ? 1 : x->weight > y->weight ? -1 : 0;
}

size_t
intel_words_pick(struct intel_word *w, size_t n, int64_t ndocs, size_t keep)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (w[i].df < 2 || w[i].df * 2 > ndocs)
			continue;
		w[i].weight = log((double)(ndocs + 1) / (double)(w[i].df + 1));
		w[k++] = w[i];
	}
	qsort(w, k, sizeof(*w), weight_cmp);
	return k < keep ? k : keep;
}

enum tame_err
intel_words_match(const struct intel_word *w, size_t n, struct buf *out)
{
	enum tame_err rc = TAME_OK;
	const char *p;
	size_t i;

	for (i = 0; i < n && !rc; i++) {
		if (i && (rc = buf_addstr(out, " OR ")))
			break;
		if ((rc = buf_addstr(out, "\"")))
			break;
		for (p = w[i].prefix; *p && !rc; p++)
			rc = buf_add(out, *p == '"' ? "\"\"" : p,
			    *p == '"' ? 2 : 1);
		if (!rc)
			rc = buf_addstr(out, "\"*");
	}
	return rc;
}

/* 1 if doc has a token whose stem is stem. */
static int
has_stem(const struct text_doc *doc, const char *stem)
{
	size_t k;

	for (k = 0; k < doc->ntok; k++)
		if (strcmp(text_doc_stem(doc, k), stem) == 0)
			return 1;
	return 0;
}

double
intel_similarity(const struct intel_word *w, size_t n,
    const struct text_doc *const *docs, size_t ndocs, int *shared)
{
	double total = 0, got = 0;
	size_t i, d;
	int found;

	for (i = 0; i < n; i++) {
		total += w[i].weight;
		for (d = 0, found = 0; d < ndocs && !found; d++)
			found = has_stem(docs[d], w[i].stem);
		if (found)
			got += w[i].weight;
		if (shared)
			shared[i] = found;
	}
	return total > 0 ? got / total : 0;
}

const char *
intel_similarity_verdict(double score)
{
	if (score >= 0.6)
		return "strong";
	if (score >= 0.35)
		return "possible";
	return "weak";
}

/* ---- an id map ---- */

static size_t
slot(const struct intel_map *m, int64_t key)
{
	uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17) & m->mask;
}

int
intel_map_get(const struct intel_map *m, int64_t key, int64_t *val)
{
	size_t i;

	if (!m->mask || key <= 0)
		return 0;
	for (i = slot(m, key); m->key[i]; i = (i + 1) & m->mask)
		if (m->key[i] == key) {
			*val = m->val[i];
			return 1;
		}
	return 0;
}

static enum tame_err
grow(struct intel_map *m)
{
	struct intel_map g = { 0 };
	size_t size = m->mask ? (m->mask + 1) * 2 : 64, i;

	g.mask = size - 1;
	if (!(g.key = calloc(size, sizeof(*g.key))) ||
	    !(g.val = calloc(size, sizeof(*g.val)))) {
		free(g.key);
		return TAME_ENOMEM;
	}
	for (i = 0; m->mask && i <= m->mask; i++)
		if (m->key[i])
			intel_map_put(&g, m->key[i], m->val[i]);
	intel_map_free(m);
	*m = g;
	return TAME_OK;
}

enum tame_err
intel_map_put(struct intel_map *m, int64_t key, int64_t val)
{
	size_t i;

	if (key <= 0)
		return TAME_EINVAL;
	if ((m->n + 1) * 2 > m->mask + 1 && grow(m))
		return TAME_ENOMEM;
	for (i = slot(m, key); m->key[i]; i = (i + 1) & m->mask)
		if (m->key[i] == key) {
			m->val[i] = val;
			return TAME_OK;
		}
	m->key[i] = key;
	m->val[i] = val;
	m->n++;
	return TAME_OK;
}

void
intel_map_del(struct intel_map *m, int64_t key)
{
	size_t i, j, k;

	if (!m->mask || key <= 0)
		return;
	for (i = slot(m, key); m->key[i] != key; i = (i + 1) & m->mask)
		if (!m->key[i])
			return;
	/* backward shift: move later entries of the run into the hole */
	for (j = (i + 1) & m->mask; m->key[j]; j = (j + 1) & m->mask) {
		k = slot(m, m->key[j]);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			i = j;
		}
	}
	m->key[i] = 0;
	m->val[i] = 0;
	m->n--;
}

void
intel_map_free(struct intel_map *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}
