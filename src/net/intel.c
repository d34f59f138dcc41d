/*
 * intel.c - the intelligence thread of tamed: follows new messages and
 * ticket changes, keeps tone, flags and trends current, and rebuilds the
 * trend index at start. See intel.h for the model, intel_impl.h for the
 * state and intel_trends.c for what the HTTP threads do with it.
 *
 * A round: read up to TAME_INTEL_BATCH new messages and the tickets with
 * new events; analyse customer messages (text pipeline, tone) with no
 * lock held; under the mutex take solved and closed tickets out of the
 * index and place new or reopened ones (one ticket per lock, so HTTP
 * threads never wait long); compare the index with what the store holds
 * (every ticket at most once a second, the placed ones every round);
 * then write everything, positions included, in one transaction, and
 * record under the mutex what was written.
 *
 * The thread runs at a lower CPU priority than the SMTP writer: under a
 * burst of mail it falls behind and catches up afterwards, instead of
 * slowing the 250s down.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "intel_impl.h"
#include "../core/tone.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* Every ticket of the index is compared with the store at most this
 * often (about 40 ns a ticket), unless an agent's change asks for it. */
#define FULL_EVERY_MS 1000
/* The thread looks for mail nobody kicked it about this often. */
#define POLL_MS 1000
/* The usual wait is measured again this often, over this period and at
 * most this many of the newest tickets. */
#define WAIT_EVERY_MS (10 * 60 * 1000)
#define WAIT_PERIOD_MS (30LL * 24 * 3600 * 1000)
#define WAIT_TICKETS 5000
/* Tickets with new events read per round. */
#define EVENTS_BATCH 1024
/* Nice value of the thread (setpriority): yields to the SMTP writer. */
#define INTEL_NICE 10

static pthread_mutex_t the_mu = PTHREAD_MUTEX_INITIALIZER;
static struct intel *the_intel;

struct intel *
intel_get(void)
{
	struct intel *in;

	pthread_mutex_lock(&the_mu);
	in = the_intel;
	pthread_mutex_unlock(&the_mu);
	return in;
}

/* ---- the maps (under mu) ---- */

int64_t
intel_db_of(struct intel *in, uint32_t t)
{
	uint32_t live = trend_resolve(in->ix, t);
	int64_t db;

	if (live == 0 || live >= in->ndb)
		return 0;
	db = in->db_of[live];
	return db < 0 ? -db : db;
}

uint32_t
intel_live_of(struct intel *in, int64_t db)
{
	int64_t t;

	if (!intel_map_get(&in->db2ix, db, &t))
		return 0;
	return trend_resolve(in->ix, (uint32_t)t);
}

enum tame_err
intel_bind(struct intel *in, uint32_t t, int64_t db)
{
	size_t n;
	int64_t *v;

	if (t >= in->ndb) {
		n = in->ndb ? in->ndb : 1024;
		while (n <= t)
			n *= 2;
		if (!(v = realloc(in->db_of, n * sizeof(*v))))
			return TAME_ENOMEM;
		memset(v + in->ndb, 0, (n - in->ndb) * sizeof(*v));
		in->db_of = v;
		in->ndb = n;
	}
	in->db_of[t] = db;
	return intel_map_put(&in->db2ix, db, t);
}

void
intel_dirty(struct intel *in, uint32_t t)
{
	uint32_t *v;
	size_t n;

	if (t == 0)
		return;
	if (in->ndirty == in->cdirty) {
		n = in->cdirty ? in->cdirty * 2 : 256;
		if (!(v = realloc(in->dirty, n * sizeof(*v))))
			return;	/* the label is refreshed at its next change */
		in->dirty = v;
		in->cdirty = n;
	}
	in->dirty[in->ndirty++] = t;
}

/* ---- analysing ---- */

/* The subject without reply and forward prefixes; "" for none. */
static const char *
subject_core(const char *s)
{
	static const char *const pre[] = { "re:", "fwd:", "fw:", "aw:",
	    "sv:", "wg:", "tr:" };
	size_t i, n;
	int again = 1;

	if (!s || strcmp(s, "(no subject)") == 0)
		return "";
	while (again) {
		again = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
			n = strlen(pre[i]);
			if (strncasecmp(s, pre[i], n) == 0) {
				s += n;
				again = 1;
			}
		}
	}
	return s;
}

/* A ticket's text as the trend index reads it. */
struct place_in {
	struct text_doc subj, body;
	const char **term;
	const char **disp;
	size_t cterm;
	struct trend_input in;
};

