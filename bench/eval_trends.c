/*
 * eval_trends.c - quality and cost of the trends (make eval).
 *
 * Reads DATA/banking77/train.csv (text,category), sends each text through
 * the text pipeline and places it as a ticket, one at a time, in a fixed
 * pseudo-random order (the file is sorted by intent: feeding it in file
 * order would hand the grouping the answer). Then compares the trends
 * with the intents: normalised mutual information (arithmetic mean, as
 * scikit-learn), adjusted Rand index and purity. Every ticket counts,
 * singletons as clusters of their own. Labels are read only here.
 * The same for DATA/bitext (27 intents) when it is there.
 *
 *   eval_trends DATA [--ordered] [--seed N] [--threshold X] [--merge X]
 *                    [--refine N] [--bench N] [--bench-only] [--labels]
 *
 * Then places 100,000 synthetic open tickets (recombined banking77 texts;
 * --bench N for another number, 0 to skip) and times placement and the
 * trends list, and weighs the index, against their targets. --bench-only
 * skips the quality figures (bench/run.sh wants only the timings).
 *
 * Tried on banking77 and not kept (defaults give NMI 0.66, ARI 0.27;
 * seeds move ARI by 0.01). Every variant lands at ARI 0.19-0.28:
 *   threshold 0.15-0.35 x merge 0.2-0.4, refine 0-8, pair weight 0-2;
 *   idf floor 0-2 and idf power 0.7-1.5; centroid count power 0.5-1.5;
 *   12 -> 8/16/24 terms a ticket; a centroid of 16-256 terms instead
 *   of 64 (ARI 0.23-0.27; bitext 0.36-0.53 against 0.50, best at 96-128);
 *   merge checked on every placement;
 *   a size bonus in the score (1 + g log n); idf known in advance;
 *   refinement moving tickets of 1-4 member trends at a lower threshold
 *   (0.24-0.26);
 *   Dirichlet process mixture scoring instead of cosine (MStream, best
 *   ARI 0.24); words instead of stems (0.24); unordered pairs (0.25);
 *   pairs over 2-5 words (0.21-0.24, purity up, recall down); keeping
 *   "why/how/when/not" (0.24) or dropping support fillers like "help,
 *   know, want" (0.25); WordNet first-sense folding (0.26: "pin" ->
 *   "trap", "account" -> "history"). Offline, a leader over TF-IDF
 *   blended with LSA or random-indexing vectors gains about 0.05 ARI
 *   over TF-IDF alone but loses NMI, and dense vectors do not fit the
 *   200 bytes a ticket (the index is at 171). Bag-of-words features
 *   seem to be the limit: the intents differ by which of several shared
 *   words go together ("pending" x card/transfer/top-up/cash).
 * Offline on the same terms and weights (2026-12-03), to see whether the
 * terms or the grouping fall short: with each intent's own centroid,
 * nearest-centroid gives NMI 0.83, ARI 0.69, and batch k-means started
 * there settles at 0.75 / 0.51; k-means++ told k = 77 gets 0.60 / 0.27,
 * and k-means started from our trends 0.62-0.65 / 0.27-0.29. Splitting
 * trends of 16-64 and more by 2-means lowers ARI (pair precision up,
 * recall down more); folding trends under 10 into the nearest large
 * one gains 0.02 ARI for 0.01 NMI; joining the trend most of a ticket's
 * 5-20 nearest placed tickets are in gives 0.61-0.68 / 0.19-0.23; label
 * propagation on the 20-nearest-neighbour graph 0.67 / 0.24, though a
 * ticket's nearest neighbour shares its intent 76% of the time. So the
 * terms can tell the intents apart, but the intents are not the groups
 * that centroids or neighbours settle into without labels.
 * Also tried (2026-12-03, later): term weights learned from the trends
 * themselves, recomputed every 256 placements (W-k-means style): a
 * term's share of its tickets in its one largest trend, to the power
 * 0.5-0.75, gives ARI 0.27-0.29 over seeds 1-3 (0.26 without), NMI
 * unchanged; the in-trend coherence of a term instead lowers ARI to
 * 0.17-0.25 (the generic words win). Offline, Louvain on the 10- or
 * 15-nearest-neighbour graph (all terms, networkx, resolution 2-4)
 * reaches NMI 0.64-0.65 and ARI 0.32-0.34, shared-neighbour weights
 * 0.65 / 0.31: a batch graph method does not reach both targets either.
 * Also tried (2026-12-05): batch agglomerative clustering of the same
 * terms (sublinear TF-IDF, cosine; scipy linkage cut at a distance).
 * Average linkage: NMI 0.68 / ARI 0.12 at 0.70, 0.68 / 0.24 at 0.85,
 * 0.65 / 0.29 at 0.92, 0.62 / 0.28 at 0.95; weighted linkage at most
 * ARI 0.25, complete 0.19; pairs weighted 0.3 no better (0.64 / 0.27).
 * Whole-corpus hierarchy with the tree in hand lands where the online
 * leader does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/buf.h"
#include "core/text.h"
#include "core/trend.h"

struct rows {
	char **text;
	char **label;
	size_t n, cap;
};

static char *
read_file(const char *path, size_t *len)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *f;

	buf_init(&b, (size_t)256 << 20);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n)) {
			fclose(f);
			buf_free(&b);
			return NULL;
		}
	fclose(f);
	*len = b.len;
	return buf_take(&b);
}

/* One CSV field at *p (RFC 4180 quoting); *end set at the end of record. */
static char *
csv_field(const char **p, const char *lim, int *end)
{
	struct buf f;
	const char *s = *p;

	buf_init(&f, 1 << 20);
	*end = 0;
	if (s < lim && *s == '"') {
		for (s++; s < lim; s++) {
			if (*s == '"' && s + 1 < lim && s[1] == '"') {
				(void)buf_add(&f, "\"", 1);
				s++;
			} else if (*s == '"') {
				s++;
				break;
			} else
				(void)buf_add(&f, s, 1);
		}
	}
	for (; s < lim && *s != ',' && *s != '\n'; s++)
		if (*s != '\r')
			(void)buf_add(&f, s, 1);
	if (s >= lim || *s == '\n')
		*end = 1;
	*p = s < lim ? s + 1 : lim;
	return buf_take(&f);
}

