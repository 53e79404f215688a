#!/bin/bash
# Messages in the connection's language (issue #15, ask 2; docs/ref/zhucan_lang.md):
# the same cases asked in Chinese and in English, each text written out by
# hand.  The default is Chinese; ZHUCAN_LANG=en at load gives English
# (tests/run.sh sets it for every other test); zhucan_lang('zh'|'en')
# switches one connection.  What settle stores never depends on the language.
# modes: plain asan
set -u
fail=0
# Z LANG SQL...: one connection opened with ZHUCAN_LANG=LANG ('' = unset)
Z() {
  local l=$1; shift
  if [ -n "$l" ]; then ZHUCAN_LANG=$l $SQLITE3 -batch -cmd ".load $ZC_SO" test.db "$@" 2>&1
  else env -u ZHUCAN_LANG $SQLITE3 -batch -cmd ".load $ZC_SO" test.db "$@" 2>&1; fi
}
same() {   # what, expected, got
  if [ "$2" != "$3" ]; then
    echo "FAIL $1"; echo "  expected: $2"; echo "  got:      $3"; fail=1
  fi
}
# a refusal (an error) in both languages: what, SQL, English, Chinese
both_err() {
  same "$1 (en)" "$3" "$(Z en "$2" | sed 's/^\(Runtime error\|Error\)[^:]*: \(stepping, \|in prepare, \)\{0,1\}//')"
  same "$1 (zh)" "$4" "$(Z zh "$2" | sed 's/^\(Runtime error\|Error\)[^:]*: \(stepping, \|in prepare, \)\{0,1\}//')"
}
# rows in both languages, from one connection switched with zhucan_lang
both_rows() {  # what, SQL, English, Chinese
  same "$1 (en)" "$3" "$(Z '' "SELECT zhucan_lang('en')" "$2" | sed 1d)"
  same "$1 (zh)" "$4" "$(Z en "SELECT zhucan_lang('zh')" "$2" | sed 1d)"
}

# ---- the setting
same "default" "zh" "$(Z '' "SELECT zhucan_lang()")"
same "ZHUCAN_LANG=en" "en" "$(Z en "SELECT zhucan_lang()")"
same "ZHUCAN_LANG=en_US.UTF-8" "en" "$(Z en_US.UTF-8 "SELECT zhucan_lang()")"
same "ZHUCAN_LANG=zh_CN.UTF-8" "zh" "$(Z zh_CN.UTF-8 "SELECT zhucan_lang()")"
same "ZHUCAN_LANG=fr: the default" "zh" "$(Z fr "SELECT zhucan_lang()")"
same "set answers the one before" "zh|en|en|zh" \
  "$(Z '' "SELECT zhucan_lang('en'), zhucan_lang()" "SELECT zhucan_lang('zh'), zhucan_lang()" | paste -sd'|')"
same "per connection" "zh" "$(Z '' "SELECT zhucan_lang('en')" >/dev/null; Z '' "SELECT zhucan_lang()")"
both_err "bad language" "SELECT zhucan_lang('fr')" \
  "zhucan_lang: 'fr' is not a language; expected 'zh' or 'en'" \
  "zhucan_lang：'fr' 不是可用的语言；应为 'zh'（中文）或 'en'（英文）"
both_err "NULL language" "SELECT zhucan_lang(NULL)" \
  "zhucan_lang: language is NULL; expected 'zh' or 'en'" \
  "zhucan_lang：语言参数为 NULL；应为 'zh'（中文）或 'en'（英文）"
# not from a trigger or view: setting it is not innocuous
cp test.db view.db
same "not from a view" "1" "$(ZHUCAN_LANG=en $SQLITE3 -batch -cmd ".load $ZC_SO" view.db "CREATE VIEW v AS SELECT zhucan_lang('zh')" "SELECT * FROM v" 2>&1 | grep -c 'unsafe use of zhucan_lang')"
rm -f view.db

# ---- idcard_sex_label
both_rows "sex labels" "SELECT idcard_sex_label('11010519491231002X'), idcard_sex_label('141129195202290011'), idcard_sex_label('F'), idcard_sex_label('x') IS NULL, idcard_sex('11010519491231002X')" \
  "Female|Male|Female|1|F" "女|男|女|1|F"
