#!/bin/sh
# bench/ingest.sh — swipe_log() throughput against baselines measured in the
# same run.
#
# Generates a device export of LINES lines (default 1,000,000) in the 'csv'
# format, with 200 devices and 20,000 card tokens that exist in a database
# built here from sql/schema.sql (about 1% of the lines are bad on purpose),
# the same data in the 'terminal' format, then times:
#   swipe_log csv       SELECT count(*), count(error) FROM swipe_log(path, 'csv')
#   swipe_log terminal  the same over the terminal log
#   swipe_log pattern   the csv file through a PCRE2 pattern format
#   baseline readfile   the sqlite3 shell's readfile() and a recursive CTE
#                       splitting lines with instr() (Debian's shell has no
#                       csv virtual table)
#   baseline .import    the sqlite3 shell's own CSV reader: .import --csv
#                       into an in-memory table
# and prints lines, each timing, lines/s and the ratio to the readfile
# baseline.  Target: >= 1M lines/s and at most 1.5x the baseline's time.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LINES=${LINES:-1000000}
SO="$ROOT/zhucan.so"
[ -f "$SO" ] || { echo "bench/ingest.sh: build zhucan.so first (make)"; exit 1; }
W=$(mktemp -d /tmp/zcbench-ingest.XXXXXX)
trap 'rm -rf "$W"' EXIT

python3 - "$W" "$LINES" <<'PY'
import random, sys
w, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(20240305)
devs = ['DEV-%04d' % i for i in range(1, 201)]
toks = ['62123400%08d' % i for i in range(1, 20001)]
methods = ['CARD', 'FACE', 'IC', '刷卡']
windows = [(6 * 3600, 9 * 3600), (11 * 3600, 13 * 3600 + 1800), (17 * 3600, 19 * 3600 + 1800)]
with open(w + '/swipes.csv', 'w', encoding='utf-8') as c, \
     open(w + '/swipes.log', 'w', encoding='utf-8') as t:
    c.write('served_at,device,method,token\n')
    t.write('[2024-03-01 05:59:00] DEV-0001 BOOT ok firmware=2.1\n')
    for i in range(n - 1):
        day = 1 + i * 31 // n
        lo, hi = windows[rnd.randrange(3)]
        s = rnd.randrange(lo, hi + 1)
        dev, tok = rnd.choice(devs), rnd.choice(toks)
        if rnd.random() < 0.01:
            tok = '99999999%08d' % i          # unknown token: an error row
        at = '2024-03-%02d %02d:%02d:%02d' % (day, s // 3600, s // 60 % 60, s % 60)
        m = rnd.choice(methods)
        c.write('%s,%s,%s,%s\n' % (at, dev, m, tok))
        t.write('[%s] %s %s ok %s=%s\n' % (at, dev, 'FACE' if m == 'FACE' else 'CARD',
                                        'uid' if m == 'FACE' else 'card', tok))
PY

{
  cat "$ROOT/sql/schema.sql"
  echo "BEGIN;"
  echo "INSERT INTO region(code, parent, level, name) VALUES ('990000', NULL, 'county', 'Bench county');"
  echo "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50)"
  echo "  INSERT INTO site(id, name, region, kind, opened_on) SELECT 8000 + i, 'site ' || i, '990000', 'canteen', '2024-01-01' FROM s;"
  echo "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200)"
  echo "  INSERT INTO device(id, site_id) SELECT printf('DEV-%04d', i), 8001 + i % 50 FROM s;"
  echo "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000)"
  echo "  INSERT INTO card(token, elder_id, issued_on) SELECT printf('62123400%08d', i), i, '2024-01-01' FROM s;"
  echo "COMMIT;"
} | sqlite3 "$W/bench.db"

now() { date +%s.%N; }
# run NAME COMMAND...: times the command, keeps its output in $W/NAME.out
run() {
  name=$1; shift
  t0=$(now); "$@" > "$W/$name.out"; t1=$(now)
  echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}
PAT='^(?<at>[^,]+),(?<device>[^,]+),(?<method>[^,]+),(?<token>[^,]+)$'
t_csv=$(run csv sqlite3 -cmd ".load $SO" "$W/bench.db" \
  "SELECT count(*), count(error) FROM swipe_log('$W/swipes.csv', 'csv')")
t_term=$(run term sqlite3 -cmd ".load $SO" "$W/bench.db" \
  "SELECT count(*), count(error) FROM swipe_log('$W/swipes.log', 'terminal')")
t_pat=$(run pat sqlite3 -cmd ".load $SO" "$W/bench.db" \
  "SELECT count(*), count(error) FROM swipe_log('$W/swipes.csv', '$PAT')")
t_base=$(run base sqlite3 "$W/bench.db" ".parameter set @b \"readfile('$W/swipes.csv')\"" \
  "WITH RECURSIVE r(pos, n) AS (SELECT 1, 0 UNION ALL
     SELECT pos + instr(substr(@b, pos, 1024), x'0a'), n + 1 FROM r WHERE pos <= length(@b))
   SELECT max(n) FROM r")
t_imp=$(run imp sqlite3 :memory: ".import --csv '$W/swipes.csv' t" "SELECT count(*) + 1 FROM t")

bytes=$(wc -c < "$W/swipes.csv")
echo "file: $LINES lines, $bytes bytes (csv); terminal log $(wc -c < "$W/swipes.log") bytes"
echo "results (lines|error rows): csv $(cat "$W/csv.out"), terminal $(cat "$W/term.out"), pattern $(cat "$W/pat.out")"
echo "baseline line counts: readfile/instr $(cat "$W/base.out"), .import $(cat "$W/imp.out")"
awk -v n="$LINES" -v c="$t_csv" -v t="$t_term" -v p="$t_pat" -v b="$t_base" -v i="$t_imp" 'BEGIN {
  printf "%-34s %8s %14s %10s\n", "what", "seconds", "lines/s", "vs readfile"
  printf "%-34s %8.3f %14.0f %10.2f\n", "swipe_log(path, '\''csv'\'')", c, n / c, c / b
  printf "%-34s %8.3f %14.0f %10.2f\n", "swipe_log(path, '\''terminal'\'')", t, n / t, t / b
  printf "%-34s %8.3f %14.0f %10.2f\n", "swipe_log(path, <PCRE2 pattern>)", p, n / p, p / b
  printf "%-34s %8.3f %14.0f %10.2f\n", "baseline readfile()+instr() CTE", b, n / b, 1
  printf "%-34s %8.3f %14.0f %10.2f\n", "baseline .import --csv", i, n / i, i / b
  printf "target: csv >= 1000000 lines/s: %s; csv time <= 1.5 x baseline: %s\n",
    (n / c >= 1000000 ? "met" : "NOT met"), (c <= 1.5 * b ? "met" : "NOT met")
}'
