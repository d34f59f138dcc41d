/*
 * tone_lexicon.c - the word tables of tone analysis, all read-only.
 *
 * The VADER lexicon (data/vader_lexicon.txt, MIT licence, C.J. Hutto) is
 * compiled in by scripts/lexicon.sh as a sorted table; VADER's own lists
 * of boosters, negations and idioms are copied from its reference
 * implementation. Tame adds two small lists of its own, written from what
 * customers write to support and in product reviews, not fitted to any
 * test item: overrides for words whose VADER valence is wrong in support
 * mail ("please" and "help" are requests, "support" is a department,
 * "dear" and "sincerely" are letter forms) and words VADER lacks ("buggy",
 * "unusable", "refund", "mediocre", "riveting"). A word found in no table
 * may still be scored by its base form: "crashing" by "crash", "unhelpful"
 * as negated "helpful".
 *
 * Every table is sorted (tone_lex_selfcheck() proves it) and, for speed,
 * hashed once at first use (pthread_once); read-only after that.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tone_impl.h"

struct lex_entry {
	const char *w;
	double v;
};

static const struct lex_entry vader_lexicon[] = {
#include "vader_lexicon.inc"
};

/* VADER's BOOSTER_DICT: intensifiers and dampeners. */
static const struct lex_entry boosters[] = {
	{ "absolutely", TONE_B_INCR }, { "almost", TONE_B_DECR },
	{ "amazingly", TONE_B_INCR }, { "awfully", TONE_B_INCR },
	{ "barely", TONE_B_DECR }, { "completely", TONE_B_INCR },
	{ "considerable", TONE_B_INCR }, { "considerably", TONE_B_INCR },
	{ "decidedly", TONE_B_INCR }, { "deeply", TONE_B_INCR },
	{ "effing", TONE_B_INCR }, { "enormous", TONE_B_INCR },
	{ "enormously", TONE_B_INCR }, { "entirely", TONE_B_INCR },
	{ "especially", TONE_B_INCR }, { "exceptional", TONE_B_INCR },
	{ "exceptionally", TONE_B_INCR }, { "extreme", TONE_B_INCR },
	{ "extremely", TONE_B_INCR }, { "fabulously", TONE_B_INCR },
	{ "flippin", TONE_B_INCR }, { "flipping", TONE_B_INCR },
	{ "frackin", TONE_B_INCR }, { "fracking", TONE_B_INCR },
	{ "frickin", TONE_B_INCR }, { "fricking", TONE_B_INCR },
	{ "friggin", TONE_B_INCR }, { "frigging", TONE_B_INCR },
	{ "fuckin", TONE_B_INCR }, { "fucking", TONE_B_INCR },
	{ "fuggin", TONE_B_INCR }, { "fugging", TONE_B_INCR },
	{ "fully", TONE_B_INCR }, { "greatly", TONE_B_INCR },
	{ "hardly", TONE_B_DECR }, { "hella", TONE_B_INCR },
	{ "highly", TONE_B_INCR }, { "hugely", TONE_B_INCR },
	{ "incredible", TONE_B_INCR }, { "incredibly", TONE_B_INCR },
	{ "intensely", TONE_B_INCR }, { "just enough", TONE_B_DECR },
	{ "kind of", TONE_B_DECR }, { "kind-of", TONE_B_DECR },
	{ "kinda", TONE_B_DECR }, { "kindof", TONE_B_DECR },
	{ "less", TONE_B_DECR }, { "little", TONE_B_DECR },
	{ "major", TONE_B_INCR }, { "majorly", TONE_B_INCR },
	{ "marginal", TONE_B_DECR }, { "marginally", TONE_B_DECR },
	{ "more", TONE_B_INCR }, { "most", TONE_B_INCR },
	{ "occasional", TONE_B_DECR }, { "occasionally", TONE_B_DECR },
	{ "particularly", TONE_B_INCR }, { "partly", TONE_B_DECR },
	{ "purely", TONE_B_INCR }, { "quite", TONE_B_INCR },
	{ "really", TONE_B_INCR }, { "remarkably", TONE_B_INCR },
	{ "scarce", TONE_B_DECR }, { "scarcely", TONE_B_DECR },
	{ "slight", TONE_B_DECR }, { "slightly", TONE_B_DECR },
	{ "so", TONE_B_INCR }, { "somewhat", TONE_B_DECR },
	{ "sort of", TONE_B_DECR }, { "sort-of", TONE_B_DECR },
	{ "sorta", TONE_B_DECR }, { "sortof", TONE_B_DECR },
	{ "substantially", TONE_B_INCR }, { "thoroughly", TONE_B_INCR },
	{ "total", TONE_B_INCR }, { "totally", TONE_B_INCR },
	{ "tremendous", TONE_B_INCR }, { "tremendously", TONE_B_INCR },
	{ "uber", TONE_B_INCR }, { "unbelievably", TONE_B_INCR },
	{ "unusually", TONE_B_INCR }, { "utter", TONE_B_INCR },
	{ "utterly", TONE_B_INCR }, { "very", TONE_B_INCR },
};

