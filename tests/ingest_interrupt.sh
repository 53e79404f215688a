#!/bin/sh
# swipe_log stops within 100 ms of sqlite3_interrupt() or a progress
# handler asking to stop, inside one endless line too, and says
# 'interrupted' (issue #12, finding 5; tests/ingest_interrupt.py says how).
# modes: plain
set -eu
sqlite3 test.db ".read fixtures/swipes/setup.sql"
/usr/bin/python3 "$ZC_ROOT/tests/ingest_interrupt.py" "$ZC_SO" 0.1
