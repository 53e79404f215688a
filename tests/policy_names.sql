-- What rules return is checked strictly (issue #12, findings 4, 5, 6):
--  * payer and item names: 1 to 64 bytes of valid UTF-8 without control
--    characters (a NUL used to split "county\0a" into a second 'county'
--    part and JSON key; invalid UTF-8 was stored as it came); 'elder' is the
--    co-payment's payer and 'meal' the item of settlement's meal rows; at
--    most 256 different names per version;
--  * amounts: whole fen from 0 to 10,000,000,000 (100 million yuan) per part
--    or item (9.1e18 fen made settle store a negative total); -1 is shown
--    as -1, not -1.0;
--  * reasons: at most 256 bytes of UTF-8 text without NUL;
--  * an error message echoing a value shows at most ~60 bytes of it, and no
--    message carries invalid UTF-8 (the rule's own error text is cut to
--    240 bytes, bad bytes shown as '?').
-- Each case names the policy, the function and the value.
.mode list
SELECT policy_install('local bad = {
  nul = { ["county\0a"] = 100, county = 100 },
  utf8 = { ["\xff\xfe"] = 100 },
  ctrl = { ["city\tcounty"] = 100 },
  long = { [string.rep("p", 65)] = 100 },
  long_zh = { [string.rep("县", 22)] = 100 },
  empty = { [""] = 100 },
  elder = { elder = 100 },
  number = { [1] = 100 },
  neg = { county = -1 },
  negf = { county = -2.0 },
  frac = { county = 500.5 },
  huge = { county = 9.1e18 },
  above = { county = 10000000001 },
  ceiling = { county = 10000000000, city = 10000000000.0 },
  okf = { county = 500.0 },
  many_bad = { p17 = 0.5, p03 = 0.5, p22 = 0.5, p00 = 0.5, p11 = 0.5, p05 = 0.5, p19 = 0.5, p08 = 0.5,
               p14 = 0.5, p01 = 0.5, p20 = 0.5, p09 = 0.5, p13 = 0.5, p06 = 0.5, p23 = 0.5, p02 = 0.5,
               p16 = 0.5, p10 = 0.5, p21 = 0.5, p04 = 0.5, p12 = 0.5, p18 = 0.5, p07 = 0.5, p15 = 0.5 },
  mixed_bad = { zz = 0.5, [7] = 1, b = -1, county = 100, elder = 5 },
  many_zero = (function() local t = { county = 100 } for i = 1, 3000 do t["z" .. i] = 0 end return t end)(),
}
-- payers: city, county and p00..p23 (many_bad)
local payers = { "city", "county" }
for i = 0, 23 do payers[#payers + 1] = string.format("p%02d", i) end
return { name = "names", effective_from = "2024-03-01", payers = payers,
  eligible = function(e) return true, "ok" end,
  meal = function(m, e, s)
    local d = m.device
    if d == "reason_long" then return { county = 1 }, string.rep("r", 257) end
    if d == "reason_256" then return { county = 1 }, string.rep("理", 85) .. "r" end
    if d == "reason_utf8" then return { county = 1 }, "bad \xc3\x28 reason" end
    if d == "reason_nul" then return { county = 1 }, "a\0b" end
    if d == "err_long" then error(string.rep("错", 200)) end
    if d == "err_utf8" then error("bad \xff\xfe byte\r\nand a line") end
    if d == "err_value" then local t = {} t[string.rep("k", 3000)] = 1 local x = t.nope.deeper end
    return bad[d], d
  end,
  site = function(s, month, stats)
    local d = s.name
    if d == "meal" then return { { item = "meal", payer = "county", fen = 100 } } end
    if d == "utf8" then return { { item = "op\xe2\x82", payer = "county", fen = 100 } } end
    if d == "payer" then return { { item = "op", payer = "a\0b", fen = 100 } } end
    if d == "qty" then return { { item = "op", payer = "county", fen = 100, quantity = 1e11 } } end
    if d == "many" then local t = {} for i = 1, 1025 do t[i] = { item = "op", payer = "county", fen = 1 } end return t end
    return { { item = "运营补贴", payer = "county", fen = 10000000000, quantity = 3 } }
  end,
  tests = (function()
    local t = {}
    local function meal(name, device, expect, err)
      t[#t + 1] = { name = name, call = "meal", meal = { slot = "lunch", day = "2024-03-05", device = device },
                    expect = expect, error = err }
    end
    meal("NUL in a payer", "nul", nil, "meal() returned x''636f756e74790061'' as a payer name")
    meal("invalid UTF-8 payer", "utf8", nil, "returned x''fffe'' as a payer name")
    meal("control character", "ctrl", nil, "returned x''63697479")
    meal("65 bytes", "long", nil, "as a payer name; expected 1 to 64 bytes")
    meal("66 bytes of Chinese", "long_zh", nil, "as a payer name; expected 1 to 64 bytes")
    meal("empty payer", "empty", nil, "returned '''' as a payer name")
    meal("elder", "elder", nil, "returned payer ''elder'', which is reserved for the co-payment")
    meal("a number as payer", "number", nil, "returned 1 as a payer name")
    meal("-1 shown as -1", "neg", nil, "meal() returned -1 as the amount of ''county''; expected 0 or more fen")
    meal("-2.0", "negf", nil, "meal() returned -2.0 as the amount")
    meal("500.5", "frac", nil, "meal() returned 500.5 as the amount of ''county''; amounts must be whole fen")
    meal("9.1e18", "huge", nil, "meal() returned 9.1e+18 as the amount of ''county''; the most a part or item may be is 10000000000")
    meal("ceiling + 1", "above", nil, "returned 10000000001 as the amount")
    meal("at the ceiling", "ceiling", { county = 10000000000, city = 10000000000 })
    meal("500.0 is 500", "okf", { county = 500 })
    -- several bad parts: the first in key order is named, on every connection
    -- (fuzz/crashes/policy/bad-parts-error-order.lua)
    meal("24 bad parts", "many_bad", nil, "meal() returned 0.5 as the amount of ''p00''")
    meal("bad parts of all kinds", "mixed_bad", nil, "meal() returned 7 as a payer name")
    -- parts of 0 fen are checked too: an undeclared payer is named even at 0
    meal("3000 parts of 0 fen", "many_zero", nil, "returned a part for payer ''z1'', which the policy does not declare")
    meal("reason of 257 bytes", "reason_long", nil, "returned a reason of 257 bytes")
    meal("reason of 256 bytes", "reason_256", { county = 1 })
    meal("reason not UTF-8", "reason_utf8", nil, "returned the reason x''")
    meal("reason with NUL", "reason_nul", nil, "a reason must be UTF-8 text without NUL bytes")
    meal("long error", "err_long", nil, "错错错...")
    meal("bad bytes in error", "err_utf8", nil, "bad ?? byte?\nand a line")
    meal("long field name", "err_value", nil, "attempt to index a nil value")
    local function site(name, sname, expect, err)
      t[#t + 1] = { name = name, call = "site", month = "2024-03", site = { name = sname }, expect = expect, error = err }
    end
    site("item meal", "meal", nil, "site() returned item ''meal'', which is reserved for the meal rows of settlement")
    site("item not UTF-8", "utf8", nil, "returned x''6f70e282'' as an item name")
    site("payer with NUL", "payer", nil, "returned x''610062'' as a payer name")
    site("quantity above the ceiling", "qty", nil, "returned 100000000000.0 as the quantity of ''op''")
    site("1025 items", "many", nil, "site() returned 1025 items; at most 1024 are allowed")
    site("ceiling", "ok", { { item = "运营补贴", payer = "county", fen = 10000000000, quantity = 3 } })
    return t
  end)() }') > 0;
SELECT policy_test('names');
-- the messages themselves, as SQL shows them: cut, valid UTF-8 (a version
-- of the small fixture's county policy)
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "city", "county" },
  eligible = function(e, day, service)
    if service == "long" then error(string.rep("错", 200)) end
    if service == "bytes" then error("bad \xff\xfe byte") end
    if service == "key" then local P = {} return P.' || replace(hex(zeroblob(2500)), '00', 'k') || '.y end
    if service == "value" then return { county = 1 } end
    return true, string.rep("x", 300)
  end,
  meal = function() return {} end }', 'fixture of tests/policy_names.sql') > 0;
SELECT eligible(1, '2024-03-05', 'bytes');
SELECT eligible(1, '2024-03-05', 'long');
SELECT eligible(1, '2024-03-05', 'key');
SELECT eligible(1, '2024-03-05', 'value');
SELECT eligible(1, '2024-03-05', 'reason');
-- 256 different payer and item names per version, no more (payers are
-- declared, at most 64: item names, free, reach the limit; "county" is one)
SELECT policy_install('return { name = "words", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true, "ok" end,
  meal = function(m) return {} end,
  site = function(s) return { { item = "i" .. s.id, payer = "county", fen = 1 } } end,
  tests = (function()
    local t = {}
    for i = 1, 260 do
      t[i] = { name = "i" .. i, call = "site", month = "2024-03", site = { id = i },
               expect = i <= 255 and { { item = "i" .. i, payer = "county", fen = 1 } } or nil,
               error = i > 255 and "used more than 256 different payer and item names" or nil }
    end
    return t
  end)() }') > 0;
SELECT policy_test('words');
-- through SQL: a county policy returning "county\0a" makes subsidy_for fail,
-- naming the policy, the function and the value
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "city", "county" },
  eligible = function(e) return true, "ok" end,
  meal = function(m) return { county = 100, ["county\0a"] = 100 }, "split" end }', 'fixture of tests/policy_names.sql') > 0;
SELECT subsidy_for(262);
SELECT count(*) FROM settlement('141129', '2024-03');
