#!/bin/bash
# honour_roll() and donation_certificate_html() (issue #16) on hand-made rows
# in a database made from sql/schema.sql; every expected row written out by
# hand below, not taken from the functions.
#   honour_roll: children only (son, daughter, -in-law, grandchild; not a
#     guardian or 'other'), positive amounts, the month asked, elders living
#     at or under the region; a payer's payments for an elder summed; names
#     masked (mask_name's rule: the surname kept, the rest starred); yuan with
#     two decimals; ordered by village, elder, payer.
#   donation_certificate_html: the donor, the kind in Chinese, the day, the
#     amount in yuan (two decimals, grouped) and in capital numerals, goods,
#     the recipient site with its place or the fund, the county bureau; no
#     phone or ID number even when another table has the donor's; errors.
# modes: plain asan valgrind
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
fail=0
want() {  # name, output, expected (exact)
  if [ "$2" = "$3" ]; then echo "ok: $1"; else printf 'FAIL: %s\n--- got:\n%s\n--- expected:\n%s\n' "$1" "$2" "$3"; fail=1; fi
}
$SQLITE3 h.db ".read $ZC_ROOT/sql/schema.sql" || exit 1
$SQLITE3 h.db "
INSERT INTO region(code, parent, level, name) VALUES ('141129', NULL, 'county', '中阳县'),
 ('141129100', '141129', 'township', '宁乡镇'), ('141129101', '141129', 'township', '金罗镇'),
 ('141129100201', '141129100', 'village', '三塔村'), ('141129100202', '141129100', 'village', '后则村'),
 ('141129100201001', '141129100201', 'hamlet', '水圪垛'), ('141129101201', '141129101', 'village', '金罗村');
INSERT INTO elder(id, id_number, name, region) VALUES
 (1, '141129194501010012', '张三丰', '141129100201001'),   -- in a hamlet of 三塔村
 (2, '14112919470202002X', '欧阳娜娜', '141129100202'),
 (3, '141129194803030036', '李四', '141129100201'),
 (4, '141129194904040040', '王五', '141129101201');        -- 金罗镇: outside 宁乡镇
INSERT INTO copayment(elder_id, payer_name, relation, month, amount_fen, paid_on) VALUES
 (2, '欧阳修文', 'son', '2024-03', 15000, '2024-04-02'),
 (2, '欧阳修文', 'son', '2024-03', 5005, '2024-04-20'),    -- summed with the line above
 (2, '陈静', 'daughter_in_law', '2024-03', 8000, '2024-04-03'),
 (1, '张翠山', 'son', '2024-03', 12000, '2024-04-01'),
 (1, '殷素素', 'guardian', '2024-03', 3000, '2024-04-01'), -- a guardian: not on the roll
 (1, '宋青书', 'other', '2024-03', 3000, '2024-04-01'),    -- other: not on the roll
 (3, '李小龙', 'grandchild', '2024-03', 0, '2024-04-01'),  -- nothing paid
 (3, '李小龙', 'grandchild', '2024-02', 9000, '2024-03-01'), -- another month
 (3, '刘备', 'son_in_law', '2024-03', 10, NULL),
 (4, '王小二', 'daughter', '2024-03', 6600, '2024-04-05');
INSERT INTO site(id, name, region, kind, opened_on) VALUES (3, '三塔村好邻居助老小院', '141129100201', 'courtyard', '2023-01-01');
INSERT INTO donation(id, donor, kind, day, amount_fen, goods, site_id, fund) VALUES
 (1, '中阳县顺通物流有限公司', 'enterprise', '2024-03-29', 1190000, NULL, 3, NULL),
 (2, '赵大明', 'individual', '2024-03-08', 360500, '面粉 35 袋、食用油 7 桶', NULL, '中阳县千万养怡助老基金'),
 (3, '钱多多', 'individual', '2024-03-09', 10005, NULL, 3, NULL),
 (4, '孙空', 'individual', '2024-03-09', NULL, NULL, 3, NULL),
 (5, '周全', 'society', '2024-03-09', 12.5, NULL, 3, NULL);
-- the donor's phone and ID number kept elsewhere (a contact list): never on the certificate
CREATE TABLE contact(name TEXT, phone TEXT, id_number TEXT);
INSERT INTO contact VALUES ('赵大明', '13812345678', '141129196501010012');" || exit 1

