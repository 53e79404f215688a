#!/bin/bash
# award_ranking(region, year) on a hand-made county (sql/schema.sql, rows
# below), every number of the expected ranking worked out by hand from the
# rule in docs/ref/award_ranking.md (defaults: 40 * min(1, meals per elder
# 70+ / 100) + 30 * notices on time + 30 * coverage - 5 * fraud findings):
#
#   village  sites  meals  elders 70+  per elder  notices  coverage  fraud  score
#   V11      S1     20     2           10         1        1         0      4+30+30    = 64.00
#   V12      S2     10     1           10         0 (late) 9/12      0      4+0+22.5   = 26.50
#   V13      -      0      0           0          0        0 (no site) 0    0          =  0.00
#   V21      S3,S5  15+15  1           30         1        1         0      12+30+30   = 72.00
#   V31      S4     4+1    2           2.5        0 (missing) 1      1      1+0+30-5   = 26.00
#   (S2 opens 2024-03-15: coverage_gaps finds V12 without a site on 1 January,
#    1 February, 1 March; V13 never has one.  S4's fifth meal repeats a lunch:
#    one repeat_meal, fraud.  An elder born 1980 and one dead on 2023-12-31
#    do not count.)
#   township T1 (V11..V13): 30 meals / 3 elders = 10 -> 4; notices 1 of 2 -> 15;
#     coverage (1 + 0.75 + 0) / 3 -> 17.5; = 36.50
#   T2 (V21): 30 / 1 -> 12 + 30 + 30 = 72.00;  T3 (V31): 1 + 0 + 30 - 5 = 26.00
# Quotas: 2 townships (T2, T1); ceil(10% of 3) = 1 village of T1 (V11), 1 of
# T2, 1 of T3 (V31 has a fraud finding: none awarded); courtyards the same
# (S3 and S5 tie at 72.00 with equal meals per elder and no fraud: the lower
# site id, S3, ranks first).  Then a policy whose award params change the
# weights and quota, and install refusals for params out of range.
# modes: plain asan valgrind
set -u
Z() { ZHUCAN_TODAY=2025-01-15 $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
fail=0
want() {
  if [ "$2" = "$3" ]; then echo "ok: $1"; else printf 'FAIL: %s\n--- got:\n%s\n--- expected:\n%s\n' "$1" "$2" "$3"; fail=1; fi
}
$SQLITE3 a.db ".read $ZC_ROOT/sql/schema.sql" || exit 1
$SQLITE3 a.db "
INSERT INTO region(code, parent, level, name) VALUES ('141129', NULL, 'county', '中阳县'),
 ('141129100', '141129', 'township', 'T1'), ('141129101', '141129', 'township', 'T2'),
 ('141129102', '141129', 'township', 'T3'),
 ('141129100201', '141129100', 'village', 'V11'), ('141129100202', '141129100', 'village', 'V12'),
 ('141129100203', '141129100', 'village', 'V13'), ('141129101201', '141129101', 'village', 'V21'),
 ('141129102201', '141129102', 'village', 'V31');
INSERT INTO site(id, name, region, kind, opened_on) VALUES (1, 'S1', '141129100201', 'courtyard', '2023-01-01'),
 (2, 'S2', '141129100202', 'courtyard', '2024-03-15'), (3, 'S3', '141129101201', 'courtyard', '2023-01-01'),
 (4, 'S4', '141129102201', 'courtyard', '2023-01-01'), (5, 'S5', '141129101201', 'courtyard', '2023-01-01');
INSERT INTO elder(id, id_number, name, region, died_on) VALUES
 (1, '141129194001010015', 'a', '141129100201', NULL), (2, '141129194002020020', 'b', '141129100201', NULL),
 (3, '141129194003030036', 'c', '141129100202', NULL), (4, '141129194004040041', 'd', '141129101201', NULL),
 (5, '141129194005050057', 'e', '141129102201', NULL), (6, '141129194006060062', 'f', '141129102201', NULL),
 (7, '141129198007070076', 'young', '141129102201', NULL),
 (8, '141129193508080085', 'dead', '141129101201', '2023-12-31');
WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 30)
INSERT INTO meal(elder_id, site_id, served_at, slot, method, price_fen)
 SELECT 1 + (n % 2), 1, printf('2024-03-%02d 12:00:00', (n + 1) / 2), 'lunch', 'face', 1000 FROM d WHERE n <= 20
 UNION ALL SELECT 3, 2, printf('2024-03-%02d 12:00:00', 15 + n), 'lunch', 'face', 1000 FROM d WHERE n <= 10
 UNION ALL SELECT 4, 3, printf('2024-03-%02d 12:00:00', n), 'lunch', 'face', 1000 FROM d WHERE n <= 15
 UNION ALL SELECT 4, 5, printf('2024-03-%02d 12:00:00', 15 + n), 'lunch', 'face', 1000 FROM d WHERE n <= 15
 UNION ALL SELECT 5, 4, printf('2024-03-%02d 12:00:00', n), 'lunch', 'face', 1000 FROM d WHERE n <= 4;
INSERT INTO meal(elder_id, site_id, served_at, slot, method, price_fen) VALUES (5, 4, '2024-03-04 12:30:00', 'lunch', 'face', 1000);
INSERT INTO notice_posting(site_id, month, posted_on, taken_down_on, place) VALUES
 (1, '2024-03', '2024-04-08', '2024-04-20', 'x'), (2, '2024-03', '2024-04-12', '2024-04-20', 'x'),
 (3, '2024-03', '2024-04-01', '2024-04-30', 'x'), (5, '2024-03', '2024-04-10', '2024-04-15', 'x');" || exit 1

