-- Which of several bad parts meal() returned is reported follows lua_next
-- order (Lua's per-state hash seed): two connections name different payers.
return { name = "frac", effective_from = "2024-03-01", payers = { "p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11", "p12", "p13", "p14", "p15", "p16", "p17", "p18", "p19", "p20", "p21", "p22", "p23" },
  eligible = function() return true, "all" end,
  meal = function(m, e, s) return { p00 = 0.5, p01 = 0.5, p02 = 0.5, p03 = 0.5, p04 = 0.5, p05 = 0.5, p06 = 0.5, p07 = 0.5, p08 = 0.5, p09 = 0.5, p10 = 0.5, p11 = 0.5, p12 = 0.5, p13 = 0.5, p14 = 0.5, p15 = 0.5, p16 = 0.5, p17 = 0.5, p18 = 0.5, p19 = 0.5, p20 = 0.5, p21 = 0.5, p22 = 0.5, p23 = 0.5 }, "bad" end }
