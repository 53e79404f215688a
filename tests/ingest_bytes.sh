#!/bin/bash
# swipe_log on bytes a text editor cannot make: invalid UTF-8, NUL, a BOM,
# over-long lines (cut on a character boundary), a blank last line, no final
# newline; and (plain mode) memory that does not grow with the file.
# Expected values worked out by hand in the comments.
# modes: plain asan valgrind
set -u
fail=0
q() { $SQLITE3 -batch -cmd ".load ./zhucan" -cmd ".read fixtures/swipes/setup.sql" test.db "$@" 2>&1; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL $1"; echo " expected: $2"; echo " actual:   $3"; fail=1; fi
}
G='2024-03-05 11:32:05,DEV-0012,CARD,6212340000123456'

# 1. invalid UTF-8 and NUL.  Byte positions are 1-based:
#  line 2: 20 (time,) + 9 (DEV-0012,) + 5 (CARD,) + 5 (62123) -> 0xff is byte 40
#  line 3: 0xc0 0xaf, an overlong '/': byte 1;  line 4: a surrogate ED A0 80: byte 1
#  line 5: 'ab' NUL 'cd': byte 3;  line 6: 'abc' then a cut 3-byte sequence: byte 4
#  line 7: 刷卡 spelled in UTF-8 is fine
#  lines 3 and 6 also read as GB18030 (C0 AF is one GBK character, 'abc' E5 88
#  is 'abc' and one), so their errors hint at the encoding argument; FF, the
#  lone 80 after ED A0 and NUL are GB18030 in no way: no hint
printf '%s\n' "$G" > u.csv
printf '2024-03-05 11:32:05,DEV-0012,CARD,62123\xff\n\xc0\xaf\n\xed\xa0\x80\nab\0cd\nabc\xe5\x88\n' >> u.csv
printf '2024-03-05 11:40:00,DEV-0012,\xe5\x88\xb7\xe5\x8d\xa1,6212340000123456\n' >> u.csv
out=$(q "SELECT line, error, typeof(raw), hex(raw) FROM swipe_log('u.csv', 'csv') WHERE line > 1")
check utf8 "2|not utf-8: byte 0xff at byte 40|blob|$(printf '2024-03-05 11:32:05,DEV-0012,CARD,62123' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)FF
3|not utf-8: byte 0xc0 at byte 1; the line looks like GBK/GB18030: swipe_log(path, format, 'gb18030')|blob|C0AF
4|not utf-8: byte 0xed at byte 1|blob|EDA080
5|not utf-8: byte 0x00 at byte 3|blob|6162006364
6|not utf-8: byte 0xe5 at byte 4; the line looks like GBK/GB18030: swipe_log(path, format, 'gb18030')|blob|616263E588
7||text|$(printf '2024-03-05 11:40:00,DEV-0012,\xe5\x88\xb7\xe5\x8d\xa1,6212340000123456' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" "$out"

# 2. a BOM before the header (Excel's 'CSV UTF-8'): line 1 is still the header, raw has no BOM
printf '\xef\xbb\xbfserved_at,device,method,token\n%s\n' "$G" > bom.csv
out=$(q "SELECT line, error, raw FROM swipe_log('bom.csv', 'csv')")
check bom "1|header|served_at,device,method,token
2||$G" "$out"

# 3. over-long lines (limit 65536 bytes):
#  line 2: 70000 x 'A' -> too long, raw = first 65536 bytes
#  line 3: exactly 65536 x 'B' -> not too long (one field: malformed)
#  line 4: 65537 x 'C' -> too long
#  line 5: 65536 x 'D' then CR LF -> the CR is not counted: not too long
#  line 6: 66667 x '刷' (3 bytes each, 200001 bytes) -> too long, raw cut on a
#          character boundary: 65536/3 = 21845 whole characters = 65535 bytes
#  line 7: a good line after them
rep() { head -c "$2" /dev/zero | tr '\0' "$1"; }
{ echo "$G"; rep A 70000; echo; rep B 65536; echo; rep C 65537; echo; rep D 65536; printf '\r\n'
  for i in $(seq 66667); do printf '\xe5\x88\xb7'; done; echo; echo "$G"; } > long.csv
out=$(q "SELECT line, error, typeof(raw), length(CAST(raw AS BLOB)), length(raw) FROM swipe_log('long.csv', 'csv')")
check long "1||text|50|50
2|line too long: 70000 bytes, limit 65536|text|65536|65536
3|malformed: 1 field, expected 4 or 5 (at,device,method,token[,price])|text|65536|65536
4|line too long: 65537 bytes, limit 65536|text|65536|65536
5|malformed: 1 field, expected 4 or 5 (at,device,method,token[,price])|text|65536|65536
6|line too long: 200001 bytes, limit 65536|text|65535|21845
7||text|50|50" "$out"

# 4. a blank last line counts; a last line without newline is read
printf '%s\n\n' "$G" > tail1.csv
printf '%s\n%s' "$G" "$G" > tail2.csv
out=$(q "SELECT (SELECT group_concat(line || ':' || coalesce(error, 'ok')) FROM swipe_log('tail1.csv', 'csv')),
                (SELECT group_concat(line || ':' || coalesce(error, 'ok')) FROM swipe_log('tail2.csv', 'csv'))")
check tail "1:ok,2:blank|1:ok,2:ok" "$out"

# 5. plain mode: peak memory for 300,000 lines is within 2 MB of 3,000 lines
if [ "$ZC_MODE" = plain ]; then
  for n in 3000 300000; do
    awk -v n=$n -v g="$G" 'BEGIN { for (i = 0; i < n; i++) print g }' > m$n.csv
  done
  rss() { /usr/bin/time -f %M sqlite3 -cmd ".load ./zhucan" test.db \
            "SELECT count(*), count(error) FROM swipe_log('$1', 'csv')" 2>&1 >/dev/null | tail -1; }
  small=$(rss m3000.csv); big=$(rss m300000.csv)
  cnt=$(sqlite3 -cmd ".load ./zhucan" -cmd ".read fixtures/swipes/setup.sql" test.db "SELECT count(*), count(error) FROM swipe_log('m300000.csv', 'csv')")
  check count "300000|0" "$cnt"
  if [ $((big - small)) -gt 2048 ]; then echo "FAIL memory: ${small} KB for 3000 lines, ${big} KB for 300000"; fail=1; fi
fi
exit $fail
