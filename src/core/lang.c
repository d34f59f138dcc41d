/*
 * lang.c - the language of a text from its function words. See lang.h
 * for the model.
 *
 * The stop lists are Snowball's, as Perl's Lingua::StopWords ships them
 * (the Makefile writes $(B)/gen/stopwords.inc with scripts/stopwords.sh).
 * At first use they are folded like the words of a message (text_fold)
 * into one table sorted by bytes, each word with the bits of the
 * languages it belongs to, and looked up with bsearch.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "lang.h"
#include "text.h"
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
 * 0.12 of Lingua::StopWords. A list that outgrows it is cut (the unit
 * test of lang checks that none is). */
#define TABLE_MAX 4096
#define ARENA_MAX (64 * 1024)
/* An elided word before the apostrophe: "l", "qu", "dell", "quest". */
#define ELIDED_MAX 8

struct entry {
	uint32_t off;  /* folded word in arena */
	uint32_t mask; /* 1u << lang of each list that holds it */
};

static struct entry table[TABLE_MAX];
static char arena[ARENA_MAX];
static size_t ntable;
static int table_cut; /* a word did not fit, or could not be folded */
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return strcmp(arena + x->off, arena + y->off);
}

static void
table_build(void)
{
	struct buf f;
	const char *const *list, *w;
	size_t used = 0, i, n = 0;
	int l, k;

	buf_init(&f, ARENA_MAX);
	for (l = 0; l < LANG_COUNT; l++) {
		for (k = 0; k < 2; k++) {
			list = k ? langs[l].more : langs[l].words;
			for (i = 0; (w = list[i]); i++) {
				buf_reset(&f);
				if (text_fold(w, strlen(w), &f) || f.len == 0 ||
				    n == TABLE_MAX || used + f.len + 1 > ARENA_MAX) {
					table_cut = 1;
					continue;
				}
				memcpy(arena + used, f.data, f.len + 1);
				table[n].off = (uint32_t)used;
				table[n++].mask = 1u << l;
				used += f.len + 1;
			}
		}
	}
	buf_free(&f);
	qsort(table, n, sizeof(table[0]), entry_cmp);
	/* one entry per word, with the bits of all its lists */
	for (i = 0, ntable = 0; i < n; i++) {
		if (ntable > 0 && entry_cmp(&table[ntable - 1], &table[i]) == 0)
			table[ntable - 1].mask |= table[i].mask;
		else
			table[ntable++] = table[i];
	}
}

static int
key_cmp(const void *key, const void *e)
{
	return strcmp(key, arena + ((const struct entry *)e)->off);
}

unsigned
lang_words_of(const char *w)
{
	const struct entry *e;
	unsigned m = 0;

	if (!w || !*w)
		return 0;
	pthread_once(&table_once, table_build);
	e = bsearch(w, table, ntable, sizeof(table[0]), key_cmp);
	if (e)
		m = e->mask;
	if (text_is_stop(w))
		m |= 1u << LANG_EN;
	return m;
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

void
lang_vote(struct lang_votes *v, const char *w)
{
	char pre[ELIDED_MAX];
	unsigned m, b, en;
	int l, letter;

	/* a letter alone is as often an initial ("M. D.", "N.Y.") as
	 * French "y" or Spanish "o": it is counted, but never shows a
	 * language by itself */
	letter = w[0] && !w[1];
	if (!(m = lang_words_of(w)) && elided(w, pre)) {
		m = lang_words_of(pre);
		letter = 0;
	}
	if (!m)
		return;
	en = m & (1u << LANG_EN);
	for (l = 0; l < LANG_COUNT; l++) {
		b = 1u << l;
		if (m & b) {
			v->hits[l]++;
			if (!en && !letter)
				v->only[l]++;
			if ((m & ~b) == 0 && !letter)
				v->solo[l]++;
		} else if (en) {
			v->en_not[l]++;
		}
	}
}

enum lang
lang_pick(const struct lang_votes *v, enum lang hint)
{
	int l, best = -1;

	for (l = LANG_EN + 1; l < LANG_COUNT; l++) {
		/* clear evidence: two words of its own that are no English
		 * function word, more than twice English's */
		if (v->hits[l] < 2 || v->only[l] < 2 ||
		    v->only[l] <= 2 * v->en_not[l])
			continue;
		if (best < 0 || v->hits[l] > v->hits[best] ||
		    (v->hits[l] == v->hits[best] && v->solo[l] > v->solo[best]))
			best = l;
	}
	if (best > 0)
		return (enum lang)best;
	if (hint > LANG_EN && hint < LANG_COUNT &&
	    v->en_not[hint] <= v->only[hint])
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
	return lang_is_stop(l, pre) ? n + 1 : 0;
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
