#!/bin/sh
# tools/notices.sh DB REGION MONTH OUTDIR — one notice page per site
# (docs/notices.md "A page per site"): OUTDIR/SITE-MONTH.html for every site
# at or under REGION with a meal in MONTH, OUTDIR/index.txt (site|name|file);
# with PDF=1 and chromium installed, OUTDIR/SITE-MONTH.pdf beside each page.
# The database is opened read-only; its policy must be installed.
set -eu
[ $# -eq 4 ] || { echo "usage: tools/notices.sh DB REGION MONTH OUTDIR"; exit 2; }
DB=$1 REGION=$2 MONTH=$3 OUT=$4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SO=${ZC_SO:-$ROOT/zhucan}
mkdir -p "$OUT"
sqlite3 -batch -bail -cmd ".load $SO" "file:$DB?mode=ro" "
  WITH r(code) AS (SELECT '$REGION' UNION ALL SELECT g.code FROM region g JOIN r ON g.parent = r.code),
  s AS (SELECT id, name FROM site WHERE region IN (SELECT code FROM r) AND EXISTS (SELECT 1 FROM meal m
          WHERE m.site_id = site.id AND m.served_at >= '$MONTH-01' AND m.served_at < date('$MONTH-01', '+1 month')))
  SELECT id || '|' || name || '|' || f FROM (SELECT id, name, '$OUT/' || id || '-$MONTH.html' AS f,
         writefile('$OUT/' || id || '-$MONTH.html', notice_html(id, '$MONTH')) AS n FROM s ORDER BY id)" > "$OUT/index.txt"
echo "$(wc -l < "$OUT/index.txt") pages in $OUT"
if [ "${PDF:-0}" = 1 ] && command -v chromium >/dev/null; then
  cut -d'|' -f3 "$OUT/index.txt" | while read -r f; do
    chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="${f%.html}.pdf" \
      "file://$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" >/dev/null 2>&1
  done
  echo "PDFs written"
fi
