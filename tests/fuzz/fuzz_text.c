/*
 * fuzz_text.c - libFuzzer target for the queue intelligence's readers of
 * customer text: the quote/signature cut and the closing line, the
 * tokenising and stemming pipeline and the tone analysis (with the
 * register and the urgency reason), and the words the search index
 * keeps, all fed with arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/search_words.h"
#include "core/text.h"
#include "core/tone.h"

/* Each word lies inside the text and is not empty. */
static int
check_word(void *ctx, const char *word, size_t len, size_t start,
    size_t end)
{
	if (len == 0 || start >= end || end > *(size_t *)ctx || !word)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct text_pipeline *tp;
	const char *s = (const char *)data;
	enum text_cut_kind kind;
	struct text_doc doc;
	struct tone t;
	size_t cut;
	json_t *j;

	if (!tp && !(tp = text_pipeline_new()))
		abort();
	if (search_words(s, size, check_word, &size) != 0)
		abort();
	cut = text_cut(s, size, &kind);
	if (cut > size)
		abort();
	if (text_closing(s, cut) > cut)
		abort();
	/* as tamed reads a message: the tone of its new text */
	(void)tone_analyze(s, cut, &t);
	text_doc_init(&doc);
	(void)text_analyse(tp, s, size, 1, &doc);
	text_doc_free(&doc);
	if (tone_analyze(s, size, &t) == 0) {
		char why[160];
		size_t i;

		if (t.sentiment < -1.0 || t.sentiment > 1.0)
			abort();
		if (t.n_reg_evidence > TONE_REG_EVIDENCE)
			abort();
		for (i = 0; i < t.n_reg_evidence; i++)
			if (strnlen(t.reg_evidence[i], TONE_EVIDENCE_TEXT) >=
			    TONE_EVIDENCE_TEXT)
				abort();
		tone_urgency_reason(&t, why, sizeof(why));
		if (strnlen(why, sizeof(why)) >= sizeof(why))
			abort();
		if ((j = tone_to_json(&t)) != NULL)
			json_decref(j);
	}
	return 0;
}
