/*
 * mention.h - @mentions in internal notes: "@Ada", "@Ada Admin" or
 * "@ada@example.com" names a colleague who is then notified.
 *
 * Model: at each '@' that starts a word (not the '@' inside an address
 * someone typed), the longest of the agents' handles that follows it,
 * ending at a word boundary, wins: the email address, the full name,
 * or the first name when only one agent has it. Case is ignored for
 * ASCII letters. Pure: no I/O, no allocation.
 */
#ifndef TAME_MENTION_H
#define TAME_MENTION_H

#include <stddef.h>
#include <stdint.h>

struct mention_agent {
	int64_t id;
	const char *email;     /* may be NULL */
	const char *name;      /* may be NULL */
};

/* Writes the ids of the agents of agents[0..n) mentioned in text into
 * out (each once, in the order first mentioned, at most max) and
 * returns how many. */
size_t mention_find(const char *text, const struct mention_agent *agents,
    size_t n, int64_t *out, size_t max);

#endif
