#!/bin/bash
# settle() stores only what can be settled (issue #13); each refusal says
# why and how to fix it, and stores nothing.  On the small fixture (sites
# 1-6 under county 141129; the Zhongyang policy in force from 2024-03-01):
#   1. a month that has not ended: today from ZHUCAN_TODAY (the system
#      clock without it); the day the month ends it settles;
#   2. site-days without a policy: February (no version yet) lists every
#      open site-day, counted here independently by plain SQL; a version
#      in force from 2024-02-15 leaves the days before it; a site closed
#      mid-month counts only its open days;
#   3. meals whose served_at cannot be read: all counted, the first ten
#      named (a meal outside the month too: it belongs to no month);
#   4. a read-only connection: settle, policy_install and policy_load
#      refused, reading still works.
# modes: plain asan
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
fail=0
want() {  # name, output, pattern
  echo "$1: $2"
  case "$2" in $3) ;; *) echo "FAIL: $1: expected $3"; fail=1 ;; esac
}
Z test.db "SELECT policy_load('lua/zhongyang.lua')" >/dev/null || exit 1
runs() { sqlite3 test.db "SELECT count(*) FROM sqlite_schema WHERE name = 'zhucan_run'" | grep -q 1 &&
         sqlite3 test.db "SELECT count(*) FROM zhucan_run" || echo 0; }

# 1. the month has not ended
out=$(ZHUCAN_TODAY=2024-03-31 Z test.db "SELECT settle('141129', '2024-03')" 2>&1)
want "1. on 2024-03-31" "$out" "*month 2024-03 has not ended (today is 2024-03-31 in China)*settle it on or after 2024-04-01"
out=$(ZHUCAN_TODAY=2024-3-31 Z test.db "SELECT settle('141129', '2024-03')" 2>&1)
want "   ZHUCAN_TODAY malformed" "$out" "*ZHUCAN_TODAY is '2024-3-31', expected a day 'YYYY-MM-DD'*"
next=$(date -u -d '+8 hours' +%Y-%m)   # this month in China: not ended by the clock
out=$(env -u ZHUCAN_TODAY $SQLITE3 -batch -cmd ".load $ZC_SO" test.db "SELECT settle('141129', '$next')" 2>&1)
want "   the system clock, $next" "$out" "*month $next has not ended*"
[ "$(runs)" = 0 ] || { echo "FAIL: a run was stored"; fail=1; }
out=$(ZHUCAN_TODAY=2024-04-01 Z test.db "SELECT settle('141129', '2024-03')" 2>&1)
want "   on 2024-04-01" "$out" "1"

# 2. site-days without a policy in force
days=$(sqlite3 test.db "SELECT CAST(sum(max(0, julianday(min(coalesce(closed_on, '2024-03-01'), '2024-03-01'))
                                   - julianday(max(opened_on, '2024-02-01')))) AS INTEGER) FROM site")
out=$(Z test.db "SELECT settle('141129', '2024-02')" 2>&1)
want "2. February ($days open site-days by SQL)" "$out" "*settle: $days site-days of 2024-02 have no policy in force: site 1 2024-02-01..2024-02-29 (policy zhongyang of region 141129 has no version in force);*Install a policy version in force on those days*"
sed 's/effective_from = "2024-03-01"/effective_from = "2024-02-15"/' lua/zhongyang.lua > feb.lua
Z test.db "SELECT policy_load('feb.lua')" >/dev/null || fail=1
sqlite3 test.db "UPDATE site SET closed_on = '2024-02-10' WHERE id = 5"
days=$(sqlite3 test.db "SELECT CAST(sum(max(0, julianday(min(coalesce(closed_on, '2024-02-15'), '2024-02-15'))
                                   - julianday(max(opened_on, '2024-02-01')))) AS INTEGER) FROM site")
out=$(Z test.db "SELECT settle('141129', '2024-02')" 2>&1)
want "   in force from 02-15, site 5 closed 02-10 ($days by SQL)" "$out" "*settle: $days site-days of 2024-02 have no policy in force: site 1 2024-02-01..2024-02-14 *site 5 2024-02-01..2024-02-09 *"
sqlite3 test.db "UPDATE site SET closed_on = NULL WHERE id = 5"

# 3. served_at that cannot be read (12 of them: ten named, and more)
sqlite3 test.db "DROP TRIGGER IF EXISTS meal_served_at_check" 2>/dev/null
if sqlite3 test.db "INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, price_fen)
                    VALUES(990001, 1, 1, '2024-4-05 12:00:00', 'lunch', 'card', 1000)" 2>/dev/null; then
  for i in $(seq 2 12); do
    sqlite3 test.db "INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, price_fen)
                     VALUES($((990000 + i)), 1, 1, '2024/04/$i 12:00', 'lunch', 'card', 1000)"
  done
  out=$(Z test.db "SELECT settle('141129', '2024-04')" 2>&1)
  want "3. 12 unreadable times" "$out" "*settle: 12 meals have a served_at that cannot be read, expected 'YYYY-MM-DD HH:MM:SS': meal 990001 '2024-4-05 12:00:00', meal 990002 '2024/04/2 12:00'*meal 990010 '2024/04/10 12:00', ...; *Correct them*"
  sqlite3 test.db "DELETE FROM meal WHERE id >= 990001"
else
  echo "3. (the fixture's meal table refuses malformed times itself: nothing to list)"
fi

# 4. read-only
ro="file:$PWD/test.db?mode=ro"
out=$(Z "$ro" "SELECT settle('141129', '2024-04')" 2>&1)
want "4. settle, mode=ro" "$out" "*settle: the database is open read-only*"
out=$(Z "$ro" "SELECT policy_load('lua/zhongyang.lua')" 2>&1)
want "   policy_load, mode=ro" "$out" "*policy_load: the database is open read-only*"
out=$(Z "$ro" "SELECT policy_install('return {}')" 2>&1)
want "   policy_install, mode=ro" "$out" "*policy_install: the database is open read-only*"
out=$(Z "$ro" "SELECT count(*) FROM run_verify(); SELECT total_fen > 0 FROM zhucan_run WHERE id = 1" 2>&1)
want "   reading, mode=ro" "$out" "0
1"
[ "$(runs)" = 1 ] || { echo "FAIL: runs stored: $(runs)"; fail=1; }
exit $fail
