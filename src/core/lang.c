/*
 * lang.c - the language of a text from its function words. See lang.h
 * for the model.
 *
 * The stop lists are Snowball's, as Perl's Lingua::StopWords ships them
 * (the Makefile writes $(B)/gen/stopwords.inc with scripts/stopwords.sh).
 * At first use they are folded like the words of a message (text_fold)
 * into one table, each word with the bits of the languages it belongs
 * to, text.c's English list among them, and looked up in a hash table:
 * one probe or two a word, where two binary searches a word made the
 * reading of an English mail a sixth slower.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "buf.h"
#include "lang.h"
#include "text.h"
#include "util.h"
#include "stopwords.inc"

/* Tame's additions, as the English list of text.c has "hi", "hello",
 * "dear" and "please": the greetings, courtesies and closings of mail,
 * which say nothing about a problem and would make every German or
 * Dutch mail alike ("met vriendelijke groet"). Written as customers
 * write them; folded with the lists. Words that are also English words
 * ("salve", "lg") are left out: a short English text must stay
 * English. */
static const char *const more_da[] = { "hej", "hilsen", "mvh", "tak",
	"venlig", NULL };
static const char *const more_de[] = { "bitte", "dank", "danke",
	"dankeschön", "freundlichen", "geehrte", "geehrter", "geehrtes",
	"gruß", "grüße", "grüßen", "hallo", "liebe", "lieber", "mfg",
	"vielen", NULL };
static const char *const more_es[] = { "atentamente", "buenas", "buenos",
	"días", "estimada", "estimado", "estimados", "gracias", "hola",
	"noches", "saludos", "tardes", NULL };
static const char *const more_fi[] = { "hei", "kiitos", "moi",
	"terveisin", "ystävällisin", NULL };
static const char *const more_fr[] = { "bonjour", "bonsoir",
	"cordialement", "madame", "merci", "monsieur", "plaît", "salutations",
	"svp", NULL };
static const char *const more_hu[] = { "kedves", "köszönöm", "szia",
	"tisztelt", "üdv", "üdvözlettel", NULL };
static const char *const more_it[] = { "buonasera", "buongiorno", "ciao",
	"cordiali", "distinti", "gentile", "gentili", "grazie", "saluti",
	NULL };
static const char *const more_nl[] = { "alstublieft", "bedankt", "beste",
	"geachte", "groet", "groeten", "groetjes", "hallo", "hoi", "mvg",
	"vriendelijke", NULL };
static const char *const more_no[] = { "hei", "hilsen", "mvh", "takk",
	"vennlig", NULL };
static const char *const more_pt[] = { "atenciosamente", "boa", "bom",
	"cumprimentos", "obrigada", "obrigado", "olá", "prezada", "prezado",
	NULL };
static const char *const more_ru[] = { "здравствуйте", "пожалуйста",
	"привет", "спасибо", "уважением", NULL };
static const char *const more_sv[] = { "hej", "hälsningar", "mvh", "tack",
	"vänliga", NULL };
static const char *const more_none[] = { NULL };

static const struct {
	const char *code;
	const char *stemmer; /* libstemmer's name of the algorithm */
	const char *const *words; /* Snowball's */
	const char *const *more;  /* Tame's */
} langs[LANG_COUNT] = {
	[LANG_EN] = { "en", "english", stop_en, more_none },
	[LANG_DA] = { "da", "danish", stop_da, more_da },
	[LANG_DE] = { "de", "german", stop_de, more_de },
	[LANG_ES] = { "es", "spanish", stop_es, more_es },
	[LANG_FI] = { "fi", "finnish", stop_fi, more_fi },
	[LANG_FR] = { "fr", "french", stop_fr, more_fr },
	[LANG_HU] = { "hu", "hungarian", stop_hu, more_hu },
	[LANG_IT] = { "it", "italian", stop_it, more_it },
	[LANG_NL] = { "nl", "dutch", stop_nl, more_nl },
	[LANG_NO] = { "no", "norwegian", stop_no, more_no },
	[LANG_PT] = { "pt", "portuguese", stop_pt, more_pt },
	[LANG_RU] = { "ru", "russian", stop_ru, more_ru },
	[LANG_SV] = { "sv", "swedish", stop_sv, more_sv },
};

/* Room for the folded lists: 2,417 words, 17 kB folded, in Debian's
 * 0.12 of Lingua::StopWords, and text.c's English list. A list that
 * outgrows it is cut (the unit test of lang checks that none is). */
#define TABLE_MAX 4096
#define ARENA_MAX (64 * 1024)
/* Slots of the hash table: a power of two, at least twice TABLE_MAX,
 * so that a probe seldom goes past its first slot. */
#define SLOTS 8192
/* An elided word before the apostrophe: "l", "qu", "dell", "quest". */
#define ELIDED_MAX 8

struct entry {
	uint32_t off;  /* folded word in arena */
	uint32_t mask; /* 1u << lang of each list that holds it */
};

