/*
 * test_intel_store.c - the queue intelligence's part of the store
 * (store_intel.h on SQLite): what the ticket views show and filter
 * (trend, tone, flags, the computed "many messages" and "waiting long"),
 * trend rows and merges, the answers kept for Idempotency-Key retries,
 * and the look-up of similar solved cases. Each test opens a fresh store
 * in a mkdtemp directory under $TMPDIR (tmpdir.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "store/store.h"
#include "core/util.h"
#include "tmpdir.h"

#define DAY (24 * 3600 * 1000LL)

struct fx {
	char dir[64];
	struct store *s;
	int64_t mbox, cust, now;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpdir_make(f->dir, sizeof(f->dir), "intel");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	f->now = tame_now_ms();
	assert_int_equal(store_mailbox_create(f->s, "help@example.com", "Help",
	    f->now, &f->mbox), TAME_OK);
	assert_int_equal(store_customer_upsert(f->s, "bob@customer.org", "Bob",
	    f->now, &f->cust), TAME_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* A message of dir on ticket tid at time at; answers its id. */
static int64_t
add_msg(struct fx *f, int64_t tid, enum msg_direction dir, const char *text,
    int64_t at)
{
	struct message_new m;
	int64_t id;

	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = dir;
	m.from_email = dir == MSG_IN ? "bob@customer.org" : "help@example.com";
	m.subject = "subject";
	m.text = text;
	m.created_at = at;
	assert_int_equal(store_message_add(f->s, &m, &id), TAME_OK);
	return id;
}

static int64_t
add_ticket(struct fx *f, const char *subject, const char *text, int64_t at)
{
	int64_t tid;

	assert_int_equal(store_ticket_create(f->s, f->mbox, f->cust, subject,
	    TICKET_NEW, 0, at, &tid), TAME_OK);
	add_msg(f, tid, MSG_IN, text, at);
	return tid;
}

/* The list for q as parsed JSON (caller decrefs). */
static json_t *
list(struct fx *f, struct ticket_query *q)
{
	json_t *v = NULL;

	if (!q->limit)
		q->limit = 50;
	assert_int_equal(store_tickets_view(f->s, q, &v), TAME_OK);
	return v;
}

static json_t *
flag_of(json_t *ticket, const char *kind)
{
	json_t *fl;
	size_t i;

	json_array_foreach(json_object_get(ticket, "flags"), i, fl)
		if (strcmp(json_string_value(json_object_get(fl, "kind")),
		    kind) == 0)
			return fl;
	return NULL;
}

static void
test_computed_flags_and_filters(void **state)
{
	struct fx *f = *state;
	struct ticket_query q;
	json_t *v, *t, *fl;
	int64_t old, busy, i;

	old = add_ticket(f, "Old one", "Still waiting.", f->now - 3 * DAY);
	busy = add_ticket(f, "Busy one", "Hello", f->now);
	for (i = 0; i < 11; i++)
		add_msg(f, busy, i % 2 ? MSG_IN : MSG_OUT, "more", f->now);

	/* no usual wait measured yet: a day is the limit */
	memset(&q, 0, sizeof(q));
	q.flags = STORE_FLAG_WAITING_LONG;
	v = list(f, &q);
	assert_int_equal(json_array_size(json_object_get(v, "tickets")), 1);
	t = json_array_get(json_object_get(v, "tickets"), 0);
	assert_int_equal(json_integer_value(json_object_get(t, "id")), old);
	fl = flag_of(t, "waiting_long");
	assert_non_null(fl);
	assert_non_null(strstr(json_string_value(json_object_get(fl,
	    "reason")), "waiting for 3 d"));
	assert_null(flag_of(t, "many_messages"));
	json_decref(v);

	/* a measured usual wait: its three times is the limit */
	assert_int_equal(store_intel_state_set(f->s, STORE_WAIT_USUAL_KEY,
	    20 * 60000), TAME_OK);
	assert_int_equal(store_intel_state_set(f->s, STORE_WAIT_FLAG_KEY,
	    3600000), TAME_OK);
	assert_int_equal(store_ticket_view(f->s, old, &v), TAME_OK);
	fl = flag_of(json_object_get(v, "ticket"), "waiting_long");
	assert_non_null(strstr(json_string_value(json_object_get(fl,
	    "reason")), "a first answer usually takes 20 min"));
	json_decref(v);

	q.flags = STORE_FLAG_MANY_MESSAGES;
	v = list(f, &q);
	t = json_array_get(json_object_get(v, "tickets"), 0);
	assert_int_equal(json_array_size(json_object_get(v, "tickets")), 1);
	assert_int_equal(json_integer_value(json_object_get(t, "id")), busy);
	assert_non_null(strstr(json_string_value(json_object_get(flag_of(t,
	    "many_messages"), "reason")), "12 messages"));
	json_decref(v);

	/* stored flags: shown as written, filtered by their bit */
	assert_int_equal(store_intel_ticket_flags(f->s, busy, STORE_FLAG_ABUSIVE,
	    "[{\"kind\":\"abusive\",\"reason\":\"abusive language\"}]"),
	    TAME_OK);
	/* the same again changes nothing, and says so (no live event) */
	assert_int_equal(store_intel_ticket_flags(f->s, busy, STORE_FLAG_ABUSIVE,
	    "[{\"kind\":\"abusive\",\"reason\":\"abusive language\"}]"),
	    TAME_ENOTFOUND);
	q.flags = STORE_FLAG_ABUSIVE | STORE_FLAG_REOPENED;
	v = list(f, &q);
	t = json_array_get(json_object_get(v, "tickets"), 0);
	assert_int_equal(json_array_size(json_object_get(v, "tickets")), 1);
	assert_non_null(flag_of(t, "abusive"));
	assert_non_null(flag_of(t, "many_messages"));
	json_decref(v);
	/* solved: no longer waiting */
	assert_int_equal(store_ticket_set_status(f->s, old, TICKET_SOLVED,
	    f->now), TAME_OK);
	memset(&q, 0, sizeof(q));
	q.flags = STORE_FLAG_WAITING_LONG;
	v = list(f, &q);
	assert_int_equal(json_array_size(json_object_get(v, "tickets")), 0);
	json_decref(v);
}

