/*
 * test_store.c - unit tests of the store (src/store) on its SQLite
 * backend: each test opens a fresh store in a mkdtemp directory under
 * $TMPDIR (tmpdir.h), drives one group of store.h functions as tamed
 * would, and checks what a user of the API would notice (shapes of the
 * JSON views, search that ignores FTS5 syntax, no half-stored message,
 * pagination).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "store/migrations.h"
#include "store/store.h"
#include "store/store_desk.h"
#include "store/store_intel.h"
#include "store/store_sqlite.h"
#include "core/util.h"
#include "tmpdir.h"

struct fx {
	char dir[64];
	struct store *s;
	int64_t mbox, agent, cust;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpdir_make(f->dir, sizeof(f->dir), "store");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	assert_int_equal(store_mailbox_create(f->s, "Help@Example.COM",
	    "Help", 1000, &f->mbox), TAME_OK);
	assert_int_equal(store_agent_create(f->s, "Ann@Example.com", "Ann",
	    ROLE_ADMIN, "$argon2id$x", 1000, &f->agent), TAME_OK);
	assert_int_equal(store_customer_upsert(f->s, "Bob@Customer.org",
	    "Bob", 1000, &f->cust), TAME_OK);
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

/* A direct SQLite connection to the store's file (what the store
 * hides), for the caller to close. */
static sqlite3 *
plain_open(struct fx *f)
{
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/tame.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* as every connection of the store: the search index needs it */
	assert_int_equal(store_sqlite_fts_register(db), SQLITE_OK);
	return db;
}