same "label in a fixed language" "男|Female" "$(Z en "SELECT idcard_sex_label('M', 'zh'), idcard_sex_label('11010519491231002X', 'en')")"

Z en "SELECT policy_load('lua/zhongyang.lua')" >/dev/null || { echo "policy_load failed"; exit 1; }

# ---- argument errors
both_err "NULL region" "SELECT count(*) FROM anomaly_scan(NULL, '2024-03')" \
  "anomaly_scan: region is NULL; expected a region code such as '141129'" \
  "anomaly_scan：区划参数为 NULL；应为区划代码，例如 '141129'"
both_err "bad month" "SELECT count(*) FROM settlement('141129', '2024-13')" \
  "settlement: month '2024-13' is not a month 'YYYY-MM'" \
  "settlement：'2024-13' 不是月份 'YYYY-MM'"
both_err "unknown region" "SELECT count(*) FROM settlement('999999', '2024-03')" \
  "settlement: region '999999' is not a code in table region" \
  "settlement：'999999' 不是区划表（region）里的区划代码"
both_err "NULL meal id" "SELECT subsidy_for(NULL)" \
  "subsidy_for: meal_id is NULL; expected an integer id" \
  "subsidy_for：meal_id 为 NULL；应为整数编号"

# ---- settle's refusals
export ZHUCAN_TODAY=2024-03-20
both_err "month not ended" "SELECT settle('141129', '2024-03')" \
  "settle: month 2024-03 has not ended (today is 2024-03-20 in China); its meals are not all in yet, and a run cannot be changed once stored: settle it on or after 2024-04-01" \
  "settle：2024-03 月还没有结束（今天是北京时间 2024-03-20），这个月的就餐记录还没有全部上传，而结算批次一经保存就不能更改：请在 2024-04-01 或之后再结算"
export ZHUCAN_TODAY=2024-05-01
same "settle March" "1" "$(Z zh "SELECT settle('141129', '2024-03')")"
same "read-only (en)" "settle: the database is open read-only (a mode=ro or read-only connection, as BI tools should use, or a file this user cannot write); settle writes to it: run it from a connection that can write" \
  "$(ZHUCAN_LANG=en $SQLITE3 -batch -cmd ".load $ZC_SO" 'file:test.db?mode=ro' "SELECT settle('141129', '2024-04')" 2>&1 | sed 's/^\(Runtime error\|Error\)[^:]*: \(stepping, \|in prepare, \)\{0,1\}//')"
same "read-only (zh)" "settle：数据库是以只读方式打开的（mode=ro 或只读连接，BI 工具就应这样打开；或者当前用户没有这个文件的写权限）；settle 要写入数据库：请在可以写入的连接里运行" \
  "$(ZHUCAN_LANG=zh $SQLITE3 -batch -cmd ".load $ZC_SO" 'file:test.db?mode=ro' "SELECT settle('141129', '2024-04')" 2>&1 | sed 's/^\(Runtime error\|Error\)[^:]*: \(stepping, \|in prepare, \)\{0,1\}//')"
same "nothing stored read-only" "1" "$(Z en "SELECT count(*) FROM zhucan_run")"
both_err "already settled" "SELECT settle('141129', '2024-03')" \
  "settle: region 141129 month 2024-03 is already settled as run 1; runs are immutable: settle('141129', '2024-03', 'supersede') stores a new run and marks run 1 superseded" \
  "settle：区划 141129 2024-03 月已经结算过，批次号 1；结算批次不能更改：settle('141129', '2024-03', 'supersede') 会保存一个新批次，并把批次 1 标记为已被取代"
both_err "replay of no run" "SELECT count(*) FROM replay(7)" \
  "replay: run 7 does not exist" "replay：结算批次 7 不存在"

# ---- what settle stores does not depend on the language
same "supersede in Chinese" "2" "$(Z zh "SELECT settle('141129', '2024-03', 'supersede')")"
same "same digests, whatever the language" "1|1" \
  "$(Z en "SELECT count(DISTINCT output_digest), count(DISTINCT input_digest) FROM zhucan_run")"
same "replay in English of a run settled in Chinese" "0" "$(Z en "SELECT count(*) FROM replay(2)")"
# a policy's reasons are its own text (the shipped policies speak Chinese)
both_rows "policy reasons" "SELECT subsidy_explain(m.id) ->> '\$.reason' FROM meal m WHERE m.id = 1" \
  "助老小院早餐" "助老小院早餐"

