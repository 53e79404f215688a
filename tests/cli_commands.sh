#!/bin/bash
# modes: plain asan
# The zhucan tool (build/zhucan, build/asan/zhucan under asan) on the small
# fixture: every command's exit code (docs/cli.md: 0 done, 1 refused, 2 bad
# command line, 3 problems found, 4 file), --json parsed by python and
# compared with what the SQL functions answer through the sqlite3 shell (an
# independent process, the .so), the refusal paths, --lang, and no progress
# output when stderr is not a terminal.
set -u
SQ=${SQLITE3:-sqlite3}
SO=${ZC_SO:-$ZC_ROOT/zhucan.so}
Z=$ZC_ROOT/build/zhucan
[ "${ZC_MODE:-plain}" = asan ] && Z=$ZC_ROOT/build/asan/zhucan
[ -x "$Z" ] || { echo "missing $Z: make build/zhucan (asan: make asan)"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:exitcode=98 ZHUCAN_TODAY=2024-05-01
unset LANG LC_ALL LC_MESSAGES ZHUCAN_LANG
# English for the checks below, from the locale (the default is Chinese)
export LANG=en_US.UTF-8 2> /dev/null
PY=/usr/bin/python3
fail=0
# expect RC CMD... : runs zhucan, stdout in out, stderr in err
expect() {
  local want=$1; shift
  "$Z" "$@" > out 2> err
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: zhucan $* exited $rc, expected $want"; sed 's/^/  err: /' err | head -5; fail=1
  fi
}
has() {  # has FILE TEXT
  grep -qF -- "$2" "$1" || { echo "FAIL: $1 lacks '$2':"; head -5 "$1" | sed 's/^/  /'; fail=1; }
}
json() {  # json PYTHON-EXPR-over-j : prints its value
  $PY -c "import json,sys; j=json.load(open('out')); print($1)" || { echo "FAIL: out is not the JSON expected"; head -c 300 out; fail=1; }
}
same() { [ "$1" = "$2" ] || { echo "FAIL: $3: '$1' != '$2'"; fail=1; }; }

# ---- bad command lines: 2, with a message naming the value
expect 2;                                  has err "usage: zhucan COMMAND"
expect 2 frobnicate test.db;               has err "unknown command frobnicate"
expect 2 settle test.db;                   has err "expected: zhucan settle DB REGION MONTH"
expect 2 settle --bogus test.db 141129 2024-03; has err "unknown option --bogus"
expect 2 settle --csv test.db 141129 2024-03;   has err "option --csv does not apply to settle"
expect 2 replay test.db abc;               has err "run abc is not a run id"
expect 2 --lang fr --help;                 has err "--lang fr: expected zh or en"
expect 2 export test.db 1 -o x.xlsx --by county; has err "--by county: expected site or township"
expect 2 ingest test.db x.csv --price 1.234;     has err "--price 1.234 is not a price"
expect 2 ingest test.db x.csv --price;     has err "option --price needs a value"
# ---- help in both languages; the default from the locale
expect 0 --help;                           has out "usage: zhucan COMMAND"
expect 0 --lang zh --help;                 has out "用法: zhucan 命令"
LANG=zh_CN.UTF-8 expect 0 scan --help;     has out "anomaly_scan(区划, 月份)"
env LC_MESSAGES=en_US.UTF-8 LANG=zh_CN.UTF-8 "$Z" scan --help > out 2> err; has out "usage: zhucan scan"
# Chinese by default: no locale set, or the C/POSIX one (a server's); ZHUCAN_LANG first
env -u LANG "$Z" --help > out 2> err;      has out "用法: zhucan 命令"
LANG=C.UTF-8 expect 0 --help;              has out "用法: zhucan 命令"
LC_ALL=POSIX expect 0 notice --help;       has out "notice_due(区划, 月份)"
ZHUCAN_LANG=en LANG=zh_CN.UTF-8 expect 0 --help; has out "usage: zhucan COMMAND"
ZHUCAN_LANG=zh expect 0 --help;            has out "用法: zhucan 命令"
# the extension's messages follow the tool's language
LANG=C expect 1 settle test.db 999999 2024-03; has err "999999"
grep -q '[一-龥]' err || { echo "FAIL: Chinese default, the extension's message is not Chinese:"; cat err; fail=1; }
expect 0 --version;                        has out "zhucan "
# ---- files: 4
expect 4 verify missing.db;                has err "database missing.db: does not exist"
# the database given after the other arguments: the order is shown
expect 4 settle 141129 2024-03 test.db;    has err "the database comes first: zhucan settle test.db"
echo "not a database, only text" > junk.db
expect 4 verify junk.db;                   has err "cannot read database junk.db"

# ---- init: a new database from sql/schema.sql with the policy; never over one
expect 0 init new.db --policy "$ZC_ROOT/lua/zhongyang.lua"
same "$($SQ new.db "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('meal','elder','site','region','card','device')")" 6 "init's tables"
same "$($SQ new.db "SELECT group_concat(name) FROM zhucan_policy")" zhongyang "init's policy"
expect 1 init new.db;                      has err "new.db exists already"
expect 1 init bad.db --policy nowhere.lua; has err "nowhere.lua"
[ -e bad.db ] && { echo "FAIL: a failed init left bad.db"; fail=1; }
# a policy without test cases: refused, then installed with --untested REASON
# (policy_load's second argument), stored in zhucan_policy.untested
cat > flat.lua <<'LUA'
return { name = "flat", effective_from = "2024-03-01", payers = { "county" },
  eligible = function(e, day) return e.age ~= nil and e.age >= 70, "70+" end,
  meal = function(m, e, s) return { county = 100 }, "flat" end }
LUA
expect 1 init u.db --policy flat.lua;      has err "no test cases"
[ -e u.db ] && { echo "FAIL: a refused init left u.db"; fail=1; }
expect 0 --json init u.db --policy "$ZC_ROOT/lua/zhongyang.lua" --policy flat.lua --untested "价格未定 drafts"
same "$($SQ u.db "SELECT group_concat(name || ':' || coalesce(untested, '-'), ',') FROM (SELECT * FROM zhucan_policy ORDER BY id)")" \
     "zhongyang:-,flat:价格未定 drafts" "init --untested: the reason stored for flat only"
same "$(json '[(p["version"], p.get("untested")) for p in j["policies"]]')" "[(1, None), (2, '价格未定 drafts')]" "init --json"
# a reason for a policy that has cases is refused by policy_load
expect 1 init u2.db --policy "$ZC_ROOT/lua/zhongyang.lua" --untested "no time"
[ -e u2.db ] && { echo "FAIL: a refused init left u2.db"; fail=1; }
expect 2 init u3.db --untested "why" --policy flat.lua; has err "--untested why: it gives the reason of the --policy FILE just before it"
expect 2 settle test.db 141129 2024-03 --untested x; has err "option --untested does not apply to settle"

# ---- settle: refused without a policy (1), then the run; --json against SQL
expect 1 settle test.db 141129 2024-03;    has err "policy 'zhongyang' is not installed"
has err "to install a policy file in this database: echo \"SELECT policy_load('POLICY.lua');\" | zhucan sql test.db"
$SQ -cmd ".load $SO" test.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null || exit 1
expect 1 settle test.db 999999 2024-03;    has err "region '999999' is not a code"
expect 1 settle test.db 141129 2024-13;    has err "month '2024-13'"
expect 0 --json settle test.db 141129 2024-03 --no-progress
same "$(json 'j["id"], j["meals"], j["subsidised_meals"], j["total_fen"]')" \
     "$($SQ -cmd ".load $SO" test.db "SELECT 1, (SELECT count(*) FROM meal WHERE served_at LIKE '2024-03%'),
        (SELECT sum(quantity) FROM settlement('141129', '2024-03') WHERE payer = 'county'),
        (SELECT sum(amount_fen) FROM settlement('141129', '2024-03') WHERE payer <> 'elder')" | tr '|' ' ')" "settle --json vs settlement()"
expect 1 settle test.db 141129 2024-03;    has err "already settled as run 1"
# on screen: yuan with two decimals (the fen total / 100, by hand in awk)
yuan=$($SQ test.db "SELECT total_fen FROM zhucan_run WHERE id = 1" | awk '{ printf "%d.%02d", $1 / 100, $1 % 100 }')
expect 0 settle test.db 141129 2024-03 --supersede; has out "$yuan"; has out "total_yuan"
expect 0 --lang zh settle test.db 141129 2024-03 --supersede; has out "公共资金(元)"

# ---- replay: 0 when reproduced; 3 with the differences of a removed meal
expect 0 --json replay test.db 3
same "$(json 'j["run"], len(j["differences"])')" "3 0" "replay of an untouched run"
meal=$($SQ -cmd ".load $SO" test.db "SELECT meal_id FROM zhucan_run_line WHERE run_id = 3 AND payer = 'county' ORDER BY meal_id LIMIT 1")
npay=$($SQ -cmd ".load $SO" test.db "SELECT count(*) FROM zhucan_run_line WHERE run_id = 3 AND meal_id = $meal")
$SQ test.db "DELETE FROM meal WHERE id = $meal" || exit 1
expect 3 --json replay test.db 3
same "$(json '",".join(sorted(set("%s %s" % (d["meal_id"], d["cause"]) for d in j["differences"]))), len(j["differences"])')" \
     "$meal meal removed $npay" "replay after deleting meal $meal"
expect 3 replay test.db 3;                 has out "meal removed"
expect 1 replay test.db 99;                has err "99"

# ---- verify: intact (0); a forged total found (3)
expect 0 verify test.db;                   has out "intact"
expect 0 --json verify test.db 1
same "$(json 'len(j["problems"])')" 0 "verify --json of an intact run"
total1=$($SQ test.db "SELECT total_fen FROM zhucan_run WHERE id = 1")
$SQ test.db "DROP TRIGGER zhucan_run_guard_update; UPDATE zhucan_run SET total_fen = 1 WHERE id = 1" || exit 1
expect 3 --json verify test.db 1
same "$(json '[(p["expected"], p["found"]) for p in j["problems"] if p["what"] == "total_fen"]')" \
     "[('1', '$total1')]" "verify names the forged total_fen (header 1, rows $total1)"

# ---- scan: counts by kind; --json is every finding; --strict exits 3
expect 0 --json scan test.db 141129 2024-03
same "$(json 'len(j["findings"]), sum(1 for f in j["findings"] if f["kind"] == "repeat_meal")')" \
     "$($SQ -cmd ".load $SO" test.db "SELECT count(*), count(*) FILTER (WHERE kind = 'repeat_meal') FROM anomaly_scan('141129', '2024-03')" | tr '|' ' ')" "scan --json"
expect 0 scan test.db 141129 2024-03;      has out "repeat_meal"
expect 3 scan --strict test.db 141129 2024-03
expect 1 scan test.db 141129 March;        has err "month 'March'"

# ---- ingest: the recipe of docs/ingest.md, idempotent; rejects give 3
pair=$($SQ test.db "SELECT d.id || ',' || c.token FROM device d, card c WHERE d.site_id = 1
                    AND c.issued_on <= '2024-03-05' AND c.revoked_on IS NULL ORDER BY d.id, c.token LIMIT 1")
printf 'served_at,device,method,token,price\n2024-04-02 11:31:07,%s,CARD,%s\n2024-04-02 12:01:00,%s,FACE,%s,12.50\n2024-04-02 12:02:00,%s,CARD,NOSUCHCARD\n' \
  "${pair%,*}" "${pair#*,}" "${pair%,*}" "${pair#*,}" "${pair%,*}" > dev.csv
before=$($SQ test.db "SELECT count(*) FROM meal")
expect 1 ingest test.db dev.csv;           has err "NOT NULL constraint failed: meal.price_fen"
same "$($SQ test.db "SELECT count(*) FROM meal")" "$before" "a failed ingest adds nothing"
expect 3 --json ingest test.db dev.csv --price 10
same "$(json 'j["meals_added"], [(r["line"], r["error"].replace(chr(39), "")) for r in j["rejected"]]')" "2 [(4, 'unknown token: NOSUCHCARD')]" "ingest --json"
same "$($SQ test.db "SELECT group_concat(price_fen) FROM (SELECT price_fen FROM meal WHERE served_at LIKE '2024-04-02%' ORDER BY served_at)")" \
     "1000,1250" "ingested prices (10 yuan given, 12.50 on the line)"
expect 3 ingest test.db dev.csv --price 10; has out "meals added: 0"; has out "rejected lines: 1"
expect 4 ingest test.db nowhere.csv --price 10; has err "nowhere.csv"
# --encoding: the same lines in GBK (iconv), with Chinese words (刷卡, 刷脸);
# read as UTF-8 every line with Chinese is rejected and the hint names the option
printf 'served_at,device,method,token,price\n2024-04-03 11:31:07,%s,刷卡,%s\n2024-04-03 12:01:00,%s,刷脸,%s,12.50\n' \
  "${pair%,*}" "${pair#*,}" "${pair%,*}" "${pair#*,}" | iconv -f utf-8 -t gbk > gbk.csv
before=$($SQ test.db "SELECT count(*) FROM meal")
expect 3 ingest test.db gbk.csv --price 10; has out "rejected lines: 2"; has err "--encoding gbk"
same "$($SQ test.db "SELECT count(*) FROM meal")" "$before" "a GBK file read as UTF-8 adds nothing"
expect 0 --json ingest test.db gbk.csv --price 10 --encoding GBK
same "$(json 'j["meals_added"], len(j["rejected"])')" "2 0" "ingest --encoding gbk"
same "$($SQ test.db "SELECT group_concat(method || ':' || price_fen) FROM (SELECT * FROM meal WHERE served_at LIKE '2024-04-03%' ORDER BY served_at)")" \
     "card:1000,face:1250" "GBK lines: 刷卡 card at 10 yuan, 刷脸 face at 12.50"
expect 0 ingest test.db gbk.csv --price 10 --encoding=auto; has out "meals added: 0"
expect 2 ingest test.db gbk.csv --encoding latin1; has err "--encoding latin1: expected utf-8"
expect 3 ingest test.db dev.csv --price=10 --format=csv --encoding=utf-8 --no-progress; has out "meals added: 0"

# ---- sql: every row's columns start at the same display column (CJK = 2,
# measured by python's unicodedata, not by the tool); other dot commands refused
printf ".print '== names'\n.mode box\nSELECT '张三丰' AS name, 1 AS n UNION ALL SELECT 'ab', 22 UNION ALL SELECT '中阳县（全）', 333;\n" > q.sql
expect 0 sql test.db q.sql;                has out "== names"
$PY - <<'PY' || fail=1
import unicodedata
lines = [l.rstrip("\n") for l in open("out") if not l.startswith("==")]
w = lambda s: sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
ends = {w(l) for l in lines}      # n is the last column, right-aligned: all rows end together
if len(ends) != 1: print("FAIL: zhucan sql rows end at display columns", ends, lines); raise SystemExit(1)
PY
printf '.headers on\nSELECT 1;\n' > q2.sql
expect 2 sql test.db q2.sql;               has err ".headers on is not supported"
expect 1 sql test.db - <<< "SELECT nosuchcolumn FROM meal;"; has err "no such column: nosuchcolumn"

# ---- not a terminal: no progress output at all
"$Z" settle test.db 141129 2024-03 --supersede > out 2> err < /dev/null
[ -s err ] && { echo "FAIL: progress output without a terminal:"; od -c err | head -3; fail=1; }
[ $fail = 0 ] && echo "cli commands: all checks passed"
exit $fail
