#!/bin/bash
# bench/settle.sh [city.db] — settlement() over the whole city, settle() of
# the same month, and the plain-SQL baseline computing the same Zhongyang
# totals (row_number() for nth_slot, age from id_number, agreement join), on
# the busiest month; run_verify() of the stored run (digests, totals and
# chain recomputed from the stored rows alone); then replay() of a county run.  Each timing is one
# sqlite3 process under /usr/bin/time (wall, CPU = user + sys, max RSS).
# Works on a scratch copy: every region is put under the 'zhongyang' policy
# (lua/zhongyang.lua) so the baseline's rules are the rules.  Without
# data/city.db it generates a month (tests/settle_gen.py, ~1.4M meals) and
# says so.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${1:-$ROOT/data/city.db}
SO=${ZC_SO:-$ROOT/zhucan.so}   # ZC_SO: another build, e.g. before a change
TMP=$(mktemp -d /tmp/zcbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/bench.db
if [ -f "$SRC" ]; then
  cp "$SRC" "$DB"
  echo "settle bench: $(basename "$SRC")"
else
  echo "settle bench: $SRC missing; generated month (tests/settle_gen.py 30000 elders, 31 days)"
  (cd "$ROOT" && /usr/bin/python3 tests/settle_gen.py "$DB" 30000 31 sql/schema.sql >/dev/null)
fi
cd "$ROOT"
sqlite3 "$DB" "UPDATE region SET policy = NULL; UPDATE region SET policy = 'zhongyang'
               WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region);"
has=$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'zhucan_policy'")
if [ "$has" = 0 ] || [ "$(sqlite3 "$DB" "SELECT count(*) FROM zhucan_policy WHERE name = 'zhongyang'")" = 0 ]; then
  sqlite3 -cmd ".load $SO" "$DB" "SELECT policy_load('lua/zhongyang.lua')" >/dev/null
fi
TOP=$(sqlite3 "$DB" "SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region) LIMIT 1")
MONTH=$(sqlite3 "$DB" "SELECT substr(served_at, 1, 7) m FROM meal GROUP BY m ORDER BY count(*) DESC LIMIT 1")
FIRST="$MONTH-01"
NEXT=$(sqlite3 "$DB" "SELECT date('$FIRST', '+1 month')")
MEALS=$(sqlite3 "$DB" "SELECT count(*) FROM meal WHERE served_at >= '$FIRST' AND served_at < '$NEXT'")
echo "region $TOP, month $MONTH: $MEALS meals in the month"
sqlite3 "$DB" "SELECT 1 FROM meal LIMIT 1" >/dev/null   # warm the page cache
cat "$DB" > /dev/null

# timed NAME SQL... : prints the result, records wall/cpu/rss in $TMP/NAME
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$TMP/$name.time" sqlite3 -cmd ".load $SO" "$DB" "$@" > "$TMP/$name.out"
  read -r wall user sys rss < "$TMP/$name.time"
  cpu=$(echo "$user + $sys" | bc)
  printf '%-11s wall %6.2f s  cpu %6.2f s  max RSS %6d KiB  -> %s\n' "$name" "$wall" "$cpu" "$rss" "$(tr '\n' ' ' < "$TMP/$name.out")"
  echo "$cpu" > "$TMP/$name.cpu"
}

BASELINE="WITH m AS (
  SELECT m.elder_id, m.site_id, m.slot, substr(m.served_at, 1, 10) AS day,
         row_number() OVER (PARTITION BY m.elder_id, substr(m.served_at, 1, 10), m.slot
                            ORDER BY m.served_at, m.id) AS nth_slot
    FROM meal m WHERE m.served_at >= '$FIRST' AND m.served_at < '$NEXT')
