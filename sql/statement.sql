-- sql/statement.sql — the monthly statement of a stored run, per site:
-- meals, subsidised meals, amounts by payer (the 'elder' payer is the
-- co-payment), site items, the site's public total, and grand totals.
-- Reads only the run tables; their meals are kept in packs (one blob per
-- elder), which the view zhucan_run_meal opens with zhucan_run_unpack, so
-- load zhucan first.
--
--   sqlite3 city.db
--   sqlite> .load ./zhucan
--   sqlite> .parameter set @run 1
--   sqlite> .mode box                      -- on screen
--   sqlite> .read sql/statement.sql
--   sqlite> .headers on
--   sqlite> .mode csv
--   sqlite> .once statement-run1.csv       -- to a file for the finance office
--   sqlite> .read sql/statement.sql
--
-- From a script: sqlite3 -cmd ".load ./zhucan" -cmd ".parameter set @run 1" -box city.db < sql/statement.sql
-- Rows: one per site, item and payer; kind 'total' rows give each site's
-- public money (every payer but 'elder') and the co-payments; site_id NULL
-- rows are the run's grand totals.  A run's items are the rowid range
-- [@run << 32, (@run + 1) << 32) of zhucan_run_item.
WITH
r AS (SELECT id, region, month, superseded_by FROM zhucan_run WHERE id = @run),
rm AS (SELECT * FROM zhucan_run_meal WHERE run_id = @run),
ri AS (SELECT * FROM zhucan_run_item WHERE seq >= (@run << 32) AND seq < ((@run + 1) << 32)),
counts AS (SELECT site_id, count(*) AS meals, sum(subsidy_fen > 0) AS subsidised FROM rm GROUP BY site_id),
lines AS (
  SELECT rm.site_id, 'meal' AS item, p.key AS payer, 1 AS quantity, p.value AS amount_fen
    FROM rm, json_each(rm.parts) p WHERE rm.parts IS NOT NULL
  UNION ALL
  SELECT site_id, 'meal', 'elder', 1, price_fen - subsidy_fen FROM rm WHERE subsidy_fen > 0
  UNION ALL
  SELECT site_id, item, payer, quantity, amount_fen FROM ri),
by_payer AS (
  SELECT site_id, 'line' AS kind, item, payer, sum(quantity) AS quantity, sum(amount_fen) AS amount_fen
    FROM lines GROUP BY site_id, item, payer HAVING sum(amount_fen) <> 0),
totals AS (
  SELECT site_id, 'total' AS kind, 'all items' AS item, 'public' AS payer, NULL AS quantity,
         coalesce(sum(amount_fen) FILTER (WHERE payer <> 'elder'), 0) AS amount_fen FROM lines GROUP BY site_id
  UNION ALL
  SELECT site_id, 'total', 'meal', 'elder', NULL, sum(amount_fen) FROM lines WHERE payer = 'elder' GROUP BY site_id),
grand AS (
  SELECT NULL AS site_id, 'total' AS kind, item, payer, sum(quantity) AS quantity, sum(amount_fen) AS amount_fen
    FROM by_payer GROUP BY item, payer
  UNION ALL
  SELECT NULL, 'total', 'all items', 'public', NULL, coalesce(sum(amount_fen) FILTER (WHERE payer <> 'elder'), 0) FROM lines),
allrows AS (SELECT * FROM by_payer UNION ALL SELECT * FROM totals UNION ALL SELECT * FROM grand)
SELECT r.id AS run, r.region, r.month, CASE WHEN r.superseded_by IS NULL THEN '' ELSE 'superseded by ' || r.superseded_by END AS status,
       a.site_id, s.name AS site,
       coalesce(c.meals, (SELECT sum(meals) FROM counts WHERE a.site_id IS NULL)) AS meals,
       coalesce(c.subsidised, (SELECT sum(subsidised) FROM counts WHERE a.site_id IS NULL)) AS subsidised_meals,
       a.kind, a.item, a.payer, a.quantity, a.amount_fen,
       printf('%.2f', a.amount_fen / 100.0) AS amount_yuan
  FROM r, allrows a
  LEFT JOIN zhucan_run_site s ON s.run_id = r.id AND s.site_id = a.site_id
  LEFT JOIN counts c ON c.site_id = a.site_id
 ORDER BY a.site_id IS NULL, a.site_id, a.kind = 'total', a.item = 'meal' DESC, a.item, a.payer = 'elder', a.payer;
