#!/bin/sh
# bench/gen.sh — fixture generator speed: time `zcgen` at county and city
# scale and print meals and meals/s (wall clock, and CPU seconds of the
# process).  Baseline in the same run: copying the generated meal table with
# a plain `INSERT INTO ... SELECT` in the sqlite3 shell — the cost of SQLite
# writing the same rows with no generation at all — and the ratio against it.
set -e
cd "$(dirname "$0")/.."
[ -x build/zcgen ] || make build/zcgen >/dev/null
out=$(mktemp -d /tmp/zcgen_bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
now() { date +%s.%N; }
for scale in county city; do
  t0=$(now)
  build/zcgen --scale $scale --out "$out/$scale.db" 2> "$out/$scale.err"
  t1=$(now)
  meals=$(sqlite3 "$out/$scale.db" "SELECT count(*) FROM meal")
  summary=$(cat "$out/$scale.err")
  cpu=$(echo "$summary" | sed -n 's/.* cpu=\([0-9.]*\)s .*/\1/p')
  idx=$(echo "$summary" | sed -n 's/.*index build \([0-9.]*\)s wall.*/\1/p')
  # baseline: SQLite alone copying the same meals (table then the same 4 indexes)
  b0=$(now)
  sqlite3 "$out/copy.db" "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
    ATTACH '$out/$scale.db' AS src;
    CREATE TABLE meal AS SELECT * FROM src.meal WHERE 0;
    INSERT INTO meal SELECT * FROM src.meal;
    CREATE INDEX meal_elder_time ON meal(elder_id, served_at);
    CREATE INDEX meal_site_time ON meal(site_id, served_at);
    CREATE INDEX meal_device_time ON meal(device, served_at);
    CREATE INDEX meal_time ON meal(served_at);" > /dev/null
  b1=$(now)
  rm -f "$out/copy.db"
  awk -v s=$scale -v m=$meals -v w0=$t0 -v w1=$t1 -v c=$cpu -v i=$idx -v b0=$b0 -v b1=$b1 'BEGIN {
    w = w1 - w0; b = b1 - b0;
    printf "%-6s meals=%d  zcgen %.2f s wall (%.0f meals/s; index build %.2f s), %.2f s cpu (%.0f meals/s)\n", s, m, w, m / w, i, c, m / c;
    printf "%-6s baseline sqlite3 copy of the same meals + indexes %.2f s wall (%.0f meals/s); zcgen/baseline = %.2f\n", s, b, m / b, w / b }'
done
cat /proc/loadavg | awk '{ print "load average during the run: " $1 " " $2 " " $3 " (2 cores; wall times grow with other load)" }'
