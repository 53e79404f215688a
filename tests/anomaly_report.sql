-- sql/anomaly_report.sql on the hand-made cases under lua/zhongyang.lua:
-- lunch 500, breakfast 200, dinner 300 fen (county) for an eligible elder's
-- (alive, 70+) first meal of the slot with an agreement at the site; 0 otherwise.
-- Site 9001, 21 distinct flagged meals: 6 burst lunches 3000, 2 hospital
-- lunches 1000, 4 revoked-card lunches 2000, out-of-hours lunch 500 and
-- breakfast 200; repeats, the dead, the 69-year-old and meals without an
-- agreement get 0 -> 6700.  Site 9003: 900202, 900204 (repeats), 900805
-- (no agreement) -> 0.  Elders: 3 gone_quiet.  9006: manual_heavy.
.read fixtures/anomaly/cases.sql
-- the real Zhongyang policy governs both test counties (region.policy = 'zhongyang')
CREATE TEMP TABLE installed AS SELECT policy_load('lua/zhongyang.lua') AS version;
.parameter set :region "'990101'"
.parameter set :month "'2024-04'"
.headers on
.read sql/anomaly_report.sql