/* Counts rows with a direct SQLite connection. */
static int64_t
count_sql(struct fx *f, const char *sql)
{
	sqlite3 *db = plain_open(f);
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Bob's message on ticket tid; answers its id. */
static int64_t
add_in(struct fx *f, int64_t tid, const char *subject, const char *text,
    const char *msgid, int64_t now)
{
	struct message_new m;
	int64_t mid;

	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_IN;
	m.from_email = "bob@customer.org";
	m.from_name = "Bob";
	m.to_json = "[\"help@example.com\"]";
	m.subject = subject;
	m.text = text;
	m.message_id = msgid;
	m.created_at = now;
	assert_int_equal(store_message_add(f->s, &m, &mid), TAME_OK);
	return mid;
}

static int64_t
add_ticket(struct fx *f, const char *subject, const char *text,
    const char *msgid, int64_t now)
{
	int64_t tid;

	assert_int_equal(store_ticket_create(f->s, f->mbox, f->cust, subject,
	    TICKET_NEW, 0, now, &tid), TAME_OK);
	add_in(f, tid, subject, text, msgid, now);
	return tid;
}

static void
test_open_pragmas(void **state)
{
	struct fx *f = *state;
	struct store *s2;

	assert_int_equal(count_sql(f, "PRAGMA user_version"),
	    migrations_latest());
	assert_int_equal(count_sql(f, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
	/* A second connection without migrate sees the schema. */
	assert_int_equal(store_open(f->dir, 0, &s2), TAME_OK);
	store_close(s2);
	assert_int_equal(store_open("/nonexistent/dir", 1, &s2), TAME_ESTORE);
	assert_null(s2);
}

static void
test_agents(void **state)
{
	struct fx *f = *state;
	struct agent a;
	json_t *v;
	int64_t id;

	assert_int_equal(store_agent_create(f->s, "ANN@example.com", "X",
	    ROLE_AGENT, NULL, 1, &id), TAME_EEXIST);
	assert_int_equal(store_agent_by_email(f->s, "ann@EXAMPLE.com", &a),
	    TAME_OK);
	assert_string_equal(a.email, "ann@example.com");
	assert_int_equal(a.role, ROLE_ADMIN);
	assert_string_equal(a.pw_hash, "$argon2id$x");
	agent_clear(&a);
	assert_int_equal(store_agent_update(f->s, f->agent, "Ann B", ROLE_AGENT,
	    NULL, 1), TAME_OK);
	assert_int_equal(store_agent_get(f->s, f->agent, &a), TAME_OK);
	assert_string_equal(a.name, "Ann B");
	assert_int_equal(a.role, ROLE_AGENT);
	assert_int_equal(a.disabled, 1);
	assert_string_equal(a.pw_hash, "$argon2id$x");
	agent_clear(&a);
	assert_int_equal(store_agent_update(f->s, 999, "x", -1, NULL, -1),
	    TAME_ENOTFOUND);
	assert_int_equal(store_agent_get(f->s, 999, &a), TAME_ENOTFOUND);

	assert_int_equal(store_agents_view(f->s, &v), TAME_OK);
	assert_int_equal(json_array_size(json_object_get(v, "agents")), 1);
	json_decref(v);
	assert_int_equal(store_agent_view(f->s, f->agent, &v), TAME_OK);
	assert_string_equal(json_string_value(json_object_get(v, "role")),
	    "agent");
	assert_true(json_is_true(json_object_get(v, "disabled")));
	assert_null(json_object_get(v, "pw_hash"));
	assert_string_equal(json_string_value(json_object_get(v,
	    "created_at")), "1970-01-01T00:00:01.000Z");
	json_decref(v);
	assert_int_equal(store_agent_view(f->s, 999, &v), TAME_ENOTFOUND);
}

static void
test_tokens_sessions(void **state)
{
	struct fx *f = *state;
	int64_t id, aid = 0;
	char *csrf = NULL;

	assert_int_equal(store_token_add(f->s, f->agent, "abc", 1, &id),
	    TAME_OK);
	assert_int_equal(store_token_add(f->s, f->agent, "abc", 1, &id),
	    TAME_EEXIST);
	assert_int_equal(store_token_lookup(f->s, "abc", &aid), TAME_OK);
	assert_int_equal(aid, f->agent);
	assert_int_equal(store_token_lookup(f->s, "nope", &aid),
	    TAME_ENOTFOUND);

	assert_int_equal(store_session_add(f->s, "sid", f->agent, "tok", 10,
	    100), TAME_OK);
	assert_int_equal(store_session_lookup(f->s, "sid", 50, &aid, &csrf),
	    TAME_OK);
	assert_string_equal(csrf, "tok");
	free(csrf);
	assert_int_equal(store_session_lookup(f->s, "sid", 100, &aid, &csrf),
	    TAME_ENOTFOUND);
	assert_int_equal(store_session_delete(f->s, "sid"), TAME_OK);
	assert_int_equal(store_session_lookup(f->s, "sid", 50, &aid, &csrf),
	    TAME_ENOTFOUND);
}

static void
test_mailboxes(void **state)
{
	struct fx *f = *state;
	struct mailbox m;
	json_t *v;
	int64_t id, n;

	assert_int_equal(store_mailbox_create(f->s, "help@example.com", "x", 1,
	    &id), TAME_EEXIST);
	assert_int_equal(store_mailbox_by_address(f->s, "HELP@example.com",
	    &m), TAME_OK);
	assert_string_equal(m.address, "help@example.com");
	assert_int_equal(m.ack_enabled, 0);
	assert_null(m.ack_template);
	mailbox_clear(&m);
	assert_int_equal(store_mailbox_update(f->s, f->mbox, NULL, 1,
	    "Got it: {{ticket.id}}"), TAME_OK);
	assert_int_equal(store_mailbox_get(f->s, f->mbox, &m), TAME_OK);
	assert_string_equal(m.name, "Help");
	assert_int_equal(m.ack_enabled, 1);
	assert_string_equal(m.ack_template, "Got it: {{ticket.id}}");
	mailbox_clear(&m);
	assert_int_equal(store_mailbox_update(f->s, 77, "x", -1, NULL),
	    TAME_ENOTFOUND);
	assert_int_equal(store_mailbox_count(f->s, &n), TAME_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_mailboxes_view(f->s, &v), TAME_OK);
	assert_true(json_is_true(json_object_get(json_array_get(
	    json_object_get(v, "mailboxes"), 0), "ack_enabled")));
	json_decref(v);
	assert_int_equal(store_mailbox_view(f->s, f->mbox, &v), TAME_OK);
	assert_string_equal(json_string_value(json_object_get(v, "address")),
	    "help@example.com");
	json_decref(v);
}

static void
test_customers(void **state)
{
	struct fx *f = *state;
	json_t *v, *arr;
	int64_t id, id2, seen = 0;
	char cursor[32] = "";
	int pages = 0, i;

	assert_int_equal(store_customer_upsert(f->s, "BOB@customer.org", "B2",
	    1, &id), TAME_OK);
	assert_int_equal(id, f->cust);
	assert_int_equal(store_customer_upsert(f->s, "noname@x.org", NULL, 1,
	    &id), TAME_OK);
	assert_int_equal(store_customer_upsert(f->s, "noname@x.org", "Nina",
	    1, &id2), TAME_OK);
	assert_int_equal(id, id2);
	assert_int_equal(store_customer_view(f->s, id, &v), TAME_OK);
	assert_string_equal(json_string_value(json_object_get(v, "name")),
	    "Nina");
	json_decref(v);
	assert_int_equal(store_customer_create(f->s, "Bob@customer.org", "B",
	    NULL, 1, &id), TAME_EEXIST);
	assert_int_equal(store_customer_update(f->s, f->cust, NULL, "ACME"),
	    TAME_OK);
	add_ticket(f, "hi", "text", NULL, 5);
	assert_int_equal(store_customer_view(f->s, f->cust, &v), TAME_OK);
	assert_string_equal(json_string_value(json_object_get(v, "name")),
	    "Bob");
	assert_string_equal(json_string_value(json_object_get(v,
	    "organization")), "ACME");
	assert_int_equal(json_integer_value(json_object_get(v,
	    "ticket_count")), 1);
	json_decref(v);
	assert_int_equal(store_customer_update(f->s, 999, "x", NULL),
	    TAME_ENOTFOUND);

	for (i = 0; i < 5; i++) {
		char e[32];

		snprintf(e, sizeof(e), "c%d@x.org", i);
		assert_int_equal(store_customer_create(f->s, e, NULL, NULL, 1,
		    &id), TAME_OK);
	}
	/* 7 customers in pages of 3: 3, 3, 1, newest first. */
	do {
		assert_int_equal(store_customers_view(f->s, pages ? cursor :
		    NULL, 3, &v), TAME_OK);
		arr = json_object_get(v, "customers");
		for (i = 0; i < (int)json_array_size(arr); i++) {
			int64_t cid = json_integer_value(json_object_get(
			    json_array_get(arr, (size_t)i), "id"));

			assert_true(seen == 0 || cid < seen);
			seen = cid;
		}
		pages++;
		if (json_is_null(json_object_get(v, "next_cursor"))) {
			assert_int_equal(json_array_size(arr), 1);
			json_decref(v);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", json_string_value(
		    json_object_get(v, "next_cursor")));
		json_decref(v);
	} while (pages < 10);
	assert_int_equal(pages, 3);
	assert_int_equal(store_customers_view(f->s, "abc", 3, &v),
	    TAME_EINVAL);
	assert_int_equal(store_customers_view(f->s, NULL, 0, &v), TAME_EINVAL);
}

static void
test_raw(void **state)
{
	struct fx *f = *state;
	struct buf b;
	int64_t id, n;
	static const char raw[] = "Subject: x\r\n\r\nbody\0with nul";

	assert_int_equal(store_raw_add(f->s, raw, sizeof(raw), "a@b", "c@d,e@f",
	    5, &id), TAME_OK);
	buf_init(&b, 1024);
	assert_int_equal(store_raw_get(f->s, id, &b), TAME_OK);
	assert_int_equal(b.len, sizeof(raw));
	assert_memory_equal(b.data, raw, sizeof(raw));
	buf_free(&b);
	assert_int_equal(store_raw_get(f->s, id + 1, &b), TAME_ENOTFOUND);
	assert_int_equal(store_raw_count(f->s, &n), TAME_OK);
	assert_int_equal(n, 1);
}

static void
test_ingest(void **state)
{
	struct fx *f = *state;
	struct message_new m;
	struct ticket_ref r;
	enum msg_direction dir;
	int64_t tid, t2, mid, got, gt;
	const char *ids[] = { "nope@x", "m1@x", "m2@x" };
	int yes, allowed;
	json_t *v;

	tid = add_ticket(f, "Printer", "It  is\n\n broken", "m1@x", 100);
	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_OUT;
	m.from_email = "help@example.com";
	m.text = "We fix it";
	m.message_id = "m2@x";
	m.agent_id = f->agent;
	m.delivery = DELIVERY_QUEUED;
	m.created_at = 200;
	assert_int_equal(store_message_add(f->s, &m, &mid), TAME_OK);

	/* A duplicate Message-ID: refused, and nothing of it is kept. */
	m.created_at = 300;
	m.text = "duplicate";
	assert_int_equal(store_message_add(f->s, &m, &got), TAME_EEXIST);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(count_sql(f, "SELECT message_count FROM tickets"), 2);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM messages_fts "
	    "WHERE messages_fts MATCH 'duplicate'"), 0);
	/* Inside a caller's transaction too. */
	assert_int_equal(store_begin(f->s), TAME_OK);
	assert_int_equal(store_message_add(f->s, &m, &got), TAME_EEXIST);
	assert_int_equal(store_commit(f->s), TAME_OK);
	/* A message for a missing ticket leaves nothing either. */
	m.ticket_id = 999;
	m.message_id = "m3@x";
	assert_int_not_equal(store_message_add(f->s, &m, &got), TAME_OK);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM messages"), 2);

	assert_int_equal(store_message_find(f->s, "m2@x", &got, &gt, &dir),
	    TAME_OK);
	assert_int_equal(got, mid);
	assert_int_equal(gt, tid);
	assert_int_equal(dir, MSG_OUT);
	assert_int_equal(store_message_find(f->s, "m9@x", NULL, NULL, NULL),
	    TAME_ENOTFOUND);
	t2 = add_ticket(f, "Other", "x", "o1@x", 150);
	ids[0] = "o1@x";
	assert_int_equal(store_ticket_by_message_ids(f->s, ids, 3, &got),
	    TAME_OK);
	assert_int_equal(got, t2);  /* o1@x is the most recent */
	assert_int_equal(store_ticket_by_message_ids(f->s, ids + 1, 2, &got),
	    TAME_OK);
	assert_int_equal(got, tid);
	ids[0] = "zz";
	assert_int_equal(store_ticket_by_message_ids(f->s, ids, 1, &got),
	    TAME_ENOTFOUND);

	assert_int_equal(store_participant_add(f->s, tid, "Bob@Customer.org"),
	    TAME_OK);
	assert_int_equal(store_participant_add(f->s, tid, "bob@customer.org"),
	    TAME_OK);
	assert_int_equal(store_participant_has(f->s, tid, "BOB@customer.ORG",
	    &yes), TAME_OK);
	assert_int_equal(yes, 1);
	assert_int_equal(store_participant_has(f->s, t2, "bob@customer.org",
	    &yes), TAME_OK);
	assert_int_equal(yes, 0);

	assert_int_equal(store_ticket_set_status(f->s, tid, TICKET_CLOSED, 500),
	    TAME_OK);
	assert_int_equal(store_ticket_ref(f->s, tid, &r), TAME_OK);
	assert_int_equal(r.status, TICKET_CLOSED);
	assert_int_equal(r.closed_at, 500);
	assert_int_equal(r.updated_at, 500);
	assert_int_equal(r.mailbox_id, f->mbox);
	assert_int_equal(r.customer_id, f->cust);
	assert_int_equal(store_ticket_set_status(f->s, tid, TICKET_OPEN, 600),
	    TAME_OK);
	assert_int_equal(store_ticket_ref(f->s, tid, &r), TAME_OK);
	assert_int_equal(r.closed_at, 0);
	assert_int_equal(store_ticket_ref(f->s, 999, &r), TAME_ENOTFOUND);
	assert_int_equal(store_ticket_link(f->s, t2, tid), TAME_OK);
	assert_int_equal(store_ticket_link(f->s, 999, tid), TAME_ENOTFOUND);

	assert_int_equal(store_message_set_delivery(f->s, mid, DELIVERY_FAILED,
	    "550 no"), TAME_OK);
	assert_int_equal(store_message_set_delivery(f->s, 999, DELIVERY_SENT,
	    NULL), TAME_ENOTFOUND);
	v = json_pack("{s:s}", "to", "open");
	assert_int_equal(store_event_add(f->s, tid, f->agent, "status", v, 600),
	    TAME_OK);
	json_decref(v);
	assert_int_equal(store_event_add(f->s, 0, 0, "startup", NULL, 600),
	    TAME_OK);

	assert_int_equal(store_ack_allow(f->s, f->mbox, "Bob@x.org", 1000,
	    3600000, &allowed), TAME_OK);
	assert_int_equal(allowed, 1);
	assert_int_equal(store_ack_allow(f->s, f->mbox, "bob@x.org", 2000,
	    3600000, &allowed), TAME_OK);
	assert_int_equal(allowed, 0);
	assert_int_equal(store_ack_allow(f->s, f->mbox, "bob@x.org", 3602000,
	    3600000, &allowed), TAME_OK);
	assert_int_equal(allowed, 1);
}

