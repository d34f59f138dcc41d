/*
 * http_session.c - authentication of API requests and the session
 * endpoints.
 *
 * Model: an agent logs in with email and password (argon2id) and gets a
 * random session id in an HttpOnly, SameSite=Strict cookie (RFC 6265)
 * plus a CSRF token that the web app sends back in X-CSRF-Token on every
 * unsafe request (the "synchronizer token" pattern). The database keeps
 * only the SHA-256 of the session id. Scripts use "Authorization: Bearer
 * TOKEN" (RFC 6750) instead; a browser never sends that header by itself,
 * so bearer requests need no CSRF token.
 *
 * Guessing passwords is slowed by an in-memory table of recent failures
 * per email and per client address: after TAME_LOGIN_FAILS_MAX failures
 * within TAME_LOGIN_LOCK_SECONDS the key must wait out the window. An
 * unknown email costs the same argon2id verification as a known one so
 * that timing does not tell which emails are agents. An account's slot
 * remembers which password its failures were guesses at: once that has
 * changed (an admin's reset, `tame user password` in another process,
 * both seen in the store), they count no more.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "http_session.h"
#include "json_body.h"
#include "../core/auth.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* Session cookies of one request tried (a sibling domain may set a
 * second one). */
#define SESSION_COOKIES_MAX 4
/* Longest token or cookie value looked at; ours are AUTH_TOKEN_HEX. */
#define TOKEN_MAX 256
/* Keys remembered by the throttle; the oldest is forgotten first. */
#define THROTTLE_SLOTS 1024
#define THROTTLE_KEY_MAX (TAME_FIELD_MAX + 8)

struct throttle_slot {
	char key[THROTTLE_KEY_MAX];
	int fails;
	int64_t since;      /* monotonic ms of the window's first failure,
	                       so a clock stepped back holds no one longer */
	uint32_t pw;        /* of an account's key: tame_str_hash of its
	                       password hash when counted, 0 for none */
};

/* Reverse proxies whose X-Forwarded-For is read (IPv4 as IPv4-mapped
 * IPv6); set once before the server starts. */
#define PROXIES_MAX 16
/* An address or a range of them: the first bits of addr (IPv4 as
 * IPv4-mapped, so an IPv4 /24 is bits 96 + 24). */
struct proxy_net {
	struct in6_addr addr;
	unsigned bits;
};
static struct proxy_net proxies[PROXIES_MAX];
static size_t nproxies;

