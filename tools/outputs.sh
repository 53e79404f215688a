#!/bin/bash
# tools/outputs.sh DB [SO] — the md5 of every money and audit output zhucan
# gives on a fixture database, one line per output family.  Run it with two
# builds of zhucan.so on the same fixture: a refactor must print the same
# lines (the architecture work checked county and city this way).
#
# Works on a scratch copy of DB.  The top region is put under the
# 'zhongyang' policy (lua/zhongyang.lua) and, on every township whose code
# ends in an odd digit, 'gujiao' (lua/gujiao.lua, a second policy with its
# own rules), so two policies price the month.  Then, on the month with the
# most meals:
#   settlement     every row of settlement(top, month)
#   subsidy_for    id and subsidy_for(id) of every meal of the month
#   explain        subsidy_explain(id) of every meal (every 40th on a
#                  database of more than 1M meals)
#   settle         settle(top, month): the run row (without created_at),
#                  zhucan_run_meal, _elder, _site, _item, _line
#   replay         replay(1) after a death date and a status are changed,
#                  and replay after settle(..., 'supersede')
#   anomaly_scan   every row, in the order the scan gives them
#   coverage_gaps  every row for the 15th of the month
#   swipe_log      every row of the month's meals written out as a 'csv'
#                  device export, and of the hand-made exports in
#                  fixtures/swipes
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${1:?usage: tools/outputs.sh DB [zhucan.so]}
SO=$(cd "$(dirname "${2:-$ROOT/zhucan.so}")" && pwd)/$(basename "${2:-$ROOT/zhucan.so}")
W=$(mktemp -d /tmp/zcout.XXXXXX)
trap 'rm -rf "$W"' EXIT
cp "$SRC" "$W/db"
ln -s "$ROOT/lua" "$W/lua"
ln -s "$ROOT/fixtures" "$W/fixtures"
cd "$W"
q() { sqlite3 -batch -cmd ".load $SO" db "$@"; }
sum() { if [ -n "${ZC_OUT_KEEP:-}" ]; then tee "$ZC_OUT_KEEP.$1" ; else cat; fi | { printf "%-14s %s\n" "$1" "$(md5sum | cut -c1-32)"; }; }

TOP=$(sqlite3 db "SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region) ORDER BY code LIMIT 1")
MONTH=$(sqlite3 db "SELECT substr(served_at, 1, 7) m FROM meal GROUP BY m ORDER BY count(*) DESC, m LIMIT 1")
FIRST="$MONTH-01"
NEXT=$(sqlite3 db "SELECT date('$FIRST', '+1 month')")
MEALS=$(sqlite3 db "SELECT count(*) FROM meal WHERE served_at >= '$FIRST' AND served_at < '$NEXT'")
STEP=1; [ "$MEALS" -gt 1000000 ] && STEP=40
sqlite3 db "UPDATE region SET policy = NULL;
            UPDATE region SET policy = 'zhongyang' WHERE code = '$TOP';
            UPDATE region SET policy = 'gujiao' WHERE level = 'township' AND CAST(substr(code, -1) AS INTEGER) % 2 = 1;"
q "SELECT policy_load('lua/zhongyang.lua'); SELECT policy_load('lua/gujiao.lua');" > /dev/null
printf '%-14s %s %s, %s meals\n' fixture "$TOP" "$MONTH" "$MEALS"

q "SELECT * FROM settlement('$TOP', '$MONTH')" | sum settlement
q "SELECT id, subsidy_for(id) FROM meal WHERE served_at >= '$FIRST' AND served_at < '$NEXT' ORDER BY id" | sum subsidy_for
q "SELECT id, subsidy_explain(id) FROM meal WHERE served_at >= '$FIRST' AND served_at < '$NEXT' AND id % $STEP = 0 ORDER BY id" | sum explain
q "SELECT settle('$TOP', '$MONTH')" > /dev/null
{
  q "SELECT id, region, month, policy_versions, policy_horizon, input_digest, output_digest,
            superseded_by, meals, subsidised_meals, total_fen FROM zhucan_run ORDER BY id"
  q "SELECT * FROM zhucan_run_meal"
  q "SELECT * FROM zhucan_run_elder"
  q "SELECT * FROM zhucan_run_site"
  q "SELECT * FROM zhucan_run_item"
  q "SELECT * FROM zhucan_run_line"
} | sum settle
sqlite3 db "UPDATE elder SET died_on = '$MONTH-12' WHERE id IN (SELECT elder_id FROM meal WHERE served_at >= '$MONTH-20' AND served_at < '$NEXT' ORDER BY id LIMIT 3);
            UPDATE elder_status SET valid_to = '$MONTH-05' WHERE rowid IN (SELECT rowid FROM elder_status ORDER BY rowid LIMIT 40);"
{
  q "SELECT * FROM replay(1)"
  q "SELECT settle('$TOP', '$MONTH', 'supersede')" > /dev/null
  q "SELECT id, input_digest, output_digest, superseded_by, meals, subsidised_meals, total_fen FROM zhucan_run ORDER BY id"
  q "SELECT * FROM replay(1)"
  q "SELECT * FROM replay(2)"
} | sum replay
q "SELECT * FROM anomaly_scan('$TOP', '$MONTH')" | sum anomaly_scan
q "SELECT * FROM coverage_gaps('$TOP', '$MONTH-15')" | sum coverage_gaps
{
  echo 'served_at,device,method,token,price'
  sqlite3 -csv db "SELECT served_at, device, upper(method), token, printf('%.2f', price_fen / 100.0)
                     FROM meal WHERE served_at >= '$FIRST' AND served_at < '$NEXT' AND device IS NOT NULL ORDER BY id"
} > month.csv
{
  q "SELECT * FROM swipe_log('month.csv', 'csv')"
  for f in fixtures/swipes/*.csv; do q "SELECT * FROM swipe_log('$f', 'csv')"; done
  q "SELECT * FROM swipe_log('fixtures/swipes/terminal.log', 'terminal')"
} 2>&1 | sum swipe_log
