/*
 * fuzz_search.c - libFuzzer target for what an agent types into the
 * search: the words of the ticket list's ?q= turned into an FTS5 query
 * with their other forms (store_sqlite_list.c), run on a small store
 * whose messages hold words of many scripts, one of them queued and not
 * yet indexed. Any text the API lets through (UTF-8, at most
 * TAME_QUERY_MAX bytes) must give a page, never an FTS5 syntax error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <utf8proc.h>
#include "store/store.h"
#include "tame_limits.h"

static struct store *st;

static void
add(int64_t mbox, int64_t cust, const char *subject, const char *text)
{
	struct message_new m;
	int64_t tid, mid;

	if (store_ticket_create(st, mbox, cust, subject, TICKET_NEW, 0, 1000,
	    &tid))
		abort();
	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_IN;
	m.from_email = "carol.smith@example-corp.net";
	m.from_name = "Carol Smith";
	m.to_json = "[\"help@example.com\"]";
	m.subject = subject;
	m.text = text;
	m.created_at = 1000;
	if (store_message_add(st, &m, &mid))
		abort();
}

static void
open_store(void)
{
	static const char *const file[] = { "tame.db", "tame.db-wal",
	    "tame.db-shm", "store.lock" };
	char dir[] = "/tmp/fuzz_search.XXXXXX", path[64];
	int64_t mbox, cust;
	size_t i;

	if (!mkdtemp(dir) || store_open(dir, 1, &st) ||
	    store_mailbox_create(st, "help@example.com", "Help", 1000, &mbox) ||
	    store_customer_upsert(st, "carol.smith@example-corp.net", "Carol",
	    1000, &cust))
		abort();
	add(mbox, cust, "Refund", "I was refunded twice, refunds refunding.");
	add(mbox, cust, "\xe8\xae\xa2\xe5\x8d\x95", "\xe6\x88\x91\xe7\x9a\x84"
	    "\xe8\xae\xa2\xe5\x8d\x95ORD-2024-77001 Stra\xc3\x9f" "e");
	if (store_index_defer(st, 1))
		abort();
	add(mbox, cust, "Queued", "charges charged charger \"quoted\"");
	/* unlinked now, the files go when the process ends (SQLite keeps
	 * its descriptors) */
	for (i = 0; i < sizeof(file) / sizeof(file[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, file[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Whether the API lets data through as ?q=: at most TAME_QUERY_MAX
 * bytes of UTF-8 without NUL. */
static int
api_text(const uint8_t *data, size_t size)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	size_t i;

	if (size > TAME_QUERY_MAX)
		return 0;
	for (i = 0; i < size; i += (size_t)n) {
		n = utf8proc_iterate(data + i, (utf8proc_ssize_t)(size - i), &c);
		if (n <= 0 || c == 0)
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ticket_query q;
	enum tame_err rc;
	json_t *out = NULL;
	char *s;

	if (!st)
		open_store();
	if (!api_text(data, size) || !(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&q, 0, sizeof(q));
	q.q = s;
	q.limit = 50;
	rc = store_tickets_view(st, &q, &out);
	if (rc != TAME_OK) {	/* a query the words made that FTS5 refused */
		fprintf(stderr, "%s: %s\n", s, store_errmsg(st));
		abort();
	}
	json_decref(out);
	q.tag = "vip";	/* the plan with filters */
	q.assignee_id = -1;
	rc = store_tickets_view(st, &q, &out);
	if (rc != TAME_OK) {
		fprintf(stderr, "%s: %s\n", s, store_errmsg(st));
		abort();
	}
	json_decref(out);
	free(s);
	return 0;
}
