/*
 * http_first.h - the agents' page with the first rows of its first view
 * in it, painted before the app's scripts run.
 */
#ifndef TAME_HTTP_FIRST_H
#define TAME_HTTP_FIRST_H

#include <stddef.h>
#include "http_util.h"

/* Answers page[0..len) (index.html) with the Unassigned view's list head
 * and first rows drawn into its <main>, for the agent the caller has
 * found (c->store open). 0 when answered; -1 when nothing was (a store
 * error, a page without the expected elements): the caller serves the
 * page as it is. */
int http_first_page(struct http_ctx *c, const unsigned char *page,
    size_t len);

#endif
