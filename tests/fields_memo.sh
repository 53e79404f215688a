#!/bin/bash
# Every fact field is in the memo key.  For each elder, meal and site field
# declared in ext/fields.h (read from the file, so a new field is covered
# the day it is added), a policy whose rule reads only that field pays 100
# fen when the field has a base value and 200 otherwise.  Its self-tests run
# two cases that differ only in that field, the base first: if the memo key
# left the field out, the second case would be answered from the first's
# entry (100): the version would not install (policy_install runs its cases
# first) and policy_test would fail.  meal() is checked for every
# elder, meal and site field, eligible() for every elder field.  The same
# run with the memo off (ZHUCAN_NO_MEMO=1) must give the same results, and a
# deliberately wrong expectation must fail (the harness can fail).
# modes: plain asan
set -eu
FIELDS="$ZC_ROOT/ext/fields.h"
# kind name type, one per line: "ELDER age INTN"
sed -n 's/^ *X(\([A-Z]*\), [A-Z_]*, "\([a-z_0-9]*\)", \([A-Z0-9]*\),.*/\1 \2 \3/p' "$FIELDS" > fields.txt
n=$(grep -c -v '^STATS' fields.txt)
[ "$n" -ge 38 ] || { echo "read only $n fields from $FIELDS"; exit 1; }

# base and other value (Lua literals) and how a rule reads the field, by type
lua_values() { # kind name type -> "base|other|access"
  local k=$1 f=$2 t=$3 var
  case $k in ELDER) var=e ;; MEAL) var=m ;; SITE) var=s ;; esac
  case "$k.$f" in
    MEAL.slot)   echo '"lunch"|"dinner"|m.slot'; return ;;
    MEAL.method) echo '"card"|"face"|m.method'; return ;;
  esac
  case $t in
    I64|ID0|PRICE|INTN) echo "7|8|$var.$f" ;;
    SEX)    echo "\"M\"|\"F\"|$var.$f" ;;
    DAY)    echo "\"2024-03-05\"|\"2024-03-06\"|$var.$f" ;;
    TIME)   echo "\"2024-03-05 11:00:00\"|\"2024-03-05 11:00:01\"|$var.$f" ;;
    CLOCK)  echo "\"11:00:00\"|\"11:30:00\"|$var.$f" ;;
    STR)    echo "\"a\"|\"b\"|$var.$f" ;;
    BOOL)   echo "true|false|$var.$f" ;;
    REAL)   echo "100.5|100.25|$var.$f" ;;
    STATUS) echo "{ dibao = true }|{ tekun = true }|($var.status.dibao == true)" ;;
    SLOTS)  echo "{ \"lunch\" }|{ \"dinner\" }|($var.slots.lunch == true)" ;;
    *) echo "unknown type $t" >&2; exit 1 ;;
  esac
}

policies() { # $1: expectation of the second case (200, or 100 to make it fail)
  local second=$1
  while read -r k f t; do
    [ "$k" = STATS ] && continue
    IFS='|' read -r base other access <<< "$(lua_values "$k" "$f" "$t")"
    local cmp="$access == $base"
    case $t in STATUS|SLOTS) cmp="$access" ;; esac
    local lk; lk=$(echo "$k" | tr 'A-Z' 'a-z')
    # a case gives the field; the other facts are the harness's defaults
    # (age is given so that a birth date does not decide it)
    local extra=""
    [ "$k.$f" = ELDER.birth_date ] && extra="age = 80, "
    [ "$k.$f" = MEAL.time ] && extra="day = \"2024-03-05\", "
    [ "$k.$f" = MEAL.day ] && extra=""
    local day='day = "2024-03-05", '
    [ "$k" = MEAL ] && [ "$f" != time ] && [ "$f" != day ] && [ "$f" != served_at ] && extra="day = \"2024-03-05\", "
    [ "$k" = MEAL ] && day=""
    local name="f_${lk}_$f"
    local elig_cases=""
    if [ "$k" = ELDER ]; then
      elig_cases="{ name = \"eligible base\", call = \"eligible\", $day elder = { ${extra}$f = $base }, expect = true },
      { name = \"eligible other\", call = \"eligible\", $day elder = { ${extra}$f = $other }, expect = $( [ "$second" = 200 ] && echo false || echo true) },"
    fi
    cat <<LUA
SELECT policy_install('return {
  name = "$name", effective_from = "2024-01-01", payers = { "county" },
  eligible = function(e, day) if "$k" == "ELDER" then return $( [ "$k" = ELDER ] && echo "$cmp" || echo true ), "x" end return true, "x" end,
  meal = function(m, e, s) if $cmp then return { county = 100 } end return { county = 200 } end,
  tests = {
    { name = "base", call = "meal", $day $lk = { ${extra}$f = $base }, expect = { county = 100 } },
    { name = "other", call = "meal", $day $lk = { ${extra}$f = $other }, expect = { county = $second } },
    $elig_cases
  } }') IS NULL;
SELECT '$name', policy_test('$name');
LUA
  done < fields.txt
}

{ echo '.bail on'; policies 200; } > good.sql
$SQLITE3 -batch -cmd ".load $ZC_SO" :memory: < good.sql > memo_on.txt 2>&1 || { cat memo_on.txt; exit 1; }
ZHUCAN_NO_MEMO=1 $SQLITE3 -batch -cmd ".load $ZC_SO" :memory: < good.sql > memo_off.txt 2>&1 || { cat memo_off.txt; exit 1; }
got=$(grep -c '|ok: \([24]\) cases (version [0-9]*: \1 ok)$' memo_on.txt)
[ "$got" -eq "$n" ] || { echo "expected $n policies to pass, $got did:"; grep -v 'ok: ' memo_on.txt | head; exit 1; }
cmp memo_on.txt memo_off.txt || { echo "memo on and off differ"; exit 1; }

# the harness can fail: expecting the base's money (and eligibility) for
# the other value makes every policy's tests fail: policy_install refuses it
policies 100 > bad.sql
$SQLITE3 -batch -cmd ".load $ZC_SO" :memory: < bad.sql > bad.txt 2>&1 || true
bad=$(grep -c "policy_install: f_[a-z_0-9]*@2024-01-01 is not installed: [12] of [24] of its test cases failed" bad.txt || true)
[ "$bad" -eq "$n" ] || { echo "expected $n policies to fail with wrong expectations, $bad did"; head bad.txt; exit 1; }
echo "$n fields: every one changes the memo key and the money"
