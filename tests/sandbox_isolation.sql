-- Isolation (issue #12, finding 1): nothing a rule does persists between
-- calls, and no policy version can reach another's state or change what
-- another sees.  pairs() on a frozen table used to hand out the hidden
-- writable table behind it: a rule could count calls in its own params
-- (eligible alternating for the same elder and day) and patch the shared
-- math/string libraries so another county's policy paid 0.  Every attack
-- below is wrapped in pcall: the policy's own cases expect the attack to
-- have failed, so "ok: N cases" means each attempt was refused.  Cases run
-- on different days or services, so the memo cannot hide a leak.
.mode list
-- 1. state in the policy's own frozen tables, through pairs/next/ipairs
SELECT policy_install('local params = { n = 0, list = { 1, 2, 3 }, nested = { k = 0 } }
local function bump(t, k)
  local f, s = pairs(t)
  pcall(function() s[k] = (s[k] or 0) + 1 end)            -- the state pairs returns
  local f2, s2 = f(s, nil)                                 -- the iterator called by hand
  pcall(function() if type(s2) == "table" then s2[k] = 1 end end)
  local k2, v2 = next(t)                                   -- next on a frozen table
  pcall(function() if type(v2) == "table" then v2[k] = 1 end end)
  for _, v in ipairs(t) do pcall(function() v.x = 1 end) end
  pcall(function() rawset(t, k, 1) end)                    -- absent
  pcall(function() getmetatable(t).__index[k] = 1 end)     -- protected
  pcall(function() setmetatable(t, nil) end)
  pcall(function() table.insert(t, 1) end)
  pcall(function() table.move({ 9 }, 1, 1, 1, t) end)
  pcall(function() table.sort(t) end)
end
return { name = "leak", effective_from = "2024-03-01", payers = { "county" }, params = params,
  eligible = function(e, day, service)
    bump(params, "n") bump(params.nested, "k") bump(params.list, 1)
    local ok = params.n == 0 and params.nested.k == 0 and params.list[1] == 1 and #params.list == 3
    return ok, "n=" .. tostring(params.n) .. " k=" .. tostring(params.nested.k) .. " list1=" .. tostring(params.list[1])
  end,
  meal = function() return {} end,
  tests = {
    { name = "first call", call = "eligible", day = "2024-03-05", elder = {}, expect = true, reason = "n=0 k=0 list1=1" },
    { name = "second call", call = "eligible", day = "2024-03-06", elder = {}, expect = true, reason = "n=0 k=0 list1=1" },
    { name = "third call", call = "eligible", day = "2024-03-07", elder = {}, expect = true, reason = "n=0 k=0 list1=1" },
  } }') > 0;
SELECT policy_test('leak');
-- 2. one version patches the shared libraries (and the string metatable);
-- another county's version must still pay
SELECT policy_install('local function patch(lib, name, f)
  local _, s = pairs(lib)
  pcall(function() s[name] = f end)
  pcall(function() lib[name] = f end)
  local it = pairs(lib)
  pcall(function() local k, v = it(lib, nil) end)
  pcall(function() getmetatable("").__index[name] = f end)
end
return { name = "patcher", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    patch(math, "floor", function() return 0 end)
    patch(math, "min", function() return 0 end)
    patch(string, "format", function() return "0" end)
    patch(string, "rep", function() return "" end)
    patch(table, "concat", function() return "" end)
    patch(utf8, "len", function() return 0 end)
    pcall(function() local mt = getmetatable("") mt.__index = {} end)
    pcall(function() string.upper = nil end)
    pcall(function() _G.string = {} end)
    pcall(function() _G.math = { floor = function() return 0 end } end)
    return true, "patched"
  end,
  meal = function() return {} end,
  tests = { { name = "patch", call = "eligible", day = "2024-03-05", elder = {}, expect = true } } }') > 0;
SELECT policy_install('return { name = "victim", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true, "ok" end,
  meal = function(m, e, s)
    local fen = math.floor(1250 * 4 / 10) + math.min(7, 9)      -- 500 + 7
    local tag = string.format("%d", fen) .. string.rep("!", 2) .. table.concat({ "a", "b" }) .. utf8.len("中文")
    return { county = fen }, tag .. ("x"):upper()
  end,
  tests = {
    { name = "pays 507", call = "meal", meal = { slot = "lunch", day = "2024-03-05" }, expect = { county = 507 }, reason = "507!!ab2X" },
  } }') > 0;
SELECT policy_test('patcher');
SELECT policy_test('victim');
-- 3. closures, upvalues and per-call tables
SELECT policy_install('local counter = (function() local n = 0 return function() n = n + 1 return n end end)()
local memo = {}
return { name = "upv2", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    if service == "closure" then return counter() == 1, "closure" end
    if service == "memo" then local ok = pcall(function() memo[day] = true end) return not ok, "memo" end
    local t = {} t.x = (t.x or 0) + 1                                   -- a fresh table per call
    return t.x == 1, "fresh"
  end,
  meal = function() return {} end,
  tests = {
    { name = "fresh table 1", call = "eligible", day = "2024-03-05", elder = {}, expect = true },
    { name = "fresh table 2", call = "eligible", day = "2024-03-06", elder = {}, expect = true },
    { name = "memo table frozen", call = "eligible", day = "2024-03-05", service = "memo", elder = {}, expect = true },
    { name = "closure counter", call = "eligible", day = "2024-03-05", service = "closure", elder = {},
      error = "assigned to the chunk-level local" },
    { name = "closure counter again", call = "eligible", day = "2024-03-06", service = "closure", elder = {},
      error = "assigned to the chunk-level local" },
  } }') > 0;
SELECT policy_test('upv2');
-- 4. pairs and next visit keys in one order: numbers, strings byte-wise,
-- false, true -- not the hash order, which depends on the hash seed and on
-- memory addresses; tables as keys cannot be iterated
SELECT policy_install('local P = { b = 1, a = 2, [3] = 3, [1] = 1, [2.5] = 2, [-1] = 0, ["B"] = 1, [true] = 1, [false] = 0, ["é"] = 1 }
local function keys(t, iter)
  local out = {}
  for k in iter(t) do out[#out + 1] = tostring(k) end
  return table.concat(out, ",")
end
local function by_next(t)
  local out, k = {}, nil
  repeat k = next(t, k) if k ~= nil then out[#out + 1] = tostring(k) end until k == nil
  return table.concat(out, ",")
end
return { name = "order", effective_from = "2024-03-01", payers = { "county" }, params = { x = 1 },
  eligible = function(e, day, service)
    if service == "frozen" then return true, keys(P, pairs) end
    if service == "next" then return true, by_next(P) end
    if service == "status" then local w = {} for k in pairs(e.status) do w[#w + 1] = k end return true, table.concat(w, ",") end
    if service == "tablekeys" then local t = { [{}] = 1, [{}] = 2 } for k in pairs(t) do end return true, "?" end
    if service == "nextkeys" then local t = { [print] = 1 } return next(t) ~= nil, "?" end
    local t = {} for i = 10, 1, -1 do t["k" .. i] = i end t[7] = 7 t[0.5] = 0
    return true, keys(t, pairs)
  end,
  meal = function() return {} end,
  tests = {
    { name = "fresh", call = "eligible", day = "2024-03-05", elder = {}, expect = true,
      reason = "0.5,7,k1,k10,k2,k3,k4,k5,k6,k7,k8,k9" },
    { name = "frozen", call = "eligible", day = "2024-03-05", service = "frozen", elder = {}, expect = true,
      reason = "-1,1,2.5,3,B,a,b,é,false,true" },
    { name = "next", call = "eligible", day = "2024-03-05", service = "next", elder = {}, expect = true,
      reason = "-1,1,2.5,3,B,a,b,é,false,true" },
    { name = "status words in byte order", call = "eligible", day = "2024-03-05", service = "status",
      elder = { status = { "veteran", "zzz_own", "dibao", "aaa_own", "lives_alone" } }, expect = true,
      reason = "aaa_own,dibao,lives_alone,veteran,zzz_own" },
    { name = "table keys", call = "eligible", day = "2024-03-05", service = "tablekeys", elder = {},
      error = "cannot visit a table with table keys in a fixed order" },
    { name = "function keys", call = "eligible", day = "2024-03-05", service = "nextkeys", elder = {},
      error = "cannot visit a table with function keys in a fixed order" },
  } }') > 0;
SELECT policy_test('order');
-- 5. what a rule sees is the same on every call: xpcall, error objects,
-- string metatable, tostring
SELECT policy_install('return { name = "misc", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    local ok, msg = xpcall(function() error("boom") end, function(m) return "handled: " .. tostring(m):sub(-4) end)
    local ok2, v = xpcall(function(a, b) return a + b end, print, 2, 3)
    return not ok and ok2 and v == 5, msg .. "|" .. tostring(getmetatable("")) .. "|" .. tostring(setmetatable({}, { __name = "x" })) ..
      "|" .. tostring(print) .. "|" .. string.format("%s %s %5.1f", {}, print, 2.25)
  end,
  meal = function() return {} end,
  tests = { { name = "misc", call = "eligible", day = "2024-03-05", elder = {}, expect = true,
              reason = "handled: boom|string|table|function|table function   2.2" },
            { name = "%p", call = "eligible", day = "2024-03-06", service = "p", elder = {}, expect = true,
              reason = "handled: boom|string|table|function|table function   2.2" } } }') > 0;
SELECT policy_test('misc');
SELECT policy_install('return { name = "fmtp", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true, string.format("%p", {}) end, meal = function() return {} end,
  tests = { { name = "%p", call = "eligible", day = "2024-03-05", elder = {}, error = "%p would show a memory address" } } }') > 0;
SELECT policy_test('fmtp');
-- the connection is fine after all that
SELECT policy_load('lua/zhongyang.lua') > 0;
SELECT policy_test('zhongyang');
