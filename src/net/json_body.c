/*
 * json_body.c - bounded parsing and shape checks of API request bodies.
 * See json_body.h.
 *
 * JSON is RFC 8259. The depth is counted on the raw bytes first because
 * a parser that recurses per level must never meet a body that nests a
 * million arrays; jansson then parses with duplicate keys refused (a
 * duplicate is either a mistake or an attempt to have two layers read
 * two different values) and NUL inside strings refused (its default).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "json_body.h"
#include "../core/util.h"

enum tame_err
json_body_fail(struct json_body_err *err, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	snprintf(err->code, sizeof(err->code), "%s", code);
	va_start(ap, fmt);
	if (vsnprintf(err->message, sizeof(err->message), fmt, ap) < 0)
		err->message[0] = '\0';
	va_end(ap);
	return TAME_EINVAL;
}

int
json_body_too_deep(const char *data, size_t len, int max_depth)
{
	size_t i;
	int depth = 0, in_str = 0, esc = 0;

	for (i = 0; i < len; i++) {
		char c = data[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				return 1;
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

enum tame_err
json_body_parse(const char *data, size_t len, size_t max, json_t **out,
    struct json_body_err *err)
{
	json_error_t jerr;
	json_t *j = NULL;
	enum tame_err rc = TAME_OK;

	*out = NULL;
	if (len > max) {
		json_body_fail(err, 413, "too_large",
		    "request body is larger than %zu bytes", max);
		rc = TAME_ETOOBIG;
		goto out;
	}
	if (!data || len == 0) {
		json_body_fail(err, 400, "invalid_json", "request body is empty");
		rc = TAME_EPARSE;
		goto out;
	}
	if (json_body_too_deep(data, len, TAME_JSON_DEPTH_MAX)) {
		json_body_fail(err, 400, "invalid_json",
		    "JSON nests deeper than %d levels", TAME_JSON_DEPTH_MAX);
		rc = TAME_EPARSE;
		goto out;
	}
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		/* jansson names its own flag for this one */
		json_body_fail(err, 400, "invalid_json",
		    "invalid JSON at line %d column %d: %s", jerr.line,
		    jerr.column, strstr(jerr.text, "JSON_ALLOW_NUL") ?
		    "\\u0000 is not allowed in a string" : jerr.text);
		rc = TAME_EPARSE;
		goto out;
	}
	if (!json_is_object(j)) {
		json_body_fail(err, 400, "invalid_json",
		    "request body must be a JSON object");
		rc = TAME_EPARSE;
		goto out;
	}
	*out = j;
	j = NULL;
out:
	json_decref(j);
	return rc;
}

