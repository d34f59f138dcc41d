/*
 * http_spell.c - spell check of a reply being written, with hunspell
 * (the dictionaries of Debian's hunspell-* packages). See http_spell.h
 * and docs/API.md.
 *
 * Model: the text is cut into words here, not by hunspell, so that what
 * an agent writes but no dictionary knows is left alone: a chunk
 * between spaces holding "://", "@", "www." or a slash (links,
 * addresses, paths) is skipped whole; a word is a run of letters (any
 * script, with combining marks) and inner apostrophes, and is skipped
 * when digits touch it ("2fa", "v3"), when it is written in capitals
 * ("VPN", "SMTP") or is one letter; quoted lines ("> ...") are the
 * customer's words and are skipped too. Offsets and lengths count
 * UTF-16 code units, as JavaScript strings do, so the web app can
 * underline text.slice(offset, offset + length) directly.
 *
 * Hunspell handles are not thread-safe and take a moment to load, so
 * each language gets one handle, loaded on its first request and kept
 * for the life of the process, used under its own mutex. The
 * dictionaries are looked up in $TAME_HUNSPELL_DIR or
 * /usr/share/hunspell (Debian's place) as LANG.aff and LANG.dic; when
 * they are missing the answer is 503 spellcheck_unavailable, and they
 * are looked for again on the next request.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hunspell.h>
#include <utf8proc.h>
#include "http_desk.h"
#include "http_spell.h"
#include "../core/util.h"
#include "../tame_limits.h"

#define SPELL_DIR_DEFAULT "/usr/share/hunspell"
/* Languages loaded at once; each handle holds a few MB. */
#define SPELL_LANGS_MAX 8
/* "en_US", "pt_BR", "de_DE_frami" fit. */
#define SPELL_LANG_MAX 16
/* Longest word looked up (hunspell's own limit is about 100 bytes). */
#define SPELL_WORD_MAX 100
#define SPELL_LANG_DEFAULT "en_US"

struct spell_dict {
	char lang[SPELL_LANG_MAX + 1];
	Hunhandle *h;
	pthread_mutex_t lock;
};

static struct spell_dict dicts[SPELL_LANGS_MAX];
static size_t ndicts;
static pthread_mutex_t dicts_lock = PTHREAD_MUTEX_INITIALIZER;

/* A word found in the text: bytes [start, end), UTF-16 offset and
 * length. */
struct spell_word {
	size_t start, end;
	size_t off16, len16;
};

/* 0 if lang is a dictionary name (letters, '_' between parts), with
 * '-' taken as '_'; copies it into out. */
static int
lang_norm(const char *lang, char out[SPELL_LANG_MAX + 1])
{
	size_t i, n = strlen(lang);

	if (n < 2 || n > SPELL_LANG_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = lang[i] == '-' ? '_' : lang[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch == '_' && i > 0 && i < n - 1 && out[i - 1] != '_')))
			return -1;
		out[i] = ch;
	}
	out[n] = '\0';
	return 0;
}

/* The loaded dictionary of lang, loading it if it is installed; NULL
 * when it is not (or cannot be loaded). */
static struct spell_dict *
dict_get(const char *lang)
{
	const char *dir = getenv("TAME_HUNSPELL_DIR");
	struct spell_dict *d = NULL;
	char aff[4096], dic[4096];
	size_t i;
	int n1, n2;

	if (!dir || !dir[0])
		dir = SPELL_DIR_DEFAULT;
	pthread_mutex_lock(&dicts_lock);
	for (i = 0; i < ndicts; i++)
		if (strcmp(dicts[i].lang, lang) == 0) {
			d = &dicts[i];
			goto out;
		}
	if (ndicts == SPELL_LANGS_MAX)
		goto out;
	n1 = snprintf(aff, sizeof(aff), "%s/%s.aff", dir, lang);
	n2 = snprintf(dic, sizeof(dic), "%s/%s.dic", dir, lang);
	if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(aff) ||
	    (size_t)n2 >= sizeof(dic) || access(aff, R_OK) != 0 ||
	    access(dic, R_OK) != 0)
		goto out;
	d = &dicts[ndicts];
	if (!(d->h = Hunspell_create(aff, dic))) {
		tame_log(TAME_LOG_WARN, "spell: cannot load %s", dic);
		d = NULL;
		goto out;
	}
	snprintf(d->lang, sizeof(d->lang), "%s", lang);
	pthread_mutex_init(&d->lock, NULL);
	ndicts++;
	tame_log(TAME_LOG_INFO, "spell: loaded %s (%s)", lang,
	    Hunspell_get_dic_encoding(d->h));
