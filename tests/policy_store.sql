-- policy store: install/load, validation errors, immutability, version choice.
-- Expected values are worked out by hand in the comments.
.mode list
-- 1. a minimal valid policy gets version id 1; the table exists afterwards
SELECT policy_install('return { name = "acme", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day) return true, "all" end,
  meal = function(m, e, s) return { county = 500 }, "flat" end }', 'fixture of tests/policy_store.sql');
SELECT id, name, effective_from, length(sha256), typeof(installed_at) FROM zhucan_policy;
-- sha256 of the stored text equals sha256 computed independently (python hashlib, see policy_sha.sh)
SELECT installed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]' FROM zhucan_policy;
-- last_insert_rowid() is not disturbed by an install
INSERT INTO site_report(site_id, day, slot, diners) VALUES (1, '2024-01-01', 'lunch', 3);
SELECT last_insert_rowid() = (SELECT rowid FROM site_report WHERE day = '2024-01-01');
SELECT policy_install('return { name = "acme2", effective_from = "2024-03-01", payers = { "county" }, eligible = function() return true end, meal = function() end }', 'fixture of tests/policy_store.sql');
SELECT last_insert_rowid() = (SELECT rowid FROM site_report WHERE day = '2024-01-01');
-- 2. immutability
UPDATE zhucan_policy SET effective_from = '2020-01-01' WHERE id = 1;
DELETE FROM zhucan_policy WHERE id = 1;
SELECT count(*) FROM zhucan_policy;
-- 3. argument errors
SELECT policy_install(NULL);
SELECT policy_install(42);
SELECT policy_install('', 'fixture of tests/policy_store.sql');
SELECT policy_install(x'00');
SELECT policy_load(NULL);
SELECT policy_load('');
SELECT policy_load('no/such/file.lua');
SELECT policy_test(NULL);
SELECT policy_test('nope');
-- 4. malformed scripts, each refused with its reason
SELECT policy_install('return {', 'fixture of tests/policy_store.sql');
SELECT policy_install(char(27) || 'Lua');
SELECT policy_install('return 1', 'fixture of tests/policy_store.sql');
SELECT policy_install('error("boom")', 'fixture of tests/policy_store.sql');
SELECT policy_install('return setmetatable({}, {})', 'fixture of tests/policy_store.sql');
SELECT policy_install('return {}', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "a b", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = 7, effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-02-30", payers = { "county" }, eligible = print, meal = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-3-1", payers = { "county" }, eligible = print, meal = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, meal = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, site = 5 }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, elegible = print }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, params = 5 }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, tests = "t" }');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, anomaly = { burst_count = "six" } }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, params = { f = print } }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, windows = { brunch = {"10:00", "11:00"} } }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, windows = { lunch = {"13:00", "11:00"} } }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, windows = { lunch = {"11:00", "24:00"} } }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, windows = { lunch = {"08:30", "12:00"} } }', 'fixture of tests/policy_store.sql');
SELECT policy_install('x = 1 return { name = "x", effective_from = "2024-03-01", payers = { "county" }, eligible = print, meal = print, params = { t = {} } }', 'fixture of tests/policy_store.sql') > 0;
SELECT policy_install('while true do end', 'fixture of tests/policy_store.sql');
SELECT policy_install('local t = {} for i = 1, 1e8 do t[i] = i end', 'fixture of tests/policy_store.sql');
SELECT count(*) FROM zhucan_policy;
-- 5. version choice through eligible() (the lead's SQL function): region 990000 is
--    governed by 'vc'; elder 1 lives there.
INSERT INTO region(code, parent, level, name, policy) VALUES ('990000', NULL, 'county', 'Test county', 'vc');
INSERT INTO elder(id, id_number, name, region) VALUES (900001, '11010519491231002X', 'A', '990000');
SELECT policy_install('return { name = "vc", effective_from = "2024-03-01", payers = { "county" }, eligible = function(e) return true, "v1" end, meal = function() return {} end }', 'fixture of tests/policy_store.sql');
SELECT policy_install('return { name = "vc", effective_from = "2024-03-15", payers = { "county" }, eligible = function(e) return false, "v2" end, meal = function() return {} end }', 'fixture of tests/policy_store.sql');
-- before 03-15 version 1 (true); from 03-15 version 2 (false)
SELECT eligible(900001, '2024-03-01'), eligible(900001, '2024-03-14'), eligible(900001, '2024-03-15'), eligible(900001, '2024-04-01');
-- nothing in force before the first effective date
SELECT eligible(900001, '2024-02-29');
-- same effective date installed later wins: version 3 (true) from 03-15
SELECT policy_install('return { name = "vc", effective_from = "2024-03-15", payers = { "county" }, eligible = function(e) return true, "v3" end, meal = function() return {} end }', 'fixture of tests/policy_store.sql');
SELECT eligible(900001, '2024-03-14'), eligible(900001, '2024-03-15'), eligible(900001, '2024-04-01');
-- an older effective date installed last does not displace later ones
SELECT policy_install('return { name = "vc", effective_from = "2024-01-01", payers = { "county" }, eligible = function(e) return false, "v0" end, meal = function() return {} end }', 'fixture of tests/policy_store.sql');
SELECT eligible(900001, '2024-02-29'), eligible(900001, '2024-03-14'), eligible(900001, '2024-03-15');
-- a version installed inside a transaction that is rolled back is forgotten
BEGIN;
SELECT policy_install('return { name = "vc", effective_from = "2024-03-20", payers = { "county" }, eligible = function(e) return false, "v4" end, meal = function() return {} end }', 'fixture of tests/policy_store.sql') > 0;
SELECT eligible(900001, '2024-03-21');
ROLLBACK;
SELECT eligible(900001, '2024-03-21');
-- a policy named by a region but never installed is an error, not 0
UPDATE region SET policy = 'ghost' WHERE code = '990000';
SELECT eligible(900001, '2024-03-21');
