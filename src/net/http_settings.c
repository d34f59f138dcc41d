/*
 * http_settings.c - GET and PATCH /api/v1/settings. See http_settings.h.
 *
 * The store keeps each setting as text under its key
 * (store_desk_setting_*); the rule that reads them (core/tone.h's
 * tone_urgency_*) owns their defaults and their checks, so the API, the
 * intelligence thread and a database with no row at all agree.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_settings.h"
#include "../core/tone.h"
#include "../core/util.h"
#include "../tame_limits.h"
#include "../store/store_desk.h"

static const char *const keys[] = {
	"urgency_priority", "urgency_high_at", "urgency_urgent_at"
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The settings now, defaults for what was never set. */
static enum tame_err
load(struct store *s, struct tone_urgency_conf *c)
{
	enum tame_err rc;
	char *v;
	size_t i;

	tone_urgency_defaults(c);
	for (i = 0; i < NKEYS; i++) {
		rc = store_desk_setting_get(s, keys[i], &v);
		if (rc == TAME_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		if (tone_urgency_set(c, keys[i], v) != TAME_OK)
			tame_log(TAME_LOG_WARN, "settings: %s: bad stored "
			    "value", keys[i]);
		free(v);
	}
	if (tone_urgency_check(c)) {
		c->high_at = TONE_URGENCY_HIGH_AT;
		c->urgent_at = TONE_URGENCY_URGENT_AT;
	}
	return TAME_OK;
}

static double
round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

static void
answer(struct http_ctx *c)
{
	struct tone_urgency_conf u;
	enum tame_err rc;

	if ((rc = load(c->store, &u))) {
		http_store_error(c, rc, "settings");
		return;
	}
	http_json(c, 200, json_pack("{s:{s:b,s:f,s:f}}", "settings",
	    "urgency_priority", u.on, "urgency_high_at", round3(u.high_at),
	    "urgency_urgent_at", round3(u.urgent_at)));
}

void
http_settings_get(struct http_ctx *c)
{
	answer(c);
}

/* The text to store for field key of value v, into buf; -1 after
 * answering 400. */
static int
field_text(struct http_ctx *c, const char *key, const json_t *v, char *buf,
    size_t n)
{
	double d;
	int w;

	if (strcmp(key, "urgency_priority") == 0) {
		if (!json_is_boolean(v)) {
			http_error(c, 400, "invalid_field", "field \"%s\" must "
			    "be true or false", key);
			return -1;
		}
		w = snprintf(buf, n, "%d", json_is_true(v) ? 1 : 0);
		return w < 0 || (size_t)w >= n ? -1 : 0;
	}
	d = json_is_number(v) ? json_number_value(v) : -1.0;
	/* three decimals are kept: 0.0004 would be kept as 0 */
	if (!(d > 0.0 && d <= 1.0) || round3(d) < 0.001) {
		http_error(c, 400, "invalid_field", "field \"%s\" must be a "
		    "number from 0.001 to 1 (three decimals are kept)", key);
		return -1;
	}
	w = snprintf(buf, n, "%.3f", d);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

void
http_settings_patch(struct http_ctx *c)
{
	char text[NKEYS][32];
	int set[NKEYS] = { 0 };
	struct tone_urgency_conf u;
	const char *key;
	json_t *body, *v;
	enum tame_err rc;
	size_t i;

	if (!http_require_admin(c))
		return;
	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (!json_is_object(body)) {
		http_error(c, 400, "invalid_json", "the body must be an object");
		goto out;
	}
	if ((rc = load(c->store, &u))) {
		http_store_error(c, rc, "settings");
		goto out;
	}
	json_object_foreach(body, key, v) {
		for (i = 0; i < NKEYS && strcmp(key, keys[i]); i++)
			;
		if (i == NKEYS) {
			http_error(c, 400, "unknown_field", "unknown field "
			    "\"%.64s\"", key);
			goto out;
		}
		if (field_text(c, key, v, text[i], sizeof(text[i])))
			goto out;
		if (tone_urgency_set(&u, key, text[i]) != TAME_OK) {
			http_error(c, 400, "invalid_field", "field \"%s\"",
			    key);
			goto out;
		}
		set[i] = 1;
	}
	if (tone_urgency_check(&u)) {
		http_error(c, 400, "invalid_field", "\"urgency_high_at\" must "
		    "not be above \"urgency_urgent_at\"");
		goto out;
	}
	if ((rc = store_begin(c->store)))
		goto fail;
	for (i = 0; i < NKEYS && !rc; i++)
		if (set[i])
			rc = store_desk_setting_set(c->store, keys[i], text[i],
			    tame_now_ms());
	if (!rc)
		rc = store_commit(c->store);
	if (rc) {
		store_rollback(c->store);
		goto fail;
	}
	answer(c);
	goto out;
fail:
	http_store_error(c, rc, "settings");
out:
	json_decref(body);
}
