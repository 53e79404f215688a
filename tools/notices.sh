#!/bin/sh
# tools/notices.sh DB REGION MONTH OUTDIR — one notice page per site
# (docs/notices.md "A page per site"): `zhucan notice DB REGION MONTH --out
# OUTDIR` (docs/cli.md "Notices": OUTDIR/SITE-NAME-MONTH.html for every site
# at or under REGION with a meal in MONTH, then the overdue notices); with
# PDF=1 and chromium installed, a PDF beside each page.  Exit status is the
# command's (3: a notice is overdue).  ZHUCAN=path picks the tool (default
# build/zhucan of this tree, else zhucan on the PATH).
set -u
[ $# -eq 4 ] || { echo "usage: tools/notices.sh DB REGION MONTH OUTDIR"; exit 2; }
DB=$1 REGION=$2 MONTH=$3 OUT=$4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
Z=${ZHUCAN:-$ROOT/build/zhucan}
[ -x "$Z" ] || Z=$(command -v zhucan) || { echo "tools/notices.sh: zhucan not built (make)"; exit 2; }
"$Z" notice "$DB" "$REGION" "$MONTH" --out "$OUT"
rc=$?
[ $rc = 0 ] || [ $rc = 3 ] || exit $rc
if [ "${PDF:-0}" = 1 ] && command -v chromium >/dev/null; then
  for f in "$OUT"/*-"$MONTH".html; do
    [ -f "$f" ] || continue
    chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer --print-to-pdf="${f%.html}.pdf" \
      "file://$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" >/dev/null 2>&1
  done
  echo "PDFs written"
fi
exit $rc
