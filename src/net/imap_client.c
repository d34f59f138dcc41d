/*
 * imap_client.c - libcurl set up for one IMAP account, the requests the
 * poller makes, and plain-language errors. See imap_client.h.
 *
 * libcurl's IMAP support (RFC 3501, RFC 5092 URLs, RFC 8314 / RFC 2595
 * TLS) logs in, selects folders and reads literals; we use:
 *   STATUS "folder" (UIDVALIDITY UIDNEXT MESSAGES)  custom request, no
 *                                                   folder selected
 *   imap://host/folder;UIDVALIDITY=v  + "UID SEARCH UID a:b"
 *   imap://host/folder;UIDVALIDITY=v/;UID=n        FETCH BODY[]
 *   imap://host/folder;UIDVALIDITY=v  + "UID STORE/MOVE/EXPUNGE ..."
 * libcurl hands every response line to the header callback, which is
 * where we see capabilities (MOVE, UIDPLUS), the tagged answer that
 * explains a failure, and the size a FETCH announces ({N}), so that a
 * message over TAME_SMTP_MESSAGE_MAX is refused before its bytes come.
 *
 * Every request is bounded in time: connecting (TCP, TLS, greeting,
 * login) by CURLOPT_CONNECTTIMEOUT, a silent server by
 * CURLOPT_SERVER_RESPONSE_TIMEOUT and a stalled transfer by
 * CURLOPT_LOW_SPEED_LIMIT/TIME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>
#include "imap_client.h"
#include "../core/util.h"
#include "../tame_limits.h"

/* Untagged answers we read (STATUS, SEARCH of one window) are small. */
#define ANSWER_MAX (1024 * 1024)

/* 1 if line[0..n) has word as a whole space-separated token. */
static int
has_token(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word), i;

	for (i = 0; i + w <= n; i++) {
		if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == '[') &&
		    strncasecmp(line + i, word, w) == 0 &&
		    (i + w == n || line[i + w] == ' ' || line[i + w] == ']'))
			return 1;
	}
	return 0;
}

/* 1 if word is at p + i, p[0..n) ending there or with a space. */
static int
word_at(const char *p, size_t n, size_t i, const char *word)
{
	size_t w = strlen(word);

	return n - i >= w && strncasecmp(p + i, word, w) == 0 &&
	    (n - i == w || p[i + w] == ' ');
}

/* Keeps p[0..n) as the line that explains a failure. The first line
 * that says something went wrong (a tagged NO or BAD, a BYE, noise, an
 * answer libcurl cannot read) stays: what libcurl reads after it, the
 * answer to the LOGOUT it sends on its way out ("A060 OK bye"), is
 * not the reason. A tagged OK is kept only until such a line comes. */
static void
keep_line(struct imap_client *c, const char *p, size_t n)
{
	const char *w;
	size_t i;
	int ok = 0;

	if (p[0] != '*' && (w = memchr(p, ' ', n)) != NULL) {
		i = (size_t)(w + 1 - p);
		c->refused |= word_at(p, n, i, "NO") || word_at(p, n, i, "BAD");
		ok = word_at(p, n, i, "OK");
	}
	if (c->kept)
		return;
	c->kept = !ok;
	if (n >= sizeof(c->last_line))
		n = sizeof(c->last_line) - 1;
	/* the text goes into the API and logs: printable ASCII only */
	for (i = 0; i < n; i++)
		c->last_line[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	c->last_line[n] = '\0';
}

/* See imap_client.h. */
size_t
imap_client_on_line(char *p, size_t size, size_t nmemb, void *arg)
{
	struct imap_client *c = arg;
	size_t len = size * nmemb, n = len, i;
	int64_t v = 0;

	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	/* a SELECT or EXAMINE answer (its UIDVALIDITY is required), and
	 * the tagged line that says which of the two it was */
	if (n > 16 && p[0] == '*' && memmem(p, n, "[UIDVALIDITY ", 13))
		c->sel_seen = 1;
	else if (n > 14 && p[0] != '*' && memmem(p, n, "[READ-WRITE]", 12))
		c->rw_seen = 1;
	if (has_token(p, n, "CAPABILITY")) {
		if (has_token(p, n, "MOVE"))
			c->caps |= IMAP_CAP_MOVE;
		if (has_token(p, n, "UIDPLUS"))
			c->caps |= IMAP_CAP_UIDPLUS;
	}
	if (n >= 2 && p[0] == '*' && p[1] == ' ') {
		if (n >= 5 && strncasecmp(p + 2, "BYE", 3) == 0)
			keep_line(c, p, n);
		/* a FETCH answer without the message, before any: the line
		 * libcurl gives up on (after the message, such lines are
		 * what other sessions changed, and passed over) */
		if (c->req == IMAP_REQ_FETCH && c->announced < 0 &&
		    p[n - 1] != '}' && memmem(p, n, " FETCH ", 7))
			keep_line(c, p, n);
		/* "* 7 FETCH (UID 7 BODY[] {2147483648}": refuse early */
		if (c->req == IMAP_REQ_FETCH && n && p[n - 1] == '}') {
			/* digits back from the '}', at most 18 of them */
			for (i = n - 1; i > 0 && p[i - 1] >= '0' &&
			    p[i - 1] <= '9' && n - i < 19; i--)
				;
			if (i > 0 && p[i - 1] == '{' && i < n - 1) {
				for (; i < n - 1; i++)
					v = v * 10 + (p[i] - '0');
				c->announced = v;
				if (v > TAME_SMTP_MESSAGE_MAX) {
					c->too_large = 1;
					return 0;
				}
			}
		}
	} else if (n && p[0] != '+') {
		keep_line(c, p, n);
	}
	return len;
}

/* Message bytes or untagged answers. */
static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct imap_client *c = arg;

	if (buf_add(&c->body, p, size * nmemb)) {
		if (c->req == IMAP_REQ_FETCH)
			c->too_large = 1;
		return 0;
	}
	return size * nmemb;
}

