#!/bin/bash
# bench/cluster.sh — zhucan on a 3-node dqlite cluster on 127.0.0.1
# (docs/cluster.md), against a local file in the same run:
#   1. the county fixture loaded through the leader with the dqlite shell;
#   2. settle() of the county month through the cluster vs on a local copy
#      (sqlite3 + zhucan.so), REPS times each ('supersede'), medians, ratio;
#   3. failover: the leader killed (-9) -> the first write that succeeds on
#      the new leader, REPS times;
#   4. the long statement: a statement runs on the node's event loop, so
#      heartbeats wait for it.  The nodes are restarted with an election
#      timeout below the measured settle time, then well above it; during a
#      settle each follower's view of the leader (zhucan-node --watch) is
#      read: an election is a follower naming no leader or another one.
# Needs build/zhucan-node (make node), Debian's go-dqlite (dqlite shell).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZC_ROOT=$ROOT
SRC=${1:-$ROOT/data/county.db}
REPS=${REPS:-3}
command -v dqlite >/dev/null || { echo "no dqlite shell: make deps"; exit 1; }
[ -x "$ROOT/build/zhucan-node" ] || { echo "no build/zhucan-node: make node"; exit 1; }
. "$ROOT/node/cluster.sh"
TMP=$(mktemp -d /tmp/zcbench.XXXXXX)
trap 'zc_cluster_cleanup; rm -rf "$TMP"' EXIT
cd "$TMP" && ln -s "$ROOT/lua" lua
export ZHUCAN_TODAY=2024-07-01 ZHUCAN_LANG=en
ZC_Q_TIMEOUT=600
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

cp "$SRC" local.db
MEALS=$(sqlite3 local.db "SELECT count(*) FROM meal WHERE served_at LIKE '2024-03%'")
echo "fixture $(basename "$SRC"): $MEALS meals in 2024-03, $(du -k local.db | cut -f1) KiB"
zc_cluster_init "$TMP/c" 3
for i in 1 2 3; do zc_node_start "$i" || exit 1; done

# ---- 1. load ------------------------------------------------------------------
sqlite3 local.db .dump | python3 "$ROOT/node/sql_lines.py" > load.sql
t=$(zc_now); zc_q < load.sql > /dev/null || { echo "load failed"; head -3 "$ZC_CDIR/q.res"; exit 1; }
echo "load through the leader: $(wc -l < load.sql) lines (batches), $(zc_secs "$t" "$(zc_now)") s"
[ "$(zc_q "SELECT count(*) FROM meal" | tail -n 1)" = "$(sqlite3 local.db "SELECT count(*) FROM meal")" ] ||
  { echo "meal counts differ after the load"; exit 1; }

# ---- 2. settle: cluster vs local ---------------------------------------------
zc_q "SELECT policy_load('lua/zhongyang.lua')" > /dev/null || exit 1
sqlite3 -cmd ".load $ROOT/zhucan" local.db "SELECT policy_load('lua/zhongyang.lua')" > /dev/null
: > c.times; : > l.times
for r in $(seq 1 "$REPS"); do
  sup=""; [ "$r" -gt 1 ] && sup=", 'supersede'"
  t=$(zc_now); zc_q "SELECT settle('141129', '2024-03'$sup)" > /dev/null || { echo "cluster settle failed"; exit 1; }
  zc_secs "$t" "$(zc_now)" >> c.times
  t=$(zc_now); sqlite3 -cmd ".load $ROOT/zhucan" local.db "SELECT settle('141129', '2024-03'$sup)" > /dev/null || exit 1
  zc_secs "$t" "$(zc_now)" >> l.times
done
C=$(median < c.times); L=$(median < l.times)
q="SELECT total_fen || ' ' || output_digest FROM zhucan_run ORDER BY id DESC LIMIT 1"
[ "$(zc_q "$q" | tail -n 1)" = "$(sqlite3 local.db "$q")" ] || echo "WARNING: cluster and local runs differ"
echo "settle county month ($MEALS meals), median of $REPS: cluster $C s ($(paste -sd' ' c.times)), local file $L s ($(paste -sd' ' l.times)); cluster/local = $(awk -v c="$C" -v l="$L" 'BEGIN { printf "%.2f", c / l }')"
echo "  (cluster: the dqlite shell's process start, the statement on the leader, the pages replicated and committed by 2 of 3)"

