/*
 * smtp_client.c - one message to an SMTP relay. See smtp_client.h.
 *
 * SMTP submission is done by libcurl (RFC 5321; RFC 3207 STARTTLS,
 * required for a relay set to starttls or logged in to on another
 * machine, and tried for a plain global relay; RFC 8314 implicit TLS
 * for smtps; RFC 4954 AUTH with the mechanisms the relay offers, PLAIN
 * and LOGIN among them). A
 * certificate is checked against the system CAs or the relay's own CA
 * file, and its name against the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <curl/curl.h>
#include "smtp_client.h"
#include "../core/buf.h"
#include "../tame_limits.h"

struct talk;

struct upload {
	const char *p;
	size_t left;
	int done;          /* all of it handed to libcurl */
	const struct talk *talk;
};

/* Whether to give up when tamed stops. Before the message is all sent,
 * at once; after it, the relay may be taking it, and giving up would
 * send it again after the restart: its answer is waited for a little
 * longer (a service manager kills a stop that takes much more). */
struct progress {
	const int *stop;
	const struct upload *up;
	struct timespec stop_seen;
	int seen;
};
#define STOP_AFTER_DATA_S 30

/* What the relay said, read from libcurl's debug stream: its last reply
 * line, for error messages in its own words, and the recipients it
 * refused while taking the others. */
struct talk {
	int quitting;                    /* QUIT sent: its answer says
	                                    nothing about the message */
	char last[256];
	char rcpt[TAME_FIELD_MAX + 1];   /* of the RCPT being answered */
	struct buf refused;              /* "a@b (550 ...); ..." */
	struct buf later;                /* "a@b,c@d": refused for now */
	char first[TAME_FIELD_MAX + 1];  /* the first recipient */
	int first_code;                  /* the relay's refusal of it, or 0 */
};

/* Once the message is sent, or has failed, nothing hangs on the
 * relay's answer to QUIT, which libcurl sends when the handle is
 * cleaned up and waits for with its own default (two minutes, not our
 * settings). The connection is shut down first, so that libcurl finds
 * it closed and waits for nothing. */
static void
hang_up(CURL *c)
{
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK &&
	    fd != CURL_SOCKET_BAD)
		shutdown(fd, SHUT_RDWR);
}

static int
on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
	struct talk *t = arg;
	const char *lt, *gt;
	size_t k;

	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		/* only RCPT and QUIT are looked at: other lines may hold a
		 * password */
		t->rcpt[0] = '\0';
		if (n >= 4 && strncasecmp(data, "QUIT", 4) == 0)
			t->quitting = 1;
		if (n > 8 && strncasecmp(data, "RCPT TO:", 8) == 0 &&
		    (lt = memchr(data, '<', n)) &&
		    (gt = memchr(lt, '>', n - (size_t)(lt - data))) &&
		    (size_t)(gt - lt - 1) < sizeof(t->rcpt))
			snprintf(t->rcpt, sizeof(t->rcpt), "%.*s",
			    (int)(gt - lt - 1), lt + 1);
		return 0;
	}
	if (type != CURLINFO_HEADER_IN || n < 3 || t->quitting)
		return 0;
	for (k = n; k > 0 && (data[k - 1] == '\n' || data[k - 1] == '\r');)
		k--;
	snprintf(t->last, sizeof(t->last), "%.*s", (int)k, data);
	/* printable ASCII only (RFC 5321 replies are): it goes into JSON,
	 * logs and the ticket */
	for (k = 0; t->last[k]; k++)
		if ((unsigned char)t->last[k] < 0x20 ||
		    (unsigned char)t->last[k] > 0x7e)
			t->last[k] = '?';
	/* the last line of a refusal of the recipient in flight */
	if (t->rcpt[0] && k >= 3 && (k == 3 || data[3] == ' ') &&
	    (data[0] == '4' || data[0] == '5')) {
		if (strcasecmp(t->rcpt, t->first) == 0)
			t->first_code = (data[0] - '0') * 100 + (data[1] - '0') *
			    10 + (data[2] - '0');
		else if (data[0] == '4' && (!t->later.len ||
		    !buf_add(&t->later, ",", 1)))
			buf_add(&t->later, t->rcpt, strlen(t->rcpt));
		if (t->refused.len)
			buf_add(&t->refused, "; ", 2);
		buf_add(&t->refused, t->rcpt, strlen(t->rcpt));
		buf_add(&t->refused, " (", 2);
		buf_add(&t->refused, t->last, strlen(t->last));
		buf_add(&t->refused, ")", 1);
		t->rcpt[0] = '\0';
	}
	return 0;
}

