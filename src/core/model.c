/*
 * model.c - names and parsers of the shared enums; struct cleanup.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "model.h"
#include "util.h"

static const char *status_names[TICKET_STATUS_COUNT] = {
	"new", "open", "pending", "solved", "closed"
};
static const char *priority_names[PRIORITY_COUNT] = {
	"low", "normal", "high", "urgent"
};

static enum tame_err
name_lookup(const char *const *names, int n, const char *s, int *out)
{
	int i;

	if (!s)
		return TAME_EINVAL;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return TAME_OK;
		}
	}
	return TAME_EINVAL;
}

const char *
ticket_status_name(enum ticket_status st)
{
	return (unsigned)st < TICKET_STATUS_COUNT ? status_names[st] : "new";
}

enum tame_err
ticket_status_parse(const char *s, enum ticket_status *out)
{
	int v;
	enum tame_err rc = name_lookup(status_names, TICKET_STATUS_COUNT, s, &v);

	if (rc == TAME_OK)
		*out = (enum ticket_status)v;
	return rc;
}

const char *
ticket_priority_name(enum ticket_priority p)
{
	return (unsigned)p < PRIORITY_COUNT ? priority_names[p] : "normal";
}

enum tame_err
ticket_priority_parse(const char *s, enum ticket_priority *out)
{
	int v;
	enum tame_err rc = name_lookup(priority_names, PRIORITY_COUNT, s, &v);

	if (rc == TAME_OK)
		*out = (enum ticket_priority)v;
	return rc;
}

const char *
agent_role_name(enum agent_role r)
{
	return r == ROLE_ADMIN ? "admin" : "agent";
}

enum tame_err
agent_role_parse(const char *s, enum agent_role *out)
{
	if (s && strcmp(s, "admin") == 0)
		*out = ROLE_ADMIN;
	else if (s && strcmp(s, "agent") == 0)
		*out = ROLE_AGENT;
	else
		return TAME_EINVAL;
	return TAME_OK;
}

const char *
msg_direction_name(enum msg_direction d)
{
	return d == MSG_OUT ? "out" : d == MSG_NOTE ? "note" : "in";
}

const char *
delivery_state_name(enum delivery_state d)
{
	switch (d) {
	case DELIVERY_QUEUED: return "queued";
	case DELIVERY_SENT: return "sent";
	case DELIVERY_FAILED: return "failed";
	default: return NULL;
	}
}

void
agent_clear(struct agent *a)
{
	free(a->email);
	free(a->name);
	free(a->pw_hash);
	memset(a, 0, sizeof(*a));
}

/* 1 for a character kept in a name that shows nothing by itself: the
 * joiners ZWNJ and ZWJ and the variation selectors. */
static int
name_modifier(utf8proc_int32_t cp)
{
	return cp == 0x200c || cp == 0x200d || (cp >= 0xfe00 &&
	    cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/* See model.h. */
char *
agent_name_clean(const char *s)
{
	const utf8proc_uint8_t *p;
	const utf8proc_property_t *prop;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	char *t, *r = NULL;
	size_t k = 0;
	int space = 0, seen = 0;

	if (!s || !tame_utf8_valid(s) || !(t = strdup(s)))
		return NULL;
	tame_bidi_strip(t);
	/* in place: what is written never gets ahead of what is read */
	for (p = (const utf8proc_uint8_t *)t; *p; p += n) {
		if ((n = utf8proc_iterate(p, -1, &cp)) <= 0)
			goto out;
		prop = utf8proc_get_property(cp);
		if (prop->category == UTF8PROC_CATEGORY_ZS ||
		    prop->category == UTF8PROC_CATEGORY_ZL ||
		    prop->category == UTF8PROC_CATEGORY_ZP ||
		    prop->category == UTF8PROC_CATEGORY_CC) {
			space = 1;
			continue;
		}
		if (!name_modifier(cp) && (prop->ignorable ||
		    prop->category == UTF8PROC_CATEGORY_CF))
			continue;
		if (space && k)
			t[k++] = ' ';
		space = 0;
		seen |= !name_modifier(cp);
		memmove(t + k, p, (size_t)n);
		k += (size_t)n;
	}
	t[seen ? k : 0] = '\0';
	r = tame_tag_norm(t);
out:
	free(t);
	return r;
}

/* See model.h. */
int
agent_name_same(const char *a, const char *b)
{
	char *fa = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)a);
	char *fb = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)b);
	int same = fa && fb && strcmp(fa, fb) == 0;

	free(fa);
	free(fb);
	return same;
}

/* See model.h. */
const char *
agent_email_problem(const char *email)
{
	const char *d = strrchr(email, '@');
	size_t n;

	if (!d || !*++d)
		return "it has no domain";
	n = strlen(d);
	if (d[n - 1] == '.')
		return "its domain ends in a dot";
	if (d[0] == '.' || strstr(d, ".."))
		return "its domain has an empty part (a dot too many)";
	return NULL;
}

void
mailbox_clear(struct mailbox *m)
{
	free(m->address);
	free(m->name);
	free(m->ack_template);
	memset(m, 0, sizeof(*m));
}
