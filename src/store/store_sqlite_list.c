/*
 * store_sqlite_list.c - the SQLite backend's ticket list: the SQL of a
 * page with its filters, sort orders and full-text search, written as
 * the API's JSON (docs/API.md, GET /api/v1/tickets).
 *
 * Model: a list page is "newest first, ids below the cursor, limit + 1
 * rows"; the extra row only tells whether there is a next page. Each
 * filter has an index ending in id, so a page is read straight off an
 * index instead of sorting the matches:
 * - one status: (status, id);
 * - several statuses, or an assignee without a status: one small
 *   "ORDER BY id DESC LIMIT n" branch per status on (assignee_id,
 *   status, id), (mailbox_id, status, id) or (status, id), merged - at
 *   most 5 * (n + 1) rows;
 * - a search with filters and few hits (a name, an order number): the
 *   FTS5 index gives the matching messages, their tickets are then
 *   filtered and sorted, so the cost follows the number of hits;
 * - a search without filters, or with many hits (a common word): read
 *   the hits newest message first and keep the newest tickets that pass
 *   the filters, stopping as soon as no older message can belong to a
 *   ticket newer than the page's last (scan_hits); should that take too
 *   long (the filters keep very few tickets), walk the tickets newest
 *   first as without search and probe each one's messages in the FTS5
 *   index (MATCH with rowid =), stopping when the page is full.
 * The page's ids are found first; the columns, joins and tags are then
 * read for those rows only.
 * The user's search text is never FTS5 syntax: each word becomes a
 * quoted string and the words are ANDed. An English word also finds its
 * other forms ("refund" finds refunded, refunds, refunding): forms that
 * share its Snowball stem are ORed with it (variants(); the index keeps
 * the words as written, so a code stays exact).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libstemmer.h>
#include <utf8proc.h>
#include "../tame_limits.h"
#include "../core/search_words.h"
#include "../core/util.h"
#include "store_sqlite.h"
#include "store_sqlite_intel.h"
#include "store_sqlite_views.h"

#define FTS_TERMS_MAX 32
/* A page of the ticket list as text: TAME_LIST_LIMIT_MAX rows with the
 * longest subjects and previews, every byte escaped, fit. */
#define TICKETS_TEXT_MAX (16 * 1024 * 1024)

/* Code point at p (valid UTF-8, checked by the caller) in *cp; its
 * length. */
static size_t
next_cp(const char *p, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p, -1,
	    cp);

	if (n <= 0) {	/* not reached: the query is checked UTF-8 */
		*cp = (unsigned char)*p;
		return 1;
	}
	return (size_t)n;
}

/* Whether cp separates words: ASCII white space, or a Unicode space
 * (no-break, em, ideographic...) pasted with the text. */
static int
is_space(utf8proc_int32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') ||
	    utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* Other forms of a word: those English inflections make of the word and
 * of its stem (and of the stem with y for i, with e, or with its last
 * letter doubled) that share its Snowball stem, at most VARIANTS_MAX.
 * Made up rather than looked up: the index's vocabulary (an fts5vocab
 * table) reads every entry of each word it lists, which took a search at a
 * million messages from 0.5 to 33 ms; a form no message has costs FTS5
 * one look-up. */
#define VARIANTS_MAX 16
/* Longest word given other forms. */
#define VARIANTS_WORD 40

/* One ASCII word of 3 to VARIANTS_WORD letters, lowered (the index's
 * form). */
struct one_word {
	char w[VARIANTS_WORD + 1];
	size_t n;
	int words;
};

static int
note_word(void *ctx, const char *word, size_t len, size_t start,
    size_t end)
{
	struct one_word *o = ctx;
	size_t i;

	if (++o->words > 1 || len >= sizeof(o->w) || len < 3)
		return 1;
	for (i = 0; i < len; i++)
		if (word[i] < 'a' || word[i] > 'z')
			return 1;
	memcpy(o->w, word, len);
	o->n = len;
	return 0;
}

/* Appends " OR \"form\"" to out for each other form of w[0..n) (see
 * above); out holds the word's group from group on. */
