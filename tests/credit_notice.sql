-- A notice prints the part of a co-payment paid with credit points as its
-- own part (信用积分抵扣), from the month pass before settling and from the
-- run after, so its parts add up to the meals' prices; subsidy_explain
-- shows the meal's credit part and its redemptions.  Hand fixture
-- fixtures/hand/credit.sql: elder 1 ate meals 1 and 2 at site 1 in
-- 2025-06 (1000 fen each); Weihai pays 300 for a 65-year-old, so each
-- co-payment is 700; 5 points at 100 fen pay 500 of meal 1's.
.open --new credit.db
.read sql/schema.sql
.read fixtures/hand/credit.sql
.load ./zhucan
SELECT policy_load('lua/weihai.lua') AS weihai;
.headers on
SELECT credit_redeem(1, '2025-06-10', 5000, 'meal', 1) AS redemption;
-- by hand: subsidy 300 + 300 = 600; the elder 200 + 700 = 900; points 500
SELECT section, line, item, detail, quantity, amount_fen, note FROM notice(1, '2025-06')
 WHERE section IN ('diners', 'total');
-- the parts add up to the prices of the subsidised meals (plain SQL): 2000
SELECT (SELECT sum(amount_fen) FROM notice(1, '2025-06') WHERE section = 'total') AS parts,
       (SELECT sum(price_fen) FROM meal WHERE site_id = 1 AND served_at LIKE '2025-06%') AS prices;
-- settled: the same parts, from the run's packs
SELECT settle('371082', '2025-06') AS run;
SELECT section, line, item, amount_fen, note FROM notice(1, '2025-06') WHERE section IN ('diners', 'total');
SELECT (SELECT sum(amount_fen) FROM notice(1, '2025-06') WHERE section = 'total') AS parts,
       (SELECT sum(amount_fen) FROM zhucan_run_line WHERE run_id = 1 AND site_id = 1) AS run_lines;
SELECT instr(notice_html(1, '2025-06'), '信用积分抵扣合计') > 0 AS html_has_credit,
       instr(notice_html(1, '2025-06'), '信用积分抵扣 5.00 元') > 0 AS html_diner_credit;
-- subsidy_explain: meal 1's co-payment 700, of which 500 points; meal 2 has
-- no redemption and explains as before (no credit keys)
SELECT json_extract(subsidy_explain(1), '$.copay') AS copay, json_extract(subsidy_explain(1), '$.credit') AS credit,
       json_extract(subsidy_explain(1), '$.credit_redemptions') AS redemptions;
SELECT json_extract(subsidy_explain(2), '$.copay') AS copay, json_type(subsidy_explain(2), '$.credit') AS credit;
-- a redemption larger than the co-payment by hand-inserted rows pays at
-- most the co-payment (700), as settlement() splits it
INSERT INTO credit_redemption(volunteer_id, day, points_milli, what, meal_id, fen)
  VALUES (1, '2025-06-11', 8000, 'meal', 2, 800);
SELECT json_extract(subsidy_explain(2), '$.credit') AS credit, json_extract(subsidy_explain(2), '$.credit_redemptions') AS redemptions;
SELECT payer, amount_fen FROM settlement('371082', '2025-06') ORDER BY payer;