static void
place_in_free(struct place_in *p)
{
	text_doc_free(&p->subj);
	text_doc_free(&p->body);
	free(p->term);
	free(p->disp);
}

static enum tame_err
terms_add(struct place_in *p, const struct text_doc *d)
{
	const char **t, **s;
	size_t i, need = p->in.nterm + d->nterm;

	if (need > p->cterm) {
		if (!(t = realloc(p->term, need * sizeof(*t))))
			return TAME_ENOMEM;
		p->term = t;
		if (!(s = realloc(p->disp, need * sizeof(*s))))
			return TAME_ENOMEM;
		p->disp = s;
		p->cterm = need;
	}
	for (i = 0; i < d->nterm; i++) {
		p->term[p->in.nterm] = text_doc_term(d, i);
		p->disp[p->in.nterm++] = text_doc_display(d, i);
	}
	return TAME_OK;
}

/* Subject and first customer message of t into p->in. */
static enum tame_err
analyse_ticket(struct intel *in, const struct store_intel_ticket *t,
    struct place_in *p)
{
	const char *subj = subject_core(t->subject);
	enum tame_err rc;

	p->in.nterm = 0;
	if ((rc = text_analyse(in->tp, subj, strlen(subj), 0, &p->subj)) ||
	    (rc = text_analyse(in->tp, t->text ? t->text : "",
	    t->text ? strlen(t->text) : 0, 1, &p->body)) ||
	    (rc = terms_add(p, &p->subj)) || (rc = terms_add(p, &p->body)))
		return rc;
	p->in.terms = p->term;
	p->in.display = p->disp;
	return TAME_OK;
}

/* Under mu. Places ticket t; an agent's earlier placement into a trend
 * that still lives is restored. *cur gets its trend (0: none). */
static enum tame_err
place(struct intel *in, const struct store_intel_ticket *t,
    const struct trend_input *ti, uint32_t *cur)
{
	uint32_t x, y;
	int64_t old;
	enum tame_err rc;

	*cur = 0;
	if ((rc = trend_place(in->ix, t->id, ti, t->created_at, &x)) || !x)
		return rc;
	y = t->trend_id > 0 ? intel_live_of(in, t->trend_id) : 0;
	if (t->trend_pin && y && y != x &&
	    (rc = trend_move_out(in->ix, t->id, y, NULL)))
		tame_log(TAME_LOG_WARN, "intel: ticket %lld back to its trend:"
		    " %s", (long long)t->id, tame_strerror(rc));
	*cur = trend_of(in->ix, t->id);
	if (!intel_map_get(&in->rec, t->id, &old) &&
	    (rc = intel_map_put(&in->rec, t->id, y)))
		return rc;
	intel_dirty(in, *cur);
	return TAME_OK;
}

/* Under mu. Takes ticket tid out of the index. */
static void
unplace(struct intel *in, int64_t tid)
{
	intel_dirty(in, trend_of(in->ix, tid));
	trend_remove(in->ix, tid);
	intel_map_del(&in->rec, tid);
}

/* ---- a round's findings ---- */

struct tone_row {
	int64_t msg;
	int64_t words;
	char *json;
};
struct flag_row {
	int64_t ticket;
	int64_t bits;
	char *json;             /* NULL: none */
};
struct diff_row {
	int64_t ticket;
	uint32_t trend;         /* index trend now */
	int64_t db;             /* its store id; 0: new, see newt */
};
struct label_row {
	uint32_t trend;
	int64_t db;             /* 0: new */
	char text[TREND_LABEL_MAX];
};
struct merge_row {
	int64_t from, into;
};

struct round {
	struct tone_row *tone;
	size_t ntone;
	int64_t *touched;       /* tickets whose flags to compute */
	size_t ntouched, ctouched;
	int64_t *placed;        /* tickets placed this round */
	size_t nplaced, cplaced;
	struct flag_row *flag;
	size_t nflag;
	struct diff_row *diff;
	size_t ndiff, cdiff;
	uint32_t *newt;         /* index trends that need a store row */
	int64_t *newdb;
	size_t nnewt, cnewt;
	struct label_row *label;
	size_t nlabel;
	struct merge_row *merge;
	size_t nmerge, cmerge;
	int64_t msg_pos, ev_pos;
	int full;
	uint64_t gen;           /* want_gen this full reconcile serves */
};