static enum tame_err
variants(struct sq *q, const char *w, size_t n, struct buf *out,
    size_t group)
{
	/* inflections only: derived words (-ment, -ness, -able) pass the
	 * stem too, but filled the forms with words nobody writes before
	 * "cancelled" was reached, and let "international" find "intern" */
	static const char *const suffix[] = { "", "s", "es", "ed", "d",
	    "ing", "er", "ers", "ies", "ied" };
	char stem[VARIANTS_WORD + 1], base[5][VARIANTS_WORD + 2], quoted[64];
	const sb_symbol *sym;
	size_t sn, nb = 0, b, x, k, found = 0;
	enum tame_err rc;

	if (!q->stemmer && !(q->stemmer = sb_stemmer_new("english", NULL)))
		return TAME_ENOMEM;
	if (!(sym = sb_stemmer_stem(q->stemmer, (const sb_symbol *)w,
	    (int)n)))
		return TAME_ENOMEM;
	sn = (size_t)sb_stemmer_length(q->stemmer);
	if (sn < 3 || sn > VARIANTS_WORD)
		return TAME_OK;
	memcpy(stem, sym, sn);
	stem[sn] = '\0';
	snprintf(base[nb++], sizeof(base[0]), "%s", w);
	snprintf(base[nb++], sizeof(base[0]), "%s", stem);
	snprintf(base[nb++], sizeof(base[0]), "%se", stem);
	snprintf(base[nb++], sizeof(base[0]), "%s%c", stem, stem[sn - 1]);
	if (stem[sn - 1] == 'i')
		snprintf(base[nb++], sizeof(base[0]), "%.*sy", (int)sn - 1,
		    stem);
	for (b = 0; b < nb; b++)
		for (x = 0; x < sizeof(suffix) / sizeof(suffix[0]); x++) {
			if (found == VARIANTS_MAX)
				return TAME_OK;
			snprintf(quoted, sizeof(quoted), "\"%.41s%.8s\"", base[b],
			    suffix[x]);
			if (strstr(buf_str(out) + group, quoted))
				continue;	/* the word, or made before */
			k = strlen(quoted) - 2;
			if (!(sym = sb_stemmer_stem(q->stemmer,
			    (const sb_symbol *)quoted + 1, (int)k)))
				return TAME_ENOMEM;
			if ((size_t)sb_stemmer_length(q->stemmer) != sn ||
			    memcmp(sym, stem, sn) != 0)
				continue;
			if ((rc = buf_addstr(out, " OR ")) ||
			    (rc = buf_addstr(out, quoted)))
				return rc;
			found++;
		}
	return TAME_OK;
}

/* A phrase in quotes at p ("..." or “...”): its text (*len bytes),
 * with *end after the closing quote; NULL when p starts none, or its
 * quote is not closed (then the quote is a character of a word). */
static const char *
phrase(const char *p, size_t *len, const char **end)
{
	static const char open[] = "\xe2\x80\x9c", close[] = "\xe2\x80\x9d";
	const char *w, *e;
	size_t qlen;

	if (*p == '"') {
		w = p + 1;
		e = strchr(w, '"');
		qlen = 1;
	} else if (strncmp(p, open, 3) == 0) {
		w = p + 3;
		e = strstr(w, close);
		qlen = 3;
	} else
		return NULL;
	if (!e)
		return NULL;
	*len = (size_t)(e - w);
	*end = e + qlen;
	return w;
}

/* Turns what the user typed into an FTS5 query: white-space separated
 * words and phrases in quotes, each quoted ("" inside), a word with its
 * other forms if it has some (variants), joined by AND; a phrase is its
 * words in a row, as written. Words without a letter or digit are
 * dropped: a dash, a guillemet or an emoji alone would be an empty
 * phrase, which matches nothing ("Invoice 88123 – wrong amount" as
 * Outlook writes it found no ticket). *terms gets the number of words;
 * 0 with *none unset means "no query": in is empty or white space. 0
 * with *none set means "nothing matches": something was typed, but no
 * word ("€", "!!", an emoji alone), and a search for it lists nothing,
 * not the whole queue. */
static enum tame_err
fts_query(struct sq *q, const char *in, struct buf *out, int *terms,
    int *none)
{
	const char *p = in, *w;
	enum tame_err rc = TAME_OK;
	struct one_word one;
	utf8proc_int32_t cp;
	size_t len, i, n, group;
	int quoted;

	*terms = 0;
	*none = 0;
	while (*p && *terms < FTS_TERMS_MAX) {
		for (; *p && (n = next_cp(p, &cp)) && is_space(cp); p += n)
			;
		*none |= *p != '\0';
		quoted = (w = phrase(p, &len, &p)) != NULL;
		if (!quoted) {
			for (w = p; *p && (n = next_cp(p, &cp)) && !is_space(cp);
			    p += n)
				;
			len = (size_t)(p - w);
		}
		if (!search_has_word(w, len))
			continue;
		if (*terms && (rc = buf_addstr(out, " AND ")))
			return rc;
		group = out->len;
		if ((rc = buf_add(out, "(\"", 2)))
			return rc;
		for (i = 0; i < len; i++)
			if ((rc = buf_add(out, w[i] == '"' ? "\"\"" : w + i,
			    w[i] == '"' ? 2 : 1)))
				return rc;
		if ((rc = buf_add(out, "\"", 1)))
			return rc;
		memset(&one, 0, sizeof(one));
		if (!quoted && search_words(w, len, note_word, &one) == 0 &&
		    one.words == 1 &&
		    (rc = variants(q, one.w, one.n, out, group)))
			return rc;
		if ((rc = buf_add(out, ")", 1)))
			return rc;
		(*terms)++;
	}
	if (*terms)
		*none = 0;
	return rc;
}

/* How a search is run (see the file comment). */
enum search_plan {
	SEARCH_NONE = 0,
	SEARCH_DRIVE,   /* few hits: collect their tickets, sort them */
	SEARCH_SCAN,    /* many hits: newest hits first (scan_hits) */
	SEARCH_PROBE    /* many hits, few tickets pass the filters: walk
	                   tickets newest first, probe each */
};

/* Hits scan_hits reads before it leaves the page to SEARCH_PROBE: about
 * 5 us a hit against 150 us a probe, and the probe plan reads one
 * ticket per 1/hit-rate tickets. */
#define SEARCH_SCAN_MAX 20000

/* Hits up to which collecting them beats probing tickets: collecting
 * costs about 1 us a hit, a probe about 150 us, and with many hits a
 * page needs few probes. */
