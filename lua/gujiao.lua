--[[ 古交市 (Gujiao, 140181, a county-level city under Taiyuan): rural
day-care centres (农村老年人日间照料中心).

Source (/work/shared/FACTS.md "Gujiao"; seed /work/shared/seeds/000_c2781c00eca2b50e.txt):
61 rural day-care centres, 49 serve meals (3 serve three meals, 20 two,
26 one); at least 50,000 yuan operating subsidy per centre per year.
  -> params.operating_min_yuan, graded by the number of meal slots served.
ILLUSTRATIVE (in no source, kept in params): the increment per extra slot,
the per-meal amount, the 60+ age floor, one subsidised meal per slot per
day.  Gujiao pays at county level (a 县级市), so the payer is "county".

Operating subsidy (site kind 'daycare', open during the month):
  yearly = operating_min_yuan + (slots served - 1) * per_extra_slot_yuan
  monthly = yearly * 100 // 12 fen, and December adds the remainder
  (yearly * 100 - 11 * monthly), so a full year pays exactly the yearly
  amount and never less than the 50,000 yuan minimum.
  e.g. 1 slot: 5,000,000 fen // 12 = 416,666 a month; December 416,674.
]]
local params = {
  min_age = 60,                       -- ILLUSTRATIVE
  meal_fen = 300,                     -- ILLUSTRATIVE, per subsidised meal
  operating_min_yuan = 50000,         -- source: at least 50,000 yuan a year
  per_extra_slot_yuan = 10000,        -- ILLUSTRATIVE
}

local function nslots(site)
  local n = 0
  for _ in pairs(site.slots) do n = n + 1 end
  return n
end

return {
  name = "gujiao",
  effective_from = "2024-01-01",
  payers = { "county" },                 -- a county-level city: it pays alone
  description = "Gujiao rural day-care centres: operating subsidy by slots served, per-meal subsidy",
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
    return { county = params.meal_fen }, "日间照料中心助餐"
  end,

  site = function(site, month, stats)
    if site.kind ~= "daycare" then return {} end
    if site.opened_on == nil or site.opened_on:sub(1, 7) > month
       or (site.closed_on ~= nil and site.closed_on <= month .. "-01") then
      return {}
    end
    local n = math.max(nslots(site), 1)
    local yearly = (params.operating_min_yuan + (n - 1) * params.per_extra_slot_yuan) * 100
    local monthly = yearly // 12
    if month:sub(6, 7) == "12" then monthly = yearly - 11 * monthly end
    return { { item = "operating", payer = "county", fen = monthly } }
  end,

  tests = {
    { name = "60 eligible", call = "eligible", day = "2024-03-05", elder = { age = 60 },
      expect = true },
    { name = "dead", call = "eligible", day = "2024-03-05",
      elder = { age = 80, died_on = "2024-03-01" }, expect = false },
    { name = "lunch 300", call = "subsidy", meal = { slot = "lunch", day = "2024-03-05" },
      elder = { age = 66 }, expect = { county = 300 } },
    { name = "second breakfast", call = "subsidy",
      meal = { slot = "breakfast", day = "2024-03-05", nth_slot = 2 }, elder = { age = 66 },
      expect = {} },
    -- one slot: 50,000 yuan = 5,000,000 fen; // 12 = 416,666 (12 * 416,666 = 4,999,992)
    { name = "one slot, March", call = "site", month = "2024-03",
      site = { kind = "daycare", opened_on = "2020-01-01", slots = { "lunch" } },
      expect = { { item = "operating", payer = "county", fen = 416666 } } },
    -- December: 5,000,000 - 11 * 416,666 = 416,674; the year sums to 5,000,000
    { name = "one slot, December", call = "site", month = "2024-12",
      site = { kind = "daycare", opened_on = "2020-01-01", slots = { "lunch" } },
      expect = { { item = "operating", payer = "county", fen = 416674 } } },
    -- three slots: 70,000 yuan = 7,000,000 fen; // 12 = 583,333
    { name = "three slots", call = "site", month = "2024-03",
      site = { kind = "daycare", opened_on = "2020-01-01",
               slots = { "breakfast", "lunch", "dinner" } },
      expect = { { item = "operating", payer = "county", fen = 583333 } } },
    { name = "a canteen gets no day-care subsidy", call = "site", month = "2024-03",
      site = { kind = "canteen", opened_on = "2020-01-01" }, expect = {} },
  },
}
