#!/bin/bash
# ODBC, the way BI tools reach zhucan: Debian's SQLite3 ODBC driver
# (libsqliteodbc) with LoadExt=zhucan.so and BigInt=1, configured through a
# private odbcinst.ini/odbc.ini (ODBCSYSINI/ODBCINI point here, never /etc).
#   (a) isql runs each query; its rows must equal the sqlite3 shell's
#   (b) /usr/bin/python3 + pyodbc reads each query; values and types must
#       equal the shell's (tests/odbc_check.py; the shell's -json output)
#   (c) amounts above 2^31 fen come through whole with BigInt=1 (and are
#       cut to 32 bits without it: shown, not required)
#   (d) a LoadExt that fails: the driver still connects, prints
#       "extension '...' did not load: ..." on stderr, and the check query
#       SELECT zhucan_version() fails with "no such function"
# Adding a query is one line in QUERIES below.  Skips (77) when the driver,
# isql or pyodbc is not installed.
# modes: plain
set -u
DRIVER=$(dpkg -L libsqliteodbc 2>/dev/null | grep '/libsqlite3odbc\.so$' | head -n 1)
[ -n "$DRIVER" ] && [ -f "$DRIVER" ] || { echo "libsqliteodbc not installed"; exit 77; }
command -v isql >/dev/null || { echo "isql (unixodbc) not installed"; exit 77; }
/usr/bin/python3 -c 'import pyodbc' 2>/dev/null || { echo "python3-pyodbc not installed"; exit 77; }

W=$(pwd)
SO=$(readlink -f "$ZC_SO")
DB="$W/odbc.db"
cp "$ZC_SMALL_DB" "$DB"
# amounts in fen beyond 32 bits: 3,000,000,000 + 2,147,483,648 = 5,147,483,648
sqlite3 "$DB" "CREATE TABLE big_amount(site_id INTEGER, amount_fen INTEGER);
  INSERT INTO big_amount VALUES (1, 3000000000), (1, 2147483648), (2, 150);" || exit 1
# the county's policy, so the money functions answer
sqlite3 -cmd ".load $(readlink -f "$ZC_SO")" "$DB" "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null || exit 1

# One query per line.  Paths must be absolute (the driver's working directory
# is the caller's).
QUERIES=(
  "SELECT zhucan_version()"
  "SELECT site_id, sum(amount_fen) AS total_fen, count(*) FROM big_amount GROUP BY site_id ORDER BY site_id"
  "SELECT sum(amount_fen) FROM big_amount"
  "SELECT line, at, device, method, token, error FROM swipe_log('$ZC_ROOT/fixtures/swipes/good.csv', 'csv') ORDER BY line"
  "SELECT site_id, item, payer, quantity, amount_fen FROM settlement('141129', '2024-03')"
  "SELECT payer, sum(amount_fen) FROM settlement('141129', '2024-03') GROUP BY payer ORDER BY payer"
  "SELECT id, subsidy_for(id), subsidy_explain(id) ->> '\$.reason' FROM meal ORDER BY id LIMIT 20"
  # isql cuts columns at 300 characters: whole JSON documents go through pyodbc only
  "SELECT id, subsidy_explain(id) FROM meal ORDER BY id LIMIT 20 -- pyodbc only"
)

cat > "$W/odbcinst.ini" <<INI
[zhucan-sqlite3]
Description=SQLite3 ODBC driver (Christian Werner), Debian libsqliteodbc
Driver=$DRIVER
INI
dsn() { # dsn NAME LOADEXT BIGINT
  printf '[%s]\nDriver=zhucan-sqlite3\nDatabase=%s\nLoadExt=%s\nBigInt=%s\n\n' "$1" "$DB" "$2" "$3"
}
{ dsn zhucan "$SO" 1; dsn zhucan_int32 "$SO" 0; dsn zhucan_noext "$W/missing/zhucan.so" 1; } > "$W/odbc.ini"
export ODBCSYSINI="$W" ODBCINI="$W/odbc.ini"
fail=0

# (a) isql: rows as text, '|' between columns, as the shell prints them
for q in "${QUERIES[@]}"; do
  case $q in *"-- pyodbc only") continue ;; esac
  want=$(sqlite3 -cmd ".load $SO" "$DB" "$q" 2>&1)
  got=$(echo "$q" | isql -b -d'|' zhucan 2>&1)
  if [ "$want" != "$got" ]; then
    echo "FAIL isql: $q"; echo "--- sqlite3:"; echo "$want"; echo "--- isql:"; echo "$got"; fail=1
  fi
done

# (b) + (c) + (d) in Python
printf '%s\n' "${QUERIES[@]}" > "$W/queries.txt"
/usr/bin/python3 "$ZC_ROOT/tests/odbc_check.py" "$SO" "$DB" "$W/queries.txt" "$DRIVER" || fail=1
exit $fail
