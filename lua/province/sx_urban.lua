--[[ sx_urban: Shanxi urban districts, community canteens (社区老年食堂),
version 1 (from 2024-01-01).  Used by zcgen's `province` scale on every
district (区) of every city.

ILLUSTRATIVE (province fixture, in no source).  The shape follows Taiyuan's
(lua/taiyuan.lua): the city and the district each pay a share, priority
groups (低保, 特困, 低收入) get most, then 80+, then 70-79; eating outside
one's own district forfeits the district's share.  Unlike Taiyuan the age
floor is 70, and a three-party agreement with the site is required.

eligible() is exactly: alive on the day and aged min_age (70) or more — the
fixture generator's oracle for not_eligible relies on this rule.
]]
local params = {
  min_age = 70,
  priority = { "dibao", "tekun", "low_income" },
  -- fen per lunch by group and payer; breakfast and dinner pay `share` of it
  amounts = {
    priority = { city = 400, district = 300 },
    age80    = { city = 300, district = 200 },
    age70    = { city = 200, district = 200 },
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
  effective_from = "2024-01-01",
  payers = { "city", "district" },
  description = "Shanxi urban community canteens, version 1: city + district shares (province fixture, illustrative)",
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
    local city, district = math.floor(a.city * k), math.floor(a.district * k)
    if site.county ~= elder.county then
      return { city = city }, why .. "，在户籍所在区以外就餐：只有市级补贴"
    end
    return { city = city, district = district }, why
  end,

  tests = {
    { name = "turns 70 today", call = "eligible", day = "2024-03-05",
      elder = { birth_date = "1954-03-05" }, expect = true, reason = "70 周岁以上" },
    { name = "69 the day before", call = "eligible", day = "2024-03-04",
      elder = { birth_date = "1954-03-05" }, expect = false, reason = "未满 70 周岁" },
    { name = "dead on died_on", call = "eligible", day = "2024-03-10",
      elder = { age = 85, died_on = "2024-03-10" }, expect = false },
    { name = "75 lunch at home district", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 75, agreement = true, county = "140105" }, site = { county = "140105" },
      expect = { city = 200, district = 200 }, reason = "70–79 周岁" },
    { name = "85 dinner: half", call = "subsidy", meal = { slot = "dinner", day = "2024-03-05" },
      elder = { age = 85, agreement = true, county = "140105" }, site = { county = "140105" },
      expect = { city = 150, district = 100 } },
    { name = "dibao breakfast: a quarter", call = "subsidy", meal = { slot = "breakfast", day = "2024-03-05" },
      elder = { age = 72, agreement = true, county = "140105", status = { dibao = true } },
      site = { county = "140105" }, expect = { city = 100, district = 75 } },
    { name = "low income in another district", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 72, agreement = true, county = "140105", status = { "low_income" } },
      site = { county = "140106" }, expect = { city = 400 } },
    { name = "second lunch", call = "meal", meal = { slot = "lunch", day = "2024-03-05", nth_slot = 2 },
      elder = { age = 80, agreement = true, county = "140105" }, site = { county = "140105" }, expect = {} },
    { name = "no agreement", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = false, county = "140105" }, site = { county = "140105" }, expect = {} },
    { name = "69 gets nothing", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 69, agreement = true, county = "140105" }, site = { county = "140105" }, expect = {} },
  },
}
