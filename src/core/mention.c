/*
 * mention.c - finding @mentions of agents in a note. See mention.h.
 */
#include <string.h>
#include <strings.h>
#include "mention.h"

/* 1 for bytes that continue a word: ASCII letters and digits, '_', and
 * every byte of a multi-byte UTF-8 character. */
static int
word_byte(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch >= 0x80;
}

/* 1 if a handle may end before p: the end, or a byte that is not part
 * of a word, where '.' and '-' count only when no word follows them
 * ("@Ada." ends, "@ada.lovelace" does not). */
static int
boundary(const char *p)
{
	unsigned char ch = (unsigned char)p[0];

	if (!ch)
		return 1;
	if (ch == '.' || ch == '-' || ch == '@')
		return ch != '@' && !word_byte((unsigned char)p[1]);
	return !word_byte(ch);
}

/* Length of handle h[0..hn) at p when it matches there and ends at a
 * boundary; 0 otherwise. */
static size_t
match(const char *p, const char *h, size_t hn)
{
	if (hn == 0 || strncasecmp(p, h, hn) != 0 || !boundary(p + hn))
		return 0;
	return hn;
}

/* Length of the first word of name (up to a space). */
static size_t
first_word(const char *name)
{
	return strcspn(name, " \t");
}

/* 1 if another agent than agents[self] has the same first name. */
static int
first_shared(const struct mention_agent *agents, size_t n, size_t self)
{
	const char *a = agents[self].name;
	size_t i, an = first_word(a);

	for (i = 0; i < n; i++) {
		if (i == self || !agents[i].name)
			continue;
		if (first_word(agents[i].name) == an &&
		    strncasecmp(agents[i].name, a, an) == 0)
			return 1;
	}
	return 0;
}

size_t
mention_find(const char *text, const struct mention_agent *agents, size_t n,
    int64_t *out, size_t max)
{
	const char *p;
	size_t found = 0, i, j, len, best_len;
	int64_t best;

	for (p = text ? strchr(text, '@') : NULL; p && found < max;
	    p = strchr(p + 1, '@')) {
		/* not "bob@example.org" written in the note */
		if (p > text && word_byte((unsigned char)p[-1]))
			continue;
		best = 0;
		best_len = 0;
		for (i = 0; i < n; i++) {
			const struct mention_agent *a = &agents[i];

			len = 0;
			if (a->email)
				len = match(p + 1, a->email, strlen(a->email));
			if (a->name) {
				size_t l2 = match(p + 1, a->name,
				    strlen(a->name));

				if (l2 > len)
					len = l2;
				if (!len && !first_shared(agents, n, i))
					len = match(p + 1, a->name,
					    first_word(a->name));
			}
			if (len > best_len) {
				best_len = len;
				best = a->id;
			}
		}
		if (!best)
			continue;
		for (j = 0; j < found; j++)
			if (out[j] == best)
				break;
		if (j == found)
			out[found++] = best;
	}
	return found;
}