/* See imap_client.h. */
enum tame_err
imap_client_base_url(const struct imap_conf *conf, struct buf *out)
{
	int v6 = strchr(conf->host, ':') != NULL;

	return buf_printf(out, "%s://%s%s%s:%d/", conf->tls ==
	    IMAP_TLS_IMPLICIT ? "imaps" : "imap", v6 ? "[" : "", conf->host,
	    v6 ? "]" : "", conf->port);
}

/* See imap_client.h. */
void
imap_client_setup(CURL *easy, const struct imap_conf *conf)
{
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(easy, CURLOPT_USERNAME, conf->user);
	curl_easy_setopt(easy, CURLOPT_PASSWORD,
	    conf->password ? conf->password : "");
	curl_easy_setopt(easy, CURLOPT_USE_SSL, conf->tls ==
	    IMAP_TLS_STARTTLS ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (conf->ca_file)
		curl_easy_setopt(easy, CURLOPT_CAINFO, conf->ca_file);
	if (conf->pinned_key) {
		curl_easy_setopt(easy, CURLOPT_PINNEDPUBLICKEY,
		    conf->pinned_key);
		/* the key itself is trusted: no CA chain or name needed */
		if (!conf->ca_file) {
			curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 65536L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT,
	    (long)TAME_IMAP_CONNECT_SECONDS);
	curl_easy_setopt(easy, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (long)TAME_IMAP_STALL_SECONDS);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
	    (long)TAME_IMAP_STALL_SECONDS);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)TAME_SMTP_MESSAGE_MAX);
}

/* Notes the connection the pool opens (see imap_client_hangup). */
static int
on_sockopt(void *p, curl_socket_t fd, curlsocktype purpose)
{
	struct imap_client *c = p;

	if (purpose == CURLSOCKTYPE_IPCXN)
		c->fd = fd;
	return CURL_SOCKOPT_OK;
}

static int
on_closesocket(void *p, curl_socket_t fd)
{
	struct imap_client *c = p;

	if (c->fd == fd)
		c->fd = CURL_SOCKET_BAD;
	return close(fd);
}

/* See imap_client.h. */
void
imap_client_hangup(struct imap_client *c)
{
	/* (a client zeroed, never set up, has no socket: fd 0 is not its) */
	if (c->easy && c->fd != CURL_SOCKET_BAD)
		(void)shutdown(c->fd, SHUT_RDWR);
}

