-- settle(): a run of the hand fixture, its lines, immutability, refusal of
-- a second run, supersede.  Amounts by hand from fixtures/hand/zhongyang.sql
-- under the Zhongyang rules (70+, alive, agreement with the site, first meal
-- of its slot that day: breakfast 200, lunch 500, dinner 300, county pays):
--   site 1: meals 1 (200), 2 (500), 4 (500), 7 (300), 14 (300) -> 5 meals,
--           county 1800, elder 200+700+700+500+600 = 2700
--           not subsidised: 3 (repeat lunch), 6 (age 65), 8 (died that
--           day), 9 (no agreement)
--   site 2: meals 5 (500), 12 (500) -> 2 meals, county 1000, elder 500+500
--           not subsidised: 11 (second lunch that day: meal 10 at site 3)
--   region meals: site 1 has 9 in March, site 2 has 3 -> 12; total 2800
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
SELECT policy_load('lua/zhongyang.lua') AS policy_version;
.headers on
SELECT settle('141129', '2024-03') AS run;
SELECT id, region, month, meals, subsidised_meals, total_fen, superseded_by, policy_horizon,
       length(input_digest) AS in_len, length(output_digest) AS out_len,
       json_array_length(policy_versions) AS nversions,
       created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]' AS created_ok
  FROM zhucan_run;
-- lines: one per subsidised meal and payer plus the co-payment
SELECT site_id, meal_id, elder_id, item, payer, amount_fen FROM zhucan_run_line WHERE run_id = 1
 ORDER BY site_id, meal_id, payer;
-- the lines sum to settlement() row by row
SELECT s.site_id, s.payer, s.quantity, s.amount_fen,
       (SELECT sum(amount_fen) FROM zhucan_run_line l WHERE l.run_id = 1 AND l.site_id = s.site_id
           AND l.payer = s.payer) AS from_lines
  FROM settlement('141129', '2024-03') s;
-- and to subsidy_for over the same meals, computed independently
SELECT (SELECT sum(subsidy_for(m.id)) FROM meal m JOIN site t ON t.id = m.site_id
         WHERE t.region LIKE '141129%' AND m.served_at >= '2024-03-01' AND m.served_at < '2024-04-01')
       AS by_subsidy_for,
       (SELECT sum(amount_fen) FROM zhucan_run_line WHERE run_id = 1 AND payer <> 'elder') AS by_lines;
-- per-meal snapshot: every meal at a region site, subsidised or not
SELECT count(*) AS meals, sum(subsidy_fen > 0) AS subsidised FROM zhucan_run_meal WHERE run_id = 1;
SELECT meal_id, nth_slot, subsidy_fen, parts FROM zhucan_run_meal WHERE run_id = 1 AND meal_id IN (2, 3, 11);
SELECT elder_id, sex, birth, died_on, status, agreement FROM zhucan_run_elder WHERE run_id = 1 AND elder_id IN (1, 4);
-- reproduced exactly: no rows
SELECT count(*) AS differences FROM replay(1);
-- a second run is refused, naming the run
SELECT settle('141129', '2024-03');
-- runs are immutable
UPDATE zhucan_run SET total_fen = 0 WHERE id = 1;
UPDATE zhucan_run SET superseded_by = 1 WHERE id = 1;
DELETE FROM zhucan_run WHERE id = 1;
UPDATE zhucan_run_meal SET subsidy_fen = 0 WHERE run_id = 1;
DELETE FROM zhucan_run_meal WHERE run_id = 1;
UPDATE zhucan_run_elder SET died_on = NULL;
DELETE FROM zhucan_run_elder;
UPDATE zhucan_run_site SET kind = 'x';
DELETE FROM zhucan_run_site;
-- (zhucan_run_item has the same triggers; these rules return no site items)
SELECT count(*) AS meal_rows FROM zhucan_run_meal;
-- supersede: the old run stays, marked; same data -> same digests
SELECT settle('141129', '2024-03', 'supersede') AS run;
SELECT id, superseded_by, meals, total_fen FROM zhucan_run ORDER BY id;
SELECT (SELECT input_digest FROM zhucan_run WHERE id = 1) = (SELECT input_digest FROM zhucan_run WHERE id = 2) AS same_input,
       (SELECT output_digest FROM zhucan_run WHERE id = 1) = (SELECT output_digest FROM zhucan_run WHERE id = 2) AS same_output;
-- once superseded, the mark cannot move
UPDATE zhucan_run SET superseded_by = 2 WHERE id = 1;
-- a superseded run is not "the" run: settling again names run 2
SELECT settle('141129', '2024-03');
-- a failure part-way leaves nothing: February's meal 13 has no policy
-- version in force (Zhongyang's rules start 2024-03-01)
SELECT settle('141129', '2024-02');
SELECT count(*) AS runs, (SELECT count(*) FROM zhucan_run_meal) AS meal_rows,
       (SELECT count(*) FROM zhucan_run_elder) AS elder_rows FROM zhucan_run;
-- the data changed -> another input digest (and here another output: the
-- co-payment of meal 2 is now 1300 - 500 = 800)
UPDATE meal SET price_fen = 1300 WHERE id = 2;
SELECT settle('141129', '2024-03', 'supersede') AS run;
SELECT (SELECT input_digest FROM zhucan_run WHERE id = 2) <> (SELECT input_digest FROM zhucan_run WHERE id = 3) AS input_differs,
       (SELECT output_digest FROM zhucan_run WHERE id = 2) <> (SELECT output_digest FROM zhucan_run WHERE id = 3) AS output_differs;
SELECT amount_fen FROM zhucan_run_line WHERE run_id = 3 AND meal_id = 2 AND payer = 'elder';
-- a region above: the city's sites 1 and 2 are the county's, paid by run
-- 3: refused, naming run 3; with 'supersede' the city run replaces it and
-- settles site 3 too; meal 10 (elder 6, no agreement with site 3) is not
-- subsidised: 13 meals, 7 subsidised, 2800
SELECT settle('141100', '2024-03') AS run;
SELECT settle('141100', '2024-03', 'supersede') AS run;
SELECT meals, subsidised_meals, total_fen, sites, supersedes FROM zhucan_run WHERE id = 4;
SELECT id, superseded_by FROM zhucan_run WHERE id = 3;
-- arguments
SELECT settle('141129', '2024-3');
SELECT settle('999999', '2024-03');
SELECT settle(NULL, '2024-03');
SELECT settle('141129', '2024-03', 'replace');
SELECT settle('141129', '2024-03', NULL);
SELECT settle('141129');
-- direct-only: not from a view or trigger
CREATE VIEW v AS SELECT settle('141129', '2024-05');
SELECT * FROM v;
