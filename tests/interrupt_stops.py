"""The interrupt harness shared by tests/ingest_interrupt.py and
tests/anomaly_interrupt.py: one statement stopped again and again, and how
soon it stopped each time.

stops(c, label, sql, args, limit, n_delays, check, bad=()) runs `sql`
  1. under a progress handler (every 1,000 VM steps) that asks to stop from
     its k-th call on, for k = 1, 2, ... 20, then growing by a third, until
     the statement completes;
  2. with conn.interrupt() from another thread after n_delays delays spread
     over the statement's uninterrupted time (0 to just under it);
and checks through check(cond, what) that every stop says 'interrupted'
(and none of the texts in `bad`), comes within `limit` seconds of the ask,
and that the statement gives the same rows afterwards.  Returns
(lats, n_progress, n_thread, k, full): the latencies, the stops of each
kind, the last k and the uninterrupted time in seconds."""
import threading, time


def _run(c, sql, args):
    try:
        c.execute(sql, args).fetchall()
        return True, None, None
    except Exception as e:    # sqlite3.Error, whichever sqlite3 module
        return False, str(e), time.perf_counter()


def stops(c, label, sql, args, limit, n_delays, check, bad=()):
    t = time.perf_counter()
    want = c.execute(sql, args).fetchall()
    full = time.perf_counter() - t
    lats, n_progress, n_thread = [], 0, 0

    def stopped(how, msg, lat):
        check("interrupted" in msg and not any(b in msg for b in bad), f"{label}, {how}: message {msg!r}")
        check(lat <= limit, f"{label}, {how}: stopped {lat * 1000:.0f} ms after being asked "
                            f"(limit {limit * 1000:.0f} ms)")
        lats.append(lat)

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
        done, msg, end = _run(c, sql, args)
        c.set_progress_handler(None, 0)
        if done:
            break
        n_progress += 1
        stopped(f"progress handler, k={k}", msg, end - st["t"])
        k = k + 1 if k < 20 else int(k * 4 / 3)
    for i in range(n_delays):
        delay = full * i / n_delays
        when = {}

        def interrupt():
            when["t"] = time.perf_counter()
            c.interrupt()

        tm = threading.Timer(delay, interrupt)
        tm.start()
        done, msg, end = _run(c, sql, args)
        tm.join()
        if done:
            continue
        n_thread += 1
        stopped(f"interrupt after {delay * 1000:.0f} ms", msg, end - when["t"])
    check(c.execute(sql, args).fetchall() == want, f"{label}: rows differ after the interrupts")
    return lats, n_progress, n_thread, k, full
