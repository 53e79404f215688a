--[[ A time bank (时间银行) after Nanjing (2019) and Shanghai (2026).

Source (/work/shared/FACTS.md "Time banks"): Nanjing caps an account at
1,500 hours (above the cap: donation or recognition), lets stored time
serve the volunteer, a spouse or direct relatives aged 60+, allows
donation to childless elders, and never pays cash; Shanghai counts 1 hour
= 1 time coin, redeemable from age 65 (60 for hardship), transferable to
relatives and friends or donated.  -> one tier, 1 hour a point; cap 1500;
transfers to a spouse and direct relatives aged 60+; donation allowed;
points pay services (a meal co-payment is a service at the site), never
cash (no goods).
ILLUSTRATIVE (in no source, kept in params): redemption from 60 (Nanjing's
age; Shanghai's 65 is params.redeem_min_age = 65), what an hour pays on a
meal co-payment or a service (1000 fen), at most 20 points redeemed a
month, no expiry; the meal rules (60+, 400 fen a meal, city).

Points are milli-points (1 point = 1000): 1 h 30 min is 1500.
]]
local params = {
  min_age = 60,                   -- ILLUSTRATIVE
  meal_fen = 400,                 -- ILLUSTRATIVE
  cap_hours = 1500,               -- source: Nanjing's account cap
  relations = { "spouse", "parent", "child", "grandparent", "grandchild" },  -- source: spouse, direct relatives
  receiver_min_age = 60,          -- source: relatives aged 60+
  redeem_min_age = 60,            -- ILLUSTRATIVE (Nanjing 60; Shanghai 65)
  hour_fen = 1000,                -- ILLUSTRATIVE: an hour pays 10 yuan of a service
  redeem_month_cap = 20,          -- ILLUSTRATIVE
}

return {
  name = "timebank",
  effective_from = "2024-01-01",
  payers = { "city" },
  description = "Time bank after Nanjing/Shanghai: 1 hour = 1 point, cap 1500, relatives 60+, services only",
  params = params,

  eligible = function(elder, day, service)
    if elder.died_on ~= nil and day >= elder.died_on then return false, "已去世" end
    if elder.age == nil or elder.age < params.min_age then return false, "未满 60 周岁" end
    return true, "60 周岁以上"
  end,

  meal = function(meal, elder, site)
    if meal.nth_slot > 1 then return nil, "同一餐次每天只补贴一次" end
    return { city = params.meal_fen }, "60 周岁以上助餐"
  end,

  credit = {
    tiers = { { hours = 1 } },
    cap = params.cap_hours,
    redeem = { meal = params.hour_fen, service = params.hour_fen },
    redeem_min_age = params.redeem_min_age,
    redeem_month_cap = params.redeem_month_cap,
    transfer = params.relations,
    transfer_min_age = params.receiver_min_age,
    donate = true,
  },

  tests = {
    { name = "60 eligible", call = "eligible", day = "2025-03-05", elder = { age = 60 }, expect = true },
    { name = "59 not", call = "eligible", day = "2025-03-05", elder = { age = 59 }, expect = false },
    { name = "lunch 400", call = "subsidy", meal = { slot = "lunch", day = "2025-03-05" },
      elder = { age = 70 }, expect = { city = 400 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2025-03-05", nth_slot = 2 },
      elder = { age = 70 }, expect = {} },
    -- 1 hour = 1 point, by hand
    { name = "1 h", call = "credit", hours = 1, expect = 1000 },
    { name = "90 min", call = "credit", minutes = 90, expect = 1500 },
    { name = "1 min cut", call = "credit", minutes = 1, expect = 16 },
    { name = "1500 h", call = "credit", hours = 1500, expect = 1500000 },
  },
}