/* Reads the columns named tcol and lcol of a CSV file with a header. */
static int
load_csv(const char *path, const char *tcol, const char *lcol, struct rows *r)
{
	const char *p, *lim;
	char *data, *f, *t = NULL, *l = NULL;
	size_t len;
	int end, col, ti = -1, li = -1;

	memset(r, 0, sizeof(*r));
	data = read_file(path, &len);
	if (!data)
		return -1;
	p = data;
	lim = data + len;
	for (col = 0, end = 0; !end && p < lim; col++) {
		f = csv_field(&p, lim, &end);
		if (strcmp(f, tcol) == 0)
			ti = col;
		if (strcmp(f, lcol) == 0)
			li = col;
		free(f);
	}
	while (ti >= 0 && li >= 0 && p < lim) {
		for (col = 0, end = 0; !end && p < lim; col++) {
			f = csv_field(&p, lim, &end);
			if (col == ti)
				t = f;
			else if (col == li)
				l = f;
			else
				free(f);
		}
		if (t && l && *t) {
			if (r->n == r->cap) {
				r->cap = r->cap ? r->cap * 2 : 1024;
				r->text = realloc(r->text, r->cap * sizeof(char *));
				r->label = realloc(r->label, r->cap * sizeof(char *));
				if (!r->text || !r->label)
					return -1;
			}
			r->text[r->n] = t;
			r->label[r->n++] = l;
		} else {
			free(t);
			free(l);
		}
		t = l = NULL;
	}
	free(data);
	return ti >= 0 && li >= 0 ? 0 : -1;
}

static uint64_t seed = 88172645463325252ULL;
static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Dense indices 0..k-1 for the n labels; returns k. */
static size_t
dense_labels(char **label, size_t n, uint32_t *out)
{
	char **u = malloc(n * sizeof(*u)), **hit;
	size_t i, k = 0;

	memcpy(u, label, n * sizeof(*u));
	qsort(u, n, sizeof(*u), str_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(u[k - 1], u[i]) != 0)
			u[k++] = u[i];
	for (i = 0; i < n; i++) {
		hit = bsearch(&label[i], u, k, sizeof(*u), str_cmp);
		out[i] = (uint32_t)(hit - u);
	}
	free(u);
	return k;
}

/* Dense cluster indices; trend 0 (none) is a cluster of its own each. */
static size_t
dense_clusters(const uint32_t *trend, size_t n, uint32_t *out)
{
	uint32_t *u = malloc(n * sizeof(*u)), *hit;
	size_t i, k = 0, solo;

	memcpy(u, trend, n * sizeof(*u));
	qsort(u, n, sizeof(*u), u32_cmp);
	for (i = 0; i < n; i++)
		if (u[i] != 0 && (k == 0 || u[k - 1] != u[i]))
			u[k++] = u[i];
	solo = k;
	for (i = 0; i < n; i++) {
		if (trend[i] == 0) {
			out[i] = (uint32_t)solo++;
			continue;
		}
		hit = bsearch(&trend[i], u, k, sizeof(*u), u32_cmp);
		out[i] = (uint32_t)(hit - u);
	}
	free(u);
	return solo;
}

