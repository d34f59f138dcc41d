/*
 * tone_urgency.c - the rule by which a customer's urgency may raise a
 * ticket's priority: what tone.h promises under "urgency may raise a
 * ticket's priority".
 *
 * Model: a desk-wide setting, off by default, because a team that sorts
 * by priority must opt in to letting customers' words move it. When on,
 * an urgency score at or above one threshold asks for high priority,
 * above a second one for urgent. The rule only asks; the store decides
 * whether the ticket moves (never down, never over an agent's own
 * choice made after the message), and the history says why, with the
 * words that showed the hurry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "tone.h"

void
tone_urgency_defaults(struct tone_urgency_conf *c)
{
	c->on = 0;
	c->high_at = TONE_URGENCY_HIGH_AT;
	c->urgent_at = TONE_URGENCY_URGENT_AT;
}

/* A number from 0 to 1, the whole text. */
static int
parse_unit(const char *v, double *out)
{
	char *end;
	double d;

	if (!v || !*v)
		return -1;
	errno = 0;
	d = strtod(v, &end);
	if (errno || *end || !(d >= 0.0 && d <= 1.0))
		return -1;
	*out = d;
	return 0;
}

enum tame_err
tone_urgency_set(struct tone_urgency_conf *c, const char *key,
    const char *value)
{
	if (!c || !key || !value)
		return TAME_EINVAL;
	if (strcmp(key, "urgency_priority") == 0) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return TAME_EINVAL;
		c->on = value[0] == '1';
		return TAME_OK;
	}
	if (strcmp(key, "urgency_high_at") == 0)
		return parse_unit(value, &c->high_at) ? TAME_EINVAL : TAME_OK;
	if (strcmp(key, "urgency_urgent_at") == 0)
		return parse_unit(value, &c->urgent_at) ? TAME_EINVAL : TAME_OK;
	return TAME_ENOTFOUND;
}

int
tone_urgency_check(const struct tone_urgency_conf *c)
{
	return c && c->high_at > 0.0 && c->high_at <= c->urgent_at &&
	    c->urgent_at <= 1.0 ? 0 : -1;
}

int
tone_urgency_priority(const struct tone_urgency_conf *c, double urgency)
{
	if (!c || !c->on || tone_urgency_check(c))
		return -1;
	if (urgency >= c->urgent_at)
		return PRIORITY_URGENT;
	if (urgency >= c->high_at)
		return PRIORITY_HIGH;
	return -1;
}

void
tone_urgency_reason(const struct tone *t, char *out, size_t n)
{
	size_t i, len, k = 0;
	int w;

	if (!out || n == 0)
		return;
	w = snprintf(out, n, "urgent tone");
	if (w < 0 || (size_t)w >= n || !t) {
		out[n - 1] = '\0';
		return;
	}
	len = (size_t)w;
	for (i = 0; i < t->n_evidence && i < TONE_MAX_EVIDENCE; i++) {
		if (t->evidence[i].dim != TONE_URGENCY)
			continue;
		w = snprintf(out + len, n - len, "%s%s", k ? ", " : ": ",
		    t->evidence[i].text);
		if (w < 0 || (size_t)w >= n - len) {
			out[len] = '\0';   /* what fits, whole items only */
			return;
		}
		len += (size_t)w;
		k++;
	}
}
