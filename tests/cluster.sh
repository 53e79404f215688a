#!/bin/bash
# A 3-node zhucan-node cluster on 127.0.0.1 (docs/cluster.md): the small
# fixture loaded through the leader with the dqlite shell, settle(), the
# leader killed (-9), the run on the new leader with replay() clean and the
# same digests, the next month settled, the killed node restarted and
# caught up, writes with 2 of 3, and a settle in flight when the leader dies
# (committed or nothing, never half).  Every money figure and digest is
# compared with the same SQL run on a local copy of the fixture (sqlite3
# and zhucan.so: an independent path to the same numbers).
# modes: plain
set -u
ROOT=$ZC_ROOT
command -v dqlite >/dev/null || { echo "no dqlite shell (Debian package go-dqlite): make deps"; exit 1; }
[ -x "$ROOT/build/zhucan-node" ] || { echo "no build/zhucan-node: make node"; exit 1; }
. "$ROOT/node/cluster.sh"
export ZHUCAN_TODAY=2024-07-01
T0=$(zc_now)
fail=0
bad() { echo "FAIL: $*"; fail=1; }
die() { echo "FAIL: $*"; grep -h "^Error" "$ZC_CDIR/q.res" | head -n 3; for f in "$ZC_CDIR"/n*.log; do echo "== $f"; tail -n 8 "$f"; done; exit 1; }
trap zc_cluster_cleanup EXIT
zc_cluster_init "$PWD/cluster" 3
L() { $SQLITE3 -batch -cmd ".load $ZC_SO" local.db "$@"; }   # the local copy
one() { zc_q "$1" | tail -n 1; }

# ---- three nodes: 1 bootstraps, 2 and 3 join ------------------------------
zc_node_start 1 || die "node 1"
zc_node_start 2 || die "node 2"
zc_node_start 3 || die "node 3"
voters=$(zc_q ".cluster" | grep -c '|voter$')
[ "$voters" = 3 ] || die "cluster has $voters voters, not 3: $(cat "$ZC_CDIR/q.res")"
echo "3 voters after $(zc_secs "$T0" "$(zc_now)") s"

# ---- load the fixture through the leader ----------------------------------
sqlite3 "$ZC_SMALL_DB" .dump | python3 "$ROOT/node/sql_lines.py" > load.sql || die "sql_lines.py"
zc_q < load.sql > /dev/null || die "loading: $(grep Error "$ZC_CDIR/q.res" | head -3)"
cp "$ZC_SMALL_DB" local.db
tables="region site elder elder_status card device agreement bed_stay meal site_report"
for t in $tables; do
  want=$(sqlite3 local.db "SELECT count(*) || ' ' || total(rowid) FROM $t")
  got=$(one "SELECT count(*) || ' ' || total(rowid) FROM $t")
  [ "$got" = "$want" ] || bad "table $t: cluster has '$got' rows, the fixture '$want'"
done
echo "fixture loaded ($(sqlite3 local.db "SELECT count(*) FROM meal") meals)"

# ---- policy, settle, verify -----------------------------------------------
RUNQ="SELECT id || ' ' || month || ' ' || total_fen || ' ' || input_digest || ' ' || output_digest || ' ' || rows_digest || ' ' || chain FROM zhucan_run WHERE id ="
one "SELECT policy_load('lua/zhongyang.lua')" > /dev/null || die "policy_load"
L "SELECT policy_load('lua/zhongyang.lua')" > /dev/null
r1=$(one "SELECT settle('141129', '2024-03')") || die "settle: $r1"
[ "$r1" = "$(L "SELECT settle('141129', '2024-03')")" ] || bad "run id $r1 differs from the local copy's"
d1=$(one "$RUNQ $r1")
w1=$(L "$RUNQ $r1" | cut -d' ' -f1-5)   # created_at enters rows_digest and chain
[ "$(echo "$d1" | cut -d' ' -f1-5)" = "$w1" ] || bad "run $r1 on the cluster '$d1', locally '$w1'"
[ "$(one "SELECT count(*) FROM run_verify()")" = 0 ] || bad "run_verify() not clean after settle"
# The read-only functions on dqlite's connections: the anomaly scan (its
# reader thread) and a site's notice, against the local copy.
SCAN="SELECT count(*) || ' ' || total(meal_id) || ' ' || group_concat(DISTINCT kind) FROM anomaly_scan('141129', '2024-03')"
[ "$(one "$SCAN")" = "$(L "$SCAN")" ] || bad "anomaly_scan on the cluster '$(one "$SCAN")', locally '$(L "$SCAN")'"
NOTICE="SELECT count(*) FROM notice(1, '2024-03')"
[ "$(one "$NOTICE")" = "$(L "$NOTICE")" ] || bad "notice(1, '2024-03') on the cluster differs from the local copy"
echo "run $r1 settled: $(echo "$d1" | cut -d' ' -f3) fen, the same totals and digests as the local copy"

