/*
 * http_spell.h - spell check for the reply composer with hunspell:
 * POST /api/v1/spellcheck {text, lang?} answers the misspelt words
 * with their place in the text and suggestions.
 */
#ifndef TAME_HTTP_SPELL_H
#define TAME_HTTP_SPELL_H

#include "http_util.h"

/* POST /api/v1/spellcheck: 200 {"lang", "misspellings":[{word, offset,
 * length, suggestions}], "truncated"}; 503 spellcheck_unavailable when
 * the language's dictionary is not installed. */
void http_spell_check(struct http_ctx *c);

#endif
