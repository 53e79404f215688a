#!/bin/sh
# modes: plain asan
# The bulk loaders of facts.c give the same money as the one-by-one loaders
# and as plain SQL, on the county fixture (97k meals, 3,845 diners: enough
# for subsidy_for to switch to reading the month whole after some
# elder-months and every elder's record after as many loads: 1/64 of the
# elders, at least 256).
#   1. sum(subsidy_for) over March, scanned in time order (bulk path),
#      equals bench/zhongyang_plain.sql, the same rules in plain SQL, and
#      settlement()'s county rows;
#   2. per meal: subsidy_for on a fresh connection for the meals of the
#      first 200 elders only (one-by-one path: below both thresholds)
#      equals the bulk-path value of the same meals;
#   3. the month priced whole (subsidy_for's money cache) leaves out a meal
#      it cannot price: a scan still stops at that meal with its own error;
#   4. the money cache goes with a data change on the same connection: a
#      death date set between two scans takes exactly that elder's money
#      of the rest of the month off the second total.
set -eu
SRC="$ZC_ROOT/data/county.db"
[ -f "$SRC" ] || { echo "no $SRC (make data/county.db)"; exit 77; }
cp "$SRC" county.db
$SQLITE3 -cmd ".load $ZC_SO" county.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null
bulk=$($SQLITE3 -cmd ".load $ZC_SO" county.db "
  CREATE TABLE bulk AS SELECT id, subsidy_for(id) AS fen FROM meal
   WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01' ORDER BY served_at, id;
  SELECT count(*), sum(fen) FROM bulk;")
plain=$($SQLITE3 -cmd ".parameter set @first \"'2024-03-01'\"" -cmd ".parameter set @next \"'2024-04-01'\"" \
  county.db ".read $ZC_ROOT/bench/zhongyang_plain.sql" | cut -d'|' -f2)
settled=$($SQLITE3 -cmd ".load $ZC_SO" county.db \
  "SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer = 'county'")
echo "bulk: meals|fen $bulk; plain SQL fen $plain; settlement county fen $settled"
[ "${bulk#*|}" = "$plain" ] || { echo "FAIL: subsidy_for total ${bulk#*|} != plain SQL $plain"; exit 1; }
[ "$settled" = "$plain" ] || { echo "FAIL: settlement total $settled != plain SQL $plain"; exit 1; }
one=$($SQLITE3 -cmd ".load $ZC_SO" county.db "
  SELECT count(*), sum(subsidy_for(m.id) <> b.fen) FROM meal m JOIN bulk b USING (id)
   WHERE m.elder_id IN (SELECT DISTINCT elder_id FROM meal ORDER BY elder_id LIMIT 200);")
echo "one by one: meals|differing $one"
[ "${one#*|}" = 0 ] || { echo "FAIL: $one"; exit 1; }
[ "${one%|*}" -gt 2000 ] || { echo "FAIL: too few meals compared: $one"; exit 1; }

# 3. the last meal of March at a site moved to a region that no policy governs
last=$($SQLITE3 county.db "SELECT site_id FROM meal WHERE served_at < '2024-04-01' ORDER BY served_at DESC, id DESC LIMIT 1")
$SQLITE3 county.db "INSERT INTO region(code, parent, level, name) VALUES ('999999', NULL, 'county', 'no policy');
  UPDATE site SET region = '999999' WHERE id = $last;"
err=$($SQLITE3 -cmd ".load $ZC_SO" county.db "
  SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01'" 2>&1 || true)
echo "scan with an ungoverned site: $err"
case "$err" in
  *"subsidy_for: no policy governs site $last (region 999999)"*) ;;
  *) echo "FAIL: expected the ungoverned site's error"; exit 1 ;;
esac
rest=$($SQLITE3 -cmd ".load $ZC_SO" county.db "
  SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01' AND site_id <> $last")
want=$($SQLITE3 county.db "SELECT sum(b.fen) FROM bulk b JOIN meal m USING (id) WHERE m.site_id <> $last")
[ "$rest" = "$want" ] || { echo "FAIL: other sites $rest != $want"; exit 1; }

# 4. one connection: scan, set a death date, scan again
e=$($SQLITE3 county.db "SELECT m.elder_id FROM meal m JOIN bulk b USING (id) WHERE b.fen > 0 AND m.site_id <> $last
  GROUP BY m.elder_id ORDER BY count(*) DESC LIMIT 1")
lost=$($SQLITE3 county.db "SELECT sum(b.fen) FROM bulk b JOIN meal m USING (id) WHERE m.elder_id = $e
  AND m.site_id <> $last AND m.served_at >= '2024-03-16'")
two=$($SQLITE3 -cmd ".load $ZC_SO" county.db "
  SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01' AND site_id <> $last;
  UPDATE elder SET died_on = '2024-03-16' WHERE id = $e;
  SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01' AND site_id <> $last;" | tr '\n' ' ')
echo "elder $e dies 2024-03-16: totals $two, expected to lose $lost"
set -- $two
[ "$1" = "$want" ] && [ "$2" = "$((want - lost))" ] && [ "$lost" -gt 0 ] || { echo "FAIL"; exit 1; }
echo ok
