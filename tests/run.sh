#!/bin/sh
# tests/run.sh MODE — run zhucan's test suite.  MODE: plain | asan | valgrind | all
#
# Two kinds of test:
#   tests/NAME.sql + tests/NAME.out   SQL golden test: the .sql is fed to the
#       sqlite3 shell (stdout and stderr together) with the extension loaded
#       and a fresh copy of the small fixture open as test.db, in a scratch
#       directory holding ./zhucan.so, ./lua and ./fixtures; the output must
#       equal NAME.out, whose values were worked out by hand or independently.
#       The shell's error prefix 'Runtime error near line 12:' (or 'Parse
#       error near line 12:') is compared as 'Runtime error:' -- NAME.out holds
#       no script line numbers, so adding a line to NAME.sql shifts nothing.
#   tests/NAME.sh   a shell test; exit 0 = pass, 77 = skipped.  Environment:
#       ZC_ROOT, ZC_SO (the .so under test), ZC_MODE, SQLITE3 (the shell,
#       wrapped by valgrind or with the sanitizer runtime preloaded),
#       ZC_SMALL_DB.  A line '# modes: plain asan valgrind' says where it runs
#       (default: plain only).
# Each test in each mode counts once; the last line is 'N passed, M failed'.
#
# Language: zhucan speaks Chinese unless told otherwise (zhucan_lang,
# docs/ref/zhucan_lang.md).  Every test runs with ZHUCAN_LANG=en, so the
# goldens hold the English messages; a test of the Chinese texts sets the
# language itself (SELECT zhucan_lang('zh'), or ZHUCAN_LANG=zh for a shell
# it starts) -- tests/lang.sh runs the same cases in both languages.
set -u
ZHUCAN_LANG=en; export ZHUCAN_LANG
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-plain}
FILTER=${2:-}
pass=0; fail=0; skip=0; failed=""

# Drop the script line number from the sqlite3 shell's error prefixes:
#   'Runtime error near line 12: X' -> 'Runtime error: X'   (also 'Parse error')
#   'Error: near line 12: X'        -> 'Error: X'           (older shells)
no_line_numbers() {
  sed -e 's/^\([A-Z][a-z]* error\) near line [0-9][0-9]*:/\1:/' \
      -e 's/^Error: near line [0-9][0-9]*:/Error:/' "$@"
}

SMALL="$ROOT/data/small.db"
[ -f "$SMALL" ] || { echo "missing $SMALL: run 'make data/small.db'"; exit 2; }

run_mode() {
  mode=$1
  case $mode in
    plain)    so="$ROOT/zhucan.so"; wrap="" ;;
    asan)     so="$ROOT/build/asan/zhucan.so"; wrap="" ;;
    valgrind) so="$ROOT/zhucan.so"
              wrap="valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite" ;;
  esac
  [ -f "$so" ] || { echo "missing $so"; fail=$((fail+1)); return; }
  scratch=$(mktemp -d /tmp/zctest.XXXXXX)
  if [ "$mode" = asan ]; then
    ASAN_LIBS="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
    sq="env LD_PRELOAD=$ASAN_LIBS ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=98 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sqlite3"
  elif [ -n "$wrap" ]; then
    sq="$wrap sqlite3"
  else
    sq="sqlite3"
  fi
  for t in "$ROOT"/tests/*.sql "$ROOT"/tests/*.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t")
    case $name in run.sh|lib.sh) continue ;; esac
    [ -n "$FILTER" ] && case $name in *$FILTER*) ;; *) continue ;; esac
    dir="$scratch/${name%.*}"
    mkdir -p "$dir"
    ln -sf "$so" "$dir/zhucan.so"
    ln -sf "$ROOT/lua" "$dir/lua"
    ln -sf "$ROOT/fixtures" "$dir/fixtures"
    ln -sf "$ROOT/sql" "$dir/sql"
    cp "$SMALL" "$dir/test.db"
    case $name in
      *.sql)
        exp="${t%.sql}.out"
        out="$dir/actual.out"
        ( cd "$dir" && $sq -batch -cmd ".load ./zhucan" test.db < "$t" > "$dir/raw.out" 2>&1 )
        rc=$?
        no_line_numbers "$dir/raw.out" > "$out"
        if [ $rc -eq 97 ] || [ $rc -eq 98 ] || [ $rc -ge 128 ]; then
          ok=0; why="exit $rc (memory error, sanitizer or signal)"
        elif [ -f "$exp" ] && diff -u "$exp" "$out" > "$dir/diff" 2>&1; then
          ok=1
        else
          ok=0; why="output differs from ${exp#$ROOT/}"
        fi
        ;;
      *.sh)
        modes=$(sed -n 's/^# modes: *//p' "$t" | head -n 1)
        [ -n "$modes" ] || modes=plain
        case " $modes " in *" $mode "*) ;; *) continue ;; esac
        ( cd "$dir" && ZC_ROOT="$ROOT" ZC_SO="$so" ZC_MODE="$mode" SQLITE3="$sq" \
            ZC_SMALL_DB="$SMALL" bash "$t" ) > "$dir/actual.out" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then ok=1
        elif [ $rc -eq 77 ]; then skip=$((skip+1)); echo "skip  [$mode] $name"; continue
        else ok=0; why="exit $rc"; fi
        ;;
    esac
    if [ $ok = 1 ]; then
      pass=$((pass+1)); echo "ok    [$mode] $name"
    else
      fail=$((fail+1)); failed="$failed [$mode]$name"
      echo "FAIL  [$mode] $name: $why"
      if [ -f "$dir/diff" ]; then head -n 40 "$dir/diff"; else tail -n 40 "$dir/actual.out"; fi
    fi
  done
  rm -rf "$scratch"
}

case $MODE in
  all) run_mode plain; run_mode asan; run_mode valgrind ;;
  plain|asan|valgrind) run_mode "$MODE" ;;
  *) echo "usage: tests/run.sh plain|asan|valgrind|all [filter]"; exit 2 ;;
esac
[ -n "$failed" ] && echo "failed:$failed"
if [ -n "$FILTER" ] && [ $((pass + fail + skip)) -eq 0 ]; then
  echo "no test in $MODE mode has '$FILTER' in its name"; exit 2
fi
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
