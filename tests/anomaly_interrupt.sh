#!/bin/sh
# anomaly_scan, coverage_gaps and needs_watch stop within 100 ms of sqlite3_interrupt()
# or a progress handler asking to stop, and say 'interrupted' (issue #12,
# finding 5; tests/anomaly_interrupt.py says how).  On the county fixture;
# by hand on the city: python3 tests/anomaly_interrupt.py zhucan.so data/city.db
# modes: plain
set -eu
SRC="$ZC_ROOT/data/county.db"
[ -f "$SRC" ] || { echo "no $SRC (make data/county.db)"; exit 77; }
cp "$SRC" county.db
sqlite3 -cmd ".load $ZC_SO" county.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua') > 0" > /dev/null
/usr/bin/python3 "$ZC_ROOT/tests/anomaly_interrupt.py" "$ZC_SO" county.db 0.1
