#!/bin/sh
# modes: plain asan
# anomaly_scan holds one run of elders at a time (docs/anomalies.md, "How
# the scan runs"): ZHUCAN_SCAN_CHUNK=n ends a run at the first new elder
# after n rows.  A run boundary must change nothing:
#   1. the golden tests of anomaly_scan (hand-worked expectations in their
#      .out files) give the same output with runs of 1 and 2 rows;
#   2. on the county fixture (a hundred thousand meals, six thousand
#      elders) the rows, in order, are the same with runs of 1, 9 and 5,000
#      rows as with the default, and on one thread;
#   3. meals of other months (a copy of the month moved to January, before
#      the days read, and to May, after them) change nothing: the read by
#      elder and the read by device seek past them.
set -eu
no_line_numbers() {
  sed -e 's/^\([A-Z][a-z]* error\) near line [0-9][0-9]*:/\1:/' \
      -e 's/^Error: near line [0-9][0-9]*:/Error:/' "$@"
}

# 1. the goldens, with tiny runs
for t in anomaly_cases anomaly_thresholds anomaly_errors anomaly_limits anomaly_report facts_malformed; do
  for n in 1 2; do
    rm -rf g && mkdir g
    cp "$ZC_SMALL_DB" g/test.db
    ln -s "$ZC_SO" g/zhucan.so
    for d in lua fixtures sql; do ln -s "$ZC_ROOT/$d" g/$d; done
    ( cd g && ZHUCAN_SCAN_CHUNK=$n $SQLITE3 -batch -cmd ".load ./zhucan" test.db < "$ZC_ROOT/tests/$t.sql" > raw.out 2>&1 ) || true
    no_line_numbers g/raw.out > g/actual.out
    if ! diff -u "$ZC_ROOT/tests/$t.out" g/actual.out > g/diff; then
      echo "FAIL: tests/$t.sql with runs of $n rows:"; head -40 g/diff; exit 1
    fi
  done
  echo "tests/$t.sql: as expected with runs of 1 and 2 rows"
done

# 2. the county month, runs of every size
. "$ZC_ROOT/tests/lib/county.sh"
county_db
Q="SELECT * FROM anomaly_scan('141129', '2024-03')"
$SQLITE3 -cmd ".load $ZC_SO" county.db "$Q" > default.out
rows=$(wc -l < default.out)
[ "$rows" -gt 100 ] || { echo "FAIL: $rows findings, too few to compare"; exit 1; }
for n in 1 9 5000; do
  ZHUCAN_SCAN_CHUNK=$n $SQLITE3 -cmd ".load $ZC_SO" county.db "$Q" > run$n.out
  cmp default.out run$n.out || { echo "FAIL: runs of $n rows differ from the default"; diff default.out run$n.out | head; exit 1; }
done
ZHUCAN_NO_THREADS=1 ZHUCAN_SCAN_CHUNK=9 $SQLITE3 -cmd ".load $ZC_SO" county.db "$Q" > one.out
cmp default.out one.out || { echo "FAIL: one thread, runs of 9 rows, differ"; exit 1; }
echo "county: $rows findings, the same with runs of 1, 9, 5000 rows and on one thread"
kinds=$(cut -d'|' -f1 default.out | sort -u | wc -l)
# every kind but unknown_elder (the fixture has none; the goldens above do)
[ "$kinds" -eq 12 ] || { echo "FAIL: $kinds kinds of finding, expected 12"; exit 1; }

# 3. other months in the file
cp county.db months.db
$SQLITE3 months.db "
  CREATE TEMP TABLE m AS SELECT * FROM meal;
  INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
    SELECT id + 10000000, elder_id, site_id, datetime(served_at, '-2 months'), slot, method, device, token, price_fen FROM m;
  INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
    SELECT id + 20000000, elder_id, site_id, datetime(served_at, '+2 months'), slot, method, device, token, price_fen FROM m;"
[ "$($SQLITE3 months.db "SELECT count(*) FROM meal")" -eq $((3 * $($SQLITE3 county.db "SELECT count(*) FROM meal"))) ] ||
  { echo "FAIL: the copies were not added"; exit 1; }
for n in default 7; do
  if [ $n = default ]; then $SQLITE3 -cmd ".load $ZC_SO" months.db "$Q" > months.out
  else ZHUCAN_SCAN_CHUNK=$n $SQLITE3 -cmd ".load $ZC_SO" months.db "$Q" > months.out; fi
  cmp default.out months.out || { echo "FAIL: January and May meals changed March's findings (runs: $n)"; diff default.out months.out | head; exit 1; }
done
echo "county with January and May copies: March's findings unchanged"

# 4. unknown_elder: an elder removed from table elder (its meals, statuses
# and cards stay) and one beyond every id, with runs of every size; the
# meals flagged are the in-scope meals of the month, found here in SQL
cp county.db unknown.db
$SQLITE3 unknown.db "
  DELETE FROM elder WHERE id = (SELECT elder_id FROM meal WHERE served_at >= '2024-03-10' ORDER BY id LIMIT 1);
  INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
    SELECT id + 30000000, 90000000, site_id, served_at, slot, 'manual', NULL, NULL, price_fen
      FROM meal WHERE served_at >= '2024-03-20' ORDER BY id LIMIT 3;"
$SQLITE3 unknown.db "SELECT id FROM meal WHERE elder_id NOT IN (SELECT id FROM elder)
                       AND served_at >= '2024-03-01' AND served_at < '2024-04-01' ORDER BY id" > want.out
[ "$(wc -l < want.out)" -gt 3 ] || { echo "FAIL: too few meals of unknown elders"; exit 1; }
for n in default 1 50; do
  if [ $n = default ]; then $SQLITE3 -cmd ".load $ZC_SO" unknown.db "$Q" > unknown.out
  else ZHUCAN_SCAN_CHUNK=$n $SQLITE3 -cmd ".load $ZC_SO" unknown.db "$Q" > unknown.out; fi
  grep '^unknown_elder|' unknown.out | cut -d'|' -f5 | sort -n > got.out
  cmp want.out got.out || { echo "FAIL: unknown_elder (runs: $n)"; diff want.out got.out | head; exit 1; }
  [ $n = default ] && cp unknown.out unknown-default.out
  cmp unknown-default.out unknown.out || { echo "FAIL: runs of $n rows differ"; exit 1; }
done
echo "unknown elders: $(wc -l < want.out) meals flagged, the same with runs of 1 and 50 rows"