static struct entry table[TABLE_MAX];
static uint16_t slot[SLOTS]; /* 1 + index into table; 0 free */
static char arena[ARENA_MAX];
static size_t ntable;
static int table_cut; /* a word did not fit, or could not be folded */
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int table_ready; /* table_build() is done */

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return strcmp(arena + x->off, arena + y->off);
}

/* Adds the n words of list (or up to its NULL), each with bit, to the
 * table; *used bytes of the arena are taken. */
static void
table_add(const char *const *list, size_t n, uint32_t bit, size_t *used)
{
	struct buf f;
	const char *w;
	size_t i;

	buf_init(&f, 64);
	for (i = 0; i < n && (w = list[i]); i++) {
		buf_reset(&f);
		if (text_fold(w, strlen(w), &f) || f.len == 0 ||
		    ntable == TABLE_MAX || *used + f.len + 1 > ARENA_MAX) {
			table_cut = 1;
			continue;
		}
		memcpy(arena + *used, f.data, f.len + 1);
		table[ntable].off = (uint32_t)*used;
		table[ntable++].mask = bit;
		*used += f.len + 1;
	}
	buf_free(&f);
}

static void
table_build(void)
{
	const char *const *en;
	size_t used = 0, i, n, nen;
	uint32_t h;
	int l;

	for (l = 0; l < LANG_COUNT; l++) {
		table_add(langs[l].words, SIZE_MAX, 1u << l, &used);
		table_add(langs[l].more, SIZE_MAX, 1u << l, &used);
	}
	/* text.c's English list: Snowball's and its own edits */
	en = text_stop_words(&nen);
	table_add(en, nen, 1u << LANG_EN, &used);
	n = ntable;
	qsort(table, n, sizeof(table[0]), entry_cmp);
	/* one entry per word, with the bits of all its lists */
	for (i = 0, ntable = 0; i < n; i++) {
		if (ntable > 0 && entry_cmp(&table[ntable - 1], &table[i]) == 0)
			table[ntable - 1].mask |= table[i].mask;
		else
			table[ntable++] = table[i];
	}
	/* open addressing, linear probing */
	for (i = 0; i < ntable; i++) {
		h = tame_str_hash(arena + table[i].off) & (SLOTS - 1);
		while (slot[h])
			h = (h + 1) & (SLOTS - 1);
		slot[h] = (uint16_t)(i + 1);
	}
	__atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

unsigned
lang_words_of(const char *w)
{
	uint32_t h;
	uint16_t e;

	if (!w || !*w)
		return 0;
	/* pthread_once() costs as much as the lookup itself */
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		pthread_once(&table_once, table_build);
	for (h = tame_str_hash(w) & (SLOTS - 1); (e = slot[h]);
	    h = (h + 1) & (SLOTS - 1))
		if (strcmp(w, arena + table[e - 1].off) == 0)
			return table[e - 1].mask;
	return 0;
}

int
lang_selfcheck(void)
{
	pthread_once(&table_once, table_build);
	return table_cut || ntable == 0;
}

int
lang_is_stop(enum lang l, const char *w)
{
	if ((unsigned)l >= LANG_COUNT)
		return 0;
	return (lang_words_of(w) >> l) & 1u;
}

void
lang_votes_init(struct lang_votes *v)
{
	memset(v, 0, sizeof(*v));
}

/* The word before the apostrophe of w into pre (ELIDED_MAX bytes);
 * 0 when w has none, or a longer one. */
static size_t
elided(const char *w, char *pre)
{
	const char *ap = strchr(w, '\'');
	size_t n;

	if (!ap || ap == w || !ap[1] || (n = (size_t)(ap - w)) >= ELIDED_MAX)
		return 0;
	memcpy(pre, w, n);
	pre[n] = '\0';
	return n;
}

/* The words French and Italian write elided before a vowel: articles,
 * prepositions, pronouns, conjunctions ("l'", "qu'", "dell'",
 * "quest'"). Only these: English "ma'am", "y'all", "o'clock" are no
 * elision. Sorted. */
static const char *const elided_fr[] = { "c", "d", "j", "jusqu", "l",
	"lorsqu", "m", "n", "presqu", "puisqu", "qu", "quoiqu", "s", "t" };
static const char *const elided_it[] = { "all", "c", "coll", "d", "dall",
	"dell", "l", "m", "n", "nell", "nessun", "pell", "quell", "quest",
	"s", "sull", "t", "un", "v" };

/* Bits of the languages of which pre is an elided word. */
static unsigned
elision_of(const char *pre)
{
	unsigned m = 0;

	if (bsearch(pre, elided_fr, sizeof(elided_fr) / sizeof(elided_fr[0]),
	    sizeof(elided_fr[0]), tame_strp_cmp))
		m |= 1u << LANG_FR;
	if (bsearch(pre, elided_it, sizeof(elided_it) / sizeof(elided_it[0]),
	    sizeof(elided_it[0]), tame_strp_cmp))
		m |= 1u << LANG_IT;
	return m;
}

/* The code point at s (n bytes), *len set to its bytes; -1 if invalid. */
static int32_t
cp_at(const char *s, size_t n, size_t *len)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t k;

	*len = 1;
	if ((unsigned char)s[0] < 0x80)
		return (unsigned char)s[0];
	k = utf8proc_iterate((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)n, &c);
	if (k <= 0)
		return -1;
	*len = (size_t)k;
	return c;
}

