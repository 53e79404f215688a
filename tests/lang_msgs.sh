#!/bin/bash
# Messages in the connection's language, module by module (issue #15, ask 2;
# docs/README.md "Language"): swipe_log's line errors and read errors, a
# policy's load, check, sandbox and self-test errors, the lifecycle's
# refusals, replay's causes, run_verify's findings, threshold and
# version-choice errors, regular expressions.  Each case is asked in
# English and in Chinese; every expected text is written out by hand.
# modes: plain asan valgrind
set -u
fail=0
Z() {   # Z LANG SQL...: one connection opened with ZHUCAN_LANG=LANG
  local l=$1; shift
  ZHUCAN_LANG=$l $SQLITE3 -batch -cmd ".load $ZC_SO" test.db "$@" 2>&1
}
same() {   # what, expected, got
  if [ "$2" != "$3" ]; then
    echo "FAIL $1"; echo "  expected: $2"; echo "  got:      $3"; fail=1
  fi
}
strip() { sed 's/^\(Runtime error\|Error\)[^:]*: \(stepping, \|in prepare, \)\{0,1\}//'; }
# an error or rows in both languages: what, SQL, English, Chinese
both() {
  same "$1 (en)" "$3" "$(Z en "$2" | strip)"
  same "$1 (zh)" "$4" "$(Z zh "$2" | strip)"
}

# ---- swipe_log: line errors (the error column) and errors that stop the read
printf 'at,device,method,token\n2024-03-05 11:32:05,D-9999,card,6212340000075697\n2024-03-05 25:00:00,D-0001,card,6212340000075697\n2024-03-05 11:32:05,D-0001,palm,6212340000075697\n2024-03-05 11:32:05,D-0001,card,6212340000075697\n2024-03-05 11:32:05,D-0001,card\n\n' > m.csv
# 张三 in GBK, read as UTF-8
printf '2024-03-05 11:32:05,D-0001,card,\xd5\xc5\xc8\xfd\n' > g.csv
both "line errors" "SELECT line, error FROM swipe_log('m.csv', 'csv')" \
"1|header
2|unknown device: 'D-9999'
3|bad time: '2024-03-05 25:00:00'
4|bad method: 'palm'
5|revoked token: '6212340000075697' revoked on 2023-04-12
6|malformed: 3 fields, expected 4 or 5 (at,device,method,token[,price])
7|blank" \
"1|header
2|设备未登记（设备表 device 里没有）：'D-9999'
3|时间无法识别：'2024-03-05 25:00:00'
4|就餐方式无法识别（应为 card、face、manual 或 delivery）：'palm'
5|卡已注销：卡号 '6212340000075697' 已于 2023-04-12 注销
6|格式不对：有 3 个字段，应为 4 或 5 个（at,device,method,token[,price]）
7|blank"
both "GBK read as UTF-8" "SELECT line, error FROM swipe_log('g.csv', 'csv')" \
  "1|not utf-8: byte 0xd5 at byte 33; the line looks like GBK/GB18030: swipe_log(path, format, 'gb18030')" \
  "1|不是 UTF-8 编码：字节 0xd5，位于第 33 字节；这一行像是 GBK/GB18030 编码：请用 swipe_log(path, format, 'gb18030') 读取"
both "not a file" "SELECT count(*) FROM swipe_log('.', 'csv')" \
  "swipe_log: '.' is a directory, not a regular file: swipe_log reads device exports saved as files" \
  "swipe_log：'.' 是一个目录，不是普通文件：swipe_log 读取的是保存成文件的设备导出数据"
both "unknown encoding" "SELECT count(*) FROM swipe_log('m.csv', 'csv', 'latin1')" \
  "swipe_log: encoding 'latin1' is not one swipe_log reads; expected 'utf-8' (the default), 'gb18030' (also 'gbk', 'gb2312', 'cp936': read as GB18030) or 'auto' (a line that is valid UTF-8 is UTF-8, any other is read as GB18030)" \
  "swipe_log：不支持编码 'latin1'；应为 'utf-8'（默认）、'gb18030'（也可写 'gbk'、'gb2312'、'cp936'，都按 GB18030 读）或 'auto'（是合法 UTF-8 的行按 UTF-8 读，其余按 GB18030 读）"
# what scripts filter on stays: blank and header are the same words
same "rejections counted alike" "5|5" \
  "$(Z en "SELECT count(*) FROM swipe_log('m.csv', 'csv') WHERE error NOT IN ('blank', 'header')")|$(Z zh "SELECT count(*) FROM swipe_log('m.csv', 'csv') WHERE error NOT IN ('blank', 'header')")"

# ---- policies: a load error with its file and line, a check, a self-test failure
printf -- '-- a typo\nlocal min_age = 80\nreturn { name = "typo", effective_from = "2024-03-01", payers = { "county" }, min_age = minage + 0 }\n' > typo.lua
both "load error at file:line" "SELECT policy_load('typo.lua')" \
  "policy_load: typo.lua:3: undeclared global 'minage'" \
  "policy_load：typo.lua:3: 未声明的全局变量 'minage'"