static void
test_trend_and_tone_on_tickets(void **state)
{
	struct fx *f = *state;
	struct ticket_query q;
	struct store_trend tr;
	struct store_flag_facts facts;
	int64_t a, b, m2, ta, tb;
	json_t *v, *t;

	a = add_ticket(f, "Card", "My card has not arrived.", f->now);
	b = add_ticket(f, "Card too", "Where is my card?", f->now);
	m2 = add_msg(f, a, MSG_IN, "You idiots!", f->now);
	assert_int_equal(store_trend_create(f->s, STORE_TREND_AUTO, f->now,
	    &ta), TAME_OK);
	assert_int_equal(store_trend_create(f->s, STORE_TREND_AUTO, f->now,
	    &tb), TAME_OK);
	assert_int_equal(store_trend_auto_label(f->s, ta, "card, arrived"),
	    TAME_OK);
	assert_int_equal(store_intel_ticket_trend(f->s, a, ta), TAME_OK);
	assert_int_equal(store_intel_ticket_trend(f->s, b, tb), TAME_OK);
	assert_int_equal(store_intel_message_tone(f->s, m2,
	    "{\"sentiment\":-0.8,\"abusive\":true}", 2, 1), TAME_OK);

	memset(&q, 0, sizeof(q));
	q.trend_id = ta;
	v = list(f, &q);
	assert_int_equal(json_array_size(json_object_get(v, "tickets")), 1);
	t = json_array_get(json_object_get(v, "tickets"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(t,
	    "trend"), "label")), "card, arrived");
	assert_true(json_real_value(json_object_get(json_object_get(t, "tone"),
	    "sentiment")) < -0.5);
	json_decref(v);

	/* an agent's name wins; a merge moves the tickets */
	assert_int_equal(store_trend_set_label(f->s, ta, "Lost cards", f->now),
	    TAME_OK);
	assert_int_equal(store_trend_merge(f->s, ta, tb, f->now), TAME_OK);
	q.trend_id = ta;
	v = list(f, &q);
	assert_int_equal(json_array_size(json_object_get(v, "tickets")), 2);
	t = json_array_get(json_object_get(v, "tickets"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(t,
	    "trend"), "label")), "Lost cards");
	json_decref(v);
	assert_int_equal(store_trend_get(f->s, tb, &tr), TAME_OK);
	assert_int_equal(tr.merged_into, ta);
	store_trend_clear(&tr);
	assert_int_equal(store_trend_merge(f->s, ta, ta, f->now), TAME_EINVAL);

	/* each customer message carries its tone, our replies none */
	add_msg(f, a, MSG_OUT, "Sorry!", f->now);
	assert_int_equal(store_ticket_view(f->s, a, &v), TAME_OK);
	t = json_object_get(json_object_get(v, "ticket"), "messages");
	assert_true(json_is_null(json_object_get(json_array_get(t, 0),
	    "tone")));
	assert_true(json_is_true(json_object_get(json_object_get(
	    json_array_get(t, 1), "tone"), "abusive")));
	assert_true(json_is_null(json_object_get(json_array_get(t, 2),
	    "tone")));
	json_decref(v);

	assert_int_equal(store_intel_flag_facts(f->s, a, 0, &facts), TAME_OK);
	assert_int_equal(facts.messages, 3);
	assert_int_equal(facts.abusive, 1);
	assert_int_equal(facts.in_a_row, 0);
	assert_int_equal(facts.customer_recent, 2);
	assert_non_null(facts.abusive_tone);
	free(facts.abusive_tone);
}

