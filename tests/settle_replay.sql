-- replay(run_id): one targeted data change at a time, the row it produces
-- and its cause; each change is undone before the next.  Hand fixture and
-- rules as in settle_basic.sql.
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
SELECT policy_load('lua/zhongyang.lua') AS policy_version;
.headers on
SELECT settle('141129', '2024-03') AS run;
SELECT count(*) AS differences FROM replay(1);
-- meal added: elder 2's lunch at site 2 on 03-09 (first that day: 500,
-- co-payment 1000 - 500 = 500)
INSERT INTO meal VALUES(16, 2, 2, '2024-03-09 11:30:00', 'lunch', 'card', 'D2', 'C2', 1000);
SELECT * FROM replay(1);
DELETE FROM meal WHERE id = 16;
-- meal removed: meal 4 (500 + 700 co-payment) goes
DELETE FROM meal WHERE id = 4;
SELECT * FROM replay(1);
INSERT INTO meal VALUES(4, 2, 1, '2024-03-01 12:00:00', 'lunch', 'face', 'D1', 'F2', 1200);
-- meal changed: price of meal 4 1200 -> 1500: co-payment 700 -> 1000
UPDATE meal SET price_fen = 1500 WHERE id = 4;
SELECT * FROM replay(1);
UPDATE meal SET price_fen = 1200 WHERE id = 4;
-- meal changed: slot of meal 1 breakfast -> dinner (300; co-payment 100)
UPDATE meal SET slot = 'dinner' WHERE id = 1;
SELECT * FROM replay(1);
UPDATE meal SET slot = 'breakfast' WHERE id = 1;
-- a change that does not move money (method of meal 4): no rows
UPDATE meal SET method = 'manual' WHERE id = 4;
SELECT count(*) AS differences FROM replay(1);
UPDATE meal SET method = 'face' WHERE id = 4;
-- facts changed: elder 1 died on 2024-03-10 -> meal 14 (03-31) loses 300,
-- the meals of 03-01 are untouched
UPDATE elder SET died_on = '2024-03-10' WHERE id = 1;
SELECT * FROM replay(1);
UPDATE elder SET died_on = NULL WHERE id = 1;
-- facts changed: elder 6's agreement with site 2 ends 2024-03-07 -> meal
-- 12 (03-07) loses 500
UPDATE agreement SET ended_on = '2024-03-07' WHERE elder_id = 6;
SELECT * FROM replay(1);
UPDATE agreement SET ended_on = NULL WHERE elder_id = 6;
-- facts changed: a status that covers the meal's day is named; these rules
-- do not look at statuses, so the money does not move: no rows
INSERT INTO elder_status VALUES(6, 'hospitalized', '2024-03-04', '2024-03-08');
SELECT count(*) AS differences FROM replay(1);
DELETE FROM elder_status WHERE elder_id = 6 AND status = 'hospitalized';
-- facts changed: removing meal 2 makes meal 3 the first lunch of 03-01
-- (nth_slot 2 -> 1): 500 + 700 appear on meal 3, meal 2 is removed
DELETE FROM meal WHERE id = 2;
SELECT * FROM replay(1);
INSERT INTO meal VALUES(2, 1, 1, '2024-03-01 11:45:00', 'lunch', 'card', 'D1', 'C1', 1200);
-- a meal moved in time keeps its id: meal 5 to 03-31 changes nothing
UPDATE meal SET served_at = '2024-03-31 11:00:00' WHERE id = 5;
SELECT count(*) AS differences FROM replay(1);
-- ... but moved out of the month it is removed
UPDATE meal SET served_at = '2024-04-02 11:00:00' WHERE id = 5;
SELECT * FROM replay(1);
UPDATE meal SET served_at = '2024-03-02 11:30:00' WHERE id = 5;
-- moved to another site in the region
UPDATE meal SET site_id = 1 WHERE id = 12;
SELECT * FROM replay(1);
UPDATE meal SET site_id = 2 WHERE id = 12;
-- all back: reproduced exactly
SELECT count(*) AS differences FROM replay(1);
-- arguments
SELECT * FROM replay(99);
SELECT * FROM replay('x');
SELECT count(*) AS rows_for_null FROM replay(NULL);
SELECT * FROM replay;
SELECT * FROM replay(1.5);