static void
round_free(struct round *r)
{
	size_t i;

	for (i = 0; i < r->ntone; i++)
		free(r->tone[i].json);
	for (i = 0; i < r->nflag; i++)
		free(r->flag[i].json);
	free(r->tone);
	free(r->touched);
	free(r->placed);
	free(r->flag);
	free(r->diff);
	free(r->newt);
	free(r->newdb);
	free(r->label);
	free(r->merge);
	memset(r, 0, sizeof(*r));
}

/* Grows *v (elements of size sz, *cap of them) to hold one more. */
static int
grow(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	if (!(p = realloc(*v, c * sz)))
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

static enum tame_err
touch(struct round *r, int64_t tid)
{
	size_t i;

	for (i = r->ntouched; i > 0; i--)
		if (r->touched[i - 1] == tid)
			return TAME_OK;
	if (grow((void **)&r->touched, &r->ctouched, r->ntouched,
	    sizeof(*r->touched)))
		return TAME_ENOMEM;
	r->touched[r->ntouched++] = tid;
	return TAME_OK;
}

/* ---- reading and analysing ---- */

/* Tone and word count of the customer messages after msg_pos. */
static enum tame_err
read_messages(struct intel *in, struct round *r)
{
	struct store_intel_msg *m = NULL;
	struct text_doc doc;
	struct tone tone;
	json_t *j;
	size_t n = 0, i, len;
	enum tame_err rc;

	text_doc_init(&doc);
	if ((rc = store_intel_messages(in->store, in->msg_pos,
	    TAME_INTEL_BATCH, TAME_INTEL_TEXT_MAX, &m, &n)))
		goto out;
	if (n && !(r->tone = calloc(n, sizeof(*r->tone)))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r->msg_pos = m[i].id;
		if ((rc = touch(r, m[i].ticket_id)))
			goto out;
		if (m[i].dir != MSG_IN || m[i].automatic)
			continue;
		len = m[i].text ? strlen(m[i].text) : 0;
		if ((rc = text_analyse(in->tp, m[i].text ? m[i].text : "", len,
		    1, &doc)))
			goto out;
		if ((rc = tone_analyze(m[i].text ? m[i].text : "",
		    doc.new_len, &tone)))
			goto out;
		if (!(j = tone_to_json(&tone))) {
			rc = TAME_ENOMEM;
			goto out;
		}
		r->tone[r->ntone].json = json_dumps(j, JSON_COMPACT |
		    JSON_REAL_PRECISION(4));
		json_decref(j);
		if (!r->tone[r->ntone].json) {
			rc = TAME_ENOMEM;
			goto out;
		}
		r->tone[r->ntone].msg = m[i].id;
		r->tone[r->ntone++].words = doc.truncated ?
		    TEXT_TOKENS_MAX : (int64_t)doc.ntok;
	}
out:
	text_doc_free(&doc);
	store_intel_msgs_free(m, n);
	return rc;
}

/* Places new and reopened tickets, takes solved and closed ones out. */
static enum tame_err
read_events(struct intel *in, struct round *r, size_t *nread)
{
	struct store_intel_status *st;
	struct store_intel_ticket t;
	struct place_in p;
	size_t n = 0, i;
	uint32_t cur;
	int64_t old;
	int placed, open;
	enum tame_err rc;

	memset(&p, 0, sizeof(p));
	text_doc_init(&p.subj);
	text_doc_init(&p.body);
	memset(&t, 0, sizeof(t));
	if (!(st = calloc(EVENTS_BATCH, sizeof(*st))))
		return TAME_ENOMEM;
	r->ev_pos = in->ev_pos;
	if ((rc = store_intel_events(in->store, &r->ev_pos, st, EVENTS_BATCH,
	    &n)))
		goto out;
	*nread = n;
	for (i = 0; i < n; i++) {
		if ((rc = touch(r, st[i].ticket_id)))
			goto out;
		open = st[i].status < TICKET_SOLVED;
		pthread_mutex_lock(&in->mu);
		placed = intel_map_get(&in->rec, st[i].ticket_id, &old);
		if (placed && !open)
			unplace(in, st[i].ticket_id);
		pthread_mutex_unlock(&in->mu);
		if (placed || !open)
			continue;
		rc = store_intel_ticket(in->store, st[i].ticket_id,
		    TAME_INTEL_TEXT_MAX, &t);
		if (rc == TAME_ENOTFOUND)
			continue;
		if (rc)
			goto out;
		if (!t.automatic && t.status < TICKET_SOLVED) {
			if ((rc = analyse_ticket(in, &t, &p)))
				goto out;
			pthread_mutex_lock(&in->mu);
			rc = place(in, &t, &p.in, &cur);
			pthread_mutex_unlock(&in->mu);
			if (rc)
				goto out;
			if (cur && grow((void **)&r->placed, &r->cplaced,
			    r->nplaced, sizeof(*r->placed))) {
				rc = TAME_ENOMEM;
				goto out;
			}
			if (cur)
				r->placed[r->nplaced++] = t.id;
		}
		store_intel_ticket_clear(&t);
	}
out:
	store_intel_ticket_clear(&t);
	place_in_free(&p);
	free(st);
	return rc;
}

/* The flags of every ticket the round touched. */
static enum tame_err
compute_flags(struct intel *in, struct round *r, int64_t now)
{
	struct store_flag_facts f;
	json_t *a = NULL;
	size_t i;
	enum tame_err rc = TAME_OK;

	if (r->ntouched && !(r->flag = calloc(r->ntouched, sizeof(*r->flag))))
		return TAME_ENOMEM;
	for (i = 0; i < r->ntouched && !rc; i++) {
		rc = store_intel_flag_facts(in->store, r->touched[i], now -
		    (int64_t)INTEL_REPEAT_DAYS * 24 * 3600 * 1000, &f);
		if (rc == TAME_ENOTFOUND) {
			rc = TAME_OK;
			continue;
		}
		if (!rc)
			rc = intel_flags(&f, &r->flag[r->nflag].bits, &a);
		free(f.abusive_tone);
		if (rc)
			break;
		if (a && !(r->flag[r->nflag].json = json_dumps(a,
		    JSON_COMPACT)))
			rc = TAME_ENOMEM;
		json_decref(a);
		a = NULL;
		r->flag[r->nflag++].ticket = r->touched[i];
	}
	return rc;
}

/* ---- comparing the index with the store (under mu) ---- */

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The position of index trend t among the round's new ones, added if
 * missing; -1 when out of memory. */
static long
newt_at(struct round *r, uint32_t t)
{
	size_t i;

	for (i = 0; i < r->nnewt; i++)
		if (r->newt[i] == t)
			return (long)i;
	if (grow((void **)&r->newt, &r->cnewt, r->nnewt, sizeof(*r->newt)))
		return -1;
	r->newt[r->nnewt] = t;
	return (long)r->nnewt++;
}

/* Ticket tid is in the index; records it when the store differs. */
static enum tame_err
check_ticket(struct intel *in, struct round *r, int64_t tid, int64_t was)
{
	uint32_t cur = trend_of(in->ix, tid), w = (uint32_t)was;
	int64_t from, into;

	if (cur == w)
		return TAME_OK;
	intel_dirty(in, cur);
	intel_dirty(in, trend_resolve(in->ix, w));
	if (grow((void **)&r->diff, &r->cdiff, r->ndiff, sizeof(*r->diff)))
		return TAME_ENOMEM;
	r->diff[r->ndiff].ticket = tid;
	r->diff[r->ndiff].trend = cur;
	r->diff[r->ndiff++].db = intel_db_of(in, cur);
	/* its old trend went into its new one: remember the merge once */
	if (w && w < in->ndb && in->db_of[w] > 0 && cur &&
	    trend_resolve(in->ix, w) == cur && (into = intel_db_of(in, cur)) &&
	    (from = in->db_of[w]) != into) {
		if (grow((void **)&r->merge, &r->cmerge, r->nmerge,
		    sizeof(*r->merge)))
			return TAME_ENOMEM;
		r->merge[r->nmerge].from = from;
		r->merge[r->nmerge++].into = into;
		in->db_of[w] = -from;
	}
	return TAME_OK;
}

static enum tame_err
reconcile(struct intel *in, struct round *r)
{
	struct trend_info info;
	size_t i, k, len;
	int64_t db;
	long at;
	enum tame_err rc = TAME_OK;
	int n;

	int64_t was;

	/* every ticket now and then, else the ones placed this round */
	for (i = 0; r->full && in->rec.mask && i <= in->rec.mask && !rc; i++)
		if (in->rec.key[i])
			rc = check_ticket(in, r, in->rec.key[i], in->rec.val[i]);
	for (i = 0; !r->full && i < r->nplaced && !rc; i++)
		if (intel_map_get(&in->rec, r->placed[i], &was))
			rc = check_ticket(in, r, r->placed[i], was);
	if (rc)
		return rc;
	for (i = 0; i < r->ndiff; i++)
		if (r->diff[i].trend && !r->diff[i].db &&
		    newt_at(r, r->diff[i].trend) < 0)
			return TAME_ENOMEM;
	qsort(in->dirty, in->ndirty, sizeof(*in->dirty), u32_cmp);
	if (in->ndirty && !(r->label = calloc(in->ndirty, sizeof(*r->label))))
		return TAME_ENOMEM;
	for (i = 0; i < in->ndirty; i++) {
		if ((i && in->dirty[i] == in->dirty[i - 1]) ||
		    trend_get(in->ix, in->dirty[i], tame_now_ms(), &info))
			continue;
		if (!(db = intel_db_of(in, info.id)) &&
		    (at = newt_at(r, info.id)) < 0)
			return TAME_ENOMEM;
		r->label[r->nlabel].trend = info.id;
		r->label[r->nlabel].db = db;
		for (k = 0, len = 0; k < TREND_WORDS && info.words[k][0]; k++) {
			n = snprintf(r->label[r->nlabel].text + len,
			    TREND_LABEL_MAX - len, "%s%s", k ? ", " : "",
			    info.words[k]);
			if (n < 0 || (size_t)n >= TREND_LABEL_MAX - len)
				break;
			len += (size_t)n;
		}
		r->nlabel++;
	}
	in->ndirty = 0;
	return TAME_OK;
}

/* ---- writing back ---- */

static int64_t
new_db(const struct round *r, uint32_t t)
{
	size_t i;

	for (i = 0; i < r->nnewt; i++)
		if (r->newt[i] == t)
			return r->newdb[i];
	return 0;
}

static enum tame_err
write_round(struct intel *in, struct round *r, int64_t now)
{
	struct store *s = in->store;
	enum tame_err rc;
	size_t i;
	int64_t db;

	if (r->nnewt && !(r->newdb = calloc(r->nnewt, sizeof(*r->newdb))))
		return TAME_ENOMEM;
	if ((rc = store_begin(s)))
		return rc;
	for (i = 0; i < r->ntone && !rc; i++)
		rc = store_intel_message_tone(s, r->tone[i].msg,
		    r->tone[i].json, r->tone[i].words);
	for (i = 0; i < r->nnewt && !rc; i++)
		rc = store_trend_create(s, STORE_TREND_AUTO, now, &r->newdb[i]);
	for (i = 0; i < r->ndiff && !rc; i++) {
		db = r->diff[i].db ? r->diff[i].db :
		    new_db(r, r->diff[i].trend);
		rc = store_intel_ticket_trend(s, r->diff[i].ticket, db);
		if (rc == TAME_ENOTFOUND)
			rc = TAME_OK;
	}
	for (i = 0; i < r->nmerge && !rc; i++) {
		rc = store_trend_merge(s, r->merge[i].into, r->merge[i].from,
		    now);
		if (rc == TAME_ENOTFOUND)
			rc = TAME_OK;
	}
	for (i = 0; i < r->nlabel && !rc; i++) {
		db = r->label[i].db ? r->label[i].db :
		    new_db(r, r->label[i].trend);
		if (db)
			rc = store_trend_auto_label(s, db, r->label[i].text);
	}
	for (i = 0; i < r->nflag && !rc; i++) {
		rc = store_intel_ticket_flags(s, r->flag[i].ticket,
		    r->flag[i].bits, r->flag[i].json);
		if (rc == TAME_ENOTFOUND)
			rc = TAME_OK;
	}
	if (!rc && r->msg_pos > in->msg_pos)
		rc = store_intel_state_set(s, "msg_pos", r->msg_pos);
	if (!rc && r->ev_pos > in->ev_pos)
		rc = store_intel_state_set(s, "ev_pos", r->ev_pos);
	if (!rc)
		rc = store_commit(s);
	if (rc)
		store_rollback(s);
	return rc;
}

/* Under mu: what was written is what the store now holds. */
static void
apply_round(struct intel *in, struct round *r)
{
	int64_t old;
	size_t i;

	for (i = 0; i < r->nnewt; i++)
		if (intel_bind(in, r->newt[i], r->newdb[i]))
			tame_log(TAME_LOG_WARN, "intel: out of memory");
	for (i = 0; i < r->ndiff; i++)
		if (intel_map_get(&in->rec, r->diff[i].ticket, &old))
			intel_map_put(&in->rec, r->diff[i].ticket,
			    r->diff[i].trend);
	if (r->msg_pos > in->msg_pos)
		in->msg_pos = r->msg_pos;
	if (r->ev_pos > in->ev_pos)
		in->ev_pos = r->ev_pos;
}

/* Under mu: a failed write leaves the store as it was; ask again. */
static void
undo_round(struct intel *in, struct round *r)
{
	size_t i, k;

	for (i = 0; i < r->nlabel; i++)
		intel_dirty(in, r->label[i].trend);
	for (i = 0; r->nmerge && i < in->ndb; i++)
		for (k = 0; in->db_of[i] < 0 && k < r->nmerge; k++)
			if (-in->db_of[i] == r->merge[k].from)
				in->db_of[i] = r->merge[k].from;
	in->last_full = 0;
}

/* One round; *work = 1 when it found anything new. */
static enum tame_err
round_once(struct intel *in, int *work)
{
	struct round r;
	int64_t now = tame_now_ms();
	size_t nev = 0;
	enum tame_err rc;

	memset(&r, 0, sizeof(r));
	r.msg_pos = in->msg_pos;
	*work = 0;
	if ((rc = read_messages(in, &r)) || (rc = read_events(in, &r, &nev)))
		goto out;
	*work = r.msg_pos > in->msg_pos || nev > 0;
	if ((rc = compute_flags(in, &r, now)))
		goto out;
	pthread_mutex_lock(&in->mu);
	if (in->want_gen > in->done_gen || now - in->last_full >=
	    FULL_EVERY_MS) {
		r.full = 1;
		r.gen = in->want_gen;
		in->last_full = now;
	}
	rc = reconcile(in, &r);
	pthread_mutex_unlock(&in->mu);
	if (rc)
		goto out;
	if (!*work && !r.ndiff && !r.nlabel && !r.nmerge) {
		rc = TAME_OK;
		goto done;
	}
	rc = write_round(in, &r, now);
	pthread_mutex_lock(&in->mu);
	if (rc)
		undo_round(in, &r);
	else
		apply_round(in, &r);
	pthread_mutex_unlock(&in->mu);
	if (rc)
		goto out;
done:
	if (r.full) {
		pthread_mutex_lock(&in->mu);
		if (r.gen > in->done_gen)
			in->done_gen = r.gen;
		pthread_cond_broadcast(&in->done_cv);
		pthread_mutex_unlock(&in->mu);
	}
out:
	round_free(&r);
	return rc;
}

/* Measures the usual first-answer wait and the "waiting long" limit. */
static void
measure_wait(struct intel *in, int64_t now)
{
	int64_t median = 0, n = 0, limit = STORE_WAIT_FLAG_DEFAULT_MS;
	enum tame_err rc;

	in->last_wait = now;
	if ((rc = store_intel_usual_wait(in->store, now - WAIT_PERIOD_MS,
	    WAIT_TICKETS, &median, &n)))
		goto fail;
	if (n >= 10) {
		/* three times the usual, between an hour and a week */
		limit = median * 3;
		if (limit < 3600 * 1000)
			limit = 3600 * 1000;
		if (limit > 7 * 24 * 3600 * 1000LL)
			limit = 7 * 24 * 3600 * 1000LL;
	} else {
		median = 0;
	}
	if ((rc = store_begin(in->store)))
		goto fail;
	if ((rc = store_intel_state_set(in->store, STORE_WAIT_USUAL_KEY,
	    median)) || (rc = store_intel_state_set(in->store,
	    STORE_WAIT_FLAG_KEY, limit)) || (rc = store_commit(in->store))) {
		store_rollback(in->store);
		goto fail;
	}
	return;
fail:
	tame_log(TAME_LOG_WARN, "intel: usual wait: %s (%s)",
	    tame_strerror(rc), store_errmsg(in->store));
}

/* ---- start-up: the index from the open tickets ---- */

struct kept {
	int64_t ticket;
	int64_t db;             /* its trend in the store */
	int pin;
};

/* Phase two of the rebuild (under mu): tickets an agent placed go back
 * where the agent put them, and the tickets of one stored trend that
 * the index spread over several come together again. */
static void
restore(struct intel *in, const struct kept *k, size_t n,
    const struct intel_map *kind)
{
	uint32_t cur, y, nt;
	int64_t kd;
	size_t i;
	enum tame_err rc;

	for (i = 0; i < n; i++) {
		if (!(cur = trend_of(in->ix, k[i].ticket)) || k[i].db <= 0)
			continue;
		y = intel_live_of(in, k[i].db);
		rc = TAME_OK;
		if (k[i].pin && y && y != cur) {
			rc = trend_move_out(in->ix, k[i].ticket, y, NULL);
		} else if (k[i].pin && !y) {
			nt = 0;
			if (intel_map_get(kind, k[i].db, &kd) &&
			    kd == STORE_TREND_SOLO)
				rc = trend_move_out(in->ix, k[i].ticket, 0, &nt);
			else
				rc = trend_split(in->ix, cur, &k[i].ticket, 1,
				    &nt);
			if (!rc && nt)
				rc = intel_bind(in, nt, k[i].db);
		} else if (!k[i].pin && !intel_db_of(in, cur)) {
			if (y && y != cur)
				rc = trend_merge(in->ix, y, cur);
			else if (!y)
				rc = intel_bind(in, cur, k[i].db);
		}
		if (rc)
			tame_log(TAME_LOG_WARN, "intel: restoring ticket %lld:"
			    " %s", (long long)k[i].ticket, tame_strerror(rc));
	}
	for (i = 0; i < n; i++) {
		y = k[i].db > 0 ? intel_live_of(in, k[i].db) : 0;
		cur = trend_of(in->ix, k[i].ticket);
		if (cur && intel_map_put(&in->rec, k[i].ticket, y) == TAME_OK)
			intel_dirty(in, cur);
	}
}

static enum tame_err
rebuild(struct intel *in)
{
	struct store_intel_ticket *t = NULL;
	struct store_trend *dec = NULL;
	struct intel_map kind = { 0 };
	struct place_in p;
	struct kept *k = NULL, *nk;
	size_t nt = 0, nk_n = 0, ck = 0, ndec = 0, i;
	int64_t after, t0 = tame_now_ms(), m, e;
	uint32_t cur, x;
	enum tame_err rc;
	int stop = 0;

	memset(&p, 0, sizeof(p));
	text_doc_init(&p.subj);
	text_doc_init(&p.body);
	if ((rc = store_intel_heads(in->store, &m, &e)))
		goto out;
	if (store_intel_state_get(in->store, "msg_pos", &in->msg_pos))
		in->msg_pos = m;
	if (store_intel_state_get(in->store, "ev_pos", &in->ev_pos))
		in->ev_pos = e;
	if ((rc = store_trends_decided(in->store, &dec, &ndec)))
		goto out;
	for (i = 0; i < ndec && !rc; i++)
		rc = intel_map_put(&kind, dec[i].id, dec[i].kind);
	if (rc || (rc = store_intel_open_from(in->store, TAME_TREND_OPEN_MAX,
	    &after)))
		goto out;
	for (;;) {
		if ((rc = store_intel_open_tickets(in->store, after, 1000,
		    TAME_INTEL_TEXT_MAX, &t, &nt)) || nt == 0)
			break;
		for (i = 0; i < nt && !rc; i++) {
			after = t[i].id;
			if (t[i].automatic)
				continue;
			if ((rc = analyse_ticket(in, &t[i], &p)))
				break;
			pthread_mutex_lock(&in->mu);
			rc = trend_place(in->ix, t[i].id, &p.in,
			    t[i].created_at, &x);
			cur = x ? trend_of(in->ix, t[i].id) : 0;
			/* the first ticket of a stored trend names it */
			if (!rc && cur && t[i].trend_id > 0 && !t[i].trend_pin &&
			    !intel_db_of(in, cur) &&
			    !intel_live_of(in, t[i].trend_id))
				rc = intel_bind(in, cur, t[i].trend_id);
			stop = in->stopping;
			pthread_mutex_unlock(&in->mu);
			if (rc || !cur)
				continue;
			if (grow((void **)&k, &ck, nk_n, sizeof(*k))) {
				rc = TAME_ENOMEM;
				break;
			}
			nk = &k[nk_n++];
			nk->ticket = t[i].id;
			nk->db = t[i].trend_id;
			nk->pin = t[i].trend_pin;
		}
		store_intel_tickets_free(t, nt);
		t = NULL;
		if (rc || stop)
			goto out;
	}
	if (rc)
		goto out;
	pthread_mutex_lock(&in->mu);
	restore(in, k, nk_n, &kind);
	for (i = 0; i < ndec; i++)
		if (dec[i].label && (x = intel_live_of(in, dec[i].id)))
			trend_rename(in->ix, x, dec[i].label);
	in->ready = 1;
	in->last_full = 0;
	pthread_mutex_unlock(&in->mu);
	tame_log(TAME_LOG_INFO, "intel: trend index of %zu open tickets in "
	    "%zu trends (%zu kB) rebuilt in %lld ms", trend_index_tickets(
	    in->ix), trend_index_trends(in->ix), trend_index_bytes(in->ix) /
	    1024, (long long)(tame_now_ms() - t0));
out:
	store_intel_tickets_free(t, nt);
	for (i = 0; i < ndec; i++)
		store_trend_clear(&dec[i]);
	free(dec);
	free(k);
	intel_map_free(&kind);
	place_in_free(&p);
	return rc;
}

/* ---- the thread ---- */

static void
wait_ms(struct intel *in, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&in->mu);
	if (!in->kicked && !in->stopping && in->want_gen <= in->done_gen)
		pthread_cond_timedwait(&in->cv, &in->mu, &ts);
	in->kicked = 0;
	pthread_mutex_unlock(&in->mu);
}