# ---- kill -9 the leader -----------------------------------------------------
lead=$(zc_leader); k=$(zc_node_of "$lead") || die "no leader"
t=$(zc_now); zc_node_kill9 "$k"
new=$(zc_wait_leader "$lead" 30) || die "no new leader within 30 s of killing node $k"
one "SELECT count(*) FROM meal" > /dev/null || die "no write path on the new leader"
echo "node $k (leader) killed; node $(zc_node_of "$new") leads after $(zc_secs "$t" "$(zc_now)") s"
[ "$(one "$RUNQ $r1")" = "$d1" ] || bad "run $r1 after failover: '$(one "$RUNQ $r1")', before: '$d1'"
[ "$(one "SELECT count(*) FROM replay($r1)")" = 0 ] || bad "replay($r1) differs on the new leader"
[ "$(one "SELECT count(*) FROM run_verify()")" = 0 ] || bad "run_verify() not clean after failover"

# ---- the next month on the new leader ---------------------------------------
APRIL="INSERT INTO meal SELECT id + 1000000, elder_id, site_id, '2024-04' || substr(served_at, 8), slot, method, device, token, price_fen FROM meal WHERE served_at < '2024-03-31'"
zc_q "$APRIL" > /dev/null || die "April's meals"
L "$APRIL"
r2=$(one "SELECT settle('141129', '2024-04')") || die "settle April: $r2"
d2=$(one "$RUNQ $r2")
[ "$(echo "$d2" | cut -d' ' -f1-5)" = "$(L "SELECT settle('141129', '2024-04')" >/dev/null; L "$RUNQ $r2" | cut -d' ' -f1-5)" ] ||
  bad "run $r2 on the cluster differs from the local copy's"
echo "run $r2 (2024-04) settled on the new leader: $(echo "$d2" | cut -d' ' -f3) fen"

# ---- the killed node rejoins; a follower stops; 2 of 3 write --------------
zc_node_start "$k" || die "restarting node $k"
echo "node $k restarted and follows $(grep 'leader: ' "$ZC_CDIR/n$k.log" | tail -n 1 | sed 's/.*leader: //')"
lead=$(zc_leader); l=$(zc_node_of "$lead")
f=$(for i in 1 2 3; do [ "$i" != "$k" ] && [ "$i" != "$l" ] && echo "$i"; done)
zc_node_stop "$f" || bad "node $f did not stop cleanly on SIGTERM"
# With node $f down a commit needs node $k: these rows exist only on $l and $k.
zc_q "INSERT INTO meal SELECT id + 2000000, elder_id, site_id, '2024-05' || substr(served_at, 8), slot, method, device, token, price_fen FROM meal WHERE served_at < '2024-03-31'" > /dev/null ||
  bad "no write with 2 of 3 nodes"
may=$(one "SELECT count(*) FROM meal WHERE served_at LIKE '2024-05%'")
echo "node $f stopped; $may May meals written by nodes $l and $k"
# Node $k's own copy, read out with the shell's .dump (the backup and
# read-copy path of docs/cluster.md): a SQLite file with the May meals and
# runs that verify and replay.  A follower applies a commit with the next
# heartbeat: asked again, at most 10 times.
mkdir -p dump
for _ in $(seq 1 10); do
  rm -f dump/zhucan dump/zhucan-wal
  (cd dump && timeout 20 dqlite -s "$(zc_addr "$k")" zhucan ".dump $(zc_addr "$k") zhucan" > dump.out 2>&1)
  got=$(sqlite3 dump/zhucan "SELECT count(*) FROM meal WHERE served_at LIKE '2024-05%'" 2>&1)
  [ "$got" = "$may" ] && break
  sleep 0.5
done
[ "$got" = "$may" ] || bad "node $k's dumped copy has '$got' May meals, not $may: $(cat dump/dump.out)"
D() { $SQLITE3 -batch -cmd ".load $ZC_SO" dump/zhucan "$@"; }
[ "$(D "SELECT count(*) FROM run_verify()")" = 0 ] || bad "run_verify() on node $k's copy"
[ "$(D "SELECT count(*) FROM replay($r2)")" = 0 ] || bad "replay($r2) on node $k's copy"
[ "$(D "$RUNQ $r2")" = "$d2" ] || bad "run $r2 in node $k's copy: '$(D "$RUNQ $r2")'"
echo "node $k's own copy (.dump): $got May meals, run $r2 verifies and replays clean"
# Now the leader dies and node $f (which missed the write) comes back: the
# only copy of the May meals a majority can have is node $k's.
zc_node_kill9 "$l"
zc_node_start "$f" || die "restarting node $f"
new=$(zc_wait_leader "" 30) || die "no leader of nodes $k and $f"
got=$(one "SELECT count(*) FROM meal WHERE served_at LIKE '2024-05%'")
[ "$got" = "$may" ] && [ "$may" -gt 0 ] || bad "after losing node $l: $got May meals, not $may (node $k had not caught up)"
[ "$(one "$RUNQ $r2")" = "$d2" ] || bad "run $r2 differs when served from node $k's copy"
echo "node $l killed, node $f back: node $(zc_node_of "$new") leads; node $k's copy had all $may May meals and run $r2"
zc_node_start "$l" || die "restarting node $l"