static void
test_ticket_view(void **state)
{
	struct fx *f = *state;
	struct message_new m;
	json_t *v, *t, *msgs, *m0, *m1, *ev;
	struct buf b;
	char *fn = NULL, *ct = NULL;
	int64_t tid, mid, aid, aid2, t2;

	tid = add_ticket(f, "Invoice", "Where is my invoice?", "i1@x", 100);
	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_OUT;
	m.from_email = "help@example.com";
	m.from_name = "Help";
	m.to_json = "[\"bob@customer.org\"]";
	m.cc_json = "not json";
	m.text = "Attached.";
	m.html = "<p>Attached.</p>";
	m.message_id = "i2@x";
	m.agent_id = f->agent;
	m.delivery = DELIVERY_QUEUED;
	m.created_at = 200;
	assert_int_equal(store_message_add(f->s, &m, &mid), TAME_OK);
	assert_int_equal(store_attachment_add(f->s, mid, "a.pdf",
	    "application/pdf", NULL, 0, "PDFDATA", 7, &aid), TAME_OK);
	assert_int_equal(store_attachment_add(f->s, mid, "b.pdf",
	    "application/pdf", "cid1", 1, "PDFDATA", 7, &aid2), TAME_OK);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM blobs"), 1);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM attachments"), 2);
	buf_init(&b, 1024);
	assert_int_equal(store_attachment_get(f->s, tid, aid2, &fn, &ct, &b),
	    TAME_OK);
	assert_string_equal(fn, "b.pdf");
	assert_string_equal(ct, "application/pdf");
	assert_int_equal(b.len, 7);
	free(fn);
	free(ct);
	buf_free(&b);
	t2 = add_ticket(f, "Other", "x", NULL, 300);
	assert_int_equal(store_attachment_get(f->s, t2, aid, &fn, &ct, &b),
	    TAME_ENOTFOUND);
	assert_null(fn);

	assert_int_equal(store_event_add(f->s, tid, f->agent, "reply",
	    NULL, 200), TAME_OK);
	assert_int_equal(store_ticket_link(f->s, tid, t2), TAME_OK);
	assert_int_equal(store_ticket_view(f->s, tid, &v), TAME_OK);
	t = json_object_get(v, "ticket");
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "id")), tid);
	assert_string_equal(json_string_value(json_object_get(t, "status")),
	    "new");
	assert_string_equal(json_string_value(json_object_get(t, "priority")),
	    "normal");
	assert_int_equal(json_integer_value(json_object_get(t,
	    "message_count")), 2);
	assert_string_equal(json_string_value(json_object_get(t, "preview")),
	    "Attached.");
	assert_true(json_is_null(json_object_get(t, "assignee")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    t, "customer"), "email")), "bob@customer.org");
	assert_int_equal(json_integer_value(json_object_get(t,
	    "previous_ticket_id")), t2);
	msgs = json_object_get(t, "messages");
	assert_int_equal(json_array_size(msgs), 2);
	m0 = json_array_get(msgs, 0);
	m1 = json_array_get(msgs, 1);
	assert_string_equal(json_string_value(json_object_get(m0,
	    "direction")), "in");
	assert_true(json_is_null(json_object_get(m0, "delivery")));
	assert_true(json_is_null(json_object_get(m0, "author_id")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    m0, "to"), 0)), "help@example.com");
	assert_true(json_is_array(json_object_get(m0, "cc")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    m1, "delivery"), "state")), "queued");
	assert_true(json_is_null(json_object_get(json_object_get(m1,
	    "delivery"), "error")));
	assert_int_equal(json_array_size(json_object_get(m1, "cc")), 0);
	assert_int_equal(json_integer_value(json_object_get(m1, "author_id")),
	    f->agent);
	assert_int_equal(json_array_size(json_object_get(m1, "attachments")),
	    2);
	assert_true(json_is_true(json_object_get(json_array_get(
	    json_object_get(m1, "attachments"), 1), "inline")));
	assert_string_equal(json_string_value(json_object_get(m1, "html")),
	    "<p>Attached.</p>");
	ev = json_object_get(t, "events");
	assert_int_equal(json_array_size(ev), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    ev, 0), "kind")), "reply");
	json_decref(v);
	assert_int_equal(store_ticket_view(f->s, 999, &v), TAME_ENOTFOUND);
}

