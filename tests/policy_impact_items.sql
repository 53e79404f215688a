-- policy_impact with site() items: the Taiyuan hand month
-- (fixtures/hand/taiyuan.sql, May 2024) under lua/taiyuan.lua, and a
-- proposal raising the operating subsidy 20% (yuan a year 36000, 72000,
-- 108000 by grade), the fully-disabled bed subsidy 300 -> 400 yuan a month,
-- and dropping the district's construction share (200 -> 0 yuan per m²).
-- By hand:
--   site 1 (grade 2): operating 60000*100//12 = 500000 -> 72000*100//12 =
--     600000; bed_full 2 residents * 300 * 100 = 60000 -> 2 * 400 * 100 =
--     80000; bed_semi 1 * 200 * 100 = 20000 unchanged
--   site 2 (grade 1, opened 2024-05-20, 612.5 m² -> 500): operating 250000
--     -> 36000*100//12 = 300000; construction city 500 * 1200 * 100 =
--     60000000 unchanged; district 500 * 200 * 100 = 10000000 -> 0 (an item of
--     0 fen is dropped: the row stays, proposed 0, quantity 0)
--   meals (site 1: elder 1, 80, disabled_full, no priority group, own
--   district: city 500 + district 400; site 2: elder 5, 73: 400 + 300)
--   unchanged, 0 meals changed; items have meals_changed NULL
.open --new ty.db
.read sql/schema.sql
.read fixtures/hand/taiyuan.sql
.load ./zhucan
SELECT policy_load('lua/taiyuan.lua') AS v;
.headers on
.nullvalue NULL
SELECT * FROM policy_impact(
  replace(replace(replace(readfile('lua/taiyuan.lua'),
    'operating_yuan = { 30000, 60000, 90000 }', 'operating_yuan = { 36000, 72000, 108000 }'),
    'full = 300', 'full = 400'),
    'district_yuan = 200', 'district_yuan = 0'),
  '140100', '2024-05');
