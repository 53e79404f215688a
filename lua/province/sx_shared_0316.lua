--[[ sx_shared: county and city share the meal subsidy, version 2 (from
2024-03-16, the middle of the province fixture's month).

ILLUSTRATIVE (province fixture, in no source).  What changes from version 1
(sx_shared.lua): lunch 500 -> 600 fen, breakfast 200 -> 250, and the split
becomes half and half (the county's part takes the odd fen).  Dinner stays
300.  Eligibility is unchanged: alive and aged 70 or more (the fixture
generator relies on it).
]]
local params = {
  min_age = 70,
  amounts = { breakfast = 250, lunch = 600, dinner = 300 },  -- fen per meal, in all
  city_percent = 50,
}
local slot_zh = { breakfast = "早餐", lunch = "午餐", dinner = "晚餐" }

return {
  name = "sx_shared",
  effective_from = "2024-03-16",
  payers = { "county", "city" },
  description = "Shanxi county meals paid half and half by county and city, version 2 (illustrative)",
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
    return { county = fen - city, city = city }, slot_zh[meal.slot] .. "（县市各半）"
  end,

  tests = {
    { name = "turns 70 today", call = "eligible", day = "2024-03-20",
      elder = { birth_date = "1954-03-20" }, expect = true },
    { name = "69 the day before", call = "eligible", day = "2024-03-19",
      elder = { birth_date = "1954-03-20" }, expect = false },
    { name = "lunch 300 + 300", call = "meal", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 80, agreement = true }, expect = { county = 300, city = 300 } },
    { name = "breakfast 125 + 125", call = "meal", meal = { slot = "breakfast", day = "2024-03-20" },
      elder = { age = 80, agreement = true }, expect = { county = 125, city = 125 } },
    { name = "dinner 150 + 150", call = "meal", meal = { slot = "dinner", day = "2024-03-20" },
      elder = { age = 80, agreement = true }, expect = { county = 150, city = 150 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2024-03-20", nth_slot = 2 },
      elder = { age = 80, agreement = true }, expect = {} },
    { name = "no agreement", call = "meal", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 80, agreement = false }, expect = {} },
  },
}
