#!/bin/sh
# modes: plain asan
# anomaly_scan reads on two threads (docs/anomalies.md, "How it runs").  On
# the county fixture the rows are the same, in the same order, with
# ZHUCAN_NO_THREADS set (every stage on the calling thread); and, when
# valgrind is installed, helgrind finds no data race in a scan of the small
# fixture (plain mode only: helgrind and ASan do not mix).
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
fi
echo ok