/* See imap_client.h. */
enum tame_err
imap_client_init(struct imap_client *c, const struct imap_conf *conf)
{
	enum tame_err rc;
	struct buf m;

	memset(c, 0, sizeof(*c));
	c->fd = CURL_SOCKET_BAD;
	buf_init(&c->body, ANSWER_MAX);
	buf_init(&c->base, TAME_IMAP_URL_MAX);
	buf_init(&c->folder, TAME_IMAP_URL_MAX * 4);
	buf_init(&c->qfolder, TAME_IMAP_URL_MAX * 4);
	buf_init(&c->qmove, TAME_IMAP_URL_MAX * 4);
	buf_init(&c->url, TAME_IMAP_URL_MAX * 8);
	buf_init(&c->cmd, TAME_IMAP_URL_MAX * 8);
	buf_init(&m, TAME_IMAP_URL_MAX * 4);
	c->announced = -1;
	if ((rc = imap_client_base_url(conf, &c->base)) ||
	    (rc = imap_conf_mutf7(conf->folder, &m)) ||
	    (rc = imap_conf_pct(buf_str(&m), &c->folder)) ||
	    (rc = imap_conf_quote(buf_str(&m), &c->qfolder)))
		goto out;
	if (conf->after == IMAP_AFTER_MOVE && conf->after_folder) {
		buf_reset(&m);
		if ((rc = imap_conf_mutf7(conf->after_folder, &m)) ||
		    (rc = imap_conf_quote(buf_str(&m), &c->qmove)))
			goto out;
	}
	if (!(c->easy = curl_easy_init()) || !(c->share = curl_share_init()) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
		rc = TAME_ENOMEM;
		goto out;
	}
	curl_easy_setopt(c->easy, CURLOPT_SHARE, c->share);
	imap_client_setup(c->easy, conf);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION,
	    imap_client_on_line);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->easy, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
	curl_easy_setopt(c->easy, CURLOPT_SOCKOPTDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_CLOSESOCKETFUNCTION, on_closesocket);
	curl_easy_setopt(c->easy, CURLOPT_CLOSESOCKETDATA, c);
out:
	buf_free(&m);
	return rc;
}

void
imap_client_free(struct imap_client *c)
{
	if (!c)
		return;
	/* no LOGOUT waited for (a silent server would hold us 30 s) */
	imap_client_hangup(c);
	/* the handle first: the pool can only go once nobody uses it */
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->share)
		curl_share_cleanup(c->share);
	buf_free(&c->body);
	buf_free(&c->base);
	buf_free(&c->folder);
	buf_free(&c->qfolder);
	buf_free(&c->qmove);
	buf_free(&c->url);
	buf_free(&c->cmd);
	memset(c, 0, sizeof(*c));
	c->fd = CURL_SOCKET_BAD;
}

/* Starts a request: empties the answer, sets the URL from base, folder
 * (when with_folder), ;UIDVALIDITY and the suffix, and the custom
 * command (NULL: none). */
static enum tame_err
prepare(struct imap_client *c, enum imap_req req, int with_folder,
    int64_t uidvalidity, const char *suffix, const char *custom)
{
	enum tame_err rc;

	c->req = req;
	buf_reset(&c->body);
	c->body.max = req == IMAP_REQ_FETCH ? TAME_SMTP_MESSAGE_MAX :
	    ANSWER_MAX;
	buf_reset(&c->url);
	c->last_line[0] = '\0';
	c->refused = c->kept = 0;
	c->errbuf[0] = '\0';
	c->announced = -1;
	c->too_large = 0;
	c->sel_seen = c->rw_seen = 0;
	if ((rc = buf_addstr(&c->url, buf_str(&c->base))))
		return rc;
	if (with_folder && (rc = buf_addstr(&c->url, buf_str(&c->folder))))
		return rc;
	if (with_folder && uidvalidity > 0 &&
	    (rc = buf_printf(&c->url, ";UIDVALIDITY=%lld",
	    (long long)uidvalidity)))
		return rc;
	if (suffix && (rc = buf_addstr(&c->url, suffix)))
		return rc;
	curl_easy_setopt(c->easy, CURLOPT_URL, buf_str(&c->url));
	curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, custom);
	return TAME_OK;
}

enum tame_err
imap_client_status(struct imap_client *c)
{
	enum tame_err rc;

	buf_reset(&c->cmd);
	if ((rc = buf_printf(&c->cmd, "STATUS %s (UIDVALIDITY UIDNEXT "
	    "MESSAGES)", buf_str(&c->qfolder))))
		return rc;
	return prepare(c, IMAP_REQ_STATUS, 0, 0, NULL, buf_str(&c->cmd));
}

enum tame_err
imap_client_noop(struct imap_client *c)
{
	return prepare(c, IMAP_REQ_STATUS, 1, 0, NULL, "NOOP");
}

