#!/bin/bash
# swipe_log(path, format, encoding) on GBK/GB18030 device exports (issue #15
# ask 5): the same content in UTF-8 and in GBK gives the same rows; 'auto'
# reads a file mixing both; bytes that are neither are error rows naming the
# bytes and their offset; a GBK file read as UTF-8 hints at 'gb18030'.  The
# GBK files are made here with iconv -f utf-8 -t gbk from UTF-8 text.
# Expected values worked out by hand in the comments (GBK bytes: 好 ba c3,
# 城 b3 c7, 张 d5 c5, 三 c8 fd).
# modes: plain asan valgrind
set -u
fail=0
q() { $SQLITE3 -batch -cmd ".load ./zhucan" -cmd ".read fixtures/swipes/setup.sql" -cmd ".read setup2.sql" test.db "$@" 2>&1; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL $1"; echo " expected: $2"; echo " actual:   $3"; fail=1; fi
}
gbk() { iconv -f utf-8 -t gbk; }
# devices named after their sites, cards of 张三 and 李四 (setup.sql: site
# 9001 under a county with no policy, 9002 likewise: the SPEC windows)
cat > setup2.sql <<'SQL'
INSERT OR REPLACE INTO device(id, site_id) VALUES ('城关社区食堂-1', 9001), ('好邻居助老小院', 9002);
INSERT OR REPLACE INTO card(token, elder_id, issued_on, revoked_on) VALUES
  ('张三', 201, '2024-01-01', NULL), ('李四', 202, '2024-01-01', NULL);
SQL
COLS="line, at, device, site_id, method, token, elder_id, slot, error, price_fen"

# 1. csv: the same export in UTF-8 and GBK.  Line 1 a Chinese header; 2 card
# at 11:32 lunch, 12.50 yuan; 3 face, no price; 4 quoted, manual at 17:01
# dinner, 8 yuan; 5 an unknown token (its 10:00 would be out of hours too,
# but the first error wins).
printf '%s\n' '时间,设备,方式,卡号,价格' '2024-03-05 11:32:05,城关社区食堂-1,刷卡,张三,12.50' \
  '2024-03-05 11:40:00,城关社区食堂-1,刷脸,李四' '"2024-03-05 17:01:10","好邻居助老小院","手工","张三","8"' \
  '2024-03-05 10:00:00,城关社区食堂-1,送餐,王五' > u.csv
gbk < u.csv > g.csv
CSV="1||||||||header|
2|2024-03-05 11:32:05|城关社区食堂-1|9001|card|张三|201|lunch||1250
3|2024-03-05 11:40:00|城关社区食堂-1|9001|face|李四|202|lunch||
4|2024-03-05 17:01:10|好邻居助老小院|9002|manual|张三|201|dinner||800
5|2024-03-05 10:00:00|城关社区食堂-1|9001|delivery|王五|||unknown token: '王五'|"
check csv-utf8 "$CSV" "$(q "SELECT $COLS FROM swipe_log('u.csv', 'csv')")"
for e in gbk GB18030 gb2312 cp936 auto; do
  check "csv-$e" "$CSV" "$(q "SELECT $COLS FROM swipe_log('g.csv', 'csv', '$e')")"
done
# raw is the line in UTF-8 (text), the same as the UTF-8 file's
check raw "$(q "SELECT group_concat(typeof(raw) || ':' || raw, char(10)) FROM swipe_log('u.csv', 'csv')")" \
  "$(q "SELECT group_concat(typeof(raw) || ':' || raw, char(10)) FROM swipe_log('g.csv', 'csv', 'gbk')")"
check raw-line2 "text|2024-03-05 11:32:05,城关社区食堂-1,刷卡,张三,12.50" \
  "$(q "SELECT typeof(raw), raw FROM swipe_log('g.csv', 'csv', 'gbk') WHERE line = 2")"
