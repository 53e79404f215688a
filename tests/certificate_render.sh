#!/bin/bash
# donation_certificate_html rendered as a person sees it (issue #16):
# headless Chromium prints the certificate of donation 1 and donation 2 of
# the county fixture (money to a site; goods to a site) to PDF and PNG.
# Checked: one A4 page each; pdftotext holds the donor and the amount in
# yuan (two decimals, grouped by thousands), both from table donation by
# plain SQL; pdffonts: every font embedded and the CJK text extracts (no
# missing-glyph boxes).  Skips (77) only when chromium cannot be installed.
# modes: plain
set -u
Z() { $SQLITE3 -batch -cmd ".load $ZC_SO" "$@"; }
if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null || ! fc-list :lang=zh | grep -q .; then
  sh "$ZC_ROOT/tools/deps.sh" >/dev/null 2>&1
  command -v chromium >/dev/null && command -v pdftotext >/dev/null && fc-list :lang=zh | grep -q . ||
    { echo "SKIP: chromium / poppler-utils / fonts-noto-cjk cannot be installed here"; exit 77; }
fi
fail=0
cp "$ZC_ROOT/data/county.db" county.db
export HOME=$PWD
CH="chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --hide-scrollbars"
for id in 1 2; do
  Z county.db "SELECT writefile('c$id.html', donation_certificate_html($id))" >/dev/null || exit 1
  timeout 180 $CH --print-to-pdf="$PWD/c$id.pdf" "file://$PWD/c$id.html" >ch$id.log 2>&1
  [ -s c$id.pdf ] || { echo "FAIL: no PDF for $id"; tail ch$id.log; fail=1; continue; }
  pages=$(pdfinfo c$id.pdf | sed -n 's/^Pages: *//p'); size=$(pdfinfo c$id.pdf | sed -n 's/^Page size: *//p')
  echo "donation $id: $pages page(s), $size"
  [ "$pages" = 1 ] || { echo "FAIL: $pages pages"; fail=1; }
  case "$size" in *"(A4)"*) ;; *) echo "FAIL: not A4"; fail=1 ;; esac
  pdftotext c$id.pdf c$id.txt
  t=$(tr -d ' \n' < c$id.txt)
  donor=$($SQLITE3 county.db "SELECT donor FROM donation WHERE id = $id")
  yuan=$($SQLITE3 county.db "SELECT printf('%,d.%02d', amount_fen / 100, amount_fen % 100) FROM donation WHERE id = $id")
  echo "donor $donor, amount $yuan"
  case "$t" in *"$donor"*) ;; *) echo "FAIL: donor not in the PDF text"; fail=1 ;; esac
  case "$t" in *"$yuan"*) ;; *) echo "FAIL: amount not in the PDF text"; fail=1 ;; esac
  case "$t" in *捐赠证书*) ;; *) echo "FAIL: CJK title not extracted"; fail=1 ;; esac
  pdffonts c$id.pdf > fonts$id.txt
  nf=$(tail -n +3 fonts$id.txt | wc -l); ne=$(tail -n +3 fonts$id.txt | awk '{ if ($(NF-4) == "yes") n++ } END { print n+0 }')
  echo "fonts: $nf, embedded: $ne"
  [ "$nf" -ge 1 ] && [ "$nf" = "$ne" ] || { echo "FAIL: fonts not all embedded"; cat fonts$id.txt; fail=1; }
  timeout 180 $CH --window-size=794,1123 --screenshot="$PWD/c$id.png" "file://$PWD/c$id.html" >chp$id.log 2>&1
  [ "$(head -c 8 c$id.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "FAIL: no PNG"; fail=1; }
done
mkdir -p "$ZC_ROOT/build/certificate_render" && cp c1.pdf c1.png c2.png c1.html "$ZC_ROOT/build/certificate_render/" 2>/dev/null
exit $fail
