# windows/test_files.sh — sourced by windows/test.sh (its ok, bad, setup,
# wsql, lsql): file reads by Chinese names, GBK, the two-thread anomaly
# scan and the China date, each compared with the Linux build on the same
# input (and with values worked out by hand where noted).
setup files
mkdir -p "$d/政策" "$d/设备导出"
cp "$ROOT/lua/zhongyang.lua" "$d/政策/中阳县.lua"
# the ingest_gbk.sh sample: a Chinese header; 张三 card lunch 12.50 yuan;
# 李四 face; 张三 manual dinner 8 yuan; 王五 unknown
printf '%s\r\n' '时间,设备,方式,卡号,价格' '2024-03-05 11:32:05,城关社区食堂-1,刷卡,张三,12.50' \
  '2024-03-05 11:40:00,城关社区食堂-1,刷脸,李四' '"2024-03-05 17:01:10","好邻居助老小院","手工","张三","8"' \
  '2024-03-05 10:00:00,城关社区食堂-1,送餐,王五' > "$d/设备导出/三月五日.csv"
iconv -f utf-8 -t gbk < "$d/设备导出/三月五日.csv" > "$d/设备导出/三月五日-gbk.csv"
printf '2024-03-05 11:32:05,\200\377,card,x\r\n' > "$d/设备导出/坏字节.csv"   # 0x80 0xff: not GBK
cat > "$d/files.sql" <<'SQL'
.read fixtures/swipes/setup.sql
INSERT OR REPLACE INTO device(id, site_id) VALUES ('城关社区食堂-1', 9001), ('好邻居助老小院', 9002);
INSERT OR REPLACE INTO card(token, elder_id, issued_on, revoked_on) VALUES
  ('张三', 201, '2024-01-01', NULL), ('李四', 202, '2024-01-01', NULL);
SELECT policy_load('政策/中阳县.lua');
SELECT policy_test('zhongyang');
SELECT line, at, device, site_id, method, token, elder_id, slot, error, price_fen, encoding
  FROM swipe_log('设备导出/三月五日.csv', 'csv');
SELECT line, at, device, method, token, elder_id, slot, error, price_fen, encoding
  FROM swipe_log('设备导出/三月五日-gbk.csv', 'csv', 'gbk');
SELECT line, device, token, error, encoding FROM swipe_log('设备导出/三月五日-gbk.csv', 'csv', 'auto');
SELECT line, error FROM swipe_log('设备导出/三月五日-gbk.csv', 'csv') WHERE line = 2;
SELECT line, error FROM swipe_log('设备导出/坏字节.csv', 'csv', 'gbk');
SELECT count(*) FROM swipe_log('设备导出/没有这个文件.csv', 'csv');
SELECT policy_load('设备导出');
SQL
wsql < "$d/files.sql" > "$d/wine.raw"
sed 's/\r$//' "$d/wine.raw" > "$d/wine.out"
cp "$ROOT/data/small.db" "$d/test.db"
lsql < "$d/files.sql" > "$d/linux.out"
# by hand: version 1; the UTF-8 and GBK files give the same 5 rows, 张三's
# lunch 1250 fen; a missing file and a folder are refused by name
if cmp -s "$d/linux.out" "$d/wine.out" && grep -q '^1$' "$d/wine.out" &&
   grep -q '^2|2024-03-05 11:32:05|城关社区食堂-1|9001|card|张三|201|lunch||1250|utf-8$' "$d/wine.out" &&
   grep -q '^2|2024-03-05 11:32:05|城关社区食堂-1|card|张三|201|lunch||1250|gb18030$' "$d/wine.out" &&
   grep -q "cannot open '设备导出/没有这个文件.csv': No such file or directory" "$d/wine.out" &&
   grep -q "'设备导出' is not a regular file" "$d/wine.out"; then
  ok "policy_load, swipe_log (UTF-8, GBK) on Chinese file names"
else
  diff -u "$d/linux.out" "$d/wine.out" > "$d/diff"; [ -s "$d/diff" ] || cp "$d/wine.out" "$d/diff"
  bad "Chinese file names" "Windows differs from Linux or from the hand values" "$d/diff"
fi

# the anomaly scan: two threads (default), one thread (ZHUCAN_NO_THREADS),
# Linux; county.db, a whole month
setup scan "$ROOT/data/county.db"
q="SELECT policy_load('lua/zhongyang.lua');
SELECT kind, severity, count(*), sum(length(detail)) FROM anomaly_scan('141129', '2024-03') GROUP BY 1, 2;"
echo "$q" | wsql | sed 's/\r$//' > "$d/two.out"
cp "$ROOT/data/county.db" "$d/test.db"
echo "$q" | (export ZHUCAN_NO_THREADS=1; wsql) | sed 's/\r$//' > "$d/one.out"
cp "$ROOT/data/county.db" "$d/test.db"
echo "$q" | lsql > "$d/linux.out"
if [ "$(wc -l < "$d/two.out")" -gt 3 ] && cmp -s "$d/two.out" "$d/one.out" && cmp -s "$d/two.out" "$d/linux.out"; then
  ok "anomaly_scan on two threads = one thread = Linux ($(($(wc -l < "$d/two.out") - 1)) kinds)"
else
  { diff -u "$d/linux.out" "$d/two.out"; diff -u "$d/one.out" "$d/two.out"; } > "$d/diff"
  bad "anomaly_scan threads" "results differ" "$d/diff"
fi

# the date in China (UTC+8) from the system clock: settle refuses a month
# that has not ended and names today
setup today
want=$(TZ=Asia/Shanghai date +%Y-%m-%d)
(unset ZHUCAN_TODAY; echo "SELECT settle('141129', '2999-12');" | wsql) | sed 's/\r$//' > "$d/out"
if grep -q "today is $want in China" "$d/out"; then ok "today in China ($want) from the Windows clock"
else bad "today in China" "expected $want" "$d/out"; fi
