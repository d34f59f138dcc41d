/*
 * thread.c - threading rules for incoming mail. See thread.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <utf8proc.h>
#include "thread.h"

static void
decide_for(const struct ticket_ref *ref, int automatic,
    struct thread_decision *out)
{
	out->ticket_id = ref->id;
	/* a person writing to a closed case starts a new one; an
	 * out-of-office reply to our last answer is no new case */
	if (ref->status == TICKET_CLOSED && !automatic) {
		out->action = THREAD_NEW_LINKED;
		return;
	}
	out->action = THREAD_APPEND;
	if (!automatic && (ref->status == TICKET_PENDING ||
	    ref->status == TICKET_SOLVED)) {
		out->set_status = 1;
		out->status = TICKET_OPEN;
	}
}

void
thread_decide(const struct thread_input *in, struct thread_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->action = THREAD_NEW_TICKET;
	if (in->has_header_match)
		decide_for(&in->header_ref, in->automatic || in->archive, out);
	else if (in->has_token_match && in->token_sender_participant)
		decide_for(&in->token_ref, in->automatic || in->archive, out);
}

int64_t
thread_subject_token(const char *subject)
{
	const char *p;
	int64_t found = 0;

	if (!subject)
		return 0;
	for (p = subject; (p = strstr(p, "[#")) != NULL; p++) {
		const char *q = p + 2;
		int64_t v = 0;
		int digits = 0;

		while (isdigit((unsigned char)*q) && digits < 18) {
			v = v * 10 + (*q - '0');
			q++;
			digits++;
		}
		if (digits > 0 && *q == ']' && v > 0)
			found = v;
	}
	return found;
}

/* Length of a reply/forward prefix at s ("Re:", "RE :", "Fwd:", "AW:",
 * "Re[2]:"; Outlook's and other mail programs' in German, Dutch,
 * Italian, Polish, Turkish, the Scandinavian languages, Chinese and
 * Japanese, where the colon may be a full-width one), 0 if none. */
static size_t
prefix_len(const char *s)
{
	/* not the short ones that start ordinary subjects too ("RV:
	 * awning motor", "VB: runtime error", "R: package"): Italian R:
	 * and I:, French TR:, Spanish RV:, Portuguese RES: and ENC: */
	static const char *pfx[] = { "re", "fwd", "fw", "aw", "sv", "vs",
		"wg", "antw", "doorst", "odp", "rif", "ynt",
		"\xe5\x9b\x9e\xe5\xa4\x8d",	/* 回复 */
		"\xe5\x9b\x9e\xe8\xa6\x86",	/* 回覆 */
		"\xe7\xad\x94\xe5\xa4\x8d",	/* 答复 */
		"\xe8\xbd\xac\xe5\x8f\x91",	/* 转发 */
		"\xe8\xbd\x89\xe5\xaf\x84",	/* 轉寄 */
		"\xe8\xbf\x94\xe4\xbf\xa1",	/* 返信 */
		"\xe8\xbb\xa2\xe9\x80\x81",	/* 転送 */
		NULL };
	size_t i, n;
	const char *p;

	for (i = 0; pfx[i]; i++) {
		n = strlen(pfx[i]);
		if (strncasecmp(s, pfx[i], n) != 0)
			continue;
		p = s + n;
		if (*p == '[') {
			while (isdigit((unsigned char)*++p))
				;
			if (*p != ']')
				continue;
			p++;
		}
		while (*p == ' ')
			p++;
		if (*p == ':')
			return (size_t)(p + 1 - s);
		if (strncmp(p, "\xef\xbc\x9a", 3) == 0)	/* ： */
			return (size_t)(p + 3 - s);
	}
	return 0;
}

/* Length of the out-of-office phrase at s when one of list follows,
 * with its colon ("Automatic reply :", "自动回复："), else 0. */
static size_t
ooo_len(const char *s, const char *const *list)
{
	const char *p;
	size_t i, n;

	for (i = 0; list[i]; i++) {
		n = strlen(list[i]);
		if (strncasecmp(s, list[i], n) != 0)
			continue;
		/* French puts a (no-break) space before its colon */
		for (p = s + n; *p == ' ' || strncmp(p, "\xc2\xa0", 2) == 0;
		    p += *p == ' ' ? 1 : 2)
			;
		if (*p == ':')
			return (size_t)(p + 1 - s);
		if (strncmp(p, "\xef\xbc\x9a", 3) == 0)	/* ： */
			return (size_t)(p + 3 - s);
	}
	return 0;
}

