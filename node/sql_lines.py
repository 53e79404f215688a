#!/usr/bin/env python3
"""node/sql_lines.py -- SQL text (a `sqlite3 FILE .dump`, sql/schema.sql) as
lines the `dqlite` shell can send: it reads its input one line at a time and
sends each line as one request, so every statement must be on one line --
and that line must be short: go-dqlite 1.11's shell reads at most about 4000
bytes of a piped line and waits forever on a longer one.

    sqlite3 county.db .dump | python3 node/sql_lines.py | dqlite -s 10.0.0.1:9001 zhucan

Comments are dropped and line breaks outside quotes become spaces.  Rows are
grouped into batches, each one line of its own transaction
(`SAVEPOINT b; ...; RELEASE b;` -- the shell refuses BEGIN), so a batch is
one replicated write and a failed batch leaves nothing; the dump's own BEGIN/COMMIT and PRAGMA lines are
dropped.  A batch ends before it would pass --bytes bytes (default 3500); a
single statement longer than that is an error naming it (a table of runs,
whose packs are long blobs, is not loaded this way: see docs/cluster.md).  A line break
inside a quoted string cannot be sent on one line: it is an error naming the
statement (sqlite3's .dump writes such text as replace(..., char(10)) already).
"""
import argparse
import sys


OPEN, CLOSE = "SAVEPOINT b; ", " RELEASE b;"


def statements(text):
    """Complete statements, comments removed, whitespace outside quotes
    collapsed.  Triggers (BEGIN ... END;) stay whole."""
    out, cur, i, n = [], [], 0, len(text)
    quote = None
    while i < n:
        c = text[i]
        if quote:
            if c == "\n" and quote == "'":
                raise ValueError("a line break inside a quoted string: " + "".join(cur)[:80])
            cur.append(c)
            if c == quote:
                quote = None
            i += 1
        elif c in "'\"`[":
            quote = "]" if c == "[" else c
            cur.append(c)
            i += 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            cur.append(" ")
        elif c.isspace():
            if cur and cur[-1] != " ":
                cur.append(" ")
            i += 1
        elif c == ";":
            cur.append(";")
            stmt = "".join(cur).strip()
            if is_complete(stmt):
                out.append(stmt)
                cur = []
            i += 1
        else:
            cur.append(c)
            i += 1
    rest = "".join(cur).strip()
    if rest:
        raise ValueError("an unfinished statement at the end: " + rest[:80])
    return out


def is_complete(stmt):
    """A CREATE TRIGGER is complete only at its END;"""
    words = stmt.upper().split()
    if len(words) >= 2 and words[0] == "CREATE" and "TRIGGER" in words[1:4]:
        return stmt.upper().rstrip(" ;").endswith("END")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bytes", type=int, default=3500, help="bytes per line (default 3500)")
    a = ap.parse_args()
    try:
        stmts = statements(sys.stdin.read())
    except ValueError as e:
        sys.exit("sql_lines.py: " + str(e))
    batch, size = [], 0

    def flush():
        nonlocal batch, size
        if batch:
            print(OPEN + " ".join(batch) + CLOSE)
        batch, size = [], 0

    for s in stmts:
        u = s.upper()
        if u in ("BEGIN TRANSACTION;", "BEGIN;", "COMMIT;", "END;") or u.startswith("PRAGMA "):
            continue
        n = len(s.encode()) + 1
        if n + len(OPEN + CLOSE) > a.bytes:
            sys.exit("sql_lines.py: a statement of %d bytes is longer than a line may be (%d): %s"
                     % (n, a.bytes, s[:80]))
        if size + n + len(OPEN + CLOSE) > a.bytes:
            flush()
        batch.append(s)
        size += n
    flush()


if __name__ == "__main__":
    main()
