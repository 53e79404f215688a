#!/bin/sh
# modes: plain asan
# anomaly_scan reads on two threads (docs/anomalies.md, "How it runs").  On
# the county fixture the rows are the same, in the same order, with
# ZHUCAN_NO_THREADS set (every stage on the calling thread); and, when
# valgrind is installed, helgrind finds no data race in a scan of the small
# fixture, nor in the case where both threads used to reach the policy
# runtime (tests/tsan/race_case.sql; plain mode only: helgrind and ASan do
# not mix).  That case runs in tests/tsan/host.c built without TSan, which
# turns SQLite's memory statistics off: their global mutex, taken by every
# sqlite3_malloc() of both threads, orders the threads' work for helgrind
# and hides the race (the sqlite3 shell keeps them on).
# tests/anomaly_tsan.sh runs the same case under ThreadSanitizer.
set -eu
SRC="$ZC_ROOT/data/county.db"
[ -f "$SRC" ] || { echo "no $SRC (make data/county.db)"; exit 77; }
cp "$SRC" county.db
$SQLITE3 -cmd ".load $ZC_SO" county.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null
Q="SELECT * FROM anomaly_scan('141129', '2024-03')"
$SQLITE3 -cmd ".load $ZC_SO" county.db "$Q" > two.out
ZHUCAN_NO_THREADS=1 $SQLITE3 -cmd ".load $ZC_SO" county.db "$Q" > one.out
echo "findings: $(wc -l < two.out) on two threads, $(wc -l < one.out) on one"
[ "$(wc -l < two.out)" -gt 100 ] || { echo "FAIL: too few findings to compare"; exit 1; }
cmp two.out one.out || { echo "FAIL: the rows differ"; exit 1; }
if [ "$ZC_MODE" = plain ] && command -v valgrind > /dev/null; then
  cp "$ZC_SMALL_DB" small.db
  $SQLITE3 -cmd ".load $ZC_SO" small.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null
  if ! valgrind --tool=helgrind --error-exitcode=9 -q $SQLITE3 -cmd ".load $ZC_SO" small.db \
       "SELECT count(*) FROM anomaly_scan('141129', '2024-03')" > hg.out 2>&1; then
    echo "FAIL: helgrind:"; head -40 hg.out; exit 1
  fi
  echo "helgrind: no race ($(tail -1 hg.out) findings)"
  gcc -O1 -g -o host "$ZC_ROOT/tests/tsan/host.c" $(pkg-config --cflags --libs sqlite3)
  cp "$ZC_SMALL_DB" race.db
  $SQLITE3 -cmd ".load $ZC_SO" race.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua') > 0" \
    ".read $ZC_ROOT/tests/tsan/race_case.sql" > /dev/null
  $SQLITE3 -cmd ".load $ZC_SO" race.db "SELECT * FROM anomaly_scan('141129', '2024-03')" > race.out
  if ! valgrind --tool=helgrind --error-exitcode=9 -q ./host race.db "$ZC_SO" \
       "SELECT * FROM anomaly_scan('141129', '2024-03')" > race-hg.out 2> race-hg.err; then
    echo "FAIL: helgrind, tests/tsan/race_case.sql:"; head -60 race-hg.err; exit 1
  fi
  cmp race.out race-hg.out || { echo "FAIL: the race case's rows differ under helgrind"; exit 1; }
  echo "helgrind, tests/tsan/race_case.sql: no race ($(wc -l < race.out) findings)"
fi
echo ok
