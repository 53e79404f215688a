#!/bin/sh
# modes: plain asan
# anomaly_scan reads the indexes meal_elder_time and meal_device_time from
# the file's pages (ext/pageread.c) when the file is what the connection
# sees, else through SQLite (docs/anomalies.md, "How the scan runs").
# ZHUCAN_SCAN_SQL_READ=1 makes it read through SQLite: the independent path
# every case here is compared with.  Checked:
#   1. the county month: the same rows both ways; the trace says both reads
#      came from the pages; the same rows again in runs of 500 meals (each
#      run resumes the cursor where the last stopped);
#   2. every meal read once: with every slot word made 'brunch', every meal
#      is out_of_hours, so the scan's out_of_hours rows of each month must
#      be exactly the month's meals (counted in plain SQL) -- with meals in
#      February and April too, so the read seeks past other months;
#   3. the three months of 2: the same rows both ways;
#   4. other page sizes and reserved bytes (512; 1024 with 32 reserved;
#      65536 with 40): the same rows as the 4096-byte file;
#   5. values of other types and sizes (text, real, the largest and negative
#      elder ids, a text site, blob slot, token and device, a 3,000-byte
#      token and a 1,500-byte device that spill to overflow pages, a large
#      meal id): the same rows both ways, with those meals among the rows;
#   6. where the pages are not read: WAL mode, a write pending in the
#      caller's transaction (and found), a temp table meal (and found);
#   7. a table whose id is not its rowid: the same rows; the read by
#      device (its index holds the rowid, not the id) through SQLite;
#   8. damaged index pages (random bytes written over them, 24 files):
#      no crash, no sanitizer report; a row set or an error, never a hang.
set -eu
. "$ZC_ROOT/tests/lib/county.sh"
county_db
fail=0
scan() {  # scan DB MONTH OUT: the rows from the pages (OUT), through SQLite (OUT.sql), traces in OUT.err*
  q="SELECT * FROM anomaly_scan('141129', '$2')"
  ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" "$1" "$q" > "$3" 2> "$3.err"
  ZHUCAN_SCAN_TRACE=1 ZHUCAN_SCAN_SQL_READ=1 $SQLITE3 -cmd ".load $ZC_SO" "$1" "$q" > "$3.sql" 2> "$3.err.sql"
}
both_ways() {  # both_ways OUT WHAT: the two reads agree, and the pages were read
  cmp -s "$1" "$1.sql" || { echo "FAIL: $2: the rows differ read from the pages and through SQLite"; diff "$1" "$1.sql" | head -5; fail=1; }
  for r in elder device; do
    grep -q "meals by $r read from the file's pages" "$1.err" || { echo "FAIL: $2: meals by $r not read from the pages: $(cat "$1.err")"; fail=1; }
    grep -q "meals by $r read through SQLite: ZHUCAN_SCAN_SQL_READ" "$1.err.sql" || { echo "FAIL: $2: ZHUCAN_SCAN_SQL_READ not taken"; fail=1; }
  done
  [ -s "$1" ] || { echo "FAIL: $2: no rows"; fail=1; }
}

# 1
scan county.db 2024-03 c.out
both_ways c.out "1. county month"
ZHUCAN_SCAN_CHUNK=500 $SQLITE3 -cmd ".load $ZC_SO" county.db "SELECT * FROM anomaly_scan('141129', '2024-03')" > c500.out
cmp -s c.out c500.out || { echo "FAIL: 1. other rows in runs of 500 meals (the read resumed at each run's first row)"; fail=1; }
echo "1. county month: $(wc -l < c.out) rows, the same from the pages and through SQLite, and in runs of 500 meals"

# 2 and 3: three months (February and April are March's meals moved)
cp county.db months.db
$SQLITE3 months.db "
  INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
    SELECT id + 1000000, elder_id, site_id, '2024-02' || substr(served_at, 8), slot, method, device, token, price_fen
      FROM meal WHERE substr(served_at, 9, 2) <= '29';
  INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
    SELECT id + 2000000, elder_id, site_id, '2024-04' || substr(served_at, 8), slot, method, device, token, price_fen
      FROM meal WHERE id < 1000000 AND substr(served_at, 9, 2) <= '30';"
