#!/bin/bash
# A database whose runs were stored before covers, guards and chains (the
# pack-era layout of zhucan before issue #13) is upgraded by the next
# settle(): the old triggers give way to the guards, the cover table and the
# four new columns appear, every old run is sealed in id order — its rows
# digest recomputed from its rows as stored (the same digest this build
# gives the same rows), its chain linked — and run_verify() is clean before
# the upgrade and after it.  The old layout is made from a run of this
# build (zhucan loaded only for the views over packs): the guards and the cover dropped, the four
# columns dropped, the old per-table triggers made again.
# modes: plain asan
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
P() { sqlite3 -batch "$@"; }
fail=0
Z test.db "SELECT policy_load('lua/zhongyang.lua')" >/dev/null || exit 1
r1=$(Z test.db "SELECT settle('141129', '2024-03')") || exit 1
[ "$r1" = 1 ] || { echo "FAIL: first run is $r1"; exit 1; }
rows1=$(P test.db "SELECT rows_digest FROM zhucan_run WHERE id = 1")
money1=$(P test.db "SELECT meals || ' ' || subsidised_meals || ' ' || total_fen || ' ' || output_digest FROM zhucan_run WHERE id = 1")
drop=""
for t in zhucan_run zhucan_run_pack zhucan_run_elder zhucan_run_site zhucan_run_item zhucan_run_cover; do
  for w in insert update delete; do drop="$drop DROP TRIGGER ${t}_guard_$w;"; done
done
old=""
for t in zhucan_run zhucan_run_pack zhucan_run_elder zhucan_run_site zhucan_run_item; do
  old="$old CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON $t BEGIN SELECT RAISE(ABORT, '$t: runs are immutable'); END;"
  old="$old CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON $t BEGIN SELECT RAISE(ABORT, '$t: runs are immutable'); END;"
done
Z test.db "BEGIN; $drop DROP TABLE zhucan_run_cover;
  ALTER TABLE zhucan_run DROP COLUMN chain; ALTER TABLE zhucan_run DROP COLUMN rows_digest;
  ALTER TABLE zhucan_run DROP COLUMN supersedes; ALTER TABLE zhucan_run DROP COLUMN sites; $old COMMIT;" || exit 1
echo "old layout: $(P test.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name LIKE 'zhucan_run%' ORDER BY name)")"
cols=$(P test.db "SELECT count(*) FROM pragma_table_info('zhucan_run') WHERE name IN ('sites', 'supersedes', 'rows_digest', 'chain')")
[ "$cols" = 0 ] || { echo "FAIL: the old layout still has $cols new columns"; exit 1; }
v=$(Z test.db "SELECT count(*) FROM run_verify()" 2>&1)
echo "run_verify() problems in the old layout: $v"
[ "$v" = 0 ] || { Z test.db "SELECT * FROM run_verify()"; fail=1; }
rp=$(Z test.db "SELECT count(*) FROM replay(1)" 2>&1)
echo "replay(1) differences in the old layout: $rp"
[ "$rp" = 0 ] || fail=1
# the old layout kept the old triggers' promise: no update
u=$(P test.db "UPDATE zhucan_run SET total_fen = 1" 2>&1)
case "$u" in *immutable*) ;; *) echo "FAIL: old layout updated: $u"; fail=1 ;; esac
# the upgrade: the next settle
r2=$(Z test.db "SELECT settle('141129', '2024-04')") || exit 1
echo "settled run $r2 on the old layout"
[ "$r2" = 2 ] || fail=1
after=$(P test.db "SELECT group_concat(id || ':' || (rows_digest IS NOT NULL) || (chain IS NOT NULL) || ':' || ifnull(sites, 'null'), ' ') FROM zhucan_run")
echo "runs sealed (id:rows digest, chain:sites): $after"
[ "$after" = "1:11:null 2:11:6" ] || fail=1
# the rows digest covers the cover rows too, which a run of the old layout
# never had: sealed, it must differ from the digest settled with its cover
[ "$(P test.db "SELECT rows_digest FROM zhucan_run WHERE id = 1")" != "$rows1" ] ||
  { echo "FAIL: run 1's rows digest after sealing ignores that it has no cover rows"; fail=1; }
[ "$(P test.db "SELECT meals || ' ' || subsidised_meals || ' ' || total_fen || ' ' || output_digest FROM zhucan_run WHERE id = 1")" = "$money1" ] ||
  { echo "FAIL: run 1's money changed"; fail=1; }
trg=$(P test.db "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'zhucan_run%' AND (name LIKE '%_no_update' OR name LIKE '%_no_delete') AND name NOT LIKE '%view%'")
echo "old triggers left: $trg"
[ "$trg" = 0 ] || fail=1
guards=$(P test.db "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'zhucan_run%_guard_%'")
echo "guard triggers: $guards"
[ "$guards" = 18 ] || fail=1
v=$(Z test.db "SELECT count(*) FROM run_verify()" 2>&1)
echo "run_verify() problems after the upgrade: $v"
[ "$v" = 0 ] || { Z test.db "SELECT * FROM run_verify()"; fail=1; }
# sealed means sealed: a forged total in run 1 is found now
P test.db "DROP TRIGGER zhucan_run_guard_update; UPDATE zhucan_run SET total_fen = total_fen + 100 WHERE id = 1" || exit 1
f=$(Z test.db "SELECT group_concat(what, ', ') FROM run_verify(1)" 2>&1)
echo "run 1 forged after the upgrade: $f"
case "$f" in *total_fen*) ;; *) fail=1 ;; esac
exit $fail
