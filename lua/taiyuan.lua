--[[ 太原市 (Taiyuan, 140100) and its districts: community canteen meals.

Sources (/work/shared/FACTS.md; seed /work/shared/seeds/000_c2781c00eca2b50e.txt):
  * Taiyuan city: one-time construction grant of 1,400 yuan per m² (city 1,200
    + county/district 200) for at most 500 m²; operating subsidy of 30,000 to
    90,000 yuan a year by grade.                       -> params.construction,
                                                          params.operating_yuan
  * Shanxi province: 300 / 200 yuan a month for each fully / partly disabled
    elder actually living in a site's embedded beds.  -> params.bed_month_yuan,
    paid by the province (it is a provincial rule).
  * Priority groups of the national plan (民发〔2023〕58号): 低保 dibao,
    特困 tekun, 低收入 low_income; 优抚 veteran as in Guangzhou.
  * The per-meal shape follows Guangzhou (增城) and Jurong (FACTS.md, "Real
    subsidy rules elsewhere"): priority groups 60+ get most, then 80+, then
    60–79; city and district each fund a share, and eating in another
    district forfeits the district share.
ILLUSTRATIVE (in no source, kept in params): the per-meal amounts, the
grade-to-amount mapping inside 30,000–90,000, the 60+ age floor, and "one
subsidised meal per slot per day" (the platforms' common cap, FACTS.md "Caps").

site() items (fen is the item's total for the month, quantity its count):
  operating     payer city      grade g -> operating_yuan[g] * 100 // 12 a month
  bed_full      payer province  residents_full * 300 yuan, quantity = residents
  bed_semi      payer province  residents_semi * 200 yuan, quantity = residents
  construction  payer city      in the opening month only: whole m² (area
                + district      floored, at most 500) * 1,200 / 200 yuan
]]
local params = {
  min_age = 60,                                    -- ILLUSTRATIVE
  priority = { "dibao", "tekun", "low_income", "veteran" },
  -- ILLUSTRATIVE fen per meal, by group and payer (Guangzhou's shape)
  amounts = {
    priority = { city = 600, district = 500 },     -- 11 yuan in Guangzhou
    age80    = { city = 500, district = 400 },     --  9 yuan
    age60    = { city = 400, district = 300 },     --  7 yuan
  },
  operating_yuan = { 30000, 60000, 90000 },        -- grade 1..3; range from the source
  bed_month_yuan = { full = 300, semi = 200 },     -- Shanxi province
  construction = { city_yuan = 1200, district_yuan = 200, max_m2 = 500 },
}

-- reasons are in Chinese (the staff read them); the groups by name
local group_zh = { dibao = "低保", tekun = "特困", low_income = "低收入", veteran = "优抚对象" }

local function priority(elder)
  for _, word in ipairs(params.priority) do
    if elder.status[word] then return word end
  end
  return nil
end

local function open_in(site, month)
  local first = month .. "-01"
  return site.opened_on ~= nil and site.opened_on:sub(1, 7) <= month
     and (site.closed_on == nil or site.closed_on > first)
end

return {
  name = "taiyuan",
  effective_from = "2024-01-01",
  payers = { "city", "district", "province" },   -- meal shares, grants; beds by the province
  description = "Taiyuan community canteens: graded meal subsidy, operating, bed and construction grants",
  params = params,

  eligible = function(elder, day, service)
    if elder.died_on ~= nil and day >= elder.died_on then return false, "已去世" end
    if elder.age == nil or elder.age < params.min_age then
      return false, "未满 " .. params.min_age .. " 周岁"
    end
    return true, params.min_age .. " 周岁以上"
  end,

  meal = function(meal, elder, site)
    if meal.nth_slot > 1 then return nil, "同一餐次每天只补贴一次" end
    local group, why
    local p = priority(elder)
    if p then group, why = "priority", group_zh[p]
    elseif elder.age >= 80 then group, why = "age80", "80 周岁以上"
    else group, why = "age60", "60–79 周岁" end
    local a = params.amounts[group]
    if site.county ~= elder.county then
      return { city = a.city }, why .. "，在户籍所在区以外就餐：只有市级补贴"
    end
    return { city = a.city, district = a.district }, why
  end,

  site = function(site, month, stats)
    local items = {}
    if not open_in(site, month) then return items end
    -- params are checked (a missing key is an error): a grade outside 1..3
    -- gets no operating subsidy, said here rather than by a failed lookup
    local g = site.grade
    if g ~= nil and g >= 1 and g <= #params.operating_yuan then
      local yearly = params.operating_yuan[g]
      items[#items + 1] = { item = "operating", payer = "city", fen = yearly * 100 // 12 }
    end
    if stats.residents_full > 0 then
      items[#items + 1] = { item = "bed_full", payer = "province", quantity = stats.residents_full,
                            fen = stats.residents_full * params.bed_month_yuan.full * 100 }
    end
    if stats.residents_semi > 0 then
      items[#items + 1] = { item = "bed_semi", payer = "province", quantity = stats.residents_semi,
                            fen = stats.residents_semi * params.bed_month_yuan.semi * 100 }
    end
    if site.area_m2 ~= nil and site.opened_on:sub(1, 7) == month then
      local m2 = math.min(math.floor(site.area_m2), params.construction.max_m2)
      local c = params.construction
      items[#items + 1] = { item = "construction", payer = "city", quantity = m2,
                            fen = m2 * c.city_yuan * 100 }
      items[#items + 1] = { item = "construction", payer = "district", quantity = m2,
                            fen = m2 * c.district_yuan * 100 }
    end
    return items
  end,

  tests = {
    { name = "59 not eligible", call = "eligible", day = "2024-03-05", elder = { age = 59 },
      expect = false },
    { name = "60 eligible", call = "eligible", day = "2024-03-05", elder = { age = 60 },
      expect = true },
    -- 60-79 at home district: 400 + 300
    { name = "65 lunch in own district", call = "subsidy",
      meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 65, county = "140105" }, site = { county = "140105" },
      expect = { city = 400, district = 300 }, reason = "60–79 周岁" },
    -- 80+: 500 + 400
    { name = "85 dinner", call = "subsidy", meal = { slot = "dinner", day = "2024-03-05" },
      elder = { age = 85, county = "140106" }, site = { county = "140106" },
      expect = { city = 500, district = 400 } },
    -- priority beats age: dibao 85 -> 600 + 500
    { name = "dibao 85", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 85, county = "140106", status = { dibao = true } },
      site = { county = "140106" }, expect = { city = 600, district = 500 }, reason = "低保" },
    -- eating in another district: the district share is dropped
    { name = "veteran in another district", call = "subsidy",
      meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 70, county = "140105", status = { "veteran" } },
      site = { county = "140109" }, expect = { city = 600 } },
    { name = "repeat lunch", call = "meal", meal = { slot = "lunch", day = "2024-03-05", nth_slot = 2 },
      elder = { age = 70, county = "140105" }, site = { county = "140105" }, expect = {} },
    -- site(): grade 2, 60,000 yuan a year -> 6,000,000 fen // 12 = 500,000 a month;
    -- 3 fully disabled residents * 30,000 fen = 90,000; 1 partly * 20,000 = 20,000
    { name = "grade 2 with beds", call = "site", month = "2024-05",
      site = { grade = 2, opened_on = "2023-01-10", area_m2 = 300 },
      stats = { residents_full = 3, residents_semi = 1 },
      expect = { { item = "operating", payer = "city", fen = 500000 },
                 { item = "bed_full", payer = "province", fen = 90000, quantity = 3 },
                 { item = "bed_semi", payer = "province", fen = 20000, quantity = 1 } } },
    -- opening month: 612.5 m² floored to 612, capped to 500:
    -- city 500 * 120,000 = 60,000,000; district 500 * 20,000 = 10,000,000;
    -- grade 1: 3,000,000 // 12 = 250,000
    { name = "opening month construction", call = "site", month = "2024-05",
      site = { grade = 1, opened_on = "2024-05-20", area_m2 = 612.5 },
      expect = { { item = "operating", payer = "city", fen = 250000 },
                 { item = "construction", payer = "city", fen = 60000000, quantity = 500 },
                 { item = "construction", payer = "district", fen = 10000000, quantity = 500 } } },
    -- 180.9 m² -> 180: city 21,600,000, district 3,600,000; no grade -> no operating
    { name = "small site, no grade", call = "site", month = "2024-06",
      site = { opened_on = "2024-06-01", area_m2 = 180.9 },
      expect = { { item = "construction", payer = "city", fen = 21600000, quantity = 180 },
                 { item = "construction", payer = "district", fen = 3600000, quantity = 180 } } },
    { name = "closed before the month", call = "site", month = "2024-06",
      site = { grade = 3, opened_on = "2023-01-01", closed_on = "2024-06-01" }, expect = {} },
  },
}
