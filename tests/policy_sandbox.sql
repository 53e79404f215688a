-- The sandbox: every attack ends in a clear error naming policy@version:line,
-- and the next (normal) call on the same connection succeeds.  Each attack is
-- a case whose error = "..." is the message expected (a case passes only when
-- the call fails with an error containing it); cases named 'ok...' are normal
-- calls placed after each attack.  A version is installed only when all its
-- cases pass, so "ok: 27 cases" below means every attack failed as written
-- and every normal call after one succeeded, at install and in policy_test.
.mode list
SELECT policy_install('return { name = "atk", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    if service == "loop" then while true do end end
    if service == "pcall" then while true do pcall(function() while true do end end) end end
    if service == "co" then local co = coroutine.create(function() end) end
    if service == "rep" then return #string.rep("x", 1e10) > 0 end
    if service == "rep8" then return #string.rep("x", 1e8) > 0 end
    if service == "reploop" then while true do pcall(string.rep, "x", 1e8) end end
    if service == "grow" then local t = {} for i = 1, 1e9 do t[i] = i end end
    if service == "grow2" then local t = {} while true do pcall(function() for i = 1, 1e9 do t[#t+1] = {i} end end) end end
    if service == "deep" then local function f(n) return f(n + 1) + 1 end return f(1) end
    if service == "glob" then x = 1 end
    if service == "undecl" then return foo == nil end
    if service == "cmp" then return e.age > nil end
    if service == "gc" then setmetatable({}, {__gc = function() while true do end end}) end
    if service == "weak" then setmetatable({}, {__mode = "k"}) end
    if service == "find" then return string.find("aaa", "a.-b") ~= nil end
    if service == "modlib" then string.upper = nil end
    if service == "err" then error({}) end
    if service == "factw" then e.age = 200 end
    if service == "protected" then setmetatable(e, {}) end
    return e.age >= 70, "70+"
  end,
  meal = function(m, e, s) return { county = 500 }, "flat" end,
  tests = {
    {name="loop", call="eligible", service="loop", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:3: eligible() exceeded its budget of 10000000 instructions"},
    {name="ok1", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="pcall loop", call="eligible", service="pcall", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:4: eligible() exceeded its budget of 10000000 instructions"},
    {name="ok2", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="coroutine", call="eligible", service="co", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:5: undeclared global ''coroutine''"},
    {name="rep 1e10", call="eligible", service="rep", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:6: eligible() made a string longer than 4096 bytes (the most a policy may make)"},
    {name="rep 1e8", call="eligible", service="rep8", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:7: eligible() made a string longer than 4096 bytes (the most a policy may make)"},
    {name="ok3", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="pcall rep loop", call="eligible", service="reploop", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:8: eligible() made a string longer than 4096 bytes (the most a policy may make)"},
    {name="ok4", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="table bomb", call="eligible", service="grow", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:9: eligible() exceeded the policy memory cap of 64 MiB"},
    {name="ok5", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="pcall table bomb", call="eligible", service="grow2", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:10: eligible() exceeded the policy memory cap of 64 MiB"},
    {name="ok6", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="deep recursion", call="eligible", service="deep", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:11: eligible() overflowed the stack of 65536 slots (recursion too deep?)"},
    {name="ok7", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="global write", call="eligible", service="glob", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:12: assignment to global ''x'': policy globals are read-only (use a local)"},
    {name="undeclared global", call="eligible", service="undecl", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:13: undeclared global ''foo''"},
    {name="compare nil", call="eligible", service="cmp", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:14: attempt to compare nil with number"},
    {name="__gc", call="eligible", service="gc", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:15: setmetatable: __gc is not allowed in a policy"},
    {name="__mode", call="eligible", service="weak", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:16: setmetatable: __mode is not allowed in a policy"},
    {name="pattern find", call="eligible", service="find", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:17: string.find: policies may only search plain text: pass true as the 4th argument"},
    {name="patch string lib", call="eligible", service="modlib", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:18: attempt to modify read-only policy table (field ''upper'')"},
    {name="error object", call="eligible", service="err", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01: eligible() raised (error object is a table value)"},
    {name="write a fact", call="eligible", service="factw", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:20: facts are read-only"},
    {name="facts metatable protected", call="eligible", service="protected", elder={age=80}, day="2024-03-05", error = "atk@2024-03-01:21: cannot change a protected metatable"},
    {name="ok8", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
  } }
') > 0;
-- PARAMS and counter are undeclared above: the chunk-level ones come next
SELECT policy_install('PARAMS = { min_age = 70, t = {}, list = {1, 2, 3} }
local counter = 0
return { name = "upv", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    if service == "paramw" then PARAMS.min_age = 1 end
    if service == "nested" then PARAMS.t.x = 1 end
    if service == "insert" then table.insert(PARAMS.list, 4) end
    if service == "upv" then counter = counter + 1 return true, tostring(counter) end
    if service == "len" then return #PARAMS.list == 3 and PARAMS.list[3] == 3, tostring(select("#", table.unpack(PARAMS.list))) end
    return e.age >= PARAMS.min_age, "70+"
  end,
  meal = function(m, e, s) return { county = 500 }, "flat" end,
  tests = {
    {name="write params", call="eligible", service="paramw", elder={age=80}, day="2024-03-05", error = "upv@2024-03-01:5: attempt to modify read-only policy table (field ''min_age'')"},
    {name="write nested params", call="eligible", service="nested", elder={age=80}, day="2024-03-05", error = "upv@2024-03-01:6: attempt to modify read-only policy table (field ''x'')"},
    {name="table.insert params", call="eligible", service="insert", elder={age=80}, day="2024-03-05", error = "upv@2024-03-01: attempt to modify read-only policy table"},
    {name="keep state in an upvalue", call="eligible", service="upv", elder={age=80}, day="2024-03-05", error = "upv@2024-03-01:4: eligible() assigned to the chunk-level local ''counter''; rules must not keep state between calls"},
    {name="upvalue restored", call="eligible", service="upv", elder={age=80}, day="2024-03-05", error = "upv@2024-03-01:4: eligible() assigned to the chunk-level local ''counter''; rules must not keep state between calls"},
    {name="frozen lists still read", call="eligible", service="len", elder={age=80}, day="2024-03-05", expect=true, reason="3"},
    {name="69 is not 70 (params unchanged)", call="eligible", elder={age=69}, day="2024-03-05", expect=false},
  } }') > 0;
SELECT policy_test('atk');
SELECT policy_test('upv');
-- forbidden globals are absent; the string metatable is hidden; tostring shows no addresses
SELECT policy_install('return { name = "env", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    local names = { "io", "os", "package", "require", "debug", "load", "loadstring", "dofile",
                    "loadfile", "collectgarbage", "rawset", "rawget", "coroutine", "warn", "module", "setfenv" }
    local present = {}
    for _, n in ipairs(names) do
      if pcall(function() return _G[n] end) then present[#present + 1] = n end
    end
    local lib = {}
    for _, n in ipairs({ "dump", "match", "gmatch", "gsub" }) do if string[n] then lib[#lib+1] = "string." .. n end end
    for _, n in ipairs({ "random", "randomseed" }) do if math[n] then lib[#lib+1] = "math." .. n end end
    return #present == 0 and #lib == 0, table.concat(present, ",") .. table.concat(lib, ",") ..
      "|" .. tostring(getmetatable("")) .. "|" .. tostring({}) .. "|" .. tostring(print) ..
      "|" .. tostring(getmetatable(e)) .. "|" .. tostring(string.find("a.b", ".", 1, true)) ..
      "|" .. ("x"):upper() .. "|" .. select("#", print("hi"))
  end,
  meal = function() return {} end,
  tests = { {name="env", call="eligible", elder={age=80}, day="2024-03-05", expect=true,
             reason="|string|table|function|facts|2|X|0"} } }') > 0;
SELECT policy_test('env');
-- the connection is fine after all that
SELECT policy_load('lua/zhongyang.lua') > 0;
SELECT policy_test('zhongyang');
