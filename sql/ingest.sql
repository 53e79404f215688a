-- sql/ingest.sql — load one device export into meal, idempotently, then list
-- the lines that were not loaded.  docs/ingest.md explains each step.
--
-- In the sqlite3 shell, with zhucan loaded:
--   .parameter set :path 'exports/dev0012-2024-03.csv'
--   .parameter set :format 'csv'        -- or 'terminal', or a PCRE2 pattern
--   .parameter set :price_fen 1000      -- menu price, for lines without one
--   .parameter set :encoding gbk        -- optional: 'gbk'/'gb18030', 'auto'; unset = 'utf-8'
--   .read sql/ingest.sql
--
-- Idempotent: the unique index meal_swipe(device, token, served_at) in
-- sql/schema.sql makes a line already loaded (from this file or another
-- export that overlaps it) a conflict, and DO NOTHING skips it; loading the
-- same file twice adds no meal.  :price_fen left unset is NULL: a line with
-- no price then fails meal.price_fen NOT NULL and nothing is inserted (never
-- a meal priced 0 by accident).

INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen)
SELECT elder_id, site_id, at, slot, method, device, token, coalesce(price_fen, :price_fen)
  FROM swipe_log(:path, :format, coalesce(:encoding, 'utf-8'))
 WHERE error IS NULL
ON CONFLICT(device, token, served_at) DO NOTHING;

SELECT changes() AS meals_added;

-- The rejected lines, with the reason (blank lines and a CSV header are not
-- rejections and are left out).
SELECT line, error, raw
  FROM swipe_log(:path, :format, coalesce(:encoding, 'utf-8'))
 WHERE error IS NOT NULL AND error NOT IN ('blank', 'header')
 ORDER BY line;