static struct throttle_slot throttle[THROTTLE_SLOTS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[AUTH_PWHASH_MAX];

static void
dummy_init(void)
{
	char pw[AUTH_TOKEN_HEX + 1];

	auth_token_new(pw);
	if (auth_password_hash(pw, dummy_hash))
		dummy_hash[0] = '\0';
}

static struct throttle_slot *
throttle_find(const char *key)
{
	size_t i;

	for (i = 0; i < THROTTLE_SLOTS; i++)
		if (throttle[i].key[0] && strcmp(throttle[i].key, key) == 0)
			return &throttle[i];
	return NULL;
}

/* 1 if slot t holds a lock now: its failures used up in its window. */
static int
slot_locked(const struct throttle_slot *t, int64_t now)
{
	return t->fails >= TAME_LOGIN_FAILS_MAX &&
	    now - t->since < (int64_t)TAME_LOGIN_LOCK_SECONDS * 1000;
}

/* A slot for key: a free one, else the oldest that holds no lock and
 * is not keep (a flood of other keys must not push a lock out). NULL
 * when every slot holds a lock. Under the lock. */
static struct throttle_slot *
throttle_new(const char *key, int64_t now, const struct throttle_slot *keep)
{
	struct throttle_slot *t = NULL;
	size_t i;

	for (i = 0; i < THROTTLE_SLOTS; i++) {
		if (!throttle[i].key[0]) {
			t = &throttle[i];
			break;
		}
		if (&throttle[i] != keep && !slot_locked(&throttle[i], now) &&
		    (!t || throttle[i].since < t->since))
			t = &throttle[i];
	}
	if (t) {
		snprintf(t->key, sizeof(t->key), "%s", key);
		t->fails = 0;
		t->since = now;
	}
	return t;
}

/* The password of account slot t (pw, see struct throttle_slot) has
 * changed since its failures were counted: they were guesses at the old
 * one and count no more, against the account nor (as far as there are
 * as many) against address slot ip. Under the lock. */
static void
throttle_new_password(struct throttle_slot *t, struct throttle_slot *ip,
    uint32_t pw, int64_t now)
{
	if (ip)
		ip->fails -= ip->fails < t->fails ? ip->fails : t->fails;
	t->fails = 0;
	t->since = now;
	t->pw = pw;
}

/* Counts a guess at a password for both keys before it is checked, so
 * that guesses sent at once cannot all pass the limit while the slow
 * hash runs: k1 an account's, whose password hash is now pw (0: no
 * account), k2 an address's. 1 (nothing counted, *wait the seconds
 * left) when either key has used up its failures in the current
 * window, or when every slot holds a lock. A refused guess makes no
 * slot. */
static int
throttle_take(const char *k1, const char *k2, uint32_t pw, int64_t now,
    int64_t *wait)
{
	const int64_t win = (int64_t)TAME_LOGIN_LOCK_SECONDS * 1000;
	struct throttle_slot *t[2];
	int locked = 0, i;

	pthread_mutex_lock(&throttle_lock);
	t[0] = throttle_find(k1);
	t[1] = throttle_find(k2);
	/* windows past first: a new password takes back only the failures
	 * of the current one */
	for (i = 0; i < 2; i++)
		if (t[i] && now - t[i]->since >= win) {
			t[i]->fails = 0;
			t[i]->since = now;
		}
	if (t[0] && t[0]->pw != pw)
		throttle_new_password(t[0], t[1], pw, now);
	for (i = 0; i < 2; i++) {
		if (t[i] && slot_locked(t[i], now)) {
			locked = 1;
			*wait = (t[i]->since + win - now + 999) / 1000;
		}
	}
	if (!locked && ((!t[0] && !(t[0] = throttle_new(k1, now, t[1]))) ||
	    (!t[1] && !(t[1] = throttle_new(k2, now, t[0]))))) {
		locked = 1;
		*wait = TAME_LOGIN_LOCK_SECONDS;
	}
	if (!locked) {
		t[0]->pw = pw;
		t[0]->fails++, t[1]->fails++;
	}
	pthread_mutex_unlock(&throttle_lock);
	return locked;
}

/* A guess counted by throttle_take was right: it no longer counts
 * against key. */
static void
throttle_refund(const char *key)
{
	struct throttle_slot *t;

	pthread_mutex_lock(&throttle_lock);
	if ((t = throttle_find(key)) && t->fails > 0)
		t->fails--;
	pthread_mutex_unlock(&throttle_lock);
}

static void
throttle_clear(const char *key)
{
	struct throttle_slot *t;

	pthread_mutex_lock(&throttle_lock);
	if ((t = throttle_find(key)))
		memset(t, 0, sizeof(*t));
	pthread_mutex_unlock(&throttle_lock);
}

/* a = the IPv4 address v4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
static void
v4_mapped(struct in6_addr *a, const struct in_addr *v4)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(a->s6_addr + 12, v4, 4);
}

/* Reads the address of text s (len bytes, blanks around it allowed)
 * into a, IPv4 as IPv4-mapped: 0, or -1 when it is none. A port, as
 * some proxies write it ("192.0.2.7:4711", "[2001:db8::7]:4711"), is
 * left out. */
static int
addr_parse(const char *s, size_t len, struct in6_addr *a)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in_addr v4;
	const char *e;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len && *s == '[') {
		if (!(e = memchr(s, ']', len)))
			return -1;
		len = (size_t)(e - s - 1);
		s++;
	} else if ((e = memchr(s, ':', len)) &&
	    !memchr(e + 1, ':', len - (size_t)(e + 1 - s))) {
		len = (size_t)(e - s);	/* IPv4 and its port */
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, &v4) == 1) {
		v4_mapped(a, &v4);
		return 0;
	}
	return inet_pton(AF_INET6, tmp, a) == 1 ? 0 : -1;
}

