#!/bin/sh
# tools/fnlen.sh [FILE...] — every C function's length in lines (signature to
# closing brace), longest first: "LINES FILE:LINE NAME".  Default: ext/*.c.
# tests/modules.sh holds the code to its limits (functions, files).
cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- ext/*.c
awk '
  FNR == 1 { start = 0 }
  !start && /^[A-Za-z_][A-Za-z_0-9 \*]*[ \*]([A-Za-z_][A-Za-z_0-9]*)\(/ && !/;[ \t]*$/ {
    start = FNR; name = $0; sub(/\(.*/, "", name); sub(/.*[ \*]/, "", name); next
  }
  start && /^}/ { printf "%d %s:%d %s\n", FNR - start + 1, FILENAME, start, name; start = 0 }
' "$@" | sort -rn
