/*
 * http_avatar.c - avatar URLs in the views of agents. See
 * http_avatar.h.
 *
 * Model: the URL carries the time the avatar was set (?v=), so a new
 * picture is a new URL; the image itself is served by
 * http_profile_avatar_get(), which lets the browser keep it for good
 * when asked under its current version. The inbox shows every
 * assignee's avatar from the agents' list it already holds, without a
 * request per row and without asking again on the next page load.
 */
#include <stdio.h>
#include <string.h>
#include "http_avatar.h"
#include "../store/store.h"
#include "../store/store_desk.h"

json_t *
http_avatar_url(int64_t id, int64_t at)
{
	char url[96];

	if (at <= 0)
		return json_null();
	if (snprintf(url, sizeof(url), "/api/v1/agents/%lld/avatar?v=%lld",
	    (long long)id, (long long)at) >= (int)sizeof(url))
		return NULL;
	return json_string(url);
}

enum tame_err
http_avatar_add_urls(struct store *s, json_t *agents)
{
	struct store_profile p;
	json_t *a;
	json_int_t id;
	int64_t at;
	enum tame_err rc;
	size_t i;

	json_array_foreach(agents, i, a) {
		id = json_integer_value(json_object_get(a, "id"));
		memset(&p, 0, sizeof(p));
		if ((rc = store_desk_profile_get(s, id, &p)))
			return rc;
		at = p.avatar_at;
		store_profile_clear(&p);
		if (json_object_set_new(a, "avatar_url",
		    http_avatar_url(id, at)))
			return TAME_ENOMEM;
	}
	return TAME_OK;
}