static int
is_upper(int32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z';
	return utf8proc_isupper(c);
}

static int
is_lower(int32_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z';
	return utf8proc_islower(c);
}

/* How the word raw (n bytes, as written) is written: LANG_CAP when it
 * starts with a capital and has a small letter ("Sean", "O'Brien", not
 * "AWFUL"); LANG_AP_CAP when a capital follows its apostrophe
 * ("O'Brien", "D'Angelo"). */
enum { LANG_CAP = 1, LANG_AP_CAP = 2 };

static unsigned
written(const char *raw, size_t n)
{
	size_t i, k;
	int32_t c;
	unsigned how = 0;
	int first, ap = 0, lower = 0;

	if (!raw || n == 0)
		return 0;
	/* a word in small ASCII letters, the most of them: nothing to
	 * read */
	if (raw[0] >= 'a' && raw[0] <= 'z') {
		for (i = 1; i < n && raw[i] != '\'' && (unsigned char)raw[i] < 0x80;
		    i++)
			;
		if (i == n)
			return 0;
	}
	for (i = 0; i < n; i += k) {
		c = cp_at(raw + i, n - i, &k);
		first = i == 0;
		if (c == '\'' || c == 0x2019) {
			ap = 1;
			continue;
		}
		if (ap == 1) {
			if (is_upper(c))
				how |= LANG_AP_CAP;
			ap = 2;
		}
		if (first && is_upper(c))
			how |= LANG_CAP;
		else if (is_lower(c))
			lower = 1;
	}
	if (!lower)
		how &= ~(unsigned)LANG_CAP;
	return how;
}

void
lang_vote(struct lang_votes *v, const char *w, const char *raw,
    size_t rawlen, int start)
{
	char pre[ELIDED_MAX];
	unsigned m, en, how, rest;
	int l, letter;

	v->words++;
	how = written(raw, rawlen);
	/* a capital within a sentence starts a name or a place ("Sean
	 * Murphy", "Las Palmas", "O'Brien"), which says nothing of the
	 * language the customer writes in */
	if ((how & LANG_CAP) && !start)
		return;
	/* a letter alone is as often an initial ("M. D.", "N.Y.") as
	 * French "y" or Spanish "o": it is counted, but never shows a
	 * language by itself */
	letter = w[0] && !w[1];
	if (!(m = lang_words_of(w))) {
		/* French and Italian elide a word before a small letter
		 * ("l'application", "dell'ordine"): that word shows the
		 * language, as a whole word would */
		if ((how & LANG_AP_CAP) || !elided(w, pre) ||
		    !(m = elision_of(pre)))
			return;
	}
	en = m & (1u << LANG_EN);
	if (en)
		v->en++;
	/* each language the word is on, not all of them: the English
	 * function words not on a list are counted at the pick */
	for (rest = m; rest; rest &= rest - 1) {
		l = __builtin_ctz(rest);
		v->hits[l]++;
		if (en)
			v->en_also[l]++;
		else if (!letter)
			v->only[l]++;
		if (!(m & (m - 1)) && !letter)
			v->solo[l]++;
	}
}

/* The English function words of the text that are not on l's list. */
static uint32_t
en_not(const struct lang_votes *v, int l)
{
	return v->en - v->en_also[l];
}

enum lang
lang_pick(const struct lang_votes *v, enum lang hint)
{
	int l, best = -1;

	for (l = LANG_EN + 1; l < LANG_COUNT; l++) {
		/* clear evidence: three words of its own that are no
		 * English function word, more than twice English's, and a
		 * fifth of all the words at least */
		if (v->only[l] < LANG_MIN_OWN || v->only[l] <= 2 * en_not(v, l) ||
		    (uint64_t)v->only[l] * LANG_MIN_SHARE < v->words)
			continue;
		if (best < 0 || v->hits[l] > v->hits[best] ||
		    (v->hits[l] == v->hits[best] && v->solo[l] > v->solo[best]))
			best = l;
	}
	if (best > 0)
		return (enum lang)best;
	if (hint > LANG_EN && hint < LANG_COUNT &&
	    en_not(v, hint) <= v->only[hint])
		return hint;
	return LANG_EN;
}

size_t
lang_elision(enum lang l, const char *w)
{
	char pre[ELIDED_MAX];
	size_t n;

	if ((l != LANG_FR && l != LANG_IT) || !w || !(n = elided(w, pre)))
		return 0;
	return (elision_of(pre) >> l) & 1u ? n + 1 : 0;
}

const char *
lang_code(enum lang l)
{
	return (unsigned)l < LANG_COUNT ? langs[l].code : "?";
}

const char *
lang_stemmer(enum lang l)
{
	return (unsigned)l < LANG_COUNT ? langs[l].stemmer : "english";
}
