/*
 * intel_round.c - one round of the intelligence thread: read what is new
 * in the store, analyse it, update the trend index, compare the index
 * with the store, write everything back. See intel.h and intel_impl.h.
 *
 * A round reads up to TAME_INTEL_BATCH new messages and the tickets with
 * new events; analyses customer messages (text pipeline, tone) with no
 * lock held; under the mutex takes solved and closed tickets out of the
 * index and places new or reopened ones (one ticket per lock, so HTTP
 * threads never wait long); compares the index with what the store holds
 * (every ticket at most once a second, the ones placed every round);
 * then writes it all, positions included, in one transaction, and
 * records under the mutex what was written. A failed write changes
 * nothing: the next round finds the same again. When the desk's
 * "urgency can raise priority" setting is on, a customer message whose
 * urgency asks for it raises its ticket's priority in that same
 * transaction (core/tone.h's rule, store_desk_priority_raise's checks).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "intel_impl.h"
#include "http_events.h"
#include "../store/store_desk.h"
#include "../core/tone.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* Every ticket of the index is compared with the store at most this
 * often (about 40 ns a ticket), unless an agent's change asks for it. */
#define FULL_EVERY_MS 1000
/* Tickets with new events read per round. */
#define EVENTS_BATCH 1024
/* The usual wait is measured over this period and at most this many of
 * the newest tickets. */
#define WAIT_PERIOD_MS (30LL * 24 * 3600 * 1000)
#define WAIT_TICKETS 5000

/* ---- a round's findings ---- */

struct tone_row {
	int64_t msg;
	int64_t ticket;
	int64_t words;
	int abusive;
	int raise;              /* priority its urgency asks for, or -1 */
	char *json;
	char *reason;           /* why, when raise >= 0 */
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
	size_t nread;           /* messages read */
	int full;
	uint64_t gen;           /* want_gen this full reconcile serves */
};

static void
round_free(struct round *r)
{
	size_t i;

	for (i = 0; i < r->ntone; i++)
		free(r->tone[i].json);
	for (i = 0; r->tone && i < r->nread; i++)
		free(r->tone[i].reason);
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

static enum tame_err
touch(struct round *r, int64_t tid)
{
	size_t i;

	for (i = r->ntouched; i > 0; i--)
		if (r->touched[i - 1] == tid)
			return TAME_OK;
	if (intel_grow((void **)&r->touched, &r->ctouched, r->ntouched,
	    sizeof(*r->touched)))
		return TAME_ENOMEM;
	r->touched[r->ntouched++] = tid;
	return TAME_OK;
}

/* ---- reading and analysing ---- */

/* Words in the first len bytes of s (runs of non-space bytes), at most
 * TEXT_TOKENS_MAX: all a "very long message" needs, for a fraction of
 * the text pipeline's cost. */
static int64_t
count_words(const char *s, size_t len)
{
	int64_t n = 0;
	size_t i;
	int in_word = 0;

	for (i = 0; i < len && n < TEXT_TOKENS_MAX; i++) {
		if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
			in_word = 0;
		else if (!in_word) {
			in_word = 1;
			n++;
		}
	}
	return n;
}

/* The desk's "urgency can raise priority" setting; the defaults (off)
 * for keys never set or unreadable. */
static void
urgency_conf(struct intel *in, struct tone_urgency_conf *c)
{
	static const char *const keys[] = { "urgency_priority",
		"urgency_high_at", "urgency_urgent_at" };
	struct tone_urgency_conf t;
	char *v;
	size_t i;

	tone_urgency_defaults(c);
	t = *c;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = NULL;
		if (store_desk_setting_get(in->store, keys[i], &v) == TAME_OK &&
		    tone_urgency_set(&t, keys[i], v) != TAME_OK)
			tame_log(TAME_LOG_WARN, "intel: setting %s: bad value",
			    keys[i]);
		free(v);
	}
	if (tone_urgency_check(&t) == 0)
		*c = t;
}

/* What the tone of customer message row i asks of its ticket's
 * priority, with the reason. */
static enum tame_err
urgency_raise(const struct tone_urgency_conf *c, const struct tone *t,
    struct tone_row *row)
{
	char why[160];

	row->raise = tone_urgency_priority(c, t->urgency);
	if (row->raise < 0)
		return TAME_OK;
	tone_urgency_reason(t, why, sizeof(why));
	return (row->reason = tame_strdup(why)) ? TAME_OK : TAME_ENOMEM;
}

/* Tone and word count of the customer messages after msg_pos: of their
 * new text, without quoted history and signatures (text_cut). */
