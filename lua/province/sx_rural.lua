--[[ sx_rural: Shanxi rural counties, village courtyards (农村助老小院/幸福院),
version 1 (from 2024-01-01).  Used by zcgen's `province` scale
(docs/fixtures.md, "Province scale") on most rural counties.

ILLUSTRATIVE: a synthetic policy for the province fixture, in no source.
Its shape follows Zhongyang's notice (lua/zhongyang.lua): elders aged 70+,
a three-party agreement with the site, one subsidised meal per slot per day,
the county pays; 低保/特困 elders get more at lunch.  Version 2
(sx_rural_0316.lua) takes effect on 2024-03-16.

eligible() is exactly: alive on the day and aged min_age (70) or more — the
fixture generator's oracle for not_eligible relies on this rule.
]]
local params = {
  min_age = 70,
  amounts = { breakfast = 200, lunch = 400, dinner = 300 },  -- fen, county
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
  effective_from = "2024-01-01",
  payers = { "county" },
  description = "Shanxi rural courtyard meals, version 1 (province fixture, illustrative)",
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
    if meal.slot == "lunch" and priority(elder) then
      return { county = fen + params.priority_lunch_extra }, "低保/特困老人午餐"
    end
    return { county = fen }, "农村助老小院" .. slot_zh[meal.slot]
  end,

  tests = {
    { name = "turns 70 today", call = "eligible", day = "2024-03-05",
      elder = { birth_date = "1954-03-05" }, expect = true, reason = "70 周岁以上" },
    { name = "69 the day before", call = "eligible", day = "2024-03-04",
      elder = { birth_date = "1954-03-05" }, expect = false, reason = "未满 70 周岁" },
    { name = "dead on died_on", call = "eligible", day = "2024-03-10",
      elder = { age = 85, died_on = "2024-03-10" }, expect = false },
    { name = "statuses do not matter", call = "eligible", day = "2024-03-05",
      elder = { age = 71, status = { "dibao" }, agreement = false }, expect = true },
    { name = "lunch 400", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 400 } },
    { name = "breakfast 200", call = "meal", meal = { slot = "breakfast", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 200 } },
    { name = "dinner 300", call = "meal", meal = { slot = "dinner", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 300 } },
    { name = "dibao lunch 500", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = true, status = { dibao = true } }, expect = { county = 500 } },
    { name = "tekun dinner 300", call = "meal", meal = { slot = "dinner", day = "2024-03-05" },
      elder = { age = 80, agreement = true, status = { "tekun" } }, expect = { county = 300 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2024-03-05", nth_slot = 2 },
      elder = { age = 80, agreement = true }, expect = {}, reason = "同一餐次每天只补贴一次" },
    { name = "no agreement", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = false }, expect = {} },
    { name = "69 gets nothing", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 69, agreement = true }, expect = {} },
  },
}
