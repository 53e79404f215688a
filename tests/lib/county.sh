# tests/lib/county.sh — sourced by the shell tests of anomaly_scan (not a
# test itself: tests/run.sh runs tests/*.sh only).  Needs ZC_ROOT, ZC_SO,
# SQLITE3 (tests/run.sh sets them).

# county_db: ./county.db, a copy of data/county.db with 141129 under
# lua/zhongyang.lua (the test is skipped, exit 77, without the fixture).
county_db() {
  [ -f "$ZC_ROOT/data/county.db" ] || { echo "no $ZC_ROOT/data/county.db (make data/county.db)"; exit 77; }
  cp "$ZC_ROOT/data/county.db" county.db
  $SQLITE3 -cmd ".load $ZC_SO" county.db \
    "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua'); UPDATE region SET policy = 'zhongyang' WHERE code = '141129'" > /dev/null
}

# burst_sql DEVICE: sets BURST, 8 card meals one second apart on DEVICE at a
# site of the county (meal ids from 9000000), each elder's own card (the
# default thresholds: 6 within 15 s), and FOUND, the count of card_burst
# rows of the month on those meals.
burst_sql() {
  BURST="INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)
  SELECT 9000000 + k, elder_id, 4, printf('2024-03-12 12:00:%02d', k), 'lunch', 'card', '$1', token, 500
    FROM (SELECT row_number() OVER (ORDER BY token) AS k, elder_id, token
            FROM card WHERE elder_id IN (SELECT elder_id FROM main.meal WHERE site_id = 4) LIMIT 8)"
  FOUND="SELECT count(*) FROM anomaly_scan('141129', '2024-03') WHERE kind = 'card_burst' AND meal_id >= 9000000"
}
