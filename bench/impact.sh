#!/bin/bash
# bench/impact.sh [county.db [city.db]] — policy_impact() against one
# settlement() of the same month, measured in the same process, one after
# the other (target: policy_impact within 2.5x of settlement on the county
# month).  The proposal is lua/zhongyang.lua with lunch raised from 500 to
# 600 fen.  Each database is a scratch copy with every top region under
# 'zhongyang' and lua/zhongyang.lua installed; the month is its busiest.
# Timings: CPU seconds (time.process_time) of the best of N runs of each
# (N = 3 for the county, 1 for the city), after one warm-up of each.
# Without data/city.db the city part is skipped and says so.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNTY=${1:-$ROOT/data/county.db}
CITY=${2:-$ROOT/data/city.db}
SO=${ZC_SO:-$ROOT/zhucan.so}
TMP=$(mktemp -d /tmp/zcimpact.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
sed 's/lunch = 500,/lunch = 600,/' "$ROOT/lua/zhongyang.lua" > "$TMP/zhongyang_600.lua"
grep -q 'lunch = 600,' "$TMP/zhongyang_600.lua" || { echo "cannot make the proposal"; exit 1; }

run() {   # run LABEL SRC REPS
  local label=$1 src=$2 reps=$3 db="$TMP/$1.db"
  cp "$src" "$db"
  sqlite3 "$db" "UPDATE region SET policy = NULL; UPDATE region SET policy = 'zhongyang'
                 WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region);"
  sqlite3 -cmd ".load ${SO%.so}" "$db" "SELECT policy_load('$ROOT/lua/zhongyang.lua')" > /dev/null
  cat "$db" > /dev/null   # warm the page cache
  /usr/bin/python3 - "$SO" "$db" "$TMP/zhongyang_600.lua" "$label" "$reps" <<'EOF'
import sqlite3, sys, time
so, db, prop, label, reps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
con = sqlite3.connect(db)
con.enable_load_extension(True)
con.load_extension(so)
top = con.execute("SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region) "
                  "ORDER BY code LIMIT 1").fetchone()[0]
month = con.execute("SELECT substr(served_at, 1, 7) m FROM meal GROUP BY m ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
meals = con.execute("SELECT count(*) FROM meal WHERE served_at >= ?1 || '-01' AND served_at < date(?1 || '-01', '+1 month')",
                    (month,)).fetchone()[0]
SETTLE = "SELECT count(*), sum(amount_fen) FILTER (WHERE payer <> 'elder') FROM settlement(?, ?)"
IMPACT = ("SELECT count(*), sum(current_fen) FILTER (WHERE payer <> 'elder'), "
          "sum(proposed_fen) FILTER (WHERE payer <> 'elder'), sum(meals_changed) FILTER (WHERE payer <> 'elder') "
          "FROM policy_impact(?, ?, ?)")
def best(sql, args):
    con.execute(sql, args).fetchall()            # warm-up
    t = None
    for _ in range(reps):
        t0 = time.process_time()
        out = con.execute(sql, args).fetchone()
        d = time.process_time() - t0
        t = d if t is None or d < t else t
    return t, out
ts, s = best(SETTLE, (top, month))
ti, i = best(IMPACT, (prop, top, month))
print(f"{label}: region {top}, month {month}, {meals} meals in the month")
print(f"  settlement()     {ts:7.3f} s cpu  rows {s[0]}, paid {s[1]} fen")
print(f"  policy_impact()  {ti:7.3f} s cpu  rows {i[0]}, current {i[1]} fen, proposed {i[2]} fen, "
      f"meals changed {i[3]}")
print(f"  current = settlement: {'yes' if i[1] == s[1] else 'NO'}")
print(f"  policy_impact / settlement: {ti / ts:.2f}" + (" (target <= 2.5)" if label == "county" else ""))
EOF
}

if [ -f "$COUNTY" ]; then
  run county "$COUNTY" 3
else
  echo "county: $COUNTY missing (make data/county.db); skipped"
fi
if [ -f "$CITY" ]; then
  run city "$CITY" 1
else
  echo "city: $CITY missing; skipped"
fi
