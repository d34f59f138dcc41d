/*
 * fuzz_smtp.c - libFuzzer target for the SMTP/LMTP command parser and
 * the DATA decoder (src/net/smtp_proto.c).
 *
 * Each input is cut into lines at LF; every line goes through
 * smtp_proto_parse(), and the properties below are checked. The whole
 * input is also pushed through smtp_data_feed() twice, in one piece and
 * in pieces whose sizes come from the input, and both runs must agree:
 * the decoder must not depend on how reads split the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/smtp_proto.h"
#include "tame_limits.h"

static void
check_cmd(const char *line, size_t len)
{
	struct smtp_cmd cmd;
	enum tame_err rc = smtp_proto_parse(line, len, &cmd);

	if (rc) {
		if (cmd.code != 500 && cmd.code != 501 && cmd.code != 555)
			abort();
		if (!cmd.text || !cmd.text[0])
			abort();
		return;
	}
	if (cmd.verb == SMTP_V_UNKNOWN)
		abort();
	/* borrowed pointers stay inside the line */
	if (cmd.arg && (cmd.arg < line || cmd.arg + cmd.arg_len > line + len))
		abort();
	if (cmd.verb == SMTP_V_MAIL || cmd.verb == SMTP_V_RCPT) {
		if (cmd.path < line || cmd.path + cmd.path_len > line + len)
			abort();
		if (cmd.path_len > SMTP_PATH_MAX)
			abort();
		if (cmd.path_len == 0 && (!cmd.null_path ||
		    cmd.verb == SMTP_V_RCPT))
			abort();
		if (memchr(cmd.path, '\0', cmd.path_len) ||
		    memchr(cmd.path, '\r', cmd.path_len) ||
		    memchr(cmd.path, '\n', cmd.path_len))
			abort();
	}
}

static void
check_data(const uint8_t *data, size_t size)
{
	struct smtp_data d1, d2;
	struct buf o1, o2;
	size_t used1, used2 = 0, k = 0;

	buf_init(&o1, 1 << 20);
	buf_init(&o2, 1 << 20);
	smtp_data_init(&d1, 64, 4096);
	smtp_data_init(&d2, 64, 4096);
	used1 = smtp_data_feed(&d1, (const char *)data, size, &o1);
	while (used2 < size && !d2.done) {
		size_t step = (size_t)(data[k++ % size] % 17) + 1;

		if (step > size - used2)
			step = size - used2;
		used2 += smtp_data_feed(&d2, (const char *)data + used2, step,
		    &o2);
	}
	if (used1 != used2 || d1.done != d2.done ||
	    d1.too_big != d2.too_big ||
	    d1.line_too_long != d2.line_too_long)
		abort();
	/* past a limit the message is refused and what was kept of it is
	 * not used (a piece that does not fit is dropped whole, so how much
	 * was kept depends on the pieces), but either run kept the start of
	 * the same message; within the limits it must be the same bytes */
	if (!d1.too_big && !d1.line_too_long && !d1.oom && !d2.oom &&
	    o1.len != o2.len)
		abort();
	if (memcmp(buf_str(&o1), buf_str(&o2),
	    o1.len < o2.len ? o1.len : o2.len) != 0)
		abort();
	if (o1.len > 4096 || o1.len > used1)
		abort();
	/* done means the stream ended exactly with CRLF "." CRLF (or the
	 * message was only ".\r\n") */
	if (d1.done && (used1 < 3 || memcmp(data + used1 - 3, ".\r\n", 3) ||
	    (used1 > 3 && memcmp(data + used1 - 5, "\r\n", 2))))
		abort();
	buf_free(&o1);
	buf_free(&o2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n && p[n - 1] == '\r')
			n--;
		/* exact-size copy so ASan sees any read past the line */
		{
			char *line = malloc(n ? n : 1);

			if (!line)
				return 0;
			memcpy(line, p, n);
			check_cmd(line, n);
			free(line);
		}
		p = nl ? nl + 1 : end;
	}
	if (size)
		check_data(data, size);
	return 0;
}
