/*
 * store_intel.h - what the queue intelligence keeps in the store: tone
 * and outlier flags on messages and tickets, trends and each ticket's
 * trend, the intelligence thread's positions, answers kept for
 * Idempotency-Key retries, and the look-ups of "similar cases".
 *
 * Model: the trend index itself lives in tamed's memory (net/intel.c);
 * the store is its durable mirror. The intelligence thread reads new
 * messages and status changes after a position, writes tone, flags and
 * ticket trends in batches in its own transactions; agents' decisions
 * about trends (names, merges, splits, tickets moved out) are written
 * by the HTTP threads. Every function follows store.h's conventions
 * (strings borrowed in, owned out; callers group writes with
 * store_begin/store_commit) and dispatches through the backend's
 * `struct store_intel_ops` (store_intel.c).
 */
#ifndef TAME_STORE_INTEL_H
#define TAME_STORE_INTEL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../core/err.h"
#include "../core/model.h"

struct store;

/* Outlier flags: bits of tickets.flag_bits, and the kinds of the API. */
enum store_flag {
	STORE_FLAG_LONG_MESSAGE = 1,   /* a very long customer message */
	STORE_FLAG_MANY_MESSAGES = 2,  /* 12 or more messages (computed) */
	STORE_FLAG_WAITING_LONG = 4,   /* waiting much longer than usual
	                                  (computed) */
	STORE_FLAG_REPEAT = 8,         /* the customer writes again and again */
	STORE_FLAG_REOPENED = 16,      /* reopened repeatedly */
	STORE_FLAG_ABUSIVE = 32        /* an abusive customer message */
};
/* Messages from which a thread counts as many back-and-forths. */
#define STORE_FLAG_MANY_AT 12
/* intel_state key: customer wait (ms) beyond which an open ticket is
 * "waiting much longer than usual"; kept current by tamed. */
#define STORE_WAIT_FLAG_KEY "wait_flag_ms"
#define STORE_WAIT_USUAL_KEY "wait_usual_ms"
/* The threshold until tamed has measured the usual wait: a day. */
#define STORE_WAIT_FLAG_DEFAULT_MS (24 * 3600 * 1000LL)

/* "long_message", ...; NULL for a bit that is no flag. */
const char *store_flag_name(enum store_flag f);
/* The bit of a kind name; 0 when unknown. */
enum store_flag store_flag_parse(const char *name);

/* Lets this connection's commits skip the wait for the disk
 * (synchronous=NORMAL in WAL mode): a power cut may lose the last ones,
 * never corrupt anything. For the intelligence thread, whose findings
 * are derived from stored mail and whose positions are written in the
 * same transactions: what is lost is found again. */
enum tame_err store_intel_relaxed(struct store *s);

/* ---- reading what is new ---- */

/* A message as the intelligence thread reads it. */
struct store_intel_msg {
	int64_t id;
	int64_t ticket_id;
	enum msg_direction dir;
	int automatic;         /* auto_submitted or unparsed */
	int64_t created_at;
	char *text;            /* at most max_text bytes; may be NULL */
};
/* Messages with id > after, oldest first, at most max, their text cut
 * to max_text bytes. *out is malloc'd (NULL when *n is 0); free with
 * store_intel_msgs_free. */
enum tame_err store_intel_messages(struct store *s, int64_t after,
    size_t max, size_t max_text, struct store_intel_msg **out, size_t *n);
void store_intel_msgs_free(struct store_intel_msg *v, size_t n);

/* Tickets with an event after *pos (one entry each, at most max), with
 * their status now; advances *pos past what was read. */
struct store_intel_status {
	int64_t ticket_id;
	enum ticket_status status;
};
enum tame_err store_intel_events(struct store *s, int64_t *pos,
    struct store_intel_status *out, size_t max, size_t *n);

