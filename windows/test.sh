#!/bin/bash
# windows/test.sh — `make test-windows`: the Windows build (build/win/) run
# under Wine, headless (console programs need no X display), compared with
# the Linux build:
#   1. sqlite3.exe loads zhucan.dll (.load) and the DLL exports exactly the
#      two entry points;
#   2. the analyst's guided month (every ```sql block of docs/analysts.md, in
#      order) on a copy of data/county.db: the Windows output equals the
#      Linux sqlite3 + zhucan.so output byte for byte once CRLF is LF;
#   3. every SQL golden test (tests/NAME.sql + NAME.out) as tests/run.sh runs
#      it, against the same NAME.out;
#   4. windows/test_files.sql: policy_load and swipe_log (UTF-8, GBK) on files
#      with Chinese names, the two-thread anomaly scan against the one-thread
#      one, time and settle;
#   5. zhucan.exe: --help, init/settle/export CSV on the small fixture,
#      compared with the Linux build/zhucan.
# The shell tests (tests/*.sh) are not run: they drive bash, sed, python3,
# valgrind, FIFOs and signals (docs/windows.md lists them).
# Ends with 'N passed, M failed'; exit status 1 when anything failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W="$ROOT/build/win"
WINE=${WINE:-$(command -v wine64 || command -v wine || true)}
[ -n "$WINE" ] || { echo "windows/test.sh: wine not found: apt-get install wine64 wine (or: sh tools/deps.sh windows)"; exit 2; }
for f in "$W/zhucan.dll" "$W/sqlite3.exe" "$W/zhucan.exe" "$ROOT/zhucan.so" "$ROOT/build/zhucan" \
         "$ROOT/data/small.db" "$ROOT/data/county.db"; do
  [ -f "$f" ] || { echo "windows/test.sh: missing $f (make windows all fixtures)"; exit 2; }
done
export WINEPREFIX="$W/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" ZHUCAN_LANG=en
unset DISPLAY ZHUCAN_TODAY ZHUCAN_NO_THREADS
mkdir -p "$WINEPREFIX"
# one wine server for the whole run (each program start is then ~0.1 s)
wineserver -p 2>/dev/null || true
scratch=$(mktemp -d /tmp/zcwin.XXXXXX)
trap 'wineserver -k 2>/dev/null; rm -rf "$scratch"' EXIT
pass=0; fail=0; failed=""

ok()  { pass=$((pass+1)); echo "ok    [wine] $1"; }
bad() { fail=$((fail+1)); failed="$failed $1"; echo "FAIL  [wine] $1: $2"; [ -f "${3:-}" ] && head -n 40 "$3"; }
# CRLF -> LF (the shell's text-mode stdout on Windows; its csv mode writes CRLF
# on both systems, so the golden is normalised the same way), and the shell's 'near line N' dropped as tests/run.sh does
norm() {
  sed -e 's/\r$//' "$1" | sed -e 's/^\([A-Z][a-z]* error\) near line [0-9][0-9]*:/\1:/' \
                          -e 's/^Error: near line [0-9][0-9]*:/Error:/'
}
# a scratch folder as tests/run.sh makes it: the extension, lua/, fixtures/, sql/, test.db
setup() {
  d="$scratch/$1"
  mkdir -p "$d"
  cp "$W/zhucan.dll" "$d/zhucan.dll"
  ln -sf "$ROOT/zhucan.so" "$d/zhucan.so"
  for x in lua fixtures sql; do ln -sf "$ROOT/$x" "$d/$x"; done
  cp "${2:-$ROOT/data/small.db}" "$d/test.db"
}
wsql() { (cd "$d" && "$WINE" "$W/sqlite3.exe" -batch -cmd ".load ./zhucan" test.db) 2>&1; }
lsql() { (cd "$d" && sqlite3 -batch -cmd ".load ./zhucan" test.db) 2>&1; }