/* Whether a is in net: its first net->bits bits are net's. */
static int
in_net(const struct in6_addr *a, const struct proxy_net *net)
{
	unsigned whole = net->bits / 8, rest = net->bits % 8;
	unsigned char mask;

	if (memcmp(a->s6_addr, net->addr.s6_addr, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->s6_addr[whole] & mask) == (net->addr.s6_addr[whole] & mask);
}

static int
is_proxy(const struct in6_addr *a)
{
	size_t i;

	for (i = 0; i < nproxies; i++)
		if (in_net(a, &proxies[i]))
			return 1;
	return 0;
}

/* Reads one entry of the --proxy list, s[0..len): an address, or a
 * range as ADDR/BITS (192.0.2.0/24, 2001:db8::/48), into net. 0, or -1
 * when it is neither, or the address has bits set past the prefix
 * (192.0.2.7/24 is more likely a slip than the /24 it would mean). */
static int
net_parse(const char *s, size_t len, struct proxy_net *net)
{
	const char *slash = memchr(s, '/', len);
	unsigned long bits;
	size_t i;
	char *end, num[4];

	if (addr_parse(s, slash ? (size_t)(slash - s) : len, &net->addr))
		return -1;
	net->bits = 128;
	if (!slash)
		return 0;
	len -= (size_t)(slash + 1 - s);
	s = slash + 1;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(num) || !isdigit((unsigned char)*s))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	bits = strtoul(num, &end, 10);
	if (*end || bits > (IN6_IS_ADDR_V4MAPPED(&net->addr) ? 32u : 128u))
		return -1;
	net->bits = (unsigned)bits +
	    (IN6_IS_ADDR_V4MAPPED(&net->addr) ? 96u : 0u);
	/* the host bits must be 0 */
	for (i = net->bits; i < 128; i++)
		if (net->addr.s6_addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	return 0;
}

/* See http_session.h. */
int
http_session_proxies(const char *list, char *why, size_t whylen)
{
	const char *p = list, *e;

	nproxies = 0;
	while (p && *p) {
		e = p + strcspn(p, ",");
		if (nproxies == PROXIES_MAX) {
			snprintf(why, whylen, "more than %d proxies",
			    PROXIES_MAX);
			return -1;
		}
		if (net_parse(p, (size_t)(e - p), &proxies[nproxies])) {
			snprintf(why, whylen, "\"%.*s\" is not an IPv4 or "
			    "IPv6 address or range (ADDR/BITS, no host bits "
			    "set)", (int)(e - p > 64 ? 64 : e - p), p);
			return -1;
		}
		nproxies++;
		p = *e ? e + 1 : e;
	}
	return 0;
}

/* Walks the addresses of one X-Forwarded-For value h from its end:
 * 1 when *a is the client (an address that is not a proxy's) or the
 * walk must stop there (one that cannot be read), 0 to go on with the
 * header before it. */
static int
forwarded_walk(const char *h, struct in6_addr *a)
{
	const char *e, *b;
	struct in6_addr x;

	for (e = h + strlen(h); e > h; e = b > h ? b - 1 : b) {
		for (b = e; b > h && b[-1] != ','; b--)
			;
		if (addr_parse(b, (size_t)(e - b), &x))
			return 1;
		*a = x;
		if (!is_proxy(&x))
			return 1;
	}
	return 0;
}

/* Of a request from a proxy, the client its X-Forwarded-For names: the
 * last address that is not a proxy's (the ones before it are the
 * client's own word). ulfius keeps headers whose names differ in case
 * apart ("x-forwarded-for" a client sent, the "X-Forwarded-For" its
 * proxy added), in the order they came: they are read from the last.
 * *a keeps the proxy's when there is none, or one cannot be read
 * there. */
static void
forwarded_for(const struct http_ctx *c, struct in6_addr *a)
{
	const char **keys = u_map_enum_keys(c->req->map_header);
	int n = keys ? u_map_count(c->req->map_header) : 0;
	const char *h;

	while (n-- > 0)
		if (strcasecmp(keys[n], "X-Forwarded-For") == 0 &&
		    (h = u_map_get(c->req->map_header, keys[n])) &&
		    forwarded_walk(h, a))
			return;
}

/* The client's address as text ("unknown" if not IPv4/IPv6): the
 * peer's, or behind one of our proxies the one it forwards for. */
static void
client_ip(const struct http_ctx *c, char *out, size_t len)
{
	const struct sockaddr *sa = c->req->client_address;
	struct in6_addr a;

	snprintf(out, len, "unknown");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		v4_mapped(&a, &((const struct sockaddr_in *)sa)->sin_addr);
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	} else {
		return;
	}
	if (nproxies && is_proxy(&a))
		forwarded_for(c, &a);
	if (IN6_IS_ADDR_V4MAPPED(&a)) {
		if (!inet_ntop(AF_INET, a.s6_addr + 12, out, (socklen_t)len))
			snprintf(out, len, "unknown");
		return;
	}
	/* one key per /64, what one client holds: its addresses within do
	 * not each get five guesses */
	memset(a.s6_addr + 8, 0, 8);
	if (!inet_ntop(AF_INET6, &a, out, (socklen_t)len))
		snprintf(out, len, "unknown");
}

