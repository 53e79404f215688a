--[[ sx_urban: Shanxi urban districts, community canteens, version 2 (from
2024-03-16, the middle of the province fixture's month).

ILLUSTRATIVE (province fixture, in no source).  What changes from version 1
(sx_urban.lua): every lunch amount rises by 100 fen of the city's (priority
500 + 300, 80+ 400 + 200, 70-79 300 + 200), and an elder eating outside
their own district keeps the district's share (districts settle it among
themselves).  Eligibility is unchanged: alive and aged 70 or more (the
fixture generator relies on it).
]]
local params = {
  min_age = 70,
  priority = { "dibao", "tekun", "low_income" },
  amounts = {
    priority = { city = 500, district = 300 },
    age80    = { city = 400, district = 200 },
    age70    = { city = 300, district = 200 },
  },
  share = { breakfast = 0.25, lunch = 1, dinner = 0.5 },
}
local group_zh = { dibao = "低保", tekun = "特困", low_income = "低收入" }

local function group(elder)
  for _, word in ipairs(params.priority) do
    if elder.status[word] then return "priority", group_zh[word] end
  end
  if elder.age >= 80 then return "age80", "80 周岁以上" end
  return "age70", "70–79 周岁"
end

return {
  name = "sx_urban",
  effective_from = "2024-03-16",
  payers = { "city", "district" },
  description = "Shanxi urban community canteens, version 2: higher city share, district share everywhere (illustrative)",
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
    local g, why = group(elder)
    local a, k = params.amounts[g], params.share[meal.slot]
    return { city = math.floor(a.city * k), district = math.floor(a.district * k) }, why
  end,

  tests = {
    { name = "turns 70 today", call = "eligible", day = "2024-03-20",
      elder = { birth_date = "1954-03-20" }, expect = true, reason = "70 周岁以上" },
    { name = "69 the day before", call = "eligible", day = "2024-03-19",
      elder = { birth_date = "1954-03-20" }, expect = false },
    { name = "75 lunch", call = "subsidy", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 75, agreement = true, county = "140105" }, site = { county = "140105" },
      expect = { city = 300, district = 200 } },
    { name = "85 dinner: half", call = "subsidy", meal = { slot = "dinner", day = "2024-03-20" },
      elder = { age = 85, agreement = true, county = "140105" }, site = { county = "140105" },
      expect = { city = 200, district = 100 } },
    { name = "tekun breakfast: a quarter", call = "subsidy", meal = { slot = "breakfast", day = "2024-03-20" },
      elder = { age = 90, agreement = true, county = "140105", status = { tekun = true } },
      site = { county = "140105" }, expect = { city = 125, district = 75 } },
    { name = "another district keeps both shares", call = "subsidy",
      meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 72, agreement = true, county = "140105" }, site = { county = "140106" },
      expect = { city = 300, district = 200 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2024-03-20", nth_slot = 2 },
      elder = { age = 80, agreement = true, county = "140105" }, site = { county = "140105" }, expect = {} },
    { name = "no agreement", call = "meal", meal = { slot = "lunch", day = "2024-03-20" },
      elder = { age = 80, agreement = false, county = "140105" }, site = { county = "140105" }, expect = {} },
  },
}
