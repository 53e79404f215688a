#!/bin/bash
# An interrupted settle leaves the database exactly as before, outside and
# inside a caller's transaction (tests/settle_interrupt.py says how).
# modes: plain
set -eu
/usr/bin/python3 "$ZC_ROOT/tests/settle_interrupt.py" "$ZC_SO" test.db
