-- site() items in settle and replay, under the real lua/taiyuan.lua, on
-- fixtures/hand/taiyuan.sql (May 2024).  Worked by hand:
--   site 1, grade 2: operating 60,000 yuan a year -> 6,000,000 // 12 =
--     500,000 fen (city); residents on 05-01: elders 1, 2 fully disabled,
--     3 partly, 4 not -> bed_full 2 x 30,000 = 60,000, bed_semi 1 x 20,000
--     = 20,000 (province); no construction (opened 2023)
--   site 2, grade 1: operating 3,000,000 // 12 = 250,000 (city); opened
--     2024-05-20 with 612.5 m² -> 500 m² (the cap): construction city
--     500 x 120,000 = 60,000,000, district 500 x 20,000 = 10,000,000
--   meals: elder 1 (80) lunch at site 1, own district: city 500 + district
--     400, co-payment 1200 - 900 = 300; elder 5 (72) lunch at site 2, own
--     district: city 400 + district 300, co-payment 1000 - 700 = 300
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/taiyuan.sql
.load ./zhucan
.headers on
CREATE TEMP TABLE installed AS SELECT policy_load('lua/taiyuan.lua') AS v;
SELECT * FROM settlement('140100', '2024-05');
SELECT settle('140100', '2024-05') AS run;
-- the stats each site() was given are kept with the run
SELECT site_id, stats FROM zhucan_run_site WHERE run_id = 1 ORDER BY site_id;
SELECT site_id, item, payer, quantity, amount_fen FROM zhucan_run_line
 WHERE run_id = 1 AND meal_id IS NULL ORDER BY site_id, item, payer;
SELECT count(*) AS differences FROM replay(1);
-- elder 2's full disability is corrected to have ended on 2024-04-30;
-- elder 2 ate no meal, so only site 1's resident count shows it
UPDATE elder_status SET valid_to = '2024-04-30' WHERE elder_id = 2;
SELECT site_id, meal_id, item, payer, settled_fen, replayed_fen, cause FROM replay(1);
-- elder 3 left the bed on 2024-04-20: the semi item goes as well
UPDATE bed_stay SET left_on = '2024-04-20' WHERE elder_id = 3;
SELECT site_id, meal_id, item, payer, settled_fen, replayed_fen, cause FROM replay(1);
-- a new run sees the corrections, and its input digest differs (the
-- resident counts are in it, though no meal's facts changed)
SELECT settle('140100', '2024-05', 'supersede') AS run;
SELECT site_id, stats FROM zhucan_run_site WHERE run_id = 2 ORDER BY site_id;
SELECT (SELECT input_digest FROM zhucan_run WHERE id = 1) <> (SELECT input_digest FROM zhucan_run WHERE id = 2)
       AS input_digest_differs,
       (SELECT total_fen FROM zhucan_run WHERE id = 1) - (SELECT total_fen FROM zhucan_run WHERE id = 2)
       AS fen_less;
SELECT count(*) AS differences FROM replay(2);
