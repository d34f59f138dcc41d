/*
 * fuzz_reply_att.c - libFuzzer target for a reply's attachments
 * (src/net/reply_att.c): the "attachments" array of
 * POST /api/v1/tickets/ID/replies, its base64 and its file names.
 *
 * Each input is taken as a request body, parsed with the reply route's
 * limits, and its attachments taken; whatever is accepted must respect
 * the limits and the promises of reply_att.h (names short, free of
 * path separators and control characters; a bare lower-case type; the
 * key gone from the body). The input's bytes are also given to the file
 * name tidier directly. Crashes, leaks and undefined behaviour are the
 * findings.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "net/json_body.h"
#include "net/reply_att.h"
#include "tame_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *n)
{
	size_t len = strlen(n), i;

	if (len == 0 || len > TAME_REPLY_ATT_NAME_MAX || n[0] == ' ' ||
	    n[len - 1] == ' ')
		__builtin_trap();
	for (i = 0; i < len; i++)
		if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f ||
		    n[i] == '/' || n[i] == '\\')
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_body_err err;
	struct reply_att att;
	char name[TAME_REPLY_ATT_NAME_MAX + 1];
	json_t *obj = NULL;
	size_t i, total = 0;

	memset(&err, 0, sizeof(err));
	memset(&att, 0, sizeof(att));
	if (size < 4096 && reply_att_filename((const char *)data, size, name,
	    sizeof(name)) != strlen(name))
		__builtin_trap();
	if (json_body_parse((const char *)data, size, TAME_REPLY_BODY_MAX,
	    &obj, &err))
		return 0;
	if (reply_att_take(obj, &att, &err) == TAME_OK) {
		if (att.n > TAME_REPLY_ATT_MAX || json_object_get(obj,
		    "attachments"))
			__builtin_trap();
		for (i = 0; i < att.n; i++) {
			check_name(att.att[i].filename);
			if (!att.att[i].content_type ||
			    !strchr(att.att[i].content_type, '/'))
				__builtin_trap();
			total += att.att[i].len;
		}
		if (total != att.bytes || total > TAME_REPLY_ATT_BYTES_MAX)
			__builtin_trap();
	} else if ((err.status != 400 && err.status != 413) ||
	    strnlen(err.message, sizeof(err.message)) == sizeof(err.message)) {
		__builtin_trap();
	}
	reply_att_free(&att);
	json_decref(obj);
	return 0;
}