cp months.db brunch.db
$SQLITE3 brunch.db "UPDATE meal SET slot = 'brunch'"
for m in 2024-02 2024-03 2024-04; do
  scan brunch.db $m b.out
  both_ways b.out "2. every meal once, $m"
  want=$($SQLITE3 brunch.db "SELECT count(*) FROM meal WHERE served_at >= '$m-01' AND served_at < date('$m-01', '+1 month')")
  got=$(grep -c '^out_of_hours|' b.out || true)
  ids=$(grep '^out_of_hours|' b.out | cut -d'|' -f5 | sort -u | wc -l)
  [ "$got" = "$want" ] && [ "$ids" = "$want" ] || { echo "FAIL: 2. $m: $got out_of_hours rows ($ids meals) for $want meals"; fail=1; }
  echo "2. $m, every slot 'brunch': $got out_of_hours rows, $ids meals, $want meals in the month"
  scan months.db $m m.out
  both_ways m.out "3. $m"
  cp m.out "m.$m.out"
  echo "3. $m of three months: $(wc -l < m.out) rows, the same both ways"
done

# 4: the three months' file at other page sizes
for ps in 512:0 1024:32 65536:40; do
  size=${ps%:*}; res=${ps#*:}
  cp months.db p.db
  $SQLITE3 p.db ".filectrl reserve_bytes $res" "PRAGMA page_size = $size" "VACUUM" > /dev/null
  got=$($SQLITE3 p.db "PRAGMA page_size")
  [ "$got" = "$size" ] || { echo "FAIL: 4. page size $got, not $size"; fail=1; }
  scan p.db 2024-03 p.out
  both_ways p.out "4. page size $size"
  cmp -s p.out m.2024-03.out || { echo "FAIL: 4. page size $size: other rows than the 4096-byte file"; fail=1; }
  echo "4. page size $size, $res bytes reserved: the same rows as at 4096"
done

# 5: values of other types and sizes
cp months.db odd.db
$SQLITE3 odd.db "
  INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen) VALUES
    (5000001, 'X-77', 4, '2024-03-05 12:00:00', 'lunch', 'card', 'D-ODD', 'T1', 500),
    (5000002, 'X-77', 4, '2024-03-05 12:30:00', 'lunch', 'card', 'D-ODD', 'T2', 500),
    (5000003, 5.5, 4, '2024-03-06 12:00:00', 'lunch', 'manual', NULL, NULL, 500),
    (5000004, 5.5, 4, '2024-03-06 12:10:00', 'lunch', 'manual', NULL, NULL, 500),
    (5000005, 9223372036854775807, 4, '2024-03-07 12:00:00', 'lunch', 'face', 'D-ODD', 'T3', 500),
    (5000006, -5, 4, '2024-03-07 12:00:01', 'lunch', 'face', 'D-ODD', 'T4', 500),
    (5000007, (SELECT min(elder_id) FROM meal), 'four', '2024-03-08 12:00:00', 'lunch', 'card', 'D-ODD', 'T5', 500),
    (5000008, (SELECT min(elder_id) FROM meal), 4, '2024-03-08 12:00:00', X'6c756e6368', 'card', 'D-ODD', X'0102', 500),
    (5000009, (SELECT min(elder_id) FROM meal), 4, '2024-03-09 12:00:00', 'lunch', 'card', 'D-ODD', printf('%.3000c', 'k'), 500),
    (9007199254740993, (SELECT max(elder_id) FROM meal), 4, '2024-03-09 12:00:00', 'lunch', 'card', printf('%.1500c', 'd'), 'T6', 500);
  INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
    SELECT 5000100 + value, (SELECT min(elder_id) FROM meal) + value, 4, printf('2024-03-10 12:00:%02d', value), 'lunch', 'card', X'4142', 'B' || value, 500
      FROM generate_series(1, 8);"
scan odd.db 2024-03 o.out
both_ways o.out "5. values of other types"
odd=$(grep -c '|500000[0-9]|\||50001[0-9][0-9]|\||9007199254740993|' o.out || true)
[ "$odd" -gt 0 ] || { echo "FAIL: 5. none of the odd meals among the rows"; fail=1; }
echo "5. values of other types and sizes: $(wc -l < o.out) rows ($odd of them on the odd meals), the same both ways"

