-- The lifecycle of a policy version (issue #14 asks 1 and 3): tested before
-- it pays, identical sources, policy_test per version, policy_in_force,
-- policy_retire, policy_assign, and their refusals.  The hand fixture as in
-- settle_basic.sql; amounts by hand under the Zhongyang rules (breakfast
-- 200, lunch 500, dinner 300, county pays): the subsidised March meals are
-- breakfast 1, lunches 2, 4, 5, 12, dinners 7, 14 -> 200 + 4*500 + 2*300 = 2800.
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
.mode list
-- 1. the shipped file: its 12 cases pass, version 1; the same file again is
--    version 1, no row added
SELECT policy_load('lua/zhongyang.lua');
SELECT policy_load('lua/zhongyang.lua');
SELECT count(*), count(untested), count(retired_on) FROM zhucan_policy;
SELECT policy_in_force('141129', '2024-03-15'), policy_in_force('141129100002', '2024-03-15'),
       quote(policy_in_force('141129', '2024-02-29'));
-- 2. a version whose cases fail is not installed: both failures listed
--    (lunch 600 in params, its cases still expect 500)
SELECT policy_install(replace(CAST(readfile('lua/zhongyang.lua') AS TEXT), 'lunch = 500', 'lunch = 600'));
SELECT count(*) FROM zhucan_policy;
-- 3. a wrong amount (lunch 5000) with cases that agree with it installs
--    (cases check the rules as written, not the source document) and is
--    in force from 03-01 (same effective date, installed later): county
--    4*5000 + 200 + 2*300 = 20800
SELECT policy_install(replace(replace(CAST(readfile('lua/zhongyang.lua') AS TEXT),
  'lunch = 500', 'lunch = 5000'), 'expect = { county = 500 }', 'expect = { county = 5000 }'));
SELECT policy_in_force('141129', '2024-03-15');
SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer = 'county';
SELECT policy_test('zhongyang');
-- 4. retired before any run used it: never chosen again; 1 governs, 2800
SELECT policy_retire(2);
SELECT policy_in_force('141129', '2024-03-15');
SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer = 'county';
SELECT subsidy_for(2), subsidy_explain(2) ->> '$.version';
SELECT policy_test('zhongyang');
SELECT id, retired_on IS NOT NULL FROM zhucan_policy ORDER BY id;
-- its source again is refused (a retired version never comes back)
SELECT policy_install(replace(replace(CAST(readfile('lua/zhongyang.lua') AS TEXT),
  'lunch = 500', 'lunch = 5000'), 'expect = { county = 500 }', 'expect = { county = 5000 }'));
SELECT policy_retire(2);
-- 5. no cases: refused without a reason, installed with one (kept)
SELECT policy_install('return { name = "flat", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day) return e.age ~= nil and e.age >= 70 and (e.died_on == nil or day < e.died_on), "70+" end,
  meal = function(m, e, s) if m.nth_slot > 1 or not e.agreement then return nil, "no" end return { county = 100 }, "flat" end }');
SELECT policy_install('return { name = "flat", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day) return e.age ~= nil and e.age >= 70 and (e.died_on == nil or day < e.died_on), "70+" end,
  meal = function(m, e, s) if m.nth_slot > 1 or not e.agreement then return nil, "no" end return { county = 100 }, "flat" end }',
  'flat 100 fen while the bureau drafts the amounts');
