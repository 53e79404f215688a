#!/bin/bash
# modes: plain
# settle() killed with SIGKILL part-way leaves nothing behind: the rollback
# journal undoes it on the next open.  On a generated month
# (tests/settle_gen.py, ~0.7M meals, ~40 s); ZC_KILL_CITY=1 uses a copy of
# data/city.db instead (5.3M meals, ~3.5 min: too slow for every run).
set -u
SQ=${SQLITE3:-sqlite3}
SO=${ZC_SO:-$ZC_ROOT/zhucan.so}
DB=$PWD/kill.db
if [ "${ZC_KILL_CITY:-0}" = 1 ] && [ -f "$ZC_ROOT/data/city.db" ]; then
  cp "$ZC_ROOT/data/city.db" "$DB" || exit 1
  REGION=$($SQ "$DB" "SELECT code FROM region WHERE level='city' LIMIT 1")
  MONTH=$($SQ "$DB" "SELECT substr(min(served_at),1,7) FROM meal")
else
  /usr/bin/python3 "$ZC_ROOT/tests/settle_gen.py" "$DB" 15000 31 "$ZC_ROOT/sql/schema.sql" >/dev/null || exit 1
  REGION=141129; MONTH=2024-03
fi
if [ "$($SQ "$DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'zhucan_policy'")" = 0 ]; then
  $SQ -cmd ".load $SO" "$DB" "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" >/dev/null || exit 1
fi
meals=$($SQ "$DB" "SELECT count(*) FROM meal")
echo "database: $meals meals, settling $REGION $MONTH"
$SQ -cmd ".load $SO" "$DB" "SELECT settle('$REGION', '$MONTH')" >settle.out 2>&1 &
pid=$!
# wait until settle is writing (the rollback journal exists), then a little
for i in $(seq 1 600); do
  [ -f "$DB-journal" ] && break
  sleep 0.05
done
[ -f "$DB-journal" ] || { echo "FAIL: no journal appeared"; kill -9 $pid; exit 1; }
sleep 0.5
kill -0 $pid 2>/dev/null || { echo "FAIL: settle finished before the kill; use a larger month"; cat settle.out; exit 1; }
kill -9 $pid
wait $pid; rc=$?
echo "settle killed (exit $rc), journal present: $([ -f "$DB-journal" ] && echo yes || echo no)"
[ $rc -eq 137 ] || { echo "FAIL: expected exit 137"; exit 1; }
ic=$($SQ "$DB" "PRAGMA integrity_check")
echo "integrity_check: $ic"
[ "$ic" = ok ] || exit 1
left=$($SQ "$DB" "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'zhucan_run%'")
echo "zhucan_run tables left: $left"
[ "$left" = 0 ] || exit 1
[ -f "$DB-journal" ] && { echo "FAIL: journal still there after reopening"; exit 1; }
run=$($SQ -cmd ".load $SO" "$DB" "SELECT settle('$REGION', '$MONTH')") || exit 1
echo "settled again: run $run"
[ "$run" = 1 ] || exit 1
chk=$($SQ "$DB" "SELECT (SELECT count(*) FROM zhucan_run) || ' ' || (SELECT count(*) FROM zhucan_run_meal WHERE run_id = 1)")
echo "runs, meal rows: $chk"
[ "$chk" = "1 $meals" ] || [ "${ZC_KILL_CITY:-0}" = 1 ] || exit 1
exit 0
