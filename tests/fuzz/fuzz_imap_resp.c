/*
 * fuzz_imap_resp.c - libFuzzer target for what tamed reads of an IMAP
 * server's answers when it polls a mailbox (src/net/imap_client.c): the
 * response lines libcurl hands over (capabilities, SELECT answers, the
 * line that explains a failure, a FETCH's announced size) and the
 * untagged STATUS, EXAMINE and SEARCH answers; then the after-import
 * commands built from the UIDs the SEARCH gave.
 *
 * The first byte picks the request the answer is for; the rest is fed
 * line by line, then read as the whole answer. What must hold: the
 * failure text is printable ASCII within its buffer, a refused FETCH
 * announced more than the limit, the UIDs come out ascending, above
 * the window's start and no more than asked for, and every command
 * built from them is one line of a known verb, the STOREs (or MOVEs)
 * naming exactly those UIDs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/imap_conf.h"
#include "net/imap_client.h"
#include "tame_limits.h"

#define MAX_UIDS 512

/* Expands the UID set at p ("1:5,7", up to a space or the line's end)
 * onto got[*n..), at most max in all; 0 when it is not a set. */
static int
expand_set(const char *p, int64_t *got, size_t *n, size_t max)
{
	int64_t a, b;
	char *e;

	for (;;) {
		if (*p < '1' || *p > '9')
			return 0;
		a = strtoll(p, &e, 10);
		if (e == p || a < 1)
			return 0;
		b = a;
		if (*e == ':') {
			p = e + 1;
			if (*p < '1' || *p > '9')
				return 0;
			b = strtoll(p, &e, 10);
			if (e == p || b <= a)
				return 0;
		}
		for (; a <= b; a++) {
			if (*n >= max)
				return 0;
			got[(*n)++] = a;
		}
		if (*e != ',')
			return *e == ' ' || *e == '\n';
		p = e + 1;
	}
}

/* Every command is one line of a known verb, nacts lines in all, and
 * the messages the STOREs (or MOVEs) name are uids[0..n), in order. */
static void
check_commands(const struct buf *out, size_t nacts, const int64_t *uids,
    size_t n)
{
	static int64_t got[MAX_UIDS + 1];
	const char *p = buf_str(out), *nl;
	size_t lines = 0, ngot = 0, i;
	int moves = strstr(p, "UID MOVE ") != NULL;

	for (; *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n')))
			abort();
		if (memchr(p, '\r', (size_t)(nl - p)))
			abort();
		if (strncmp(p, "UID STORE ", 10) == 0) {
			if (!moves && !expand_set(p + 10, got, &ngot,
			    MAX_UIDS + 1))
				abort();
		} else if (strncmp(p, "UID MOVE ", 9) == 0) {
			if (!expand_set(p + 9, got, &ngot, MAX_UIDS + 1))
				abort();
		} else if (strncmp(p, "UID COPY ", 9) != 0 &&
		    strncmp(p, "UID EXPUNGE ", 12) != 0 &&
		    strncmp(p, "EXPUNGE\n", 8) != 0) {
			abort();
		}
		lines++;
	}
	if (lines != nacts || ngot != n)
		abort();
	for (i = 0; i < n; i++)
		if (got[i] != uids[i])
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char host[] = "127.0.0.1", user[] = "u", pw[] = "p",
	    folder[] = "INBOX", done[] = "Done";
	struct imap_conf conf;
	struct imap_client c;
	struct buf out;
	int64_t uids[MAX_UIDS], v = 0, n2 = 0, m = 0;
	const char *p, *end, *nl;
	char *line;
	long n, i;
	int after;

	if (size < 1)
		return 0;
	memset(&conf, 0, sizeof(conf));
	conf.host = host;
	conf.port = 143;
	conf.tls = IMAP_TLS_NONE;
	conf.user = user;
	conf.password = pw;
	conf.folder = folder;
	conf.after = IMAP_AFTER_MOVE;
	conf.after_folder = done;
	if (imap_client_init(&c, &conf) != TAME_OK) {
		imap_client_free(&c);
		return 0;
	}
	c.req = (enum imap_req)(data[0] % (IMAP_REQ_ACTION + 1));
	p = (const char *)data + 1;
	end = (const char *)data + size;

	/* line by line, each in its own allocation, as libcurl hands them */
	for (; p < end; p = nl) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		if (!(line = malloc((size_t)(nl - p) + 1)))
			break;
		memcpy(line, p, (size_t)(nl - p));
		if (imap_client_on_line(line, 1, (size_t)(nl - p), &c) !=
		    (size_t)(nl - p) && !c.too_large)
			abort();
		free(line);
		if (c.too_large) {
			if (c.req != IMAP_REQ_FETCH ||
			    c.announced <= TAME_SMTP_MESSAGE_MAX)
				abort();
			break;
		}
	}
	if (!memchr(c.last_line, '\0', sizeof(c.last_line)))
		abort();
	for (i = 0; c.last_line[i]; i++)
		if (c.last_line[i] < 0x20 || c.last_line[i] >= 0x7f)
			abort();

	/* the whole answer */
	buf_reset(&c.body);
	if (buf_add(&c.body, data + 1, size - 1) == TAME_OK) {
		(void)imap_client_parse_status(&c, &v, &n2, &m);
		if (v < 0 || n2 < 0 || m < 0)
			abort();
		if (imap_client_parse_uidvalidity(&c) < 0)
			abort();
		n = imap_client_parse_search(&c, 5, 0, uids, MAX_UIDS);
		if (n > MAX_UIDS)
			abort();
		for (i = 0; i < n; i++)
			if (uids[i] <= 5 || (i && uids[i] <= uids[i - 1]))
				abort();
		/* with a bound, every UID is below it */
		n = imap_client_parse_search(&c, 5, 100, uids, MAX_UIDS);
		for (i = 0; i < n; i++)
			if (uids[i] <= 5 || uids[i] >= 100)
				abort();
		for (after = IMAP_AFTER_SEEN; n > 0 && after <= IMAP_AFTER_MOVE;
		    after++) {
			size_t nacts = 0;

			c.caps = (unsigned)data[0] >> 4;
			buf_init(&out, 1 << 24);
			if (imap_client_actions(&c, (enum imap_after)after, uids,
			    (size_t)n, &out, &nacts) == TAME_OK)
				check_commands(&out, nacts, uids, (size_t)n);
			buf_free(&out);
		}
	}
	/* the strings of conf are static: only the client is freed */
	imap_client_free(&c);
	return 0;
}
