#!/bin/sh
# anomaly_scan's two threads under ThreadSanitizer (issue #12, finding 1):
# the extension built with clang 14's -fsanitize=thread (make tsan,
# tests/tsan/tsan.mk) runs the scan of tests/tsan/race_case.sql, where the
# worker thread and the calling thread both used to reach the policy
# runtime, in a host linked with the TSan runtime (tests/tsan/host.c): no
# report, the same rows as the plain build, in multi-thread mode and in
# serialized mode (where the old worker waited for the connection's mutex
# that the calling thread held while it waited for the worker: a hang, cut
# by timeout here); then the county fixture's month the same way.
# modes: plain
set -eu
command -v clang-14 > /dev/null || { echo "no clang-14 (make deps installs clang-14 and libclang-rt-14-dev)"; exit 77; }
make -s -C "$ZC_ROOT" tsan > make.out 2>&1 || { cat make.out; echo "FAIL: make tsan"; exit 1; }
HOST="$ZC_ROOT/build/tsan/host"
TSO="$ZC_ROOT/build/tsan/zhucan.so"
# halt_on_error=0: every report is printed; exitcode 66 when there was one.
# history_size=7: the longest history, so that a race's earlier access
# still has its stack (a report whose stack is lost is dropped).
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 history_size=7 second_deadlock_stack=1"
fail=0
scan() {  # scan LABEL DB MONTH [-serialized]: TSan host against the plain shell
  label=$1 db=$2 month=$3; shift 3
  q="SELECT * FROM anomaly_scan('141129', '$month')"
  sqlite3 -cmd ".load $ZC_SO" "$db" "$q" > "$label.plain"
  rc=0
  timeout 300 "$HOST" "$@" "$db" "$TSO" "$q" > "$label.tsan" 2> "$label.err" || rc=$?
  if [ $rc -ne 0 ] || grep -q "ThreadSanitizer" "$label.err"; then
    echo "FAIL: $label: exit $rc$([ $rc -eq 124 ] && echo ' (timed out: a hang)')"
    grep -A14 "WARNING: ThreadSanitizer" "$label.err" | grep -v "^--" | head -60
    grep "^SUMMARY" "$label.err" | sort | uniq -c
    tail -3 "$label.err"
    fail=1
  elif ! cmp -s "$label.plain" "$label.tsan"; then
    echo "FAIL: $label: the TSan build's rows differ from the plain build's"; fail=1
  else
    echo "$label: no report, $(wc -l < "$label.tsan") findings as in the plain build"
  fi
}
cp "$ZC_SMALL_DB" race.db
sqlite3 -cmd ".load $ZC_SO" race.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua') > 0" \
  ".read $ZC_ROOT/tests/tsan/race_case.sql" > /dev/null
[ "$(sqlite3 race.db "SELECT count(*) FROM meal WHERE served_at < '2023'")" -gt 100 ] || { echo "FAIL: no old meals"; exit 1; }
scan race race.db 2024-03
scan race-serialized race.db 2024-03 -serialized
if [ -f "$ZC_ROOT/data/county.db" ]; then
  cp "$ZC_ROOT/data/county.db" county.db
  sqlite3 -cmd ".load $ZC_SO" county.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua') > 0" > /dev/null
  scan county county.db 2024-03 -serialized
fi
exit $fail
