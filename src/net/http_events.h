/*
 * http_events.h - live updates for the web app: GET /api/v1/events as
 * server-sent events (text/event-stream, WHATWG HTML "Server-sent
 * events"), so an open inbox shows new and changed tickets without a
 * reload.
 *
 * Model: one bus per process. A watcher thread reads which tickets
 * changed from the store (store_changes_after: new events and messages,
 * whoever wrote them) whenever it is poked - by the ingest writer after
 * a commit, by the HTTP dispatcher after a change - and at least once a
 * second, and appends them to a ring of recent events numbered by a
 * sequence. Each subscriber is an HTTP connection streaming from its own
 * position in the ring; with nothing to send it is suspended in
 * libmicrohttpd (so it holds no worker thread) and resumed when the ring
 * grows or a heartbeat is due.
 *
 * Events: "ticket.created" and "ticket.updated", data
 * {"ticket_id":N}; "reset" when the client's Last-Event-ID is older than
 * the ring (or from before a restart) and it must reload what it shows.
 */
#ifndef TAME_HTTP_EVENTS_H
#define TAME_HTTP_EVENTS_H

#include <microhttpd.h>
#include "http_util.h"

/* Starts the watcher on the store in datadir. Once per process, before
 * the HTTP server starts. */
enum tame_err http_events_start(const char *datadir);
/* Ends every stream (resuming suspended connections, which
 * libmicrohttpd requires before it stops) and the watcher. Call before
 * stopping the HTTP server. */
void http_events_stop(void);

/* Tells the watcher that something was committed. Never blocks for
 * long: safe from the ingest writer's after-commit hook. A no-op when
 * the bus is not running. */
void http_events_poke(void);

/* Tells the streams that tickets ids[0..n) changed in ways the store's
 * history does not record (the queue intelligence's tone, flags and
 * trends): one "ticket.updated" each (a run of one id counts once). Thread-safe,
 * never blocks for long; a no-op when the bus is not running. */
void http_events_publish(const int64_t *ids, size_t n);

/* GET /api/v1/events: the stream (200 text/event-stream), or 503
 * unavailable when the subscriber limit is reached. */
void http_events_stream(struct http_ctx *c);

/* libmicrohttpd hooks the HTTP server installs in place of ulfius' own
 * (which they call): they note the connection of an events request (or
 * of one http_async.c answers), which a stream needs in order to
 * suspend and resume itself, and ulfius does not hand to handlers. */
/* The connection noted for req, taken (NULL if none). */
struct MHD_Connection *http_events_take(const struct _u_request *req);
void *http_events_uri_logger(void *cls, const char *uri,
    struct MHD_Connection *con);
void http_events_request_completed(void *cls, struct MHD_Connection *con,
    void **con_cls, enum MHD_RequestTerminationCode toe);

#endif
