/*
 * eval_tone.c - quality of Tame's sentiment on human-rated text, beside
 * plain VADER's and the target.
 *
 * Data: the GroundTruth files in DATA/sentiment, from Hutto & Gilbert (ICWSM
 * 2014): "id TAB mean TAB text", the mean of about 20 people's ratings
 * from -4 to +4. For each file: Pearson r between the sentiment score and
 * the mean, and the accuracy of its sign on items rated beyond +-0.5 (a
 * score of 0 counts as wrong), for plain VADER (tone_vader) and for Tame
 * (tone_analyze). The target is to beat VADER's published r on each
 * file. Tame's rules were chosen looking at the odd-numbered items only,
 * so r on the even-numbered half is printed too, as a held-out check.
 * Last, the cost of tone_analyze per kB of text.
 *
 * Usage: eval_tone [DATA]   (default ../shared/data)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/tone.h"

struct corr {
	double sx, sy, sxx, syy, sxy;
	size_t n, signed_n, sign_ok;
};

static const struct {
	const char *file, *label;
	double vader_r;   /* published figure, the target to beat */
} sets[] = {
	{ "amazonReviewSnippets_GroundTruth.txt", "product reviews", 0.59 },
	{ "movieReviewSnippets_GroundTruth.txt", "movie reviews", 0.43 },
	{ "nytEditorialSnippets_GroundTruth.txt", "editorials", 0.50 },
};

static void
corr_add(struct corr *c, double x, double y)
{
	c->sx += x;
	c->sy += y;
	c->sxx += x * x;
	c->syy += y * y;
	c->sxy += x * y;
	c->n++;
	if (fabs(y) > 0.5) {
		c->signed_n++;
		c->sign_ok += (x > 0 && y > 0) || (x < 0 && y < 0);
	}
}

static double
corr_r(const struct corr *c)
{
	double n = (double)c->n;
	double d = (n * c->sxx - c->sx * c->sx) * (n * c->syy - c->sy * c->sy);

	return d > 0 ? (n * c->sxy - c->sx * c->sy) / sqrt(d) : 0.0;
}

static double
corr_acc(const struct corr *c)
{
	return c->signed_n ? (double)c->sign_ok / (double)c->signed_n : 0.0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one file; 0, or -1 when it cannot be read. */
static int
eval_file(const char *path, struct corr *vader, struct corr *tame,
    struct corr *held_out, double *seconds, size_t *bytes)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *t1, *t2, *end, *text;
		struct tone t;
		double y, t0;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!(t1 = strchr(line, '\t')) || !(t2 = strchr(t1 + 1, '\t')))
			continue;
		y = strtod(t1 + 1, &end);
		if (end != t2 || y < -4.0 || y > 4.0)
			continue;
		text = t2 + 1;
		corr_add(vader, tone_vader(text, strlen(text)), y);
		t0 = now();
		if (tone_analyze(text, strlen(text), &t) != 0) {
			rc = -1;
			break;
		}
		*seconds += now() - t0;
		*bytes += strlen(text);
		corr_add(tame, t.sentiment, y);
		if (lineno % 2 == 0)
			corr_add(held_out, t.sentiment, y);
	}
	free(line);
	fclose(f);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *data = argc > 1 ? argv[1] : "../shared/data";
	double seconds = 0.0;
	size_t i, bytes = 0, beaten = 0;
	char path[4096];

	printf("tone: sentiment against human ratings (Pearson r; sign "
	    "accuracy on |mean| > 0.5)\n");
	printf("%-16s %6s  %-19s %-19s %-8s %s\n", "file", "items",
	    "VADER r / sign", "Tame r / sign", "held-out", "target");
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct corr v = { 0 }, t = { 0 }, h = { 0 };
		int n = snprintf(path, sizeof(path), "%s/sentiment/%s", data,
		    sets[i].file);
		int ok;

		if (n < 0 || (size_t)n >= sizeof(path) || eval_file(path, &v,
		    &t, &h, &seconds, &bytes)) {
			fprintf(stderr, "eval_tone: cannot read %s\n", path);
			return 1;
		}
		ok = corr_r(&t) > sets[i].vader_r && corr_r(&t) > corr_r(&v);
		beaten += ok;
		printf("%-16s %6zu  %.3f / %.1f%%      %.3f / %.1f%%      "
		    "%.3f    r > %.2f (VADER's) %s\n", sets[i].label, t.n,
		    corr_r(&v), 100.0 * corr_acc(&v), corr_r(&t),
		    100.0 * corr_acc(&t), corr_r(&h), sets[i].vader_r,
		    ok ? "beaten" : "NOT beaten");
	}
	printf("tone: target beaten on %zu of 3 files\n", beaten);
	if (bytes > 0)
		printf("tone_analyze: %.1f us per kB of text (%.0f kB)\n",
		    seconds * 1e6 / ((double)bytes / 1024.0),
		    (double)bytes / 1024.0);
	return 0;
}
