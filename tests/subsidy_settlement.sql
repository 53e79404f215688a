-- settlement() on fixtures/hand/subsidy.sql (zhongyang), worked by hand:
-- site 1 subsidised: 101 lunch 500, 105 lunch 500, 106 lunch 500,
--   109 breakfast 200, 110 lunch 500 -> 5 meals, county 2200;
--   co-payments 700+700+700+200+700 = 3000
-- site 2: 103 dinner 300 (price 1000) -> 1 meal, county 300, elder 700;
--   108 has no agreement -> nothing
-- site 9 is in county 141130, not under 141129.
.open hand.db
.load ./zhucan
.read sql/schema.sql
.read fixtures/hand/subsidy.sql
SELECT policy_load('lua/zhongyang.lua');
SELECT * FROM settlement('141129', '2024-03');
-- a village: only site 1
SELECT site_id, payer, quantity, amount_fen FROM settlement('141129001001', '2024-03');
-- agrees meal by meal with subsidy_for: the county rows equal the sum of
-- subsidy_for over the month's meals at the region's sites (2500 = 2200 + 300)
SELECT (SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer <> 'elder'),
       (SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '2024-03' AND served_at < '2024-04'
          AND site_id IN (1, 2));
-- a month with no meals: no rows; February has a meal before the policy: error
SELECT count(*) FROM settlement('141129', '2024-05');
SELECT count(*) FROM settlement('141129', '2024-02');
-- argument errors
SELECT * FROM settlement('141129');
SELECT * FROM settlement('999999', '2024-03');
SELECT * FROM settlement('141129', '2024-3');
SELECT * FROM settlement('141129', NULL);
