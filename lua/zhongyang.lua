--[[ 中阳县 (Zhongyang County, 141129): 千万养怡助老 meal assistance.

Source: Zhongyang County civil-affairs notice 中民发〔2024〕3号
(/work/shared/seeds/003_0e689ddd5fdcd49f.txt; digest in /work/shared/FACTS.md,
"Zhongyang"):
  * the courtyards (好邻居助老小院) serve elders aged 70+  -> params.min_age
  * every diner signs a three-party meal agreement (village, elder, guardian)
  * from March 2024 subsidies are paid on the county platform's data
    -> effective_from = 2024-03-01
  * a natural village with more than 10 elders aged 70+ must open a courtyard
    -> params.coverage_min_age, params.coverage_min_elders (coverage_gaps)
The notice gives no amounts: the per-meal amounts are ILLUSTRATIVE, kept in
params.amounts.  "One subsidised meal per slot per day" is the platforms'
common cap (FACTS.md, "Caps"), also illustrative here.

eligible() is exactly: alive on the day and aged min_age or more (the
fixture generator relies on this rule).

Reasons are in Chinese: the county's staff read them (subsidy_explain,
anomaly_scan's not_eligible details).
]]
local params = {
  min_age = 70,                 -- notice: 70周岁以上
  coverage_min_age = 70,        -- notice: 70岁以上老人超过10人的自然村
  coverage_min_elders = 10,
  amounts = {                   -- ILLUSTRATIVE, fen per meal, paid by the county
    breakfast = 200,
    lunch = 500,
    dinner = 300,
  },
}
local slot_zh = { breakfast = "早餐", lunch = "午餐", dinner = "晚餐" }

return {
  name = "zhongyang",
  effective_from = "2024-03-01",
  payers = { "county" },                 -- the county pays every meal (the notice names no other payer)
  description = "Zhongyang County 千万养怡助老 courtyard meals (中民发〔2024〕3号)",
  params = params,

  eligible = function(elder, day, service)
    if elder.died_on ~= nil and day >= elder.died_on then
      return false, "已于 " .. elder.died_on .. " 去世"
    end
    local age = elder.age
    if age == nil then return false, "年龄不详" end
    if age < params.min_age then return false, "未满 " .. params.min_age .. " 周岁" end
    return true, params.min_age .. " 周岁以上"
  end,

  meal = function(meal, elder, site)
    if meal.nth_slot > 1 then
      return nil, "同一餐次每天只补贴一次"
    end
    if not elder.agreement then
      return nil, "未与本助餐点签订三方助餐协议"
    end
    return { county = params.amounts[meal.slot] }, "助老小院" .. slot_zh[meal.slot]
  end,

  -- no site(): the notice sets no operating subsidy for courtyards

  tests = {
    -- eligible: 70 on the day (born 1954-03-05, day 2024-03-05) -> true
    { name = "turns 70 today", call = "eligible", day = "2024-03-05",
      elder = { birth_date = "1954-03-05" }, expect = true, reason = "70 周岁以上" },
    -- 69 the day before the birthday -> false
    { name = "69 the day before", call = "eligible", day = "2024-03-04",
      elder = { birth_date = "1954-03-05" }, expect = false, reason = "未满 70 周岁" },
    -- dead from died_on itself
    { name = "dead on died_on", call = "eligible", day = "2024-04-01",
      elder = { age = 85, died_on = "2024-04-01" }, expect = false },
    { name = "alive the day before died_on", call = "eligible", day = "2024-03-31",
      elder = { age = 85, died_on = "2024-04-01" }, expect = true },
    -- nothing else matters: dibao, no agreement, any service
    { name = "statuses do not matter", call = "eligible", day = "2024-03-05",
      service = "laundry", elder = { age = 71, status = { "dibao" }, agreement = false },
      expect = true },
    -- meal amounts: params.amounts (illustrative)
    { name = "lunch 500", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 500 } },
    { name = "breakfast 200", call = "meal", meal = { slot = "breakfast", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 200 } },
    { name = "dinner 300", call = "meal", meal = { slot = "dinner", day = "2024-03-05" },
      elder = { age = 80, agreement = true }, expect = { county = 300 } },
    { name = "second lunch the same day", call = "meal",
      meal = { slot = "lunch", day = "2024-03-05", nth_slot = 2 },
      elder = { age = 80, agreement = true }, expect = {},
      reason = "同一餐次每天只补贴一次" },
    { name = "no agreement", call = "meal", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 80, agreement = false }, expect = {},
      reason = "未与本助餐点签订三方助餐协议" },
    -- the whole path: eligible then meal
    { name = "69 gets nothing", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 69, agreement = true }, expect = {} },
    { name = "75 lunch", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 75, agreement = true }, expect = { county = 500 } },
  },
}
