#!/bin/bash
# The guides in docs/ (English) and docs/zh/ (Chinese) cover the same ground,
# give the same commands, and every command in them runs.
#
# 1. Coverage.  The guides are the .md files linked under "## Guides" in
#    docs/README.md.  Each is either TRANSLATED (docs/zh/NAME.md exists and
#    docs/zh/README.md links it) or listed in NOT_YET (docs/zh/README.md links
#    the English page ../NAME.md instead).  A new English guide must be added
#    to one list or the other; a docs/zh page with no English guide fails.
# 2. Same commands.  For a translated guide, the ```sh, ```sh node, ```sql and
#    ```sql error blocks of both pages, with comments removed and spaces
#    collapsed, are the same lines in the same order (the Chinese page
#    explains them in Chinese; it must not drift from the English one).
#    ```lua blocks may differ (Chinese comments and reasons).
# 3. Every command runs, in both trees, page by page, as a reader would:
#    - ```sh blocks (only before the first ```sql block) run with sh -e in a
#      fresh directory holding zhucan.so, lua/, sql/, fixtures/, data/; a line
#      `sqlite3 FILE` is not run but names the database of the session;
#      without one the session opens a fresh copy of data/small.db; a page
#      that never says `.load` (rules, odbc) is read in a session that has
#      zhucan loaded already (the analyst's shell, ODBC's LoadExt);
#    - all ```sql blocks of the page then run, in order, in ONE sqlite3 shell
#      session (so .load, .parameter and .mode carry over as for a reader);
#      a ```sql block must give no error; a ```sql error block shows commands
#      that must be refused: each of its statements (lines ending in ';')
#      must give exactly one error;
#    - a ```lua block with a line starting `return {` is a whole policy: it
#      must install with policy_install() on a copy of data/small.db and pass
#      its own policy_test();
#    - ```sh node blocks (docs/cluster.md: commands for a cluster of machines)
#      are compared (2.) but not run here: tests/cluster.sh runs them on
#      127.0.0.1;
#    - other blocks (```text sample output, ```python, connection strings)
#      are not run.  "/tmp/" in commands is rewritten to the test's own
#      directory.
# modes: plain
set -u
TRANSLATED="analysts rules auditing ingest odbc cli notices credit needs cluster"
NOT_YET="anomalies fixtures design testing-oom fuzzing windows performance"

ROOT=$ZC_ROOT
# The analysts' guide works on data/county.db (make data/county.db).
if [ ! -f "$ROOT/data/county.db" ]; then
  if [ -x "$ROOT/build/zcgen" ]; then
    mkdir -p gen && "$ROOT/build/zcgen" --scale county --out gen/county.db >/dev/null || exit 1
    DATA=$PWD/gen; cp "$ROOT/data/small.db" gen/small.db
  else
    echo "no data/county.db and no build/zcgen: run 'make data/county.db'"; exit 77
  fi
else
  DATA=$ROOT/data
fi

exec python3 - "$ROOT" "$ZC_SO" "$DATA" "$TRANSLATED" "$NOT_YET" "${SQLITE3:-sqlite3}" <<'PY'
import os, re, subprocess, sys, shutil
root, so, data, translated, not_yet, sqlite3 = sys.argv[1:7]
translated, not_yet = translated.split(), not_yet.split()
sqlite3 = sqlite3.split()
docs = os.path.join(root, "docs")
problems = []
def bad(msg): problems.append(msg)