#define SEARCH_DRIVE_MAX 20000

/* The two above, or TAME_SEARCH_SCAN_MAX and TAME_SEARCH_DRIVE_MAX
 * from the environment (tests take every plan with a few tickets). */
static int64_t
search_max(const char *env, int64_t def)
{
	return tame_env_i64(env, 1, def, def);
}

/* Messages not yet in messages_fts wait in fts_pending (see
 * store_index_defer); a search must find them too. Before a search,
 * pending_hits() indexes the queue (a few hundred messages at most) in
 * a temporary FTS5 table of this connection, with the tokenizer of
 * messages_fts (migrations.c), and writes the tickets of its matches to
 * temp.pending_hits, which every search statement also takes in. When
 * the queue is empty, as it nearly always is, that costs one probe. */
#define PENDING_TOKENIZE "tokenize='tame'"
#define PENDING_HITS "(SELECT ticket_id FROM temp.pending_hits)"
#define PENDING_HITS_BELOW \
	"SELECT ticket_id FROM temp.pending_hits WHERE ticket_id < ?1"

static enum tame_err
pending_hits(struct sq *q, const char *match)
{
	static const char mk[] = "CREATE TEMP TABLE IF NOT EXISTS "
	    "pending_hits (ticket_id INTEGER PRIMARY KEY)";
	static const char mkfts[] = "CREATE VIRTUAL TABLE IF NOT EXISTS "
	    "temp.pending_fts USING fts5(subject, text, from_name, from_email,"
	    " content='', "
	    PENDING_TOKENIZE ")";
	static const char any[] = "SELECT EXISTS (SELECT 1 FROM fts_pending)";
	static const char clear[] = "DELETE FROM temp.pending_hits";
	static const char reset[] = "INSERT INTO temp.pending_fts(pending_fts)"
	    " VALUES ('delete-all')";
	static const char fill[] = "INSERT INTO temp.pending_fts" FTS_COLUMNS
	    " SELECT " FTS_VALUES("m.") " FROM fts_pending p"
	    " JOIN messages m ON m.id = p.id";
	static const char hits[] = "INSERT OR IGNORE INTO temp.pending_hits"
	    " SELECT m.ticket_id FROM temp.pending_fts f JOIN messages m"
	    " ON m.id = f.rowid WHERE pending_fts MATCH ?1";
	sqlite3_stmt *st;
	enum tame_err rc;
	int some = 0;

	if (!q->pend_made) {
		if ((rc = sq_run(q, sq_stmt(q, mk))) ||
		    (rc = sq_run(q, sq_stmt(q, mkfts))))
			return rc;
		q->pend_made = 1;
	}
	if (q->pend_hits) {
		if ((rc = sq_run(q, sq_stmt(q, clear))))
			return rc;
		q->pend_hits = 0;
	}
	st = sq_stmt(q, any);
	if ((rc = sq_row(q, st)) == TAME_OK)
		some = sqlite3_column_int(st, 0);
	sq_done(st);
	if (rc || !some)
		return rc;
	q->pend_hits = 1;
	if ((rc = sq_run(q, sq_stmt(q, reset))) ||
	    (rc = sq_run(q, sq_stmt(q, fill))))
		return rc;
	st = sq_stmt(q, hits);
	sq_bind_text(q, st, 1, match);
	return sq_run(q, st);
}

/* " AND t.priority IN (3,2,...)" for the bits of mask: a filter on
 * the rows each walk reads (no index of its own: a page of a common
 * priority would rather walk the id order than sort all its rows). */
static enum tame_err
priority_in(unsigned mask, struct buf *b)
{
	enum tame_err rc;
	int i, first = 1;

	if ((rc = buf_addstr(b, " AND t.priority IN (")))
		return rc;
	for (i = 0; i < PRIORITY_COUNT && !rc; i++)
		if (mask & (1u << i)) {
			rc = buf_printf(b, "%s%d", first ? "" : ",", i);
			first = 0;
		}
	return rc ? rc : buf_addstr(b, ")");
}

/* Ticket t has a message the search ?7 finds (a probe of the FTS5
 * index, rowid by rowid), or one not indexed yet that it finds. */
#define PROBE_COND " (EXISTS (SELECT 1 FROM messages m CROSS JOIN" \
	" messages_fts f ON f.rowid = m.id WHERE m.ticket_id = t.id AND" \
	" messages_fts MATCH ?7) OR t.id IN " PENDING_HITS ")"

/* The WHERE terms every branch shares (bound as ?1 and ?3..?7). */
static enum tame_err
ticket_conds(const struct ticket_query *tq, enum search_plan plan,
    struct buf *b)
{
	enum tame_err rc;

	if ((rc = buf_addstr(b, " WHERE t.id < ?1")))
		return rc;
	if (tq->assignee_id > 0)
		rc = buf_addstr(b, " AND t.assignee_id = ?3");
	else if (tq->assignee_id < 0)
		rc = buf_addstr(b, " AND t.assignee_id IS NULL");
	if (!rc && tq->mailbox_id > 0)
		rc = buf_addstr(b, " AND t.mailbox_id = ?4");
	if (!rc && tq->customer_id > 0)
		rc = buf_addstr(b, " AND t.customer_id = ?5");
	if (!rc && tq->tag)
		rc = buf_addstr(b, " AND t.id IN (SELECT ticket_id FROM "
		    "ticket_tags WHERE tag = ?6)");
	if (!rc && tq->priority_mask)
		rc = priority_in(tq->priority_mask, b);
	if (!rc && plan == SEARCH_PROBE)
		rc = buf_addstr(b, " AND" PROBE_COND);
	if (!rc)
		rc = sq_intel_conds(tq, b);
	return rc;
}

