/*
 * model.c - names and parsers of the shared enums; struct cleanup.
 */
#include <stdlib.h>
#include <string.h>
#include "model.h"

static const char *status_names[TICKET_STATUS_COUNT] = {
	"new", "open", "pending", "solved", "closed"
};
static const char *priority_names[PRIORITY_COUNT] = {
	"low", "normal", "high", "urgent"
};

static enum tame_err
name_lookup(const char *const *names, int n, const char *s, int *out)
{
	int i;

	if (!s)
		return TAME_EINVAL;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return TAME_OK;
		}
	}
	return TAME_EINVAL;
}

const char *
ticket_status_name(enum ticket_status st)
{
	return (unsigned)st < TICKET_STATUS_COUNT ? status_names[st] : "new";
}

enum tame_err
ticket_status_parse(const char *s, enum ticket_status *out)
{
	int v;
	enum tame_err rc = name_lookup(status_names, TICKET_STATUS_COUNT, s, &v);

	if (rc == TAME_OK)
		*out = (enum ticket_status)v;
	return rc;
}

const char *
ticket_priority_name(enum ticket_priority p)
{
	return (unsigned)p < PRIORITY_COUNT ? priority_names[p] : "normal";
}

enum tame_err
ticket_priority_parse(const char *s, enum ticket_priority *out)
{
	int v;
	enum tame_err rc = name_lookup(priority_names, PRIORITY_COUNT, s, &v);

	if (rc == TAME_OK)
		*out = (enum ticket_priority)v;
	return rc;
}

const char *
agent_role_name(enum agent_role r)
{
	return r == ROLE_ADMIN ? "admin" : "agent";
}

enum tame_err
agent_role_parse(const char *s, enum agent_role *out)
{
	if (s && strcmp(s, "admin") == 0)
		*out = ROLE_ADMIN;
	else if (s && strcmp(s, "agent") == 0)
		*out = ROLE_AGENT;
	else
		return TAME_EINVAL;
	return TAME_OK;
}

const char *
msg_direction_name(enum msg_direction d)
{
	return d == MSG_OUT ? "out" : d == MSG_NOTE ? "note" : "in";
}

const char *
delivery_state_name(enum delivery_state d)
{
	switch (d) {
	case DELIVERY_QUEUED: return "queued";
	case DELIVERY_SENT: return "sent";
	case DELIVERY_FAILED: return "failed";
	default: return NULL;
	}
}

void
agent_clear(struct agent *a)
{
	free(a->email);
	free(a->name);
	free(a->pw_hash);
	memset(a, 0, sizeof(*a));
}

void
mailbox_clear(struct mailbox *m)
{
	free(m->address);
	free(m->name);
	free(m->ack_template);
	memset(m, 0, sizeof(*m));
}
