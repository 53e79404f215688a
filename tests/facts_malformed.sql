-- Malformed data is an error naming what is wrong, never silently absent
-- (the hand fixture of settle_basic.sql; issue #12, finding 7).
.open --new hand.db
-- a meal table made before sql/schema.sql refused malformed times
CREATE TABLE meal(id INTEGER PRIMARY KEY, elder_id INTEGER NOT NULL, site_id INTEGER NOT NULL,
  served_at TEXT NOT NULL, slot TEXT NOT NULL, method TEXT NOT NULL, device TEXT, token TEXT,
  price_fen INTEGER NOT NULL);
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
SELECT policy_load('lua/zhongyang.lua') AS policy_version;
SELECT sum(amount_fen) AS march FROM settlement('141129', '2024-03');
-- 1. a death date that is not a date: elder 4 used to count as alive
UPDATE elder SET died_on = '2024-3-10' WHERE id = 4;
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
SELECT subsidy_for(id) FROM meal WHERE elder_id = 4 LIMIT 1;
SELECT count(*) FROM anomaly_scan('141129', '2024-03');
-- other elders' money is still there, one by one
SELECT subsidy_for(id) FROM meal WHERE elder_id = 1 AND served_at >= '2024-03-01' ORDER BY id LIMIT 1;
UPDATE elder SET died_on = '2024-03-20' WHERE id = 4;
-- 2. a status interval with a bad date
INSERT INTO elder_status(elder_id, status, valid_from, valid_to) VALUES (5, 'tekun', '2024/01/01', NULL);
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
DELETE FROM elder_status WHERE elder_id = 5;
-- 3. a meal time no month holds used to vanish from settle (subsidy_for
--    reported it); now every month pass names it
INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, price_fen) VALUES
  (900, 1, 1, '2024-3-05 12:00:00', 'lunch', 'card', 1000);
SELECT settle('141129', '2024-03');
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
SELECT count(*) FROM anomaly_scan('141129', '2024-03');
SELECT subsidy_for(900);
--    a time stored as an integer or a blob is no time either
UPDATE meal SET served_at = 20240315 WHERE id = 900;
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
UPDATE meal SET served_at = x'32303234' WHERE id = 900;
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
DELETE FROM meal WHERE id = 900;
SELECT sum(amount_fen) AS march_again FROM settlement('141129', '2024-03');
-- 4. a site's opening date that is not a date: an error for the sites'
--    region, none for another county's
UPDATE site SET opened_on = '2023-6-1' WHERE id = 3;
SELECT sum(amount_fen) AS zhongyang_unaffected FROM settlement('141129', '2024-03');
SELECT sum(amount_fen) FROM settlement('141130', '2024-03');
UPDATE site SET opened_on = '2023-06-01' WHERE id = 3;
-- 5. the 65th distinct status word is an error, not a status never in force
INSERT INTO elder_status(elder_id, status, valid_from, valid_to)
  WITH RECURSIVE n(i) AS (VALUES(1) UNION ALL SELECT i + 1 FROM n WHERE i < 53)
  SELECT 6, 'word' || i, '2020-01-01', NULL FROM n;
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
-- and a new database refuses a malformed time at the door
.open --new fresh.db
.read sql/schema.sql
INSERT INTO meal(elder_id, site_id, served_at, slot, method, price_fen) VALUES (1, 1, '2024-3-05 12:00:00', 'lunch', 'card', 0);
INSERT INTO meal(elder_id, site_id, served_at, slot, method, price_fen) VALUES (1, 1, '2024-03-05 12:00:00', 'lunch', 'card', 0);
SELECT count(*) AS stored FROM meal;