/* See http_session.h. */
int
http_session_secure(const struct http_ctx *c)
{
	const char *p = http_header(c, "X-Forwarded-Proto");

	return p && strcasecmp(p, "https") == 0;
}

/* See http_session.h. */
int
http_session_guess(struct http_ctx *c, const char *email,
    const char *pw_hash)
{
	char ip[64], kmail[THROTTLE_KEY_MAX], kip[THROTTLE_KEY_MAX];
	char retry[32];
	int64_t wait = 0;

	client_ip(c, ip, sizeof(ip));
	snprintf(kmail, sizeof(kmail), "e:%s", email);
	snprintf(kip, sizeof(kip), "i:%s", ip);
	tame_ascii_lower(kmail);
	if (!throttle_take(kmail, kip, pw_hash && *pw_hash ?
	    tame_str_hash(pw_hash) : 0, tame_mono_ms(), &wait))
		return 0;
	snprintf(retry, sizeof(retry), "%lld", (long long)wait);
	u_map_put(c->res->map_header, "Retry-After", retry);
	http_error(c, 429, "too_many_attempts", "too many wrong passwords; "
	    "try again in %lld seconds", (long long)wait);
	return -1;
}

/* See http_session.h. */
void
http_session_guessed(struct http_ctx *c, const char *email)
{
	char ip[64], kmail[THROTTLE_KEY_MAX], kip[THROTTLE_KEY_MAX];

	client_ip(c, ip, sizeof(ip));
	snprintf(kmail, sizeof(kmail), "e:%s", email);
	snprintf(kip, sizeof(kip), "i:%s", ip);
	tame_ascii_lower(kmail);
	/* the account's own count starts again; the address's does not,
	 * or one working login would hide guesses at other accounts */
	throttle_clear(kmail);
	throttle_refund(kip);
}

static int
unsafe_method(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
	    strcmp(m, "OPTIONS") != 0;
}

/* The SHA-256 of the token of an Authorization header's value into
 * hash: 0; -1 when it is not "Bearer TOKEN", -2 when the token is empty
 * or too long. */