/* A ticket as trend placement reads it. */
struct store_intel_ticket {
	int64_t id;
	enum ticket_status status;
	int64_t created_at;
	int64_t trend_id;      /* 0: none */
	int trend_pin;         /* 0 automatic, 1 split off, 2 moved out */
	int automatic;         /* its first customer message is automatic */
	char *subject;
	char *text;            /* first customer message, at most max_text */
};
void store_intel_ticket_clear(struct store_intel_ticket *t);
/* TAME_ENOTFOUND. */
enum tame_err store_intel_ticket(struct store *s, int64_t id,
    size_t max_text, struct store_intel_ticket *out);
/* Open tickets (new, open, pending) with id > after, ascending, at most
 * max; *out malloc'd, each cleared and the array freed by
 * store_intel_tickets_free. */
enum tame_err store_intel_open_tickets(struct store *s, int64_t after,
    size_t max, size_t max_text, struct store_intel_ticket **out,
    size_t *n);
void store_intel_tickets_free(struct store_intel_ticket *v, size_t n);
/* The newest message and event ids (0 when none): where following
 * starts when there is no position yet. */
enum tame_err store_intel_heads(struct store *s, int64_t *msg, int64_t *ev);
/* The id just below the keep newest open tickets (0 when there are
 * fewer): where the start-up rebuild begins. */
enum tame_err store_intel_open_from(struct store *s, int64_t keep,
    int64_t *after);

/* ---- writing what was found ---- */

/* Stores the tone JSON text of message msg_id, its word count and
 * whether it is abusive; the ticket takes it as its tone when it is its
 * latest customer message. */
enum tame_err store_intel_message_tone(struct store *s, int64_t msg_id,
    const char *tone, int64_t words, int abusive);

/* What outlier flags are computed from (store_intel_flag_facts). */
struct store_flag_facts {
	int64_t customer_id;
	enum ticket_status status;
	int64_t messages;         /* in the thread, all directions */
	int64_t max_words;        /* longest customer message, words */
	int64_t in_a_row;         /* customer messages since our last reply */
	int64_t reopened;         /* "ticket.reopened" events */
	int64_t abusive;          /* abusive customer messages */
	char *abusive_tone;       /* tone JSON of the latest one, or NULL */
	int64_t customer_recent;  /* the customer's tickets since `since`,
	                             up to STORE_RECENT_MAX */
};
/* customer_recent counts no further: a monitor writing thousands of
 * tickets a week would otherwise cost a read of every one of them each
 * time one of its tickets is looked at. This many means "or more". */
#define STORE_RECENT_MAX 20
/* Fills *out for ticket tid (caller frees out->abusive_tone).
 * TAME_ENOTFOUND. */
enum tame_err store_intel_flag_facts(struct store *s, int64_t tid,
    int64_t since, struct store_flag_facts *out);
/* Sets the ticket's stored flags: bits (enum store_flag) and the JSON
 * array text of {kind, reason} (NULL for none). TAME_ENOTFOUND when
 * nothing changed: the ticket is not there, or had these flags. */
enum tame_err store_intel_ticket_flags(struct store *s, int64_t tid,
    int64_t bits, const char *flags);
/* Sets the ticket's trend (0: none). */
enum tame_err store_intel_ticket_trend(struct store *s, int64_t tid,
    int64_t trend_id);
/* Sets how an agent placed the ticket (0, 1 split off, 2 moved out). */
enum tame_err store_intel_ticket_pin(struct store *s, int64_t tid, int pin);

/* ---- trends ---- */

enum store_trend_kind {
	STORE_TREND_AUTO = 0,
	STORE_TREND_SPLIT,     /* split off by an agent */
	STORE_TREND_SOLO       /* a ticket an agent moved out on its own */
};

struct store_trend {
	int64_t id;
	char *label;           /* an agent's name, or NULL */
	char *auto_label;      /* the telling words, or NULL */
	enum store_trend_kind kind;
	int64_t merged_into;   /* 0: not merged */
};
void store_trend_clear(struct store_trend *t);

/* Creates a trend row; *id gets its public id. */
enum tame_err store_trend_create(struct store *s, enum store_trend_kind kind,
    int64_t now, int64_t *id);
