#!/bin/sh
# bench/run.sh — run every bench/*.sh (except this file) in name order, each
# under a header.  `make bench` calls it after building the county and city
# fixtures.  Benchmarks print what they measured; nothing here is a test.
cd "$(dirname "$0")/.." || exit 1
rc=0
for b in bench/*.sh; do
  [ "$(basename "$b")" = run.sh ] && continue
  echo "== $b"
  sh "$b" || { echo "!! $b failed"; rc=1; }
done
exit $rc
