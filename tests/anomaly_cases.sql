-- anomaly_scan on the hand-made cases of fixtures/anomaly/make_cases.py.
-- Each case has a positive and a near-miss negative; the expected findings
-- below were worked out by hand from the case comments (SPEC "Anomaly
-- kinds" and "Precise readings", default thresholds, default windows).
.read fixtures/anomaly/cases.sql
-- the real Zhongyang policy governs both test counties (region.policy = 'zhongyang')
CREATE TEMP TABLE installed AS SELECT policy_load('lua/zhongyang.lua') AS version;
.headers off
CREATE TEMP TABLE expected(kind TEXT, key INTEGER, at TEXT);
INSERT INTO expected VALUES
  -- meal on died_on (2024-04-10) flagged, the day before not
  ('after_death', 900402, '2024-04-10 12:00:00'),
  -- 6 card meals within 15 s on 04-08; 6 within 16 s (04-09) and 5 card + 1 manual (04-10) not
  ('card_burst', 901101, '2024-04-08 12:00:00'), ('card_burst', 901102, '2024-04-08 12:00:03'),
  ('card_burst', 901103, '2024-04-08 12:00:06'), ('card_burst', 901104, '2024-04-08 12:00:09'),
  ('card_burst', 901105, '2024-04-08 12:00:12'), ('card_burst', 901106, '2024-04-08 12:00:15'),
  -- 3-day gaps after >= 10 active days of 14; not: 2-day gap (90017), gap with
  -- hospital days (90018), 9 active days (90019), dead (90031), gap reaching
  -- 3 days on 05-01 (90030, May)
  ('gone_quiet', 90029, '2024-03-30'), ('gone_quiet', 90010, '2024-04-10'),
  ('gone_quiet', 90020, '2024-04-20'),
  -- hospitalized [04-10, 04-15): meals on 04-10 and 04-14, not 04-09 or 04-15
  ('in_hospital', 900502, '2024-04-10 12:00:00'), ('in_hospital', 900503, '2024-04-14 12:00:00'),
  -- 21 of 100 manual at 9006; exactly 20 of 100 at 9005 not
  ('manual_heavy', 9006, '2024-04-01'),
  -- agreement [04-10, 04-20) with 9001 only
  ('no_agreement', 900801, '2024-04-09 12:00:00'), ('no_agreement', 900804, '2024-04-20 12:00:00'),
  ('no_agreement', 900805, '2024-04-11 12:00:00'),
  -- dead on 04-10; 69 on 04-14 (70 on 04-15)
  ('not_eligible', 900402, '2024-04-10 12:00:00'), ('not_eligible', 900901, '2024-04-14 12:00:00'),
  -- 13:30:01 and 05:59:59; 13:30:00, 06:00:00, 19:30:00 are inside (inclusive)
  ('out_of_hours', 900702, '2024-04-03 13:30:01'), ('out_of_hours', 900704, '2024-04-05 05:59:59'),
  -- reported 2 vs 1 recorded, 3 vs 0; 1 vs 1 not; May's report not in April
  ('over_report', 9003, '2024-04-03'), ('over_report', 9003, '2024-04-20'),
  -- second lunch of the day, any site; equal served_at: the higher id repeats
  ('repeat_meal', 900102, '2024-04-02 12:40:00'), ('repeat_meal', 900106, '2024-04-04 12:00:00'),
  ('repeat_meal', 900202, '2024-04-02 12:29:00'), ('repeat_meal', 900204, '2024-04-03 12:30:00'),
  ('repeat_meal', 900302, '2024-04-05 12:10:00'),
  -- revoked that day, not yet issued, another elder's, unknown; revoked the day after / issued that day not
  ('revoked_card', 900602, '2024-04-10 12:00:00'), ('revoked_card', 900603, '2024-04-11 12:00:00'),
  ('revoked_card', 900605, '2024-04-13 12:00:00'), ('revoked_card', 900606, '2024-04-14 12:00:00'),
  -- 29 min (and 10 min, history outside the county) apart; 30 min not; later meal outside not
  ('two_sites', 900202, '2024-04-02 12:29:00'), ('two_sites', 900302, '2024-04-05 12:10:00');
CREATE TEMP TABLE found AS
  SELECT kind, coalesce(meal_id, elder_id, site_id) AS key, at FROM anomaly_scan('990101', '2024-04');
SELECT 'missing', * FROM (SELECT * FROM expected EXCEPT SELECT * FROM found);
SELECT 'unexpected', * FROM (SELECT * FROM found EXCEPT SELECT * FROM expected);
SELECT 'April', (SELECT count(*) FROM found), (SELECT count(*) FROM expected);
-- severities per SPEC
SELECT DISTINCT kind, severity FROM anomaly_scan('990101', '2024-04') ORDER BY kind;
-- the whole scan in its order (kind, site_id, at, meal_id/elder_id), with the details
.headers on
SELECT * FROM anomaly_scan('990101', '2024-04');
.headers off
-- a village: only site 9003's findings (its elders' history at 9001 still counts)
SELECT kind, site_id, meal_id, at FROM anomaly_scan('990101001002', '2024-04');
-- May: the gap of 90030 reaches 3 days on 05-01; 9003 reported 9 lunches on 05-01, none recorded
SELECT kind, site_id, elder_id, at, detail FROM anomaly_scan('990101', '2024-05');
-- the county outside: 9004's meals carry no finding (90003's repeat there is flagged in 990201)
SELECT kind, site_id, meal_id FROM anomaly_scan('990201', '2024-04');
-- a month without meals
SELECT count(*) FROM anomaly_scan('990101', '2023-01');
