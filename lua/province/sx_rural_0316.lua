--[[ sx_rural: Shanxi rural counties, village courtyards, version 2 (from
2024-03-16, the middle of the province fixture's month).

ILLUSTRATIVE (province fixture, in no source).  What changes from version 1
(sx_rural.lua): lunch 400 -> 500 fen, and the province now pays a share of
every lunch (100 fen of it); 低保/特困 elders still get 100 fen more at lunch,
from the county.  Breakfast and dinner are unchanged.  Eligibility is
unchanged: alive and aged 70 or more (the fixture generator relies on it).
]]
local params = {
  min_age = 70,
  amounts = { breakfast = 200, lunch = 500, dinner = 300 },  -- fen, in all
  province_lunch = 100,                                      -- fen of the lunch amount
  priority = { "dibao", "tekun" },
  priority_lunch_extra = 100,                                -- fen, county
}
local slot_zh = { breakfast = "早餐", lunch = "午餐", dinner = "晚餐" }

local function priority(elder)
  for _, word in ipairs(params.priority) do
    if elder.status[word] then return true end
  end
  return false
end

return {
  name = "sx_rural",
  effective_from = "2024-03-16",
  payers = { "county", "province" },
  description = "Shanxi rural courtyard meals, version 2: lunch 5 yuan, 1 yuan of it from the province (illustrative)",
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
    if meal.slot ~= "lunch" then return { county = fen }, "农村助老小院" .. slot_zh[meal.slot] end
    local county = fen - params.province_lunch
    if priority(elder) then
      return { county = county + params.priority_lunch_extra, province = params.province_lunch },
             "低保/特困老人午餐（省级分担 1 元）"
    end
    return { county = county, province = params.province_lunch }, "农村助老小院午餐（省级分担 1 元）"
  end,

  tests = {
    { name = "turns 70 today", call = "eligible", day = "2024-03-20",
      elder = { birth_date = "1954-03-20" }, expect = true, reason = "70 周岁以上" },
    { name = "69 the day before", call = "eligible", day = "2024-03-19",
      elder = { birth_date = "1954-03-20" }, expect = false, reason = "未满 70 周岁" },
    { name = "dead on died_on", call = "eligible", day = "2024-03-20",
      elder = { age = 85, died_on = "2024-03-20" }, expect = false },
    { name = "lunch 400 + 100", call = "meal", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 80, agreement = true }, expect = { county = 400, province = 100 } },
    { name = "breakfast 200", call = "meal", meal = { slot = "breakfast", day = "2024-03-20" },
      elder = { age = 80, agreement = true }, expect = { county = 200 } },
    { name = "dinner 300", call = "meal", meal = { slot = "dinner", day = "2024-03-20" },
      elder = { age = 80, agreement = true }, expect = { county = 300 } },
    { name = "tekun lunch 500 + 100", call = "meal", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 80, agreement = true, status = { tekun = true } },
      expect = { county = 500, province = 100 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2024-03-20", nth_slot = 2 },
      elder = { age = 80, agreement = true }, expect = {} },
    { name = "no agreement", call = "meal", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 80, agreement = false }, expect = {} },
    { name = "69 gets nothing", call = "subsidy", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 69, agreement = true }, expect = {} },
  },
}
