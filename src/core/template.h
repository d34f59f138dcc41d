/*
 * template.h - placeholders in saved replies and mass replies:
 * "Hi {{customer.first_name}}, about ticket {{ticket.id}} ..."
 *
 * Model: a template is plain text; a placeholder is "{{", a name of
 * letters, digits, '_' and '.', optional spaces inside the braces, and
 * "}}". A known name is replaced by its value; anything else (an
 * unknown name, a lone "{{", a name too long) is copied as it stands,
 * so a typo stays visible to the agent instead of silently vanishing.
 * Values are inserted as they are, never expanded again. A known name
 * whose value is empty takes the spaces and tabs before it along, so
 * "Hi {{customer.first_name}}," to someone without a first name reads
 * "Hi,". Pure: no I/O, no allocation beyond the output buffer.
 */
#ifndef TAME_TEMPLATE_H
#define TAME_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

/* Longest placeholder name looked at; longer ones are left as text. */
#define TEMPLATE_NAME_MAX 64

struct template_var {
	const char *name;     /* "customer.first_name" */
	const char *value;    /* NULL counts as "" */
};

/* Appends tpl to out with the placeholders of vars[0..n) replaced (an
 * empty value without the blanks before it). TAME_ETOOBIG when out's cap is reached, TAME_ENOMEM. */
enum tame_err template_expand(const char *tpl, const struct template_var *vars,
    size_t n, struct buf *out);

/* What the placeholders of a reply to one ticket know. Strings are
 * borrowed; any may be NULL. */
struct template_ticket {
	int64_t ticket_id;
	const char *ticket_subject;
	const char *customer_name;
	const char *customer_email;
	const char *agent_name;
	const char *agent_email;
};

/* Appends tpl to out with the reply placeholders expanded:
 * {{customer.first_name}}, {{customer.name}}, {{customer.email}},
 * {{ticket.id}}, {{ticket.subject}}, {{agent.name}},
 * {{agent.first_name}}. A customer without a name is called by their
 * address ({{customer.name}}); their first name is template_first_name's,
 * and may be empty. */
enum tame_err template_render(const char *tpl, const struct template_ticket *t,
    struct buf *out);

/* The first name of a person called name (may be NULL or empty), with
 * email (may be NULL) as the fallback, into out (len bytes, always
 * NUL-terminated; "" when there is none to greet). "Doe, Jane" gives
 * "Jane", "Dr. Jane Doe" "Jane", "MARK EVANS" "Mark" (capitals only
 * become title case), a name in Han, Hangul or Kana the whole name
 * ("李 伟": family name first), a company or a shared desk ("ACME Ltd
 * Accounts", "Billing Team") nothing. Without a name, the first part of
 * the address when it can be a name: "jane.doe@example.org" gives
 * "Jane", "k.t@..." (an initial), "jd@..." and "info@..." nothing. */
void template_first_name(const char *name, const char *email, char *out,
    size_t len);

#endif