/* Ids of the tickets of a list view, in order, into ids (max n). */
static int
list_ids(struct fx *f, const struct ticket_query *q, int64_t *ids, int n,
    char *cursor, size_t clen)
{
	json_t *v, *arr, *c;
	int i, k;

	assert_int_equal(store_tickets_view(f->s, q, &v), TAME_OK);
	arr = json_object_get(v, "tickets");
	k = (int)json_array_size(arr);
	for (i = 0; i < k && i < n; i++)
		ids[i] = json_integer_value(json_object_get(json_array_get(arr,
		    (size_t)i), "id"));
	c = json_object_get(v, "next_cursor");
	if (cursor) {
		if (json_is_string(c))
			snprintf(cursor, clen, "%s", json_string_value(c));
		else
			cursor[0] = '\0';
	}
	json_decref(v);
	return k;
}

/* Runs sql on the store's file with a connection of its own. */
static void
exec_sql(struct fx *f, const char *sql)
{
	sqlite3 *db = plain_open(f);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Takes step 23 back (a mailbox's index by status, outbox.mass). */
#define UNDO_23 \
	"DROP INDEX tickets_mailbox_status;" \
	"DROP INDEX outbox_mass;" \
	"ALTER TABLE outbox DROP COLUMN mass;"
/* Takes step 22 back (message_waits for messages_orphan), and the step
 * after it. */
#define UNDO_22 UNDO_23 \
	"DROP TABLE message_waits;" \
	"CREATE INDEX messages_orphan ON messages(in_reply_to) WHERE orphan;"
/* Takes step 21 back (messages.orphan and its index), and the step
 * after it. */
#define UNDO_21 UNDO_22 \
	"DROP INDEX messages_orphan;" \
	"ALTER TABLE messages DROP COLUMN orphan;"
/* Takes step 20 back (tickets.tone_earlier), and the step after it. */
#define UNDO_20 UNDO_21 "ALTER TABLE tickets DROP COLUMN tone_earlier;"

/* Takes step 19 back (messages.quiet and the triggers that read it),
 * for a store taken back to an older version, whose later steps run
 * again at open: notify_followers_message is left for step 17 and 19
 * to drop. */
#define UNDO_19 \
	"DROP TRIGGER notify_assignee_undelivered;" \
	"DROP TRIGGER notify_followers_message;" \
	"ALTER TABLE messages DROP COLUMN quiet;" \
	"CREATE TRIGGER notify_followers_message AFTER INSERT ON messages" \
	" WHEN NEW.direction = 0 BEGIN SELECT 1; END;"

/* A store made before schema 14 (active-queue indexes and a trigger
 * written with IN lists) is brought up to date at open: the waiting
 * and priority orders still list exactly the active tickets, from the
 * rebuilt indexes, and a note still notifies a follower. */
static void
test_upgrade_from_13(void **state)
{
	struct fx *f = *state;
	struct ticket_patch p;
	struct ticket_query q;
	int64_t t[4], ids[8];
	int i;

	for (i = 0; i < 4; i++)
		t[i] = add_ticket(f, "Old store", "waiting text", NULL,
		    100 + i);
	memset(&p, 0, sizeof(p));
	p.has_status = 1;
	p.status = TICKET_SOLVED;
	assert_int_equal(store_ticket_update(f->s, t[1], &p, 200), TAME_OK);
	p.status = TICKET_PENDING;
	assert_int_equal(store_ticket_update(f->s, t[3], &p, 200), TAME_OK);
	store_close(f->s);
	f->s = NULL;

	/* back to the shape of version 13 */
	exec_sql(f, UNDO_20 UNDO_19 "DROP INDEX tickets_wait_active;"
	    "DROP INDEX tickets_prio_active;"
	    "CREATE INDEX tickets_wait_active ON tickets("
	    " coalesce(last_customer_at, created_at), id)"
	    " WHERE status IN (0,1,2);"
	    "CREATE INDEX tickets_prio_active ON tickets("
	    " ((3 - priority) * 4398046511104 +"
	    " coalesce(last_customer_at, created_at)), id)"
	    " WHERE status IN (0,1,2);"
	    "DROP TRIGGER notify_followers_event;"
	    "CREATE TRIGGER notify_followers_event AFTER INSERT ON events"
	    " WHEN NEW.ticket_id IS NOT NULL AND NEW.kind IN ('reply.sent',"
	    " 'note.added', 'ticket.updated', 'ticket.merged', 'reply.bounced')"
	    " BEGIN INSERT INTO notifications(agent_id, ticket_id, kind,"
	    "  created_at) SELECT f.agent_id, NEW.ticket_id, NEW.kind,"
	    "  NEW.created_at FROM ticket_followers f"
	    "  WHERE f.ticket_id = NEW.ticket_id; END;"
	    "DROP INDEX outbox_mail_id;"
	    "ALTER TABLE outbox DROP COLUMN mail_id;"
	    "PRAGMA user_version = 13;");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	assert_int_equal(count_sql(f, "PRAGMA user_version"),
	    migrations_latest());
	assert_int_equal(count_sql(f, "SELECT count(*) FROM sqlite_schema"
	    " WHERE sql LIKE '%IN (0,1,2)%' OR sql LIKE '%kind IN (%'"), 0);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM tickets"
	    " INDEXED BY tickets_wait_active WHERE status < 3"), 3);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM tickets"
	    " INDEXED BY tickets_prio_active WHERE status < 3"), 3);

	memset(&q, 0, sizeof(q));
	q.limit = 50;
	q.status_mask = 1u << TICKET_NEW | 1u << TICKET_OPEN |
	    1u << TICKET_PENDING;
	q.sort = TICKET_SORT_OLDEST;
	assert_int_equal(list_ids(f, &q, ids, 8, NULL, 0), 3);
	assert_int_equal(ids[0], t[0]);
	assert_int_equal(ids[1], t[2]);
	assert_int_equal(ids[2], t[3]);
	q.sort = TICKET_SORT_PRIORITY;
	assert_int_equal(list_ids(f, &q, ids, 8, NULL, 0), 3);
	/* a ticket leaving the queue leaves the rebuilt index */
	p.status = TICKET_CLOSED;
	assert_int_equal(store_ticket_update(f->s, t[0], &p, 300), TAME_OK);
	q.sort = TICKET_SORT_OLDEST;
	assert_int_equal(list_ids(f, &q, ids, 8, NULL, 0), 2);
	assert_int_equal(ids[0], t[2]);

	/* a follower hears of a note, not of a new ticket's event */
	assert_int_equal(store_desk_follower_add(f->s, t[2], f->agent, 300,
	    &i), TAME_OK);
	assert_int_equal(store_event_add(f->s, t[2], 0, "ticket.created",
	    NULL, 300), TAME_OK);
	assert_int_equal(store_event_add(f->s, t[2], 0, "note.added", NULL,
	    301), TAME_OK);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM notifications"
	    " WHERE kind = 'note.added'"), 1);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM notifications"
	    " WHERE kind = 'ticket.created'"), 0);
}

