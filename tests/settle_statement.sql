-- sql/statement.sql on a run of the hand fixture (amounts by hand in
-- settle_basic.sql: site 1 county 1800, co-payments 2700; site 2 county
-- 1000, co-payments 1000; totals 2800 public, 3700 co-payments), as CSV.
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
SELECT policy_load('lua/zhongyang.lua') AS policy_version;
SELECT settle('141129', '2024-03');
.parameter set @run 1
.headers on
.mode csv
.read sql/statement.sql
