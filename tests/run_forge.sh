#!/bin/bash
# Forging a stored run (issue #13): every write that does not come from
# settle() is refused, and what cannot be refused inside SQLite is found by
# run_verify() (and makes replay() refuse the run).  On the small fixture:
# run 1 = March 2024 of county 141129, run 2 = April (for the chain).
#   A. with zhucan loaded: INSERT, INSERT OR REPLACE, REPLACE, UPSERT,
#      INSERT OR IGNORE, UPDATE, UPDATE OR REPLACE, DELETE on every run
#      table: refused, the runs unchanged (dump compared), run_verify clean;
#   B. without zhucan (plain sqlite3): the same writes fail too;
#   C. what only another program (or a dropped trigger) can do, detected:
#      C1 DROP TABLE zhucan_run_item; C2 totals forged to 1 (the issue's
#      case); C3 a copied pack added by a program with its own
#      zhucan_run_guard; C4 a pack deleted; C5 run 1's header deleted;
#      C6 a pack moved into run 2's range; C7 the cover emptied.
# modes: plain asan
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
fail=0
Z test.db "SELECT policy_load('lua/zhongyang.lua')" >/dev/null || exit 1
r1=$(Z test.db "SELECT settle('141129', '2024-03')") && r2=$(Z test.db "SELECT settle('141129', '2024-04')") || exit 1
[ "$r1 $r2" = "1 2" ] || { echo "FAIL: runs $r1 $r2"; exit 1; }
# the money of run 1 by an independent path: plain SQL over the stored lines
money=$(Z test.db "SELECT sum(amount_fen) FROM zhucan_run_line WHERE run_id = 1 AND payer <> 'elder'")
meals=$(sqlite3 test.db "SELECT count(*) FROM meal WHERE served_at >= '2024-03' AND served_at < '2024-04'")
echo "run 1: $meals meals, $money fen (lines)"
dump() { sqlite3 "$1" ".dump zhucan_run%" | md5sum; }
cp test.db base.db
before=$(dump test.db)

W=(
  "INSERT INTO zhucan_run_pack SELECT seq + 1000, run_id, elder_id, meals, data FROM zhucan_run_pack LIMIT 1"
  "INSERT OR REPLACE INTO zhucan_run_pack SELECT * FROM zhucan_run_pack LIMIT 1"
  "REPLACE INTO zhucan_run_elder SELECT * FROM zhucan_run_elder LIMIT 1"
  "INSERT INTO zhucan_run_site SELECT * FROM zhucan_run_site WHERE true ON CONFLICT DO UPDATE SET name = 'x'"
  "INSERT OR IGNORE INTO zhucan_run_item VALUES((1 << 32) | 999, 1, 1, 'meal_fee', 'county', 1, 15800, 1)"
  "INSERT INTO zhucan_run_cover VALUES(1, 999)"
  "INSERT INTO zhucan_run(id, region, month, created_at, policy_versions, policy_horizon, input_digest, output_digest, meals, subsidised_meals, total_fen) VALUES(9, '141129', '2024-05', 'x', '[]', 1, 'x', 'x', 0, 0, 0)"
  "UPDATE zhucan_run SET total_fen = 1, meals = 1, subsidised_meals = 1"
  "UPDATE OR REPLACE zhucan_run SET id = 1 WHERE id = 2"
  "UPDATE zhucan_run SET superseded_by = 2 WHERE id = 1"
  "UPDATE zhucan_run_pack SET meals = 0"
  "UPDATE OR REPLACE zhucan_run_elder SET elder_id = 1"
  "DELETE FROM zhucan_run_cover"
  "DELETE FROM zhucan_run_site"
  "DELETE FROM zhucan_run"
  "INSERT INTO zhucan_run_meal(seq, run_id, meal_id) VALUES(1, 1, 1)"
)
n=0
for w in "${W[@]}"; do
  out=$(Z test.db "$w" 2>&1)
  case "$out" in *"runs are immutable and only settle() writes them"*) n=$((n + 1)) ;;
    *) echo "FAIL: A accepted: $w -> $out"; fail=1 ;; esac
done
echo "A. writes refused with zhucan loaded: $n of ${#W[@]}"
[ "$(dump test.db)" = "$before" ] || { echo "FAIL: A changed the runs"; fail=1; }
v=$(Z test.db "SELECT count(*) FROM run_verify()")
echo "   run_verify problems after them: $v"
[ "$v" = 0 ] || fail=1

n=0
for w in "${W[@]}"; do
  if sqlite3 test.db "$w" >/dev/null 2>&1; then echo "FAIL: B accepted without zhucan: $w"; fail=1; else n=$((n + 1)); fi
