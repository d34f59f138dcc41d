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
			snprintf(reason, sizeof(reason), "a customer "
			    "message of more than %d words", TEXT_TOKENS_MAX);
		else
			snprintf(reason, sizeof(reason), "a customer "
			    "message of %lld words", (long long)f->max_words);
		bad |= add_flag(a, "long_message", reason);
		*bits |= STORE_FLAG_LONG_MESSAGE;
	}
	if (f->in_a_row >= INTEL_REPEAT_IN_A_ROW ||
	    f->customer_recent >= INTEL_REPEAT_TICKETS) {
		if (f->in_a_row >= INTEL_REPEAT_IN_A_ROW)
			snprintf(reason, sizeof(reason), "wrote %lld times "
			    "in a row without an answer",
			    (long long)f->in_a_row);
		else
			snprintf(reason, sizeof(reason), "%lld%s tickets "
			    "from this customer in %d days",
			    (long long)f->customer_recent,
			    f->customer_recent >= STORE_RECENT_MAX ?
			    " or more" : "", INTEL_REPEAT_DAYS);
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
	size_t i, k, n = 0;

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
		copy_word(w[n].stem, stem, strlen(stem));
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
	int64_t least = 2;

	/* a word of this ticket alone finds nothing; unless every word is */
	for (i = 0; i < n && w[i].df < 2; i++)
		;
	if (i == n)
		least = 0;
	for (i = 0; i < n; i++) {
		/* a word in most messages tells nothing, once there are many */
		if (w[i].df < least || (ndocs >= 20 && w[i].df * 2 > ndocs))
			continue;
		/* smoothed, as the trend index's: never 0, so a young store
		 * still weighs its words */
		w[i].weight = log((double)(ndocs + 1) / (double)(w[i].df + 1)) +
		    1.0;
		w[k++] = w[i];
	}
	qsort(w, k, sizeof(*w), weight_cmp);
	return k < keep ? k : keep;
}

int64_t
intel_stem_key(const char *stem)
{
	uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */
	int64_t k;

	for (; *stem; stem++)
		h = (h ^ (unsigned char)*stem) * 0x100000001b3ull;
	k = (int64_t)(h >> 1);
	return k ? k : 1;
}

/* The forms of a word FTS5 is asked for: as written, its stem, and the
 * stem with the common English endings (a stem in "i" from a "y"). */
#define FORMS_MAX 10
static size_t
word_forms(const struct intel_word *w, char f[FORMS_MAX][INTEL_WORD_MAX])
{
	static const char *const end[] = { "", "s", "e", "es", "ed", "ing" };
	static const char *const yend[] = { "y", "ies", "ied" };
	size_t n = 0, i, k, flen, len = strlen(w->stem);
	char cand[INTEL_WORD_MAX * 2];

	snprintf(f[n++], INTEL_WORD_MAX, "%s", w->shown);
	for (i = 0; i < sizeof(end) / sizeof(end[0]) + 3; i++) {
		if (i < sizeof(end) / sizeof(end[0]))
			snprintf(cand, sizeof(cand), "%s%s", w->stem, end[i]);
		else if (len > 1 && w->stem[len - 1] == 'i')
			snprintf(cand, sizeof(cand), "%.*s%s", (int)(len - 1),
			    w->stem, yend[i - sizeof(end) / sizeof(end[0])]);
		else
			continue;
		if ((flen = strlen(cand)) >= INTEL_WORD_MAX || n == FORMS_MAX)
			continue;
		for (k = 0; k < n && strcmp(f[k], cand) != 0; k++)
			;
		if (k == n)
			memcpy(f[n++], cand, flen + 1);
	}
	return n;
}

/* Appends s as an FTS5 string: in double quotes, '"' doubled. */
static enum tame_err
fts_string(struct buf *out, const char *s)
{
	enum tame_err rc = buf_addstr(out, "\"");

	for (; *s && !rc; s++)
		rc = buf_add(out, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	return rc ? rc : buf_addstr(out, "\"");
}

enum tame_err
intel_words_match(const struct intel_word *w, size_t n, int all,
    struct buf *out)
{
	char f[FORMS_MAX][INTEL_WORD_MAX];
	enum tame_err rc = TAME_OK;
	size_t i, k, nf;

	for (i = 0; i < n && !rc; i++) {
		if (i && (rc = buf_addstr(out, all ? " AND " : " OR ")))
			break;
		nf = word_forms(&w[i], f);
		rc = buf_addstr(out, "(");
		for (k = 0; k < nf && !rc; k++)
			if (!(k && (rc = buf_addstr(out, " OR "))))
				rc = fts_string(out, f[k]);
		if (!rc)
			rc = buf_addstr(out, ")");
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

/* ---- document frequencies ---- */

enum tame_err
intel_df_count(struct intel_map *m, int64_t key, int64_t doc)
{
	int64_t v;

	if (!intel_map_get(m, key, &v))
		return intel_map_put(m, key, doc > 0 ? -doc : 1);
	return intel_map_put(m, key, (v < 0 ? 1 : v) + 1);
}

int64_t
intel_df_get(const struct intel_map *m, int64_t key)
{
	int64_t v;

	if (!intel_map_get(m, key, &v))
		return 0;
	return v < 0 ? 1 : v;
}

enum tame_err
intel_df_prune(struct intel_map *m, int (*open)(void *arg, int64_t doc),
    void *arg, size_t *dropped)
{
	struct intel_map g = { 0 };
	size_t i, d = 0;
	int64_t v;

	for (i = 0; m->mask && i <= m->mask; i++) {
		if (!m->key[i])
			continue;
		v = m->val[i];
		if (v == 1 || (v < 0 && !open(arg, -v))) {
			d++;
			continue;
		}
		if (intel_map_put(&g, m->key[i], v)) {
			intel_map_free(&g);
			return TAME_ENOMEM;
		}
	}
	intel_map_free(m);
	*m = g;
	if (dropped)
		*dropped = d;
	return TAME_OK;
}