# ---- anomaly details: the same findings
Q="SELECT kind, meal_id, elder_id, detail FROM anomaly_scan('141129', '2024-03') WHERE meal_id IN (1802, 617, 533, 2201) OR (kind = 'gone_quiet' AND elder_id = 36) ORDER BY kind, meal_id"
both_rows "anomaly details" "$Q" \
"card_burst|2201|50|7 card/face meals on device D-0006 within 12 s (11:22:44 to 11:22:56)
gone_quiet||36|lives alone; ate on 14 of the 14 days before 2024-03-20, then no meal for 3 days (2024-03-20 to 2024-03-22)
out_of_hours|533|17|lunch recorded at 13:42:47, outside the lunch window 11:00:00 to 13:30:00
repeat_meal|1802|123|lunch already eaten at 11:24:05 at site 6 (meal 1797); this is meal 2 of that lunch
revoked_card|617|49|token 6212340000218239 used on 2024-03-07, revoked on 2022-01-23
two_sites|1802|123|meal at site 2 only 5 min after a meal at site 6 at 11:24:05 (meal 1797); travel between sites takes 30 min" \
"card_burst|2201|50|设备 D-0006 在 12 秒内记录了 7 次刷卡/刷脸就餐（11:22:44 至 11:22:56）
gone_quiet||36|独居老人：2024-03-20 之前的 14 天里有 14 天来就餐，此后连续 3 天没有就餐（2024-03-20 至 2024-03-22）
out_of_hours|533|17|午餐记录于 13:42:47，不在午餐时段 11:00:00 至 13:30:00 内
repeat_meal|1802|123|午餐已于 11:24:05 在助餐点 6 吃过（记录 1797）；这是当天第 2 次午餐
revoked_card|617|49|卡号 6212340000218239 于 2024-03-07 使用，但已于 2022-01-23 注销
two_sites|1802|123|在助餐点 2 就餐，距上一餐仅 5 分钟（助餐点 6，11:24:05，记录 1797）；两个助餐点之间往来需 30 分钟"

# ---- coverage reasons: the hand-made regions of tests/coverage_gaps.sql
# (on 2024-04-15: V3 has 11 elders aged 70+ and its only site closed that
# day; its hamlet H5 has 11 and no courtyard)
Z en ".read fixtures/anomaly/cases.sql" >/dev/null
both_rows "coverage reasons" "SELECT region, reason FROM coverage_gaps('990101001003', '2024-04-15') ORDER BY region" \
"990101001003|administrative village with 11 elders aged 70+ and no meal site open on 2024-04-15 in it or its hamlets
990101001003101|11 elders aged 70+ live here (more than 10) and no courtyard is open on 2024-04-15" \
"990101001003|行政村，有 11 位 70 岁以上老人，2024-04-15 本村及所属自然村都没有开放的助餐点
990101001003101|本村住有 11 位 70 岁以上老人（超过 10 位），2024-04-15 没有开放的助老小院"

# ---- the time bank (docs/credit.md): a refusal and a statement line, on
# the small fixture's accounts under lua/timebank.lua (account 1: 12 h in
# Jan-Mar 2024, so 12 points; its first line earns 1 point for 1 hour)
Z en "UPDATE region SET policy = 'timebank' WHERE code = '141129'; SELECT policy_load('lua/timebank.lua')" >/dev/null
both_err "credit refusal" "SELECT credit_redeem(1, '2024-03-31', 13000, 'service', 'x')" \
  "credit_redeem: refused: account 1 holds 12 points on 2024-03-31; 13 would go below zero" \
  "credit_redeem：拒绝：账户 1 在 2024-03-31 只有 12 分；支出 13 分会低于零"
both_rows "credit statement" "SELECT kind, reason FROM credit_statement(1, 2024) LIMIT 2" \
"opening|balance brought forward
earned|1 h of meal_help, 1 h so far this year; timebank@2024-01-01 (version 2)" \
"opening|上年结转余额
earned|助餐：1 小时，本年累计 1 小时；timebank@2024-01-01（版本 2）"

[ $fail = 0 ] && echo "lang: all cases agree in zh and en"
exit $fail
