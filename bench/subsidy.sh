#!/bin/bash
# Issue 3 benchmark: SELECT sum(subsidy_for(id)) FROM meal against the same
# Zhongyang total in plain SQL (bench/zhongyang_plain.sql), on the county
# and city fixtures, in the same run.  Prints meals, both timings (CPU
# seconds, user+sys, best of 2, warm cache), the ratio and meals/s; checks
# that both totals are equal.
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
cpu() { # cpu SECONDS of a command: user+sys from /usr/bin/time
  /usr/bin/time -f '%U %S' -o /tmp/zc_bench_time "$@" > /tmp/zc_bench_out
  awk '{printf "%.3f", $1 + $2}' /tmp/zc_bench_time
}
best() { local a b; a=$(cpu "$@"); b=$(cpu "$@"); awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", (a<b)?a:b}'; }
for scale in county city; do
  db="data/$scale.db"
  [ -f "$db" ] || { echo "$db missing (make $db)"; continue; }
  work=$(mktemp /tmp/zc_bench_XXXXXX.db)
  cp "$db" "$work"
  sqlite3 -cmd ".load ./zhucan" "$work" "SELECT policy_load('lua/zhongyang.lua')" > /dev/null
  month=$(sqlite3 "$work" "SELECT substr(min(served_at),1,7) FROM meal")
  first="$month-01"; next=$(sqlite3 "$work" "SELECT date('$first','+1 month')")
  meals=$(sqlite3 "$work" "SELECT count(*) FROM meal WHERE served_at >= '$first' AND served_at < '$next'")
  q_ext="SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '$first' AND served_at < '$next'"
  t_ext=$(best sqlite3 -cmd ".load ./zhucan" "$work" "$q_ext"); tot_ext=$(cat /tmp/zc_bench_out)
  t_sql=$(best sqlite3 -cmd ".parameter set @first \"'$first'\"" -cmd ".parameter set @next \"'$next'\"" "$work" ".read bench/zhongyang_plain.sql")
  tot_sql=$(cut -d'|' -f2 /tmp/zc_bench_out)
  echo "$scale: $meals meals in $month"
  echo "  subsidy_for sum   ${t_ext} s  total $tot_ext fen  $(awk -v n=$meals -v t=$t_ext 'BEGIN{printf "%.0f", n/t}') meals/s"
  echo "  plain SQL         ${t_sql} s  total $tot_sql fen"
  echo "  ratio subsidy_for / plain SQL = $(awk -v a=$t_ext -v b=$t_sql 'BEGIN{printf "%.2f", a/b}')  (target <= 2.0; >= 1M meals/s)"
  [ "$tot_ext" = "$tot_sql" ] || echo "  MISMATCH: subsidy_for total $tot_ext != plain SQL $tot_sql"
  rm -f "$work"
done