int
thread_subject_auto_reply(const char *subject, int is_reply)
{
	/* only an autoresponder starts a subject with these: Outlook's
	 * "Automatic reply" in its languages, Exchange's and Notes'
	 * older ones */
	static const char *const sure[] = { "automatic reply",
		"out of office autoreply", "out of office",
		"automatische antwort", "abwesenheitsnotiz",
		"r\xc3\xa9ponse automatique",		/* French */
		"respuesta autom\xc3\xa1tica",		/* Spanish */
		"resposta autom\xc3\xa1tica",		/* Portuguese */
		"risposta automatica", "automatisch antwoord",
		"autosvar", "automatiskt svar", "automatisk svar",
		"automaattinen vastaus",
		"automatyczna odpowied\xc5\xba",		/* Polish */
		"automatick\xc3\xa1 odpov\xc4\x9b\xc4\x8f",	/* Czech */
		"automatikus v\xc3\xa1lasz",		/* Hungarian */
		"otomatik yan\xc4\xb1t",			/* Turkish */
		"\xd0\x90\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbc\xd0\xb0"
		"\xd1\x82\xd0\xb8\xd1\x87\xd0\xb5\xd1\x81\xd0\xba"
		"\xd0\xb8\xd0\xb9 \xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5"
		"\xd1\x82",				/* Автоматический ответ */
		"\xe8\x87\xaa\xe5\x8a\xa8\xe5\x9b\x9e\xe5\xa4\x8d",	/* 自动回复 */
		"\xe8\x87\xaa\xe5\x8b\x95\xe5\x9b\x9e\xe8\xa6\x86",	/* 自動回覆 */
		"\xe8\x87\xaa\xe5\x8b\x95\xe5\xbf\x9c\xe7\xad\x94",	/* 自動応答 */
		NULL };
	/* a person may start a subject so too ("Auto: engine light") */
	static const char *const if_reply[] = { "auto", "autoreply",
		"auto-reply", "auto reply", NULL };
	utf8proc_uint8_t *fold = NULL;
	const char *s;
	size_t n;
	int sure_one, found = 0;

	if (!subject)
		return 0;
	/* "RÉPONSE AUTOMATIQUE" as "réponse automatique"; an invalid
	 * subject is compared as it is, in ASCII case only */
	if (utf8proc_map((const utf8proc_uint8_t *)subject, 0, &fold,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	    UTF8PROC_CASEFOLD) < 0)
		fold = NULL;
	s = fold ? (const char *)fold : subject;
	while (*s == ' ' || *s == '\t')
		s++;
	if ((n = ooo_len(s, sure)))
		sure_one = 1;
	else if ((n = ooo_len(s, if_reply)))
		sure_one = 0;
	else
		goto out;
	for (s += n; *s == ' ' || *s == '\t'; s++)
		;
	/* what follows answers something: a reply's prefix or a ticket
	 * token, or (for the sure phrases) the headers of a reply */
	found = prefix_len(s) > 0 || strstr(s, "[#") != NULL ||
	    (sure_one && is_reply);
out:
	free(fold);
	return found;
}

void
thread_reply_subject(const char *subject, int64_t id, char *out,
    size_t outlen)
{
	char clean[1024];
	const char *s = subject ? subject : "";
	size_t n, o = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if ((n = prefix_len(s)) == 0)
			break;
		s += n;
	}
	/* copy, dropping "[#digits]" tokens */
	while (*s && o + 1 < sizeof(clean)) {
		if (s[0] == '[' && s[1] == '#') {
			const char *q = s + 2;

			while (isdigit((unsigned char)*q))
				q++;
			if (q > s + 2 && *q == ']') {
				s = q + 1;
				continue;
			}
		}
		clean[o++] = *s++;
	}
	while (o > 0 && (clean[o - 1] == ' ' || clean[o - 1] == '\t'))
		o--;
	clean[o] = '\0';
	if (snprintf(out, outlen, "Re: %s [#%lld]", clean, (long long)id) < 0)
		out[0] = '\0';
}
