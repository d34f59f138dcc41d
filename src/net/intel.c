/*
 * intel.c - the intelligence thread of tamed: its life (start, kick,
 * stop), when it works, the maps between the trend index and the store,
 * and how one ticket is read and placed. See intel.h for the model,
 * intel_impl.h for the state, intel_round.c for a round of work,
 * intel_rebuild.c for the start-up and intel_trends.c for what the HTTP
 * threads do.
 *
 * When: after each commit of mail the SMTP writer kicks the thread; it
 * waits until the writer has been quiet for QUIET_MS (or the oldest
 * unread mail is LAG_MAX_MS old), so a burst of mail is read after the
 * burst, in a few large rounds, rather than competing with it for the
 * CPU and the store's write lock. Nothing kicks for mail from `tame
 * deliver` or an import: the thread also looks every POLL_MS.
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
#include "../core/util.h"
#include "../tame_limits.h"

/* The thread looks for mail nobody kicked it about this often. */
#define POLL_MS 1000
/* While the SMTP writer commits mail the thread waits until it has
 * been quiet this long, unless the oldest unread mail is LAG_MAX_MS old
 * (see the file comment). */
#define QUIET_MS 300
#define LAG_MAX_MS (30 * 1000)
/* The usual wait is measured again this often. */
#define WAIT_EVERY_MS (10 * 60 * 1000)
/* Nice value of the thread (setpriority): HTTP requests come first.
 * Not lower: it holds the store's write lock while it writes, and a
 * starved lock holder would stall the SMTP writer. */
#define INTEL_NICE 5
/* Words of the vocabulary before it is first pruned (a quarter of a MB),
 * then each time it has doubled: each pruning reads the whole map, so
 * it costs a few steps per word added. */
#define VOCAB_PRUNE_MIN 16384

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
			return;	/* refreshed at the trend's next change */
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

void
intel_place_in_init(struct place_in *p)
{
	memset(p, 0, sizeof(*p));
	text_doc_init(&p->subj);
	text_doc_init(&p->body);
}

void
intel_place_in_free(struct place_in *p)
{
	text_doc_free(&p->subj);
	text_doc_free(&p->body);
	free(p->term);
	free(p->disp);
}

/* Adds the first n terms of d to p's input. */
static enum tame_err
terms_add(struct place_in *p, const struct text_doc *d, size_t n)
{
	const char **t, **s;
	size_t i, need = p->in.nterm + n;

	if (need > p->cterm) {
		if (!(t = realloc(p->term, need * sizeof(*t))))
			return TAME_ENOMEM;
		p->term = t;
		if (!(s = realloc(p->disp, need * sizeof(*s))))
			return TAME_ENOMEM;
		p->disp = s;
		p->cterm = need;
	}
	for (i = 0; i < n; i++) {
		p->term[p->in.nterm] = text_doc_term(d, i);
		p->disp[p->in.nterm++] = text_doc_display(d, i);
	}
	return TAME_OK;
}

/* See intel_impl.h. The subject's words and word pairs, the message's
 * words: a subject names the problem in a few words, like the one-line
 * requests the trend index is tuned on; the pairs of a long message are
 * mostly unique to it and would only dilute what it shares with others. */
enum tame_err
intel_analyse(struct intel *in, const struct store_intel_ticket *t,
    struct place_in *p)
{
	const char *subj = subject_core(t->subject);
	enum tame_err rc;

	p->in.nterm = 0;
	/* the message first: a subject of a few words is read in its
	 * language ("Karte gesperrt" under a German mail) */
	if ((rc = text_analyse(in->tp, t->text ? t->text : "",
	    t->text ? strlen(t->text) : 0, 1, &p->body)) ||
	    (rc = text_analyse_lang(in->tp, subj, strlen(subj), 0,
	    p->body.lang, &p->subj)) ||
	    (rc = terms_add(p, &p->subj, p->subj.nterm)) ||
	    (rc = terms_add(p, &p->body, p->body.nuni)))
		return rc;
	p->in.terms = p->term;
	p->in.display = p->disp;
	return TAME_OK;
}