/* VADER's NEGATE list (words with n't are caught by their ending). */
static const char *const negators[] = {
	"aint", "arent", "cannot", "cant", "couldnt", "darent", "despite",
	"didnt", "doesnt", "dont", "hadnt", "hasnt", "havent", "isnt",
	"mightnt", "mustnt", "neednt", "neither", "never", "none", "nope",
	"nor", "not", "nothing", "nowhere", "oughtnt", "rarely", "seldom",
	"shant", "shouldnt", "uh-uh", "uhuh", "wasnt", "werent", "without",
	"wont", "wouldnt",
};

/* VADER's SPECIAL_CASES: idioms that contain lexicon words. */
static const struct lex_entry specials[] = {
	{ "bad ass", 1.5 }, { "badass", 1.5 }, { "beating heart", 3.1 },
	{ "broken heart", -2.9 }, { "bus stop", 0.0 },
	{ "kiss of death", -1.5 }, { "the bomb", 3.0 }, { "the shit", 3.0 },
	{ "to die for", 3.0 }, { "yeah right", -2.0 },
};

/* Tame: VADER words that mean something else in support mail. Words
 * that do so only in some places ("help" in "please help", "Dear" in a
 * salutation, "support" the department) are handled where they stand, in
 * tone_sentiment.c. */
static const struct lex_entry overrides[] = {
	{ "freezes", -1.2 },   /* the app freezes */
	{ "please", 0.0 },     /* a request, often an upset one */
	{ "sincerely", 0.0 },  /* a letter's closing */
	{ "urgent", 0.0 },     /* urgency is its own dimension */
};

