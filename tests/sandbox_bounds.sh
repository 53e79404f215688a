#!/bin/bash
# The budget bounds every policy call's work, whatever library call or VM
# trick does it (issue #12, finding 2).  Each attack below did its work
# inside C calls the instruction count never saw, or in instructions that
# each did a lot: before the fix each one ran for minutes (or for ever).
# Now each must end within a few seconds with the sandbox's error (budget,
# string or stack limit) -- never a hang, never a crash -- and the same
# connection must answer a normal call right after.
#
# Each attack is eligible() of a policy 'zhongyang' (the small fixture's
# county uses it) on a service word; a run is one sqlite3 process under
# `timeout`.  Also: a params table that is a DAG repeated 60 times (its
# JSON would be 2^60 copies; install hung with ~1 GB), and the tests of a
# version over 20,000 cases that each use their whole budget (~1,000 s
# before in policy_test: now the cases of a version have a total budget,
# in policy_test and in policy_install, which runs them before installing).
# modes: plain asan
set -u
SQ=${SQLITE3:-sqlite3}
TMO=${ZC_BOUNDS_TIMEOUT:-60}
LIMIT=5; [ "${ZC_MODE:-plain}" = asan ] && LIMIT=20
fail=0

# attack NAME 'body of eligible (service = NAME)' 'text the error must contain'
attack_src=""
attack() {
  attack_src="$attack_src
    if service == \"$1\" then
$2
    end"
  names="${names:-} $1"
  eval "want_$1=\$3"
}

attack rep_empty 'return #string.rep("", math.maxinteger) == 0, "x"' 'budget'
attack rep_big 'return #string.rep("x", 1e9) > 0, "x"' 'string longer'
attack rep_pcall 'for i = 1, 1e7 do pcall(string.rep, "x", 1e9) end return true, "x"' 'string longer'
attack move 'table.move({}, 1, math.maxinteger - 1, 2) return true, "x"' 'budget'
attack insert 'local t = {} for i = 1, 200000 do t[i] = i end
      for i = 1, 1e6 do table.insert(t, 1, i) end return true, "x"' 'budget'
attack remove 'local t = {} for i = 1, 200000 do t[i] = i end
      for i = 1, 1e6 do table.remove(t, 1) table.insert(t, i) end return true, "x"' 'budget'
attack concat 'local t = {} for i = 1, 100000 do t[i] = "x" end
      for i = 1, 1e6 do local s = table.concat(t, "", 1, 4000) end return true, "x"' 'budget'
attack concat_big 'local s = string.rep("x", 3000) local t = { s, s, s }
      return #table.concat(t) > 0, "x"' 'string longer'
attack format 'local s = string.rep("x", 2000)
      for i = 1, 1e7 do local r = string.format("%s%s", s, s) end return true, "x"' 'budget'
attack find 'local s = string.rep("a", 4000) local p = string.rep("a", 2000) .. "b"
      for i = 1, 1e7 do local r = s:find(p, 1, true) end return true, "x"' 'budget'
attack tostring 'local s = string.rep("x", 4000)
      for i = 1, 1e7 do local r = tostring(s) .. "" end return true, "x"' 'budget'
attack byte 'local s = string.rep("x", 4000)
      for i = 1, 1e7 do local r = select("#", s:byte(1, -1)) end return true, "x"' 'budget'
attack sort 'local t = {} for i = 1, 200000 do t[i] = i % 7 end
      for i = 1, 1000 do table.sort(t, rawequal) end return true, "x"' 'budget'
attack sort_lua 'local t = {} for i = 1, 3000 do t[i] = i end
      for i = 1, 1000 do table.sort(t, function(a, b) return (a * 7919) % 3001 < (b * 7919) % 3001 end) end
      return true, "x"' 'budget'
attack xpcall 'xpcall(function() while true do end end, function() while true do end end) return true, "x"' 'budget'
attack utf8 'local s = string.rep("\u{4e2d}", 1300)
      for i = 1, 1e7 do local n = utf8.len(s) + utf8.offset(s, -1) end return true, "x"' 'budget'
attack varargs 'local function f(n, ...) if n == 0 then return select("#", ...) end return f(n - 1, n, ...) end
      return f(400000) > 0, "x"' 'budget'
attack unpack 'local t = {} for i = 1, 10000 do t[i] = i end
      local function g(...) return select("#", ...) end
      for i = 1, 1e6 do g(table.unpack(t)) end return true, "x"' 'budget'
attack rehash 'local t = {} for i = 1, 1000000 do t[i] = i end
      t.a = 1
      for i = 1, 1e6 do t["k" .. (i % 2)] = nil t["k" .. ((i + 1) % 2)] = 1 end return true, "x"' 'budget'
attack compare 'local a = string.rep("x", 1e6) .. "a" local b = string.rep("x", 1e6) .. "a"
      for i = 1, 1e7 do local r = a < b end return true, "x"' 'string longer'
attack concat_op 'local s = string.rep("x", 4000)
      for i = 1, 1e7 do local r = s .. "y" end return true, "x"' 'budget'
