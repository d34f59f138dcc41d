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
	size_t len, nlen, i, lead;

	while ((open = strstr(p, "{{"))) {
		len = placeholder(open, &name, &nlen);
		for (i = 0; len && i < n; i++)
			if (strlen(vars[i].name) == nlen &&
			    memcmp(vars[i].name, name, nlen) == 0)
				break;
		lead = (size_t)(open - p);
		/* an empty value takes the spaces before it along: "Hi
		 * {{customer.first_name}}," without a name is "Hi," */
		if (len && i < n && (!vars[i].value || !*vars[i].value))
			while (lead && (p[lead - 1] == ' ' || p[lead - 1] == '\t'))
				lead--;
		if ((rc = buf_add(out, p, lead)))
			return rc;
		p = open;
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

/* 1 if the n bytes of w, less the dots and commas after them, are one
 * of the nlist words of list (ASCII, any case). */
static int
listed_word(const char *const *list, size_t nlist, const char *w, size_t n)
{
	size_t i;

	while (n && (w[n - 1] == '.' || w[n - 1] == ','))
		n--;
	for (i = 0; i < nlist; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], w, n) == 0)
			return 1;
	return 0;
}

/* Honorifics skipped before a first name (compared without a dot). */
static int
honorific(const char *w, size_t n)
{
	static const char *const titles[] = {
		"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam",
	};

	return listed_word(titles, sizeof(titles) / sizeof(titles[0]), w, n);
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

/* The Unicode code point at *p (UTF-8), moving *p past it; a stray
 * byte is taken as itself. */
static unsigned
next_cp(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned cp = s[0];
	int k = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0, i;

	for (i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			break;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (i <= k) {
		*p += 1;
		return s[0];
	}
	cp &= k == 3 ? 0x1fffff : k == 2 ? 0xffff : k == 1 ? 0x7ff : 0xff;
	*p += (size_t)k + 1;
	return cp;
}

/* 1 if name is written in Han, Hangul or Kana: such a name is not
 * "given name first" (李 伟 is family name Li), and the whole of it is
 * what a letter to that person uses. */
static int
cjk_name(const char *name)
{
	unsigned cp;

	while (*name) {
		cp = next_cp(&name);
		if ((cp >= 0x1100 && cp <= 0x11ff) ||     /* Hangul Jamo */
		    (cp >= 0x3040 && cp <= 0x30ff) ||     /* Hiragana, Katakana */
		    (cp >= 0x3130 && cp <= 0x318f) ||     /* Hangul compat. */
		    (cp >= 0x31f0 && cp <= 0x31ff) ||     /* Katakana ext. */
		    (cp >= 0x3400 && cp <= 0x4dbf) ||     /* Han ext. A */
		    (cp >= 0x4e00 && cp <= 0x9fff) ||     /* Han */
		    (cp >= 0xac00 && cp <= 0xd7af) ||     /* Hangul */
		    (cp >= 0xf900 && cp <= 0xfaff) ||     /* Han compat. */
		    (cp >= 0x20000 && cp <= 0x3134f))     /* Han ext. B-G */
			return 1;
	}
	return 0;
}

/* Legal forms: a name with one after its first word is a company's
 * ("Globex GmbH", "Initech Inc."). "Co" alone is a surname ("Henry
 * Co"); with its dot it is "& Co.". */
static int
legal_form(const char *w, size_t n)
{
	static const char *const words[] = {
		"ltd", "limited", "inc", "llc", "llp", "plc", "gmbh", "ag",
		"kg", "corp", "corporation", "company", "sarl", "sas", "sa",
		"bv", "nv", "pty", "srl", "spa", "oy",
	};

	if (n == 3 && strncasecmp(w, "co.", 3) == 0)
		return 1;
	return listed_word(words, sizeof(words) / sizeof(words[0]), w, n);
}

/* Words no one has for a surname: a name with one of them is a
 * department or a shared mailbox ("ACME Accounts", "Example Support"). */
static int
desk_word(const char *w, size_t n)
{
	static const char *const words[] = {
		"accounts", "accounting", "invoices", "invoicing", "payroll",
		"team", "support", "helpdesk", "department", "dept",
		"noreply", "no-reply", "enquiries", "inquiries",
	};

	return listed_word(words, sizeof(words) / sizeof(words[0]), w, n);
}

/* Words of a shared mailbox that are surnames too ("Maria Sales", "Ana
 * Service"): a name is a desk's only when all its words are desk words
 * ("Sales Office", "Billing Team"). */
static int
desk_or_surname(const char *w, size_t n)
{
	static const char *const words[] = {
		"billing", "finance", "sales", "service", "services", "info",
		"office", "reception", "group", "help", "desk", "admin",
		"contact", "orders",
	};

	return desk_word(w, n) ||
	    listed_word(words, sizeof(words) / sizeof(words[0]), w, n);
}

/* The next word of a name at or after *p and before end (white space,
 * quotes and commas part words), its length in *n; *p moves past it.
 * NULL when there is none. */
static const char *
next_word(const char **p, const char *end, size_t *n)
{
	const char *w;

	while (*p < end && (skip_char(**p) || **p == ','))
		(*p)++;
	if (*p >= end)
		return NULL;
	for (w = *p; *p < end && !skip_char(**p) && **p != ','; (*p)++)
		;
	*n = (size_t)(*p - w);
	return w;
}

/* 1 if the name from p to end is a company's or a desk's: a legal form
 * after its first word, a desk_word, or desk words only. */
static int
company_name(const char *p, const char *end)
{
	const char *w;
	size_t n;
	int first = 1, desk = 1;

	while ((w = next_word(&p, end, &n))) {
		if ((!first && legal_form(w, n)) || desk_word(w, n))
			return 1;
		desk &= desk_or_surname(w, n);
		first = 0;
	}
	return !first && desk;
}

/* The words from p to end that are not honorifics, and in *legal
 * whether all of them are legal forms. */
static size_t
name_words(const char *p, const char *end, int *legal)
{
	const char *w;
	size_t n, count = 0;

	*legal = 1;
	while ((w = next_word(&p, end, &n)))
		if (!honorific(w, n)) {
			*legal &= legal_form(w, n);
			count++;
		}
	return count;
}

/* A word in capitals only ("MARK", "JEAN-PAUL", "ZOË") in title case
 * ("Mark", "Jean-Paul", "Zoë"): ASCII and the Latin-1 letters. A word
 * with a small letter is left as its owner wrote it. */
static void
title_case(char *w)
{
	unsigned char *p;
	int upper = 0, start = 1;

	for (p = (unsigned char *)w; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (p[0] == 0xc3 && p[1] >= 0xa0 &&
		    p[1] <= 0xbf))
			return;
		upper |= (*p >= 'A' && *p <= 'Z') || p[0] == 0xc3;
	}
	/* "DJ", "JR": two capitals are initials more often than a name */
	if (!upper || strlen(w) <= 2)
		return;
	for (p = (unsigned char *)w; *p; p++) {
		if (*p >= 'A' && *p <= 'Z' && !start)
			*p = (unsigned char)(*p - 'A' + 'a');
		else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e &&
		    p[1] != 0x97 && !start)
			p[1] = (unsigned char)(p[1] + 0x20);
		start = *p == '-' || *p == '\'';
		if (p[0] == 0xc3 && p[1])
			p++;
	}
}

