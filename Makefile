# zhucan — build, test, demo, bench.  `make help` lists the targets.
#
# The pkg-config flags below are read when make parses this file.  On a fresh
# machine the -dev packages are not there yet, so `demo` and `test` first run
# tools/deps.sh and then build in a sub-make, which parses this file again
# once the packages exist.  Other build targets stop with a one-line hint
# (pkgcheck) when the packages are missing.
PKG_CONFIG ?= pkg-config
PKGS       := sqlite3 libpcre2-8 lua5.4 nettle
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# The extension never links libsqlite3: it calls SQLite through the loader's
# routine table (sqlite3ext.h).  Lua is linked dynamically (Debian's
# liblua5.4.a is not position-independent).
EXT_LIBS   := $(shell $(PKG_CONFIG) --libs libpcre2-8 lua5.4 nettle 2>/dev/null) -lm -pthread
OPT        ?= -O2 -g
WARN       := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
DEFS       := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS_EXT := $(WARN) $(OPT) $(DEFS) -pthread -fPIC -fvisibility=hidden $(PKG_CFLAGS) -Iext

SRCS  := $(sort $(wildcard ext/*.c))
HDRS  := $(wildcard ext/*.h)
OBJS  := $(patsubst ext/%.c,build/obj/%.o,$(SRCS))
AOBJS := $(patsubst ext/%.c,build/asan/%.o,$(SRCS))
SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

GEN_SRCS := $(wildcard fixtures/*.c)
GEN_HDRS := $(wildcard fixtures/*.h)

# T=NAME runs only the tests whose file name contains NAME (tests/run.sh's
# filter).  Taken from the command line only, so a stray T in the environment
# never narrows `make test` unnoticed.
TESTS_FILTER := $(if $(filter command line,$(origin T)),$(T))

.PHONY: all deps pkgcheck demo demo-build province test test-build test-plain test-asan test-valgrind bench bench-province clean help fixtures asan
all: zhucan.so build/zcgen

help:
	@echo "make            build zhucan.so and the fixture generator"
	@echo "make deps       install Debian packages (non-interactive apt-get)"
	@echo "make demo       deps + build + county fixture + sql/demo.sql"
	@echo "make test       deps + every test: plain, ASan+UBSan, valgrind; ends 'N passed, M failed'"
	@echo "make test-plain T=regex   one test: those whose file name contains 'regex', plain build"
	@echo "make test-asan T=regex    the same under ASan+UBSan; test-valgrind T=.. under valgrind;"
	@echo "                          make test T=.. in all three; without T: every test"
	@echo "make node       build/zhucan-node, one dqlite node with zhucan (docs/cluster.md)"
	@echo "make bench      benchmarks (not part of make test)"
	@echo "make province CITIES=N   data/province-N.db: the first N of 11 Shanxi cities (N=11: ~54M meals, ~21 GB)"
	@echo "make bench-province  the cost curve up to a province month (docs/performance.md; ~28 GB of files)"
	@echo "make windows    zhucan.dll, zhucan.exe, sqlite3.exe for Windows (mingw-w64; docs/windows.md)"
	@echo "make test-windows   the Windows build under Wine against the Linux build"
	@echo "make dist       build/zhucan-VERSION-windows-x64.zip with SHA256SUMS"

zhucan.so: $(OBJS)
	$(CC) -shared -o $@ $(OBJS) $(EXT_LIBS) -Wl,--no-undefined -Wl,-z,defs $(shell $(PKG_CONFIG) --libs sqlite3 | sed 's/-lsqlite3//')

build/obj/%.o: ext/%.c $(HDRS) | build/obj pkgcheck
	$(CC) $(CFLAGS_EXT) -c -o $@ $<

build/asan/zhucan.so: $(AOBJS)
	$(CC) -shared $(SAN) -o $@ $(AOBJS) $(EXT_LIBS)

build/asan/%.o: ext/%.c $(HDRS) | build/asan pkgcheck
	$(CC) $(WARN) -O1 -g $(DEFS) -fPIC -fvisibility=hidden $(SAN) $(PKG_CFLAGS) -Iext -c -o $@ $<

asan: build/asan/zhucan.so

build/zcgen: $(GEN_SRCS) $(GEN_HDRS) | build pkgcheck
	$(CC) $(WARN) -O2 -g $(DEFS) -o $@ $(GEN_SRCS) $(shell $(PKG_CONFIG) --cflags --libs sqlite3) -lm

build build/obj build/asan:
	mkdir -p $@

deps:
	sh tools/deps.sh

# Order-only prerequisite of every compile: one line instead of a missing
# header when the -dev packages are not installed.
pkgcheck:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || \
	  { echo "zhucan: packages missing ($(PKGS) via $(PKG_CONFIG)): run 'make deps' (or 'make demo') first"; exit 2; }

# Fixtures are deterministic: same seed and scale, same content.
data/small.db: build/zcgen sql/schema.sql
	mkdir -p data && rm -f $@ && build/zcgen --scale small --out $@
data/county.db: build/zcgen sql/schema.sql
	mkdir -p data && rm -f $@ && build/zcgen --scale county --out $@
data/city.db: build/zcgen sql/schema.sql
	mkdir -p data && rm -f $@ && build/zcgen --scale city --out $@
fixtures: data/small.db data/county.db
# The province scale (docs/fixtures.md "Province scale"): the first N of
# Shanxi's 11 cities, ~1M meals for N=1 up to ~56M (a ~20 GB file) for 11.
# `make province CITIES=3` or `make data/province-3.db`; not part of make test.
CITIES ?= 11
province: data/province-$(CITIES).db
data/province-%.db: build/zcgen sql/schema.sql
	mkdir -p data && rm -f $@ && build/zcgen --scale province --cities $* --out $@

# deps first, then the build in a sub-make that reads the pkg-config flags
# after the packages exist (a prerequisite list would be parsed too early, and
# run in parallel under -j).
demo:
	sh tools/deps.sh
	$(MAKE) --no-print-directory demo-build
	sh tools/demo.sh
demo-build: all data/county.db
	@:

test:
	sh tools/deps.sh
	$(MAKE) --no-print-directory test-build
	sh tests/run.sh all "$(TESTS_FILTER)"
test-build: all asan node data/small.db data/county.db
	@:

test-plain: all node data/small.db data/county.db
	sh tests/run.sh plain "$(TESTS_FILTER)"
test-asan: all asan data/small.db data/county.db
	sh tests/run.sh asan "$(TESTS_FILTER)"
test-valgrind: all data/small.db
	sh tests/run.sh valgrind "$(TESTS_FILTER)"

bench: all node data/county.db data/city.db
	sh bench/run.sh

# the cost curve from a county month to a province month (~50M meals; the
# files are generated once into data/prov/, ~30 GB with the smaller sizes);
# not part of `make bench`.  docs/performance.md
bench-province: all data/county.db
	bash bench/province.sh

clean:
	rm -rf build zhucan.so
include tests/oom/oom.mk
include fuzz/fuzz.mk
include tests/tsan/tsan.mk

# ---- the command-line tool (cli/, docs/cli.md) ------------------------------
# build/zhucan: the extension's objects linked statically with cli/*.c and
# libsqlite3 (one executable, no .so to find at run time); libxlsxwriter for
# `zhucan export`.  Its pkg-config flags are read at parse time like the
# others, so `make test`/`make demo` build it in their sub-make, after deps.
CLI_PKGS   := sqlite3 xlsxwriter
CLI_SRCS   := $(wildcard cli/*.c)
CLI_HDRS   := $(wildcard cli/*.h)
CLI_CFLAGS := $(WARN) $(DEFS) $(shell $(PKG_CONFIG) --cflags $(CLI_PKGS) 2>/dev/null) -Icli
CLI_LIBS   := $(shell $(PKG_CONFIG) --libs $(CLI_PKGS) 2>/dev/null) $(EXT_LIBS)
PREFIX     ?= /usr/local
DESTDIR    ?=
.PHONY: cli cli-pkgcheck install uninstall
all: build/zhucan
cli: build/zhucan

cli-pkgcheck:
	@$(PKG_CONFIG) --exists $(CLI_PKGS) 2>/dev/null || \
	  { echo "zhucan: packages missing ($(CLI_PKGS) via $(PKG_CONFIG)): run 'make deps' first"; exit 2; }

# sql/schema.sql and sql/statement.sql as C strings: `init` and `export` run
# the very files the documentation shows.
build/cli/sql.c: sql/schema.sql sql/statement.sql | build
	mkdir -p build/cli
	{ echo '/* generated from sql/schema.sql and sql/statement.sql by the Makefile */'; \
	  echo 'const char cli_sql_schema[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' sql/schema.sql; echo ';'; \
	  echo 'const char cli_sql_statement[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' sql/statement.sql; echo ';'; } > $@

build/zhucan: $(CLI_SRCS) $(CLI_HDRS) build/cli/sql.c $(OBJS) | cli-pkgcheck
	$(CC) $(CLI_CFLAGS) $(OPT) -o $@ $(CLI_SRCS) build/cli/sql.c $(OBJS) $(CLI_LIBS)

build/asan/zhucan: $(CLI_SRCS) $(CLI_HDRS) build/cli/sql.c $(AOBJS) | cli-pkgcheck
	$(CC) $(CLI_CFLAGS) -O1 -g $(SAN) -o $@ $(CLI_SRCS) build/cli/sql.c $(AOBJS) $(CLI_LIBS)
asan: build/asan/zhucan

install: build/zhucan
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/lib/zhucan
	install -m 755 build/zhucan $(DESTDIR)$(PREFIX)/bin/zhucan
	install -m 644 cli/zhucan.1 $(DESTDIR)$(PREFIX)/share/man/man1/zhucan.1
	install -m 644 zhucan.so $(DESTDIR)$(PREFIX)/lib/zhucan/zhucan.so
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/zhucan $(DESTDIR)$(PREFIX)/share/man/man1/zhucan.1 $(DESTDIR)$(PREFIX)/lib/zhucan/zhucan.so

# ---- the Windows cross build (windows/windows.mk, docs/windows.md) ----------
include windows/windows.mk

# ---- one dqlite node (node/node.mk, docs/cluster.md) ----------------------
include node/node.mk
