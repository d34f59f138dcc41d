/*
 * outbox.c - the sender thread for outgoing mail. See outbox.h.
 *
 * SMTP submission is done by libcurl (RFC 5321, RFC 3207 STARTTLS when
 * the relay offers it, RFC 4954 AUTH from user:password in the URL).
 * A 5xx answer from the relay is permanent; connection failures and 4xx
 * answers are retried with back-off until TAME_OUTBOX_GIVEUP_SECONDS
 * after the reply was written.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "../core/util.h"
#include "../store/store.h"
#include "../tame_limits.h"
#include "outbox.h"

struct outbox {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	int kicked;
	char *relay;
	struct store *store;
	int64_t retry_base_ms;
};

struct upload {
	const char *p;
	size_t left;
};

static size_t
upload_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(ptr, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* Delivers one item. Returns 0 sent, 1 temporary failure, 2 permanent;
 * err gets a short reason. */
static int
outbox_deliver(struct outbox *ob, const struct outbox_item *it, char *err,
    size_t errlen)
{
	CURL *c;
	CURLcode cc;
	struct curl_slist *rcpt = NULL;
	struct upload up = { it->raw.data, it->raw.len };
	char from[TAME_FIELD_MAX + 3], *list, *p, *save = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	long code = 0;
	int result;

	if (!(c = curl_easy_init())) {
		snprintf(err, errlen, "curl init failed");
		return 1;
	}
	snprintf(from, sizeof(from), "<%s>", it->mail_from);
	if ((list = strdup(it->rcpts)) != NULL) {
		for (p = strtok_r(list, ",", &save); p;
		    p = strtok_r(NULL, ",", &save)) {
			char r[TAME_FIELD_MAX + 3];
			struct curl_slist *n;

			snprintf(r, sizeof(r), "<%s>", p);
			if ((n = curl_slist_append(rcpt, r)) != NULL)
				rcpt = n;
		}
		free(list);
	}
	curl_easy_setopt(c, CURLOPT_URL, ob->relay);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		result = 0;
	} else {
		snprintf(err, errlen, "%s%s%s (relay answered %ld)",
		    curl_easy_strerror(cc), *cerr ? ": " : "", cerr, code);
		result = code >= 500 && code < 600 ? 2 : 1;
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return result;
}

/* Handles every due item; returns the time the next one is due (0 none). */
static int64_t
outbox_run_due(struct outbox *ob)
{
	struct outbox_item it;
	int64_t now, next_due = 0, delay;
	char err[512];
	int r;

	for (;;) {
		memset(&it, 0, sizeof(it));
		now = tame_now_ms();
		if (store_outbox_next(ob->store, now, &it, &next_due)) {
			store_outbox_item_clear(&it);
			return next_due;
		}
		err[0] = '\0';
		r = outbox_deliver(ob, &it, err, sizeof(err));
		now = tame_now_ms();
		if (r == 0) {
			tame_log(TAME_LOG_INFO, "outbox: item %lld sent to %s",
			    (long long)it.id, it.rcpts);
			store_outbox_sent(ob->store, it.id, now);
		} else if (r == 2 || now - it.created_at >
		    (int64_t)TAME_OUTBOX_GIVEUP_SECONDS * 1000) {
			tame_log(TAME_LOG_WARN, "outbox: item %lld failed: %s",
			    (long long)it.id, err);
			store_outbox_failed(ob->store, it.id, err);
		} else {
			delay = ob->retry_base_ms << (it.attempts < 6 ?
			    it.attempts : 6);
			tame_log(TAME_LOG_INFO, "outbox: item %lld deferred: %s",
			    (long long)it.id, err);
			store_outbox_retry(ob->store, it.id, now + delay, err);
		}
		store_outbox_item_clear(&it);
		pthread_mutex_lock(&ob->mu);
		r = ob->stopping;
		pthread_mutex_unlock(&ob->mu);
		if (r)
			return 0;
	}
}

static void *
outbox_main(void *arg)
{
	struct outbox *ob = arg;
	struct timespec ts;
	int64_t next_due, wait_ms;

	for (;;) {
		next_due = ob->relay ? outbox_run_due(ob) : 0;
		pthread_mutex_lock(&ob->mu);
		if (ob->stopping) {
			pthread_mutex_unlock(&ob->mu);
			break;
		}
		if (!ob->kicked) {
			/* sleep until the next item is due, a kick, or 30 s
			 * (another process may have queued mail) */
			wait_ms = 30000;
			if (next_due) {
				int64_t d = next_due - tame_now_ms();

				wait_ms = d < 0 ? 0 : d < wait_ms ? d : wait_ms;
			}
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (wait_ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&ob->cv, &ob->mu, &ts);
		}
		ob->kicked = 0;
		pthread_mutex_unlock(&ob->mu);
	}
	return NULL;
}

enum tame_err
outbox_start(const char *datadir, const char *relay, struct outbox **out)
{
	struct outbox *ob;
	enum tame_err rc;
	const char *env = getenv("TAME_RETRY_BASE_MS");
	int64_t base = 60000;

	if (env && tame_parse_i64(env, 10, 3600000, &base))
		base = 60000;
	if (!(ob = calloc(1, sizeof(*ob))))
		return TAME_ENOMEM;
	ob->retry_base_ms = base;
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cv, NULL);
	if (relay && !(ob->relay = strdup(relay))) {
		rc = TAME_ENOMEM;
		goto fail;
	}
	if ((rc = store_open(datadir, 0, &ob->store)))
		goto fail;
	if (pthread_create(&ob->thread, NULL, outbox_main, ob) != 0) {
		store_close(ob->store);
		rc = TAME_EIO;
		goto fail;
	}
	*out = ob;
	return TAME_OK;
fail:
	free(ob->relay);
	free(ob);
	return rc;
}

void
outbox_kick(struct outbox *ob)
{
	if (!ob)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->kicked = 1;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

void
outbox_stop(struct outbox *ob)
{
	if (!ob)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->stopping = 1;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->thread, NULL);
	store_close(ob->store);
	pthread_mutex_destroy(&ob->mu);
	pthread_cond_destroy(&ob->cv);
	free(ob->relay);
	free(ob);
}
