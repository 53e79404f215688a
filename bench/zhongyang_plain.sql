-- The Zhongyang month total in plain SQL: the baseline the subsidy and
-- settlement benchmarks compare against.  Same rules as lua/zhongyang.lua:
-- eligible = alive and aged 70+ on the day (age from the ID number's birth
-- date; a 29 Feb birthday is reached on 1 Mar in a non-leap year because
-- '03-01' >= '02-29'); meal = first meal of its slot that day for the elder
-- (any site; ordered by served_at, id) and a three-party agreement with the
-- site in force; county pays breakfast 200, lunch 500, dinner 300 fen.
-- Parameters: @first (e.g. '2024-03-01'), @next ('2024-04-01').
WITH m AS (
  SELECT id, elder_id, site_id, slot, price_fen, substr(served_at, 1, 10) AS day,
         row_number() OVER (PARTITION BY elder_id, substr(served_at, 1, 10), slot
                            ORDER BY served_at, id) AS nth_slot
    FROM meal
   WHERE served_at >= @first AND served_at < @next
), s AS (
  SELECT m.id, m.site_id, m.price_fen,
         CASE m.slot WHEN 'breakfast' THEN 200 WHEN 'lunch' THEN 500 WHEN 'dinner' THEN 300 ELSE 0 END AS fen
    FROM m JOIN elder e ON e.id = m.elder_id
   WHERE m.nth_slot = 1
     AND (e.died_on IS NULL OR m.day < e.died_on)
     AND CAST(substr(m.day, 1, 4) AS INTEGER) - CAST(substr(e.id_number, 7, 4) AS INTEGER)
         - (substr(m.day, 6, 5) < substr(e.id_number, 11, 2) || '-' || substr(e.id_number, 13, 2)) >= 70
     AND EXISTS (SELECT 1 FROM agreement a
                  WHERE a.elder_id = m.elder_id AND a.site_id = m.site_id
                    AND a.signed_on <= m.day AND (a.ended_on IS NULL OR a.ended_on > m.day))
)
SELECT count(*) AS subsidised_meals, sum(fen) AS county_fen, sum(price_fen - fen) AS elder_fen FROM s WHERE fen > 0;
