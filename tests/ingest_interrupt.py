"""swipe_log stops soon when the statement is interrupted (issue #12, finding 5).

Run by tests/ingest_interrupt.sh in a directory holding test.db (the ingest
rows of fixtures/swipes/setup.sql loaded).  Two files:
  zeros.bin  1 GiB of zeros (sparse) without a newline: one over-long line,
             which one call of xNext skips to its end (before: nothing
             could stop it);
  many.csv   300,000 good lines: rows come back one by one.
Each read is stopped by tests/interrupt_stops.py's harness: a progress
handler that asks to stop from its k-th call on, and conn.interrupt() from
another thread after 20 delays spread over the read's time.  Every stop must come within LIMIT seconds of the request, and
the error must say 'interrupted'."""
import os, sqlite3, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interrupt_stops import stops  # noqa: E402

so = sys.argv[1]
LIMIT = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
fails = 0


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("FAIL", what)


c = sqlite3.connect("test.db", check_same_thread=False)
c.enable_load_extension(True)
c.load_extension(so)
with open("many.csv", "w") as f:
    for i in range(300000):
        f.write("2024-03-05 %02d:%02d:%02d,DEV-0012,CARD,6212340000123456\n" % (11 + i // 3600 % 2, i // 60 % 60, i % 60))
with open("zeros.bin", "wb") as f:
    f.truncate(1 << 30)
READS = [("one 1 GiB line", "SELECT count(*), max(error) FROM swipe_log('zeros.bin', 'csv')"),
         ("300,000 lines", "SELECT count(*), count(error) FROM swipe_log('many.csv', 'csv')")]
for label, sql in READS:
    c.execute(sql).fetchall()   # the first read of zeros.bin fills the page cache: slower
    lats, n_progress, n_thread, k, full = stops(c, label, sql, (), LIMIT, 20, check)
    check(n_progress >= 3 and n_thread >= 5, f"{label}: too few stops to judge ({n_progress}, {n_thread})")
    print(f"{label}: {full * 1000:.0f} ms uninterrupted; stopped {n_progress} times by the progress "
          f"handler, {n_thread} by conn.interrupt(); stop latency median "
          f"{statistics.median(lats or [0]) * 1000:.1f} ms, worst {max(lats or [0]) * 1000:.1f} ms")
print(f"{fails} failures")
sys.exit(1 if fails else 0)
