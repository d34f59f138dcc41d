/*
 * fuzz_mime.c - libFuzzer target for mime_parse (and through it GMime,
 * the DSN and header scanners, html_sanitize and html_to_text) and
 * mime_fingerprint: any bytes must parse without a crash, a leak or
 * undefined behaviour, and every string that comes back must be
 * NUL-terminated UTF-8. The fingerprint of the same bytes is the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "mail/mime.h"

static void
check_utf8(const char *s)
{
	if (s && !g_utf8_validate(s, -1, NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char fa[MIME_FINGERPRINT_LEN], fb[MIME_FINGERPRINT_LEN];
	struct mime_parsed p;
	size_t i;

	mime_init();
	memset(&p, 0, sizeof(p));
	if (mime_parse((const char *)data, size, &p) != TAME_OK)
		abort();
	if (!p.subject || !p.text)
		abort();
	check_utf8(p.subject);
	check_utf8(p.text);
	check_utf8(p.html);
	check_utf8(p.from_name);
	check_utf8(p.from_email);
	check_utf8(p.message_id);
	check_utf8(p.dsn_diagnostic);
	for (i = 0; i < p.natt; i++) {
		check_utf8(p.att[i].filename);
		if (!p.att[i].filename || !p.att[i].content_type ||
		    (!p.att[i].data && p.att[i].len))
			abort();
	}
	if (p.nreferences > 64 || p.natt > 100)
		abort();
	mime_parsed_free(&p);
	if (mime_fingerprint((const char *)data, size, fa) == TAME_OK &&
	    mime_fingerprint((const char *)data, size, fb) == TAME_OK &&
	    memcmp(fa, fb, sizeof(fa)))
		abort();
	return 0;
}