/* The words of a ticket list search, as ids (max n). */
static int
search_ids(struct fx *f, const char *words, int64_t *ids, int n)
{
	struct ticket_query q;

	memset(&q, 0, sizeof(q));
	q.limit = 50;
	q.status_mask = ~0u;
	q.q = words;
	return list_ids(f, &q, ids, n, NULL, 0);
}

/* A store made before schema 18 (its search index cut words as
 * unicode61 does) is indexed again at open with the words of
 * core/search_words.c and with their senders: Chinese inside a sentence,
 * ß as ss and the sender's domain are found, in the messages indexed
 * then and in one still waiting in fts_pending, which is not indexed
 * twice. */
static void
test_upgrade_to_search_words(void **state)
{
	struct fx *f = *state;
	int64_t t[3], ids[4];

	t[0] = add_ticket(f, "Lieferung", "Die Stra\xc3\x9f" "e ist falsch",
	    NULL, 100);
	t[1] = add_ticket(f, "Order", "\xe6\x88\x91\xe7\x9a\x84\xe8\xae"
	    "\xa2\xe5\x8d\x95\xe8\xbf\x98\xe6\xb2\xa1\xe5\x88\xb0", NULL,
	    101);	/* 我的订单还没到 */
	assert_int_equal(store_index_defer(f->s, 1), TAME_OK);
	t[2] = add_ticket(f, "Later", "strasse again", NULL, 102);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(count_sql(f, "SELECT count(*) FROM fts_pending"), 1);

	/* back to the index of version 17 */
	exec_sql(f, UNDO_20 UNDO_19 "DROP TABLE messages_fts;"
	    "CREATE VIRTUAL TABLE messages_fts USING fts5("
	    " subject, text, content='messages', content_rowid='id',"
	    " tokenize='unicode61 remove_diacritics 2');"
	    "INSERT INTO messages_fts(rowid, subject, text) SELECT id,"
	    " subject, text FROM messages WHERE id NOT IN"
	    " (SELECT id FROM fts_pending);"
	    "CREATE VIRTUAL TABLE messages_vocab USING fts5vocab(messages_fts,"
	    " row);"
	    "PRAGMA user_version = 17;");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	assert_int_equal(count_sql(f, "PRAGMA user_version"),
	    migrations_latest());
	assert_int_equal(count_sql(f, "SELECT count(*) FROM fts_pending"), 0);
	assert_int_equal(search_ids(f, "strasse", ids, 4), 2);
	assert_int_equal(ids[0], t[2]);
	assert_int_equal(ids[1], t[0]);
	assert_int_equal(search_ids(f, "\xe8\xae\xa2\xe5\x8d\x95", ids, 4), 1);
	assert_int_equal(ids[0], t[1]);
	/* and who wrote them */
	assert_int_equal(search_ids(f, "customer.org", ids, 4), 3);
	/* each message is in the index once */
	assert_int_equal(count_sql(f, "SELECT count(*) FROM messages_fts"
	    " WHERE messages_fts MATCH 'again'"), 1);
}

/* A store of schema 19 showed an earlier heated message's tone as its
 * ticket's own: at open the ticket's tone is its latest customer
 * message's again, and the heated one is its tone_earlier. */
