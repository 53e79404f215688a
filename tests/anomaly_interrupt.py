"""anomaly_scan, coverage_gaps and needs_watch stop soon when the statement is interrupted.

Run by tests/anomaly_interrupt.sh (issue #12, finding 5): DB is a copy of
the county fixture (or the city's, by hand: python3 tests/anomaly_interrupt.py
zhucan.so data/city.db) with the policy installed.  Each call is stopped by tests/interrupt_stops.py's
harness: a progress handler asking to stop from its k-th call on, and
conn.interrupt() from another thread after 24 delays spread over the call's
uninterrupted time.
Every stop must come within LIMIT seconds of the handler's first 'stop' or
of the interrupt (the passes after the read are plain C: they poll), and
the error must say 'interrupted' (never 'load sql/schema.sql' nor 'not a
code in table region').  Prints the stops' latencies (median, worst).
Afterwards the call still works and gives the rows it gave before."""
import os, sqlite3, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interrupt_stops import stops  # noqa: E402

so, db = sys.argv[1], sys.argv[2]
LIMIT = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
BAD = ("load sql/schema.sql", "not a code in table region", "cannot read")
fails = 0


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("FAIL", what)


c = sqlite3.connect(db, check_same_thread=False)
c.enable_load_extension(True)
c.load_extension(so)
top = c.execute("SELECT code FROM region WHERE parent IS NULL ORDER BY code LIMIT 1").fetchone()[0]
month = c.execute("SELECT substr(served_at, 1, 7) m FROM meal GROUP BY m ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
CALLS = [("anomaly_scan", "SELECT * FROM anomaly_scan(?, ?)", (top, month)),
         ("coverage_gaps", "SELECT * FROM coverage_gaps(?, ?)", (top, month + "-15")),
         ("needs_watch", "SELECT * FROM needs_watch(?, ?)", (top, month))]


for label, sql, args in CALLS:
    lats, n_progress, n_thread, k, full = stops(c, label, sql, args, LIMIT, 24, check, BAD)
    med = statistics.median(lats) if lats else 0
    print(f"{label}: {full * 1000:.0f} ms uninterrupted; stopped {n_progress} times by the progress handler "
          f"(k up to {k}), {n_thread} by conn.interrupt(); stop latency median {med * 1000:.1f} ms, "
          f"worst {max(lats or [0]) * 1000:.1f} ms")
    check(n_progress >= 5 and n_thread >= 1, f"{label}: too few stops to judge")
print(f"{fails} failures")
sys.exit(1 if fails else 0)
