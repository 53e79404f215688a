-- Strict rules (issue #14, ask 4): mistakes that used to pay 0 silently,
-- or to pay a new payer, now fail, naming the policy@date:line of the rule
-- at fault and the value.  Each policy below replaces the county's
-- (same name and effective_from: the latest installed governs), and
-- meals of the small fixture go through it: meal 1 is elder 60 (born
-- 1940-05-10) at site 4, breakfast on 2024-03-01.
.mode list

-- a. payers are declared.  A policy without them is refused at install.
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01",
  eligible = function(e) return true, "ok" end,
  meal = function() return { county = 500 }, "flat" end }', 'fixture of tests/policy_strict.sql');
-- a misspelled payer used to become a payer 'countty' of 500 fen in the
-- settlement; now it is an error naming it (line 3: the return)
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true, "ok" end,
  meal = function() return { countty = 500 }, "flat" end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT subsidy_for(1);
SELECT count(*) FROM settlement('141129', '2024-03');
-- and in a site() item (line 4)
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county", "city" },
  eligible = function(e) return true, "ok" end,
  meal = function() return {} end,
  site = function(s) return { { item = "operating", payer = "cty", fen = 100000 } } end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT count(*) FROM settlement('141129', '2024-03');
-- payers must be a list of names
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = "county",
  eligible = print, meal = print }', 'fixture of tests/policy_strict.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { county = true },
  eligible = print, meal = print }', 'fixture of tests/policy_strict.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county", "elder" },
  eligible = print, meal = print }', 'fixture of tests/policy_strict.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county", "county" },
  eligible = print, meal = print }', 'fixture of tests/policy_strict.sql');

-- b. params are checked: a misspelled key used to read nil, and
-- { county = nil } paid 0.  Now: the key, the table, the line (5).
SELECT policy_install('local params = { lunch_fen = 500, amounts = { breakfast = 200, lunch = 500, dinner = 300 } }
return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" }, params = params,
  eligible = function(e) return true, "ok" end,
  meal = function(m)
    if m.slot == "breakfast" then return { county = params.lunch_fenn }, "typo" end
    return { county = params.lunch_fen }, "lunch"
  end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT subsidy_for(1);
-- a slot table (keys all slot words) indexed with a word that is not a slot
-- (line 4); in params or in any table of the policy (line 5, a local)
SELECT policy_install('local params = { amounts = { breakfast = 200, lunch = 500, dinner = 300 } }
local extra = { breakfast = 50, lunch = 100 }
return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" }, params = params,
  eligible = function(e, day, service) if service == "x" then return extra.brekfast == nil, "?" end return true, "ok" end,
  meal = function(m) return { county = params.amounts.breakfst }, "typo" end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT subsidy_for(1);
SELECT eligible(60, '2024-03-01', 'x');
-- site.slots too (line 3)
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true, "ok" end, meal = function() return {} end,
  site = function(s) if s.slots.brekfast then return { { item = "b", payer = "county", fen = 1 } } end return {} end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT count(*) FROM settlement('141129', '2024-03');
-- ipairs, pairs and # still work on checked tables; a slot word a slot
-- table lacks is nil outside params (the local above)
SELECT policy_install('local params = { list = { 10, 20, 30 } }
return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" }, params = params,
  eligible = function(e) return true, "ok" end,
  meal = function(m)
    local n = 0
    for _, v in ipairs(params.list) do n = n + v end
    for _, v in pairs(params.list) do n = n + v end
    return { county = n + #params.list }, "sum"
  end }', 'fixture of tests/policy_strict.sql') > 0;
-- 10 + 20 + 30 twice, plus 3 = 123
SELECT subsidy_for(1);

-- c. meal() returning nil without a reason (a path that misses its
-- return) used to be "no subsidy"; now an error at the line it fell off (6)
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true, "ok" end,
  meal = function(m)
    if m.slot == "lunch" then return { county = 500 }, "lunch" end
    if m.slot == "dinner" then return nil, "no dinners" end
  end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT subsidy_for(1);
-- a reason that is not text (line 3); {} and nil with a reason are no subsidy
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service) if service == "n" then return false, 5 end return true, "ok" end,
  meal = function(m) if m.id == 1 then return {} end return nil, "not this one" end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT eligible(60, '2024-03-01', 'n');
SELECT subsidy_for(1), subsidy_explain(1) ->> '$.reason', subsidy_for(2), subsidy_explain(2) ->> '$.reason';
-- site() returning nil (line 4)
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true, "ok" end, meal = function() return {} end,
  site = function(s)
    if s.id == 4 then return { { item = "op", payer = "county", fen = 1 } } end end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT count(*) FROM settlement('141129', '2024-03');

-- d. float money and a budget overrun name the line (4 and 5)
SELECT policy_install('local params = { fen = 333 }
return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" }, params = params,
  eligible = function(e) return true, "ok" end,
  meal = function(m) if m.id == 1 then return { county = params.fen * 1.5 }, "half again" end
    while true do end end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT subsidy_for(1);
SELECT subsidy_for(2);

-- e. tier tables: integer keys that are not a list.  Tiers 65: 300,
-- 80: 500, 90: 800, 100: 1000 fen; the highest tier at or below the age.
-- Meals 1-5 (on 2024-03-01): elder 60 born 1940-05-10 is 83 -> 500;
-- 141 born 1929-06-14 is 94 -> 800; 48 born 1942-03-06 is 81 -> 500;
-- 110 born 1949-10-22 is 74 -> 300; 59 born 1947-01-21 is 77 -> 300.
SELECT policy_install('local params = { lunch = { [90] = 800, [100] = 1000, [65] = 300, [80] = 500 } }
local function tier(t, age)
  local best = nil
  for k, v in pairs(t) do if k <= age then best = v end end
  return best
end
return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" }, params = params,
  eligible = function(e) return e.age ~= nil and e.age >= 65, "65+" end,
  meal = function(m, e) return { county = tier(params.lunch, e.age) }, "tier" end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT group_concat(id || ':' || subsidy_for(id), ' ') FROM meal WHERE id <= 5;
-- params as JSON: integer keys in numeric order (100 after 90)
SELECT subsidy_explain(1) -> '$.params';
-- a tier present reads; a tier absent is a checked miss
SELECT policy_install('local params = { t = { [65] = 300, [80] = 500 } }
return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" }, params = params,
  eligible = function(e) return true, "ok" end,
  meal = function(m) if m.id == 1 then return { county = params.t[80] }, "80" end return { county = params.t[70] }, "70" end }', 'fixture of tests/policy_strict.sql') > 0;
SELECT subsidy_for(1);
SELECT subsidy_for(2);
-- only a table mixing integer and named keys is refused, saying how to write it
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" },
  params = { lunch = { [65] = 300, [80] = 500, default = 200 } }, eligible = print, meal = print }', 'fixture of tests/policy_strict.sql');
SELECT policy_install('return { name = "x", effective_from = "2024-03-01", payers = { "county" },
  params = { lunch = { [1.5] = 300 } }, eligible = print, meal = print }', 'fixture of tests/policy_strict.sql');
