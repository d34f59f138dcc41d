/*
 * model.h - the plain structs of the help desk that several modules share:
 * ticket status and priority, agents, mailboxes, and a new message as the
 * ingest path and the API hand it to the store.
 *
 * Strings in these structs are heap-allocated and owned by the struct;
 * each *_clear() frees them and zeroes the struct.
 */
#ifndef TAME_MODEL_H
#define TAME_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

enum ticket_status {
	TICKET_NEW = 0,
	TICKET_OPEN,
	TICKET_PENDING,
	TICKET_SOLVED,
	TICKET_CLOSED,
	TICKET_STATUS_COUNT
};

enum ticket_priority {
	PRIORITY_LOW = 0,
	PRIORITY_NORMAL,
	PRIORITY_HIGH,
	PRIORITY_URGENT,
	PRIORITY_COUNT
};

enum agent_role { ROLE_AGENT = 0, ROLE_ADMIN = 1 };

enum msg_direction { MSG_IN = 0, MSG_OUT, MSG_NOTE };

enum delivery_state {
	DELIVERY_NONE = 0, /* inbound messages and notes */
	DELIVERY_QUEUED,
	DELIVERY_SENT,
	DELIVERY_FAILED
};

/* Names as the API spells them ("new", "open", ...). Static strings. */
const char *ticket_status_name(enum ticket_status st);
/* Parses a name; TAME_EINVAL if unknown. */
enum tame_err ticket_status_parse(const char *s, enum ticket_status *out);
const char *ticket_priority_name(enum ticket_priority p);
enum tame_err ticket_priority_parse(const char *s, enum ticket_priority *out);
const char *agent_role_name(enum agent_role r);
enum tame_err agent_role_parse(const char *s, enum agent_role *out);
const char *msg_direction_name(enum msg_direction d);
const char *delivery_state_name(enum delivery_state d); /* NULL for NONE */

struct agent {
	int64_t id;
	char *email;
	char *name;
	enum agent_role role;
	char *pw_hash;      /* argon2id string from libsodium, may be NULL */
	int disabled;
	int64_t created_at;
};
void agent_clear(struct agent *a);
/* An agent's name as it is kept, from s (UTF-8): without bidi controls
 * (tame_bidi_strip, as a mail's display name loses them: "<RLO>nimdA"
 * would show as "Admin") or other invisible characters (Unicode's
 * format and default-ignorable ones: U+200B, U+2060, U+FEFF, U+3164),
 * each run of white space one space and none around it, in NFC
 * (tame_tag_norm, as tags). The joiners U+200C/D and variation
 * selectors stay, which Persian and Indic names and emoji need, but a
 * name of nothing else is nothing. A new string (caller frees), "" when
 * nothing visible is left; NULL when out of memory or s is not UTF-8. */
char *agent_name_clean(const char *s);
/* 1 if the cleaned names a and b are one name to a reader: the same
 * but for case and compatibility forms ("ADA", "ada", fullwidth "Ａｄａ";
 * utf8proc's NFKC_Casefold); 0 otherwise, and when out of memory. */
int agent_name_same(const char *a, const char *b);
/* Why email (an address reply_addr_valid takes) cannot be an agent's,
 * or NULL when it can: its domain has an empty label, such as the
 * trailing dot of "eve@team.test.", which RFC 5321's Domain does not
 * allow and which would make a second account for eve@team.test.
 * Static text. */
const char *agent_email_problem(const char *email);

struct mailbox {
	int64_t id;
	char *address;      /* lower-case */
	char *name;
	int ack_enabled;
	char *ack_template; /* may contain {{ticket.id}}, {{ticket.subject}} */
	int64_t created_at;
};
void mailbox_clear(struct mailbox *m);

/* What threading needs to know about an existing ticket. */
struct ticket_ref {
	int64_t id;
	enum ticket_status status;
	int64_t mailbox_id;
	int64_t customer_id;
	int64_t updated_at;
	int64_t closed_at;  /* 0 unless closed */
};

/* A message to be stored. All strings borrowed from the caller. */
struct message_new {
	int64_t ticket_id;
	enum msg_direction direction;
	const char *from_email;
	const char *from_name;
	const char *to_json;      /* JSON array of addresses, may be NULL */
	const char *cc_json;      /* JSON array of addresses, may be NULL */
	const char *subject;
	const char *text;
	const char *html;         /* sanitised HTML or NULL */
	const char *message_id;   /* without <>, may be NULL for notes */
	const char *in_reply_to;
	const char *references;   /* space-separated ids without <> */
	int64_t raw_id;           /* row of the raw message, 0 if none */
	int64_t agent_id;         /* author of out/note, 0 otherwise */
	enum delivery_state delivery;
	int unparsed;             /* 1: raw kept, content unknown */
	int auto_submitted;       /* 1: automatic mail (RFC 3834 etc.) */
	int quiet;                /* 1: it answers ours by itself (an
	                             out-of-office, a read receipt, a
	                             delivery report): not the list's
	                             preview nor the customer's last word */
	int late;                 /* 1: written before a message its ticket
	                             holds (that answer came first): not
	                             the list's preview */
	int orphan;               /* 1: its In-Reply-To and References
	                             name no message held: the first of
	                             those to come finds it by any of them
	                             (message_waits) */
	int64_t created_at;
	size_t preview_len;       /* bytes of text the list preview reads
	                             (the new text, before quoted history
	                             or a signature); 0: all of it */
};

#endif
