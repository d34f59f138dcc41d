/*
 * imap_fetch.c - a box's fetches over more than one connection. See
 * imap_fetch.h.
 *
 * A helper's requests: EXAMINE the folder (read-only, so that BODY[]
 * sets no \Seen; libcurl logs in and SELECTs it first on a new
 * connection), then UID FETCH of one message after another, the next
 * UID of the window each time (RFC 3501, RFC 5092 URLs through
 * libcurl). It sends no other command, so what the action changes
 * reaches it only after a FETCH, where libcurl passes over it cheaply
 * (see imap_act.c).
 */
#include <stdio.h>
#include <string.h>
#include "imap_box.h"
#include "imap_fetch.h"
#include "../core/util.h"

/* See imap_fetch.h. */
enum tame_err
imap_fetch_init(struct imap_box *b)
{
	size_t i;

	for (i = 0; i < TAME_IMAP_HELPERS; i++) {
		memset(&b->helpers[i], 0, sizeof(b->helpers[i]));
		if (imap_client_init(&b->helpers[i].c, &b->conf) ||
		    !b->helpers[i].c.easy)
			return TAME_ENOMEM;
	}
	return TAME_OK;
}

void
imap_fetch_free(struct imap_box *b)
{
	size_t i;

	for (i = 0; i < TAME_IMAP_HELPERS; i++) {
		imap_client_free(&b->helpers[i].c);
		memset(&b->helpers[i], 0, sizeof(b->helpers[i]));
	}
}

/* Sends f's request: the EXAMINE when the folder may be writable on
 * its connection, else the FETCH of f->uid. */
static void
fetcher_send(struct imap_box *b, struct imap_fetcher *f)
{
	enum tame_err rc;

	f->examining = !f->joined || !imap_client_read_only(&f->c);
	rc = f->examining ? imap_client_examine(&f->c, b->uidvalidity) :
	    imap_client_fetch(&f->c, b->uidvalidity, f->uid);
	if (!rc && curl_multi_add_handle(b->env->multi, f->c.easy) ==
	    CURLM_OK) {
		f->in_multi = 1;
		return;
	}
	if (!b->err) {
		b->err = "out of memory";
		snprintf(b->detail, sizeof(b->detail), "-");
	}
	b->fetch_done = 1;
	if (f->slot)
		imap_act_settle(b, f->slot, SLOT_FAILED);
	f->slot = NULL;
}

/* See imap_fetch.h. */
void
imap_fetch_round(struct imap_box *b)
{
	size_t i;

	for (i = 0; i < TAME_IMAP_HELPERS; i++)
		b->helpers[i].joined = 0;
}

/* See imap_fetch.h. */
void
imap_fetch_start(struct imap_box *b)
{
	struct imap_fetcher *f;
	size_t i;

	if (b->uidnext - 1 - b->pend_last <= TAME_IMAP_HELPER_BACKLOG)
		return;
	for (i = 0; i < TAME_IMAP_HELPERS; i++) {
		f = &b->helpers[i];
		if (f->in_multi || f->off || !imap_box_fetchable(b))
			continue;
		if (f->joined && imap_client_read_only(&f->c)) {
			f->uid = b->uids[b->next++];
			f->slot = imap_act_reserve(b, f->uid);
			f->retried = 0;
		}
		fetcher_send(b, f);
	}
}

/* See imap_fetch.h. */
int
imap_fetch_busy(const struct imap_box *b)
{
	size_t i;

	for (i = 0; i < TAME_IMAP_HELPERS; i++)
		if (b->helpers[i].in_multi)
			return 1;
	return 0;
}

/* See imap_fetch.h. */
struct imap_fetcher *
imap_fetch_find(struct imap_box *b, CURL *easy)
{
	size_t i;

	for (i = 0; i < TAME_IMAP_HELPERS; i++)
		if (b->helpers[i].c.easy == easy)
			return &b->helpers[i];
	return NULL;
}

#define NREFUSED (sizeof(((struct imap_box *)0)->refused_uid) / \
	sizeof(int64_t))

/* Message uid is not taken and stays on the server, with a lasting
 * error on the mailbox (err, detail d) until its settings are saved
 * again. */
static void
left_on_server(struct imap_box *b, struct imap_slot *s, const char *err,
    const char *d)
{
	imap_act_settle(b, s, SLOT_SKIPPED);
	b->shown_err = NULL;
	imap_box_error(b, err, d);
	b->sticky = 1;
}

/* One more round in which the FETCH of uid failed; answers how many in
 * a row. Each connection may meet one in a round: its count, else the
 * place of the least counted. */
static int
failed_round(struct imap_box *b, int64_t uid)
{
	size_t i, k;

	for (i = k = 0; i < NREFUSED; i++) {
		if (b->refused_uid[i] == uid)
			break;
		if (b->refused_rounds[i] < b->refused_rounds[k])
			k = i;
	}
	if (i == NREFUSED) {
		i = k;
		b->refused_uid[i] = uid;
		b->refused_rounds[i] = 0;
	}
	if (++b->refused_rounds[i] < TAME_IMAP_REFUSED_ROUNDS)
		return b->refused_rounds[i];
	b->refused_uid[i] = 0;
	b->refused_rounds[i] = 0;
	return TAME_IMAP_REFUSED_ROUNDS;
}

/* The FETCH of uid worked: its failures are no longer in a row. */
static void
fetched(struct imap_box *b, int64_t uid)
{
	size_t i;

	for (i = 0; i < NREFUSED; i++)
		if (b->refused_uid[i] == uid)
			b->refused_uid[i] = b->refused_rounds[i] = 0;
}

