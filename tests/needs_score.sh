#!/bin/sh
# modes: plain
# needs_watch scored on the small and county fixtures against every true
# case, computed by plain SQL (bench/needs_truth.sql) — the planted ones
# (table planted_needs, written by the fixture generator) and those that
# arise in the data (birthdays, meals), with lua/zhongyang.lua installed:
# per reason truth / found / false / precision / recall; fails unless every
# reason has cases in the county fixture (the small one has no 90th
# birthday in its month), every planted case is true, recall is 1.0 and
# precision >= 0.95.
set -eu
for FIX in "$ZC_SMALL_DB" "$ZC_ROOT/data/county.db"; do
DB=test.db
rm -f "$DB"
cp "$FIX" "$DB"
echo "== $(basename "$FIX")"
/usr/bin/python3 - "$ZC_ROOT" "$ZC_SO" "$DB" "$FIX" <<'PYEOF'
import sqlite3, sys, os
root, so, db, db_name = sys.argv[1:5]
c = sqlite3.connect(db); c.enable_load_extension(True); c.load_extension(os.path.splitext(so)[0])
c.execute("SELECT policy_load(?)", (os.path.join(root, "lua/zhongyang.lua"),)).fetchone()
month = c.execute("SELECT value FROM fixture WHERE key = 'month'").fetchone()[0]
c.execute("CREATE TEMP TABLE arg AS SELECT ? || '-01' AS first, date(? || '-01', '+1 month') AS next", (month, month))
c.executescript(open(os.path.join(root, "bench/needs_truth.sql")).read())
roots = [r[0] for r in c.execute("SELECT code FROM region WHERE parent IS NULL OR parent NOT IN (SELECT code FROM region) ORDER BY code")]
c.execute("CREATE TEMP TABLE found(reason, elder_id, at)")
for r in roots:
    c.execute("INSERT INTO found SELECT reason, elder_id, day FROM needs_watch(?, ?)", (r, month))
bad = []
lost = c.execute("SELECT count(*) FROM planted_needs p WHERE NOT EXISTS (SELECT 1 FROM truth t WHERE t.reason = p.reason AND t.elder_id = p.elder_id AND t.at = p.at)").fetchone()[0]
if lost:
    bad.append("%d planted cases not in the SQL truth" % lost)
reasons = ["turned_80", "turned_90", "new_disabled_full", "new_disabled_semi", "spouse_died", "new_dibao", "new_tekun", "left_hospital", "gone_quiet"]
print("%-18s %6s %7s %6s %6s %9s %6s" % ("reason", "truth", "planted", "found", "false", "precision", "recall"))
for k in reasons:
    t = c.execute("SELECT count(*) FROM (SELECT DISTINCT elder_id, at FROM truth WHERE reason = ?)", (k,)).fetchone()[0]
    p = c.execute("SELECT count(*) FROM planted_needs WHERE reason = ?", (k,)).fetchone()[0]
    f = c.execute("SELECT count(*) FROM (SELECT DISTINCT elder_id, at FROM found WHERE reason = ?)", (k,)).fetchone()[0]
    tp = c.execute("SELECT count(*) FROM (SELECT DISTINCT elder_id, at FROM found WHERE reason = ? INTERSECT SELECT elder_id, at FROM truth WHERE reason = ?)", (k, k)).fetchone()[0]
    prec = tp / f if f else 1.0
    rec = tp / t if t else 1.0
    print("%-18s %6d %7d %6d %6d %9.3f %6.3f" % (k, t, p, f, f - tp, prec, rec))
    if t == 0 and "county" in os.path.basename(db_name): bad.append(k + ": no true case in the fixture")
    if rec < 1.0 or prec < 0.95: bad.append(k)
other = c.execute("SELECT count(*) FROM found WHERE reason NOT IN (%s)" % ",".join("?" * len(reasons)), reasons).fetchone()[0]
if other: bad.append("%d rows with an unknown reason" % other)
if bad:
    print("below target (every reason present, recall 1.0, precision 0.95): " + ", ".join(bad)); sys.exit(1)
PYEOF
done