static void *
intel_main(void *arg)
{
	struct intel *in = arg;
	enum tame_err rc;
	int work, stop;

	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), INTEL_NICE))
		tame_log(TAME_LOG_DEBUG, "intel: cannot lower the priority");
	if ((rc = rebuild(in)))
		tame_log(TAME_LOG_ERR, "intel: rebuilding the trend index: "
		    "%s (%s)", tame_strerror(rc), store_errmsg(in->store));
	pthread_mutex_lock(&in->mu);
	in->ready = 1;
	pthread_mutex_unlock(&in->mu);
	for (;;) {
		pthread_mutex_lock(&in->mu);
		stop = in->stopping;
		pthread_mutex_unlock(&in->mu);
		if (stop)
			break;
		if (tame_now_ms() - in->last_wait >= WAIT_EVERY_MS)
			measure_wait(in, tame_now_ms());
		if ((rc = round_once(in, &work))) {
			tame_log(TAME_LOG_WARN, "intel: round failed: %s (%s)",
			    tame_strerror(rc), store_errmsg(in->store));
			wait_ms(in, POLL_MS);
			continue;
		}
		if (!work)
			wait_ms(in, POLL_MS);
	}
	return NULL;
}

enum tame_err
intel_start(const char *datadir, struct intel **out)
{
	struct intel *in;
	enum tame_err rc = TAME_ENOMEM;

	*out = NULL;
	if (!(in = calloc(1, sizeof(*in))))
		return TAME_ENOMEM;
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->cv, NULL);
	pthread_cond_init(&in->done_cv, NULL);
	if (!(in->ix = trend_index_new(NULL)) ||
	    !(in->tp = text_pipeline_new()))
		goto fail;
	if ((rc = store_open(datadir, 0, &in->store)))
		goto fail;
	if (pthread_create(&in->thread, NULL, intel_main, in) != 0) {
		rc = TAME_EIO;
		goto fail;
	}
	pthread_mutex_lock(&the_mu);
	the_intel = in;
	pthread_mutex_unlock(&the_mu);
	*out = in;
	return TAME_OK;
