#!/bin/sh
# tools/province_policies.sh DB — install the policies a province fixture
# (zcgen --scale province, docs/fixtures.md "Province scale") is governed by:
# every file its `fixture` row 'policy_files' names, in that order, with
# policy_load (each version runs its own test cases first; loading the same
# source again adds nothing, so running this twice is harmless).  Prints one
# line per file: the file and the version id.  Run from anywhere: the files
# and zhucan.so are taken from this tree (SQLITE3=path picks the shell,
# ZC_SO=path the extension).
set -u
[ $# -eq 1 ] || { echo "usage: tools/province_policies.sh DB" >&2; exit 2; }
DB=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SQ=${SQLITE3:-sqlite3}
[ -f "$DB" ] || { echo "tools/province_policies.sh: no database '$DB'" >&2; exit 2; }
SO=${ZC_SO:-$ROOT/zhucan.so}
[ -f "$SO" ] || { echo "tools/province_policies.sh: $SO not built (make)" >&2; exit 2; }
files=$("$SQ" "$DB" "SELECT value FROM fixture WHERE key = 'policy_files'") || exit 1
[ -n "$files" ] || { echo "tools/province_policies.sh: '$DB' has no fixture row 'policy_files' (not a province fixture)" >&2; exit 2; }
DB=$(cd "$(dirname "$DB")" && pwd)/$(basename "$DB")
sql=""
for f in $files; do
  case $f in *"'"*|*..*) echo "tools/province_policies.sh: bad file name '$f'" >&2; exit 2 ;; esac
  [ -f "$ROOT/$f" ] || { echo "tools/province_policies.sh: '$f' is not in this tree" >&2; exit 2; }
  sql="$sql SELECT '$f', policy_load('$f');"
done
cd "$ROOT" && "$SQ" -bail -cmd ".load $SO" "$DB" "$sql"
