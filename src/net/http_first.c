/*
 * http_first.c - the agents' page with its first rows in it.
 *
 * GET / for a signed-in agent answers index.html with the Unassigned
 * view (the view the app opens on) already drawn in <main>: the list
 * head and the first page of rows, the same elements and classes that
 * web/inbox.js makes. The browser paints them as soon as the page and
 * its style sheet are in, before any script has run; the app then asks
 * for the list again (after its live stream is open, so that nothing
 * changed in between is missed) and draws its own rows over these in
 * one frame. web/first.js, a small script in the head, hides them when
 * the address asks for another view. The head's modulepreload links are
 * left out of this page: the rows come first, the modules after them.
 *
 * Keep the markup here and in inbox.js (build() and row()) alike: the
 * browser test "first rows" compares the two.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include "http_first.h"
#include "core/buf.h"
#include "core/util.h"
#include "store/store.h"

/* The largest page this makes: 50 rows of the longest subjects,
 * previews, tone evidence and tags, every byte escaped, come to about
 * 1.5 MB. */
#define FIRST_PAGE_MAX (4 * 1024 * 1024)
/* Rows of the first page: PAGE of web/queue.js. */
#define FIRST_ROWS 50
/* As web/inbox.js: messages from which a thread is warm or hot (sticky),
 * and the wait (s) from which a customer has waited long. */
#define COUNT_HOT 12
#define COUNT_WARM 6
#define LONG_WAIT_S (24 * 3600)
/* A year of 365.25 days (s), from which a wait is told in years, and
 * in months (a twelfth of it) from 9 weeks. */
#define YEAR_S 31557600
/* A tone dimension shows from this score up (web/tone.js). */
#define TONE_SHOWN 0.5

struct pair {
	const char *id, *label;
};

