/*
 * store_intel.c - the public store_intel_* and store_trend_* functions
 * (store_intel.h): checks that are the same for every engine, then a
 * call through the backend's intelligence table (s->be->intel).
 *
 * Model: like store.c and store_imap.c, for one feature. An engine that
 * has no such table answers TAME_ESTORE, so tamed runs without the
 * intelligence rather than not at all.
 */
#include <stdlib.h>
#include <string.h>
#include "../tame_limits.h"
#include "store_backend.h"

#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		store_set_errmsg(s, "%s: bad argument (%s)", __func__,	\
		    #cond);						\
		return TAME_EINVAL;					\
	}								\
} while (0)

/* The engine's table, or an error return. */
#define OPS(s) do {							\
	if (!(s)->be->intel) {						\
		store_set_errmsg(s, "%s: not supported by %s", __func__,	\
		    (s)->be->name);					\
		return TAME_ESTORE;					\
	}								\
} while (0)

/* Agents' trend names: what trend.h keeps (200 bytes). */
#define TREND_NAME_MAX 200
/* An Idempotency-Key: RFC drafts allow any string; ours are bounded. */
#define IDEM_KEY_MAX 200

enum tame_err
store_intel_relaxed(struct store *s)
{
	OPS(s);
	return s->be->intel->relaxed(s);
}

enum tame_err
store_intel_messages(struct store *s, int64_t after, size_t max,
    size_t max_text, struct store_intel_msg **out, size_t *n)
{
	REQUIRE(out && n && after >= 0);
	OPS(s);
	return s->be->intel->messages(s, after, max, max_text, out, n);
}

enum tame_err
store_intel_events(struct store *s, int64_t *pos,
    struct store_intel_status *out, size_t max, size_t *n)
{
	REQUIRE(pos && out && n && *pos >= 0);
	OPS(s);
	return s->be->intel->events(s, pos, out, max, n);
}

enum tame_err
store_intel_ticket(struct store *s, int64_t id, size_t max_text,
    struct store_intel_ticket *out)
{
	REQUIRE(out && id > 0);
	OPS(s);
	return s->be->intel->ticket(s, id, max_text, out);
}

enum tame_err
store_intel_open_tickets(struct store *s, int64_t after, size_t max,
    size_t max_text, struct store_intel_ticket **out, size_t *n)
{
	REQUIRE(out && n && after >= 0);
	OPS(s);
	return s->be->intel->open_tickets(s, after, max, max_text, out, n);
}

enum tame_err
store_intel_heads(struct store *s, int64_t *msg, int64_t *ev)
{
	REQUIRE(msg && ev);
	OPS(s);
	return s->be->intel->heads(s, msg, ev);
}

enum tame_err
store_intel_open_from(struct store *s, int64_t keep, int64_t *after)
{
	REQUIRE(after && keep >= 0);
	OPS(s);
	return s->be->intel->open_from(s, keep, after);
}

enum tame_err
store_intel_message_tone(struct store *s, int64_t msg_id, const char *tone,
    int64_t words, int abusive)
{
	REQUIRE(msg_id > 0 && tone);
	OPS(s);
	return s->be->intel->message_tone(s, msg_id, tone, words, abusive);
}

enum tame_err
store_intel_flag_facts(struct store *s, int64_t tid, int64_t since,
    struct store_flag_facts *out)
{
	REQUIRE(out && tid > 0);
	OPS(s);
	return s->be->intel->flag_facts(s, tid, since, out);
}

enum tame_err
store_intel_ticket_flags(struct store *s, int64_t tid, int64_t bits,
    const char *flags)
{
	REQUIRE(tid > 0 && bits >= 0);
	OPS(s);
	return s->be->intel->ticket_flags(s, tid, bits, flags);
}

enum tame_err
store_intel_ticket_trend(struct store *s, int64_t tid, int64_t trend_id)
{
	REQUIRE(tid > 0 && trend_id >= 0);
	OPS(s);
	return s->be->intel->ticket_trend(s, tid, trend_id);
}

enum tame_err
store_intel_ticket_pin(struct store *s, int64_t tid, int pin)
{
	REQUIRE(tid > 0 && pin >= 0 && pin <= 2);
	OPS(s);
	return s->be->intel->ticket_pin(s, tid, pin);
}

enum tame_err
store_trend_create(struct store *s, enum store_trend_kind kind, int64_t now,
    int64_t *id)
{
	REQUIRE(id && (unsigned)kind <= STORE_TREND_SOLO);
	OPS(s);
	return s->be->intel->trend_create(s, kind, now, id);
}

enum tame_err
store_trend_get(struct store *s, int64_t id, struct store_trend *out)
{
	REQUIRE(out);
	memset(out, 0, sizeof(*out));
	if (id <= 0)
		return TAME_ENOTFOUND;
	OPS(s);
	return s->be->intel->trend_get(s, id, out);
}

enum tame_err
store_trends_decided(struct store *s, struct store_trend **out, size_t *n)
{
	REQUIRE(out && n);
	OPS(s);
	return s->be->intel->trends_decided(s, out, n);
}

enum tame_err
store_trend_auto_label(struct store *s, int64_t id, const char *label)
{
	REQUIRE(id > 0);
	OPS(s);
	return s->be->intel->trend_auto_label(s, id, label);
}

enum tame_err
store_trend_set_label(struct store *s, int64_t id, const char *label,
    int64_t now)
{
	REQUIRE(id > 0);
	if (label && strlen(label) > TREND_NAME_MAX) {
		store_set_errmsg(s, "trend name longer than %d bytes",
		    TREND_NAME_MAX);
		return TAME_ETOOBIG;
	}
	OPS(s);
	return s->be->intel->trend_set_label(s, id, label && *label ? label :
	    NULL, now);
}

