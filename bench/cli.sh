#!/bin/bash
# bench/cli.sh [city.db] — what the zhucan tool costs over the SQL: `zhucan
# settle` drawing its progress bar on a pseudo-terminal (script(1)) against
# `sqlite3 -cmd '.load zhucan.so' DB "SELECT settle(...)"`, on copies of
# the city month (each settle stores a run, so each gets a fresh copy made
# before any timing), alternating shell, tool, shell, tool (ROUNDS=2
# rounds) so that a busy machine slows both alike.  Wall time of each,
# measured in this run, and the ratio of the sums tool / shell (target
# <= 1.03).  The bar's last frame is shown.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${1:-$ROOT/data/city.db}
Z=$ROOT/build/zhucan
[ -f "$SRC" ] || { echo "cli bench: $SRC missing (make data/city.db)"; exit 1; }
[ -x "$Z" ] || { echo "cli bench: $Z missing (make)"; exit 1; }
command -v script > /dev/null || { echo "cli bench: script(1) missing (bsdutils)"; exit 1; }
TMP=$(mktemp -d /tmp/zccli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cp "$SRC" "$TMP/a.db"
sqlite3 -cmd ".load $ROOT/zhucan.so" "$TMP/a.db" "SELECT policy_load('$ROOT/lua/zhongyang.lua')" > /dev/null
ROUNDS=${ROUNDS:-2}
REGION=$(sqlite3 "$TMP/a.db" "SELECT code FROM region WHERE parent IS NULL LIMIT 1")
MONTH=$(sqlite3 "$TMP/a.db" "SELECT substr(served_at, 1, 7) m FROM meal GROUP BY m ORDER BY count(*) DESC LIMIT 1")
MEALS=$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM meal WHERE served_at LIKE '$MONTH%'")
echo "cli bench: $(basename "$SRC"), region $REGION, month $MONTH, $MEALS meals, $ROUNDS rounds"
export ZHUCAN_TODAY=2099-01-01
now() { date +%s.%N; }
shell=0; tool=0; same=yes
for r in $(seq 1 "$ROUNDS"); do
  cp "$TMP/a.db" "$TMP/s.db"; cp "$TMP/a.db" "$TMP/t.db"
  cat "$TMP/s.db" > /dev/null
  t0=$(now)
  sqlite3 -cmd ".load $ROOT/zhucan.so" "$TMP/s.db" "SELECT settle('$REGION', '$MONTH')" > "$TMP/s.out"
  t1=$(now)
  cat "$TMP/t.db" > /dev/null
  t2=$(now)
  script -qec "$Z settle '$TMP/t.db' '$REGION' '$MONTH'" /dev/null > "$TMP/t.out"
  t3=$(now)
  a=$(echo "$t1 - $t0" | bc); b=$(echo "$t3 - $t2" | bc)
  printf 'round %d: sqlite3 SELECT settle() %6.2f s wall; zhucan settle, bar on a pty %6.2f s wall\n' "$r" "$a" "$b"
  shell=$(echo "$shell + $a" | bc); tool=$(echo "$tool + $b" | bc)
  [ "$(sqlite3 "$TMP/s.db" "SELECT total_fen, output_digest FROM zhucan_run")" = \
    "$(sqlite3 "$TMP/t.db" "SELECT total_fen, output_digest FROM zhucan_run")" ] || same=NO
  rm -f "$TMP/s.db" "$TMP/t.db"
done
echo "the bar's last frame: $(tr '\r' '\n' < "$TMP/t.out" | grep -a 'done in' | sed 's/\x1b\[K//g' | tail -n 1)"
echo "same run (total, output digest): $same"
echo "zhucan settle / SELECT settle(): $(echo "scale=3; $tool / $shell" | bc) (target <= 1.03)"