static void
test_idempotency(void **state)
{
	struct fx *f = *state;
	enum store_idem_state st;
	int64_t since;
	int status;
	char *body;

	assert_int_equal(store_idem_claim(f->s, 1, "k1", "req-a", 1000, 0, &st,
	    &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_NEW);
	assert_int_equal(since, 1000);
	/* a second request while the first is at work */
	assert_int_equal(store_idem_claim(f->s, 1, "k1", "req-a", 2000, 0, &st,
	    &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_RUNNING);
	/* the same key for something else */
	assert_int_equal(store_idem_claim(f->s, 1, "k1", "req-b", 2000, 0, &st,
	    &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_MISMATCH);
	/* another agent's key is another key */
	assert_int_equal(store_idem_claim(f->s, 2, "k1", "req-b", 2000, 0, &st,
	    &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_NEW);
	/* a claim that died is taken over, from its first time */
	assert_int_equal(store_idem_claim(f->s, 1, "k1", "req-a", 9000, 5000,
	    &st, &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_NEW);
	assert_int_equal(since, 1000);
	assert_int_equal(store_idem_finish(f->s, 1, "k1", 200, "{\"ok\":1}"),
	    TAME_OK);
	assert_int_equal(store_idem_claim(f->s, 1, "k1", "req-a", 9500, 5000,
	    &st, &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_DONE);
	assert_int_equal(status, 200);
	assert_string_equal(body, "{\"ok\":1}");
	free(body);
	/* released keys can be used again; finished ones are not released */
	assert_int_equal(store_idem_release(f->s, 2, "k1"), TAME_OK);
	assert_int_equal(store_idem_claim(f->s, 2, "k1", "req-c", 9600, 0, &st,
	    &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_NEW);
	assert_int_equal(store_idem_release(f->s, 1, "k1"), TAME_OK);
	assert_int_equal(store_idem_claim(f->s, 1, "k1", "req-a", 9700, 5000,
	    &st, &since, &status, &body), TAME_OK);
	assert_int_equal(st, STORE_IDEM_DONE);
	free(body);
}

static void
test_similar_newest_solved_first(void **state)
{
	struct fx *f = *state;
	struct store_similar_hit h[8];
	struct store_case c;
	size_t n;
	int64_t a, b, c2, open;

	a = add_ticket(f, "Refund", "Please refund the double charge.", 1000);
	b = add_ticket(f, "Printer", "The printer is jammed.", 2000);
	c2 = add_ticket(f, "Charge", "A double charge on my card.", 3000);
	open = add_ticket(f, "Again", "Double charge again!", 4000);
	add_msg(f, a, MSG_OUT, "Refunded, sorry.", 1500);
	assert_int_equal(store_ticket_set_status(f->s, a, TICKET_SOLVED, 1600),
	    TAME_OK);
	assert_int_equal(store_ticket_set_status(f->s, b, TICKET_SOLVED, 2600),
	    TAME_OK);
	assert_int_equal(store_ticket_set_status(f->s, c2, TICKET_CLOSED, 3600),
	    TAME_OK);
	assert_int_equal(store_intel_similar(f->s, "(\"double\") AND "
	    "(\"charge\" OR \"charges\")", open, 300, 8, h, &n), TAME_OK);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].ticket_id, c2);    /* newest first */
	assert_int_equal(h[1].ticket_id, a);
	assert_int_equal(store_intel_case(f->s, a, 1000, &c), TAME_OK);
	assert_string_equal(c.reply, "Refunded, sorry.");
	assert_string_equal(c.text, "Please refund the double charge.");
	assert_int_equal(c.status, TICKET_SOLVED);
	store_case_clear(&c);
	assert_int_equal(store_intel_case(f->s, b, 1000, &c), TAME_OK);
	assert_null(c.reply);
	store_case_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_computed_flags_and_filters,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_trend_and_tone_on_tickets,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_similar_newest_solved_first,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
