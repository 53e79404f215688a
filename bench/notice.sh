#!/bin/bash
# bench/notice.sh [city.db] — the notices of a whole city: notice() rows and
# notice_html() pages for every site with a meal in the month (2,038 sites,
# 5.3M meals on the city fixture), in one sqlite3 process each, against the
# same-run baseline settlement() of the whole city (the money pass every
# notice runs a slice of).  Target (issue #16): a whole city's notices in
# under 30 s.  Each timing is one sqlite3 process under /usr/bin/time (wall,
# CPU = user + sys, max RSS).  Unsettled first (one month pass per county,
# shared by its sites: notice_money.c), then settled: settle() of the city
# and notice_html() again, the money read from the run's packs.
# The city needs the notice tables: data/city.db made before them lacks
# them, so without an argument a city with them is generated once into
# build/city-notices.db (build/zcgen --scale city, ~1-3 min) and reused.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SO=${ZC_SO:-$ROOT/zhucan.so}
SRC=${1:-}
if [ -z "$SRC" ]; then
  SRC=$ROOT/data/city.db
  if [ "$(sqlite3 "file:$SRC?mode=ro" "SELECT count(*) FROM sqlite_schema WHERE name = 'staff'" 2>/dev/null)" != 1 ]; then
    SRC=$ROOT/build/city-notices.db
    [ -f "$SRC" ] || { echo "generating $SRC (city fixture with the notice tables)"; (cd "$ROOT" && build/zcgen --scale city --out "$SRC" 2>/dev/null); }
  fi
fi
TMP=$(mktemp -d /tmp/zcbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/city.db
cp "$SRC" "$DB"
cd "$ROOT"
sqlite3 -cmd ".load $SO" "$DB" "SELECT policy_load('lua/zhongyang.lua')" >/dev/null
TOP=$(sqlite3 "$DB" "SELECT code FROM region WHERE parent IS NULL LIMIT 1")
M=2024-03
SITES=$(sqlite3 "$DB" "SELECT count(DISTINCT site_id) FROM meal WHERE served_at >= '$M-01' AND served_at < '2024-04-01'")
MEALS=$(sqlite3 "$DB" "SELECT count(*) FROM meal WHERE served_at >= '$M-01' AND served_at < '2024-04-01'")
cat "$DB" > /dev/null
echo "notice bench: $(basename "$SRC"), region $TOP, month $M: $SITES sites with meals, $MEALS meals"
SITESQL="SELECT DISTINCT site_id AS id FROM meal WHERE served_at >= '$M-01' AND served_at < '2024-04-01'"
t() {  # label, sql
  /usr/bin/time -f "%e %U %S %M" -o "$TMP/t" sqlite3 -batch -cmd ".load $SO" "$DB" "$2" > "$TMP/out"
  read -r wall usr sys rss < "$TMP/t"
  cpu=$(echo "$usr + $sys" | bc)
  printf '%-34s %8.2f s wall %8.2f s CPU %7d MB   -> %s\n' "$1" "$wall" "$cpu" $((rss / 1024)) "$(head -c 80 "$TMP/out" | tr '\n' ' ')"
  echo "$wall" > "$TMP/$3"
  echo "$cpu" > "$TMP/$3.cpu"
}
t "settlement() whole city (baseline)" "SELECT count(*), sum(amount_fen) FROM settlement('$TOP', '$M')" base
t "notice() every site" "SELECT count(*), sum(amount_fen) FILTER (WHERE section = 'total' AND line = 1) FROM ($SITESQL) s, notice(s.id, '$M') n" rows
t "notice_html() every site" "SELECT count(*), sum(length(h)) FROM (SELECT notice_html(s.id, '$M') AS h FROM ($SITESQL) s)" html
t "settle() whole city (the run)" "SELECT settle('$TOP', '$M')" settle
t "notice_html() every site, settled" "SELECT count(*), sum(length(h)) FROM (SELECT notice_html(s.id, '$M') AS h FROM ($SITESQL) s)" shtml
echo "settled: notice_html() of every site read from the run $(printf '%.2f' "$(echo "scale=3; $(cat "$TMP/shtml") / $(cat "$TMP/base")" | bc)")x settlement()," \
     "wall $(cat "$TMP/shtml") s, CPU $(cat "$TMP/shtml.cpu") s"
b=$(cat "$TMP/base"); r=$(cat "$TMP/rows"); h=$(cat "$TMP/html")
echo "ratio to settlement(): notice() $(echo "scale=2; $r / $b" | bc)x, notice_html() $(echo "scale=2; $h / $b" | bc)x;" \
     "per site: notice() $(echo "scale=1; 1000 * $r / $SITES" | bc) ms, notice_html() $(echo "scale=1; 1000 * $h / $SITES" | bc) ms"
hc=$(cat "$TMP/html.cpu")
echo "target: a whole city's notices (notice_html for every site) under 30 s: wall $h s $(echo "$h < 30" | bc | sed 's/1/met/;s/0/MISSED/')," \
     "CPU $hc s $(echo "$hc < 30" | bc | sed 's/1/met/;s/0/MISSED/') (load average $(cut -d' ' -f1 /proc/loadavg): on a shared machine quote CPU)"
