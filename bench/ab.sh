#!/bin/bash
# bench/ab.sh — two builds of zhucan.so measured in the same run, alternating,
# on the same fixture: the money and scan passes a refactor must not slow.
#
#   ZC_BASE_SO=/path/to/old/zhucan.so bash bench/ab.sh [DB]
#
# DB defaults to data/county.db.  For each pass, REPS rounds (default 5); in
# every round the base build runs first, then this tree's build (or ZC_SO),
# each in a fresh sqlite3 process on a scratch copy of DB, and the process's
# user+system CPU time is taken (bash's `times` of the child).  Prints per
# pass the median CPU seconds of each build and new/base; the passes:
#   settlement     sum over settlement(top, month)
#   subsidy_for    sum(subsidy_for(id)) over the month's meals
#   anomaly_scan   count(*) over anomaly_scan(top, month)
#   coverage_gaps  count(*) over coverage_gaps(top, 15th of the month)
# The policy is lua/zhongyang.lua on the top region, loaded once per copy
# by each build (a build reads back what it stored itself).
# ZC_LUA=dir takes the policy from another tree's lua/ (an old loader may
# refuse today's stricter policy files).
# ZC_PASSES="anomaly_scan settlement" runs only those passes.  With
# /usr/bin/time installed, each pass also gets the median of the processes'
# peak RSS (MB) for each build.
# Without ZC_BASE_SO it says so and exits 0 (`make bench` runs every script).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${ZC_BASE_SO:-}
NEW=${ZC_SO:-$ROOT/zhucan.so}
DB=${1:-$ROOT/data/county.db}
REPS=${REPS:-5}
if [ -z "$BASE" ]; then
  echo "bench/ab.sh: skipped (set ZC_BASE_SO to an older build to compare with)"
  exit 0
fi
[ -f "$DB" ] || { echo "bench/ab.sh: no $DB (make data/county.db)"; exit 1; }
W=$(mktemp -d /tmp/zcab.XXXXXX)
trap 'rm -rf "$W"' EXIT
ln -s "${ZC_LUA:-$ROOT/lua}" "$W/lua"   # ZC_LUA: the policies of an older tree, if its loader wants them
TOP=$(sqlite3 "$DB" "SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region) ORDER BY code LIMIT 1")
MONTH=$(sqlite3 "$DB" "SELECT substr(served_at, 1, 7) m FROM meal GROUP BY m ORDER BY count(*) DESC, m LIMIT 1")
MEALS=$(sqlite3 "$DB" "SELECT count(*) FROM meal WHERE served_at >= '$MONTH-01' AND served_at < date('$MONTH-01', '+1 month')")
for b in base new; do
  cp "$DB" "$W/$b.db"
  so=$BASE; [ $b = new ] && so=$NEW
  ( cd "$W" && ZHUCAN_LANG=en sqlite3 -batch -cmd ".load $so" $b.db \
      "SELECT policy_load('lua/zhongyang.lua');
       UPDATE region SET policy = 'zhongyang' WHERE code = '$TOP';" >/dev/null )
done

declare -A SQL=(
  [settlement]="SELECT sum(amount_fen) FROM settlement('$TOP', '$MONTH');"
  [subsidy_for]="SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '$MONTH-01' AND served_at < date('$MONTH-01', '+1 month');"
  [anomaly_scan]="SELECT count(*) FROM anomaly_scan('$TOP', '$MONTH');"
  [coverage_gaps]="SELECT count(*) FROM coverage_gaps('$TOP', '$MONTH-15');"
)
cpu() {   # cpu SO DB SQL -> user+sys seconds of one sqlite3 process
  local t0 t1 me=$BASHPID   # this subshell: it waits for the sqlite3 below
  t0=$(awk '{print $14+$15+$16+$17}' /proc/$me/stat)
  if [ -x /usr/bin/time ]; then
    ( cd "$W" && ZHUCAN_LANG=en /usr/bin/time -f %M -o "$W/rss.$4" sqlite3 -batch -cmd ".load $1" "$2" "$3" > "$W/answer.$4" )
  else
    ( cd "$W" && ZHUCAN_LANG=en sqlite3 -batch -cmd ".load $1" "$2" "$3" > "$W/answer.$4" )
  fi
  t1=$(awk '{print $14+$15+$16+$17}' /proc/$me/stat)
  awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) / hz }'
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "fixture $DB: top region $TOP, month $MONTH, $MEALS meals; $REPS rounds, base first in each; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-14s %10s %10s %8s %10s %10s  %s\n" pass "base s" "new s" new/base "base MB" "new MB" answers
rss() { if [ -f "$W/rss.$1" ]; then awk '{ printf "%.0f", $1 / 1024 }' "$W/rss.$1"; else echo -; fi; }
for p in ${ZC_PASSES:-settlement subsidy_for anomaly_scan coverage_gaps}; do
  bs=""; ns=""; bm=""; nm=""
  for _ in $(seq "$REPS"); do
    bs="$bs $(cpu "$BASE" base.db "${SQL[$p]}" base)"; bm="$bm $(rss base)"
    ns="$ns $(cpu "$NEW" new.db "${SQL[$p]}" new)"; nm="$nm $(rss new)"
  done
  same=same; cmp -s "$W/answer.base" "$W/answer.new" || same=DIFFER
  b=$(echo "$bs" | median); n=$(echo "$ns" | median)
  printf "%-14s %10.3f %10.3f %8.3f %10s %10s  %s\n" "$p" "$b" "$n" "$(awk -v b="$b" -v n="$n" 'BEGIN { print (b > 0) ? n / b : 0 }')" \
    "$(echo "$bm" | median)" "$(echo "$nm" | median)" "$same"
done
