#!/bin/bash
# modes: plain asan
# zhucan export: the small fixture's month settled, then written as .xlsx
# by site and by township and as CSV; tests/cli_export_check.py reads them
# back with openpyxl and compares every number and formula with
# settlement() from the sqlite3 shell (the plain zhucan.so: another build
# than the tool under asan).  Refusals: an unknown run (1), an
# unwritable file (4).
set -u
SQ=${SQLITE3:-sqlite3}
SO=${ZC_SO:-$ZC_ROOT/zhucan.so}
Z=$ZC_ROOT/build/zhucan
[ "${ZC_MODE:-plain}" = asan ] && Z=$ZC_ROOT/build/asan/zhucan
export ASAN_OPTIONS=detect_leaks=1:exitcode=98 ZHUCAN_TODAY=2024-05-01
/usr/bin/python3 -c "import openpyxl" 2>/dev/null || { echo "python3-openpyxl missing (make deps)"; exit 77; }
$SQ -cmd ".load $SO" test.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua'); SELECT settle('141129', '2024-03')" > /dev/null || exit 1
"$Z" export test.db 1 -o site.xlsx || exit 1
"$Z" --lang zh export test.db 1 -o town.xlsx --by township || exit 1
"$Z" export test.db 1 -o run1.csv --csv || exit 1
fail=0
/usr/bin/python3 "$ZC_ROOT/tests/cli_export_check.py" test.db 1 141129 2024-03 "$ZC_ROOT/zhucan.so" site.xlsx town.xlsx run1.csv || fail=1
"$Z" export test.db 7 -o x.xlsx 2> err; rc=$?
[ $rc = 1 ] && grep -q "run 7 does not exist" err || { echo "FAIL: export of run 7: exit $rc: $(cat err)"; fail=1; }
"$Z" export test.db 1 -o /nonexistent/dir/x.xlsx 2> err; rc=$?
[ $rc = 4 ] && grep -q "/nonexistent/dir/x.xlsx" err || { echo "FAIL: unwritable export: exit $rc: $(cat err)"; fail=1; }
"$Z" export test.db 1 -o /nonexistent/dir/x.csv --csv 2> err; rc=$?
[ $rc = 4 ] || { echo "FAIL: unwritable csv: exit $rc"; fail=1; }
exit $fail
