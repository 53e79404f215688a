-- needs_watch on the hand-made cases of fixtures/hand/needs.sql, month
-- 2024-04, worked out by hand there (default thresholds: 7 days, 5 of
-- them, a quarter):
--   9101 turned_80 04-10 (site 9302: no meals, its agreement)
--   9102 turned_90 04-30;  9103 (May), 9104 (March): none
--   9106 new_disabled_full 04-12;  9107 (full -> semi): none
--   9108 new_tekun 04-20 (its 低保 renewal is not new);  9109 died 04-25: none
--   9110 left_hospital 04-08;  9111 (stay continued): none
--   9112 spouse_died 04-15 (lives_alone recorded by 04-30)
--   9113 spouse_died 04-03 (spouse 9114 is an elder; lives_alone not recorded)
--   9115 gone_quiet 04-15: 7 of 7 days before, 0 of 7 from it
--   9116 left_hospital 04-18 (in hospital 04-16..04-17: not quiet)
--   9117 gone_quiet 04-15: 1 of the 7 days from it (site 9301: 21 meals to 1)
--   9118 (4 of 7), 9119 (its 7 days end in May): none
--   9120 turned_80 04-05 (village 990301001002)
--   9121 gone_quiet 2024-03-29 (its 7 days end 04-04)
.read fixtures/hand/needs.sql
.headers on
SELECT elder_id, name, lives_in, reason, reason_text, day, site_id, evidence FROM needs_watch('990301', '2024-04');
.headers off
-- the other village alone; the village NV1 without 9120
SELECT elder_id, reason FROM needs_watch('990301001002', '2024-04');
SELECT count(*) FROM needs_watch('990301001001', '2024-04');
-- 9105, born 1932-02-29, turns 90 on 2022-03-01
SELECT elder_id, reason, day FROM needs_watch('990301', '2022-03');
SELECT count(*) FROM needs_watch('990301', '2022-02');
-- 9121's quiet spell is not March's (its 7 days end in April); 9110 is still in hospital on 03-31
SELECT elder_id, reason, day FROM needs_watch('990301', '2024-03');
-- Chinese, the users' language
SELECT 'was', zhucan_lang('zh');
SELECT elder_id, reason_text, evidence FROM needs_watch('990301', '2024-04') WHERE elder_id IN (9101, 9108, 9110, 9112, 9115);
SELECT 'was', zhucan_lang('en');
-- thresholds from the governing policy: 14 days, 10 of them; 9115 ate on 7
-- of the 14 days from 04-15, more than a quarter of 14; 9121's 14 days from
-- 03-29 end 04-11, with 5 meals (04-07..04-11): more than 3.5
INSERT INTO region(code, parent, level, name, policy) VALUES('990302', NULL, 'county', 'Needs County 2', 'nw');
CREATE TEMP TABLE installed AS SELECT policy_install('return {
  name = "nw", effective_from = "2024-01-01", payers = { "county" },
  eligible = function(elder, day, service) return true, "all" end,
  meal = function(meal, elder, site) return { county = 500 }, "flat" end,
  anomaly = { needs_quiet_window = 14, needs_quiet_regular = 10, needs_quiet_share = 0.25 },
}', 'fixture of tests/needs_watch.sql') AS version;
UPDATE region SET parent = '990302' WHERE code = '990301001';
SELECT 'quiet under nw', count(*) FROM needs_watch('990302', '2024-04') WHERE reason = 'gone_quiet';
SELECT 'rows under nw', count(*) FROM needs_watch('990302', '2024-04');
-- out of range: refused at install, naming the threshold and its range
SELECT policy_install('return {
  name = "nw2", effective_from = "2024-01-01", payers = { "county" },
  eligible = function(elder, day, service) return true, "all" end,
  meal = function(meal, elder, site) return { county = 500 }, "flat" end,
  anomaly = { needs_quiet_window = 93 },
}');
SELECT policy_install('return {
  name = "nw2", effective_from = "2024-01-01", payers = { "county" },
  eligible = function(elder, day, service) return true, "all" end,
  meal = function(meal, elder, site) return { county = 500 }, "flat" end,
  anomaly = { needs_quiet_share = 1.5 },
}');
-- errors: name the function, the value and what was expected
SELECT * FROM needs_watch('nowhere', '2024-04');
SELECT * FROM needs_watch('990301', '2024-4');
SELECT * FROM needs_watch('990301', '2024-13');
SELECT * FROM needs_watch('990301', 202404);
SELECT * FROM needs_watch(NULL, '2024-04');
SELECT * FROM needs_watch('990301', NULL);
SELECT * FROM needs_watch('990301');
-- a malformed spouse death, then no spouse table at all
INSERT INTO spouse VALUES(9101, '某某', NULL, '2024-4-1');
SELECT count(*) FROM needs_watch('990302', '2024-04');
DROP TABLE spouse;
SELECT count(*) FROM needs_watch('990302', '2024-04');
