-- anomaly_scan thresholds from a policy's `anomaly` table and `windows`.
-- County 990101 of the hand-made cases is put under a small custom policy
-- 'tight'; 990201 stays under zhongyang (SPEC defaults).  Expected findings
-- worked out by hand from fixtures/anomaly/make_cases.py:
--   card_burst (4 within 10 s), all on device D-9001 at site 9001:
--     04-08 at 0,3,6,9,12,15 s: every 4 in a row spans 9 s -> all 6
--     04-09 at 0,3,6,9,12,16 s: spans 9, 9, 10 (<= 10) -> all 6 (default 6 in 15 s: none)
--     04-10 card at 0,2,6,8,10 s (901303 at 4 s is manual): spans 8, 8 -> the 5 card meals
--   two_sites (< 45 min): 900202 (29 min), 900204 (30 min, none by default), 900302 (10 min)
--   out_of_hours (lunch 11:00-13:31, dinner 17:00-19:00, breakfast default 06:00-09:00):
--     900702 at 13:30:01 now inside; 900704 breakfast 05:59:59; 900705 dinner 19:30:00
--   over_report (tolerance 1): 04-03 lunch 2 vs 1 no longer; 04-20 dinner 3 vs 0 still
--   manual_heavy (share 0.15): 9005 (20 of 100) and 9006 (21 of 100)
--   gone_quiet (2 days, 9 of 14): 90010 at 04-10; 90017 at 04-10 (a 2-day gap);
--     90019 at 04-20 (9 of the 14 days 04-06..04-19); 90020 at 04-20;
--     90030 at 04-29 (the gap reaches 2 days on 04-30: April, not May);
--     90029's gap (03-30..04-01) reaches 2 days on 03-31: March;
--     90018: hospital 04-11..04-12 leaves a 1-day gap
.read fixtures/anomaly/cases.sql
CREATE TEMP TABLE installed AS SELECT policy_load('lua/zhongyang.lua') AS version;
INSERT INTO installed SELECT policy_install('return {
  name = "tight", effective_from = "2024-01-01", payers = { "county" },
  eligible = function(elder, day, service) return elder.age ~= nil and elder.age >= 70, "age" end,
  meal = function(meal, elder, site) return { county = 500 }, "flat" end,
  windows = { lunch = {"11:00", "13:31"}, dinner = {"17:00", "19:00"} },
  anomaly = { burst_count = 4, burst_seconds = 10, travel_minutes = 45, report_tolerance = 1,
              manual_share = 0.15, quiet_days = 2, quiet_active = 9, quiet_window = 14 },
}', 'fixture of tests/anomaly_thresholds.sql');
UPDATE region SET policy = 'tight' WHERE code = '990101';
.headers off
SELECT kind, coalesce(meal_id, elder_id, site_id), at FROM anomaly_scan('990101', '2024-04')
 WHERE kind IN ('card_burst', 'two_sites', 'out_of_hours', 'over_report', 'manual_heavy', 'gone_quiet');
-- the details name the policy's numbers
SELECT kind, detail FROM anomaly_scan('990101', '2024-04')
 WHERE meal_id IN (901201, 900204, 900705) OR (kind IN ('manual_heavy', 'over_report') AND site_id IN (9003, 9005))
   OR (kind = 'gone_quiet' AND elder_id = 90017);
-- May under 'tight': 90030's gap is April's now; 9003's report of 9 lunches on 05-01 (0 recorded) is still over
SELECT kind, coalesce(meal_id, elder_id, site_id), at FROM anomaly_scan('990101', '2024-05');
-- 990201 keeps zhongyang's defaults: 900304 is 10 min after 900303 (< 30)
SELECT kind, meal_id FROM anomaly_scan('990201', '2024-04') WHERE kind = 'two_sites';
