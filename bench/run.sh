#!/bin/sh
# bench/run.sh — run every benchmark: each bench/*.sh except this one, in name
# order, under a header.  `make bench` calls it.  Exits non-zero if any
# benchmark script failed (a missed target is reported, not a failure).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
status=0
for b in "$ROOT"/bench/*.sh; do
  [ "$(basename "$b")" = run.sh ] && continue
  echo "== $(basename "$b") =="
  sh "$b" || { echo "bench $(basename "$b") failed"; status=1; }
  echo
done
exit $status
