#!/bin/bash
# A settle that finds another writer waits for it (the busy timeout), as
# SQLite's own writes do, instead of failing at once with "database is
# locked": settle takes the write lock before it reads anything.
#   1. another process holds a write transaction for ~1.5 s: settle, with a
#      5 s busy timeout, waits and succeeds;
#   2. two settles of the same month at once, each with a busy timeout:
#      one stores run 1, the other waits and then says the month is already
#      settled (never "locked").
# modes: plain
set -u
sqlite3 test.db "UPDATE region SET policy = 'zhongyang' WHERE parent IS NULL"
$SQLITE3 -cmd ".load $ZC_SO" test.db "SELECT policy_load('lua/zhongyang.lua')" > /dev/null || exit 1
fail=0
( sqlite3 test.db "BEGIN IMMEDIATE; INSERT INTO region(code, parent, level, name) VALUES('990001', NULL, 'county', 'x');" \
    ".shell sleep 1.5" "ROLLBACK;" > holder.out 2>&1 ) &
sleep 0.3
start=$(date +%s.%N)
out=$($SQLITE3 -cmd ".timeout 5000" -cmd ".load $ZC_SO" test.db "SELECT settle('141129', '2024-03')" 2>&1)
took=$(echo "$(date +%s.%N) - $start" | bc)
wait
if [ "$out" != 1 ]; then echo "settle behind a writer: '$out' (expected run 1)"; fail=1; fi
if [ "$(echo "$took < 0.8" | bc)" = 1 ]; then echo "settle did not wait for the writer ($took s)"; fail=1; fi
echo "1. settle waited ${took}s for the other writer, then stored run $out"
for i in 1 2; do
  ( $SQLITE3 -cmd ".timeout 10000" -cmd ".load $ZC_SO" test.db "SELECT settle('141129', '2024-03', 'supersede')" > s$i.out 2>&1 ) &
done
wait
cat s1.out s2.out
if grep -q "locked" s1.out s2.out; then echo "a concurrent settle failed with 'locked'"; fail=1; fi
runs=$(sqlite3 test.db "SELECT count(*) FROM zhucan_run")
[ "$runs" = 3 ] || { echo "expected 3 runs after two superseding settles, found $runs"; fail=1; }
current=$(sqlite3 test.db "SELECT count(*) FROM zhucan_run WHERE superseded_by IS NULL")
[ "$current" = 1 ] || { echo "expected 1 current run, found $current"; fail=1; }
echo "2. two concurrent settles: runs $(tr '\n' ' ' < s1.out)and $(tr '\n' ' ' < s2.out); $runs runs, $current current"
exit $fail
