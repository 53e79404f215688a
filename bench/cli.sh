#!/bin/bash
# bench/cli.sh [city.db] — what the zhucan tool costs over the SQL it wraps
# (issue #15: `zhucan settle` with its progress bar within 3% of
# `SELECT settle(...)`).  Two measurements, both taken in this run:
#
# 1. Instructions, county month (data/county.db), valgrind --tool=callgrind:
#    deterministic on a shared machine, unlike time.  `sqlite3 -cmd '.load
#    zhucan.so' DB "SELECT settle(...)"` against `zhucan settle` drawing its
#    bar on a pseudo-terminal (script(1)), and `zhucan settle` off a
#    terminal (no bar), each on a fresh copy.  Whole processes: start-up,
#    the tool's count of meals and its calibration are in the count.  Under
#    valgrind a run lasts ~50 times longer, so the bar (redrawn at most 10
#    times a second) draws ~50 times more frames than natively: the count
#    is an upper bound of the bar's share.
# 2. CPU time (user + sys, /usr/bin/time), city month (data/city.db): REPS
#    (default 3) rounds alternating shell, tool with the bar on a pty, each
#    on a fresh copy made before the timing (a settle stores a run); min
#    and median of each, and their ratios.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CITY=${1:-$ROOT/data/city.db}
COUNTY=$ROOT/data/county.db
Z=$ROOT/build/zhucan
SO=$ROOT/zhucan.so
for f in "$CITY" "$COUNTY"; do [ -f "$f" ] || { echo "cli bench: $f missing (make $f)"; exit 1; }; done
[ -x "$Z" ] || { echo "cli bench: $Z missing (make)"; exit 1; }
for c in script valgrind /usr/bin/time; do
  command -v $c > /dev/null || { echo "cli bench: $c missing (tools/deps.sh: bsdutils, valgrind, time)"; exit 1; }