SELECT count(*) AS subsidised,
       sum(CASE m.slot WHEN 'breakfast' THEN 200 WHEN 'lunch' THEN 500 WHEN 'dinner' THEN 300 ELSE 0 END) AS county_fen
  FROM m JOIN elder e ON e.id = m.elder_id
 WHERE m.nth_slot = 1
   AND (e.died_on IS NULL OR m.day < e.died_on)
   AND (CAST(substr(m.day, 1, 4) AS INTEGER) - CAST(substr(e.id_number, 7, 4) AS INTEGER)
        - (substr(m.day, 6, 5) < substr(e.id_number, 11, 2) || '-' || substr(e.id_number, 13, 2))) >= 70
   AND EXISTS (SELECT 1 FROM agreement a WHERE a.elder_id = m.elder_id AND a.site_id = m.site_id
                 AND a.signed_on <= m.day AND (a.ended_on IS NULL OR a.ended_on > m.day));"
timed baseline "$BASELINE"
timed settlement "SELECT sum(quantity) FILTER (WHERE payer = 'county'), sum(amount_fen) FILTER (WHERE payer = 'county') FROM settlement('$TOP', '$MONTH')"
timed settle "SELECT settle('$TOP', '$MONTH')"
sqlite3 "$DB" "SELECT 'stored run', id, meals, subsidised_meals, total_fen FROM zhucan_run WHERE id = 1"
timed run_verify "SELECT count(*) FROM run_verify(1)"
COUNTY=$(sqlite3 "$DB" "SELECT code FROM region WHERE level = 'county' ORDER BY code LIMIT 1")
[ -n "$COUNTY" ] || COUNTY=$TOP
sqlite3 -cmd ".load $SO" "$DB" "SELECT settle('$COUNTY', '$MONTH', 'supersede')" > "$TMP/crun"
CRUN=$(cat "$TMP/crun")
echo "county $COUNTY run $CRUN: $(sqlite3 "$DB" "SELECT meals FROM zhucan_run WHERE id = $CRUN") meals"
timed replay "SELECT count(*) FROM replay($CRUN)"

# What storing a run costs SQLite alone: the run's packs (zhucan_run_pack,
# one row per elder) copied by one plain INSERT ... SELECT into a fresh table
# in the same file (no digests, no money).  settle() cannot be faster than
# settlement() plus this.
timed store_floor "PRAGMA cache_size = -2000; CREATE TABLE floor_copy AS SELECT * FROM zhucan_run_pack WHERE 0;
  INSERT INTO floor_copy SELECT * FROM zhucan_run_pack WHERE seq >= (1 << 32) AND seq < (2 << 32);
  SELECT count(*) FROM floor_copy; DROP TABLE floor_copy;"

b=$(cat "$TMP/baseline.cpu"); s=$(cat "$TMP/settlement.cpu"); t=$(cat "$TMP/settle.cpu"); f=$(cat "$TMP/store_floor.cpu")
echo "same totals (baseline vs settlement): $([ "$(tr '|' ' ' < "$TMP/baseline.out")" = "$(tr '|' ' ' < "$TMP/settlement.out")" ] && echo yes || echo NO)"
echo "settlement: $(echo "scale=0; $MEALS / $s" | bc) meals/s cpu (target >= 2000000)"
echo "settlement / baseline cpu: $(echo "scale=2; $s / $b" | bc) (target <= 1.5)"
echo "settle: $(echo "scale=0; $MEALS / $t" | bc) meals/s cpu; settle / settlement cpu: $(echo "scale=2; $t / $s" | bc) (target <= 2)"
v=$(cat "$TMP/run_verify.cpu")
echo "run_verify of the stored run: $(cat "$TMP/run_verify.out") problems, $(echo "scale=0; $MEALS / $v" | bc) meals/s cpu; run_verify / settlement cpu: $(echo "scale=2; $v / $s" | bc)"
echo "storing floor (plain INSERT ... SELECT of the run's packs): $f s cpu; (settlement + floor) / settlement: $(echo "scale=2; ($s + $f) / $s" | bc)"
echo "replay of the county run: $(cat "$TMP/replay.time" | cut -d' ' -f1) s wall (target < 2)"