static void
test_upgrade_to_tone_earlier(void **state)
{
	struct fx *f = *state;
	int64_t tid, m1, m2;

	tid = add_ticket(f, "Broken", "This is unacceptable", NULL, 100);
	m1 = count_sql(f, "SELECT max(id) FROM messages");
	m2 = add_in(f, tid, "Re: Broken", "Any news?", NULL, 200);
	assert_int_equal(store_intel_message_tone(f->s, m1, "{\"anger\":0.9}",
	    3, 0), TAME_OK);
	assert_int_equal(store_intel_message_tone(f->s, m2, "{\"anger\":0.1}",
	    2, 0), TAME_OK);
	assert_int_equal(count_sql(f, "SELECT tone = '{\"anger\":0.1}' AND"
	    " json_extract(tone_earlier, '$.message_id') = (SELECT min(id)"
	    " FROM messages) FROM tickets"), 1);
	store_close(f->s);
	f->s = NULL;

	/* as the build of schema 19 left it */
	exec_sql(f, UNDO_20 "UPDATE tickets SET tone = '{\"anger\":0.9}';"
	    "PRAGMA user_version = 19;");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	assert_int_equal(count_sql(f, "PRAGMA user_version"),
	    migrations_latest());
	assert_int_equal(count_sql(f, "SELECT tone = '{\"anger\":0.1}' AND"
	    " json_extract(tone_earlier, '$.anger') = 0.9 AND"
	    " json_extract(tone_earlier, '$.message_id') = (SELECT min(id)"
	    " FROM messages) FROM tickets"), 1);
}

/* A read transaction sees one snapshot; a write inside it (a bug of
 * its caller) is rolled back at its end, not committed. */
static void
test_read_transaction(void **state)
{
	struct fx *f = *state;
	struct ticket_query q;
	struct store *w;
	int64_t before, tid, t2, ids[4];

	tid = add_ticket(f, "Read", "snapshot text", NULL, 100);
	before = count_sql(f, "SELECT count(*) FROM events");
	assert_int_equal(store_open(f->dir, 0, &w), TAME_OK);
	memset(&q, 0, sizeof(q));
	q.limit = 50;

	assert_int_equal(store_read_begin(f->s), TAME_OK);
	assert_int_equal(list_ids(f, &q, ids, 4, NULL, 0), 1);
	/* another connection writes meanwhile: not seen until the end */
	assert_int_equal(store_ticket_create(w, f->mbox, f->cust, "Other",
	    TICKET_NEW, 0, 150, &t2), TAME_OK);
	assert_int_equal(list_ids(f, &q, ids, 4, NULL, 0), 1);
	assert_int_equal(store_read_end(f->s), TAME_OK);
	assert_int_equal(list_ids(f, &q, ids, 4, NULL, 0), 2);
	assert_int_equal(ids[0], t2);

	assert_int_equal(store_read_begin(f->s), TAME_OK);
	assert_int_equal(store_event_add(f->s, tid, 0, "note.added", NULL,
	    300), TAME_OK);
	assert_int_equal(store_read_end(f->s), TAME_ESTORE);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM events"),
	    before);
	assert_int_equal(store_settle(f->s), 0);
	store_close(w);
}

static void
test_tickets_list(void **state)
{
	struct fx *f = *state;
	struct ticket_query q;
	struct ticket_patch p;
	int64_t t[10], ids[20], m2, c2;
	const char *tags[] = { "vip", "billing", "vip" };
	char cursor[32];
	json_t *v, *row;
	int i, n;

	assert_int_equal(store_mailbox_create(f->s, "sales@example.com",
	    "Sales", 1, &m2), TAME_OK);
	assert_int_equal(store_customer_upsert(f->s, "carol@x.org", NULL, 1,
	    &c2), TAME_OK);
	for (i = 0; i < 10; i++) {
		char subj[32], text[64];

		snprintf(subj, sizeof(subj), "Ticket %d", i);
		snprintf(text, sizeof(text), "%s word%d common",
		    i % 2 ? "printer" : "invoice", i);
		t[i] = add_ticket(f, subj, text, NULL, 100 + i);
	}
	memset(&p, 0, sizeof(p));
	p.has_status = 1;
	p.status = TICKET_OPEN;
	p.has_assignee = 1;
	p.assignee_id = f->agent;
	assert_int_equal(store_ticket_update(f->s, t[2], &p, 500), TAME_OK);
	assert_int_equal(store_ticket_update(f->s, t[5], &p, 500), TAME_OK);
	p.has_assignee = 0;
	p.status = TICKET_PENDING;
	p.has_tags = 1;
	p.tags = tags;
	p.ntags = 3;
	p.has_priority = 1;
	p.priority = PRIORITY_URGENT;
	assert_int_equal(store_ticket_update(f->s, t[7], &p, 500), TAME_OK);
	/* no such agent (or a disabled one): checked in the update's
	 * own transaction */
	p.has_assignee = 1;
	p.assignee_id = 999;
	assert_int_equal(store_ticket_update(f->s, t[7], &p, 500),
	    TAME_ECONFLICT);
	assert_int_equal(store_ticket_update(f->s, 999, &p, 500),
	    TAME_ENOTFOUND);

	memset(&q, 0, sizeof(q));
	q.limit = 50;
	n = list_ids(f, &q, ids, 20, cursor, sizeof(cursor));
	assert_int_equal(n, 10);
	assert_int_equal(ids[0], t[9]);
	assert_int_equal(ids[9], t[0]);
	assert_string_equal(cursor, "");

	/* Pages of 4 walk all ten, newest first, without overlap. */
	q.limit = 4;
	assert_int_equal(list_ids(f, &q, ids, 4, cursor, sizeof(cursor)), 4);
	assert_int_equal(ids[3], t[6]);
	q.cursor = cursor;
	assert_int_equal(list_ids(f, &q, ids, 4, cursor, sizeof(cursor)), 4);
	assert_int_equal(ids[0], t[5]);
	assert_int_equal(list_ids(f, &q, ids, 4, cursor, sizeof(cursor)), 2);
	assert_string_equal(cursor, "");
	q.cursor = "12abc";
	assert_int_equal(store_tickets_view(f->s, &q, &v), TAME_EINVAL);
	q.cursor = NULL;
	q.limit = 50;

	q.status_mask = 1u << TICKET_OPEN;
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 2);
	assert_int_equal(ids[0], t[5]);
	q.status_mask = (1u << TICKET_OPEN) | (1u << TICKET_PENDING);
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 3);
	assert_int_equal(ids[0], t[7]);
	assert_int_equal(ids[2], t[2]);
	q.status_mask = 0;
	q.assignee_id = f->agent;
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 2);
	q.status_mask = 1u << TICKET_NEW;
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 0);
	q.status_mask = 0;
	q.assignee_id = -1;
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 8);
	q.assignee_id = 0;
	q.tag = "vip";
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 1);
	assert_int_equal(ids[0], t[7]);
	q.tag = NULL;
	q.mailbox_id = m2;
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 0);
	q.mailbox_id = f->mbox;
	q.customer_id = c2;
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 0);
	q.customer_id = f->cust;
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 10);
	q.mailbox_id = 0;
	q.customer_id = 0;

	/* Full-text search: words ANDed, FTS5 syntax taken literally. */
	q.q = "printer";
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 5);
	q.q = "PRINTER word3";
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 1);
	assert_int_equal(ids[0], t[3]);
	q.q = "printer OR invoice";
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 0);
	q.q = "\"printer\" * - ^ : word1 (";
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 1);
	q.q = "NEAR(printer word1) \"";   /* no such words, no error */
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 0);
	q.q = "   ";	/* blank: no search */
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 10);
	q.q = "\"\"\" -- *";	/* no word to search: nothing, not all */
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 0);
	q.q = "common";
	q.status_mask = (1u << TICKET_OPEN) | (1u << TICKET_PENDING);
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 3);
	q.status_mask = 0;
	q.limit = 3;
	assert_int_equal(list_ids(f, &q, ids, 20, cursor, sizeof(cursor)), 3);
	q.cursor = cursor;
	assert_int_equal(list_ids(f, &q, ids, 20, cursor, sizeof(cursor)), 3);
	assert_int_equal(ids[0], t[6]);
	q.cursor = NULL;
	q.limit = 50;
	q.q = "ticket";   /* the subject is indexed too */
	assert_int_equal(list_ids(f, &q, ids, 20, NULL, 0), 10);
	q.q = NULL;

	/* The row's shape. */
	q.tag = "billing";
	assert_int_equal(store_tickets_view(f->s, &q, &v), TAME_OK);
	row = json_array_get(json_object_get(v, "tickets"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "status")),
	    "pending");
	assert_string_equal(json_string_value(json_object_get(row,
	    "priority")), "urgent");
	assert_int_equal(json_array_size(json_object_get(row, "tags")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    row, "tags"), 0)), "billing");
	assert_string_equal(json_string_value(json_object_get(row, "preview")),
	    "printer word7 common");
	assert_false(json_is_true(json_object_get(row, "unparsed")));
	assert_true(json_is_null(json_object_get(v, "next_cursor")));
	json_decref(v);
	q.tag = NULL;
	q.q = NULL;
	q.status_mask = 1u << 7;
	assert_int_equal(store_tickets_view(f->s, &q, &v), TAME_EINVAL);
	q.status_mask = 0;
	q.limit = 0;
	assert_int_equal(store_tickets_view(f->s, &q, &v), TAME_EINVAL);
}