/* See json_body.h. */
int
json_body_has_ctl(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

static enum tame_err
check_string(const json_t *v, const char *name, int line, size_t max,
    struct json_body_err *err)
{
	size_t len;

	if (!json_is_string(v))
		return json_body_fail(err, 400, "invalid_field",
		    "field \"%s\" must be a string", name);
	len = json_string_length(v);
	if (max && len > max)
		return json_body_fail(err, 400, "invalid_field",
		    "field \"%s\" is longer than %zu bytes", name, max);
	if (line && json_body_has_ctl(json_string_value(v), len))
		return json_body_fail(err, 400, "invalid_field",
		    "field \"%s\" must not contain control characters", name);
	return TAME_OK;
}

static enum tame_err
check_field(const json_t *v, const struct json_field *f,
    struct json_body_err *err)
{
	size_t i;
	json_t *item;

	switch (f->type) {
	case JF_TEXT:
		return check_string(v, f->name, 0, f->max, err);
	case JF_LINE:
		return check_string(v, f->name, 1, f->max, err);
	case JF_BOOL:
		if (!json_is_boolean(v))
			return json_body_fail(err, 400, "invalid_field",
			    "field \"%s\" must be true or false", f->name);
		return TAME_OK;
	case JF_ID_OR_NULL:
		if (json_is_null(v))
			return TAME_OK;
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return json_body_fail(err, 400, "invalid_field",
			    "field \"%s\" must be a positive integer or null",
			    f->name);
		return TAME_OK;
	case JF_LINE_ARRAY:
		if (!json_is_array(v))
			return json_body_fail(err, 400, "invalid_field",
			    "field \"%s\" must be an array of strings", f->name);
		if (f->max && json_array_size(v) > f->max)
			return json_body_fail(err, 400, "invalid_field",
			    "field \"%s\" has more than %zu items", f->name,
			    f->max);
		json_array_foreach(v, i, item) {
			if (!json_is_string(item))
				return json_body_fail(err, 400, "invalid_field",
				    "field \"%s\" must be an array of strings",
				    f->name);
			if (check_string(item, f->name, 1, TAME_FIELD_MAX, err))
				return TAME_EINVAL;
		}
		return TAME_OK;
	}
	return json_body_fail(err, 400, "invalid_field", "field \"%s\"",
	    f->name);
}

enum tame_err
json_body_check(const json_t *obj, const struct json_field *fields, size_t n,
    struct json_body_err *err)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return json_body_fail(err, 400, "invalid_json",
		    "request body must be a JSON object");
	/* Unknown keys first: a misspelt field must not pass silently. */
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(fields[i].name, key) == 0)
				break;
		if (i == n)
			return json_body_fail(err, 400, "unknown_field",
			    "unknown field \"%.64s\"", key);
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, fields[i].name);
		if (!v) {
			if (fields[i].required)
				return json_body_fail(err, 400,
				    "missing_field", "field \"%s\" is required",
				    fields[i].name);
			continue;
		}
		if (check_field(v, &fields[i], err))
			return TAME_EINVAL;
	}
	return TAME_OK;
}

const char *
json_body_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

enum tame_err
json_body_login(const json_t *obj, struct json_login *out,
    struct json_body_err *err)
{
	static const struct json_field fields[] = {
		{ "email", JF_LINE, 1, TAME_FIELD_MAX },
		{ "password", JF_TEXT, 1, 1024 },
	};

	memset(out, 0, sizeof(*out));
	if (json_body_check(obj, fields, 2, err))
		return TAME_EINVAL;
	out->email = json_body_str(obj, "email");
	out->password = json_body_str(obj, "password");
	return TAME_OK;
}

int
json_body_blank(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	while (p && *p) {
		if ((n = utf8proc_iterate(p, -1, &cp)) <= 0)
			return 0;
		switch (utf8proc_category(cp)) {
		case UTF8PROC_CATEGORY_ZS:  /* spaces: U+00A0, U+3000... */
		case UTF8PROC_CATEGORY_ZL:
		case UTF8PROC_CATEGORY_ZP:
		case UTF8PROC_CATEGORY_CC:  /* tabs, line ends */
		case UTF8PROC_CATEGORY_CF:  /* invisible: U+200B, U+FEFF... */
			break;
		default:
			return 0;
		}
		p += n;
	}
	return 1;
}

enum tame_err
json_body_reply(const json_t *obj, struct json_reply *out,
    struct json_body_err *err)
{
	static const struct json_field fields[] = {
		{ "text", JF_TEXT, 1, TAME_REPLY_TEXT_MAX },
		{ "cc", JF_LINE_ARRAY, 0, TAME_SMTP_RCPT_MAX },
		{ "status", JF_LINE, 0, 32 },
		{ "since_message_id", JF_ID_OR_NULL, 0, 0 },
		{ "force", JF_BOOL, 0, 0 },
	};
	json_t *cc, *item;
	const char *st;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (json_body_check(obj, fields, sizeof(fields) / sizeof(fields[0]),
	    err))
		return TAME_EINVAL;
	out->since_message_id = json_integer_value(json_object_get(obj,
	    "since_message_id"));
	out->force = json_is_true(json_object_get(obj, "force"));
	out->text = json_body_str(obj, "text");
	if (json_body_blank(out->text))
		return json_body_fail(err, 400, "invalid_field",
		    "field \"text\" must not be empty");
	if ((cc = json_object_get(obj, "cc"))) {
		json_array_foreach(cc, i, item) {
			if (json_string_length(item) == 0)
				return json_body_fail(err, 400,
				    "invalid_field",
				    "field \"cc\" has an empty address");
			out->cc[out->ncc++] = json_string_value(item);
		}
	}
	if ((st = json_body_str(obj, "status"))) {
		if (ticket_status_parse(st, &out->status))
			return json_body_fail(err, 400, "invalid_field",
			    "field \"status\" must be one of new, open, "
			    "pending, solved, closed");
		out->has_status = 1;
	}
	return TAME_OK;
}

