#!/bin/bash
# A custom format is matched by the connection's matcher (regex.h), with its
# limits (issue #12, finding 6): a catastrophic pattern stops the read at
# the first line that reaches a limit, with an error naming the line, the
# text and the limit.  Before, each line paid the whole limit (~20 ms) and
# became a 'PCRE2 match error' row: 2,000 lines took 40 s (killed here at 10 s).
# modes: plain asan
set -u
fail=0
P='^(?<at>(\d+)+)(?<device>\D)(?<method>.)(?<token>.)$'
for i in $(seq 2000); do echo 1234567890123456789012345678; done > digits.txt
start=$(date +%s)
out=$(timeout 10 $SQLITE3 -batch -cmd ".load ./zhucan" test.db "SELECT count(*) FROM swipe_log('digits.txt', '$P')" 2>&1)
rc=$?
want="Error: stepping, swipe_log: line 1: the format pattern failed: pattern '$P' on text '1234567890123456789012345678': match limit exceeded (the pattern backtracks too much; make it more specific); simplify or anchor the pattern"
if [ "$out" != "$want" ]; then
  echo "FAIL: exit $rc, $(($(date +%s) - start)) s"; echo " expected: $want"; echo " actual:   $out"; fail=1
else
  echo "ok: the read stopped at line 1 ($(($(date +%s) - start)) s)"
fi
# the same connection then reads with a good pattern, and with the bad one again
out=$(timeout 10 $SQLITE3 -batch -cmd ".load ./zhucan" test.db \
  "SELECT count(*), count(error) FROM swipe_log('digits.txt', '^(?<at>\d{4})(?<device>\d)(?<method>\d)(?<token>\d+)$')" \
  "SELECT count(*) FROM swipe_log('digits.txt', '$P')" 2> err.txt)
[ "$out" = "2000|2000" ] && [ "$(cat err.txt)" = "$want" ] && echo "ok: good pattern, then the bad one again" ||
  { echo "FAIL: $out / $(cat err.txt)"; fail=1; }
exit $fail