done
TMP=$(mktemp -d /tmp/zccli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export ZHUCAN_TODAY=2099-01-01 ZHUCAN_LANG=en   # the bar in English: its frames are counted below
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# prepare SRC DEST: a copy with the policy installed; prints region month meals
prepare() {
  cp "$1" "$2"
  sqlite3 -cmd ".load $SO" "$2" "SELECT policy_load('$ROOT/lua/zhongyang.lua')" > /dev/null
  local region month
  region=$(sqlite3 "$2" "SELECT code FROM region WHERE parent IS NULL LIMIT 1")
  month=$(sqlite3 "$2" "SELECT substr(served_at, 1, 7) m FROM meal GROUP BY m ORDER BY count(*) DESC LIMIT 1")
  echo "$region $month $(sqlite3 "$2" "SELECT count(*) FROM meal WHERE served_at LIKE '$month%'")"
}
run_of() { sqlite3 "$1" "SELECT total_fen, output_digest FROM zhucan_run"; }

# ---- 1. instructions, county
read -r REGION MONTH MEALS < <(prepare "$COUNTY" "$TMP/c.db")
echo "1. instructions (callgrind), county.db: region $REGION, month $MONTH, $MEALS meals"
ir() { awk '/^summary:/ { print $2 }' "$1"; }
cp "$TMP/c.db" "$TMP/c1.db"; cp "$TMP/c.db" "$TMP/c2.db"; cp "$TMP/c.db" "$TMP/c3.db"
valgrind -q --tool=callgrind --callgrind-out-file="$TMP/cg.shell" \
  sqlite3 -cmd ".load $SO" "$TMP/c1.db" "SELECT settle('$REGION', '$MONTH')" > /dev/null
script -qec "valgrind -q --tool=callgrind --callgrind-out-file='$TMP/cg.bar' '$Z' settle '$TMP/c2.db' '$REGION' '$MONTH'" \
  /dev/null > "$TMP/bar.out"
valgrind -q --tool=callgrind --callgrind-out-file="$TMP/cg.nobar" "$Z" settle "$TMP/c3.db" "$REGION" "$MONTH" \
  > /dev/null 2>&1 < /dev/null
s=$(ir "$TMP/cg.shell"); b=$(ir "$TMP/cg.bar"); n=$(ir "$TMP/cg.nobar")
frames=$(tr '\r' '\n' < "$TMP/bar.out" | grep -ac 'meals/s' || true)
printf '   sqlite3 SELECT settle()          %14d instructions\n' "$s"
printf '   zhucan settle, bar on a pty      %14d instructions  %d frames drawn  ratio %s\n' "$b" "$frames" \
  "$(echo "scale=4; $b / $s" | bc)"
printf '   zhucan settle, no terminal       %14d instructions                   ratio %s\n' "$n" \
  "$(echo "scale=4; $n / $s" | bc)"
[ "$(run_of "$TMP/c1.db")" = "$(run_of "$TMP/c2.db")" ] && [ "$(run_of "$TMP/c1.db")" = "$(run_of "$TMP/c3.db")" ] \
  && echo "   same run (total, output digest): yes" || echo "   same run (total, output digest): NO"
rm -f "$TMP"/c*.db

# ---- 2. CPU time, city
read -r REGION MONTH MEALS < <(prepare "$CITY" "$TMP/a.db")
REPS=${REPS:-3}
echo "2. CPU time (user+sys), $(basename "$CITY"): region $REGION, month $MONTH, $MEALS meals, $REPS rounds"
: > "$TMP/shell.t"; : > "$TMP/tool.t"; same=yes
for r in $(seq 1 "$REPS"); do
  cp "$TMP/a.db" "$TMP/s.db"; cp "$TMP/a.db" "$TMP/t.db"
  cat "$TMP/s.db" "$TMP/t.db" > /dev/null
  /usr/bin/time -f '%U %S %e' -o "$TMP/one" \
    sqlite3 -cmd ".load $SO" "$TMP/s.db" "SELECT settle('$REGION', '$MONTH')" > /dev/null
  cat "$TMP/one" >> "$TMP/shell.t"; read -r su ss se < "$TMP/one"
  script -qec "/usr/bin/time -f '%U %S %e' -o '$TMP/one' '$Z' settle '$TMP/t.db' '$REGION' '$MONTH'" /dev/null > "$TMP/t.out"
  cat "$TMP/one" >> "$TMP/tool.t"; read -r tu ts te < "$TMP/one"
  printf '   round %d: sqlite3 SELECT settle() %6.2f s CPU (%6.2f wall); zhucan settle, bar on a pty %6.2f s CPU (%6.2f wall)\n' \
    "$r" "$(echo "$su + $ss" | bc)" "$se" "$(echo "$tu + $ts" | bc)" "$te"
  [ "$(run_of "$TMP/s.db")" = "$(run_of "$TMP/t.db")" ] || same=NO
  rm -f "$TMP/s.db" "$TMP/t.db"
done
python3 - "$TMP/shell.t" "$TMP/tool.t" <<'PY'
import statistics, sys
def load(f):
    rows = [list(map(float, l.split())) for l in open(f) if l.strip()]
    return [u + s for u, s, _ in rows], [e for _, _, e in rows]
(sc, sw), (tc, tw) = load(sys.argv[1]), load(sys.argv[2])
for name, a, b in (("CPU", sc, tc), ("wall", sw, tw)):
    print(f"   {name:4}: SELECT settle() min {min(a):.2f} s, median {statistics.median(a):.2f} s; "
          f"zhucan settle min {min(b):.2f} s, median {statistics.median(b):.2f} s; "
          f"ratio of mins {min(b) / min(a):.3f}, of medians {statistics.median(b) / statistics.median(a):.3f}")
PY
echo "   the bar's last frame: $(tr '\r' '\n' < "$TMP/t.out" | grep -a 'done in' | sed 's/\x1b\[K//g' | tail -n 1)"
echo "   same run (total, output digest): $same"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)   (target: zhucan settle / SELECT settle() <= 1.03)"
