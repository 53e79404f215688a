-- swipe_log's argument errors, a missing file, a directory, and direct-only:
-- a view or trigger in the database's schema cannot call it.
.read fixtures/swipes/setup.sql
SELECT * FROM swipe_log('fixtures/swipes/nope.csv', 'csv');
SELECT * FROM swipe_log(NULL, 'csv');
SELECT * FROM swipe_log('', 'csv');
SELECT * FROM swipe_log(12, 'csv');
SELECT * FROM swipe_log('fixtures/swipes/good.csv', NULL);
SELECT * FROM swipe_log('fixtures/swipes/good.csv');
SELECT * FROM swipe_log;
SELECT * FROM swipe_log('fixtures/swipes/good.csv', 'cvs');
SELECT * FROM swipe_log('fixtures/swipes/good.csv', '(?<at>\d+');
SELECT * FROM swipe_log('fixtures/swipes/good.csv', '(?<at>\S+) (?<device>\S+)');
SELECT * FROM swipe_log('fixtures/swipes', 'csv');
CREATE VIRTUAL TABLE v_swipes USING swipe_log;
-- direct-only: a view and a trigger in the main schema
CREATE VIEW swipes AS SELECT line, error FROM swipe_log('fixtures/swipes/good.csv', 'csv');
SELECT count(*) FROM swipes;
CREATE TABLE loads(path TEXT);
CREATE TABLE loaded(line INTEGER);
CREATE TRIGGER loads_ai AFTER INSERT ON loads BEGIN
  INSERT INTO loaded SELECT line FROM swipe_log(new.path, 'csv');
END;
INSERT INTO loads VALUES ('fixtures/swipes/good.csv');
SELECT count(*) FROM loads;
SELECT count(*) FROM loaded;
-- top-level SQL may call it, also with arguments from another table
INSERT INTO loaded SELECT s.line FROM (SELECT 'fixtures/swipes/good.csv' AS p) f, swipe_log(f.p, 'csv') s;
SELECT count(*) FROM loaded;