static const struct pair sorts[] = {
	{ "oldest", "Oldest waiting" }, { "newest", "Newest" },
	{ "priority", "Priority" },
};
static const struct pair prios[] = {
	{ "any", "Any priority" }, { "urgent", "Urgent" },
	{ "urgent,high", "High and urgent" }, { "high", "High" },
	{ "normal", "Normal" }, { "low", "Low" },
};
/* Strongest first on a tie, as web/tone.js lists them. */
static const struct pair dims[] = {
	{ "abusive", "abusive" }, { "anger", "angry" },
	{ "frustration", "frustrated" }, { "urgency", "urgent" },
	{ "confusion", "confused" }, { "cheer", "cheerful" },
};
static const struct pair flag_names[] = {
	{ "long_message", "long message" },
	{ "many_messages", "many messages" },
	{ "waiting_long", "waiting long" },
	{ "repeat_customer", "wrote before" },
	{ "reopened", "reopened" }, { "abusive", "abusive" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static enum tame_err
html(struct buf *b, const char *s)
{
	return buf_add_html(b, s, strlen(s));
}

/* The length of the explicit bidi control at p (U+202A-202E,
 * U+2066-2069), or 0: an override or isolate, which a mark is not. */
static size_t
embedding(const unsigned char *p)
{
	size_t n = tame_bidi_control(p);

	return n == 3 && p[2] != 0x8e && p[2] != 0x8f ? n : 0;
}

/* html() of s with each bidi control ctl() finds the length of
 * replaced by with ("" leaves it out). */
static enum tame_err
html_without(struct buf *b, const char *s,
    size_t (*ctl)(const unsigned char *), const char *with)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	enum tame_err rc;
	size_t n;

	while (*p) {
		if (!(n = ctl(p))) {
			p++;
			continue;
		}
		if ((rc = buf_add_html(b, (const char *)run,
		    (size_t)(p - run))) ||
		    (rc = buf_add(b, with, strlen(with))))
			return rc;
		p += n;
		run = p;
	}
	return buf_add_html(b, (const char *)run, (size_t)(p - run));
}

/* html() of a customer's one-line text without explicit bidi controls,
 * as flat() of web/dom.js: one left open would draw what follows inside
 * its run. */
static enum tame_err
html_flat(struct buf *b, const char *s)
{
	return html_without(b, s, embedding, "");
}

/* 1 if c ends an address in a name: a space, a control or one of
 * <>()[]",;: (IN_NAME of web/dom.js). */
static int
addr_stop(char c)
{
	return (unsigned char)c <= ' ' || strchr("<>()[]\",;:", c) != NULL;
}

/* The first "@" in s, or one of the two that look like it (fullwidth
 * U+FF20, small U+FE6B), with its length in *n; NULL when none. */
static const char *
next_at(const char *s, size_t *n)
{
	for (; *s; s++) {
		*n = *s == '@' ? 1 : strncmp(s, "\xef\xbc\xa0", 3) == 0 ||
		    strncmp(s, "\xef\xb9\xab", 3) == 0 ? 3 : 0;
		if (*n)
			return s;
	}
	return NULL;
}

/* 1 if name holds an address (a run of characters that are not
 * addr_stop with an "@", or one that looks like it, inside it) other
 * than email, ignoring case. */
static int
names_other(const char *name, const char *email)
{
	const char *at, *a, *b;
	size_t n = strlen(email), k;

	for (at = next_at(name, &k); at; at = next_at(at + k, &k)) {
		for (a = at; a > name && !addr_stop(a[-1]); a--)
			;
		for (b = at + k; *b && !addr_stop(*b); b++)
			;
		if (a < at && b > at + k && ((size_t)(b - a) != n ||
		    strncasecmp(a, email, n) != 0))
			return 1;
	}
	return 0;
}

/* personName() of web/dom.js, escaped: the name, else the email (none
 * when there is neither); the email when the name holds another address
 * ("ceo@example.com" <x@evil.example> would pass for the CEO). An email
 * is shown with each bidi control as U+FFFD (addr() of web/dom.js):
 * "<RLO>moc.elpmaxe@oec" would read ceo@example.com. */
static enum tame_err
html_person(struct buf *b, json_t *p, const char *none)
{
	const char *s = str(p, "name"), *email = str(p, "email");

	if (*s && !names_other(s, email))
		return html(b, s);
	return html_without(b, *email ? email : none, tame_bidi_control,
	    "\xef\xbf\xbd");
}

/* ago() of web/dom.js for secs: "now", "5m", "3h", "2d", "4w", "2mo",
 * "3y". */
static void
ago(int64_t secs, char out[32])
{
	if (secs < 60)
		snprintf(out, 32, "now");
	else if (secs < 3600)
		snprintf(out, 32, "%lldm", (long long)(secs / 60));
	else if (secs < 86400)
		snprintf(out, 32, "%lldh", (long long)(secs / 3600));
	else if (secs < 86400 * 14)
		snprintf(out, 32, "%lldd", (long long)(secs / 86400));
	else if (secs < 86400 * 63)
		snprintf(out, 32, "%lldw", (long long)(secs / 86400 / 7));
	else if (secs < YEAR_S)
		snprintf(out, 32, "%lldmo", (long long)(secs / (YEAR_S / 12)));
	else
		snprintf(out, 32, "%lldy", (long long)(secs / YEAR_S));
}

/* stamp() of web/dom.js as an agent at UTC sees it, "2026-12-02 14:41
 * UTC": tamed does not know the browser's zone, and its own would be
 * a wall time the agent cannot place; the app's rows, a moment later,
 * give the agent's local time and this same UTC time. */
static void
stamp(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		out[0] = '\0';
}

static const char *
flag_name(const char *kind)
{
	size_t i;

	for (i = 0; i < NELEM(flag_names); i++)
		if (strcmp(flag_names[i].id, kind) == 0)
			return flag_names[i].label;
	return NULL;
}

/* The one tone chip toneChips(tone, 1) shows: the index into dims, or
 * -1. Abusive first, then the highest score of at least TONE_SHOWN. */
static int
tone_pick(json_t *tone)
{
	double best = -1, v;
	int pick = -1;
	size_t i;

	if (!json_is_object(tone))
		return -1;
	if (json_is_true(json_object_get(tone, "abusive")))
		return 0;
	for (i = 1; i < NELEM(dims); i++) {
		v = json_number_value(json_object_get(tone, dims[i].id));
		if (v >= TONE_SHOWN && v > best) {
			best = v;
			pick = (int)i;
		}
	}
	return pick;
}

/* A chip as chip() of web/tone.js draws it: label shown, more (the
 * words that show it, a flag's reason) in its title (title, or label
 * and more when NULL) and, visually hidden, in its text for a screen
 * reader; said (the row's aria-label) gets ", label more". */
static void
chip(struct buf *chips, struct buf *said, const char *cls,
    const char *title, const char *label, const char *more)
{
	buf_printf(chips, "<span class=\"chip %s\" title=\"", cls);
	html(chips, title ? title : label);
	if (!title)
		html(chips, more);
	buf_addstr(chips, "\">");
	html(chips, label);
	if (*more) {
		buf_addstr(chips, "<span class=\"sr-only\">");
		html(chips, more);
		buf_addstr(chips, "</span>");
	}
	buf_addstr(chips, "</span>");
	buf_addstr(said, ", ");
	html(said, label);
	html(said, more);
}

/* The chips of a row (a tone, then an outlier flag, one of each at
 * most) into chips, their texts into said (", angry, ..." for the
 * row's aria-label); how many. */
static int
row_chips(json_t *t, struct buf *chips, struct buf *said)
{
	json_t *tone = json_object_get(t, "tone_earlier"), *ev, *e, *f;
	const char *d, *kind, *name, *reason;
	struct buf more, label;
	int n = 0, d_i, words = 0;
	size_t i;

	/* an earlier heated message is shown while the latest is plain */
	if (!json_is_object(tone))
		tone = json_object_get(t, "tone");

	buf_init(&more, FIRST_PAGE_MAX);
	buf_init(&label, FIRST_PAGE_MAX);
	if ((d_i = tone_pick(tone)) >= 0) {
		d = dims[d_i].id;
		if (d_i != 0)	/* Math.round() */
			buf_printf(&more, " (%.0f%%)", floor(json_number_value(
			    json_object_get(tone, d)) * 100 + 0.5));
		ev = json_object_get(tone, "evidence");
		json_array_foreach(ev, i, e) {
			const char *dim = str(e, "dimension");

			if (strcmp(dim, d) != 0 && !(d_i == 0 &&
			    strcmp(dim, "anger") == 0))
				continue;
			buf_addstr(&more, words++ ? ", “" : ": “");
			buf_addstr(&more, str(e, "text"));
			buf_addstr(&more, "”");
		}
		buf_printf(&label, "tone-%s", d);
		chip(chips, said, buf_str(&label), NULL, dims[d_i].label,
		    buf_str(&more));
		n++;
	}
	f = json_array_get(json_object_get(t, "flags"), 0);
	if (f) {
		kind = str(f, "kind");
		name = flag_name(kind);
		reason = str(f, "reason");
		buf_reset(&more);
		buf_reset(&label);
		if (*reason)
			buf_printf(&more, ": %s", reason);
		buf_addstr(&label, "⚑ ");
		if (name)
			buf_addstr(&label, name);
		else
			for (; *kind; kind++)
				buf_add(&label, *kind == '_' ? " " : kind, 1);
		chip(chips, said, "flag", *reason ? reason : name ? name :
		    str(f, "kind"), buf_str(&label), buf_str(&more));
		n++;
	}
	buf_free(&more);
	buf_free(&label);
	return n;
}

/* One row of the list, as row() of web/inbox.js draws it. */
static void
row(struct buf *b, json_t *t, int64_t now, int selected)
{
	json_int_t id = json_integer_value(json_object_get(t, "id"));
	json_int_t n = json_integer_value(json_object_get(t, "message_count"));
	const char *status = str(t, "status"), *prio = str(t, "priority");
	const char *subject = str(t, "subject"), *since_s, *tag;
	json_t *assignee = json_object_get(t, "assignee"), *tags, *g;
	json_t *customer = json_object_get(t, "customer");
	int waiting = strcmp(status, "new") == 0 ||
	    strcmp(status, "open") == 0;
	int64_t since = 0, secs;
	struct buf chips, said;
	char when[32], at[32];
	int nchips;
	size_t i;

	since_s = waiting ? str(t, *str(t, "last_customer_at") ?
	    "last_customer_at" : "created_at") : str(t, "updated_at");
	if (tame_time_parse(since_s, &since))
		since = now;
	secs = since < now ? (now - since) / 1000 : 0;
	ago(secs, when);
	stamp(since, at);
	buf_init(&chips, FIRST_PAGE_MAX);
	buf_init(&said, FIRST_PAGE_MAX);
	nchips = row_chips(t, &chips, &said);

	buf_printf(b, "<li id=\"row-%lld\" role=\"option\" aria-selected=\"%s\""
	    " aria-label=\"", (long long)id, selected ? "true" : "false");
	html_person(b, customer, "(unknown sender)");
	buf_addstr(b, ", ");
	html(b, subject);
	buf_printf(b, ", %lld message%s, ", (long long)n, n == 1 ? "" : "s");
	if (waiting)
		buf_printf(b, "waiting %s", when);
	else
		html(b, status);
	if (json_is_object(assignee)) {
		buf_addstr(b, ", assigned to ");
		html_person(b, assignee, "");
	} else {
		buf_addstr(b, ", unassigned");
	}
	buf_addstr(b, ", ");
	html(b, prio);
	buf_addstr(b, " priority");
	buf_add(b, said.data ? said.data : "", said.len);
	buf_addstr(b, "\" class=\"row st-");
	html(b, status);
	buf_addstr(b, " pr-");
	html(b, prio);
	buf_printf(b, "%s\" data-id=\"%lld\">", selected ? " selected" : "",
	    (long long)id);

	buf_addstr(b, "<span class=\"prio\" title=\"");
	html(b, prio);
	buf_printf(b, " priority\"></span><input type=\"checkbox\" "
	    "class=\"pick\" tabindex=\"-1\" aria-label=\"Select #%lld\">",
	    (long long)id);
	buf_addstr(b, "<span class=\"who\">");
	html_person(b, customer, "(unknown sender)");
	buf_addstr(b, "</span><span class=\"what\"><span class=\"subject\">");
	html_flat(b, *subject ? subject : "(no subject)");
	buf_addstr(b, "</span><span class=\"preview\">");
	html_flat(b, str(t, "preview"));
	buf_addstr(b, "</span></span><span class=\"tags\">"
	    "<span class=\"here\"></span>");
	buf_add(b, chips.data ? chips.data : "", chips.len);
	tags = json_object_get(t, "tags");
	json_array_foreach(tags, i, g) {
		if ((int)i >= 3 - nchips)
			break;
		tag = json_string_value(g);
		buf_addstr(b, "<span class=\"tag\">");
		html(b, tag ? tag : "");
		buf_addstr(b, "</span>");
	}
	buf_printf(b, "</span><span class=\"count%s\" title=\"%lld messages in "
	    "the thread%s\">%lld</span>", n >= COUNT_HOT ? " hot" :
	    n >= COUNT_WARM ? " warm" : "", (long long)n,
	    n >= COUNT_HOT ? ": a sticky case" : "", (long long)n);
	if (waiting)
		buf_printf(b, "<span class=\"wait%s\" title=\"Customer waiting "
		    "since %s\">%s</span>", secs > LONG_WAIT_S ? " long" : "",
		    at, when);
	else {
		buf_addstr(b, "<span class=\"wait muted\" title=\"");
		html(b, status);
		buf_printf(b, " since %s\">", at);
		html(b, status);
		buf_addstr(b, "</span>");
	}
	/* the Unassigned view: the assignee's avatar needs the agents'
	 * list, which the app brings */
	buf_addstr(b, "<span class=\"avatar small none\" title=\"Unassigned\">"
	    "–</span></li>");
	buf_free(&chips);
	buf_free(&said);
}

static void
options(struct buf *b, const struct pair *p, size_t n, const char *on)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(b, "<option value=\"%s\"%s>%s</option>", p[i].id,
		    strcmp(p[i].id, on) == 0 ? " selected" : "", p[i].label);
}