/* " AND t.status IN (0,2,...)" for the bits of mask. */
static enum tame_err
status_in(unsigned mask, struct buf *b)
{
	enum tame_err rc;
	int i, first = 1;

	if ((rc = buf_addstr(b, " AND t.status IN (")))
		return rc;
	for (i = 0; i < TICKET_STATUS_COUNT && !rc; i++)
		if (mask & (1u << i)) {
			rc = buf_printf(b, "%s%d", first ? "" : ",", i);
			first = 0;
		}
	return rc ? rc : buf_addstr(b, ")");
}

/* The ids of one page, newest first, at most ?2 of them. */
static enum tame_err
page_ids_sql(const struct ticket_query *tq, unsigned mask,
    enum search_plan plan, struct buf *b)
{
	enum tame_err rc;
	int i, nst = 0, first = 1;

	for (i = 0; i < TICKET_STATUS_COUNT; i++)
		nst += (mask >> i) & 1;
	if (plan == SEARCH_DRIVE) {
		if ((rc = buf_addstr(b, "SELECT t.id AS id FROM (SELECT "
		    "DISTINCT m.ticket_id AS id FROM messages_fts f JOIN "
		    "messages m ON m.id = f.rowid WHERE messages_fts MATCH ?7"
		    " AND m.ticket_id < ?1 UNION " PENDING_HITS_BELOW
		    ") h CROSS JOIN tickets t ON t.id = h.id")) ||
		    (rc = ticket_conds(tq, SEARCH_NONE, b)) ||
		    (nst && (rc = status_in(mask, b))))
			return rc;
		return buf_addstr(b, " ORDER BY t.id DESC LIMIT ?2");
	}
	if (nst == 0 && tq->assignee_id != 0) {
		/* Walk (assignee_id, status, id) once per status. */
		mask = (1u << TICKET_STATUS_COUNT) - 1;
		nst = TICKET_STATUS_COUNT;
	}
	if (nst <= 1) {
		if ((rc = buf_addstr(b, "SELECT t.id AS id FROM tickets t")) ||
		    (rc = ticket_conds(tq, plan, b)))
			return rc;
		if (nst == 1) {
			for (i = 0; !(mask & (1u << i)); i++)
				;
			if ((rc = buf_printf(b, " AND t.status = %d", i)))
				return rc;
		}
		return buf_addstr(b, " ORDER BY t.id DESC LIMIT ?2");
	}
	for (i = 0; i < TICKET_STATUS_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		if ((rc = buf_printf(b, "%sSELECT id FROM (SELECT t.id AS id"
		    " FROM tickets t", first ? "" : " UNION ALL ")) ||
		    (rc = ticket_conds(tq, plan, b)) ||
		    (rc = buf_printf(b, " AND t.status = %d ORDER BY t.id DESC"
		    " LIMIT ?2)", i)))
			return rc;
		first = 0;
	}
	return TAME_OK;
}

/* A page: its ids first, then the columns of just those rows. When one
 * index walk gives the page (no search, at most one status, no
 * assignee without a status), the columns are read on that walk: the
 * detour through a list of ids costs the busiest request a third. */
static enum tame_err
tickets_sql(const struct ticket_query *tq, unsigned mask,
    enum search_plan plan, struct buf *b)
{
	enum tame_err rc;
	int i;

	if (plan == SEARCH_NONE && (mask & (mask - 1)) == 0 &&
	    !(mask == 0 && tq->assignee_id != 0)) {
		if ((rc = buf_addstr(b, "SELECT " TICKET_COLS
		    " FROM tickets t" TICKET_JOINS)) ||
		    (rc = ticket_conds(tq, plan, b)))
			return rc;
		for (i = 0; i < TICKET_STATUS_COUNT; i++)
			if (mask == (1u << i) &&
			    (rc = buf_printf(b, " AND t.status = %d", i)))
				return rc;
		return buf_addstr(b, " ORDER BY t.id DESC LIMIT ?2");
	}
	if ((rc = buf_addstr(b, "SELECT " TICKET_COLS " FROM (")) ||
	    (rc = page_ids_sql(tq, mask, plan, b)))
		return rc;
	return buf_addstr(b, ") p CROSS JOIN tickets t ON t.id = p.id"
	    TICKET_JOINS " ORDER BY t.id DESC LIMIT ?2");
}

/* Sorted pages (sort=oldest|priority) order by one integer key, then
 * id, and page by "after (key, id)" (?8, ?9); the cursor is "KEY.ID".
 * The key is when the customer started waiting; for priority the
 * priority sits above it (times in ms stay below 2^42 until 2109). A
 * view of the big part of the active queue (new or open tickets, no
 * narrower filter) walks the active queue's index in that order
 * (migration 10) and stops after a page; a narrower one (a customer,
 * an assignee, pending only, a search...) reads its own index and sorts
 * its few matches. SQLite's planner, without statistics, would take the
 * status index either way, hence INDEXED BY. A search keeps the tickets
 * that have a matching message. */
