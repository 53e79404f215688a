#!/bin/sh
# bench/anomaly.sh [city.db] — anomaly_scan against the same kinds written as
# plain SQL (bench/anomaly_sql.sql), on the busiest month of the city
# fixture: meals in the month, both timings, meals/s, the ratio, and whether
# both found the same rows (count and key checksum per kind).  Then the
# scoring table (bench/anomaly_score.sql) on the county and city fixtures
# when they carry a `planted` table.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=${1:-$ROOT/data/city.db}
PY=/usr/bin/python3
[ -f "$DB" ] || { echo "anomaly: $DB missing (make data/city.db)"; exit 0; }
$PY - "$ROOT" "$DB" <<'PYEOF'
import sqlite3, sys, time, os
root, db = sys.argv[1], sys.argv[2]
def conn(path):
    c = sqlite3.connect(path)
    c.enable_load_extension(True)
    c.load_extension(os.path.join(root, "zhucan"))
    return c
c = conn(db)
# region.policy names zhongyang: install lua/zhongyang.lua once if no version is stored
if not c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'zhucan_policy'").fetchone()[0] or \
   not c.execute("SELECT count(*) FROM zhucan_policy WHERE name = 'zhongyang'").fetchone()[0]:
    c.execute("SELECT policy_load(?)", (os.path.join(root, "lua/zhongyang.lua"),)).fetchone()
    c.commit()
row = c.execute("SELECT substr(served_at, 1, 7), count(*) FROM meal GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
if not row:
    print("anomaly: %s has no meals" % db); sys.exit(0)
month, n = row
roots = [r[0] for r in c.execute("SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region)")]
if len(roots) != 1:
    print("anomaly: %d top regions; the SQL baseline covers every site, so the bench needs one" % len(roots)); sys.exit(0)
region = roots[0]
print("anomaly_scan bench: %s, region %s, month %s: %d meals in the month, %d in the table"
      % (os.path.basename(db), region, month, n, c.execute("SELECT count(*) FROM meal").fetchone()[0]))
def digest(rows):
    per = {}
    for kind, site, elder, meal, at in rows:
        k = per.setdefault(kind, [0, 0])
        k[0] += 1
        k[1] = (k[1] + hash((kind, site, elder, meal, at)) ) & 0xffffffffffff
    return per
# anomaly_scan, in a fresh connection (cold caches), best of 3
best = None
for _ in range(3):
    c.close(); c = conn(db)
    t0 = time.perf_counter()
    rows = c.execute("SELECT kind, site_id, elder_id, meal_id, at FROM anomaly_scan(?, ?)", (region, month)).fetchall()
    dt = time.perf_counter() - t0
    best = dt if best is None or dt < best else best
scan = digest(rows)
print("  anomaly_scan : %8.3f s  %10.0f meals/s  %d findings" % (best, n / best, len(rows)))
# the SQL baseline, once (it is slow)
c.close(); c = conn(db)
sql = open(os.path.join(root, "bench/anomaly_sql.sql")).read()
c.execute("CREATE TEMP TABLE p(month)"); c.execute("INSERT INTO p VALUES(?)", (month,))
t0 = time.perf_counter()
c.executescript(sql)
sdt = time.perf_counter() - t0
srows = c.execute("SELECT kind, site_id, elder_id, meal_id, at FROM sql_found").fetchall()
base = digest(srows)
print("  plain SQL    : %8.3f s  %10.0f meals/s  %d findings" % (sdt, n / sdt, len(srows)))
print("  ratio        : anomaly_scan is %.1fx faster than the SQL queries" % (sdt / best))
same = True
for kind in sorted(set(scan) | set(base)):
    a, b = scan.get(kind, [0, 0]), base.get(kind, [0, 0])
    ok = a == b
    same &= ok
    print("    %-13s scan %7d  sql %7d  %s" % (kind, a[0], b[0], "same rows" if ok else "DIFFERENT (count or key checksum)"))
print("  both find the same rows: %s" % ("yes" if same else "NO"))
PYEOF
for f in "$ROOT/data/county.db" "$DB"; do
  [ -f "$f" ] || continue
  if [ "$(sqlite3 "$f" "SELECT count(*) FROM sqlite_master WHERE name='planted'")" = 1 ]; then
    echo "scoring on $(basename "$f") (planted ground truth):"
    $PY - "$ROOT" "$f" <<'PYEOF'
import sqlite3, sys, os
root, db = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db); c.enable_load_extension(True); c.load_extension(os.path.join(root, "zhucan"))
if not c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'zhucan_policy'").fetchone()[0] or \
   not c.execute("SELECT count(*) FROM zhucan_policy WHERE name = 'zhongyang'").fetchone()[0]:
    c.execute("SELECT policy_load(?)", (os.path.join(root, "lua/zhongyang.lua"),)).fetchone()
    c.commit()
region = c.execute("SELECT code FROM region WHERE parent IS NULL ORDER BY code LIMIT 1").fetchone()[0]
months = [r[0] for r in c.execute("SELECT DISTINCT substr(at, 1, 7) FROM planted WHERE kind <> 'gone_quiet' UNION SELECT DISTINCT substr(served_at, 1, 7) FROM meal ORDER BY 1")]
c.execute("CREATE TEMP TABLE found(kind, site_id, elder_id, meal_id, at, detail)")
for m in months:
    c.execute("INSERT INTO found SELECT kind, site_id, elder_id, meal_id, at, detail FROM anomaly_scan(?, ?)", (region, m))
print("  %-13s %8s %8s %6s %9s %6s" % ("kind", "planted", "found", "false", "precision", "recall"))
for r in c.execute(open(os.path.join(root, "bench/anomaly_score.sql")).read()):
    print("  %-13s %8d %8d %6d %9s %6s" % r)
PYEOF
  else
    echo "scoring on $(basename "$f"): no planted table yet"
  fi
done
