/*
 * http_presence.c - who else is on a ticket right now. See
 * http_presence.h and docs/API.md.
 *
 * Model: an agent's browser reports every few seconds that it shows a
 * ticket ("viewing") or that the agent is writing a reply ("typing"),
 * and "left" when it closes it. The reports live in one table in
 * memory, under a mutex, one entry per agent and ticket, and an entry
 * counts only for TAME_PRESENCE_SECONDS after its last report, so a
 * closed laptop drops out by itself. Nothing is stored: after a
 * restart the browsers' next reports rebuild the table within seconds.
 * One tamed process holds the table; several tamed nodes would share
 * it through the store's change feed (not needed for SQLite).
 *
 * The check when sending is the other half of collision detection:
 * the composer remembers the newest message it showed, and a reply
 * written before a newer customer message (or a colleague's reply) is
 * refused with 409 new_message unless the agent says force. reply_send
 * makes it in the reply's own transaction, so of two agents sending at
 * the same moment only one gets through; http_presence_newer answers
 * for the other.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "http_desk.h"
#include "http_presence.h"
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"

/* Bytes of an agent's name and address kept for the answer. */
#define PRESENCE_TEXT_MAX 160

enum presence_state { P_VIEWING = 1, P_TYPING };

struct presence {
	int64_t ticket_id;          /* 0: free slot */
	int64_t agent_id;
	enum presence_state state;
	int64_t since;              /* in this state since */
	int64_t last;               /* last report */
	char name[PRESENCE_TEXT_MAX];
	char email[PRESENCE_TEXT_MAX];
};

static struct presence table[TAME_PRESENCE_MAX];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
state_name(enum presence_state st)
{
	return st == P_TYPING ? "typing" : "viewing";
}

/* Copies s into out (PRESENCE_TEXT_MAX), cut at a UTF-8 boundary. */
static void
copy_text(char *out, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= PRESENCE_TEXT_MAX) {
		n = PRESENCE_TEXT_MAX - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
}

static int
expired(const struct presence *p, int64_t now)
{
	return now - p->last > (int64_t)TAME_PRESENCE_SECONDS * 1000;
}

/* Records the caller's state on ticket tid (0: left). Under the lock. */
static void
record(struct http_ctx *c, int64_t tid, int st, int64_t now)
{
	struct presence *p = NULL, *free_slot = NULL, *oldest = NULL;
	size_t i;

	for (i = 0; i < TAME_PRESENCE_MAX; i++) {
		struct presence *e = &table[i];

		if (e->ticket_id && expired(e, now))
			e->ticket_id = 0;
		if (!e->ticket_id) {
			if (!free_slot)
				free_slot = e;
			continue;
		}
		if (e->ticket_id == tid && e->agent_id == c->agent.id)
			p = e;
		if (!oldest || e->last < oldest->last)
			oldest = e;
	}
	if (!st) {
		if (p)
			p->ticket_id = 0;
		return;
	}
	if (!p) {
		/* Full of live entries: the stalest one goes. */
		p = free_slot ? free_slot : oldest;
		memset(p, 0, sizeof(*p));
		p->ticket_id = tid;
		p->agent_id = c->agent.id;
		p->since = now;
	}
	if (p->state != (enum presence_state)st)
		p->since = now;
	p->state = (enum presence_state)st;
	p->last = now;
	copy_text(p->name, c->agent.name);
	copy_text(p->email, c->agent.email);
}

/* The others on ticket tid (0: on any ticket) as an array of
 * {ticket_id?, agent, state, since, last_seen}. Under the lock. */
static json_t *
others(struct http_ctx *c, int64_t tid, int64_t now)
{
	json_t *arr = json_array(), *o;
	char since[32], last[32];
	size_t i;

	for (i = 0; arr && i < TAME_PRESENCE_MAX; i++) {
		const struct presence *e = &table[i];

		if (!e->ticket_id || expired(e, now) ||
		    e->agent_id == c->agent.id || (tid && e->ticket_id != tid))
			continue;
		tame_time_iso(e->since, since);
		tame_time_iso(e->last, last);
		o = json_pack("{s:I,s:{s:I,s:s,s:s},s:s,s:s,s:s}", "ticket_id",
		    (json_int_t)e->ticket_id, "agent", "id",
		    (json_int_t)e->agent_id, "name", e->name, "email",
		    e->email, "state", state_name(e->state), "since", since,
		    "last_seen", last);
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* 0 if ticket c->id[0] exists; -1 after answering. */
static int
ticket_exists(struct http_ctx *c)
{
	struct ticket_ref ref;
	enum tame_err rc;

	if ((rc = store_ticket_ref(c->store, c->id[0], &ref))) {
		http_store_error(c, rc, "ticket");
		return -1;
	}
	return 0;
}

/* Answers 200 {"ticket_id", "presence": others}. */
static void
answer(struct http_ctx *c, int64_t now)
{
	json_t *arr;

	pthread_mutex_lock(&table_lock);
	arr = others(c, c->id[0], now);
	pthread_mutex_unlock(&table_lock);
	http_json(c, 200, arr ? json_pack("{s:I,s:o}", "ticket_id",
	    (json_int_t)c->id[0], "presence", arr) : NULL);
}

void
http_presence_set(struct http_ctx *c)
{
	static const struct json_field fields[] = {
		{ "state", JF_LINE, 1, 16 },
	};
	const char *s;
	json_t *body;
	int64_t now = tame_now_ms();
	int st;

	if (!(body = http_desk_body(c, TAME_HTTP_BODY_MAX_ANON, fields, 1)))
		return;
	s = json_body_str(body, "state");
	if (strcmp(s, "viewing") == 0)
		st = P_VIEWING;
	else if (strcmp(s, "typing") == 0)
		st = P_TYPING;
	else if (strcmp(s, "left") == 0)
		st = 0;
	else {
		http_error(c, 400, "invalid_field", "field \"state\" must be "
		    "viewing, typing or left");
		goto out;
	}
	if (ticket_exists(c))
		goto out;
	pthread_mutex_lock(&table_lock);
	record(c, c->id[0], st, now);
	pthread_mutex_unlock(&table_lock);
	answer(c, now);
out:
	json_decref(body);
}

void
http_presence_get(struct http_ctx *c)
{
	if (ticket_exists(c))
		return;
	answer(c, tame_now_ms());
}

void
http_presence_all(struct http_ctx *c)
{
	json_t *arr;

	pthread_mutex_lock(&table_lock);
	arr = others(c, 0, tame_now_ms());
	pthread_mutex_unlock(&table_lock);
	http_json(c, 200, arr ? json_pack("{s:o}", "presence", arr) : NULL);
}

/* See http_presence.h. */
void
http_presence_forget(int64_t agent_id)
{
	size_t i;

	pthread_mutex_lock(&table_lock);
	for (i = 0; i < TAME_PRESENCE_MAX; i++)
		if (table[i].agent_id == agent_id)
			table[i].ticket_id = 0;
	pthread_mutex_unlock(&table_lock);
}

void
http_presence_newer(struct http_ctx *c, int64_t newer, int reply)
{
	http_json(c, 409, json_pack("{s:{s:s,s:s,s:I}}", "error", "code",
	    "new_message", "message", reply ? "a colleague answered the "
	    "customer since you started; read that reply, or send with "
	    "\"force\": true" : "the customer wrote again since you "
	    "started; read the new message, or send with \"force\": true",
	    "message_id", (json_int_t)newer));
}
