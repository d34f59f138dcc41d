/*
 * test_store_settings.c - desk-wide settings and the priority raise of
 * store_desk.h on SQLite (store_sqlite_settings.c): a setting never set,
 * set and replaced; a raise that moves the priority up with its event,
 * never down, and never over a priority an agent set by hand after the
 * message. Each test opens a fresh store in a mkdtemp directory under
 * $TMPDIR.
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
#include "store/store_desk.h"
#include "core/util.h"
#include "tmpdir.h"

struct fx {
	char dir[256];
	struct store *s;
	int64_t mbox, cust, agent, now;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpdir_make(f->dir, sizeof(f->dir), "settings");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	f->now = tame_now_ms();
	assert_int_equal(store_mailbox_create(f->s, "help@example.com", "Help",
	    f->now, &f->mbox), TAME_OK);
	assert_int_equal(store_customer_upsert(f->s, "bob@customer.org", "Bob",
	    f->now, &f->cust), TAME_OK);
	assert_int_equal(store_agent_create(f->s, "ann@example.com", "Ann",
	    ROLE_AGENT, NULL, f->now, &f->agent), TAME_OK);
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

static int64_t
add_msg(struct fx *f, int64_t tid, int64_t at)
{
	struct message_new m;
	int64_t id;

	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_IN;
	m.from_email = "bob@customer.org";
	m.subject = "help";
	m.text = "Need this ASAP";
	m.created_at = at;
	assert_int_equal(store_message_add(f->s, &m, &id), TAME_OK);
	return id;
}

/* The ticket's priority name and its raise events. */
static const char *
priority(struct fx *f, int64_t tid, size_t *raises, char *from, size_t n)
{
	static char name[16];
	json_t *v, *t, *e;
	size_t i;

	assert_int_equal(store_ticket_view(f->s, tid, &v), TAME_OK);
	t = json_object_get(v, "ticket");
	if (!t)
		t = v;
	snprintf(name, sizeof(name), "%s", json_string_value(
	    json_object_get(t, "priority")));
	*raises = 0;
	json_array_foreach(json_object_get(t, "events"), i, e) {
		const char *k = json_string_value(json_object_get(e, "kind"));
		json_t *d = json_object_get(e, "data");
		json_t *parsed = NULL;

		if (!k || strcmp(k, "ticket.priority_raised"))
			continue;
		(*raises)++;
		if (json_is_string(d))
			d = parsed = json_loads(json_string_value(d), 0, NULL);
		assert_true(json_is_null(json_object_get(e, "actor_id")));
		snprintf(from, n, "%s", json_string_value(json_object_get(d,
		    "from")));
		assert_non_null(strstr(json_string_value(json_object_get(d,
		    "reason")), "ASAP"));
		json_decref(parsed);
	}
	json_decref(v);
	return name;
}

static void
test_settings(void **state)
{
	struct fx *f = *state;
	char *v = NULL;

	assert_int_equal(store_desk_setting_get(f->s, "urgency_priority", &v),
	    TAME_ENOTFOUND);
	assert_null(v);
	assert_int_equal(store_desk_setting_set(f->s, "urgency_priority", "1",
	    f->now), TAME_OK);
	assert_int_equal(store_desk_setting_get(f->s, "urgency_priority", &v),
	    TAME_OK);
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(store_desk_setting_set(f->s, "urgency_priority", "0",
	    f->now), TAME_OK);
	assert_int_equal(store_desk_setting_get(f->s, "urgency_priority", &v),
	    TAME_OK);
	assert_string_equal(v, "0");
	free(v);
	assert_int_equal(store_desk_setting_set(f->s, "", "0", f->now),
	    TAME_EINVAL);
}

static void
test_raise(void **state)
{
	struct fx *f = *state;
	struct ticket_patch p;
	json_t *ev;
	char from[16] = "";
	size_t n;
	int64_t tid, m1, m2, t0 = f->now;
	int raised;

	assert_int_equal(store_ticket_create(f->s, f->mbox, f->cust, "help",
	    TICKET_NEW, 0, t0, &tid), TAME_OK);
	m1 = add_msg(f, tid, t0);
	/* up, with its event */
	assert_int_equal(store_desk_priority_raise(f->s, tid, m1,
	    PRIORITY_HIGH, "urgent tone: ASAP", t0 + 10, &raised), TAME_OK);
	assert_int_equal(raised, 1);
	assert_string_equal(priority(f, tid, &n, from, sizeof(from)), "high");
	assert_int_equal(n, 1);
	assert_string_equal(from, "normal");
	/* never down, nor again to the same */
	assert_int_equal(store_desk_priority_raise(f->s, tid, m1,
	    PRIORITY_HIGH, "urgent tone: ASAP", t0 + 20, &raised), TAME_OK);
	assert_int_equal(raised, 0);
	/* an agent sets it by hand after the message: that stands */
	memset(&p, 0, sizeof(p));
	p.has_priority = 1;
	p.priority = PRIORITY_LOW;
	assert_int_equal(store_ticket_update(f->s, tid, &p, t0 + 30), TAME_OK);
	ev = json_pack("{s:s}", "priority", "low");
	assert_int_equal(store_event_add(f->s, tid, f->agent,
	    "ticket.updated", ev, t0 + 30), TAME_OK);
	json_decref(ev);
	assert_int_equal(store_desk_priority_raise(f->s, tid, m1,
	    PRIORITY_URGENT, "urgent tone: ASAP", t0 + 40, &raised), TAME_OK);
	assert_int_equal(raised, 0);
	assert_string_equal(priority(f, tid, &n, from, sizeof(from)), "low");
	/* a change of something else by an agent does not count */
	ev = json_pack("{s:s}", "status", "open");
	assert_int_equal(store_event_add(f->s, tid, f->agent,
	    "ticket.updated", ev, t0 + 45), TAME_OK);
	json_decref(ev);
	/* a newer message than the agent's choice raises it again */
	m2 = add_msg(f, tid, t0 + 50);
	assert_int_equal(store_desk_priority_raise(f->s, tid, m2,
	    PRIORITY_URGENT, "urgent tone: ASAP, deadline", t0 + 60, &raised),
	    TAME_OK);
	assert_int_equal(raised, 1);
	assert_string_equal(priority(f, tid, &n, from, sizeof(from)),
	    "urgent");
	assert_int_equal(n, 2);
	assert_string_equal(from, "low");
	/* no such ticket */
	assert_int_equal(store_desk_priority_raise(f->s, tid + 100, m2,
	    PRIORITY_HIGH, "urgent tone", t0, &raised), TAME_ENOTFOUND);
	assert_int_equal(store_desk_priority_raise(f->s, tid, m2, 9,
	    "urgent tone", t0, &raised), TAME_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raise, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_settings", tests, NULL,
	    NULL);
}