struct scores {
	double nmi, ari, purity;
	double pair_p, pair_r; /* of pairs put together, right; of right pairs, found */
	size_t clusters, singletons;
};

static double
c2(double x)
{
	return x * (x - 1) / 2;
}

static void
score(const uint32_t *cl, size_t ncl, const uint32_t *lab, size_t nlab,
    size_t n, struct scores *s)
{
	uint32_t *tab = calloc(ncl * nlab, sizeof(*tab));
	double *a = calloc(ncl, sizeof(*a)), *b = calloc(nlab, sizeof(*b));
	double hu = 0, hv = 0, mi = 0, sij = 0, sa = 0, sb = 0, exp_, max;
	size_t i, j;

	for (i = 0; i < n; i++) {
		tab[cl[i] * nlab + lab[i]]++;
		a[cl[i]]++;
		b[lab[i]]++;
	}
	s->purity = 0;
	s->singletons = 0;
	for (i = 0; i < ncl; i++) {
		if (a[i] == 1)
			s->singletons++;
		hu -= a[i] / n * log(a[i] / n);
		sa += c2(a[i]);
		max = 0;
		for (j = 0; j < nlab; j++) {
			double v = tab[i * nlab + j];

			if (v == 0)
				continue;
			mi += v / n * log(v * n / (a[i] * b[j]));
			sij += c2(v);
			if (v > max)
				max = v;
		}
		s->purity += max;
	}
	for (j = 0; j < nlab; j++) {
		hv -= b[j] / n * log(b[j] / n);
		sb += c2(b[j]);
	}
	s->purity /= n;
	s->nmi = hu + hv > 0 ? 2 * mi / (hu + hv) : 1;
	exp_ = sa * sb / c2((double)n);
	s->ari = (sij - exp_) / (0.5 * (sa + sb) - exp_);
	s->clusters = ncl;
	s->pair_p = sa > 0 ? sij / sa : 0;
	s->pair_r = sb > 0 ? sij / sb : 0;
	free(tab);
	free(a);
	free(b);
}

/* The largest clusters and the intents in them (for tuning by eye). */
static void
debug_clusters(const uint32_t *cl, size_t ncl, const uint32_t *lab,
    size_t nlab, size_t n, char **label, char **text)
{
	uint32_t *size = calloc(ncl, sizeof(*size)), *tab, *ex;
	size_t i, j, k, shown;

	tab = calloc(ncl * nlab, sizeof(*tab));
	ex = calloc(nlab, sizeof(*ex));
	for (i = 0; i < n; i++) {
		size[cl[i]]++;
		tab[cl[i] * nlab + lab[i]]++;
		ex[lab[i]] = (uint32_t)i;
	}
	for (shown = 0; shown < 25; shown++) {
		size_t big = 0;

		for (i = 1; i < ncl; i++)
			if (size[i] > size[big])
				big = i;
		printf("  cluster of %u:", size[big]);
		for (k = 0; k < 4; k++) {
			size_t m = 0;

			for (j = 1; j < nlab; j++)
				if (tab[big * nlab + j] > tab[big * nlab + m])
					m = j;
			if (!tab[big * nlab + m])
				break;
			printf(" %s=%u", label[ex[m]], tab[big * nlab + m]);
			tab[big * nlab + m] = 0;
		}
		printf("\n");
		for (i = 0, k = 0; i < n && k < 3; i++)
			if (cl[i] == big) {
				printf("      | %s\n", text[i]);
				k++;
			}
		size[big] = 0;
	}
	free(size);
	free(tab);
	free(ex);
}

struct opts {
	struct trend_params p;
	int ordered;
	int labels;
	int bench_only;
	size_t bench;
};

/* Fills in from d: pointers into d, valid while d is. */
static void
input_of(const struct text_doc *d, const char **terms, const char **disp,
    struct trend_input *in)
{
	size_t i;

	for (i = 0; i < d->nterm; i++) {
		terms[i] = text_doc_term(d, i);
		disp[i] = text_doc_display(d, i);
	}
	in->terms = terms;
	in->display = disp;
	in->nterm = d->nterm;
}

