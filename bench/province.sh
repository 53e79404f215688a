#!/bin/bash
# bench/province.sh — the cost curve from a county month to a province month
# (`make bench-province`; bench/run.sh skips it, so it is not part of
# `make bench` or `make test`: the largest file is ~21 GB and takes minutes
# to generate and to read).
#
# Sizes: data/county.db (the county scale, ~0.1M meals) and the province
# scale of the generator at PROV_CITIES (default "1 2 3 11": 1.0M, 4.8M, 11.5M,
# 54M meals), each generated once into data/province-N.db (the files of
# `make province CITIES=N`; kept, a second run reuses them) with its
# policies installed (tools/province_policies.sh, in place).
#
# Passes, each over the file's top region and its month:
#   settlement    sum over settlement(top, month)
#   settle        settle(top, month) inside BEGIN ... ROLLBACK (the file is
#                 left as it was)
#   replay        replay() of that run, in the same transaction
#   anomaly_scan  count(*) over anomaly_scan(top, month)
#   subsidy_for   sum(subsidy_for(id)) over the month's meals
#   needs_watch   count(*) over needs_watch(top, month)
#   notices       notice_html(site, month) of every site with meals in the
#                 month (unsettled: the money from month passes, one per
#                 county), the pages' total length
# and the baselines, measured the same way:
#   floor_elder   stepping the covering index meal_elder_time alone (the
#                 read under settlement, settle, replay, subsidy_for)
#   floor_time    stepping the covering index meal_time alone (the read
#                 under anomaly_scan)
#   plain_sql     the month's nth-slot cap, age, death and agreement in
#                 plain SQL (row_number() window; Zhongyang's amounts for
#                 every county: the same work, not the same money where a
#                 county has other rules)
#
# Each pass runs in two sqlite3 processes:
#   1. after its file's pages are dropped from the page cache
#      (bench/dropcache.py: posix_fadvise DONTNEED on that file only): the
#      statement twice — "cold" (fresh connection, pages from disk) then
#      "warm" (same connection again);
#   2. a fresh process on the cache the first left: "fresh" (fresh
#      connection, pages cached as far as memory allows).
# CPU = user + sys of the statement (the shell's .timer), wall = its real
# time; RSS = the process's max resident set (/usr/bin/time %M).
#
# Writes build/bench-province/results.tsv (one row per size, pass and
# variant) and draws docs/perf/province.svg and docs/perf/province.md
# (tools/perfplot.py) from it — only from what this run measured.
#
#   PROV_CITIES="1 2"  fewer sizes;  PROV_PASSES="settlement anomaly_scan"
#   PROV_EXTRA=city    also the city fixture (data/city.db, 5.3M meals)
#   PROV_REGEN=1       generate the province files again (after a change to
#                      the generator: files are kept between runs otherwise)
#   PROV_MMAP=bytes    PRAGMA mmap_size for every pass (default 0 = off)
#   PROV_REPS=n        run each pass's two processes n times and keep the
#                      median (by CPU) of each variant (default 5 below 2M
#                      meals, 1 above)
#   PROV_KEEP=1        keep the rows of passes and sizes not run now from the last
#                      results.tsv (re-measure one pass after a change)
# plain_sql runs once per size (the cold process: its window sort of the
# whole month takes minutes at 50M meals).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SO=${ZC_SO:-$ROOT/zhucan.so}
CITIES=${PROV_CITIES:-1 2 3 11}
PASSES=${PROV_PASSES:-settlement settle anomaly_scan subsidy_for needs_watch notices floor_elder floor_time plain_sql}
MMAP=${PROV_MMAP:-0}
OUT=$ROOT/build/bench-province
mkdir -p "$OUT" data/prov
TMP=$(mktemp -d /tmp/zcprov.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
RES=$OUT/results.tsv
HEAD='size\tmeals\telders\tfile_bytes\tpass\tvariant\tcpu_s\twall_s\trss_kib\tresult\n'
if [ -n "${PROV_KEEP:-}" ] && [ -f "$RES" ]; then
  # keep the earlier run's rows of the passes not measured now, and of the
  # sizes not measured now
  keep=" $PASSES "; [[ $keep == *" settle "* ]] && keep="$keep replay "
  sizes=" county ${PROV_EXTRA:-} $(for n in $CITIES; do printf 'province-%s ' "$n"; done)"
  awk -F'\t' -v k="$keep" -v z="$sizes" 'NR > 1 && (index(k, " " $5 " ") == 0 || index(z, " " $1 " ") == 0)' "$RES" > "$TMP/kept"
  printf "$HEAD" > "$RES"; cat "$TMP/kept" >> "$RES"
else
  printf "$HEAD" > "$RES"
fi

[ -x build/zcgen ] || make -s build/zcgen
[ -f "$SO" ] || make -s

# a fixture of another scale (county; PROV_EXTRA may add city): a scratch
# copy under zhongyang
prep_fixture() {
  local name=$1 db=data/prov/$1.db
  if [ ! -f "$db" ] || [ "data/$name.db" -nt "$db" ]; then
    [ -f "data/$name.db" ] || make -s "data/$name.db"
    cp "data/$name.db" "$db.tmp"
    sqlite3 "$db.tmp" "UPDATE region SET policy = 'zhongyang' WHERE parent IS NULL"
    sqlite3 -cmd ".load $SO" "$db.tmp" "SELECT policy_load('lua/zhongyang.lua')" > /dev/null
    mv "$db.tmp" "$db"
  fi
  echo "$db"
}
prep_province() {
  local n=$1 db=data/province-$1.db
  if [ ! -f "$db" ] || [ -n "${PROV_REGEN:-}" ] ||
     [ "$(sqlite3 "$db" "SELECT value FROM fixture WHERE key = 'scale'" 2>/dev/null)" != province ]; then
    echo "generating $db (zcgen --scale province --cities $n) ..." >&2
    rm -f "$db" "$db.tmp"
    /usr/bin/time -f "  zcgen: %e s wall, %U s user, %S s sys, max RSS %M KiB" \
      build/zcgen --scale province --cities "$n" --out "$db.tmp" > "$TMP/gen" 2>&1 || { cat "$TMP/gen" >&2; exit 1; }
    tail -n 2 "$TMP/gen" >&2
    mv "$db.tmp" "$db"
  fi
  # its policies (loading the same source again adds nothing)
  ZC_SO=$SO sh tools/province_policies.sh "$db" > /dev/null || exit 1
  echo "$db"
}

# the N-th timed statement of an output: "cpu wall" / its result (the line
# printed just before its timer line, '|' as spaces)
timer_of() { awk '/^Run Time:/ { printf "%.3f %.3f\n", $6 + $8, $4 }' "$1" | sed -n "${2}p"; }
result_of() { awk -v n="$2" '/^Run Time:/ { if (++k == n) { print prev; exit } } { prev = $0 }' "$1" | tr '|' ' '; }

# run SIZE DB PASS SQL: two processes as described above, REPS times
# (PROV_REPS; default 5 below 2M meals, where a pass takes well under a
# second and one measurement is at the mercy of the timer and the load,
# else 1); each variant's row is the run with the median CPU time.
run_pass() {
  local size=$1 db=$2 pass=$3 sql=$4 pre="PRAGMA mmap_size = $MMAP;"
  local body=$TMP/body.sql reps=${PROV_REPS:-$([ "$MEALS" -lt 2000000 ] && echo 5 || echo 1)}
  case $pass in
    settle) body_settle > "$body" ;;
    plain_sql) printf '%s\n.timer on\n%s;\n' "$pre" "$sql" > "$body" ;;
    *) printf '%s\n.timer on\n%s;\n%s;\n' "$pre" "$sql" "$sql" > "$body" ;;
  esac
  printf '%s\n.timer on\n%s;\n' "$pre" "$sql" > "$TMP/body2.sql"
  [ "$pass" = settle ] && body_settle 1 > "$TMP/body2.sql"
  [ "$pass" = plain_sql ] && { printf '.timer on\nSELECT 1;\n' > "$TMP/body2.sql"; reps=1; }
  : > "$TMP/reps"
  local i rss1 rss2 r
  for i in $(seq 1 "$reps"); do
    /usr/bin/python3 bench/dropcache.py "$db" "$db-journal" 2>/dev/null | head -n 1 > "$TMP/drop"
    /usr/bin/time -f "%M" -o "$TMP/rss1" sqlite3 -batch -cmd ".load $SO" "$db" < "$body" > "$TMP/o1" 2>&1 || {
      echo "FAILED: $pass on $db:"; cat "$TMP/o1"; return 1; }
    /usr/bin/time -f "%M" -o "$TMP/rss2" sqlite3 -batch -cmd ".load $SO" "$db" < "$TMP/body2.sql" > "$TMP/o2" 2>&1 || {
      echo "FAILED: $pass on $db:"; cat "$TMP/o2"; return 1; }
    rss1=$(tail -n 1 "$TMP/rss1"); rss2=$(tail -n 1 "$TMP/rss2"); r=$(result_of "$TMP/o1" 1)
    # pass variant cpu wall rss result (tab-separated), one line each
    if [ "$pass" = settle ]; then
      # statements: settle, replay (cold process), settle (fresh process)
      printf 'settle\tcold\t%s\t%s\t%s\t%s\n' $(timer_of "$TMP/o1" 1) "$rss1" "$r" >> "$TMP/reps"
      printf 'replay\twarm\t%s\t%s\t%s\t%s\n' $(timer_of "$TMP/o1" 2) "$rss1" "$(result_of "$TMP/o1" 2)" >> "$TMP/reps"
      printf 'settle\tfresh\t%s\t%s\t%s\t%s\n' $(timer_of "$TMP/o2" 1) "$rss2" "$(result_of "$TMP/o2" 1)" >> "$TMP/reps"
    elif [ "$pass" = plain_sql ]; then
      printf '%s\tcold\t%s\t%s\t%s\t%s\n' "$pass" $(timer_of "$TMP/o1" 1) "$rss1" "$r" >> "$TMP/reps"
    else
      printf '%s\tcold\t%s\t%s\t%s\t%s\n' "$pass" $(timer_of "$TMP/o1" 1) "$rss1" "$r" >> "$TMP/reps"
      printf '%s\twarm\t%s\t%s\t%s\t%s\n' "$pass" $(timer_of "$TMP/o1" 2) "$rss1" "$r" >> "$TMP/reps"
      printf '%s\tfresh\t%s\t%s\t%s\t%s\n' "$pass" $(timer_of "$TMP/o2" 1) "$rss2" "$r" >> "$TMP/reps"
    fi
  done
  # the median run of each variant, in the order first written
  local n0 n1
  n0=$(wc -l < "$RES")
  awk -F'\t' '!seen[$1 FS $2]++ { print $1 FS $2 }' "$TMP/reps" | while IFS=$'\t' read -r ps v; do
    awk -F'\t' -v p="$ps" -v v="$v" '$1 == p && $2 == v' "$TMP/reps" | sort -t$'\t' -k3,3g > "$TMP/one"
    sed -n "$(( ($(wc -l < "$TMP/one") + 1) / 2 ))p" "$TMP/one" |
      awk -F'\t' -v s="$size" -v m="$MEALS" -v e="$ELDERS" -v b="$BYTES" 'BEGIN { OFS = "\t" }
        { print s, m, e, b, $1, $2, $3, $4, $5, $6 }' >> "$RES"
  done
  n1=$(wc -l < "$RES")
  sed 's/^.*: /  page cache of the file: /' "$TMP/drop"
  [ "$reps" -gt 1 ] && echo "  (median of $reps runs of each variant)"
  tail -n $((n1 - n0)) "$RES" | awk -F'\t' -v m="$MEALS" '{
    printf "  %-13s %-5s cpu %8.2f s  wall %8.2f s  %7.3f us/meal  %9.0f meals/s  RSS %6.0f MiB  -> %s\n",
      $5, $6, $7, $8, $7 * 1e6 / m, ($7 > 0 ? m / $7 : 0), $9 / 1024, $10 }'
}