#define SORT_WAIT "coalesce(t.last_customer_at, t.created_at)"
#define SORT_PRIO "((3 - t.priority) * 4398046511104 + " SORT_WAIT ")"
#define ACTIVE_MASK (1u << TICKET_NEW | 1u << TICKET_OPEN | \
	1u << TICKET_PENDING)

/* The active queue's index of the sort, or NULL to sort the matches. */
static const char *
sorted_index(const struct ticket_query *tq, unsigned mask, int terms)
{
	if (!mask || (mask & ~ACTIVE_MASK) || !(mask & (1u << TICKET_NEW |
	    1u << TICKET_OPEN)) || terms || tq->assignee_id > 0 ||
	    tq->mailbox_id > 0 || tq->customer_id > 0 || tq->tag ||
	    tq->trend_id > 0 || tq->flags)
		return NULL;
	return tq->sort == TICKET_SORT_PRIORITY ? "tickets_prio_active" :
	    "tickets_wait_active";
}

/* A search of a common word (dense: as many hits as search_plan counts
 * at most) in a view of the active queue walks the queue's index in the
 * view's order and probes each ticket's messages in the FTS5 index,
 * stopping after a page, as the newest-first list does (SEARCH_PROBE):
 * gathering every hit's ticket to sort them took 150-390 ms a page at
 * 50,000 hits. The walk ends at (?10, ?11), DENSE_BUDGET(limit) tickets
 * of the index on (dense_bound): a word found mostly in solved tickets
 * would otherwise read the whole queue (10 s at 55,000 open tickets); a
 * page it does not fill is asked again the other way (the caller). A
 * rarer word, or a narrower view, sorts its matches. */
#define DENSE_BUDGET(limit) ((int64_t)(limit) * 40 + 400)
/* The environment's TAME_SEARCH_WALK_MAX (tests) or that. */
#define DENSE_WALK(limit) tame_env_i64("TAME_SEARCH_WALK_MAX", 1, \
	DENSE_BUDGET(limit), DENSE_BUDGET(limit))

/* walk: the caller's choice to walk the queue's index (a dense search,
 * a view that index serves: sorted_index(tq, mask, 0)). */
static enum tame_err
sorted_sql(const struct ticket_query *tq, unsigned mask, int terms,
    int walk, struct buf *b)
{
	const char *key = tq->sort == TICKET_SORT_PRIORITY ? SORT_PRIO :
	    SORT_WAIT;
	const char *ix = sorted_index(tq, mask, terms && !walk);
	int probe = walk;
	enum tame_err rc;

	if ((rc = buf_printf(b, "SELECT " TICKET_COLS ", %s FROM tickets t"
	    "%s%s" TICKET_JOINS, key, ix ? " INDEXED BY " : "",
	    ix ? ix : "")) ||
	    (rc = ticket_conds(tq, probe ? SEARCH_PROBE : SEARCH_NONE, b)) ||
	    (ix && (rc = buf_addstr(b, " AND t.status < 3"))) ||
	    (mask && (rc = status_in(mask, b))) ||
	    (rc = buf_printf(b, " AND (%s > ?8 OR (%s = ?8 AND t.id > ?9))",
	    key, key)))
		return rc;
	if (probe && (rc = buf_printf(b, " AND (%s < ?10 OR (%s = ?10 AND"
	    " t.id <= ?11))", key, key)))
		return rc;
	if (terms && !probe && (rc = buf_addstr(b, " AND (t.id IN (SELECT"
	    " m.ticket_id FROM messages_fts f JOIN messages m ON m.id ="
	    " f.rowid WHERE messages_fts MATCH ?7) OR t.id IN " PENDING_HITS
	    ")")))
		return rc;
	return buf_printf(b, " ORDER BY %s, t.id LIMIT ?2", key);
}

/* Where the walk of a dense search ends (sorted_sql): the key and id of
 * the ticket DENSE_BUDGET(limit) entries of the queue's index after
 * the cursor (key, id), read off the index alone; (INT64_MAX,
 * INT64_MAX) when fewer are left. */
static enum tame_err
dense_bound(struct sq *q, const struct ticket_query *tq, int64_t key,
    int64_t id, int64_t *bkey, int64_t *bid)
{
	const char *k = tq->sort == TICKET_SORT_PRIORITY ? SORT_PRIO :
	    SORT_WAIT;
	char sql[512];
	sqlite3_stmt *st;
	enum tame_err rc;

	*bkey = *bid = INT64_MAX;
	if (snprintf(sql, sizeof(sql), "SELECT %s, t.id FROM tickets t"
	    " INDEXED BY %s WHERE t.status < 3 AND (%s > ?1 OR (%s = ?1 AND"
	    " t.id > ?2)) ORDER BY %s, t.id LIMIT 1 OFFSET ?3", k,
	    tq->sort == TICKET_SORT_PRIORITY ? "tickets_prio_active" :
	    "tickets_wait_active", k, k, k) >= (int)sizeof(sql))
		return TAME_ETOOBIG;
	st = sq_stmt_dyn(q, sql);
	sq_bind_int(q, st, 1, key);
	sq_bind_int(q, st, 2, id);
	sq_bind_int(q, st, 3, DENSE_WALK(tq->limit));
	if ((rc = sq_row(q, st)) == TAME_OK) {
		*bkey = sqlite3_column_int64(st, 0);
		*bid = sqlite3_column_int64(st, 1);
	}
	sq_done(st);
	return rc == TAME_ENOTFOUND ? TAME_OK : rc;
}

