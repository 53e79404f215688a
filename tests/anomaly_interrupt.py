"""anomaly_scan and coverage_gaps stop soon when the statement is interrupted.

Run by tests/anomaly_interrupt.sh (issue #12, finding 5): DB is a copy of
the county fixture (or the city's, by hand: python3 tests/anomaly_interrupt.py
zhucan.so data/city.db) with the policy installed.  Each call is stopped
  1. by a progress handler that asks to stop from its k-th call on, for
     k = 1, 2, ... (then growing by a third) until the call completes;
  2. by conn.interrupt() from another thread, after delays spread over the
     call's uninterrupted time.
Every stop must come within LIMIT seconds of the handler's first 'stop' or
of the interrupt (the passes after the read are plain C: they poll), and
the error must say 'interrupted' (never 'load sql/schema.sql' nor 'not a
code in table region').  Prints the stops' latencies (median, worst).
Afterwards the call still works and gives the rows it gave before."""
import sqlite3, statistics, sys, threading, time

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
         ("coverage_gaps", "SELECT * FROM coverage_gaps(?, ?)", (top, month + "-15"))]


def stopped(label, how, msg, lat, lats):
    check("interrupted" in msg and not any(b in msg for b in BAD), f"{label}, {how}: message {msg!r}")
    check(lat <= LIMIT, f"{label}, {how}: stopped {lat * 1000:.0f} ms after being asked (limit {LIMIT * 1000:.0f} ms)")
    lats.append(lat)


for label, sql, args in CALLS:
    t = time.perf_counter()
    want = c.execute(sql, args).fetchall()
    full = time.perf_counter() - t
    lats, n_progress, n_thread = [], 0, 0
    # 1. the progress handler
    k = 1
    while True:
        st = {"calls": 0, "t": None}

        def handler():
            st["calls"] += 1
            if st["calls"] >= k:
                if st["t"] is None:
                    st["t"] = time.perf_counter()
                return 1
            return 0

        c.set_progress_handler(handler, 1000)
        try:
            c.execute(sql, args).fetchall()
            done = True
        except sqlite3.Error as e:
            done, msg, end = False, str(e), time.perf_counter()
        c.set_progress_handler(None, 0)
        if done:
            break
        n_progress += 1
        stopped(label, f"progress handler, k={k}", msg, end - st["t"], lats)
        k = k + 1 if k < 20 else int(k * 4 / 3)
    # 2. conn.interrupt() from another thread
    for i in range(25):
        delay = full * i / 24
        when = {}

        def interrupt():
            when["t"] = time.perf_counter()
            c.interrupt()

        tm = threading.Timer(delay, interrupt)
        tm.start()
        try:
            c.execute(sql, args).fetchall()
            done = True
        except sqlite3.Error as e:
            done, msg, end = False, str(e), time.perf_counter()
        tm.join()
        if done:
            continue
        n_thread += 1
        stopped(label, f"interrupt after {delay * 1000:.0f} ms", msg, end - when["t"], lats)
    check(c.execute(sql, args).fetchall() == want, f"{label}: rows differ after the interrupts")
    med = statistics.median(lats) if lats else 0
    print(f"{label}: {full * 1000:.0f} ms uninterrupted; stopped {n_progress} times by the progress handler "
          f"(k up to {k}), {n_thread} by conn.interrupt(); stop latency median {med * 1000:.1f} ms, "
          f"worst {max(lats or [0]) * 1000:.1f} ms")
    check(n_progress >= 5 and n_thread >= 1, f"{label}: too few stops to judge")
print(f"{fails} failures")
sys.exit(1 if fails else 0)