out:
	pthread_mutex_unlock(&dicts_lock);
	return d;
}

/* 1 for the code points a word is made of: letters and combining
 * marks. */
static int
is_letter(utf8proc_int32_t cp)
{
	utf8proc_category_t cat = utf8proc_category(cp);

	return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	    cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC;
}

static int
is_apostrophe(utf8proc_int32_t cp)
{
	return cp == '\'' || cp == 0x2019;
}

static int
is_space(utf8proc_int32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
	    cp == 0xa0 || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* 1 if the chunk text[a, b) between spaces is a link, an address or a
 * path, which is not spell-checked. */
static int
skip_chunk(const char *text, size_t a, size_t b)
{
	static const char *const marks[] = { "://", "@", "www.", "/", "\\" };
	size_t i, n, k;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		n = strlen(marks[i]);
		for (k = a; k + n <= b; k++)
			if (memcmp(text + k, marks[i], n) == 0)
				return 1;
	}
	return 0;
}

/* 1 if the word w of text should be looked up: more than one letter,
 * not all in capitals, not too long. */
static int
worth_checking(const char *text, const struct spell_word *w)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text + w->start;
	utf8proc_ssize_t left = (utf8proc_ssize_t)(w->end - w->start), k;
	utf8proc_int32_t cp;
	size_t letters = 0, lower = 0;

	if (w->end - w->start > SPELL_WORD_MAX)
		return 0;
	while (left > 0 && (k = utf8proc_iterate(p, left, &cp)) > 0) {
		if (is_letter(cp)) {
			letters++;
			if (utf8proc_category(cp) != UTF8PROC_CATEGORY_LU)
				lower++;
		}
		p += k;
		left -= k;
	}
	return letters > 1 && lower > 0;
}

/* 1 if the code point at byte i of s (len bytes) is a letter. */
static int
letter_at(const utf8proc_uint8_t *s, size_t i, size_t len)
{
	utf8proc_int32_t cp;

	return i < len && utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i),
	    &cp) > 0 && is_letter(cp);
}

/* 1 if the line starting at byte i is quoted ("> ..."). */
static int
quoted_line(const char *text, size_t i, size_t len)
{
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	return i < len && text[i] == '>';
}

/* The end of the chunk (run of non-blank bytes) starting at byte i. */
static size_t
chunk_end(const char *text, size_t i, size_t len)
{
	while (i < len && !strchr(" \t\r\n", text[i]))
		i++;
	return i;
}

/* Cuts text into the words worth checking; calls found(w, arg) for
 * each, in order, until it returns non-zero. */
static void
words(const char *text, size_t len,
    int (*found)(const struct spell_word *, void *), void *arg)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
	struct spell_word w;
	utf8proc_int32_t cp, prev = '\n';
	utf8proc_ssize_t k;
	size_t i = 0, u16 = 0;
	int in_word = 0, digit = 0, quoted = 0, skip = 0;

	memset(&w, 0, sizeof(w));
	while (i <= len) {
		if (i == len) {
			cp = ' ';	/* ends the last word */
			k = 1;
		} else if ((k = utf8proc_iterate(s + i,
		    (utf8proc_ssize_t)(len - i), &cp)) < 0) {
			cp = 0xfffd;	/* a stray byte: a separator */
			k = 1;
		}
		if (prev == '\n')
			quoted = quoted_line(text, i, len);
		if (!is_space(cp) && is_space(prev))
			skip = skip_chunk(text, i, chunk_end(text, i, len));
		if (is_letter(cp) || (in_word && is_apostrophe(cp) &&
		    letter_at(s, i + (size_t)k, len))) {
			if (!in_word) {
				in_word = 1;
				w.start = i;
				w.off16 = u16;
				digit = prev >= '0' && prev <= '9';
			}
			w.end = i + (size_t)k;
			w.len16 = u16 + (cp >= 0x10000 ? 2 : 1) - w.off16;
		} else if (in_word) {
			in_word = 0;
			if (!(cp >= '0' && cp <= '9') && !digit && !skip &&
			    !quoted && worth_checking(text, &w) &&
			    found(&w, arg))
				return;
		}
		u16 += cp >= 0x10000 ? 2 : 1;
		prev = cp;
		i += (size_t)k;
	}
}

