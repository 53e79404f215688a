-- The three shipped policies load, pass their own hand-worked tests, and
-- expose their params as JSON through their versions.
.mode list
SELECT policy_load('lua/zhongyang.lua');
SELECT policy_load('lua/taiyuan.lua');
SELECT policy_load('lua/gujiao.lua');
SELECT policy_test('zhongyang');
SELECT policy_test('taiyuan');
SELECT policy_test('gujiao');
SELECT id, name, effective_from FROM zhucan_policy ORDER BY id;
-- loading the same file again changes nothing: the same version id, no new row
SELECT policy_load('lua/zhongyang.lua');
SELECT count(DISTINCT sha256), count(*) FROM zhucan_policy WHERE name = 'zhongyang';
-- a statement that reads zhucan_policy while it installs ends: each source
-- it reads is already a version, which it answers (4, 5) adding nothing
-- (it used to run for ever: reinstalling A made it the newest, then B, then A...)
SELECT policy_install('return { name = "loop", effective_from = "2024-01-01", payers = { "county" },
  eligible = function(e, day) return true end, meal = function(m, e, s) return {} end }', 'fixture of tests/policy_files.sql');
SELECT policy_install('return { name = "loop", effective_from = "2024-01-01", payers = { "county" },
  eligible = function(e, day) return false end, meal = function(m, e, s) return {} end }', 'fixture of tests/policy_files.sql');
SELECT policy_install(source) FROM zhucan_policy WHERE name = 'loop';
SELECT count(*) FROM zhucan_policy WHERE name = 'loop';
SELECT policy_test('zhongyang');
-- a version whose own cases fail is not installed: the error lists each
-- failing case with its name and both values; the stored versions still pass
SELECT policy_install('return { name = "zhongyang", effective_from = "2025-01-01", payers = { "county" },
  eligible = function(e, day) return e.age >= 70, "70+" end,
  meal = function(m, e, s) return { county = 450 }, "lunch" end,
  tests = { { name = "lunch 500", call = "meal", meal = { slot = "lunch", day = "2025-01-02" },
              elder = { age = 80 }, expect = { county = 500 } },
            { name = "bad fact", call = "meal", meal = { slot = "lunch", day = "2025-01-02", colour = 1 },
              expect = {} },
            { name = "typo in rule", call = "eligible", day = "2025-01-02", elder = { agee = 1 }, expect = true } } }');
SELECT policy_test('zhongyang');
