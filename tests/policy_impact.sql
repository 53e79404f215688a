-- policy_impact(source_or_path, region, month): a proposed version against
-- the hand month of fixtures/hand/zhongyang.sql, never installed.  Every
-- expected number is worked out by hand from that file under the Zhongyang
-- rules (70+, alive, agreement with the site, first meal of its slot that
-- day; breakfast 200, lunch 500, dinner 300, county pays).  In March:
--   site 1 subsidised: meal 1 breakfast 200 (price 400), 2 lunch 500 (1200),
--          4 lunch 500 (1200), 7 dinner 300 (800, 03-19), 14 dinner 300
--          (900, 03-31) -> county 1800, elder co-payments 2700, 5 meals;
--          not: 3 (second lunch), 6 (elder 3 is 65; agreement with site 1),
--          8 (died that day), 9 (no agreement)
--   site 2 subsidised: meal 5 lunch 500 (1000), 12 lunch 500 (1000)
--          -> county 1000, elder 1000, 2 meals; not: 11 (second lunch)
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
SELECT policy_load('lua/zhongyang.lua') AS v;
.headers on
-- 1. lunch 500 -> 600 from the same effective_from, given as a file: the 2
-- subsidised lunches of each site gain 100 fen each (+200), paid by the
-- county; the co-payments fall by as much; quantities unchanged
SELECT writefile('lunch600.lua', replace(readfile('lua/zhongyang.lua'), 'lunch = 500,', 'lunch = 600,')) > 0 AS written;
SELECT * FROM policy_impact('lunch600.lua', '141129', '2024-03');
-- the same counted independently: 100 fen per subsidised lunch (subsidy_for)
SELECT i.site_id, i.delta_fen, 100 * (SELECT count(*) FROM meal m WHERE m.site_id = i.site_id AND m.slot = 'lunch'
         AND m.served_at >= '2024-03-01' AND m.served_at < '2024-04-01' AND subsidy_for(m.id) > 0) AS by_count
  FROM policy_impact('lunch600.lua', '141129', '2024-03') i WHERE i.payer = 'county';
-- 2. the installed source itself (as text): every delta 0, no meal changed,
-- and the current side is settlement() row by row
SELECT site_id, item, payer, current_fen, proposed_fen, meals_changed, delta_fen
  FROM policy_impact(CAST(readfile('lua/zhongyang.lua') AS TEXT), '141129', '2024-03');
SELECT count(*) AS differ FROM settlement('141129', '2024-03') s
  FULL JOIN policy_impact(readfile('lua/zhongyang.lua'), '141129', '2024-03') i
    ON i.site_id = s.site_id AND i.item = s.item AND i.payer = s.payer
 WHERE s.amount_fen IS NOT i.current_fen OR s.quantity IS NOT i.current_quantity;
-- 3. dinner 300 -> 400 from 2024-03-20: meal 7 (03-19) keeps the version in
-- force; meal 14 (03-31) gains 100 -> site 1 county 1900, 1 meal changed;
-- site 2 (lunches only) unchanged
SELECT * FROM policy_impact(replace(replace(readfile('lua/zhongyang.lua'), 'dinner = 300,', 'dinner = 400,'),
                                    '"2024-03-01"', '"2024-03-20"'), '141129', '2024-03');
-- 4. min_age 70 -> 65: elder 3 (65) becomes eligible; meal 6 (lunch, site 1,
-- agreement) is paid 500 -> county 2300, 6 subsidised meals, co-payments
-- 2700 + (1200 - 500) = 3400
SELECT * FROM policy_impact(replace(readfile('lua/zhongyang.lua'), 'min_age = 70,', 'min_age = 65,'),
                            '141129', '2024-03') WHERE site_id = 1;