fail:
	store_close(in->store);
	text_pipeline_free(in->tp);
	trend_index_free(in->ix);
	free(in);
	return rc;
}

void
intel_kick(struct intel *in)
{
	if (!in)
		return;
	pthread_mutex_lock(&in->mu);
	in->kicked = 1;
	pthread_cond_signal(&in->cv);
	pthread_mutex_unlock(&in->mu);
}

int
intel_ready(struct intel *in)
{
	int r;

	pthread_mutex_lock(&in->mu);
	r = in->ready;
	pthread_mutex_unlock(&in->mu);
	return r;
}

void
intel_stop(struct intel *in)
{
	if (!in)
		return;
	pthread_mutex_lock(&the_mu);
	if (the_intel == in)
		the_intel = NULL;
	pthread_mutex_unlock(&the_mu);
	pthread_mutex_lock(&in->mu);
	in->stopping = 1;
	pthread_cond_broadcast(&in->cv);
	pthread_cond_broadcast(&in->done_cv);
	pthread_mutex_unlock(&in->mu);
	pthread_join(in->thread, NULL);
	store_close(in->store);
	text_pipeline_free(in->tp);
	trend_index_free(in->ix);
	free(in->db_of);
	free(in->dirty);
	intel_map_free(&in->db2ix);
	intel_map_free(&in->rec);
	pthread_cond_destroy(&in->cv);
	pthread_cond_destroy(&in->done_cv);
	pthread_mutex_destroy(&in->mu);
	free(in);
}
