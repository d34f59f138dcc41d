/*
 * http_async.c - answers from a thread of their own. See http_async.h.
 *
 * A job is shared by its thread and its response (the stream reader and
 * its free callback): refs counts the two, and the last to let go frees
 * it. All job state is under one mutex (few jobs, short sections). The
 * connection is resumed only while the job is suspended and the server
 * has not stopped, so the thread never touches a connection the server
 * has let go of.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>
#include "http_async.h"
#include "http_events.h"
#include "../core/util.h"

struct job {
	struct job *next;
	struct MHD_Connection *con;
	http_async_fn fn;
	void *arg;
	void (*free_arg)(void *);
	char *text;        /* the answer, once done */
	size_t off;        /* bytes of text written */
	int done, suspended, refs;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct job *jobs;       /* every job with a response */
static int njobs, stopping, threads;

static const char stopping_text[] =
    "{\"ok\":false,\"error\":\"tamed is stopping\"}";

/* Drops one reference of j; frees it with the last. Caller holds mu. */
static void
unref_locked(struct job *j)
{
	struct job **pp;

	if (--j->refs > 0)
		return;
	for (pp = &jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	njobs--;
	free(j->text);
	free(j);
}

/* Sets j's answer and wakes its connection. Caller holds mu. */
static void
finish_locked(struct job *j, char *text)
{
	j->text = text;
	j->done = 1;
	if (j->suspended) {
		j->suspended = 0;
		MHD_resume_connection(j->con);
	}
}

static void *
job_main(void *p)
{
	struct job *j = p;
	json_t *body = j->fn(j->arg);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	j->free_arg(j->arg);
	pthread_mutex_lock(&mu);
	if (!j->done)
		finish_locked(j, text ? text : strdup("{\"ok\":false,"
		    "\"error\":\"out of memory\"}"));
	else
		free(text);    /* ended by http_async_stop() */
	unref_locked(j);
	threads--;
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* The stream reader: the answer once done; until then the connection
 * is suspended (libmicrohttpd calls again once it is resumed). */
static ssize_t
job_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct job *j = cls;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&mu);
	if (!j->done) {
		j->suspended = 1;
		MHD_suspend_connection(j->con);
		pthread_mutex_unlock(&mu);
		return 0;
	}
	n = j->text ? (ssize_t)strlen(j->text + j->off) : 0;
	if (n == 0) {
		pthread_mutex_unlock(&mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if ((size_t)n > max)
		n = (ssize_t)max;
	memcpy(out, j->text + j->off, (size_t)n);
	j->off += (size_t)n;
	pthread_mutex_unlock(&mu);
	return n;
}

static void
job_free(void *cls)
{
	pthread_mutex_lock(&mu);
	unref_locked(cls);
	pthread_mutex_unlock(&mu);
}

/* See http_async.h. */
void
http_async_answer(struct http_ctx *c, http_async_fn fn, void *arg,
    void (*free_arg)(void *))
{
	struct MHD_Connection *con = http_events_take(c->req);
	struct job *j = NULL;
	pthread_attr_t attr;
	pthread_t t;
	int made = 0;

	pthread_mutex_lock(&mu);
	if (!con || stopping || njobs >= HTTP_ASYNC_MAX ||
	    !(j = calloc(1, sizeof(*j)))) {
		pthread_mutex_unlock(&mu);
		free_arg(arg);
		u_map_put(c->res->map_header, "Retry-After", "5");
		http_error(c, 503, "busy", "too many connection tests at once;"
		    " try again in a few seconds");
		return;
	}
	j->con = con;
	j->fn = fn;
	j->arg = arg;
	j->free_arg = free_arg;
	j->refs = 2;
	j->next = jobs;
	jobs = j;
	njobs++;
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		made = pthread_create(&t, &attr, job_main, j) == 0;
		pthread_attr_destroy(&attr);
	}
	threads += made;
	if (!made) {
		j->refs = 1;          /* the response's */
		j->done = 1;
		j->text = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	}
	pthread_mutex_unlock(&mu);
	if (!made)
		free_arg(arg);
	if (ulfius_set_stream_response(c->res, 200, job_read, job_free,
	    U_STREAM_SIZE_UNKNOWN, 4096, j) != U_OK) {
		job_free(j);
		http_error(c, 500, "internal", "cannot answer");
		return;
	}
	u_map_put(c->res->map_header, "Content-Type", "application/json");
	u_map_put(c->res->map_header, "Cache-Control", "no-store");
	c->answered = 1;
}

/* See http_async.h. */
void
http_async_stop(void)
{
	struct job *j;

	pthread_mutex_lock(&mu);
	stopping = 1;
	for (j = jobs; j; j = j->next)
		if (!j->done)
			finish_locked(j, strdup(stopping_text));
	pthread_mutex_unlock(&mu);
}

/* See http_async.h. */
int
http_async_running(void)
{
	int n;

	pthread_mutex_lock(&mu);
	n = threads;
	pthread_mutex_unlock(&mu);
	return n;
}

/* See http_async.h. */
int
http_async_uri(const char *uri)
{
	static const char pre[] = "/api/v1/mailboxes/";
	const char *p;

	if (!uri || strncmp(uri, pre, sizeof(pre) - 1) != 0)
		return 0;
	p = uri + sizeof(pre) - 1;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, "/test", 5) != 0)
		return 0;
	p += 5;
	if (strncmp(p, "-send", 5) == 0)
		p += 5;
	return *p == '\0' || *p == '?';
}
