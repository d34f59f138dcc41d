/*
 * ours.c - which addresses of incoming mail are the team's own. See
 * ours.h.
 */
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "../tame_limits.h"
#include "ours.h"

int
ours_mailbox(struct store *s, const char *addr)
{
	struct mailbox mb;
	enum tame_err rc;

	if (!addr || !*addr)
		return 0;
	memset(&mb, 0, sizeof(mb));
	rc = store_mailbox_by_address(s, addr, &mb);
	mailbox_clear(&mb);
	return rc == TAME_OK;
}

int
ours_domain(struct store *s, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL, *a, *d;
	json_t *view = NULL, *mb;
	size_t i, n, dn;
	int ours = 0;

	if (!at || store_mailboxes_view(s, &view))
		return 0;
	n = strlen(++at);
	json_array_foreach(json_object_get(view, "mailboxes"), i, mb) {
		a = json_string_value(json_object_get(mb, "address"));
		if (!a || !(d = strrchr(a, '@')) || (dn = strlen(++d)) > n)
			continue;
		if (strcasecmp(at + n - dn, d) == 0 && (dn == n ||
		    at[n - dn - 1] == '.'))
			ours = 1;
	}
	json_decref(view);
	return ours;
}

/* A List-Id is the address with its @ made a dot; a local part may
 * hold dots of its own (help.desk@example.com), so each dot is tried
 * as the @: a few lookups at most. */
int
ours_group(struct store *s, const char *list_id)
{
	char addr[TAME_FIELD_MAX + 1];
	const char *dot;
	size_t n;

	if (!list_id || (n = strlen(list_id)) >= sizeof(addr))
		return 0;
	for (dot = strchr(list_id, '.'); dot; dot = strchr(dot + 1, '.')) {
		memcpy(addr, list_id, n + 1);
		addr[dot - list_id] = '@';
		if (ours_mailbox(s, addr))
			return 1;
	}
	return 0;
}