# ---- a settle in flight when the leader dies ------------------------------
# After the kill the month has one run, whole (run_verify and replay clean),
# or none and no row of any run left behind; settling it again then either
# stores it or is refused naming the run that is there -- never two runs.
ZC_Q_TIMEOUT=30
inflight() {  # inflight MONTH HOW: settle MONTH on the leader, kill it as HOW says
  local month how lead l fs i qp answered n r outcome t again retry
  month=$1; how=$2
  lead=$(zc_leader); l=$(zc_node_of "$lead")
  fs=$(for i in 1 2 3; do [ "$i" != "$l" ] && echo "$i"; done)
  [ "$how" = commit ] && for i in $fs; do kill -STOP "$(zc_pid "$i")"; done
  ZC_SERVERS=$lead zc_q "SELECT settle('141129', '$month')" > inflight.out 2>&1 &
  qp=$!
  if [ "$how" = commit ]; then sleep 1.5; else sleep 0.1; fi
  zc_node_kill9 "$l"
  [ "$how" = commit ] && for i in $fs; do kill -CONT "$(zc_pid "$i")"; done
  wait "$qp"; answered=$?
  zc_wait_leader "" 30 > /dev/null || die "no leader after killing node $l during settle($month)"
  n=$(one "SELECT count(*) FROM zhucan_run WHERE month = '$month'")
  case $n in
    0) outcome="nothing stored" ;;
    1) r=$(one "SELECT id FROM zhucan_run WHERE month = '$month'")
       [ "$(one "SELECT count(*) FROM replay($r)")" = 0 ] || bad "replay($r) of the in-flight run differs"
       outcome="committed as run $r, whole" ;;
    *) bad "$n runs of $month" ;;
  esac
  [ $answered = 0 ] && [ "$n" = 0 ] && bad "the client was told settle($month) succeeded but no run is there"
  [ "$(one "SELECT count(*) FROM run_verify()")" = 0 ] || bad "run_verify() not clean after killing the leader in settle($month)"
  for t in zhucan_run_pack zhucan_run_site zhucan_run_item zhucan_run_cover zhucan_run_elder; do
    [ "$(one "SELECT count(*) FROM $t WHERE run_id NOT IN (SELECT id FROM zhucan_run)")" = 0 ] || bad "$t has rows of no run"
  done
  # The shell loses the message of a SELECT that fails while stepping (it
  # shows the column name); the exec form keeps it (docs/cluster.md).
  again=$(zc_q "WITH s(run) AS (SELECT settle('141129', '$month')) SELECT run FROM s WHERE run IS NULL" 2>&1 | tr '\n' ' ')
  case $n:$again in
    0:) retry="settled again as run $(one "SELECT id FROM zhucan_run WHERE month = '$month'")" ;;
    1:*"run $r"*) retry="settling again is refused naming run $r" ;;
    *) bad "settling $month again after $n runs: $again"; retry="?" ;;
  esac
  [ "$(one "SELECT count(*) FROM zhucan_run WHERE month = '$month'")" = 1 ] || bad "not one run of $month"
  echo "leader killed during settle($month) ($how): $outcome (client: $([ $answered = 0 ] && echo ok || echo error)); $retry"
  zc_node_start "$l" || die "restarting node $l"
}
# (compute) the leader dies 0.1 s into the month pass of a 20x larger month:
# the run exists only in its open transaction; expected: nothing stored.
zc_q "INSERT INTO meal SELECT id * 100 + k + 10000000, elder_id, site_id, datetime('2024-06' || substr(served_at, 8), '+' || k || ' seconds'), slot, method, device, token, price_fen FROM meal, (WITH RECURSIVE c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k < 19) SELECT k FROM c) WHERE served_at LIKE '2024-03%' AND served_at < '2024-03-31'" > /dev/null || die "June's meals"
inflight 2024-06 compute
# (commit) the followers are paused while the leader computes and sends the
# run; it is killed before they answer.  What they had received when they
# resume decides: committed by the new leader, or nothing.
inflight 2024-05 commit

# ---- clean shutdown ---------------------------------------------------------
for i in 1 2 3; do zc_node_stop "$i" || bad "node $i: no clean exit on SIGTERM"; done
grep -h "stopped$" "$ZC_CDIR"/n*.log | wc -l | grep -qx '[1-9][0-9]*' || bad "no node logged 'stopped'"
echo "done in $(zc_secs "$T0" "$(zc_now)") s"
[ $fail = 0 ] || { for f in "$ZC_CDIR"/n*.log; do echo "== $f"; tail -n 8 "$f"; done; }
exit $fail
