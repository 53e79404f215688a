-- One payer of record per site and month (issue #13): on the small fixture
-- under a city 141100 added above the county.  Sites, by region:
--   141129100 (township): 1, 2;  village 141129100201: 3 (and hamlet
--   141129100201001: 6);  village 141129100202: 4;  village 141129100203: 5.
-- So the township covers 1-6, village ...201 covers 3 and 6, ...202 covers 4.
INSERT INTO region(code, parent, level, name) VALUES('141100', NULL, 'city', '忻州市');
UPDATE region SET parent = '141100' WHERE code = '141129';
SELECT policy_load('lua/zhongyang.lua') AS version;
.headers on
-- upward: a village first (run 1: sites 3, 6), then every region above it
-- is refused, naming run 1 and its 2 sites
SELECT settle('141129100201', '2024-03') AS run;
SELECT settle('141129100', '2024-03');
SELECT settle('141129', '2024-03');
SELECT settle('141100', '2024-03');
-- a sibling village does not overlap (run 2: site 4); a hamlet under the
-- first village overlaps it (site 6)
SELECT settle('141129100202', '2024-03') AS run;
SELECT settle('141129100201001', '2024-03');
-- the township over both villages: refused naming both runs, then
-- 'supersede' replaces both (run 3) and lists them
SELECT settle('141129100', '2024-03');
SELECT settle('141129100', '2024-03', 'supersede') AS run;
SELECT id, region, superseded_by, sites, supersedes FROM zhucan_run ORDER BY id;
-- downward: the township's villages and hamlets are refused, naming run 3
SELECT settle('141129100203', '2024-03');
SELECT settle('141129100201001', '2024-03');
-- the city over the township: refused, then superseded (run 4 pays all 6)
SELECT settle('141100', '2024-03');
SELECT settle('141100', '2024-03', 'supersede') AS run;
-- a village superseding the city leaves the city's other sites unpaid: the
-- refusal says how many (6 - 1 = 5)
SELECT settle('141129100202', '2024-03');
-- current runs of March: exactly one, paying each site once
SELECT c.site_id, count(*) AS current_runs FROM zhucan_run_cover c JOIN zhucan_run r ON r.id = c.run_id
 WHERE r.month = '2024-03' AND r.superseded_by IS NULL GROUP BY 1 ORDER BY 1;
-- the money of the current run equals settlement() of the city (payers
-- other than the elder's co-payment)
SELECT (SELECT total_fen FROM zhucan_run WHERE month = '2024-03' AND superseded_by IS NULL)
     = (SELECT sum(amount_fen) FROM settlement('141100', '2024-03') WHERE payer <> 'elder') AS same_money;
-- a site that moved: April's run of village ...201 (run 5) pays site 3;
-- site 3 then moves to village ...202, whose April run would pay it again:
-- refused, naming run 5; the move does not change what run 5 covers
SELECT settle('141129100201', '2024-04') AS run;
UPDATE site SET region = '141129100202' WHERE id = 3;
SELECT settle('141129100202', '2024-04');
SELECT group_concat(site_id) AS run5_sites FROM zhucan_run_cover WHERE run_id = 5;
-- and from above: the township's April run overlaps run 5 through both
-- site 6 (still under village ...201) and site 3 (now under ...202)
SELECT settle('141129100', '2024-04');
-- every run intact
SELECT count(*) AS problems FROM run_verify();