# ---- 3. failover -------------------------------------------------------------
zc_q "CREATE TABLE IF NOT EXISTS bench_ping(t TEXT)" > /dev/null
: > f.times
for r in $(seq 1 "$REPS"); do
  lead=$(zc_leader); k=$(zc_node_of "$lead")
  t=$(zc_now); zc_node_kill9 "$k"
  ok=0
  for _ in $(seq 1 300); do
    ZC_Q_TIMEOUT=5 zc_q "INSERT INTO bench_ping VALUES ('$r')" > /dev/null 2>&1 && { ok=1; break; }
    sleep 0.1
  done
  [ $ok = 1 ] || { echo "no write within the bound after killing node $k"; exit 1; }
  zc_secs "$t" "$(zc_now)" >> f.times
  zc_node_start "$k" || exit 1
done
echo "failover (kill -9 leader -> a write succeeds on the new leader), election timeout 3000 ms: median $(median < f.times) s ($(paste -sd' ' f.times))"

# ---- 4. the long statement -----------------------------------------------------
restart_all() {  # election timeout $1 ms (a restart loads the snapshot: slow on a big database)
  for i in 1 2 3; do zc_node_stop "$i" || exit 1; done
  for i in 1 2 3; do ZC_NOWAIT=1 zc_node_start "$i" --election-ms "$1"; done
  zc_wait_leader "" $(( $1 * 2 / 1000 + 90 )) > /dev/null || { echo "no leader within twice the election timeout"; exit 1; }
}
watch_settle() {  # election timeout $1 ms: one settle, elections seen during it
  restart_all "$1"
  sleep 2
  lead=$(zc_leader); k=$(zc_node_of "$lead")
  for i in 1 2 3; do wc -l < "$ZC_CDIR/n$i.log" > "$TMP/mark$i"; done
  t=$(zc_now); zc_q "SELECT settle('141129', '2024-03', 'supersede')" > /dev/null 2>&1; rc=$?; d=$(zc_secs "$t" "$(zc_now)")
  sleep 2
  el=0
  for i in 1 2 3; do
    [ "$i" = "$k" ] && continue
    tail -n +"$(( $(cat "$TMP/mark$i") + 1 ))" "$ZC_CDIR/n$i.log" | grep 'leader: ' | grep -vq "leader: $lead\$" && el=$((el + 1))
  done
  after=$(zc_leader)
  echo "election timeout $1 ms: settle took $d s ($([ $rc = 0 ] && echo stored || echo failed)); followers that lost the leader: $el of 2; leader before $lead, after $after"
}
# The month made 4x longer (each March meal three more times, a few seconds
# later), so the statement is long
# against the timeouts below; the timings are of that month.
# In quarters, and with the election timeout raised to 10 s while it runs:
# on a busy machine even a quarter-month INSERT at the default 3000 ms lost
# the leader (the commit answered "driver: bad connection").
restart_all 10000
for k in 1 2 3; do
  for j in 0 1 2 3; do
    zc_q "INSERT INTO meal SELECT id * 10 + $k + 100000000, elder_id, site_id, datetime(served_at, '+$k seconds'), slot, method, device, token, price_fen FROM meal WHERE served_at LIKE '2024-03%' AND id < 100000000 AND id % 4 = $j" > /dev/null ||
      { echo "growing the month failed: $(grep Error "$ZC_CDIR/q.res" | head -n 2)"; tail -n 5 "$ZC_CDIR"/n*.log; exit 1; }
  done
done
BIG=$(zc_q "SELECT count(*) FROM meal WHERE served_at LIKE '2024-03%'" | tail -n 1)
echo "the long statement: settle of a $BIG-meal month (the county's, 4x)"
watch_settle 3000
S=$d
watch_settle $(awk -v c="$S" 'BEGIN { v = int(c * 1000 / 4); if (v < 150) v = 150; print v }')
long=$(awk -v c="$S" 'BEGIN { print int(c * 1000 * 5) }')
[ "$long" -gt 3000 ] && watch_settle "$long"
exit 0
