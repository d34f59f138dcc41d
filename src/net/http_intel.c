/*
 * http_intel.c - the trend and similar-case endpoints. See http_intel.h
 * and docs/API.md ("Trends", "Similar cases").
 *
 * Model: trends live in the intelligence module's memory (intel.h);
 * these handlers ask it, then add what the store knows about the
 * tickets they name (subject, customer) in one query per answer. Trend
 * ids are the store's. Similar cases: the ticket's most telling words
 * (content words weighed by how rare they are among the tickets the
 * intelligence has read, intel_df) are looked up with FTS5 among solved
 * and closed tickets, newest first, the most telling together before
 * any of them; each candidate is scored by the share of those words it
 * also uses (intel_rules.h), so an agent sees when the best match is no
 * real match.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "http_desk.h"
#include "http_intel.h"
#include "intel.h"
#include "intel_rules.h"
#include "json_body.h"
#include "../core/text.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* A trend needs this many open tickets to be listed, unless asked. */
#define TREND_MIN_OPEN 3
/* Trends in a list unless ?limit= says otherwise. */
#define TREND_LIST_DEFAULT 50
/* Trends GET /trends/ID/similar answers unless ?limit= says otherwise,
 * and at most. */
#define TREND_SIMILAR_DEFAULT 10
#define TREND_SIMILAR_MAX 50
/* Open tickets a trend's own page lists. */
#define TREND_TICKETS_MAX 100
/* Words of a ticket weighed for similar cases, and kept. */
#define SIMILAR_WORDS_MAX 64
#define SIMILAR_KEEP 8
/* Solved tickets scored per request, and FTS5 hits read per look-up
 * (newest first) to find them. */
#define SIMILAR_CANDIDATES 24
#define SIMILAR_HITS 300
/* Characters of a case's text and reply in the answer. */
#define SIMILAR_EXCERPT 600

static const char *const trend_cols[] = {
	"id", "label.text", "open_count", "to_answer", "growth.last_hour",
	"growth.last_day", "growth.usual_per_hour", "growth.ratio",
	"first_seen", "last_seen",
};

struct intel *
http_intel_get(struct http_ctx *c)
{
	struct intel *in = intel_get();

	if (!in)
		http_error(c, 503, "unavailable",
		    "the queue intelligence is not running");
	return in;
}

int
http_intel_known_keys(struct http_ctx *c, const json_t *body,
    const char *const *names, size_t n)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)body, key, v) {
		for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
			;
		if (i == n) {
			http_error(c, 400, "unknown_field",
			    "unknown field \"%.64s\"", key);
			return -1;
		}
	}
	return 0;
}

int
http_intel_ids(struct http_ctx *c, const json_t *body, const char *key,
    size_t max, int64_t **out, size_t *n)
{
	json_t *a = json_object_get(body, key), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > max)
		goto bad;
	if (json_array_size(a) == 0)
		return 0;
	if (!(*out = calloc(json_array_size(a), sizeof(**out)))) {
		http_error(c, 500, "internal", "out of memory");
		return -1;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			goto bad;
		(*out)[(*n)++] = json_integer_value(v);
	}
	return 0;
bad:
	free(*out);
	*out = NULL;
	*n = 0;
	http_error(c, 400, "invalid_field", "field \"%s\" must be an array "
	    "of at most %zu ticket ids", key, max);
	return -1;
}

int
http_intel_flag_param(struct http_ctx *c, unsigned *mask)
{
	const char *s = http_query(c, "flag"), *p, *e;
	char name[32];
	unsigned bit;
	size_t n;

	*mask = 0;
	if (!s)
		return 0;
	for (p = s; ; p = e + 1) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(name))
			goto bad;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!(bit = store_flag_parse(name)))
			goto bad;
		*mask |= bit;
		if (!e)
			break;
	}
	return 0;
bad:
	http_error(c, 400, "invalid_parameter", "parameter \"flag\" must be "
	    "a comma list of long_message, many_messages, waiting_long, "
	    "repeat_customer, reopened, abusive");
	return -1;
}

