/*
 * smtp_client.c - one message to an SMTP relay. See smtp_client.h.
 *
 * SMTP submission is done by libcurl (RFC 5321; RFC 3207 STARTTLS,
 * required for a mailbox relay set to starttls and tried for the global
 * relay; RFC 8314 implicit TLS for smtps; RFC 4954 AUTH with the
 * mechanisms the relay offers, PLAIN and LOGIN among them). A
 * certificate is checked against the system CAs or the relay's own CA
 * file, and its name against the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "smtp_client.h"
#include "../core/buf.h"
#include "../tame_limits.h"

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
	struct upload up = { job->raw, job->len };
	struct curl_slist *rcpt = NULL;
	char from[TAME_FIELD_MAX + 3], cerr[CURL_ERROR_SIZE] = "";
	struct buf url;
	enum smtp_client_result result;
	CURLcode cc;
	long code = 0;
	CURL *c = NULL;

	error[0] = detail[0] = '\0';
	buf_init(&url, TAME_IMAP_URL_MAX * 4);
	if (r ? relay_conf_curl_url(r, &url) != TAME_OK : !job->url) {
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
	curl_easy_setopt(c, CURLOPT_URL, r ? buf_str(&url) : job->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)job->len);
	if (!r)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	else if (r->tls == RELAY_TLS_STARTTLS)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (r && r->user && *r->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, r->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->password ?
		    r->password : "");
	}
	if (r && r->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, job->timeout_s < 30 ?
	    job->timeout_s : 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, job->timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		result = SMTP_CLIENT_SENT;
		goto out;
	}
	snprintf(error, errlen, "%s", reason(cc, code, cerr));
	snprintf(detail, detlen, "%s%s%s (relay answered %ld)",
	    curl_easy_strerror(cc), *cerr ? ": " : "", cerr, code);
	/* a refused login is the admin's to fix: keep the mail until then */
	result = code >= 500 && code < 600 && cc != CURLE_LOGIN_DENIED &&
	    code != 530 ? SMTP_CLIENT_REFUSED : SMTP_CLIENT_RETRY;
out:
	curl_slist_free_all(rcpt);
	if (c)
		curl_easy_cleanup(c);
	buf_free(&url);
	return result;
}
