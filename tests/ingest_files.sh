#!/bin/bash
# swipe_log reads regular files only, and no more than they held when
# opened (issue #12, finding 3).  Before: swipe_log('/dev/zero', 'csv')
# never ended (one endless over-long line) and a FIFO without a writer hung
# in open().  Each call here must end within 10 s (timeout).
# modes: plain asan
set -u
fail=0
q() { timeout 10 $SQLITE3 -batch -cmd ".load ./zhucan" -cmd ".read fixtures/swipes/setup.sql" test.db "$@" 2>&1; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL $1"; echo " expected: $2"; echo " actual:   $3"; fail=1; else echo "ok $1"; fi
}
T="SELECT line, error FROM swipe_log"
check dev-zero "Error: stepping, swipe_log: '/dev/zero' is a character device, not a regular file: swipe_log reads device exports saved as files" "$(q "$T('/dev/zero', 'csv')")"
mkfifo pipe.csv
check fifo "Error: stepping, swipe_log: 'pipe.csv' is a FIFO, not a regular file: swipe_log reads device exports saved as files" "$(q "$T('pipe.csv', 'csv')")"
check directory "Error: stepping, swipe_log: 'fixtures/swipes' is a directory, not a regular file: swipe_log reads device exports saved as files" "$(q "$T('fixtures/swipes', 'csv')")"
ln -s "$(pwd)/fixtures/swipes/good.csv" link.csv
check symlink "$(q "$T('fixtures/swipes/good.csv', 'csv')")" "$(q "$T('link.csv', 'csv')")"
check missing "Error: stepping, swipe_log: cannot open 'nope.csv': No such file or directory" "$(q "$T('nope.csv', 'csv')")"
# a regular file of zeros (sparse, 64 MiB, no newline): one over-long line,
# read to its end and no further
truncate -s 64M zeros.bin
check zeros "1|line too long: 67108864 bytes, limit 65536" "$(q "$T('zeros.bin', 'csv')")"
# a file that grows while it is read: only what it held when opened (the
# first 600 KB are more than one 256 KiB buffer, so later reads see the
# growth; Python loads the plain build only)
[ "$ZC_MODE" = plain ] || exit $fail
/usr/bin/python3 - "$ZC_SO" <<'PY' || fail=1
import sqlite3, sys
c = sqlite3.connect("test.db")
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
line = "2024-03-05 11:32:05,DEV-0012,CARD,6212340000123456\n"
with open("grow.csv", "w") as f:
    f.write(line * 12000)
cur = c.execute("SELECT line FROM swipe_log('grow.csv', 'csv')")
first = cur.fetchone()
with open("grow.csv", "a") as f:
    f.write(line * 5000)
n = 1 + len(cur.fetchall())
print("ok grow: %d lines read of a file that had 12000 when opened and 17000 at the end" % n if n == 12000
      else "FAIL grow: %d lines read, expected 12000" % n)
sys.exit(0 if n == 12000 else 1)
PY
exit $fail