/* Tame: words VADER lacks, on its -4..+4 scale. */
static const struct lex_entry extras[] = {
	{ "absorbing", 1.6 }, { "affordable", 1.3 }, { "amateurish", -1.8 },
	{ "banal", -1.5 }, { "bug", -1.2 }, { "bugged", -1.3 },
	{ "buggy", -1.8 }, { "bugs", -1.2 }, { "captivating", 2.3 },
	{ "cliche", -1.0 }, { "cliched", -1.3 }, { "clunky", -1.4 },
	{ "commendable", 2.0 }, { "contrived", -1.4 }, { "convenient", 1.5 },
	{ "crappy", -2.0 }, { "crashed", -1.7 }, { "crashes", -1.7 },
	{ "crashing", -1.7 }, { "cumbersome", -1.3 }, { "defect", -1.6 },
	{ "defects", -1.6 }, { "derivative", -1.0 }, { "disjointed", -1.4 },
	{ "downtime", -1.2 }, { "dud", -1.8 }, { "durable", 1.4 },
	{ "effortless", 1.4 }, { "engrossing", 2.0 }, { "enthralling", 2.3 },
	{ "excruciating", -2.3 }, { "exquisite", 2.8 }, { "first-rate", 2.4 },
	{ "flimsy", -1.5 }, { "flop", -1.7 }, { "forgettable", -1.4 },
	{ "formulaic", -1.3 }, { "frozen", -0.8 }, { "garbage", -2.2 },
	{ "glitch", -1.3 }, { "glitches", -1.3 }, { "glitchy", -1.6 },
	{ "gripping", 1.9 }, { "hackneyed", -1.6 }, { "half-baked", -1.5 },
	{ "handy", 1.3 }, { "hassle", -1.3 }, { "hassle-free", 1.6 },
	{ "headache", -1.5 }, { "heartwarming", 2.4 }, { "imaginative", 1.8 },
	{ "impeccable", 2.7 }, { "inaccurate", -1.3 }, { "incoherent", -1.7 },
	{ "incompetence", -2.0 }, { "incorrect", -1.2 }, { "inept", -2.0 },
	{ "ingenious", 2.2 }, { "insightful", 2.0 }, { "insufferable", -2.2 },
	{ "interminable", -1.7 }, { "intuitive", 1.6 }, { "inventive", 1.8 },
	{ "junk", -2.0 }, { "lackluster", -1.7 }, { "lacklustre", -1.7 },
	{ "lagging", -1.2 }, { "laggy", -1.5 }, { "lifeless", -1.8 },
	{ "lifesaver", 2.5 }, { "listless", -1.5 }, { "malfunction", -1.8 },
	{ "malfunctioning", -1.9 }, { "malfunctions", -1.8 },
	{ "masterful", 2.7 }, { "masterfully", 2.6 }, { "mediocre", -1.7 },
	{ "memorable", 1.8 }, { "mesmerizing", 2.2 }, { "mindless", -1.5 },
	{ "misleading", -1.8 }, { "muddled", -1.4 }, { "mundane", -1.0 },
	{ "must-see", 2.3 }, { "nightmare", -2.3 }, { "outage", -1.6 },
	{ "overcharged", -2.0 }, { "overlong", -1.2 }, { "overpriced", -1.6 },
	{ "overrated", -1.5 }, { "painless", 1.3 }, { "plodding", -1.4 },
	{ "poignant", 1.4 }, { "pointless", -1.8 }, { "polished", 1.3 },
	{ "pretentious", -1.6 }, { "refreshing", 1.8 }, { "refund", -0.6 },
	{ "reliable", 1.7 }, { "reliably", 1.2 }, { "responsive", 1.2 },
	{ "rip-off", -2.4 }, { "ripoff", -2.4 }, { "riveting", 2.2 },
	{ "seamless", 1.8 }, { "seamlessly", 1.6 }, { "shoddy", -2.1 },
	{ "sloppy", -1.6 }, { "slow", -1.0 }, { "slower", -1.0 },
	{ "soulless", -1.9 }, { "spellbinding", 2.4 }, { "stale", -1.3 },
	{ "stellar", 2.6 }, { "sturdy", 1.4 }, { "sublime", 2.7 },
	{ "subpar", -1.8 }, { "tedious", -1.8 }, { "thought-provoking", 1.8 },
	{ "tiresome", -1.7 }, { "top-notch", 2.6 }, { "touching", 1.6 },
	{ "trash", -1.9 }, { "unbearable", -2.2 }, { "unconvincing", -1.5 },
	{ "underwhelming", -1.6 }, { "unforgettable", 2.3 },
	{ "unfunny", -2.0 }, { "uninspired", -1.6 }, { "unoriginal", -1.5 },
	{ "unreliable", -1.9 }, { "unresponsive", -1.6 },
	{ "unstable", -1.4 }, { "unusable", -2.3 }, { "unwatchable", -2.6 },
	{ "uplifting", 2.1 }, { "user-friendly", 1.6 }, { "vapid", -1.6 },
	{ "vivid", 1.3 }, { "well-crafted", 2.0 }, { "well-made", 1.9 },
	{ "well-written", 2.0 }, { "witty", 1.9 }, { "worked", 0.5 },
	{ "works", 0.6 }, { "worthwhile", 1.7 },
};

/* Emoji by code point; VADER reads emoji through a description table we
 * do not ship, so these valences are Tame's, on the same scale. */
struct emoji_entry {
	uint32_t cp;
	double v;
};

