#!/bin/bash
# modes: plain asan
# zhucan notice (docs/cli.md) on a copy of the small fixture: one HTML page
# per site of the region with a meal in the month; each page's totals (二、
# 本月补贴合计) equal settlement() computed by the sqlite3 shell with the .so
# (an independent process), and its bytes are notice_html()'s as the shell
# answers them; the overdue list is notice_due()'s; file names are safe with
# a hostile site name; exit codes 0/1/2/3/4; no progress output off a
# terminal.
set -u
SQ=${SQLITE3:-sqlite3}
SO=${ZC_SO:-$ZC_ROOT/zhucan.so}
Z=$ZC_ROOT/build/zhucan
[ "${ZC_MODE:-plain}" = asan ] && Z=$ZC_ROOT/build/asan/zhucan
[ -x "$Z" ] || { echo "missing $Z: make build/zhucan (asan: make asan)"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:exitcode=98 ZHUCAN_TODAY=2024-05-01 ZHUCAN_LANG=en
PY=/usr/bin/python3
fail=0
expect() {
  local want=$1; shift
  "$Z" "$@" > out 2> err < /dev/null
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: zhucan $* exited $rc, expected $want"; sed 's/^/  err: /' err | head -5; fail=1
  fi
}
has() { grep -qF -- "$2" "$1" || { echo "FAIL: $1 lacks '$2':"; head -5 "$1" | sed 's/^/  /'; fail=1; }; }
same() { [ "$1" = "$2" ] || { echo "FAIL: $3: '$1' != '$2'"; fail=1; }; }
S() { $SQ -batch -cmd ".load $SO" test.db "$@"; }

cp "$ZC_ROOT/data/small.db" test.db
S "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" > /dev/null || exit 1
# a hostile name: path separators, Windows' reserved characters, a leading dot
S "UPDATE site SET name = '../x/y:z*?<>|\"' WHERE id = (SELECT max(site_id) FROM meal WHERE served_at LIKE '2024-03%')"

# ---- pages: one per site with a meal in the month, none else; stderr silent
expect 3 --json notice test.db 141129 2024-03 --out pages
[ -s err ] && { echo "FAIL: output on stderr off a terminal:"; od -c err | head -3; fail=1; }
cp out notice.json
want_sites=$(S "WITH RECURSIVE r(code) AS (SELECT '141129' UNION SELECT g.code FROM region g JOIN r ON g.parent = r.code)
  SELECT group_concat(id, ' ') FROM (SELECT DISTINCT site_id AS id FROM meal
   WHERE served_at >= '2024-03-01' AND served_at < '2024-04-01' AND site_id IN (SELECT id FROM site WHERE region IN r) ORDER BY id)")
got_sites=$(ls pages | sed 's/-.*//' | sort -n | tr '\n' ' ' | sed 's/ $//')
same "$got_sites" "$want_sites" "one page per site with meals (site ids of the file names)"
[ -n "$want_sites" ] || { echo "FAIL: the fixture has no site with meals"; fail=1; }
ls -A pages | grep -q '^\.' && { echo "FAIL: a temporary file left in pages/"; ls -A pages; fail=1; }
[ -e x ] || [ -e ../x ] && { echo "FAIL: the hostile name made a path"; fail=1; }
bad=$(ls pages | grep -c '[/:*?<>|"]')
same "$bad" 0 "file names without / : * ? < > | \""
same "$(ls pages | grep -c -- '-2024-03\.html$')" "$(echo "$want_sites" | wc -w)" "every name ends -MONTH.html"
for id in $want_sites; do
  f=$(ls pages/$id-*.html)
  # totals: settlement() of the site, in yuan, in section 二 (二、本月补贴合计)
  set -- $(S "SELECT printf('%d.%02d', p / 100, p % 100), printf('%d.%02d', e / 100, e % 100) FROM
    (SELECT coalesce(sum(amount_fen) FILTER (WHERE payer <> 'elder'), 0) AS p,
            coalesce(sum(amount_fen) FILTER (WHERE payer = 'elder'), 0) AS e
       FROM settlement('141129', '2024-03') WHERE site_id = $id)" | tr '|' ' ')
  $PY - "$f" "$1" "$2" <<'PY' || fail=1
import re, sys
f, pub, own = sys.argv[1:]
t = open(f, encoding="utf-8").read()
sec = t[t.index("二、"):t.index("三、")]
cells = re.findall(r"<td class=n>([0-9.,-]+)</td>", sec)
if pub not in cells or own not in cells:
    print(f"FAIL: {f}: section 二 has {cells}, settlement() says public {pub}, co-payments {own}"); sys.exit(1)
PY
  # the bytes are notice_html()'s, as the sqlite3 shell answers them
  S "SELECT writefile('shell-$id.html', notice_html($id, '2024-03'))" > /dev/null
  cmp -s "$f" "shell-$id.html" || { echo "FAIL: $f differs from notice_html($id) in the shell"; fail=1; }
done
# the json: pages and the lapses, against notice_due() in the shell
same "$($PY -c "import json; j=json.load(open('notice.json')); print(' '.join(str(p['site_id']) for p in j['pages']))")" \
     "$want_sites" "--json pages"
want_due=$(S "SELECT group_concat(site_id || ':' || kind, ' ') FROM (SELECT * FROM notice_due('141129', '2024-03') ORDER BY site_id, kind)")
same "$($PY -c "import json; j=json.load(open('notice.json')); print(' '.join('%s:%s' % (d['site_id'], d['kind']) for d in j['due']))")" \
     "$want_due" "--json due = notice_due()"
[ -n "$want_due" ] || { echo "FAIL: the fixture plants no lapse"; fail=1; }

# ---- on screen: the pages and the lapses with their reasons; pages replaced
expect 3 notice test.db 141129 2024-03 --out pages
has out "pages written in pages"
has out "$(S "SELECT reason FROM notice_due('141129', '2024-03') LIMIT 1")"
same "$(ls pages | wc -l)" "$(echo "$want_sites" | wc -w)" "a second run replaces the pages"
expect 3 --lang zh notice test.db 141129 2024-03 --out pages
has out "个页面已写入"; has out "原因"

# ---- --due: the list only, no page, no directory
expect 3 notice test.db 141129 2024-03 --due
[ -e notices-141129-2024-03 ] && { echo "FAIL: --due wrote pages"; fail=1; }
has out "notice_due"
# before the 10th, with no posting yet, every site is 'pending': not overdue, exit 0
cp test.db early.db
$SQ early.db "DELETE FROM notice_posting" || exit 1
ZHUCAN_TODAY=2024-04-05 expect 0 --json notice early.db 141129 2024-03 --due
same "$($PY -c "import json; j=json.load(open('out')); print(len(j['due']), sorted({d['kind'] for d in j['due']}))")" \
     "$(echo "$want_sites" | wc -w) ['pending']" "before the 10th: every site pending"
# default directory notices-REGION-MONTH
expect 3 notice test.db 141129 2024-03
same "$(ls notices-141129-2024-03 | wc -l)" "$(echo "$want_sites" | wc -w)" "default directory"

# ---- refusals
expect 1 notice test.db 999999 2024-03;          has err "999999"
expect 1 notice test.db 141129 2024-3;           has err "2024-3"
touch afile
expect 4 notice test.db 141129 2024-03 --out afile; has err "afile is not a directory"
expect 4 notice test.db 141129 2024-03 --out no/such/dir; has err "cannot create the directory no/such/dir"
expect 2 notice test.db 141129 2024-03 --due --out pages; has err "--due"
expect 2 notice test.db 141129;                  has err "expected: zhucan notice DB REGION MONTH"
expect 2 settle test.db 141129 2024-03 --due;    has err "option --due does not apply to settle"
[ $fail = 0 ] && echo "cli notice: all checks passed"
exit $fail