enum tame_err
imap_client_examine(struct imap_client *c, int64_t uidvalidity)
{
	enum tame_err rc;

	buf_reset(&c->cmd);
	if ((rc = buf_printf(&c->cmd, "EXAMINE %s", buf_str(&c->qfolder))))
		return rc;
	return prepare(c, IMAP_REQ_EXAMINE, 1, uidvalidity, NULL,
	    buf_str(&c->cmd));
}

/* See imap_client.h. */
void
imap_client_finished(struct imap_client *c, CURLcode cc)
{
	long conns = 0;

	if (c->easy)
		curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &conns);
	if (c->req == IMAP_REQ_EXAMINE)
		c->ro = cc == CURLE_OK && !c->rw_seen;
	else if (conns > 0 || c->sel_seen || c->rw_seen || (cc != CURLE_OK &&
	    cc != CURLE_REMOTE_FILE_NOT_FOUND))
		c->ro = 0;
}

/* See imap_client.h. */
int
imap_client_read_only(const struct imap_client *c)
{
	return c->ro;
}

enum tame_err
imap_client_search(struct imap_client *c, int64_t uidvalidity, int64_t from,
    int64_t to)
{
	enum tame_err rc;

	buf_reset(&c->cmd);
	if ((rc = buf_printf(&c->cmd, "UID SEARCH UID %lld:%lld",
	    (long long)from, (long long)to)))
		return rc;
	return prepare(c, IMAP_REQ_SEARCH, 1, uidvalidity, NULL,
	    buf_str(&c->cmd));
}

enum tame_err
imap_client_fetch(struct imap_client *c, int64_t uidvalidity, int64_t uid)
{
	char suffix[32];
	int n;

	n = snprintf(suffix, sizeof(suffix), "/;UID=%lld", (long long)uid);
	if (n < 0 || (size_t)n >= sizeof(suffix))
		return TAME_EINVAL;
	return prepare(c, IMAP_REQ_FETCH, 1, uidvalidity, suffix, NULL);
}

enum tame_err
imap_client_probe(struct imap_client *c, int64_t uidvalidity, int64_t uid)
{
	char suffix[48];
	int n;

	n = snprintf(suffix, sizeof(suffix), "/;UID=%lld/;PARTIAL=0.1",
	    (long long)uid);
	if (n < 0 || (size_t)n >= sizeof(suffix))
		return TAME_EINVAL;
	return prepare(c, IMAP_REQ_FETCH, 1, uidvalidity, suffix, NULL);
}

enum tame_err
imap_client_command(struct imap_client *c, int64_t uidvalidity,
    const char *cmd, size_t len)
{
	enum tame_err rc;

	buf_reset(&c->cmd);
	if ((rc = buf_add(&c->cmd, cmd, len)))
		return rc;
	return prepare(c, IMAP_REQ_ACTION, 1, uidvalidity, NULL,
	    buf_str(&c->cmd));
}

/* The number after key in s[0..n) (e.g. "UIDNEXT 42"), or 0. */
static int64_t
number_after(const char *s, size_t n, const char *key)
{
	size_t k = strlen(key), i;
	int64_t v = 0;

	for (i = 0; i + k < n; i++) {
		if (strncasecmp(s + i, key, k) != 0 || s[i + k] != ' ' ||
		    (i > 0 && s[i - 1] != '(' && s[i - 1] != ' ' &&
		    s[i - 1] != '['))
			continue;
		for (i += k + 1; i < n && s[i] >= '0' && s[i] <= '9' &&
		    v < (INT64_MAX - 9) / 10; i++)
			v = v * 10 + (s[i] - '0');
		return v;
	}
	return 0;
}

/* See imap_client.h. */
enum tame_err
imap_client_parse_status(const struct imap_client *c, int64_t *uidvalidity,
    int64_t *uidnext, int64_t *messages)
{
	const char *s = buf_str(&c->body), *line, *eol, *paren;

	for (line = s; *line; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		if (strncasecmp(line, "* STATUS ", 9) != 0)
			continue;
		/* the numbers are in the last parenthesised list; the
		 * folder name before it is not looked at */
		for (paren = eol; paren > line && *paren != '('; paren--)
			;
		if (*paren != '(')
			return TAME_EPARSE;
		*uidvalidity = number_after(paren, (size_t)(eol - paren),
		    "UIDVALIDITY");
		*uidnext = number_after(paren, (size_t)(eol - paren),
		    "UIDNEXT");
		*messages = number_after(paren, (size_t)(eol - paren),
		    "MESSAGES");
		return TAME_OK;
	}
	return TAME_EPARSE;
}

