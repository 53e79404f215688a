#!/bin/bash
# notice_html rendered as a person sees it (issue #16): headless Chromium
# prints the page of site 5 of the county fixture, March 2024 (54 diners),
# to PDF and takes a PNG screenshot.  Checked:
#   - pdfinfo: A4 pages, and no more than 6 of them (docs/notices.md: the
#     page count a board holds);
#   - pdftotext: the masked name and masked ID number of every diner, and
#     the site's public total and co-payments in yuan equal to settlement();
#     no unmasked name;
#   - pdffonts: at least one font, every font embedded (Chromium embeds the
#     CFF-based Noto CJK glyphs as Type 3 fonts with a ToUnicode map), and
#     the CJK text extracts, so no glyph was replaced by a box;
#   - the PNG exists and is a PNG.
# Skips (77) only when chromium is not installed and cannot be (make deps /
# tools/deps.sh installs chromium, fonts-noto-cjk and poppler-utils).
# modes: plain
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null || ! fc-list :lang=zh | grep -q .; then
  echo "chromium, poppler-utils or a CJK font missing: trying tools/deps.sh"
  sh "$ZC_ROOT/tools/deps.sh" >/dev/null 2>&1
  command -v chromium >/dev/null && command -v pdftotext >/dev/null && fc-list :lang=zh | grep -q . ||
    { echo "SKIP: chromium / poppler-utils / fonts-noto-cjk cannot be installed here"; exit 77; }
fi
fail=0
cp "$ZC_ROOT/data/county.db" county.db
Z county.db "SELECT policy_load('$ZC_ROOT/lua/zhongyang.lua')" >/dev/null || exit 1
Z county.db "SELECT writefile('n.html', notice_html(5, '2024-03'))" >/dev/null || exit 1
export HOME=$PWD   # chromium writes its profile there
CH="chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --hide-scrollbars"
timeout 180 $CH --print-to-pdf="$PWD/n.pdf" "file://$PWD/n.html" >ch1.log 2>&1
timeout 180 $CH --window-size=794,1123 --screenshot="$PWD/n.png" "file://$PWD/n.html" >ch2.log 2>&1
[ -s n.pdf ] || { echo "FAIL: no PDF"; tail ch1.log; exit 1; }
[ "$(head -c 8 n.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "FAIL: no PNG"; fail=1; }
pages=$(pdfinfo n.pdf | sed -n 's/^Pages: *//p')
size=$(pdfinfo n.pdf | sed -n 's/^Page size: *//p')
echo "pages: $pages; page size: $size"
case "$size" in *"(A4)"*) ;; *) echo "FAIL: not A4"; fail=1 ;; esac
[ "$pages" -ge 1 ] && [ "$pages" -le 6 ] || { echo "FAIL: $pages pages"; fail=1; }
pdftotext -layout n.pdf n.txt
pdffonts n.pdf > fonts.txt
nf=$(tail -n +3 fonts.txt | wc -l); ne=$(tail -n +3 fonts.txt | awk '{ if ($(NF-4) == "yes") n++ } END { print n+0 }')
echo "fonts: $nf, embedded: $ne"
[ "$nf" -ge 1 ] && [ "$nf" = "$ne" ] || { echo "FAIL: fonts not all embedded"; cat fonts.txt; fail=1; }
grep -q "助餐服务公示" n.txt && grep -q "每月用餐人员明细" n.txt || { echo "FAIL: CJK headings not in the text"; fail=1; }
/usr/bin/python3 - county.db n.txt "$ZC_SO" <<'PY' || fail=1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.enable_load_extension(True); db.load_extension(sys.argv[3])
text = open(sys.argv[2], encoding="utf-8").read()
rows = db.execute("""SELECT e.name, mask_name(e.name), mask_id(e.id_number) FROM elder e
  WHERE e.id IN (SELECT elder_id FROM meal WHERE site_id = 5 AND served_at LIKE '2024-03-%')""").fetchall()
missing = [m for _, m, i in rows if m not in text] + [i for _, m, i in rows if i not in text]
leaked = [n for n, _, _ in rows if n in text]
pub, own = db.execute("""SELECT sum(amount_fen) FILTER (WHERE payer <> 'elder'), sum(amount_fen) FILTER (WHERE payer = 'elder')
  FROM settlement('141129', '2024-03') WHERE site_id = 5""").fetchone()
y = lambda f: "%d.%02d" % (f // 100, f % 100)
print(f"diners {len(rows)}, masked names/IDs missing from the PDF: {len(missing)}, unmasked names: {len(leaked)}; "
      f"public total {y(pub)} in text: {y(pub) in text}; co-payments {y(own)} in text: {y(own) in text}")
sys.exit(0 if rows and not missing and not leaked and y(pub) in text and y(own) in text else 1)
PY
mkdir -p "$ZC_ROOT/build/notice_render" && cp n.pdf n.png n.html "$ZC_ROOT/build/notice_render/" 2>/dev/null
exit $fail
