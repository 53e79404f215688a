-- The time bank on the hand fixture (fixtures/hand/credit.sql); every
-- number is worked out here by hand from its rows.
.open --new credit.db
.read sql/schema.sql
.read fixtures/hand/credit.sql
.load ./zhucan
SELECT policy_load('lua/weihai.lua') AS weihai, policy_load('lua/timebank.lua') AS timebank;
.headers on
-- Volunteer 1 under Weihai's tiers (points x 1000):
--   2024: 10 h -> 10 points = 10000 (the tiers start over on 1 January)
--   2025 to 2025-03-31: 7 entries (Jan 1 ... Mar 26, every 14 days) = 70 h
--        -> 20 + 50/2 = 45 points = 45000; total 55000
--   2025 whole year: 250 h -> 20 + 60/2 + 120/3 + 50/4 = 102.5 = 102500;
--        total earned 112500; 2 h unverified (120 min) earn nothing
-- Volunteer 7 under the time bank: 1536 h, cap 1500 -> 1500000 credited,
--   36000 over the cap.  Volunteer 3: 30 h = 30000.  Volunteer 8: 5 h = 5000.
SELECT volunteer_id, region, minutes, unverified_minutes, earned_milli, over_cap_milli, balance_milli, versions
  FROM credit_ledger('371082', '2025-03-31');
SELECT volunteer_id, minutes, unverified_minutes, earned_milli, over_cap_milli, balance_milli, problems, versions
  FROM credit_ledger('371082', '2025-12-31');
SELECT volunteer_id, minutes, earned_milli, over_cap_milli, balance_milli, versions
  FROM credit_ledger('320102', '2025-12-31') WHERE minutes > 0;
-- the same Weihai points in plain SQL, an independent path: per tier
-- floor(minutes in tier * 1000 / (60 * hours)) of each year's total
WITH y AS (SELECT volunteer_id v, substr(day, 1, 4) yr, sum(minutes) m FROM credit_hours
            WHERE verified_by IS NOT NULL AND volunteer_id = 1 GROUP BY 1, 2)
SELECT v, sum(min(m, 1200) * 1000 / 60
              + max(min(m, 4800) - 1200, 0) * 1000 / 120
              + max(min(m, 12000) - 4800, 0) * 1000 / 180
              + max(m - 12000, 0) * 1000 / 240) AS plain_sql_milli
  FROM y GROUP BY v;
-- a statement: 2024's 10 points brought forward; the first two 2025 lines
-- earn 10 points each (tier 1: hours 1-20); the third (21-30 h) 10/2 = 5
SELECT day, kind, points_milli, balance_milli, version, ref_id, reason
  FROM credit_statement(1, 2025) LIMIT 4;
SELECT kind, count(*), sum(points_milli) FROM credit_statement(1, 2025) GROUP BY kind ORDER BY kind;
-- a meal's co-payment paid with points.  Meal 1: elder 1 (65 on 2025-06-10,
-- the same id_number as account 1) eats a 1000-fen lunch; Weihai pays
-- 300 (60-79), so 700 is the co-payment.  5 points at 100 fen a point pay
-- 500 of it.  Meal 2 (the next day, same price) is paid without points.
-- Settlement: city 300 + 300 = 600, credit 500, elder 200 + 700 = 900; the
-- site is paid 600 + 500 + 900 = 2000, the two meals' prices.
SELECT credit_redeem(1, '2025-06-10', 5000, 'meal', 1) AS redemption;
SELECT id, volunteer_id, day, points_milli, what, meal_id, fen FROM credit_redemption;
SELECT * FROM settlement('371082', '2025-06');
SELECT sum(amount_fen) AS paid, (SELECT sum(price_fen) FROM meal WHERE site_id = 1) AS prices
  FROM settlement('371082', '2025-06');
