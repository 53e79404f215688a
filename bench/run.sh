#!/bin/sh
# bench/run.sh — runs every bench/*.sh in order (make bench).
cd "$(dirname "$0")/.." || exit 1
for b in bench/*.sh; do
  [ "$b" = bench/run.sh ] && continue
  echo "== $b"
  sh "$b" || echo "$b failed"
done