# settle and replay of the run in one transaction, rolled back: nothing stays
body_settle() {
  if [ "${1:-}" = 1 ]; then
    printf 'PRAGMA mmap_size = %s;\nBEGIN;\n.timer on\nSELECT settle(%s, %s);\n.timer off\nROLLBACK;\n' "$MMAP" "'$TOP'" "'$MONTH'"
  else
    printf 'PRAGMA mmap_size = %s;\nBEGIN;\n.timer on\nSELECT settle(%s, %s);\nSELECT count(*) FROM replay((SELECT max(id) FROM zhucan_run));\n.timer off\nROLLBACK;\n' "$MMAP" "'$TOP'" "'$MONTH'"
  fi
}

sql_of() {
  case $1 in
    settlement) echo "SELECT count(*), sum(amount_fen) FROM settlement('$TOP', '$MONTH')" ;;
    settle) echo "SELECT settle('$TOP', '$MONTH')" ;;
    anomaly_scan) echo "SELECT count(*) FROM anomaly_scan('$TOP', '$MONTH')" ;;
    subsidy_for) echo "SELECT count(*), sum(subsidy_for(id)) FROM meal WHERE served_at >= '$FIRST' AND served_at < '$NEXT'" ;;
    needs_watch) echo "SELECT count(*) FROM needs_watch('$TOP', '$MONTH')" ;;
    notices) echo "SELECT count(*), sum(length(notice_html(s.id, '$MONTH'))) FROM site s WHERE EXISTS (SELECT 1 FROM meal m WHERE m.site_id = s.id AND m.served_at >= '$FIRST' AND m.served_at < '$NEXT')" ;;
    floor_elder) echo "SELECT count(*), sum(price_fen), max(token) FROM meal INDEXED BY meal_elder_time WHERE elder_id >= 0 AND served_at >= '$FIRST' AND served_at < '$NEXT'" ;;
    floor_time) echo "SELECT count(*), sum(price_fen), max(token) FROM meal INDEXED BY meal_time WHERE served_at >= '$FIRST' AND served_at < '$NEXT'" ;;
    plain_sql) cat <<EOF
