-- settle() runs in its own SAVEPOINT: it commits on its own in autocommit
-- mode while the calling SELECT is still active, and nests inside a
-- user's transaction (which then decides).  Hand fixture as in
-- settle_basic.sql (March: 12 meals, 7 subsidised, 2800 fen).
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
SELECT policy_load('lua/zhongyang.lua') AS policy_version;
.headers on
-- inside BEGIN ... ROLLBACK: nothing remains, not even the tables
BEGIN;
SELECT settle('141129', '2024-03') AS run;
SELECT count(*) AS runs_inside FROM zhucan_run;
ROLLBACK;
SELECT count(*) AS zhucan_tables FROM sqlite_schema WHERE name LIKE 'zhucan_run%';
-- inside BEGIN ... COMMIT: the run stays
BEGIN;
SELECT settle('141129', '2024-03') AS run;
COMMIT;
SELECT id, meals, subsidised_meals, total_fen FROM zhucan_run;
-- two calls in one statement: the first commits while the statement is
-- active, the second is refused, the first stays
SELECT CASE x WHEN 1 THEN settle('141129', '2024-03', 'supersede') ELSE settle('141129', '2024-03') END AS run
  FROM (SELECT 1 AS x UNION ALL SELECT 2);
SELECT id, superseded_by FROM zhucan_run ORDER BY id;
-- a failure inside a user's transaction rolls back only settle's work:
-- April's last meal (of the highest elder id, so after every other
-- elder's pack is written) names an elder who does not exist
BEGIN;
INSERT INTO site_report VALUES(1, '2024-03-01', 'lunch', 3);
INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, price_fen)
  VALUES(90000, 9999, 1, '2024-04-02 12:00:00', 'lunch', 'card', 1000);
SELECT settle('141129', '2024-04');
SELECT count(*) AS reports_kept FROM site_report;
COMMIT;
SELECT count(*) AS runs FROM zhucan_run;
-- a statement that reads zhucan_run while it settles supersedes once, then
-- stops at the run it stored itself (it used to run for ever)
SELECT count(*) FROM (SELECT settle(region, month, 'supersede') FROM zhucan_run WHERE superseded_by IS NULL);
SELECT count(*) AS runs, count(superseded_by) AS superseded FROM zhucan_run;