static const struct emoji_entry emoji[] = {
	{ 0x2639, -1.8 }, { 0x263A, 1.8 }, { 0x2728, 1.2 }, { 0x2764, 2.6 },
	{ 0x2B50, 1.3 }, { 0x1F31F, 1.5 }, { 0x1F389, 2.2 }, { 0x1F38A, 2.0 },
	{ 0x1F44C, 1.4 }, { 0x1F44D, 1.6 }, { 0x1F44E, -1.7 },
	{ 0x1F44F, 1.8 }, { 0x1F494, -2.2 }, { 0x1F495, 2.4 },
	{ 0x1F496, 2.4 }, { 0x1F497, 2.4 }, { 0x1F498, 2.4 }, { 0x1F499, 2.4 },
	{ 0x1F49A, 2.4 }, { 0x1F49B, 2.4 }, { 0x1F49C, 2.4 }, { 0x1F4A9, -1.8 },
	{ 0x1F4AF, 1.8 }, { 0x1F600, 2.0 }, { 0x1F601, 2.0 }, { 0x1F602, 1.5 },
	{ 0x1F603, 2.0 }, { 0x1F604, 2.2 }, { 0x1F605, 0.8 }, { 0x1F606, 1.8 },
	{ 0x1F607, 1.5 }, { 0x1F609, 1.2 }, { 0x1F60A, 2.2 }, { 0x1F60B, 1.6 },
	{ 0x1F60C, 1.2 }, { 0x1F60D, 2.7 }, { 0x1F60E, 1.5 }, { 0x1F60F, 0.3 },
	{ 0x1F610, -0.4 }, { 0x1F611, -0.6 }, { 0x1F612, -1.5 },
	{ 0x1F613, -1.2 }, { 0x1F614, -1.5 }, { 0x1F615, -1.2 },
	{ 0x1F616, -1.8 }, { 0x1F618, 2.3 }, { 0x1F619, 1.8 }, { 0x1F61A, 1.8 },
	{ 0x1F61B, 1.2 }, { 0x1F61C, 1.2 }, { 0x1F61D, 1.2 }, { 0x1F61E, -1.8 },
	{ 0x1F61F, -1.5 }, { 0x1F620, -2.4 }, { 0x1F621, -2.7 },
	{ 0x1F622, -2.0 }, { 0x1F623, -1.6 }, { 0x1F624, -1.8 },
	{ 0x1F625, -1.5 }, { 0x1F626, -1.3 }, { 0x1F627, -1.5 },
	{ 0x1F628, -1.8 }, { 0x1F629, -1.9 }, { 0x1F62A, -0.8 },
	{ 0x1F62B, -1.9 }, { 0x1F62C, -0.8 }, { 0x1F62D, -2.2 },
	{ 0x1F630, -1.9 }, { 0x1F631, -2.0 }, { 0x1F633, -0.6 },
	{ 0x1F635, -1.2 }, { 0x1F641, -1.4 }, { 0x1F642, 1.3 },
	{ 0x1F644, -1.3 }, { 0x1F64C, 2.0 }, { 0x1F64F, 1.0 },
	{ 0x1F914, -0.2 }, { 0x1F917, 2.0 }, { 0x1F923, 1.8 },
	{ 0x1F926, -1.5 }, { 0x1F929, 2.6 }, { 0x1F92C, -3.0 },
	{ 0x1F937, -0.4 }, { 0x1F970, 2.8 }, { 0x1F973, 2.4 },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Open addressing over a table: slot holds index + 1, 0 when free. Sized
 * to a power of two above twice the table. */
struct lexhash {
	const struct lex_entry *tab;
	size_t mask;
	uint16_t *slot;
	uint32_t *hash;     /* of the slot's word: most misses end without
	                       a strcmp */
};

#define VADER_SLOTS 16384
#define SMALL_SLOTS 512

static uint16_t vader_slots[VADER_SLOTS], booster_slots[SMALL_SLOTS],
	extra_slots[SMALL_SLOTS], override_slots[SMALL_SLOTS];
static uint32_t vader_hash[VADER_SLOTS], booster_hash[SMALL_SLOTS],
	extra_hash[SMALL_SLOTS], override_hash[SMALL_SLOTS];
static struct lexhash h_vader = { vader_lexicon, VADER_SLOTS - 1,
	vader_slots, vader_hash };
static struct lexhash h_booster = { boosters, SMALL_SLOTS - 1,
	booster_slots, booster_hash };
static struct lexhash h_extra = { extras, SMALL_SLOTS - 1, extra_slots,
	extra_hash };
static struct lexhash h_override = { overrides, SMALL_SLOTS - 1,
	override_slots, override_hash };
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void
hash_table(struct lexhash *h, size_t n)
{
	size_t i;

	for (i = 0; i < n && n < h->mask / 2; i++) {
		uint32_t full = tone_hash(h->tab[i].w, strlen(h->tab[i].w));
		uint32_t k = full & (uint32_t)h->mask;

		while (h->slot[k])
			k = (k + 1) & (uint32_t)h->mask;
		h->slot[k] = (uint16_t)(i + 1);
		h->hash[k] = full;
	}
}

static void
hash_all(void)
{
	hash_table(&h_vader, COUNT(vader_lexicon));
	hash_table(&h_booster, COUNT(boosters));
	hash_table(&h_extra, COUNT(extras));
	hash_table(&h_override, COUNT(overrides));
}

static int
find(struct lexhash *h, const char *w, double *v)
{
	uint32_t k, full;

	if (!w || !*w)
		return 0;
	pthread_once(&hash_once, hash_all);
	full = tone_hash(w, strlen(w));
	for (k = full & (uint32_t)h->mask; h->slot[k];
	    k = (k + 1) & (uint32_t)h->mask) {
		const struct lex_entry *e = &h->tab[h->slot[k] - 1];

		if (h->hash[k] == full && strcmp(e->w, w) == 0) {
			if (v)
				*v = e->v;
			return 1;
		}
	}
	return 0;
}

int
tone_lex_vader(const char *w, double *valence)
{
	return find(&h_vader, w, valence);
}

int
tone_lex_booster(const char *w, double *scalar)
{
	return find(&h_booster, w, scalar);
}

static int
cmp_str(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(const char *const *)elem);
}

