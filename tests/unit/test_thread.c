/*
 * test_thread.c - the threading rules of core/thread.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/thread.h"

static struct ticket_ref
ref(int64_t id, enum ticket_status st)
{
	struct ticket_ref r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.status = st;
	return r;
}

static void
test_headers_win(void **state)
{
	struct thread_input in;
	struct thread_decision d;

	memset(&in, 0, sizeof(in));
	in.has_header_match = 1;
	in.header_ref = ref(7, TICKET_OPEN);
	in.has_token_match = 1;
	in.token_ref = ref(9, TICKET_OPEN);
	in.token_sender_participant = 1;
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_APPEND);
	assert_int_equal(d.ticket_id, 7);
	assert_int_equal(d.set_status, 0);
}

static void
test_token_needs_participant(void **state)
{
	struct thread_input in;
	struct thread_decision d;

	memset(&in, 0, sizeof(in));
	in.has_token_match = 1;
	in.token_ref = ref(9, TICKET_OPEN);
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_NEW_TICKET);
	in.token_sender_participant = 1;
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_APPEND);
	assert_int_equal(d.ticket_id, 9);
}

static void
test_reopen_and_closed(void **state)
{
	struct thread_input in;
	struct thread_decision d;

	memset(&in, 0, sizeof(in));
	in.has_header_match = 1;
	in.header_ref = ref(3, TICKET_SOLVED);
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_APPEND);
	assert_int_equal(d.set_status, 1);
	assert_int_equal(d.status, TICKET_OPEN);
	in.header_ref = ref(3, TICKET_PENDING);
	thread_decide(&in, &d);
	assert_int_equal(d.status, TICKET_OPEN);
	in.header_ref = ref(3, TICKET_NEW);
	thread_decide(&in, &d);
	assert_int_equal(d.set_status, 0);
	in.header_ref = ref(3, TICKET_CLOSED);
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_NEW_LINKED);
	assert_int_equal(d.ticket_id, 3);
	/* an out-of-office reply joins a solved ticket but leaves it so */
	in.header_ref = ref(3, TICKET_SOLVED);
	in.automatic = 1;
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_APPEND);
	assert_int_equal(d.set_status, 0);
	/* ... and a closed one, without making a new ticket of it */
	in.header_ref = ref(3, TICKET_CLOSED);
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_APPEND);
	assert_int_equal(d.set_status, 0);
	assert_int_equal(d.ticket_id, 3);
	/* mail from an archive the same */
	in.automatic = 0;
	in.archive = 1;
	thread_decide(&in, &d);
	assert_int_equal(d.action, THREAD_APPEND);
	in.header_ref = ref(3, TICKET_SOLVED);
	thread_decide(&in, &d);
	assert_int_equal(d.set_status, 0);
}

static void
test_subject_token(void **state)
{
	assert_int_equal(thread_subject_token("Re: help [#42]"), 42);
	assert_int_equal(thread_subject_token("[#1] and [#77] fwd"), 77);
	assert_int_equal(thread_subject_token("no token [#] [#x1] [42]"), 0);
	assert_int_equal(thread_subject_token(NULL), 0);
	assert_int_equal(thread_subject_token("[#99999999999999999999]"), 0);
}

static void
test_reply_subject(void **state)
{
	char out[256];

	thread_reply_subject("Printer on fire", 5, out, sizeof(out));
	assert_string_equal(out, "Re: Printer on fire [#5]");
	thread_reply_subject("RE: Re[2]: Fwd: Printer [#5]", 5, out,
	    sizeof(out));
	assert_string_equal(out, "Re: Printer [#5]");
	thread_reply_subject("", 12, out, sizeof(out));
	assert_string_equal(out, "Re:  [#12]");
	thread_reply_subject("Record high", 1, out, sizeof(out));
	assert_string_equal(out, "Re: Record high [#1]");
	/* other languages' prefixes: Chinese (full-width colon), Dutch,
	 * Italian, Portuguese; a word that starts like one stays */
	thread_reply_subject("\xe5\x9b\x9e\xe5\xa4\x8d\xef\xbc\x9a"
	    "\xe8\xae\xa2\xe5\x8d\x95 [#58]", 58, out, sizeof(out));
	assert_string_equal(out, "Re: \xe8\xae\xa2\xe5\x8d\x95 [#58]");
	thread_reply_subject("Antw: WG: Odp: Levering", 3, out, sizeof(out));
	assert_string_equal(out, "Re: Levering [#3]");
	thread_reply_subject("RV: awning motor", 5, out, sizeof(out));
	assert_string_equal(out, "Re: RV: awning motor [#5]");
	thread_reply_subject("Trouble: invoice", 4, out, sizeof(out));
	assert_string_equal(out, "Re: Trouble: invoice [#4]");
}

static void
test_subject_auto_reply(void **state)
{
	static const char *const ooo[] = { "Automatic reply: Re: Help [#3]",
		"automatic reply: x", "Out of Office: Re: Help",
		"Out of Office AutoReply: Help", "Abwesenheitsnotiz: Re: x",
		"Automatische Antwort: AW: x", "Autosvar: SV: x",
		"R\xc3\xa9ponse automatique : Re: x",
		"R\xc3\xa9ponse automatique\xc2\xa0: Re: x",
		"Respuesta autom\xc3\xa1tica: RE: x",
		"Risposta automatica: R: x", "Automatisch antwoord: x",
		"\xe8\x87\xaa\xe5\x8a\xa8\xe5\x9b\x9e\xe5\xa4\x8d\xef\xbc\x9a x",
		"Auto: Re: Help [#3]", "AutoReply: Re: x", "Auto: Help [#3]",
		"  Automatic reply: x",
		"R\xc3\x89PONSE AUTOMATIQUE : x",
		"AUTOMATICK\xc3\x81 ODPOV\xc4\x9a\xc4\x8e: x", NULL };
	/* a person's subjects that only start alike */
	static const char *const person[] = { "Auto: insurance claim",
		"Auto reply: how do I turn it on?", "Automatic replies broken",
		"Re: Automatic reply: x", "Out of office", "Automobile: Re: x",
		"Autosvarer virker ikke", "", NULL };
	size_t i;

	for (i = 0; ooo[i]; i++)
		if (!thread_subject_auto_reply(ooo[i], 1))
			fail_msg("not an out-of-office subject: \"%s\"", ooo[i]);
	for (i = 0; person[i]; i++)
		if (thread_subject_auto_reply(person[i], 1))
			fail_msg("a person's subject taken as automatic: "
			    "\"%s\"", person[i]);
	assert_int_equal(thread_subject_auto_reply(NULL, 1), 0);
	/* a new mail that answers nothing is a person's, whatever its
	 * subject; the phrase before a reply's prefix or a token is not */
	assert_int_equal(thread_subject_auto_reply(
	    "Out of office: calendar shows me away", 0), 0);
	assert_int_equal(thread_subject_auto_reply(
	    "Out of office: calendar shows me away", 1), 1);
	assert_int_equal(thread_subject_auto_reply(
	    "Automatic reply: Re: Help", 0), 1);
	assert_int_equal(thread_subject_auto_reply(
	    "Abwesenheitsnotiz: Help [#3]", 0), 1);
	assert_int_equal(thread_subject_auto_reply("Auto: Help", 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_win),
		cmocka_unit_test(test_token_needs_participant),
		cmocka_unit_test(test_reopen_and_closed),
		cmocka_unit_test(test_subject_token),
		cmocka_unit_test(test_reply_subject),
		cmocka_unit_test(test_subject_auto_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
