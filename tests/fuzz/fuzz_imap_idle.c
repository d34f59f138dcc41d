/*
 * fuzz_imap_idle.c - libFuzzer target for the line reader of the IMAP
 * IDLE connection (src/net/imap_idle.c), which reads a server's bytes.
 *
 * The input is fed to imap_idle_feed() twice, in one piece and in
 * pieces whose sizes come from the input, and both runs must report
 * the same events: the reader must not depend on how reads split the
 * stream. Every event must be one the reader knows, an EXISTS number
 * fits in 10 digits, and a run ends early only when it says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/imap_idle.h"

#define MAX_EVENTS 4096

struct log {
	unsigned char ev[MAX_EVENTS];
	int64_t num[MAX_EVENTS];
	size_t n;
};

static int
record(void *arg, enum imap_idle_ev ev, int64_t num)
{
	struct log *l = arg;

	if ((int)ev < IMAP_IDLE_EV_NONE || ev > IMAP_IDLE_EV_GARBAGE)
		abort();
	if (num < 0 || num > 9999999999LL)
		abort();
	if (ev != IMAP_IDLE_EV_EXISTS && num != 0)
		abort();
	if (l->n < MAX_EVENTS) {
		l->ev[l->n] = (unsigned char)ev;
		l->num[l->n] = num;
		l->n++;
	}
	return 0;
}

static struct imap_idle_reader r1, r2;
static struct log l1, l2;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t off = 0, step;
	int rc1, rc2 = 0;
	int64_t num;

	imap_idle_reader_reset(&r1);
	imap_idle_reader_reset(&r2);
	l1.n = l2.n = 0;
	rc1 = imap_idle_feed(&r1, "t1", p, size, record, &l1);
	if (rc1 != 0 && rc1 != -1)
		abort();
	while (off < size && rc2 == 0) {
		step = 1 + (size > 0 ? data[off] % 7 : 0);
		if (step > size - off)
			step = size - off;
		rc2 = imap_idle_feed(&r2, "t1", p + off, step, record, &l2);
		off += step;
	}
	if (rc1 != rc2 || l1.n != l2.n)
		abort();
	if (memcmp(l1.ev, l2.ev, l1.n) ||
	    memcmp(l1.num, l2.num, l1.n * sizeof(l1.num[0])))
		abort();
	if (r1.len > sizeof(r1.line))
		abort();
	/* the classifier alone, on the raw input as one line */
	(void)imap_idle_classify(p, size, "t1", 0, &num);
	(void)imap_idle_classify(p, size, "", 0, &num);
	return 0;
}