enum tame_err
json_body_note(const json_t *obj, const char **text,
    struct json_body_err *err)
{
	static const struct json_field fields[] = {
		{ "text", JF_TEXT, 1, TAME_REPLY_TEXT_MAX },
	};

	*text = NULL;
	if (json_body_check(obj, fields, 1, err))
		return TAME_EINVAL;
	*text = json_body_str(obj, "text");
	if (json_body_blank(*text))
		return json_body_fail(err, 400, "invalid_field",
		    "field \"text\" must not be empty");
	return TAME_OK;
}

/* See json_body.h. */
int
json_body_tag_norm(json_t *str)
{
	char *t = tame_tag_norm(json_string_value(str));
	/* "." and ".." cannot travel in a path (/tags/NAME): a browser
	 * takes them, escaped or not, for steps of the path */
	int rc = !t || !*t || strcmp(t, ".") == 0 || strcmp(t, "..") == 0 ||
	    json_string_set(str, t) ? -1 : 0;

	free(t);
	return rc;
}

enum tame_err
json_body_ticket_patch(const json_t *obj, struct json_ticket_patch *out,
    struct json_body_err *err)
{
	static const struct json_field fields[] = {
		{ "status", JF_LINE, 0, 32 },
		{ "priority", JF_LINE, 0, 32 },
		{ "assignee_id", JF_ID_OR_NULL, 0, 0 },
		{ "tags", JF_LINE_ARRAY, 0, TAME_TAGS_MAX },
	};
	struct ticket_patch *p = &out->patch;
	json_t *v, *item;
	const char *s;
	size_t i, k;

	memset(out, 0, sizeof(*out));
	if (json_body_check(obj, fields, 4, err))
		return TAME_EINVAL;
	if ((s = json_body_str(obj, "status"))) {
		if (ticket_status_parse(s, &p->status))
			return json_body_fail(err, 400, "invalid_field",
			    "field \"status\" must be one of new, open, "
			    "pending, solved, closed");
		p->has_status = 1;
	}
	if ((s = json_body_str(obj, "priority"))) {
		if (ticket_priority_parse(s, &p->priority))
			return json_body_fail(err, 400, "invalid_field",
			    "field \"priority\" must be one of low, normal, "
			    "high, urgent");
		p->has_priority = 1;
	}
	if ((v = json_object_get(obj, "assignee_id"))) {
		p->has_assignee = 1;
		p->assignee_id = json_is_null(v) ? 0 : json_integer_value(v);
	}
	if ((v = json_object_get(obj, "tags"))) {
		json_array_foreach(v, i, item) {
			if (json_body_tag_norm(item))
				return json_body_fail(err, 400,
				    "invalid_field",
				    "field \"tags\" has an empty tag (or \".\" "
				    "or \"..\")");
			s = json_string_value(item);
			for (k = 0; k < p->ntags; k++)
				if (strcmp(out->tags[k], s) == 0)
					break;
			if (k == p->ntags)
				out->tags[p->ntags++] = s;
		}
		p->has_tags = 1;
		p->tags = out->tags;
	}
	return TAME_OK;
}