static void
shuffle(size_t *order, size_t n)
{
	size_t i, j, t;

	for (i = n; i > 1; i--) {
		j = rnd() % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}

static void
print_labels(struct trend_index *ix, int64_t now)
{
	struct trend_info *ti = NULL;
	size_t n = 0, i;

	if (trend_list(ix, 3, 15, now, &ti, &n))
		return;
	for (i = 0; i < n; i++)
		printf("   %5u tickets  %s\n", ti[i].open, ti[i].label);
	free(ti);
}

static int
eval_set(const char *name, const char *path, const char *tcol,
    const char *lcol, const struct opts *o)
{
	struct rows r;
	struct text_pipeline *tp;
	struct text_doc d;
	struct trend_index *ix;
	struct trend_input in;
	struct scores sc;
	const char **terms = NULL, **disp = NULL;
	uint32_t *tr, *lab, *cl, t;
	size_t *order, i, k, ncl, nlab;
	double *lat, t1;
	int64_t now = 1767225600000LL; /* 2026-01-01 */

	rng = seed; /* each set in the same order whatever ran before */
	if (load_csv(path, tcol, lcol, &r) || r.n == 0) {
		printf("%s: cannot read %s\n", name, path);
		return -1;
	}
	tp = text_pipeline_new();
	ix = trend_index_new(&o->p);
	text_doc_init(&d);
	order = malloc(r.n * sizeof(*order));
	tr = calloc(r.n, sizeof(*tr));
	lab = calloc(r.n, sizeof(*lab));
	cl = calloc(r.n, sizeof(*cl));
	lat = calloc(r.n, sizeof(*lat));
	for (i = 0; i < r.n; i++)
		order[i] = i;
	if (!o->ordered)
		shuffle(order, r.n);
	for (k = 0; k < r.n; k++) {
		i = order[k];
		if (text_analyse(tp, r.text[i], strlen(r.text[i]), 1, &d))
			return -1;
		terms = realloc(terms, (d.nterm + 1) * sizeof(*terms));
		disp = realloc(disp, (d.nterm + 1) * sizeof(*disp));
		input_of(&d, terms, disp, &in);
		t1 = now_us();
		if (trend_place(ix, (int64_t)i + 1, &in, now + (int64_t)k * 1000, &t))
			return -1;
		lat[k] = now_us() - t1;
	}
	for (i = 0; i < r.n; i++)
		tr[i] = trend_of(ix, (int64_t)i + 1);
	nlab = dense_labels(r.label, r.n, lab);
	ncl = dense_clusters(tr, r.n, cl);
	score(cl, ncl, lab, nlab, r.n, &sc);
	qsort(lat, r.n, sizeof(*lat), dbl_cmp);
	printf("%s: %zu messages, %zu intents%s\n", name, r.n, nlab,
	    o->ordered ? " (file order)" : " (shuffled)");
	printf("  NMI %.2f (target >= 0.70)  ARI %.2f (target >= 0.35)  "
	    "purity %.2f  trends %zu (%zu singletons)\n", sc.nmi, sc.ari,
	    sc.purity, sc.clusters, sc.singletons);
	printf("  pairs: precision %.2f recall %.2f\n", sc.pair_p, sc.pair_r);
	printf("  placement p50 %.1f us  p99 %.1f us;  index %.0f bytes/ticket\n",
	    lat[r.n / 2], lat[r.n * 99 / 100],
	    (double)trend_index_bytes(ix) / r.n);
	if (o->labels)
		print_labels(ix, now + (int64_t)r.n * 1000);
	if (getenv("EVAL_DEBUG"))
		debug_clusters(cl, ncl, lab, nlab, r.n, r.label, r.text);
	for (i = 0; i < r.n; i++) {
		free(r.text[i]);
		free(r.label[i]);
	}
	free(r.text);
	free(r.label);
	free(order);
	free(tr);
	free(lab);
	free(cl);
	free(lat);
	free(terms);
	free(disp);
	text_doc_free(&d);
	trend_index_free(ix);
	text_pipeline_free(tp);
	return 0;
}

/* N synthetic open tickets: banking77 texts, each with a word of another
 * text and a number added (so no two are the same), placed one by one;
 * then N/10 more while the oldest are solved, timed at N open. */
static int
bench(const char *path, size_t nopen, const struct opts *o)
{
	struct rows r;
	struct text_pipeline *tp;
	struct text_doc d;
	struct trend_index *ix;
	struct trend_input in;
	struct trend_info *ti = NULL;
	struct buf txt;
	const char **terms = NULL, **disp = NULL;
	size_t i, k, nsteady = nopen / 10 + 1, nt = 0, j;
	double *lat, t1, list_ms;
	int64_t now = 1767225600000LL;
	uint32_t t;
	const char *w;

	rng = seed;
	if (load_csv(path, "text", "category", &r) || r.n == 0)
		return -1;
	tp = text_pipeline_new();
	ix = trend_index_new(&o->p);
	text_doc_init(&d);
	buf_init(&txt, 1 << 16);
	lat = calloc(nsteady, sizeof(*lat));
	for (k = 0; k < nopen + nsteady; k++) {
		i = rnd() % r.n;
		j = rnd() % r.n;
		w = strrchr(r.text[j], ' ');
		buf_reset(&txt);
		if (buf_printf(&txt, "%s %s order %zu", r.text[i], w ? w + 1 : "",
		    k))
			return -1;
		if (text_analyse(tp, txt.data, txt.len, 1, &d))
			return -1;
		terms = realloc(terms, (d.nterm + 1) * sizeof(*terms));
		disp = realloc(disp, (d.nterm + 1) * sizeof(*disp));
		input_of(&d, terms, disp, &in);
		if (k >= nopen)
			(void)trend_remove(ix, (int64_t)(k - nopen) + 1);
		t1 = now_us();
		if (trend_place(ix, (int64_t)k + 1, &in, now + (int64_t)k * 100, &t))
			return -1;
		if (k >= nopen)
			lat[k - nopen] = now_us() - t1;
	}
	now += (int64_t)(nopen + nsteady) * 100;
	t1 = now_us();
	if (trend_list(ix, 3, (size_t)-1, now, &ti, &nt))
		return -1;
	list_ms = (now_us() - t1) / 1000;
	qsort(lat, nsteady, sizeof(*lat), dbl_cmp);
	printf("bench: %zu open tickets, %zu trends (%zu with 3 or more)\n",
	    trend_index_tickets(ix), trend_index_trends(ix), nt);
	printf("  placement p50 %.1f us  p99 %.1f us (target p99 < 1000 us)\n",
	    lat[nsteady / 2], lat[nsteady * 99 / 100]);
	printf("  trends list %.2f ms (target < 20 ms)\n", list_ms);
	printf("  index %.0f bytes per open ticket (target < 200)\n",
	    (double)trend_index_bytes(ix) / (double)trend_index_tickets(ix));
	free(ti);
	free(lat);
	free(terms);
	free(disp);
	buf_free(&txt);
	text_doc_free(&d);
	trend_index_free(ix);
	text_pipeline_free(tp);
	for (i = 0; i < r.n; i++) {
		free(r.text[i]);
		free(r.label[i]);
	}
	free(r.text);
	free(r.label);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct buf path;
	const char *data = argc > 1 ? argv[1] : "../shared/data";
	int i, rc = 0;

	memset(&o, 0, sizeof(o));
	trend_params_default(&o.p);
	o.bench = 100000;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--ordered") == 0)
			o.ordered = 1;
		else if (strcmp(argv[i], "--labels") == 0)
			o.labels = 1;
		else if (strcmp(argv[i], "--bench-only") == 0)
			o.bench_only = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
			seed = strtoull(argv[++i], NULL, 10) * 2654435761ULL + 1;
		else if (i + 1 < argc && strcmp(argv[i], "--threshold") == 0)
			o.p.threshold = strtod(argv[++i], NULL);
		else if (i + 1 < argc && strcmp(argv[i], "--merge") == 0)
			o.p.merge = strtod(argv[++i], NULL);
		else if (i + 1 < argc && strcmp(argv[i], "--refine") == 0)
			o.p.refine = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--pair") == 0)
			o.p.pair_weight = strtod(argv[++i], NULL);
		else if (i + 1 < argc && strcmp(argv[i], "--bench") == 0)
			o.bench = strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s DATA [--ordered] [--seed N] "
			    "[--threshold X] [--merge X] [--refine N] [--bench N] "
			    "[--bench-only] [--labels]\n", argv[0]);
			return 2;
		}
	}
	buf_init(&path, 4096);
	if (!o.bench_only && (buf_printf(&path, "%s/banking77/train.csv",
	    data) || eval_set("banking77", buf_str(&path), "text", "category",
	    &o)))
		rc = 1;
	buf_reset(&path);
	if (o.bench && (buf_printf(&path, "%s/banking77/train.csv", data) ||
	    bench(buf_str(&path), o.bench, &o)))
		rc = 1;
	buf_reset(&path);
	if (!o.bench_only && buf_printf(&path, "%s/bitext/Bitext_Sample_"
	    "Customer_Support_Training_Dataset.csv", data) == TAME_OK)
		(void)eval_set("bitext", buf_str(&path), "instruction", "intent", &o);
	buf_free(&path);
	return rc;
}
