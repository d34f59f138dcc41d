/*
 * test_template.c - placeholders of saved and mass replies
 * (src/core/template.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/buf.h"
#include "core/template.h"

/* Renders tpl for t and compares with want. */
static void
check_render(const char *tpl, const struct template_ticket *t,
    const char *want)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(template_render(tpl, t, &b), TAME_OK);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static const struct template_ticket ann = {
	.ticket_id = 42,
	.ticket_subject = "My invoice is missing",
	.customer_name = "Ann Example",
	.customer_email = "ann@example.org",
	.agent_name = "Ada Admin",
	.agent_email = "ada@example.com",
};

static void
test_known_placeholders(void **state)
{
	check_render("Hi {{customer.first_name}},", &ann, "Hi Ann,");
	check_render("{{customer.name}} <{{customer.email}}>", &ann,
	    "Ann Example <ann@example.org>");
	check_render("Ticket #{{ticket.id}}: {{ticket.subject}}", &ann,
	    "Ticket #42: My invoice is missing");
	check_render("{{agent.name}} / {{agent.first_name}}", &ann,
	    "Ada Admin / Ada");
	/* spaces inside the braces are allowed */
	check_render("{{ customer.first_name }}!", &ann, "Ann!");
	check_render("", &ann, "");
	check_render("no placeholders", &ann, "no placeholders");
}

static void
test_unknown_left_visible(void **state)
{
	check_render("Dear {{customer.title}} {{customer.first_name}}", &ann,
	    "Dear {{customer.title}} Ann");
	check_render("{{", &ann, "{{");
	check_render("a {{ b", &ann, "a {{ b");
	check_render("{{}}", &ann, "{{}}");
	check_render("{{customer.first_name}", &ann,
	    "{{customer.first_name}");
	check_render("{{{customer.first_name}}}", &ann, "{{{customer."
	    "first_name}}}");
	check_render("{{{{ticket.id}}", &ann, "{{42");
	/* values are not expanded again */
	{
		struct template_ticket t = ann;

		t.ticket_subject = "{{customer.email}}";
		check_render("{{ticket.subject}}", &t, "{{customer.email}}");
	}
}

static void
test_missing_names(void **state)
{
	struct template_ticket t = ann;

	t.customer_name = NULL;
	t.customer_email = "jane.doe@example.org";
	check_render("Hi {{customer.first_name}} ({{customer.name}})", &t,
	    "Hi Jane (jane.doe@example.org)");
	t.customer_name = "  ";
	check_render("{{customer.first_name}}", &t, "Jane");
	t.customer_email = NULL;
	t.customer_name = NULL;
	check_render("[{{customer.first_name}}][{{customer.email}}]", &t,
	    "[][]");
	t.agent_name = "";
	check_render("{{agent.name}}", &t, "ada@example.com");
}

static void
test_first_name(void **state)
{
	char out[64];

	template_first_name("Doe, Jane", NULL, out, sizeof(out));
	assert_string_equal(out, "Jane");
	template_first_name("Dr. Jane Doe", NULL, out, sizeof(out));
	assert_string_equal(out, "Jane");
	template_first_name("\"Bob\" Smith", NULL, out, sizeof(out));
	assert_string_equal(out, "Bob");
	template_first_name("Dr.", NULL, out, sizeof(out));
	assert_string_equal(out, "Dr.");
	template_first_name("Zoë Müller", NULL, out, sizeof(out));
	assert_string_equal(out, "Zoë");
	template_first_name(NULL, "carol@example.org", out, sizeof(out));
	assert_string_equal(out, "Carol");
	/* an initial or initials are no name to greet */
	template_first_name("", "x_y+z@example.org", out, sizeof(out));
	assert_string_equal(out, "");
	template_first_name(NULL, NULL, out, sizeof(out));
	assert_string_equal(out, "");
	/* cut at a character boundary */
	template_first_name("Zoëëëë", NULL, out, 5);
	assert_string_equal(out, "Zoë");
}

/* What the probe of a morning's wave met: a greeting from an address's
 * initial, a company's name, a name in capitals, a Chinese name. */
