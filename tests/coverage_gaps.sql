-- coverage_gaps on the hand-made regions of fixtures/anomaly/make_cases.py.
-- Counted by hand (aged 70+ on the day, alive, living at or under the region):
--   H2: 10 born 1944-06-01 + 1 born 1954-04-14 (70 on 04-14) -> 10 on 04-13, 11 from 04-14;
--       courtyard 9008 opens 04-20
--   H3: 10 (never more than 10)      H4: 11, exempt (subsidence)
--   H5 (under V3): 9 born 1944-06-01 + 1 born 1954-04-14 + 1 born 1954-04-15 -> 10 on 04-14, 11 from 04-15
--   V3: only site 9007, closed_on 2024-04-15; its elders are H5's
--   each hamlet also has a dead elder and one aged 64, never counted
.read fixtures/anomaly/cases.sql
-- the real Zhongyang policy governs both test counties (region.policy = 'zhongyang')
CREATE TEMP TABLE installed AS SELECT policy_load('lua/zhongyang.lua') AS version;
SELECT '04-13', * FROM coverage_gaps('990101', '2024-04-13');
SELECT '04-14', * FROM coverage_gaps('990101', '2024-04-14');
SELECT '04-15', * FROM coverage_gaps('990101', '2024-04-15');
SELECT '04-20', * FROM coverage_gaps('990101', '2024-04-20');
SELECT 'V3', region, elders FROM coverage_gaps('990101001003', '2024-04-15');
SELECT 'H5', region, elders FROM coverage_gaps('990101001003101', '2024-04-15');
SELECT 'other county', count(*) FROM coverage_gaps('990201', '2024-04-15');
SELECT count(*) FROM coverage_gaps('990101', NULL);
SELECT count(*) FROM coverage_gaps(NULL, '2024-04-15');
SELECT * FROM coverage_gaps('990101', '2024-04-31');
SELECT * FROM coverage_gaps('990101', '2024-04');
SELECT * FROM coverage_gaps('nowhere', '2024-04-15');
SELECT * FROM coverage_gaps('990101');
