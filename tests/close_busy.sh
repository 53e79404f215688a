#!/bin/bash
# zhucan's per-connection state lives exactly as long as the connection:
# after sqlite3_close() answers SQLITE_BUSY (a host statement still open),
# regexp_like, idcard_valid, settlement and subsidy_for keep working on the
# open connection, and the close succeeds once the statement is finalized
# (tests/c/close_busy.c; under ASan in the asan mode).
# modes: plain asan
set -eu
flags="-O1 -g"
[ "$ZC_MODE" = asan ] && flags="$flags -fsanitize=address,undefined -fno-sanitize-recover=all"
gcc $flags -o close_busy "$ZC_ROOT/tests/c/close_busy.c" $(pkg-config --cflags --libs sqlite3)
sqlite3 test.db "UPDATE region SET policy = 'zhongyang' WHERE parent IS NULL"
ASAN_OPTIONS=detect_leaks=1 ./close_busy "$ZC_SO" test.db