/* See imap_client.h. */
int64_t
imap_client_parse_uidvalidity(const struct imap_client *c)
{
	const char *s = buf_str(&c->body), *p = strcasestr(s, "[UIDVALIDITY ");

	return p ? number_after(p, strcspn(p, "]"), "UIDVALIDITY") : 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* See imap_client.h. */
long
imap_client_parse_search(const struct imap_client *c, int64_t after,
    int64_t before, int64_t *uids, size_t max)
{
	const char *s = buf_str(&c->body), *line, *eol, *p;
	size_t n = 0, i, u;
	int64_t v;

	for (line = s; *line; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		if (strncasecmp(line, "* SEARCH", 8) != 0)
			continue;
		for (p = line + 8; p < eol; ) {
			while (p < eol && (*p == ' ' || *p == '\r'))
				p++;
			if (p == eol)
				break;
			for (v = 0; p < eol && *p >= '0' && *p <= '9'; p++) {
				if (v > (INT64_MAX - 9) / 10)
					return -1;
				v = v * 10 + (*p - '0');
			}
			if (p < eol && *p != ' ' && *p != '\r')
				return -1;
			if (v > after && (before <= 0 || v < before) &&
			    n < max)
				uids[n++] = v;
		}
	}
	qsort(uids, n, sizeof(*uids), cmp_i64);
	/* a UID named twice is fetched and acted on once */
	for (i = u = 0; i < n; i++)
		if (u == 0 || uids[i] != uids[u - 1])
			uids[u++] = uids[i];
	return (long)u;
}

/* Appends uids[0..n) (ascending) as a compact sequence set: 1:5,7. */
static enum tame_err
uid_set(const int64_t *uids, size_t n, struct buf *out)
{
	enum tame_err rc = TAME_OK;
	size_t i, j;

	for (i = 0; i < n && !rc; i = j) {
		for (j = i + 1; j < n && uids[j] == uids[j - 1] + 1; j++)
			;
		if (out->len && (rc = buf_add(out, ",", 1)))
			break;
		rc = j - 1 == i ? buf_printf(out, "%lld", (long long)uids[i]) :
		    buf_printf(out, "%lld:%lld", (long long)uids[i],
		    (long long)uids[j - 1]);
	}
	return rc;
}

/* The action for one chunk of UIDs, as lines appended to out. */
static enum tame_err
chunk_actions(const struct imap_client *c, enum imap_after after,
    const char *set, struct buf *out, size_t *nacts)
{
	enum tame_err rc;

	if (after == IMAP_AFTER_SEEN) {
		(*nacts)++;
		return buf_printf(out, "UID STORE %s +FLAGS.SILENT (\\Seen)\n",
		    set);
	}
	if (after == IMAP_AFTER_MOVE && (c->caps & IMAP_CAP_MOVE)) {
		(*nacts)++;
		return buf_printf(out, "UID MOVE %s %s\n", set,
		    buf_str(&c->qmove));
	}
	if (after == IMAP_AFTER_MOVE) {
		(*nacts)++;
		if ((rc = buf_printf(out, "UID COPY %s %s\n", set,
		    buf_str(&c->qmove))))
			return rc;
	}
	*nacts += 2;
	if ((rc = buf_printf(out, "UID STORE %s +FLAGS.SILENT (\\Deleted)\n",
	    set)))
		return rc;
	/* without UIDPLUS, EXPUNGE also removes what others marked */
	return (c->caps & IMAP_CAP_UIDPLUS) ? buf_printf(out,
	    "UID EXPUNGE %s\n", set) : buf_addstr(out, "EXPUNGE\n");
}

/* See imap_client.h. The chunks bound the answer: a MOVE or EXPUNGE is
 * answered with one EXPUNGE line per message, and libcurl refuses an
 * answer of many lines (about 250 already). */
enum tame_err
imap_client_actions(const struct imap_client *c, enum imap_after after,
    const int64_t *uids, size_t n, struct buf *out, size_t *nacts)
{
	struct buf set;
	enum tame_err rc = TAME_OK;
	size_t i, k;

	*nacts = 0;
	if (n == 0)
		return TAME_OK;
	buf_init(&set, TAME_IMAP_SEEN_UIDS * 24);
	for (i = 0; i < n && !rc; i += k) {
		k = after == IMAP_AFTER_SEEN ? TAME_IMAP_SEEN_UIDS :
		    TAME_IMAP_ACT_UIDS;
		if (k > n - i)
			k = n - i;
		buf_reset(&set);
		if (!(rc = uid_set(uids + i, k, &set)))
			rc = chunk_actions(c, after, buf_str(&set), out, nacts);
	}
	buf_free(&set);
	return rc;
}

/* See imap_client.h. */
const char *
imap_client_error(struct imap_client *c, CURLcode cc, char *detail,
    size_t dlen)
{
	const char *why = c->last_line[0] ? c->last_line : c->errbuf[0] ?
	    c->errbuf : curl_easy_strerror(cc);
	curl_off_t connect_us = 0;

	snprintf(detail, dlen, "%s", why);
	if (c->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(detail, dlen, "the server announced %lld bytes; the "
		    "limit is %d", (long long)c->announced,
		    TAME_SMTP_MESSAGE_MAX);
		return "message too large";
	}
	switch (cc) {
	case CURLE_LOGIN_DENIED:
		/* libcurl says "Select failed" when the folder is refused
		 * and something else when the login is */
		if (strncmp(c->errbuf, "Select failed", 13) == 0)
			return "folder not found";
		return "login refused";
	case CURLE_QUOTE_ERROR:
		if (c->req == IMAP_REQ_STATUS || c->req == IMAP_REQ_EXAMINE)
			return "folder not found";
		if (strcasestr(c->last_line, "TRYCREATE") ||
		    strcasestr(c->last_line, "exist"))
			return "folder not found";
		return "server refused the command";
	case CURLE_REMOTE_FILE_NOT_FOUND:
		return "message or folder gone";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(detail, dlen, "%s", c->errbuf[0] ? c->errbuf :
		    curl_easy_strerror(cc));
		return "certificate not trusted";
	case CURLE_SSL_CONNECT_ERROR:
		return "TLS handshake failed";
	case CURLE_USE_SSL_FAILED:
		return "server does not offer STARTTLS";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return "server not reachable";
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(c->easy, CURLINFO_CONNECT_TIME_T,
		    &connect_us);
		return connect_us ? "server not answering" :
		    "server not reachable";
	case CURLE_WEIRD_SERVER_REPLY:
		return "server answered garbage";
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:	/* e.g. closed in the middle of a message */
	case CURLE_SEND_ERROR:
		/* a line libcurl could not place, then the end: noise */
		if (c->last_line[0] && strncasecmp(c->last_line, "* BYE", 5))
			return "server answered garbage";
		return "connection lost";
	case CURLE_OUT_OF_MEMORY:
		return "out of memory";
	default:
		return "IMAP error";
	}
}

/* Runs the prepared request to the end. */
static CURLcode
run(struct imap_client *c)
{
	return curl_easy_perform(c->easy);
}

/* See imap_client.h. */
const char *
imap_client_test(const struct imap_conf *conf, int64_t *messages,
    int64_t *uidvalidity, char *detail, size_t dlen)
{
	struct imap_client c;
	const char *err = NULL;
	int64_t next = 0, v = 0, n = 0;
	CURLcode cc = CURLE_FAILED_INIT;

	detail[0] = '\0';
	*messages = *uidvalidity = 0;
	if (imap_client_init(&c, conf) || !c.easy) {
		snprintf(detail, dlen, "folder name cannot be sent");
		err = "folder not found";
		goto out;
	}
	curl_easy_setopt(c.easy, CURLOPT_TIMEOUT,
	    (long)TAME_IMAP_TEST_SECONDS);
	if (imap_client_status(&c) || (cc = run(&c)) != CURLE_OK) {
		err = imap_client_error(&c, cc, detail, dlen);
		goto out;
	}
	if (imap_client_parse_status(&c, uidvalidity, &next, messages)) {
		snprintf(detail, dlen, "no STATUS answer");
		err = "server answered garbage";
		goto out;
	}
	if (conf->after == IMAP_AFTER_MOVE) {
		/* the target folder must exist before the first message */
		buf_reset(&c.qfolder);
		if (buf_addstr(&c.qfolder, buf_str(&c.qmove)) ||
		    imap_client_status(&c) || (cc = run(&c)) != CURLE_OK) {
			err = imap_client_error(&c, cc, detail, dlen);
			if (strcmp(err, "folder not found") == 0)
				err = "move folder not found";
			goto out;
		}
		(void)imap_client_parse_status(&c, &v, &next, &n);
	}
out:
	imap_client_free(&c);
	return err;
}
