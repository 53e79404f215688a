-- anomaly_scan: arguments and errors.
.read fixtures/anomaly/cases.sql
-- the real Zhongyang policy governs both test counties (region.policy = 'zhongyang')
CREATE TEMP TABLE installed AS SELECT policy_load('lua/zhongyang.lua') AS version;
-- a NULL argument is an error naming it, never no rows (which sum to nothing)
SELECT count(*) FROM anomaly_scan('990101', NULL);
SELECT count(*) FROM anomaly_scan(NULL, '2024-04');
SELECT count(*) FROM anomaly_scan(NULL, NULL);
SELECT count(*) FROM anomaly_scan WHERE region = '990101' AND month = NULL;
SELECT * FROM anomaly_scan('nowhere', '2024-04');
SELECT * FROM anomaly_scan('990101', '2024-4');
SELECT * FROM anomaly_scan('990101', '2024-13');
SELECT * FROM anomaly_scan('990101', 202404);
SELECT * FROM anomaly_scan('990101', '2024-04-01');
SELECT * FROM anomaly_scan('990101', '');
SELECT * FROM anomaly_scan(x'ff', '2024-04');
SELECT * FROM anomaly_scan('990101', x'c0');
SELECT * FROM anomaly_scan('990101', printf('%.100c', 'x'));
SELECT * FROM anomaly_scan('990101');
SELECT * FROM anomaly_scan;
SELECT * FROM anomaly_scan WHERE region = '990101' AND month > '2024-03';
CREATE VIRTUAL TABLE t USING anomaly_scan;
-- the same arguments as named columns
SELECT count(*) FROM anomaly_scan WHERE region = '990101' AND month = '2024-04';
-- a join feeding the arguments row by row
SELECT m, count(a.kind) FROM (SELECT '2024-04' AS m UNION ALL SELECT '2024-05') LEFT JOIN anomaly_scan('990101', m) a GROUP BY m;
