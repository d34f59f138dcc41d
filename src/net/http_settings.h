/*
 * http_settings.h - desk-wide settings: GET /api/v1/settings (any agent)
 * and PATCH /api/v1/settings (admins). Today they are the urgency rule
 * of core/tone.h: whether a customer's urgent tone raises a ticket's
 * priority, and at which urgency.
 */
#ifndef TAME_HTTP_SETTINGS_H
#define TAME_HTTP_SETTINGS_H

#include "http_util.h"

/* {"settings":{"urgency_priority":false,"urgency_high_at":0.6,
 *  "urgency_urgent_at":0.85}} */
void http_settings_get(struct http_ctx *c);
/* Any of those fields; answers as GET. 400 for an unknown field, a
 * wrong type, a number outside 0..1 or high_at above urgent_at. */
void http_settings_patch(struct http_ctx *c);

#endif
