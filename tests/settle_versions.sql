-- Two policy versions in one month, and a retroactive version after the
-- run.  Hand fixture as in settle_basic.sql.
--   v1 (2024-03-01): breakfast 200, lunch 500, dinner 300
--   v2 (2024-03-15): breakfast 250, lunch 600, dinner 400
-- March under v1 for 03-01..03-14 and v2 from 03-15: only the dinners 7
-- (03-19) and 14 (03-31) fall under v2: 400 each instead of 300, so
--   site 1: 200 + 500 + 500 + 400 + 400 = 2000, co-payments
--           200 + 700 + 700 + (800-400) + (900-400) = 2500
--   site 2: 500 + 500 = 1000, co-payments 1000; run total 3000
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
.headers on
SELECT policy_load('lua/zhongyang.lua') AS v1;
-- (a version is installed only when its own test cases pass: each new
-- version changes the expected amounts of its cases with its params)
SELECT policy_install(replace(replace(replace(replace(replace(replace(replace(CAST(readfile('lua/zhongyang.lua') AS TEXT),
  'effective_from = "2024-03-01"', 'effective_from = "2024-03-15"'),
  'breakfast = 200', 'breakfast = 250'), 'lunch = 500', 'lunch = 600'), 'dinner = 300', 'dinner = 400'),
  'expect = { county = 500 }', 'expect = { county = 600 }'), 'expect = { county = 200 }', 'expect = { county = 250 }'),
  'expect = { county = 300 }', 'expect = { county = 400 }')) AS v2;
SELECT * FROM settlement('141129', '2024-03');
SELECT settle('141129', '2024-03') AS run;
SELECT total_fen, policy_horizon, json_array_length(policy_versions) AS nversions,
       json_extract(policy_versions, '$[0].effective_from') AS first_from,
       json_extract(policy_versions, '$[1].effective_from') AS second_from
  FROM zhucan_run WHERE id = 1;
SELECT meal_id, version_id, subsidy_fen FROM zhucan_run_meal WHERE run_id = 1 AND subsidy_fen > 0 ORDER BY meal_id;
-- each meal agrees with subsidy_for under its own day's version
SELECT count(*) AS disagreeing FROM zhucan_run_meal r WHERE run_id = 1 AND r.subsidy_fen <> subsidy_for(r.meal_id);
SELECT count(*) AS differences FROM replay(1);
-- a retroactive version v3 (2024-03-01, installed after the run):
-- breakfast 300, lunch 700, dinner 500.  It governs 03-01..03-14 (v2 still
-- has the later effective_from from 03-15), so a new run has
--   site 1: 300 + 700 + 700 + 400 + 400 = 2500; site 2: 700 + 700 = 1400
-- (its cases' amounts: 500 -> 700 first, then 300 -> 500, then 200 -> 300)
SELECT policy_install(replace(replace(replace(replace(replace(replace(CAST(readfile('lua/zhongyang.lua') AS TEXT),
  'breakfast = 200', 'breakfast = 300'), 'lunch = 500', 'lunch = 700'), 'dinner = 300', 'dinner = 500'),
  'expect = { county = 500 }', 'expect = { county = 700 }'), 'expect = { county = 300 }', 'expect = { county = 500 }'),
  'expect = { county = 200 }', 'expect = { county = 300 }')) AS v3;
SELECT settle('141129', '2024-03', 'supersede') AS run;
SELECT id, total_fen, superseded_by, policy_horizon FROM zhucan_run ORDER BY id;
SELECT site_id, payer, quantity, amount_fen FROM settlement('141129', '2024-03');
SELECT count(*) AS differences FROM replay(2);
