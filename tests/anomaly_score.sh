#!/bin/sh
# modes: plain
# anomaly_scan scored on the small fixture's planted ground truth (table
# planted(kind, site_id, elder_id, meal_id, at, note), written by the fixture
# generator), with lua/zhongyang.lua installed: per kind planted / found /
# false / precision / recall (bench/anomaly_score.sql); fails unless every
# kind has recall 1.0 and precision >= 0.95.  Skipped (77) while the small
# fixture has no planted table.
set -eu
DB=test.db
cp "$ZC_SMALL_DB" "$DB"
if [ "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name = 'planted'")" != 1 ]; then
  echo "no planted table in $ZC_SMALL_DB"; exit 77
fi
/usr/bin/python3 - "$ZC_ROOT" "$ZC_SO" "$DB" <<'PYEOF'
import sqlite3, sys, os
root, so, db = sys.argv[1:4]
c = sqlite3.connect(db); c.enable_load_extension(True); c.load_extension(os.path.splitext(so)[0])
c.execute("SELECT policy_load(?)", (os.path.join(root, "lua/zhongyang.lua"),)).fetchone()
roots = [r[0] for r in c.execute("SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region) ORDER BY code")]
months = [r[0] for r in c.execute("SELECT DISTINCT substr(at, 1, 7) FROM planted UNION SELECT DISTINCT substr(served_at, 1, 7) FROM meal ORDER BY 1")]
c.execute("CREATE TEMP TABLE found(kind, site_id, elder_id, meal_id, at, detail)")
for r in roots:
    for m in months:
        c.execute("INSERT INTO found SELECT kind, site_id, elder_id, meal_id, at, detail FROM anomaly_scan(?, ?)", (r, m))
print("%-13s %8s %8s %6s %9s %6s" % ("kind", "planted", "found", "false", "precision", "recall"))
bad = []
for k, planted, found, false, prec, rec in c.execute(open(os.path.join(root, "bench/anomaly_score.sql")).read()):
    print("%-13s %8d %8d %6d %9s %6s" % (k, planted, found, false, prec, rec))
    if float(rec) < 1.0 or float(prec) < 0.95:
        bad.append(k)
if bad:
    print("below target (recall 1.0, precision 0.95): " + ", ".join(bad)); sys.exit(1)
PYEOF