/* ---- trends ---- */

static json_t *
round2(double v)
{
	return json_real(round(v * 100.0) / 100.0);
}

static json_t *
iso(int64_t ms)
{
	char b[32];

	tame_time_iso(ms, b);
	return json_string(b);
}

static json_t *
brief_of(json_t *briefs, int64_t id)
{
	char key[24];
	json_t *b;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	b = json_object_get(briefs, key);
	return b ? json_incref(b) : NULL;
}

/* The API's trend object; briefs holds the tickets it names (its first
 * nsample samples and its representative). */
static json_t *
trend_json(const struct intel_trend *t, json_t *briefs, size_t nsample)
{
	const struct trend_info *i = &t->info;
	json_t *o, *label, *words, *growth, *samples, *b;
	size_t k;
	int bad = 0;

	o = json_object();
	label = json_object();
	words = json_array();
	growth = json_object();
	samples = json_array();
	if (!o || !label || !words || !growth || !samples)
		bad = 1;
	for (k = 0; !bad && k < TREND_WORDS && i->words[k][0]; k++)
		bad |= json_array_append_new(words, json_string(i->words[k]));
	b = i->rep_ticket ? brief_of(briefs, i->rep_ticket) : NULL;
	bad |= json_object_set_new(label, "text", json_string(i->label));
	bad |= json_object_set_new(label, "named", json_boolean(i->named));
	bad |= json_object_set(label, "words", words);
	bad |= json_object_set_new(label, "subject", b ? json_incref(
	    json_object_get(b, "subject")) : json_null());
	json_decref(b);
	bad |= json_object_set_new(growth, "last_hour",
	    json_integer(i->last_hour));
	bad |= json_object_set_new(growth, "last_day",
	    json_integer(i->last_day));
	bad |= json_object_set_new(growth, "usual_per_hour",
	    round2(i->usual_per_hour));
	bad |= json_object_set_new(growth, "ratio", round2(i->growth));
	bad |= json_object_set_new(growth, "rising",
	    json_boolean(i->rising));
	for (k = 0; !bad && k < i->nsample && k < nsample; k++)
		if ((b = brief_of(briefs, i->sample[k])))
			bad |= json_array_append_new(samples, b);
	bad |= json_object_set_new(o, "id", json_integer(t->id));
	bad |= json_object_set(o, "label", label);
	bad |= json_object_set_new(o, "open_count", json_integer(i->open));
	bad |= json_object_set_new(o, "to_answer",
	    json_integer(i->open - i->waiting));
	bad |= json_object_set(o, "growth", growth);
	bad |= json_object_set_new(o, "first_seen", iso(i->first_seen));
	bad |= json_object_set_new(o, "last_seen", iso(i->last_seen));
	bad |= json_object_set(o, "samples", samples);
	json_decref(label);
	json_decref(words);
	json_decref(growth);
	json_decref(samples);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The trends t[0..n) as an array of the API's trend objects (their
 * first nsample samples), each with its score[i] when score is not
 * NULL. NULL when out of memory. */