static int
bearer_hash(const char *hdr, char *hash)
{
	size_t len;

	if (strncasecmp(hdr, "Bearer ", 7) != 0)
		return -1;
	for (hdr += 7; *hdr == ' '; hdr++)
		;
	len = strlen(hdr);
	while (len > 0 && hdr[len - 1] == ' ')
		len--;
	if (len == 0 || len > TOKEN_MAX)
		return -2;
	auth_sha256_hex(hdr, len, hash);
	return 0;
}

/* Looks up the agent of a bearer token. 0, or -1 after answering. */
static int
auth_bearer(struct http_ctx *c, const char *hdr, int64_t *agent_id)
{
	char hash[AUTH_HASH_HEX + 1];
	enum tame_err rc;
	int bad;

	if ((bad = bearer_hash(hdr, hash))) {
		if (bad == -1)
			http_error(c, 401, "unauthorized",
			    "use \"Authorization: Bearer TOKEN\"");
		else
			http_error(c, 401, "unauthorized", "invalid token");
		return -1;
	}
	rc = store_token_lookup(c->store, hash, agent_id);
	if (rc == TAME_ENOTFOUND) {
		http_error(c, 401, "unauthorized", "invalid token");
		return -1;
	}
	if (rc) {
		http_store_error(c, rc, "token lookup");
		return -1;
	}
	memcpy(c->token_hash, hash, sizeof(c->token_hash));
	return 0;
}

/* Looks up the live session of the cookie value: *agent_id, and its
 * hash and CSRF token into c. TAME_EINVAL for a value of no possible
 * session, TAME_ENOTFOUND for one that is unknown or ended. Answers
 * nothing. */
static enum tame_err
cookie_session(struct http_ctx *c, const char *val, int64_t *agent_id)
{
	size_t len = strlen(val);
	enum tame_err rc;

	if (len == 0 || len > TOKEN_MAX)
		return TAME_EINVAL;
	auth_sha256_hex(val, len, c->session_hash);
	rc = store_session_lookup(c->store, c->session_hash, tame_now_ms(),
	    agent_id, &c->csrf);
	if (rc == TAME_ENOTFOUND)
		c->session_hash[0] = '\0';
	return rc;
}

/* Looks up the session of the request's session cookie. A Cookie
 * header may name it more than once (a sibling subdomain can set one
 * for the parent domain, and browsers send both): the first that is a
 * live session counts. TAME_EINVAL when there is none at all. */
static enum tame_err
cookies_session(struct http_ctx *c, int64_t *agent_id)
{
	static const char name[] = HTTP_SESSION_COOKIE;
	const char *h = http_header(c, "Cookie"), *p, *e, *eq;
	const char *one = u_map_get(c->req->map_cookie, HTTP_SESSION_COOKIE);
	char val[TOKEN_MAX + 1];
	enum tame_err rc = TAME_EINVAL, r;
	size_t n;
	int tries = 0;

	/* a few: each costs a hash and a look-up, before any login */
	for (p = h; p && *p && tries < SESSION_COOKIES_MAX;
	    p = *e ? e + 1 : e) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!(e = strchr(p, ';')))
			e = p + strlen(p);
		eq = memchr(p, '=', (size_t)(e - p));
		if (!eq || (size_t)(eq - p) != sizeof(name) - 1 ||
		    strncmp(p, name, sizeof(name) - 1) != 0)
			continue;
		n = (size_t)(e - eq - 1);
		while (n && (eq[n] == ' ' || eq[n] == '\t'))
			n--;
		if (n > TOKEN_MAX)
			continue;
		memcpy(val, eq + 1, n);
		val[n] = '\0';
		tries++;
		free(c->csrf);
		c->csrf = NULL;
		if ((r = cookie_session(c, val, agent_id)) == TAME_OK)
			return TAME_OK;
		if (rc == TAME_EINVAL || r != TAME_EINVAL)
			rc = r;
	}
	if (rc == TAME_EINVAL && one)
		return cookie_session(c, one, agent_id);
	return rc;
}