# ---- 1. the DLL loads and exports its two entry points
setup load
echo "SELECT zhucan_version();" | wsql > "$d/out"
if grep -q '^zhucan .*(SQLite 3\.40\.1, PCRE2 10\.42 .*, Lua 5\.4\.4)' "$d/out"; then ok "sqlite3.exe .load zhucan.dll"
else bad "sqlite3.exe .load zhucan.dll" "no zhucan_version()" "$d/out"; fi
x86_64-w64-mingw32-objdump -p "$W/zhucan.dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
  sed -n 's/^[[:space:]]*\[ *[0-9][0-9]*\] //p' | sort > "$d/exports"
printf 'sqlite3_extension_init\nsqlite3_zhucan_init\n' > "$d/want"
if cmp -s "$d/exports" "$d/want"; then ok "zhucan.dll exports"
else bad "zhucan.dll exports" "expected only the two entry points" "$d/exports"; fi

# ---- 2. the guided month
setup month "$ROOT/data/county.db"
awk '/^```sql/{on=1; next} /^```/{on=0} on' "$ROOT/docs/analysts.md" |
  sed -e '/^\.load /d' -e 's|/tmp/dev-2024-04-01\.csv|dev-2024-04-01.csv|g' > "$d/month.sql"
cp "$d/test.db" "$d/linux.db"
(cd "$d" && sqlite3 -batch -cmd ".load ./zhucan" linux.db < month.sql) > "$d/linux.out" 2>&1
mv "$d/dev-2024-04-01.csv" "$d/linux.csv"
wsql < "$d/month.sql" > "$d/wine.raw"
sed 's/\r$//' "$d/wine.raw" > "$d/wine.out"
lines=$(wc -l < "$d/linux.out")
if [ "$lines" -gt 100 ] && ! grep -q -i 'error' "$d/linux.out" && cmp -s "$d/linux.out" "$d/wine.out" &&
   cmp -s "$d/linux.csv" "$d/dev-2024-04-01.csv"; then
  ok "docs/analysts.md guided month on county.db ($lines lines, identical)"
else
  diff -u "$d/linux.out" "$d/wine.out" > "$d/diff"
  bad "docs/analysts.md guided month" "Windows output differs from Linux (or Linux failed)" "$d/diff"
fi

# ---- 3. the SQL golden tests
# ORDER_ONLY: goldens where one statement prints rows on stdout and then
# fails on stderr; the .out holds them as Linux interleaves them (the error
# first: glibc keeps the pipe's stdout in a buffer until the shell flushes
# it before the next line), Windows' C runtime writes the rows first.  The
# lines must be the same, their order is the C runtime's.
ORDER_ONLY="settle_txn"
for t in "$ROOT"/tests/*.sql; do
  name=$(basename "$t" .sql)
  exp="${t%.sql}.out"
  [ -f "$exp" ] || continue
  setup "g-$name"
  wsql < "$t" > "$d/raw.out"
  norm "$d/raw.out" > "$d/actual.out"
  sed 's/\r$//' "$exp" > "$d/expected.out"
  if diff -u "$d/expected.out" "$d/actual.out" > "$d/diff"; then ok "tests/$name.sql"
  elif case " $ORDER_ONLY " in *" $name "*) true;; *) false;; esac &&
       sort "$d/expected.out" | cmp -s - <(sort "$d/actual.out"); then
    ok "tests/$name.sql (the same lines; an error line and its statement's rows in another order)"
  else bad "tests/$name.sql" "output differs from tests/$name.out" "$d/diff"; fi
done

# ---- 4. files with Chinese names, threads, time
if [ -f "$ROOT/windows/test_files.sh" ]; then
  . "$ROOT/windows/test_files.sh"
fi

# ---- 5. zhucan.exe
if [ -f "$ROOT/windows/test_cli.sh" ]; then
  . "$ROOT/windows/test_cli.sh"
fi

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
