#!/bin/sh
# make demo: a month of the sample county, settled, audited and scanned.
# Works on a fresh copy of data/county.db so it can be run again and again.
set -e
cd "$(dirname "$0")/.."
cp data/county.db data/demo.db
echo "zhucan demo on data/demo.db (a fresh copy of the generated county fixture)"
# build/zhucan sql: the tool's table printer lines up Chinese columns (a CJK
# character is two columns wide), which the sqlite3 3.40 shell's .box does not
build/zhucan sql data/demo.db sql/demo.sql
echo
echo "== and a stored run cannot be rewritten by SQL (the refusal below is expected):"
echo "   UPDATE zhucan_run SET total_fen = 1 WHERE id = 1"
sqlite3 -batch -cmd ".load ./zhucan" data/demo.db "UPDATE zhucan_run SET total_fen = 1 WHERE id = 1" 2>&1 | sed 's/^/   /' || true
echo
echo "Open it yourself:  sqlite3 data/demo.db   then   .load ./zhucan   (or: build/zhucan sql data/demo.db < your.sql)"
