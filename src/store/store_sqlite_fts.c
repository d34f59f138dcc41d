/*
 * store_sqlite_fts.c - the search index's tokenizer, "tame": the words
 * of core/search_words.c, for the messages and for what is searched.
 *
 * Every connection registers it when it opens (store_sqlite.c), before
 * anything reads or writes messages_fts or the list's temp.pending_fts.
 * A program that opens tame.db without it (the sqlite3 shell) reads
 * every table but those two.
 */
#include <sqlite3.h>
#include "../core/search_words.h"
#include "store_sqlite.h"

/* The tokenizer keeps no state: every instance is this one. */
static char instance;

struct feed {
	void *ctx;
	int (*token)(void *ctx, int tflags, const char *word, int wlen,
	    int start, int end);
};

static int
tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	(void)ctx;
	if (argc > 0)
		return SQLITE_ERROR;	/* "tame" takes no options */
	*out = (Fts5Tokenizer *)&instance;
	return SQLITE_OK;
}

static void
tok_delete(Fts5Tokenizer *tok)
{
	(void)tok;
}

static int
tok_word(void *ctx, const char *word, size_t len, size_t start, size_t end)
{
	struct feed *f = ctx;

	return f->token(f->ctx, 0, word, (int)len, (int)start, (int)end);
}

static int
tok_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text,
    int len, int (*token)(void *, int, const char *, int, int, int))
{
	struct feed f = { ctx, token };
	int rc;

	(void)tok;
	(void)flags;
	if (len <= 0)
		return SQLITE_OK;
	rc = search_words(text, (size_t)len, tok_word, &f);
	return rc < 0 ? SQLITE_NOMEM : rc;
}

/* See store_sqlite.h. */
int
store_sqlite_fts_register(sqlite3 *db)
{
	static fts5_tokenizer tok = { tok_create, tok_delete, tok_tokenize };
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	int src;

	if ((src = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st,
	    NULL)) != SQLITE_OK)
		return src;
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return SQLITE_ERROR;
	return api->xCreateTokenizer(api, "tame", NULL, &tok, NULL);
}