done
echo "B. writes refused without zhucan: $n of ${#W[@]}"
[ "$(dump test.db)" = "$before" ] || { echo "FAIL: B changed the runs"; fail=1; }

# C: each on a fresh copy; list "run:what" of run_verify
verify() { Z "$1" "SELECT group_concat(coalesce(run_id, '-') || ':' || what, ' ') FROM run_verify()"; }
expect() {  # name, db, pattern (a case pattern over verify's list)
  local got; got=$(verify "$2")
  echo "$1: $got"
  case "$got" in $3) ;; *) echo "FAIL: $1 expected $3"; fail=1 ;; esac
  local rp; rp=$(Z "$2" "SELECT count(*) FROM replay(1)" 2>&1)
  case "$rp" in *"fails its check against what settle() stored"*"run_verify(1)"*) ;;
    *) [ "${4:-}" = noreplay ] || { echo "FAIL: $1: replay(1) said: $rp"; fail=1; } ;; esac
}
fresh() { cp base.db "$1"; }
notrig() {  # the guard triggers dropped, as another program could
  sqlite3 "$1" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'zhucan_run%guard%'" | sqlite3 "$1"
}

fresh c1.db; sqlite3 c1.db "DROP TABLE zhucan_run_item"
expect "C1 DROP TABLE zhucan_run_item" c1.db "-:missing table"

fresh c2.db; notrig c2.db; sqlite3 c2.db "UPDATE zhucan_run SET total_fen = 1, meals = 1, subsidised_meals = 1 WHERE id = 1"
expect "C2 totals forged to 1" c2.db "1:meals 1:subsidised_meals 1:total_fen 1:chain -:missing trigger*"
pair=$(Z c2.db "SELECT expected || ' ' || found FROM run_verify(1) WHERE what = 'total_fen'")
echo "   total_fen expected (the forged header) and found (the rows): $pair"
[ "$pair" = "1 $money" ] || { echo "FAIL: total_fen pair"; fail=1; }
pair=$(Z c2.db "SELECT expected || ' ' || found FROM run_verify(1) WHERE what = 'meals'")
[ "$pair" = "1 $meals" ] || { echo "FAIL: meals pair $pair"; fail=1; }

fresh c3.db
/usr/bin/python3 - c3.db <<'PY' || fail=1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.create_function("zhucan_run_guard", 0, lambda: 1)   # a forger's own guard
db.execute("""INSERT INTO zhucan_run_pack(seq, run_id, elder_id, meals, data)
              SELECT (1 << 32) | 900000, 1, elder_id, meals, data FROM zhucan_run_pack
               WHERE run_id = 1 ORDER BY seq LIMIT 1""")
db.commit()
PY
expect "C3 a copied pack added" c3.db "1:output_digest 1:meals 1:subsidised_meals 1:total_fen 1:rows_digest"
only=$(Z c3.db "SELECT group_concat(DISTINCT run_id) FROM run_verify()")
[ "$only" = 1 ] || { echo "FAIL: C3 untouched run 2 reported too ($only)"; fail=1; }

fresh c4.db; notrig c4.db; sqlite3 c4.db "DELETE FROM zhucan_run_pack WHERE seq = (SELECT max(seq) FROM zhucan_run_pack WHERE run_id = 1)"
expect "C4 a pack deleted" c4.db "1:output_digest 1:meals 1:subsidised_meals 1:total_fen 1:rows_digest -:missing trigger*"

fresh c5.db; notrig c5.db; sqlite3 c5.db "DELETE FROM zhucan_run WHERE id = 1"
expect "C5 run 1's header deleted" c5.db "2:chain *1:zhucan_run_pack rows of no run*1:zhucan_run_elder rows of no run*" noreplay

fresh c6.db; notrig c6.db; sqlite3 c6.db "UPDATE zhucan_run_pack SET seq = (2 << 32) | 777 WHERE seq = (SELECT max(seq) FROM zhucan_run_pack WHERE run_id = 1)"
expect "C6 a pack moved into run 2" c6.db "1:output_digest 1:meals 1:subsidised_meals 1:total_fen 1:rows_digest*2:zhucan_run_pack seq*run_id*"

fresh c7.db; notrig c7.db; sqlite3 c7.db "DELETE FROM zhucan_run_cover WHERE run_id = 1"
expect "C7 the cover emptied" c7.db "1:sites 1:rows_digest -:missing trigger*"

# untouched: the base database checks clean, run by run too
v=$(Z base.db "SELECT (SELECT count(*) FROM run_verify()) || ' ' || (SELECT count(*) FROM run_verify(1)) || ' ' || (SELECT count(*) FROM run_verify(2))")
echo "untouched: problems (all, run 1, run 2): $v"
[ "$v" = "0 0 0" ] || fail=1
exit $fail