/* The view: build() of web/inbox.js, then the rows. */
static void
view(struct buf *b, json_t *page, int64_t now)
{
	json_t *tickets = json_object_get(page, "tickets"), *t;
	int more = json_is_string(json_object_get(page, "next_cursor"));
	size_t i, n = json_array_size(tickets);

	buf_addstr(b, "<nav class=\"trends\" hidden aria-label=\"Trends\">"
	    "</nav><div class=\"list-head\"><input type=\"checkbox\" "
	    "id=\"check-all\" aria-label=\"Select all in view\" "
	    "aria-keyshortcuts=\"*\"><h1>Unassigned</h1>");
	buf_printf(b, "<span class=\"count-total muted\">%zu%s ticket%s</span>",
	    n, more ? "+" : "", n == 1 ? "" : "s");
	buf_addstr(b, "<span class=\"head-extra\"></span><span class=\"spacer\">"
	    "</span><select id=\"priority\" aria-label=\"Priority\">");
	options(b, prios, NELEM(prios), "any");
	buf_addstr(b, "</select><label for=\"sort\" class=\"muted\">Sort</label>"
	    "<select id=\"sort\">");
	options(b, sorts, NELEM(sorts), "oldest");
	buf_addstr(b, "</select></div><div class=\"bulkbar\" hidden "
	    "role=\"toolbar\" aria-label=\"Selected tickets\"></div>"
	    "<ol class=\"rows\" role=\"listbox\" tabindex=\"0\" "
	    "aria-label=\"Unassigned tickets\"");
	if (n)
		buf_printf(b, " aria-activedescendant=\"row-%lld\"",
		    (long long)json_integer_value(json_object_get(
		    json_array_get(tickets, 0), "id")));
	buf_addstr(b, ">");
	json_array_foreach(tickets, i, t)
		row(b, t, now, i == 0);
	buf_printf(b, "</ol><p class=\"empty\"%s>Nothing here. The queue is "
	    "tamed.</p><button type=\"button\" class=\"ghost more\"%s>Load "
	    "more</button>", n ? " hidden" : "", more ? "" : " hidden");
}

