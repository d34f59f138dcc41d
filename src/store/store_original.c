/*
 * store_original.c - the public store_message_original and
 * store_message_html: argument checks, then a call through the engine's
 * table. Knows no SQL, like store.c. See store.h.
 */
#include "store_backend.h"

#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		store_set_errmsg(s, "%s: bad argument (%s)", __func__,	\
		    #cond);						\
		return TAME_EINVAL;					\
	}								\
} while (0)

enum tame_err
store_message_original(struct store *s, int64_t tid, int64_t mid,
    int *sent, struct buf *out)
{
	REQUIRE(s && sent && out);
	if (!s->be->message_original)
		return TAME_ENOTFOUND;
	return s->be->message_original(s, tid, mid, sent, out);
}

enum tame_err
store_message_html(struct store *s, int64_t tid, int64_t mid,
    struct buf *out)
{
	REQUIRE(s && out);
	if (!s->be->message_html)
		return TAME_ENOTFOUND;
	return s->be->message_html(s, tid, mid, out);
}
