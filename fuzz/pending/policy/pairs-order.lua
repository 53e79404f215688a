-- pairs() order over string keys differs between connections (Lua's per-state
-- hash seed): the reason below, and anything a rule derives from the order,
-- is not a function of the inputs.
local rates = { alpha = 100, beta = 200, gamma = 300, delta = 400, epsilon = 500, zeta = 600 }
return { name = "ord", effective_from = "2024-03-01",
  eligible = function() return true, "all" end,
  meal = function(m)
    for k, v in pairs(rates) do return { county = v }, "first rate: " .. k end
  end }