# 6: where the pages are not read
cp months.db wal.db
$SQLITE3 wal.db "PRAGMA journal_mode = WAL" > /dev/null
ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" wal.db "SELECT * FROM anomaly_scan('141129', '2024-03')" > w.out 2> w.err
grep -q "meals by elder read through SQLite: the file is in WAL mode" w.err || { echo "FAIL: 6. WAL: $(cat w.err)"; fail=1; }
cmp -s w.out m.2024-03.out || { echo "FAIL: 6. WAL: other rows"; fail=1; }
echo "6. WAL mode: read through SQLite, the same rows"
burst_sql D-PAGES
n=$(ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" county.db "BEGIN; $BURST; $FOUND; ROLLBACK;" 2> tx.err)
grep -q "meals by elder read through SQLite: not in a read transaction" tx.err || { echo "FAIL: 6. pending write: $(cat tx.err)"; fail=1; }
[ "$n" = 8 ] || { echo "FAIL: 6. the uncommitted burst: $n of 8 meals found"; fail=1; }
echo "6. a write pending: read through SQLite, $n of 8 uncommitted meals found"
n=$(ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" county.db \
  "CREATE TEMP TABLE meal AS SELECT * FROM main.meal WHERE 0; $BURST; $FOUND;" 2> temp.err)
grep -q "meals by elder read through SQLite: a temp table of the same name" temp.err || { echo "FAIL: 6. temp meal: $(cat temp.err)"; fail=1; }
[ "$n" = 8 ] || { echo "FAIL: 6. the burst in temp.meal: $n of 8 meals found"; fail=1; }
echo "6. a temp table meal: read through SQLite, $n of 8 meals found"

# 7: a table whose id is not its rowid (declared INT, not INTEGER): the
# read by elder takes the id from the index's own column, the read by
# device (whose index holds only the rowid) reads through SQLite
cp county.db norowid.db
$SQLITE3 norowid.db "
  CREATE TABLE meal_new(id INT PRIMARY KEY, elder_id INTEGER NOT NULL, site_id INTEGER NOT NULL,
    served_at TEXT NOT NULL, slot TEXT NOT NULL, method TEXT NOT NULL, device TEXT, token TEXT, price_fen INTEGER NOT NULL);
  INSERT INTO meal_new(rowid, id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
    SELECT 3 * id + 1, id, elder_id, site_id, served_at, slot, method, device, token, price_fen FROM meal;
  DROP TABLE meal;
  ALTER TABLE meal_new RENAME TO meal;
  $(grep -E '^CREATE (UNIQUE )?INDEX IF NOT EXISTS meal_' "$ZC_ROOT/sql/schema.sql")"
scan norowid.db 2024-03 n.out
cmp -s n.out n.out.sql || { echo "FAIL: 7. id not the rowid: the rows differ"; fail=1; }
cmp -s n.out c.out || { echo "FAIL: 7. id not the rowid: other rows than the county's"; fail=1; }
grep -q "meals by elder read from the file's pages" n.out.err || { echo "FAIL: 7. read by elder: $(cat n.out.err)"; fail=1; }
grep -q "meals by device read through SQLite: the table's id is not its rowid" n.out.err || { echo "FAIL: 7. read by device: $(cat n.out.err)"; fail=1; }
echo "7. id not the rowid: the same rows as the county's, the read by device through SQLite"

# 8: damaged index pages
pages=$($SQLITE3 county.db "SELECT group_concat(pageno, ' ') FROM dbstat WHERE name IN ('meal_elder_time', 'meal_device_time')")
[ -n "$pages" ] || { echo "FAIL: 8. no index pages from dbstat"; fail=1; }
bad=0; errs=0; rowsets=0
for seed in $(seq 1 24); do
  cp county.db dmg.db
  # 12 runs of 1-8 random bytes over the indexes' pages (seeded: the same every run)
  echo "$pages" | awk -v seed="$seed" '{
      srand(seed)
      for (k = 0; k < 12; k++) {
        p = $(1 + int(rand() * NF)); off = (p - 1) * 4096 + int(rand() * 4096); n = 1 + int(rand() * 8); s = ""
        for (j = 0; j < n; j++) s = s sprintf("\\%03o", int(rand() * 256))
        print off, s
      } }' | while read -r off bytes; do
    printf "$bytes" | dd of=dmg.db bs=1 seek="$off" conv=notrunc status=none
  done
  set +e
  timeout 30 $SQLITE3 -cmd ".load $ZC_SO" dmg.db "SELECT count(*) FROM anomaly_scan('141129', '2024-03')" > d.out 2> d.err
  st=$?
  set -e
  if [ $st -ne 0 ] && [ $st -ne 1 ]; then
    echo "FAIL: 8. damage seed $seed: exit $st"; head -5 d.err; bad=$((bad + 1)); fail=1
  elif [ $st -eq 1 ]; then
    errs=$((errs + 1))
    grep -qi "malformed\|corrupt" d.err || { echo "FAIL: 8. damage seed $seed: $(head -2 d.err)"; fail=1; }
  else
    rowsets=$((rowsets + 1))
  fi
done
echo "8. 24 damaged files: $errs refused as malformed, $rowsets gave rows, $bad crashed"
exit $fail
