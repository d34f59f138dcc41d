/*
 * http_async.h - answers that wait on another server (the IMAP
 * connection test, the relay test-send: up to 20 s against a server
 * that does not answer) without holding one of libmicrohttpd's few
 * worker threads all that time.
 *
 * Model: the handler checks the request and hands the wait to a thread
 * of its own (a job); the response is a stream whose reader suspends
 * the connection until the job is done, and the job resumes it with
 * its answer. A worker holds nothing meanwhile, so the rest of the API
 * answers whatever the other server does (before, a connection handed
 * to a worker that was waiting waited too). At most HTTP_ASYNC_MAX jobs
 * run at once; one more is 503 busy. http_async_stop() ends every job's
 * answer before the server stops (libmicrohttpd wants every suspended
 * connection resumed then); a job's thread that is still waiting is
 * left to finish and touches no connection after that.
 */
#ifndef TAME_HTTP_ASYNC_H
#define TAME_HTTP_ASYNC_H

#include <jansson.h>
#include "http_util.h"

/* Jobs running at once; each is a thread waiting on a server. */
#define HTTP_ASYNC_MAX 8

/* The work of a job, on its own thread: the answer's body (200, taken),
 * NULL when out of memory. arg is freed by free_arg afterwards. */
typedef json_t *(*http_async_fn)(void *arg);

/* Answers c with what fn(arg) returns, from a thread of its own; takes
 * arg (free_arg frees it, also when the job cannot start: then c is
 * answered 503 busy or 500). */
void http_async_answer(struct http_ctx *c, http_async_fn fn, void *arg,
    void (*free_arg)(void *));

/* Ends every job's answer ({"ok":false,"error":"tamed is stopping"})
 * and refuses new jobs. Call before stopping the HTTP server. */
void http_async_stop(void);

/* Jobs whose thread still runs (each ends within its own timeout). */
int http_async_running(void);

/* 1 if uri (with its query) is answered by a job: the server notes its
 * connection (http_events.c's URI hook), which suspending needs. */
int http_async_uri(const char *uri);

#endif
