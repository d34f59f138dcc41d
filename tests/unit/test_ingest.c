/*
 * test_ingest.c - the ingest path on a real store: threading, duplicate
 * Message-IDs, bounces, acknowledgements and the unparsed fallback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "mail/ingest.h"
#include "mail/mime.h"
#include "mail/reply.h"
#include "store/store.h"
#include "store/store_desk.h"
#include "tmpdir.h"

struct fx {
	char dir[64];
	struct store *s;
	int64_t mailbox;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	mime_init();
	tmpdir_make(f->dir, sizeof(f->dir), "ingest");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	assert_int_equal(store_mailbox_create(f->s, "support@example.com",
	    "Support", 1000, &f->mailbox), TAME_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	if (tmpdir_remove(f->dir) != 0)
		return 1;
	free(f);
	return 0;
}

static struct ingest_result
deliver(struct fx *f, const char *raw)
{
	struct ingest_result r;

	assert_int_equal(store_begin(f->s), TAME_OK);
	assert_int_equal(ingest_message(f->s, raw, strlen(raw),
	    "sender@example.org", "support@example.com", 5000, &r), TAME_OK);
	assert_int_equal(store_commit(f->s), TAME_OK);
	return r;
}

static const char *
ticket_status(struct fx *f, int64_t id, char *out, size_t n)
{
	json_t *v;

	assert_int_equal(store_ticket_view(f->s, id, &v), TAME_OK);
	snprintf(out, n, "%s", json_string_value(json_object_get(
	    json_object_get(v, "ticket"), "status")));
	json_decref(v);
	return out;
}

static void
test_new_then_thread(void **state)
{
	struct fx *f = *state;
	struct ingest_result a, b, c;
	char st[16];

	a = deliver(f, "From: Ann <ann@example.org>\r\nTo: support@example.com"
	    "\r\nSubject: Printer\r\nMessage-ID: <a1@example.org>\r\n\r\n"
	    "It is on fire.\r\n");
	assert_true(a.new_ticket);
	assert_false(a.unparsed);
	/* a reply by header goes to the same ticket */
	b = deliver(f, "From: ann@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Re: Printer\r\nMessage-ID: <a2@example.org>\r\n"
	    "In-Reply-To: <a1@example.org>\r\n\r\nStill burning.\r\n");
	assert_false(b.new_ticket);
	assert_int_equal(b.ticket_id, a.ticket_id);
	/* the same message again is stored once */
	c = deliver(f, "From: ann@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Re: Printer\r\nMessage-ID: <a2@example.org>\r\n"
	    "In-Reply-To: <a1@example.org>\r\n\r\nStill burning.\r\n");
	assert_true(c.duplicate);
	assert_string_equal(ticket_status(f, a.ticket_id, st, sizeof(st)),
	    "new");
}

static void
test_token_rule(void **state)
{
	struct fx *f = *state;
	struct ingest_result a, b, c;
	char raw[512];

	a = deliver(f, "From: bob@example.org\r\nSubject: Login\r\n"
	    "Message-ID: <b1@example.org>\r\n\r\nCannot log in.\r\n");
	snprintf(raw, sizeof(raw), "From: mallory@evil.example\r\n"
	    "Subject: Re: Login [#%lld]\r\nMessage-ID: <m1@evil.example>\r\n"
	    "\r\nLet me in.\r\n", (long long)a.ticket_id);
	b = deliver(f, raw);
	assert_true(b.new_ticket);
	assert_int_not_equal(b.ticket_id, a.ticket_id);
	snprintf(raw, sizeof(raw), "From: bob@example.org\r\n"
	    "Subject: Re: Login [#%lld]\r\nMessage-ID: <b2@example.org>\r\n"
	    "\r\nMore detail.\r\n", (long long)a.ticket_id);
	c = deliver(f, raw);
	assert_false(c.new_ticket);
	assert_int_equal(c.ticket_id, a.ticket_id);
}

