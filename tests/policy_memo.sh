#!/bin/bash
# The memo is exact: 3,000 generated cases through taiyuan's rules give the
# same results with the memo on and off (ZHUCAN_NO_MEMO=1).  Every case
# expects {} so policy_install, which runs a version's cases before it
# installs it, refuses it listing each actual result; the two listings must
# be identical.  The cases vary every fact the rules read (age, status words,
# county of elder and site, nth_slot, slot) plus facts they do not read.
# modes: plain asan valgrind
set -e
cases=3000
[ "${ZC_MODE:-plain}" = valgrind ] && cases=600
rules=$(sed -n '/^local params/,/^  site = function/p' "$ZC_ROOT/lua/taiyuan.lua" | sed '$d')
cat > memo.sql <<SQL
.mode list
SELECT policy_install('$(printf '%s\n' "$rules" | sed "s/'/''/g")
  tests = (function()
    local cases, x = {}, 12345
    local function rnd(n) x = (x * 1103515245 + 12345) % 2147483648 return x % n end
    local words = { "dibao", "tekun", "low_income", "veteran", "lives_alone", "hospitalized" }
    local counties = { "140105", "140106", "140109" }
    local slots = { "breakfast", "lunch", "dinner" }
    for i = 1, $cases do
      local st = {}
      for _, w in ipairs(words) do if rnd(5) == 0 then st[#st + 1] = w end end
      cases[i] = { name = "c" .. i, call = "subsidy", expect = {},
        meal = { slot = slots[rnd(3) + 1], day = "2024-03-" .. string.format("%02d", rnd(28) + 1),
                 nth_slot = rnd(4) == 0 and 2 or 1, price_fen = 1000 + rnd(500), id = i },
        elder = { age = 55 + rnd(45), status = st, county = counties[rnd(3) + 1], id = rnd(100) },
        site = { county = counties[rnd(3) + 1], id = rnd(10) } }
    end
    return cases
  end)(),
}') > 0;
SQL
cp "$ZC_SMALL_DB" a.db; cp "$ZC_SMALL_DB" b.db
$SQLITE3 -batch -cmd ".load $ZC_SO" a.db < memo.sql > on.out 2>&1 || true
ZHUCAN_NO_MEMO=1 $SQLITE3 -batch -cmd ".load $ZC_SO" b.db < memo.sql > off.out 2>&1 || true
n=$(grep -c "case [0-9]* 'c" on.out || true)
[ "$n" -gt $((cases / 3)) ] && [ "$n" -lt "$cases" ] || { echo "expected between $((cases / 3)) and $cases listed results, got $n"; head -5 on.out; exit 1; }
# every kind of result: nothing (passing cases, not listed), city only, city + district
grep -q "got {city=[0-9]*}" on.out && grep -q "got {city=[0-9]*, district=" on.out \
  || { echo "the generated cases do not cover every kind of result"; exit 1; }
cmp on.out off.out || { diff on.out off.out | head; exit 1; }
echo "memo on/off identical over $n listed results"
