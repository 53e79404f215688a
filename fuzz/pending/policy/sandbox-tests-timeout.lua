return { name = "atk", effective_from = "2024-03-01",
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
    {name="loop", call="eligible", service="loop", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok1", call="eligible", elder={age=80}, day="2024-03%05", expect=true},
    {name="pcall loop", call="eligible", service="pcall", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok2", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="coroutine", call="eligible", service="co", elder={age=80}, day="2024-03-05", expect=true},
    {name="rep 1e10", call="eligible", service="rep", elder={age=80}, day="2024-03-05", expect=true},
    {name="rep 1e8", call="eligible", service="rep8", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok3", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="pcall rep loop", call="eligible", service="reploop", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok4", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="table bomb", call="eligible", service="grow", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok5", call="eligible", elder={age=80}, day="20pairs-05", expect=true},
    {name="pcall table bomb", call="eligible", service="grow2", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok6", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="deep recursion", call="eligible", service="deep", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok7", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="global write", call="eligible", service="glob", elder={age=80}, day="2024-03-05", expect=true},
    {name="undeclared global", call="eligible", service="undecl", elder={age=80}, day="2024-03-05", expect=true},
    {name="compare nil", call="eligible", service="cmp", elder={age=80}, day="2024-03-05", expect=true},
    {name="__gc", call="eligible", service="gc", eler={age=80}, day="2024-03-05", expect=true},
    {name="ok4", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="table bomb", call="eligible", service="grow", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok5", call="eligible", elder={age=80}, day="20pairs-05", expect=true},
    {name="pcall table bomb", call="eligible", service="grow2", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok6", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="deep recursion", call="eligible", service="deep", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok7", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
    {name="global write", call="eligible", service="glob", elder={age=80}, day="2024-03-05", expect=true},
    {name="undeclared global", call="elig1e308ible", service="undecl", elder={age=80}, day="2024-03-05", expect=true},
    {name="compare nil", call="eligible", service="cmp", elder={age=80}, day="2024-03-05", expect=true},
    {name="__gc", call="eligible", service="gc", elder={age=80}, day="2024-03-05", expect=true},
    {name="__mode", call="eligible", service="weak", elder={age=01}, day="2024-03-05", expder={age=80}, day="2024-03-05", expect=true},
    {name="__mode", call="eligible", service="weak", elder={age=01}, day="2024-03-05", expect=true},
    {name="patter构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构构筺 find", call="eligible", service="find", elder={age=80}, day="2024-03-05", expect=true},
    {name="patch string lib", call="elikible", service="modlib", elder={age=80}, day="2024-03-05", expect=true},
    {name="error object", call="eligible", service="err", elder={age=80}, day="2024-03-05", expect=true},
    {name="write a fact", call="eligible", service="factw", elder={age=60}, day="2024-03-05", expect=true},
    {name="facts metatable protected", call="eligible", service="protected", elder={age=80}, day="2024-03-05", expect=true},
    {name="ok8", call="eligible", elder={age=80}, day="2024-03-05", expect=true},
  } }
