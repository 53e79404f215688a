#!/bin/bash
# policy_impact on a read-only connection (sqlite3 -readonly, and a
# file:...?mode=ro URI) of the small fixture: it answers, writes nothing (the
# file's bytes are the same afterwards) and leaves nothing in the runtime
# (settlement() in the same connection gives the same money before and
# after, a proposal with the installed version's name and date included).
# The expected money is counted by plain SQL without the extension: the
# Zhongyang rules (70+ on the day, alive, agreement with the site in force,
# first meal of its slot that day; breakfast 200, lunch 500, dinner 300),
# so a proposal raising lunch from 500 to 600 adds 100 per such lunch.
# modes: plain asan
set -u
fail() { echo "FAIL: $*"; exit 1; }
DB=$(pwd)/ro.db
cp "$ZC_SMALL_DB" "$DB"
$SQLITE3 -cmd ".load ./zhucan" "$DB" "SELECT policy_load('lua/zhongyang.lua')" > /dev/null || fail "policy_load"
sed 's/lunch = 500,/lunch = 600,/' lua/zhongyang.lua > lunch600.lua
grep -q 'lunch = 600,' lunch600.lua || fail "cannot make the proposal"

# the subsidised meals by slot, by plain SQL (no extension)
COUNT_SQL="WITH m AS (
  SELECT m.*, substr(m.served_at, 1, 10) AS day,
         row_number() OVER (PARTITION BY m.elder_id, substr(m.served_at, 1, 10), m.slot
                            ORDER BY m.served_at, m.id) AS nth_slot
    FROM meal m WHERE m.served_at >= '2024-03-01' AND m.served_at < '2024-04-01')
SELECT m.slot, count(*) FROM m JOIN elder e ON e.id = m.elder_id JOIN site s ON s.id = m.site_id
 WHERE s.region LIKE '141129%' AND m.nth_slot = 1
   AND (e.died_on IS NULL OR m.day < e.died_on)
   AND (CAST(substr(m.day, 1, 4) AS INTEGER) - CAST(substr(e.id_number, 7, 4) AS INTEGER)
        - (substr(m.day, 6, 5) < substr(e.id_number, 11, 2) || '-' || substr(e.id_number, 13, 2))) >= 70
   AND EXISTS (SELECT 1 FROM agreement a WHERE a.elder_id = m.elder_id AND a.site_id = m.site_id
                 AND a.signed_on <= m.day AND (a.ended_on IS NULL OR a.ended_on > m.day))
 GROUP BY m.slot"
counts=$(sqlite3 "$DB" "$COUNT_SQL")
lunches=$(echo "$counts" | sed -n 's/^lunch|//p')
breakfasts=$(echo "$counts" | sed -n 's/^breakfast|//p')
dinners=$(echo "$counts" | sed -n 's/^dinner|//p')
[ -n "$lunches" ] && [ "$lunches" -gt 0 ] || fail "no subsidised lunch in the fixture: $counts"
paid=$(( 200 * ${breakfasts:-0} + 500 * lunches + 300 * ${dinners:-0} ))
echo "by plain SQL: $counts; county pays $paid; proposal adds $((100 * lunches))"

before=$(sha256sum "$DB" | cut -d' ' -f1)
Q="SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer = 'county';
SELECT sum(current_fen), sum(proposed_fen), sum(delta_fen), sum(meals_changed)
  FROM policy_impact('lunch600.lua', '141129', '2024-03') WHERE payer = 'county';
SELECT sum(delta_fen), sum(meals_changed) FROM policy_impact('lua/zhongyang.lua', '141129', '2024-03');
SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer = 'county';"
want="$paid
$paid|$((paid + 100 * lunches))|$((100 * lunches))|$lunches
0|0
$paid"
for how in "-readonly $DB" "file:$DB?mode=ro"; do
  # shellcheck disable=SC2086
  got=$($SQLITE3 -batch -cmd ".load ./zhucan" $how "$Q" 2>&1) || fail "$how: $got"
  [ "$got" = "$want" ] || fail "$how: got
$got
expected
$want"
  # the connection really is read-only: an install is refused
  # shellcheck disable=SC2086
  no=$($SQLITE3 -batch -cmd ".load ./zhucan" $how "SELECT policy_install('return 1')" 2>&1)
  echo "$no" | grep -q "read-only" || fail "$how: policy_install was not refused: $no"
  echo "ok: $how"
done
after=$(sha256sum "$DB" | cut -d' ' -f1)
[ "$before" = "$after" ] || fail "the database file changed"
echo "ok: file unchanged"
