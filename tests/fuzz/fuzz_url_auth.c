/*
 * fuzz_url_auth.c - libFuzzer target for the URLs an admin types for a
 * mailbox: the shared authority parser (core/url_auth.c) on its own,
 * then the IMAP URL (core/imap_conf.c) and the relay URL
 * (core/relay_conf.c) that use it.
 *
 * Checks: what the authority parser accepts is a host tame_url_host_ok()
 * takes and a port from 1 to 65535, and it stops at the path; an
 * accepted IMAP or relay URL, shown back without its password, reads
 * back to the same host, port, TLS mode and user (when it is still
 * short enough to be typed).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/imap_conf.h"
#include "core/relay_conf.h"
#include "core/url_auth.h"
#include "core/util.h"
#include "tame_limits.h"

static int
same(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static void
check_auth(const char *s, int need_user)
{
	struct url_auth a;
	enum url_auth_why why;
	int port = 0;

	if ((why = url_auth_parse(s, need_user, &a)) != URL_AUTH_OK) {
		if (a.user || a.password || a.host)
			abort();
		return;
	}
	if (!a.host || !tame_url_host_ok(a.host, strlen(a.host), 1) ||
	    (a.password && !a.user) || (need_user && !a.user) ||
	    (a.user && !*a.user) || a.end < s ||
	    a.end > s + strlen(s) || (*a.end && !strchr("/?#", *a.end)) ||
	    a.port + a.port_len != a.end)
		abort();
	why = url_auth_port(&a, 25, &port);
	if (why == URL_AUTH_OK && (port < 1 || port > 65535))
		abort();
	url_auth_clear(&a);
}

static void
check_imap(const char *s)
{
	struct imap_conf c, r;
	struct buf out;
	char err[256];

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	buf_init(&out, 64 * 1024);
	if (imap_conf_parse_url(s, &c, err, sizeof(err)) != TAME_OK)
		goto out;
	if (!c.host || !c.user || !c.folder || c.port < 1 || c.port > 65535 ||
	    imap_conf_url(&c, &out) != TAME_OK)
		abort();
	if (out.len > TAME_IMAP_URL_MAX)
		goto out;
	if (imap_conf_parse_url(buf_str(&out), &r, err, sizeof(err)) !=
	    TAME_OK || !same(r.host, c.host) || r.port != c.port ||
	    r.tls != c.tls || !same(r.user, c.user) || r.password)
		abort();
out:
	imap_conf_clear(&c);
	imap_conf_clear(&r);
	buf_free(&out);
}

static void
check_relay(const char *s)
{
	struct relay_conf c, r;
	struct buf out;
	char err[256];

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	buf_init(&out, 64 * 1024);
	if (relay_conf_parse_url(s, &c, err, sizeof(err)) != TAME_OK)
		goto out;
	if (!c.host || c.port < 1 || c.port > 65535 ||
	    relay_conf_url(&c, &out) != TAME_OK)
		abort();
	/* encoding may make the URL longer than an admin may type */
	if (out.len > TAME_IMAP_URL_MAX)
		goto out;
	if (relay_conf_parse_url(buf_str(&out), &r, err, sizeof(err)) !=
	    TAME_OK || !same(r.host, c.host) || r.port != c.port ||
	    r.tls != c.tls || !same(r.user, c.user) || r.password)
		abort();
out:
	relay_conf_clear(&c);
	relay_conf_clear(&r);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_auth(s, 0);
	check_auth(s, 1);
	check_imap(s);
	check_relay(s);
	free(s);
	return 0;
}
