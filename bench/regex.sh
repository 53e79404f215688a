#!/bin/bash
# bench/regex.sh — REGEXP over 1,000,000 device-log lines: the sqlite3 shell's
# built-in regexp (SQLite's ext/misc/regexp.c, zhucan not loaded) against
# zhucan's PCRE2/JIT regexp (which replaces it when loaded).  Same data, same
# pattern, same run; the row counts must agree.  Then, for information,
# regexp_replace and regexp_capture over the same lines.
#   usage: bench/regex.sh [lines]        (default 1000000)
#   ZC_SO=path      the extension to measure (default ./zhucan.so)
#   ZC_BASE_SO=path another build to compare with in the same run (e.g. the
#                   main branch's): each zhucan line then also prints its
#                   time and the ratio ours / base (below 1: we are faster).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SO=${ZC_SO:-$ROOT/zhucan.so}
BASE_SO=${ZC_BASE_SO:-}
N=${1:-1000000}
[ -f "$SO" ] || { echo "missing $SO: run make"; exit 1; }
[ -z "$BASE_SO" ] || [ -f "$BASE_SO" ] || { echo "missing $BASE_SO"; exit 1; }
TMP=$(mktemp -d /tmp/zcbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DB="$TMP/regex.db"

# Lines like '[2024-03-05 11:32:05] DEV-0012 FACE ok uid=E00042'
sqlite3 "$DB" <<SQL
CREATE TABLE t(line TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO t
SELECT printf('[%s] DEV-%04d %s %s uid=E%05d',
              datetime(1709251200 + (i * 37) % 2592000, 'unixepoch'),
              (i * 13) % 200,
              CASE i % 3 WHEN 0 THEN 'FACE' WHEN 1 THEN 'CARD' ELSE 'MANUAL' END,
              CASE WHEN i % 17 = 0 THEN 'fail' WHEN i % 29 = 0 THEN 'retry' ELSE 'ok' END,
              (i * 7919) % 100000)
FROM n;
SQL
bytes=$(sqlite3 "$DB" "SELECT sum(length(line)) FROM t")
echo "data: $N lines, $bytes bytes; e.g. $(sqlite3 "$DB" "SELECT line FROM t LIMIT 1")"

# Best CPU time (user + sys, from the shell's '.timer on') of 3 runs of a
# statement in one shell process, and its result: "result seconds".  CPU
# time rather than wall time, since the machine may be shared; the scan
# floor below shows what reading the rows costs without any regex.
timed() { # load(0|1|base) sql
  local load=$1 sql=$2 out cmd=(sqlite3 -batch -cmd ".timer on")
  [ "$load" = 1 ] && cmd=(sqlite3 -batch -cmd ".load $SO" -cmd ".timer on")
  [ "$load" = base ] && cmd=(sqlite3 -batch -cmd ".load $BASE_SO" -cmd ".timer on")
  out=$(printf '%s;\n%s;\n%s;\n' "$sql" "$sql" "$sql" | "${cmd[@]}" "$DB")
  local res; res=$(printf '%s\n' "$out" | grep -v '^Run Time' | tail -n 1)
  local sec; sec=$(printf '%s\n' "$out" | awk '/^Run Time:/ { printf "%.3f\n", $6 + $8 }' | sort -g | head -n 1)
  echo "$res $sec"
}

# warm the page cache once so neither side pays the first read
sqlite3 "$DB" "SELECT count(*) FROM t" > /dev/null
read -r floor_rows floor_s < <(timed 0 "SELECT count(*) FROM t WHERE length(line) > 0")
echo "scan floor (length(line) > 0, no regex): $floor_rows rows, $floor_s s CPU"

# Both engines answer the same question: the patterns stay within what the
# shell's regexp understands ([...], +, *, |, groups, \[ escapes).
compare() { # label pattern
  local Q="SELECT count(*) FROM t WHERE line REGEXP '$2'"
  read -r base_rows base_s < <(timed 0 "$Q")
  read -r ours_rows ours_s < <(timed 1 "$Q")
  echo "-- $1: line REGEXP '$2'"
  echo "   shell regexp (ext/misc/regexp.c): $base_rows rows, $base_s s CPU"
  echo "   zhucan regexp (PCRE2 JIT):        $ours_rows rows, $ours_s s CPU"
  if [ "$base_rows" != "$ours_rows" ]; then echo "ERROR: row counts differ"; exit 1; fi
  awk -v b="$base_s" -v o="$ours_s" 'BEGIN { if (o > 0) printf "   speed-up: %.1fx\n", b / o; else print "   speed-up: too fast to time" }'
  vs_base "$Q" "$ours_rows" "$ours_s"
}

# With ZC_BASE_SO: the same statement on the other build, and the ratio.
vs_base() { # sql rows seconds
  [ -n "$BASE_SO" ] || return 0
  local rows s; read -r rows s < <(timed base "$1")
  if [ "$rows" != "$2" ]; then echo "ERROR: the base build answers $rows, this one $2"; exit 1; fi
  awk -v b="$s" -v o="$3" 'BEGIN { printf "   base build: %s s CPU; ratio this/base: %s\n", b, (b > 0 ? sprintf("%.2f", o / b) : "n/a") }'
}
compare "failed or retried card/face swipes (unanchored search)" '(FACE|CARD) (fail|retry)'
compare "one device range, unanchored" 'DEV-01[0-9]+ (FACE|CARD) fail'
compare "whole-line anchored (the shell's engine stops at the first mismatch)" \
        '^\[2024-03-0[1-9] [0-9:]+\] DEV-01[0-9]+ (FACE|CARD) fail uid=E[0-9]*7$'

# For information: replace and capture over the same lines (zhucan only).
REP="SELECT count(*) FROM t WHERE regexp_replace(line, 'uid=E(\\d+)', 'uid=\$1#') LIKE '%#'"
read -r rep_rows rep_s < <(timed 1 "$REP")
echo "regexp_replace(line, 'uid=E(\\d+)', 'uid=\$1#') on every line: $rep_rows rows ending '#', $rep_s s CPU"
vs_base "$REP" "$rep_rows" "$rep_s"
REP2="SELECT sum(length(regexp_replace(line, '\\d', '#'))) FROM t"
read -r rep2_rows rep2_s < <(timed 1 "$REP2")
echo "regexp_replace(line, '\\d', '#') on every line (about 25 matches a line): $rep2_rows bytes out, $rep2_s s CPU"
vs_base "$REP2" "$rep2_rows" "$rep2_s"
CAP="SELECT count(DISTINCT regexp_capture(line, 'DEV-(?<dev>\\d+)', 'dev')) FROM t"
read -r cap_rows cap_s < <(timed 1 "$CAP")
echo "regexp_capture(line, 'DEV-(?<dev>\\d+)', 'dev') on every line: $cap_rows distinct devices, $cap_s s CPU"
vs_base "$CAP" "$cap_rows" "$cap_s"
SUB="SELECT count(regexp_substr(line, '\\bE\\d{4}7\\b')) FROM t"
read -r sub_rows sub_s < <(timed 1 "$SUB")
echo "regexp_substr(line, '\\bE\\d{4}7\\b') on every line: $sub_rows found, $sub_s s CPU"
vs_base "$SUB" "$sub_rows" "$sub_s"

# Long texts, one call each (the shapes of issue #12): empty matches, where
# every match is followed by a retry at the same place (in the interpreter
# before, in the JIT now), and a million matches in one call.
echo "-- long texts, one call each"
long() { # label sql
  local rows s; read -r rows s < <(timed 1 "$2")
  echo "$1: $rows, $s s CPU"
  vs_base "$2" "$rows" "$s"
}
long "regexp_replace(1 MB of 'a', 'x*', '-') (an empty match at every character)" \
     "SELECT length(regexp_replace(printf('%.*c', 1000000, 'a'), 'x*', '-'))"
long "regexp_replace(1 MB of 'a', 'a', 'bb') (a million matches)" \
     "SELECT length(regexp_replace(printf('%.*c', 1000000, 'a'), 'a', 'bb'))"
long "regexp_replace(5 KB of 'a', '(?:a|b)*?c|', '-') (each retry rescans the rest)" \
     "SELECT length(regexp_replace(printf('%.*c', 5000, 'a'), '(?:a|b)*?c|', '-'))"
