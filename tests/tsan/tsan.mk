# tests/tsan/tsan.mk — the ThreadSanitizer build, included by the top-level
# Makefile.  `make tsan` builds the extension with clang 14's
# -fsanitize=thread into build/tsan/zhucan.so and build/tsan/host, a small
# SQL host linked with the TSan runtime (tests/tsan/host.c says why a host:
# Debian's clang 14 runtime cannot be preloaded into the sqlite3 shell).
# tests/anomaly_tsan.sh runs `make tsan` itself, so make test needs no
# prerequisite here.  Packages: clang-14, libclang-rt-14-dev (tools/deps.sh).
TSAN_CC    ?= clang-14
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
TOBJS      := $(patsubst ext/%.c,build/tsan/%.o,$(SRCS))

.PHONY: tsan
tsan: build/tsan/zhucan.so build/tsan/host

build/tsan/%.o: ext/%.c $(HDRS) | build/tsan pkgcheck
	$(TSAN_CC) $(WARN) -O1 -g $(DEFS) -pthread -fPIC -fvisibility=hidden $(TSAN_FLAGS) $(PKG_CFLAGS) -Iext -c -o $@ $<

# The TSan runtime is not linked into the library: the host provides it.
build/tsan/zhucan.so: $(TOBJS)
	$(TSAN_CC) -shared -o $@ $(TOBJS) $(EXT_LIBS)

build/tsan/host: tests/tsan/host.c | build/tsan pkgcheck
	$(TSAN_CC) $(WARN) -O1 -g $(DEFS) $(TSAN_FLAGS) -o $@ $< $(shell $(PKG_CONFIG) --cflags --libs sqlite3)

build/tsan:
	mkdir -p $@
