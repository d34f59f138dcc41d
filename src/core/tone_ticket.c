/*
 * tone_ticket.c - the earlier heated tone a ticket keeps beside its
 * latest customer message's. See tone.h.
 */
#include <jansson.h>
#include "tone.h"

/* How heated a message's tone is (0..1): its anger or frustration, 1
 * when abusive; *cheer its cheer. A tone that cannot be read is calm. */
static double
heat(const char *tone, double *cheer)
{
	json_t *t;
	double h = 0, v;

	*cheer = 0;
	if (!tone || !(t = json_loads(tone, 0, NULL)))
		return 0;
	if (json_is_true(json_object_get(t, "abusive")))
		h = 1;
	if ((v = json_number_value(json_object_get(t, "anger"))) > h)
		h = v;
	if ((v = json_number_value(json_object_get(t, "frustration"))) > h)
		h = v;
	*cheer = json_number_value(json_object_get(t, "cheer"));
	json_decref(t);
	return h;
}

size_t
tone_ticket_pick(const char *const *tones, const long long *at, size_t n)
{
	double cheer, best, h;
	size_t i, pick = 0;

	if (n <= 1)		/* a first mail: nothing to read */
		return 0;
	best = heat(tones[0], &cheer);
	if (best >= TONE_SHOWN || cheer >= TONE_SHOWN)
		return 0;
	for (i = 1; i < n && i < TONE_TICKET_MSGS; i++) {
		if (at[0] - at[i] > TONE_CARRY_MS)
			break;
		h = heat(tones[i], &cheer);
		/* a heated mail before a cheerful one was answered well */
		if (h < TONE_SHOWN && cheer >= TONE_SHOWN)
			break;
		if (h >= TONE_SHOWN && h > best) {
			best = h;
			pick = i;
		}
	}
	return pick;
}