/* The first name taken from a display name: 1 when there is one, 0
 * when there is none, -1 when the name is a company's or a desk's (and
 * its address no person's either). */
static int
from_name(const char *name, char *out, size_t len)
{
	const char *p = name, *end, *comma, *w;
	size_t n;
	int legal;

	/* 李 伟, 김민준, やまだ たろう: the whole name, as written */
	if (cjk_name(name)) {
		while (*p && skip_char(*p))
			p++;
		for (end = p + strlen(p); end > p && skip_char(end[-1]); end--)
			;
		copy_word(p, (size_t)(end - p), out, len);
		return *out != '\0';
	}
	/* "Jane Doe | Support Engineer": what follows the bar is a title */
	end = name + strcspn(name, "|");
	if ((comma = memchr(name, ',', (size_t)(end - name)))) {
		/* "Jane Doe, Support Engineer, Globex": a full name, then who
		 * the person is, unless that is a legal form ("Acme Widgets,
		 * Inc."); "Doe, Jane" and "Smith, Anna (Finance)": the given
		 * name follows the comma. */
		if (name_words(name, comma, &legal) >= 2) {
			(void)name_words(comma + 1, end, &legal);
			if (!legal)
				end = comma;
		} else
			p = comma + 1;
	}
	if (company_name(name, end))
		return -1;
	while ((w = next_word(&p, end, &n))) {
		/* Skip a title when a name follows it. */
		if (honorific(w, n)) {
			const char *rest = p;

			while (rest < end && skip_char(*rest))
				rest++;
			if (rest < end)
				continue;
		}
		copy_word(w, n, out, len);
		title_case(out);
		return 1;
	}
	return 0;
}

/* The first name taken from an address: the local part up to the
 * first '.', '_', '-' or '+', with its first letter in capitals, when
 * it can be a name: two letters or more with a vowel among them, and
 * no shared mailbox ("k.t@" is an initial, "jd@" initials, "info@" a
 * desk; none of them is a name to greet). */
static void
from_email(const char *email, char *out, size_t len)
{
	size_t n = strcspn(email, "@._-+"), i;
	int vowel = 0;

	out[0] = '\0';
	if (n < 2 || email[n] == '\0' || desk_or_surname(email, n) ||
	    legal_form(email, n))
		return;
	for (i = 0; i < n; i++) {
		char ch = (char)(email[i] | 0x20);

		if (ch < 'a' || ch > 'z')
			return;
		vowel |= strchr("aeiouy", ch) != NULL;
	}
	if (!vowel)
		return;
	copy_word(email, n, out, len);
	out[0] = (char)(out[0] & ~0x20);
}

void
template_first_name(const char *name, const char *email, char *out,
    size_t len)
{
	if (len == 0)
		return;
	out[0] = '\0';
	/* a mail program that puts the address where the name goes */
	if (name && strchr(name, '@')) {
		email = name;
		name = NULL;
	}
	if (name && from_name(name, out, len) != 0)
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
