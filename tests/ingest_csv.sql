-- swipe_log over the built-in 'csv' format: every column of good lines, each
-- kind of bad line, CRLF, an empty file.  Expected rows worked out by hand
-- from fixtures/swipes/*.csv and the rows of fixtures/swipes/setup.sql
-- (windows: no policy governs region 990000, so the SPEC defaults
-- 06:00-09:00, 11:00-13:30, 17:00-19:30, inclusive).
.read fixtures/swipes/setup.sql
.nullvalue NULL
-- good.csv: line 1 is the header, line 8 blank; price 12.50 yuan = 1250 fen
SELECT line, at, device, site_id, method, token, elder_id, slot, error, price_fen
  FROM swipe_log('fixtures/swipes/good.csv', 'csv');
-- raw is the line as written, without its newline
SELECT line, raw FROM swipe_log('fixtures/swipes/good.csv', 'csv') WHERE line IN (1, 4, 7, 8);
-- bad.csv: one line per kind of error (the first error found is reported)
SELECT line, at, site_id, elder_id, slot, error FROM swipe_log('fixtures/swipes/bad.csv', 'csv');
-- crlf.csv: CR LF endings, a blank CR LF line, no newline after the last line
SELECT line, at, error, length(raw), instr(raw, char(13)) FROM swipe_log('fixtures/swipes/crlf.csv', 'csv');
-- an empty file has no lines
SELECT count(*) FROM swipe_log('fixtures/swipes/empty.csv', 'csv');
-- the same file read twice in one statement gives the same rows
SELECT count(*) FROM swipe_log('fixtures/swipes/good.csv', 'csv') a
  JOIN swipe_log('fixtures/swipes/good.csv', 'csv') b USING (line)
 WHERE a.raw = b.raw AND a.error IS b.error;
