#!/bin/bash
# modes: plain
# settle() killed with SIGKILL part-way (once run rows reach the database
# file) leaves nothing behind: the hot rollback journal undoes it on the
# next open, back to the old file size; integrity_check passes; the run
# settled before (one village of the region, which the killed settle was
# superseding) is intact, still current and passes run_verify(); settling
# again succeeds and supersedes it, chained to it.  On the city fixture (5.3M meals: a copy of data/city.db,
# or generated here by build/zcgen when that is missing; ~1.5 min, most of
# it writing 1.8 GB and integrity_check) when the disk has room for it, else
# on a generated month (tests/settle_gen.py, ~0.7M meals, ~15 s), saying
# why.  ZC_KILL_SMALL=1 asks for the small month.
set -u
SQ=${SQLITE3:-sqlite3}
SO=${ZC_SO:-$ZC_ROOT/zhucan.so}
DB=$PWD/kill.db
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${ZC_KILL_SMALL:-0}" != 1 ] && [ "${free_kb:-0}" -gt 6000000 ]; then
  if [ -f "$ZC_ROOT/data/city.db" ]; then
    cp "$ZC_ROOT/data/city.db" "$DB" || exit 1
  else
    "$ZC_ROOT/build/zcgen" --scale city --schema "$ZC_ROOT/sql/schema.sql" --out "$DB" >/dev/null || exit 1
  fi
  REGION=$($SQ "$DB" "SELECT code FROM region WHERE parent IS NULL LIMIT 1")
  MONTH=$($SQ "$DB" "SELECT substr(min(served_at),1,7) FROM meal")
else
  echo "the city fixture needs ~6 GB free here (${free_kb:-?} KiB) or ZC_KILL_SMALL=1: a generated month instead"
  /usr/bin/python3 "$ZC_ROOT/tests/settle_gen.py" "$DB" 15000 31 "$ZC_ROOT/sql/schema.sql" >/dev/null || exit 1
  REGION=141129; MONTH=2024-03
fi
if [ "$($SQ "$DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'zhucan_policy'")" = 0 ]; then
  $SQ -cmd ".load $SO" "$DB" "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" >/dev/null || exit 1
fi
meals=$($SQ "$DB" "SELECT count(*) FROM meal")
# a run before: the region of the first site (a village), same month
SUB=$($SQ "$DB" "SELECT region FROM site ORDER BY id LIMIT 1")
run1=$($SQ -cmd ".load $SO" "$DB" "SELECT settle('$SUB', '$MONTH')") || exit 1
[ "$run1" = 1 ] || { echo "FAIL: the first run is $run1"; exit 1; }
head1=$($SQ "$DB" "SELECT total_fen || ' ' || rows_digest || ' ' || chain FROM zhucan_run WHERE id = 1")
echo "database: $meals meals; run 1 settled $SUB $MONTH; settling $REGION $MONTH, superseding it"
size0=$(stat -c %s "$DB")
$SQ -cmd ".load $SO" "$DB" "SELECT settle('$REGION', '$MONTH', 'supersede')" >settle.out 2>&1 &
pid=$!
# wait until settle has written run rows into the database file itself (it
# grew by 4 MiB: the page cache spilled, the journal is hot), then kill
grown=0
for i in $(seq 1 2400); do
  kill -0 $pid 2>/dev/null || break
  [ $(( $(stat -c %s "$DB") - size0 )) -gt 4194304 ] && { grown=1; break; }
  sleep 0.025
done
[ $grown = 1 ] || { echo "FAIL: settle finished (or wrote nothing) before the kill; use a larger month"; cat settle.out; kill -9 $pid 2>/dev/null; exit 1; }
kill -0 $pid 2>/dev/null || { echo "FAIL: settle finished before the kill; use a larger month"; cat settle.out; exit 1; }
kill -9 $pid
wait $pid; rc=$?
echo "settle killed (exit $rc), journal present: $([ -f "$DB-journal" ] && echo yes || echo no)"
[ $rc -eq 137 ] || { echo "FAIL: expected exit 137"; exit 1; }
ic=$($SQ "$DB" "PRAGMA integrity_check")
echo "integrity_check: $ic"
[ "$ic" = ok ] || exit 1
after=$($SQ -cmd ".load $SO" "$DB" "SELECT (SELECT count(*) FROM zhucan_run) || ' ' || (SELECT count(*) FROM zhucan_run WHERE superseded_by IS NULL) || ' ' || (SELECT count(*) FROM run_verify())")
echo "runs, current runs, run_verify problems after the rollback: $after"
[ "$after" = "1 1 0" ] || exit 1
[ "$($SQ "$DB" "SELECT total_fen || ' ' || rows_digest || ' ' || chain FROM zhucan_run WHERE id = 1")" = "$head1" ] ||
  { echo "FAIL: run 1 changed"; exit 1; }
[ -f "$DB-journal" ] && { echo "FAIL: journal still there after reopening"; exit 1; }
size1=$(stat -c %s "$DB")
echo "database size before settle, after the kill and rollback: $size0, $size1"
[ "$size1" = "$size0" ] || { echo "FAIL: the rolled-back database is not its old size"; exit 1; }
run=$($SQ -cmd ".load $SO" "$DB" "SELECT settle('$REGION', '$MONTH', 'supersede')") || exit 1
echo "settled again: run $run"
[ "$run" = 2 ] || exit 1
chk=$($SQ -cmd ".load $SO" "$DB" "SELECT (SELECT count(*) FROM zhucan_run) || ' ' || (SELECT count(*) FROM zhucan_run_meal WHERE run_id = 2) || ' ' || (SELECT superseded_by FROM zhucan_run WHERE id = 1) || ' ' || (SELECT supersedes FROM zhucan_run WHERE id = 2) || ' ' || (SELECT count(*) FROM run_verify())")
echo "runs, meal rows of run 2, run 1 superseded by, run 2 supersedes, run_verify problems: $chk"
[ "$chk" = "2 $meals 2 [1] 0" ] || exit 1
exit 0