attack concat_long 'local s = string.rep("x", 4000) return #(s .. s) > 0, "x"' 'string longer'
attack deep 'local function f(n) return f(n + 1) + 1 end return f(1) > 0, "x"' 'overflowed the stack'
attack pairs_big 'local t = {} for i = 1, 100000 do t["k" .. i] = i end
      for i = 1, 1e6 do for k in pairs(t) do break end end return true, "x"' 'budget'
attack next_big 'local t = {} for i = 1, 100000 do t["k" .. i] = i end
      for i = 1, 1e6 do local k = next(t) end return true, "x"' 'budget'
attack tonumber 'local s = string.rep(" ", 4000) .. "1"
      for i = 1, 1e7 do local n = tonumber(s) end return true, "x"' 'budget'

cat > bounds.lua <<LUA
return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
$attack_src
    return true, "normal"
  end,
  meal = function() return { county = 100 }, "flat" end }
LUA
cp test.db bounds.db
$SQ bounds.db "SELECT 1" >/dev/null
printf ".load %s\nSELECT policy_load('bounds.lua', 'attacks: tests/sandbox_bounds.sh calls each');\n" "$ZC_SO" | $SQ -batch bounds.db > load.out 2>&1
grep -qx '[0-9]*' load.out || { echo "FAIL: the attack policy does not load:"; cat load.out; exit 1; }

elapsed() { echo "$(date +%s%N) $1" | awk '{ printf "%.2f", ($1 - $2) / 1e9 }'; }

for n in $names; do
  eval "want=\$want_$n"
  t0=$(date +%s%N)
  out=$(printf ".load %s\nSELECT eligible(1, '2024-03-05', '%s');\nSELECT 'after', eligible(1, '2024-03-05', 'normal');\n" \
        "$ZC_SO" "$n" | timeout $TMO $SQ -batch bounds.db 2>&1)
  rc=$?
  s=$(elapsed "$t0")
  first=$(echo "$out" | head -n 1 | cut -c1-160)
  if [ $rc -eq 124 ]; then
    echo "FAIL $n: still running after $TMO s"; fail=1
  elif ! echo "$out" | head -n 1 | grep -q "$want"; then
    echo "FAIL $n (${s}s): expected an error with '$want', got: $first"; fail=1
  elif ! echo "$out" | grep -qx 'after|1'; then
    echo "FAIL $n: the next call failed: $(echo "$out" | tail -n 1)"; fail=1
  elif awk -v s="$s" -v l="$LIMIT" 'BEGIN { exit !(s > l) }'; then
    echo "FAIL $n: took ${s}s (at most ${LIMIT}s)"; fail=1
  else
    echo "ok   $n (${s}s): $first"
  fi
done

# params that are one table nested 60 times over as a DAG
cat > dag.sql <<'SQL'
SELECT policy_install('local t = { 1 } for i = 1, 60 do t = { a = t, b = t } end
return { name = "dag", effective_from = "2024-03-01", payers = { "county" }, params = { dag = t },
  eligible = function() return true, "x" end, meal = function() return nil end }');
SQL
t0=$(date +%s%N)
out=$(timeout 60 $SQ -batch -cmd ".load $ZC_SO" bounds.db < dag.sql 2>&1); rc=$?
s=$(elapsed "$t0")
if [ $rc -eq 124 ] || ! echo "$out" | grep -q "params is more than 1048576 bytes as JSON"; then
  echo "FAIL dag params (${s}s, rc $rc): $(echo "$out" | cut -c1-200)"; fail=1
else
  echo "ok   dag params (${s}s): $(echo "$out" | cut -c1-160)"
fi

# policy_install running 20,000 cases that each use the whole budget: it
# stops at the total budget and installs nothing
cat > many.sql <<'SQL'
SELECT policy_install('return { name = "many", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service) while true do end end, meal = function() return nil end,
  tests = (function() local t = {} for i = 1, 20000 do
    t[i] = { name = "c" .. i, call = "eligible", elder = { age = 80 }, day = "2024-03-05", service = "s" .. i, expect = true }
  end return t end)() }') > 0;
SELECT count(*) FROM zhucan_policy WHERE name = 'many';
SQL
t0=$(date +%s%N)
out=$(timeout 120 $SQ -batch -cmd ".load $ZC_SO" bounds.db < many.sql 2>&1); rc=$?
s=$(elapsed "$t0")
if [ $rc -eq 124 ] || ! echo "$out" | grep -q "used more than the 100000000 instructions the tests of one version may" ||
   [ "$(echo "$out" | tail -n 1)" != 0 ]; then
  echo "FAIL policy_install 20000 cases (${s}s, rc $rc): $(echo "$out" | tail -n 2 | cut -c1-200)"; fail=1
elif awk -v s="$s" -v l="$((LIMIT * 3))" 'BEGIN { exit !(s > l) }'; then
  echo "FAIL policy_install 20000 cases: took ${s}s"; fail=1
else
  echo "ok   policy_install 20000 cases (${s}s): $(echo "$out" | grep "used more than" | cut -c1-160)"
fi
exit $fail
