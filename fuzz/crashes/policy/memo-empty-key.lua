-- The first call of a fresh connection is a meal() that reads no fact: the
-- memo key is empty and its buffer was never
-- allocated, so zc_hash_bytes memcpy()s from NULL (UB even for 0 bytes).
return { name = "flat", effective_from = "2025-01-01", payers = { "county" },
  eligible = function() return true, "all" end,
  meal = function() return { county = 450 }, "flat" end,
  tests = { { name = "t", call = "meal", meal = { day = "2025-01-02" }, expect = { county = 450 } } } }
