-- Thresholds are checked against their allowed range (docs/anomalies.md,
-- "Thresholds"; issue #12, finding 2): a value outside it is an error
-- naming the policy, its version, the threshold, the value and the range.
-- Before, burst_count = 3e9 was used as a size (the scan read out of
-- bounds and crashed), travel_minutes = 3e9 silently dropped findings, and
-- quiet_days / quiet_window above 366 were cut to 366.  A version with a
-- value out of range is refused by policy_install ('nothing installed'), so
-- the scans go on with the version in force before it (31 findings, the
-- SPEC defaults); the scans keep their own check for versions stored by
-- builds before this one.
-- County 990101 of the hand-made cases is put under policy 'lim'; each case
-- installs a new version effective 2024-01-01 (the latest installed wins).
.read fixtures/anomaly/cases.sql
CREATE TEMP TABLE installed AS SELECT policy_load('lua/zhongyang.lua') AS version;
UPDATE region SET policy = 'lim' WHERE code = '990101';
.headers off
-- the SPEC defaults
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
-- out of range
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { burst_count = 3e9 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { travel_minutes = 3e9 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { burst_count = 1 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { burst_count = 4.5 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { burst_seconds = -1 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { report_tolerance = 1e12 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { manual_share = 1.5 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { quiet_days = 367 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { quiet_window = 1e6 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { quiet_active = -1 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { quiet_days = 0.5 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { travel_minutes = 1/0 } }', 'threshold range cases') > 0;
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
-- the other county under the hand-made cases' policy scans as before
SELECT count(*) FROM anomaly_scan('990201', '2024-04');
-- params read by coverage_gaps
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, params = { coverage_min_age = 200 } }', 'threshold range cases') > 0;
SELECT count(*) FROM coverage_gaps('990101', '2024-04-10');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, params = { coverage_min_elders = -3 } }', 'threshold range cases') > 0;
SELECT count(*) FROM coverage_gaps('990101', '2024-04-10');
SELECT count(*) FROM anomaly_scan('990101', '2024-04');
-- the ends of every range are allowed
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { travel_minutes = 1440, burst_count = 1000, burst_seconds = 3600, report_tolerance = 100000, manual_share = 1, quiet_days = 366, quiet_active = 366, quiet_window = 366 }, params = { coverage_min_age = 150, coverage_min_elders = 1000000 } }', 'threshold range cases') > 0;
SELECT kind, count(*) FROM anomaly_scan('990101', '2024-04') GROUP BY kind;
SELECT count(*) FROM coverage_gaps('990101', '2024-04-10');
SELECT policy_install('return { name = "lim", effective_from = "2024-01-01", payers = { "county" }, eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end, anomaly = { travel_minutes = 0, burst_count = 2, burst_seconds = 0, report_tolerance = 0, manual_share = 0, quiet_days = 1, quiet_active = 0, quiet_window = 0 }, params = { coverage_min_age = 0, coverage_min_elders = 0 } }', 'threshold range cases') > 0;
SELECT kind, count(*) FROM anomaly_scan('990101', '2024-04') GROUP BY kind;
SELECT count(*) FROM coverage_gaps('990101', '2024-04-10');