static int
key_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
vocab_open(void *arg, int64_t tid)
{
	struct intel *in = arg;

	return trend_of(in->ix, tid) != 0;
}

/* Under mu. Lets the vocabulary go of the words one solved ticket alone
 * used, once it has doubled since the last time (see intel_df_prune):
 * without this it holds every word ever written until a restart. The
 * tickets counted stay counted (vocab_docs): the idf of the words kept
 * is unchanged. */
static void
vocab_tend(struct intel *in)
{
	if (in->vocab.n < VOCAB_PRUNE_MIN || in->vocab.n < in->vocab_prune_at)
		return;
	(void)intel_df_prune(&in->vocab, vocab_open, in, NULL);
	in->vocab_prune_at = 2 * in->vocab.n;
}

/* Under mu. See intel_impl.h. */
enum tame_err
intel_vocab_add(struct intel *in, const struct place_in *p, int64_t tid)
{
	const struct text_doc *d[2] = { &p->subj, &p->body };
	int64_t *k;
	size_t n = 0, i, j, cap = p->subj.ntok + p->body.ntok;
	enum tame_err rc = TAME_OK;

	if (cap == 0)
		return TAME_OK;
	/* before this ticket's words are in: it is not placed yet */
	vocab_tend(in);
	if (!(k = malloc(cap * sizeof(*k))))
		return TAME_ENOMEM;
	for (j = 0; j < 2; j++)
		for (i = 0; i < d[j]->ntok; i++)
			if (!(d[j]->tok[i].flags &
			    (TEXT_TOK_STOP | TEXT_TOK_NUM)))
				k[n++] = intel_stem_key(text_doc_stem(d[j],
				    i));
	qsort(k, n, sizeof(*k), key_cmp);
	for (i = 0; i < n && !rc; i++) {
		if (i && k[i] == k[i - 1])
			continue;
		rc = intel_df_count(&in->vocab, k[i], tid);
	}
	in->vocab_docs++;
	free(k);
	return rc;
}

enum tame_err
intel_df(struct intel *in, const char *const *stems, size_t n, int64_t *df,
    int64_t *ndocs)
{
	size_t i;

	pthread_mutex_lock(&in->mu);
	for (i = 0; i < n; i++)
		df[i] = intel_df_get(&in->vocab, intel_stem_key(stems[i]));
	*ndocs = in->vocab_docs;
	pthread_mutex_unlock(&in->mu);
	return TAME_OK;
}

/* Under mu. See intel_impl.h. */
enum tame_err
intel_place(struct intel *in, const struct store_intel_ticket *t,
    const struct place_in *p, uint32_t *cur)
{
	uint32_t x, y;
	int64_t old;
	enum tame_err rc;

	*cur = 0;
	if ((rc = intel_vocab_add(in, p, t->id)))
		return rc;
	if ((rc = trend_place(in->ix, t->id, &p->in, t->created_at, &x)) ||
	    !x)
		return rc;
	(void)trend_set_waiting(in->ix, t->id, t->status == TICKET_PENDING);
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
	in->changed = 1;
	return TAME_OK;
}

/* Under mu. See intel_impl.h. */
void
intel_unplace(struct intel *in, int64_t tid)
{
	intel_dirty(in, trend_of(in->ix, tid));
	trend_remove(in->ix, tid);
	intel_map_del(&in->rec, tid);
	in->changed = 1;
}

/* See intel_impl.h. */
int
intel_grow(void **v, size_t *cap, size_t n, size_t sz)
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

/* ---- the thread ---- */

/* Waits ms, or less when kicked (if kick is set), asked to reconcile
 * or to stop. The kick stays recorded for the next round. */
