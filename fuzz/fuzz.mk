# fuzz/fuzz.mk — libFuzzer targets for zhucan (included by the top-level
# Makefile; docs/fuzzing.md explains them).
#
#   make fuzz-build                  build every target into build/fuzz/
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="regex policy"]
#                                    fuzz each target in turn; new inputs go to
#                                    build/fuzz/corpus/<target>/ (never committed)
#   make fuzz-check                  every saved crash (fuzz/crashes/) as a
#                                    regression, then each target ~20 s
#
# The targets link the system libsqlite3 and zhucan's objects compiled with
# clang from whatever ext/*.c holds; they reach zhucan only through SQL.

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_CHECK_SECONDS ?= 20
FUZZ_TARGETS       ?= identity regex swipe_log policy unpack datetime pageread
FUZZ_PKGS          := sqlite3 libpcre2-8 lua5.4 nettle
# UBSan reports are recoverable in the build so that fuzz/ubsan.supp can
# silence a known, pending one; every other report still halts the run
# (halt_on_error=1 is built into the targets, fuzz/common.c).
FUZZ_SAN    := -fsanitize=address,undefined -fsanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -Wall -Wextra -O1 -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
               -pthread $(FUZZ_SAN) $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null)
FUZZ_LIBS   := $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null) -lm -pthread

FUZZ_EXT_SRCS := $(sort $(wildcard ext/*.c))
FUZZ_EXT_HDRS := $(wildcard ext/*.h)
FUZZ_EXT_OBJS := $(patsubst ext/%.c,build/fuzz/obj/%.o,$(FUZZ_EXT_SRCS))
FUZZ_BINS     := $(addprefix build/fuzz/,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build fuzz-check
fuzz-build: $(FUZZ_BINS)

# zhucan itself: instrumented for coverage, sanitised
build/fuzz/obj/%.o: ext/%.c $(FUZZ_EXT_HDRS) fuzz/fuzz.mk | build/fuzz/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iext -c -o $@ $<

build/fuzz/common.o: fuzz/common.c fuzz/common.h fuzz/fuzz.mk | build/fuzz/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -DFZ_ROOT='"$(CURDIR)"' -c -o $@ $<

build/fuzz/%: fuzz/%.c fuzz/common.h build/fuzz/common.o $(FUZZ_EXT_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer -o $@ $< build/fuzz/common.o \
	  $(FUZZ_EXT_OBJS) $(FUZZ_LIBS)

.SECONDARY: $(FUZZ_EXT_OBJS) build/fuzz/common.o
build/fuzz/obj:
	mkdir -p $@

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh fuzz $(FUZZ_TARGETS)

fuzz-check: fuzz-build
	FUZZ_CHECK_SECONDS=$(FUZZ_CHECK_SECONDS) sh fuzz/run.sh check $(FUZZ_TARGETS)
