/*
 * store_raw.c - the form in which the store keeps raw mail. See store.h
 * (store_raw_pack, store_raw_unpack).
 *
 * Model: every accepted mail is kept byte for byte (DESIGN.md, "no mail
 * is lost"), and at a few thousand mails a second those bytes are most
 * of what the writer writes: a 4 kB mail took a table row and an
 * overflow page of its own. Mail is text and compresses about threefold
 * with zstd at its fastest level (RFC 8878 frames, content size in the
 * header), so the raw copy is packed before it reaches the store, on
 * the thread that parsed the message, not on the single writer's. Mail
 * that does not shrink by an eighth (already compressed attachments) is
 * kept as it is. Both backends store (bytes, codec); codec 0 is the
 * bytes themselves, so rows written before packing existed read as
 * they always did.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "../tame_limits.h"
#include "store.h"

/* zstd's fastest regular level: about 3.5x on mail text for ~10 us per
 * 4 kB; higher levels gain a few per cent for twice the time. */
#define RAW_ZSTD_LEVEL 1

static pthread_once_t cctx_once = PTHREAD_ONCE_INIT;
static pthread_key_t cctx_key;
static int cctx_key_ok;

static void
cctx_free(void *p)
{
	ZSTD_freeCCtx(p);
}

static void
cctx_key_make(void)
{
	cctx_key_ok = pthread_key_create(&cctx_key, cctx_free) == 0;
}

/* A compression context per thread: making one costs more than
 * compressing a small mail. NULL when out of memory. */
static ZSTD_CCtx *
cctx_get(void)
{
	ZSTD_CCtx *c;

	pthread_once(&cctx_once, cctx_key_make);
	if (!cctx_key_ok)
		return NULL;
	if ((c = pthread_getspecific(cctx_key)))
		return c;
	if (!(c = ZSTD_createCCtx()))
		return NULL;
	/* the frame's checksum makes a damaged row an error on reading,
	 * not other bytes */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel,
	    RAW_ZSTD_LEVEL)) || ZSTD_isError(ZSTD_CCtx_setParameter(c,
	    ZSTD_c_checksumFlag, 1)) || pthread_setspecific(cctx_key, c) != 0) {
		ZSTD_freeCCtx(c);
		return NULL;
	}
	return c;
}

/* See store.h. Out of memory for the packing leaves the bytes as they
 * are: packing is a saving, never a reason to refuse mail. */
enum tame_err
store_raw_pack(const char *raw, size_t len, struct raw_packed *out)
{
	ZSTD_CCtx *c;
	size_t cap, n;
	void *z;

	memset(out, 0, sizeof(*out));
	out->data = raw;
	out->len = len;
	out->codec = RAW_CODEC_NONE;
	if (len < 256)
		return TAME_OK;	/* too small to gain anything */
	cap = len - len / 8;
	if (!(c = cctx_get()) || !(z = malloc(cap)))
		return TAME_OK;
	n = ZSTD_compress2(c, z, cap, raw, len);
	if (ZSTD_isError(n)) {	/* did not fit in cap: not worth it */
		free(z);
		return TAME_OK;
	}
	out->data = z;
	out->len = n;
	out->codec = RAW_CODEC_ZSTD;
	out->owned = z;
	return TAME_OK;
}

/* See store.h. */
void
store_raw_packed_free(struct raw_packed *p)
{
	if (!p)
		return;
	free(p->owned);
	memset(p, 0, sizeof(*p));
}

/* See store.h. The size in the frame's header is checked against the
 * largest mail accepted before anything is allocated: the bytes come
 * from our own store, but a damaged row must not make us allocate
 * gigabytes. */
enum tame_err
store_raw_unpack(const void *data, size_t len, int codec, struct buf *out)
{
	unsigned long long size;
	enum tame_err rc;
	void *p;
	size_t n;

	if (codec == RAW_CODEC_NONE)
		return buf_add(out, len ? data : "", len);
	if (codec != RAW_CODEC_ZSTD)
		return TAME_ESTORE;
	size = ZSTD_getFrameContentSize(data, len);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR ||
	    size > (unsigned long long)TAME_SMTP_MESSAGE_MAX * 2)
		return TAME_ESTORE;
	if (!(p = malloc(size ? (size_t)size : 1)))
		return TAME_ENOMEM;
	n = ZSTD_decompress(p, (size_t)size, data, len);
	if (ZSTD_isError(n) || n != size)
		rc = TAME_ESTORE;
	else
		rc = buf_add(out, p, n);
	free(p);
	return rc;
}
