#!/bin/bash
# bench/credit.sh [volunteers] — credit_ledger() over a city's time bank:
# 100,000 volunteers (default) in one city (371000, 10 counties, 100
# townships) under lua/weihai.lua's tiers, with a year of hours (2025:
# 12 to 36 entries each, 1 to 4 hours, one in twenty unverified) and a
# redemption for one in ten.  Baseline in the same run: the same balances
# in plain SQL (Weihai's tiers written out, per volunteer and year, minus
# redemptions) -- the arithmetic alone, without expiry, caps, transfers,
# the region filter or the versions in force.  Both answer the same total,
# and every volunteer's balance is compared (not timed).  Target (issue
# #17): credit_ledger for the city in under 2 s.  Then the snapshot of the
# same ledger: credit_settle (the walk plus one guarded insert per account,
# all in one unit; each repetition supersedes the one before) and
# credit_verify of it (the stored rows hashed, the walk again, merged),
# as ratios to credit_ledger measured in this run.  Each timing is one
# sqlite3 process under /usr/bin/time (wall, CPU = user + sys, max RSS),
# best of 3.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SO=${ZC_SO:-$ROOT/zhucan.so}
N=${1:-100000}
TMP=$(mktemp -d /tmp/zcbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/credit.db
cd "$ROOT"
sqlite3 "$DB" < sql/schema.sql
sqlite3 "$DB" "
INSERT INTO region(code, parent, level, name, policy) VALUES ('371000', NULL, 'city', '威海市', 'weihai');
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10)
INSERT INTO region(code, parent, level, name) SELECT printf('3710%02d', i), '371000', 'county', '区' || i FROM c;
WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < 99)
INSERT INTO region(code, parent, level, name)
  SELECT printf('3710%02d%03d', i / 10 + 1, i % 10 + 1), printf('3710%02d', i / 10 + 1), 'township', '街道' || i FROM t;
WITH RECURSIVE v(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM v WHERE i < $N)
INSERT INTO volunteer(id, id_number, name, region, joined_on)
  SELECT i, printf('3710821970%04d%04d', i / 10000, i % 10000), '志愿者' || i,
         printf('3710%02d%03d', (i % 100) / 10 + 1, i % 10 + 1), '2024-01-01' FROM v;
WITH RECURSIVE v(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM v WHERE i < $N),
     j(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM j WHERE k < 35)
INSERT INTO credit_hours(volunteer_id, day, minutes, activity, verified_by)
  SELECT i, date('2025-01-01', '+' || ((i * 31 + k * 97) % 365) || ' days'), 60 * (1 + (i + k) % 4),
         'meal_delivery', CASE WHEN (i + 3 * k) % 20 = 0 THEN NULL ELSE '站长' END
    FROM v, j WHERE k < 12 + (i * 7) % 25 ORDER BY i, k;
INSERT INTO credit_redemption(volunteer_id, day, points_milli, what, note)
  SELECT id, '2025-12-30', 5000, 'goods', '大米' FROM volunteer WHERE id % 10 = 0;
"
sqlite3 -cmd ".load $SO" "$DB" "SELECT policy_load('lua/weihai.lua')" >/dev/null
sqlite3 "$DB" "ANALYZE"
HOURS=$(sqlite3 "$DB" "SELECT count(*) FROM credit_hours")
SIZE=$(du -m "$DB" | cut -f1)
cat "$DB" > /dev/null
echo "credit bench: $N volunteers, $HOURS hour rows in 2025, $(sqlite3 "$DB" "SELECT count(*) FROM credit_redemption") redemptions, ${SIZE} MB; load $(cut -d' ' -f1-3 /proc/loadavg)"
PLAIN="WITH y AS (SELECT volunteer_id v, sum(minutes) m FROM credit_hours
                   WHERE verified_by IS NOT NULL AND day <= '2025-12-31' GROUP BY volunteer_id, substr(day, 1, 4)),
       e AS (SELECT v, sum(min(m, 1200) * 1000 / 60 + max(min(m, 4800) - 1200, 0) * 1000 / 120
                          + max(min(m, 12000) - 4800, 0) * 1000 / 180 + max(m - 12000, 0) * 1000 / 240) p
               FROM y GROUP BY v),
       r AS (SELECT volunteer_id v, sum(points_milli) p FROM credit_redemption WHERE day <= '2025-12-31' GROUP BY 1)
  SELECT a.id, coalesce(e.p, 0) - coalesce(r.p, 0) AS balance
    FROM volunteer a LEFT JOIN e ON e.v = a.id LEFT JOIN r ON r.v = a.id"
