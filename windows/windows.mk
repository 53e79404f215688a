# windows/windows.mk — the mingw-w64 cross build (docs/windows.md): zhucan.dll,
# zhucan.exe and sqlite3.exe for 64-bit Windows, from the same ext/ and cli/
# sources and from Debian's own source packages of SQLite, Lua, PCRE2,
# nettle, zlib and libxlsxwriter (pinned in windows/versions, fetched by
# windows/fetch.sh into build/win/src, never committed), all linked
# statically: the DLL needs only Windows' own DLLs.  Included by the Makefile;
# nothing here runs in the Linux build.
#
#   make windows        build/win/zhucan.dll, zhucan.exe, sqlite3.exe
#   make test-windows   windows/test.sh under Wine (headless)
#   make dist           build/zhucan-windows-x64-VERSION.zip with SHA256SUMS
W_CC     ?= x86_64-w64-mingw32-gcc
W_AR     ?= x86_64-w64-mingw32-ar
W_OPT    ?= -O2
W        := build/win
W_SRC    := $(W)/src
W_INC    := $(W)/include
W_LIB    := $(W)/lib
# __USE_MINGW_ANSI_STDIO: C99 printf/strtod (msvcrt's %g writes 1e+020);
# _FILE_OFFSET_BITS: 64-bit file sizes.  -Wno-attributes: PE has no ELF
# visibility (windows/zhucan.def names the DLL's exports instead).
W_DEFS   := -D__USE_MINGW_ANSI_STDIO=1 -D_FILE_OFFSET_BITS=64 -D_WIN32_WINNT=0x0601
W_CFLAGS := $(WARN) $(W_OPT) $(DEFS) $(W_DEFS) -DPCRE2_STATIC -Wno-attributes -I$(W_INC) -Iext
W_STAMP  := $(W_SRC)/.fetched

W_EXT_OBJS := $(patsubst ext/%.c,$(W)/obj/%.o,$(SRCS))
W_LIBS     := $(W_LIB)/liblua.a $(W_LIB)/libpcre2-8.a $(W_LIB)/libnettle.a
W_LINK     := -static -static-libgcc -L$(W_LIB) -llua -lpcre2-8 -lnettle -lwinpthread

.PHONY: windows test-windows dist windows-fetch
windows: $(W)/zhucan.dll $(W)/sqlite3.exe $(W)/zhucan.exe

windows-fetch: $(W_STAMP)
$(W_STAMP): windows/versions windows/fetch.sh
	@command -v $(W_CC) >/dev/null || { echo "zhucan: $(W_CC) missing: apt-get install gcc-mingw-w64-x86-64 (tools/deps.sh windows)"; exit 2; }
	sh windows/fetch.sh $(W_SRC)
	touch $@

# ---- SQLite: the amalgamation made from Debian's source tree by its own
# makefile (native tools, tclsh), compiled with Debian's flags (its
# debian/rules) for the shell and the CLI.
W_SQLITE   := $(W_SRC)/sqlite3-3.40.1
W_SQLFLAGS := -DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_FTS3 \
  -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE=1 \
  -DSQLITE_SOUNDEX=1 -DSQLITE_ENABLE_UNLOCK_NOTIFY -DSQLITE_OMIT_LOOKASIDE=1 -DSQLITE_ENABLE_DBSTAT_VTAB \
  -DSQLITE_ALLOW_ROWID_IN_VIEW -DSQLITE_ENABLE_UPDATE_DELETE_LIMIT=1 -DSQLITE_ENABLE_LOAD_EXTENSION \
  -DSQLITE_ENABLE_JSON1 -DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS3_TOKENIZER=1 \
  -DSQLITE_USE_URI=1 -DSQLITE_MAX_SCHEMA_RETRY=25 -DSQLITE_ENABLE_PREUPDATE_HOOK -DSQLITE_ENABLE_SESSION \
  -DSQLITE_ENABLE_STMTVTAB -DSQLITE_MAX_VARIABLE_NUMBER=250000 -DSQLITE_ENABLE_MATH_FUNCTIONS
$(W)/amal/sqlite3.c: $(W_STAMP)
	rm -rf $(W)/amal && mkdir -p $(W)/amal $(W_INC)
	cd $(W)/amal && ../../../$(W_SQLITE)/configure --enable-fts5 >configure.log 2>&1 && \
	  $(MAKE) --no-print-directory sqlite3.c shell.c >make.log 2>&1 || { tail -20 *.log; exit 1; }
	cp $(W)/amal/sqlite3.h $(W_SQLITE)/src/sqlite3ext.h $(W_INC)/