/* Appends the page's head, from[0..to), without its modulepreload links
 * (0, or -1 when the buffer refused):
 * on a page with rows to paint, the modules would be fetched and
 * compiled while the rows wait for the main thread (the first paint
 * came about 55 ms later at p50 with them); boot.js asks for them when
 * it runs, after the paint. */
static int
add_head(struct buf *b, const char *from, const char *to)
{
	static const char preload[] = "<link rel=\"modulepreload\"";
	const char *nl;

	while (from < to) {
		nl = memchr(from, '\n', (size_t)(to - from));
		nl = nl ? nl + 1 : to;
		if (((size_t)(nl - from) < sizeof(preload) - 1 ||
		    memcmp(from, preload, sizeof(preload) - 1) != 0) &&
		    buf_add(b, from, (size_t)(nl - from)))
			return -1;
		from = nl;
	}
	return 0;
}

/* Where marker starts in from[0..end), or NULL. */
static const char *
find(const char *from, const char *end, const char *marker)
{
	return memmem(from, (size_t)(end - from), marker, strlen(marker));
}

int
http_first_page(struct http_ctx *c, const unsigned char *page, size_t len)
{
	static const char app_hidden[] = "<div id=\"app\" class=\"app\" hidden>";
	static const char main_open[] =
	    "<main id=\"main\" class=\"main\" tabindex=\"-1\">";
	struct ticket_query q = { 0 };
	const char *p = (const char *)page, *end = p + len;
	const char *head_at, *app_at, *main_at;
	json_t *list = NULL;
	struct buf out, rows;
	int ok = -1, bad = 0;

	q.status_mask = (1u << TICKET_NEW) | (1u << TICKET_OPEN);
	q.assignee_id = -1;
	q.sort = TICKET_SORT_OLDEST;
	q.limit = FIRST_ROWS;
	if (store_tickets_view(c->store, &q, &list))
		return -1;
	buf_init(&rows, FIRST_PAGE_MAX);
	buf_init(&out, FIRST_PAGE_MAX);
	view(&rows, list, tame_now_ms());
	json_decref(list);
	/* the rows take less than half the cap (FIRST_PAGE_MAX); a page near
	 * it has lost an append */
	if (rows.len > FIRST_PAGE_MAX / 2)
		goto out;
	/* the head with the script that hides the rows for another view,
	 * then the app shown and the rows in its <main> */
	head_at = find(p, end, "</head>");
	app_at = head_at ? find(head_at, end, app_hidden) : NULL;
	main_at = app_at ? find(app_at, end, main_open) : NULL;
	if (!main_at)
		goto out;
	bad = add_head(&out, p, head_at) ||
	    buf_addstr(&out, "<script src=\"/first.js\"></script>\n") ||
	    buf_add(&out, head_at, (size_t)(app_at - head_at)) ||
	    buf_addstr(&out, "<div id=\"app\" class=\"app\">");
	p = app_at + strlen(app_hidden);
	bad |= buf_add(&out, p, (size_t)(main_at - p)) ||
	    buf_addstr(&out, "<main id=\"main\" class=\"main\" tabindex=\"-1\" "
	    "data-first=\"unassigned\">") ||
	    buf_add(&out, rows.data, rows.len);
	p = main_at + strlen(main_open);
	bad |= buf_add(&out, p, (size_t)(end - p)) != TAME_OK;
	if (!bad) {
		http_send(c, 200, "text/html; charset=utf-8", out.data, out.len);
		u_map_put(c->res->map_header, "Cache-Control", "no-store");
		ok = 0;
	}
out:
	buf_free(&rows);
	buf_free(&out);
	return ok;
}
