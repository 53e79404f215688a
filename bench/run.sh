#!/bin/sh
# bench/run.sh — run every bench/*.sh (except this one and province.sh, which
# is `make bench-province`) in name order, each under a header.  `make bench`
# calls it.  Exits non-zero if any bench failed.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
status=0
for b in "$ROOT"/bench/*.sh; do
  case $(basename "$b") in run.sh | province.sh) continue ;; esac  # province: make bench-province
  echo "==== $(basename "$b") ===="
  bash "$b" || { echo "FAILED: $(basename "$b")"; status=1; }
  echo
done
exit $status