static void
test_first_name_sensible(void **state)
{
	static const char *const cases[][3] = {
		/* name, address, first name */
		/* an initial, initials, a shared mailbox: no name to greet */
		{ NULL, "k.t@outlook.example", "" },
		{ NULL, "jd@example.org", "" },
		{ NULL, "info@example.org", "" },
		{ NULL, "ed@example.org", "Ed" },
		/* the address written where the name goes */
		{ "k.t@outlook.example", "k.t@outlook.example", "" },
		{ "mark.evans@example.org", NULL, "Mark" },
		/* a company or a shared desk has no first name, nor its
		 * address */
		{ "ACME Ltd Accounts", "acme@acme.example", "" },
		{ "Billing Team", "billing@x.example", "" },
		{ "Globex GmbH", NULL, "" },
		{ "Initech Inc.", NULL, "" },
		{ "Example Support", NULL, "" },
		{ "Acme Widgets, Inc.", NULL, "" },
		{ "Sales Office", "sales@x.example", "" },
		{ "Henry & Co.", NULL, "" },
		/* surnames that are desk words too: the person's first name */
		{ "Maria Sales", "maria@x.example", "Maria" },
		{ "Henry Co", NULL, "Henry" },
		{ "Ana Service", NULL, "Ana" },
		{ "Sa Kim", NULL, "Sa" },
		/* a signature's title after a bar or a comma */
		{ "Jane Doe | Support Engineer, Globex", NULL, "Jane" },
		{ "Jane Doe, Support Engineer", NULL, "Jane" },
		{ "Smith, Anna (Finance)", NULL, "Anna" },
		{ "Dr. Doe, Jane", NULL, "Jane" },
		/* no first name in the name: the address's */
		{ "Dr.", "maria@x.example", "Dr." },
		{ "\"\"", "maria@x.example", "Maria" },
		{ "| Globex", "maria@x.example", "Maria" },
		/* capitals only: title case; small letters as written */
		{ "MARK EVANS", NULL, "Mark" },
		{ "JEAN-PAUL SARTRE", NULL, "Jean-Paul" },
		{ "ZOË MÜLLER", NULL, "Zoë" },
		{ "EVANS, MARK", NULL, "Mark" },
		{ "McDonald Ian", NULL, "McDonald" },
		{ "DJ", NULL, "DJ" },
		{ "DJ Khaled", NULL, "DJ" },
		{ "A", NULL, "A" },
		/* Han, Hangul, Kana: family name first; the whole name */
		{ "李 伟", NULL, "李 伟" },
		{ " 김민준 ", NULL, "김민준" },
		{ "山田 たろう", NULL, "山田 たろう" },
		{ "\"王 小明\"", NULL, "王 小明" },
	};
	struct template_ticket t = ann;
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		template_first_name(cases[i][0], cases[i][1], out, sizeof(out));
		assert_string_equal(out, cases[i][2]);
	}
	/* without a first name the greeting closes up ("Hi," rather than
	 * "Hi K," or "Hi ,") */
	t.customer_name = NULL;
	t.customer_email = "k.t@outlook.example";
	check_render("Hi {{customer.first_name}},\nthanks.", &t,
	    "Hi,\nthanks.");
	check_render("Hello {{customer.first_name}}!", &t, "Hello!");
	check_render("Hi {{customer.first_name}} and welcome", &t,
	    "Hi and welcome");
	t.customer_name = "ACME Ltd Accounts";
	check_render("Hi {{customer.first_name}},", &t, "Hi,");
	check_render("Dear {{customer.name}}", &t, "Dear ACME Ltd Accounts");
	t.customer_name = "MARK EVANS";
	check_render("Hi {{customer.first_name}},", &t, "Hi Mark,");
	t.customer_name = "李 伟";
	check_render("Hi {{customer.first_name}},", &t, "Hi 李 伟,");
}

static void
test_cap(void **state)
{
	struct template_var v[] = { { "x", "0123456789" } };
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(template_expand("{{x}}", v, 1, &b), TAME_ETOOBIG);
	buf_free(&b);
	buf_init(&b, 64);
	assert_int_equal(template_expand("a{{x}}b{{ x }}", v, 1, &b),
	    TAME_OK);
	assert_string_equal(buf_str(&b), "a0123456789b0123456789");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_placeholders),
		cmocka_unit_test(test_unknown_left_visible),
		cmocka_unit_test(test_missing_names),
		cmocka_unit_test(test_first_name),
		cmocka_unit_test(test_first_name_sensible),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