static void
test_preview_and_reply_ctx(void **state)
{
	struct fx *f = *state;
	struct message_new m;
	struct reply_ctx c;
	char text[1000], id[32];
	json_t *v;
	int64_t tid, mid, n;
	const char *pv;
	int i;

	memset(text, 0, sizeof(text));
	for (i = 0; i < 300; i++)
		memcpy(text + i * 3, "é\t", 3);
	tid = add_ticket(f, "Long", text, "r0@x", 100);
	assert_int_equal(store_ticket_view(f->s, tid, &v), TAME_OK);
	pv = json_string_value(json_object_get(json_object_get(v, "ticket"),
	    "preview"));
	assert_non_null(pv);
	assert_true(strlen(pv) <= 140 * 4);
	assert_int_equal(strncmp(pv, "é é é", 8), 0);
	json_decref(v);

	for (i = 1; i <= 70; i++) {
		memset(&m, 0, sizeof(m));
		m.ticket_id = tid;
		m.direction = i == 70 ? MSG_NOTE : MSG_IN;
		m.from_email = "bob@customer.org";
		m.text = "more";
		snprintf(id, sizeof(id), "r%d@x", i);
		m.message_id = id;
		m.created_at = 100 + i;
		assert_int_equal(store_message_add(f->s, &m, &mid), TAME_OK);
	}
	assert_int_equal(store_reply_ctx(f->s, tid, &c), TAME_OK);
	assert_int_equal(c.ticket_id, tid);
	assert_string_equal(c.subject, "Long");
	assert_string_equal(c.mailbox_address, "help@example.com");
	assert_string_equal(c.customer_email, "bob@customer.org");
	assert_string_equal(c.last_message_id, "r69@x");
	assert_int_equal(strncmp(c.references, "r0@x r7@x r8@x", 14), 0);
	for (n = 1, i = 0; c.references[i]; i++)
		n += c.references[i] == ' ';
	assert_int_equal(n, 64);
	store_reply_ctx_clear(&c);
	assert_int_equal(store_reply_ctx(f->s, 999, &c), TAME_ENOTFOUND);
	assert_int_equal(store_ticket_count(f->s, &n), TAME_OK);
	assert_int_equal(n, 1);
}