/* Aborts the transfer once *stop is set (tamed is stopping); see
 * struct progress. */
static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct progress *p = arg;
	struct timespec now;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (!p->stop || !__atomic_load_n(p->stop, __ATOMIC_RELAXED))
		return 0;
	if (!p->up->done)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!p->seen) {
		p->seen = 1;
		p->stop_seen = now;
	}
	return now.tv_sec - p->stop_seen.tv_sec > STOP_AFTER_DATA_S;
}

static size_t
upload_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	/* the relay refused the customer for now: none of the message
	 * goes (without its final "." the relay keeps nothing), so that
	 * all of it is sent again later and nobody gets it twice */
	if (u->talk->first_code >= 400 && u->talk->first_code < 500)
		return CURL_READFUNC_ABORT;
	if (n > u->left)
		n = u->left;
	memcpy(ptr, u->p, n);
	u->p += n;
	u->left -= n;
	/* libcurl asks no more once it has the size it was given
	 * (CURLOPT_INFILESIZE_LARGE): the last bytes are the end */
	if (u->left == 0)
		u->done = 1;
	return n;
}

/* The recipients of a ',' list as a curl list of "<addr>"; NULL when
 * there is none or memory ran out. */
static struct curl_slist *
rcpt_list(const char *rcpts)
{
	struct curl_slist *l = NULL, *n;
	const char *p = rcpts, *e;
	char r[TAME_FIELD_MAX + 3];

	while (p && *p) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		if (e > p && (size_t)(e - p) <= TAME_FIELD_MAX) {
			snprintf(r, sizeof(r), "<%.*s>", (int)(e - p), p);
			if (!(n = curl_slist_append(l, r))) {
				curl_slist_free_all(l);
				return NULL;
			}
			l = n;
		}
		p = *e ? e + 1 : e;
	}
	return l;
}

/* The plain-language reason for a failure. */
static const char *
reason(CURLcode cc, long code, const char *cerr)
{
	switch (cc) {
	case CURLE_LOGIN_DENIED:
		return "login refused";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return "certificate not trusted";
	case CURLE_SSL_CACERT_BADFILE:
		return "the CA file cannot be read";
	case CURLE_USE_SSL_FAILED:
		return "the relay does not offer STARTTLS";
	case CURLE_SSL_CONNECT_ERROR:
		return "TLS handshake failed";
	case CURLE_COULDNT_CONNECT:
		return "connection refused";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "host not found";
	case CURLE_OPERATION_TIMEDOUT:
		return "the relay did not answer in time";
	default:
		break;
	}
	if (strstr(cerr, "RCPT"))
		return "relay refused the recipient";
	if (strstr(cerr, "MAIL"))
		return code == 530 ? "the relay wants a login" :
		    "relay refused the sender";
	if (code == 530)
		return "the relay wants a login";
	if (code >= 400 && strstr(cerr, "DATA"))
		return "relay refused the message";
	if (cc == CURLE_WEIRD_SERVER_REPLY && code >= 400)
		return "relay refused the message";
	if (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR ||
	    cc == CURLE_SEND_ERROR)
		return "the relay closed the connection";
	return "sending failed";
}

