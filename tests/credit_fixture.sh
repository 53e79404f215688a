#!/bin/bash
# The county fixture's time bank (fixtures/credit.c) under lua/timebank.lua
# (1 hour = 1 point, 20 points a month, transfers to relatives 60+):
#  1. credit_ledger's balances equal the same balances computed in plain
#     SQL from the tables (an independent path: one open tier, so the
#     points of a year are floor(minutes * 1000 / 60));
#  2. every planted request (planted_credit) is refused through
#     credit_redeem / credit_give, for the reason it was planted for, and
#     writes nothing;
#  3. the ledger of the fixture month's 15th does not change when a row
#     dated after it is added, and its digest neither.
# modes: plain asan
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
cp "$ZC_ROOT/data/small.db" f.db
Z f.db "UPDATE region SET policy = 'timebank' WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region);
        SELECT policy_load('$ZC_ROOT/lua/timebank.lua');" >/dev/null || exit 1
M=$(sqlite3 f.db "SELECT value FROM fixture WHERE key = 'month'")
TOP=$(sqlite3 f.db "SELECT code FROM region WHERE parent IS NULL ORDER BY code LIMIT 1")
# 1. ledger against plain SQL
diffs=$(Z f.db "
  WITH earned AS (SELECT volunteer_id v, sum(p) p FROM (SELECT volunteer_id, sum(minutes) * 1000 / 60 p
                    FROM credit_hours WHERE verified_by IS NOT NULL GROUP BY volunteer_id, substr(day, 1, 4))
                   GROUP BY volunteer_id),
       plain AS (SELECT a.id AS vid,
         coalesce((SELECT p FROM earned WHERE v = a.id), 0)
         + coalesce((SELECT sum(points_milli) FROM credit_transfer WHERE to_id = a.id), 0)
         - coalesce((SELECT sum(points_milli) FROM credit_transfer WHERE from_id = a.id), 0)
         - coalesce((SELECT sum(points_milli) FROM credit_redemption WHERE volunteer_id = a.id), 0) AS balance
         FROM volunteer a)
  SELECT count(*) FROM plain p JOIN credit_ledger('$TOP', '$M-31') l ON l.volunteer_id = p.vid
   WHERE l.balance_milli <> p.balance OR l.problems <> 0;
  SELECT (SELECT count(*) FROM volunteer) - (SELECT count(*) FROM credit_ledger('$TOP', '$M-31'));")
[ "$diffs" = "$(printf '0\n0')" ] || { echo "ledger differs from plain SQL: $diffs"; exit 1; }
nz=$(sqlite3 f.db "SELECT count(*) FROM credit_hours")
[ "$nz" -gt 0 ] || { echo "no hours in the fixture"; exit 1; }
# 2. planted refusals
before=$(sqlite3 f.db "SELECT (SELECT count(*) FROM credit_redemption), (SELECT count(*) FROM credit_transfer)")
n=0
while IFS='|' read -r kind vid to rel day mp what; do
  case $kind in
    below_zero) sql="SELECT credit_redeem($vid, '$day', $mp, '$what', '理发')"; want="below zero" ;;
    month_cap) sql="SELECT credit_redeem($vid, '$day', $mp, '$what', '理发')"; want="redeem_month_cap" ;;
    not_relative) sql="SELECT credit_give($vid, $to, '$rel', '$day', $mp)"; want="does not allow giving points to a 'friend'" ;;
    young_receiver) sql="SELECT credit_give($vid, $to, '$rel', '$day', $mp)"; want="(the receiver) is" ;;
    *) echo "unknown planted kind $kind"; exit 1 ;;
  esac
  out=$(Z f.db "$sql" 2>&1)
  case $out in *"$want"*) n=$((n + 1)) ;; *) echo "$kind $vid: expected a refusal with '$want', got: $out"; exit 1 ;; esac
done < <(sqlite3 f.db "SELECT kind, volunteer_id, to_id, relation, day, points_milli, what FROM planted_credit ORDER BY rowid")
planted=$(sqlite3 f.db "SELECT count(*) FROM planted_credit")
[ "$n" = "$planted" ] && [ "$n" -ge 4 ] || { echo "refused $n of $planted planted requests"; exit 1; }
after=$(sqlite3 f.db "SELECT (SELECT count(*) FROM credit_redemption), (SELECT count(*) FROM credit_transfer)")
[ "$before" = "$after" ] || { echo "a refused request wrote a row: $before -> $after"; exit 1; }
# 3. as of the 15th
d1=$(Z f.db "SELECT credit_ledger_digest('$TOP', '$M-15')")
l1=$(Z f.db "SELECT * FROM credit_ledger('$TOP', '$M-15')" | md5sum)
y1=$(Z f.db "SELECT credit_ledger_digest('$TOP', '$M-31')")
sqlite3 f.db "INSERT INTO credit_hours(volunteer_id, day, minutes, activity, verified_by)
              VALUES (1, '$M-20', 120, 'visit', '社区'), (2, '$M-16', 60, 'visit', '社区')"
d2=$(Z f.db "SELECT credit_ledger_digest('$TOP', '$M-15')")
l2=$(Z f.db "SELECT * FROM credit_ledger('$TOP', '$M-15')" | md5sum)
y2=$(Z f.db "SELECT credit_ledger_digest('$TOP', '$M-31')")
[ "$d1" = "$d2" ] && [ "$l1" = "$l2" ] || { echo "the ledger of $M-15 changed after rows dated later"; exit 1; }
[ "$y1" != "$y2" ] || { echo "the digest of $M-31 did not change with new hours"; exit 1; }
echo "ok: $planted planted refusals, ledger = plain SQL"