# the encoding column names the decoder used; the argument may be a constraint
check enc-column "gb18030|5
auto|5
utf-8|5" "$(q "SELECT encoding, count(*) FROM swipe_log('g.csv', 'csv', 'GBK');
  SELECT encoding, count(*) FROM swipe_log WHERE path = 'g.csv' AND format = 'csv' AND encoding = 'auto';
  SELECT encoding, count(*) FROM swipe_log('u.csv', 'csv')")"

# 2. a GBK file read as UTF-8: every line with Chinese is an error with the
# hint.  Line 1: 时 is ca b1, which happens to be UTF-8 too (U+02B1), 间 is
# bc e4: bc, a lone continuation byte, is byte 3; line 2: '2024-03-05 11:32:05,' is 20 bytes,
# 城 (b3) is byte 21; line 4: '"2024-03-05 17:01:10","' is 23 bytes, 好 (ba)
# is byte 24.
H="; the line looks like GBK/GB18030: swipe_log(path, format, 'gb18030')"
check hint "1|not utf-8: byte 0xbc at byte 3$H|blob
2|not utf-8: byte 0xb3 at byte 21$H|blob
4|not utf-8: byte 0xba at byte 24$H|blob" \
  "$(q "SELECT line, error, typeof(raw) FROM swipe_log('g.csv', 'csv') WHERE line IN (1, 2, 4)")"
check hint-bytes cab1bce4 "$(printf '时间' | gbk | od -An -tx1 | tr -d ' \n')"

# 3. a mixed file (UTF-8 lines 1-3, GBK lines 4-5) under 'auto': the rows
# of the UTF-8 file.  Under 'gb18030' the UTF-8 lines decode to other
# characters, and the method is checked first: 刷卡 e5 88 b7 e5 8d a1 as GB
# pairs e588 b7e5 8da1 is 鍒峰崱, 刷脸 e5 88 b7 e8 84 b8 is e588 b7e8 84b8,
# 鍒疯劯; line 4 is good, 5 the unknown token.
{ head -3 u.csv; tail -2 u.csv | gbk; } > m.csv
check mixed-auto "$CSV" "$(q "SELECT $COLS FROM swipe_log('m.csv', 'csv', 'auto')")"
check mixed-gb "1|header
2|bad method: '鍒峰崱'
3|bad method: '鍒疯劯'
4|
5|unknown token: '王五'" "$(q "SELECT line, error FROM swipe_log('m.csv', 'csv', 'gb18030')")"
check mojibake "鍒峰崱 鍒疯劯" "$(printf '刷卡 刷脸' | iconv -f gb18030 -t utf-8)"
check mixed-utf8 "4|not utf-8: byte 0xba at byte 24$H
5|not utf-8: byte 0xb3 at byte 21$H" \
  "$(q "SELECT line, error FROM swipe_log('m.csv', 'csv') WHERE error LIKE 'not utf-8%'")"

# 4. terminal and a custom pattern in GBK (the pattern sees the line in UTF-8)
{ printf '%s\n' '[2024-03-05 11:32:05] 城关社区食堂-1 刷脸 ok uid=张三 score=0.93' \
    '[2024-03-05 11:33:10] 城关社区食堂-1 刷脸 失败 reason=未识别'; } | gbk > t.log
check terminal "1|2024-03-05 11:32:05|城关社区食堂-1|9001|face|张三|201|lunch||
2|2024-03-05 11:33:10|城关社区食堂-1|9001|face|||lunch|device status: '失败 reason=未识别'|" \
  "$(q "SELECT $COLS FROM swipe_log('t.log', 'terminal', 'gbk')")"
printf '%s\n' '2024-03-05 18:00:00|城关社区食堂|城关社区食堂-1|刷卡|张三|午餐' | gbk > p.txt
check pattern "1|2024-03-05 18:00:00|城关社区食堂-1|9001|card|张三|201|lunch||" \
  "$(q "SELECT $COLS FROM swipe_log('p.txt',
    '^(?<at>[^|]+)\|城关社区食堂\|(?<device>[^|]+)\|(?<method>[^|]+)\|(?<token>[^|]+)\|(?<slot>[^|]+)$', 'gbk')")"

# 5. bytes that are not GB18030, 1-based offsets; the bytes shown are the
# first 4 from the offending one (GB18030's longest sequence), as x'hex':
#  1 '2024-03-05 11:32:05,DEV-0012,CARD,62123' (39 bytes) ff: byte 40
#  2 张 d5 c5, then d5 and a space: byte 3 (utf-8: d5 c5 is not UTF-8, byte 1)
#  3 'abc' and a lead byte cut by the end of the line: byte 4
#  4 张 NUL 三: the NUL, byte 3
#  5 a lone 80: byte 1
#  6 é in GB18030 (a8 a6) is fine: 'é' (one field: malformed)
{ printf '2024-03-05 11:32:05,DEV-0012,CARD,62123\xff\n'; printf '\xd5\xc5\xd5 ab\n'; printf 'abc\xd5\n'
  printf '\xd5\xc5\0\xc8\xfd\n'; printf '\x80\n'; printf '\xa8\xa6\n'; } > bad.csv
check bad-gb "1|not gb18030: x'ff' at byte 40|blob
2|not gb18030: x'd5206162' at byte 3|blob|D5C5D5206162
3|not gb18030: x'd5' at byte 4|blob|616263D5
4|not gb18030: x'00c8fd' at byte 3|blob|D5C500C8FD
5|not gb18030: x'80' at byte 1|blob|80
6|malformed: 1 field, expected 4 or 5 (at,device,method,token[,price])|text|C3A9" \
  "$(q "SELECT line, error, typeof(raw), CASE WHEN line > 1 THEN hex(raw) END FROM swipe_log('bad.csv', 'csv', 'gb18030')" | sed 's/|$//')"
check bad-auto "1|not utf-8 (byte 0xff at byte 40) nor gb18030 (x'ff' at byte 40)
2|not utf-8 (byte 0xd5 at byte 1) nor gb18030 (x'd5206162' at byte 3)
3|not utf-8 (byte 0xd5 at byte 4) nor gb18030 (x'd5' at byte 4)
4|not utf-8 (byte 0xd5 at byte 1) nor gb18030 (x'00c8fd' at byte 3)
5|not utf-8 (byte 0x80 at byte 1) nor gb18030 (x'80' at byte 1)
6|malformed: 1 field, expected 4 or 5 (at,device,method,token[,price])" \
  "$(q "SELECT line, error FROM swipe_log('bad.csv', 'csv', 'auto')")"
# read as UTF-8: only line 6 (a8 a6, é in GB18030) gets the hint; ff, a cut
# lead, NUL and 80 are no GB18030 line
check bad-utf8 "1|not utf-8: byte 0xff at byte 40
2|not utf-8: byte 0xd5 at byte 1
3|not utf-8: byte 0xd5 at byte 4
4|not utf-8: byte 0xd5 at byte 1
5|not utf-8: byte 0x80 at byte 1
6|not utf-8: byte 0xa8 at byte 1$H" "$(q "SELECT line, error FROM swipe_log('bad.csv', 'csv')")"

# 6. GB18030's byte-order mark (84 31 95 33, U+FEFF) before the header is
# dropped as the UTF-8 one is; a UTF-8 BOM under 'auto' too
{ printf '\x84\x31\x95\x33'; cat g.csv; } > bom.csv
{ printf '\xef\xbb\xbf'; cat u.csv; } > bom8.csv
check bom "1|header|时间,设备,方式,卡号,价格
1|header|时间,设备,方式,卡号,价格" \
  "$(q "SELECT line, error, raw FROM swipe_log('bom.csv', 'csv', 'gb18030') WHERE line = 1;
        SELECT line, error, raw FROM swipe_log('bom8.csv', 'csv', 'auto') WHERE line = 1")"

# 7. an over-long GBK line: 'A' and 40000 x 张 = 80001 bytes.  raw is its
# first 65536 bytes decoded: 'A', 32767 x 张 (65534 bytes), and a lead
# byte cut by the limit, dropped: 32768 characters, 1 + 32767 * 3 = 98302
# bytes of UTF-8.  The next line is read as usual: 40 characters, 10 of
# them Chinese, 60 bytes in UTF-8.
{ printf 'A'; for i in $(seq 4000); do printf '张张张张张张张张张张'; done; echo
  sed -n 2p u.csv; } | gbk > long.csv
check long "1|line too long: 80001 bytes, limit 65536|text|32768|98302|1
2||text|40|60|0" "$(q "SELECT line, error, typeof(raw), length(raw), length(CAST(raw AS BLOB)),
  raw GLOB 'A张张*' FROM swipe_log('long.csv', 'csv', 'gbk')")"

# 8. the argument: any other encoding, NULL or a number is refused, naming it
E="expected 'utf-8' (the default), 'gb18030' (also 'gbk', 'gb2312', 'cp936': read as GB18030) or 'auto' (a line that is valid UTF-8 is UTF-8, any other is read as GB18030)"
check arg "Error: stepping, swipe_log: encoding 'latin1' is not one swipe_log reads; $E
Error: stepping, swipe_log: encoding NULL is not one swipe_log reads; $E
Error: stepping, swipe_log: encoding 936 is not one swipe_log reads; $E" \
  "$(for a in "'latin1'" NULL 936; do q "SELECT count(*) FROM swipe_log('g.csv', 'csv', $a)"; done)"

# 9. the committed fixture of docs/ref/swipe_log.md: fixtures/swipes/gbk.csv
# is fixtures/swipes/gbk-utf8.csv in GBK (iconv -f utf-8 -t gbk); on the
# small county, which has no such device, as the page shows
check fixture-bytes "$(gbk < fixtures/swipes/gbk-utf8.csv | od -An -tx1)" "$(od -An -tx1 fixtures/swipes/gbk.csv)"
check fixture "1|||header|gb18030
2|card|张三|unknown device: '城关社区食堂-1'|gb18030
1|||header|utf-8
2|card|张三|unknown device: '城关社区食堂-1'|utf-8" \
  "$(cp "$ZC_SMALL_DB" ref.db && $SQLITE3 -batch -cmd ".load ./zhucan" ref.db "SELECT line, method, token, error, encoding FROM swipe_log('fixtures/swipes/gbk.csv', 'csv', 'gbk');
     SELECT line, method, token, error, encoding FROM swipe_log('fixtures/swipes/gbk-utf8.csv', 'csv')" 2>&1)"

# 10. the recipe with :encoding: the GBK export loads its 3 good lines
check recipe "3
5|unknown token: '王五'|2024-03-05 10:00:00,城关社区食堂-1,送餐,王五" \
  "$(q ".parameter set :path g.csv" ".parameter set :format csv" ".parameter set :encoding gbk" \
       ".parameter set :price_fen 1000" ".read sql/ingest.sql")"
exit $fail
