#!/usr/bin/env python3
"""fuzz/seeds.py — (re)writes the committed seed corpora fuzz/corpus/<target>/.

Run from the repository root after `make zhucan.so data/small.db`:

    python3 fuzz/seeds.py            # every target
    python3 fuzz/seeds.py policy     # one target

Seeds are small and deterministic: hand-written inputs in each target's
input format (see the comment at the top of fuzz/<target>.c), the fixture
files, the policies in lua/ and in the tests, and real meal packs of a run
settled on data/small.db.  Files are named by content hash, so rerunning
changes nothing unless the sources changed.  Generated corpora (build/fuzz/)
are never committed; see docs/fuzzing.md.
"""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

SEP = b"\x1f"  # field separator
RS = b"\x1e"  # record separator (regex)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rd(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def write(target, seeds):
    d = os.path.join(ROOT, "fuzz", "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(s)
    print(f"fuzz/corpus/{target}: {len(set(seeds))} seeds")


def identity():
    u = lambda s: s.encode()
    return [
        u("11010519491231002X"),
        u("11010519491231002x") + SEP + u("2024-03-05"),
        u("141129195202290011") + SEP + u("2023-02-28"),
        u("141129195202290011") + SEP + u("2024-02-29"),
        u("110105194902300020"),
        u("110105190002290025"),
        u("110105200002290021") + SEP + u("2000-02-29"),
        u("110105194912310021"),
        u("1101051949123100X2"),
        u("1952-02-29") + SEP + u("2023-03-01"),
        u("2024-03-05") + SEP + u("1952-02-29"),
        u("11010519491231002X") + SEP + u("2024-3-5"),
        u("110105491231002"),
        u("张三"), u("张三丰"), u("欧阳娜娜"), u("张"), b"",
        u("a\U00020000b") + SEP + u("0000-01-01"),
        b"\xff\xfe" + SEP + b"9999-12-31",
        u("14112919490118001X") + SEP + u("1949-01-17"),
    ]


def regex():
    u = lambda s: s.encode()
    rec = lambda *f: SEP.join(u(x) for x in f)
    seeds = [
        b"\x00" + rec(r"\d{1,2}", "the year is 2021"),
        b"\x04" + rec(r"uid=(E\d+)", "uid=E00042"),
        b"\x40" + rec(r"uid=(?<u>E\d+)", "uid=E00042", "u"),
        b"\x00" + rec(r"(\d+)-(\d+)-(\d+)", "2024-03-05", "$3/$2/$1"),
        b"\x00" + rec("x*", "abc", "-"),
        b"\x00" + rec(r"\b\w+\b", "-- 张三丰 --", "[$0]"),
        b"\x00" + rec(r"(a+)+$", "a" * 40 + "!"),
        b"\x00" + rec("(", "abc"),
        b"\x02" + rec("b", "abc"),
        b"\x00" + rec(r"^DEV-\d+$", "DEV-0012"),
        b"\x40" + rec(r"(?<y>\d{4})-(?<m>\d\d)", "2024-03", "${m}/${y} $$"),
        b"\x08" + rec(r"(\p{Han}+)(\d*)", "张三丰12", "<$2$1>"),
        b"\x00" + rec("(?i)ABC", "xabcx", "$0$0"),
        b"\x00" + SEP.join([b"a", b"\xff\xfeabc"]),
        b"\x3c" + rec(r"(a)(b)?(c)|(?|(x)|(y))", "abcxy"),
        b"\x00" + RS.join(rec(p, s, r) for p, s, r in [
            (r"\d+", "a1b22", "#"), (r"[a-z]+", "AbC", "_"), (r"(?<w>\w)", "xy", "${w}${w}"),
            ("^$", "", "e"), (r"\s", "a b", ""), ("(?=b)", "abc", "|"), ("a|b", "ab", "$0$0"),
            (r"\bx", "x x", "y"), (".", "张三", "*"), ("(a)(?1)", "aa", "$1"), (r"\K", "ab", "-"),
            ("[[:digit:]]", "1a", "d"), (r"(?<=a)b", "ab", "B"), ("a{2,}", "aaa", "2"),
            (r"(\w)\1", "aa", "x"), ("(*UTF)x", "x", "y"), ("z", "zz", "$"), ("q+", "qq", "$1")]),
    ]
    return seeds


def swipe_log():
    f = lambda p: rd("fixtures/swipes/" + p)
    custom4 = rb"^\[(?<at>[^\]]+)\] (?<device>\S+) (?<method>\S+) ok (?:uid|card)=(?<token>\S+)"
    ours = (b"served_at,device,method,token,price\n"
            b"2024-03-05 11:32:05,D1,CARD,C1,12.50\n"
            b"2024-03-05 07:05:00,D2,FACE,F2\n"
            b"2024/3/5 7:05,D3,\xe5\x88\xb7\xe5\x8d\xa1,C3,8\n"
            b"2024-03-15T18:00:00.250,D1,MANUAL,C5\n"
            b"\"2024-03-05 11:32:05\",\"D9\",\"IC\",\"C6\",\"1.5\"\n"
            b"2024-03-05 11:32:05,DEV-0012,CARD,C7\r\n"
            b"2024-02-30 11:00:00,D1,CARD,C1,1.234\n")
    term = (b"[2024-03-05 11:32:05] D1 FACE ok uid=F2 score=0.93\n"
            b"[2024-03-05 11:32:07] D2 CARD OK card=C2 price=12.00 slot=lunch\n"
            b"[2024-03-05 11:33:10] D1 FACE FAIL reason=nomatch\n"
            b"[2024-03-12 17:34:00] D3 CARD ok token=C3 slot=dinner\n")
    return [
        b"\x00" + f("good.csv"), b"\x00" + f("bad.csv"), b"\x00" + f("crlf.csv"),
        b"\x00" + f("empty.csv"), b"\x01" + f("terminal.log"), b"\x02" + f("custom.txt"),
        b"\x03" + custom4 + b"\n" + f("terminal.log"),
        b"\x00" + ours, b"\x01" + term,
        b"\x03" + rb"^(?<at>\S+ \S+)\|(?<device>[^|]+)\|(?<method>[^|]+)\|(?<token>[^|]+)$" + b"\n"
        + b"2024-03-05 12:00:00|D1|card|C1\n2024-03-05 12:00:00|D2|x|C2",
        b"\x04\x08" + b"\n" + ours,      # a line of 65,536 bytes, then ours
        b"\x04\x07" + b"\n" + ours,      # 65,535 bytes
        b"\x08\x10" + ours,              # ours across the buffer refill
        b"\x0c\x03" + b"\n" + f("good.csv"),
        b"\x00\xef\xbb\xbf" + ours,      # a byte-order mark
    ]


def sql_strings(path):
    """The literal text of each policy_install('...') in an SQL file."""
    text = rd(path).decode()
    return [m.group(1).replace("''", "'") for m in re.finditer(r"policy_install\('((?:[^']|'')*)'\)", text)]


def policy():
    seeds = [rd(p) for p in sorted(glob.glob(os.path.join(ROOT, "lua", "*.lua")))]
    for t in sorted(glob.glob(os.path.join(ROOT, "tests", "*.sql"))):
        seeds += [s.encode() for s in sql_strings(os.path.relpath(t, ROOT))]
    seeds.append(b'''return {
  name = "acme", effective_from = "2024-03-01",
  payers = { "charity", "city", "county", "village" },
  description = "every part of a policy",
  params = { min_age = 70, amounts = { breakfast = 200, lunch = 500, dinner = 300 },
             list = { 1, 2.5, "three", true }, nested = { a = { b = { c = {} } } } },
  windows = { breakfast = {"06:00","09:00"}, lunch = {"11:00","13:30"}, dinner = {"17:00","19:30"} },
  anomaly = { travel_minutes = 20, burst_count = 4, burst_seconds = 10, quiet_days = 2,
              quiet_active = 3, quiet_window = 7, manual_share = 0.5, report_tolerance = 1 },
  eligible = function(elder, day, service)
    if elder.died_on ~= nil and day >= elder.died_on then return false, "dead" end
    if elder.status.dibao or elder.status.tekun then return true, "dibao/tekun" end
    return (elder.age or 0) >= 70, "age " .. tostring(elder.age)
  end,
  meal = function(meal, elder, site)
    if meal.nth_slot > 1 then return nil, "repeat" end
    local p = { county = 300, city = (elder.agreement and 200 or 0) }
    if site.kind == "courtyard" and site.slots.lunch then p.village = 100 end
    if meal.method == "manual" then p.charity = 50 end
    return p, meal.slot .. " " .. meal.day .. " " .. meal.time
  end,
  site = function(site, month, stats)
    return { { item = "operating", payer = "city", fen = 1000 * stats.days_served, quantity = stats.diners },
             { item = "beds", payer = "county", fen = 100 * (stats.residents_full + stats.residents_semi) } }
  end,
  tests = {
    { name = "80 lunch", call = "subsidy", elder = { age = 80, agreement = true },
      meal = { slot = "lunch", day = "2024-03-05" }, expect = { county = 300, city = 200 } },
    { name = "repeat", call = "meal", meal = { nth_slot = 2 }, expect = {}, reason = "repeat" },
    { name = "dibao", call = "eligible", elder = { age = 60, status = { "dibao" } }, expect = true },
    { name = "site", call = "site", month = "2024-03", site = { kind = "canteen" },
      stats = { days_served = 2, diners = 3, residents_full = 1, residents_semi = 0 },
      expect = { { item = "operating", payer = "city", fen = 2000, quantity = 3 },
                 { item = "beds", payer = "county", fen = 100 } } },
    { name = "fails", call = "eligible", elder = { age = 10 }, expect = true, error = "x" },
  },
}
''')
    seeds.append(b'return { name = "tiny", effective_from = "2024-01-01", payers = { "county" }, '
                 b'eligible = function() return true, "all" end, '
                 b'meal = function(m) return { county = m.price_fen // 2 }, "half" end }')
    seeds.append(b'return { name = "frac", effective_from = "2024-03-01", payers = { "county" }, '
                 b'eligible = function() return true, "all" end, '
                 b'meal = function(m, e, s) return { county = 0.5, elder = 1, [""] = 2 }, "bad" end }')
    # policy_test runs (in fuzz/policy.c) only for policies of at most 8
    # cases: also keep a copy of each bigger one cut to its first 8
    # one-line cases
    for s in list(seeds):
        if s.count(b"call") - s.count(b"pcall") <= 8:
            continue
        kept, out = 0, []
        for line in s.split(b"\n"):
            if re.match(rb"^\s*\{.*call\s*=.*\},?\s*$", line):
                kept += 1
                if kept > 8:
                    continue
            out.append(line)
        if kept > 8:
            seeds.append(b"\n".join(out))
    return [s for s in seeds if len(s) <= 16384]


def unpack():
    so = os.path.join(ROOT, "zhucan.so")
    seeds = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "s.db")
        shutil.copy(os.path.join(ROOT, "data", "small.db"), db)
        q = ("SELECT policy_load('lua/zhongyang.lua'); SELECT settle('141129', '2024-03');"
             "SELECT hex(data) FROM (SELECT data, row_number() OVER (ORDER BY length(data)) AS r,"
             " count(*) OVER () AS n FROM zhucan_run_pack) WHERE r IN (1, 2, 3, n / 4, n / 2, 3 * n / 4, n);")
        out = subprocess.run(["sqlite3", db, f".load {so[:-3]}", q], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
        seeds += [bytes.fromhex(h) for h in out[2:]]
        db2 = os.path.join(tmp, "h.db")
        q2 = (f".read sql/schema.sql\n.read fixtures/hand/zhongyang.sql\n.load {so[:-3]}\n"
              "SELECT policy_load('lua/zhongyang.lua'); SELECT settle('141129', '2024-03');\n"
              "SELECT hex(data) FROM zhucan_run_pack;\n")
        out = subprocess.run(["sqlite3", db2], input=q2, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
        seeds += [bytes.fromhex(h) for h in out[2:]]
    seeds.append(b"\x01")
    seeds.append(b"\x02\x00")
    return seeds


def datetime():
    u = lambda s: s.encode()
    f = lambda b, *x: bytes([b]) + SEP.join(u(s) for s in x)
    return [
        f(0x01, "2024-03-15", "2024-03-15"),
        f(0x09, "2024-03-05 12:00:00", "lunch"),
        f(0x11, "2024-03-31 18:00:00", "dinner"),
        f(0x02, "2024-03-01 07:30:00", "breakfast", "141129"),
        f(0x81, "2024-03", "", "141129"),
        f(0x83, "2024-02", "", "141130"),
        f(0x02, "1952-02-29", "2024-02-29"),
        f(0x03, "2024-02-29", "laundry", "141129100001"),
        f(0x8a, "2024-04", "meal", "141100"),
        f(0x04, "2024-03-20", "meal"),
        f(0x05, "2024-13-01", "2024-00-10", "999999"),
        f(0x06, "0000-01-01 00:00:00", "lunch"),
        f(0x07, "9999-12-31 23:59:59", "dinner"),
        f(0x01, "2024-03-05T12:00:00", "lunch"),
        f(0x01, "2024-3-5", "2024-03-05 "),
    ]


def pageread():
    # patches: page (2 bytes, modulo the index pages), offset (2 bytes),
    # n - 1, then the bytes (fuzz/pageread.c)
    p = lambda page, off, data: bytes([page >> 8, page & 255, off >> 8, off & 255, len(data) - 1]) + data
    return [
        p(0, 0, b"\x0d"),                    # a page type that is no index page
        p(1, 3, b"\xff\xff"),                # the cell count
        p(2, 8, b"\x00\x00\x00\x01"),        # a child pointer to page 1 (or a cell pointer)
        p(3, 12, b"\x03\xf0"),               # a cell pointer near the page's end
        p(4, 100, b"\xff" * 9),               # a varint of nine bytes in a record
        p(5, 600, b"\x7f\x7f\x7f"),           # serial types in a record header
        p(0, 8, b"\x00\x00\x00\x02") + p(7, 20, b"\x81\x80\x80\x80\x00"),
        p(9, 512, b"\x00" * 32),
    ]


TARGETS = {"identity": identity, "regex": regex, "swipe_log": swipe_log, "policy": policy,
           "unpack": unpack, "datetime": datetime, "pageread": pageread}

if __name__ == "__main__":
    for t in sys.argv[1:] or TARGETS:
        write(t, TARGETS[t]())
