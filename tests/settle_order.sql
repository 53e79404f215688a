-- The month pass reads elder by elder (ext/settle.c): for a whole database
-- one scan of meal_elder_time that jumps over each elder's other months;
-- for part of one, the elders who ate at its sites, then each one's month.
-- Checked against subsidy_for, an independent path (facts.c loads each
-- elder's month on its own), on the small fixture with other months and
-- odd values added around March:
--   every March meal of elders 1..400 copied to February and to April
--   (same elder, site, slot, time of day), so March's ordinals must not
--   count them; a meal of 2024-03-31 23:59:59 and one of 2024-04-01
--   00:00:00 for the same elder (one in, one out).  (A served_at stored as
--   an integer or a blob is an error now: tests/facts_malformed.sql.)
CREATE TEMP TABLE installed AS SELECT policy_load('lua/zhongyang.lua') AS version;
CREATE TEMP TABLE before AS
  SELECT site_id, item, payer, quantity, amount_fen FROM settlement('141129', '2024-03');
INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen)
  SELECT elder_id, site_id, '2024-02' || substr(served_at, 8), slot, method, device, 'feb' || id, price_fen
    FROM meal WHERE elder_id <= 400 AND served_at < '2024-03-30';
INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen)
  SELECT elder_id, site_id, '2024-04' || substr(served_at, 8), slot, method, device, 'apr' || id, price_fen
    FROM meal WHERE elder_id <= 400 AND served_at >= '2024-03' AND served_at < '2024-03-31';
CREATE TEMP TABLE e1 AS SELECT elder_id AS id, site_id AS site FROM meal WHERE served_at LIKE '2024-03%'
  ORDER BY elder_id LIMIT 1;
INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen)
  SELECT id, site, '2024-03-31 23:59:59', 'dinner', 'manual', NULL, NULL, 1000 FROM e1
  UNION ALL SELECT id, site, '2024-04-01 00:00:00', 'dinner', 'manual', NULL, NULL, 1000 FROM e1;
SELECT count(*) AS added_feb FROM meal WHERE served_at >= '2024-02' AND served_at < '2024-03';
SELECT count(*) AS added_apr FROM meal WHERE served_at >= '2024-04' AND served_at < '2024-05';
-- March per site and payer, settlement against subsidy_for (payers other
-- than 'elder'; zhongyang has one payer, the county): no differences
CREATE TEMP TABLE by_meal AS
  SELECT site_id, count(*) AS n, sum(s) AS fen FROM
    (SELECT site_id, subsidy_for(id) AS s FROM meal WHERE served_at >= '2024-03' AND served_at < '2024-04')
   WHERE s > 0 GROUP BY site_id;
SELECT count(*) AS sites_differing FROM by_meal b
  FULL JOIN (SELECT site_id, quantity, amount_fen FROM settlement('141129', '2024-03') WHERE payer = 'county') s
    USING (site_id)
 WHERE b.n IS NOT s.quantity OR b.fen IS NOT s.amount_fen;
-- the 23:59:59 dinner is March's (a second dinner that day: nth_slot 2, so
-- 0 fen under zhongyang unless it is the elder's first dinner that day)
SELECT (SELECT count(*) FROM meal WHERE served_at >= '2024-03' AND served_at < '2024-04') AS march_meals;
-- a village alone (the listed-elders path) agrees with the whole county's
-- rows for the village's sites
SELECT count(*) AS village_rows_differing FROM
  (SELECT * FROM settlement('141129100201', '2024-03')
   EXCEPT
   SELECT * FROM settlement('141129', '2024-03')
    WHERE site_id IN (SELECT id FROM site WHERE region LIKE '141129100201%'));
SELECT count(*) > 0 AS village_has_rows FROM settlement('141129100201', '2024-03');
-- the added months changed nothing in March but the 23:59:59 dinner at one
-- site (its county and elder rows, if that dinner is the first of the day)
SELECT count(*) AS march_rows_changed FROM
  (SELECT * FROM settlement('141129', '2024-03') EXCEPT SELECT * FROM before);
-- April: exactly the copied meals' money, again per subsidy_for; February
-- is before the policy's first version: a clear error naming the meal
SELECT (SELECT sum(amount_fen) FROM settlement('141129', '2024-04') WHERE payer = 'county')
     = (SELECT sum(subsidy_for(id)) FROM meal WHERE served_at >= '2024-04' AND served_at < '2024-05') AS apr_agrees;
SELECT count(*) FROM settlement('141129', '2024-02');
-- an elder_id that is not an integer is named, not skipped or misread
INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen)
  VALUES ('E-17', 3, '2024-03-09 12:00:00', 'lunch', 'manual', NULL, NULL, 1000);
SELECT count(*) FROM settlement('141129', '2024-03');
SELECT count(*) FROM settlement('141129100201', '2024-03');
