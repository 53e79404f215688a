-- make demo: what zhucan does, on the generated Zhongyang-like county.
-- Run by tools/demo.sh through `build/zhucan sql` (its tables line up Chinese
-- columns); it runs in the sqlite3 shell as well: sqlite3 -cmd ".load ./zhucan" DB < sql/demo.sql
.mode box
.print '== zhucan, and the county in the database'
SELECT zhucan_version() AS version;
SELECT (SELECT name FROM region WHERE parent IS NULL) AS county,
       (SELECT count(*) FROM site) AS sites, (SELECT count(*) FROM elder) AS elders,
       (SELECT count(*) FROM meal) AS meals,
       (SELECT min(substr(served_at, 1, 10)) || ' .. ' || max(substr(served_at, 1, 10)) FROM meal) AS days;

.print ''
.print '== the county policy (lua/zhongyang.lua): install, self-test'
SELECT policy_load('lua/zhongyang.lua') AS version_id;
SELECT policy_test('zhongyang') AS self_test;

.print ''
.print '== money for single meals, and why'
SELECT m.id AS meal, mask_name(e.name) AS elder, m.served_at, m.slot, m.price_fen,
       subsidy_for(m.id) AS subsidy_fen, subsidy_explain(m.id) ->> '$.reason' AS reason
  FROM meal m JOIN elder e ON e.id = m.elder_id ORDER BY m.id LIMIT 6;

.print ''
.print '== settlement for March, by payer (settlement() computes; nothing stored)'
SELECT item, payer, sum(quantity) AS quantity, sum(amount_fen) AS amount_fen
  FROM settlement('141129', '2024-03') GROUP BY item, payer ORDER BY item, payer;

.print ''
.print '== the top five sites'
SELECT s.site_id, site.name, s.quantity AS subsidised_meals, s.amount_fen
  FROM settlement('141129', '2024-03') s JOIN site ON site.id = s.site_id
 WHERE s.payer = 'county' ORDER BY s.amount_fen DESC LIMIT 5;

.print ''
.print '== settle the month: an immutable run, then replay it (no rows = reproduced to the fen)'
SELECT settle('141129', '2024-03') AS run_id;
SELECT id, region, month, meals, subsidised_meals, total_fen, substr(input_digest, 1, 16) AS input_digest
  FROM zhucan_run;
SELECT count(*) AS differences FROM replay(1);

.print ''
.print '== the stored run checked against itself: digests, totals, chain (no rows = intact)'
SELECT count(*) AS problems FROM run_verify(1);

.print ''
.print '== an auditor corrects a death date after settlement; replay names the cause'
UPDATE elder SET died_on = '2024-03-20'
 WHERE id = (SELECT elder_id FROM meal WHERE served_at >= '2024-03-25' AND subsidy_for(id) > 0 LIMIT 1);
SELECT site_id, meal_id, payer, settled_fen, replayed_fen, cause FROM replay(1) LIMIT 5;

.print ''
.print '== anomalies and welfare warnings for the month'
SELECT kind, severity, count(*) AS findings FROM anomaly_scan('141129', '2024-03')
 GROUP BY kind, severity ORDER BY severity, kind;
SELECT kind, site_id, elder_id, at, detail FROM anomaly_scan('141129', '2024-03')
 WHERE kind IN ('card_burst', 'gone_quiet', 'after_death') LIMIT 6;

.print ''
.print '== villages and hamlets that should serve meals and do not'
SELECT region, name, level, elders, reason FROM coverage_gaps('141129', '2024-03-15') LIMIT 8;
