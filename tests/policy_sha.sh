#!/bin/bash
# zhucan_policy.sha256 is the SHA-256 of the stored source, checked against
# Python's hashlib (an independent implementation).
# modes: plain
set -e
cp "$ZC_SMALL_DB" s.db
$SQLITE3 -batch -cmd ".load $ZC_SO" s.db "SELECT policy_load('lua/zhongyang.lua'); SELECT policy_load('lua/taiyuan.lua'); SELECT policy_install('return { name = \"汉字\" }');" > /dev/null 2>&1 || true
/usr/bin/python3 - <<'PY'
import hashlib, sqlite3
db = sqlite3.connect("s.db")
rows = db.execute("SELECT id, sha256, source FROM zhucan_policy").fetchall()
assert len(rows) == 2, rows
for id, sha, src in rows:
    assert sha == hashlib.sha256(src.encode("utf-8")).hexdigest(), (id, sha)
    assert src == open("lua/" + ("zhongyang" if id == 1 else "taiyuan") + ".lua", encoding="utf-8").read()
print("ok")
PY