static json_t *
trends_array(const struct intel_trend *t, size_t n, json_t *briefs,
    size_t nsample, const double *score)
{
	json_t *arr = json_array(), *one;
	size_t i;

	for (i = 0; arr && i < n; i++) {
		one = trend_json(&t[i], briefs, nsample);
		if (one && score && json_object_set_new(one, "score",
		    round2(score[i]))) {
			json_decref(one);
			one = NULL;
		}
		if (!one || json_array_append_new(arr, one)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* Briefs of every ticket the trends name (their first nsample samples,
 * representative). */
static enum tame_err
trend_briefs(struct store *s, const struct intel_trend *t, size_t n,
    size_t nsample, json_t **out)
{
	int64_t ids[TAME_LIST_LIMIT_MAX];
	json_t *part;
	size_t i, k, m = 0;
	enum tame_err rc = TAME_OK;

	if (!(*out = json_object()))
		return TAME_ENOMEM;
	for (i = 0; i <= n && !rc; i++) {
		if (i == n || m + TREND_SAMPLES + 1 > TAME_LIST_LIMIT_MAX) {
			if (m && !(rc = store_intel_tickets_brief(s, ids, m,
			    &part))) {
				json_object_update(*out, part);
				json_decref(part);
			}
			m = 0;
		}
		if (i == n)
			break;
		for (k = 0; k < t[i].info.nsample && k < nsample; k++)
			ids[m++] = t[i].info.sample[k];
		if (t[i].info.rep_ticket && nsample)
			ids[m++] = t[i].info.rep_ticket;
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Parses ?sort=open|rising into q. 0, or -1 after answering. */
static int
parse_trend_sort(struct http_ctx *c, struct trend_list_q *q)
{
	const char *s = http_query(c, "sort");

	q->rising_first = s && strcmp(s, "rising") == 0;
	if (!s || q->rising_first || strcmp(s, "open") == 0)
		return 0;
	http_error(c, 400, "invalid_parameter",
	    "parameter \"sort\" must be open or rising");
	return -1;
}

void
http_intel_trends_list(struct http_ctx *c)
{
	struct trend_list_q q;
	struct intel *in;
	struct intel_trend *t = NULL;
	json_t *briefs = NULL, *arr = NULL, *view;
	int64_t min_open, limit, nsample;
	size_t n = 0, total = 0;
	enum tame_err rc;
	int csv;

	/* without samples a list is small: every trend fits in one */
	if ((csv = http_want_csv(c)) < 0 ||
	    http_query_int(c, "min_open", 1, 100000, TREND_MIN_OPEN,
	    &min_open) ||
	    http_query_int(c, "samples", 0, TREND_SAMPLES, TREND_SAMPLES,
	    &nsample) ||
	    http_query_int(c, "limit", 1, nsample ? TAME_TREND_LIST_MAX :
	    TAME_TREND_LIST_BRIEF_MAX, TREND_LIST_DEFAULT, &limit) ||
	    parse_trend_sort(c, &q) || !(in = http_intel_get(c)))
		return;
	q.min_open = (uint32_t)min_open;
	q.max = (size_t)limit;
	if ((rc = intel_trends(in, &q, tame_now_ms(), &t, &n, &total)) ||
	    (rc = trend_briefs(c->store, t, n, (size_t)nsample, &briefs))) {
		http_store_error(c, rc, "trends");
		goto out;
	}
	if (!(arr = trends_array(t, n, briefs, (size_t)nsample, NULL)) ||
	    !(view = json_pack("{s:O,s:I,s:b}", "trends", arr, "total",
	    (json_int_t)total, "rebuilding", !intel_ready(in))))
		goto oom;
	http_list(c, view, csv, "trends", trend_cols,
	    sizeof(trend_cols) / sizeof(trend_cols[0]));
	goto out;
oom:
	http_error(c, 500, "internal", "out of memory");
out:
	json_decref(arr);
	json_decref(briefs);
	free(t);
}

/* Answers 200 {"trend": ..., "tickets": [...]} for trend id. */
static void
answer_trend(struct http_ctx *c, struct intel *in, int64_t id, int status)
{
	struct intel_trend t;
	int64_t ids[TREND_TICKETS_MAX];
	json_t *briefs = NULL, *tb = NULL, *list = NULL, *one, *b;
	size_t total = 0, n, i;
	enum tame_err rc;

	if ((rc = intel_trend(in, c->store, id, tame_now_ms(), &t, ids,
	    TREND_TICKETS_MAX, &total))) {
		http_store_error(c, rc, "trend");
		return;
	}
	n = total < TREND_TICKETS_MAX ? total : TREND_TICKETS_MAX;
	if ((rc = trend_briefs(c->store, &t, 1, TREND_SAMPLES, &briefs)) ||
	    (rc = store_intel_tickets_brief(c->store, ids, n, &tb))) {
		http_store_error(c, rc, "trend");
		goto out;
	}
	if (!(one = trend_json(&t, briefs, TREND_SAMPLES)) ||
	    !(list = json_array())) {
		json_decref(one);
		http_error(c, 500, "internal", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((b = brief_of(tb, ids[i])))
			json_array_append_new(list, b);
	http_json(c, status, json_pack("{s:o,s:O,s:I}", "trend", one,
	    "tickets", list, "total", (json_int_t)total));
out:
	json_decref(list);
	json_decref(briefs);
	json_decref(tb);
}

void
http_intel_trend_get(struct http_ctx *c)
{
	struct intel *in;

	if ((in = http_intel_get(c)))
		answer_trend(c, in, c->id[0], 200);
}

void
http_intel_trend_similar(struct http_ctx *c)
{
	struct intel_trend t[TREND_SIMILAR_MAX];
	double score[TREND_SIMILAR_MAX];
	struct intel *in;
	json_t *briefs = NULL, *arr;
	int64_t limit, live;
	size_t n = 0;
	enum tame_err rc;

	if (http_query_int(c, "limit", 1, TREND_SIMILAR_MAX,
	    TREND_SIMILAR_DEFAULT, &limit) || !(in = http_intel_get(c)))
		return;
	rc = intel_similar_trends(in, c->store, c->id[0], tame_now_ms(),
	    (size_t)limit, t, score, &n, &live);
	if (rc || (rc = trend_briefs(c->store, t, n, 0, &briefs))) {
		http_store_error(c, rc, "trend");
		return;
	}
	if ((arr = trends_array(t, n, briefs, 0, score)))
		http_json(c, 200, json_pack("{s:I,s:o}", "trend_id",
		    (json_int_t)live, "similar", arr));
	else
		http_error(c, 500, "internal", "out of memory");
	json_decref(briefs);
}

/* The answer for a failed trend operation. */
static void
op_error(struct http_ctx *c, enum tame_err rc, const char *what)
{
	if (rc == TAME_EBUSY)
		http_error(c, 503, "rebuilding", "the trends are being "
		    "rebuilt after a start; try again in a moment");
	else if (rc == TAME_ETOOBIG)
		http_error(c, 400, "invalid_field", "%s is too long", what);
	else
		http_store_error(c, rc, what);
}

void
http_intel_trend_patch(struct http_ctx *c)
{
	static const char *const keys[] = { "label" };
	struct intel *in;
	json_t *body, *l;
	const char *label = NULL;
	int64_t live;
	enum tame_err rc;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (http_intel_known_keys(c, body, keys, 1) ||
	    !(in = http_intel_get(c)))
		goto out;
	l = json_object_get(body, "label");
	if (!l) {
		http_error(c, 400, "missing_field", "field \"label\" is "
		    "required (null for the automatic label)");
		goto out;
	}
	if (!(json_is_string(l) || json_is_null(l))) {
		http_error(c, 400, "invalid_field", "field \"label\" must be "
		    "a string (or null for the automatic label)");
		goto out;
	}
	if (json_is_string(l) && json_string_length(l) &&
	    http_desk_blank(json_string_value(l))) {
		http_error(c, 400, "invalid_field", "field \"label\" must not "
		    "be only white space");
		goto out;
	}
	if (json_is_string(l) && json_body_has_ctl(json_string_value(l),
	    json_string_length(l))) {
		http_error(c, 400, "invalid_field", "field \"label\" must not "
		    "contain control characters");
		goto out;
	}
	label = json_string_value(l);
	if ((rc = intel_rename(in, c->store, c->id[0], label, &live))) {
		op_error(c, rc, "trend name");
		goto out;
	}
	answer_trend(c, in, live, 200);
out:
	json_decref(body);
}

void
http_intel_trend_merge(struct http_ctx *c)
{
	static const char *const keys[] = { "into" };
	struct intel *in;
	json_t *body, *v;
	int64_t live;
	enum tame_err rc;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (http_intel_known_keys(c, body, keys, 1) ||
	    !(in = http_intel_get(c)))
		goto out;
	v = json_object_get(body, "into");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		http_error(c, 400, "invalid_field", "field \"into\" must be "
		    "the id of the trend to merge into");
		goto out;
	}
	rc = intel_merge(in, c->store, c->id[0], json_integer_value(v),
	    &live);
	if (rc == TAME_EINVAL)
		http_error(c, 400, "invalid_field", "a trend cannot be merged "
		    "into itself");
	else if (rc)
		op_error(c, rc, "trend");
	else
		answer_trend(c, in, live, 200);
out:
	json_decref(body);
}

void
http_intel_trend_split(struct http_ctx *c)
{
	static const char *const keys[] = { "ticket_ids" };
	struct intel *in;
	json_t *body;
	int64_t *ids = NULL, nid;
	size_t n = 0;
	enum tame_err rc;

	if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
		return;
	if (http_intel_known_keys(c, body, keys, 1) ||
	    http_intel_ids(c, body, "ticket_ids", TAME_TREND_REPLY_MAX, &ids,
	    &n) || !(in = http_intel_get(c)))
		goto out;
	if (n == 0) {
		http_error(c, 400, "missing_field", "field \"ticket_ids\" "
		    "must list the tickets to split off");
		goto out;
	}
	rc = intel_split(in, c->store, c->id[0], ids, n, &nid);
	if (rc == TAME_EINVAL)
		http_error(c, 400, "invalid_field", "none of the tickets is "
		    "an open ticket of this trend");
	else if (rc)
		op_error(c, rc, "trend");
	else
		answer_trend(c, in, nid, 201);
out:
	free(ids);
	json_decref(body);
}

void
http_intel_ticket_trend_remove(struct http_ctx *c)
{
	struct intel *in;
	json_t *view = NULL, *t, *body;
	int64_t nid;
	enum tame_err rc;
	int bad;

	/* it takes no fields: a body, when sent, is an empty object */
	if (c->req->binary_body_length > 0) {
		if (!(body = http_body(c, TAME_HTTP_BODY_MAX)))
			return;
		bad = http_intel_known_keys(c, body, NULL, 0);
		json_decref(body);
		if (bad)
			return;
	}
	if (!(in = http_intel_get(c)))
		return;
	rc = intel_move_out(in, c->store, c->id[0], &nid);
	if (rc == TAME_ENOTFOUND) {
		http_error(c, 404, "not_found", "ticket %lld is in no trend "
		    "(or not open)", (long long)c->id[0]);
		return;
	}
	if (rc) {
		op_error(c, rc, "ticket");
		return;
	}
	if ((rc = store_ticket_view(c->store, c->id[0], &view))) {
		http_store_error(c, rc, "ticket");
		return;
	}
	t = json_object_get(view, "ticket");
	http_json(c, 200, json_pack("{s:I,s:O}", "ticket_id",
	    (json_int_t)c->id[0], "trend", json_object_get(t, "trend")));
	json_decref(view);
}

/* ---- similar cases ---- */

/* The distinct words of two docs into w (at most SIMILAR_WORDS_MAX). */
static size_t
ticket_words(const struct text_doc *a, const struct text_doc *b,
    struct intel_word *w)
{
	struct intel_word more[SIMILAR_WORDS_MAX];
	size_t n = intel_words(a, w, SIMILAR_WORDS_MAX), m, i, k;

	m = intel_words(b, more, SIMILAR_WORDS_MAX);
	for (i = 0; i < m && n < SIMILAR_WORDS_MAX; i++) {
		for (k = 0; k < n && strcmp(w[k].stem, more[i].stem) != 0; k++)
			;
		if (k == n)
			w[n++] = more[i];
	}
	return n;
}

/* An excerpt of s: at most max bytes, cut at a character boundary. */
static json_t *
excerpt(const char *s, size_t max)
{
	json_t *j;
	size_t n;

	if (!s)
		return json_null();
	n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	/* the store keeps UTF-8; a message it could not repair shows "" */
	j = json_stringn(s, n);
	return j ? j : json_string("");
}

struct scored {
	struct store_case c;
	double score;
	double rank;            /* the order it was found in */
	int shared[SIMILAR_KEEP];
};

static int
scored_cmp(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static json_t *
case_json(const struct scored *sc, const struct intel_word *w, size_t nw)
{
	json_t *o, *shared = json_array(), *reply;
	size_t i;

	for (i = 0; shared && i < nw; i++)
		if (sc->shared[i])
			json_array_append_new(shared, json_string(w[i].shown));
	if (sc->c.reply_id)
		reply = json_pack("{s:I,s:o,s:s?,s:o}", "id",
		    (json_int_t)sc->c.reply_id, "text", excerpt(sc->c.reply,
		    SIMILAR_EXCERPT), "by", sc->c.reply_by, "sent_at",
		    iso(sc->c.reply_at));
	else
		reply = json_null();
	o = json_pack("{s:I,s:s?,s:s,s:f,s:s,s:o,s:o,s:o,s:o}",
	    "ticket_id", (json_int_t)sc->c.ticket_id,
	    "subject", sc->c.subject,
	    "status", ticket_status_name(sc->c.status),
	    "score", round(sc->score * 100.0) / 100.0,
	    "match", intel_similarity_verdict(sc->score),
	    "shared_words", shared ? shared : json_array(),
	    "excerpt", excerpt(sc->c.text, SIMILAR_EXCERPT),
	    "solved_reply", reply ? reply : json_null(),
	    "updated_at", iso(sc->c.updated_at));
	return o;
}

/* Solved tickets that use the telling words w[0..nw), newest first:
 * the three most telling together, then the two, then any of them,
 * until SIMILAR_CANDIDATES are found. */
static enum tame_err
candidates(struct http_ctx *c, const struct intel_word *w, size_t nw,
    struct store_similar_hit *cand, size_t *ncand)
{
	static const struct {
		size_t words;
		int all;
	} tier[] = { { 3, 1 }, { 2, 1 }, { SIMILAR_KEEP, 0 } };
	struct store_similar_hit hits[SIMILAR_CANDIDATES];
	struct buf match;
	size_t t, k, i, j, nh, last = 0;
	enum tame_err rc = TAME_OK;

	*ncand = 0;
	buf_init(&match, TAME_QUERY_MAX * 16);
	for (t = 0; t < sizeof(tier) / sizeof(tier[0]) && !rc; t++) {
		k = tier[t].words < nw ? tier[t].words : nw;
		if ((tier[t].all && k < 2) || k == last)
			continue;
		last = k;
		buf_reset(&match);
		if ((rc = intel_words_match(w, k, tier[t].all, &match)) ||
		    (rc = store_intel_similar(c->store, buf_str(&match),
		    c->id[0], SIMILAR_HITS, SIMILAR_CANDIDATES, hits, &nh)))
			break;
		for (i = 0; i < nh && *ncand < SIMILAR_CANDIDATES; i++) {
			for (j = 0; j < *ncand &&
			    cand[j].ticket_id != hits[i].ticket_id; j++)
				;
			if (j == *ncand)
				cand[(*ncand)++] = hits[i];
		}
		if (*ncand == SIMILAR_CANDIDATES)
			break;
	}
	buf_free(&match);
	return rc;
}

/* Scores candidate i: analyses its subject and first message. */
static enum tame_err
score(struct http_ctx *c, struct text_pipeline *tp,
    const struct intel_word *w, size_t nw, struct scored *sc)
{
	struct text_doc ds, db;
	const struct text_doc *docs[2] = { &ds, &db };
	const char *subj = sc->c.subject ? sc->c.subject : "";
	const char *text = sc->c.text ? sc->c.text : "";
	enum tame_err rc;

	text_doc_init(&ds);
	text_doc_init(&db);
	if (!(rc = text_analyse(tp, text, strlen(text), 1, &db)) &&
	    !(rc = text_analyse_lang(tp, subj, strlen(subj), 0, db.lang, &ds)))
		sc->score = intel_similarity(w, nw, docs, 2, sc->shared);
	text_doc_free(&ds);
	text_doc_free(&db);
	return rc;
}

void
http_intel_similar(struct http_ctx *c)
{
	struct store_intel_ticket t;
	struct store_similar_hit cand[SIMILAR_CANDIDATES];
	struct intel_word w[SIMILAR_WORDS_MAX];
	const char *stem[SIMILAR_WORDS_MAX];
	int64_t df[SIMILAR_WORDS_MAX], ndocs = 0, limit;
	struct scored *sc = NULL;
	struct text_pipeline *tp = NULL;
	struct text_doc ds, db;
	struct intel *in;
	json_t *arr = NULL, *words = NULL;
	size_t nw, i, nc = 0, nsc = 0;
	enum tame_err rc;
	const char *note = NULL;

	memset(&t, 0, sizeof(t));
	text_doc_init(&ds);
	text_doc_init(&db);
	if (http_query_int(c, "limit", 1, TAME_SIMILAR_MAX, 5, &limit) ||
	    !(in = http_intel_get(c)))
		goto out;
	if ((rc = store_intel_ticket(c->store, c->id[0], TAME_INTEL_TEXT_MAX,
	    &t))) {
		http_store_error(c, rc, "ticket");
		goto out;
	}
	if (!(tp = text_pipeline_new()) || text_analyse(tp, t.text ?
	    t.text : "", t.text ? strlen(t.text) : 0, 1, &db) ||
	    text_analyse_lang(tp, t.subject ? t.subject : "", t.subject ?
	    strlen(t.subject) : 0, 0, db.lang, &ds))
		goto oom;
	nw = ticket_words(&ds, &db, w);
	for (i = 0; i < nw; i++)
		stem[i] = w[i].stem;
	intel_df(in, stem, nw, df, &ndocs);
	for (i = 0; i < nw; i++)
		w[i].df = df[i];
	nw = intel_words_pick(w, nw, ndocs, SIMILAR_KEEP);
	if (nw && (rc = candidates(c, w, nw, cand, &nc))) {
		http_store_error(c, rc, "similar cases");
		goto out;
	}
	if (nc && !(sc = calloc(nc, sizeof(*sc))))
		goto oom;
	for (i = 0; i < nc; i++) {
		rc = store_intel_case(c->store, cand[i].ticket_id,
		    TAME_INTEL_TEXT_MAX, &sc[nsc].c);
		if (rc == TAME_ENOTFOUND)
			continue;
		if (rc) {
			http_store_error(c, rc, "similar cases");
			goto out;
		}
		sc[nsc].rank = (double)i;
		if (score(c, tp, w, nw, &sc[nsc++]))
			goto oom;
	}
	if (nsc)
		qsort(sc, nsc, sizeof(*sc), scored_cmp);
	if (!(arr = json_array()) || !(words = json_array()))
		goto oom;
	for (i = 0; i < nw; i++)
		json_array_append_new(words, json_string(w[i].shown));
	for (i = 0; i < nsc && i < (size_t)limit; i++)
		json_array_append_new(arr, case_json(&sc[i], w, nw));
	if (nw == 0)
		note = "this ticket has no telling words to compare";
	else if (nsc == 0)
		note = "no solved ticket uses the telling words of this one";
	else if (sc[0].score < 0.35)
		note = "the closest solved tickets share only a few words: "
		    "probably no real connection";
	http_json(c, 200, json_pack("{s:I,s:O,s:O,s:s?}", "ticket_id",
	    (json_int_t)c->id[0], "words", words, "similar", arr, "note",
	    note));
	goto out;
oom:
	http_error(c, 500, "internal", "out of memory");
out:
	for (i = 0; i < nsc; i++)
		store_case_clear(&sc[i].c);
	free(sc);
	json_decref(arr);
	json_decref(words);
	text_doc_free(&ds);
	text_doc_free(&db);
	text_pipeline_free(tp);
	store_intel_ticket_clear(&t);
}