/* Looks up the session of the cookie. 0, or -1 after answering. */
static int
auth_cookie(struct http_ctx *c, int64_t *agent_id)
{
	enum tame_err rc = cookies_session(c, agent_id);

	if (rc == TAME_EINVAL) {
		http_error(c, 401, "unauthorized", "invalid session");
		return -1;
	}
	if (rc == TAME_ENOTFOUND) {
		http_error(c, 401, "unauthorized",
		    "the session has ended; log in again");
		return -1;
	}
	if (rc) {
		http_store_error(c, rc, "session lookup");
		return -1;
	}
	c->via_cookie = 1;
	return 0;
}

int
http_session_authenticate(struct http_ctx *c)
{
	const char *hdr, *cookie, *tok;
	int64_t agent_id = 0;
	enum tame_err rc;

	hdr = http_header(c, "Authorization");
	cookie = u_map_get(c->req->map_cookie, HTTP_SESSION_COOKIE);
	if (hdr) {
		if (auth_bearer(c, hdr, &agent_id))
			return -1;
	} else if (cookie) {
		if (auth_cookie(c, &agent_id))
			return -1;
	} else {
		http_error(c, 401, "unauthorized", "authentication required");
		return -1;
	}
	rc = store_agent_get(c->store, agent_id, &c->agent);
	if (rc == TAME_ENOTFOUND || (rc == TAME_OK && c->agent.disabled)) {
		agent_clear(&c->agent);
		http_error(c, 401, "unauthorized", "the account is disabled");
		return -1;
	}
	if (rc) {
		http_store_error(c, rc, "agent lookup");
		return -1;
	}
	if (c->via_cookie && unsafe_method(c->method)) {
		tok = http_header(c, "X-CSRF-Token");
		if (!tok || !c->csrf || !auth_str_equal(tok, c->csrf)) {
			http_error(c, 403, "csrf",
			    "missing or wrong X-CSRF-Token header");
			return -1;
		}
	}
	return 0;
}

/* TAME_OK when agent_id is an enabled agent, then in c->agent;
 * TAME_ENOTFOUND when there is none or it is disabled; else the store's
 * error. */
static enum tame_err
enabled_agent(struct http_ctx *c, int64_t agent_id)
{
	enum tame_err rc;

	if ((rc = store_agent_get(c->store, agent_id, &c->agent)))
		return rc;
	if (c->agent.disabled) {
		agent_clear(&c->agent);
		return TAME_ENOTFOUND;
	}
	return TAME_OK;
}

int
http_session_peek(struct http_ctx *c)
{
	const char *cookie = u_map_get(c->req->map_cookie, HTTP_SESSION_COOKIE);
	int64_t agent_id = 0;

	if (!cookie || cookies_session(c, &agent_id))
		return 0;
	return enabled_agent(c, agent_id) == TAME_OK;
}

/* See http_session.h. */
int
http_session_live(struct http_ctx *c)
{
	const char *hdr = http_header(c, "Authorization");
	char hash[AUTH_HASH_HEX + 1];
	int64_t agent_id = 0;
	enum tame_err rc;

	if (hdr) {
		if (bearer_hash(hdr, hash))
			return -1;
		rc = store_token_lookup(c->store, hash, &agent_id);
	} else if (!u_map_get(c->req->map_cookie, HTTP_SESSION_COOKIE)) {
		return 0;
	} else {
		rc = cookies_session(c, &agent_id);
	}
	if (rc == TAME_OK)
		rc = enabled_agent(c, agent_id);
	/* a store that cannot say lets the request's handler say */
	return rc == TAME_ENOTFOUND || rc == TAME_EINVAL ? -1 : 1;
}

/* {"agent":{...},"csrf_token":csrf|null} for agent id; NULL on error
 * (answered). */
static json_t *
session_view(struct http_ctx *c, int64_t id, const char *csrf)
{
	json_t *agent = NULL;
	enum tame_err rc;

	if ((rc = store_agent_view(c->store, id, &agent))) {
		http_store_error(c, rc, "agent");
		return NULL;
	}
	return json_pack("{s:o,s:s?}", "agent", agent, "csrf_token", csrf);
}