# ---- 1. coverage -------------------------------------------------------
def guides_of(index):
    text = open(index, encoding="utf-8").read()
    m = re.search(r"^## Guides\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        bad(f"{index}: no '## Guides' section"); return []
    return [os.path.basename(x)[:-3] for x in re.findall(r"\]\(([^)#]+\.md)\)", m.group(1))]

english = guides_of(os.path.join(docs, "README.md"))
for g in english:
    if g in translated and g in not_yet: bad(f"{g}: in both TRANSLATED and NOT_YET")
    elif g not in translated and g not in not_yet:
        bad(f"docs/{g}.md is a guide in docs/README.md but neither TRANSLATED nor NOT_YET in tests/docs_zh.sh")
for g in translated + not_yet:
    if g not in english: bad(f"{g}: listed in tests/docs_zh.sh but not a guide in docs/README.md")
zh_index = os.path.join(docs, "zh", "README.md")
zh_text = open(zh_index, encoding="utf-8").read() if os.path.exists(zh_index) else ""
if not zh_text: bad("docs/zh/README.md missing")
zh_pages = sorted(f[:-3] for f in os.listdir(os.path.join(docs, "zh")) if f.endswith(".md") and f != "README.md") \
    if os.path.isdir(os.path.join(docs, "zh")) else []
for g in translated:
    if g not in zh_pages: bad(f"docs/{g}.md has no Chinese counterpart docs/zh/{g}.md")
    if f"]({g}.md)" not in zh_text: bad(f"docs/zh/README.md does not link {g}.md")
for g in not_yet:
    if f"](../{g}.md)" not in zh_text: bad(f"docs/zh/README.md does not link the English ../{g}.md")
for g in zh_pages:
    if g not in english: bad(f"docs/zh/{g}.md has no English guide docs/{g}.md in docs/README.md")
    elif g not in translated: bad(f"docs/zh/{g}.md exists but {g} is not in TRANSLATED")
if "docs/zh/README.md" not in open(os.path.join(root, "README.md"), encoding="utf-8").read():
    bad("README.md does not link docs/zh/README.md")

# ---- blocks ------------------------------------------------------------
def blocks(path):
    out, kind, buf, start = [], None, [], 0
    for n, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        s = line.strip()
        if kind is None:
            if s.startswith("```"):
                kind, buf, start = s[3:].strip(), [], n
        elif s == "```":
            out.append((kind, "\n".join(buf), start)); kind = None
        else:
            buf.append(line)
    if kind is not None: bad(f"{path}: unclosed ``` block from line {start}")
    return out

RUN = ("sh", "sql", "sql error", "sh node")
def strip_comment(kind, line):
    if kind == "sh":
        line = re.sub(r"(^|\s)#.*$", "", line)
    else:  # -- outside quotes
        q, out = None, ""
        i = 0
        while i < len(line):
            c = line[i]
            if q:
                if c == q: q = None
            elif c in "'\"": q = c
            elif line.startswith("--", i): break
            out += c; i += 1
        line = out
    return " ".join(line.split())
def commands(path):
    return [(k, strip_comment(k, l)) for k, b, _ in blocks(path) if k in RUN
            for l in b.split("\n") if strip_comment(k, l)]

# ---- 2. same commands --------------------------------------------------
import difflib
for g in translated:
    en, zh = os.path.join(docs, g + ".md"), os.path.join(docs, "zh", g + ".md")
    if not (os.path.exists(en) and os.path.exists(zh)): continue
    a = [f"{k}: {l}" for k, l in commands(en)]
    b = [f"{k}: {l}" for k, l in commands(zh)]
    if a != b:
        bad(f"docs/{g}.md and docs/zh/{g}.md give different commands:\n" +
            "\n".join(list(difflib.unified_diff(a, b, f"docs/{g}.md", f"docs/zh/{g}.md", lineterm=""))[:40]))

# ---- 3. every command runs ---------------------------------------------
work = os.path.abspath("run")
def fresh(name):
    d = os.path.join(work, name)
    shutil.rmtree(d, ignore_errors=True); os.makedirs(os.path.join(d, "tmp"))
    os.symlink(so, os.path.join(d, "zhucan.so"))
    for x in ("lua", "sql", "fixtures"): os.symlink(os.path.join(root, x), os.path.join(d, x))
    os.symlink(data, os.path.join(d, "data"))
    return d
def statements(code):
    n = 0
    for l in code.split("\n"):
        l = strip_comment("sql", l)
        if l.endswith(";"): n += 1
    return n
ERR = re.compile(r"^(?:Parse|Runtime) error near line (\d+):|^Error: near line (\d+):")

def run_page(rel):
    path = os.path.join(docs, rel)
    name = rel.replace("/", "_")[:-3]
    d = fresh(name)
    tmp = os.path.join(d, "tmp") + "/"
    bl = blocks(path)
    db, seen_sql, ran = None, False, 0
    script, owner = [], []          # sql lines and, per line, its block index
    for i, (k, code, start) in enumerate(bl):
        code = code.replace("/tmp/", tmp)
        if k == "sh":
            if seen_sql:
                bad(f"{rel}:{start}: a ```sh block after a ```sql block (keep shell steps first)"); continue
            for l in code.split("\n"):
                m = re.match(r"^\s*sqlite3\s+(\S+)\s*(#.*)?$", l)
                if m: db = m.group(1); continue
                if not strip_comment("sh", l): continue
                r = subprocess.run(["sh", "-ec", l], cwd=d, capture_output=True, text=True)
                ran += 1
                if r.returncode: bad(f"{rel}:{start}: `{l.strip()}` failed: {r.stderr.strip()[:300]}")
        elif k in ("sql", "sql error"):
            seen_sql = True
            lines = code.split("\n")
            script += lines; owner += [i] * len(lines)
        elif k == "lua" and re.search(r"^return \{", code, re.M):
            ran += 1
            ld = fresh(f"{name}_lua{start}")
            open(os.path.join(ld, "p.lua"), "w", encoding="utf-8").write(code)
            shutil.copy(os.path.join(data, "small.db"), os.path.join(ld, "p.db"))
            r = subprocess.run(sqlite3 + ["-batch", "-bail", "-cmd", ".load ./zhucan", "p.db"],
                input="SELECT policy_install(CAST(readfile('p.lua') AS TEXT)) IS NOT NULL;\n"
                "SELECT policy_test(name) FROM zhucan_policy WHERE id = (SELECT max(id) FROM zhucan_policy);\n",
                cwd=ld, capture_output=True, text=True)
            r.stdout = r.stdout.split("\n", 1)[-1]
            if r.returncode or not r.stdout.startswith("ok: "):
                bad(f"{rel}:{start}: the ```lua policy does not install and pass its tests: "
                    f"{(r.stdout + r.stderr).strip()[:400]}")
    if not script: return ran
    if db is None:
        db = "guide.db"; shutil.copy(os.path.join(data, "small.db"), os.path.join(d, db))
    open(os.path.join(d, "session.sql"), "w", encoding="utf-8").write("\n".join(script) + "\n")
    with open(os.path.join(d, "session.sql"), encoding="utf-8") as f:
        # A page that never loads zhucan (rules, odbc) is read in a session
        # that has it already: the analyst's shell, or ODBC's LoadExt.
        pre = [] if any(re.match(r"\s*\.load\b", l) for l in script) else ["-cmd", ".load ./zhucan"]
        r = subprocess.run(sqlite3 + ["-batch"] + pre + [db], cwd=d, stdin=f, capture_output=True, text=True)
    errors = {}                     # block index -> error lines
    loose = []
    for l in r.stderr.split("\n"):
        m = ERR.match(l)
        if m:
            ln = int(m.group(1) or m.group(2))
            b = owner[ln - 1] if 0 < ln <= len(owner) else None
            errors.setdefault(b, []).append(l)
        elif l.startswith("Error:") or (l.strip() and not errors):
            loose.append(l)         # a dot-command's error (no line number)
        # else: a continuation of the previous error message
    if r.returncode >= 128: bad(f"{rel}: the sqlite3 session died (exit {r.returncode})")
    for l in loose: bad(f"{rel}: {l[:300]}")
    for i, (k, code, start) in enumerate(bl):
        if k == "sql":
            for e in errors.get(i, []): bad(f"{rel}:{start}: ```sql block fails: {e[:300]}")
        elif k == "sql error":
            want, got = statements(code), len(errors.get(i, []))
            if want == 0: bad(f"{rel}:{start}: ```sql error block with no statement")
            elif got != want:
                bad(f"{rel}:{start}: ```sql error block: {want} statements must be refused, {got} were")
    for e in errors.get(None, []): bad(f"{rel}: error outside any block: {e[:300]}")
    return ran + sum(1 for k, _, _ in bl if k in ("sql", "sql error"))

total = 0
for g in translated:
    for rel in (f"{g}.md", f"zh/{g}.md"):
        if os.path.exists(os.path.join(docs, rel)):
            n = run_page(rel); total += n
            if n == 0: bad(f"docs/{rel}: no runnable block")
for p in problems: print("FAIL", p)
print(f"{len(translated)} guides in both trees, {len(not_yet)} English only; {total} blocks ran; {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
