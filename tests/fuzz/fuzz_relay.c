/*
 * fuzz_relay.c - libFuzzer target for what an admin or agent types that
 * the mail-out side parses: a mailbox's relay URL (relay_conf.c) and
 * the light formatting of a reply turned into HTML (reply_html.c). The
 * HTML must hold no tag but the few it may write.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/relay_conf.h"
#include "mail/reply_html.h"

/* Aborts when the HTML has a tag reply_html.h does not allow. */
static void
check_tags(const char *h)
{
	static const char *const ok[] = { "<!DOCTYPE html>", "<html>",
	    "<body>", "</body>", "</html>", "<p>", "</p>", "<br>",
	    "<strong>", "</strong>", "<em>", "</em>", "<ul>", "</ul>",
	    "<li>", "</li>", "<a href=\"http", "</a>" };
	const char *p;
	size_t i;

	for (p = strchr(h, '<'); p; p = strchr(p + 1, '<')) {
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strncmp(p, ok[i], strlen(ok[i])) == 0)
				break;
		if (i == sizeof(ok) / sizeof(ok[0]))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_conf c;
	struct buf out;
	char err[256], *s;
	int fmt = 0;

	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&c, 0, sizeof(c));
	buf_init(&out, 8 * 1024 * 1024);
	if (relay_conf_parse_url(s, &c, err, sizeof(err)) == TAME_OK) {
		if (!c.host || c.port < 1 || c.port > 65535 ||
		    relay_conf_url(&c, &out) != TAME_OK)
			abort();
		buf_reset(&out);
	}
	relay_conf_clear(&c);
	if (reply_html(s, &out, &fmt) == TAME_OK && fmt)
		check_tags(buf_str(&out));
	buf_free(&out);
	free(s);
	return 0;
}