int
tone_lex_negator(const char *w)
{
	if (!w || !*w)
		return 0;
	if (strstr(w, "n't"))
		return 1;
	return bsearch(w, negators, COUNT(negators), sizeof(negators[0]),
	    cmp_str) != NULL;
}

const char *const *
tone_lex_negators(size_t *n)
{
	*n = COUNT(negators);
	return negators;
}

int
tone_lex_special(const char *phrase, double *valence)
{
	size_t i;

	for (i = 0; i < COUNT(specials); i++)
		if (strcmp(specials[i].w, phrase) == 0) {
			*valence = specials[i].v;
			return 1;
		}
	return 0;
}

int
tone_lex_override(const char *w, double *valence)
{
	return find(&h_override, w, valence);
}

int
tone_lex_extra(const char *w, double *valence)
{
	return find(&h_extra, w, valence);
}

static int
lookup_plain(const char *w, double *v)
{
	return tone_lex_vader(w, v) || tone_lex_extra(w, v);
}

/* Tries stem + add as a word: 1 and *v if known. */
static int
try_form(const char *w, size_t stem, const char *add, double *v)
{
	char buf[TONE_WORD_MAX + 4];
	size_t alen = strlen(add);

	if (stem < 3 || stem + alen >= sizeof(buf))
		return 0;
	memcpy(buf, w, stem);
	memcpy(buf + stem, add, alen + 1);
	return lookup_plain(buf, v);
}

static int
ends(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n > k && memcmp(w + n - k, suf, k) == 0;
}