/* TAME_ENOTFOUND. */
enum tame_err store_trend_get(struct store *s, int64_t id,
    struct store_trend *out);
/* The trends an agent did something to (named, made, merged): what a
 * restart must restore. *out malloc'd; free each with store_trend_clear
 * and the array with free(). */
enum tame_err store_trends_decided(struct store *s, struct store_trend **out,
    size_t *n);
/* Sets the automatic label (the telling words). */
enum tame_err store_trend_auto_label(struct store *s, int64_t id,
    const char *label);
/* An agent's name; NULL gives back the automatic label. */
enum tame_err store_trend_set_label(struct store *s, int64_t id,
    const char *label, int64_t now);
/* Records that from went into into, and moves every ticket of from
 * (open or not) to into. */
enum tame_err store_trend_merge(struct store *s, int64_t into, int64_t from,
    int64_t now);

/* An open ticket of a trend, for a mass reply. */
struct store_trend_rcpt {
	int64_t ticket_id;
	int64_t customer_id;
	char *email;
	char *name;            /* may be NULL */
	char *subject;
};
/* The open tickets (new, open, pending) of trend id, oldest first, at
 * most max (*more = 1 when there are more). *out malloc'd; free with
 * store_trend_rcpts_free. */
enum tame_err store_trend_rcpts(struct store *s, int64_t id, size_t max,
    struct store_trend_rcpt **out, size_t *n, int *more);
void store_trend_rcpts_free(struct store_trend_rcpt *v, size_t n);

/* {"<id>": {id, subject, status, customer:{id,email,name}, created_at,
 * message_count}} for the n tickets of ids that exist. */
enum tame_err store_intel_tickets_brief(struct store *s, const int64_t *ids,
    size_t n, json_t **out);

/* ---- positions and figures ---- */

/* TAME_ENOTFOUND when key was never set. */
enum tame_err store_intel_state_get(struct store *s, const char *key,
    int64_t *v);
enum tame_err store_intel_state_set(struct store *s, const char *key,
    int64_t v);
/* The median time from a ticket's creation to our first reply, over
 * the last max tickets created after since that got one; *samples how
 * many there were (0: *median_ms is 0). */
enum tame_err store_intel_usual_wait(struct store *s, int64_t since,
    int64_t max, int64_t *median_ms, int64_t *samples);

/* ---- mass replies: safe retries ---- */

enum store_idem_state {
	STORE_IDEM_NEW = 0,    /* the key is ours now: do the work */
	STORE_IDEM_DONE,       /* answered before: *status and *body */
	STORE_IDEM_RUNNING,    /* another request with it is at work */
	STORE_IDEM_MISMATCH    /* used before for a different request */
};
/* Claims key for agent_id and the request (a hash of what was asked).
 * A claim older than stale_before that never finished is taken over
 * (the process died at work): *state NEW and *since its first time, so
 * the caller can skip what was already done. *body malloc'd for DONE. */
enum tame_err store_idem_claim(struct store *s, int64_t agent_id,
    const char *key, const char *request, int64_t now, int64_t stale_before,
    enum store_idem_state *state, int64_t *since, int *status, char **body);
/* Stores the answer of a claimed key. */
enum tame_err store_idem_finish(struct store *s, int64_t agent_id,
    const char *key, int status, const char *body);
/* Forgets a claimed key whose request did nothing. */
enum tame_err store_idem_release(struct store *s, int64_t agent_id,
    const char *key);
/* *yes = 1 if ticket tid has an outbound message by agent_id written at
 * or after since with exactly text. */
enum tame_err store_intel_reply_done(struct store *s, int64_t tid,
    int64_t agent_id, int64_t since, const char *text, int *yes);

/* ---- mass replies: who was answered lately ---- */

/* An agent's reply that a mass reply should know of before it writes
 * to the same customer again. */