static void
test_outbox(void **state)
{
	struct fx *f = *state;
	struct outbox_item it;
	struct message_new m;
	int64_t tid, mid, o1, o2, o3, due, ack_tid;
	json_t *v, *d;

	tid = add_ticket(f, "Q", "q", NULL, 100);
	memset(&m, 0, sizeof(m));
	m.ticket_id = tid;
	m.direction = MSG_OUT;
	m.text = "answer";
	m.delivery = DELIVERY_QUEUED;
	m.created_at = 110;
	assert_int_equal(store_message_add(f->s, &m, &mid), TAME_OK);
	assert_int_equal(store_outbox_add(f->s, mid, tid, "help@example.com",
	    "bob@customer.org", NULL, "MIME", 4, 0, 1000, &o1), TAME_OK);
	assert_int_equal(store_outbox_add(f->s, 0, 0, "help@example.com",
	    "x@y", NULL, "ACK", 3, 0, 2000, &o2), TAME_OK);

	memset(&it, 0, sizeof(it));
	assert_int_equal(store_outbox_next(f->s, 500, &it, &due),
	    TAME_ENOTFOUND);
	assert_int_equal(due, 1000);
	assert_int_equal(store_outbox_next(f->s, 1500, &it, &due), TAME_OK);
	assert_int_equal(it.id, o1);
	assert_int_equal(it.message_id, mid);
	assert_int_equal(it.ticket_id, tid);
	assert_string_equal(it.rcpts, "bob@customer.org");
	assert_int_equal(it.raw.len, 4);
	assert_memory_equal(it.raw.data, "MIME", 4);
	assert_int_equal(store_outbox_retry(f->s, o1, 3000, "421 later", 1),
	    TAME_OK);
	assert_int_equal(store_outbox_next(f->s, 2500, &it, NULL), TAME_OK);
	assert_int_equal(it.id, o2);
	assert_int_equal(it.message_id, 0);
	assert_int_equal(store_outbox_sent(f->s, o2, 2600), TAME_OK);
	assert_int_equal(store_outbox_next(f->s, 3000, &it, &due), TAME_OK);
	assert_int_equal(it.id, o1);
	assert_int_equal(it.attempts, 1);
	/* waiting for a relay is no try */
	assert_int_equal(store_outbox_retry(f->s, o1, 3000, "no relay", 0),
	    TAME_OK);
	assert_int_equal(store_outbox_next(f->s, 3000, &it, &due), TAME_OK);
	assert_int_equal(it.attempts, 1);
	assert_int_equal(store_outbox_failed(f->s, o1, "550 unknown user"),
	    TAME_OK);
	assert_int_equal(store_outbox_next(f->s, 9999, &it, &due),
	    TAME_ENOTFOUND);
	assert_int_equal(due, 0);
	store_outbox_item_clear(&it);
	assert_int_equal(store_outbox_sent(f->s, 999, 1), TAME_ENOTFOUND);
	/* an acknowledgement is found by its Message-ID; a reply, which has
	 * its message row, is not */
	assert_int_equal(store_outbox_add(f->s, 0, tid, "help@example.com",
	    "x@y", "ack-1@example.com", "ACK", 3, 0, 9000, &o3), TAME_OK);
	assert_int_equal(store_outbox_add(f->s, mid, tid, "help@example.com",
	    "x@y", "reply-1@example.com", "R", 1, 0, 9000, &o3), TAME_OK);
	assert_int_equal(store_outbox_ack_ticket(f->s, "ack-1@example.com",
	    &ack_tid), TAME_OK);
	assert_int_equal(ack_tid, tid);
	assert_int_equal(store_outbox_ack_ticket(f->s, "reply-1@example.com",
	    &ack_tid), TAME_ENOTFOUND);
	assert_int_equal(store_outbox_ack_ticket(f->s, "ack-2@example.com",
	    &ack_tid), TAME_ENOTFOUND);

	assert_int_equal(store_ticket_view(f->s, tid, &v), TAME_OK);
	d = json_object_get(json_array_get(json_object_get(json_object_get(v,
	    "ticket"), "messages"), 1), "delivery");
	assert_string_equal(json_string_value(json_object_get(d, "state")),
	    "failed");
	assert_string_equal(json_string_value(json_object_get(d, "error")),
	    "550 unknown user");
	json_decref(v);
}

static void
test_transactions(void **state)
{
	struct fx *f = *state;
	int64_t id, n;

	assert_int_equal(store_begin(f->s), TAME_OK);
	assert_int_equal(store_savepoint(f->s, "msg"), TAME_OK);
	assert_int_equal(store_raw_add(f->s, "a", 1, NULL, NULL, 1, &id),
	    TAME_OK);
	assert_int_equal(store_rollback_to(f->s, "msg"), TAME_OK);
	assert_int_equal(store_release(f->s, "msg"), TAME_OK);
	assert_int_equal(store_savepoint(f->s, "msg"), TAME_OK);
	assert_int_equal(store_raw_add(f->s, "b", 1, NULL, NULL, 1, &id),
	    TAME_OK);
	assert_int_equal(store_release(f->s, "msg"), TAME_OK);
	assert_int_equal(store_commit(f->s), TAME_OK);
	assert_int_equal(store_raw_count(f->s, &n), TAME_OK);
	assert_int_equal(n, 1);

	assert_int_equal(store_begin(f->s), TAME_OK);
	assert_int_equal(store_raw_add(f->s, "c", 1, NULL, NULL, 1, &id),
	    TAME_OK);
	assert_int_equal(store_rollback(f->s), TAME_OK);
	assert_int_equal(store_raw_count(f->s, &n), TAME_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_savepoint(f->s, "bad name; DROP"), TAME_EINVAL);
	assert_int_equal(store_commit(f->s), TAME_ESTORE);
	assert_non_null(store_errmsg(f->s));
}

static void
test_backup_export(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct store *s2;
	FILE *fp;
	json_t *doc, *v;
	int64_t tid, n;

	tid = add_ticket(f, "Backup me", "precious", "b1@x", 100);
	assert_int_equal(store_event_add(f->s, tid, 0, "created", NULL, 100),
	    TAME_OK);
	snprintf(path, sizeof(path), "%s/copy", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/copy/tame.db", f->dir);
	assert_int_equal(store_backup(f->s, path), TAME_OK);
	snprintf(path, sizeof(path), "%s/copy", f->dir);
	assert_int_equal(store_open(path, 0, &s2), TAME_OK);
	assert_int_equal(store_ticket_count(s2, &n), TAME_OK);
	assert_int_equal(n, 1);
	store_close(s2);

	assert_non_null(fp = tmpfile());
	assert_int_equal(store_export_json(f->s, fp), TAME_OK);
	rewind(fp);
	doc = json_loadf(fp, 0, NULL);
	fclose(fp);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "mailboxes")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "agents")), 1);
	assert_null(json_object_get(json_array_get(json_object_get(doc,
	    "agents"), 0), "pw_hash"));
	assert_int_equal(json_array_size(json_object_get(doc, "customers")), 1);
	v = json_array_get(json_object_get(doc, "tickets"), 0);
	assert_string_equal(json_string_value(json_object_get(v, "subject")),
	    "Backup me");
	assert_int_equal(json_array_size(json_object_get(v, "messages")), 1);
	assert_int_equal(json_array_size(json_object_get(v, "events")), 1);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_pragmas, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_agents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_sessions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mailboxes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_customers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ticket_view, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tickets_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_preview_and_reply_ctx,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_to_search_words,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_13, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_to_tone_earlier,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_transaction, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_backup_export, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