$(W)/amal/shell.c: $(W)/amal/sqlite3.c
$(W)/obj/sqlite3.o: $(W)/amal/sqlite3.c
	@mkdir -p $(W)/obj
	$(W_CC) $(W_OPT) $(W_DEFS) $(W_SQLFLAGS) -c -o $@ $<
$(W)/obj/shell.o: $(W)/amal/shell.c
	@mkdir -p $(W)/obj
	$(W_CC) $(W_OPT) $(W_DEFS) $(W_SQLFLAGS) -c -o $@ $<
$(W)/sqlite3.exe: $(W)/obj/shell.o $(W)/obj/sqlite3.o
	$(W_CC) -static -o $@ $^

# ---- Lua 5.4: the library's files (not lua.c, luac.c), Debian's LUA_COMPAT_5_3.
W_LUA := $(W_SRC)/lua5.4-5.4.4/src
$(W_LIB)/liblua.a: $(W_STAMP)
	rm -rf $(W)/lua && mkdir -p $(W)/lua $(W_LIB) $(W_INC)
	for f in $$(ls $(W_LUA)/*.c | grep -v -e '/lua\.c$$' -e '/luac\.c$$'); do \
	  $(W_CC) $(W_OPT) $(W_DEFS) -DLUA_COMPAT_5_3 -c -o $(W)/lua/$$(basename $$f .c).o $$f || exit 1; done
	$(W_AR) rcs $@ $(W)/lua/*.o
	cp $(W_LUA)/lua.h $(W_LUA)/luaconf.h $(W_LUA)/lualib.h $(W_LUA)/lauxlib.h $(W_INC)/

# ---- PCRE2 10.42, 8-bit, Unicode and JIT as Debian configures it; the
# configuration is upstream's config.h.generic with those two switched on.
W_PCRE := $(W_SRC)/pcre2-10.42/src
W_PCRE_FILES := auto_possess compile config context convert dfa_match error extuni find_bracket \
  jit_compile maketables match match_data newline ord2utf pattern_info script_run serialize \
  string_utils study substitute substring tables ucd valid_utf xclass chartables
$(W_LIB)/libpcre2-8.a: $(W_STAMP)
	rm -rf $(W)/pcre2 && mkdir -p $(W)/pcre2 $(W_LIB) $(W_INC)
	cp $(W_PCRE)/config.h.generic $(W)/pcre2/config.h
	cp $(W_PCRE)/pcre2.h.generic $(W)/pcre2/pcre2.h
	cp $(W_PCRE)/pcre2_chartables.c.dist $(W)/pcre2/pcre2_chartables.c
	for f in $(W_PCRE_FILES); do s=$(W_PCRE)/pcre2_$$f.c; [ -f $$s ] || s=$(W)/pcre2/pcre2_$$f.c; \
	  $(W_CC) $(W_OPT) $(W_DEFS) -DHAVE_CONFIG_H -DPCRE2_CODE_UNIT_WIDTH=8 -DPCRE2_STATIC -DSUPPORT_UNICODE \
	    -DSUPPORT_JIT -I$(W)/pcre2 -I$(W_PCRE) -c -o $(W)/pcre2/$$f.o $$s || exit 1; done
	$(W_AR) rcs $@ $(W)/pcre2/*.o
	cp $(W)/pcre2/pcre2.h $(W_INC)/

# ---- nettle 3.8.1 (SHA-256 for the run digests): its own configure, the
# library only, without public-key code (that would need GMP).
W_NETTLE := $(W_SRC)/nettle-3.8.1
$(W_LIB)/libnettle.a: $(W_STAMP)
	rm -rf $(W)/nettle && mkdir -p $(W)/nettle $(W_LIB) $(W_INC)/nettle
	cd $(W)/nettle && ../../../$(W_NETTLE)/configure --host=x86_64-w64-mingw32 --disable-shared \
	  --disable-public-key --disable-documentation --disable-openssl --disable-assembler \
	  CC=$(W_CC) CFLAGS="$(W_OPT)" >configure.log 2>&1 && \
	  $(MAKE) --no-print-directory libnettle.a >make.log 2>&1 || { tail -20 *.log; exit 1; }
	cp $(W)/nettle/libnettle.a $@
	cp $(W_NETTLE)/*.h $(W)/nettle/*.h $(W_INC)/nettle/

# ---- zlib and libxlsxwriter (with its own minizip, tmpfileplus and md5
# from the same Debian source package), for zhucan.exe's `export` (.xlsx).
W_ZLIB := $(W_SRC)/zlib-1.2.13.dfsg
W_ZLIB_FILES := adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate \
  inftrees trees uncompr zutil
$(W_LIB)/libz.a: $(W_STAMP)
	rm -rf $(W)/zlib && mkdir -p $(W)/zlib $(W_LIB) $(W_INC)
	for f in $(W_ZLIB_FILES); do $(W_CC) $(W_OPT) $(W_DEFS) -c -o $(W)/zlib/$$f.o $(W_ZLIB)/$$f.c || exit 1; done
	$(W_AR) rcs $@ $(W)/zlib/*.o
	cp $(W_ZLIB)/zlib.h $(W_ZLIB)/zconf.h $(W_INC)/
W_XLSX := $(W_SRC)/libxlsxwriter-1.1.4
$(W_LIB)/libxlsxwriter.a: $(W_LIB)/libz.a
	rm -rf $(W)/xlsx && mkdir -p $(W)/xlsx $(W_LIB) $(W_INC)
	for f in $(W_XLSX)/src/*.c $(W_XLSX)/third_party/minizip/ioapi.c $(W_XLSX)/third_party/minizip/zip.c \
	         $(W_XLSX)/third_party/tmpfileplus/tmpfileplus.c $(W_XLSX)/third_party/md5/md5.c; do \
	  $(W_CC) $(W_OPT) $(W_DEFS) -DNOCRYPT -DNOUNCRYPT -I$(W_XLSX)/include -I$(W_INC) \
	    -c -o $(W)/xlsx/$$(basename $$f .c).o $$f || exit 1; done
	$(W_AR) rcs $@ $(W)/xlsx/*.o
	cp -r $(W_XLSX)/include/xlsxwriter.h $(W_XLSX)/include/xlsxwriter $(W_INC)/

# ---- zhucan.dll: ext/ compiled for Windows (ext/plat.c is the platform
# layer), exports named by windows/zhucan.def.
$(W)/obj/%.o: ext/%.c $(HDRS) | $(W_LIBS) $(W)/amal/sqlite3.c
	@mkdir -p $(W)/obj
	$(W_CC) $(W_CFLAGS) -c -o $@ $<
$(W)/zhucan.dll: $(W_EXT_OBJS) $(W_LIBS) windows/zhucan.def
	$(W_CC) -shared -o $@ $(W_EXT_OBJS) windows/zhucan.def $(W_LINK) -Wl,--no-undefined

# ---- zhucan.exe: cli/ with the same objects, SQLite and libxlsxwriter,
# one static executable (cli/plat_win.c: the console and file names).
$(W)/zhucan.exe: $(CLI_SRCS) $(CLI_HDRS) build/cli/sql.c $(W_EXT_OBJS) $(W)/obj/sqlite3.o $(W_LIBS) $(W_LIB)/libxlsxwriter.a
	$(W_CC) $(W_CFLAGS) -Icli -o $@ $(CLI_SRCS) build/cli/sql.c $(W_EXT_OBJS) $(W)/obj/sqlite3.o \
	  $(W_LINK) -lxlsxwriter -lz

# ---- under Wine (docs/windows.md); the Linux build is the reference
test-windows: windows all data/small.db data/county.db
	bash windows/test.sh

# ---- the release zip: the programs, the policies, the SQL recipes the guides
# read, the docs, each library's Debian copyright file, and SHA256SUMS
# (sha256sum -c inside the unpacked folder checks every file).
W_VERSION = $(shell sed -n 's/^\#define ZC_VERSION "\(.*\)"/\1/p' ext/common.h ext/*.h | head -n 1)
W_DIST    = build/zhucan-$(W_VERSION)-windows-x64
dist: windows
	rm -rf $(W_DIST) $(W_DIST).zip && mkdir -p $(W_DIST)/licenses
	cp $(W)/zhucan.dll $(W)/zhucan.exe $(W)/sqlite3.exe README.md $(W_DIST)/
	cp -r lua sql docs $(W_DIST)/
	for d in $(shell sed -n 's/^[a-z0-9.]* *[^ ]* *\([^ ]*\)$$/\1/p' windows/versions); do \
	  cp $(W_SRC)/$$d/debian/copyright $(W_DIST)/licenses/$$(echo $$d | sed 's/-[0-9][^-]*$$//').txt; done
	cp /usr/share/doc/mingw-w64-x86-64-dev/copyright $(W_DIST)/licenses/mingw-w64.txt
	cd $(W_DIST) && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' | \
	  xargs sha256sum > SHA256SUMS
	cd build && zip -q -r -X $(notdir $(W_DIST)).zip $(notdir $(W_DIST))
	@echo "$(W_DIST).zip: $$(unzip -l $(W_DIST).zip | tail -n 1 | awk '{print $$2}') files"