out=$(Z h.db "SELECT village, village_name, payer, relation, elder, elder_id, amount_fen, yuan, paid_on, payments
  FROM honour_roll('141129100', '2024-03')")
want "honour_roll 宁乡镇 2024-03" "$out" "141129100201|三塔村|张*山|儿子|张*丰|1|12000|120.00|2024-04-01|1
141129100201|三塔村|刘*|女婿|李*|3|10|0.10||1
141129100202|后则村|欧阳**|儿子|欧阳**|2|20005|200.05|2024-04-20|2
141129100202|后则村|陈*|儿媳|欧阳**|2|8000|80.00|2024-04-03|1"
out=$(Z h.db "SELECT count(*), sum(amount_fen) FROM honour_roll('141129', '2024-03')")
want "honour_roll the county: 金罗镇's row too" "$out" "5|46615"
out=$(Z h.db "SELECT payer, yuan FROM honour_roll('141129', '2024-02')")
want "honour_roll February" "$out" "李*龙|90.00"
out=$(Z h.db "SELECT count(*) FROM honour_roll('141129', '2024-03') WHERE payer IN ('张翠山', '欧阳修文', '陈静', '刘备', '王小二')
  OR elder IN (SELECT name FROM elder)")
want "honour_roll: no full name" "$out" "0"
out=$(Z h.db "SELECT count(*) FROM honour_roll('141129', NULL)" 2>&1)
want "honour_roll NULL month" "$out" "Error: stepping, honour_roll: month NULL is not a month 'YYYY-MM'"
out=$(Z h.db "SELECT count(*) FROM honour_roll('999', '2024-03')" 2>&1)
want "honour_roll unknown region" "$out" "Error: stepping, honour_roll: region '999' is not a code in table region"
out=$(Z h.db "SELECT count(*) FROM honour_roll" 2>&1)
want "honour_roll no arguments" "$out" "Error: stepping, honour_roll: needs 2 arguments, honour_roll(region, month): a region code such as '141129' and a month 'YYYY-MM'"

# certificates: the page's text without tags
txt() { Z h.db "SELECT donation_certificate_html($1)" | sed -e 's/<style>.*<\/style>//' -e 's/<[^>]*>/ /g' | tr -s ' \n' ' '; }
t1=$(txt 1)
for w in 证书编号：2024-000001 中阳县顺通物流有限公司 企业 2024年3月29日 "人民币 11,900.00 元" 壹万壹仟玖佰元整 \
         中阳县宁乡镇三塔村好邻居助老小院 中阳县民政局; do
  case "$t1" in *"$w"*) echo "ok: certificate 1 has $w" ;; *) echo "FAIL: certificate 1 lacks $w: $t1"; fail=1 ;; esac
done
case "$t1" in *三塔村三塔村*) echo "FAIL: village twice"; fail=1 ;; esac
t2=$(txt 2)
for w in 赵大明 个人 "物资：面粉 35 袋、食用油 7 桶（折合人民币 3,605.00 元）" 中阳县千万养怡助老基金; do
  case "$t2" in *"$w"*) echo "ok: certificate 2 has $w" ;; *) echo "FAIL: certificate 2 lacks $w: $t2"; fail=1 ;; esac
done
case "$t2" in *13812345678*|*141129196501010012*|*138*5678*) echo "FAIL: phone or ID on certificate 2"; fail=1 ;; *) echo "ok: no phone, no ID" ;; esac
t3=$(txt 3)
case "$t3" in *"人民币 100.05 元（大写：壹佰元零伍分）"*) echo "ok: 100.05 in capitals" ;; *) echo "FAIL: certificate 3: $t3"; fail=1 ;; esac
out=$(Z h.db "SELECT donation_certificate_html(4)" 2>&1)
want "certificate: neither money nor goods" "$out" "Error: stepping, donation_certificate_html: donation 4 has neither amount_fen nor goods"
out=$(Z h.db "SELECT donation_certificate_html(5)" 2>&1)
want "certificate: fractional fen" "$out" "Error: stepping, donation_certificate_html: donation 5 has an amount_fen that is not a whole number of fen >= 0"
out=$(Z h.db "SELECT donation_certificate_html(99)" 2>&1)
want "certificate: unknown id" "$out" "Error: stepping, donation_certificate_html: donation 99 does not exist in table donation"
out=$(Z h.db "SELECT donation_certificate_html('x')" 2>&1)
want "certificate: not an id" "$out" "Error: stepping, donation_certificate_html: donation_id 'x' is not an integer donation id"
out=$(Z h.db "SELECT donation_certificate_html(NULL)" 2>&1)
want "certificate: NULL" "$out" "Error: stepping, donation_certificate_html: donation_id is NULL; expected a donation id"
# the same page for the same row (no clock on it)
out=$(Z h.db "SELECT donation_certificate_html(1) = donation_certificate_html(1)")
want "certificate: deterministic" "$out" "1"
exit $fail
