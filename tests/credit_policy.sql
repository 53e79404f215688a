-- The credit section is checked strictly at install: each mistake below is
-- refused naming the file (or 'source' for policy_install) and the line
-- where the key is written, and nothing is stored.
.open --new credit_policy.db
.read sql/schema.sql
.load ./zhucan
CREATE TEMP TABLE src AS SELECT CAST(readfile('lua/weihai.lua') AS TEXT) AS w, CAST(readfile('lua/timebank.lua') AS TEXT) AS t;
-- line 58 of weihai.lua is "redeem = { meal = ..."
SELECT policy_install(replace(w, 'redeem = {', 'redeme = {')) FROM src;
-- tiers: a misspelt field (line 27), an upto not above the one before (line 26, its first 'upto ='),
-- no hours, an open tier before the last, a fraction
SELECT policy_install(replace(w, '{ upto = 80, hours = 2 }', '{ upto = 80, hour = 2 }')) FROM src;
SELECT policy_install(replace(w, '{ upto = 80, hours = 2 }', '{ upto = 10, hours = 2 }')) FROM src;
SELECT policy_install(replace(w, '{ upto = 80, hours = 2 }', '{ upto = 80 }')) FROM src;
SELECT policy_install(replace(w, '{ upto = 80, hours = 2 }', '{ hours = 2 }')) FROM src;
SELECT policy_install(replace(w, '{ upto = 80, hours = 2 }', '{ upto = 80, hours = 2.5 }')) FROM src;
SELECT policy_install(replace(w, 'tiers = params.tiers,', 'tiers = {},')) FROM src;
-- redeem: an unknown use, a negative rate
SELECT policy_install(replace(w, 'goods = params.point_fen', 'cash = params.point_fen')) FROM src;
SELECT policy_install(replace(w, 'goods = params.point_fen', 'goods = -1')) FROM src;
-- timebank: donate not a boolean, 'donation' as a relation, cap a fraction, a typo at the top
SELECT policy_install(replace(t, 'donate = true', 'donate = 1')) FROM src;
SELECT policy_install(replace(t, '"grandchild" }', '"donation" }')) FROM src;
SELECT policy_install(replace(t, 'cap = params.cap_hours', 'cap = 1500.5')) FROM src;
SELECT policy_install(replace(t, 'transfer_min_age =', 'transfer_minage =')) FROM src;
SELECT policy_install(replace(w, 'credit = {' || char(10) || '    tiers = params.tiers,' || char(10) ||
  '    redeem = { meal = params.point_fen, goods = params.point_fen, service = params.point_fen },' || char(10) ||
  '  },', 'credit = "yes",')) FROM src;
-- a credit case that does not hold, and one on a policy without credit
SELECT policy_install(replace(w, 'expect = 50333', 'expect = 50334')) FROM src;
SELECT policy_install(replace(CAST(readfile('lua/zhongyang.lua') AS TEXT), 'tests = {',
                              'tests = { { name = "c", call = "credit", hours = 1, expect = 1000 },')) ;
-- both shipped policies install and pass their own cases; nothing else was stored
SELECT policy_load('lua/weihai.lua'), policy_load('lua/timebank.lua');
SELECT count(*) AS stored FROM zhucan_policy;
SELECT policy_test('weihai');
SELECT policy_test('timebank');
