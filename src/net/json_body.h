/*
 * json_body.h - reading and validating the JSON bodies of API requests.
 *
 * Model: a body is untrusted bytes. json_body_parse() bounds its size,
 * its nesting depth (counted on the raw bytes, before any recursion) and
 * parses it with duplicate keys refused; the body must be an object.
 * json_body_check() then compares the object with a table of expected
 * fields: unknown keys, wrong types, over-long strings and missing
 * required fields are refused with an error that names the field. The
 * shape functions (reply, note, ticket patch, login) build on both and
 * fill plain structs whose strings are borrowed from the json_t.
 *
 * No HTTP library is used here, so the libFuzzer target
 * (tests/fuzz/fuzz_json.c) and unit tests link it alone.
 */
#ifndef TAME_JSON_BODY_H
#define TAME_JSON_BODY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"
#include "../core/model.h"
#include "../store/store.h"
#include "../tame_limits.h"

/* The answer to give when a body is refused. */
struct json_body_err {
	int status;         /* HTTP status: 400 or 413 */
	char code[32];      /* "invalid_json", "invalid_field", ... */
	char message[256];  /* human-readable, names the field */
};

enum json_field_type {
	JF_TEXT,         /* any string (newlines allowed) */
	JF_LINE,         /* a string without control characters */
	JF_BOOL,
	JF_ID_OR_NULL,   /* integer >= 1, or null */
	JF_LINE_ARRAY    /* array of JF_LINE strings */
};

struct json_field {
	const char *name;
	enum json_field_type type;
	int required;    /* 1: must be present */
	size_t max;      /* strings: bytes; arrays: items (0 = no limit) */
};

/* Sets err to status/code and a printf-style message. Returns
 * TAME_EINVAL so callers can `return json_body_fail(...)`. */
enum tame_err json_body_fail(struct json_body_err *err, int status,
    const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* 1 if the JSON text data[0..len) nests arrays/objects deeper than
 * max_depth; strings are skipped. Works on any bytes, valid JSON or not. */
int json_body_too_deep(const char *data, size_t len, int max_depth);

/* 1 if s (len bytes) has a control character (C0, DEL): not for a
 * one-line field such as a name. UTF-8 is checked by jansson. */
int json_body_has_ctl(const char *s, size_t len);

/* Parses data[0..len) as a JSON object of at most max bytes and
 * TAME_JSON_DEPTH_MAX levels. *out is the caller's (json_decref). On
 * failure fills err (413 too_large, 400 invalid_json) and returns
 * TAME_ETOOBIG or TAME_EPARSE. */
enum tame_err json_body_parse(const char *data, size_t len, size_t max,
    json_t **out, struct json_body_err *err);

/* Checks obj against fields[0..n): unknown keys (unknown_field), types
 * and lengths (invalid_field), missing required keys (missing_field).
 * TAME_OK or TAME_EINVAL with err filled. */
enum tame_err json_body_check(const json_t *obj,
    const struct json_field *fields, size_t n, struct json_body_err *err);

/* The string value of key, or NULL when absent or not a string. The
 * string is owned by obj. */
const char *json_body_str(const json_t *obj, const char *key);

/* POST /api/v1/session {email, password}. Strings borrowed from obj. */
struct json_login {
	const char *email;
	const char *password;
};
enum tame_err json_body_login(const json_t *obj, struct json_login *out,
    struct json_body_err *err);

/* 1 if s is NULL or shows nothing: only white space (any Unicode
 * space or line end) and invisible format characters (U+200B, U+FEFF,
 * bidi controls). Invalid UTF-8 is not blank. */
int json_body_blank(const char *s);

/* POST /tickets/ID/replies {text, cc?, status?}. The cc pointers and text
 * are borrowed from obj. */
struct json_reply {
	const char *text;
	const char *cc[TAME_SMTP_RCPT_MAX];
	size_t ncc;
	int has_status;
	enum ticket_status status;
	int64_t since_message_id;  /* 0: not given (collision check) */
	int force;                 /* send even if the customer wrote since */
};
enum tame_err json_body_reply(const json_t *obj, struct json_reply *out,
    struct json_body_err *err);

/* POST /tickets/ID/notes {text}. */
enum tame_err json_body_note(const json_t *obj, const char **text,
    struct json_body_err *err);

/* PATCH /tickets/ID {status?, priority?, assignee_id?, tags?}. patch.tags
 * points into tags[], whose strings are borrowed from obj (duplicates
 * removed). */
struct json_ticket_patch {
	struct ticket_patch patch;
	const char *tags[TAME_TAGS_MAX];
};
/* Makes the JSON string str the tag it names (tame_tag_norm: trimmed,
 * NFC), in place. -1 when that is empty, "." or ".." (no path can
 * name those), or out of memory. */
int json_body_tag_norm(json_t *str);
enum tame_err json_body_ticket_patch(const json_t *obj,
    struct json_ticket_patch *out, struct json_body_err *err);

#endif
