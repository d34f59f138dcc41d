# Tame - plain GNU Makefile with pkg-config.
#
#   make          build build/tamed and build/tame
#   make run      install what is missing, build, start tamed on ./var
#   make check    install, build, run unit, end-to-end, browser and
#                 sanitizer tests
#   make browser  the web app in headless chromium (tests/browser)
#   make asan     unit and end-to-end tests under ASan+UBSan
#   make fuzz     each libFuzzer target for FUZZ_SECONDS (60)
#   make bench    the benchmarks, each figure beside its target
#   make clean

CC      ?= cc
PYTHON  ?= /usr/bin/python3
PKGS    := libulfius libmicrohttpd jansson sqlite3 gmime-3.0 libcurl libsodium gumbo libutf8proc hunspell libzstd zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Isrc -D_GNU_SOURCE
LDLIBS  := $(PKG_LIBS) -lstemmer -lpthread -lm

B       ?= build
LIB_SRC := $(wildcard src/core/*.c src/store/*.c src/mail/*.c)
NET_SRC := $(wildcard src/net/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
WEB_SRC := $(wildcard web/*.html web/*.js web/*.css)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
NET_OBJ := $(NET_SRC:%.c=$(B)/obj/%.o) $(B)/obj/web_assets.o
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all run check unit e2e browser asan fuzz fuzzobjs objs bench eval clean deps
all: $(B)/tamed $(B)/tame

deps:
	@./scripts/deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# Static web files compiled into the binary: one file is the whole server.
$(B)/web_assets.c: $(WEB_SRC) scripts/embed.sh
	@mkdir -p $(dir $@)
	./scripts/embed.sh $(WEB_SRC) > $@
$(B)/obj/web_assets.o: $(B)/web_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Word lists compiled into the binary (scripts/lexicon.sh): each
# data/NAME_lexicon.txt becomes $(B)/gen/NAME_lexicon.inc, included by the
# core module that owns it, so no binary needs a data directory.
LEX_INC := $(patsubst data/%.txt,$(B)/gen/%.inc,$(wildcard data/*_lexicon.txt))
$(B)/gen/%_lexicon.inc: data/%_lexicon.txt scripts/lexicon.sh
	@mkdir -p $(dir $@)
	./scripts/lexicon.sh $< > $@.tmp && mv $@.tmp $@
# Snowball's stop lists of the languages core/lang.c tells apart, from
# Perl's Lingua::StopWords (scripts/stopwords.sh; Debian's
# liblingua-stopwords-perl).
STOP_LANGS := da de en es fi fr hu it nl no pt ru sv
$(B)/gen/stopwords.inc: scripts/stopwords.sh
	@mkdir -p $(dir $@)
	./scripts/stopwords.sh $(STOP_LANGS) > $@.tmp && mv $@.tmp $@
$(LIB_OBJ): ALL_CFLAGS += -I$(B)/gen
$(LIB_OBJ): | $(LEX_INC) $(B)/gen/stopwords.inc

$(B)/tamed: $(B)/obj/src/tamed.o $(NET_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tame: $(CLI_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(LIB_OBJ) $(filter-out $(B)/obj/src/tamed.o,$(NET_OBJ))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

run: deps all
	./scripts/run.sh

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

e2e: all
	TAME_BUILD=$(B) $(PYTHON) -m pytest -q tests/e2e

# The web app in Debian's chromium, driven by playwright-core (npm; into
# tests/browser/node_modules, once). TAME_SCREENSHOTS=docs also renews
# the screenshots in docs/.
BROWSER_STAMP := tests/browser/node_modules/.package-lock.json
$(BROWSER_STAMP): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
browser: all $(BROWSER_STAMP)
	cd tests/browser && TAME_BUILD=$(abspath $(B)) node run.mjs

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) e2e
	$(MAKE) browser
	$(MAKE) asan

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan:
	$(MAKE) B=build/asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" unit e2e

FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
objs: $(LIB_OBJ) $(NET_OBJ)
fuzzobjs:
	$(MAKE) B=build/fuzzobj CC=clang WARN="-Wall -Wextra -Wno-unused-parameter" \
	    CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" objs
build/fuzz/%: tests/fuzz/%.c fuzzobjs
	@mkdir -p $(dir $@)
	clang -std=gnu11 -Wall -Wextra -Wno-unused-parameter $(FUZZ_CFLAGS) -fsanitize=fuzzer \
	    $(PKG_CFLAGS) -Isrc -D_GNU_SOURCE -o $@ $< \
	    build/fuzzobj/obj/src/*/*.o build/fuzzobj/obj/*.o $(LDLIBS)
fuzz: deps $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=0 \
	      build/fuzz/corpus-$$n tests/fuzz/seeds/$$n 2>&1 | tail -2; done

bench: deps all
	TAME_BUILD=$(B) ./bench/run.sh

# Quality figures of the queue intelligence on the shared data sets.
DATA ?= ../shared/data
EVAL_SRC := $(wildcard bench/eval_*.c)
EVAL_BIN := $(EVAL_SRC:bench/%.c=$(B)/%)
$(B)/eval_%: bench/eval_%.c $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
eval: deps $(EVAL_BIN)
	@set -e; for e in $(EVAL_BIN); do echo "== $$e"; $$e $(DATA); done
# make bench times trend placement with eval_trends and drives the web
# app in chromium (bench/run.sh).
bench: $(B)/eval_trends $(BROWSER_STAMP)

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