t() {  # label, sql, key
  best=
  for rep in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o "$TMP/t" sqlite3 -batch -cmd ".load $SO" "$DB" "$2" > "$TMP/out"
    read -r wall usr sys rss < "$TMP/t"
    if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then best=$wall; bcpu=$(echo "$usr + $sys" | bc); brss=$rss; fi
  done
  printf '%-40s %8.2f s wall %8.2f s CPU %6d MB   -> %s\n' "$1" "$best" "$bcpu" $((brss / 1024)) "$(tr '\n' ' ' < "$TMP/out")"
  echo "$best" > "$TMP/$3"
  echo "$bcpu" > "$TMP/$3.cpu"
  cp "$TMP/out" "$TMP/$3.out"
}
t "plain SQL balances (baseline)" "SELECT count(*), sum(balance) FROM ($PLAIN)" base
t "credit_ledger('371000', '2025-12-31')" "SELECT count(*), sum(balance_milli) FROM credit_ledger('371000', '2025-12-31')" ledger
t "credit_ledger_digest" "SELECT credit_ledger_digest('371000', '2025-12-31')" digest
t "credit_settle (supersede each time)" "SELECT credit_settle('371000', '2025-12-31', 'supersede')" settle
t "credit_verify(the last snapshot)" "SELECT count(*) FROM credit_verify((SELECT max(id) FROM zhucan_credit_run))" verify
[ "$(cat "$TMP/verify.out")" = 0 ] || { echo "FAIL: credit_verify of an unchanged snapshot found differences"; exit 1; }
same=$(sqlite3 -batch -cmd ".load $SO" "$DB" "SELECT ledger_digest = credit_ledger_digest('371000', '2025-12-31')
                                             FROM zhucan_credit_run ORDER BY id DESC LIMIT 1")
[ "$same" = 1 ] || { echo "FAIL: the snapshot's ledger_digest is not credit_ledger_digest's"; exit 1; }
cmp -s "$TMP/base.out" "$TMP/ledger.out" || { echo "FAIL: the totals differ"; exit 1; }
differ=$(sqlite3 -batch -cmd ".load $SO" "$DB" "CREATE TEMP TABLE l AS SELECT * FROM credit_ledger('371000', '2025-12-31');
                                               CREATE TEMP TABLE p AS $PLAIN;
                                               SELECT count(*) FROM p LEFT JOIN l ON l.volunteer_id = p.id
                                                WHERE l.balance_milli IS NOT p.balance")
[ "$differ" = 0 ] || { echo "FAIL: $differ volunteers' balances differ from plain SQL"; exit 1; }
b=$(cat "$TMP/base"); l=$(cat "$TMP/ledger"); bc_=$(cat "$TMP/base.cpu"); lc=$(cat "$TMP/ledger.cpu")
echo "every balance equal to plain SQL; ratio credit_ledger / plain SQL: $(echo "scale=2; $l / $b" | bc)x wall," \
     "$(echo "scale=2; $lc / $bc_" | bc)x CPU"
s_=$(cat "$TMP/settle"); v=$(cat "$TMP/verify"); sc=$(cat "$TMP/settle.cpu"); vc=$(cat "$TMP/verify.cpu")
echo "ratio credit_settle / credit_ledger: $(echo "scale=2; $s_ / $l" | bc)x wall, $(echo "scale=2; $sc / $lc" | bc)x CPU;" \
     "credit_verify / credit_ledger: $(echo "scale=2; $v / $l" | bc)x wall, $(echo "scale=2; $vc / $lc" | bc)x CPU" \
     "(the snapshot's ledger digest equal to credit_ledger_digest, verify clean)"
echo "target < 2 s: wall $l s ($( [ "$(echo "$l < 2" | bc)" = 1 ] && echo met || echo NOT met)), CPU $lc s" \
     "($( [ "$(echo "$lc < 2" | bc)" = 1 ] && echo met || echo NOT met)); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
