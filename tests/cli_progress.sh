#!/bin/bash
# modes: plain
# The progress bar: `zhucan settle` of the county fixture inside tmux (a
# real terminal) draws "settle [####] N/N meals ... done in"; N, the month's
# meals, is counted here by the sqlite3 shell and grouped by thousands.
# ZHUCAN_PROGRESS_LOG records each frame: the meals-done estimates never
# go down and never pass the total, and some frame counted meals.  The same command with stderr to a file
# draws nothing (cli_commands.sh checks the same on the small fixture);
# `scan`, `ingest` and `notice` (sites) draw their bar in tmux too.
set -u
SQ=${SQLITE3:-sqlite3}
SO=${ZC_SO:-$ZC_ROOT/zhucan.so}
Z=$ZC_ROOT/build/zhucan
command -v tmux > /dev/null || { echo "tmux missing (make deps)"; exit 77; }
cp "$ZC_ROOT/data/county.db" county.db || exit 1
$SQ -cmd ".load $SO" county.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null || exit 1
meals=$($SQ county.db "SELECT count(*) FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01'")
grouped=$(echo "$meals" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
fail=0
S=zc$$
# run CMD in a fresh tmux pane; waits for it, leaves the pane's text in pane;
# the exit status expected is $WANT (0 unless set)
in_tmux() {
  rm -f done.flag
  tmux new-session -d -s "$S" -x 120 -y 30 \
    "cd '$PWD' && ZHUCAN_LANG=en ZHUCAN_TODAY=2024-05-01 ZHUCAN_PROGRESS_LOG='$PWD/plog' $*; echo \$? > done.flag; sleep 60"
  for _ in $(seq 1 600); do [ -f done.flag ] && break; sleep 0.1; done
  tmux capture-pane -p -S - -t "$S" > pane   # with the history: notice prints 100+ lines
  tmux kill-session -t "$S"
  [ -f done.flag ] || { echo "FAIL: $* did not finish in tmux"; fail=1; return; }
  [ "$(cat done.flag)" = "${WANT:-0}" ] || { echo "FAIL: $* exited $(cat done.flag) in tmux"; cat pane; fail=1; }
}
rm -f plog
in_tmux "$Z" settle county.db 141129 2024-03
grep -q "^settle \[#*\] $grouped/$grouped meals .* done in" pane ||
  { echo "FAIL: no finished bar '$grouped/$grouped meals' in the pane:"; cat pane; fail=1; }
# frames: done never decreases, estimates never pass the total
awk -v t="$meals" '$1 == "frame" { split($3, d, "="); split($5, e, "=");
       if (d[2] + 0 < last) { print "FAIL: done went down: " $0; bad = 1 } last = d[2] + 0;
       if (e[2] + 0 > t * 1.01) { print "FAIL: estimate above the total: " $0; bad = 1 }
       if (e[2] + 0 > 0) counted = 1; frames++ }
     $1 == "end" { ended = 1 }
     END { if (!ended) { print "FAIL: no end frame"; bad = 1 }
           # frames but never an estimate: the month-scan SQL of cli/progress.c
           # no longer matches ext/ (the bar would sit at 0 until the end)
           if (frames >= 2 && !counted) { print "FAIL: no frame counted any meal"; bad = 1 }
           exit bad }' plog || fail=1
echo "settle frames: $(grep -c frame plog) (estimates: $(awk '$1 == "frame" { printf "%s ", $5 }' plog))"
in_tmux "$Z" --lang zh scan county.db 141129 2024-03
grep -q "^筛查 \[#*\] $grouped/$grouped 餐" pane || { echo "FAIL: no scan bar in Chinese:"; cat pane; fail=1; }
# ingest: lines of a file (5 lines, 1 header)
pair=$($SQ county.db "SELECT d.id || ',' || c.token FROM device d JOIN card c ON c.revoked_on IS NULL LIMIT 1")
{ echo "served_at,device,method,token"; for m in 01 02 03 04; do echo "2024-04-02 11:$m:00,$pair" | sed 's/,\([^,]*\)$/,CARD,\1/'; done; } > dev.csv
in_tmux "$Z" ingest county.db dev.csv --price 10
grep -q "^rejects \[#*\] 5/5 lines" pane || { echo "FAIL: no ingest bar '5/5 lines':"; cat pane; fail=1; }
grep -q "meals added: 4" pane || { echo "FAIL: ingest in tmux:"; cat pane; fail=1; }
# notice: pages written / sites with a meal in the month (plain SQL); exit 3
# (the fixture plants overdue notices)
sites=$($SQ county.db "SELECT count(DISTINCT site_id) FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01'")
WANT=3 in_tmux "$Z" notice county.db 141129 2024-03 --out pages
grep -q "^notices \[#*\] $sites/$sites sites .* done in" pane || { echo "FAIL: no notice bar '$sites/$sites sites':"; cat pane; fail=1; }
[ "$(ls pages | wc -l)" = "$sites" ] || { echo "FAIL: $(ls pages | wc -l) pages, $sites sites"; fail=1; }
# not a terminal: nothing on stderr
ZHUCAN_TODAY=2024-05-01 "$Z" settle county.db 141129 2024-03 --supersede > out 2> err || { echo "FAIL: settle off a terminal"; fail=1; }
[ -s err ] && { echo "FAIL: progress output without a terminal: $(head -c 200 err)"; fail=1; }
exit $fail
