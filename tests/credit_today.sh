#!/bin/bash
# credit_settle stores a day's ledger only once the day has ended (the rule
# settle() has for a month: docs/ref/credit_settle.md); today from
# ZHUCAN_TODAY, in English and in Chinese; a refusal stores nothing; a
# read-only connection is refused.  Hand fixture fixtures/hand/credit.sql.
# modes: plain asan
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
fail=0
want() {  # name, output, pattern
  echo "$1: $2"
  case "$2" in $3) ;; *) echo "FAIL: $1: expected $3"; fail=1 ;; esac
}
rm -f c.db
sqlite3 c.db ".read sql/schema.sql" ".read fixtures/hand/credit.sql" || exit 1
Z c.db "SELECT policy_load('lua/weihai.lua')" >/dev/null || exit 1
out=$(ZHUCAN_TODAY=2025-03-31 ZHUCAN_LANG=en Z c.db "SELECT credit_settle('371082', '2025-03-31')" 2>&1)
want "on the day" "$out" "*credit_settle: 2025-03-31 has not ended (today is 2025-03-31 in China)*take it on or after 2025-04-01"
out=$(ZHUCAN_TODAY=2025-03-01 ZHUCAN_LANG=zh Z c.db "SELECT credit_settle('371082', '2025-03-31')" 2>&1)
want "before it, in Chinese" "$out" "*credit_settle：2025-03-31 这一天还没有过完（今天是北京时间 2025-03-01）*请在 2025-04-01 或之后再保存"
out=$(ZHUCAN_TODAY=2025-3-1 Z c.db "SELECT credit_settle('371082', '2025-03-31')" 2>&1)
want "ZHUCAN_TODAY malformed" "$out" "*ZHUCAN_TODAY*"
n=$(sqlite3 c.db "SELECT count(*) FROM zhucan_credit_run" 2>/dev/null || echo 0)
[ "$n" = 0 ] || { echo "FAIL: a refused credit_settle stored snapshot(s): $n"; fail=1; }
out=$(ZHUCAN_TODAY=2025-04-01 Z c.db "SELECT credit_settle('371082', '2025-03-31')" 2>&1)
want "the day after" "$out" "1"
out=$(ZHUCAN_TODAY=2025-04-01 ZHUCAN_LANG=en $SQLITE3 -batch -cmd ".load $ZC_SO" "file:c.db?mode=ro" \
      "SELECT credit_settle('371082', '2025-03-30')" 2>&1)
want "read-only" "$out" "*credit_settle*read-only*"
out=$(Z c.db "SELECT count(*) FROM credit_verify(1)" 2>&1)
want "verifies clean" "$out" "0"
exit $fail
