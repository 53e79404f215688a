#!/bin/bash
# swipe_log's error rows and errors echo a line's text, a bad value or the
# format through zc_utf8_repr (issue #12, "an error can contain invalid UTF-8
# or echo a 500 KB pattern whole"): 'text' cut near 60 bytes on a character
# boundary, or x'hex' (first 16 bytes) when it is not UTF-8 or holds a
# control character, so no message carries raw control bytes, invalid UTF-8
# or a whole long value.  Expected values worked out by hand.
# modes: plain asan valgrind
set -u
fail=0
q() { $SQLITE3 -batch -cmd ".load ./zhucan" -cmd ".read fixtures/swipes/setup.sql" test.db "$@" 2>&1; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL $1"; echo " expected: $2"; echo " actual:   $3"; fail=1; fi
  # whatever the values, the output is UTF-8 without control characters
  if ! printf '%s' "$3" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 || printf '%s' "$3" | LC_ALL=C grep -q '[[:cntrl:]]'; then
    echo "FAIL $1: invalid UTF-8 or a control character in the output"; fail=1
  fi
}
T='2024-03-05 11:32:05'
K=6212340000123456
rep() { for i in $(seq "$2"); do printf '%s' "$1"; done; }

# csv lines, hex by hand:
#  1 method CA^ARD                 43 41 01 52 44
#  2 token ESC[2J62                1b 5b 32 4a 36 32
#  3 device DEV DEL 12             44 45 56 7f 31 32
#  4 price 1^A2                    31 01 32
#  5 time with ^A for the space:   19 bytes, the first 16 shown
#       32 30 32 34 2d 30 33 2d 30 35 01 31 31 3a 33 32 ...
#  6 invalid UTF-8 0xff: not echoed, byte 37 (20 + 9 + 5 + '62')
#  7 token 70 x 刷 (210 bytes): 19 whole characters (57 bytes) and ...
#  8 method 100 x M: 57 bytes and ...
{ printf '%s,DEV-0012,CA\001RD,%s\n' "$T" "$K"
  printf '%s,DEV-0012,CARD,\03362\n' "$T" | sed 's/\x1b62/\x1b[2J62/'
  printf '%s,DEV\17712,CARD,%s\n' "$T" "$K"
  printf '%s,DEV-0012,CARD,%s,1\0012\n' "$T" "$K"
  printf '2024-03-05\00111:32:05,DEV-0012,CARD,%s\n' "$K"
  printf '%s,DEV-0012,CARD,62\377\n' "$T"
  printf '%s,DEV-0012,CARD,%s\n' "$T" "$(rep 刷 70)"
  printf '%s,DEV-0012,%s,%s\n' "$T" "$(rep M 100)" "$K"; } > c.csv
check csv "1|bad method: x'4341015244'
2|unknown token: x'1b5b324a3632'
3|unknown device: x'4445567f3132'
4|bad price: x'310132'
5|bad time: x'323032342d30332d30350131313a3332...'
6|not utf-8: byte 0xff at byte 37
7|unknown token: '$(rep 刷 19)...'
8|bad method: '$(rep M 57)...'" "$(q "SELECT line, error FROM swipe_log('c.csv', 'csv')")"

# terminal lines: status FA BEL IL reason=x (46 41 07 49 4c 20 72 65 61 73
# 6f 6e 3d 78), slot lu ESC nch (6c 75 1b 6e 63 68); a plain bad slot quoted
{ printf '[%s] DEV-0012 FACE FA\007IL reason=x\n' "$T"
  printf '[%s] DEV-0012 FACE ok uid=E00042 slot=lu\033nch\n' "$T"
  printf '[%s] DEV-0012 FACE ok uid=E00042 slot=supper\n' "$T"; } > t.log
check terminal "1|device status: x'464107494c20726561736f6e3d78'
2|bad slot: x'6c751b6e6368'
3|bad slot: 'supper'" "$(q "SELECT line, error FROM swipe_log('t.log', 'terminal')")"

# a format without the groups it needs, with a control character and 600
# more bytes: (?<at>\S+) ^A x... -> 28 3f 3c 61 74 3e 5c 53 2b 29 01 78 78 78 78 78 ...
P="(?<at>\\S+)$(printf '\001')$(rep x 600)"
U="expected swipe_log(path, format[, encoding]) with format 'csv', 'terminal' or a PCRE2 pattern with named groups at, device, method, token (optionally site, slot, price)"
check format "Error: stepping, swipe_log: format x'283f3c61743e5c532b29017878787878...' is neither 'csv', 'terminal' nor a pattern with the named groups it needs (missing: device, method, token); $U" \
  "$(q "SELECT line FROM swipe_log('c.csv', '$P')")"
# the same, valid UTF-8 and 610 bytes: cut at 57 bytes
P="(?<at>\\S+)$(rep x 600)"
check long-format "Error: stepping, swipe_log: format '(?<at>\\S+)$(rep x 47)...' is neither 'csv', 'terminal' nor a pattern with the named groups it needs (missing: device, method, token); $U" \
  "$(q "SELECT line FROM swipe_log('c.csv', '$P')")"

# a governing region naming a policy that is not UTF-8 (41 ff 42)
check policy "2|policy not installed: x'41ff42' (named by region 990000, which governs site 9001)" \
  "$(q "UPDATE region SET policy = CAST(x'41ff42' AS TEXT) WHERE code = '990000';
        SELECT line, error FROM swipe_log('fixtures/swipes/good.csv', 'csv') WHERE line = 2")"
exit $fail
