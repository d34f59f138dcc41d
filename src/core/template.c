/*
 * template.c - placeholder expansion for saved and mass replies. See
 * template.h.
 *
 * Model: one pass over the template. At each "{{" the name is read up
 * to "}}"; a known name appends its value, anything else appends the
 * two braces and carries on after them, so the rest of a broken
 * placeholder is copied as ordinary text. Names are matched exactly
 * (case-sensitive), as the saved-reply picker inserts them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "template.h"

/* 1 for the bytes a placeholder name may hold. */
static int
name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
}

/* If p starts a well-formed placeholder "{{ name }}", sets *name and *nlen
 * to the name and returns the length of the whole placeholder; 0
 * otherwise. */
static size_t
placeholder(const char *p, const char **name, size_t *nlen)
{
	const char *q = p + 2, *s;

	while (*q == ' ')
		q++;
	s = q;
	while (name_char(*q))
		q++;
	*name = s;
	*nlen = (size_t)(q - s);
	if (*nlen == 0 || *nlen > TEMPLATE_NAME_MAX)
		return 0;
	while (*q == ' ')
		q++;
	if (q[0] != '}' || q[1] != '}')
		return 0;
	return (size_t)(q + 2 - p);
}

enum tame_err
template_expand(const char *tpl, const struct template_var *vars, size_t n,
    struct buf *out)
{
	const char *p = tpl ? tpl : "", *open, *name;
	enum tame_err rc;
	size_t len, nlen, i;

	while ((open = strstr(p, "{{"))) {
		if ((rc = buf_add(out, p, (size_t)(open - p))))
			return rc;
		p = open;
		len = placeholder(p, &name, &nlen);
		for (i = 0; len && i < n; i++)
			if (strlen(vars[i].name) == nlen &&
			    memcmp(vars[i].name, name, nlen) == 0)
				break;
		if (!len || i == n) {
			/* Not ours: keep the braces and read on after them. */
			if ((rc = buf_add(out, "{{", 2)))
				return rc;
			p += 2;
			continue;
		}
		if (vars[i].value && (rc = buf_addstr(out, vars[i].value)))
			return rc;
		p += len;
	}
	return buf_addstr(out, p);
}

/* Honorifics skipped before a first name (compared without a dot). */
static int
honorific(const char *w, size_t n)
{
	static const char *const titles[] = {
		"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam",
	};
	size_t i;

	if (n && w[n - 1] == '.')
		n--;
	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strlen(titles[i]) == n && strncasecmp(titles[i], w, n) == 0)
			return 1;
	return 0;
}

/* Copies n bytes of s into out (len bytes), cutting at a UTF-8
 * boundary, NUL-terminated. */
static void
copy_word(const char *s, size_t n, char *out, size_t len)
{
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

/* 1 for white space and the quotes people put around names. */
static int
skip_char(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '"' || ch == '\'' ||
	    ch == '\r' || ch == '\n';
}

/* The first name taken from a display name; 0 when there is none. */
static int
from_name(const char *name, char *out, size_t len)
{
	const char *p = name, *comma, *w;
	size_t n;

	/* "Doe, Jane": the given name follows the comma. */
	if ((comma = strchr(name, ',')) && comma[1])
		p = comma + 1;
	for (;;) {
		while (*p && skip_char(*p))
			p++;
		if (!*p)
			return 0;
		w = p;
		while (*p && !skip_char(*p) && *p != ',')
			p++;
		n = (size_t)(p - w);
		/* Skip a title when a name follows it. */
		if (honorific(w, n) && *p) {
			const char *rest = p;

			while (*rest && skip_char(*rest))
				rest++;
			if (*rest)
				continue;
		}
		copy_word(w, n, out, len);
		return 1;
	}
}

/* The first name taken from an address: the local part up to the
 * first '.', '_', '-' or '+', with its first letter in capitals. */
static void
from_email(const char *email, char *out, size_t len)
{
	size_t n = strcspn(email, "@._-+");

	if (n == 0)
		n = strcspn(email, "@");
	copy_word(email, n, out, len);
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

void
template_first_name(const char *name, const char *email, char *out,
    size_t len)
{
	if (len == 0)
		return;
	out[0] = '\0';
	if (name && from_name(name, out, len))
		return;
	if (email)
		from_email(email, out, len);
}

/* 1 if s has something besides white space. */
static int
present(const char *s)
{
	if (!s)
		return 0;
	for (; *s; s++)
		if (!skip_char(*s))
			return 1;
	return 0;
}

enum tame_err
template_render(const char *tpl, const struct template_ticket *t,
    struct buf *out)
{
	char cfirst[TEMPLATE_NAME_MAX * 4], afirst[TEMPLATE_NAME_MAX * 4];
	char tid[24];
	const char *cname;
	struct template_var v[7];

	cname = present(t->customer_name) ? t->customer_name :
	    t->customer_email;
	template_first_name(t->customer_name, t->customer_email, cfirst,
	    sizeof(cfirst));
	template_first_name(t->agent_name, t->agent_email, afirst,
	    sizeof(afirst));
	if (snprintf(tid, sizeof(tid), "%lld", (long long)t->ticket_id) >=
	    (int)sizeof(tid))
		tid[0] = '\0';
	v[0] = (struct template_var){ "customer.first_name", cfirst };
	v[1] = (struct template_var){ "customer.name", cname };
	v[2] = (struct template_var){ "customer.email", t->customer_email };
	v[3] = (struct template_var){ "ticket.id", tid };
	v[4] = (struct template_var){ "ticket.subject", t->ticket_subject };
	v[5] = (struct template_var){ "agent.name", present(t->agent_name) ?
	    t->agent_name : t->agent_email };
	v[6] = (struct template_var){ "agent.first_name", afirst };
	return template_expand(tpl, v, sizeof(v) / sizeof(v[0]), out);
}
