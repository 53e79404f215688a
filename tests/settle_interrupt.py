"""An interrupted or failed settle leaves the database exactly as before.

Run by tests/settle_interrupt.sh: settle() of the small fixture's month is
interrupted at many points — a progress handler that asks to stop after k
of its calls, for k = 1, 2, ... until settle completes, and
conn.interrupt() from another thread after growing delays — outside a
transaction and inside one the caller began.  After every failed call:
no transaction is left open (outside one), the run tables hold exactly the
rows they held before, the database passes integrity_check, and the caller's
own writes are either all there or (inside a transaction, when SQLite rolled
it back as it does for any interrupted write) all gone together.  An
interrupt that arrives after settle committed (the calling statement still
reports it) leaves exactly one more complete run.  Then a
plain settle() succeeds and stores exactly one complete run."""
import sqlite3, sys, threading, time

so, db = sys.argv[1], sys.argv[2]
RUN_TABLES = ["zhucan_run", "zhucan_run_pack", "zhucan_run_elder", "zhucan_run_site", "zhucan_run_item"]
fails = 0


def connect():
    c = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    c.enable_load_extension(True)
    c.load_extension(so)
    return c


def counts(c):
    out = []
    for t in RUN_TABLES:
        if c.execute("SELECT count(*) FROM sqlite_schema WHERE name = ?", (t,)).fetchone()[0]:
            out.append(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        else:
            out.append(None)
    return out


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("FAIL", what)


c = connect()
c.execute("UPDATE region SET policy = 'zhongyang' WHERE parent IS NULL")
c.execute("SELECT policy_load('lua/zhongyang.lua')")
c.execute("CREATE TABLE IF NOT EXISTS note(x)")
before = counts(c)
interrupted = completed = late = 0

# 1. a progress handler that stops settle after k calls, outside and inside a transaction
for inside in (False, True):
    k = 1
    while True:
        calls = [0]

        def handler():
            calls[0] += 1
            return 1 if calls[0] >= k else 0

        if inside:
            c.execute("BEGIN")
            c.execute("INSERT INTO note VALUES (?)", (k,))
        c.set_progress_handler(handler, 50)
        try:
            c.execute("SELECT settle('141129', '2024-03'%s)" % (", 'supersede'" if inside else "")).fetchone()
            ok = True
        except sqlite3.Error as e:
            ok = False
            msg = str(e)
        c.set_progress_handler(None, 0)
        if ok:
            completed += 1
            if inside:
                c.execute("ROLLBACK")
            else:  # the first k that lets it finish: undo by a fresh copy of the counts
                after = counts(c)
                check(after[0] == (before[0] or 0) + 1, f"k={k}: a completed settle stored {after[0]} runs")
            break
        interrupted += 1
        check("interrupt" in msg, f"k={k}: settle failed for another reason: {msg}")
        if inside:
            notes = c.execute("SELECT count(*) FROM note WHERE x = ?", (k,)).fetchone()[0]
            check(counts(c) == before, f"inside, k={k}: run rows {counts(c)} != {before} ({msg})")
            if c.in_transaction:
                check(notes == 1, f"inside, k={k}: transaction open but the caller's row is gone")
                c.execute("ROLLBACK")
            else:
                check(notes == 0, f"inside, k={k}: transaction ended but the caller's row was kept")
        else:
            check(not c.in_transaction, f"k={k}: a transaction was left open ({msg})")
            check(counts(c) == before, f"k={k}: run rows {counts(c)} != {before} ({msg})")
        k += 1 if k < 40 else 7
    if not inside:
        # the completed run stays; reset the baseline to it
        before = counts(c)

check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check after progress interrupts")

# 2. conn.interrupt() from another thread, after growing delays
base = counts(c)
for i in range(30):
    delay = 0.0005 * i
    t = threading.Timer(delay, c.interrupt)
    t.start()
    try:
        c.execute("SELECT settle('141129', '2024-03', 'supersede')").fetchone()
        ok = True
    except sqlite3.Error:
        ok = False
    t.join()
    if ok:
        completed += 1
        base = counts(c)
        continue
    interrupted += 1
    check(not c.in_transaction, f"interrupt after {delay:.4f}s: a transaction was left open")
    now = counts(c)
    if now != base:
        # the interrupt came after settle had committed (SQLite: "an operation
        # very nearly finished might continue to completion"): exactly one
        # more run, complete, is allowed
        per_run = [x // max(base[0], 1) for x in base]
        late += 1
        check(now[0] == base[0] + 1 and [n - b for n, b in zip(now, base)] == per_run,
              f"interrupt after {delay:.4f}s: run rows {now} are neither {base} nor one more complete run")
        base = now

check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check after interrupts")
# 3. a plain settle still works and stores one complete run
runs = c.execute("SELECT count(*) FROM zhucan_run").fetchone()[0]
rid = c.execute("SELECT settle('141129', '2024-03', 'supersede')").fetchone()[0]
check(c.execute("SELECT count(*) FROM zhucan_run").fetchone()[0] == runs + 1, "the final settle stored no run")
check(c.execute("SELECT count(*) FROM replay(?)", (rid,)).fetchone()[0] == 0, "the final run does not replay")
check(c.execute("SELECT count(*) FROM zhucan_run_pack p WHERE NOT EXISTS "
                "(SELECT 1 FROM zhucan_run r WHERE r.id = p.run_id)").fetchone()[0] == 0, "orphan packs")
print(f"{interrupted} interrupted settles left nothing behind ({late} interrupted after their commit kept "
      f"their complete run); {completed} completed; {fails} failures")
sys.exit(1 if fails or interrupted < 20 else 0)
