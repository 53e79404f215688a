"""pyodbc against the sqlite3 shell: tests/odbc.sh runs this.

argv: zhucan.so, database, file of queries (one per line), driver .so.
Each query runs through pyodbc (DSN 'zhucan', BigInt=1) and through the
sqlite3 shell with the extension loaded (-json output); rows must be equal
value for value, with the same Python types (int stays int: no 32-bit cut,
no float).  Then: the DSN-less connection string documented in docs/odbc.md,
BigInt=0 cutting an amount above 2^31 (printed), and a DSN whose LoadExt
fails (the driver connects; zhucan_version() is "no such function").
Last, the read-only connection docs/odbc.md tells BI tools to use
(Database=file:PATH?mode=ro): reads and money queries answer as on a
writable one; settle(), policy_load() and any write are refused, the
database file unchanged.
"""
import json
import subprocess
import sys

import pyodbc

so, db, qfile, driver = sys.argv[1:5]
queries = [q for q in open(qfile, encoding="utf-8").read().split("\n") if q.strip()]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


def shell_rows(q):
    out = subprocess.run(["sqlite3", "-json", "-cmd", ".load " + so, db, q],
                         capture_output=True, text=True, check=True).stdout
    return [tuple(r.values()) for r in json.loads(out)] if out.strip() else []


con = pyodbc.connect("DSN=zhucan", autocommit=True)
for q in queries:
    want = shell_rows(q)
    got = [tuple(r) for r in con.execute(q).fetchall()]
    if got != want or [tuple(map(type, r)) for r in got] != [tuple(map(type, r)) for r in want]:
        fail("pyodbc %r\n  sqlite3: %r\n  pyodbc:  %r" % (q, want, got))

# 3,000,000,000 + 2,147,483,648 + 150 fen, summed by hand: 5,147,483,798
total = con.execute("SELECT sum(amount_fen) FROM big_amount").fetchone()[0]
if total != 5147483798:
    fail("BigInt=1: sum is %r, expected 5147483798" % total)
con.close()

# DSN-less, as docs/odbc.md shows for Excel / Power BI
cs = "Driver=%s;Database=%s;LoadExt=%s;BigInt=1" % (driver, db, so)
con = pyodbc.connect(cs, autocommit=True)
if not con.execute("SELECT zhucan_version()").fetchone()[0].startswith("zhucan "):
    fail("DSN-less connection: zhucan_version()")
con.close()

# Without BigInt the driver binds integers as 32-bit: shown, not required
con = pyodbc.connect("DSN=zhucan_int32", autocommit=True)
cut = con.execute("SELECT sum(amount_fen) FROM big_amount").fetchone()[0]
print("BigInt=0 reads sum 5147483798 as %r (%s)" %
      (cut, "cut to 32 bits" if cut != 5147483798 else "whole"))
con.close()

# Read-only, as docs/odbc.md says BI tools connect: file: URI with mode=ro
# (pyodbc's readonly=True only asks; the driver still writes)
import hashlib


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


before = digest(db)
cs = "Driver=%s;Database=file:%s?mode=ro;LoadExt=%s;BigInt=1" % (driver, db, so)
con = pyodbc.connect(cs, autocommit=True)
q = "SELECT payer, sum(amount_fen) FROM settlement('141129', '2024-03') GROUP BY payer ORDER BY payer"
got = [tuple(r) for r in con.execute(q).fetchall()]
if got != shell_rows(q) or not got:
    fail("read-only connection: settlement %r, the shell %r" % (got, shell_rows(q)))
for w, why in (("SELECT settle('141129', '2024-03')", "settle: the database is open read-only"),
               ("SELECT policy_load('%s')" % qfile, "policy_load: the database is open read-only"),
               ("DELETE FROM big_amount", "readonly database"),
               ("INSERT INTO big_amount VALUES (9, 9)", "readonly database")):
    try:
        con.execute(w).fetchall()
        fail("read-only connection: %r was not refused" % w)
    except pyodbc.Error as e:
        if why not in str(e):
            fail("read-only connection: %r refused with %r, expected %r" % (w, str(e), why))
con.close()
if digest(db) != before:
    fail("read-only connection: the database file changed")
print("read-only connection: settlement read, settle/policy_load/DELETE/INSERT refused, file unchanged")

# LoadExt that does not load: connects anyway; the check query tells
r = subprocess.run([sys.executable, "-c",
                    "import pyodbc\n"
                    "c = pyodbc.connect('DSN=zhucan_noext')\n"
                    "try:\n"
                    "    c.execute('SELECT zhucan_version()')\n"
                    "    print('LOADED')\n"
                    "except pyodbc.Error as e:\n"
                    "    print('ERROR', e)\n"],
                   capture_output=True, text=True)
if "did not load" not in r.stderr:
    fail("no 'did not load' warning on stderr: %r" % r.stderr)
if "no such function: zhucan_version" not in r.stdout:
    fail("check query did not fail without the extension: %r" % r.stdout)
print("driver warning:", r.stderr.strip().splitlines()[0] if r.stderr.strip() else "")

sys.exit(1 if failures else 0)
