#!/bin/sh
# modes: plain asan
# A run's meals are stored in packs (zhucan_run_pack, one blob per elder,
# ext/pack.c) and read back through the view zhucan_run_meal.  On the
# county fixture (97,506 meals of March 2024):
#   1. every row of the view is its meal as the meal table has it, with the
#      subsidy subsidy_for gives and the ordinals plain SQL's row_number()
#      gives; one row per meal of the month, in (elder, time, id) order;
#   2. zhucan_run_unpack refuses what is not a pack;
#   3. a database whose run 1 is in the layout before packs (a table
#      zhucan_run_meal, made here from the view's rows) replays run 1 from
#      that table; a new settle() moves the table aside
#      (zhucan_run_meal_v1) and the view shows both runs; both replay to
#      no differences and the statement of run 1 still adds up.
set -eu
SRC="$ZC_ROOT/data/county.db"
[ -f "$SRC" ] || { echo "no $SRC (make data/county.db)"; exit 77; }
cp "$SRC" county.db
Q() { $SQLITE3 -cmd ".load $ZC_SO" county.db "$@"; }
Q "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null
run=$(Q "SELECT settle('141129', '2024-03')")
[ "$run" = 1 ] || { echo "FAIL: settle answered $run"; exit 1; }

# 1. the view against the meal table, subsidy_for and SQL ordinals
month=$(Q "SELECT count(*) FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01'")
chk=$(Q "
  WITH o AS (
    SELECT id, row_number() OVER (PARTITION BY elder_id, substr(served_at, 1, 10), slot ORDER BY served_at, id) AS ns,
           row_number() OVER (PARTITION BY elder_id, substr(served_at, 1, 10) ORDER BY served_at, id) AS nd,
           row_number() OVER (PARTITION BY elder_id ORDER BY served_at, id) AS nm
      FROM meal WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01')
  SELECT count(*),
         sum(r.elder_id IS NOT m.elder_id OR r.site_id IS NOT m.site_id OR r.served_at IS NOT m.served_at
             OR r.slot IS NOT m.slot OR r.method IS NOT m.method OR r.device IS NOT m.device
             OR r.token IS NOT m.token OR r.price_fen IS NOT coalesce(m.price_fen, 0)),
         sum(r.subsidy_fen <> subsidy_for(m.id)),
         sum(r.nth_slot <> o.ns OR r.nth_day <> o.nd OR r.nth_month <> o.nm),
         sum(r.parts IS NOT (CASE WHEN r.subsidy_fen > 0 THEN json_object('county', r.subsidy_fen) END))
    FROM zhucan_run_meal r JOIN meal m ON m.id = r.meal_id JOIN o ON o.id = m.id WHERE r.run_id = 1")
echo "view rows | differing columns | differing subsidy | differing ordinals | differing parts: $chk (month: $month meals)"
[ "$chk" = "$month|0|0|0|0" ] || { echo "FAIL"; exit 1; }
order=$(Q "SELECT count(*) FROM (SELECT seq, elder_id, served_at, meal_id,
                lag(elder_id) OVER w AS pe, lag(served_at) OVER w AS pt, lag(meal_id) OVER w AS pm
           FROM zhucan_run_meal WHERE run_id = 1 WINDOW w AS (ORDER BY seq))
  WHERE pe IS NOT NULL AND NOT (pe < elder_id OR (pe = elder_id AND (pt < served_at OR (pt = served_at AND pm < meal_id))))")
[ "$order" = 0 ] || { echo "FAIL: $order rows out of (elder, time, id) order"; exit 1; }
packs=$(Q "SELECT count(*), sum(meals), count(DISTINCT elder_id) FROM zhucan_run_pack WHERE run_id = 1")
echo "packs | meals | elders: $packs"
[ "${packs#*|}" = "$month|${packs%%|*}" ] || { echo "FAIL: one pack per elder holding every meal"; exit 1; }

# 2. not a pack
for arg in "x'0203'" "'text'" "x'01ff'" ""; do  # "": no argument (it said 'no query solution')
  err=$(Q "SELECT count(*) FROM zhucan_run_unpack($arg)" 2>&1 || true)
  echo "zhucan_run_unpack($arg): $err"
  case "$err" in *"zhucan_run_unpack:"*) ;; *) echo "FAIL: expected an error"; exit 1 ;; esac
done
case "$(Q "SELECT count(*) FROM zhucan_run_unpack(NULL)" 2>&1)" in *"zhucan_run_unpack: NULL is not a meal pack"*) ;; *) echo "FAIL: NULL"; exit 1 ;; esac
upd=$(Q "UPDATE zhucan_run_pack SET meals = 0" 2>&1 || true)
case "$upd" in *"runs are immutable"*) ;; *) echo "FAIL: pack updated: $upd"; exit 1 ;; esac