/* See smtp_client.h. */
enum smtp_client_result
smtp_client_send(const struct smtp_client_job *job, char *error,
    size_t errlen, char *detail, size_t detlen)
{
	const struct relay_conf *r = job->relay;
	struct talk talk;
	struct upload up = { job->raw, job->len, 0, &talk };
	struct progress prog = { job->stop, &up, { 0, 0 }, 0 };
	struct curl_slist *rcpt = NULL;
	char from[TAME_FIELD_MAX + 3], cerr[CURL_ERROR_SIZE] = "";
	struct buf url;
	enum smtp_client_result result;
	CURLcode cc;
	long code = 0;
	/* a password goes over a network only with TLS */
	int must_tls = relay_conf_login_in_clear(r);
	CURL *c = NULL;

	error[0] = detail[0] = '\0';
	memset(&talk, 0, sizeof(talk));
	buf_init(&talk.refused, 2048);
	buf_init(&talk.later, 2048);
	snprintf(talk.first, sizeof(talk.first), "%.*s",
	    (int)strcspn(job->rcpts ? job->rcpts : "", ","),
	    job->rcpts ? job->rcpts : "");
	buf_init(&url, TAME_IMAP_URL_MAX * 4);
	if (relay_conf_curl_url(r, &url) != TAME_OK) {
		snprintf(error, errlen, "no relay");
		result = SMTP_CLIENT_RETRY;
		goto out;
	}
	if (!(c = curl_easy_init()) || !(rcpt = rcpt_list(job->rcpts))) {
		snprintf(error, errlen, "%s", c ? "no recipient" :
		    "curl init failed");
		result = c ? SMTP_CLIENT_REFUSED : SMTP_CLIENT_RETRY;
		goto out;
	}
	snprintf(from, sizeof(from), "<%s>", job->mail_from);
	curl_easy_setopt(c, CURLOPT_URL, buf_str(&url));
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)job->len);
	if (r->tls == RELAY_TLS_STARTTLS || must_tls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	else if (r->tls == RELAY_TLS_NONE && job->try_tls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (r->user && *r->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, r->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->password ?
		    r->password : "");
	}
	if (r->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, job->timeout_s < 30 ?
	    job->timeout_s : 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, job->timeout_s);
	/* RFC 5321 4.5.3.2: a relay may take up to 10 minutes to answer
	 * the final "."; giving up sooner and sending again would deliver
	 * the message twice (libcurl's own wait is 2 minutes) */
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    job->timeout_s < 600 ? job->timeout_s : 600L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	/* a refused CC does not keep the mail from the others */
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, &talk);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &prog);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		result = SMTP_CLIENT_SENT;
		if (talk.refused.len)
			snprintf(detail, detlen, "the relay refused %s",
			    buf_str(&talk.refused));
		/* recorded before QUIT: a crash while the relay takes its
		 * time over QUIT must not send the message again */
		if (job->sent)
			job->sent(job->sent_arg, detail, talk.first_code >= 500,
			    buf_str(&talk.later));
		goto out;
	}
	if (talk.first_code) {
		/* in the relay's words, not libcurl's (an abort, say) */
		snprintf(error, errlen, "relay refused the recipient");
		snprintf(detail, detlen, "the relay refused %s%s",
		    buf_str(&talk.refused), talk.first_code < 500 ?
		    "; nothing was sent: it is tried again later" : "");
		goto decide;
	}
	snprintf(error, errlen, "%s", reason(cc, code, cerr));
	snprintf(detail, detlen, "%s%s%s%s (relay %s%s)%s%s", must_tls &&
	    cc == CURLE_USE_SSL_FAILED ? "a login to a relay on another "
	    "machine goes only over TLS (smtps:// or ?starttls): " : "",
	    curl_easy_strerror(cc), *cerr ? ": " : "", cerr,
	    talk.last[0] ? "said: " : "answered nothing", talk.last,
	    talk.refused.len ? "; it refused " : "",
	    talk.refused.len ? buf_str(&talk.refused) : "");
decide:
	/* when the relay refused the customer, their own answer says
	 * whether to try again, not the last recipient's (a CC's) */
	if (talk.first_code)
		code = talk.first_code;
	/* a refused login is the admin's to fix: keep the mail until then;
	 * a stop, a timeout or a lost connection is no refusal, whatever
	 * the last code was (a CC's 550, say) */
	result = code >= 500 && code < 600 && cc != CURLE_LOGIN_DENIED &&
	    code != 530 && cc != CURLE_ABORTED_BY_CALLBACK &&
	    cc != CURLE_OPERATION_TIMEDOUT && cc != CURLE_RECV_ERROR &&
	    cc != CURLE_GOT_NOTHING ?
	    SMTP_CLIENT_REFUSED : SMTP_CLIENT_RETRY;
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	    cc == CURLE_OPERATION_TIMEDOUT)
		result = SMTP_CLIENT_UNREACHABLE;
out:
	curl_slist_free_all(rcpt);
	if (c) {
		hang_up(c);
		curl_easy_cleanup(c);
	}
	buf_free(&url);
	buf_free(&talk.refused);
	buf_free(&talk.later);
	return result;
}