struct spell_run {
	struct spell_dict *d;
	const char *text;
	json_t *list;
	size_t suggested;
	int64_t suggest_until;   /* no suggestion asked for after this */
	int truncated;
	enum tame_err rc;
};

/* found() of words(): looks w up and adds it to the list when wrong. */
static int
check_word(const struct spell_word *w, void *arg)
{
	struct spell_run *r = arg;
	char word[SPELL_WORD_MAX + 1], **sugg = NULL;
	json_t *arr, *item;
	size_t len = w->end - w->start;
	int ok, n = 0, i;

	memcpy(word, r->text + w->start, len);
	word[len] = '\0';
	pthread_mutex_lock(&r->d->lock);
	ok = Hunspell_spell(r->d->h, word);
	if (!ok && r->suggested < TAME_SPELL_SUGGEST_WORDS &&
	    len <= TAME_SPELL_SUGGEST_BYTES &&
	    tame_now_ms() < r->suggest_until) {
		n = Hunspell_suggest(r->d->h, &sugg, word);
		r->suggested++;
	}
	pthread_mutex_unlock(&r->d->lock);
	if (ok)
		return 0;
	if (json_array_size(r->list) == TAME_SPELL_WORDS_MAX) {
		r->truncated = 1;
		goto out;
	}
	arr = json_array();
	for (i = 0; arr && i < n && i < TAME_SPELL_SUGGESTIONS; i++)
		json_array_append_new(arr, json_string(sugg[i]));
	item = json_pack("{s:s%,s:I,s:I,s:o*}", "word", word, len, "offset",
	    (json_int_t)w->off16, "length", (json_int_t)w->len16,
	    "suggestions", arr);
	if (!item || json_array_append_new(r->list, item))
		r->rc = TAME_ENOMEM;
out:
	if (sugg) {
		pthread_mutex_lock(&r->d->lock);
		Hunspell_free_list(r->d->h, &sugg, n);
		pthread_mutex_unlock(&r->d->lock);
	}
	return r->truncated || r->rc != TAME_OK;
}

void
http_spell_check(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "text", JF_TEXT, 1, TAME_SPELL_TEXT_MAX },
		{ "lang", JF_LINE, 0, SPELL_LANG_MAX },
	};
	char lang[SPELL_LANG_MAX + 1];
	struct spell_run r;
	const char *l;
	json_t *body;

	memset(&r, 0, sizeof(r));
	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX, fields, 2)))
		return;
	l = json_body_str(body, "lang");
	if (lang_norm(l ? l : SPELL_LANG_DEFAULT, lang)) {
		http_error(c, 400, "invalid_field", "field \"lang\" must name "
		    "a dictionary, like \"en_US\"");
		goto out;
	}
	if (!(r.d = dict_get(lang))) {
		http_error(c, 503, "spellcheck_unavailable", "no spelling "
		    "dictionary for \"%s\" is installed", lang);
		goto out;
	}
	if (!(r.list = json_array())) {
		http_store_error(c, TAME_ENOMEM, "spell check");
		goto out;
	}
	r.text = json_body_str(body, "text");
	r.suggest_until = tame_now_ms() + TAME_SPELL_SUGGEST_MS;
	words(r.text, json_string_length(json_object_get(body, "text")),
	    check_word, &r);
	if (r.rc) {
		http_store_error(c, r.rc, "spell check");
		goto out;
	}
	http_json(c, 200, json_pack("{s:s,s:O,s:b}", "lang", lang,
	    "misspellings", r.list, "truncated", r.truncated));
out:
	json_decref(r.list);
	json_decref(body);
}