WITH m AS (
  SELECT m.elder_id, m.site_id, m.slot, substr(m.served_at, 1, 10) AS day,
         row_number() OVER (PARTITION BY m.elder_id, substr(m.served_at, 1, 10), m.slot
                            ORDER BY m.served_at, m.id) AS nth_slot
    FROM meal m WHERE m.served_at >= '$FIRST' AND m.served_at < '$NEXT')
SELECT count(*),
       sum(CASE m.slot WHEN 'breakfast' THEN 200 WHEN 'lunch' THEN 500 WHEN 'dinner' THEN 300 ELSE 0 END)
  FROM m JOIN elder e ON e.id = m.elder_id
 WHERE m.nth_slot = 1
   AND (e.died_on IS NULL OR m.day < e.died_on)
   AND (CAST(substr(m.day, 1, 4) AS INTEGER) - CAST(substr(e.id_number, 7, 4) AS INTEGER)
        - (substr(m.day, 6, 5) < substr(e.id_number, 11, 2) || '-' || substr(e.id_number, 13, 2))) >= 70
   AND EXISTS (SELECT 1 FROM agreement a WHERE a.elder_id = m.elder_id AND a.site_id = m.site_id
                 AND a.signed_on <= m.day AND (a.ended_on IS NULL OR a.ended_on > m.day))
