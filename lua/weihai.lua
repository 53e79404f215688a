--[[ 威海市 / 荣成市 (Weihai 371000, Rongcheng 371082): "credit + assistance"
(信用+助老).  Volunteers earn credit points (信用积分, Weihai 海贝分) for
their hours and spend them in a credit supermarket (信用超市) or on an
elder's meal co-payment.

Source (/work/shared/FACTS.md "Rongcheng", "Time banks"): Weihai's
volunteer rule -- the first 20 hours of a year 1 point an hour; hours
21-80 1 point per 2 hours; 81-200 1 point per 3 hours; beyond 200 1
point per 4 hours (-> params.tiers).  Rongcheng rural canteens: a free
lunch for 80+ (-> the whole price for 80+).
ILLUSTRATIVE (in no source, kept in params): the 60+ age floor, 300 fen
for a 60-79 meal, what a point is worth when spent (100 fen), no expiry,
no account cap, no transfers.

Points are counted in milli-points (1 point = 1000): per tier,
floor(minutes in the tier * 1000 / (60 * hours per point)), summed --
so 250 hours in a year are 20 + 60/2 + 120/3 + 50/4 = 20 + 30 + 40 +
12.5 = 102.5 points = 102500, and 10 minutes are 166 (1/6 point, cut
to the milli-point).
]]
local params = {
  min_age = 60,                 -- ILLUSTRATIVE
  age_free_lunch = 80,          -- source: free lunch for 80+ in Rongcheng's rural canteens
  meal_fen = 300,               -- ILLUSTRATIVE, 60-79
  tiers = {                     -- source: Weihai volunteer rule
    { upto = 20, hours = 1 },
    { upto = 80, hours = 2 },
    { upto = 200, hours = 3 },
    { hours = 4 },
  },
  point_fen = 100,              -- ILLUSTRATIVE: a point pays 1 yuan
}

return {
  name = "weihai",
  effective_from = "2024-01-01",
  payers = { "city" },
  description = "Weihai/Rongcheng: free lunch for 80+, credit points for volunteer hours in Weihai's tiers",
  params = params,

  eligible = function(elder, day, service)
    if elder.died_on ~= nil and day >= elder.died_on then return false, "已去世" end
    if elder.age == nil or elder.age < params.min_age then return false, "未满 60 周岁" end
    return true, "60 周岁以上"
  end,

  meal = function(meal, elder, site)
    if meal.nth_slot > 1 then return nil, "同一餐次每天只补贴一次" end
    if elder.age >= params.age_free_lunch and meal.slot == "lunch" then
      if meal.price_fen == nil then return nil, "报价无价格" end
      return { city = meal.price_fen }, "80 周岁以上免费午餐"
    end
    return { city = params.meal_fen }, "60 周岁以上助餐"
  end,

  credit = {
    tiers = params.tiers,
    redeem = { meal = params.point_fen, goods = params.point_fen, service = params.point_fen },
  },

  tests = {
    { name = "60 eligible", call = "eligible", day = "2025-03-05", elder = { age = 60 }, expect = true },
    { name = "59 not", call = "eligible", day = "2025-03-05", elder = { age = 59 }, expect = false },
    { name = "unknown age", call = "eligible", day = "2025-03-05", elder = {}, expect = false },
    -- 80+ lunch at 1200 fen: the city pays all of it
    { name = "80 lunch free", call = "subsidy", meal = { slot = "lunch", day = "2025-03-05", price_fen = 1200 },
      elder = { age = 80 }, expect = { city = 1200 } },
    { name = "79 lunch", call = "subsidy", meal = { slot = "lunch", day = "2025-03-05", price_fen = 1200 },
      elder = { age = 79 }, expect = { city = 300 } },
    { name = "80 dinner", call = "subsidy", meal = { slot = "dinner", day = "2025-03-05", price_fen = 1000 },
      elder = { age = 85 }, expect = { city = 300 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2025-03-05", nth_slot = 2 },
      elder = { age = 85 }, expect = {} },
    -- the tiers, worked by hand (points x 1000)
    { name = "0 h", call = "credit", hours = 0, expect = 0 },
    { name = "20 h: 20 points", call = "credit", hours = 20, expect = 20000 },
    { name = "21 h: 20 + 1/2", call = "credit", hours = 21, expect = 20500 },
    { name = "80 h: 20 + 60/2", call = "credit", hours = 80, expect = 50000 },
    { name = "81 h: 50 + 1/3 cut", call = "credit", hours = 81, expect = 50333 },
    { name = "200 h: 20 + 30 + 40", call = "credit", hours = 200, expect = 90000 },
    { name = "250 h: 90 + 50/4", call = "credit", hours = 250, expect = 102500 },
    { name = "10 min: 1/6 point cut", call = "credit", minutes = 10, expect = 166 },
  },
}