-- refusals: 2 more points would pay 200 of the 200 left: allowed; 3 more
-- (300 fen) would pass it.  Meal 3 is elder 3's, not account 1's.
SELECT credit_redeem(1, '2025-06-10', 3000, 'meal', 1);
SELECT credit_redeem(1, '2025-06-10', 2000, 'meal', 3);
-- below zero: account 1 holds 10 + 45 (to Mar 31) + ... on 2025-06-10:
-- 2024 10 h, 2025 entries Jan 1 .. Jun 4 (every 14 days: 12 entries, 120 h:
-- 20 + 30 + 40/3 = 63.333) -> 73.333 points, less the 5 redeemed = 68.333
SELECT credit_redeem(1, '2025-06-10', 70000, 'goods', '米面油');
-- Weihai allows no donation and has no transfer relations
SELECT credit_give(1, NULL, 'donation', '2025-06-10', 1000, '公益池');
SELECT credit_give(1, 2, 'spouse', '2025-06-10', 1000);
-- the time bank: 3 gives 10 points to his wife (67 in 2025): allowed
SELECT credit_give(3, 4, 'spouse', '2025-05-01', 10000) AS transfer;
-- not to a friend; not to his son (40: receivers must be 60+)
SELECT credit_give(3, 5, 'friend', '2025-05-01', 1000);
SELECT credit_give(3, 6, 'child', '2025-05-01', 1000);
-- 3 holds 30 - 10 = 20 points: 25 would go below zero
SELECT credit_give(3, 4, 'spouse', '2025-05-02', 25000);
-- 7 is at the 1500 cap: one point more would pass it
SELECT credit_give(3, 7, 'spouse', '2025-05-02', 1000);
-- donation allowed; redemption for a service under the monthly cap of 20
-- points; 21 points would pass it; goods are not redeemable; 8 is 34
SELECT credit_give(3, NULL, 'donation', '2025-05-03', 1000, '玄武区时间银行公益池') AS donation;
SELECT credit_redeem(3, '2025-06-01', 5000, 'service', '理发') AS service;
SELECT credit_redeem(3, '2025-06-02', 16000, 'service', '理发');
SELECT credit_redeem(3, '2025-06-02', 1000, 'goods', '米');
SELECT credit_redeem(8, '2025-06-02', 1000, 'service', '理发');
SELECT volunteer_id, in_milli, out_milli, donated_milli, redeemed_milli, balance_milli, problems
  FROM credit_ledger('320102', '2025-12-31') WHERE volunteer_id IN (3, 4);
-- as of a past day: the ledger and its digest of 2025-03-31 do not change
-- when later rows arrive (hours in April, a redemption in May); the
-- year-end digest does
CREATE TEMP TABLE d AS SELECT credit_ledger_digest('371082', '2025-03-31') AS march,
                              credit_ledger_digest('371082', '2025-12-31') AS year_end;
CREATE TEMP TABLE l AS SELECT * FROM credit_ledger('371082', '2025-03-31');
INSERT INTO credit_hours(volunteer_id, day, minutes, activity, verified_by)
  VALUES (2, '2025-04-02', 240, 'laundry', '站长 王丽娜'), (1, '2025-04-03', 60, 'visit', '站长 王丽娜');
SELECT credit_redeem(2, '2025-05-01', 1000, 'goods', '肥皂') AS later;
SELECT credit_ledger_digest('371082', '2025-03-31') = march AS march_same,
       credit_ledger_digest('371082', '2025-12-31') = year_end AS year_end_same,
       length(march) AS hex_len FROM d;
SELECT count(*) AS rows_differ FROM (SELECT * FROM credit_ledger('371082', '2025-03-31') EXCEPT SELECT * FROM l);
-- volunteer 2 on 2025-12-31: 4 h -> 4 points, 1 redeemed: 3
SELECT volunteer_id, minutes, earned_milli, redeemed_milli, balance_milli FROM credit_ledger('371082', '2025-12-31');
-- a new time-bank version from 2026 whose points expire after 12 months:
-- 9's 10 h on 2026-01-10 (version 3) expire on 2027-01-10; 3's 2025
-- points (version 2, no expiry) never do
SELECT policy_install(replace(replace(CAST(readfile('lua/timebank.lua') AS TEXT),
         'effective_from = "2024-01-01"', 'effective_from = "2026-01-01"'),
         'donate = true,', 'donate = true, expire_months = 12,')) AS v2026;
INSERT INTO credit_hours(volunteer_id, day, minutes, activity, verified_by)
  VALUES (9, '2026-01-10', 600, 'visit', '社区 李志强');
SELECT volunteer_id, earned_milli, expired_milli, balance_milli, versions
  FROM credit_ledger('320102', '2027-01-09') WHERE volunteer_id IN (3, 9);
SELECT volunteer_id, earned_milli, expired_milli, balance_milli, versions
  FROM credit_ledger('320102', '2027-01-10') WHERE volunteer_id IN (3, 9);
SELECT day, kind, points_milli, balance_milli, reason FROM credit_statement(9, 2027);
-- with a horizon the ledger sees only versions up to it (replay's rule):
-- version 2 has no expiry, so 9's points stay
SELECT volunteer_id, expired_milli, balance_milli, versions
  FROM credit_ledger('320102', '2027-01-10', 2) WHERE volunteer_id = 9;
-- bad arguments
SELECT * FROM credit_ledger('999999', '2025-12-31');
SELECT * FROM credit_ledger('371082', '2025-13-01');
SELECT * FROM credit_ledger('371082');
SELECT * FROM credit_statement(99, 2025);
SELECT * FROM credit_statement('x', 2025);
SELECT credit_redeem(1, '2025-06-10', 0, 'goods');
SELECT credit_redeem(1, '2025-06-10', 1000, 'cash');
SELECT credit_redeem(1, '2025-06-10', 1000, 'meal');
SELECT credit_redeem(99, '2025-06-10', 1000, 'goods');
SELECT credit_give(3, 4, 'donation', '2025-05-01', 1000);
-- a region without credit rules in force
UPDATE region SET policy = NULL WHERE code = '371082';
SELECT count(*) FROM credit_ledger('371082', '2025-12-31');