printf 'return { name = "dup", effective_from = "2024-03-01", payers = { "county", "county" },\n  eligible = function() return true end, meal = function() return {} end }\n' > dup.lua
both "payers declared twice" "SELECT policy_load('dup.lua')" \
  "policy_load: payers: 'county' is declared twice" \
  "policy_load：payers：'county' 声明了两次"
cat > selftest.lua <<'LUA'
return {
  name = "selftest", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true end, meal = function() return {} end,
  tests = { { name = "t1", call = "eligible", elder = { age = 80 }, day = "2024-03-05", expect = false } },
}
LUA
both "self-test failure" "SELECT policy_load('selftest.lua')" \
"policy_load: selftest@2024-03-01 is not installed: 1 of 1 of its test cases failed:
  case 1 't1': expected false, got true (reason NULL)" \
"policy_load：selftest@2024-03-01 没有安装：1 个核算用例未通过（共 1 个）：
  用例 1 't1'：应为 false，实际是 true（理由 NULL）"
# a rule's error in a case that did not expect one: in the connection's language
cat > pn.lua <<'LUA'
return {
  name = "pn", effective_from = "2024-03-01", payers = { "county" },
  eligible = function() return true end,
  meal = function(m, e, s)
    return { ["county\0a"] = 100 }
  end,
  tests = { { name = "t", call = "meal", elder = { age = 80 }, meal = { served_at = "2024-03-05 12:00:00", slot = "lunch", price_fen = 500 }, expect = { county = 100 } } },
}
LUA
both "a rule's unexpected error" "SELECT policy_load('pn.lua')" \
"policy_load: pn@2024-03-01 is not installed: 1 of 1 of its test cases failed:
  case 1 't': failed: pn@2024-03-01:5: meal() returned x'636f756e74790061' as a payer name; expected 1 to 64 bytes of UTF-8 text without control characters (in meal(), the new version)" \
"policy_load：pn@2024-03-01 没有安装：1 个核算用例未通过（共 1 个）：
  用例 1 't'：出错：pn@2024-03-01:5：meal() 返回的 x'636f756e74790061' 不能作为付款方名称；应为 1 到 64 字节、不含控制字符的 UTF-8 文字（在 meal() 中，新版本）"
# a threshold out of its range
cat > thr.lua <<'LUA'
return {
  name = "thr", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return true end, meal = function() return {} end,
  anomaly = { burst_count = 1 },
  tests = { { name = "any", call = "eligible", elder = { age = 80 }, day = "2024-03-05", expect = true } },
}
LUA
both "threshold out of range" "SELECT policy_load('thr.lua')" \
  "policy_load: policy 'thr' (effective 2024-03-01): anomaly.burst_count = 1 is not allowed; expected a whole number from 2 to 1000; nothing installed" \
  "policy_load：政策 'thr'（2024-03-01 生效）：anomaly.burst_count = 1 不允许；应为整数，范围 2 到 1000；没有安装任何内容"
# a case's error = "..." matches the English text in a Chinese connection too
cat > errcase.lua <<'LUA'
return {
  name = "errcase", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e) return e.nosuch end, meal = function() return {} end,
  tests = { { name = "typo", call = "eligible", elder = { age = 80 }, day = "2024-03-05", error = "has no field 'nosuch'" } },
}
LUA
same "error = matched in Chinese" "1" "$(Z zh "SELECT policy_load('errcase.lua')")"
same "policy_test's summary (en)" "ok: 1 cases (version 1: 1 ok)" "$(Z en "SELECT policy_test('errcase')")"
same "policy_test's summary (zh)" "通过：1 个用例（版本 1：1 个通过）" "$(Z zh "SELECT policy_test('errcase')")"

# ---- the sandbox: a rule that writes a global, in the frame of its call
cat > atk.lua <<'LUA'
return {
  name = "atk", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day, service)
    x = 1
    return true
  end,
  meal = function(m, e, s) return {} end,
  tests = {},
}
LUA
Z en "SELECT policy_load('lua/zhongyang.lua')" "SELECT policy_install(CAST(readfile('atk.lua') AS TEXT), 'sandbox probe')" "SELECT policy_assign('141129', 'atk')" > /dev/null
both "sandbox violation" "SELECT eligible(60, '2024-03-05')" \
  "eligible: atk@2024-03-01:4: assignment to global 'x': policy globals are read-only (use a local) (in eligible(), version 3)" \
  "eligible：atk@2024-03-01:4: 给全局变量 'x' 赋值：政策的全局变量是只读的（请用 local 局部变量）（在 eligible() 中，版本 3）"

# ---- the lifecycle's refusals
both "assign an unknown policy" "SELECT policy_assign('141129', 'nosuch')" \
  "policy_assign: policy 'nosuch' is not installed; install it first with policy_load() or policy_install() (the names are in zhucan_policy.name)" \
  "policy_assign：政策 'nosuch' 还没有安装：请先用 policy_load() 或 policy_install() 安装（已安装的政策名称见 zhucan_policy.name）"