static enum tame_err
read_messages(struct intel *in, struct round *r)
{
	struct store_intel_msg *m = NULL;
	struct tone_urgency_conf uc;
	struct tone tone;
	json_t *j;
	const char *text;
	size_t n = 0, i, len;
	enum tame_err rc;

	if ((rc = store_intel_messages(in->store, in->msg_pos,
	    TAME_INTEL_BATCH, TAME_INTEL_TEXT_MAX, &m, &n)))
		goto out;
	if (n && !(r->tone = calloc(n, sizeof(*r->tone)))) {
		rc = TAME_ENOMEM;
		goto out;
	}
	r->nread = n;
	if (n)
		urgency_conf(in, &uc);
	for (i = 0; i < n; i++) {
		r->msg_pos = m[i].id;
		if ((rc = touch(r, m[i].ticket_id)))
			goto out;
		if (m[i].dir != MSG_IN || m[i].automatic)
			continue;
		text = m[i].text ? m[i].text : "";
		len = text_cut(text, strlen(text), NULL);
		if ((rc = tone_analyze(text, len, &tone)))
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
		if ((rc = urgency_raise(&uc, &tone, &r->tone[r->ntone])))
			goto out;
		r->tone[r->ntone].msg = m[i].id;
		r->tone[r->ntone].ticket = m[i].ticket_id;
		r->tone[r->ntone].abusive = tone.abusive;
		r->tone[r->ntone++].words = count_words(text, len);
	}
out:
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

	intel_place_in_init(&p);
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
			intel_unplace(in, st[i].ticket_id);
		else if (placed)
			(void)trend_set_waiting(in->ix, st[i].ticket_id,
			    st[i].status == TICKET_PENDING);
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
			if ((rc = intel_analyse(in, &t, &p)))
				goto out;
			pthread_mutex_lock(&in->mu);
			rc = intel_place(in, &t, &p, &cur);
			pthread_mutex_unlock(&in->mu);
			if (rc)
				goto out;
			if (cur && intel_grow((void **)&r->placed, &r->cplaced,
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
	intel_place_in_free(&p);
	free(st);
	return rc;
}

/* Adds to f what this round found about ticket tid and has not
 * written yet: the words and abuse of its new customer messages. */
static enum tame_err
round_facts(const struct round *r, int64_t tid, struct store_flag_facts *f)
{
	size_t i;

	for (i = 0; i < r->ntone; i++) {
		if (r->tone[i].ticket != tid)
			continue;
		if (r->tone[i].words > f->max_words)
			f->max_words = r->tone[i].words;
		if (!r->tone[i].abusive)
			continue;
		f->abusive++;
		free(f->abusive_tone);
		if (!(f->abusive_tone = tame_strdup(r->tone[i].json)))
			return TAME_ENOMEM;
	}
	return TAME_OK;
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
			rc = round_facts(r, r->touched[i], &f);
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
	if (intel_grow((void **)&r->newt, &r->cnewt, r->nnewt,
	    sizeof(*r->newt)))
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
	if (intel_grow((void **)&r->diff, &r->cdiff, r->ndiff,
	    sizeof(*r->diff)))
		return TAME_ENOMEM;
	r->diff[r->ndiff].ticket = tid;
	r->diff[r->ndiff].trend = cur;
	r->diff[r->ndiff++].db = intel_db_of(in, cur);
	/* its old trend went into its new one: remember the merge once */
	if (w && w < in->ndb && in->db_of[w] > 0 && cur &&
	    trend_resolve(in->ix, w) == cur && (into = intel_db_of(in, cur)) &&
	    (from = in->db_of[w]) != into) {
		if (intel_grow((void **)&r->merge, &r->cmerge, r->nmerge,
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
			rc = check_ticket(in, r, in->rec.key[i],
			    in->rec.val[i]);
	for (i = 0; !r->full && i < r->nplaced && !rc; i++)
		if (intel_map_get(&in->rec, r->placed[i], &was))
			rc = check_ticket(in, r, r->placed[i], was);
	if (rc)
		return rc;
	for (i = 0; i < r->ndiff; i++)
		if (r->diff[i].trend && !r->diff[i].db &&
		    newt_at(r, r->diff[i].trend) < 0)
			return TAME_ENOMEM;
	if (in->ndirty)
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
		    r->tone[i].json, r->tone[i].words, r->tone[i].abusive);
	for (i = 0; i < r->ntone && !rc; i++) {
		int raised;

		if (r->tone[i].raise < 0)
			continue;
		rc = store_desk_priority_raise(s, r->tone[i].ticket,
		    r->tone[i].msg, r->tone[i].raise, r->tone[i].reason, now,
		    &raised);
		if (rc == TAME_ENOTFOUND)
			rc = TAME_OK;
	}
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
		/* as they were: no news for the views */
		if (rc == TAME_ENOTFOUND) {
			r->flag[i].ticket = 0;
			rc = TAME_OK;
		}
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
	in->changed = 1;
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Tells the live views which tickets now show another tone, flag or
 * trend (the store's history does not record the intelligence's
 * findings). Out of memory: the views catch up with the next change. */
static void
announce_round(const struct round *r)
{
	size_t i, n = 0, cap = r->ntone + r->ndiff + r->nflag;
	int64_t *ids;

	if (!cap || !(ids = malloc(cap * sizeof(*ids))))
		return;
	for (i = 0; i < r->ntone; i++)
		ids[n++] = r->tone[i].ticket;
	for (i = 0; i < r->ndiff; i++)
		ids[n++] = r->diff[i].ticket;
	for (i = 0; i < r->nflag; i++)
		if (r->flag[i].ticket)
			ids[n++] = r->flag[i].ticket;
	qsort(ids, n, sizeof(*ids), cmp_id);
	http_events_publish(ids, n);
	free(ids);
}

/* See intel_impl.h. */
enum tame_err
intel_round(struct intel *in, int *work)
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
	if (r.nread == TAME_INTEL_BATCH || nev == EVENTS_BATCH)
		*work = 2;
	if ((rc = compute_flags(in, &r, now)))
		goto out;
	pthread_mutex_lock(&in->mu);
	/* the index moves tickets only when one is placed or taken out
	 * (refinement, merges) or an agent acts */
	if (in->want_gen > in->done_gen || (in->changed &&
	    now - in->last_full >= FULL_EVERY_MS)) {
		r.full = 1;
		r.gen = in->want_gen;
		in->last_full = now;
		in->changed = 0;
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
	announce_round(&r);
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

/* See intel_impl.h. */
void
intel_measure_wait(struct intel *in, int64_t now)
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

