/*
 * fuzz_json.c - libFuzzer target for the API's JSON body checks
 * (src/net/json_body.c) and the CSV export (src/net/http_csv.c).
 *
 * Each input is taken as a request body: parsed with the size and depth
 * limits, then validated as every body shape the ticket endpoints accept
 * (login, reply, note, ticket patch), and finally written as a one-row
 * CSV list, so that whatever a client sends goes through the same code
 * the server runs; a decimal must come out of the CSV as the number it
 * was. Crashes, leaks and undefined behaviour are the findings;
 * refusals are the expected outcome for most inputs.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     $(pkg-config --cflags jansson) tests/fuzz/fuzz_json.c \
 *     src/net/json_body.c src/net/http_csv.c src/core/[a-z]*.c \
 *     $(pkg-config --libs jansson libsodium) -o /tmp/fuzz_json
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/http_csv.h"
#include "net/json_body.h"
#include "core/buf.h"
#include "tame_limits.h"

static const char *const cols[] = {
	"id", "text", "status", "customer.email", "tags", "cc", "a.b.c",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decimal "id" is the first cell of the CSV's second row and must
 * read back as the same number (0 for -0). */
static void
check_real(const json_t *obj, const char *csv)
{
	const json_t *v = json_object_get(obj, "id");
	const char *row;
	char *end;
	double d;

	if (!json_is_real(v))
		return;
	if (!(row = strstr(csv, "\r\n")))
		__builtin_trap();
	d = strtod(row + 2, &end);
	if (d != json_real_value(v) || (*end != ',' && *end != '\r') ||
	    (d == 0 && row[2] == '-'))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_body_err err;
	struct json_login login;
	struct json_reply reply;
	struct json_ticket_patch patch;
	const char *text;
	json_t *obj = NULL, *list;
	struct buf out;
	size_t i;

	memset(&err, 0, sizeof(err));
	(void)json_body_too_deep((const char *)data, size, 4);
	if (json_body_parse((const char *)data, size, TAME_HTTP_BODY_MAX,
	    &obj, &err)) {
		/* Refusals must say why, in a bounded string. */
		if (err.status != 400 && err.status != 413)
			__builtin_trap();
		if (strnlen(err.message, sizeof(err.message)) ==
		    sizeof(err.message))
			__builtin_trap();
		return 0;
	}
	if (json_body_login(obj, &login, &err) == TAME_OK &&
	    (!login.email || !login.password))
		__builtin_trap();
	if (json_body_reply(obj, &reply, &err) == TAME_OK) {
		if (!reply.text || reply.ncc > TAME_SMTP_RCPT_MAX)
			__builtin_trap();
		for (i = 0; i < reply.ncc; i++)
			if (!reply.cc[i])
				__builtin_trap();
	}
	(void)json_body_note(obj, &text, &err);
	if (json_body_ticket_patch(obj, &patch, &err) == TAME_OK) {
		if (patch.patch.ntags > TAME_TAGS_MAX)
			__builtin_trap();
		if (patch.patch.has_status &&
		    (unsigned)patch.patch.status >= TICKET_STATUS_COUNT)
			__builtin_trap();
		if (patch.patch.has_assignee && patch.patch.assignee_id < 0)
			__builtin_trap();
	}
	list = json_array();
	if (list && json_array_append(list, obj) == 0) {
		buf_init(&out, 1024 * 1024);
		if (http_csv_write(list, cols, sizeof(cols) / sizeof(cols[0]),
		    &out) == TAME_OK)
			check_real(obj, buf_str(&out));
		buf_free(&out);
	}
	json_decref(list);
	json_decref(obj);
	return 0;
}
