#!/bin/bash
# Every long policy call stops within ~100 ms of sqlite3_interrupt() or of
# the host's progress handler answering non-zero (issue #12, finding 2): a
# rule call, policy_test, policy_install and policy_load of a chunk that
# spins (tests/c/policy_interrupt.c; under ASan in the asan mode, with more
# room).  Before the fix none of them looked: a rule ran on to its budget,
# and policy_test over heavy cases for ~1,000 s.  policy_test,
# policy_install and policy_load must also give the host the code
# SQLITE_INTERRUPT (install and load answered SQLITE_ERROR before); a rule
# call's code is not checked (eligible() still answers SQLITE_ERROR).
# modes: plain asan
set -eu
flags="-O1 -g"
limit=100
if [ "$ZC_MODE" = asan ]; then flags="$flags -fsanitize=address,undefined -fno-sanitize-recover=all"; limit=300; fi
gcc $flags -o policy_interrupt "$ZC_ROOT/tests/c/policy_interrupt.c" $(pkg-config --cflags --libs sqlite3) -pthread
ASAN_OPTIONS=detect_leaks=1 timeout 300 ./policy_interrupt "$ZC_SO" test.db "$limit"