struct store_answered {
	int64_t ticket_id;      /* 0: there is none */
	int64_t message_id;
	int64_t agent_id;
	char *agent_name;       /* malloc'd, may be NULL */
	int64_t at;             /* when it was written */
};
/* Agents' replies written at or after since, that have not failed for
 * good: into *here the newest on ticket tid after which the customer
 * has not written (their automatic mail does not count), into *other
 * the newest to the same customer on another ticket. Clear both with
 * store_answered_clear. */
enum tame_err store_intel_answered(struct store *s, int64_t tid,
    int64_t since, struct store_answered *here, struct store_answered *other);
void store_answered_clear(struct store_answered *a);
/* *msg_id = our last reply on ticket tid when its text is exactly text
 * (as stored: signature and all), it was written at or after since, has
 * not failed for good, and the customer has not written after it (their
 * quiet mail, an out-of-office, does not count); 0 otherwise. */
enum tame_err store_intel_same_reply(struct store *s, int64_t tid,
    const char *text, int64_t since, int64_t *msg_id);
/* Makes ticket tid agent_id's when nobody has it: *taken = 1 then, 0
 * when it had an assignee (left as it was). */
enum tame_err store_intel_take(struct store *s, int64_t tid,
    int64_t agent_id, int64_t now, int *taken);

/* What happened to a ticket after an agent looked at it (a mass
 * reply's dialog) that makes their reply to it wrong: someone answered
 * the customer, the ticket was solved or closed, or it was merged into
 * another. The customer's own mail is none of these: a mass answer to
 * their follow-up is still the agent's call. */
enum store_meanwhile_kind {
	MEANWHILE_NONE,
	MEANWHILE_ANSWERED,
	MEANWHILE_SOLVED,
	MEANWHILE_CLOSED,
	MEANWHILE_MERGED,
};
struct store_meanwhile {
	enum store_meanwhile_kind kind;
	int64_t agent_id;       /* who did it; 0 for tamed itself */
	char *agent_name;       /* malloc'd, may be NULL */
	int64_t at;
	int64_t message_id;     /* answered: the reply */
	int64_t into;           /* merged: the ticket it went into */
};
/* Into *out what happened to ticket tid after event since (an id of
 * store_intel_heads' *ev): an answer first (the customer has one),
 * else the newest solve, close or merge; kind MEANWHILE_NONE when
 * nothing did. Clear with store_meanwhile_clear. */
enum tame_err store_intel_meanwhile(struct store *s, int64_t tid,
    int64_t since, struct store_meanwhile *out);
void store_meanwhile_clear(struct store_meanwhile *m);

/* ---- similar cases ---- */

/* Solved or closed tickets other than exclude with one of the newest
 * hits messages matching the FTS5 expression match, newest first, at
 * most max. Newest first, not by bm25: ranking every hit of a common
 * word costs tens of milliseconds, and the caller scores the few
 * candidates itself. */
struct store_similar_hit {
	int64_t ticket_id;
	int64_t message_id;    /* its newest matching message */
};
enum tame_err store_intel_similar(struct store *s, const char *match,
    int64_t exclude, size_t hits, size_t max, struct store_similar_hit *out,
    size_t *n);
/* A solved case: its subject and first customer message (at most
 * max_text bytes) and the last reply we sent (NULL when none), who sent
 * it and when. Strings malloc'd; free with store_case_clear. */
struct store_case {
	int64_t ticket_id;
	enum ticket_status status;
	char *subject;
	char *text;
	int64_t reply_id;
	char *reply;
	char *reply_by;
	int64_t reply_at;
	int64_t updated_at;
};
enum tame_err store_intel_case(struct store *s, int64_t tid, size_t max_text,
    struct store_case *out);
void store_case_clear(struct store_case *c);

/* ---- for backends ---- */

/* The table a storage engine fills in (store_backend.h's member intel);
 * each member has the semantics of the store_* function of its name. */
