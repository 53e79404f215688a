# node/cluster.sh — start, query and stop a zhucan-node cluster on one
# machine (127.0.0.1); sourced by tests/cluster.sh and bench/cluster.sh.
# Every wait is bounded; zc_cluster_cleanup (set as an EXIT trap by the
# caller) kills every node this shell started.
#
#   . node/cluster.sh
#   zc_cluster_init "$dir" 3        # picks 3 free ports, data in $dir/n1..n3
#   zc_node_start 1; zc_node_start 2; zc_node_start 3
#   zc_q "SELECT count(*) FROM meal"
#
# Needs: ZC_ROOT (the repository), `dqlite` (Debian's go-dqlite), timeout.

ZC_NODE_BIN=${ZC_NODE_BIN:-$ZC_ROOT/build/zhucan-node}
ZC_Q_TIMEOUT=${ZC_Q_TIMEOUT:-60}
ZC_DB=zhucan

zc_now() { date +%s.%N; }
zc_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }

# Free TCP ports on 127.0.0.1 (bound once by the kernel, then released).
zc_free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

zc_cluster_init() {
  local i
  ZC_CDIR=$1
  ZC_N=$2
  set -- $(zc_free_ports "$ZC_N")
  ZC_ALL=""
  for i in $(seq 1 "$ZC_N"); do
    eval "ZC_ADDR_$i=127.0.0.1:\$1"
    eval "ZC_PID_$i="
    ZC_ALL="$ZC_ALL${ZC_ALL:+,}127.0.0.1:$1"
    shift
  done
  mkdir -p "$ZC_CDIR"
}

zc_addr() { eval "echo \$ZC_ADDR_$1"; }
zc_pid() { eval "echo \$ZC_PID_$1"; }
zc_node_of() {  # address -> node number
  local i
  for i in $(seq 1 "$ZC_N"); do [ "$(zc_addr "$i")" = "$1" ] && { echo "$i"; return 0; }; done
  return 1
}

# zc_node_start I [options...]: node I on its port and data directory; a new
# node other than 1 joins through the others.  Returns once the node knows a
# leader (a new node: once it has joined), or fails after 30 s; with
# ZC_NOWAIT set, at once.
zc_node_start() {
  local i=$1 join="" log before want
  shift
  if [ "$i" != 1 ] && [ ! -e "$ZC_CDIR/n$i/metadata1" ]; then
    join="--join $(echo "$ZC_ALL" | tr ',' '\n' | grep -v "^$(zc_addr "$i")\$" | paste -sd,)"
  fi
  log=$ZC_CDIR/n$i.log
  before=$(cat "$log" 2>/dev/null | wc -l)
  "$ZC_NODE_BIN" --id "$i" --address "$(zc_addr "$i")" --dir "$ZC_CDIR/n$i" $join --watch "$@" \
    >> "$log" 2>&1 &
  eval "ZC_PID_$i=$!"
  [ -n "${ZC_NOWAIT:-}" ] && return 0   # restarting all: no leader until a majority runs
  want="leader: [0-9]"
  [ -n "$join" ] && want="joined the cluster"
  for _ in $(seq 1 300); do
    tail -n +"$((before + 1))" "$log" 2>/dev/null | grep -q "$want" && return 0
    kill -0 "$(zc_pid "$i")" 2>/dev/null || { echo "node $i exited:"; tail -5 "$log"; return 1; }
    sleep 0.1
  done
  echo "node $i did not come up within 30 s"; tail -5 "$log"; return 1
}

zc_node_kill9() { local p; p=$(zc_pid "$1"); [ -n "$p" ] && kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; eval "ZC_PID_$1="; }

# SIGTERM, then up to 20 s for a clean exit (then SIGKILL, and a failure).
zc_node_stop() {
  local p rc; p=$(zc_pid "$1"); [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 1 200); do
    kill -0 "$p" 2>/dev/null || { wait "$p"; rc=$?; eval "ZC_PID_$1="; return $rc; }
    sleep 0.1
  done
  kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; eval "ZC_PID_$1="
  echo "node $1 did not stop within 20 s of SIGTERM"; return 1
}

zc_cluster_cleanup() {
  local i p
  for i in $(seq 1 "${ZC_N:-0}"); do
    p=$(zc_pid "$i"); [ -n "$p" ] && kill -9 "$p" 2>/dev/null
  done
  wait 2>/dev/null
  return 0
}

# The dqlite shell on the cluster: SQL lines on stdin (or $1), results on
# stdout without prompts; fails when a line fails or after ZC_Q_TIMEOUT s.
zc_q() {
  local rc
  if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi > "$ZC_CDIR/q.in"
  timeout "$ZC_Q_TIMEOUT" dqlite -s "${ZC_SERVERS:-$ZC_ALL}" "$ZC_DB" < "$ZC_CDIR/q.in" > "$ZC_CDIR/q.out" 2>&1
  rc=$?
  sed -e 's/^\(dqlite> \)*//' "$ZC_CDIR/q.out" | grep -v '^$' > "$ZC_CDIR/q.res"
  cat "$ZC_CDIR/q.res"
  [ $rc -eq 0 ] || { echo "dqlite shell: exit $rc" >&2; return 1; }
  ! grep -q '^Error:' "$ZC_CDIR/q.res"
}

# The leader's address, asked of the nodes still running ("" if none knows).
zc_leader() {
  local alive="" i
  for i in $(seq 1 "$ZC_N"); do
    [ -n "$(zc_pid "$i")" ] && alive="$alive${alive:+,}$(zc_addr "$i")"
  done
  [ -n "$alive" ] || return 1
  timeout 10 dqlite -s "$alive" "$ZC_DB" .leader 2>/dev/null | grep -E '^[0-9.]+:[0-9]+$' | head -n 1
}

# Waits (at most $2 s, default 30) for a leader other than $1; prints it.
zc_wait_leader() {
  local end l
  end=$(( $(date +%s) + ${2:-30} ))
  while [ "$(date +%s)" -lt "$end" ]; do
    l=$(zc_leader)
    [ -n "$l" ] && [ "$l" != "$1" ] && { echo "$l"; return 0; }
    sleep 0.2
  done
  return 1
}