void
http_session_login(struct http_ctx *c)
{
	struct json_body_err err;
	struct json_login in;
	struct agent a = { 0 };
	json_t *body = NULL, *view;
	char ip[64];
	char token[AUTH_TOKEN_HEX + 1], csrf[AUTH_TOKEN_HEX + 1];
	char hash[AUTH_HASH_HEX + 1], cookie[256];
	char *email = NULL;
	int64_t now = tame_now_ms();
	enum tame_err rc;
	int ok;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX_ANON)))
		goto out;
	if (json_body_login(body, &in, &err)) {
		http_body_error(c, &err);
		goto out;
	}
	if (!(email = tame_strdup(in.email))) {
		http_store_error(c, TAME_ENOMEM, "login");
		goto out;
	}
	tame_ascii_lower(email);
	client_ip(c, ip, sizeof(ip));
	/* the account first (no hash checked yet): the throttle asks
	 * whether its password is still the one guessed at */
	rc = store_agent_by_email(c->store, email, &a);
	if (rc && rc != TAME_ENOTFOUND) {
		http_store_error(c, rc, "agent lookup");
		goto out;
	}
	if (http_session_guess(c, email, a.pw_hash))
		goto out;
	pthread_once(&dummy_once, dummy_init);
	if (rc == TAME_OK && a.pw_hash && a.pw_hash[0])
		ok = auth_password_verify(a.pw_hash, in.password);
	else {
		(void)auth_password_verify(dummy_hash, in.password);
		ok = 0;
	}
	/* the right password of a disabled account: say why, so the agent
	 * asks an admin instead of trying passwords (a wrong one learns
	 * nothing) */
	if (ok && a.disabled) {
		tame_log(TAME_LOG_INFO, "http: login of disabled %.64s from %s",
		    email, ip);
		http_error(c, 403, "account_disabled", "this account is "
		    "disabled; an admin can enable it again");
		goto out;
	}
	if (!ok) {
		/* what was typed is named only when it is an account: a
		 * password typed into the address field stays out of the
		 * log */
		tame_log(TAME_LOG_INFO, "http: failed login for %.64s from %s",
		    rc == TAME_OK ? email : "an unknown address", ip);
		http_error(c, 401, "invalid_credentials",
		    "wrong email or password");
		goto out;
	}
	http_session_guessed(c, email);
	auth_token_new(token);
	auth_token_new(csrf);
	auth_sha256_hex(token, strlen(token), hash);
	rc = store_session_add(c->store, hash, a.id, csrf, now,
	    now + (int64_t)TAME_SESSION_SECONDS * 1000);
	if (rc) {
		http_store_error(c, rc, "session");
		goto out;
	}
	if (!(view = session_view(c, a.id, csrf)))
		goto out;
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%d; "
	    "HttpOnly; SameSite=Strict%s", HTTP_SESSION_COOKIE, token,
	    TAME_SESSION_SECONDS, http_session_secure(c) ? "; Secure" : "");
	u_map_put(c->res->map_header, "Set-Cookie", cookie);
	http_json(c, 201, view);
out:
	agent_clear(&a);
	free(email);
	json_decref(body);
}

void
http_session_get(struct http_ctx *c)
{
	json_t *view = session_view(c, c->agent.id, c->csrf);

	if (view)
		http_json(c, 200, view);
}

void
http_session_logout(struct http_ctx *c)
{
	enum tame_err rc;

	if (c->via_cookie && c->session_hash[0]) {
		rc = store_session_delete(c->store, c->session_hash);
		if (rc && rc != TAME_ENOTFOUND) {
			http_store_error(c, rc, "session");
			return;
		}
		u_map_put(c->res->map_header, "Set-Cookie",
		    HTTP_SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
		    "SameSite=Strict");
	}
	http_send(c, 204, NULL, "", 0);
}