# the test's own premises, by plain SQL and the scans themselves
out=$(Z a.db "SELECT (SELECT count(*) FROM anomaly_scan('141129', '2024-03') WHERE severity = 'fraud'),
  (SELECT site_id || ':' || kind FROM anomaly_scan('141129', '2024-03') WHERE severity = 'fraud'),
  (SELECT group_concat(site_id || ':' || kind, ',') FROM notice_due('141129', '2024-03')),
  (SELECT group_concat(name, ',') FROM coverage_gaps('141129', '2024-03-01')),
  (SELECT group_concat(name, ',') FROM coverage_gaps('141129', '2024-04-01'))")
want "premises: one fraud (S4 repeat), S2 late and S4 missing, gaps" "$out" "1|4:repeat_meal|2:late,4:missing|V12,V13|V13"

Q="SELECT level, unit, name, township, elders, meals, meals_per_elder, fraud, notices_on_time, coverage, printf('%.2f', score), rank, quota, awarded FROM award_ranking('141129', 2024)"
out=$(Z a.db "$Q")
want "ranking with the defaults" "$out" "township|141129101|T2|141129101|1|30|30.0|0|1.0|1.0|72.00|1|2|1
township|141129100|T1|141129100|3|30|10.0|0|0.5|0.5833|36.50|2|2|1
township|141129102|T3|141129102|2|5|2.5|1|0.0|1.0|26.00|3|2|0
village|141129100201|V11|141129100|2|20|10.0|0|1.0|1.0|64.00|1|1|1
village|141129100202|V12|141129100|1|10|10.0|0|0.0|0.75|26.50|2|1|0
village|141129100203|V13|141129100|0|0|0.0|0|0.0|0.0|0.00|3|1|0
village|141129101201|V21|141129101|1|30|30.0|0|1.0|1.0|72.00|1|1|1
village|141129102201|V31|141129102|2|5|2.5|1|0.0|1.0|26.00|1|1|0
courtyard|1|S1|141129100|2|20|10.0|0|1.0|1.0|64.00|1|1|1
courtyard|2|S2|141129100|1|10|10.0|0|0.0|0.75|26.50|2|1|0
courtyard|3|S3|141129101|1|15|15.0|0|1.0|1.0|66.00|1|1|1
courtyard|5|S5|141129101|1|15|15.0|0|1.0|1.0|66.00|2|1|0
courtyard|4|S4|141129102|2|5|2.5|1|0.0|1.0|26.00|1|1|0"
out=$(Z a.db "SELECT count(*) FROM award_ranking('141129100', 2024)")
want "a township's own ranking: T1, V11..V13, S1, S2" "$out" "6"
out=$(Z a.db "SELECT count(*), sum(meals) FROM award_ranking('141129', 2023)")
want "2023: no meals (S2 not open yet: 12 units)" "$out" "12|0"

# policy params: a policy governing the county (Zhongyang's, with award params added)
mk() { sed "s/^local params = {/local params = { $1/" "$ZC_ROOT/lua/zhongyang.lua" > p.lua; grep -q "$1" p.lua || { echo "FAIL: params not patched"; exit 1; }; }
$SQLITE3 a.db "UPDATE region SET policy = 'zhongyang' WHERE code = '141129'"
mk "award_fraud_penalty = 0, award_townships = 1, award_village_share = 0.5, award_weight_meals = 28,"
Z a.db "SELECT policy_load('p.lua')" >/dev/null || { echo "FAIL: policy with award params refused"; fail=1; }
out=$(Z a.db "SELECT unit, printf('%.2f', score), rank, quota, awarded FROM award_ranking('141129', 2024) WHERE level <> 'courtyard'")
# T2: 28*0.3 + 30 + 30 = 68.40; T1: 28*0.1 + 15 + 17.5 = 35.30; T3: 28*0.025 + 0 + 30 = 30.70
# villages: V11 2.8+60 = 62.80, V12 2.8+22.5 = 25.30, V13 0; quota ceil(0.5*3) = 2; V31 0.70+30 = 30.70, fraud: not awarded
want "policy params: weights, penalty, quotas" "$out" "141129101|68.40|1|1|1
141129100|35.30|2|1|0
141129102|30.70|3|1|0
141129100201|62.80|1|2|1
141129100202|25.30|2|2|1
141129100203|0.00|3|2|0
141129101201|68.40|1|1|1
141129102201|30.70|1|1|0"
for bad in "award_townships = 1.5," "award_village_share = 2," "award_meals_target = 0," "award_weight_meals = -1,"; do
  mk "$bad"
  out=$(Z a.db "SELECT policy_load('p.lua')" 2>&1)
  k=${bad%% =*}
  case "$out" in *"params.$k = "*"is not allowed; expected"*"nothing installed"*) echo "ok: refused $bad" ;;
    *) echo "FAIL: $bad: $out"; fail=1 ;; esac
done

out=$(Z a.db "SELECT count(*) FROM award_ranking('141129', NULL)" 2>&1)
want "NULL year" "$out" "Error: stepping, award_ranking: year is NULL; expected a year such as 2024"
out=$(Z a.db "SELECT count(*) FROM award_ranking(NULL, 2024)" 2>&1)
want "NULL region" "$out" "Error: stepping, award_ranking: region is NULL; expected a region code such as '141129'"
out=$(Z a.db "SELECT count(*) FROM award_ranking('141129', '2024-03')" 2>&1)
want "bad year" "$out" "Error: stepping, award_ranking: year '2024-03' is not a year from 1900 to 9998"
out=$(Z a.db "SELECT count(*) FROM award_ranking('9', 2024)" 2>&1)
want "bad region" "$out" "Error: stepping, award_ranking: region '9' is not a code in table region"
exit $fail