/* Parses a sorted page's cursor "KEY.ID". */
static enum tame_err
sorted_cursor_parse(struct sq *q, const char *cursor, int64_t *key,
    int64_t *id)
{
	char num[24];
	const char *dot;
	size_t n;

	*key = INT64_MIN;
	*id = 0;
	if (!cursor)
		return TAME_OK;
	if (!(dot = strchr(cursor, '.')) || (n = (size_t)(dot - cursor)) == 0
	    || n >= sizeof(num))
		goto bad;
	memcpy(num, cursor, n);
	num[n] = '\0';
	if (tame_parse_i64(num, INT64_MIN, INT64_MAX, key) ||
	    tame_parse_i64(dot + 1, 1, INT64_MAX, id))
		goto bad;
	return TAME_OK;
bad:
	store_set_errmsg(&q->base, "bad cursor");
	return TAME_EINVAL;
}

/* Picks the search plan from the number of hits, counted up to
 * SEARCH_DRIVE_MAX (cheap: the FTS index stops there). */
static enum tame_err
search_plan(struct sq *q, const char *match, enum search_plan *plan)
{
	static const char sql[] = "SELECT count(*) FROM (SELECT 1 FROM "
	    "messages_fts WHERE messages_fts MATCH ?1 LIMIT ?2)";
	int64_t drive = search_max("TAME_SEARCH_DRIVE_MAX", SEARCH_DRIVE_MAX);
	sqlite3_stmt *st = sq_stmt(q, sql);
	enum tame_err rc;

	sq_bind_text(q, st, 1, match);
	sq_bind_int(q, st, 2, drive);
	if ((rc = sq_row(q, st)) == TAME_OK)
		*plan = sqlite3_column_int64(st, 0) < drive ?
		    SEARCH_DRIVE : SEARCH_SCAN;
	sq_done(st);
	return rc;
}

/* The newest tickets found so far, at most max, kept in descending
 * order. */
struct top_ids {
	int64_t *id;
	int n, max;
};

/* Runs the one-ticket filter fst for tid: *pass = 1 if it keeps it. */
static enum tame_err
filter_one(struct sq *q, sqlite3_stmt *fst, int64_t tid, int *pass)
{
	int src;

	sqlite3_bind_int64(fst, 8, tid);
	src = sqlite3_step(fst);
	sqlite3_reset(fst);
	*pass = src == SQLITE_ROW;
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		return sq_err(q, src, "search filter");
	return TAME_OK;
}