both "retire no version" "SELECT policy_retire(99)" \
  "policy_retire: version 99 is not an installed policy version (the ids are in zhucan_policy.id)" \
  "policy_retire：版本 99 不是已安装的政策版本（版本号见 zhucan_policy.id）"
Z en "SELECT policy_assign('141129', 'zhongyang')" > /dev/null
same "settle March" "1" "$(ZHUCAN_TODAY=2024-05-01 Z en "SELECT settle('141129', '2024-03')")"
both "retire a version a run used" "SELECT policy_retire(2)" \
  "policy_retire: version 2 (zhongyang@2024-03-01) was used by stored run 1 (141129 2024-03); a version a run used stays, so that the run replays: install a corrected version to supersede it instead" \
  "policy_retire：版本 2（zhongyang@2024-03-01）已被保存的结算批次 1（141129 2024-03）用过；结算批次用过的版本必须保留，批次才能重算核对：请安装一个改正后的新版本来取代它"
same "retire atk" "3" "$(Z en "SELECT policy_retire(3)")"
both "retire twice" "SELECT policy_retire(3)" \
  "policy_retire: version 3 (atk@2024-03-01) is already retired" \
  "policy_retire：版本 3（atk@2024-03-01）已经停用了"

# ---- replay's causes: meal 1 (breakfast, 400 fen) repriced, meal 2 removed
Z en "UPDATE meal SET price_fen = 500 WHERE id = 1" "DELETE FROM meal WHERE id = 2" > /dev/null
both "replay causes" "SELECT meal_id, payer, settled_fen, replayed_fen, cause FROM replay(1) ORDER BY meal_id, payer" \
"1|elder|200|300|meal changed: price_fen 400 -> 500
2|county|200|0|meal removed
2|elder|200|0|meal removed" \
"1|elder|200|300|就餐记录有变化：price_fen 400 -> 500
2|county|200|0|这餐已被删除
2|elder|200|0|这餐已被删除"

# ---- version choice: the function's name first
cp test.db vc.db
ZHUCAN_LANG=en $SQLITE3 -batch vc.db "UPDATE region SET policy = 'nosuch' WHERE code = '141129'"
same "version choice (en)" "settlement: policy 'nosuch' is not installed (install it with policy_load() or policy_install())" \
  "$(ZHUCAN_LANG=en $SQLITE3 -batch -cmd ".load $ZC_SO" vc.db "SELECT count(*) FROM settlement('141129', '2024-03')" 2>&1 | strip)"
same "version choice (zh)" "settlement：政策 'nosuch' 还没有安装（请用 policy_load() 或 policy_install() 安装）" \
  "$(ZHUCAN_LANG=zh $SQLITE3 -batch -cmd ".load $ZC_SO" vc.db "SELECT count(*) FROM settlement('141129', '2024-03')" 2>&1 | strip)"
rm -f vc.db

# ---- run_verify's findings and replay's refusal of a changed run
Z en "DROP TRIGGER zhucan_run_site_guard_delete" "DELETE FROM zhucan_run_site WHERE run_id = 1 AND site_id = 1" > /dev/null
both "run_verify: a dropped trigger" "SELECT what, expected, found FROM run_verify WHERE run_id IS NULL" \
  "missing trigger|zhucan_run_site_guard_delete|none (dropped: writes to the runs are not refused)" \
  "缺少触发器|zhucan_run_site_guard_delete|没有（已被删除：对结算批次的改写不再被拒绝）"
both "replay of a changed run" "SELECT count(*) FROM replay(1)" \
  "replay: run 1 fails its check against what settle() stored (1 problem; first: rows_digest: expected $(Z en "SELECT expected FROM run_verify(1)"), found $(Z en "SELECT found FROM run_verify(1)")): its rows were changed after it was settled, and a replay would compare against them.  SELECT * FROM run_verify(1) lists the problems" \
  "replay：结算批次 1 与 settle() 保存时的记录核对不符（1 处问题；第一处：rows_digest：应为 $(Z en "SELECT expected FROM run_verify(1)")，实际是 $(Z en "SELECT found FROM run_verify(1)")）：批次保存后其中的行被改动过，重算只会与改动后的行比较。SELECT * FROM run_verify(1) 列出全部问题"

# ---- regular expressions (PCRE2's own reason stays as the library words it)
both "bad pattern" "SELECT regexp_like('abc', 'a(')" \
  "regexp_like: pattern 'a(' is not a valid regular expression: missing closing parenthesis at offset 2" \
  "regexp_like：模式 'a(' 不是有效的正则表达式：missing closing parenthesis（位于第 2 个字节处）"
both "no such group" "SELECT regexp_capture('abc', '(?<x>a)', 'y')" \
  "regexp_capture: pattern '(?<x>a)' has no group named 'y'" \
  "regexp_capture：模式 '(?<x>a)' 里没有名为 'y' 的分组"

[ $fail = 0 ] && echo "lang_msgs: all cases agree in zh and en"
exit $fail
