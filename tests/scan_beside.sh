#!/bin/sh
# modes: plain asan
# anomaly_scan's device pass runs beside the elder runs, on a thread and a
# second connection of its own, only when that connection must see what
# the scan's connection sees (docs/anomalies.md, "How the scan runs");
# otherwise it runs on the calling thread as before.  ZHUCAN_SCAN_TRACE=1
# says on stderr where it ran and why.  Checked here:
#   1. the county month: the same rows, in order, beside and on the calling
#      thread (ZHUCAN_SCAN_ONE_CONNECTION=1), and the trace says which;
#   2. a burst of card meals inserted inside the caller's open transaction
#      (not committed: a second connection could not see them) is found,
#      and the pass ran on the calling thread (a write is pending);
#   3. the same burst in a temp table `meal` that shadows the file's: found,
#      on the calling thread;
#   4. a database in WAL mode: on the calling thread, the same rows as 1;
#   5. the file renamed under the open connection: the second connection
#      cannot be had; on the calling thread, the same rows;
#   6. another file put at the old name, a copy with one meal changed: the
#      second connection sees another file (its header differs) and is not
#      used; the rows are those of the file the scan has open.
set -eu
. "$ZC_ROOT/tests/lib/county.sh"
county_db
Q="SELECT * FROM anomaly_scan('141129', '2024-03')"
fail=0
trace_is() {  # trace_is FILE WORDS: the trace line says WORDS
  grep -q "anomaly_scan: device pass $2" "$1" || { echo "FAIL: trace: expected '$2', got: $(cat "$1")"; fail=1; }
}

# 1
ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" county.db "$Q" > beside.out 2> beside.err
ZHUCAN_SCAN_TRACE=1 ZHUCAN_SCAN_ONE_CONNECTION=1 $SQLITE3 -cmd ".load $ZC_SO" county.db "$Q" > one.out 2> one.err
trace_is beside.err "beside the elder runs, on a second connection"
trace_is one.err "on the calling thread: ZHUCAN_SCAN_ONE_CONNECTION"
bursts=$(grep -c '^card_burst|' beside.out || true)
[ "$bursts" -gt 0 ] || { echo "FAIL: no card_burst on the county month to compare"; fail=1; }
cmp -s beside.out one.out || { echo "FAIL: 1. the rows differ beside and on one connection"; fail=1; }
echo "1. county month: $(wc -l < beside.out) rows ($bursts card_burst) the same beside and on one connection"

# the burst: 8 card meals one second apart on a new device at a site of the
# county, each elder's own card (the default thresholds: 6 within 15 s)
burst_sql D-BESIDE

# 2
n=$(ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" county.db "BEGIN; $BURST; $FOUND; ROLLBACK;" 2> tx.err)
trace_is tx.err "on the calling thread: not in a read transaction"
[ "$n" = 8 ] || { echo "FAIL: 2. the uncommitted burst: $n of 8 meals found"; fail=1; }
echo "2. a burst not yet committed in the caller's transaction: $n of 8 meals found"

# 3
n=$(ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" county.db \
  "CREATE TEMP TABLE meal AS SELECT * FROM main.meal WHERE 0; $BURST; $FOUND;" 2> temp.err)
trace_is temp.err "on the calling thread: a temp table meal"
[ "$n" = 8 ] || { echo "FAIL: 3. the burst in temp.meal: $n of 8 meals found"; fail=1; }
echo "3. a burst in a temp table meal: $n of 8 meals found"

# 4
cp county.db wal.db
$SQLITE3 wal.db "PRAGMA journal_mode = WAL" > /dev/null
ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" wal.db "$Q" > wal.out 2> wal.err
trace_is wal.err "on the calling thread: journal mode"
cmp -s wal.out one.out || { echo "FAIL: 4. the rows differ in WAL mode"; fail=1; }
echo "4. WAL mode: the same rows, on the calling thread"

# 5 and 6: the file moved away under the open connection
cp county.db moved.db
ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" moved.db ".shell mv moved.db gone.db" "$Q" > moved.out 2> moved.err
trace_is moved.err "on the calling thread: cannot open a second connection"
cmp -s moved.out one.out || { echo "FAIL: 5. the rows differ with the file moved"; fail=1; }
echo "5. the file moved away: the same rows, on the calling thread"
cp county.db swap.db
cp county.db other.db
$SQLITE3 other.db "UPDATE meal SET served_at = '2024-03-12 12:00:00' WHERE id = (SELECT min(id) FROM meal)"
ZHUCAN_SCAN_TRACE=1 $SQLITE3 -cmd ".load $ZC_SO" swap.db ".shell mv swap.db gone2.db && cp other.db swap.db" "$Q" > swap.out 2> swap.err
trace_is swap.err "on the calling thread: the second connection does not see the same file"
cmp -s swap.out one.out || { echo "FAIL: 6. the rows are not those of the open file"; fail=1; }
echo "6. another file at the old name: not read; the rows of the open file"
exit $fail