static int
top_has(const struct top_ids *t, int64_t id)
{
	int lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (t->id[mid] == id)
			return 1;
		if (t->id[mid] > id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void
top_add(struct top_ids *t, int64_t id)
{
	int i;

	if (t->n == t->max && id <= t->id[t->n - 1])
		return;
	for (i = t->n == t->max ? t->n - 1 : t->n; i > 0 &&
	    t->id[i - 1] < id; i--)
		t->id[i] = t->id[i - 1];
	t->id[i] = id;
	if (t->n < t->max)
		t->n++;
}

/* SEARCH_SCAN: the ids of the page's tickets, newest first, as a JSON
 * array in ids (for json_each). Hits come newest message first; a hit's
 * ticket joins the page if it is below the cursor, passes the filters
 * and is among the limit + 1 newest so far. Once the page is full, let
 * kth be its oldest ticket and bound the oldest message of any ticket
 * from kth up to the cursor: a hit older than bound belongs to a ticket
 * older than kth, so the scan stops there. The page is exact whatever
 * order tickets and messages were created in. Tickets matching only
 * through queued messages (temp.pending_hits) are taken first. Sets
 * *gave_up when SEARCH_SCAN_MAX hits did not settle the page. */
static enum tame_err
scan_hits(struct sq *q, const struct ticket_query *tq, unsigned mask,
    const char *match, int64_t below, struct buf *ids, int *gave_up)
{
	static const char hits[] = "SELECT f.rowid, m.ticket_id FROM "
	    "messages_fts f CROSS JOIN messages m ON m.id = f.rowid WHERE "
	    "messages_fts MATCH ?1 ORDER BY f.rowid DESC";
	static const char pend[] = "SELECT ticket_id FROM temp.pending_hits"
	    " WHERE ticket_id < ?1";
	static const char oldest[] = "SELECT min(id) FROM messages"
	    " WHERE ticket_id >= ?1 AND ticket_id < ?2";
	sqlite3_stmt *hst = NULL, *fst = NULL, *st;
	struct top_ids top;
	struct buf fsql;
	struct jw w = { ids, TAME_OK };
	int64_t mid, tid, kth, bound = INT64_MAX, bound_kth = 0;
	int64_t most = search_max("TAME_SEARCH_SCAN_MAX", SEARCH_SCAN_MAX);
	enum tame_err rc;
	int i, pass;
	int64_t seen = 0;

	*gave_up = 0;
	top.n = 0;
	top.max = tq->limit + 1;
	if (!(top.id = calloc((size_t)top.max, sizeof(*top.id))))
		return TAME_ENOMEM;
	/* the filter, for one ticket at a time (?8) */
	buf_init(&fsql, 16 * 1024);
	if ((rc = buf_addstr(&fsql, "SELECT 1 FROM tickets t")) ||
	    (rc = ticket_conds(tq, SEARCH_NONE, &fsql)) ||
	    (mask && (rc = status_in(mask, &fsql))) ||
	    (rc = buf_addstr(&fsql, " AND t.id = ?8")))
		goto out;
	fst = sq_stmt_dyn(q, buf_str(&fsql));
	sq_bind_int(q, fst, 1, below);
	if (tq->assignee_id > 0)
		sq_bind_int(q, fst, 3, tq->assignee_id);
	if (tq->mailbox_id > 0)
		sq_bind_int(q, fst, 4, tq->mailbox_id);
	if (tq->customer_id > 0)
		sq_bind_int(q, fst, 5, tq->customer_id);
	if (tq->tag)
		sq_bind_text(q, fst, 6, tq->tag);
	if (!fst) {
		rc = q->prep_rc ? q->prep_rc : TAME_ESTORE;
		goto out;
	}

	st = sq_stmt(q, pend);
	sq_bind_int(q, st, 1, below);
	while ((rc = sq_row(q, st)) == TAME_OK) {
		tid = sqlite3_column_int64(st, 0);
		if ((rc = filter_one(q, fst, tid, &pass)))
			break;
		if (pass)
			top_add(&top, tid);
	}
	sq_done(st);
	if (rc != TAME_ENOTFOUND)
		goto out;

	hst = sq_stmt(q, hits);
	sq_bind_text(q, hst, 1, match);
	while ((rc = sq_row(q, hst)) == TAME_OK) {
		mid = sqlite3_column_int64(hst, 0);
		tid = sqlite3_column_int64(hst, 1);
		if (++seen > most) {
			*gave_up = 1;
			break;
		}
		if (top.n == top.max) {
			kth = top.id[top.n - 1];
			if (mid < bound && bound_kth != kth) {
				st = sq_stmt(q, oldest);
				sq_bind_int(q, st, 1, kth);
				sq_bind_int(q, st, 2, below);
				if ((rc = sq_row(q, st)) == TAME_OK)
					bound = sqlite3_column_int64(st, 0);
				sq_done(st);
				if (rc)
					break;
				bound_kth = kth;
			}
			if (mid < bound)
				break;	/* the page is settled */
			if (tid <= kth)
				continue;
		}
		if (tid >= below || top_has(&top, tid))
			continue;
		if ((rc = filter_one(q, fst, tid, &pass)))
			break;
		if (pass)
			top_add(&top, tid);
	}
	if (rc == TAME_ENOTFOUND)
		rc = TAME_OK;
	if (rc)
		goto out;
	sq_jw_lit(&w, "[");
	for (i = 0; i < top.n; i++) {
		if (i)
			sq_jw_lit(&w, ",");
		sq_jw_int(&w, top.id[i]);
	}
	sq_jw_lit(&w, "]");
	rc = w.rc;
out:
	sq_done(hst);
	sq_done(fst);
	buf_free(&fsql);
	free(top.id);
	return rc;
}

/* {"tickets":[...], "next_cursor"} as JSON text appended to out. See
 * store.h. */
enum tame_err
store_sqlite_tickets_view_text(struct store *s, const struct ticket_query *tq,
    struct buf *out)
{
	static const char scan_page[] = "SELECT " TICKET_COLS " FROM (SELECT"
	    " value AS id FROM json_each(?1)) p CROSS JOIN tickets t ON"
	    " t.id = p.id" TICKET_JOINS " ORDER BY t.id DESC LIMIT ?2";
	struct sq *q = SQ(s);
	sqlite3_stmt *st = NULL;
	struct buf sql, match, ids;
	struct jw w = { out, TAME_OK };
	char cur[48];
	unsigned mask, all = (1u << TICKET_STATUS_COUNT) - 1;
	enum search_plan plan = SEARCH_NONE;
	int64_t below, last = 0, key_after = 0, id_after = 0, last_key = 0;
	int terms = 0, n = 0, more = 0, sorted = tq->sort != TICKET_SORT_NEWEST;
	int gave_up = 0, none = 0, dense = 0, walk;
	int64_t bkey = 0, bid = 0;
	size_t mark;
	enum tame_err rc;

	buf_init(&sql, 16 * 1024);
	/* each word quoted, in parentheses, with its other forms */
	buf_init(&match, TAME_QUERY_MAX * 2 + FTS_TERMS_MAX * (8 +
	    VARIANTS_MAX * (VARIANTS_WORD + 16)));
	buf_init(&ids, (size_t)TAME_LIST_LIMIT_MAX * 24 + 8);
	if ((rc = sorted ? sorted_cursor_parse(q, tq->cursor, &key_after,
	    &id_after) : sq_cursor_parse(q, tq->cursor, &below)))
		goto out;
	if (sorted)
		below = INT64_MAX;
	mask = tq->status_mask & all;
	if (tq->status_mask && !mask) {
		store_set_errmsg(s, "bad status mask");
		rc = TAME_EINVAL;
		goto out;
	}
	if (mask == all)
		mask = 0;
	if (tq->q && strlen(tq->q) > TAME_QUERY_MAX) {
		store_set_errmsg(s, "query longer than %d bytes",
		    TAME_QUERY_MAX);
		rc = TAME_ETOOBIG;
		goto out;
	}
	if (tq->q && (rc = fts_query(q, tq->q, &match, &terms, &none)))
		goto out;
	if (none) {
		sq_jw_lit(&w, "{\"tickets\":[],\"next_cursor\":null}");
		rc = w.rc;
		goto out;
	}
	if (terms && (rc = pending_hits(q, buf_str(&match))))
		goto out;
	/* Without filters every hit's ticket belongs on the page, so the
	 * scan of the newest hits settles it at once, however many there
	 * are; with filters, counting the hits decides. */
	if (!sorted && terms && mask == 0 && tq->assignee_id == 0 &&
	    tq->mailbox_id == 0 && tq->customer_id == 0 && !tq->tag &&
	    tq->trend_id == 0 && tq->flags == 0 && tq->priority_mask == 0)
		plan = SEARCH_SCAN;
	else if (terms && (rc = search_plan(q, buf_str(&match), &plan)))
		goto out;
	/* a sorted page has its own plans (sorted_sql) */
	if (sorted) {
		dense = plan == SEARCH_SCAN;
		plan = SEARCH_NONE;
	}
	if (plan == SEARCH_SCAN) {
		if ((rc = scan_hits(q, tq, mask, buf_str(&match), below,
		    &ids, &gave_up)))
			goto out;
		if (gave_up)
			plan = SEARCH_PROBE;
	}
	mark = out->len;
again:
	/* before the page's statement: both are of the dynamic cache */
	walk = sorted && dense && terms && sorted_index(tq, mask, 0);
	if (walk && (rc = dense_bound(q, tq, key_after, id_after, &bkey,
	    &bid)))
		goto out;
	if (plan == SEARCH_SCAN) {
		/* the page's ids are known: read their rows */
		st = sq_stmt(q, scan_page);
		sq_bind_text(q, st, 1, buf_str(&ids));
		sq_bind_int(q, st, 2, (int64_t)tq->limit + 1);
	} else {
		if ((rc = sorted ? sorted_sql(tq, mask, terms, walk, &sql) :
		    tickets_sql(tq, mask, plan, &sql)))
			goto out;
		st = sq_stmt_dyn(q, buf_str(&sql));
		sq_bind_int(q, st, 1, below);
		sq_bind_int(q, st, 2, (int64_t)tq->limit + 1);
		if (tq->assignee_id > 0)
			sq_bind_int(q, st, 3, tq->assignee_id);
		if (tq->mailbox_id > 0)
			sq_bind_int(q, st, 4, tq->mailbox_id);
		if (tq->customer_id > 0)
			sq_bind_int(q, st, 5, tq->customer_id);
		if (tq->tag)
			sq_bind_text(q, st, 6, tq->tag);
		if (terms)
			sq_bind_text(q, st, 7, buf_str(&match));
	}
	if (sorted) {
		sq_bind_int(q, st, 8, key_after);
		sq_bind_int(q, st, 9, id_after);
		if (walk) {
			sq_bind_int(q, st, 10, bkey);
			sq_bind_int(q, st, 11, bid);
		}
	}
	sq_jw_lit(&w, "{\"tickets\":[");
	while ((rc = sq_row(q, st)) == TAME_OK) {
		if (n == tq->limit) {
			more = 1;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		if (sorted)
			last_key = sqlite3_column_int64(st, TICKET_NCOLS);
		if (n++)
			sq_jw_lit(&w, ",");
		sq_ticket_text(&w, st);
		if (w.rc)
			break;
	}
	if (rc != TAME_OK && rc != TAME_ENOTFOUND)
		goto out;
	/* the walk of a dense search (sorted_sql) did not fill the page
	 * within its budget: the hits' tickets, sorted, tell the rest */
	if (walk && !more && rc == TAME_ENOTFOUND && w.rc == TAME_OK) {
		sq_done(st);
		st = NULL;
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
		n = 0;
		dense = 0;
		buf_reset(&sql);
		goto again;
	}
	sq_jw_lit(&w, "],\"next_cursor\":");
	if (!more)
		sq_jw_lit(&w, "null");
	else if (sorted && snprintf(cur, sizeof(cur), "%lld.%lld",
	    (long long)last_key, (long long)last) > 0)
		sq_jw_str(&w, cur);
	else if (!sorted && snprintf(cur, sizeof(cur), "%lld",
	    (long long)last) > 0)
		sq_jw_str(&w, cur);
	else
		sq_jw_lit(&w, "null");
	sq_jw_lit(&w, "}");
	rc = w.rc;
out:
	sq_done(st);
	buf_free(&sql);
	buf_free(&match);
	buf_free(&ids);
	return rc;
}

/* The page as a json_t: the text, parsed. See store.h. */
enum tame_err
store_sqlite_tickets_view(struct store *s, const struct ticket_query *tq,
    json_t **out)
{
	struct buf b;
	enum tame_err rc;

	buf_init(&b, TICKETS_TEXT_MAX);
	if ((rc = store_sqlite_tickets_view_text(s, tq, &b)) == TAME_OK &&
	    !(*out = json_loadb(b.data, b.len, 0, NULL)))
		rc = TAME_ENOMEM;
	buf_free(&b);
	return rc;
}
