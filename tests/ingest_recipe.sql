-- sql/ingest.sql: meals from device exports, idempotent; the rejected lines.
-- Counts worked out by hand from fixtures/swipes/*: good.csv has 9 good
-- lines (2-7, 9-11); crlf.csv repeats good.csv's lines 2 and 3 (same device,
-- token and second) and adds one (line 4); terminal.log has 4 good lines
-- (1, 2, 4, 9), none of them in good.csv.
.read fixtures/swipes/setup.sql
.nullvalue NULL
.headers on
SELECT count(*) AS before FROM meal WHERE site_id IN (9001, 9002);
.parameter set :path 'fixtures/swipes/good.csv'
.parameter set :format 'csv'
.parameter set :price_fen 1000
.read sql/ingest.sql
-- the second load of the same file adds nothing
.read sql/ingest.sql
SELECT elder_id, site_id, served_at, slot, method, device, token, price_fen
  FROM meal WHERE site_id IN (9001, 9002) ORDER BY served_at, device;
.parameter set :path 'fixtures/swipes/crlf.csv'
.read sql/ingest.sql
-- a file with lines without a price and no :price_fen: refused, nothing added
.parameter set :path 'fixtures/swipes/terminal.log'
.parameter set :format 'terminal'
.parameter set :price_fen NULL
.read sql/ingest.sql
SELECT count(*) AS after_refused FROM meal WHERE site_id IN (9001, 9002);
.parameter set :price_fen 900
.read sql/ingest.sql
SELECT count(*) AS total FROM meal WHERE site_id IN (9001, 9002);
-- bad.csv: nothing to add, every line listed
.parameter set :path 'fixtures/swipes/bad.csv'
.parameter set :format 'csv'
.read sql/ingest.sql