# 3. run 1 in the layout before packs
total1=$(Q "SELECT sum(subsidy_fen) FROM zhucan_run_meal WHERE run_id = 1")
Q "
  CREATE TABLE old_meal(seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, meal_id INTEGER NOT NULL,
    elder_id INTEGER NOT NULL, site_id INTEGER NOT NULL, served_at TEXT NOT NULL, slot TEXT, method TEXT,
    device TEXT, token TEXT, price_fen INTEGER, nth_slot INTEGER, nth_day INTEGER, nth_month INTEGER,
    version_id INTEGER, subsidy_fen INTEGER NOT NULL, parts TEXT);
  INSERT INTO old_meal SELECT * FROM zhucan_run_meal;"
$SQLITE3 county.db "
  DROP VIEW zhucan_run_line; DROP VIEW zhucan_run_meal; DROP TABLE zhucan_run_pack;
  DROP TABLE zhucan_run_cover; DROP TRIGGER zhucan_run_guard_insert; DROP TRIGGER zhucan_run_guard_update;
  ALTER TABLE zhucan_run DROP COLUMN sites; ALTER TABLE zhucan_run DROP COLUMN supersedes;
  ALTER TABLE zhucan_run DROP COLUMN rows_digest; ALTER TABLE zhucan_run DROP COLUMN chain;
  ALTER TABLE old_meal RENAME TO zhucan_run_meal;
  CREATE TRIGGER zhucan_run_meal_no_delete BEFORE DELETE ON zhucan_run_meal
    BEGIN SELECT RAISE(ABORT, 'zhucan_run_meal: runs are immutable'); END;
  CREATE VIEW zhucan_run_line(run_id, site_id, meal_id, elder_id, item, payer, quantity, amount_fen) AS
    SELECT m.run_id, m.site_id, m.meal_id, m.elder_id, 'meal', p.key, 1, p.value
      FROM zhucan_run_meal m, json_each(m.parts) p WHERE m.parts IS NOT NULL;"
[ "$($SQLITE3 county.db "SELECT type FROM sqlite_schema WHERE name = 'zhucan_run_meal'")" = table ] || exit 1
r1=$(Q "SELECT count(*) FROM replay(1)")
echo "old layout: replay(1) differences: $r1"
[ "$r1" = 0 ] || { echo "FAIL"; exit 1; }
run=$(Q "SELECT settle('141129', '2024-03', 'supersede')")
both=$(Q "SELECT group_concat(run_id || ':' || n || ':' || fen, ' ') FROM
            (SELECT run_id, count(*) AS n, sum(subsidy_fen) AS fen FROM zhucan_run_meal GROUP BY run_id ORDER BY run_id)")
kinds=$($SQLITE3 county.db "SELECT group_concat(name || ':' || type, ' ') FROM
          (SELECT name, type FROM sqlite_schema WHERE name IN ('zhucan_run_meal', 'zhucan_run_meal_v1') ORDER BY name)")
echo "after settle run $run: $kinds; run:meals:fen $both"
[ "$kinds" = "zhucan_run_meal:view zhucan_run_meal_v1:table" ] || { echo "FAIL: layout"; exit 1; }
[ "$both" = "1:$month:$total1 2:$month:$total1" ] || { echo "FAIL: runs"; exit 1; }
rr=$(Q "SELECT (SELECT count(*) FROM replay(1)) || ' ' || (SELECT count(*) FROM replay(2))")
[ "$rr" = "0 0" ] || { echo "FAIL: replays $rr"; exit 1; }
# run 1 (rows in zhucan_run_meal_v1) was sealed by run 2's settle: both
# verify clean, and a changed v1 row is found
sealed=$(Q "SELECT count(*) FROM zhucan_run WHERE chain IS NOT NULL AND rows_digest IS NOT NULL")
ver=$(Q "SELECT count(*) FROM run_verify()")
echo "sealed runs: $sealed; run_verify problems: $ver"
[ "$sealed $ver" = "2 0" ] || { echo "FAIL: sealing the old run"; exit 1; }
cp county.db forged.db
$SQLITE3 forged.db "DROP TRIGGER zhucan_run_meal_v1_guard_update;
  UPDATE zhucan_run_meal_v1 SET subsidy_fen = subsidy_fen + 100, parts = json_object('county', subsidy_fen + 100)
   WHERE seq = (SELECT min(seq) FROM zhucan_run_meal_v1 WHERE subsidy_fen > 0)"
what=$($SQLITE3 -cmd ".load $ZC_SO" forged.db "SELECT group_concat(coalesce(run_id, '') || ':' || what, ' ') FROM run_verify()")
echo "a v1 meal paid 100 fen more: $what"
case "$what" in *"1:output_digest"*"1:total_fen"*"1:rows_digest"*"missing trigger"*) ;; *) echo "FAIL"; exit 1 ;; esac
st=$($SQLITE3 -cmd ".load $ZC_SO" -cmd ".parameter set @run 1" county.db < "$ZC_ROOT/sql/statement.sql" |
     awk -F'|' '$5 == "" && $9 == "total" && $10 == "meal" && $11 == "county" {print $13}')
echo "statement of run 1, county meal total: $st"
[ "$st" = "$total1" ] || { echo "FAIL: statement"; exit 1; }
echo ok
