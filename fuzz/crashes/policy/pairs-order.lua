-- pairs() order over string keys differs between connections (Lua's per-state
-- hash seed): the amount (the first rate pairs() yields) and the reason (every
-- key in pairs() order) are not a function of the inputs.
local rates = { alpha = 100, beta = 200, gamma = 300, delta = 400, epsilon = 500, zeta = 600, eta = 700, theta = 800, iota = 900, kappa = 1000, lambda = 1100, mu = 1200 }
return { name = "ord", effective_from = "2024-03-01", payers = { "county" },
  eligible = function() return true, "all" end,
  meal = function(m)
    local first, order = nil, {}
    for k, v in pairs(rates) do first = first or v; order[#order + 1] = k end
    return { county = first }, table.concat(order, ",")
  end }
