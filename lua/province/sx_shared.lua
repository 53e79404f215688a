--[[ sx_shared: Shanxi counties whose meal subsidy the county and the city
share, version 1 (from 2024-01-01).  Used by zcgen's `province` scale on the
county-level cities (县级市) and every third rural county.

ILLUSTRATIVE (province fixture, in no source).  Same rules as sx_rural
(70+, agreement, one subsidised meal per slot per day), but every meal's
amount is split: the county pays 60 %, the city 40 % (floored to the fen,
the county's part takes the remainder).  Version 2 (sx_shared_0316.lua)
takes effect on 2024-03-16.

eligible() is exactly: alive on the day and aged min_age (70) or more — the
fixture generator's oracle for not_eligible relies on this rule.
]]
local params = {
  min_age = 70,
  amounts = { breakfast = 200, lunch = 500, dinner = 300 },  -- fen per meal, in all
  city_percent = 40,
}
local slot_zh = { breakfast = "早餐", lunch = "午餐", dinner = "晚餐" }

return {
  name = "sx_shared",
  effective_from = "2024-01-01",
  payers = { "county", "city" },
  description = "Shanxi county meals paid 60/40 by county and city, version 1 (province fixture, illustrative)",
  params = params,

  eligible = function(elder, day, service)
    if elder.died_on ~= nil and day >= elder.died_on then
      return false, "已于 " .. elder.died_on .. " 去世"
    end
    if elder.age == nil then return false, "年龄不详" end
    if elder.age < params.min_age then return false, "未满 " .. params.min_age .. " 周岁" end
    return true, params.min_age .. " 周岁以上"
  end,

  meal = function(meal, elder, site)
    if meal.nth_slot > 1 then return nil, "同一餐次每天只补贴一次" end
    if not elder.agreement then return nil, "未与本助餐点签订三方助餐协议" end
    local fen = params.amounts[meal.slot]
    local city = fen * params.city_percent // 100
    return { county = fen - city, city = city }, slot_zh[meal.slot] .. "（县市分担）"
  end,

  tests = {
    { name = "turns 70 today", call = "eligible", day = "2024-03-05",
      elder = { birth_date = "1954-03-05" }, expect = true, reason = "70 周岁以上" },
    { name = "69 the day before", call = "eligible", day = "2024-03-04",
      elder = { birth_date = "1954-03-05" }, expect = false },
    { name = "dead on died_on", call = "eligible", day = "2024-03-10",
      elder = { age = 85, died_on = "2024-03-10" }, expect = false },
    { name = "lunch 300 + 200", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 300, city = 200 } },
    { name = "breakfast 120 + 80", call = "meal", meal = { slot = "breakfast", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 120, city = 80 } },
    { name = "dinner 180 + 120", call = "meal", meal = { slot = "dinner", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 180, city = 120 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2024-03-05", nth_slot = 2 },
      elder = { age = 80, agreement = true }, expect = {} },
    { name = "no agreement", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = false }, expect = {} },
    { name = "69 gets nothing", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 69, agreement = true }, expect = {} },
  },
}