-- 5. a new payer: the city adds 50 fen to every subsidised meal -> site 1
-- city 0 -> 250 (5 meals), site 2 0 -> 100 (2 meals); co-payments fall by as
-- much; the county's rows do not change (the proposal declares the new payer)
SELECT * FROM policy_impact(replace(replace(readfile('lua/zhongyang.lua'), 'return { county = params.amounts[meal.slot] }',
                                    'return { county = params.amounts[meal.slot], city = 50 }'),
                                    'payers = { "county" }', 'payers = { "city", "county" }'), '141129', '2024-03');
.headers off
-- 6. errors: each names policy_impact, the value and what was expected
SELECT * FROM policy_impact('return {', '141129', '2024-03');
SELECT * FROM policy_impact(replace(readfile('lua/zhongyang.lua'), 'lunch = 500,', 'lunch = 500.5,'), '141129', '2024-03');
SELECT * FROM policy_impact(NULL, '141129', '2024-03');
SELECT * FROM policy_impact('lunch600.lua', NULL, '2024-03');
SELECT * FROM policy_impact('lunch600.lua', '141129', NULL);
SELECT * FROM policy_impact('lunch600.lua', '999999', '2024-03');
SELECT * FROM policy_impact('lunch600.lua', '141129', '2024-13');
SELECT * FROM policy_impact(42, '141129', '2024-03');
SELECT * FROM policy_impact('no/such/draft.lua', '141129', '2024-03');
SELECT * FROM policy_impact('lunch600.lua', '141129');
SELECT * FROM policy_impact(replace(readfile('lua/zhongyang.lua'), 'name = "zhongyang"', 'name = "acme"'), '141129', '2024-03');
SELECT * FROM policy_impact(replace(readfile('lua/zhongyang.lua'), '"2024-03-01"', '"2024-04-01"'), '141129', '2024-03');
-- 7. nothing stays: the same money as before, in the same statement and
-- after (the proposal of 1 had the installed version's name and date)
SELECT (SELECT sum(proposed_fen) FROM policy_impact('lunch600.lua', '141129', '2024-03') WHERE payer = 'county'),
       (SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer = 'county');
SELECT site_id, payer, quantity, amount_fen FROM settlement('141129', '2024-03');
SELECT subsidy_for(2), subsidy_explain(2) ->> '$.version', subsidy_for(1, 1, '2024-03-10 12:00:00', 'lunch');
SELECT count(*) FROM zhucan_policy;
-- 8. sites governed by another policy keep theirs: 141130 under 'other'
-- (Zhongyang's text renamed), elder 6 given an agreement with site 3 -> meal
-- 10 (lunch 03-06, 74) paid 500 by 'other' on both sides; sites 1 and 2 as
-- in 1
INSERT INTO agreement(elder_id, site_id, signed_on) VALUES (6, 3, '2023-06-01');
SELECT policy_install(replace(readfile('lua/zhongyang.lua'), 'name = "zhongyang"', 'name = "other"'));
UPDATE region SET policy = 'other' WHERE code = '141130';
.headers on
SELECT * FROM policy_impact('lunch600.lua', '141100', '2024-03');
-- 9. a stored version with a later date still wins from that date: a
-- version from 2024-03-25 paying dinner 250 governs meal 14 (county 1750,
-- co-payments 2750 now); a proposal from 2024-03-01 paying dinner 400 governs
-- 03-01..03-24 only: meal 7 gains 100, meal 14 stays 250
SELECT policy_install(replace(replace(readfile('lua/zhongyang.lua'), '300', '250'), '"2024-03-01"', '"2024-03-25"')) AS v;
SELECT * FROM policy_impact(replace(readfile('lua/zhongyang.lua'), 'dinner = 300,', 'dinner = 400,'), '141129', '2024-03')
 WHERE site_id = 1;
.headers off
-- a proposal from 2024-02-01 is hidden on every March day (03-01, 03-25)
SELECT * FROM policy_impact(replace(readfile('lua/zhongyang.lua'), '"2024-03-01"', '"2024-02-01"'), '141129', '2024-03');