EOF
    ;;
  esac
}

bench_size() {
  local size=$1 db=$2
  TOP=$(sqlite3 "$db" "SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region) ORDER BY code LIMIT 1")
  MONTH=$(sqlite3 "$db" "SELECT value FROM fixture WHERE key = 'month'")
  FIRST="$MONTH-01"
  NEXT=$(sqlite3 "$db" "SELECT date('$FIRST', '+1 month')")
  MEALS=$(sqlite3 "$db" "SELECT count(*) FROM meal WHERE served_at >= '$FIRST' AND served_at < '$NEXT'")
  ELDERS=$(sqlite3 "$db" "SELECT count(*) FROM elder")
  BYTES=$(stat -L -c %s "$db")
  echo "== $size: $db, region $TOP, month $MONTH: $MEALS meals, $ELDERS elders, $((BYTES / 1048576)) MiB"
  for p in $PASSES; do run_pass "$size" "$db" "$p" "$(sql_of "$p")" || exit 1; done
}

echo "province bench: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, load $(cut -d' ' -f1-3 /proc/loadavg), mmap_size $MMAP"
bench_size county "$(prep_fixture county)"
for x in ${PROV_EXTRA:-}; do bench_size "$x" "$(prep_fixture "$x")"; done
for n in $CITIES; do
  db=$(prep_province "$n") || exit 1
  bench_size "province-$n" "$db"
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$RES" docs/perf/results.tsv
/usr/bin/python3 tools/perfplot.py "$RES" docs/perf
