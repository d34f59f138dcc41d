/*
 * http_idem.c - Idempotency-Key claims shared by the sending endpoints.
 * See http_idem.h.
 */
#include <stdlib.h>
#include <string.h>
#include "http_idem.h"
#include "../core/auth.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

/* When this tamed started taking requests. */
static int64_t started_ms;

void
http_idem_started(int64_t now)
{
	__atomic_store_n(&started_ms, now, __ATOMIC_RELAXED);
}

/* 1 if key is a usable Idempotency-Key: printable ASCII, bounded. */
static int
key_ok(const char *key)
{
	size_t n = strlen(key), i;

	if (n == 0 || n > TAME_IDEMPOTENCY_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return 0;
	return 1;
}

int
http_idem_claim(struct http_ctx *c, const char *key, const json_t *body,
    int64_t *since, int *resumed)
{
	char hash[AUTH_HASH_HEX + 1], *text = NULL, *kept = NULL;
	enum store_idem_state state;
	struct buf req;
	int64_t now = tame_now_ms(), stale = now - TAME_IDEMPOTENCY_STALE_MS;
	int64_t started = __atomic_load_n(&started_ms, __ATOMIC_RELAXED);
	int status = 0, go = 0;
	enum tame_err rc;

	if (!key_ok(key)) {
		http_error(c, 400, "invalid_header", "Idempotency-Key must be "
		    "1 to %d printable ASCII characters",
		    TAME_IDEMPOTENCY_KEY_MAX);
		return 0;
	}
	/* the same key means the same request: method, path and body */
	buf_init(&req, TAME_HTTP_BODY_MAX * 2);
	if (!(text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) ||
	    buf_printf(&req, "%s %s\n%s", c->method, c->path, text)) {
		http_error(c, 500, "internal", "out of memory");
		goto out;
	}
	auth_sha256_hex(req.data, req.len, hash);
	/* a claim from before this tamed started died with the last one */
	if (started > stale)
		stale = started;
	if ((rc = store_idem_claim(c->store, c->agent.id, key, hash, now,
	    stale, &state, since, &status, &kept))) {
		http_store_error(c, rc, "Idempotency-Key");
		goto out;
	}
	switch (state) {
	case STORE_IDEM_NEW:
		*resumed = *since < now;
		go = 1;
		break;
	case STORE_IDEM_DONE:
		http_send(c, status ? status : 200, "application/json", kept,
		    kept ? strlen(kept) : 0);
		u_map_put(c->res->map_header, "Idempotent-Replayed", "true");
		break;
	case STORE_IDEM_RUNNING:
		http_error(c, 409, "in_progress", "a request with this "
		    "Idempotency-Key is still being answered");
		break;
	case STORE_IDEM_MISMATCH:
		http_error(c, 422, "idempotency_key_reused", "this "
		    "Idempotency-Key was used for a different request");
		break;
	}
out:
	free(text);
	free(kept);
	buf_free(&req);
	return go;
}
