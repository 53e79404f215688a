# tests/oom/oom.mk — the allocation-failure sweep (issue #12), included by the
# top-level Makefile.  `make oom` builds the harness and the ASan build of the
# extension it loads; tests/oom.sh runs it; docs/testing-oom.md explains it.
# The harness is built with AddressSanitizer: it uses ASan's malloc hooks,
# allocation stacks and leak checker, and loads build/asan/zhucan.so.
# -Wno-format-truncation: its messages are cut to fixed buffers on purpose.
OOM_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -O1 -g $(DEFS) $(SAN) \
              -Wno-format-truncation \
              $(shell pkg-config --cflags sqlite3 2>/dev/null)
OOM_LIBS   := $(shell pkg-config --libs sqlite3 2>/dev/null) -ldl -pthread

.PHONY: oom
oom: build/oom/oom build/asan/zhucan.so

build/oom/oom: tests/oom/oom.c | build/oom
	$(CC) $(OOM_CFLAGS) -o $@ $< $(OOM_LIBS)

build/oom:
	mkdir -p $@

# tests/oom.sh runs `make oom` itself, so make test needs no prerequisite here.
