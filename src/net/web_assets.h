/*
 * web_assets.h - the static web files compiled into tamed by
 * scripts/embed.sh (build/web_assets.c).
 */
#ifndef TAME_WEB_ASSETS_H
#define TAME_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;          /* "/index.html" */
	const char *content_type;
	const char *etag;          /* "\"hex\"": changes with the bytes */
	const unsigned char *data; /* NUL after the last byte */
	size_t len;
};

/* Terminated by an entry with path NULL. */
extern const struct web_asset web_assets[];

#endif