/* The base form of an inflected or derived word, VADER lexicon first. */
static int
lookup_base(const char *w, double *v)
{
	size_t n = strlen(w);

	if (ends(w, n, "'s"))
		return try_form(w, n - 2, "", v);
	if (ends(w, n, "ically"))
		return try_form(w, n - 4, "", v);
	if (ends(w, n, "ily") || ends(w, n, "iness"))
		return try_form(w, n - (w[n - 1] == 'y' ? 3 : 5), "y", v);
	if (ends(w, n, "ably") || ends(w, n, "ibly"))
		return try_form(w, n - 1, "e", v);
	if (ends(w, n, "ly"))
		return try_form(w, n - 2, "", v);
	if (ends(w, n, "ness"))
		return try_form(w, n - 4, "", v);
	if (ends(w, n, "ies") || ends(w, n, "ied") || ends(w, n, "ier"))
		return try_form(w, n - 3, "y", v);
	if (ends(w, n, "iest"))
		return try_form(w, n - 4, "y", v);
	/* not "-er": "player" is not "play" */
	if (ends(w, n, "ing") || ends(w, n, "est") || ends(w, n, "ed")) {
		size_t s = n - (w[n - 1] == 'g' || w[n - 1] == 't' ? 3 : 2);

		if (try_form(w, s, "", v) || try_form(w, s, "e", v))
			return 1;
		/* stopped -> stop, bigger -> big */
		if (s >= 4 && w[s - 1] == w[s - 2])
			return try_form(w, s - 1, "", v);
		return 0;
	}
	if (ends(w, n, "es") && try_form(w, n - 2, "", v))
		return 1;
	if (ends(w, n, "s") && !ends(w, n, "ss"))
		return try_form(w, n - 1, "", v);
	return 0;
}

int
tone_lex_word(const char *w, double *valence)
{
	double v;

	if (!w || !*w)
		return 0;
	/* "like" is a preposition there, not a feeling */
	if ((w[0] == 'l' || w[0] == 'u') && (strcmp(w, "likely") == 0 ||
	    strcmp(w, "unlikely") == 0 || strcmp(w, "unlike") == 0))
		return 0;
	if (tone_lex_override(w, valence) || lookup_plain(w, valence))
		return 1;
	if (lookup_base(w, valence))
		return 1;
	/* un- reverses its base: "unhelpful", "unimpressed" */
	if (strncmp(w, "un", 2) == 0 && strlen(w) >= 6 &&
	    (lookup_plain(w + 2, &v) || lookup_base(w + 2, &v))) {
		*valence = v * TONE_N_SCALAR;
		return 1;
	}
	return 0;
}

static int
cmp_emoji(const void *key, const void *elem)
{
	uint32_t a = *(const uint32_t *)key;
	uint32_t b = ((const struct emoji_entry *)elem)->cp;

	return a < b ? -1 : a > b;
}

int
tone_lex_emoji(uint32_t cp, double *valence)
{
	const struct emoji_entry *e;

	e = bsearch(&cp, emoji, COUNT(emoji), sizeof(emoji[0]), cmp_emoji);
	if (!e)
		return 0;
	*valence = e->v;
	return 1;
}

static int
sorted(const struct lex_entry *tab, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(tab[i - 1].w, tab[i].w) >= 0)
			return 0;
	return 1;
}

int
tone_lex_selfcheck(void)
{
	size_t i;

	if (!sorted(vader_lexicon, COUNT(vader_lexicon)))
		return 1;
	if (!sorted(boosters, COUNT(boosters)))
		return 2;
	for (i = 1; i < COUNT(negators); i++)
		if (strcmp(negators[i - 1], negators[i]) >= 0)
			return 3;
	if (!sorted(specials, COUNT(specials)))
		return 4;
	if (!sorted(overrides, COUNT(overrides)))
		return 5;
	if (!sorted(extras, COUNT(extras)))
		return 6;
	for (i = 1; i < COUNT(emoji); i++)
		if (emoji[i - 1].cp >= emoji[i].cp)
			return 7;
	if (COUNT(vader_lexicon) < 7000)
		return 8;
	/* every word is found through its hash */
	for (i = 0; i < COUNT(vader_lexicon); i++)
		if (!tone_lex_vader(vader_lexicon[i].w, NULL))
			return 9;
	for (i = 0; i < COUNT(extras); i++)
		if (!tone_lex_extra(extras[i].w, NULL))
			return 10;
	for (i = 0; i < COUNT(boosters); i++)
		if (!tone_lex_booster(boosters[i].w, NULL))
			return 11;
	return 0;
}