static void
test_reply_reopen_and_bounce(void **state)
{
	struct fx *f = *state;
	struct ingest_result a, b;
	struct reply_req r;
	int64_t msg;
	char st[16], raw[2048];
	json_t *v, *msgs;
	const char *mid;

	a = deliver(f, "From: cy@example.org\r\nSubject: Refund\r\n"
	    "Message-ID: <c1@example.org>\r\n\r\nWhere is my money?\r\n");
	memset(&r, 0, sizeof(r));
	r.ticket_id = a.ticket_id;
	r.text = "On its way.";
	r.has_status = 1;
	r.status = TICKET_SOLVED;
	assert_int_equal(reply_send(f->s, &r, 6000, &msg), TAME_OK);
	assert_string_equal(ticket_status(f, a.ticket_id, st, sizeof(st)),
	    "solved");
	assert_int_equal(store_ticket_view(f->s, a.ticket_id, &v), TAME_OK);
	msgs = json_object_get(json_object_get(v, "ticket"), "messages");
	mid = json_string_value(json_object_get(json_array_get(msgs, 1),
	    "message_id"));
	assert_non_null(mid);
	snprintf(raw, sizeof(raw), "From: MAILER-DAEMON@example.org\r\n"
	    "To: support@example.com\r\nSubject: Undelivered\r\n"
	    "Message-ID: <dsn1@example.org>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\n"
	    "Content-Type: text/plain\r\n\r\nNo such user.\r\n--B\r\n"
	    "Content-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; mx.example.org\r\n\r\n"
	    "Final-Recipient: rfc822; cy@example.org\r\nAction: failed\r\n"
	    "Status: 5.1.1\r\n\r\n--B\r\nContent-Type: text/rfc822-headers"
	    "\r\n\r\nMessage-ID: <%s>\r\nSubject: Re: Refund\r\n\r\n--B--\r\n",
	    mid);
	json_decref(v);
	b = deliver(f, raw);
	assert_int_equal(b.ticket_id, a.ticket_id);
	assert_int_equal(store_ticket_view(f->s, a.ticket_id, &v), TAME_OK);
	msgs = json_object_get(json_object_get(v, "ticket"), "messages");
	/* the reply, after the bounce of it (which is dated 5000) */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    msgs, 2), "id")), msg);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(msgs, 2), "delivery"), "state")), "failed");
	json_decref(v);
	/* the customer writes again: the solved ticket opens */
	b = deliver(f, "From: cy@example.org\r\nSubject: Re: Refund\r\n"
	    "Message-ID: <c2@example.org>\r\nIn-Reply-To: <c1@example.org>"
	    "\r\n\r\nNothing arrived.\r\n");
	assert_int_equal(b.ticket_id, a.ticket_id);
	assert_string_equal(ticket_status(f, a.ticket_id, st, sizeof(st)),
	    "open");
}

static void
test_garbage_kept(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;
	static const char junk[] = "\x01\x02\xff\xfe not a mail at all \0 x";

	assert_int_equal(store_begin(f->s), TAME_OK);
	assert_int_equal(ingest_message(f->s, junk, sizeof(junk) - 1, "",
	    "support@example.com", 7000, &r), TAME_OK);
	assert_int_equal(store_commit(f->s), TAME_OK);
	assert_true(r.ticket_id > 0);
	assert_true(r.raw_id > 0);
}

/* A message kept as unparsed because its rows could not be written
 * keeps its Message-ID, so its next copy (the sender's retry) is a
 * duplicate, not another unparsed ticket. The rows fail by a trigger on
 * the participants, which only the full path writes. */
static void
test_fallback_keeps_the_message_id(void **state)
{
	static const char mail[] = "From: boom@example.org\r\n"
	    "Subject: Rows fail\r\nMessage-ID: <boom1@example.org>\r\n"
	    "\r\nHello.\r\n";
	struct fx *f = *state;
	struct ingest_result a, b;
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/tame.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT"
	    " ON participants WHEN NEW.email = 'boom@example.org'"
	    " BEGIN SELECT RAISE(ABORT, 'boom'); END", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	a = deliver(f, mail);
	assert_true(a.unparsed);
	assert_true(a.ticket_id > 0);
	b = deliver(f, mail);
	assert_true(b.duplicate);
	assert_int_equal(b.ticket_id, 0);
}

static void
test_ack_once_and_never_automatic(void **state)
{
	struct fx *f = *state;
	struct ingest_result r;

	assert_int_equal(store_mailbox_update(f->s, f->mailbox, NULL, 1,
	    "Got it: #{{ticket.id}}"), TAME_OK);
	r = deliver(f, "From: dee@example.org\r\nSubject: One\r\n"
	    "Message-ID: <d1@example.org>\r\n\r\nHi.\r\n");
	assert_true(r.acked);
	r = deliver(f, "From: dee@example.org\r\nSubject: Two\r\n"
	    "Message-ID: <d2@example.org>\r\n\r\nHi again.\r\n");
	assert_false(r.acked);
	r = deliver(f, "From: robot@example.org\r\nSubject: Out of office\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "Message-ID: <e1@example.org>\r\n\r\nAway.\r\n");
	assert_true(r.new_ticket);
	assert_false(r.acked);
}

/* The ticket begins with the message msgid, under subject. */
static void
assert_begins(struct fx *f, int64_t tid, const char *msgid,
    const char *subject)
{
	json_t *v, *msgs;

	assert_int_equal(store_ticket_view(f->s, tid, &v), TAME_OK);
	msgs = json_object_get(json_object_get(v, "ticket"), "messages");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    msgs, 0), "message_id")), msgid);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    v, "ticket"), "subject")), subject);
	json_decref(v);
}

