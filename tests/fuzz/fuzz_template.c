/*
 * fuzz_template.c - libFuzzer target for what agents type that the desk
 * parses: the placeholders of saved replies (template.c) and the
 * @mentions of notes (mention.c), fed with arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/mention.h"
#include "core/template.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mention_agent team[] = {
		{ 1, "ada@example.com", "Ada Admin" },
		{ 2, "bob@example.com", "Bob" },
		{ 3, NULL, "Ann One" },
		{ 4, "ann@example.com", "Ann Two" },
	};
	struct template_ticket t = {
		42, "{{ticket.subject}}", "Doe, Jane", "jane@example.org",
		"Ada Admin", "ada@example.com",
	};
	int64_t ids[4];
	struct buf out;
	char *s;
	size_t n, i;

	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	buf_init(&out, 1024 * 1024);
	(void)template_render(s, &t, &out);
	buf_free(&out);
	n = mention_find(s, team, sizeof(team) / sizeof(team[0]), ids, 4);
	if (n > 4)
		abort();
	for (i = 0; i < n; i++)
		if (ids[i] < 1 || ids[i] > 4)
			abort();
	free(s);
	return 0;
}