struct store_intel_ops {
	enum tame_err (*relaxed)(struct store *s);
	enum tame_err (*messages)(struct store *s, int64_t after, size_t max,
	    size_t max_text, struct store_intel_msg **out, size_t *n);
	enum tame_err (*events)(struct store *s, int64_t *pos,
	    struct store_intel_status *out, size_t max, size_t *n);
	enum tame_err (*ticket)(struct store *s, int64_t id, size_t max_text,
	    struct store_intel_ticket *out);
	enum tame_err (*open_tickets)(struct store *s, int64_t after,
	    size_t max, size_t max_text, struct store_intel_ticket **out,
	    size_t *n);
	enum tame_err (*open_from)(struct store *s, int64_t keep,
	    int64_t *after);
	enum tame_err (*heads)(struct store *s, int64_t *msg, int64_t *ev);
	enum tame_err (*message_tone)(struct store *s, int64_t msg_id,
	    const char *tone, int64_t words, int abusive);
	enum tame_err (*flag_facts)(struct store *s, int64_t tid,
	    int64_t since, struct store_flag_facts *out);
	enum tame_err (*ticket_flags)(struct store *s, int64_t tid,
	    int64_t bits, const char *flags);
	enum tame_err (*ticket_trend)(struct store *s, int64_t tid,
	    int64_t trend_id);
	enum tame_err (*ticket_pin)(struct store *s, int64_t tid, int pin);
	enum tame_err (*trend_create)(struct store *s,
	    enum store_trend_kind kind, int64_t now, int64_t *id);
	enum tame_err (*trend_get)(struct store *s, int64_t id,
	    struct store_trend *out);
	enum tame_err (*trends_decided)(struct store *s,
	    struct store_trend **out, size_t *n);
	enum tame_err (*trend_auto_label)(struct store *s, int64_t id,
	    const char *label);
	enum tame_err (*trend_set_label)(struct store *s, int64_t id,
	    const char *label, int64_t now);
	enum tame_err (*trend_merge)(struct store *s, int64_t into,
	    int64_t from, int64_t now);
	enum tame_err (*trend_rcpts)(struct store *s, int64_t id, size_t max,
	    struct store_trend_rcpt **out, size_t *n, int *more);
	enum tame_err (*tickets_brief)(struct store *s, const int64_t *ids,
	    size_t n, json_t **out);
	enum tame_err (*state_get)(struct store *s, const char *key,
	    int64_t *v);
	enum tame_err (*state_set)(struct store *s, const char *key,
	    int64_t v);
	enum tame_err (*usual_wait)(struct store *s, int64_t since,
	    int64_t max, int64_t *median_ms, int64_t *samples);
	enum tame_err (*idem_claim)(struct store *s, int64_t agent_id,
	    const char *key, const char *request, int64_t now,
	    int64_t stale_before, enum store_idem_state *state,
	    int64_t *since, int *status, char **body);
	enum tame_err (*idem_finish)(struct store *s, int64_t agent_id,
	    const char *key, int status, const char *body);
	enum tame_err (*idem_release)(struct store *s, int64_t agent_id,
	    const char *key);
	enum tame_err (*reply_done)(struct store *s, int64_t tid,
	    int64_t agent_id, int64_t since, const char *text, int *yes);
	enum tame_err (*answered)(struct store *s, int64_t tid,
	    int64_t since, struct store_answered *here,
	    struct store_answered *other);
	enum tame_err (*same_reply)(struct store *s, int64_t tid,
	    const char *text, int64_t since, int64_t *msg_id);
	enum tame_err (*take)(struct store *s, int64_t tid, int64_t agent_id,
	    int64_t now, int *taken);
	enum tame_err (*meanwhile)(struct store *s, int64_t tid,
	    int64_t since, struct store_meanwhile *out);
	enum tame_err (*similar)(struct store *s, const char *match,
	    int64_t exclude, size_t hits, size_t max,
	    struct store_similar_hit *out, size_t *n);
	enum tame_err (*case_get)(struct store *s, int64_t tid,
	    size_t max_text, struct store_case *out);
};

/* The SQLite engine's table (store_sqlite_intel.c). */
extern const struct store_intel_ops store_sqlite_intel_ops;

#endif