static void
wait_ms(struct intel *in, int64_t ms, int kick)
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
	while (!(kick && in->kicked) && !in->stopping &&
	    in->want_gen <= in->done_gen)
		if (pthread_cond_timedwait(&in->cv, &in->mu, &ts))
			break;
	pthread_mutex_unlock(&in->mu);
}

/* Rounds that fail (a full disk: every POLL_MS for as long as it lasts)
 * are logged when a run of them starts and when it ends, not a line a
 * second: *since is when the run started (0: none), *n how many failed. */
static void
round_told(struct intel *in, enum tame_err rc, int64_t *since, unsigned *n)
{
	int64_t now = tame_mono_ms();

	if (rc && !*since) {
		*since = now ? now : 1;
		*n = 1;
		tame_log(TAME_LOG_WARN, "intel: round failed: %s (%s); trying "
		    "again every %d ms, and the log says when it works again",
		    tame_strerror(rc), store_errmsg(in->store), POLL_MS);
	} else if (rc) {
		(*n)++;
	} else if (*since) {
		tame_log(TAME_LOG_WARN, "intel: rounds work again after %lld s "
		    "(%u failed)", (long long)((now - *since) / 1000), *n);
		*since = 0;
	}
}

static void *
intel_main(void *arg)
{
	struct intel *in = arg;
	enum tame_err rc;
	int64_t now, failing = 0;
	unsigned nfailed = 0;
	int work, stop, busy;

	pthread_setname_np(pthread_self(), "intel");
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), INTEL_NICE))
		tame_log(TAME_LOG_DEBUG, "intel: cannot lower the priority");
	if ((rc = store_intel_relaxed(in->store)))
		tame_log(TAME_LOG_WARN, "intel: %s", tame_strerror(rc));
	if ((rc = intel_rebuild(in)))
		tame_log(TAME_LOG_ERR, "intel: rebuilding the trend index: "
		    "%s (%s)", tame_strerror(rc), store_errmsg(in->store));
	/* the first round writes every ticket's trend; then agents may act
	 * and lists are whole */
	now = tame_now_ms();
	if ((rc = intel_round(in, &work)))
		tame_log(TAME_LOG_WARN, "intel: first round: %s (%s)",
		    tame_strerror(rc), store_errmsg(in->store));
	pthread_mutex_lock(&in->mu);
	in->ready = 1;
	pthread_mutex_unlock(&in->mu);
	tame_log(TAME_LOG_INFO, "intel: ready, trends written in %lld ms",
	    (long long)(tame_now_ms() - now));
	for (;;) {
		now = tame_now_ms();
		pthread_mutex_lock(&in->mu);
		stop = in->stopping;
		busy = in->kicked && in->want_gen <= in->done_gen &&
		    now - in->last_kick < QUIET_MS &&
		    now - in->first_kick < LAG_MAX_MS;
		if (!busy)
			in->kicked = 0;	/* this round reads the kicked mail */
		pthread_mutex_unlock(&in->mu);
		if (stop)
			break;
		if (busy) {
			wait_ms(in, QUIET_MS, 0);
			continue;
		}
		if (now - in->last_wait >= WAIT_EVERY_MS)
			intel_measure_wait(in, now);
		rc = intel_round(in, &work);
		round_told(in, rc, &failing, &nfailed);
		if (rc) {
			wait_ms(in, POLL_MS, 0);
		} else if (!work) {
			wait_ms(in, POLL_MS, 1);
		}
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
	int64_t now = tame_now_ms();

	if (!in)
		return;
	pthread_mutex_lock(&in->mu);
	if (!in->kicked)
		in->first_kick = now;
	in->kicked = 1;
	in->last_kick = now;
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
	intel_map_free(&in->vocab);
	pthread_cond_destroy(&in->cv);
	pthread_cond_destroy(&in->done_cv);
	pthread_mutex_destroy(&in->mu);
	free(in);
}