/* Mail that comes after its answers (two imports, mail out of order)
 * joins the ticket the answer started, reads before it, reopens
 * nothing; when it answers a ticket of its own, the answer's ticket is
 * merged into that one, but not into a closed one. */
static void
test_answer_first(void **state)
{
	static const char *const stranger[][2] = {
		{ "From: eve@example.net\r\nSubject: Re: Bill\r\n"
		  "Message-ID: <e1@example.net>\r\nIn-Reply-To: "
		  "<b@example.org>\r\n\r\nMine now.\r\n",
		  "From: ann@example.org\r\nTo: support@example.com\r\n"
		  "Subject: Bill\r\nMessage-ID: <b@example.org>\r\n\r\n"
		  "The bill is wrong.\r\n" },
		{ "From: support@example.com\r\nReply-To: eve@example.net"
		  "\r\nSubject: Re: Lamp\r\nMessage-ID: <e2@example.net>"
		  "\r\nIn-Reply-To: <c@example.org>\r\n\r\nMine too.\r\n",
		  "From: hana@example.org\r\nTo: support@example.com\r\n"
		  "Subject: Lamp\r\nMessage-ID: <c@example.org>\r\n\r\n"
		  "The lamp flickers.\r\n" },
	};
	struct fx *f = *state;
	struct ingest_result q, r, x, y, z;
	int64_t into;
	char st[16];
	size_t i;

	r = deliver(f, "From: ann@example.org\r\nSubject: Re: Fan\r\n"
	    "Message-ID: <r@example.org>\r\nIn-Reply-To: <q@example.org>"
	    "\r\n\r\nAny news?\r\n");
	assert_int_equal(store_ticket_set_status(f->s, r.ticket_id,
	    TICKET_SOLVED, 5000), TAME_OK);
	q = deliver(f, "From: ann@example.org\r\nSubject: Fan\r\n"
	    "Message-ID: <q@example.org>\r\n\r\nThe fan is loud.\r\n");
	assert_false(q.new_ticket);
	assert_int_equal(q.ticket_id, r.ticket_id);
	/* a customer's mail that arrives now is news, as any reply is */
	assert_string_equal(ticket_status(f, r.ticket_id, st, sizeof(st)),
	    "open");
	assert_begins(f, r.ticket_id, "q@example.org", "Fan");
	/* an answer to the first mail, and one to it that came first */
	y = deliver(f, "From: ann@example.org\r\nSubject: Re: Fan\r\n"
	    "Message-ID: <y@example.org>\r\nIn-Reply-To: <x@example.org>"
	    "\r\n\r\nHello?\r\n");
	assert_true(y.new_ticket);
	x = deliver(f, "From: ann@example.org\r\nSubject: Re: Fan\r\n"
	    "Message-ID: <x@example.org>\r\nIn-Reply-To: <q@example.org>"
	    "\r\n\r\nStill loud.\r\n");
	assert_int_equal(x.ticket_id, r.ticket_id);
	assert_int_equal(store_desk_merged_into(f->s, y.ticket_id, &into),
	    TAME_OK);
	assert_int_equal(into, r.ticket_id);
	/* a closed ticket takes no open one in: the mail joins its answer */
	assert_int_equal(store_ticket_set_status(f->s, r.ticket_id,
	    TICKET_CLOSED, 5000), TAME_OK);
	y = deliver(f, "From: ann@example.org\r\nSubject: Re: Fan\r\n"
	    "Message-ID: <y2@example.org>\r\nIn-Reply-To: <z@example.org>"
	    "\r\n\r\nAgain?\r\n");
	z = deliver(f, "From: ann@example.org\r\nSubject: Re: Fan\r\n"
	    "Message-ID: <z@example.org>\r\nIn-Reply-To: <x@example.org>"
	    "\r\n\r\nLouder.\r\n");
	assert_false(z.new_ticket);
	assert_int_equal(z.ticket_id, y.ticket_id);
	assert_int_equal(store_desk_merged_into(f->s, y.ticket_id, &into),
	    TAME_OK);
	assert_int_equal(into, 0);
	/* an answer's closed ticket: the mail starts a ticket linked to it,
	 * as a reply to a closed ticket does, and is not hidden in it */
	y = deliver(f, "From: ann@example.org\r\nSubject: Re: Door\r\n"
	    "Message-ID: <a2@example.org>\r\nIn-Reply-To: <w@example.org>"
	    "\r\n\r\nAnd the door?\r\n");
	assert_true(y.new_ticket);
	assert_int_equal(store_ticket_set_status(f->s, y.ticket_id,
	    TICKET_CLOSED, 5000), TAME_OK);
	x = deliver(f, "From: ann@example.org\r\nSubject: Door\r\n"
	    "Message-ID: <w@example.org>\r\n\r\nThe door squeaks.\r\n");
	assert_true(x.new_ticket);
	assert_string_equal(ticket_status(f, x.ticket_id, st, sizeof(st)),
	    "new");
	assert_int_equal(store_desk_merged_into(f->s, y.ticket_id, &into),
	    TAME_OK);
	assert_int_equal(into, 0);
	/* an answer by someone the mail was neither from, to nor copied
	 * to takes nothing, nor one "from" our mailbox (anyone can write
	 * that) */
	for (i = 0; i < sizeof(stranger) / sizeof(stranger[0]); i++) {
		y = deliver(f, stranger[i][0]);
		x = deliver(f, stranger[i][1]);
		assert_true(x.new_ticket);
		assert_int_not_equal(x.ticket_id, y.ticket_id);
	}
}

