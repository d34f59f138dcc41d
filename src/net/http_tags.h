/*
 * http_tags.h - the tags admin endpoints: PATCH /api/v1/tags/NAME
 * (rename, merging into a tag already in use) and DELETE
 * /api/v1/tags/NAME (remove from every ticket). GET /api/v1/tags, the
 * list, is http_desk_tags().
 */
#ifndef TAME_HTTP_TAGS_H
#define TAME_HTTP_TAGS_H

#include <stddef.h>
#include "http_util.h"

/* Decodes the tag named by path, "/api/v1/tags/NAME" with NAME
 * percent-encoded (RFC 3986 2.1; a raw '/' is part of NAME too), into
 * out (outlen bytes, NUL-terminated). 0, or -1 when path has another
 * prefix, a broken %-escape, or NAME is empty, longer than
 * TAME_FIELD_MAX bytes or holds a control character. Pure, for the
 * fuzz target. */
int http_tags_name(const char *path, char *out, size_t outlen);

/* PATCH /api/v1/tags/NAME {name}: admins only. */
void http_tags_rename(struct http_ctx *c);
/* DELETE /api/v1/tags/NAME: admins only. */
void http_tags_delete(struct http_ctx *c);

#endif
