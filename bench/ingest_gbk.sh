#!/bin/sh
# bench/ingest_gbk.sh — swipe_log() on a GBK device export against the same
# export in UTF-8, in the same run.
#
# Generates LINES lines (default 1,000,000) of 'csv' whose devices are named
# after their sites in Chinese (城关社区食堂-07, 好邻居助老小院-12, ...) and
# whose methods are 刷卡/刷脸 on three lines in four (CARD/FACE on the
# rest), 20,000 card tokens, about 1% unknown tokens, in UTF-8; converts it
# with iconv -f utf-8 -t gbk; builds a database knowing the devices and
# cards; then times each, best of RUNS (default 5) interleaved runs:
#   utf-8               SELECT count(*), count(error) FROM swipe_log(utf8 file, 'csv')
#   gbk                 the same over the GBK file with encoding 'gbk'
#   auto on utf-8       the UTF-8 file with encoding 'auto'
#   auto on gbk         the GBK file with encoding 'auto'
#   BASE_SO utf-8       with BASE_SO=path/to/an/older/zhucan.so: the UTF-8
#                       file through that build (is the UTF-8 path slower?)
# and prints the line count, the results, each timing (CPU and wall), and
# the ratios of CPU time.
# Target (issue #15): gbk <= 1.5 x utf-8.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LINES=${LINES:-1000000}
RUNS=${RUNS:-5}
SO="$ROOT/zhucan.so"
[ -f "$SO" ] || { echo "bench/ingest_gbk.sh: build zhucan.so first (make)"; exit 1; }
W=$(mktemp -d /tmp/zcbench-gbk.XXXXXX)
trap 'rm -rf "$W"' EXIT

python3 - "$W" "$LINES" <<'PY'
import random, sys
w, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(20240305)
names = ['城关社区食堂', '好邻居助老小院', '三塔村日间照料中心', '宁乡镇老年食堂', '家和小厨']
devs = ['%s-%02d' % (names[i % 5], i // 5) for i in range(200)]
toks = ['62123400%08d' % i for i in range(1, 20001)]
methods = ['刷卡', '刷脸', '刷卡', 'CARD', 'FACE', '刷脸', '刷卡', 'IC']
windows = [(6 * 3600, 9 * 3600), (11 * 3600, 13 * 3600 + 1800), (17 * 3600, 19 * 3600 + 1800)]
with open(w + '/swipes.csv', 'w', encoding='utf-8') as c, open(w + '/setup.sql', 'w', encoding='utf-8') as s:
    c.write('时间,设备,方式,卡号\n')
    for i in range(n - 1):
        day = 1 + i * 31 // n
        lo, hi = windows[rnd.randrange(3)]
        t = rnd.randrange(lo, hi + 1)
        tok = rnd.choice(toks)
        if rnd.random() < 0.01:
            tok = '99999999%08d' % i          # unknown token: an error row
        c.write('2024-03-%02d %02d:%02d:%02d,%s,%s,%s\n' % (day, t // 3600, t // 60 % 60, t % 60,
                rnd.choice(devs), rnd.choice(methods), tok))
    s.write('BEGIN;\n')
    for i, d in enumerate(devs):
        s.write("INSERT INTO device(id, site_id) VALUES ('%s', %d);\n" % (d, 8001 + i % 50))
    s.write('COMMIT;\n')
PY
iconv -f utf-8 -t gbk "$W/swipes.csv" > "$W/swipes.gbk.csv"

{
  cat "$ROOT/sql/schema.sql"
  echo "BEGIN;"
  echo "INSERT INTO region(code, parent, level, name) VALUES ('990000', NULL, 'county', 'Bench county');"
  echo "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50)"
  echo "  INSERT INTO site(id, name, region, kind, opened_on) SELECT 8000 + i, 'site ' || i, '990000', 'canteen', '2024-01-01' FROM s;"
  echo "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000)"
  echo "  INSERT INTO card(token, elder_id, issued_on) SELECT printf('62123400%08d', i), i, '2024-01-01' FROM s;"
  echo "COMMIT;"
  cat "$W/setup.sql"
} | sqlite3 "$W/bench.db"

# one NAME SO FILE ENCODING-ARGS: one run; its wall-clock and CPU (user +
# system) seconds appended to $W/NAME.times, its output in $W/NAME.out.
# CPU time is what the ratios use: on a shared machine the wall clock also
# counts the time spent waiting for a CPU.
one() {
  /usr/bin/time -f '%e %U %S' -o "$W/t" sqlite3 -cmd ".load $2" "$W/bench.db" \
    "SELECT count(*), count(error) FROM swipe_log('$3', 'csv'$4)" > "$W/$1.out"
  awk '{ printf "%.2f %.2f\n", $2 + $3, $1 }' "$W/t" >> "$W/$1.times"
}
# The runs are interleaved (round r times every case once), so a machine
# that gets busier or quieter meanwhile weighs on every case alike; each
# case reports its best run (least CPU).
for r in $(seq "$RUNS"); do
  one utf8 "$SO" "$W/swipes.csv" ""
  one gbk "$SO" "$W/swipes.gbk.csv" ", 'gbk'"
  one autou "$SO" "$W/swipes.csv" ", 'auto'"
  one autog "$SO" "$W/swipes.gbk.csv" ", 'auto'"
  if [ -n "${BASE_SO:-}" ]; then one base "$BASE_SO" "$W/swipes.csv" ""; fi
done
best() { sort -n "$W/$1.times" | head -1; }   # "cpu wall"
t_u=$(best utf8); t_g=$(best gbk); t_au=$(best autou); t_ag=$(best autog)
t_b=""
if [ -n "${BASE_SO:-}" ]; then t_b=$(best base); fi

echo "file: $(wc -l < "$W/swipes.csv") lines; $(wc -c < "$W/swipes.csv") bytes in UTF-8, $(wc -c < "$W/swipes.gbk.csv") bytes in GBK; best of $RUNS runs"
echo "results (lines|error rows): utf-8 $(cat "$W/utf8.out"), gbk $(cat "$W/gbk.out"), auto on utf-8 $(cat "$W/autou.out"), auto on gbk $(cat "$W/autog.out")${t_b:+, BASE_SO $(cat "$W/base.out")}"
awk -v n="$LINES" -v u="$t_u" -v g="$t_g" -v au="$t_au" -v ag="$t_ag" -v b="$t_b" '
function row(what, t, cpu, wall) { split(t, x, " "); cpu = x[1]; wall = x[2]
  printf "%-40s %8.2f %8.2f %12.0f %9.2f\n", what, cpu, wall, n / cpu, cpu / uc }
BEGIN {
  split(u, y, " "); uc = y[1]; split(g, z, " "); gc = z[1]
  printf "%-40s %8s %8s %12s %9s\n", "what", "cpu s", "wall s", "lines/cpu s", "vs utf-8"
  row("swipe_log(utf-8 file, '\''csv'\'')", u)
  row("swipe_log(gbk file, '\''csv'\'', '\''gbk'\'')", g)
  row("swipe_log(utf-8 file, '\''csv'\'', '\''auto'\'')", au)
  row("swipe_log(gbk file, '\''csv'\'', '\''auto'\'')", ag)
  if (b != "") row("BASE_SO swipe_log(utf-8 file, '\''csv'\'')", b)
  printf "target: gbk CPU time <= 1.5 x utf-8: %s (ratio %.2f)\n", (gc <= 1.5 * uc ? "met" : "NOT met"), gc / uc
}'
