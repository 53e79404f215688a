#!/bin/bash
# policy_load reads regular files only: a FIFO (which used to block for
# ever waiting for a writer), /dev/zero (which used to be read until the
# size limit) and a directory are refused at once with a clear message.
# modes: plain asan
set -u
mkfifo fifo
fail=0
for p in fifo /dev/zero . missing.lua; do
  out=$(timeout 10 $SQLITE3 -cmd ".load $ZC_SO" :memory: "SELECT policy_load('$p')" 2>&1)
  rc=$?
  echo "$p: $out"
  [ $rc -eq 124 ] && { echo "  hung"; fail=1; }
  case "$p:$out" in
    missing.lua:*"cannot open 'missing.lua': No such file or directory"*) ;;
    missing.lua:*) echo "  unexpected message"; fail=1 ;;
    *"is not a regular file"*) ;;
    *) echo "  unexpected message"; fail=1 ;;
  esac
done
exit $fail
