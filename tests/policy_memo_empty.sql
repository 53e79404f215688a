-- The first call of a fresh connection is a meal() that reads no fact: its
-- memo key is empty.  The key buffer did not exist yet, and hashing,
-- storing and comparing the key passed NULL to memcpy/memcmp (undefined
-- even for 0 bytes; UBSan stops the asan run).  fuzz/crashes/policy/
-- memo-empty-key.lua.  The second case hits the memo entry of the first.
.mode list
SELECT policy_install('return { name = "flat", effective_from = "2025-01-01", payers = { "county" },
  eligible = function() return true, "all" end,
  meal = function() return { county = 450 }, "flat" end,
  tests = { { name = "t", call = "meal", meal = { day = "2025-01-02" }, expect = { county = 450 } },
            { name = "again", call = "meal", meal = { day = "2025-01-03" }, expect = { county = 450 }, reason = "flat" } } }');
SELECT policy_test('flat');