SELECT id, name, untested FROM zhucan_policy WHERE untested IS NOT NULL;
SELECT policy_test('flat');
-- a reason for a version that has cases is refused; so is a reason that is not one
SELECT policy_load('lua/taiyuan.lua', 'no time');
SELECT policy_install('return {}', NULL);
SELECT policy_install('return {}', '   ');
SELECT policy_install('return {}', 42);
SELECT policy_load('lua/taiyuan.lua', printf('%.300c', 'x'));
-- 6. a version a run used cannot be retired; the run replays exactly
SELECT settle('141129', '2024-03');
SELECT policy_retire(1);
SELECT count(*) FROM replay(1);
-- 7. policy_assign: the county now follows 'flat' (version 3): 7 meals of
--    100 instead of 200/500/300; replay of run 1 shows the change, meal by
--    meal, as a policy change: county 700 instead of 2800, and the elder
--    pays the difference (2100 more)
SELECT policy_assign('141129', 'flat');
SELECT policy_in_force('141129', '2024-03-15'), policy_in_force('141129100002', '2024-03-31');
SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer = 'county';
SELECT payer, count(*), sum(settled_fen), sum(replayed_fen), group_concat(DISTINCT cause) FROM replay(1) GROUP BY payer;
-- back to zhongyang, through inheriting: '' clears the county's own policy
-- (nothing governs: NULL), then zhongyang again; replay reproduces run 1
SELECT policy_assign('141129', '');
SELECT quote(policy_in_force('141129', '2024-03-15'));
SELECT quote(policy_assign('141129', 'zhongyang'));
SELECT count(*) FROM replay(1);
-- a township may follow another policy than its county
SELECT quote(policy_assign('141129100', 'flat'));
SELECT policy_in_force('141129', '2024-03-15'), policy_in_force('141129100001', '2024-03-15');
SELECT policy_assign('141129100', '');
-- a policy installed after the run cannot replay it: run 1 sees versions up
-- to its policy_horizon (3), so replay says why instead of guessing
SELECT policy_install('return { name = "late", effective_from = "2024-01-01", payers = { "county" },
  eligible = function() return true, "all" end, meal = function() return { county = 1 }, "x" end }', 'after the run');
SELECT policy_assign('141129', 'late');
SELECT count(*) FROM replay(1);
SELECT policy_assign('141129', 'zhongyang');
-- 8. every version retired: nothing to test, nothing to assign, and a
--    region still naming it cannot be settled (an error, not 0)
SELECT policy_install('return { name = "draft", effective_from = "2024-03-01", payers = { "county" },
  eligible = function() return true, "all" end, meal = function() return { county = 1 }, "x" end }', 'a draft');
SELECT policy_retire(5);
SELECT policy_test('draft');
SELECT policy_assign('141129100', 'draft');
UPDATE region SET policy = 'draft' WHERE code = '141129100';
SELECT count(*) FROM settlement('141129', '2024-03');
SELECT policy_in_force('141129100001', '2024-03-15');
UPDATE region SET policy = NULL WHERE code = '141129100';
-- 9. refusals: arguments
SELECT policy_in_force(NULL, '2024-03-15');
SELECT policy_in_force('141129', NULL);
SELECT policy_in_force('141129', '2024-02-30');
SELECT policy_in_force('999999', '2024-03-15');
SELECT policy_assign(NULL, 'flat');
SELECT policy_assign('141129', NULL);
SELECT policy_assign('999999', 'flat');
SELECT policy_assign('141129', 'nope');
SELECT policy_retire(NULL);
SELECT policy_retire('x');
SELECT policy_retire(99);
-- 10. zhucan_policy is written only by zhucan
INSERT INTO zhucan_policy(name, effective_from, sha256, source, installed_at) VALUES ('x', '2024-01-01', 'a', 'b', 'c');
UPDATE zhucan_policy SET retired_on = '2024-01-01' WHERE id = 1;
UPDATE zhucan_policy SET retired_on = NULL WHERE id = 2;
DELETE FROM zhucan_policy WHERE id = 2;
SELECT zhucan_policy_guard(), count(*), sum(retired_on IS NOT NULL) FROM zhucan_policy;
-- 11. a read-only connection may look, not change
.open --readonly hand.db
.load ./zhucan
SELECT policy_in_force('141129', '2024-03-15');
SELECT policy_retire(3);
SELECT policy_assign('141129', 'flat');
SELECT policy_load('lua/gujiao.lua');
