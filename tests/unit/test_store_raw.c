/*
 * test_store_raw.c - unit tests of the packed raw copy (store_raw.c)
 * and of store_sync(): raw mail comes back byte for byte whether it was
 * compressed or kept as it was, a row written before packing existed
 * (codec 0) still reads, damaged packed bytes are an error and not a
 * crash, and a lazy-sync connection's commits are made durable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "store/store.h"
#include "core/util.h"
#include "tmpdir.h"

struct fx {
	char dir[64];
	struct store *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tmpdir_make(f->dir, sizeof(f->dir), "raw");
	assert_int_equal(store_open(f->dir, 1, &f->s), TAME_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* A mail of about n bytes of repetitive text, as support mail is. */
static char *
text_mail(size_t n, size_t *len)
{
	struct buf b;
	size_t i;

	buf_init(&b, n + 1024);
	assert_int_equal(buf_addstr(&b, "From: a@b\r\nSubject: packed\r\n\r\n"),
	    TAME_OK);
	for (i = 0; b.len < n; i++)
		assert_int_equal(buf_printf(&b, "line %zu: my password reset "
		    "fails again, please help\r\n", i), TAME_OK);
	*len = b.len;
	return buf_take(&b);
}

static void
test_pack_roundtrip(void **state)
{
	struct raw_packed p;
	struct buf out;
	size_t len, i;
	char *mail = text_mail(20000, &len), noise[4096];
	uint32_t x = 12345;

	(void)state;
	assert_int_equal(store_raw_pack(mail, len, &p), TAME_OK);
	assert_int_equal(p.codec, RAW_CODEC_ZSTD);
	assert_true(p.len < len / 2);
	buf_init(&out, 1 << 20);
	assert_int_equal(store_raw_unpack(p.data, p.len, p.codec, &out),
	    TAME_OK);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, mail, len);
	/* damaged bytes: an error, nothing appended past what was there */
	buf_reset(&out);
	((unsigned char *)p.owned)[p.len / 2] ^= 0x5a;
	((unsigned char *)p.owned)[p.len - 1] ^= 0x5a;
	assert_int_not_equal(store_raw_unpack(p.data, p.len, p.codec, &out),
	    TAME_OK);
	assert_int_not_equal(store_raw_unpack(p.data, 3, p.codec, &out),
	    TAME_OK);
	store_raw_packed_free(&p);
	/* bytes that do not shrink are kept as they are */
	for (i = 0; i < sizeof(noise); i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (char)(x >> 16);
	}
	assert_int_equal(store_raw_pack(noise, sizeof(noise), &p), TAME_OK);
	assert_int_equal(p.codec, RAW_CODEC_NONE);
	assert_ptr_equal(p.data, noise);
	assert_int_equal(p.len, sizeof(noise));
	store_raw_packed_free(&p);
	buf_free(&out);
	free(mail);
}

static void
test_store_packed_and_old_rows(void **state)
{
	struct fx *f = *state;
	struct buf out;
	char path[128], *mail;
	size_t len;
	int64_t id, old;
	sqlite3 *db;

	mail = text_mail(9000, &len);
	assert_int_equal(store_raw_add(f->s, mail, len, "a@b", "c@d", 1000,
	    &id), TAME_OK);
	buf_init(&out, 1 << 20);
	assert_int_equal(store_raw_get(f->s, id, &out), TAME_OK);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, mail, len);
	/* a row as every build before packing wrote it: codec 0 */
	snprintf(path, sizeof(path), "%s/tame.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO raw_messages(data, "
	    "mail_from, rcpts, received_at) VALUES (x'48690d0a', '', '', 1)",
	    NULL, NULL, NULL), SQLITE_OK);
	old = sqlite3_last_insert_rowid(db);
	sqlite3_close(db);
	buf_reset(&out);
	assert_int_equal(store_raw_get(f->s, old, &out), TAME_OK);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "Hi\r\n", 4);
	buf_free(&out);
	free(mail);
}

static void
test_lazy_sync(void **state)
{
	struct fx *f = *state;
	int64_t id;

	assert_int_equal(store_lazy_sync(f->s), TAME_OK);
	assert_int_equal(store_begin(f->s), TAME_OK);
	assert_int_equal(store_raw_add(f->s, "x", 1, "", "", 1, &id), TAME_OK);
	assert_int_equal(store_commit(f->s), TAME_OK);
	assert_int_equal(store_sync(f->s), TAME_OK);
	assert_int_equal(store_sync(f->s), TAME_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_roundtrip),
		cmocka_unit_test_setup_teardown(test_store_packed_and_old_rows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_sync, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