/* An answer whose own parent never comes (an answer from another
 * system, a forward) names the thread's first mail only in its
 * References; a mail program may send References without In-Reply-To.
 * The first mail, when it comes, joins the answer's ticket all the
 * same; also on a store of schema 21, which kept only In-Reply-To. */
static void
test_answer_names_it_in_references(void **state)
{
	struct fx *f = *state;
	struct ingest_result a, c;
	sqlite3 *db;
	char path[128];

	c = deliver(f, "From: ann@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Re: Kettle\r\nMessage-ID: <k3@example.org>\r\n"
	    "In-Reply-To: <k2@elsewhere.example>\r\nReferences: "
	    "<k1@example.org> <k2@elsewhere.example>\r\n\r\nStill cold."
	    "\r\n");
	assert_true(c.new_ticket);
	a = deliver(f, "From: ann@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Kettle\r\nMessage-ID: <k1@example.org>\r\n\r\n"
	    "The kettle does not heat.\r\n");
	assert_false(a.new_ticket);
	assert_int_equal(a.ticket_id, c.ticket_id);
	assert_begins(f, c.ticket_id, "k1@example.org", "Kettle");

	c = deliver(f, "From: bo@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Re: Toaster\r\nMessage-ID: <t2@example.org>\r\n"
	    "References: <t1@example.org>\r\n\r\nAny news?\r\n");
	assert_true(c.new_ticket);
	a = deliver(f, "From: bo@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Toaster\r\nMessage-ID: <t1@example.org>\r\n\r\n"
	    "The toaster burns.\r\n");
	assert_int_equal(a.ticket_id, c.ticket_id);

	/* an answer stored by the build of schema 21 */
	c = deliver(f, "From: cy@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Re: Lamp\r\nMessage-ID: <u3@example.org>\r\n"
	    "In-Reply-To: <u2@elsewhere.example>\r\nReferences: "
	    "<u1@example.org> <u2@elsewhere.example>\r\n\r\nStill dark."
	    "\r\n");
	store_close(f->s);
	f->s = NULL;
	snprintf(path, sizeof(path), "%s/tame.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE message_waits;"
	    "CREATE INDEX messages_orphan ON messages(in_reply_to)"
	    " WHERE orphan; DROP INDEX tickets_mailbox_status;"
	    " DROP INDEX outbox_mass; ALTER TABLE outbox DROP COLUMN mass;"
	    " PRAGMA user_version = 21;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	a = deliver(f, "From: cy@example.org\r\nTo: support@example.com\r\n"
	    "Subject: Lamp\r\nMessage-ID: <u1@example.org>\r\n\r\n"
	    "The lamp is dark.\r\n");
	assert_int_equal(a.ticket_id, c.ticket_id);
	assert_begins(f, c.ticket_id, "u1@example.org", "Lamp");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_then_thread, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_reopen_and_bounce,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fallback_keeps_the_message_id,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_once_and_never_automatic,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_first, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_answer_names_it_in_references, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