/* 1 when a failure with cc may be the message's: the connection was up
 * and logged in (a server that cannot be reached, or refuses the login
 * or the certificate, says nothing about the message asked for). */
static int
message_fault(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_FAILED_INIT:
		return 0;
	default:
		return 1;
	}
}

/* See imap_fetch.h. */
int
imap_fetch_finish(struct imap_box *b, struct imap_client *c,
    struct imap_slot *s, int64_t uid, int *retried, CURLcode cc)
{
	/* no mail is empty: a blank ticket would stand for it and the
	 * real one be marked seen */
	int empty = cc == CURLE_OK && c->body.len == 0, n;
	char d[sizeof(((struct imap_box *)0)->detail)];
	const char *err;

	if (cc == CURLE_OK && !empty) {
		fetched(b, uid);
		imap_act_submit(b, s, &c->body);
		return 0;
	}
	/* asked once more: an empty BODY[], or a message not found */
	if ((empty || (cc == CURLE_REMOTE_FILE_NOT_FOUND &&
	    !c->too_large)) && !*retried) {
		*retried = 1;
		return 1;
	}
	if (empty) {
		snprintf(d, sizeof(d), "UID %lld came with no content; it is "
		    "left on the server", (long long)uid);
		left_on_server(b, s, "server answered garbage", d);
		return 0;
	}
	if (c->too_large) {
		snprintf(d, sizeof(d), "UID %lld is larger than %d bytes; it "
		    "is left on the server", (long long)uid,
		    TAME_SMTP_MESSAGE_MAX);
		left_on_server(b, s, "message too large", d);
		return 0;
	}
	if (cc == CURLE_REMOTE_FILE_NOT_FOUND && !c->refused) {
		imap_act_settle(b, s, SLOT_SKIPPED);	/* gone meanwhile */
		return 0;
	}
	if (cc == CURLE_REMOTE_FILE_NOT_FOUND) {
		/* a NO or BAD (throttled, busy, a server bug): not gone,
		 * so fetched again in a later round; only a message the
		 * server keeps refusing is left, so that the rest of the
		 * folder still comes in */
		if (failed_round(b, uid) >= TAME_IMAP_REFUSED_ROUNDS) {
			snprintf(d, sizeof(d), "UID %lld was refused in %d "
			    "rounds in a row (%s); it is left on the server",
			    (long long)uid, TAME_IMAP_REFUSED_ROUNDS,
			    c->last_line);
			left_on_server(b, s, "server refused the message", d);
			return 0;
		}
		if (!b->err) {
			b->err = "server refused the message";
			snprintf(b->detail, sizeof(b->detail), "UID %lld: %s; "
			    "it is fetched again later", (long long)uid,
			    c->last_line);
		}
		b->fetch_done = 1;
		imap_act_settle(b, s, SLOT_FAILED);
		return 0;
	}
	/* anything else in the middle of the message (the connection
	 * dropped, a BYE, an answer without the message): the same, as a
	 * server may fail one message the same way every time */
	err = imap_client_error(c, cc, d, sizeof(d));
	if (message_fault(cc) && (n = failed_round(b, uid)) >=
	    TAME_IMAP_REFUSED_ROUNDS) {
		char why[sizeof(d)];

		snprintf(why, sizeof(why), "%s", d);
		snprintf(d, sizeof(d), "UID %lld failed in %d rounds in a row "
		    "(%.40s: %.300s); it is left on the server", (long long)uid,
		    n, err, why);
		left_on_server(b, s, err, d);
		return 0;
	}
	if (!b->err) {
		b->err = err;
		snprintf(b->detail, sizeof(b->detail), "%s", d);
	}
	b->fetch_done = 1;
	imap_act_settle(b, s, SLOT_FAILED);
	return 0;
}

/* See imap_fetch.h. */
void
imap_fetch_done(struct imap_box *b, struct imap_fetcher *f, CURLcode cc)
{
	char detail[256];
	int64_t v;

	f->in_multi = 0;
	imap_client_finished(&f->c, cc);
	if (b->reload || b->dead)
		return;
	if (f->examining) {
		v = imap_client_parse_uidvalidity(&f->c);
		if (cc != CURLE_OK) {
			/* e.g. the server allows fewer connections: the
			 * lead fetches alone */
			f->off = 1;
			tame_log(TAME_LOG_WARN, "imap: %s: a second fetch "
			    "connection failed (%s: %s); fetching over one",
			    b->conf.address, imap_client_error(&f->c, cc,
			    detail, sizeof(detail)), detail);
		} else if (v && b->uidvalidity && v != b->uidvalidity) {
			b->act_broken = 1;	/* see imap_box.c, EXAMINE */
			b->fetch_done = 1;
		} else {
			f->joined = 1;
		}
		imap_fetch_start(b);
		return;
	}
	if (imap_fetch_finish(b, &f->c, f->slot, f->uid, &f->retried, cc)) {
		fetcher_send(b, f);
		return;
	}
	f->slot = NULL;
	imap_fetch_start(b);
}

/* See imap_fetch.h. */
void
imap_fetch_abort(struct imap_box *b)
{
	struct imap_fetcher *f;
	size_t i;

	for (i = 0; i < TAME_IMAP_HELPERS; i++) {
		f = &b->helpers[i];
		if (f->in_multi) {
			imap_client_hangup(&f->c);
			curl_multi_remove_handle(b->env->multi, f->c.easy);
			imap_client_finished(&f->c, CURLE_ABORTED_BY_CALLBACK);
		}
		f->in_multi = f->examining = 0;
		f->slot = NULL;
	}
}
