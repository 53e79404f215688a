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
-- loading the same file again is a new version of the same text (same sha256)
SELECT policy_load('lua/zhongyang.lua');
SELECT count(DISTINCT sha256), count(*) FROM zhucan_policy WHERE name = 'zhongyang';
SELECT policy_test('zhongyang');
-- a failing self-test is reported with its name, version and both values
SELECT policy_install('return { name = "zhongyang", effective_from = "2025-01-01",
  eligible = function(e, day) return e.age >= 70, "70+" end,
  meal = function(m, e, s) return { county = 450 }, "lunch" end,
  tests = { { name = "lunch 500", call = "meal", meal = { slot = "lunch", day = "2025-01-02" },
              elder = { age = 80 }, expect = { county = 500 } },
            { name = "bad fact", call = "meal", meal = { slot = "lunch", day = "2025-01-02", colour = 1 },
              expect = {} },
            { name = "typo in rule", call = "eligible", day = "2025-01-02", elder = { agee = 1 }, expect = true } } }');
SELECT policy_test('zhongyang');
