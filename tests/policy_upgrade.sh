#!/bin/bash
# A zhucan_policy made by zhucan before the lifecycle (no untested or
# retired_on column, the old no_update/no_delete triggers, a version stored
# without cases) keeps working and is upgraded by the first write: reads
# (policy_in_force, policy_test, settlement) work on the old layout; the
# first policy_retire adds both columns and the guarded triggers, keeps the
# rows, and retires; an old version with no cases reports "no cases"; the
# version stored without `payers` (before the strict rules) still pays: every
# meal of a township put under it pays county 100 fen (counted in plain SQL).
# The old layout is written here with Python's sqlite3 and hashlib (an
# independent SHA-256), not by zhucan.
# modes: plain asan
set -u
PY=/usr/bin/python3
$PY - test.db "$ZC_ROOT/lua/zhongyang.lua" <<'PY' || exit 1
import sqlite3, hashlib, sys
db = sqlite3.connect(sys.argv[1])
zy = open(sys.argv[2], encoding='utf-8').read()
flat = 'return { name = "flat", effective_from = "2024-03-01", eligible = function() return true, "all" end, meal = function() return { county = 100 }, "flat" end }'
db.executescript("""
CREATE TABLE zhucan_policy(id INTEGER PRIMARY KEY, name TEXT NOT NULL, effective_from TEXT NOT NULL,
  sha256 TEXT NOT NULL, source TEXT NOT NULL, installed_at TEXT NOT NULL);
CREATE TRIGGER zhucan_policy_no_update BEFORE UPDATE ON zhucan_policy
  BEGIN SELECT RAISE(ABORT, 'zhucan_policy: stored policy versions are immutable; install a new version'); END;
CREATE TRIGGER zhucan_policy_no_delete BEFORE DELETE ON zhucan_policy
  BEGIN SELECT RAISE(ABORT, 'zhucan_policy: stored policy versions are immutable; install a new version'); END;
""")
for name, src in (("zhongyang", zy), ("flat", flat)):
    db.execute("INSERT INTO zhucan_policy(name, effective_from, sha256, source, installed_at) VALUES (?, '2024-03-01', ?, ?, '2024-02-01 00:00:00')",
               (name, hashlib.sha256(src.encode()).hexdigest(), src))
db.commit()
PY
out=$($SQLITE3 -batch -cmd ".load $ZC_SO" test.db 2>&1 <<'SQL'
SELECT 'in force', policy_in_force('141129', '2024-03-15');
SELECT 'test zy', policy_test('zhongyang');
SELECT 'test flat', policy_test('flat');
SELECT 'county', sum(amount_fen) > 0 FROM settlement('141129', '2024-03') WHERE payer = 'county';
UPDATE region SET policy = 'flat' WHERE code = '141129100';
SELECT 'flat pays', (SELECT sum(amount_fen) FROM settlement('141129100', '2024-03') WHERE item = 'meal' AND payer = 'county') = 100 * (SELECT count(*) FROM meal m JOIN site s ON s.id = m.site_id WHERE s.region LIKE '141129100%' AND m.served_at >= '2024-03-01' AND m.served_at < '2024-04-01'), (SELECT count(DISTINCT payer) FROM settlement('141129100', '2024-03') WHERE item = 'meal');
UPDATE region SET policy = NULL WHERE code = '141129100';
SELECT 'same source', policy_load('lua/zhongyang.lua');
SELECT 'columns before', count(*) FROM pragma_table_info('zhucan_policy');
SELECT 'retire', policy_retire(2);
SELECT 'columns after', group_concat(name, ' ') FROM pragma_table_info('zhucan_policy');
SELECT 'triggers', group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'zhucan_policy' ORDER BY name);
SELECT 'rows', group_concat(id || ':' || name || ':' || (retired_on IS NOT NULL), ' ') FROM zhucan_policy;
SELECT 'test flat after', policy_test('flat');
UPDATE zhucan_policy SET source = '' WHERE id = 1;
SQL
)
echo "$out"
want="in force|1
test zy|ok: 12 cases (version 1: 12 ok)
test flat|ok: 0 cases (version 2: no cases)
county|1
flat pays|1|2
same source|1
columns before|6
retire|2
columns after|id name effective_from sha256 source installed_at untested retired_on
triggers|zhucan_policy_guard_insert zhucan_policy_guard_update zhucan_policy_no_delete
rows|1:zhongyang:0 2:flat:1
Runtime error near line 14: policy_test: every version of policy 'flat' is retired (1): none can pay, none was run
Runtime error near line 15: zhucan_policy: stored policy versions are immutable; install a new version, or retire one with policy_retire() (19)"
if [ "$out" != "$want" ]; then
  echo "FAIL: expected"; echo "$want"; diff <(echo "$want") <(echo "$out"); exit 1
fi
exit 0
