-- A settled run splits the co-payment like settlement(): the part paid
-- with credit points is its own 'credit' line (docs/credit.md), the rest
-- the elder's; replay() names a redemption added or removed after
-- settling.  Hand fixture fixtures/hand/credit.sql, as in credit_basic.sql:
-- meals 1 and 2 of elder 1 at site 1 cost 1000 each, Weihai pays 300
-- (60-79), co-payment 700; 5 points at 100 fen pay 500 of meal 1's.
.open --new credit.db
.read sql/schema.sql
.read fixtures/hand/credit.sql
.load ./zhucan
SELECT policy_load('lua/weihai.lua') AS weihai, policy_load('lua/timebank.lua') AS timebank;
.headers on
SELECT credit_redeem(1, '2025-06-10', 5000, 'meal', 1) AS redemption;
SELECT settle('371082', '2025-06') AS run;
-- by hand: meal 1 city 300, credit 500, elder 200; meal 2 city 300,
-- elder 700.  total_fen counts the subsidy only: 600
SELECT meal_id, payer, amount_fen FROM zhucan_run_line WHERE run_id = 1 ORDER BY meal_id, payer;
SELECT meals, subsidised_meals, total_fen FROM zhucan_run WHERE id = 1;
-- the run's lines per site and payer equal settlement()'s rows, both ways
-- (an empty result each)
SELECT site_id, item, payer, sum(amount_fen) FROM zhucan_run_line WHERE run_id = 1 GROUP BY 1, 2, 3
EXCEPT SELECT site_id, item, payer, amount_fen FROM settlement('371082', '2025-06');
SELECT site_id, item, payer, amount_fen FROM settlement('371082', '2025-06')
EXCEPT SELECT site_id, item, payer, sum(amount_fen) FROM zhucan_run_line WHERE run_id = 1 GROUP BY 1, 2, 3;
-- the pack holds the credit part (zhucan_run_unpack's credit_fen)
SELECT u.meal_id, u.subsidy_fen, u.credit_fen FROM zhucan_run_pack p, zhucan_run_unpack(p.data) u WHERE p.run_id = 1;
SELECT count(*) AS problems FROM run_verify(1);
SELECT count(*) AS differences FROM replay(1);
-- a redemption added after settling: 2 points (200 fen) on meal 2
SELECT credit_redeem(1, '2025-06-11', 2000, 'meal', 2) AS redemption;
SELECT * FROM replay(1);
-- the same in Chinese
SELECT zhucan_lang('zh') IS NOT NULL AS zh;
SELECT payer, cause FROM replay(1) ORDER BY payer;
SELECT zhucan_lang('en') IS NOT NULL AS en;
-- and removed: meal 1's redemption goes (meal 2's stays)
DELETE FROM credit_redemption WHERE meal_id = 1;
SELECT * FROM replay(1) ORDER BY meal_id, payer;
-- a new run supersedes it: its lines equal settlement() again
SELECT settle('371082', '2025-06', 'supersede') AS run;
SELECT meal_id, payer, amount_fen FROM zhucan_run_line WHERE run_id = 2 ORDER BY meal_id, payer;
SELECT site_id, item, payer, sum(amount_fen) FROM zhucan_run_line WHERE run_id = 2 GROUP BY 1, 2, 3
EXCEPT SELECT site_id, item, payer, amount_fen FROM settlement('371082', '2025-06');
SELECT count(*) AS problems FROM run_verify(2);
SELECT count(*) AS differences FROM replay(2);
-- meal 2 is the pack's last meal: its credit_fen (zigzag 400: 90 03) ends
-- the blob.  Flagged but 0 is not canonical: refused as damaged
SELECT substr(hex(data), -4) AS credit_varint FROM zhucan_run_pack WHERE run_id = 2;
-- run 2's pack with 90 03 made 00 (meal 2's credit flagged, 0):
SELECT count(*) FROM zhucan_run_unpack(x'010002A0E6C0840D0201056C756E63680104636172640000D00F01010102D804010C7B2263697479223A3330307D070280C60A02030000D00F010102D8040400');
-- and made 92 03 (zigzag 402): meal 2's credit_fen reads 201
SELECT meal_id, credit_fen FROM zhucan_run_unpack(x'010002A0E6C0840D0201056C756E63680104636172640000D00F01010102D804010C7B2263697479223A3330307D070280C60A02030000D00F010102D804049203');
-- a database whose line view is from before credit points (elder line =
-- price - subsidy, no credit line) gets the new view at its next settle()
DROP VIEW zhucan_run_line;
CREATE VIEW zhucan_run_line(run_id, site_id, meal_id, elder_id, item, payer, quantity, amount_fen) AS
  SELECT m.run_id, m.site_id, m.meal_id, m.elder_id, 'meal', p.key, 1, p.value
    FROM zhucan_run_meal m, json_each(m.parts) p WHERE m.parts IS NOT NULL
  UNION ALL
  SELECT run_id, site_id, meal_id, elder_id, 'meal', 'elder', 1, price_fen - subsidy_fen
    FROM zhucan_run_meal WHERE subsidy_fen > 0 AND price_fen <> subsidy_fen
  UNION ALL
  SELECT run_id, site_id, NULL, NULL, item, payer, quantity, amount_fen FROM zhucan_run_item;
SELECT payer, sum(amount_fen) FROM zhucan_run_line WHERE run_id = 2 GROUP BY payer;
SELECT settle('371082', '2025-06', 'supersede') AS run;
-- by hand, runs 2 and 3: city 600, credit 200, elder 700 + 500 = 1200
SELECT run_id, payer, sum(amount_fen) FROM zhucan_run_line WHERE run_id IN (2, 3) GROUP BY 1, 2;
SELECT count(*) AS problems FROM run_verify(2);
-- a meal no longer subsidised loses its credit line by the cause that ends
-- the subsidy (a death registered late), not by a redemption changed
UPDATE elder SET died_on = '2025-06-01' WHERE id = 1;
SELECT meal_id, payer, settled_fen, replayed_fen, cause FROM replay(3) ORDER BY meal_id, payer;
