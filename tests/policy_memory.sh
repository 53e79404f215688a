#!/bin/bash
# Policy memory is bounded and does not depend on when the collector last
# ran (issue #12, finding 3).
#  1. A call that holds ~30 MiB while it runs passes every time, however
#     much garbage earlier calls left (before: the 64 MiB cap counted
#     garbage, and a refused allocation was fatal before Lua's emergency
#     collection could run, so identical cases failed now and then).  The
#     same for loading: a chunk that makes ~30 MiB of garbage loads again
#     and again on one connection.
#  2. Reasons are kept per version, at most 256 bytes each and 16,384
#     different ones (before: every reason was interned in C memory for the
#     connection's life; 300 reasons of 1 MB grew the process by 300 MB).
#  3. Looking up made-up status words adds nothing to the connection's
#     dictionary (before: each word looked up was interned for good).
# The peak RSS of each sqlite3 process is read with GNU time.
# modes: plain
set -u
SQ=${SQLITE3:-sqlite3}
command -v /usr/bin/time >/dev/null || { echo "GNU time is missing"; exit 77; }
fail=0

run() { # NAME SQLFILE: runs it, sets $out and $rss (KiB)
  cp test.db "$1.db"
  /usr/bin/time -f '%M' -o "$1.rss" $SQ -batch -cmd ".load $ZC_SO" "$1.db" < "$2" > "$1.out" 2>&1
  out=$(cat "$1.out")
  rss=$(tail -n 1 "$1.rss")
}

# 1. the same heavy case 40 times, on one connection
cat > heavy.sql <<'SQL'
SELECT policy_install('return { name = "heavy", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day)
    local t = {}
    for i = 1, 450000 do t[i] = { i } end        -- ~30 MiB live while the call runs
    return #t == 450000, "held"
  end,
  meal = function() return {} end,
  tests = (function() local t = {} for i = 1, 40 do
    t[i] = { name = "c" .. i, call = "eligible", day = string.format("2024-%02d-%02d", 1 + i // 28, 1 + i % 28),
             elder = {}, expect = true, reason = "held" }
  end return t end)() }') > 0;
SELECT policy_test('heavy');
SQL
run heavy heavy.sql
if [ "$out" = "$(printf '1\nok: 40 cases (version 1: 40 ok)')" ]; then echo "ok   40 heavy calls in a row (peak RSS ${rss} KiB)"
else echo "FAIL heavy calls:"; echo "$out" | head -n 5 | cut -c1-200; fail=1; fi

cat > loads.sql <<'SQL'
SELECT policy_install('local junk = {} for i = 1, 450000 do junk[i] = { i } end junk = nil
return { name = "loady", effective_from = "2024-03-0' || d || '", payers = { "county" },
  eligible = function() return true, "ok" end, meal = function() return {} end }',
  'fixture of tests/policy_memory.sh') > 0
  FROM (SELECT value AS d FROM generate_series(1, 9));
SQL
# generate_series may be missing from the shell: fall back to a recursive CTE
sed -i 's/FROM (SELECT value AS d FROM generate_series(1, 9))/FROM (WITH RECURSIVE s(d) AS (VALUES(1) UNION ALL SELECT d + 1 FROM s WHERE d < 9) SELECT d FROM s)/' loads.sql
run loads loads.sql
if [ "$(echo "$out" | grep -c '^1$')" = 9 ] && [ "$(echo "$out" | wc -l)" = 9 ]; then echo "ok   9 loads of a chunk making ~30 MiB of garbage"
else echo "FAIL loads:"; echo "$out" | head -n 5 | cut -c1-200; fail=1; fi

# 2. reasons: 1 MB ones are refused; 300 of them do not grow the process
cat > reasons.sql <<'SQL'
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service) return true, string.rep("r", 1000000) .. service end,
  meal = function() return {} end }', 'fixture of tests/policy_memory.sh') > 0;
WITH RECURSIVE s(i) AS (VALUES(1) UNION ALL SELECT i + 1 FROM s WHERE i < 300)
SELECT count(*) FROM s WHERE eligible(1, '2024-03-05', 'w' || i) IS NOT NULL;
SQL
run reasons reasons.sql
if echo "$out" | grep -q "string longer than 4096 bytes\|a reason may be at most 256 bytes" && [ "$rss" -lt 150000 ]; then
  echo "ok   1 MB reasons refused (peak RSS ${rss} KiB)"
else echo "FAIL 1 MB reasons (peak RSS ${rss} KiB):"; echo "$out" | head -n 3 | cut -c1-200; fail=1; fi

cat > nreasons.sql <<'SQL'
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service) return true, "reason " .. service end,
  meal = function() return {} end }', 'fixture of tests/policy_memory.sh') > 0;
WITH RECURSIVE s(i) AS (VALUES(1) UNION ALL SELECT i + 1 FROM s WHERE i < 16384)
SELECT count(*) FROM s WHERE eligible(1, '2024-03-05', 'w' || i) IS NOT NULL;
SELECT eligible(1, '2024-03-05', 'w1'), eligible(1, '2024-03-06', 'w16384');
SELECT eligible(1, '2024-03-05', 'one more');
SQL
run nreasons nreasons.sql
want=$(printf '1\n16384\n1|1\nRuntime error near line 7: eligible: zhongyang@2024-03-01:2: eligible() gave more than 16384 different reasons (version 1); a reason should say why, not carry ids, dates or amounts (in eligible(), version 1)')
if [ "$out" = "$want" ]; then echo "ok   16,384 different reasons, then an error"
else echo "FAIL reason count:"; diff <(echo "$want") <(echo "$out") | head; fail=1; fi

# 3. made-up status words
cat > status.sql <<'SQL'
SELECT policy_install('return { name = "zhongyang", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    local n = 0
    for i = 1, 100000 do if e.status[service .. "-" .. i .. "-" .. string.rep("w", 40)] then n = n + 1 end end
    return n == 0, "none"
  end,
  meal = function() return {} end }', 'fixture of tests/policy_memory.sh') > 0;
WITH RECURSIVE s(i) AS (VALUES(1) UNION ALL SELECT i + 1 FROM s WHERE i < 50)
SELECT count(*) FROM s WHERE eligible(1, '2024-03-05', 'w' || i) = 1;
SQL
run status status.sql
if [ "$out" = "$(printf '1\n50')" ] && [ "$rss" -lt 150000 ]; then echo "ok   5M made-up status words looked up (peak RSS ${rss} KiB)"
else echo "FAIL status words (peak RSS ${rss} KiB):"; echo "$out" | head -n 3 | cut -c1-200; fail=1; fi
exit $fail
