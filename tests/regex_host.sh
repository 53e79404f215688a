# `text REGEXP pattern` works in a host that has no regexp() of its own
# (Python's sqlite3 module, like ODBC or BI tools), once zhucan is loaded.
# modes: plain
set -e
/usr/bin/python3 - "$ZC_SO" <<'PY'
import sqlite3, sys
plain = sqlite3.connect(":memory:")
try:
    plain.execute("SELECT 'abc' REGEXP 'b'")
    sys.exit("REGEXP worked without the extension: the test proves nothing")
except sqlite3.OperationalError as e:
    assert "no such function" in str(e), e
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
got = db.execute("SELECT 'DEV-0012' REGEXP '^DEV-\\d+$', '张三丰' REGEXP '^\\w{3}$', "
                 "'x' REGEXP '^y'").fetchone()
assert got == (1, 1, 0), got
# errors reach the host as errors, not as "no match"
try:
    db.execute("SELECT 'abc' REGEXP '('").fetchone()
    sys.exit("a bad pattern did not raise")
except sqlite3.OperationalError as e:
    assert "missing closing parenthesis at offset 1" in str(e), e
PY