enum tame_err
store_trend_merge(struct store *s, int64_t into, int64_t from, int64_t now)
{
	REQUIRE(into > 0 && from > 0);
	OPS(s);
	return s->be->intel->trend_merge(s, into, from, now);
}

enum tame_err
store_trend_rcpts(struct store *s, int64_t id, size_t max,
    struct store_trend_rcpt **out, size_t *n, int *more)
{
	REQUIRE(out && n && more && id > 0);
	OPS(s);
	return s->be->intel->trend_rcpts(s, id, max, out, n, more);
}

enum tame_err
store_intel_tickets_brief(struct store *s, const int64_t *ids, size_t n,
    json_t **out)
{
	REQUIRE(out && (ids || n == 0) && n <= TAME_LIST_LIMIT_MAX);
	OPS(s);
	return s->be->intel->tickets_brief(s, ids, n, out);
}

enum tame_err
store_intel_state_get(struct store *s, const char *key, int64_t *v)
{
	REQUIRE(key && v);
	OPS(s);
	return s->be->intel->state_get(s, key, v);
}

enum tame_err
store_intel_state_set(struct store *s, const char *key, int64_t v)
{
	REQUIRE(key);
	OPS(s);
	return s->be->intel->state_set(s, key, v);
}

enum tame_err
store_intel_usual_wait(struct store *s, int64_t since, int64_t max,
    int64_t *median_ms, int64_t *samples)
{
	REQUIRE(median_ms && samples && max > 0);
	OPS(s);
	return s->be->intel->usual_wait(s, since, max, median_ms, samples);
}

enum tame_err
store_idem_claim(struct store *s, int64_t agent_id, const char *key,
    const char *request, int64_t now, int64_t stale_before,
    enum store_idem_state *state, int64_t *since, int *status, char **body)
{
	REQUIRE(key && *key && request && state && since && status && body);
	if (strlen(key) > IDEM_KEY_MAX) {
		store_set_errmsg(s, "Idempotency-Key longer than %d bytes",
		    IDEM_KEY_MAX);
		return TAME_ETOOBIG;
	}
	OPS(s);
	return s->be->intel->idem_claim(s, agent_id, key, request, now,
	    stale_before, state, since, status, body);
}

enum tame_err
store_idem_finish(struct store *s, int64_t agent_id, const char *key,
    int status, const char *body)
{
	REQUIRE(key && body);
	OPS(s);
	return s->be->intel->idem_finish(s, agent_id, key, status, body);
}

enum tame_err
store_idem_release(struct store *s, int64_t agent_id, const char *key)
{
	REQUIRE(key);
	OPS(s);
	return s->be->intel->idem_release(s, agent_id, key);
}

enum tame_err
store_intel_reply_done(struct store *s, int64_t tid, int64_t agent_id,
    int64_t since, const char *text, int *yes)
{
	REQUIRE(tid > 0 && text && yes);
	OPS(s);
	return s->be->intel->reply_done(s, tid, agent_id, since, text, yes);
}

enum tame_err
store_intel_answered(struct store *s, int64_t tid, int64_t since,
    struct store_answered *here, struct store_answered *other)
{
	REQUIRE(tid > 0 && here && other);
	memset(here, 0, sizeof(*here));
	memset(other, 0, sizeof(*other));
	OPS(s);
	return s->be->intel->answered(s, tid, since, here, other);
}

void
store_answered_clear(struct store_answered *a)
{
	free(a->agent_name);
	memset(a, 0, sizeof(*a));
}

enum tame_err
store_intel_same_reply(struct store *s, int64_t tid, const char *text,
    int64_t since, int64_t *msg_id)
{
	REQUIRE(tid > 0 && text && msg_id);
	*msg_id = 0;
	OPS(s);
	return s->be->intel->same_reply(s, tid, text, since, msg_id);
}

enum tame_err
store_intel_take(struct store *s, int64_t tid, int64_t agent_id, int64_t now,
    int *taken)
{
	REQUIRE(tid > 0 && agent_id > 0 && taken);
	*taken = 0;
	OPS(s);
	return s->be->intel->take(s, tid, agent_id, now, taken);
}

enum tame_err
store_intel_meanwhile(struct store *s, int64_t tid, int64_t since,
    struct store_meanwhile *out)
{
	REQUIRE(tid > 0 && since >= 0 && out);
	memset(out, 0, sizeof(*out));
	OPS(s);
	return s->be->intel->meanwhile(s, tid, since, out);
}

void
store_meanwhile_clear(struct store_meanwhile *m)
{
	free(m->agent_name);
	memset(m, 0, sizeof(*m));
}

/* FTS5 hits read at most for one similar-cases look-up. */
#define SIMILAR_HITS_MAX 2000

enum tame_err
store_intel_similar(struct store *s, const char *match, int64_t exclude,
    size_t hits, size_t max, struct store_similar_hit *out, size_t *n)
{
	REQUIRE(match && *match && out && n && hits <= SIMILAR_HITS_MAX);
	if (strlen(match) > TAME_QUERY_MAX * 16) {
		store_set_errmsg(s, "similar: query too long");
		return TAME_ETOOBIG;
	}
	OPS(s);
	return s->be->intel->similar(s, match, exclude, hits, max, out, n);
}

enum tame_err
store_intel_case(struct store *s, int64_t tid, size_t max_text,
    struct store_case *out)
{
	REQUIRE(out && tid > 0);
	OPS(s);
	return s->be->intel->case_get(s, tid, max_text, out);
}
